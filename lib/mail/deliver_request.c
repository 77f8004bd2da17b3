/*
 * deliver_request - the delivery agent's side of protocol deliver_v1
 * (docs/ipc.md, lib/mail/deliver_request.h): read qmgr's request and its
 * recipients, open the message content read-only, record and log one
 * result per recipient, and send every result back.
 *
 * Invariants: a request that deliver_request_read returns has 1 or more
 * recipients (at most DELIVER_RCPT_MAX), a queue name of mail_queue.h's
 * list and a queue id that passed queue_id_ok, so the agent never opens a
 * path that qmgr's peer made up. Each recipient gets exactly one result;
 * deliver_request_done fills in "4.3.0 delivery incomplete" deferrals for
 * recipients the agent forgot, so qmgr always receives rcpt_count results.
 *
 * Bad input (a malformed list, a bad queue name or id, a recipient count
 * out of range) is logged as a warning naming the client stream and the
 * request is dropped (NULL); the agent's serve function just returns.
 *
 * The delivery log line's delay fields follow postconf(5)
 * delay_logging_resolution_limit: values of 100 s or more as whole
 * seconds, smaller ones with at most two significant digits and at most
 * that many digits after the decimal point, and values too small for that
 * resolution as "0".
 *
 * The delivery status filter (deliver_request.h) is process state: one
 * filter per agent process, opened once by deliver_filter_init.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "config/mail_conf.h"
#include "mail/attr.h"
#include "mail/deliver_request.h"
#include "mail/dsn_filter.h"
#include "mail/mail_queue.h"
#include "mail/log_delay.h"
#include "mail/queue_id.h"
#include "util/msg.h"
#include "util/mymalloc.h"

#define DELIVER_RCPT_MAX 100000 /* recipients in one request */

static int deliver_filter_ready;          /* deliver_filter_init was called */
static struct dsn_filter *deliver_filter; /* NULL: no filter */

/* The agents that have a filter parameter (PROGRAM_delivery_status_filter). */
static const char *const deliver_filter_agents[] = {"local", "virtual", "pipe",
                                                    "smtp",  "lmtp",    NULL};

void
deliver_filter_init(const char *program)
{
    const char *base = strrchr(program, '/');
    struct vstring *param;

    dsn_filter_free(deliver_filter);
    deliver_filter = NULL;
    deliver_filter_ready = 1;
    base = base ? base + 1 : program;
    for (int i = 0; deliver_filter_agents[i]; i++) {
        if (strcmp(base, deliver_filter_agents[i]) != 0)
            continue;
        param = vstring_alloc(64);
        vstring_sprintf(param, "%s_delivery_status_filter", base);
        deliver_filter = dsn_filter_create(vstring_str(param), mail_conf_get(vstring_str(param)));
        vstring_free(param);
        break;
    }
}

/* Replaces *STR by a copy of VALUE. */
static void
deliver_filter_replace(char **str, const char *value)
{
    myfree(*str);
    *str = mystrdup(value);
}

/*
 * Passes one result through the filter, in place; QUIET when the same
 * result was already filtered (and any warning logged) for the log line.
 */
static void
deliver_filter_apply(int req_flags, int *status, char **dsn_status, char **dsn_action,
                     char **reason, int quiet)
{
    struct vstring *new_status;
    struct vstring *new_reason;
    char old_class = **dsn_status;

    if (deliver_filter == NULL)
        return;
    new_status = vstring_alloc(16);
    new_reason = vstring_alloc(100);
    if (dsn_filter_lookup(deliver_filter, *dsn_status, *reason, new_status, new_reason, quiet)) {
        deliver_filter_replace(dsn_status, vstring_str(new_status));
        deliver_filter_replace(reason, vstring_str(new_reason));
        if (**dsn_status != old_class) {
            *status = **dsn_status == '4' ? DEL_RCPT_DEFER : DEL_RCPT_BOUNCE;
            if ((req_flags & (DEL_REQ_FLAG_VERIFY | DEL_REQ_FLAG_EXPAND)) == 0)
                deliver_filter_replace(dsn_action,
                                       *status == DEL_RCPT_DEFER ? "delayed" : "failed");
        }
    }
    vstring_free(new_status);
    vstring_free(new_reason);
}

