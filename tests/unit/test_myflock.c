/*
 * test_myflock - lib/util/myflock, dot_lockfile and pid_file: a lock held
 * by another process (ours, or one taken with the raw system calls as
 * mailx or Dovecot would) blocks a non-blocking request; shared locks
 * share; blocking requests wait; dot locks are exclusive, break when stale
 * and never follow a symlink; a pid file tells a live owner from a stale
 * file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "util/dot_lockfile.h"
#include "util/myflock.h"
#include "util/pid_file.h"
#include "util/vstring.h"
#include "util_test_helpers.h"

#define RAW_FLOCK 10 /* lock with flock(2) directly */
#define RAW_FCNTL 11 /* lock with fcntl(F_SETLK) directly */

struct holder {
    pid_t pid;
    int release_fd; /* closing it (or writing) lets the holder exit */
};

static int
open_file(const char *name)
{
    int fd = open(test_path(name), O_RDWR | O_CREAT | O_CLOEXEC, 0644);

    assert_true(fd >= 0);
    return fd;
}

/* In the child: lock the file the way style says, with operation. */
static int
holder_lock(int fd, int style, int operation)
{
    struct flock lk;

    if (style == RAW_FLOCK)
        return flock(fd, (operation & MYFLOCK_OP_EXCLUSIVE) ? LOCK_EX : LOCK_SH);
    if (style == RAW_FCNTL) {
        memset(&lk, 0, sizeof(lk));
        lk.l_type = (operation & MYFLOCK_OP_EXCLUSIVE) ? F_WRLCK : F_RDLCK;
        lk.l_whence = SEEK_SET;
        return fcntl(fd, F_SETLK, &lk);
    }
    return myflock(fd, style, operation);
}

/* Starts a child that opens name, locks it, says so, and holds it until released. */
static struct holder
holder_start(const char *name, int style, int operation)
{
    struct holder h;
    int ready[2];
    int release[2];
    char byte;

    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(release), 0);
    if ((h.pid = fork()) == 0) {
        int fd = open(test_path(name), O_RDWR | O_CREAT, 0644);

        close(ready[0]);
        close(release[1]);
        if (fd < 0 || holder_lock(fd, style, operation) < 0)
            _exit(1);
        if (write(ready[1], "L", 1) != 1)
            _exit(1);
        _exit(read(release[0], &byte, 1) < 0); /* returns at release: EOF */
    }
    close(ready[1]);
    close(release[0]);
    assert_int_equal(read(ready[0], &byte, 1), 1);
    close(ready[0]);
    h.release_fd = release[1];
    return h;
}

static void
holder_release(struct holder h)
{
    close(h.release_fd);
    assert_int_equal(test_wait_child(h.pid, 5000), 0);
}

static void
check_exclusive_blocks(int holder_style, int my_style)
{
    struct holder h = holder_start("box", holder_style, MYFLOCK_OP_EXCLUSIVE);
    int fd = open_file("box");

    assert_int_equal(myflock(fd, my_style, MYFLOCK_OP_EXCLUSIVE | MYFLOCK_OP_NOWAIT), -1);
    assert_int_equal(errno, EAGAIN);
    assert_int_equal(myflock(fd, my_style, MYFLOCK_OP_SHARED | MYFLOCK_OP_NOWAIT), -1);
    assert_int_equal(errno, EAGAIN);
    holder_release(h);
    assert_int_equal(myflock(fd, my_style, MYFLOCK_OP_EXCLUSIVE | MYFLOCK_OP_NOWAIT), 0);
    assert_int_equal(myflock(fd, my_style, MYFLOCK_OP_NONE), 0);
    close(fd);
}

static void
test_exclusive_lock_held_elsewhere(void **state)
{
    (void)state;
    check_exclusive_blocks(MYFLOCK_STYLE_FLOCK, MYFLOCK_STYLE_FLOCK);
    check_exclusive_blocks(MYFLOCK_STYLE_FCNTL, MYFLOCK_STYLE_FCNTL);
    check_exclusive_blocks(RAW_FLOCK, MYFLOCK_STYLE_FLOCK);
    check_exclusive_blocks(RAW_FCNTL, MYFLOCK_STYLE_FCNTL);
}

