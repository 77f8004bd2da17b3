/*
 * forward - mail forwarding by resubmission (man 8 local, MAIL
 * FORWARDING): addresses that an alias sends to another transport or
 * through an owner- alias, and every address of a .forward or :include:
 * file, are collected while one queue recipient is expanded, then handed
 * to cleanup (cleanup_clnt.h) as ONE new message per (sender,
 * Delivered-To) pair: the same arrival time, sender, DSN envelope id and
 * RET; each new recipient with the original NOTIFY and DSN ORCPT and, as
 * orig_rcpt, the queue recipient's original address (below an owner-
 * alias a mailing list starts afresh: no ORCPT, and the new address
 * itself as orig_rcpt); the same content below "Received: by
 * $myhostname ($mail_name) id NEWID; DATE" and "Delivered-To: ADDR"
 * (prepend_delivered_header "forward"). As in Postfix, the log names the
 * queue recipient: one leaf "forwarded as QUEUEID" (2.0.0, relayed) per
 * new message, once cleanup has committed it; a failure defers it (4.3.0
 * "cannot forward: ..."), and the next attempt forwards again.
 */
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "config/mail_conf.h"
#include "local.h"
#include "mail/cleanup_clnt.h"
#include "mail/quote_addr.h"
#include "util/mymalloc.h"
#include "util/stringops.h"

void
local_forward_add(struct local_state *state, const char *address)
{
    struct local_state child = *state;

    if (state->lr->verify) {
        /* Postfix's verify log names the new address here */
        child.address = address;
        local_leaf(&child, DEL_RCPT_OK, "2.0.0", "deliverable", "forwards to %s", address);
        return;
    }
    argv_add(state->lr->fwd_addrs, address);
    argv_add(state->lr->fwd_senders, state->sender);
    argv_add(state->lr->fwd_delivered, state->delivered);
    argv_add(state->lr->fwd_orig, state->owner_alias ? "" : state->lr->orig_rcpt);
}

/*
 * The NOTIFY of a forwarded address: a mailing list's (owner- alias)
 * members start with the default; after an expansion that was reported
 * "expanded" (NOTIFY=SUCCESS) the members no longer ask for success.
 */
static int
local_forward_notify(const struct local_request *lr, int notify, int list)
{
    if (list)
        return 0;
    if (lr->expanded && (notify & REC_NOTIFY_SUCCESS))
        return notify == REC_NOTIFY_SUCCESS ? REC_NOTIFY_NEVER : notify & ~REC_NOTIFY_SUCCESS;
    return notify;
}

/* The RFC 5322 date of NOW in local time, as cleanup writes it. */
static const char *
local_forward_date(struct vstring *buf, time_t now)
{
    struct tm tm;
    char text[100];
    long off;

    localtime_r(&now, &tm);
    off = tm.tm_gmtoff / 60;
    strftime(text, sizeof(text), "%a, %e %b %Y %H:%M:%S ", &tm);
    vstring_sprintf(buf, "%s%c%02ld%02ld", text, off < 0 ? '-' : '+', (off < 0 ? -off : off) / 60,
                    (off < 0 ? -off : off) % 60);
    strftime(text, sizeof(text), " (%Z)", &tm);
    vstring_strcat(buf, text);
    return vstring_str(buf);
}

/* The headers above the old content: Received:, then Delivered-To:. */
static void
local_forward_headers(struct cleanup_clnt *cl, const char *delivered, struct vstring *buf)
{
    struct vstring *date = vstring_alloc(64);

    vstring_sprintf(buf, "Received: by %s (%s)", mail_conf_get("myhostname"),
                    mail_conf_get("mail_name"));
    cleanup_put_line(cl, vstring_str(buf), vstring_len(buf));
    vstring_sprintf(buf, "\tid %s; %s", cleanup_queue_id(cl), local_forward_date(date, time(0)));
    cleanup_put_line(cl, vstring_str(buf), vstring_len(buf));
    if (local_config.hdr_mask & LOCAL_HDR_FORWARD) {
        quote_822_local(date, delivered, QUOTE_FLAG_DEFAULT);
        lowercase(vstring_str(date));
        vstring_sprintf(buf, "Delivered-To: %s", vstring_str(date));
        cleanup_put_line(cl, vstring_str(buf), vstring_len(buf));
    }
    vstring_free(date);
}