/* Frees a request and everything it owns. */
static void
deliver_request_free(struct deliver_request *req)
{
    for (int i = 0; i < req->rcpt_count; i++) {
        deliver_expansion_free(req->result + i);
        myfree(req->rcpt[i].address);
        myfree(req->rcpt[i].orig_rcpt);
        myfree(req->rcpt[i].dsn_orcpt);
        if (req->result[i].done) {
            myfree(req->result[i].dsn_status);
            myfree(req->result[i].dsn_action);
            myfree(req->result[i].relay);
            myfree(req->result[i].reason);
        }
    }
    myfree(req->rcpt);
    myfree(req->result);
    myfree(req->queue_name);
    myfree(req->queue_id);
    myfree(req->nexthop);
    myfree(req->sender);
    myfree(req->dsn_envid);
    if (req->attrs)
        htable_free(req->attrs, myfree);
    myfree(req);
}

/* Reads the recipient lists; 0 or -1 (logged). */
static int
deliver_request_read_rcpts(struct deliver_request *req)
{
    struct vstring *addr = vstring_alloc(64);
    struct vstring *orig = vstring_alloc(64);
    struct vstring *orcpt = vstring_alloc(64);
    long offset;
    int notify;
    int status = 0;

    req->rcpt = mymalloc(sizeof(*req->rcpt) * (size_t)req->rcpt_count);
    req->result = mymalloc(sizeof(*req->result) * (size_t)req->rcpt_count);
    memset(req->result, 0, sizeof(*req->result) * (size_t)req->rcpt_count);
    for (int i = 0; i < req->rcpt_count; i++) {
        if (attr_scan(req->client, ATTR_FLAG_EXTRA, ATTR_RECV_LONG("offset", &offset),
                      ATTR_RECV_STR("address", addr), ATTR_RECV_STR("orig_rcpt", orig),
                      ATTR_RECV_STR("dsn_orcpt", orcpt), ATTR_RECV_INT("notify", &notify),
                      ATTR_TYPE_END) != 5) {
            msg_warn("%s socket: %s", vstream_path(req->client), attr_error_reason());
            req->rcpt_count = i; /* what the free must release */
            status = -1;
            break;
        }
        req->rcpt[i].offset = offset < 0 ? 0 : (uint64_t)offset;
        req->rcpt[i].address = mystrdup(vstring_str(addr));
        req->rcpt[i].orig_rcpt = mystrdup(vstring_str(orig));
        req->rcpt[i].dsn_orcpt = mystrdup(vstring_str(orcpt));
        req->rcpt[i].notify = notify;
    }
    vstring_free(addr);
    vstring_free(orig);
    vstring_free(orcpt);
    return status;
}

