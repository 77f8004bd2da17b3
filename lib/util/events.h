/*
 * events - the single-threaded event loop of daemons and the master:
 * descriptor readiness and timers, dispatched to callbacks.
 *
 *   event_enable_read(fd, callback, context)
 *   event_enable_write(fd, callback, context)
 *       call callback(EVENT_READ or EVENT_WRITE, context) each round in which
 *       fd is readable (data, end of file or hang-up) or writable, until
 *       disabled. Enabling again replaces the callback. A descriptor may have
 *       a read and a write callback at once. An error condition on fd is
 *       reported as EVENT_XCPT to the read callback (else the write one).
 *   event_disable_readwrite(fd)
 *       forget both callbacks of fd. Do this BEFORE closing fd: a closed
 *       descriptor that is still enabled is a programming error (panic).
 *   event_request_timer(callback, context, seconds)
 *   event_request_timer_ms(callback, context, milliseconds)
 *       call callback(EVENT_TIME, context) once, after the delay. A timer with
 *       the same callback and context is replaced (rescheduled), not added.
 *       Timers due in the same round fire in order of their due time, and in
 *       the order requested when due at the same time.
 *   event_cancel_timer(callback, context)
 *       remove that timer; returns the milliseconds it had left, or -1 when
 *       there was none.
 *   event_loop(max_wait)
 *       one round (not to be called from a callback): wait up to max_wait seconds (< 0: until
 * something happens; 0: do not wait) for a descriptor or the next timer, then run the due timers,
 * then the ready descriptors' callbacks. A signal ends the wait early (the round then dispatches
 * whatever is ready), so a caller that loops can check flags set by signal handlers. event_time()
 * wall-clock seconds at the start of the round
 *
 * Callbacks may enable, disable and request or cancel anything during
 * dispatch: a callback is run only if its registration is still the one
 * that the wait saw (a descriptor disabled, or closed and reused, in the
 * same round is not dispatched), and a timer requested during dispatch runs
 * no earlier than the next round, so a zero-delay timer that re-arms itself
 * cannot starve the loop. Any number of descriptors (poll(2); no FD_SETSIZE
 * limit). Not thread-safe; a forked child inherits the registrations and
 * usually starts by disabling what belongs to the parent.
 */
#ifndef TERN_EVENTS_H
#define TERN_EVENTS_H

#include <time.h>

#define EVENT_READ (1 << 0)
#define EVENT_WRITE (1 << 1)
#define EVENT_XCPT (1 << 2)
#define EVENT_TIME (1 << 3)

void event_enable_read(int fd, void (*callback)(int event, void *context), void *context);
void event_enable_write(int fd, void (*callback)(int event, void *context), void *context);
void event_disable_readwrite(int fd);
void event_request_timer(void (*callback)(int event, void *context), void *context, int seconds);
void event_request_timer_ms(void (*callback)(int event, void *context), void *context,
                            long long milliseconds);
long long event_cancel_timer(void (*callback)(int event, void *context), void *context);
void event_loop(int max_wait);
time_t event_time(void);

#endif
