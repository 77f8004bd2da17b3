/*
 * test_dict - unit tests for lib/table: the dictionary core (dict_open,
 * folding, surrogates, dict_changed, the type list), the Berkeley DB types
 * (lookups, NUL handling, duplicates, sequence, in-place update, the atomic
 * build and the mode and owner a rebuild keeps, interoperation with
 * Debian's postmap when it is installed),
 * texthash, inline, static, unix, fail, environ, and the table source
 * reader (table and alias syntax, warnings).
 *
 * Warnings are captured by pointing file descriptor 2 at a temporary file;
 * fatal paths run in a forked child whose exit status and output are
 * checked.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "table/dict.h"
#include "table/dict_db.h"
#include "table/dict_source.h"
#include "table/dict_types.h"
#include "util/msg.h"

#include "stderr_capture.h"
#include "util/mymalloc.h"
#include "util/vstream.h"
#include "util/vstring.h"

static char test_dir[] = "/tmp/test_dict.XXXXXX";

/* Path of NAME inside the test directory (static buffer, one at a time). */
static const char *
tpath(const char *name)
{
    static char buf[512];

    snprintf(buf, sizeof(buf), "%s/%s", test_dir, name);
    return buf;
}

static void
write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");

    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void
capture_start(void)
{
    stderr_capture_start(test_dir);
}

static const char *
capture_end(void)
{
    return stderr_capture_end();
}

static int
file_exists(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0;
}

/* Builds hash:NAME (or btree) from key/value pairs; NULL key ends the list. */
static void
build_table(const char *type_name, int dict_flags, ...)
{
    struct dict *dict = dict_open(type_name, O_RDWR | O_CREAT | O_TRUNC, dict_flags);
    const char *key;
    va_list ap;

    assert_false(dict_is_surrogate(dict));
    va_start(ap, dict_flags);
    while ((key = va_arg(ap, const char *)) != NULL)
        assert_int_equal(dict_put(dict, key, va_arg(ap, const char *)), DICT_STAT_SUCCESS);
    va_end(ap);
    dict_close(dict);
}

static const char *
lookup_once(const char *type_name, int dict_flags, const char *key, int *error)
{
    static char result[1024];
    struct dict *dict = dict_open(type_name, O_RDONLY, dict_flags);
    const char *value = dict_get(dict, key);

    *error = dict->error;
    if (value)
        snprintf(result, sizeof(result), "%s", value);
    dict_close(dict);
    return value ? result : NULL;
}

/* ---- core ---- */

static void
test_dict_type_list(void **state)
{
    const struct dict_type *dt = dict_type_list();
    const char *prev = "";
    int hash = 0;
    int inline_type = 0;

    (void)state;
    for (; dt->type != NULL; dt++) {
        assert_true(strcmp(prev, dt->type) < 0); /* sorted, no duplicates */
        prev = dt->type;
        hash |= strcmp(dt->type, "hash") == 0 && dt->needs_file;
        inline_type |= strcmp(dt->type, "inline") == 0 && !dt->needs_file;
        assert_ptr_equal(dict_type_find(dt->type), dt);
    }
    assert_true(hash);
    assert_true(inline_type);
    assert_null(dict_type_find("foo"));
}

static void
test_dict_open_unknown_type(void **state)
{
    struct dict *dict;
    const char *out;

    (void)state;
    capture_start();
    dict = dict_open("foo:/bar", O_RDONLY, DICT_FLAG_DEFAULT);
    assert_true(dict_is_surrogate(dict));
    assert_null(dict_get(dict, "x"));
    assert_int_equal(dict->error, DICT_ERR_CONFIG);
    assert_int_equal(dict_put(dict, "x", "y"), DICT_STAT_FAIL);
    dict_close(dict);
    dict = dict_open("nocolon", O_RDONLY, DICT_FLAG_DEFAULT);
    assert_null(dict_get(dict, "x"));
    assert_int_equal(dict->error, DICT_ERR_CONFIG);
    dict_close(dict);
    out = capture_end();
    assert_non_null(strstr(out, "warning: unsupported dictionary type: foo\n"));
    assert_non_null(
        strstr(out, "warning: foo:/bar is unavailable. unsupported dictionary type: foo"));
    assert_non_null(strstr(out, "warning: open dictionary: expecting \"type:name\" form instead "
                                "of \"nocolon\""));
}

