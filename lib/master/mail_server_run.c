/*
 * mail_server_run - the run-time half of the daemon skeleton that the three
 * styles share: status records to the master, the use and idle limits,
 * SIGTERM, the watchdog, the event loop and the orderly exit. See
 * mail_server_private.h for the entry points.
 *
 * Stopping. Every planned stop (max_use reached, max_idle expired, the
 * master closed the status pipe, SIGTERM between requests) goes through
 * mail_server_exit(): the pre_exit hook, then exit(0). A stop is never
 * taken in the middle of a service callback, except for SIGTERM: inside a
 * callback (mail_server_enter .. mail_server_leave) SIGTERM ends the
 * process at once with _exit(0), because the hook cannot run safely from
 * a signal handler and a stop request must not wait for a slow client.
 *
 * The watchdog (daemon_timeout) is patted after each event round and each
 * service callback; a wait is cut to half its period so that a process
 * with nothing to do is not mistaken for a stuck one.
 *
 * The status pipe: the master keeps the read end; when it closes it, poll
 * reports an error condition on our write end, which the event loop hands
 * to the read callback. A failed status write means the same.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "master/mail_server_private.h"
#include "master/master_proto.h"
#include "util/events.h"
#include "util/msg.h"
#include "util/sig_pipe.h"
#include "util/watchdog.h"

static int mail_server_watchdog_on;

void
mail_server_exit(void)
{
    const struct mail_server *server = mail_server_state.server;

    if (server->pre_exit)
        server->pre_exit(mail_server_state.service, mail_server_state.args);
    exit(0);
}

void
mail_server_status(int avail)
{
    struct master_status stat;
    ssize_t n;

    if (mail_server_state.standalone || mail_server_state.master_gone)
        return;
    memset(&stat, 0, sizeof(stat));
    stat.pid = (int)getpid();
    stat.gen = mail_server_state.generation;
    stat.avail = avail;
    do {
        n = write(MASTER_STATUS_FD, &stat, sizeof(stat));
    } while (n < 0 && errno == EINTR);
    if (n != (ssize_t)sizeof(stat)) {
        if (msg_verbose)
            msg_info("master status write: %m -- exiting when idle");
        mail_server_state.master_gone = 1;
    }
}

int
mail_server_stop_due(void)
{
    return mail_server_state.master_gone;
}

/* SIGTERM between requests: an orderly exit from the event loop. */
static void
mail_server_sigterm_event(int sig, void *context)
{
    (void)sig;
    (void)context;
    if (msg_verbose)
        msg_info("SIGTERM -- exiting");
    mail_server_exit();
}

/* SIGTERM inside a service callback: stop now. */
static void
mail_server_sigterm_now(int sig)
{
    (void)sig;
    _exit(0);
}

void
mail_server_enter(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = mail_server_sigterm_now;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) < 0)
        msg_fatal("sigaction SIGTERM: %m");
}

void
mail_server_catch_sigterm(void)
{
    sig_pipe_catch(SIGTERM, mail_server_sigterm_event, NULL);
}

void
mail_server_leave(void)
{
    mail_server_catch_sigterm();
    if (mail_server_watchdog_on)
        watchdog_pat();
}

int
mail_server_count_use(void)
{
    mail_server_state.use_count++;
    if (mail_server_state.server->unlimited || mail_server_state.max_use <= 0)
        return 0;
    if (mail_server_state.use_count < mail_server_state.max_use)
        return 0;
    if (msg_verbose)
        msg_info("use count %ld -- exiting", mail_server_state.use_count);
    return 1;
}

static void
mail_server_idle_event(int event, void *context)
{
    (void)event;
    (void)context;
    if (msg_verbose)
        msg_info("idle timeout -- exiting");
    mail_server_exit();
}

void
mail_server_idle_arm(void)
{
    if (mail_server_state.server->unlimited || mail_server_state.max_idle <= 0)
        return;
    event_request_timer(mail_server_idle_event, NULL, (int)mail_server_state.max_idle);
}

void
mail_server_idle_disarm(void)
{
    event_cancel_timer(mail_server_idle_event, NULL);
}

static void
mail_server_master_event(int event, void *context)
{
    (void)event;
    (void)context;
    if (msg_verbose)
        msg_info("master disconnect -- exiting");
    mail_server_exit();
}

void
mail_server_watch_master(void)
{
    if (!mail_server_state.standalone)
        event_enable_read(MASTER_STATUS_FD, mail_server_master_event, NULL);
}

/* A wait never outlasts half the watchdog period: an idle process is alive. */
static int
mail_server_wait_bound(int wait)
{
    int bound = (int)(mail_server_state.daemon_timeout / 2);

    if (!mail_server_watchdog_on)
        return wait;
    if (bound < 1)
        bound = 1;
    return (wait < 0 || wait > bound) ? bound : wait;
}

void
mail_server_run(void)
{
    const struct mail_server *server = mail_server_state.server;
    int wait;

    if (mail_server_state.daemon_timeout > 0) {
        watchdog_start((int)mail_server_state.daemon_timeout);
        mail_server_watchdog_on = 1;
    }
    for (;;) {
        if (mail_server_state.master_gone) {
            if (msg_verbose)
                msg_info("master disconnect -- exiting");
            mail_server_exit();
        }
        wait = server->loop ? server->loop(mail_server_state.service, mail_server_state.args) : -1;
        event_loop(mail_server_wait_bound(wait));
        if (mail_server_watchdog_on)
            watchdog_pat();
    }
}
