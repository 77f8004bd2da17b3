/*
 * qmgr_deliver - the client side of deliver_v1 (docs/ipc.md): one
 * delivery request per entry, many at once, driven by the event loop.
 *
 *   qmgr_deliver_start(entry)
 *       connects to private/TRANSPORT and waits (event_enable_read) for
 *       the agent's announcement, which comes when an agent process
 *       accepts the connection; then sends the request and its recipients
 *       and waits again for the results. The loop never waits for an agent:
 *       reads happen only when the socket is readable, and each read or
 *       write is bounded by qmgr_ipc_timeout. A whole delivery is bounded
 *       by daemon_timeout (the agents' own watchdog limit).
 *
 * Results: each recipient's result goes to qmgr_message_result; an agent
 * final status other than 0 defers every recipient of the request with
 * the agent's reason. A connection that fails because the service does
 * not exist (no private/TRANSPORT, or nobody listening) defers the entry
 * with "mail transport unavailable" and throttles the transport. An agent
 * that dies, times out or breaks the protocol: the recipients that have a
 * result keep it, the others are deferred with "unknown mail transport
 * error", and the destination gets negative feedback. A result with
 * expansion leaves (lib/mail/deliver_pass.h: sendmail -bv, or the
 * members of an alias that bounced or "expanded" for NOTIFY=SUCCESS)
 * goes to qmgr_message_expansion, unless it is a deferral: one log
 * record per leaf.
 */
#include <errno.h>
#include <string.h>

#include "mail/attr.h"
#include "mail/deliver_pass.h"
#include "mail/deliver_request.h"
#include "mail/mail_connect.h"
#include "mail/mail_queue.h"
#include "qmgr.h"
#include "util/events.h"
#include "util/iostuff.h"
#include "util/msg.h"
#include "util/mymalloc.h"

#define QMGR_TRANSPORT_ERROR "unknown mail transport error"

struct qmgr_delivery {
    struct qmgr_entry *entry;
    struct vstream *fp;
    int announced;
};

static void qmgr_deliver_event(int event, void *context);
static void qmgr_deliver_timeout(int event, void *context);

/* Ends a delivery: feedback, entry freed, scheduler run. */
static void
qmgr_deliver_end(struct qmgr_delivery *d, int ok, const char *reason)
{
    struct qmgr_queue *queue = d->entry->queue;

    event_disable_readwrite(vstream_fileno(d->fp));
    event_cancel_timer(qmgr_deliver_timeout, d);
    vstream_close(d->fp);
    queue->busy--;
    if (ok)
        qmgr_queue_success(queue);
    else
        qmgr_queue_failure(queue, reason);
    qmgr_entry_free(d->entry);
    myfree(d);
    qmgr_schedule();
}

/* Applies results 0..got-1, defers the rest, then ends the delivery. */
static void
qmgr_deliver_apply(struct qmgr_delivery *d, struct deliver_result *res, int got, int ok,
                   const char *defer_reason)
{
    struct qmgr_entry *e = d->entry;

    for (int i = 0; i < e->count; i++) {
        if (i < got && res[i].exp_count > 0 &&
            ((e->message->trace_flags & 2) || res[i].status != DEL_RCPT_DEFER))
            qmgr_message_expansion(e->message, e->rcpt + i, res[i].exp, res[i].exp_count);
        else if (i < got)
            qmgr_message_result(e->message, e->rcpt + i, res[i].status, res[i].dsn_status,
                                res[i].dsn_action, res[i].reason, res[i].relay);
        else
            qmgr_message_local_result(e->message, e->rcpt + i, 1, "4.3.0", defer_reason);
    }
    for (int i = 0; i < got; i++)
        deliver_pass_free_result(res + i);
    myfree(res);
    qmgr_deliver_end(d, ok, defer_reason);
}

/* The agent broke down before any result: defer everything. */
static void
qmgr_deliver_broken(struct qmgr_delivery *d, const char *why)
{
    msg_warn("%s: %s socket: %s", d->entry->message->queue_id, vstream_path(d->fp), why);
    qmgr_deliver_apply(d, mymalloc(sizeof(struct deliver_result)), 0, 0, QMGR_TRANSPORT_ERROR);
}

