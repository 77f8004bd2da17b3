/*
 * bounce.h - what the parts of the bounce daemon share.
 *
 * bounce_compose.c writes one delivery status notification (RFC 3464)
 * as lines, through a callback, so the daemon hands them to cleanup and
 * the unit tests collect them:
 *
 *   bounce_compose(&notice, put_line, context)
 *
 * bounce_notice.c reads a delivery log and the queue file, decides who
 * gets which notice (the sender, the postmaster per notify_classes, the
 * 2bounce_notice_recipient for a bounce of a bounce) and submits each
 * through cleanup:
 *
 *   status = bounce_notice_send(request, &msg, queue_id_out)
 *
 * returns 0 (sent, or nothing needed) or -1 (try again later), as the
 * bounce_v1 reply says.
 */
#ifndef TERN_BOUNCE_H
#define TERN_BOUNCE_H

#include <stddef.h>
#include <time.h>

#include "mail/bounce_clnt.h"
#include "mail/qfile.h"
#include "util/vstring.h"

/* What a notice reports. */
#define BOUNCE_KIND_FAILURE 1 /* undeliverable: "Undelivered Mail Returned to Sender" */
#define BOUNCE_KIND_DELAY 2   /* delayed: "Delayed Mail (still being retried)" */
#define BOUNCE_KIND_SUCCESS 3 /* NOTIFY=SUCCESS: "Successful Mail Delivery Report" */
#define BOUNCE_KIND_STATUS 4  /* sendmail -v/-bv: "Mail Delivery Status Report" */

/* One recipient of the notice's report (copied from a log entry). */
struct bounce_rcpt {
    char *address;
    char *orig_rcpt; /* "" when not known */
    char *dsn_orcpt; /* "type;address" or "" */
    char *status;
    char *action;
    char *reason;
    char *relay;
    int notify;
    time_t time;
};

struct bounce_notice {
    int kind;              /* BOUNCE_KIND_* */
    int postmaster;        /* a copy for the postmaster (or a double bounce) */
    int headers_only;      /* return only the original headers */
    const char *queue_id;  /* of the original message */
    const char *sender;    /* the original envelope sender, "" for <> */
    const char *to;        /* who receives the notice */
    const char *dsn_envid; /* "" when none */
    const char *myhostname;
    const char *mail_name; /* for Received: and X-<mail_name> Diagnostic-Code; NULL: "Tern" */
    const char *notice_id; /* the notice's own queue id, for its Received:; NULL: none */
    time_t arrival;        /* of the original; 0 when not known */
    time_t now;            /* the notice's date */
    long size_limit;       /* bounce_size_limit */
    long queue_lifetime;   /* maximal_queue_lifetime, seconds (delay notices) */
    const struct bounce_rcpt *rcpts;
    size_t rcpt_count;
    struct qfile *qf; /* the original, for its content; NULL when not available */
};

typedef int (*bounce_put_fn)(void *context, const char *line, size_t len);

int bounce_compose(const struct bounce_notice *notice, bounce_put_fn put, void *context);
const char *bounce_subject(const struct bounce_notice *notice);

int bounce_notice_send(const char *request, const struct bounce_msg *msg, struct vstring *id_out);

#endif