/* Runs FN in a child; returns its exit status and leaves its stderr in *out. */
static int
run_child(void (*fn)(void), const char **out)
{
    pid_t pid;
    int status;

    capture_start();
    if ((pid = fork()) == 0) {
        fn();
        _exit(0);
    }
    waitpid(pid, &status, 0);
    *out = capture_end();
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void
strict_unknown(void)
{
    (void)dict_open_strict("foo:/bar", O_RDONLY, DICT_FLAG_DEFAULT);
}

static void
strict_missing_hash(void)
{
    (void)dict_open_strict("hash:/nonexistent/table", O_RDONLY, DICT_FLAG_DEFAULT);
}

static void
strict_static_empty(void)
{
    (void)dict_open_strict("static:", O_RDONLY, DICT_FLAG_DEFAULT);
}

static void
test_dict_open_strict_is_fatal(void **state)
{
    const char *out;

    (void)state;
    assert_int_equal(run_child(strict_unknown, &out), 1);
    assert_non_null(strstr(out, "fatal: unsupported dictionary type: foo\n"));
    assert_null(strstr(out, "warning"));
    assert_int_equal(run_child(strict_missing_hash, &out), 1);
    assert_non_null(
        strstr(out, "fatal: open database /nonexistent/table.db: No such file or directory\n"));
    assert_int_equal(run_child(strict_static_empty, &out), 1);
    assert_non_null(strstr(out, "fatal: open dictionary: expecting \"type:name\" form instead of "
                                "\"static:\"\n"));
}

static void
test_dict_fold(void **state)
{
    int error;
    char name[600];

    (void)state;
    snprintf(name, sizeof(name), "hash:%s", tpath("fold"));
    /* Built with folding: the stored key is lower case. */
    build_table(name, DICT_FLAG_DEFAULT, "MiXed", "v1", NULL);
    assert_string_equal(lookup_once(name, DICT_FLAG_DEFAULT, "MIXED", &error), "v1");
    assert_string_equal(lookup_once(name, 0, "mixed", &error), "v1");
    assert_null(lookup_once(name, 0, "MiXed", &error)); /* no folding: exact key */
    assert_int_equal(error, DICT_ERR_NONE);
    /* Built without folding: the key keeps its case. */
    build_table(name, 0, "MiXed", "v2", NULL);
    assert_string_equal(lookup_once(name, 0, "MiXed", &error), "v2");
    assert_null(lookup_once(name, DICT_FLAG_DEFAULT, "MiXed", &error));
}

/* ---- Berkeley DB ---- */

/* How many build temporaries (NAME.db.tmp*) of table NAME exist. */
static size_t
db_temp_count(const char *name)
{
    char pattern[700];
    glob_t found;
    size_t count;

    snprintf(pattern, sizeof(pattern), "%s.db.tmp*", tpath(name));
    if (glob(pattern, 0, NULL, &found) != 0)
        return 0;
    count = found.gl_pathc;
    globfree(&found);
    return count;
}

static void
test_db_build_is_atomic(void **state)
{
    char name[600];
    struct dict *dict;
    int error;

    (void)state;
    snprintf(name, sizeof(name), "hash:%s", tpath("atomic"));
    build_table(name, DICT_FLAG_DEFAULT, "old", "1", NULL);
    dict = dict_open(name, O_RDWR | O_CREAT | O_TRUNC, DICT_FLAG_DEFAULT);
    assert_int_equal(db_temp_count("atomic"), 1);
    assert_int_equal(dict_put(dict, "new", "2"), DICT_STAT_SUCCESS);
    /* Until the close, readers see the old table. */
    assert_string_equal(lookup_once(name, DICT_FLAG_DEFAULT, "old", &error), "1");
    assert_null(lookup_once(name, DICT_FLAG_DEFAULT, "new", &error));
    dict_close(dict);
    assert_int_equal(db_temp_count("atomic"), 0);
    assert_string_equal(lookup_once(name, DICT_FLAG_DEFAULT, "new", &error), "2");
    assert_null(lookup_once(name, DICT_FLAG_DEFAULT, "old", &error));

    /* A new table appears only at close. */
    snprintf(name, sizeof(name), "btree:%s", tpath("fresh"));
    dict = dict_open(name, O_RDWR | O_CREAT | O_TRUNC, DICT_FLAG_DEFAULT);
    dict_put(dict, "k", "v");
    assert_false(file_exists(tpath("fresh.db")));
    dict_close(dict);
    assert_true(file_exists(tpath("fresh.db")));

    /* A discarded build leaves nothing behind and the old table intact. */
    snprintf(name, sizeof(name), "hash:%s", tpath("atomic"));
    dict = dict_open(name, O_RDWR | O_CREAT | O_TRUNC, DICT_FLAG_DEFAULT);
    dict_put(dict, "other", "3");
    dict_db_discard(dict);
    assert_int_equal(db_temp_count("atomic"), 0);
    assert_string_equal(lookup_once(name, DICT_FLAG_DEFAULT, "new", &error), "2");
}

/* A rebuild keeps the replaced file's mode and owner; a new file gets 0644 less the umask. */
static void
test_db_rebuild_keeps_mode_and_owner(void **state)
{
    char name[600];
    struct stat st;
    mode_t saved_mask;
    int error;

    (void)state;
    snprintf(name, sizeof(name), "hash:%s", tpath("perm"));
    saved_mask = umask(027);
    build_table(name, DICT_FLAG_DEFAULT, "k", "1", NULL);
    assert_int_equal(stat(tpath("perm.db"), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);

    umask(022);
    assert_int_equal(chmod(tpath("perm.db"), 0600), 0);
    if (geteuid() == 0)
        assert_int_equal(chown(tpath("perm.db"), 65534, 65534), 0);
    build_table(name, DICT_FLAG_DEFAULT, "k", "2", NULL);
    umask(saved_mask);
    assert_int_equal(stat(tpath("perm.db"), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    if (geteuid() == 0) {
        assert_int_equal(st.st_uid, 65534);
        assert_int_equal(st.st_gid, 65534);
    }
    assert_string_equal(lookup_once(name, DICT_FLAG_DEFAULT, "k", &error), "2");
}

static void
exit_during_build(void)
{
    char name[600];
    struct dict *dict;

    msg_init("test_dict", MSG_STDERR);
    snprintf(name, sizeof(name), "hash:%s", tpath("crash"));
    dict = dict_open(name, O_RDWR | O_CREAT | O_TRUNC, DICT_FLAG_DEFAULT);
    dict_put(dict, "a", "b");
    msg_fatal("giving up");
}

static void
test_db_fatal_exit_removes_temporary(void **state)
{
    const char *out;
    char tmp[700];

    (void)state;
    assert_int_equal(run_child(exit_during_build, &out), 1);
    assert_non_null(strstr(out, "fatal: giving up"));
    assert_false(file_exists(tpath("crash.db")));
    snprintf(tmp, sizeof(tmp), "%s/crash.db.", test_dir);
    {
        char cmd[800];

        snprintf(cmd, sizeof(cmd), "ls %s* >/dev/null 2>&1", tmp);
        assert_int_not_equal(system(cmd), 0); /* no temporary file left */
    }
}

static void
test_db_lookup_hit_miss_and_nul(void **state)
{
    char name[600];
    struct dict *dict;
    int error;

    (void)state;
    snprintf(name, sizeof(name), "hash:%s", tpath("nul"));
    build_table(name, DICT_FLAG_DEFAULT, "with", "nul", NULL);
    /* Stored with the NUL: a reader pinned to "no NUL" misses it. */
    assert_string_equal(lookup_once(name, DICT_FLAG_TRY1NULL, "with", &error), "nul");
    assert_null(lookup_once(name, DICT_FLAG_TRY0NULL, "with", &error));
    assert_int_equal(error, DICT_ERR_NONE);
    /* Stored without the NUL (postmap -n): the default reader finds it. */
    build_table(name, DICT_FLAG_TRY0NULL, "without", "nul", NULL);
    assert_null(lookup_once(name, DICT_FLAG_TRY1NULL, "without", &error));
    assert_string_equal(lookup_once(name, DICT_FLAG_DEFAULT, "without", &error), "nul");
    /* The reader remembers the form that worked. */
    dict = dict_open(name, O_RDONLY, DICT_FLAG_DEFAULT);
    assert_true(dict->flags & DICT_FLAG_TRY1NULL);
    assert_string_equal(dict_get(dict, "without"), "nul");
    assert_false(dict->flags & DICT_FLAG_TRY1NULL);
    assert_null(dict_get(dict, "missing"));
    assert_int_equal(dict->error, DICT_ERR_NONE);
    dict_close(dict);
}

static void
test_db_duplicates(void **state)
{
    char name[600];
    struct dict *dict;
    const char *out;
    int error;

    (void)state;
    snprintf(name, sizeof(name), "hash:%s", tpath("dup"));
    capture_start();
    dict = dict_open(name, O_RDWR | O_CREAT | O_TRUNC, DICT_FLAG_DEFAULT);
    assert_int_equal(dict_put(dict, "key", "first"), DICT_STAT_SUCCESS);
    assert_int_equal(dict_put(dict, "KEY", "second"), DICT_STAT_ERROR);
    dict_close(dict);
    out = capture_end();
    {
        char expect[700];

        snprintf(expect, sizeof(expect), "warning: %s: duplicate entry: \"key\"\n",
                 tpath("dup.db"));
        assert_non_null(strstr(out, expect));
    }
    assert_string_equal(lookup_once(name, DICT_FLAG_DEFAULT, "key", &error), "first");

    capture_start();
    dict = dict_open(name, O_RDWR | O_CREAT | O_TRUNC, DICT_FLAG_DUP_IGNORE);
    dict_put(dict, "key", "first");
    assert_int_equal(dict_put(dict, "key", "second"), DICT_STAT_ERROR);
    dict_close(dict);
    assert_string_equal(capture_end(), "");
    assert_string_equal(lookup_once(name, 0, "key", &error), "first");

    dict = dict_open(name, O_RDWR | O_CREAT | O_TRUNC, DICT_FLAG_DUP_REPLACE);
    dict_put(dict, "key", "first");
    assert_int_equal(dict_put(dict, "key", "second"), DICT_STAT_SUCCESS);
    dict_close(dict);
    assert_string_equal(lookup_once(name, 0, "key", &error), "second");
}

static void
test_db_sequence_and_update_in_place(void **state)
{
    char name[600];
    struct dict *dict;
    const char *key;
    const char *value;
    char seen[256] = "";
    int func;
    int error;

    (void)state;
    snprintf(name, sizeof(name), "btree:%s", tpath("seq"));
    build_table(name, DICT_FLAG_DEFAULT, "c", "3", "a", "1", "b", "2", NULL);
    dict = dict_open(name, O_RDONLY, DICT_FLAG_DEFAULT);
    for (func = DICT_SEQ_FUN_FIRST; dict_seq(dict, func, &key, &value) == DICT_STAT_SUCCESS;
         func = DICT_SEQ_FUN_NEXT)
        snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), "%s=%s;", key, value);
    assert_string_equal(seen, "a=1;b=2;c=3;"); /* btree: sorted */
    dict_close(dict);

    /* postmap -d / -i style: open the existing table read-write. */
    dict = dict_open(name, O_RDWR, DICT_FLAG_DEFAULT | DICT_FLAG_LOCK);
    assert_int_equal(dict_del(dict, "B"), DICT_STAT_SUCCESS);
    assert_int_equal(dict_del(dict, "b"), DICT_STAT_ERROR);
    assert_int_equal(dict_put(dict, "d", "4"), DICT_STAT_SUCCESS);
    dict_close(dict);
    assert_null(lookup_once(name, DICT_FLAG_DEFAULT, "b", &error));
    assert_string_equal(lookup_once(name, DICT_FLAG_DEFAULT, "d", &error), "4");

    /* O_CREAT on a table that does not exist yet. */
    snprintf(name, sizeof(name), "hash:%s", tpath("created"));
    dict = dict_open(name, O_RDWR | O_CREAT, DICT_FLAG_DEFAULT | DICT_FLAG_BULK_UPDATE);
    assert_false(dict_is_surrogate(dict));
    dict_put(dict, "k", "v");
    dict_close(dict);
    assert_string_equal(lookup_once(name, DICT_FLAG_DEFAULT, "k", &error), "v");
}

static void
test_db_errors(void **state)
{
    char name[600];
    struct dict *dict;
    const char *out;

    (void)state;
    /* Garbage where a .db should be. */
    write_file(tpath("garbage.db"), "this is not a database\n");
    snprintf(name, sizeof(name), "hash:%s", tpath("garbage"));
    capture_start();
    dict = dict_open(name, O_RDONLY, DICT_FLAG_DEFAULT);
    assert_null(dict_get(dict, "x"));
    assert_int_not_equal(dict->error, DICT_ERR_NONE);
    dict_close(dict);
    out = capture_end();
    assert_non_null(strstr(out, "warning: open database "));
    assert_non_null(strstr(out, "garbage.db: "));
    /* A btree file opened as hash. */
    snprintf(name, sizeof(name), "btree:%s", tpath("kind"));
    build_table(name, DICT_FLAG_DEFAULT, "k", "v", NULL);
    snprintf(name, sizeof(name), "hash:%s", tpath("kind"));
    capture_start();
    dict = dict_open(name, O_RDONLY, DICT_FLAG_DEFAULT);
    assert_true(dict_is_surrogate(dict));
    dict_close(dict);
    (void)capture_end();
}

static void
test_dict_changed(void **state)
{
    char name[600];
    struct dict *dict;
    struct stat st;
    struct timespec times[2];

    (void)state;
    snprintf(name, sizeof(name), "hash:%s", tpath("changed"));
    build_table(name, DICT_FLAG_DEFAULT, "k", "v1", NULL);
    /* Age the file so that a rebuild gets a different mtime. */
    assert_int_equal(stat(tpath("changed.db"), &st), 0);
    times[0].tv_sec = times[1].tv_sec = st.st_mtime - 100;
    times[0].tv_nsec = times[1].tv_nsec = 0;
    assert_int_equal(utimensat(AT_FDCWD, tpath("changed.db"), times, 0), 0);
    dict = dict_open(name, O_RDONLY, DICT_FLAG_DEFAULT);
    assert_false(dict_changed(dict));
    build_table(name, DICT_FLAG_DEFAULT, "k", "v2", NULL);
    assert_true(dict_changed(dict));
    /* The open table still reads the old file (renamed away, not changed). */
    assert_string_equal(dict_get(dict, "k"), "v1");
    dict_close(dict);
}

/* Differential: Debian's postmap, when installed, reads our files and we read its. */
static void
test_db_interop_with_postfix(void **state)
{
    char cmd[2048];
    char name[600];
    FILE *fp;
    char line[256] = "";
    int error;

    (void)state;
    if (access("/usr/sbin/postmap", X_OK) != 0)
        skip();
    mkdir(tpath("pfconf"), 0755);
    write_file(tpath("pfconf/main.cf"), "");
    write_file(tpath("theirs"), "Alpha one\nbeta two words\n# comment\ngamma\tthree\n");
    {
        char conf[600];

        snprintf(conf, sizeof(conf), "%s", tpath("pfconf"));
        snprintf(cmd, sizeof(cmd), "/usr/sbin/postmap -c %s hash:%s 2>/dev/null", conf,
                 tpath("theirs"));
    }
    assert_int_equal(system(cmd), 0);
    snprintf(name, sizeof(name), "hash:%s", tpath("theirs"));
    assert_string_equal(lookup_once(name, DICT_FLAG_DEFAULT, "ALPHA", &error), "one");
    assert_string_equal(lookup_once(name, DICT_FLAG_DEFAULT, "beta", &error), "two words");
    assert_string_equal(lookup_once(name, DICT_FLAG_DEFAULT, "gamma", &error), "three");
    assert_null(lookup_once(name, DICT_FLAG_DEFAULT, "comment", &error));

    snprintf(name, sizeof(name), "hash:%s", tpath("ours"));
    build_table(name, DICT_FLAG_DEFAULT, "Mixed", "value with spaces", NULL);
    {
        char conf[600];
        char table[600];

        snprintf(conf, sizeof(conf), "%s", tpath("pfconf"));
        snprintf(table, sizeof(table), "%s", tpath("ours"));
        snprintf(cmd, sizeof(cmd), "/usr/sbin/postmap -c %s -q MIXED hash:%s", conf, table);
    }
    fp = popen(cmd, "r");
    assert_non_null(fp);
    assert_non_null(fgets(line, sizeof(line), fp));
    assert_int_equal(pclose(fp), 0);
    assert_string_equal(line, "value with spaces\n");
}

/* ---- texthash ---- */

static void
test_texthash(void **state)
{
    char name[600];
    struct dict *dict;
    const char *out;
    char expect[800];

    (void)state;
    write_file(tpath("text"), "# comment\nKey1 value one\n  continued\nnovalue\nkey1 dup\n"
                              "key2: v\nB x\nB y\n");
    snprintf(name, sizeof(name), "texthash:%s", tpath("text"));
    capture_start();
    dict = dict_open(name, O_RDONLY, DICT_FLAG_DEFAULT);
    out = capture_end();
    assert_string_equal(dict_get(dict, "KEY1"), "value one  continued");
    assert_string_equal(dict_get(dict, "b"), "x");
    assert_string_equal(dict_get(dict, "key2:"), "v");
    assert_null(dict_get(dict, "novalue"));
    assert_int_equal(dict->error, DICT_ERR_NONE);
    dict_close(dict);
    snprintf(expect, sizeof(expect),
             "warning: %s, line 4: expected format: key whitespace value -- ignoring this line\n",
             tpath("text"));
    assert_non_null(strstr(out, expect));
    snprintf(expect, sizeof(expect), "warning: %s, line 5: duplicate entry: \"key1\"\n",
             tpath("text"));
    assert_non_null(strstr(out, expect));
    snprintf(expect, sizeof(expect), "warning: %s, line 8: duplicate entry: \"B\"\n",
             tpath("text"));
    assert_non_null(strstr(out, expect));
    snprintf(expect, sizeof(expect),
             "warning: %s, line 6: record is in \"key: value\" format; is this an alias file?\n",
             tpath("text"));
    assert_non_null(strstr(out, expect));

    /* Replace and no folding. */
    capture_start();
    dict = dict_open(name, O_RDONLY, DICT_FLAG_DUP_REPLACE);
    (void)capture_end();
    assert_string_equal(dict_get(dict, "B"), "y");
    assert_null(dict_get(dict, "b"));
    assert_string_equal(dict_get(dict, "key1"), "dup");
    assert_string_equal(dict_get(dict, "Key1"), "value one  continued");
    dict_close(dict);

    /* Missing file; write access. */
    capture_start();
    dict = dict_open("texthash:/nonexistent/file", O_RDONLY, DICT_FLAG_DEFAULT);
    assert_null(dict_get(dict, "x"));
    assert_int_equal(dict->error, DICT_ERR_CONFIG);
    dict_close(dict);
    dict = dict_open(name, O_RDWR, DICT_FLAG_DEFAULT);
    assert_true(dict_is_surrogate(dict));
    dict_close(dict);
    out = capture_end();
    assert_non_null(
        strstr(out, "warning: open database /nonexistent/file: No such file or directory\n"));
    assert_non_null(strstr(out, "map requires O_RDONLY access mode"));
}

static void
test_texthash_sequence(void **state)
{
    char name[600];
    struct dict *dict;
    const char *key;
    const char *value;
    char seen[256] = "";
    int func;

    (void)state;
    write_file(tpath("seqtext"), "z 1\na 2\nm 3\n");
    snprintf(name, sizeof(name), "texthash:%s", tpath("seqtext"));
    dict = dict_open(name, O_RDONLY, DICT_FLAG_DEFAULT);
    for (func = DICT_SEQ_FUN_FIRST; dict_seq(dict, func, &key, &value) == DICT_STAT_SUCCESS;
         func = DICT_SEQ_FUN_NEXT)
        snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), "%s=%s;", key, value);
    assert_string_equal(seen, "z=1;a=2;m=3;");
    dict_close(dict);
}

