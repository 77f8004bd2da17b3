/*
 * test_watchdog - lib/util/watchdog in forked children: an unpatted
 * watchdog ends the process with "fatal: watchdog timeout" and status 1 in
 * about the given time; a patted one never fires; a stopped one never
 * fires; slow system calls in between survive its ticks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <unistd.h>

#include "util/iostuff.h"
#include "util/msg.h"
#include "util/watchdog.h"
#include "util_test_helpers.h"

struct child_run {
    int status;
    long long elapsed;
    char err[512];
};

/* Runs body in a child whose stderr is captured; waits at most 4 s. */
static struct child_run
run_child(void (*body)(void))
{
    struct child_run run;
    long long start = test_now_ms();
    int fds[2];
    size_t len = 0;
    ssize_t n;
    pid_t pid;

    assert_int_equal(pipe(fds), 0);
    if ((pid = fork()) == 0) {
        close(fds[0]);
        dup2(fds[1], 2);
        msg_init("test_watchdog", MSG_STDERR);
        body();
        _exit(0);
    }
    close(fds[1]);
    while (len < sizeof(run.err) - 1 &&
           (n = timed_read(fds[0], run.err + len, sizeof(run.err) - 1 - len, 4)) > 0)
        len += (size_t)n;
    run.err[len] = 0;
    close(fds[0]);
    run.status = test_wait_child(pid, 4000);
    run.elapsed = test_now_ms() - start;
    return run;
}

static void
body_never_pats(void)
{
    watchdog_start(1);
    for (;;)
        pause();
}

static void
test_unpatted_watchdog_kills(void **state)
{
    struct child_run run = run_child(body_never_pats);

    (void)state;
    assert_true(WIFEXITED(run.status));
    assert_int_equal(WEXITSTATUS(run.status), 1);
    assert_string_equal(run.err, "test_watchdog: fatal: watchdog timeout\n");
    assert_in_range(run.elapsed, 600, 1800);
}

static void
body_pats(void)
{
    long long start = test_now_ms();
    char buf[1];
    int fds[2];

    if (pipe(fds) < 0)
        _exit(2);
    watchdog_start(1);
    while (test_now_ms() - start < 1600) {
        /* A slow call that the watchdog's ticks interrupt; it must still time out normally. */
        if (timed_read(fds[0], buf, 1, 0) >= 0 || errno != ETIMEDOUT)
            _exit(3);
        test_sleep_ms(100);
        watchdog_pat();
    }
    watchdog_stop();
    test_sleep_ms(1200); /* stopped: no more ticks */
    _exit(0);
}

static void
test_patted_watchdog_lives(void **state)
{
    struct child_run run = run_child(body_pats);

    (void)state;
    assert_true(WIFEXITED(run.status));
    assert_int_equal(WEXITSTATUS(run.status), 0);
    assert_string_equal(run.err, "");
    assert_true(run.elapsed >= 2700);
}

static void
body_restart(void)
{
    watchdog_start(1);
    test_sleep_ms(500);
    watchdog_start(1); /* re-arming starts the count-down afresh */
    test_sleep_ms(500);
    watchdog_pat();
    for (;;)
        pause();
}

static void
test_restart_rearms(void **state)
{
    struct child_run run = run_child(body_restart);

    (void)state;
    assert_true(WIFEXITED(run.status));
    assert_int_equal(WEXITSTATUS(run.status), 1);
    assert_non_null(strstr(run.err, "fatal: watchdog timeout"));
    assert_in_range(run.elapsed, 1600, 2800); /* 1 s after the last pat at ~1 s */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unpatted_watchdog_kills),
        cmocka_unit_test(test_patted_watchdog_lives),
        cmocka_unit_test(test_restart_rearms),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
