/*
 * test_iostuff - lib/util/iostuff: blocking and close-on-exec modes, waits
 * that time out, reads and writes that survive signals and never hang.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "util/iostuff.h"
#include "util_test_helpers.h"

static void
test_modes(void **state)
{
    int fds[2];

    (void)state;
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(non_blocking(fds[0], NON_BLOCKING), 0);
    assert_true(fcntl(fds[0], F_GETFL) & O_NONBLOCK);
    assert_int_equal(non_blocking(fds[0], BLOCKING), 1);
    assert_false(fcntl(fds[0], F_GETFL) & O_NONBLOCK);
    assert_int_equal(close_on_exec(fds[1], CLOSE_ON_EXEC), 0);
    assert_true(fcntl(fds[1], F_GETFD) & FD_CLOEXEC);
    assert_int_equal(close_on_exec(fds[1], PASS_ON_EXEC), 1);
    assert_false(fcntl(fds[1], F_GETFD) & FD_CLOEXEC);
    close(fds[0]);
    close(fds[1]);
    assert_int_equal(non_blocking(fds[0], NON_BLOCKING), -1);
    assert_int_equal(errno, EBADF);
    assert_int_equal(read_wait(fds[0], 1), -1);
    assert_int_equal(errno, EBADF);
}

static void
test_read_wait_and_readable(void **state)
{
    int fds[2];
    long long start;

    (void)state;
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(readable(fds[0]), 0);
    assert_int_equal(read_wait(fds[0], 0), -1);
    assert_int_equal(errno, ETIMEDOUT);
    start = test_now_ms();
    assert_int_equal(read_wait(fds[0], 1), -1);
    assert_int_equal(errno, ETIMEDOUT);
    assert_in_range(test_now_ms() - start, 950, 1600);
    assert_int_equal(write(fds[1], "x", 1), 1);
    assert_int_equal(read_wait(fds[0], 1), 0);
    assert_int_equal(readable(fds[0]), 1);
    close(fds[1]);
    assert_int_equal(readable(fds[0]), 1); /* data, then end of file */
    close(fds[0]);
}

/* Fills a pipe so that its write end is no longer writable. */
static void
fill_pipe(int fd)
{
    char buf[4096];

    memset(buf, 'x', sizeof(buf));
    non_blocking(fd, NON_BLOCKING);
    while (write(fd, buf, sizeof(buf)) > 0)
        continue;
    assert_int_equal(errno, EAGAIN);
    non_blocking(fd, BLOCKING);
}

static void
test_write_wait_and_timed_write(void **state)
{
    int fds[2];
    char buf[100000];
    long long start;

    (void)state;
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write_wait(fds[1], 0), 0);
    fill_pipe(fds[1]);
    assert_int_equal(write_wait(fds[1], 0), -1);
    assert_int_equal(errno, ETIMEDOUT);
    start = test_now_ms();
    assert_int_equal(timed_write(fds[1], "y", 1, 1), -1); /* blocking fd, still bounded */
    assert_int_equal(errno, ETIMEDOUT);
    assert_in_range(test_now_ms() - start, 950, 1600);
    assert_true(read(fds[0], buf, sizeof(buf)) > 0);
    assert_int_equal(timed_write(fds[1], "y", 1, 1), 1);
    close(fds[0]);
    close(fds[1]);
}

static void
on_alarm(int sig)
{
    (void)sig;
}

/* SIGALRM every 100ms, without SA_RESTART, so every blocking call sees EINTR. */
static void
start_interruptions(void)
{
    struct sigaction sa;
    struct itimerval it = {{0, 100000}, {0, 100000}};

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGALRM, &sa, NULL), 0);
    assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
}

static void
stop_interruptions(void)
{
    struct itimerval it;

    memset(&it, 0, sizeof(it));
    setitimer(ITIMER_REAL, &it, NULL);
    signal(SIGALRM, SIG_DFL);
}

