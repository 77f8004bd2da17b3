/*
 * sendmail - the Sendmail-compatible interface (Postfix's sendmail(1)),
 * also installed as mailq (-bp) and newaliases (-I).
 *
 *   sendmail [option ...] [recipient ...]
 *
 * Reads the command line (sendmail_opts.c), main.cf ($MAIL_CONFIG, -C),
 * then does one thing: submit a message through postdrop
 * (sendmail_enqueue.c; the default, -bm, -t, -bv), or run postqueue
 * (mailq, -bp, -q, -qR, -qI), rebuild the alias databases (newaliases,
 * -bi, -I), start the mail system (-bd) or refuse -bs
 * (sendmail_modes.c).
 *
 * This program is not set-uid or set-gid: it acts as the user who runs
 * it, and the set-gid postdrop is the only way into the queue. Messages go
 * to standard error and to the mail log. Exit status as Postfix's: 0 when
 * the message is queued (postdrop committed the file) or the mode
 * succeeded; every fatal error exits with EX_TEMPFAIL (75) unless a more
 * precise sysexits code applies (EX_UNAVAILABLE for -bs and missing
 * helper programs, EX_NOINPUT for an input read error, EX_OSERR for
 * fork/pipe failures, EX_SOFTWARE for a broken helper).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "sendmail.h"
#include "util/iostuff.h"
#include "util/msg.h"

int sendmail_exit_status = EX_TEMPFAIL;

/* After a fatal error: give up the submission (nothing is queued), exit as Postfix. */
void
sendmail_fatal_hook(void)
{
    sendmail_enqueue_abort();
    fflush(stdout);
    _exit(sendmail_exit_status);
}

int
main(int argc, char **argv)
{
    struct sendmail_args args;
    const char *slash;

    if (argc > 0 && (slash = strrchr(argv[0], '/')) != NULL && slash[1] != 0)
        argv[0] = (char *)slash + 1;
    sane_stdio();
    msg_init(argc > 0 ? argv[0] : "sendmail", MSG_STDERR | MSG_SYSLOG);
    msg_set_cleanup(sendmail_fatal_hook);
    if (getenv("MAIL_VERBOSE"))
        msg_verbose = 1;
    sendmail_parse(argc, argv, &args);
    mail_conf_read(NULL);
    switch (args.mode) {
    case SM_MODE_MAILQ:
    case SM_MODE_FLUSHQ:
    case SM_MODE_FLUSH_SITE:
    case SM_MODE_FLUSH_ID:
        sendmail_run_postqueue(&args);
    case SM_MODE_NEWALIAS:
        umask(022);
        return sendmail_newaliases(&args);
    case SM_MODE_SMTP:
        sendmail_smtp();
    case SM_MODE_DAEMON:
        sendmail_daemon();
    case SM_MODE_IGNORE:
        return 0;
    default:
        return sendmail_enqueue(&args);
    }
}
