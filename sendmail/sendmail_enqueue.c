/*
 * sendmail_enqueue - submit one message: write the record stream (to
 * postdrop, or as root straight into the maildrop file: sendmail_drop.c)
 * and return only when the maildrop file is committed.
 *
 *   sendmail_enqueue(&args)
 *       writes the envelope, the message from standard input (or, for
 *       -bv, a small probe message) and the end of the stream. Returns 0
 *       only when the maildrop file is committed; every failure is fatal
 *       with EX_TEMPFAIL (the caller may try again) or EX_UNAVAILABLE (no
 *       postdrop to run).
 *
 * The record stream (docs/ipc.md, "sendmail to postdrop"): attributes
 * full_name, extract_recipients, trace_flags, encoding; the sender; the
 * DSN envid and ret; one recipient record per address found in the
 * recipient arguments (each argument is an RFC 5322 address list; the
 * address is written in internal form, as the original recipient too);
 * 'M', the content lines, 'X', and 'E' with an empty payload. No time
 * record: the maildrop writer adds the arrival time itself.
 *
 * Defaults as Postfix's: the sender is the login name of the real user
 * id, unqualified (cleanup qualifies it); "-f <>" or "-f ''" is the null
 * sender. The full name is -F, else $NAME, else the passwd gecos field
 * (up to the first comma, "&" replaced by the capitalized login name).
 *
 * When sendmail gives up half-way (a fatal error, -t without any
 * recipient) the fatal hook gives up the submission (sendmail_enqueue_abort):
 * nothing is queued.
 */
#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "mail/qfile.h"
#include "mail/rec_type.h"
#include "mail/tok822.h"
#include "sendmail.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/vstring.h"

#define SM_TOKEN_LIMIT 10240 /* tokens parsed per recipient argument */

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
const char *
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

static void
sendmail_put_attr(const char *name, const char *value)
{
    struct vstring *buf = vstring_alloc(64);

    vstring_sprintf(buf, "%s=%s", name, value);
    (void)sendmail_put(REC_TYPE_ATTR, vstring_str(buf), vstring_len(buf));
    vstring_free(buf);
}

static void
sendmail_put_rcpt(const char *address, int notify)
{
    struct vstring *buf = vstring_alloc(100);
    struct qfile_rcpt rcpt = {REC_RCPT_PENDING, notify, address, address, ""};

    qfile_rcpt_encode(buf, &rcpt);
    (void)sendmail_put(REC_TYPE_RCPT, vstring_str(buf), vstring_len(buf));
    vstring_free(buf);
}

/* The envelope records, before the content. */
static void
sendmail_put_envelope(const struct sendmail_args *args, const char *sender,
                      const char *full_name, const struct argv *rcpts)
{
    char flags[16];

    if (*full_name)
        sendmail_put_attr("full_name", full_name);
    if (args->extract)
        sendmail_put_attr("extract_recipients", "yes");
    if (args->trace_flags) {
        snprintf(flags, sizeof(flags), "%d", args->trace_flags);
        sendmail_put_attr("trace_flags", flags);
    }
    if (args->encoding)
        sendmail_put_attr("encoding", args->encoding);
    (void)sendmail_put(REC_TYPE_SENDER, sender, strlen(sender));
    if (args->envid)
        (void)sendmail_put(REC_TYPE_DSN_ENVID, args->envid, strlen(args->envid));
    if (args->ret) {
        unsigned char ret = (unsigned char)args->ret;
        (void)sendmail_put(REC_TYPE_DSN_RET, &ret, 1);
    }
    for (size_t i = 0; i < rcpts->argc; i++)
        sendmail_put_rcpt(rcpts->argv[i], args->notify);
}

/* -bv: a probe message instead of standard input, as Postfix writes it. */
static void
sendmail_put_probe(const char *sender, const struct sendmail_args *args)
{
    struct vstring *buf = vstring_alloc(100);

    vstring_sprintf(buf, "From: %s", *sender ? sender : "<>");
    (void)sendmail_put(REC_TYPE_NORM, vstring_str(buf), vstring_len(buf));
    (void)sendmail_put(REC_TYPE_NORM, "Subject: probe", 14);
    for (size_t i = 0; i < args->rcpts->argc; i++) {
        vstring_sprintf(buf, "%s\t%s%s", i == 0 ? "To:" : "", args->rcpts->argv[i],
                        i + 1 < args->rcpts->argc ? "," : "");
        (void)sendmail_put(REC_TYPE_NORM, vstring_str(buf), vstring_len(buf));
    }
    vstring_free(buf);
}

/* The content: standard input, or the probe. */
static void
sendmail_put_content(const struct sendmail_args *args, const char *sender,
                     const struct argv *rcpts)
{
    struct sendmail_input input;
    const char *fix = mail_conf_get("sendmail_fix_line_endings");
    int status;

    (void)sendmail_put(REC_TYPE_MESG, "", 0);
    if (args->mode == SM_MODE_VERIFY) {
        sendmail_put_probe(sender, args);
        return;
    }
    memset(&input, 0, sizeof(input));
    input.dot_ends = args->dot_ends;
    input.strip_cr = strcasecmp(fix, "never") == 0 ? 0 : strcasecmp(fix, "strict") == 0 ? -1 : 1;
    input.extract = args->extract && rcpts->argc == 0;
    input.header_limit = (size_t)mail_conf_get_size("header_size_limit");
    status = sendmail_copy_input(vstream_stdin(), &input);
    if (status == SM_INPUT_READ)
        sendmail_fatal(EX_NOINPUT, "%s: error reading input: %m", sendmail_who());
    if (status == SM_INPUT_WRITE)
        return; /* postdrop went away; its exit status tells why */
    if (input.extract && !input.found_rcpt)
        msg_fatal("%s: No recipient addresses found in message header", sendmail_who());
}

int
sendmail_enqueue(const struct sendmail_args *args)
{
    struct argv *rcpts = sendmail_recipients(args);
    char *sender = sendmail_sender(args);
    char *full_name = sendmail_full_name(args);

    if (rcpts->argc == 0 && !args->extract)
        msg_fatal("%s: Recipient addresses must be specified on the command line or via the "
                  "-t option",
                  sendmail_who());
    sendmail_drop_open();
    sendmail_put_envelope(args, sender, full_name, rcpts);
    sendmail_put_content(args, sender, rcpts);
    (void)sendmail_put(REC_TYPE_XTRA, "", 0);
    sendmail_drop_close();
    if (args->trace_flags)
        printf("Mail Delivery Status Report will be mailed to <%s>.\n", sender);
    argv_free(rcpts);
    myfree(sender);
    myfree(full_name);
    return 0;
}