/* Reads the request list proper into req; 0 or -1 (logged). */
static int
deliver_request_read_head(struct deliver_request *req)
{
    struct vstring *qname = vstring_alloc(16);
    struct vstring *qid = vstring_alloc(16);
    struct vstring *nexthop = vstring_alloc(64);
    struct vstring *sender = vstring_alloc(64);
    struct vstring *envid = vstring_alloc(16);
    long data_offset = 0, data_size = 0, arrival = 0, active = 0;
    int status = -1;

    if (attr_scan(req->client, ATTR_FLAG_EXTRA, ATTR_RECV_INT("flags", &req->flags),
                  ATTR_RECV_STR("queue_name", qname), ATTR_RECV_STR("queue_id", qid),
                  ATTR_RECV_LONG("data_offset", &data_offset),
                  ATTR_RECV_LONG("data_size", &data_size), ATTR_RECV_STR("nexthop", nexthop),
                  ATTR_RECV_STR("sender", sender), ATTR_RECV_STR("dsn_envid", envid),
                  ATTR_RECV_INT("dsn_ret", &req->dsn_ret), ATTR_RECV_LONG("time_arrival", &arrival),
                  ATTR_RECV_LONG("time_active", &active), ATTR_RECV_TABLE("attrs", req->attrs),
                  ATTR_RECV_INT("rcpt_count", &req->rcpt_count), ATTR_TYPE_END) != 13) {
        msg_warn("%s socket: %s", vstream_path(req->client), attr_error_reason());
    } else if (!mail_queue_name_ok(vstring_str(qname)) || !queue_id_ok(vstring_str(qid))) {
        msg_warn("%s socket: bad queue file name in request", vstream_path(req->client));
    } else if (req->rcpt_count < 1 || req->rcpt_count > DELIVER_RCPT_MAX) {
        msg_warn("%s socket: bad recipient count %d in request", vstream_path(req->client),
                 req->rcpt_count);
    } else {
        status = 0;
    }
    if (status < 0)
        req->rcpt_count = 0;
    req->queue_name = mystrdup(vstring_str(qname));
    req->queue_id = mystrdup(vstring_str(qid));
    req->nexthop = mystrdup(vstring_str(nexthop));
    req->sender = mystrdup(vstring_str(sender));
    req->dsn_envid = mystrdup(vstring_str(envid));
    req->data_offset = data_offset < 0 ? 0 : (uint64_t)data_offset;
    req->data_size = data_size < 0 ? 0 : (uint64_t)data_size;
    req->time_arrival = arrival;
    req->time_active = active;
    vstring_free(qname);
    vstring_free(qid);
    vstring_free(nexthop);
    vstring_free(sender);
    vstring_free(envid);
    return status;
}

struct deliver_request *
deliver_request_read(struct vstream *client)
{
    struct deliver_request *req;

    if (client->timeout == 0)
        vstream_set_timeout(client, (int)mail_conf_get_time("ipc_timeout"));
    if (attr_announce_protocol(client, DELIVER_PROTOCOL) < 0) {
        msg_warn("%s socket: %s", vstream_path(client), attr_error_reason());
        return NULL;
    }
    if (!deliver_filter_ready)
        deliver_filter_init(msg_progname());
    req = mymalloc(sizeof(*req));
    memset(req, 0, sizeof(*req));
    req->client = client;
    req->attrs = htable_create(16);
    if (deliver_request_read_head(req) < 0) {
        deliver_request_free(req);
        return NULL;
    }
    if (deliver_request_read_rcpts(req) < 0) {
        deliver_request_free(req);
        return NULL;
    }
    req->time_read = log_delay_now();
    return req;
}

struct qfile *
deliver_request_content(struct deliver_request *req, struct vstring *why)
{
    struct qfile *qf;

    if (qfile_open(req->queue_name, req->queue_id, QFILE_OPEN_READ, &qf, why) != QFILE_OK)
        return NULL;
    if (qfile_seek_content(qf, why) < 0) {
        qfile_close(qf);
        return NULL;
    }
    return qf;
}

void
deliver_result_conn(struct deliver_request *req)
{
    if (req->time_conn == 0)
        req->time_conn = log_delay_now();
}

/* The status word of the log line. */
static const char *
deliver_status_text(const struct deliver_request *req, int status)
{
    if (req->flags & (DEL_REQ_FLAG_VERIFY | DEL_REQ_FLAG_EXPAND))
        return status == DEL_RCPT_OK ? "deliverable" : "undeliverable";
    switch (status) {
    case DEL_RCPT_OK:
        return "sent";
    case DEL_RCPT_DEFER:
        return "deferred";
    default:
        return "bounced";
    }
}

/*
 * soft_bounce (postconf(5)): a bounce of a real delivery becomes a
 * deferral with a 4.Y.Z code, after the filter, so a filter cannot get
 * around it. Returns 1 when it changed the result.
 */
