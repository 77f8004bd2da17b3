/*
 * postfix_master - the commands that drive the master daemon: start,
 * start-fg, stop, abort, reload, status, and flush.
 *
 * The contract with master(8), as with Postfix's master:
 *   "$daemon_directory/master -t"  exits 0 when no master runs (the lock on
 *                                  $queue_directory/pid/master.pid is free);
 *   "master -w"                    starts the master in the background and
 *                                  exits 0 once it has initialized;
 *   "master -s" / "master -i"      run it in the foreground (-i only as
 *                                  process 1, for containers);
 *   the first line of pid/master.pid holds its process id, and the master
 *   holds that file's lock (util/pid_file.h) while it runs;
 *   SIGHUP reloads, SIGTERM stops it and its children.
 *
 * Messages and exit codes follow postfix-script: "the Postfix mail system is
 * already running" / "is not running" are fatal (exit 1); status logs
 * "the Postfix mail system is running: PID: N" (exit 0) or "... is not
 * running" (exit 1). stop sends SIGTERM and waits up to five seconds,
 * logging "waiting for the Postfix mail system to terminate" each second,
 * then kills the master's process group with SIGKILL. abort sends SIGTERM
 * and does not wait. Unlike postfix-script, the wait polls often instead of
 * sleeping whole seconds, so a quick stop returns at once.
 *
 * postfix_run() runs a program with our environment and waits for it; it
 * returns the exit status, 128 + signal when killed, 127 when the program
 * could not be executed (the reason goes to standard error, as a shell's).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "postfix.h"
#include "util/iostuff.h"
#include "util/msg.h"
#include "util/pid_file.h"
#include "util/vstring.h"

#define POSTFIX_STOP_SECONDS 5
#define POSTFIX_POLL_MS 50

static void
postfix_child_exec(char *const *argv, int flags)
{
    int fd;

    if ((flags & POSTFIX_RUN_QUIET) && (fd = open("/dev/null", O_WRONLY)) >= 0) {
        dup2(fd, STDERR_FILENO);
        if (fd != STDERR_FILENO)
            close(fd);
    }
    signal(SIGHUP, SIG_DFL);
    execv(argv[0], argv);
    msg_warn("cannot execute %s: %m", argv[0]);
    _exit(127);
}

int
postfix_run(char *const *argv, int flags)
{
    pid_t pid;
    int status;

    if ((pid = fork()) < 0)
        msg_fatal("fork: %m");
    if (pid == 0)
        postfix_child_exec(argv, flags);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            msg_fatal("waitpid: %m");
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

static int
postfix_master_cmd(const struct postfix_ctx *ctx, const char *option, int flags)
{
    struct vstring *path = vstring_alloc(100);
    char *argv[3];
    int status;

    vstring_sprintf(path, "%s/master", ctx->daemon_directory);
    argv[0] = vstring_str(path);
    argv[1] = (char *)option;
    argv[2] = NULL;
    status = postfix_run(argv, flags);
    vstring_free(path);
    return status;
}

/*
 * 1 when a master runs: "master -t" fails and the pid file's lock is held.
 * The second test keeps a "master -t" that fails for another reason (a
 * configuration the master refuses, a program that cannot run) from
 * passing for a running master.
 */
int
postfix_master_running(const struct postfix_ctx *ctx)
{
    struct vstring *path;
    pid_t owner;

    if (postfix_master_cmd(ctx, "-t", POSTFIX_RUN_QUIET) == 0)
        return 0;
    path = vstring_alloc(100);
    vstring_sprintf(path, "%s/pid/master.pid", ctx->queue_directory);
    owner = pid_file_owner(vstring_str(path));
    vstring_free(path);
    return owner != 0;
}

/* The pid on the first line of pid/master.pid, or 0 (with a warning). */
pid_t
postfix_master_pid(const struct postfix_ctx *ctx)
{
    struct vstring *path = vstring_alloc(100);
    char buf[64];
    char *end;
    ssize_t len;
    long pid = 0;
    int fd;

    vstring_sprintf(path, "%s/pid/master.pid", ctx->queue_directory);
    if ((fd = open(vstring_str(path), O_RDONLY | O_CLOEXEC)) < 0) {
        msg_warn("open %s: %m", vstring_str(path));
    } else {
        len = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        buf[len > 0 ? len : 0] = 0;
        pid = strtol(buf, &end, 10);
        if (end == buf || (*end != '\n' && *end != 0) || pid <= 1) {
            msg_warn("%s: no valid process id on its first line", vstring_str(path));
            pid = 0;
        }
    }
    vstring_free(path);
    return (pid_t)pid;
}

