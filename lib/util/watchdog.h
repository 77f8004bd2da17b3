/*
 * watchdog - end a process that stops making progress.
 *
 *   watchdog_start(seconds)  arm the watchdog (again); seconds > 0
 *   watchdog_pat()           "still alive": restart the count-down
 *   watchdog_stop()          disarm it
 *
 * When the watchdog is not patted for about the given time (between two
 * thirds of it and all of it), the process logs "fatal: watchdog timeout"
 * and exits with status 1 (msg_fatal, so the cleanup hook runs). Should
 * even that hang, the process is killed by SIGALRM five seconds later.
 *
 * A daemon arms it with daemon_timeout and pats it after each request or
 * event loop round. It uses SIGALRM and the ITIMER_REAL timer: the process
 * must not use alarm(), setitimer(ITIMER_REAL) or sleep() for anything
 * else while the watchdog is armed. The handler is installed with
 * SA_RESTART; poll() and other calls that never restart return EINTR when
 * it ticks (about three times per period), which callers must tolerate.
 * watchdog_pat() is a single store, cheap enough for every loop round.
 * There is one watchdog per process; a forked child starts without one.
 */
#ifndef TERN_WATCHDOG_H
#define TERN_WATCHDOG_H

void watchdog_start(int seconds);
void watchdog_pat(void);
void watchdog_stop(void);

#endif
