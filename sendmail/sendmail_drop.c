/*
 * sendmail_drop - where sendmail's record stream goes: a pipe to postdrop,
 * or, when sendmail already has every right postdrop would give it, the
 * maildrop file itself (lib/mail/maildrop.h: the same checks, the same
 * file, the same fsyncs, one program start fewer per message).
 *
 *   sendmail_drop_open()
 *       after the authorized_submit_users check (as Postfix's sendmail
 *       makes it: "User NAME(UID) is not allowed to submit mail", exit
 *       75): run by root (real and effective uid 0), creates the maildrop
 *       file; otherwise starts $command_directory/postdrop -r with a pipe
 *       on its standard input (its standard error is ours, so its
 *       diagnostics reach the user).
 *   sendmail_put(type, data, len)
 *       one record. To postdrop: -1 when the pipe broke (postdrop went
 *       away; its exit status tells why). To the file: a record that
 *       cannot be written is fatal (EX_TEMPFAIL, nothing queued). Either
 *       way a message that makes the maildrop file larger than
 *       message_size_limit ends as Postfix's does: "fatal: NAME(UID):
 *       message file too big", exit status 75.
 *   sendmail_drop_close()
 *       ends the stream: postdrop must exit 0; the file must commit
 *       (then public/pickup is woken; a failure there is only a warning,
 *       pickup also scans maildrop periodically). Returns only on success:
 *       the message is durable in maildrop/.
 *   sendmail_enqueue_abort()
 *       for the fatal-error hook: sends postdrop SIGTERM, closes the pipe
 *       before the end record and waits (postdrop removes its temporary
 *       file without a warning of its own: sendmail's fatal message says
 *       what went wrong, as Postfix's does), or removes the file being
 *       written.
 *
 * While sendmail writes the file itself, SIGHUP, SIGINT, SIGQUIT and
 * SIGTERM remove the temporary file before sendmail dies of the signal,
 * as postdrop would remove it when its input ends early.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "mail/mail_connect.h"
#include "mail/mail_queue.h"
#include "mail/maildrop.h"
#include "mail/rec_type.h"
#include "mail/record.h"
#include "mail/user_list.h"
#include "sendmail.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/vstring.h"

/* The postdrop child, or the file written here; one of them at a time. */
static pid_t sm_postdrop_pid = -1;
static struct vstream *sm_postdrop_fp;
static struct maildrop *sm_maildrop;
static char sm_temp_path[PATH_MAX]; /* for the signal handler */
static const int sm_signals[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM};

/* Closes the stream to postdrop (unfinished: postdrop removes its file) and waits. */
static int
sendmail_postdrop_wait(void)
{
    int status;
    pid_t pid = sm_postdrop_pid;

    if (sm_postdrop_fp) {
        struct vstream *fp = sm_postdrop_fp;
        sm_postdrop_fp = NULL;
        (void)vstream_close(fp);
    }
    if (pid < 0)
        return -1;
    sm_postdrop_pid = -1;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return status;
}

/* A signal while the file is written here: remove it, then die of the signal. */
static void
sendmail_drop_interrupt(int sig)
{
    int saved_errno = errno;

    if (sm_temp_path[0])
        (void)unlink(sm_temp_path);
    signal(sig, SIG_DFL);
    (void)raise(sig);
    errno = saved_errno;
}