/* ---- inline, static ---- */

struct inline_case {
    const char *spec;
    const char *key;
    const char *value; /* NULL: not found */
    const char *error; /* surrogate reason, or NULL */
};

static const struct inline_case inline_cases[] = {
    {"inline:{foo=bar, {baz = a b c }, x=}", "baz", "a b c", NULL},
    {"inline:{foo=bar, {baz = a b c }, x=}", "FOO", "bar", NULL},
    {"inline:{foo=bar, {baz = a b c }, x=}", "x", "", NULL},
    {"inline:{{ foo = bar }}", "foo", "bar", NULL},
    {"inline:{ {foo=a, b} }", "foo", "a, b", NULL},
    {"inline:{foo=a,,bar=b}", "bar", "b", NULL},
    {"inline:{a=1,A=2}", "a", "2", NULL},
    {"inline:{a==b}", "a", "=b", NULL},
    {"inline:{ { foo = { x } } }", "foo", "{ x }", NULL},
    {"inline:{ a={b} }", "a", "{b}", NULL},
    {"inline:{ {\"a b\"=c} }", "\"a b\"", "c", NULL},
    {"inline:{ {\"a b\"=c} }", "a b", NULL, NULL},
    {"inline:{ x=a\\, }", "x", "a\\", NULL},
    {"inline:{ {=b} }", "a", NULL, NULL}, /* an empty key is accepted */
    {"inline:{ foo = bar }", "foo", NULL,
     "missing '=' after attribute name: \"inline:{ foo = bar }\"; "
     "need \"inline:{name=value...}\""},
    {"inline:foo=bar", "foo", NULL, "bad syntax: \"inline:foo=bar\""},
    {"inline:{foo=bar", "foo", NULL, "bad syntax: \"inline:{foo=bar\""},
    {"inline:{foo=bar}junk", "foo", NULL, "bad syntax: "},
    {"inline:{a=b}{c=d}", "a", NULL, "bad syntax: "},
    {"inline:{}", "a", NULL, "bad syntax: \"inline:{}\""},
    {"inline:{ }", "a", NULL, "empty table: \"inline:{ }\""},
    {"inline:{,}", "a", NULL, "empty table: "},
    {"inline:{ {a=b}x }", "a", NULL, "syntax error after '}' in \"{a=b}x\": \"inline:{ {a=b}x }\""},
    {"inline:{ {} }", "a", NULL, "no key found; expected format: key = value: "},
    {"inline:{ {\"x=c} }", "x", NULL, "unbalanced '\"': "},
    {"static:value", "anything", "value", NULL},
    {"static:  a b ", "k", "  a b ", NULL},
    {"static:{ a b }", "k", "a b", NULL},
    {"static:{ }", "k", "", NULL},
    {"static:{a", "k", NULL, "bad static:name syntax: missing '}' in \"{a\""},
    {"static:{a}b", "k", NULL, "bad static:name syntax: syntax error after '}' in \"{a}b\""},
};