static void
test_shared_locks_share(void **state)
{
    int styles[] = {MYFLOCK_STYLE_FLOCK, MYFLOCK_STYLE_FCNTL};

    (void)state;
    for (int i = 0; i < 2; i++) {
        struct holder h = holder_start("box", styles[i], MYFLOCK_OP_SHARED);
        int fd = open_file("box");

        assert_int_equal(myflock(fd, styles[i], MYFLOCK_OP_SHARED | MYFLOCK_OP_NOWAIT), 0);
        assert_int_equal(myflock(fd, styles[i], MYFLOCK_OP_EXCLUSIVE | MYFLOCK_OP_NOWAIT), -1);
        assert_int_equal(errno, EAGAIN);
        holder_release(h);
        close(fd);
    }
}

static void
test_blocking_lock_waits(void **state)
{
    struct holder h = holder_start("box", MYFLOCK_STYLE_FCNTL, MYFLOCK_OP_EXCLUSIVE);
    int fd = open_file("box");
    long long start = test_now_ms();
    pid_t releaser;

    (void)state;
    if ((releaser = fork()) == 0) {
        test_sleep_ms(300);
        _exit(0); /* its exit closes its copy of release_fd */
    }
    close(h.release_fd);
    h.release_fd = -1;
    /* The holder exits only when the releaser's copy of release_fd goes away. */
    assert_int_equal(myflock(fd, MYFLOCK_STYLE_FCNTL, MYFLOCK_OP_EXCLUSIVE), 0);
    assert_in_range(test_now_ms() - start, 250, 3000);
    assert_int_equal(test_wait_child(releaser, 3000), 0);
    assert_int_equal(test_wait_child(h.pid, 3000), 0);
    close(fd);
}

static void
test_retry(void **state)
{
    struct vstring *why = vstring_alloc(100);
    struct holder h = holder_start("box", MYFLOCK_STYLE_FLOCK, MYFLOCK_OP_EXCLUSIVE);
    int fd = open_file("box");
    long long start = test_now_ms();

    (void)state;
    assert_int_equal(myflock_retry(fd, MYFLOCK_STYLE_FLOCK, MYFLOCK_OP_EXCLUSIVE, 3, 100, why), -1);
    assert_int_equal(errno, EAGAIN);
    assert_in_range(test_now_ms() - start, 90, 1000); /* two naps of 50-150 ms */
    assert_string_equal(vstring_str(why),
                        "unable to lock for exclusive access: Resource temporarily unavailable");
    holder_release(h);
    assert_int_equal(myflock_retry(fd, MYFLOCK_STYLE_FLOCK, MYFLOCK_OP_EXCLUSIVE, 3, 100, why), 0);
    close(fd);
    assert_int_equal(myflock_style("fcntl"), MYFLOCK_STYLE_FCNTL);
    assert_int_equal(myflock_style("flock"), MYFLOCK_STYLE_FLOCK);
    assert_int_equal(myflock_style("dotlock"), -1);
    vstring_free(why);
}

static void
test_dot_lockfile(void **state)
{
    struct vstring *why = vstring_alloc(100);
    char buf[64];
    char expect[300];
    struct stat st;

    (void)state;
    assert_int_equal(dot_lockfile(test_path("user"), 3, 50, 500, why), 0);
    snprintf(expect, sizeof(expect), "%ld\n", (long)getpid());
    assert_string_equal(test_read_file(test_path("user.lock"), buf, sizeof(buf)), expect);
    assert_int_equal(dot_lockfile(test_path("user"), 2, 50, 500, why), -1);
    assert_int_equal(errno, EEXIST);
    snprintf(expect, sizeof(expect), "unable to create lock file %s: File exists",
             test_path("user.lock"));
    assert_string_equal(vstring_str(why), expect);
    errno = EXDEV;
    dot_unlockfile(test_path("user"));
    assert_int_equal(errno, EXDEV);
    assert_int_equal(lstat(test_path("user.lock"), &st), -1);
    assert_int_equal(dot_lockfile(test_path("user"), 1, 50, 500, why), 0);
    dot_unlockfile(test_path("user"));

    /* A planted symlink is a lock that exists; its target is never created. */
    assert_int_equal(symlink(test_path("evil"), test_path("user.lock")), 0);
    assert_int_equal(dot_lockfile(test_path("user"), 1, 50, 0, why), -1);
    assert_int_equal(lstat(test_path("evil"), &st), -1);
    vstring_free(why);
}