/* Installs (or, with SIG_DFL, removes) the interrupt handlers. */
static void
sendmail_drop_signals(void (*handler)(int))
{
    struct sigaction sa;
    struct sigaction old;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(sm_signals) / sizeof(sm_signals[0]); i++) {
        /* A signal ignored by whoever started us stays ignored. */
        if (sigaction(sm_signals[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            continue;
        (void)sigaction(sm_signals[i], &sa, NULL);
    }
}

void
sendmail_enqueue_abort(void)
{
    struct maildrop *md = sm_maildrop;

    if (md) {
        sm_maildrop = NULL;
        maildrop_abort(md);
        sm_temp_path[0] = 0;
        return;
    }
    /* postdrop removes its file quietly: the error is ours, reported already. */
    if (sm_postdrop_pid > 0)
        (void)kill(sm_postdrop_pid, SIGTERM);
    (void)sendmail_postdrop_wait();
}

/* authorized_submit_users, checked here as Postfix's sendmail checks it. */
static void
sendmail_check_user(void)
{
    struct vstring *name = vstring_alloc(32);
    int match = user_list_match("authorized_submit_users", getuid(), name);

    if (match < 0)
        sendmail_fatal(EX_TEMPFAIL, "authorized_submit_users: table lookup error for user %s(%ld)",
                       vstring_str(name), (long)getuid());
    if (match == 0)
        sendmail_fatal(EX_TEMPFAIL, "User %s(%ld) is not allowed to submit mail",
                       vstring_str(name), (long)getuid());
    vstring_free(name);
}

/*
 * Starts postdrop with a pipe on its standard input. posix_spawn (a vfork
 * underneath) instead of fork: the child shares our memory until it
 * executes postdrop, so no page tables are copied and no copy-on-write
 * faults follow; ignored signals stay ignored as with fork and exec.
 */
static void
sendmail_postdrop_start(void)
{
    struct vstring *path = vstring_alloc(100);
    posix_spawn_file_actions_t actions;
    int fds[2];
    int err;
    pid_t pid;

    vstring_sprintf(path, "%s/postdrop", mail_conf_get("command_directory"));
    if (access(vstring_str(path), X_OK) < 0)
        sendmail_fatal(EX_UNAVAILABLE, "%s: cannot execute %s: %m", sendmail_who(),
                       vstring_str(path));
    if (pipe(fds) < 0)
        sendmail_fatal(EX_OSERR, "pipe: %m");
    char *argv[] = {vstring_str(path), "-r", msg_verbose ? "-v" : NULL, NULL};
    if ((err = posix_spawn_file_actions_init(&actions)) != 0
        || (err = posix_spawn_file_actions_addclose(&actions, fds[1])) != 0
        || (fds[0] != 0
            && ((err = posix_spawn_file_actions_adddup2(&actions, fds[0], 0)) != 0
                || (err = posix_spawn_file_actions_addclose(&actions, fds[0])) != 0))) {
        errno = err;
        sendmail_fatal(EX_OSERR, "fork: %m");
    }
    err = posix_spawn(&pid, argv[0], &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[0]);
    if (err != 0) {
        /* What a forked child that failed to execute would have said. */
        fprintf(stderr, "%s: fatal: %s: execute %s: %s\n", msg_progname(), sendmail_who(),
                argv[0], strerror(err));
        close(fds[1]);
        sendmail_fatal(EX_UNAVAILABLE, "%s: cannot run postdrop; no message was queued",
                       sendmail_who());
    }
    sm_postdrop_pid = pid;
    sm_postdrop_fp = vstream_fdopen(fds[1], "postdrop");
    vstring_free(path);
}

/* Root writes the maildrop file itself, in queue_directory, as postdrop would. */
static void
sendmail_maildrop_start(void)
{
    const char *queue_directory = mail_conf_get("queue_directory");
    struct vstring *why = vstring_alloc(100);

    if (chdir(queue_directory) < 0)
        sendmail_fatal(EX_TEMPFAIL, "chdir %s: %m", queue_directory);
    mail_queue_configure();
    umask(022); /* pickup (mail_owner) must be able to read the file */
    if ((sm_maildrop = maildrop_create(mail_conf_get_bool("enable_long_queue_ids"),
                                       mail_conf_get_size("message_size_limit"), why)) == NULL)
        sendmail_fatal(EX_TEMPFAIL, "%s: %s; no message was queued", sendmail_who(),
                       vstring_str(why));
    const char *temp = maildrop_temp_path(sm_maildrop);
    if (strlen(temp) < sizeof(sm_temp_path))
        memcpy(sm_temp_path, temp, strlen(temp) + 1);
    sendmail_drop_signals(sendmail_drop_interrupt);
    vstring_free(why);
}

void
sendmail_drop_open(void)
{
    (void)sendmail_who(); /* looked up before anything can fail */
    sendmail_check_user();
    signal(SIGPIPE, SIG_IGN);
    if (getuid() == 0 && geteuid() == 0)
        sendmail_maildrop_start();
    else
        sendmail_postdrop_start();
}

int
sendmail_put(int type, const void *data, size_t len)
{
    if (sm_maildrop == NULL)
        return record_put(sm_postdrop_fp, type, data, len);
    if (maildrop_put(sm_maildrop, type, data, len) < 0) {
        if (maildrop_too_big(sm_maildrop))
            sendmail_fatal(EX_TEMPFAIL, "%s: message file too big", sendmail_who());
        sendmail_fatal(EX_TEMPFAIL, "%s: %s; no message was queued", sendmail_who(),
                       maildrop_error(sm_maildrop));
    }
    return 0;
}

/* Checks postdrop's exit; returns only on success. */
static void
sendmail_postdrop_result(int status)
{
    if (status == -1)
        msg_fatal("%s: wait for postdrop: %m", sendmail_who());
    if (WIFSIGNALED(status))
        msg_fatal("%s: postdrop was killed by signal %d; no message was queued", sendmail_who(),
                  WTERMSIG(status));
    if (WEXITSTATUS(status) == EX_UNAVAILABLE)
        sendmail_fatal(EX_UNAVAILABLE, "%s: cannot run postdrop; no message was queued",
                       sendmail_who());
    if (WEXITSTATUS(status) == MAILDROP_EXIT_TOO_BIG)
        sendmail_fatal(EX_TEMPFAIL, "%s: message file too big", sendmail_who());
    if (WEXITSTATUS(status) != 0)
        msg_fatal("%s: postdrop failed (exit status %d); no message was queued", sendmail_who(),
                  WEXITSTATUS(status));
}

/* Commits the file written here and wakes pickup. */
static void
sendmail_maildrop_finish(void)
{
    struct maildrop *md = sm_maildrop;
    struct vstring *why = vstring_alloc(100);
    const char *service = mail_conf_get("pickup_service_name");

    sm_maildrop = NULL; /* maildrop_commit frees md either way */
    if (maildrop_commit(md, why) < 0)
        sendmail_fatal(EX_TEMPFAIL, "%s: cannot commit the queue file: %s; no message was queued",
                       sendmail_who(), vstring_str(why));
    sm_temp_path[0] = 0;
    sendmail_drop_signals(SIG_DFL);
    if (mail_trigger(MAIL_CLASS_PUBLIC, service, "W", 1) < 0)
        msg_warn("unable to look up %s/%s: %m", MAIL_CLASS_PUBLIC, service);
    vstring_free(why);
}

void
sendmail_drop_close(void)
{
    struct vstream *fp = sm_postdrop_fp;
    int failed;

    if (sm_maildrop) {
        sendmail_maildrop_finish();
        return;
    }
    (void)record_put(fp, REC_TYPE_END, "", 0);
    failed = vstream_flush(fp) < 0;
    sm_postdrop_fp = NULL;
    if (vstream_close(fp) < 0)
        failed = 1;
    sendmail_postdrop_result(sendmail_postdrop_wait());
    if (failed) /* postdrop exited 0 without all our records: impossible */
        sendmail_fatal(EX_SOFTWARE, "%s: postdrop accepted an incomplete message", sendmail_who());
}
