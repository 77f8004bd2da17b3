/*
 * fuzz_main_cf - libFuzzer target for the main.cf parser and the $name
 * expansion engine.
 *
 * The input is read as a main.cf (through a memory file, with malformed
 * lines reported and skipped), then every value is expanded with
 * mail_conf_eval, and the first line of the input is also expanded as a
 * free text. Neither may crash, hang or leak; warnings are silenced.
 *
 * The settings that feed run-time defaults (myhostname, mydomain,
 * mynetworks_style, inet_interfaces, inet_protocols, and
 * compatibility_level, which mynetworks_style's default compares) are
 * dropped before
 * expansion: a broken value there is deliberately fatal, and
 * inet_interfaces may name hosts to resolve, which a fuzzer must not do.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "config/mail_params.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/vstream.h"
#include "util/vstring.h"

static const char *const fuzz_fatal_names[] = {
    "myhostname",          "mydomain", "mynetworks_style", "inet_interfaces", "inet_protocols",
    "compatibility_level", NULL,
};

static void
fuzz_eval(const char *name, const char *value, void *context)
{
    (void)name;
    (void)mail_conf_eval(value, context);
}

static void
fuzz_free_text(const uint8_t *data, size_t size, struct vstring *buf)
{
    size_t len = 0;
    char *text;

    while (len < size && data[len] != '\n' && data[len] != 0)
        len++;
    text = mystrndup((const char *)data, len);
    (void)mail_conf_eval(text, buf);
    myfree(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct vstring *buf;
    struct vstream *fp;
    int fd;

    if (buf == NULL) {
        msg_init("fuzz_main_cf", 0);
        buf = vstring_alloc(100);
    }
    if ((fd = memfd_create("fuzz_main_cf", 0)) < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0) {
        close(fd);
        return 0;
    }
    mail_conf_reset();
    fp = vstream_fdopen(fd, "main.cf");
    (void)mail_conf_parse(fp, "main.cf", MAIL_CONF_PARSE_WARN);
    vstream_close(fp);
    for (const char *const *np = fuzz_fatal_names; *np; np++)
        (void)mail_conf_unset(*np);
    mail_conf_walk(fuzz_eval, buf);
    fuzz_free_text(data, size, buf);
    mail_conf_reset();
    return 0;
}
