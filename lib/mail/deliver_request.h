/*
 * deliver_request - the delivery agent's side of protocol deliver_v1
 * (docs/ipc.md): read qmgr's request, record one result per recipient,
 * log each result in Postfix's shape, and send the results back. Every
 * agent (local, error, discard, retry, later smtp, virtual, pipe) uses it
 * from its single-server serve function:
 *
 *   req = deliver_request_read(client);      announces deliver_v1, reads the
 *                                            request and its recipients;
 *                                            NULL on bad input (logged as a
 *                                            warning naming the stream)
 *   qf = deliver_request_content(req, why);  opens req->queue_name/queue_id
 *                                            read-only, positioned at the
 *                                            first content line; NULL with a
 *                                            reason (the file is gone, corrupt)
 *   ...for each recipient i...
 *   deliver_result(req, i, DEL_RCPT_OK, "2.0.0", "delivered", "local",
 *                  "delivered to mailbox");
 *   deliver_request_done(req, 0, "");         sends every result and the final
 *                                            status, frees req; a recipient
 *                                            without a result is reported
 *                                            deferred (4.3.0, "delivery
 *                                            incomplete")
 *
 * deliver_result logs, as the agent's syslog name, exactly Postfix's
 * delivery line:
 *
 *   QUEUEID: to=<ADDR>, orig_to=<ORIG>, relay=RELAY, delay=D,
 *       delays=a/b/c/d, dsn=X.Y.Z, status=STATUS (REASON)
 *
 * (orig_to only when ORIG is known and differs from ADDR; STATUS is sent,
 * deferred or bounced, and with DEL_REQ_FLAG_VERIFY/EXPAND deliverable or
 * undeliverable; delay and delays as Postfix computes them from
 * time_arrival, time_active, the time the request was read, the time
 * deliver_result was first called for the request (connection set-up, "c";
 * 0 for local agents) and now.) deliver_result_conn(req) marks the end of
 * connection set-up for "c" (smtp); without it c is 0.
 *
 * An agent that expands a recipient (local: aliases, .forward,
 * :include:) may also report leaves of the expansion - with
 * DEL_REQ_FLAG_EXPAND (sendmail -bv) every leaf, otherwise the bounced
 * members and the "expanded" record of NOTIFY=SUCCESS:
 * deliver_result_expansion(req, i, &leaf) copies LEAF into recipient i's
 * result; deliver_request_done sends the leaves after that recipient's
 * result list (docs/ipc.md, "expansions"), and qmgr logs them instead of
 * the recipient itself. The
 * agent logs each leaf itself. deliver_expansion_free releases the leaves
 * of a result (deliver_pass_recv fills them in on the client side).
 *
 * Delivery status filter (postconf(5) default_delivery_status_filter):
 * deliver_result and deliver_result_expansion pass each result through
 * the agent's filter (dsn_filter.h) before they log or record it, so the
 * logged dsn= and (text) and the reply to qmgr are the filtered ones. A
 * failure whose class changes becomes a deferral (4.Y.Z, action
 * "delayed") or a bounce (5.Y.Z, "failed"); a success stays a success.
 * deliver_filter_init(program) opens PROGRAM's filter: local, virtual,
 * pipe, smtp and lmtp use PROGRAM_delivery_status_filter (whose default
 * is $default_delivery_status_filter); any other program (error, discard,
 * retry) has none, as in Postfix. An agent calls it from pre_init, before
 * a chroot; otherwise deliver_request_read calls it once with the
 * program's own name (the last part of msg_progname()).
 *
 * soft_bounce = yes (postconf(5)) then turns a bounce into a deferral,
 * after the filter, for every agent: the code's class becomes 4, the
 * action "delayed", and the log line says status=SOFTBOUNCE. Requests with
 * DEL_REQ_FLAG_VERIFY or DEL_REQ_FLAG_EXPAND report what would happen and
 * are left alone, as in Postfix.
 *
 * A deliver_result call for an index out of range or given twice is a
 * programming error (panic). All strings of req belong to req.
 */
#ifndef TERN_DELIVER_REQUEST_H
#define TERN_DELIVER_REQUEST_H

#include <stdint.h>

#include "mail/qfile.h"
#include "util/htable.h"
#include "util/vstream.h"
#include "util/vstring.h"

#define DELIVER_PROTOCOL "deliver_v1"
#define DELIVER_EXPANSION_MAX 10000 /* expansion leaves reported per recipient */

/* Request flags. */
#define DEL_REQ_FLAG_VERIFY (1 << 0) /* address verification: deliver nothing */
#define DEL_REQ_FLAG_EXPAND (1 << 1) /* sendmail -bv: also report alias expansion */

/* Per-recipient status. */
#define DEL_RCPT_OK 0     /* delivered, or finished successfully */
#define DEL_RCPT_DEFER 1  /* try again later */
#define DEL_RCPT_BOUNCE 2 /* permanent failure */

struct deliver_rcpt {
    uint64_t offset;  /* of the recipient's R record */
    char *address;    /* internal form */
    char *orig_rcpt;  /* "" when not known */
    char *dsn_orcpt;  /* "" when not given */
    int notify;       /* REC_NOTIFY_* bits, 0 when not given */
};

/* One leaf of an expansion (alias, .forward, :include:), EXPAND requests only. */
struct deliver_expansion {
    int status;       /* DEL_RCPT_* */
    char *address;    /* the leaf's address */
    char *orig_rcpt;  /* "" when none (below an owner- alias) */
    char *dsn_status;
    char *dsn_action; /* "deliverable", "undeliverable", ... */
    char *reason;
    char *relay;
};

struct deliver_result {
    int exp_count;                /* expansion leaves (deliver_result_expansion) */
    struct deliver_expansion *exp;
    int done;         /* deliver_result was called for this recipient */
    int status;       /* DEL_RCPT_* */
    char *dsn_status; /* "2.0.0" */
    char *dsn_action; /* "delivered" */
    char *relay;      /* "local" */
    char *reason;     /* "delivered to mailbox" */
};

struct deliver_request {
    struct vstream *client;
    int flags;               /* DEL_REQ_FLAG_* */
    char *queue_name;
    char *queue_id;
    uint64_t data_offset;    /* of the M record */
    uint64_t data_size;
    char *nexthop;
    char *sender;            /* "" for the null sender */
    char *dsn_envid;         /* "" when none */
    int dsn_ret;             /* 0 or REC_RET_* */
    int64_t time_arrival;    /* microseconds since the epoch */
    int64_t time_active;
    int64_t time_read;       /* when deliver_request_read had the request */
    int64_t time_conn;       /* deliver_result_conn, or 0 */
    struct htable *attrs;    /* the message's A attributes: char * values */
    int rcpt_count;
    struct deliver_rcpt *rcpt;     /* rcpt_count entries */
    struct deliver_result *result; /* rcpt_count entries */
};

struct deliver_request *deliver_request_read(struct vstream *client);
struct qfile *deliver_request_content(struct deliver_request *req, struct vstring *why);
void deliver_result(struct deliver_request *req, int index, int status, const char *dsn_status,
                    const char *dsn_action, const char *relay, const char *format, ...)
    __attribute__((format(printf, 7, 8)));
void deliver_result_conn(struct deliver_request *req);
void deliver_result_expansion(struct deliver_request *req, int index,
                              const struct deliver_expansion *leaf);
void deliver_expansion_free(struct deliver_result *res);
void deliver_filter_init(const char *program);
int deliver_request_done(struct deliver_request *req, int status, const char *reason);

#endif