static void
test_inline_and_static(void **state)
{
    const struct inline_case *ic;
    struct dict *dict;
    const char *value;
    const char *out;

    (void)state;
    for (ic = inline_cases; ic < inline_cases + sizeof(inline_cases) / sizeof(*ic); ic++) {
        char got[256];
        int error;
        int surrogate;

        capture_start();
        dict = dict_open(ic->spec, O_RDONLY, DICT_FLAG_DEFAULT);
        value = dict_get(dict, ic->key);
        snprintf(got, sizeof(got), "%s", value ? value : "(none)");
        error = dict->error;
        surrogate = dict_is_surrogate(dict);
        dict_close(dict);
        out = capture_end();
        if (strcmp(got, ic->value ? ic->value : "(none)") != 0)
            fail_msg("%s: key \"%s\": got \"%s\" (%s)", ic->spec, ic->key, got, out);
        assert_int_equal(error, ic->error ? DICT_ERR_CONFIG : DICT_ERR_NONE);
        assert_int_equal(surrogate, ic->error != NULL);
        if (ic->error) {
            if (strstr(out, ic->error) == NULL)
                fail_msg("%s: expected \"%s\" in \"%s\"", ic->spec, ic->error, out);
        } else {
            assert_string_equal(out, "");
        }
    }
    capture_start();
    dict = dict_open("inline:{a=b}", O_RDWR, DICT_FLAG_DEFAULT);
    assert_true(dict_is_surrogate(dict));
    dict_close(dict);
    assert_non_null(strstr(capture_end(), "inline:{a=b} map requires O_RDONLY access mode"));
}

