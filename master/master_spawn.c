/*
 * master_spawn - children: creating them, reaping them, and throttling a
 * service whose command fails at start-up.
 *
 *   master_spawn(serv)      forks and executes one child of serv (see
 *                           master_proto.h for what it finds: status pipe
 *                           at fd 5, listeners at 6.., /dev/null on 0-2
 *                           except standard output under -s/-i, working
 *                           directory queue_directory, argv[0] the command
 *                           as written then -n -t [-u] [-c] [-s N] [-l]
 *                           [-v...] and the rest of the command field,
 *                           environment master_params.child_env plus
 *                           GENERATION). A failed fork throttles the
 *                           service; a failed exec ends the child with
 *                           "fatal: master_spawn: exec PATH: REASON".
 *   master_reap()           collects every child that ended (SIGCHLD),
 *                           without ever blocking. A non-zero exit or a
 *                           signal is logged as Postfix does ("process
 *                           PATH pid N exit status S", "... killed by
 *                           signal S"); when such a child never took a
 *                           client, its service is throttled ("PATH: bad
 *                           command startup -- throttling"): no spawning
 *                           for service_throttle_time.
 *   master_throttle/unthrottle(serv), master_kill_children(serv, sig),
 *   master_kill_all(sig), master_forget_children(serv) (the service goes
 *   away; its children live on, reaped by pid), master_proc_find(pid),
 *   master_procs_walk(fn, context).
 *
 * Signals are blocked around fork(): a signal that reached the child
 * before exec would otherwise run the master's handler there and write to
 * the master's signal pipe, which the child shares until exec.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "master.h"
#include "master/master_proto.h"
#include "util/events.h"
#include "util/htable.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/vstring.h"

static struct htable *master_procs; /* pid text -> struct master_proc */

static void
master_proc_key(char *buf, size_t len, pid_t pid)
{
    snprintf(buf, len, "%ld", (long)pid);
}

struct master_proc *
master_proc_find(pid_t pid)
{
    char key[32];

    if (master_procs == NULL)
        return NULL;
    master_proc_key(key, sizeof(key), pid);
    return htable_find(master_procs, key);
}

void
master_procs_walk(void (*fn)(struct master_proc *proc, void *context), void *context)
{
    struct htable_entry *ht;
    struct htable_entry *next;

    if (master_procs == NULL)
        return;
    for (ht = htable_first(master_procs); ht; ht = next) {
        next = htable_next(ht);
        fn(ht->value, context);
    }
}

/* The child's command line: see the header comment. */
static struct argv *
master_spawn_argv(const struct master_serv *serv)
{
    struct argv *argv = argv_alloc(serv->args->argc + 12);
    char count[16];

    argv_add(argv, serv->args->argv[0]);
    argv_add(argv, "-n");
    argv_add(argv, serv->name);
    argv_add(argv, "-t");
    argv_add(argv, serv->type);
    if (serv->unpriv)
        argv_add(argv, "-u");
    if (serv->chroot)
        argv_add(argv, "-c");
    if (serv->listen_count > 1) {
        snprintf(count, sizeof(count), "%d", serv->listen_count);
        argv_add(argv, "-s");
        argv_add(argv, count);
    }
    if (serv->max_proc == 1)
        argv_add(argv, "-l");
    for (int i = 0; i < master_params.verbose; i++)
        argv_add(argv, "-v");
    for (size_t i = 1; i < serv->args->argc; i++)
        argv_add(argv, serv->args->argv[i]);
    return argv;
}

static struct argv *
master_spawn_env(void)
{
    struct argv *env = argv_alloc(master_params.child_env->argc + 2);
    char gen[64];

    for (size_t i = 0; i < master_params.child_env->argc; i++)
        argv_add(env, master_params.child_env->argv[i]);
    snprintf(gen, sizeof(gen), "%s=%x", MASTER_GEN_NAME, master_generation);
    argv_add(env, gen);
    return env;
}

