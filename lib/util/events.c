/*
 * events - poll(2) event loop with one-shot timers; see events.h.
 *
 * Descriptors: a table indexed by descriptor number holds each one's read
 * and write callbacks, a generation number and its place in a dense list
 * of enabled descriptors (from which each round's pollfd array is built).
 * Disabling bumps the generation; the round remembers the generation it
 * polled, and dispatch skips a descriptor whose generation has moved.
 *
 * Timers: a list sorted by (due time, request number). A round fires only
 * timers requested before it began, so timers added by callbacks wait for
 * the next round. Times are milliseconds on the monotonic clock.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stddef.h>

#include "util/events.h"
#include "util/iostuff.h"
#include "util/msg.h"
#include "util/mymalloc.h"

struct event_fd {
    void (*read_cb)(int, void *);
    void *read_ctx;
    void (*write_cb)(int, void *);
    void *write_ctx;
    unsigned long generation;
    int active_index; /* in event_active, or -1 */
};

struct event_timer {
    long long when;
    unsigned long seq;
    void (*callback)(int, void *);
    void *context;
    struct event_timer *next;
};

static struct event_fd *event_fds;
static int event_fd_slots;
static int *event_active;
static int event_active_count;
static int event_active_size;
static struct pollfd *event_pollfds;
static unsigned long *event_poll_gen;
static int event_poll_size;
static struct event_timer *event_timers;
static unsigned long event_timer_seq;
static time_t event_present;
static int event_running;

static struct event_fd *
event_fd_slot(int fd, const char *caller)
{
    int old = event_fd_slots;
    int want;

    if (fd < 0)
        msg_panic("%s: bad file descriptor: %d", caller, fd);
    if (fd < event_fd_slots)
        return event_fds + fd;
    want = fd < INT_MAX / 2 ? fd * 2 + 1 : INT_MAX;
    if (want < 64)
        want = 64;
    event_fds = myrealloc(event_fds, (size_t)want * sizeof(*event_fds));
    for (int i = old; i < want; i++) {
        event_fds[i].read_cb = event_fds[i].write_cb = NULL;
        event_fds[i].read_ctx = event_fds[i].write_ctx = NULL;
        event_fds[i].generation = 0;
        event_fds[i].active_index = -1;
    }
    event_fd_slots = want;
    return event_fds + fd;
}

static void
event_activate(int fd, struct event_fd *ep)
{
    if (ep->active_index >= 0)
        return;
    if (event_active_count == event_active_size) {
        event_active_size = event_active_size ? event_active_size * 2 : 64;
        event_active = myrealloc(event_active, (size_t)event_active_size * sizeof(int));
    }
    ep->active_index = event_active_count;
    event_active[event_active_count++] = fd;
}

void
event_enable_read(int fd, void (*callback)(int, void *), void *context)
{
    struct event_fd *ep = event_fd_slot(fd, "event_enable_read");

    if (callback == NULL)
        msg_panic("event_enable_read: fd %d: no callback", fd);
    ep->read_cb = callback;
    ep->read_ctx = context;
    event_activate(fd, ep);
}

void
event_enable_write(int fd, void (*callback)(int, void *), void *context)
{
    struct event_fd *ep = event_fd_slot(fd, "event_enable_write");

    if (callback == NULL)
        msg_panic("event_enable_write: fd %d: no callback", fd);
    ep->write_cb = callback;
    ep->write_ctx = context;
    event_activate(fd, ep);
}

void
event_disable_readwrite(int fd)
{
    struct event_fd *ep;
    int last;

    if (fd < 0)
        msg_panic("event_disable_readwrite: bad file descriptor: %d", fd);
    if (fd >= event_fd_slots || (ep = event_fds + fd)->active_index < 0)
        return;
    last = event_active[--event_active_count];
    event_active[ep->active_index] = last;
    event_fds[last].active_index = ep->active_index;
    ep->active_index = -1;
    ep->read_cb = ep->write_cb = NULL;
    ep->read_ctx = ep->write_ctx = NULL;
    ep->generation++;
}

/* Unlinks the timer for (callback, context); returns it, or NULL. */
static struct event_timer *
event_timer_unlink(void (*callback)(int, void *), void *context)
{
    struct event_timer **tpp;
    struct event_timer *tp;

    for (tpp = &event_timers; (tp = *tpp) != NULL; tpp = &tp->next) {
        if (tp->callback == callback && tp->context == context) {
            *tpp = tp->next;
            return tp;
        }
    }
    return NULL;
}

