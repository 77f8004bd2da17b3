/*
 * dict_pattern_test - helpers shared by the cidr, pcre and regexp table
 * unit tests (test_dict_cidr, test_dict_pcre, test_dict_regexp): write a
 * table source to a temporary file, open it with a type's open function
 * while capturing the warnings written to standard error, and look keys up.
 *
 * Include after <cmocka.h>. Everything is static: each test program gets
 * its own copy. Warnings are captured by pointing fd 2 at a file while the
 * table is opened or queried.
 */
#ifndef TERN_DICT_PATTERN_TEST_H
#define TERN_DICT_PATTERN_TEST_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "table/dict.h"
#include "util/msg.h"

#include "stderr_capture.h"

typedef struct dict *(*table_open_fn)(const char *name, int open_flags, int dict_flags);

static char table_dir[64];
static char table_path[128];
static const char *table_warnings = ""; /* of the last table_capture_end */

static int
table_setup(void **state)
{
    (void)state;
    msg_init("test", MSG_STDERR);
    snprintf(table_dir, sizeof(table_dir), "/tmp/tern-table-test-XXXXXX");
    if (mkdtemp(table_dir) == NULL)
        return -1;
    snprintf(table_path, sizeof(table_path), "%s/table", table_dir);
    return 0;
}

static int
table_teardown(void **state)
{
    (void)state;
    unlink(table_path);
    unlink(stderr_capture_path);
    return rmdir(table_dir);
}

/* Starts sending fd 2 to a file. */
static void
table_capture_start(void)
{
    stderr_capture_start(table_dir);
}

/* Restores fd 2; returns what was written meanwhile. */
static const char *
table_capture_end(void)
{
    table_warnings = stderr_capture_end();
    return table_warnings;
}

/* Writes text as the table file; returns its path. */
static const char *
table_write(const char *text)
{
    FILE *fp = fopen(table_path, "w");

    assert_non_null(fp);
    assert_true(fputs(text, fp) >= 0);
    assert_int_equal(fclose(fp), 0);
    return table_path;
}

/*
 * Writes text as a table and opens it with open_fn; the warnings of the
 * open are left in table_warnings.
 */
static struct dict *
table_open_text(table_open_fn open_fn, const char *text, int dict_flags)
{
    struct dict *dict;

    table_write(text);
    table_capture_start();
    dict = open_fn(table_path, O_RDONLY, dict_flags);
    table_capture_end();
    assert_non_null(dict);
    return dict;
}

/* Looks key up; asserts the lookup did not fail. Returns value or NULL. */
static const char *
table_get(struct dict *dict, const char *key)
{
    const char *value = dict_get(dict, key);

    assert_int_equal(dict->error, DICT_ERR_NONE);
    return value;
}

#define assert_lookup(dict, key, expect)                                                           \
    do {                                                                                           \
        const char *got_ = table_get((dict), (key));                                               \
        assert_non_null(got_);                                                                     \
        assert_string_equal(got_, (expect));                                                       \
    } while (0)

#define assert_no_match(dict, key) assert_null(table_get((dict), (key)))

/* Asserts that the last captured warnings contain text. */
#define assert_warned(text)                                                                        \
    do {                                                                                           \
        if (strstr(table_warnings, (text)) == NULL)                                                \
            fail_msg("expected warning \"%s\" in:\n%s", (text), table_warnings);                   \
    } while (0)

/* The path of the table with ", line N: " and what follows. */
static const char *
table_line(int lineno, const char *text)
{
    static char buf[1024];

    snprintf(buf, sizeof(buf), "%s, line %d: %s", table_path, lineno, text);
    return buf;
}

#endif
