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
 * A message that postsuper put on hold during its delivery is still
 * updated through qmgr's descriptor (qmgr_message_lock_update): the
 * finished recipients keep their done-markers and log records, so a
 * release does not deliver them twice. A message deleted or requeued
 * meanwhile is forgotten: nothing is written.
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
 * A trace log record (sendmail -v and -bv reports, NOTIFY=SUCCESS): as
 * Postfix words them, the reason says which agent spoke, "delivery via
 * RELAY: REASON", unless no agent did (relay "none").
 */
static void
qmgr_message_trace(struct qmgr_message *msg, const struct dsn_log_entry *e)
{
    struct dsn_log_entry traced = *e;
    struct vstring *reason;

    if (e->relay == NULL || *e->relay == 0 || strcmp(e->relay, "none") == 0) {
        qmgr_message_append(msg, MAIL_QUEUE_TRACE, e);
        return;
    }
    reason = vstring_alloc(100);
    vstring_sprintf(reason, "delivery via %s: %s", e->relay, e->reason);
    traced.reason = vstring_str(reason);
    qmgr_message_append(msg, MAIL_QUEUE_TRACE, &traced);
    vstring_free(reason);
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

    if (qmgr_message_lock_update(msg) < 0)
        return;
    why = vstring_alloc(100);
    msg->sent_count++;
    if (msg->trace_flags & 2) {
        qmgr_message_trace(msg, &e);
    } else if (status == DEL_RCPT_DEFER) {
        qmgr_message_append(msg, MAIL_QUEUE_DEFER, &e);
        qmgr_message_add_deferral(msg, rcpt, dsn_status, reason);
        deferred = 1;
        if (msg->trace_flags & 1)
            qmgr_message_trace(msg, &e);
    } else {
        if ((msg->trace_flags & 1) ||
            (status == DEL_RCPT_OK && (rcpt->notify & REC_NOTIFY_SUCCESS)))
            qmgr_message_trace(msg, &e);
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
    const char *action = actions[status];

    if (msg->forgotten)
        return;
    if (msg->trace_flags & 2) /* sendmail -bv: the word is also the DSN action */
        action = word = status == DEL_RCPT_OK ? "deliverable" : "undeliverable";
    qmgr_log_result(msg, rcpt, "none", dsn_status, word, reason);
    qmgr_message_result(msg, rcpt, status, dsn_status, action, reason, "none");
}

/*
 * The leaves of an expansion (deliver_v1 "expansions") replace the queue
 * recipient's own result in the logs: with trace_flags 2 (sendmail -bv)
 * each goes to the trace log and nothing else changes; otherwise (the
 * agent's result was not a deferral) a bounced leaf goes to the bounce
 * log under its own address, a successful one (local: "expanded") to the
 * trace log for NOTIFY=SUCCESS or trace_flags 1, and the queue recipient
 * is marked done - unless a bounce could not be logged, which defers it.
 * Each leaf keeps the queue recipient's R offset and NOTIFY; its DSN
 * ORCPT too, unless the leaf has no orig_rcpt (below an owner- alias).
 */
void
qmgr_message_expansion(struct qmgr_message *msg, const struct qmgr_rcpt *rcpt,
                       const struct deliver_expansion *leaves, int count)
{
    struct dsn_log_entry e = {
        .notify = rcpt->notify,
        .offset = rcpt->offset,
        .time = time(NULL),
    };
    struct vstring *why;
    int lost = 0;

    if (qmgr_message_lock_update(msg) < 0)
        return;
    msg->sent_count++;
    for (int i = 0; i < count; i++) {
        e.recipient = leaves[i].address;
        e.orig_rcpt = leaves[i].orig_rcpt;
        e.dsn_orcpt = *leaves[i].orig_rcpt ? rcpt->dsn_orcpt : "";
        e.status = leaves[i].dsn_status;
        e.action = leaves[i].dsn_action;
        e.reason = leaves[i].reason;
        e.relay = leaves[i].relay;
        if ((msg->trace_flags & 3) ||
            (leaves[i].status == DEL_RCPT_OK && (rcpt->notify & REC_NOTIFY_SUCCESS)))
            qmgr_message_trace(msg, &e);
        if (!(msg->trace_flags & 2) && leaves[i].status == DEL_RCPT_BOUNCE &&
            qmgr_message_append(msg, MAIL_QUEUE_BOUNCE, &e) < 0)
            lost = 1;
    }
    if (!(msg->trace_flags & 2)) {
        why = vstring_alloc(100);
        if (lost)
            qmgr_message_add_deferral(msg, rcpt, "4.3.0", "cannot record bounce");
        else if (qfile_rcpt_done(msg->qf, rcpt->offset, why) < 0)
            msg_warn("%s: mark recipient done: %s", msg->queue_id, vstring_str(why));
        vstring_free(why);
    }
    qmgr_message_unlock(msg);
}
