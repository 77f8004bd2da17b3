/*
 * test_safe_open - lib/util/safe_open: files are created and appended to,
 * and every trap is refused without touching its target: symbolic links
 * (dangling or not), hard links, directories, FIFOs, wrong owners, a
 * truncating open of a refused file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "util/msg.h"
#include "util/safe_open.h"
#include "util/vstring.h"
#include "util_test_helpers.h"

#define APPEND (O_WRONLY | O_APPEND)

static void
test_create_then_append(void **state)
{
    struct stat st;
    char buf[64];
    int fd;

    (void)state;
    fd = safe_open(test_path("mbox"), APPEND | O_CREAT, 0600, &st, (uid_t)-1, (gid_t)-1, why);
    assert_true(fd >= 0);
    assert_true(S_ISREG(st.st_mode));
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    assert_false(fcntl(fd, F_GETFL) & O_NONBLOCK);
    assert_int_equal(write(fd, "one\n", 4), 4);
    close(fd);
    fd = safe_open(test_path("mbox"), APPEND | O_CREAT, 0600, &st, (uid_t)-1, (gid_t)-1, why);
    assert_true(fd >= 0);
    assert_int_equal(st.st_size, 4);
    assert_int_equal(write(fd, "two\n", 4), 4);
    close(fd);
    assert_string_equal(test_read_file(test_path("mbox"), buf, sizeof(buf)), "one\ntwo\n");

    assert_int_equal(safe_open(test_path("mbox"), APPEND | O_CREAT | O_EXCL, 0600, NULL, (uid_t)-1,
                               (gid_t)-1, why),
                     -1);
    assert_int_equal(errno, EEXIST);
    assert_string_equal(vstring_str(why), "cannot create file exclusively: File exists");
    assert_int_equal(safe_open(test_path("absent"), APPEND, 0, NULL, (uid_t)-1, (gid_t)-1, why),
                     -1);
    assert_int_equal(errno, ENOENT);
    assert_string_equal(vstring_str(why), "cannot open file: No such file or directory");
}

static void
test_created_file_gets_owner(void **state)
{
    struct stat st;
    int fd;

    (void)state;
    if (geteuid() != 0)
        skip();
    fd = safe_open(test_path("owned"), APPEND | O_CREAT, 0600, &st, 65534, 65534, why);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(stat(test_path("owned"), &st), 0);
    assert_int_equal(st.st_uid, 65534);
    assert_int_equal(st.st_gid, 65534);
}

static void
test_symlinks_refused(void **state)
{
    char buf[64];
    struct stat st;

    (void)state;
    test_write_file(test_path("victim"), "secret\n", 0644);
    assert_int_equal(symlink(test_path("victim"), test_path("link")), 0);
    assert_int_equal(
        safe_open(test_path("link"), APPEND | O_CREAT, 0600, NULL, (uid_t)-1, (gid_t)-1, why), -1);
    assert_int_equal(errno, EPERM);
    assert_string_equal(vstring_str(why), "file is a symbolic link");
    assert_string_equal(test_read_file(test_path("victim"), buf, sizeof(buf)), "secret\n");

    /* A dangling link must not make safe_open create the file it points to. */
    assert_int_equal(symlink(test_path("planted"), test_path("dangling")), 0);
    assert_int_equal(
        safe_open(test_path("dangling"), APPEND | O_CREAT, 0600, NULL, (uid_t)-1, (gid_t)-1, why),
        -1);
    assert_int_equal(lstat(test_path("planted"), &st), -1);
    assert_int_equal(errno, ENOENT);
}

static void
test_hard_links_refused_and_never_truncated(void **state)
{
    char buf[64];

    (void)state;
    test_write_file(test_path("victim"), "precious\n", 0644);
    assert_int_equal(link(test_path("victim"), test_path("hard")), 0);
    assert_int_equal(safe_open(test_path("hard"), O_WRONLY | O_TRUNC | O_CREAT, 0600, NULL,
                               (uid_t)-1, (gid_t)-1, why),
                     -1);
    assert_int_equal(errno, EPERM);
    assert_string_equal(vstring_str(why), "file has 2 hard links");
    assert_string_equal(test_read_file(test_path("victim"), buf, sizeof(buf)), "precious\n");
}

