/*
 * sendmail_opts - the sendmail command line, as Postfix's sendmail(1)
 * reads it.
 *
 *   sendmail_parse(argc, argv, &args)
 *       fills args from the options, the program name (mailq: -bp,
 *       newaliases: -I) and the recipient arguments. Options end at the
 *       first argument that is not an option, or at "--" (so that
 *       "sendmail -- user-arguments" can never take an address for an
 *       option). Recipient arguments are kept as given; sendmail_enqueue
 *       parses them.
 *
 * Bad input: an unknown option, or -B/-b/-X/-q values Postfix refuses,
 * are fatal with Postfix's words ("usage: sendmail [options]",
 * "unsupported: -bz", "-B option needs 8BITMIME or 7BIT", "-qS is not
 * implemented"); a bad -N, -R or -V value is a warning and the option is
 * ignored ("bad -N option value -- ignored", "too long -V option value
 * -- ignored"), as in Postfix. A mode that takes no recipients (-bp, -q,
 * -qRsite, -qIid, -bi/-I, -bs, -bd/-bl) given some is fatal ("display
 * queue mode requires no recipient"); -qR and -qI without a value say
 * "specify: -qRsitename" / "specify: -qIqueueid". Options that
 * Postfix accepts and ignores (-Am, -Ac, -G, -h N, -L label, -m, -n,
 * -O opt=val, -o7, -o8, -oXXX, -U, -qINTERVAL, -bh, -bH) are accepted
 * silently. -C and -c set MAIL_CONFIG for this process and postdrop
 * (postdrop decides whether the directory is allowed).
 */
#include <ctype.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "mail/rec_type.h"
#include "sendmail.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/stringops.h"

#define SM_ENVID_MAX 100 /* RFC 3461: ENVID is at most 100 characters */

/* -N: never, or a list of success, failure, delay; 0 when bad. */
static int
sendmail_parse_notify(const char *value)
{
    char *copy = mystrdup(value);
    char *cp = copy;
    char *word;
    int mask = 0;

    while ((word = mystrtok(&cp, ", \t")) != NULL) {
        if (strcasecmp(word, "never") == 0)
            mask |= REC_NOTIFY_NEVER;
        else if (strcasecmp(word, "success") == 0)
            mask |= REC_NOTIFY_SUCCESS;
        else if (strcasecmp(word, "failure") == 0)
            mask |= REC_NOTIFY_FAILURE;
        else if (strcasecmp(word, "delay") == 0)
            mask |= REC_NOTIFY_DELAY;
        else {
            msg_warn("unknown DSN NOTIFY command value \"%s\" in \"%s\"", word, value);
            mask = 0;
            break;
        }
    }
    myfree(copy);
    if ((mask & REC_NOTIFY_NEVER) && mask != REC_NOTIFY_NEVER)
        mask = 0;
    return mask;
}

/* -V: printable ASCII without spaces, 1..100 characters. */
static int
sendmail_envid_ok(const char *value)
{
    size_t len = strlen(value);

    if (len == 0 || len > SM_ENVID_MAX)
        return 0;
    for (const char *cp = value; *cp; cp++)
        if (*cp <= ' ' || *cp >= 127)
            return 0;
    return 1;
}

/* -C/-c: a main.cf file or its directory; sets MAIL_CONFIG. */
static void
sendmail_config(const char *value)
{
    struct stat st;
    char *dir = mystrdup(value);
    char *slash;

    if (stat(value, &st) == 0 && !S_ISDIR(st.st_mode) && (slash = strrchr(dir, '/')) != NULL)
        *(slash == dir ? slash + 1 : slash) = 0;
    if (setenv("MAIL_CONFIG", dir, 1) < 0)
        msg_fatal("setenv: %m");
    myfree(dir);
}

/* -b: the mode letter. */
static void
sendmail_mode(struct sendmail_args *args, const char *value)
{
    switch (value[0]) {
    case 'm':
        args->mode = SM_MODE_ENQUEUE;
        return;
    case 'v':
        args->mode = SM_MODE_VERIFY;
        return;
    case 'p':
        args->mode = SM_MODE_MAILQ;
        return;
    case 'i':
        args->mode = SM_MODE_NEWALIAS;
        return;
    case 's':
        args->mode = SM_MODE_SMTP;
        return;
    case 'd':
    case 'l':
        args->mode = SM_MODE_DAEMON;
        return;
    case 'h':
    case 'H':
        args->mode = SM_MODE_IGNORE;
        return;
    default:
        msg_fatal("unsupported: -b%c", value[0]);
    }
}

/* -q, -qRsite, -qIid, -qINTERVAL; next is the following argument, if any. */
static int
sendmail_queue_run(struct sendmail_args *args, const char *value, char *next)
{
    int used = 0;

    if (value == NULL || value[0] == 0) {
        args->mode = SM_MODE_FLUSHQ;
        return 0;
    }
    if (value[0] == 'R' || value[0] == 'I') {
        args->site = value + 1;
        if (*args->site == 0 && next != NULL) {
            args->site = next;
            used = 1;
        }
        if (*args->site == 0)
            msg_fatal("specify: -q%c%s", value[0], value[0] == 'R' ? "sitename" : "queueid");
        args->mode = value[0] == 'R' ? SM_MODE_FLUSH_SITE : SM_MODE_FLUSH_ID;
        return used;
    }
    if (value[0] == 'S')
        msg_fatal("-qS is not implemented");
    if (isdigit((unsigned char)value[0])) {
        args->mode = SM_MODE_IGNORE;
        return 0;
    }
    msg_fatal("-q%c is not implemented", value[0]);
}

