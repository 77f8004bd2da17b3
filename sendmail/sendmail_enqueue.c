/*
 * sendmail_enqueue - submit one message: start postdrop, write the record
 * stream to it, and report what it says.
 *
 *   sendmail_enqueue(&args)
 *       runs $command_directory/postdrop -r with a pipe on its standard
 *       input (its standard error is ours, so its diagnostics reach the
 *       user), writes the envelope, the message from standard input (or,
 *       for -bv, a small probe message) and the end record, and waits for
 *       postdrop. Returns 0 only when postdrop exited 0, i.e. when the
 *       maildrop file is committed; every failure is fatal with
 *       EX_TEMPFAIL (the caller may try again) or EX_UNAVAILABLE (no
 *       postdrop to run).
 *
 * The record stream (docs/ipc.md, "sendmail to postdrop"): attributes
 * full_name, extract_recipients, trace_flags, encoding; the sender; the
 * DSN envid and ret; one recipient record per address found in the
 * recipient arguments (each argument is an RFC 5322 address list; the
 * address is written in internal form, as the original recipient too);
 * 'M', the content lines, 'X', and 'E' with an empty payload. No time
 * record: postdrop adds the arrival time itself.
 *
 * Defaults as Postfix's: the sender is the login name of the real user
 * id, unqualified (cleanup qualifies it); "-f <>" or "-f ''" is the null
 * sender. The full name is -F, else $NAME, else the passwd gecos field
 * (up to the first comma, "&" replaced by the capitalized login name).
 *
 * When sendmail gives up half-way (a fatal error, -t without any
 * recipient) it closes the pipe before the end record and waits for
 * postdrop, which then removes its temporary file: nothing is queued.
 */
#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "mail/qfile.h"
#include "mail/rec_type.h"
#include "mail/record.h"
#include "mail/tok822.h"
#include "sendmail.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/vstring.h"

#define SM_TOKEN_LIMIT 10240 /* tokens parsed per recipient argument */

/* The postdrop child, for the fatal-error clean-up. */
static pid_t sm_postdrop_pid = -1;
static struct vstream *sm_postdrop_fp;

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

void
sendmail_postdrop_abort(void)
{
    (void)sendmail_postdrop_wait();
}

/* The real user's passwd entry, looked up once (NULL when there is none). */
static const struct passwd *
sendmail_passwd(void)
{
    static struct passwd copy;
    static const struct passwd *entry;
    static int done;
    struct passwd *pw;

    if (!done) {
        done = 1;
        if ((pw = getpwuid(getuid())) != NULL) {
            copy.pw_name = mystrdup(pw->pw_name);
            copy.pw_gecos = pw->pw_gecos ? mystrdup(pw->pw_gecos) : NULL;
            entry = &copy;
        }
    }
    return entry;
}

/* The user name and id for messages: "root(0)"; looked up once, errno kept. */
static const char *
sendmail_who(void)
{
    static struct vstring *who;
    int saved_errno = errno;
    const struct passwd *pw;

    if (who == NULL) {
        pw = sendmail_passwd();
        who = vstring_alloc(32);
        vstring_sprintf(who, "%s(%ld)", pw ? pw->pw_name : "unknown", (long)getuid());
    }
    errno = saved_errno;
    return vstring_str(who);
}

/* The first address of TEXT in internal form; "" when there is none. */
static char *
sendmail_internal_addr(const char *text, int *count)
{
    struct tok822 *tree = tok822_parse(text, SM_TOKEN_LIMIT, NULL);
    struct vstring *buf = vstring_alloc(100);

    *count = 0;
    for (struct tok822 *tp = tree; tp; tp = tp->next)
        if (tp->type == TOK822_ADDR && (*count)++ == 0)
            tok822_internalize(buf, tp->head, 0);
    tok822_free_tree(tree);
    return vstring_export(buf);
}

