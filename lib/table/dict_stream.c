/*
 * dict_stream - table source as a stream: a file, or inline "{ {rule} }"
 * text turned into an in-memory file; see dict_stream.h.
 *
 * The inline rules are split with extpar/mystrtokq (util/extpar.h) and
 * checked completely before anything is written, so a syntax error leaves
 * nothing behind. The memory file (memfd) is read
 * through the ordinary vstream/readlline path, so inline and file tables
 * behave the same line by line.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "table/dict_stream.h"
#include "util/extpar.h"
#include "util/mymalloc.h"
#include "util/stringops.h"

/* Converts inline text "{ {a}, {b} }" to lines "a\nb\n" in rules. */
static int
dict_stream_inline_rules(const char *type, const char *name, struct vstring *rules,
                         struct vstring *why)
{
    struct vstring *err_buf = vstring_alloc(100);
    char *copy = mystrdup(name);
    char *cp = copy;
    char *elem;
    const char *err;
    int status = 0;

    if ((err = extpar(&cp, "{}", EXTPAR_FLAG_STRIP, err_buf)) != NULL) {
        vstring_sprintf(why, "%s map: %s", type, err);
        status = -1;
    }
    while (status == 0 && (elem = mystrtokq(&cp, CHARS_COMMA_SP, "{}")) != NULL) {
        if (*elem != '{') {
            vstring_sprintf(why, "%s map: no '{' at start of text in \"%s\"", type, elem);
            status = -1;
        } else if ((err = extpar(&elem, "{}", EXTPAR_FLAG_STRIP, err_buf)) != NULL) {
            vstring_sprintf(why, "%s map: %s", type, err);
            status = -1;
        } else {
            vstring_strcat(rules, elem);
            vstring_addch(rules, '\n');
        }
    }
    myfree(copy);
    vstring_free(err_buf);
    return status;
}

/* Puts text into an anonymous memory file, positioned at its start. */
static struct vstream *
dict_stream_memory(const char *name, const struct vstring *text, struct vstring *why)
{
    size_t done = 0;
    ssize_t count;
    int fd;

    if ((fd = memfd_create("dict_stream", MFD_CLOEXEC)) < 0) {
        vstring_sprintf(why, "open %s: cannot create in-memory file: %s", name, strerror(errno));
        return NULL;
    }
    while (done < vstring_len(text)) {
        count = write(fd, vstring_str(text) + done, vstring_len(text) - done);
        if (count < 0 && errno == EINTR)
            continue;
        if (count <= 0) {
            vstring_sprintf(why, "open %s: cannot write in-memory file: %s", name, strerror(errno));
            close(fd);
            return NULL;
        }
        done += (size_t)count;
    }
    if (lseek(fd, 0, SEEK_SET) < 0) {
        vstring_sprintf(why, "open %s: cannot rewind in-memory file: %s", name, strerror(errno));
        close(fd);
        return NULL;
    }
    return vstream_fdopen(fd, name);
}

struct vstream *
dict_stream_open(const char *type, const char *name, struct vstring *why)
{
    struct vstream *fp;
    struct vstring *rules;

    if (*name == '{') {
        rules = vstring_alloc(100);
        fp = NULL;
        if (dict_stream_inline_rules(type, name, rules, why) == 0)
            fp = dict_stream_memory(name, rules, why);
        vstring_free(rules);
        return fp;
    }
    if ((fp = vstream_fopen(name, O_RDONLY, 0)) == NULL)
        vstring_sprintf(why, "open %s: %s", name, strerror(errno));
    return fp;
}
