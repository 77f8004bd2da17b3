/*
 * test_events - lib/util/events and sig_pipe: descriptor events fire and
 * stop when disabled, timers fire in order and can be replaced or
 * cancelled, callbacks can change registrations during dispatch (including
 * closing and reusing a descriptor) safely, descriptors above FD_SETSIZE
 * work, and signals arrive as events.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <unistd.h>

#include "util/events.h"
#include "util/sig_pipe.h"
#include "util_test_helpers.h"

struct hits {
    int count;
    int last_event;
};

static void
on_event(int event, void *context)
{
    struct hits *h = context;

    h->count++;
    h->last_event = event;
}

static void
test_read_and_write_events(void **state)
{
    struct hits rd = {0, 0};
    struct hits wr = {0, 0};
    int fds[2];

    (void)state;
    assert_int_equal(pipe(fds), 0);
    event_enable_read(fds[0], on_event, &rd);
    event_loop(0);
    assert_int_equal(rd.count, 0);
    assert_int_equal(write(fds[1], "x", 1), 1);
    event_loop(1);
    assert_int_equal(rd.count, 1);
    assert_int_equal(rd.last_event, EVENT_READ);
    event_loop(0); /* still readable: level-triggered */
    assert_int_equal(rd.count, 2);
    event_enable_write(fds[1], on_event, &wr);
    event_loop(0);
    assert_int_equal(wr.count, 1);
    assert_int_equal(wr.last_event, EVENT_WRITE);
    assert_int_equal(rd.count, 3); /* both callbacks in one round */
    event_disable_readwrite(fds[0]);
    event_disable_readwrite(fds[1]);
    event_loop(0);
    assert_int_equal(rd.count, 3); /* disabled: silent, although still readable */
    assert_int_equal(wr.count, 1);
    close(fds[1]);
    assert_true(event_time() > 0);
    close(fds[0]);
}

static void
test_hangup_is_readable(void **state)
{
    struct hits rd = {0, 0};
    int fds[2];

    (void)state;
    assert_int_equal(pipe(fds), 0);
    event_enable_read(fds[0], on_event, &rd);
    close(fds[1]);
    event_loop(1);
    assert_int_equal(rd.count, 1);
    assert_int_equal(rd.last_event, EVENT_READ);
    event_disable_readwrite(fds[0]);
    close(fds[0]);
}

static char timer_log[32];

static void
on_timer(int event, void *context)
{
    size_t len = strlen(timer_log);

    assert_int_equal(event, EVENT_TIME);
    if (len + 1 < sizeof(timer_log))
        timer_log[len] = *(const char *)context;
}

static void
test_timers_in_order(void **state)
{
    long long start = test_now_ms();

    (void)state;
    memset(timer_log, 0, sizeof(timer_log));
    event_request_timer_ms(on_timer, "A", 300);
    event_request_timer_ms(on_timer, "B", 100);
    event_request_timer_ms(on_timer, "C", 100);
    event_request_timer_ms(on_timer, "D", 0);
    event_request_timer_ms(on_timer, "E", 50);
    event_request_timer_ms(on_timer, "E", 200); /* replaces the first E */
    event_request_timer_ms(on_timer, "X", 100);
    assert_in_range(event_cancel_timer(on_timer, "X"), 1, 100);
    assert_int_equal(event_cancel_timer(on_timer, "X"), -1);
    while (strlen(timer_log) < 5 && test_now_ms() - start < 2000)
        event_loop(1);
    assert_string_equal(timer_log, "DBCEA");
    assert_in_range(test_now_ms() - start, 280, 1000);
    event_loop(0);
    assert_string_equal(timer_log, "DBCEA");
}

static void
test_wait_is_bounded(void **state)
{
    long long start = test_now_ms();

    (void)state;
    event_loop(1); /* nothing enabled: returns after max_wait */
    assert_in_range(test_now_ms() - start, 950, 1500);
    memset(timer_log, 0, sizeof(timer_log));
    start = test_now_ms();
    event_request_timer_ms(on_timer, "T", 100);
    event_loop(-1); /* no limit, but the timer ends the wait */
    assert_string_equal(timer_log, "T");
    assert_in_range(test_now_ms() - start, 90, 600);
}

static int rearm_count;

static void
on_rearm(int event, void *context)
{
    (void)event;
    rearm_count++;
    event_request_timer_ms(on_rearm, context, 0);
}

static void
test_zero_delay_timer_does_not_starve(void **state)
{
    (void)state;
    rearm_count = 0;
    event_request_timer_ms(on_rearm, NULL, 0);
    event_loop(0);
    event_loop(0);
    event_loop(0);
    assert_int_equal(rearm_count, 3);
    assert_int_equal(event_cancel_timer(on_rearm, NULL), 0);
}

