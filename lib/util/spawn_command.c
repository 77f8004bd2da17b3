/*
 * spawn_command - fork, set up and exec a command, wait for it with a time
 * limit; see spawn_command.h.
 *
 * The parent prepares everything that allocates memory (the argument
 * vector); the child only makes system calls. If a step in the child
 * fails, the child writes {step, errno} on a close-on-exec pipe and exits;
 * a successful exec closes the pipe, so the parent learns which happened
 * from one read. Waiting uses a pidfd when the kernel has one (poll with a
 * timeout), else a short sleep-and-check loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/argv.h"
#include "util/iostuff.h"
#include "util/set_ugid.h"
#include "util/spawn_command.h"

extern char **environ;

#define SPAWN_SHELL_META "\"'`\\$&|;<>(){}[]*?~!#=\n\r"
#define SPAWN_BLANKS " \t"

enum spawn_step { SPAWN_STEP_STDIO = 1, SPAWN_STEP_IDS, SPAWN_STEP_CWD, SPAWN_STEP_EXEC };

struct spawn_report {
    int step;
    int err;
};

void
spawn_request_init(struct spawn_request *req)
{
    memset(req, 0, sizeof(*req));
    req->uid = (uid_t)-1;
    req->gid = (gid_t)-1;
    req->stdin_fd = req->stdout_fd = req->stderr_fd = -1;
}

/* The argument vector to exec: argv as given, the split command, or SHELL -c. */
static struct argv *
spawn_args(const struct spawn_request *req, struct vstring *why)
{
    struct argv *args;

    if (req->argv != NULL) {
        args = argv_alloc(8);
        for (char *const *cpp = req->argv; *cpp; cpp++)
            argv_add(args, *cpp);
    } else if (req->command == NULL) {
        args = argv_alloc(1);
    } else if (strpbrk(req->command, SPAWN_SHELL_META) != NULL) {
        args = argv_alloc(4);
        argv_add(args, req->shell ? req->shell : "/bin/sh");
        argv_add(args, "-c");
        argv_add(args, req->command);
    } else {
        args = argv_split(req->command, SPAWN_BLANKS);
    }
    if (args->argc == 0) {
        vstring_sprintf(why, "empty command");
        argv_free(args);
        errno = EINVAL;
        return NULL;
    }
    return args;
}

/* In the child: report a failed step to the parent and exit. */
static void __attribute__((noreturn)) spawn_child_fail(int report_fd, enum spawn_step step)
{
    struct spawn_report report = {.step = step, .err = errno};

    (void)write_all(report_fd, &report, sizeof(report), 5);
    _exit(127);
}

/*
 * In the child: a copy of the descriptor for slot 0, 1 or 2, numbered above
 * 2, so that filling one slot with dup2 cannot clobber the source of another.
 */
static int
spawn_child_source(int fd)
{
    int null_fd;
    int copy;

    if (fd >= 0)
        return fcntl(fd, F_DUPFD, 3);
    if ((null_fd = open("/dev/null", O_RDWR)) < 0)
        return -1;
    copy = fcntl(null_fd, F_DUPFD, 3);
    (void)close(null_fd); /* may free a slot 0-2; dup2 fills all three next */
    return copy;
}

