/*
 * master - the resident supervisor: runs the services of master.cf on
 * demand (see master(8) and master(5)).
 *
 *   master [-Dditsvw] [-c config_dir] [-e exit_time]
 *
 * This file holds main(): the options, the start-up order, the locks and
 * the three ways of starting.
 *   plain        stays in the foreground process, in a new session (so
 *                that "kill -9 -PID" reaches every child), standard
 *                input, output and error on /dev/null (-s keeps standard
 *                output, for "maillog_file = /dev/stdout");
 *   -w           forks: the background process does the work, the
 *                foreground one exits 0 once it reports a complete
 *                initialization, non-zero otherwise (the background's
 *                fatal error reaches standard error before that);
 *   -d           no new session, standard descriptors kept, and log
 *                records also go to standard error (debugging);
 *   -i           init mode, only as process 1 (containers): no new
 *                session, standard output kept.
 *   -t           exits 0 when no master runs: pid/master.pid is missing
 *                or not locked; 1 otherwise. Nothing else happens.
 *   -e SECONDS   exits after that time ("master exit time has arrived");
 *                children finish at their convenience.
 *   -v           more logging, passed on to children; -D is accepted but
 *                runs no debugger (a warning says so).
 *
 * Start-up order: main.cf (and the checks of mail_owner and setgid_group,
 * master_conf.c), chdir to queue_directory, detaching, the locks
 * pid/master.pid (which holds our pid; "postfix stop" reads it) and
 * $data_directory/master.lock, the listeners of every service, then
 * "daemon started -- version V, configuration DIR". Any failure up to
 * there is fatal; a second master fails on the lock with Postfix's words.
 * A stale pid file (no live holder of its lock) is simply taken over.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "master.h"
#include "util/events.h"
#include "util/iostuff.h"
#include "util/msg.h"
#include "util/pid_file.h"
#include "util/set_ugid.h"
#include "util/stringops.h"
#include "util/vstring.h"

#define MASTER_PID_DIR "pid"
#define MASTER_PID_FILE "pid/master.pid"
#define MASTER_INIT_TIMEOUT 100 /* seconds the -w foreground process waits */

struct master_options {
    const char *config_dir; /* -c */
    int debug_me;           /* -d */
    int debugger;           /* -D */
    int exit_time;          /* -e, 0 for none */
    int init_mode;          /* -i */
    int keep_stdout;        /* -s */
    int test_lock;          /* -t */
    int verbose;            /* -v count */
    int wait_init;          /* -w */
};

static int master_init_fd = -1; /* -w: the pipe to the waiting foreground */

static void master_usage(const char *progname) __attribute__((noreturn));

static void
master_usage(const char *progname)
{
    msg_fatal("usage: %s [-c config_dir] [-D (debug)] [-d (don't detach from terminal)]"
              " [-e exit_time] [-i (init mode)] [-s (keep stdout)] [-t (test)] [-v]"
              " [-w (wait for initialization)]",
              progname);
}

static void
master_options(int argc, char **argv, struct master_options *opts)
{
    int ch;

    while ((ch = getopt(argc, argv, "c:Dde:istvw")) != -1) {
        switch (ch) {
        case 'c':
            opts->config_dir = optarg;
            break;
        case 'D':
            opts->debugger = 1;
            break;
        case 'd':
            opts->debug_me = 1;
            break;
        case 'e':
            if (!alldig(optarg) || (opts->exit_time = atoi(optarg)) <= 0)
                msg_fatal("bad exit time: %s", optarg);
            break;
        case 'i':
            opts->init_mode = 1;
            break;
        case 's':
            opts->keep_stdout = 1;
            break;
        case 't':
            opts->test_lock = 1;
            break;
        case 'v':
            opts->verbose++;
            break;
        case 'w':
            opts->wait_init = 1;
            break;
        default:
            master_usage(argv[0]);
        }
    }
    if (optind < argc)
        master_usage(argv[0]);
    if (opts->init_mode && getpid() != 1)
        msg_fatal("-i is allowed only for PID 1 process");
}

