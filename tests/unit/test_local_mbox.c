/*
 * test_local_mbox - unit tests for lib/mail/mbox_open.c: the
 * mailbox_delivery_lock names, a new mailbox's mode, the dot lock held
 * while the mailbox is open and removed by mbox_release, a busy dot lock
 * or fcntl lock giving 4.2.0 without leaving any lock behind, an
 * unwritable directory with and without MBOX_DOT_LOCK_MAY_FAIL, and a
 * symbolic link refused with safe_open's reason.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "mail/mbox_open.h"
#include "util/msg.h"
#include "util/myflock.h"
#include "util/vstring.h"
#include "util_test_helpers.h"

static void
test_lock_mask(void **state)
{
    (void)state;
    assert_int_equal(mbox_lock_mask("fcntl, dotlock"), MBOX_FCNTL_LOCK | MBOX_DOT_LOCK);
    assert_int_equal(mbox_lock_mask("flock"), MBOX_FLOCK_LOCK);
    assert_int_equal(mbox_lock_mask(""), 0);
    assert_int_equal(mbox_lock_mask("fcntl, lockf"), -1);
}

static void
test_open_creates_and_locks(void **state)
{
    struct vstring *dsn = vstring_alloc(10), *why = vstring_alloc(10);
    const char *path = test_path("box");
    char lock[600];
    struct stat st;
    struct mbox *mp;

    (void)state;
    snprintf(lock, sizeof(lock), "%s.lock", path);
    mp = mbox_open(path, O_WRONLY | O_APPEND | O_CREAT, 0600, &st, (uid_t)-1, (gid_t)-1,
                   MBOX_FCNTL_LOCK | MBOX_DOT_LOCK | MBOX_FLOCK_LOCK, "5.2.0", dsn, why);
    assert_non_null(mp);
    assert_int_equal(mp->locked, MBOX_FCNTL_LOCK | MBOX_DOT_LOCK | MBOX_FLOCK_LOCK);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(access(lock, F_OK), 0);
    mbox_release(mp);
    assert_int_equal(access(lock, F_OK), -1);
    vstring_free(dsn);
    vstring_free(why);
}

static void
test_busy_dotlock_defers(void **state)
{
    struct vstring *dsn = vstring_alloc(10), *why = vstring_alloc(10);
    const char *path = test_path("box");
    char lock[600];

    (void)state;
    snprintf(lock, sizeof(lock), "%s.lock", path);
    test_write_file(lock, "", 0644);
    assert_null(mbox_open(path, O_WRONLY | O_APPEND | O_CREAT, 0600, NULL, (uid_t)-1, (gid_t)-1,
                          MBOX_DOT_LOCK, "5.2.0", dsn, why));
    assert_string_equal(vstring_str(dsn), "4.2.0");
    assert_non_null(strstr(vstring_str(why), "unable to create lock file"));
    assert_int_equal(access(lock, F_OK), 0);  /* not ours: left alone */
    assert_int_equal(access(path, F_OK), -1); /* nothing created */
    vstring_free(dsn);
    vstring_free(why);
}

static void
test_busy_fcntl_lock_defers(void **state)
{
    struct vstring *dsn = vstring_alloc(10), *why = vstring_alloc(10);
    const char *path = test_path("box");
    char lock[600];
    int pipefd[2];
    pid_t pid;
    char ch;

    (void)state;
    snprintf(lock, sizeof(lock), "%s.lock", path);
    test_write_file(path, "", 0600);
    assert_int_equal(pipe(pipefd), 0);
    if ((pid = fork()) == 0) {
        int fd = open(path, O_RDWR);

        myflock(fd, MYFLOCK_STYLE_FCNTL, MYFLOCK_OP_EXCLUSIVE);
        if (write(pipefd[1], "x", 1) != 1)
            _exit(1);
        sleep(10);
        _exit(0);
    }
    assert_int_equal(read(pipefd[0], &ch, 1), 1);
    assert_null(mbox_open(path, O_WRONLY | O_APPEND, 0600, NULL, (uid_t)-1, (gid_t)-1,
                          MBOX_DOT_LOCK | MBOX_FCNTL_LOCK, "5.2.0", dsn, why));
    assert_string_equal(vstring_str(dsn), "4.2.0");
    assert_non_null(strstr(vstring_str(why), "unable to lock for exclusive access"));
    assert_int_equal(access(lock, F_OK), -1); /* our dot lock was undone */
    kill(pid, SIGKILL);
    test_wait_child(pid, 5000);
    vstring_free(dsn);
    vstring_free(why);
}

static void
test_dotlock_may_fail(void **state)
{
    struct vstring *dsn = vstring_alloc(10), *why = vstring_alloc(10);
    char path[600];
    struct mbox *mp;

    (void)state;
    snprintf(path, sizeof(path), "%s/nodir/box", test_dir);
    assert_null(mbox_open(path, O_WRONLY | O_APPEND | O_CREAT, 0600, NULL, (uid_t)-1, (gid_t)-1,
                          MBOX_DOT_LOCK, "5.2.0", dsn, why));
    assert_string_equal(vstring_str(dsn), "5.2.0");
    /* the dot lock may fail; the open then says why */
    assert_null(mbox_open(path, O_WRONLY | O_APPEND | O_CREAT, 0600, NULL, (uid_t)-1, (gid_t)-1,
                          MBOX_DOT_LOCK | MBOX_DOT_LOCK_MAY_FAIL, "5.2.0", dsn, why));
    assert_non_null(strstr(vstring_str(why), "No such file or directory"));
    mp = mbox_open(test_path("ok"), O_WRONLY | O_CREAT, 0600, NULL, (uid_t)-1, (gid_t)-1, 0,
                   "5.2.0", dsn, why);
    assert_non_null(mp);
    assert_int_equal(mp->locked, 0);
    mbox_release(mp);
    vstring_free(dsn);
    vstring_free(why);
}

static void
test_symlink_refused(void **state)
{
    struct vstring *dsn = vstring_alloc(10), *why = vstring_alloc(10);

    (void)state;
    test_write_file(test_path("target"), "", 0600);
    assert_int_equal(symlink(test_path("target"), test_path("box")), 0);
    assert_null(mbox_open(test_path("box"), O_WRONLY | O_APPEND | O_CREAT, 0600, NULL, (uid_t)-1,
                          (gid_t)-1, MBOX_FCNTL_LOCK, "5.2.0", dsn, why));
    assert_string_equal(vstring_str(dsn), "5.2.0");
    assert_string_equal(vstring_str(why), "file is a symbolic link");
    vstring_free(dsn);
    vstring_free(why);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lock_mask),
        cmocka_unit_test_setup_teardown(test_open_creates_and_locks, test_dir_setup,
                                        test_dir_teardown),
        cmocka_unit_test_setup_teardown(test_busy_dotlock_defers, test_dir_setup,
                                        test_dir_teardown),
        cmocka_unit_test_setup_teardown(test_busy_fcntl_lock_defers, test_dir_setup,
                                        test_dir_teardown),
        cmocka_unit_test_setup_teardown(test_dotlock_may_fail, test_dir_setup, test_dir_teardown),
        cmocka_unit_test_setup_teardown(test_symlink_refused, test_dir_setup, test_dir_teardown),
    };

    msg_init("test_local_mbox", 1);
    mail_conf_set("deliver_lock_attempts", "2");
    mail_conf_set("deliver_lock_delay", "1s");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