static int
qmgr_deliver_send(struct qmgr_delivery *d)
{
    struct qmgr_entry *e = d->entry;
    struct qmgr_message *msg = e->message;
    int flags = (msg->trace_flags & 2) ? (DEL_REQ_FLAG_VERIFY | DEL_REQ_FLAG_EXPAND) : 0;

    if (attr_print(d->fp, ATTR_FLAG_NONE, ATTR_SEND_INT("flags", flags),
                   ATTR_SEND_STR("queue_name", MAIL_QUEUE_ACTIVE),
                   ATTR_SEND_STR("queue_id", msg->queue_id),
                   ATTR_SEND_LONG("data_offset", (long)msg->data_offset),
                   ATTR_SEND_LONG("data_size", (long)msg->data_size),
                   ATTR_SEND_STR("nexthop", e->queue->nexthop),
                   ATTR_SEND_STR("sender", msg->sender), ATTR_SEND_STR("dsn_envid", msg->dsn_envid),
                   ATTR_SEND_INT("dsn_ret", msg->dsn_ret),
                   ATTR_SEND_LONG("time_arrival",
                                  (long)msg->arrival.tv_sec * 1000000 + msg->arrival.tv_usec),
                   ATTR_SEND_LONG("time_active", (long)msg->active_us),
                   ATTR_SEND_TABLE("attrs", msg->attrs), ATTR_SEND_INT("rcpt_count", e->count),
                   ATTR_TYPE_END) < 0)
        return -1;
    for (int i = 0; i < e->count; i++) {
        const struct qmgr_rcpt *r = e->rcpt + i;

        if (attr_print(d->fp, ATTR_FLAG_NONE, ATTR_SEND_LONG("offset", (long)r->offset),
                       ATTR_SEND_STR("address", r->address),
                       ATTR_SEND_STR("orig_rcpt", r->orig_rcpt),
                       ATTR_SEND_STR("dsn_orcpt", r->dsn_orcpt), ATTR_SEND_INT("notify", r->notify),
                       ATTR_TYPE_END) < 0)
            return -1;
    }
    return 0;
}

/* Reads every result and the final status (the socket is readable). */
static void
qmgr_deliver_receive(struct qmgr_delivery *d)
{
    struct qmgr_entry *e = d->entry;
    struct deliver_result *res = mymalloc(sizeof(*res) * (size_t)e->count);
    struct vstring *reason = vstring_alloc(100);
    int got, status;

    for (got = 0; got < e->count; got++) {
        if (deliver_pass_recv_result(d->fp, res + got) < 0) {
            deliver_pass_free_result(res + got);
            break;
        }
    }
    if (got < e->count) {
        msg_warn("%s: %s socket: %s", e->message->queue_id, vstream_path(d->fp),
                 attr_error_reason());
        qmgr_deliver_apply(d, res, got, 0, QMGR_TRANSPORT_ERROR);
    } else if (attr_scan(d->fp, ATTR_FLAG_EXTRA, ATTR_RECV_INT("status", &status),
                         ATTR_RECV_STR("reason", reason), ATTR_TYPE_END) != 2) {
        msg_warn("%s: %s socket: %s", e->message->queue_id, vstream_path(d->fp),
                 attr_error_reason());
        qmgr_deliver_apply(d, res, got, 1, "");
    } else if (status != 0) {
        for (int i = 0; i < got; i++)
            deliver_pass_free_result(res + i);
        qmgr_deliver_apply(d, res, 0, 0,
                           *vstring_str(reason) ? vstring_str(reason) : QMGR_TRANSPORT_ERROR);
    } else {
        qmgr_deliver_apply(d, res, got, 1, "");
    }
    vstring_free(reason);
}

static void
qmgr_deliver_event(int event, void *context)
{
    struct qmgr_delivery *d = context;

    (void)event;
    if (!d->announced) {
        if (attr_expect_protocol(d->fp, DELIVER_PROTOCOL) < 0) {
            qmgr_deliver_broken(d, attr_error_reason());
            return;
        }
        d->announced = 1;
        if (qmgr_deliver_send(d) < 0)
            qmgr_deliver_broken(d, attr_error_reason());
        return;
    }
    qmgr_deliver_receive(d);
}

static void
qmgr_deliver_timeout(int event, void *context)
{
    struct qmgr_delivery *d = context;

    (void)event;
    qmgr_deliver_broken(d, "timeout waiting for the delivery agent");
}

void
qmgr_deliver_start(struct qmgr_entry *entry)
{
    struct qmgr_queue *queue = entry->queue;
    struct qmgr_delivery *d;
    struct vstream *fp;
    struct vstring *why;

    if (!qmgr_message_in_active(entry->message)) { /* held or deleted meanwhile */
        queue->busy--;
        qmgr_entry_free(entry);
        return;
    }
    why = vstring_alloc(100);
    fp = mail_connect(NULL, MAIL_CLASS_PRIVATE, queue->transport->name,
                      (int)qmgr_params.ipc_timeout, why);
    if (fp == NULL) {
        int unavailable = (errno == ENOENT || errno == ECONNREFUSED || errno == EINVAL);

        if (unavailable)
            msg_warn("connect to transport %s/%s: %m", MAIL_CLASS_PRIVATE, queue->transport->name);
        else
            msg_warn("%s", vstring_str(why));
        queue->busy--;
        if (unavailable) {
            qmgr_entry_defer(entry, 0, "4.3.0", "mail transport unavailable");
            qmgr_transport_unavailable(queue->transport, "mail transport unavailable");
        } else {
            qmgr_entry_defer(entry, 0, "4.3.0", QMGR_TRANSPORT_ERROR);
            qmgr_queue_failure(queue, QMGR_TRANSPORT_ERROR);
        }
        vstring_free(why);
        return;
    }
    vstring_free(why);
    close_on_exec(vstream_fileno(fp), CLOSE_ON_EXEC);
    d = mymalloc(sizeof(*d));
    d->entry = entry;
    d->fp = fp;
    d->announced = 0;
    event_enable_read(vstream_fileno(fp), qmgr_deliver_event, d);
    event_request_timer(qmgr_deliver_timeout, d, (int)qmgr_params.delivery_timeout);
}
