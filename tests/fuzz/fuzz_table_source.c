/*
 * fuzz_table_source - libFuzzer target for the lookup-table source parsers.
 *
 * The input is used four ways: as a table source file for dict_source_read
 * in table syntax and in alias syntax, as a texthash table (loaded and
 * queried), and, up to its first NUL, as the text after "inline:" and
 * "static:" in a table name. None may crash, hang or leak; warnings are
 * silenced.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "table/dict.h"
#include "table/dict_source.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/vstream.h"

static int
fuzz_action(void *context, const char *key, const char *value, int lineno)
{
    size_t *total = context;

    *total += strlen(key) + strlen(value) + (size_t)(lineno > 0);
    return 0;
}

static int
fuzz_memfd(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz_table_source", 0);

    if (fd < 0)
        return -1;
    if (write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void
fuzz_source(const uint8_t *data, size_t size, int flags)
{
    struct vstream *fp;
    size_t total = 0;
    int fd;

    if ((fd = fuzz_memfd(data, size)) < 0)
        return;
    fp = vstream_fdopen(fd, "fuzz");
    (void)dict_source_read(fp, flags, fuzz_action, &total);
    vstream_close(fp);
}

static void
fuzz_texthash(const uint8_t *data, size_t size)
{
    char name[64];
    struct dict *dict;
    const char *key;
    const char *value;
    int fd;

    if ((fd = fuzz_memfd(data, size)) < 0)
        return;
    snprintf(name, sizeof(name), "texthash:/proc/self/fd/%d", fd);
    dict = dict_open(name, O_RDONLY, DICT_FLAG_DUP_WARN | DICT_FLAG_FOLD_FIX);
    (void)dict_get(dict, "a");
    if (!dict_is_surrogate(dict) && dict_seq(dict, DICT_SEQ_FUN_FIRST, &key, &value) == 0)
        (void)dict_get(dict, key);
    dict_close(dict);
    close(fd);
}

static void
fuzz_name(const char *type, const uint8_t *data, size_t size)
{
    size_t len = strnlen((const char *)data, size);
    size_t type_len = strlen(type);
    char *name = mymalloc(type_len + len + 1);
    struct dict *dict;

    memcpy(name, type, type_len);
    memcpy(name + type_len, data, len);
    name[type_len + len] = 0;
    dict = dict_open(name, O_RDONLY, DICT_FLAG_FOLD_FIX);
    (void)dict_get(dict, "a");
    dict_close(dict);
    myfree(name);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int initialized;

    if (!initialized) {
        msg_init("fuzz_table_source", 0);
        initialized = 1;
    }
    fuzz_source(data, size, 0);
    fuzz_source(data, size, DICT_SOURCE_FLAG_ALIAS | DICT_SOURCE_FLAG_FOLD);
    fuzz_texthash(data, size);
    fuzz_name("inline:", data, size);
    fuzz_name("static:", data, size);
    return 0;
}
