/*
 * master_sig - the master's signals, handled as events (sig_pipe), never
 * inside a signal handler.
 *
 *   SIGHUP            reload (master_conf_reload)
 *   SIGCHLD           reap children (master_reap)
 *   SIGTERM, SIGINT, SIGQUIT
 *                     "terminating on signal N": every child is sent
 *                     SIGTERM (the whole process group when we lead it, as
 *                     Postfix does, so that helpers of children go too),
 *                     nothing is removed, and the master then ends by the
 *                     same signal, as Postfix's master does.
 *   SIGPIPE, SIGXFSZ  ignored
 *
 *   master_sig_init()             installs all of the above
 *   master_sig_block(&saved), master_sig_restore(&saved)
 *                                 block every signal around fork()
 *   master_sig_child_reset()      in a new child before exec: default
 *                                 actions back, nothing blocked
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "master.h"
#include "util/msg.h"
#include "util/sig_pipe.h"

static const int master_sig_caught[] = {SIGHUP, SIGCHLD, SIGTERM, SIGINT, SIGQUIT};
static const int master_sig_ignored[] = {SIGPIPE, SIGXFSZ};

#define MASTER_SIG_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void
master_sig_hup(int sig, void *context)
{
    (void)sig;
    (void)context;
    master_conf_reload();
}

static void
master_sig_chld(int sig, void *context)
{
    (void)sig;
    (void)context;
    master_reap();
}

static void master_sig_death(int sig, void *context) __attribute__((noreturn));

static void
master_sig_death(int sig, void *context)
{
    (void)context;
    signal(SIGTERM, SIG_IGN);
    if (getpgrp() == getpid() && kill(0, SIGTERM) < 0)
        msg_warn("master_sig_death: kill process group: %m");
    master_kill_all(SIGTERM);
    msg_info("terminating on signal %d", sig);
    signal(sig, SIG_DFL);
    raise(sig);
    exit(0);
}

void
master_sig_init(void)
{
    sig_pipe_catch(SIGHUP, master_sig_hup, NULL);
    sig_pipe_catch(SIGCHLD, master_sig_chld, NULL);
    sig_pipe_catch(SIGTERM, master_sig_death, NULL);
    sig_pipe_catch(SIGINT, master_sig_death, NULL);
    sig_pipe_catch(SIGQUIT, master_sig_death, NULL);
    for (size_t i = 0; i < MASTER_SIG_COUNT(master_sig_ignored); i++)
        signal(master_sig_ignored[i], SIG_IGN);
}

void
master_sig_block(sigset_t *saved)
{
    sigset_t all;

    sigfillset(&all);
    if (sigprocmask(SIG_BLOCK, &all, saved) < 0)
        msg_fatal("sigprocmask: %m");
}

void
master_sig_restore(const sigset_t *saved)
{
    if (sigprocmask(SIG_SETMASK, saved, NULL) < 0)
        msg_fatal("sigprocmask: %m");
}

void
master_sig_child_reset(void)
{
    sigset_t none;

    for (size_t i = 0; i < MASTER_SIG_COUNT(master_sig_caught); i++)
        signal(master_sig_caught[i], SIG_DFL);
    for (size_t i = 0; i < MASTER_SIG_COUNT(master_sig_ignored); i++)
        signal(master_sig_ignored[i], SIG_DFL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}