static int
spawn_child_stdio(const struct spawn_request *req)
{
    int src[3];

    if ((src[0] = spawn_child_source(req->stdin_fd)) < 0 ||
        (src[1] = spawn_child_source(req->stdout_fd)) < 0 ||
        (src[2] = spawn_child_source(req->stderr_fd)) < 0)
        return -1;
    for (int fd = 0; fd < 3; fd++)
        if (dup2(src[fd], fd) < 0)
            return -1;
    /* Everything else the parent had open goes away at exec. */
    if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
        long max = sysconf(_SC_OPEN_MAX);

        for (int fd = 3; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
            (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    return 0;
}

static void
spawn_child_signals(void)
{
    struct sigaction sa;
    sigset_t none;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    for (int sig = 1; sig < NSIG; sig++)
        (void)sigaction(sig, &sa, NULL); /* fails harmlessly for KILL, STOP */
    sigemptyset(&none);
    (void)sigprocmask(SIG_SETMASK, &none, NULL);
}

static void __attribute__((noreturn))
spawn_child(const struct spawn_request *req, struct argv *args, int report_fd)
{
    struct vstring *why;

    (void)setsid();
    spawn_child_signals();
    if (spawn_child_stdio(req) < 0)
        spawn_child_fail(report_fd, SPAWN_STEP_STDIO);
    if (req->uid != (uid_t)-1) {
        why = vstring_alloc(100);
        if (set_ugid_try(req->uid, req->gid, why) < 0)
            spawn_child_fail(report_fd, SPAWN_STEP_IDS);
    }
    if (req->cwd != NULL && chdir(req->cwd) < 0)
        spawn_child_fail(report_fd, SPAWN_STEP_CWD);
    if (req->env != NULL)
        environ = (char **)req->env;
    execvp(args->argv[0], args->argv);
    spawn_child_fail(report_fd, SPAWN_STEP_EXEC);
}

static void
spawn_explain(const struct spawn_request *req, const char *program,
              const struct spawn_report *report, struct vstring *why)
{
    errno = report->err;
    switch (report->step) {
    case SPAWN_STEP_STDIO:
        vstring_sprintf(why, "set up standard input/output: %m");
        break;
    case SPAWN_STEP_IDS:
        vstring_sprintf(why, "set uid %ld gid %ld: %m", (long)req->uid, (long)req->gid);
        break;
    case SPAWN_STEP_CWD:
        vstring_sprintf(why, "change directory to %s: %m", req->cwd);
        break;
    default:
        vstring_sprintf(why, "execvp %s: %m", program);
        break;
    }
    errno = report->err;
}

/* Reads the child's report: 0 when it exec'd, 1 with *report when a step failed. */
static int
spawn_read_report(int fd, struct spawn_proc *proc, struct spawn_report *report)
{
    ssize_t n;

    for (;;) {
        if (poll_fd_ms(fd, POLLIN, spawn_command_time_left(proc)) < 0)
            return -1;
        if ((n = read(fd, report, sizeof(*report))) >= 0)
            break;
        if (errno != EINTR)
            return -1;
    }
    return n == (ssize_t)sizeof(*report) ? 1 : 0;
}

static void
spawn_kill(pid_t pid)
{
    (void)kill(-pid, SIGKILL);
    (void)kill(pid, SIGKILL);
}

static pid_t
spawn_reap(pid_t pid, int *status)
{
    pid_t ret;

    while ((ret = waitpid(pid, status, 0)) < 0 && errno == EINTR)
        continue;
    return ret;
}

static long long
spawn_deadline(int time_limit)
{
    return time_limit > 0 ? monotonic_ms() + (long long)time_limit * 1000 : -1;
}

/* The parent's half of a start: wait for exec or a failure report. */
static int
spawn_parent(const struct spawn_request *req, struct spawn_proc *proc, const char *program,
             int report_fd, struct vstring *why)
{
    struct spawn_report report;
    int status;
    int got = spawn_read_report(report_fd, proc, &report);
    int saved_errno = errno;

    if (got == 0) {
        proc->pidfd = (int)syscall(SYS_pidfd_open, proc->pid, 0);
        return 0;
    }
    if (got < 0) {
        spawn_kill(proc->pid);
        vstring_sprintf(why, "%s",
                        saved_errno == ETIMEDOUT ? "time limit exceeded before exec"
                                                 : "read child status failed");
    } else {
        spawn_explain(req, program, &report, why);
        saved_errno = report.err;
    }
    (void)spawn_reap(proc->pid, &status);
    errno = saved_errno;
    return -1;
}

int
spawn_command_start(const struct spawn_request *req, struct spawn_proc *proc, struct vstring *why)
{
    struct argv *args;
    int report[2];
    int ret;
    int saved_errno;

    proc->pid = -1;
    proc->pidfd = -1;
    proc->deadline = spawn_deadline(req->time_limit);
    if ((args = spawn_args(req, why)) == NULL)
        return -1;
    if (pipe2(report, O_CLOEXEC) < 0) {
        vstring_sprintf(why, "create pipe: %m");
        argv_free(args);
        return -1;
    }
    if ((proc->pid = fork()) < 0) {
        vstring_sprintf(why, "fork: %m");
        ret = -1;
    } else if (proc->pid == 0) {
        close(report[0]);
        spawn_child(req, args, report[1]);
    } else {
        close(report[1]);
        report[1] = -1;
        ret = spawn_parent(req, proc, args->argv[0], report[0], why);
    }
    saved_errno = errno;
    close(report[0]);
    if (report[1] >= 0)
        close(report[1]);
    argv_free(args);
    errno = saved_errno;
    return ret;
}

int
spawn_command_time_left(const struct spawn_proc *proc)
{
    long long left;

    if (proc->deadline < 0)
        return -1;
    left = proc->deadline - monotonic_ms();
    return left <= 0 ? 0 : (left > 0x7fffffff ? 0x7fffffff : (int)left);
}

/* Waits until the command ends or the deadline passes: 0 ended, -1 timed out. */
static int
spawn_await(struct spawn_proc *proc, int *status)
{
    struct timespec nap = {0, 10 * 1000000L};
    pid_t ret;

    for (;;) {
        if (proc->pidfd >= 0) {
            if (poll_fd_ms(proc->pidfd, POLLIN, spawn_command_time_left(proc)) < 0)
                return errno == ETIMEDOUT ? -1 : spawn_reap(proc->pid, status) < 0 ? -2 : 0;
        }
        while ((ret = waitpid(proc->pid, status, WNOHANG)) < 0 && errno == EINTR)
            continue;
        if (ret == proc->pid)
            return 0;
        if (ret < 0)
            return -2;
        if (spawn_command_time_left(proc) == 0)
            return -1;
        if (proc->pidfd < 0)
            (void)nanosleep(&nap, NULL);
    }
}

int
spawn_command_wait(struct spawn_proc *proc, struct spawn_result *res)
{
    int status = 0;
    int ret = spawn_await(proc, &status);
    int saved_errno = errno;

    memset(res, 0, sizeof(*res));
    if (ret == -1) {
        spawn_kill(proc->pid);
        res->timed_out = 1;
        if (spawn_reap(proc->pid, &status) < 0)
            ret = -2;
    }
    if (proc->pidfd >= 0)
        close(proc->pidfd);
    proc->pidfd = -1;
    if (ret == -2) {
        errno = saved_errno;
        return -1;
    }
    res->wait_status = status;
    res->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    res->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    return 0;
}

int
spawn_command(const struct spawn_request *req, struct spawn_result *res, struct vstring *why)
{
    struct spawn_proc proc;

    if (spawn_command_start(req, &proc, why) < 0)
        return -1;
    if (spawn_command_wait(&proc, res) < 0) {
        vstring_sprintf(why, "wait for process %ld: %m", (long)proc.pid);
        return -1;
    }
    return 0;
}