static int
deliver_soft_bounce(int req_flags, int *status, char *dsn_status, char **dsn_action)
{
    if (*status != DEL_RCPT_BOUNCE || (req_flags & (DEL_REQ_FLAG_VERIFY | DEL_REQ_FLAG_EXPAND)) ||
        !mail_conf_get_bool("soft_bounce"))
        return 0;
    *status = DEL_RCPT_DEFER;
    if (*dsn_status)
        dsn_status[0] = '4';
    deliver_filter_replace(dsn_action, "delayed");
    return 1;
}

/* Logs "QUEUEID: to=<...>, ..., status=STATUS (REASON)"; SOFT: the word is SOFTBOUNCE. */
static void
deliver_result_log(const struct deliver_request *req, int index, int soft)
{
    const struct deliver_rcpt *rcpt = req->rcpt + index;
    const struct deliver_result *res = req->result + index;
    struct vstring *line = vstring_alloc(256);
    int64_t now = log_delay_now();
    int64_t conn = req->time_conn ? req->time_conn : req->time_read;
    int limit = (int)mail_conf_get_int("delay_logging_resolution_limit");

    vstring_sprintf(line, "%s: to=<%s>", req->queue_id, rcpt->address);
    if (*rcpt->orig_rcpt && strcasecmp(rcpt->orig_rcpt, rcpt->address) != 0)
        vstring_sprintf_append(line, ", orig_to=<%s>", rcpt->orig_rcpt);
    vstring_sprintf_append(line, ", relay=%s, delay=", res->relay);
    log_delay_append(line, now - req->time_arrival, limit);
    vstring_strcat(line, ", delays=");
    log_delay_append(line, req->time_active - req->time_arrival, limit);
    vstring_strcat(line, "/");
    log_delay_append(line, req->time_read - req->time_active, limit);
    vstring_strcat(line, "/");
    log_delay_append(line, conn - req->time_read, limit);
    vstring_strcat(line, "/");
    log_delay_append(line, now - conn, limit);
    vstring_sprintf_append(line, ", dsn=%s, status=%s (%s)", res->dsn_status,
                           soft ? "SOFTBOUNCE" : deliver_status_text(req, res->status),
                           res->reason);
    msg_info("%s", vstring_str(line));
    vstring_free(line);
}

void
deliver_result(struct deliver_request *req, int index, int status, const char *dsn_status,
               const char *dsn_action, const char *relay, const char *format, ...)
{
    struct deliver_result *res;
    struct vstring *reason;
    va_list ap;
    int soft;

    if (index < 0 || index >= req->rcpt_count)
        msg_panic("deliver_result: recipient index %d out of range", index);
    res = req->result + index;
    if (res->done)
        msg_panic("deliver_result: second result for recipient %d", index);
    if (status != DEL_RCPT_OK && status != DEL_RCPT_DEFER && status != DEL_RCPT_BOUNCE)
        msg_panic("deliver_result: bad status %d", status);
    reason = vstring_alloc(100);
    va_start(ap, format);
    vstring_vsprintf_append(reason, format, ap);
    va_end(ap);
    res->done = 1;
    res->status = status;
    res->dsn_status = mystrdup(dsn_status);
    res->dsn_action = mystrdup(dsn_action);
    res->relay = mystrdup(relay);
    res->reason = mystrdup(vstring_str(reason));
    vstring_free(reason);
    deliver_filter_apply(req->flags, &res->status, &res->dsn_status, &res->dsn_action, &res->reason,
                         0);
    soft = deliver_soft_bounce(req->flags, &res->status, res->dsn_status, &res->dsn_action);
    deliver_result_log(req, index, soft);
}