/* ---- unix, fail, environ ---- */

static void
test_unix(void **state)
{
    struct dict *dict;
    const char *value;

    (void)state;
    dict = dict_open("unix:passwd.byname", O_RDONLY, DICT_FLAG_DEFAULT);
    value = dict_get(dict, "ROOT");
    assert_non_null(value);
    assert_true(strncmp(value, "root:", 5) == 0);
    assert_non_null(strstr(value, ":0:0:"));
    assert_null(dict_get(dict, "no-such-user-tern"));
    assert_int_equal(dict->error, DICT_ERR_NONE);
    dict_close(dict);
    dict = dict_open("unix:group.byname", O_RDONLY, DICT_FLAG_DEFAULT);
    value = dict_get(dict, "root");
    assert_non_null(value);
    assert_true(strncmp(value, "root:", 5) == 0);
    assert_non_null(strstr(value, ":0:"));
    dict_close(dict);
    capture_start();
    dict = dict_open("unix:foo", O_RDONLY, DICT_FLAG_DEFAULT);
    assert_true(dict_is_surrogate(dict));
    dict_close(dict);
    assert_non_null(strstr(capture_end(), "warning: unknown table: unix:foo\n"));
}

static void
test_fail_and_environ(void **state)
{
    struct dict *dict;
    const char *key;
    const char *value;

    (void)state;
    dict = dict_open("fail:stop", O_RDONLY, DICT_FLAG_DEFAULT);
    assert_false(dict_is_surrogate(dict));
    assert_null(dict_get(dict, "x"));
    assert_int_equal(dict->error, DICT_ERR_RETRY);
    assert_int_equal(dict_seq(dict, DICT_SEQ_FUN_FIRST, &key, &value), DICT_STAT_FAIL);
    assert_int_equal(dict->error, DICT_ERR_RETRY);
    dict_close(dict);

    setenv("TERN_TEST_VAR", "env value", 1);
    setenv("tern_test_lower", "lower", 1);
    dict = dict_open("environ:environ", O_RDONLY, 0);
    assert_string_equal(dict_get(dict, "TERN_TEST_VAR"), "env value");
    assert_null(dict_get(dict, "TERN_NO_SUCH_VAR"));
    dict_close(dict);
    dict = dict_open("environ:environ", O_RDONLY, DICT_FLAG_DEFAULT);
    assert_null(dict_get(dict, "TERN_TEST_VAR")); /* folded to lower case */
    assert_string_equal(dict_get(dict, "TERN_TEST_LOWER"), "lower");
    dict_close(dict);
}

