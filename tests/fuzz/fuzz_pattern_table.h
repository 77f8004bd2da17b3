/*
 * fuzz_pattern_table - the body shared by the libFuzzer targets for the
 * cidr, pcre and regexp table parsers (fuzz_cidr_table, fuzz_pcre_table,
 * fuzz_regexp_table).
 *
 * The input is a table source: written to an anonymous memory file and
 * opened by its /proc/self/fd path, or, when it starts with '{', used (up
 * to its first NUL) as an inline table name "{ {rule}, ... }". The table
 * is then queried with fixed keys (IPv4, IPv6, mail addresses, a string
 * that makes naive regexes backtrack) and with the input's first line.
 * Nothing may crash, hang or leak; warnings are silenced.
 */
#ifndef TERN_FUZZ_PATTERN_TABLE_H
#define TERN_FUZZ_PATTERN_TABLE_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "table/dict.h"
#include "table/dict_types.h"
#include "util/msg.h"
#include "util/mymalloc.h"

#define FUZZ_KEY_MAX 16 /* short keys keep backtracking regexes cheap */

typedef struct dict *(*fuzz_open_fn)(const char *name, int open_flags, int dict_flags);

static const char *fuzz_keys[] = {
    "1.2.3.4",
    "10.0.0.1",
    "::1",
    "2001:db8::1",
    "::ffff:1.2.3.4",
    "user@example.com",
    "Owner-List@Example.COM",
    "aaaaaaaaaaaa!",
    "",
    "a\nb",
};

static void
fuzz_query(struct dict *dict, const uint8_t *data, size_t size)
{
    char key[FUZZ_KEY_MAX + 1];
    size_t len = 0;

    for (size_t i = 0; i < sizeof(fuzz_keys) / sizeof(fuzz_keys[0]); i++)
        (void)dict_get(dict, fuzz_keys[i]);
    while (len < size && len < FUZZ_KEY_MAX && data[len] != '\n' && data[len] != 0) {
        key[len] = (char)data[len];
        len++;
    }
    key[len] = 0;
    (void)dict_get(dict, key);
}

static int
fuzz_pattern_table(fuzz_open_fn open_fn, const uint8_t *data, size_t size)
{
    struct dict *dict;
    char path[64];
    char *name;
    int fd;

    msg_set_sinks(0);
    if (size > 0 && data[0] == '{') {
        name = mystrndup((const char *)data, size);
        dict = open_fn(name, O_RDONLY, DICT_FLAG_FOLD_MUL);
        myfree(name);
    } else {
        if ((fd = memfd_create("fuzz_pattern_table", 0)) < 0)
            return 0;
        if (write(fd, data, size) != (ssize_t)size) {
            close(fd);
            return 0;
        }
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        dict = open_fn(path, O_RDONLY, DICT_FLAG_NONE);
        close(fd);
    }
    fuzz_query(dict, data, size);
    dict_close(dict);
    return 0;
}

#endif