static void
test_truncate_after_checks(void **state)
{
    struct stat st;
    char buf[64];
    int fd;

    (void)state;
    test_write_file(test_path("plain"), "old contents\n", 0644);
    fd = safe_open(test_path("plain"), O_WRONLY | O_TRUNC, 0, &st, (uid_t)-1, (gid_t)-1, why);
    assert_true(fd >= 0);
    assert_int_equal(st.st_size, 0);
    close(fd);
    assert_string_equal(test_read_file(test_path("plain"), buf, sizeof(buf)), "");
}

static void
test_special_files_refused(void **state)
{
    long long start;

    (void)state;
    assert_int_equal(mkdir(test_path("dir"), 0755), 0);
    assert_int_equal(safe_open(test_path("dir"), O_RDONLY, 0, NULL, (uid_t)-1, (gid_t)-1, why), -1);
    assert_int_equal(errno, EISDIR);
    assert_string_equal(vstring_str(why), "file is a directory");

    /* A FIFO with no reader would block a normal open forever. */
    assert_int_equal(mkfifo(test_path("fifo"), 0666), 0);
    start = test_now_ms();
    assert_int_equal(
        safe_open(test_path("fifo"), O_RDWR | O_APPEND, 0, NULL, (uid_t)-1, (gid_t)-1, why), -1);
    assert_string_equal(vstring_str(why), "file is not a regular file");
    assert_int_equal(safe_open(test_path("fifo"), APPEND, 0, NULL, (uid_t)-1, (gid_t)-1, why), -1);
    assert_true(test_now_ms() - start < 1000);
    assert_int_equal(safe_open("/dev/null", O_WRONLY, 0, NULL, (uid_t)-1, (gid_t)-1, why), -1);
    assert_string_equal(vstring_str(why), "file is not a regular file");
}

static void
test_owner_check(void **state)
{
    uid_t other = getuid() + 1;
    int fd;

    (void)state;
    test_write_file(test_path("mine"), "x", 0644);
    assert_int_equal(safe_open_owned(test_path("mine"), APPEND, 0, NULL, other, (gid_t)-1, why),
                     -1);
    assert_int_equal(errno, EPERM);
    assert_non_null(strstr(vstring_str(why), "file has wrong owner"));
    fd = safe_open_owned(test_path("mine"), APPEND, 0, NULL, getuid(), (gid_t)-1, why);
    assert_true(fd >= 0);
    close(fd);
    /* Plain safe_open does not care who owns an existing file. */
    fd = safe_open(test_path("mine"), APPEND, 0, NULL, other, (gid_t)-1, why);
    assert_true(fd >= 0);
    close(fd);
}

static void
test_excl_without_creat_panics(void **state)
{
    pid_t pid;
    int status;

    (void)state;
    if ((pid = fork()) == 0) {
        struct rlimit no_core = {0, 0};

        (void)setrlimit(RLIMIT_CORE, &no_core); /* the abort is expected: no core file */
        msg_set_sinks(0);
        (void)safe_open(test_path("x"), O_WRONLY | O_EXCL, 0, NULL, (uid_t)-1, (gid_t)-1, why);
        _exit(0);
    }
    status = test_wait_child(pid, 5000);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_then_append, test_why_setup, test_why_teardown),
        cmocka_unit_test_setup_teardown(test_created_file_gets_owner, test_why_setup,
                                        test_why_teardown),
        cmocka_unit_test_setup_teardown(test_symlinks_refused, test_why_setup, test_why_teardown),
        cmocka_unit_test_setup_teardown(test_hard_links_refused_and_never_truncated, test_why_setup,
                                        test_why_teardown),
        cmocka_unit_test_setup_teardown(test_truncate_after_checks, test_why_setup,
                                        test_why_teardown),
        cmocka_unit_test_setup_teardown(test_special_files_refused, test_why_setup,
                                        test_why_teardown),
        cmocka_unit_test_setup_teardown(test_owner_check, test_why_setup, test_why_teardown),
        cmocka_unit_test_setup_teardown(test_excl_without_creat_panics, test_why_setup,
                                        test_why_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
