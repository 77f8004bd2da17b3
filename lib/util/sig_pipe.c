/*
 * sig_pipe - the self-pipe trick on top of events; see sig_pipe.h.
 *
 * The handler sets a per-signal pending flag and writes one wake-up byte.
 * The flag, not the byte, says which signal arrived, so a full pipe (the
 * write fails with EAGAIN) loses nothing: the pipe is readable anyway.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "util/events.h"
#include "util/msg.h"
#include "util/sig_pipe.h"

struct sig_pipe_slot {
    void (*callback)(int, void *);
    void *context;
};

static int sig_pipe_fds[2] = {-1, -1};
static volatile sig_atomic_t sig_pipe_pending[NSIG];
static struct sig_pipe_slot sig_pipe_slots[NSIG];

static void
sig_pipe_handler(int sig)
{
    int saved_errno = errno;
    char byte = 0;

    if (sig > 0 && sig < NSIG)
        sig_pipe_pending[sig] = 1;
    if (write(sig_pipe_fds[1], &byte, 1) < 0) {
        /* EAGAIN: the pipe is full, hence readable; the flag is what counts. */
    }
    errno = saved_errno;
}

static void
sig_pipe_event(int event, void *context)
{
    char buf[256];

    (void)event;
    (void)context;
    while (read(sig_pipe_fds[0], buf, sizeof(buf)) > 0)
        continue;
    for (int sig = 1; sig < NSIG; sig++) {
        if (!sig_pipe_pending[sig])
            continue;
        sig_pipe_pending[sig] = 0;
        if (sig_pipe_slots[sig].callback)
            sig_pipe_slots[sig].callback(sig, sig_pipe_slots[sig].context);
    }
}

static void
sig_pipe_init(void)
{
    if (sig_pipe_fds[0] >= 0)
        return;
    if (pipe2(sig_pipe_fds, O_NONBLOCK | O_CLOEXEC) < 0)
        msg_fatal("sig_pipe: create pipe: %m");
    event_enable_read(sig_pipe_fds[0], sig_pipe_event, NULL);
}

static void
sig_pipe_action(int sig, void (*handler)(int))
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = handler;
    sa.sa_flags = SA_RESTART | (sig == SIGCHLD ? SA_NOCLDSTOP : 0);
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) < 0)
        msg_fatal("sig_pipe: sigaction(%d): %m", sig);
}

void
sig_pipe_catch(int sig, void (*callback)(int, void *), void *context)
{
    if (sig <= 0 || sig >= NSIG || callback == NULL)
        msg_panic("sig_pipe_catch: bad signal %d or no callback", sig);
    sig_pipe_init();
    sig_pipe_slots[sig].callback = callback;
    sig_pipe_slots[sig].context = context;
    sig_pipe_action(sig, sig_pipe_handler);
}

void
sig_pipe_release(int sig)
{
    if (sig <= 0 || sig >= NSIG)
        msg_panic("sig_pipe_release: bad signal %d", sig);
    sig_pipe_action(sig, SIG_DFL);
    sig_pipe_pending[sig] = 0;
    sig_pipe_slots[sig].callback = NULL;
    sig_pipe_slots[sig].context = NULL;
}