/* ---- dict_source ---- */

struct collected {
    char text[4096];
};

static int
collect(void *context, const char *key, const char *value, int lineno)
{
    struct collected *col = context;
    size_t len = strlen(col->text);

    snprintf(col->text + len, sizeof(col->text) - len, "%d[%s][%s]\n", lineno, key, value);
    return 0;
}

static const char *
read_source(const char *text, int flags, const char **warnings)
{
    static struct collected col;
    struct vstream *fp;

    write_file(tpath("source"), text);
    fp = vstream_fopen(tpath("source"), O_RDONLY, 0);
    assert_non_null(fp);
    col.text[0] = 0;
    capture_start();
    assert_int_equal(dict_source_read(fp, flags, collect, &col), 0);
    *warnings = capture_end();
    vstream_close(fp);
    return col.text;
}

static void
test_source_table_syntax(void **state)
{
    const char *warnings;
    const char *got;
    char expect[800];

    (void)state;
    got = read_source("  lead v\n# c\nKey  Value  words  \n\tmore\n\nnovalue\nk2: v\nk3\tx\n",
                      DICT_SOURCE_FLAG_FOLD, &warnings);
    assert_string_equal(got, "3[key][Value  words  \tmore]\n7[k2:][v]\n8[k3][x]\n");
    snprintf(expect, sizeof(expect), "%s, line 6: expected format: key whitespace value\n",
             tpath("source"));
    assert_non_null(strstr(warnings, expect));
    assert_null(strstr(warnings, "ignoring"));
    snprintf(expect, sizeof(expect), "%s, line 7: record is in \"key: value\" format",
             tpath("source"));
    assert_non_null(strstr(warnings, expect));
    snprintf(expect, sizeof(expect),
             "%s: logical line must not start with whitespace: \"  lead v\"", tpath("source"));
    assert_non_null(strstr(warnings, expect));
}

