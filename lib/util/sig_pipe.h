/*
 * sig_pipe - signals delivered as events: a signal handler may do almost
 * nothing safely, so it only notes the signal and writes one byte to a
 * pipe whose read end sits in the event loop; the real work then runs as an
 * ordinary callback between other events (the master's SIGHUP reload,
 * SIGCHLD reaping and SIGTERM shutdown).
 *
 *   sig_pipe_catch(sig, callback, context)
 *       from now on, each event_loop round after sig arrived calls
 *       callback(sig, context) once, however many times sig arrived
 *       meanwhile. The first call creates the pipe (non-blocking,
 *       close-on-exec) and enables its read end in the event loop. Calling
 *       again for the same signal replaces the callback.
 *   sig_pipe_release(sig)
 *       restores the default action of sig and forgets its callback.
 *
 * Handlers are installed with SA_RESTART (SIGCHLD also with SA_NOCLDSTOP),
 * so only calls that never restart, such as poll(), see EINTR: event_loop
 * then ends its wait at once and the callback runs in that or the next
 * round. Several pending signals are dispatched in signal-number order.
 * Failure to set up the pipe or a handler is fatal.
 */
#ifndef TERN_SIG_PIPE_H
#define TERN_SIG_PIPE_H

void sig_pipe_catch(int sig, void (*callback)(int sig, void *context), void *context);
void sig_pipe_release(int sig);

#endif
