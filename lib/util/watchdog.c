/*
 * watchdog - SIGALRM count-down that ends a stuck process; see watchdog.h.
 *
 * The interval timer ticks WATCHDOG_STEPS times per period. Each tick
 * counts one step; watchdog_pat() resets the count. When the count reaches
 * WATCHDOG_STEPS, no pat came for (WATCHDOG_STEPS - 1) to WATCHDOG_STEPS
 * ticks. Logging from a signal handler is not async-signal-safe, so before
 * it logs, the handler arms a last-resort timer with SIGALRM at its default
 * action: a deadlock inside the logging code still ends the process.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>

#include "util/msg.h"
#include "util/watchdog.h"

#define WATCHDOG_STEPS 3
#define WATCHDOG_LAST_RESORT 5 /* seconds */

static volatile sig_atomic_t watchdog_trips;

static void
watchdog_set_timer(long long step_ms)
{
    struct itimerval it;

    memset(&it, 0, sizeof(it));
    it.it_value.tv_sec = (time_t)(step_ms / 1000);
    it.it_value.tv_usec = (suseconds_t)(step_ms % 1000) * 1000;
    it.it_interval = it.it_value;
    if (setitimer(ITIMER_REAL, &it, NULL) < 0)
        msg_fatal("watchdog: setitimer: %m");
}

static void
watchdog_expire(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGALRM, &sa, NULL);
    watchdog_set_timer(WATCHDOG_LAST_RESORT * 1000LL);
    msg_fatal("watchdog timeout");
}

static void
watchdog_handler(int sig)
{
    int saved_errno = errno;

    (void)sig;
    if (++watchdog_trips >= WATCHDOG_STEPS)
        watchdog_expire();
    errno = saved_errno;
}

void
watchdog_start(int seconds)
{
    struct sigaction sa;

    if (seconds <= 0)
        msg_panic("watchdog_start: bad timeout: %d", seconds);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = watchdog_handler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGALRM, &sa, NULL) < 0)
        msg_fatal("watchdog: sigaction: %m");
    watchdog_trips = 0;
    watchdog_set_timer((long long)seconds * 1000 / WATCHDOG_STEPS);
}

void
watchdog_pat(void)
{
    watchdog_trips = 0;
}

void
watchdog_stop(void)
{
    struct itimerval it;

    memset(&it, 0, sizeof(it));
    if (setitimer(ITIMER_REAL, &it, NULL) < 0)
        msg_fatal("watchdog: setitimer: %m");
    watchdog_trips = 0;
}
