/*
 * rewrite_clnt - client of trivial-rewrite: the shared connection with
 * its retry rules (rewrite_clnt_call) and the "rewrite" request with its
 * one-entry cache. See rewrite_clnt.h.
 *
 * Invariant: clnt_fp is NULL or an open connection to the service;
 * clnt_announced says whether its protocol announcement has been read.
 * The caller must ignore SIGPIPE (every daemon does): a write to a
 * connection that the server closed must fail, not kill the process.
 */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "mail/attr.h"
#include "mail/mail_connect.h"
#include "mail/rewrite_clnt.h"
#include "util/events.h"
#include "util/msg.h"
#include "util/vstream.h"

static struct vstream *clnt_fp;
static int clnt_announced;
static time_t clnt_opened;
static time_t clnt_used;
static int clnt_tries;

/* The one-entry cache of rewrite_clnt. */
static struct vstring *cache_rule;
static struct vstring *cache_addr;
static struct vstring *cache_result;
static time_t cache_expire;

static void rewrite_clnt_idle_event(int event, void *context);

void
rewrite_clnt_set_tries(int tries)
{
    clnt_tries = tries;
}

void
rewrite_clnt_disconnect(void)
{
    if (clnt_fp == NULL)
        return;
    (void)event_cancel_timer(rewrite_clnt_idle_event, NULL);
    vstream_close(clnt_fp);
    clnt_fp = NULL;
}

static void
rewrite_clnt_idle_event(int event, void *context)
{
    (void)event;
    (void)context;
    if (msg_verbose)
        msg_info("rewrite_clnt: closing idle connection");
    rewrite_clnt_disconnect();
}

/* The open connection, or a new one; NULL with a reason in WHY. */
static struct vstream *
rewrite_clnt_open(struct vstring *why, int *reused)
{
    time_t now = time(NULL);

    if (clnt_fp != NULL && (now - clnt_opened >= mail_conf_get_time("ipc_ttl") ||
                            now - clnt_used >= mail_conf_get_time("ipc_idle")))
        rewrite_clnt_disconnect();
    *reused = clnt_fp != NULL;
    if (clnt_fp != NULL)
        return clnt_fp;
    clnt_fp = mail_connect(NULL, MAIL_CLASS_PRIVATE, mail_conf_get("rewrite_service_name"),
                           (int)mail_conf_get_time("ipc_timeout"), why);
    clnt_opened = clnt_used = now;
    clnt_announced = 0;
    return clnt_fp;
}

/* One exchange on FP: request, announcement (first time), reply. */
static int
rewrite_clnt_exchange(struct vstream *fp, int (*send)(struct vstream *, void *),
                      int (*recv)(struct vstream *, void *), void *context)
{
    if (send(fp, context) < 0)
        return -1;
    if (!clnt_announced) {
        if (attr_expect_protocol(fp, REWRITE_PROTOCOL) < 0)
            return -1;
        clnt_announced = 1;
    }
    return recv(fp, context);
}

int
rewrite_clnt_call(int (*send)(struct vstream *fp, void *context),
                  int (*recv)(struct vstream *fp, void *context), void *context)
{
    struct vstring *why = vstring_alloc(100);
    struct vstream *fp;
    const char *service = mail_conf_get("rewrite_service_name");
    int reused;
    int attempt;

    for (attempt = 1; /* void */; attempt++) {
        if ((fp = rewrite_clnt_open(why, &reused)) != NULL) {
            if (rewrite_clnt_exchange(fp, send, recv, context) == 0) {
                clnt_used = time(NULL);
                event_request_timer(rewrite_clnt_idle_event, NULL,
                                    (int)mail_conf_get_time("ipc_idle"));
                vstring_free(why);
                return 0;
            }
            vstring_strcpy(why, attr_error_reason());
            rewrite_clnt_disconnect();
            if (reused) { /* the server went away meanwhile: try a new one at once */
                attempt--;
                continue;
            }
        }
        msg_warn("problem talking to service %s/%s: %s", MAIL_CLASS_PRIVATE, service,
                 vstring_str(why));
        if (clnt_tries > 0 && attempt >= clnt_tries)
            break;
        sleep(1);
    }
    vstring_free(why);
    return -1;
}

/* The request and reply of rewrite_clnt. */
struct rewrite_request {
    const char *rule;
    const char *addr;
    struct vstring *result;
};

static int
rewrite_clnt_send(struct vstream *fp, void *context)
{
    struct rewrite_request *req = context;

    return attr_print(fp, ATTR_FLAG_NONE, ATTR_SEND_STR(REWRITE_ATTR_REQUEST, REWRITE_REQ_REWRITE),
                      ATTR_SEND_STR(REWRITE_ATTR_RULE, req->rule),
                      ATTR_SEND_STR(REWRITE_ATTR_ADDRESS, req->addr), ATTR_TYPE_END);
}

static int
rewrite_clnt_recv(struct vstream *fp, void *context)
{
    struct rewrite_request *req = context;
    int flags;

    return attr_scan(fp, ATTR_FLAG_EXTRA, ATTR_RECV_INT(REWRITE_ATTR_FLAGS, &flags),
                     ATTR_RECV_STR(REWRITE_ATTR_ADDRESS, req->result), ATTR_TYPE_END) == 2
               ? 0
               : -1;
}

int
rewrite_clnt(const char *rule, const char *addr, struct vstring *result)
{
    struct rewrite_request req = {rule, addr, NULL};

    if (cache_rule == NULL) {
        cache_rule = vstring_alloc(10);
        cache_addr = vstring_alloc(100);
        cache_result = vstring_alloc(100);
    }
    if (time(NULL) < cache_expire && strcmp(vstring_str(cache_rule), rule) == 0 &&
        strcmp(vstring_str(cache_addr), addr) == 0) {
        vstring_strcpy(result, vstring_str(cache_result));
        return 0;
    }
    cache_expire = 0;
    req.result = cache_result;
    if (rewrite_clnt_call(rewrite_clnt_send, rewrite_clnt_recv, &req) < 0)
        return -1;
    vstring_strcpy(cache_rule, rule);
    vstring_strcpy(cache_addr, addr);
    cache_expire = time(NULL) + mail_conf_get_time("ipc_idle");
    if (msg_verbose)
        msg_info("rewrite_clnt: %s: %s -> %s", rule, addr, vstring_str(cache_result));
    vstring_strcpy(result, vstring_str(cache_result));
    return 0;
}
