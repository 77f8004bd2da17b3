/*
 * test_set_ugid - lib/util/set_ugid in forked children (the identity
 * changes need root and are skipped otherwise): a permanent drop cannot be
 * undone and leaves one group; a temporary one can; chroot_uid jails and
 * drops; an unknown user is fatal.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <grp.h>
#include <string.h>
#include <unistd.h>

#include "util/iostuff.h"
#include "util/msg.h"
#include "util/set_ugid.h"
#include "util/vstring.h"
#include "util_test_helpers.h"

#define NOBODY 65534

static void
test_predicates(void **state)
{
    (void)state;
    assert_int_equal(running_as_root(), getuid() == 0 && geteuid() == 0);
    assert_int_equal(running_set_ugid(), 0);
}

/* Runs body in a child; returns its exit status (the step that failed, or 0). */
static int
run_child(int (*body)(void))
{
    pid_t pid;
    int status;

    if ((pid = fork()) == 0) {
        msg_set_sinks(0);
        _exit(body());
    }
    status = test_wait_child(pid, 5000);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static int
body_permanent(void)
{
    struct vstring *why = vstring_alloc(100);
    uid_t r, e, s;
    gid_t groups[8];

    set_ugid(NOBODY, NOBODY);
    if (getresuid(&r, &e, &s) < 0 || r != NOBODY || e != NOBODY || s != NOBODY)
        return 1;
    if (getgroups(8, groups) != 1 || groups[0] != NOBODY || getegid() != NOBODY)
        return 2;
    if (setuid(0) == 0 || seteuid(0) == 0 || errno != EPERM)
        return 3;
    if (set_ugid_try(0, 0, why) != -1 ||
        strcmp(vstring_str(why), "setgid(0): Operation not permitted") != 0)
        return 4;
    return 0;
}

static void
test_permanent_drop(void **state)
{
    (void)state;
    if (!running_as_root())
        skip();
    assert_int_equal(run_child(body_permanent), 0);
}

static int
body_temporary(void)
{
    char path[600];
    struct stat st;
    int fd;

    set_eugid(NOBODY, NOBODY);
    if (getuid() != 0 || geteuid() != NOBODY || getegid() != NOBODY)
        return 1;
    snprintf(path, sizeof(path), "%s/as-nobody", test_dir);
    if ((fd = open(path, O_WRONLY | O_CREAT, 0600)) < 0)
        return 2;
    close(fd);
    if (stat(path, &st) < 0 || st.st_uid != NOBODY || st.st_gid != NOBODY)
        return 3;
    set_eugid(0, 0);
    if (geteuid() != 0 || getegid() != 0)
        return 4;
    return 0;
}

static void
test_temporary_drop(void **state)
{
    (void)state;
    if (!running_as_root())
        skip();
    assert_int_equal(chmod(test_dir, 0777), 0);
    assert_int_equal(run_child(body_temporary), 0);
}

static int
body_jail(void)
{
    char cwd[64];

    chroot_uid(test_dir, "nobody");
    if (getuid() != NOBODY || geteuid() != NOBODY)
        return 1;
    if (access("/inside-the-jail", F_OK) < 0) /* a file at the top of test_dir */
        return 2;
    if (getcwd(cwd, sizeof(cwd)) == NULL || strcmp(cwd, "/") != 0)
        return 3;
    if (chroot("/") == 0)
        return 4;
    return 0;
}

static void
test_chroot_uid(void **state)
{
    (void)state;
    if (!running_as_root())
        skip();
    test_write_file(test_path("inside-the-jail"), "", 0644);
    assert_int_equal(chmod(test_dir, 0755), 0); /* searchable by nobody, like a queue */
    assert_int_equal(run_child(body_jail), 0);
}

static void
test_unknown_user_is_fatal(void **state)
{
    int fds[2];
    char err[256];
    ssize_t n;
    pid_t pid;
    int status;

    (void)state;
    assert_int_equal(pipe(fds), 0);
    if ((pid = fork()) == 0) {
        dup2(fds[1], 2);
        msg_init("test_set_ugid", MSG_STDERR);
        chroot_uid(NULL, "no-such-user-tern");
        _exit(0);
    }
    close(fds[1]);
    n = timed_read(fds[0], err, sizeof(err) - 1, 5);
    assert_true(n > 0);
    err[n] = 0;
    assert_string_equal(err, "test_set_ugid: fatal: unknown user: no-such-user-tern\n");
    status = test_wait_child(pid, 5000);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);
    close(fds[0]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_predicates),
        cmocka_unit_test_setup_teardown(test_permanent_drop, test_dir_setup, test_dir_teardown),
        cmocka_unit_test_setup_teardown(test_temporary_drop, test_dir_setup, test_dir_teardown),
        cmocka_unit_test_setup_teardown(test_chroot_uid, test_dir_setup, test_dir_teardown),
        cmocka_unit_test_setup_teardown(test_unknown_user_is_fatal, test_dir_setup,
                                        test_dir_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