void
event_request_timer_ms(void (*callback)(int, void *), void *context, long long milliseconds)
{
    struct event_timer *tp = event_timer_unlink(callback, context);
    struct event_timer **tpp;

    if (callback == NULL || milliseconds < 0)
        msg_panic("event_request_timer: no callback or bad delay: %lld", milliseconds);
    if (tp == NULL)
        tp = mymalloc(sizeof(*tp));
    tp->when = monotonic_ms() + milliseconds;
    tp->seq = ++event_timer_seq;
    tp->callback = callback;
    tp->context = context;
    for (tpp = &event_timers; *tpp && (*tpp)->when <= tp->when; tpp = &(*tpp)->next)
        continue;
    tp->next = *tpp;
    *tpp = tp;
}

void
event_request_timer(void (*callback)(int, void *), void *context, int seconds)
{
    event_request_timer_ms(callback, context, (long long)seconds * 1000);
}

long long
event_cancel_timer(void (*callback)(int, void *), void *context)
{
    struct event_timer *tp = event_timer_unlink(callback, context);
    long long left;

    if (tp == NULL)
        return -1;
    left = tp->when - monotonic_ms();
    myfree(tp);
    return left > 0 ? left : 0;
}

time_t
event_time(void)
{
    return event_present ? event_present : time(NULL);
}

/* Builds the pollfd array from the enabled descriptors; returns its length. */
static int
event_poll_setup(void)
{
    if (event_poll_size < event_active_count) {
        event_poll_size = event_active_size;
        event_pollfds = myrealloc(event_pollfds, (size_t)event_poll_size * sizeof(*event_pollfds));
        event_poll_gen =
            myrealloc(event_poll_gen, (size_t)event_poll_size * sizeof(*event_poll_gen));
    }
    for (int i = 0; i < event_active_count; i++) {
        struct event_fd *ep = event_fds + event_active[i];

        event_pollfds[i].fd = event_active[i];
        event_pollfds[i].events =
            (short)((ep->read_cb ? POLLIN : 0) | (ep->write_cb ? POLLOUT : 0));
        event_pollfds[i].revents = 0;
        event_poll_gen[i] = ep->generation;
    }
    return event_active_count;
}

/* The poll timeout: the caller's limit, shortened to the first timer. */
static int
event_poll_timeout(int max_wait)
{
    long long wait = max_wait < 0 ? -1 : (long long)max_wait * 1000;

    if (event_timers != NULL) {
        long long due = event_timers->when - monotonic_ms();

        if (due < 0)
            due = 0;
        if (wait < 0 || due < wait)
            wait = due;
    }
    return wait > INT_MAX ? INT_MAX : (int)wait;
}

static void
event_fire_timers(void)
{
    unsigned long limit = event_timer_seq;
    long long now = monotonic_ms();
    struct event_timer *tp;

    while ((tp = event_timers) != NULL && tp->when <= now && tp->seq <= limit) {
        void (*callback)(int, void *) = tp->callback;
        void *context = tp->context;

        event_timers = tp->next;
        myfree(tp);
        callback(EVENT_TIME, context);
    }
}

/* Still the registration that the round polled? */
static int
event_same(int fd, unsigned long generation)
{
    return event_fds[fd].generation == generation;
}

static void
event_dispatch_fd(const struct pollfd *pfd, unsigned long generation)
{
    int fd = pfd->fd;
    int rev = pfd->revents;
    int told_xcpt = 0;

    if (!event_same(fd, generation))
        return;
    if (rev & POLLNVAL)
        msg_panic("event_loop: descriptor %d was closed while enabled", fd);
    if ((pfd->events & POLLIN) && event_fds[fd].read_cb && (rev & (POLLIN | POLLHUP | POLLERR))) {
        told_xcpt = (rev & (POLLIN | POLLHUP)) == 0;
        event_fds[fd].read_cb(told_xcpt ? EVENT_XCPT : EVENT_READ, event_fds[fd].read_ctx);
    }
    if (!event_same(fd, generation) || (pfd->events & POLLOUT) == 0 || !event_fds[fd].write_cb)
        return;
    if (rev & (POLLOUT | POLLHUP))
        event_fds[fd].write_cb(EVENT_WRITE, event_fds[fd].write_ctx);
    else if ((rev & POLLERR) && !told_xcpt)
        event_fds[fd].write_cb(EVENT_XCPT, event_fds[fd].write_ctx);
}

void
event_loop(int max_wait)
{
    int count;
    int ready;

    if (event_running)
        msg_panic("event_loop: recursive call");
    event_running = 1;
    count = event_poll_setup();
    ready = poll(event_pollfds, (nfds_t)count, event_poll_timeout(max_wait));
    if (ready < 0 && errno != EINTR)
        msg_fatal("event_loop: poll: %m");
    event_present = time(NULL);
    event_fire_timers();
    for (int i = 0; ready > 0 && i < count; i++) {
        if (event_pollfds[i].revents) {
            ready--;
            event_dispatch_fd(event_pollfds + i, event_poll_gen[i]);
        }
    }
    event_running = 0;
}