static void master_child_fatal(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

static void
master_child_fatal(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_vlog("fatal", fmt, ap);
    va_end(ap);
    _exit(1);
}

/*
 * In the child: descriptors into place. Sources are first copied above
 * the target range, so that no dup2() overwrites a source still needed.
 */
static void
master_child_fds(const struct master_serv *serv)
{
    int high = MASTER_LISTEN_FD + serv->listen_count;
    int status_fd;
    int listen_fds[serv->listen_count > 0 ? serv->listen_count : 1];
    int null_fd;

    if ((null_fd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
        master_child_fatal("master_spawn: open /dev/null: %m");
    for (int fd = 0; fd < 3; fd++)
        if (!(fd == 1 && master_params.keep_stdout) && dup2(null_fd, fd) < 0)
            master_child_fatal("master_spawn: dup2 /dev/null: %m");
    if ((status_fd = fcntl(serv->status_fds[1], F_DUPFD_CLOEXEC, high)) < 0)
        master_child_fatal("master_spawn: dup status_fd: %m");
    for (int i = 0; i < serv->listen_count; i++)
        if ((listen_fds[i] = fcntl(serv->listen_fds[i], F_DUPFD_CLOEXEC, high)) < 0)
            master_child_fatal("master_spawn: dup listen_fd %d: %m", serv->listen_fds[i]);
    if (dup2(status_fd, MASTER_STATUS_FD) < 0)
        master_child_fatal("master_spawn: dup2 status_fd: %m");
    for (int i = 0; i < serv->listen_count; i++)
        if (dup2(listen_fds[i], MASTER_LISTEN_FD + i) < 0)
            master_child_fatal("master_spawn: dup2 listen_fd %d: %m", serv->listen_fds[i]);
    close(3);
    close(4);
}

static void master_child(const struct master_serv *serv, struct argv *argv, struct argv *env)
    __attribute__((noreturn));

static void
master_child(const struct master_serv *serv, struct argv *argv, struct argv *env)
{
    master_sig_child_reset();
    master_child_fds(serv);
    execve(serv->path, argv->argv, env->argv);
    master_child_fatal("master_spawn: exec %s: %m", serv->path);
}

void
master_spawn(struct master_serv *serv)
{
    struct argv *argv = master_spawn_argv(serv);
    struct argv *env = master_spawn_env();
    struct master_proc *proc;
    sigset_t saved;
    char key[32];
    pid_t pid;

    master_sig_block(&saved);
    pid = fork();
    if (pid == 0)
        master_child(serv, argv, env);
    master_sig_restore(&saved);
    argv_free(argv);
    argv_free(env);
    if (pid < 0) {
        msg_warn("%s: fork: %m -- throttling", serv->path);
        master_throttle(serv);
        return;
    }
    if (msg_verbose)
        msg_info("spawn command %s; pid %ld", serv->path, (long)pid);
    if (master_procs == NULL)
        master_procs = htable_create(64);
    proc = mycalloc(1, sizeof(*proc));
    proc->pid = pid;
    proc->gen = master_generation;
    proc->serv = serv;
    proc->path = mystrdup(serv->path);
    master_proc_key(key, sizeof(key), pid);
    htable_enter(master_procs, key, proc);
    master_avail_spawned(serv, proc);
}

static void
master_proc_free(void *ptr)
{
    struct master_proc *proc = ptr;

    myfree(proc->path);
    myfree(proc);
}

/* Logs an abnormal end; returns 1 when the child ended abnormally. */
static int
master_reap_log(const struct master_proc *proc, int status)
{
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        msg_warn("process %s pid %ld exit status %d", proc->path, (long)proc->pid,
                 WEXITSTATUS(status));
        return 1;
    }
    if (WIFSIGNALED(status)) {
        msg_warn("process %s pid %ld killed by signal %d", proc->path, (long)proc->pid,
                 WTERMSIG(status));
        return 1;
    }
    return 0;
}

void
master_reap(void)
{
    struct master_proc *proc;
    struct master_serv *serv;
    char key[32];
    int status;
    pid_t pid;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if ((proc = master_proc_find(pid)) == NULL) {
            msg_warn("master_reap: unknown pid: %ld", (long)pid);
            continue;
        }
        if (msg_verbose)
            msg_info("master_reap: pid %ld", (long)pid);
        serv = proc->serv;
        if (master_reap_log(proc, status) && serv && proc->use_count == 0 && !serv->throttled) {
            msg_warn("%s: bad command startup -- throttling", serv->path);
            master_throttle(serv);
        }
        if (serv)
            master_avail_exited(serv, proc);
        master_proc_key(key, sizeof(key), pid);
        htable_delete(master_procs, key, master_proc_free);
    }
}

static void
master_throttle_event(int event, void *context)
{
    struct master_serv *serv = context;

    (void)event;
    serv->throttled = 0;
    if (msg_verbose)
        msg_info("throttle released for command %s", serv->path);
    master_avail_update(serv);
}

void
master_throttle(struct master_serv *serv)
{
    if (serv->throttled)
        return;
    serv->throttled = 1;
    event_request_timer(master_throttle_event, serv, master_params.throttle_time);
    master_avail_update(serv);
}

void
master_unthrottle(struct master_serv *serv)
{
    if (!serv->throttled)
        return;
    event_cancel_timer(master_throttle_event, serv);
    serv->throttled = 0;
}

struct master_kill {
    struct master_serv *serv; /* NULL: every child */
    int sig;
};

static void
master_kill_one(struct master_proc *proc, void *context)
{
    struct master_kill *kill_req = context;

    if (kill_req->serv == NULL || proc->serv == kill_req->serv)
        if (kill(proc->pid, kill_req->sig) < 0 && errno != ESRCH)
            msg_warn("kill %s pid %ld: %m", proc->path, (long)proc->pid);
}

void
master_kill_children(struct master_serv *serv, int sig)
{
    struct master_kill kill_req = {serv, sig};

    master_procs_walk(master_kill_one, &kill_req);
}

void
master_kill_all(int sig)
{
    struct master_kill kill_req = {NULL, sig};

    master_procs_walk(master_kill_one, &kill_req);
}

static void
master_forget_one(struct master_proc *proc, void *context)
{
    if (proc->serv == context) {
        proc->serv = NULL;
        proc->avail = MASTER_STAT_TAKEN;
    }
}

void
master_forget_children(struct master_serv *serv)
{
    master_procs_walk(master_forget_one, serv);
}