/* After start-up: standard descriptors to /dev/null, standard output kept if asked. */
static void
master_quiet_stdio(int keep_stdout)
{
    int null_fd;

    if ((null_fd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
        msg_fatal("open /dev/null: %m");
    for (int fd = 0; fd < 3; fd++)
        if (!(fd == 1 && keep_stdout) && dup2(null_fd, fd) < 0)
            msg_fatal("dup2 /dev/null: %m");
    close(null_fd);
    msg_set_sinks(msg_sinks() & ~MSG_STDERR);
}

/* -t: exit 0 when no master holds the lock. */
static void master_test_lock(void) __attribute__((noreturn));

static void
master_test_lock(void)
{
    exit(pid_file_owner(MASTER_PID_FILE) == 0 ? 0 : 1);
}

/*
 * -w: the foreground process waits here for one byte from the background
 * process (the rest of main), which sends it once initialized.
 */
static void
master_wait_fork(void)
{
    int fds[2];
    char byte;
    ssize_t n;

    if (pipe2(fds, O_CLOEXEC) < 0)
        msg_fatal("pipe: %m");
    switch (fork()) {
    case -1:
        msg_fatal("fork: %m");
    case 0:
        close(fds[0]);
        master_init_fd = fds[1];
        return;
    default:
        close(fds[1]);
        n = timed_read(fds[0], &byte, 1, MASTER_INIT_TIMEOUT);
        if (n < 0)
            msg_fatal("%m while waiting for daemon initialization");
        if (n == 0)
            msg_fatal("daemon initialization failure -- see logs for details");
        exit(0);
    }
}

static void
master_init_done(void)
{
    if (master_init_fd < 0)
        return;
    if (write(master_init_fd, "0", 1) != 1)
        msg_warn("cannot notify the waiting process: %m");
    close(master_init_fd);
    master_init_fd = -1;
}

/* pid/master.pid, created with its directory when missing. */
static void
master_lock_pid_file(void)
{
    struct vstring *why = vstring_alloc(100);

    if (mkdir(MASTER_PID_DIR, 0755) < 0 && errno != EEXIST)
        msg_fatal("mkdir %s: %m", MASTER_PID_DIR);
    if (pid_file_lock(MASTER_PID_FILE, why) < 0)
        msg_fatal("open lock file %s: %s", MASTER_PID_FILE, vstring_str(why));
    vstring_free(why);
}

/* $data_directory/master.lock, opened as mail_owner when we are root. */
static void
master_lock_data_dir(void)
{
    struct vstring *why = vstring_alloc(100);
    struct vstring *path = vstring_alloc(100);
    int fd;

    vstring_sprintf(path, "%s/master.lock", master_params.data_directory);
    if (master_params.root)
        set_eugid(master_params.owner_uid, master_params.owner_gid);
    fd = pid_file_lock(vstring_str(path), why);
    if (master_params.root)
        set_eugid(0, 0);
    if (fd < 0)
        msg_fatal("open lock file %s: %s", vstring_str(path), vstring_str(why));
    vstring_free(path);
    vstring_free(why);
}

static void
master_exit_event(int event, void *context)
{
    (void)event;
    (void)context;
    msg_info("master exit time has arrived");
    exit(0);
}

/* Detaching, as the options say: a new session unless -d or -i. */
static void
master_detach(const struct master_options *opts)
{
    if (opts->debug_me || opts->init_mode)
        return;
    if (setsid() < 0 && getsid(0) != getpid())
        msg_fatal("unable to set session and process group ID: %m");
}

int
main(int argc, char **argv)
{
    struct master_options opts;
    const char *queue_dir;

    sane_stdio();
    closefrom(3);
    umask(022);
    msg_init(argc > 0 ? argv[0] : "master", MSG_STDERR | MSG_SYSLOG);
    memset(&opts, 0, sizeof(opts));
    master_options(argc, argv, &opts);
    msg_verbose = opts.verbose;
    master_params.verbose = opts.verbose;
    master_params.keep_stdout = opts.keep_stdout || opts.init_mode;
    master_conf_init(opts.config_dir);
    queue_dir = master_params.queue_directory;
    if (chdir(queue_dir) < 0)
        msg_fatal("chdir %s: %m", queue_dir);
    if (opts.test_lock)
        master_test_lock();
    if (opts.debugger)
        msg_warn("-D option ignored: running a debugger is not supported");
    if (opts.wait_init)
        master_wait_fork();
    master_detach(&opts);
    master_lock_pid_file();
    master_lock_data_dir();
    master_sig_init();
    master_listen_dirs();
    master_inet_init();
    master_conf_start();
    if (opts.exit_time > 0)
        event_request_timer(master_exit_event, NULL, opts.exit_time);
    if (!opts.debug_me)
        master_quiet_stdio(master_params.keep_stdout);
    msg_info("daemon started -- version %s, configuration %s", mail_conf_get("mail_version"),
             master_params.config_dir);
    master_init_done();
    for (;;)
        event_loop(-1);
}