/* Two readable pipes; whichever callback runs first disables and closes the other. */
static int pair_fds[2][2];
static int pair_calls[2];
static int reuse_fd = -1;
static struct hits reuse_hits;

static void
on_pair(int event, void *context)
{
    int me = (int)(intptr_t)context;
    int other = 1 - me;
    int fresh[2];

    (void)event;
    pair_calls[me]++;
    if (pair_fds[other][0] < 0)
        return;
    event_disable_readwrite(pair_fds[other][0]);
    close(pair_fds[other][0]);
    reuse_fd = pair_fds[other][0];
    pair_fds[other][0] = -1;
    /* The freed number is reused at once, for a pipe that is readable too. */
    assert_int_equal(pipe(fresh), 0);
    assert_int_equal(fresh[0], reuse_fd);
    assert_int_equal(write(fresh[1], "r", 1), 1);
    close(fresh[1]);
    event_enable_read(fresh[0], on_event, &reuse_hits);
}

static void
test_changes_during_dispatch(void **state)
{
    (void)state;
    memset(&reuse_hits, 0, sizeof(reuse_hits));
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pipe(pair_fds[i]), 0);
        assert_int_equal(write(pair_fds[i][1], "p", 1), 1);
        event_enable_read(pair_fds[i][0], on_pair, (void *)(intptr_t)i);
        pair_calls[i] = 0;
    }
    event_loop(1);
    assert_int_equal(pair_calls[0] + pair_calls[1], 1);
    assert_int_equal(reuse_hits.count, 0); /* the new registration waits for its own round */
    event_loop(1);
    assert_int_equal(reuse_hits.count, 1);
    event_disable_readwrite(reuse_fd);
    close(reuse_fd);
    for (int i = 0; i < 2; i++) {
        if (pair_fds[i][0] >= 0) {
            event_disable_readwrite(pair_fds[i][0]);
            close(pair_fds[i][0]);
        }
        close(pair_fds[i][1]);
    }
}

static void
test_beyond_fd_setsize(void **state)
{
    enum { PIPES = 700 };
    static int fds[PIPES][2];
    struct hits hits[PIPES];
    struct rlimit rl;
    int top = 0;

    (void)state;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        fail();
    if (rl.rlim_cur < 2 * PIPES + 64) {
        rl.rlim_cur = rl.rlim_max;
        if (rl.rlim_cur < 2 * PIPES + 64 || setrlimit(RLIMIT_NOFILE, &rl) < 0)
            skip();
    }
    memset(hits, 0, sizeof(hits));
    for (int i = 0; i < PIPES; i++) {
        assert_int_equal(pipe(fds[i]), 0);
        event_enable_read(fds[i][0], on_event, hits + i);
        if (fds[i][0] > fds[top][0])
            top = i;
    }
    assert_true(fds[top][0] >= FD_SETSIZE);
    assert_int_equal(write(fds[top][1], "!", 1), 1);
    event_loop(1);
    assert_int_equal(hits[top].count, 1);
    for (int i = 0; i < PIPES; i++) {
        if (i != top)
            assert_int_equal(hits[i].count, 0);
        event_disable_readwrite(fds[i][0]);
        close(fds[i][0]);
        close(fds[i][1]);
    }
}

static int sig_calls[NSIG];

static void
on_signal(int sig, void *context)
{
    assert_ptr_equal(context, sig_calls);
    sig_calls[sig]++;
}

static void
test_signals_as_events(void **state)
{
    pid_t pid;

    (void)state;
    memset(sig_calls, 0, sizeof(sig_calls));
    sig_pipe_catch(SIGUSR1, on_signal, sig_calls);
    sig_pipe_catch(SIGCHLD, on_signal, sig_calls);
    raise(SIGUSR1);
    raise(SIGUSR1);
    assert_int_equal(sig_calls[SIGUSR1], 0); /* nothing runs inside the handler */
    event_loop(1);
    assert_int_equal(sig_calls[SIGUSR1], 1); /* coalesced */
    if ((pid = fork()) == 0)
        _exit(0);
    for (int i = 0; i < 20 && sig_calls[SIGCHLD] == 0; i++)
        event_loop(1);
    assert_int_equal(sig_calls[SIGCHLD], 1);
    assert_int_equal(test_wait_child(pid, 1000), 0);
    sig_pipe_release(SIGCHLD);
    sig_pipe_release(SIGUSR1);
    assert_ptr_equal(signal(SIGUSR1, SIG_DFL), SIG_DFL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_and_write_events),
        cmocka_unit_test(test_hangup_is_readable),
        cmocka_unit_test(test_timers_in_order),
        cmocka_unit_test(test_wait_is_bounded),
        cmocka_unit_test(test_zero_delay_timer_does_not_starve),
        cmocka_unit_test(test_changes_during_dispatch),
        cmocka_unit_test(test_beyond_fd_setsize),
        cmocka_unit_test(test_signals_as_events),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
