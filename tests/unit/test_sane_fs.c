/*
 * test_sane_fs - lib/util/sane_fs: fsync helpers, mkdir_p, the local-disk
 * behaviour of sane_rename/sane_link, and atomic replacement of a file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "util/sane_fs.h"
#include "util/vstring.h"
#include "util_test_helpers.h"

static mode_t
mode_of(const char *path)
{
    struct stat st;

    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 07777;
}

/* Number of directory entries (other than . and ..) whose name starts with prefix. */
static int
count_entries(const char *dir, const char *prefix)
{
    DIR *dp = opendir(dir);
    struct dirent *de;
    int count = 0;

    assert_non_null(dp);
    while ((de = readdir(dp)) != NULL)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
            strncmp(de->d_name, prefix, strlen(prefix)) == 0)
            count++;
    closedir(dp);
    return count;
}

static void
test_fsync_helpers(void **state)
{
    (void)state;
    test_write_file(test_path("f"), "data\n", 0644);
    assert_int_equal(fsync_path(test_path("f")), 0);
    assert_int_equal(fsync_path(test_dir), 0);
    assert_int_equal(fsync_dir(test_dir), 0);
    assert_int_equal(fsync_parent(test_path("f")), 0);
    assert_int_equal(fsync_parent(test_path("f/")), 0);
    assert_int_equal(fsync_dir(test_path("f")), -1);
    assert_int_equal(errno, ENOTDIR);
    assert_int_equal(fsync_path(test_path("missing")), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(fsync_parent(test_path("missing/deeper")), -1);
    assert_int_equal(errno, ENOENT);
}

static void
test_mkdir_p(void **state)
{
    mode_t old_umask = umask(077);

    (void)state;
    assert_int_equal(mkdir(test_path("a"), 0700), 0);
    assert_int_equal(mkdir_p(test_path("a/b//c/d/"), 0755), 0);
    assert_int_equal(mode_of(test_path("a")), 0700);   /* existing: left alone */
    assert_int_equal(mode_of(test_path("a/b")), 0755); /* new: exact mode, no umask */
    assert_int_equal(mode_of(test_path("a/b/c/d")), 0755);
    assert_int_equal(mkdir_p(test_path("a/b/c"), 0700), 0); /* already there */
    assert_int_equal(mode_of(test_path("a/b/c")), 0755);
    test_write_file(test_path("file"), "x", 0644);
    assert_int_equal(mkdir_p(test_path("file/sub"), 0755), -1);
    assert_int_equal(errno, ENOTDIR);
    assert_int_equal(mkdir_p(test_path("file"), 0755), -1);
    assert_int_equal(errno, ENOTDIR);
    assert_int_equal(mkdir_p("", 0755), -1);
    assert_int_equal(errno, ENOENT);
    umask(old_umask);
}

static void
test_rename_and_link_on_local_disk(void **state)
{
    char buf[64];

    (void)state;
    test_write_file(test_path("from"), "one", 0644);
    assert_int_equal(sane_rename(test_path("from"), test_path("to")), 0);
    assert_string_equal(test_read_file(test_path("to"), buf, sizeof(buf)), "one");
    /* Source gone, target present: on a local disk that is a lost race, not success. */
    assert_int_equal(sane_rename(test_path("from"), test_path("to")), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(sane_link(test_path("to"), test_path("link")), 0);
    assert_int_equal(sane_link(test_path("to"), test_path("link")), -1);
    assert_int_equal(errno, EEXIST);
}

static void
test_safe_replace_commit(void **state)
{
    struct vstring *why = vstring_alloc(100);
    struct safe_replace *sr;
    char buf[64];

    (void)state;
    test_write_file(test_path("main.cf"), "old\n", 0640);
    sr = safe_replace_open(test_path("main.cf"), 0600, SAFE_REPLACE_KEEP_MODE, why);
    assert_non_null(sr);
    assert_int_equal(strncmp(safe_replace_tmp_path(sr), test_path("main.cf.tmp"),
                             strlen(test_path("main.cf.tmp"))),
                     0);
    assert_int_equal(write(safe_replace_fd(sr), "new\n", 4), 4);
    /* Until the commit, readers see the old file. */
    assert_string_equal(test_read_file(test_path("main.cf"), buf, sizeof(buf)), "old\n");
    assert_int_equal(count_entries(test_dir, "main.cf.tmp"), 1);
    assert_int_equal(safe_replace_commit(sr, why), 0);
    assert_string_equal(test_read_file(test_path("main.cf"), buf, sizeof(buf)), "new\n");
    assert_int_equal(mode_of(test_path("main.cf")), 0640);
    assert_int_equal(count_entries(test_dir, "main.cf.tmp"), 0);

    sr = safe_replace_open(test_path("fresh.db"), 0644, SAFE_REPLACE_KEEP_MODE, why);
    assert_non_null(sr);
    assert_int_equal(safe_replace_commit(sr, why), 0);
    assert_int_equal(mode_of(test_path("fresh.db")), 0644); /* no old file: given mode */
    vstring_free(why);
}

static void
test_safe_replace_abort_and_failures(void **state)
{
    struct vstring *why = vstring_alloc(100);
    struct safe_replace *sr;
    char buf[64];

    (void)state;
    test_write_file(test_path("table"), "keep\n", 0644);
    sr = safe_replace_open(test_path("table"), 0600, 0, why);
    assert_non_null(sr);
    assert_int_equal(write(safe_replace_fd(sr), "junk", 4), 4);
    safe_replace_abort(sr);
    assert_string_equal(test_read_file(test_path("table"), buf, sizeof(buf)), "keep\n");
    assert_int_equal(count_entries(test_dir, "table.tmp"), 0);

    assert_null(safe_replace_open(test_path("nodir/x"), 0644, 0, why));
    assert_int_equal(errno, ENOENT);
    assert_non_null(strstr(vstring_str(why), "create file "));
    assert_non_null(strstr(vstring_str(why), "nodir/x.tmp"));

    /* A directory cannot be replaced by a file: commit fails, nothing is left behind. */
    assert_int_equal(mkdir(test_path("dir"), 0755), 0);
    assert_int_equal(mkdir(test_path("dir/sub"), 0755), 0);
    sr = safe_replace_open(test_path("dir"), 0644, 0, why);
    assert_non_null(sr);
    assert_int_equal(safe_replace_commit(sr, why), -1);
    assert_non_null(strstr(vstring_str(why), "rename file "));
    assert_int_equal(count_entries(test_dir, "dir.tmp"), 0);
    assert_int_equal(mode_of(test_path("dir/sub")), 0755);
    vstring_free(why);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fsync_helpers, test_dir_setup, test_dir_teardown),
        cmocka_unit_test_setup_teardown(test_mkdir_p, test_dir_setup, test_dir_teardown),
        cmocka_unit_test_setup_teardown(test_rename_and_link_on_local_disk, test_dir_setup,
                                        test_dir_teardown),
        cmocka_unit_test_setup_teardown(test_safe_replace_commit, test_dir_setup,
                                        test_dir_teardown),
        cmocka_unit_test_setup_teardown(test_safe_replace_abort_and_failures, test_dir_setup,
                                        test_dir_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
