/*
 * sendmail.h - what the parts of the sendmail command share: the parsed
 * command line (sendmail_opts.c), the submission to postdrop
 * (sendmail_enqueue.c, sendmail_input.c) and the other modes
 * (sendmail_modes.c: mailq, queue runs, newaliases, -bs, -bd).
 */
#ifndef TERN_SENDMAIL_H
#define TERN_SENDMAIL_H

#include <sysexits.h>

#include "util/argv.h"
#include "util/vstream.h"

/* What the command line asks for. */
#define SM_MODE_ENQUEUE 1    /* -bm (default): read a message, submit it */
#define SM_MODE_VERIFY 2     /* -bv: submit a probe, report by mail */
#define SM_MODE_MAILQ 3      /* -bp, mailq: postqueue -p */
#define SM_MODE_FLUSHQ 4     /* -q: postqueue -f */
#define SM_MODE_FLUSH_SITE 5 /* -qRsite: postqueue -s site */
#define SM_MODE_FLUSH_ID 6   /* -qIid: postqueue -i id */
#define SM_MODE_NEWALIAS 7   /* -bi, -I, newaliases */
#define SM_MODE_SMTP 8       /* -bs: stand-alone SMTP (needs smtpd) */
#define SM_MODE_DAEMON 9     /* -bd, -bl: postfix start */
#define SM_MODE_IGNORE 10    /* -bh, -bH, -q<interval>: nothing to do */

/* trace_flags attribute values (docs/ipc.md "sendmail to postdrop"). */
#define SM_TRACE_REPORT 1 /* -v: mail a report of the first delivery attempt */
#define SM_TRACE_VERIFY 2 /* -bv: verify only, mail a report */

struct sendmail_args {
    int mode;              /* SM_MODE_* */
    const char *sender;    /* -f/-r; NULL: the login name */
    const char *full_name; /* -F; NULL: $NAME or the gecos field */
    const char *site;      /* -qR site, -qI id */
    const char *alias_db;  /* -oA database */
    const char *encoding;  /* -B: "7bit" or "8bit"; NULL: not given */
    const char *envid;     /* -V; NULL: not given */
    int extract;           /* -t */
    int dot_ends;          /* a lone "." ends the input (no -i/-oi) */
    int trace_flags;       /* SM_TRACE_* */
    int notify;            /* -N: REC_NOTIFY_* bits, 0: not given */
    int ret;               /* -R: REC_RET_*, 0: not given */
    int verbose;           /* number of -v */
    struct argv *rcpts;    /* recipients on the command line */
};

/*
 * Fatal errors exit with sendmail_exit_status (EX_TEMPFAIL unless set), as
 * Postfix's sendmail does; sendmail_fatal sets a more precise code first.
 */
extern int sendmail_exit_status;
#define sendmail_fatal(status, ...)                                                                \
    (sendmail_exit_status = (status), msg_fatal_status((status), __VA_ARGS__))
void sendmail_fatal_hook(void);

/* sendmail_opts.c */
void sendmail_parse(int argc, char **argv, struct sendmail_args *args);

/* sendmail_enqueue.c: 0 only when the maildrop file is committed; else fatal. */
int sendmail_enqueue(const struct sendmail_args *args);
void sendmail_enqueue_abort(void);
const char *sendmail_who(void); /* "name(uid)" of the real user, for messages */

/* sendmail_drop.c: the record stream to postdrop, or (root) to the maildrop file. */
void sendmail_drop_open(void);
int sendmail_put(int type, const void *data, size_t len);
void sendmail_drop_close(void); /* returns only when the file is committed */

/* sendmail_input.c: copies the message from in to the record stream. */
struct sendmail_input {
    int dot_ends;        /* a lone "." ends the input */
    int strip_cr;        /* sendmail_fix_line_endings: 1 always, -1 strict, 0 never */
    int extract;         /* -t: look for recipient headers */
    int found_rcpt;      /* -t: a To/Cc/Bcc (or Resent-) header holds an address */
    size_t header_limit; /* -t: bytes of one recipient header looked at */
};
#define SM_INPUT_OK 0
#define SM_INPUT_WRITE (-1) /* the record stream failed (sendmail_put) */
#define SM_INPUT_READ (-2)  /* standard input failed */
int sendmail_copy_input(struct vstream *in, struct sendmail_input *state);

/* sendmail_modes.c */
void sendmail_run_postqueue(const struct sendmail_args *args) __attribute__((noreturn));
int sendmail_newaliases(const struct sendmail_args *args);
void sendmail_smtp(void) __attribute__((noreturn));
void sendmail_daemon(void) __attribute__((noreturn));

#endif