static void
test_timed_read_survives_signals(void **state)
{
    int fds[2];
    char buf[16];
    long long start;
    pid_t pid;

    (void)state;
    assert_int_equal(pipe(fds), 0);
    start_interruptions();
    start = test_now_ms();
    assert_int_equal(timed_read(fds[0], buf, sizeof(buf), 1), -1);
    assert_int_equal(errno, ETIMEDOUT); /* not EINTR, and not early */
    assert_in_range(test_now_ms() - start, 950, 1600);
    if ((pid = fork()) == 0) {
        test_sleep_ms(300);
        _exit(write(fds[1], "late", 4) == 4 ? 0 : 1);
    }
    assert_int_equal(timed_read(fds[0], buf, sizeof(buf), 2), 4);
    assert_memory_equal(buf, "late", 4);
    stop_interruptions();
    assert_int_equal(test_wait_child(pid, 2000), 0);
    close(fds[1]);
    assert_int_equal(timed_read(fds[0], buf, sizeof(buf), 1), 0); /* end of file */
    close(fds[0]);
}

static void
test_write_all_delivers_every_byte(void **state)
{
    enum { SIZE = 1 << 20 };
    char *data = malloc(SIZE);
    char *got = malloc(SIZE);
    int fds[2];
    size_t have = 0;
    ssize_t n;
    pid_t pid;

    (void)state;
    for (size_t i = 0; i < SIZE; i++)
        data[i] = (char)(i * 7 + i / 251);
    assert_int_equal(pipe(fds), 0);
    if ((pid = fork()) == 0) {
        close(fds[0]);
        start_interruptions();
        _exit(write_all(fds[1], data, SIZE, 5) == 0 ? 0 : 1);
    }
    close(fds[1]);
    while (have < SIZE && (n = read(fds[0], got + have, SIZE - have)) > 0)
        have += (size_t)n;
    assert_int_equal(have, SIZE);
    assert_memory_equal(got, data, SIZE);
    assert_int_equal(test_wait_child(pid, 5000), 0);
    close(fds[0]);
    free(data);
    free(got);
}

static void
test_write_all_deadline_and_epipe(void **state)
{
    static char data[1 << 20];
    int fds[2];
    long long start;

    (void)state;
    assert_int_equal(pipe(fds), 0);
    start = test_now_ms();
    assert_int_equal(write_all(fds[1], data, sizeof(data), 1), -1); /* nobody reads */
    assert_int_equal(errno, ETIMEDOUT);
    assert_in_range(test_now_ms() - start, 950, 1600);
    close(fds[0]);
    signal(SIGPIPE, SIG_IGN);
    assert_int_equal(write_all(fds[1], "z", 1, 1), -1);
    assert_int_equal(errno, EPIPE);
    signal(SIGPIPE, SIG_DFL);
    close(fds[1]);
    assert_int_equal(write_all(fds[1], "", 0, 1), 0); /* nothing to write: no I/O at all */
}

/* In a child: is fd open on /dev/null (same device and inode)? */
static int
on_dev_null(int fd)
{
    struct stat fd_st;
    struct stat null_st;

    return fstat(fd, &fd_st) == 0 && stat("/dev/null", &null_st) == 0 &&
           fd_st.st_rdev == null_st.st_rdev && S_ISCHR(fd_st.st_mode);
}

/* sane_stdio fills closed 0, 1, 2 with /dev/null and leaves open ones alone. */
static void
test_sane_stdio(void **state)
{
    pid_t pid;
    int fds[2];

    (void)state;
    assert_int_equal(pipe(fds), 0);
    if ((pid = fork()) == 0) {
        int keep = dup2(fds[1], 3) == 3; /* stdin stays the test's own */
        int fd;

        close(1);
        close(2);
        sane_stdio();
        fd = open("/dev/null", O_RDONLY); /* a later file lands above 2 */
        _exit(keep && on_dev_null(1) && on_dev_null(2) && fd > 2 && fcntl(0, F_GETFD) >= 0 ? 0 : 1);
    }
    close(fds[1]);
    assert_int_equal(test_wait_child(pid, 5000), 0);
    close(fds[0]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_modes),
        cmocka_unit_test(test_read_wait_and_readable),
        cmocka_unit_test(test_write_wait_and_timed_write),
        cmocka_unit_test(test_timed_read_survives_signals),
        cmocka_unit_test(test_write_all_delivers_every_byte),
        cmocka_unit_test(test_write_all_deadline_and_epipe),
        cmocka_unit_test(test_sane_stdio),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