void
deliver_result_expansion(struct deliver_request *req, int index,
                         const struct deliver_expansion *leaf)
{
    struct deliver_result *res;
    struct deliver_expansion *copy;

    if (index < 0 || index >= req->rcpt_count)
        msg_panic("deliver_result_expansion: recipient index %d out of range", index);
    res = req->result + index;
    if (res->exp_count >= DELIVER_EXPANSION_MAX)
        return; /* the report is cut short; the recipient's own result still counts */
    res->exp = myrealloc(res->exp, sizeof(*res->exp) * (size_t)(res->exp_count + 1));
    copy = res->exp + res->exp_count++;
    copy->status = leaf->status;
    copy->address = mystrdup(leaf->address);
    copy->orig_rcpt = mystrdup(leaf->orig_rcpt);
    copy->dsn_status = mystrdup(leaf->dsn_status);
    copy->dsn_action = mystrdup(leaf->dsn_action);
    copy->reason = mystrdup(leaf->reason);
    copy->relay = mystrdup(leaf->relay);
    deliver_filter_apply(req->flags, &copy->status, &copy->dsn_status, &copy->dsn_action,
                         &copy->reason, 1);
    (void)deliver_soft_bounce(req->flags, &copy->status, copy->dsn_status, &copy->dsn_action);
}

void
deliver_expansion_free(struct deliver_result *res)
{
    for (int i = 0; i < res->exp_count; i++) {
        myfree(res->exp[i].address);
        myfree(res->exp[i].orig_rcpt);
        myfree(res->exp[i].dsn_status);
        myfree(res->exp[i].dsn_action);
        myfree(res->exp[i].reason);
        myfree(res->exp[i].relay);
    }
    if (res->exp)
        myfree(res->exp);
    res->exp = NULL;
    res->exp_count = 0;
}

/* Sends recipient RES's result list and its expansion leaves; 0 or -1. */
static int
deliver_result_send(struct vstream *client, const struct deliver_result *res)
{
    const struct deliver_expansion *e;

    if (attr_print(client, ATTR_FLAG_MORE, ATTR_SEND_INT("status", res->status),
                   ATTR_SEND_STR("dsn_status", res->dsn_status),
                   ATTR_SEND_STR("dsn_action", res->dsn_action),
                   ATTR_SEND_STR("reason", res->reason), ATTR_SEND_STR("relay", res->relay),
                   ATTR_TYPE_END) < 0)
        return -1;
    if (res->exp_count == 0)
        return attr_print(client, ATTR_FLAG_NONE, ATTR_TYPE_END);
    if (attr_print(client, ATTR_FLAG_NONE, ATTR_SEND_INT("expansions", res->exp_count),
                   ATTR_TYPE_END) < 0)
        return -1;
    for (int i = 0; i < res->exp_count; i++) {
        e = res->exp + i;
        if (attr_print(client, ATTR_FLAG_NONE, ATTR_SEND_INT("status", e->status),
                       ATTR_SEND_STR("address", e->address),
                       ATTR_SEND_STR("orig_rcpt", e->orig_rcpt),
                       ATTR_SEND_STR("dsn_status", e->dsn_status),
                       ATTR_SEND_STR("dsn_action", e->dsn_action),
                       ATTR_SEND_STR("reason", e->reason), ATTR_SEND_STR("relay", e->relay),
                       ATTR_TYPE_END) < 0)
            return -1;
    }
    return 0;
}

int
deliver_request_done(struct deliver_request *req, int status, const char *reason)
{
    struct vstream *client = req->client;
    int ret = 0;

    for (int i = 0; i < req->rcpt_count; i++) {
        struct deliver_result *res = req->result + i;

        if (!res->done)
            deliver_result(req, i, DEL_RCPT_DEFER, "4.3.0", "delayed", "none",
                           "delivery incomplete");
        if (ret == 0 && deliver_result_send(client, res) < 0)
            ret = -1;
    }
    if (ret == 0 && attr_print(client, ATTR_FLAG_NONE, ATTR_SEND_INT("status", status),
                               ATTR_SEND_STR("reason", reason ? reason : ""), ATTR_TYPE_END) < 0)
        ret = -1;
    if (ret < 0)
        msg_warn("%s socket: %s", vstream_path(client), attr_error_reason());
    deliver_request_free(req);
    return ret;
}