static void
test_dot_lockfile_breaks_stale_lock(void **state)
{
    struct vstring *why = vstring_alloc(100);
    long long start;

    (void)state;
    test_write_file(test_path("user.lock"), "99999999\n", 0644);
    /* stale_seconds 0: never broken */
    assert_int_equal(dot_lockfile(test_path("user"), 3, 20, 0, why), -1);
    start = test_now_ms();
    assert_int_equal(dot_lockfile(test_path("user"), 40, 100, 1, why), 0);
    assert_in_range(test_now_ms() - start, 900, 3500); /* older than 1s first */
    vstring_free(why);
}

static void
test_pid_file(void **state)
{
    struct vstring *why = vstring_alloc(100);
    const char *path = test_path("master.pid");
    char buf[128];
    int fd;

    (void)state;
    assert_int_equal(pid_file_owner(path), 0); /* no file */
    fd = pid_file_lock(path, why);
    assert_true(fd >= 0);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    test_read_file(path, buf, sizeof(buf));
    assert_int_equal(strlen(buf), sizeof(unsigned long) * 4 + 1);
    assert_int_equal(strtol(buf, NULL, 10), getpid());
    assert_int_equal(buf[0], ' ');
    assert_int_equal(pid_file_owner(path), getpid());
    assert_int_equal(pid_file_lock(path, why), -1); /* a second supervisor */
    assert_int_equal(errno, EAGAIN);
    assert_string_equal(vstring_str(why),
                        "unable to set exclusive lock: Resource temporarily unavailable");
    close(fd);
    assert_int_equal(pid_file_owner(path), 0); /* the file stays, but is stale */
    vstring_free(why);
}

static void
test_pid_file_owner_killed(void **state)
{
    struct vstring *why = vstring_alloc(100);
    const char *path = test_path("master.pid");
    int ready[2];
    char byte;
    pid_t pid;
    int fd;

    (void)state;
    test_write_file(path, "        12345\n", 0644); /* stale from a previous boot */
    assert_int_equal(pipe(ready), 0);
    if ((pid = fork()) == 0) {
        if (pid_file_lock(path, why) < 0 || write(ready[1], "L", 1) != 1)
            _exit(1);
        pause();
        _exit(0);
    }
    assert_int_equal(read(ready[0], &byte, 1), 1);
    assert_int_equal(pid_file_owner(path), pid);
    assert_int_equal(pid_file_lock(path, why), -1);
    kill(pid, SIGKILL);
    test_wait_child(pid, 3000);
    assert_int_equal(pid_file_owner(path), 0);
    fd = pid_file_lock(path, why);
    assert_true(fd >= 0);
    assert_int_equal(pid_file_owner(path), getpid());
    close(fd);
    close(ready[0]);
    close(ready[1]);
    vstring_free(why);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_exclusive_lock_held_elsewhere, test_dir_setup,
                                        test_dir_teardown),
        cmocka_unit_test_setup_teardown(test_shared_locks_share, test_dir_setup, test_dir_teardown),
        cmocka_unit_test_setup_teardown(test_blocking_lock_waits, test_dir_setup,
                                        test_dir_teardown),
        cmocka_unit_test_setup_teardown(test_retry, test_dir_setup, test_dir_teardown),
        cmocka_unit_test_setup_teardown(test_dot_lockfile, test_dir_setup, test_dir_teardown),
        cmocka_unit_test_setup_teardown(test_dot_lockfile_breaks_stale_lock, test_dir_setup,
                                        test_dir_teardown),
        cmocka_unit_test_setup_teardown(test_pid_file, test_dir_setup, test_dir_teardown),
        cmocka_unit_test_setup_teardown(test_pid_file_owner_killed, test_dir_setup,
                                        test_dir_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
