/*
 * resolve_clnt - "resolve" and "verify" requests to trivial-rewrite, with
 * a one-entry cache; see resolve_clnt.h. The connection is the one of
 * rewrite_clnt.c.
 */
#include <string.h>
#include <time.h>

#include "config/mail_conf.h"
#include "mail/attr.h"
#include "mail/resolve_clnt.h"
#include "mail/rewrite_clnt.h"
#include "util/msg.h"
#include "util/vstring.h"

struct resolve_request {
    const char *request; /* REWRITE_REQ_RESOLVE or REWRITE_REQ_VERIFY */
    const char *sender;
    const char *addr;
    struct resolve_reply *reply;
};

/* The one-entry cache. */
static struct vstring *cache_request;
static struct vstring *cache_sender;
static struct vstring *cache_addr;
static struct resolve_reply *cache_reply;
static time_t cache_expire;

static int
resolve_clnt_send(struct vstream *fp, void *context)
{
    struct resolve_request *req = context;

    return attr_print(fp, ATTR_FLAG_NONE, ATTR_SEND_STR(REWRITE_ATTR_REQUEST, req->request),
                      ATTR_SEND_STR(REWRITE_ATTR_SENDER, req->sender),
                      ATTR_SEND_STR(REWRITE_ATTR_ADDRESS, req->addr), ATTR_TYPE_END);
}

static int
resolve_clnt_recv(struct vstream *fp, void *context)
{
    struct resolve_reply *reply = ((struct resolve_request *)context)->reply;

    return attr_scan(fp, ATTR_FLAG_EXTRA, ATTR_RECV_INT(REWRITE_ATTR_FLAGS, &reply->flags),
                     ATTR_RECV_STR(REWRITE_ATTR_TRANSPORT, reply->transport),
                     ATTR_RECV_STR(REWRITE_ATTR_NEXTHOP, reply->nexthop),
                     ATTR_RECV_STR(REWRITE_ATTR_RECIPIENT, reply->recipient), ATTR_TYPE_END) == 4
               ? 0
               : -1;
}

static void
resolve_reply_copy(struct resolve_reply *dst, const struct resolve_reply *src)
{
    dst->flags = src->flags;
    vstring_strcpy(dst->transport, vstring_str(src->transport));
    vstring_strcpy(dst->nexthop, vstring_str(src->nexthop));
    vstring_strcpy(dst->recipient, vstring_str(src->recipient));
}

static int
resolve_clnt_cached(const char *request, const char *sender, const char *addr)
{
    return time(NULL) < cache_expire && strcmp(vstring_str(cache_request), request) == 0 &&
           strcmp(vstring_str(cache_sender), sender) == 0 &&
           strcmp(vstring_str(cache_addr), addr) == 0;
}

static int
resolve_clnt(const char *request, const char *sender, const char *addr, struct resolve_reply *reply)
{
    struct resolve_request req = {request, sender, addr, NULL};

    if (cache_reply == NULL) {
        cache_request = vstring_alloc(10);
        cache_sender = vstring_alloc(100);
        cache_addr = vstring_alloc(100);
        cache_reply = resolve_reply_alloc();
    }
    if (!resolve_clnt_cached(request, sender, addr)) {
        cache_expire = 0;
        req.reply = cache_reply;
        if (rewrite_clnt_call(resolve_clnt_send, resolve_clnt_recv, &req) < 0)
            return -1;
        if (msg_verbose)
            msg_info("resolve_clnt: %s: `%s' -> `%s' -> transp=`%s' host=`%s' rcpt=`%s' flags=0x%x",
                     request, sender, addr, vstring_str(cache_reply->transport),
                     vstring_str(cache_reply->nexthop), vstring_str(cache_reply->recipient),
                     (unsigned)cache_reply->flags);
        if (!(cache_reply->flags & RESOLVE_FLAG_FAIL)) {
            vstring_strcpy(cache_request, request);
            vstring_strcpy(cache_sender, sender);
            vstring_strcpy(cache_addr, addr);
            cache_expire = time(NULL) + mail_conf_get_time("ipc_idle");
        }
    }
    resolve_reply_copy(reply, cache_reply);
    return 0;
}

int
resolve_clnt_query(const char *sender, const char *addr, struct resolve_reply *reply)
{
    return resolve_clnt(REWRITE_REQ_RESOLVE, sender, addr, reply);
}

int
resolve_clnt_verify(const char *sender, const char *addr, struct resolve_reply *reply)
{
    return resolve_clnt(REWRITE_REQ_VERIFY, sender, addr, reply);
}