/* Copies the content records to cleanup; 0 or -1 with why. */
static int
local_forward_content(struct local_request *lr, struct cleanup_clnt *cl, struct vstring *why)
{
    struct qfile_rec rec;
    int type;

    if (qfile_seek_content(lr->qf, why) < 0)
        return -1;
    while ((type = qfile_read(lr->qf, &rec, why)) > 0 && type != REC_TYPE_XTRA)
        if ((type == REC_TYPE_NORM || type == REC_TYPE_CONT) &&
            cleanup_put_record(cl, type, rec.data, rec.len) < 0)
            break;
    return type < 0 ? -1 : 0;
}

/* Sends one message for the addresses of group G; 0 with the id, or -1 with why. */
static int
local_forward_send(struct local_request *lr, const char *sender, const char *delivered,
                   struct vstring *id, struct vstring *why)
{
    const struct deliver_request *req = lr->req;
    const struct deliver_rcpt *orig = req->rcpt + lr->index;
    struct vstring *line = vstring_alloc(100);
    struct qfile_rcpt rcpt;
    struct cleanup_clnt *cl;
    struct timeval tv;
    int status;

    if ((cl = cleanup_open(local_config.cleanup_service_name,
                           CLEANUP_FLAG_BOUNCE | CLEANUP_FLAG_MAP_OK,
                           (int)mail_conf_get_time("ipc_timeout"), why)) == NULL) {
        vstring_free(line);
        return -1;
    }
    vstring_strcpy(id, cleanup_queue_id(cl));
    tv.tv_sec = (time_t)(req->time_arrival / 1000000);
    tv.tv_usec = (suseconds_t)(req->time_arrival % 1000000);
    cleanup_put_time(cl, &tv);
    cleanup_put_attr(cl, "rewrite_context", "local");
    cleanup_put_sender(cl, sender);
    if (*req->dsn_envid)
        cleanup_put_dsn_envid(cl, req->dsn_envid);
    if (req->dsn_ret)
        cleanup_put_dsn_ret(cl, req->dsn_ret);
    for (size_t i = 0; i < lr->fwd_addrs->argc; i++) {
        if (strcmp(lr->fwd_senders->argv[i], sender) != 0 ||
            strcmp(lr->fwd_delivered->argv[i], delivered) != 0)
            continue;
        rcpt.status = REC_RCPT_PENDING;
        rcpt.notify = local_forward_notify(lr, orig->notify, *lr->fwd_orig->argv[i] == 0);
        rcpt.address = lr->fwd_addrs->argv[i];
        /* below an owner- alias ("" here) the list starts afresh: no original recipient */
        rcpt.orig_rcpt = *lr->fwd_orig->argv[i] ? lr->fwd_orig->argv[i] : rcpt.address;
        rcpt.dsn_orcpt = *lr->fwd_orig->argv[i] ? orig->dsn_orcpt : "";
        cleanup_put_rcpt(cl, &rcpt);
    }
    cleanup_begin_content(cl);
    local_forward_headers(cl, delivered, line);
    if (local_forward_content(lr, cl, why) < 0) {
        cleanup_abort(cl);
        vstring_free(line);
        return -1;
    }
    status = cleanup_finish(cl, why);
    vstring_free(line);
    return status == CLEANUP_STAT_OK ? 0 : -1;
}

void
local_forward_flush(struct local_request *lr)
{
    struct vstring *id = vstring_alloc(32);
    struct vstring *why = vstring_alloc(100);
    struct local_state leaf;
    const char *sender, *delivered;
    int status;

    memset(&leaf, 0, sizeof(leaf));
    leaf.lr = lr;
    leaf.address = lr->req->rcpt[lr->index].address;
    for (size_t i = 0; i < lr->fwd_addrs->argc; i++) {
        if (lr->fwd_addrs->argv[i] == NULL || strcmp(lr->fwd_addrs->argv[i], "") == 0)
            continue;
        sender = lr->fwd_senders->argv[i];
        delivered = lr->fwd_delivered->argv[i];
        status = local_forward_send(lr, sender, delivered, id, why);
        for (size_t j = i; j < lr->fwd_addrs->argc; j++)
            if (strcmp(lr->fwd_senders->argv[j], sender) == 0 &&
                strcmp(lr->fwd_delivered->argv[j], delivered) == 0)
                lr->fwd_addrs->argv[j][0] = 0; /* sent with this message */
        if (status == 0)
            local_leaf(&leaf, DEL_RCPT_OK, "2.0.0", "relayed", "forwarded as %s", vstring_str(id));
        else
            local_leaf(&leaf, DEL_RCPT_DEFER, "4.3.0", "delayed", "cannot forward: %s",
                       vstring_str(why));
    }
    vstring_free(id);
    vstring_free(why);
}