/* -o: -oi, -oA database; everything else is ignored. */
static void
sendmail_o_option(struct sendmail_args *args, const char *value)
{
    if (strcmp(value, "i") == 0 || strcmp(value, "itrue") == 0)
        args->dot_ends = 0;
    else if (value[0] == 'A') {
        if (value[1] == 0)
            msg_fatal("-oA requires pathname");
        args->alias_db = value + 1;
    }
}

/* One option; returns 1 when it used the next argument as well. */
static int
sendmail_option(struct sendmail_args *args, int c, const char *value, char *next)
{
    int mask;

    switch (c) {
    case 'B':
        if (strcasecmp(value, "8BITMIME") == 0)
            args->encoding = "8bit";
        else if (strcasecmp(value, "7BIT") == 0)
            args->encoding = "7bit";
        else
            msg_fatal("-B option needs 8BITMIME or 7BIT");
        break;
    case 'C':
    case 'c':
        sendmail_config(value);
        break;
    case 'F':
        args->full_name = value;
        break;
    case 'f':
    case 'r':
        args->sender = value;
        break;
    case 'I':
        args->mode = SM_MODE_NEWALIAS;
        break;
    case 'i':
        args->dot_ends = 0;
        break;
    case 'N':
        if ((mask = sendmail_parse_notify(value)) == 0)
            msg_warn("bad -N option value -- ignored");
        else
            args->notify = mask;
        break;
    case 'R':
        if (strcasecmp(value, "full") == 0)
            args->ret = REC_RET_FULL;
        else if (strcasecmp(value, "hdrs") == 0)
            args->ret = REC_RET_HDRS;
        else
            msg_warn("bad -R option value -- ignored");
        break;
    case 'V':
        if (sendmail_envid_ok(value))
            args->envid = value;
        else if (strlen(value) > SM_ENVID_MAX)
            msg_warn("too long -V option value -- ignored");
        else
            msg_warn("bad syntax in -V option value -- ignored");
        break;
    case 'X':
        if (value[0] != 'V')
            msg_fatal("unsupported: -X%c", value[0]);
        msg_warn("-XV (VERP) is not supported -- ignored");
        break;
    case 'b':
        sendmail_mode(args, value);
        break;
    case 'o':
        sendmail_o_option(args, value);
        break;
    case 'q':
        return sendmail_queue_run(args, value, next);
    case 't':
        args->extract = 1;
        break;
    case 'v':
        args->verbose++;
        break;
    default: /* A, G, h, L, m, n, O, U: accepted, ignored */
        break;
    }
    return 0;
}

/* Modes that take no recipients say so, as Postfix does (EX_TEMPFAIL). */
static void
sendmail_no_recipients(const struct sendmail_args *args)
{
    static const struct {
        int mode;
        const char *what;
    } modes[] = {
        {SM_MODE_MAILQ, "display queue mode"},      {SM_MODE_FLUSHQ, "flush queue mode"},
        {SM_MODE_FLUSH_SITE, "flush site"},         {SM_MODE_FLUSH_ID, "flush queue_id"},
        {SM_MODE_NEWALIAS, "alias initialization mode"}, {SM_MODE_SMTP, "stand-alone mode"},
        {SM_MODE_DAEMON, "daemon mode"},
    };

    if (args->rcpts->argc == 0)
        return;
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
        if (modes[i].mode == args->mode)
            msg_fatal("%s requires no recipient", modes[i].what);
}

void
sendmail_parse(int argc, char **argv, struct sendmail_args *args)
{
    const char *name = msg_progname();
    int c;

    memset(args, 0, sizeof(*args));
    args->mode = SM_MODE_ENQUEUE;
    args->dot_ends = 1;
    args->rcpts = argv_alloc(4);
    if (strcmp(name, "mailq") == 0)
        args->mode = SM_MODE_MAILQ;
    else if (strcmp(name, "newaliases") == 0)
        args->mode = SM_MODE_NEWALIAS;
    /* '+': stop at the first recipient, never permute (see "--" above). */
    while ((c = getopt(argc, argv, "+A:B:C:c:F:f:GIh:iL:mN:nO:o:q::R:r:tUV:vX:b:")) != -1) {
        if (c == '?' || c == ':')
            msg_fatal("usage: %s [options]", name);
        if (sendmail_option(args, c, optarg, optind < argc ? argv[optind] : NULL))
            optind++;
    }
    for (; optind < argc; optind++)
        argv_add(args->rcpts, argv[optind]);
    sendmail_no_recipients(args);
    if (args->verbose == 1)
        args->trace_flags |= SM_TRACE_REPORT;
    else if (args->verbose > 1)
        msg_verbose = args->verbose - 1;
    if (args->mode == SM_MODE_VERIFY)
        args->trace_flags = SM_TRACE_VERIFY;
}