int
postfix_master_signal(const struct postfix_ctx *ctx, int sig)
{
    pid_t pid = postfix_master_pid(ctx);

    if (pid == 0)
        return -1;
    if (kill(pid, sig) < 0) {
        msg_warn("kill %s %ld: %m", sigabbrev_np(sig), (long)pid);
        return -1;
    }
    return 0;
}

static void
postfix_require_running(const struct postfix_ctx *ctx)
{
    if (!postfix_master_running(ctx))
        msg_fatal("the Postfix mail system is not running");
}

/* Checks before a start; returns when the master may start. */
static void
postfix_start_checks(struct postfix_ctx *ctx)
{
    struct vstring *quick = vstring_alloc(100);

    if (postfix_master_running(ctx))
        msg_fatal("the Postfix mail system is already running");
    vstring_sprintf(quick, "%s/quick-start", ctx->queue_directory);
    if (unlink(vstring_str(quick)) < 0) {
        if (postfix_check_fatal(ctx) < 0)
            msg_fatal("Postfix integrity check failed!");
        postfix_check_warn(ctx);
    }
    vstring_free(quick);
    msg_info("starting the Postfix mail system");
}

int
postfix_start(struct postfix_ctx *ctx, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    postfix_start_checks(ctx);
    if (postfix_master_cmd(ctx, "-w", 0) != 0)
        msg_fatal("mail system startup failed");
    return 0;
}

int
postfix_start_fg(struct postfix_ctx *ctx, int argc, char **argv)
{
    struct vstring *path = vstring_alloc(100);
    char *args[3];

    (void)argc;
    (void)argv;
    postfix_start_checks(ctx);
    if (ctx->multi_instance)
        msg_fatal("start-fg does not support multi_instance_directories");
    if (getpid() != 1)
        return postfix_master_cmd(ctx, "-s", 0);
    vstring_sprintf(path, "%s/master", ctx->daemon_directory);
    args[0] = vstring_str(path);
    args[1] = "-i";
    args[2] = NULL;
    execv(args[0], args);
    msg_fatal("cannot start-fg the master daemon");
}

/* Polls "master -t" for up to one second; 1 when the master has gone. */
static int
postfix_wait_second(const struct postfix_ctx *ctx)
{
    long long deadline = monotonic_ms() + 1000;
    struct timespec pause = {0, POSTFIX_POLL_MS * 1000000L};

    for (;;) {
        if (!postfix_master_running(ctx))
            return 1;
        if (monotonic_ms() >= deadline)
            return 0;
        nanosleep(&pause, NULL);
    }
}

int
postfix_stop(struct postfix_ctx *ctx, int argc, char **argv)
{
    pid_t pid;
    int n;

    (void)argc;
    (void)argv;
    postfix_require_running(ctx);
    msg_info("stopping the Postfix mail system");
    postfix_master_signal(ctx, SIGTERM);
    for (n = 0; n < POSTFIX_STOP_SECONDS; n++) {
        if (postfix_wait_second(ctx))
            return 0;
        msg_info("waiting for the Postfix mail system to terminate");
    }
    msg_warn("stopping the Postfix mail system with force");
    if ((pid = postfix_master_pid(ctx)) > 1 && kill(-pid, SIGKILL) < 0)
        msg_warn("kill -KILL -%ld: %m", (long)pid);
    return 0;
}

int
postfix_abort(struct postfix_ctx *ctx, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    postfix_require_running(ctx);
    msg_info("aborting the Postfix mail system");
    return postfix_master_signal(ctx, SIGTERM) == 0 ? 0 : 1;
}

int
postfix_reload(struct postfix_ctx *ctx, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    postfix_require_running(ctx);
    msg_info("refreshing the Postfix mail system");
    return postfix_master_signal(ctx, SIGHUP) == 0 ? 0 : 1;
}

int
postfix_status(struct postfix_ctx *ctx, int argc, char **argv)
{
    pid_t pid;

    (void)argc;
    (void)argv;
    if (!postfix_master_running(ctx)) {
        msg_info("the Postfix mail system is not running");
        return 1;
    }
    pid = postfix_master_pid(ctx);
    msg_info("the Postfix mail system is running: PID: %ld", (long)pid);
    return 0;
}

int
postfix_flush(struct postfix_ctx *ctx, int argc, char **argv)
{
    struct vstring *path = vstring_alloc(100);
    char *args[3];

    (void)argc;
    (void)argv;
    vstring_sprintf(path, "%s/postqueue", ctx->command_directory);
    args[0] = vstring_str(path);
    args[1] = "-f";
    args[2] = NULL;
    execv(args[0], args);
    msg_fatal("cannot execute %s: %m", args[0]);
}