static char *
sendmail_sender(const struct sendmail_args *args)
{
    const struct passwd *pw;
    char *sender;
    int count;

    if (args->sender == NULL) {
        if ((pw = sendmail_passwd()) == NULL)
            msg_fatal("no login name found for user ID %lu", (unsigned long)getuid());
        return mystrdup(pw->pw_name);
    }
    sender = sendmail_internal_addr(args->sender, &count);
    if (count > 1)
        msg_warn("-f option specified malformed sender: %s", args->sender);
    return sender;
}

/* -F, else $NAME, else the gecos field as Postfix reads it. */
static char *
sendmail_full_name(const struct sendmail_args *args)
{
    struct vstring *buf = vstring_alloc(64);
    const struct passwd *pw;
    const char *cp;

    if (args->full_name)
        vstring_strcpy(buf, args->full_name);
    else if ((cp = getenv("NAME")) != NULL)
        vstring_strcpy(buf, cp);
    else if ((pw = sendmail_passwd()) != NULL && pw->pw_gecos) {
        for (cp = pw->pw_gecos; *cp && *cp != ','; cp++) {
            if (*cp != '&') {
                vstring_addch(buf, *cp);
                continue;
            }
            vstring_addch(buf, toupper((unsigned char)pw->pw_name[0]));
            if (pw->pw_name[0])
                vstring_strcat(buf, pw->pw_name + 1);
        }
    }
    /* A newline would end the record's value in a header: make it a space. */
    for (char *p = vstring_str(buf); *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    return vstring_export(buf);
}

/* The recipients of the command line, in internal form. */
static struct argv *
sendmail_recipients(const struct sendmail_args *args)
{
    struct argv *rcpts = argv_alloc(args->rcpts->argc + 1);
    struct vstring *buf = vstring_alloc(100);

    for (size_t i = 0; i < args->rcpts->argc; i++) {
        struct tok822 *tree = tok822_parse(args->rcpts->argv[i], SM_TOKEN_LIMIT, NULL);
        for (struct tok822 *tp = tree; tp; tp = tp->next) {
            if (tp->type != TOK822_ADDR)
                continue;
            vstring_reset(buf);
            tok822_internalize(buf, tp->head, 0);
            if (vstring_len(buf) > 0)
                argv_add(rcpts, vstring_str(buf));
        }
        tok822_free_tree(tree);
    }
    vstring_free(buf);
    return rcpts;
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
    (void)sendmail_who();
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

static void
sendmail_put_attr(struct vstream *fp, const char *name, const char *value)
{
    struct vstring *buf = vstring_alloc(64);

    vstring_sprintf(buf, "%s=%s", name, value);
    (void)record_put(fp, REC_TYPE_ATTR, vstring_str(buf), vstring_len(buf));
    vstring_free(buf);
}

static void
sendmail_put_rcpt(struct vstream *fp, const char *address, int notify)
{
    struct vstring *buf = vstring_alloc(100);
    struct qfile_rcpt rcpt = {REC_RCPT_PENDING, notify, address, address, ""};

    qfile_rcpt_encode(buf, &rcpt);
    (void)record_put(fp, REC_TYPE_RCPT, vstring_str(buf), vstring_len(buf));
    vstring_free(buf);
}

/* The envelope records, before the content. */
static void
sendmail_put_envelope(struct vstream *fp, const struct sendmail_args *args, const char *sender,
                      const char *full_name, const struct argv *rcpts)
{
    char flags[16];

    if (*full_name)
        sendmail_put_attr(fp, "full_name", full_name);
    if (args->extract)
        sendmail_put_attr(fp, "extract_recipients", "yes");
    if (args->trace_flags) {
        snprintf(flags, sizeof(flags), "%d", args->trace_flags);
        sendmail_put_attr(fp, "trace_flags", flags);
    }
    if (args->encoding)
        sendmail_put_attr(fp, "encoding", args->encoding);
    (void)record_put(fp, REC_TYPE_SENDER, sender, strlen(sender));
    if (args->envid)
        (void)record_put(fp, REC_TYPE_DSN_ENVID, args->envid, strlen(args->envid));
    if (args->ret) {
        unsigned char ret = (unsigned char)args->ret;
        (void)record_put(fp, REC_TYPE_DSN_RET, &ret, 1);
    }
    for (size_t i = 0; i < rcpts->argc; i++)
        sendmail_put_rcpt(fp, rcpts->argv[i], args->notify);
}

/* -bv: a probe message instead of standard input, as Postfix writes it. */
static void
sendmail_put_probe(struct vstream *fp, const char *sender, const struct sendmail_args *args)
{
    struct vstring *buf = vstring_alloc(100);

    vstring_sprintf(buf, "From: %s", *sender ? sender : "<>");
    (void)record_put(fp, REC_TYPE_NORM, vstring_str(buf), vstring_len(buf));
    (void)record_put(fp, REC_TYPE_NORM, "Subject: probe", 14);
    for (size_t i = 0; i < args->rcpts->argc; i++) {
        vstring_sprintf(buf, "%s\t%s%s", i == 0 ? "To:" : "", args->rcpts->argv[i],
                        i + 1 < args->rcpts->argc ? "," : "");
        (void)record_put(fp, REC_TYPE_NORM, vstring_str(buf), vstring_len(buf));
    }
    vstring_free(buf);
}

/* The content: standard input, or the probe. */
static void
sendmail_put_content(struct vstream *fp, const struct sendmail_args *args, const char *sender,
                     const struct argv *rcpts)
{
    struct sendmail_input input;
    const char *fix = mail_conf_get("sendmail_fix_line_endings");
    int status;

    (void)record_put(fp, REC_TYPE_MESG, "", 0);
    if (args->mode == SM_MODE_VERIFY) {
        sendmail_put_probe(fp, sender, args);
        return;
    }
    memset(&input, 0, sizeof(input));
    input.dot_ends = args->dot_ends;
    input.strip_cr = strcasecmp(fix, "never") == 0 ? 0 : strcasecmp(fix, "strict") == 0 ? -1 : 1;
    input.extract = args->extract && rcpts->argc == 0;
    input.header_limit = (size_t)mail_conf_get_size("header_size_limit");
    status = sendmail_copy_input(vstream_stdin(), fp, &input);
    if (status == SM_INPUT_READ)
        sendmail_fatal(EX_NOINPUT, "%s: error reading input: %m", sendmail_who());
    if (status == SM_INPUT_WRITE)
        return; /* postdrop went away; its exit status tells why */
    if (input.extract && !input.found_rcpt)
        msg_fatal("%s: No recipient addresses found in message header", sendmail_who());
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
    if (WEXITSTATUS(status) != 0)
        msg_fatal("%s: postdrop failed (exit status %d); no message was queued", sendmail_who(),
                  WEXITSTATUS(status));
}

int
sendmail_enqueue(const struct sendmail_args *args)
{
    struct argv *rcpts = sendmail_recipients(args);
    char *sender = sendmail_sender(args);
    char *full_name = sendmail_full_name(args);
    struct vstream *fp;
    int failed;

    if (rcpts->argc == 0 && !args->extract)
        msg_fatal("%s: Recipient addresses must be specified on the command line or via the "
                  "-t option",
                  sendmail_who());
    signal(SIGPIPE, SIG_IGN);
    sendmail_postdrop_start();
    fp = sm_postdrop_fp;
    sendmail_put_envelope(fp, args, sender, full_name, rcpts);
    sendmail_put_content(fp, args, sender, rcpts);
    (void)record_put(fp, REC_TYPE_XTRA, "", 0);
    (void)record_put(fp, REC_TYPE_END, "", 0);
    failed = vstream_flush(fp) < 0;
    sm_postdrop_fp = NULL;
    if (vstream_close(fp) < 0)
        failed = 1;
    sendmail_postdrop_result(sendmail_postdrop_wait());
    if (failed) /* postdrop exited 0 without all our records: impossible */
        sendmail_fatal(EX_SOFTWARE, "%s: postdrop accepted an incomplete message", sendmail_who());
    if (args->trace_flags)
        printf("Mail Delivery Status Report will be mailed to <%s>.\n", sender);
    argv_free(rcpts);
    myfree(sender);
    myfree(full_name);
    return 0;
}
