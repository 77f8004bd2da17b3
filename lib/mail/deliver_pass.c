/*
 * deliver_pass - qmgr's side of deliver_v1 for one request
 * (deliver_pass.h): send the request and its recipients, read one result
 * per recipient and the final status.
 */
#include <string.h>

#include "mail/attr.h"
#include "mail/deliver_pass.h"
#include "mail/mail_connect.h"
#include "util/msg.h"
#include "util/mymalloc.h"

struct vstream *
deliver_pass_connect(const char *transport, int timeout, struct vstring *why)
{
    struct vstream *fp;

    if ((fp = mail_connect(NULL, MAIL_CLASS_PRIVATE, transport, timeout, why)) == NULL)
        return NULL;
    if (attr_expect_protocol(fp, DELIVER_PROTOCOL) < 0) {
        vstring_sprintf(why, "%s service: %s", vstream_path(fp), attr_error_reason());
        vstream_close(fp);
        return NULL;
    }
    return fp;
}

int
deliver_pass_send(struct vstream *fp, const struct deliver_request *req, const char *nexthop,
                  int count, const struct deliver_rcpt *rcpts)
{
    if (attr_print(
            fp, ATTR_FLAG_NONE, ATTR_SEND_INT("flags", req->flags),
            ATTR_SEND_STR("queue_name", req->queue_name), ATTR_SEND_STR("queue_id", req->queue_id),
            ATTR_SEND_LONG("data_offset", (long)req->data_offset),
            ATTR_SEND_LONG("data_size", (long)req->data_size), ATTR_SEND_STR("nexthop", nexthop),
            ATTR_SEND_STR("sender", req->sender), ATTR_SEND_STR("dsn_envid", req->dsn_envid),
            ATTR_SEND_INT("dsn_ret", req->dsn_ret),
            ATTR_SEND_LONG("time_arrival", (long)req->time_arrival),
            ATTR_SEND_LONG("time_active", (long)req->time_active),
            ATTR_SEND_TABLE("attrs", req->attrs), ATTR_SEND_INT("rcpt_count", count),
            ATTR_TYPE_END) < 0)
        return -1;
    for (int i = 0; i < count; i++) {
        if (attr_print(fp, ATTR_FLAG_NONE, ATTR_SEND_LONG("offset", (long)rcpts[i].offset),
                       ATTR_SEND_STR("address", rcpts[i].address),
                       ATTR_SEND_STR("orig_rcpt", rcpts[i].orig_rcpt),
                       ATTR_SEND_STR("dsn_orcpt", rcpts[i].dsn_orcpt),
                       ATTR_SEND_INT("notify", rcpts[i].notify), ATTR_TYPE_END) < 0)
            return -1;
    }
    return vstream_flush(fp);
}

/* Reads the N expansion leaves that follow a result list; 0 or -1. */
static int
deliver_pass_recv_expansions(struct vstream *fp, struct deliver_result *res, int n)
{
    struct vstring *v[6];
    struct deliver_expansion *e;
    int ret = 0;

    for (int k = 0; k < 6; k++)
        v[k] = vstring_alloc(32);
    res->exp = mymalloc(sizeof(*res->exp) * (size_t)n);
    for (res->exp_count = 0; res->exp_count < n; res->exp_count++) {
        e = res->exp + res->exp_count;
        if (attr_scan(fp, ATTR_FLAG_EXTRA, ATTR_RECV_INT("status", &e->status),
                      ATTR_RECV_STR("address", v[0]), ATTR_RECV_STR("orig_rcpt", v[1]),
                      ATTR_RECV_STR("dsn_status", v[2]), ATTR_RECV_STR("dsn_action", v[3]),
                      ATTR_RECV_STR("reason", v[4]), ATTR_RECV_STR("relay", v[5]),
                      ATTR_TYPE_END) != 7 ||
            e->status < DEL_RCPT_OK || e->status > DEL_RCPT_BOUNCE) {
            ret = -1;
            break;
        }
        e->address = mystrdup(vstring_str(v[0]));
        e->orig_rcpt = mystrdup(vstring_str(v[1]));
        e->dsn_status = mystrdup(vstring_str(v[2]));
        e->dsn_action = mystrdup(vstring_str(v[3]));
        e->reason = mystrdup(vstring_str(v[4]));
        e->relay = mystrdup(vstring_str(v[5]));
    }
    for (int k = 0; k < 6; k++)
        vstring_free(v[k]);
    return ret;
}

/*
 * Reads one result list (the optional "expansions" count included) into
 * RES and then its expansion leaves; 0 or -1.
 */
int
deliver_pass_recv_result(struct vstream *fp, struct deliver_result *res)
{
    struct vstring *dsn = vstring_alloc(10);
    struct vstring *action = vstring_alloc(10);
    struct vstring *text = vstring_alloc(100);
    struct vstring *relay = vstring_alloc(10);
    int expansions = -1;
    int n, ret = 0;

    memset(res, 0, sizeof(*res));
    res->status = -1;
    n = attr_scan(fp, ATTR_FLAG_EXTRA | ATTR_FLAG_OPTIONAL, ATTR_RECV_INT("status", &res->status),
                  ATTR_RECV_STR("dsn_status", dsn), ATTR_RECV_STR("dsn_action", action),
                  ATTR_RECV_STR("reason", text), ATTR_RECV_STR("relay", relay),
                  ATTR_RECV_INT("expansions", &expansions), ATTR_TYPE_END);
    if (n != (expansions < 0 ? 5 : 6) || expansions > DELIVER_EXPANSION_MAX ||
        res->status < DEL_RCPT_OK || res->status > DEL_RCPT_BOUNCE) {
        ret = -1;
    } else {
        res->done = 1;
        res->dsn_status = mystrdup(vstring_str(dsn));
        res->dsn_action = mystrdup(vstring_str(action));
        res->reason = mystrdup(vstring_str(text));
        res->relay = mystrdup(vstring_str(relay));
        if (expansions > 0)
            ret = deliver_pass_recv_expansions(fp, res, expansions);
    }
    vstring_free(dsn);
    vstring_free(action);
    vstring_free(text);
    vstring_free(relay);
    return ret;
}

int
deliver_pass_recv(struct vstream *fp, int count, struct deliver_result *results, int *status,
                  struct vstring *reason)
{
    int ret = 0;

    memset(results, 0, sizeof(*results) * (size_t)count);
    for (int i = 0; i < count && ret == 0; i++)
        ret = deliver_pass_recv_result(fp, results + i);
    if (ret == 0 && attr_scan(fp, ATTR_FLAG_EXTRA, ATTR_RECV_INT("status", status),
                              ATTR_RECV_STR("reason", reason), ATTR_TYPE_END) != 2)
        ret = -1;
    return ret;
}

void
deliver_pass_free_result(struct deliver_result *result)
{
    deliver_expansion_free(result);
    if (!result->done)
        return;
    myfree(result->dsn_status);
    myfree(result->dsn_action);
    myfree(result->reason);
    myfree(result->relay);
    result->done = 0;
}