static int
stop_at_second(void *context, const char *key, const char *value, int lineno)
{
    int *count = context;

    (void)key;
    (void)value;
    (void)lineno;
    return ++*count == 2 ? 7 : 0;
}

static void
test_source_stop(void **state)
{
    struct vstream *fp;
    int count = 0;

    (void)state;
    write_file(tpath("stop"), "a 1\nb 2\nc 3\n");
    fp = vstream_fopen(tpath("stop"), O_RDONLY, 0);
    assert_int_equal(dict_source_read(fp, 0, stop_at_second, &count), 7);
    assert_int_equal(count, 2);
    vstream_close(fp);
}

/* Expected results from Debian's postalias on the same lines. */
static void
test_source_alias_syntax(void **state)
{
    const char *warnings;
    const char *got;

    (void)state;
    got = read_source("root: a, b\n  c\nnocolon\n\"a b\": x\nUPPER: Y\n: empty\nempty:\n"
                      "\"unterminated: z\nx : y\n\"q\"x: w\n\"esc\\\"aped\": v\n",
                      DICT_SOURCE_FLAG_ALIAS, &warnings);
    assert_string_equal(got, "1[root][a, b c]\n4[a b][x]\n5[UPPER][Y]\n9[x][y]\n10[q x][w]\n"
                             "11[esc\"aped][v]\n");
    assert_non_null(strstr(warnings, "line 3: need name:value pair\n"));
    assert_non_null(strstr(warnings, "line 6: need name:value pair\n"));
    assert_non_null(strstr(warnings, "line 7: need name:value pair\n"));
    assert_non_null(strstr(warnings, "line 8: need name:value pair\n"));

    got = read_source("x: \"|cmd  arg\", /file,   :include:/p ,  a  ,b   \n"
                      "y:   a   b\tc\n  d\nz: a(comment) <b@c> \"q  q\"  \nw: a,\n\tb\n",
                      DICT_SOURCE_FLAG_ALIAS, &warnings);
    assert_string_equal(got, "1[x][\"|cmd  arg\", /file, :include:/p, a, b]\n2[y][a b c d]\n"
                             "4[z][a (comment) <b@c>\"q  q\"]\n5[w][a, b]\n");

    got = read_source("a@b: x\na%b: x\n\"\": x\nx1: \"\"\nx2: b: c\nx3: a\\,b\n"
                      "x4: [1.2.3.4] (c (nested) \\) x) \"q\\\"q\"\nx5 x6: y\nx7: |cmd arg\n"
                      "x8: a\\ b\n<x9>: y\nx10: y\\\nx11 (c): y\nx12: \\\"q\na, b: c\n",
                      DICT_SOURCE_FLAG_ALIAS, &warnings);
    assert_string_equal(got, "3[][x]\n4[x1][\"\"]\n5[x2][b:c]\n6[x3][\"a,b\"]\n"
                             "7[x4][[1.2.3.4] (c (nested) \\) x) \"q\\\"q\"]\n8[x5 x6][y]\n"
                             "9[x7][|cmd arg]\n10[x8][\"a b\"]\n11[<x9>][y]\n12[x10][y]\n"
                             "13[x11 (c)][y]\n14[x12][\"\\\"q\"]\n");
    assert_non_null(strstr(warnings, "line 1: name must be local\n"));
    assert_non_null(strstr(warnings, "line 2: name must be local\n"));
    assert_non_null(strstr(warnings, "line 15: need name:value pair\n"));
}

