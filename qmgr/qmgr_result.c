/*
 * qmgr_result - recording one recipient's result (docs/queue-format.md,
 * lib/mail/dsn_log.h), under the lock rule (qmgr_message_lock):
 *
 *   qmgr_message_result(msg, rcpt, status, dsn, action, reason, relay)
 *       an agent's result: delivered -> done-marker (and the trace log for
 *       trace_flags 1 or NOTIFY=SUCCESS); bounced -> bounce log, then the
 *       done-marker; deferred -> defer log, and remembered for an expiry
 *       bounce. With trace_flags 2 (verification) every result goes to the
 *       trace log only and nothing else changes. A bounce that cannot be
 *       logged is not marked done (it is deferred instead), so a crash or a
 *       full disk never loses a non-delivery notice.
 *   qmgr_message_local_result(msg, rcpt, status, dsn, reason)
 *       a result qmgr decides itself: logged as the agents do (relay=none),
 *       then recorded as above.
 * A message that was moved or removed meanwhile (the lock check fails) is
 * forgotten: nothing is written.
 */
#include <string.h>
#include <time.h>

#include "config/mail_conf.h"
#include "mail/deliver_request.h"
#include "mail/dsn_log.h"
#include "mail/flush_clnt.h"
#include "mail/mail_queue.h"
#include "qmgr.h"
#include "util/msg.h"
#include "util/mymalloc.h"

/* Remembers a deferred recipient for the expiry bounce. */
static void
qmgr_message_add_deferral(struct qmgr_message *msg, const struct qmgr_rcpt *rcpt,
                          const char *status, const char *reason)
{
    struct qmgr_deferral *d = mymalloc(sizeof(*d));

    qmgr_rcpt_copy(&d->rcpt, rcpt);
    d->status = mystrdup(status);
    d->reason = mystrdup(reason);
    d->next = msg->deferred;
    msg->deferred = d;
}

static int
qmgr_message_append(struct qmgr_message *msg, const char *queue, const struct dsn_log_entry *e)
{
    if (dsn_log_append(queue, msg->queue_id, e) < 0) {
        msg_warn("%s: append to %s log: %m", msg->queue_id, queue);
        return -1;
    }
    return 0;
}

/*
 * Tells the fast flush service that MSG waits for the domain of RCPT, as
 * Postfix's deferral path does (flush_add checks fast_flush_domains
 * first, so an ineligible domain costs no connection). Called without the
 * queue file lock: flush_add talks to another process.
 */
static void
qmgr_message_flush_add(const struct qmgr_message *msg, const struct qmgr_rcpt *rcpt)
{
    const char *domain = strrchr(rcpt->address, '@');

    if (domain == NULL || *++domain == 0)
        return;
    switch (flush_add(domain, msg->queue_id)) {
    case FLUSH_STAT_OK:
    case FLUSH_STAT_DENY:
        break;
    default:
        msg_warn("%s: %s service failure", msg->queue_id, mail_conf_get("flush_service_name"));
        break;
    }
}

void
qmgr_message_result(struct qmgr_message *msg, const struct qmgr_rcpt *rcpt, int status,
                    const char *dsn_status, const char *dsn_action, const char *reason,
                    const char *relay)
{
    struct dsn_log_entry e = {
        .recipient = rcpt->address,
        .orig_rcpt = rcpt->orig_rcpt,
        .dsn_orcpt = rcpt->dsn_orcpt,
        .notify = rcpt->notify,
        .offset = rcpt->offset,
        .status = dsn_status,
        .action = dsn_action,
        .reason = reason,
        .relay = relay,
        .time = time(NULL),
    };
    struct vstring *why;
    int deferred = 0;

    if (qmgr_message_lock(msg) < 0)
        return;
    why = vstring_alloc(100);
    msg->sent_count++;
    if (msg->trace_flags & 2) {
        qmgr_message_append(msg, MAIL_QUEUE_TRACE, &e);
    } else if (status == DEL_RCPT_DEFER) {
        qmgr_message_append(msg, MAIL_QUEUE_DEFER, &e);
        qmgr_message_add_deferral(msg, rcpt, dsn_status, reason);
        deferred = 1;
        if (msg->trace_flags & 1)
            qmgr_message_append(msg, MAIL_QUEUE_TRACE, &e);
    } else {
        if ((msg->trace_flags & 1) ||
            (status == DEL_RCPT_OK && (rcpt->notify & REC_NOTIFY_SUCCESS)))
            qmgr_message_append(msg, MAIL_QUEUE_TRACE, &e);
        if (status == DEL_RCPT_BOUNCE && qmgr_message_append(msg, MAIL_QUEUE_BOUNCE, &e) < 0) {
            qmgr_message_add_deferral(msg, rcpt, "4.3.0", "cannot record bounce");
        } else if (qfile_rcpt_done(msg->qf, rcpt->offset, why) < 0) {
            msg_warn("%s: mark recipient done: %s", msg->queue_id, vstring_str(why));
        }
    }
    qmgr_message_unlock(msg);
    vstring_free(why);
    if (deferred)
        qmgr_message_flush_add(msg, rcpt);
}

void
qmgr_message_local_result(struct qmgr_message *msg, const struct qmgr_rcpt *rcpt, int status,
                          const char *dsn_status, const char *reason)
{
    static const char *const words[] = {"sent", "deferred", "bounced"};
    static const char *const actions[] = {"delivered", "delayed", "failed"};
    const char *word = words[status];

    if (msg->forgotten)
        return;
    if (msg->trace_flags & 2)
        word = status == DEL_RCPT_OK ? "deliverable" : "undeliverable";
    qmgr_log_result(msg, rcpt, "none", dsn_status, word, reason);
    qmgr_message_result(msg, rcpt, status, dsn_status, actions[status], reason, "none");
}