static int
setup(void **state)
{
    (void)state;
    msg_init("test_dict", MSG_STDERR);
    if (mkdtemp(test_dir) == NULL)
        return -1;
    return 0;
}

static int
teardown(void **state)
{
    char cmd[600];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", test_dir);
    return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dict_type_list),
        cmocka_unit_test(test_dict_open_unknown_type),
        cmocka_unit_test(test_dict_open_strict_is_fatal),
        cmocka_unit_test(test_dict_fold),
        cmocka_unit_test(test_db_build_is_atomic),
        cmocka_unit_test(test_db_fatal_exit_removes_temporary),
        cmocka_unit_test(test_db_rebuild_keeps_mode_and_owner),
        cmocka_unit_test(test_db_lookup_hit_miss_and_nul),
        cmocka_unit_test(test_db_duplicates),
        cmocka_unit_test(test_db_sequence_and_update_in_place),
        cmocka_unit_test(test_db_errors),
        cmocka_unit_test(test_dict_changed),
        cmocka_unit_test(test_db_interop_with_postfix),
        cmocka_unit_test(test_texthash),
        cmocka_unit_test(test_texthash_sequence),
        cmocka_unit_test(test_inline_and_static),
        cmocka_unit_test(test_unix),
        cmocka_unit_test(test_fail_and_environ),
        cmocka_unit_test(test_source_table_syntax),
        cmocka_unit_test(test_source_stop),
        cmocka_unit_test(test_source_alias_syntax),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
