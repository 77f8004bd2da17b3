/*
 * bounce_notice - turn one bounce_v1 request into the notices it calls
 * for, and submit them through cleanup (lib/mail/cleanup_clnt.h).
 *
 *   status = bounce_notice_send(request, &msg, id_out)
 *
 * request "bounce" reads bounce/ID, "delay" defer/ID, "trace" trace/ID
 * (lib/mail/dsn_log.h); the queue file (msg->queue_name/ID, read only)
 * gives the arrival time and the original for the attachment. Who gets
 * what (Postfix's rules):
 *
 *   bounce, normal sender: a non-delivery notice to the sender for the
 *       recipients whose NOTIFY has FAILURE (or no NOTIFY); with
 *       "bounce" in notify_classes also a copy with the headers only to
 *       bounce_notice_recipient.
 *   bounce, null sender (a notice that could not be delivered): a double
 *       bounce to 2bounce_notice_recipient when notify_classes has
 *       "2bounce" (or "bounce"), else nothing; mail from
 *       double_bounce_sender is always discarded with Postfix's log line
 *       "undeliverable postmaster notification discarded" (loop stop).
 *   delay: a warning to the sender for NOTIFY DELAY (or no NOTIFY); with
 *       "delay" in notify_classes a copy with headers to
 *       delay_notice_recipient.
 *   trace: the recipients with NOTIFY SUCCESS get a "Successful Mail
 *       Delivery Report"; a log without any (sendmail -v, -bv) gives a
 *       "Mail Delivery Status Report" of every entry.
 *
 * Notices to the sender come from the null sender; postmaster copies and
 * double bounces from double_bounce_sender, so that they are not
 * returned again. Each notice goes to cleanup with CLEANUP_FLAG_NONE (no
 * address mapping) and rewrite_context=local, and is logged as Postfix
 * does: "QUEUEID: sender non-delivery notification: NEWID" (also
 * "postmaster non-delivery notification", "sender delay notification",
 * "postmaster delay notification", "sender delivery status
 * notification").
 *
 * A message that cleanup queued only to return it (content refused by
 * header/body checks or message_size_limit: the bounce_reason attribute)
 * comes back as its headers, as Postfix's does; one refused for
 * hopcount_limit (bounce_ret=sender as well) as the sender's RET says.
 *
 * Result: 0 when every needed notice to the sender (or the double
 * bounce) was committed, or none was needed; -1 when it could not be
 * sent (cleanup down or refusing, the log unreadable): qmgr keeps the
 * log and asks again. A postmaster copy that fails is only a warning
 * ("postmaster notice failed while bouncing to SENDER"). A
 * missing log means nothing to report (a warning, status 0). An
 * unreadable or corrupt queue file does not stop the notice: it goes out
 * without the original attached.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "bounce.h"
#include "config/mail_conf.h"
#include "mail/cleanup_clnt.h"
#include "mail/dsn_log.h"
#include "mail/mail_queue.h"
#include "mail/qfile.h"
#include "mail/rec_type.h"
#include "util/argv.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/vstring.h"

struct bounce_log {
    struct bounce_rcpt *rcpts;
    size_t count;
    size_t size;
};

/* Reads every entry of the log; -1 on error (ENOENT: no log). */
static int
bounce_log_load(const char *queue, const char *id, struct bounce_log *log)
{
    struct dsn_log_entry e;
    struct dsn_log *fp;
    struct bounce_rcpt *r;
    int status;

    memset(log, 0, sizeof(*log));
    if ((fp = dsn_log_open(queue, id)) == NULL)
        return -1;
    while ((status = dsn_log_read(fp, &e)) > 0) {
        if (log->count == log->size) {
            log->size = log->size ? 2 * log->size : 8;
            log->rcpts = myrealloc(log->rcpts, log->size * sizeof(*log->rcpts));
        }
        r = log->rcpts + log->count++;
        r->address = mystrdup(e.recipient);
        r->orig_rcpt = mystrdup(e.orig_rcpt);
        r->dsn_orcpt = mystrdup(e.dsn_orcpt);
        r->status = mystrdup(e.status);
        r->action = mystrdup(e.action);
        r->reason = mystrdup(e.reason);
        r->relay = mystrdup(e.relay);
        r->notify = e.notify;
        r->time = e.time;
    }
    dsn_log_close(fp);
    if (status < 0)
        errno = EIO;
    return status < 0 ? -1 : 0;
}

static void
bounce_log_free(struct bounce_log *log)
{
    for (size_t i = 0; i < log->count; i++) {
        struct bounce_rcpt *r = log->rcpts + i;
        myfree(r->address);
        myfree(r->orig_rcpt);
        myfree(r->dsn_orcpt);
        myfree(r->status);
        myfree(r->action);
        myfree(r->reason);
        myfree(r->relay);
    }
    myfree(log->rcpts);
}

/* The entries whose NOTIFY asks for MASK (0: not given means FAILURE and DELAY). */
static void
bounce_log_select(const struct bounce_log *all, int mask, struct bounce_log *out)
{
    out->rcpts = mymalloc((all->count ? all->count : 1) * sizeof(*out->rcpts));
    out->count = 0;
    out->size = all->count;
    for (size_t i = 0; i < all->count; i++) {
        int notify = all->rcpts[i].notify;
        if (notify == 0)
            notify = REC_NOTIFY_FAILURE | REC_NOTIFY_DELAY;
        if ((notify & REC_NOTIFY_NEVER) == 0 && (notify & mask) != 0)
            out->rcpts[out->count++] = all->rcpts[i];
    }
}

/* Is CLASS in notify_classes? */
static int
bounce_class(const char *class)
{
    struct argv *list = argv_split(mail_conf_get("notify_classes"), ", \t\r\n");
    int found = 0;

    for (size_t i = 0; i < list->argc && !found; i++)
        found = strcasecmp(list->argv[i], class) == 0;
    argv_free(list);
    return found;
}

/* cleanup_put_line as a bounce_put_fn. */
static int
bounce_put_cleanup(void *context, const char *line, size_t len)
{
    return cleanup_put_line((struct cleanup_clnt *)context, line, len);
}

/* Submits one notice from ENV_SENDER; 0 with its id in id_out, or -1. */
static int
bounce_submit(struct bounce_notice *n, const char *env_sender, struct vstring *id_out)
{
    struct qfile_rcpt rcpt = {REC_RCPT_PENDING, 0, n->to, "", ""};
    struct vstring *why = vstring_alloc(100);
    struct cleanup_clnt *cl;
    struct timeval tv;
    int status;

    cl = cleanup_open(mail_conf_get("cleanup_service_name"), CLEANUP_FLAG_NONE,
                      (int)mail_conf_get_time("ipc_timeout"), why);
    if (cl == NULL) {
        msg_warn("%s: cannot send notice to <%s>: %s", n->queue_id, n->to, vstring_str(why));
        vstring_free(why);
        return -1;
    }
    vstring_strcpy(id_out, cleanup_queue_id(cl));
    n->notice_id = vstring_str(id_out);
    gettimeofday(&tv, NULL);
    if (cleanup_put_time(cl, &tv) < 0 || cleanup_put_attr(cl, "rewrite_context", "local") < 0 ||
        cleanup_put_sender(cl, env_sender) < 0 || cleanup_put_rcpt(cl, &rcpt) < 0 ||
        cleanup_begin_content(cl) < 0 || bounce_compose(n, bounce_put_cleanup, cl) < 0) {
        /* cleanup_finish reports the sticky write error. */
    }
    status = cleanup_finish(cl, why);
    n->notice_id = NULL;
    if (status != CLEANUP_STAT_OK)
        msg_warn("%s: cannot send notice to <%s>: %s", n->queue_id, n->to,
                 vstring_len(why) ? vstring_str(why) : "cleanup refused it");
    vstring_free(why);
    return status == CLEANUP_STAT_OK ? 0 : -1;
}

/* Sends one notice and logs it as WHO WHAT ("sender", "non-delivery"). */
static int
bounce_send_one(struct bounce_notice *n, const struct bounce_log *rcpts, const char *to,
                const char *env_sender, const char *label, struct vstring *id_out)
{
    n->rcpts = rcpts->rcpts;
    n->rcpt_count = rcpts->count;
    n->to = to;
    if (bounce_submit(n, env_sender, id_out) < 0) {
        vstring_reset(id_out);
        return -1;
    }
    msg_info("%s: %s notification: %s", n->queue_id, label, vstring_str(id_out));
    return 0;
}

/* Opens the original; fills in the arrival time. NULL when not readable. */
/*
 * True when cleanup refused the content and the message is queued only
 * to be returned as its headers: a bounce_reason attribute in the
 * extracted section, without bounce_ret=sender (which cleanup writes
 * for a refusal that leaves the content fine, hopcount_limit: then the
 * sender's RET applies). Leaves QF at the start of the content.
 */
static int
bounce_content_refused(struct qfile *qf)
{
    struct vstring *why = vstring_alloc(100);
    struct qfile_rec rec;
    int type, refused = 0, sender_ret = 0;

    if (qfile_seek(qf, qfile_info(qf)->extracted_offset, why) == 0) {
        while ((type = qfile_read(qf, &rec, why)) > 0 && type != REC_TYPE_END) {
            if (type != REC_TYPE_ATTR)
                continue;
            if (strcmp(rec.name, "bounce_reason") == 0)
                refused = 1;
            else if (strcmp(rec.name, "bounce_ret") == 0 && strcmp(rec.value, "sender") == 0)
                sender_ret = 1;
        }
    }
    if (qfile_seek_content(qf, why) < 0)
        msg_warn("%s: %s", qfile_id(qf), vstring_str(why));
    vstring_free(why);
    return refused && !sender_ret;
}

static struct qfile *
bounce_open_original(const struct bounce_msg *msg, time_t *arrival)
{
    struct vstring *why = vstring_alloc(100);
    struct qfile_rec rec;
    struct qfile *qf = NULL;
    int type;

    *arrival = 0;
    if (!mail_queue_name_ok(msg->queue_name)) {
        msg_warn("%s: bad queue name %s", msg->queue_id, msg->queue_name);
    } else if (qfile_open(msg->queue_name, msg->queue_id, QFILE_OPEN_READ, &qf, why) != QFILE_OK) {
        msg_warn("%s: original not attached: %s", msg->queue_id, vstring_str(why));
        qf = NULL;
    } else {
        while ((type = qfile_read(qf, &rec, why)) > 0 && type != REC_TYPE_MESG)
            if (type == REC_TYPE_TIME)
                *arrival = rec.time.tv_sec;
    }
    vstring_free(why);
    return qf;
}

/*
 * True when SENDER is double_bounce_sender: as configured, or as cleanup
 * qualified it (double-bounce@$myhostname or @$myorigin). A notice that
 * comes back must be recognized in its qualified form, else a bounced
 * postmaster notice makes another one, forever.
 */
static int
bounce_is_double_bounce(const char *sender)
{
    const char *dbl = mail_conf_get("double_bounce_sender");
    const char *domains[2] = {mail_conf_get("myhostname"), mail_conf_get("myorigin")};
    size_t len = strlen(dbl);
    int i;

    if (strcasecmp(sender, dbl) == 0)
        return 1;
    if (len == 0 || strchr(dbl, '@') || strncasecmp(sender, dbl, len) != 0 || sender[len] != '@')
        return 0;
    for (i = 0; i < 2; i++)
        if (domains[i] && strcasecmp(sender + len + 1, domains[i]) == 0)
            return 1;
    return 0;
}

/* The non-delivery notices. */
static int
bounce_failure(struct bounce_notice *n, const struct bounce_log *all, struct vstring *id_out)
{
    const char *dbl = mail_conf_get("double_bounce_sender");
    struct vstring *copy_id = vstring_alloc(32);
    struct bounce_log wanted;
    int ret = 0;

    if (bounce_is_double_bounce(n->sender)) { /* never a triple bounce */
        msg_warn("%s: undeliverable postmaster notification discarded", n->queue_id);
        vstring_free(copy_id);
        return 0;
    }
    if (*n->sender == 0) { /* a notice bounced: the postmaster, if wanted */
        if (bounce_class("2bounce") || bounce_class("bounce")) {
            n->postmaster = 1;
            ret = bounce_send_one(n, all, mail_conf_get("2bounce_notice_recipient"), dbl,
                                  "postmaster non-delivery", id_out);
        }
        vstring_free(copy_id);
        return ret;
    }
    bounce_log_select(all, REC_NOTIFY_FAILURE, &wanted);
    if (wanted.count > 0)
        ret = bounce_send_one(n, &wanted, n->sender, "", "sender non-delivery", id_out);
    if (ret == 0 && bounce_class("bounce")) {
        n->postmaster = 1;
        n->headers_only = 1;
        if (bounce_send_one(n, all, mail_conf_get("bounce_notice_recipient"), dbl,
                            "postmaster non-delivery", copy_id) < 0)
            msg_warn("%s: postmaster notice failed while bouncing to %s", n->queue_id, n->sender);
    }
    myfree(wanted.rcpts);
    vstring_free(copy_id);
    return ret;
}

/* The delay warnings. */
static int
bounce_delay(struct bounce_notice *n, const struct bounce_log *all, struct vstring *id_out)
{
    const char *dbl = mail_conf_get("double_bounce_sender");
    struct vstring *copy_id = vstring_alloc(32);
    struct bounce_log wanted;
    int ret = 0;

    bounce_log_select(all, REC_NOTIFY_DELAY, &wanted);
    n->headers_only = 1;
    if (*n->sender && !bounce_is_double_bounce(n->sender) && wanted.count > 0)
        ret = bounce_send_one(n, &wanted, n->sender, "", "sender delay", id_out);
    if (ret == 0 && bounce_class("delay")) {
        n->postmaster = 1;
        if (bounce_send_one(n, all, mail_conf_get("delay_notice_recipient"), dbl,
                            "postmaster delay", copy_id) < 0)
            msg_warn("%s: postmaster notice failed while warning %s", n->queue_id, n->sender);
    }
    myfree(wanted.rcpts);
    vstring_free(copy_id);
    return ret;
}

/* The success or status reports. */
static int
bounce_trace(struct bounce_notice *n, const struct bounce_log *all, struct vstring *id_out)
{
    const struct bounce_log *rcpts = all;
    struct bounce_log wanted;
    int ret = 0;

    bounce_log_select(all, REC_NOTIFY_SUCCESS, &wanted);
    n->kind = wanted.count > 0 ? BOUNCE_KIND_SUCCESS : BOUNCE_KIND_STATUS;
    if (wanted.count > 0)
        rcpts = &wanted;
    if (*n->sender == 0)
        msg_info("%s: not sending trace/success notification for single-bounce message",
                 n->queue_id);
    else if (bounce_is_double_bounce(n->sender))
        msg_info("%s: not sending trace/success notification for double-bounce message",
                 n->queue_id);
    else if (rcpts->count > 0)
        ret = bounce_send_one(n, rcpts, n->sender, "", "sender delivery status", id_out);
    myfree(wanted.rcpts);
    return ret;
}

int
bounce_notice_send(const char *request, const struct bounce_msg *msg, struct vstring *id_out)
{
    const char *log_queue = strcmp(request, BOUNCE_REQ_BOUNCE) == 0  ? MAIL_QUEUE_BOUNCE
                            : strcmp(request, BOUNCE_REQ_DELAY) == 0 ? MAIL_QUEUE_DEFER
                                                                     : MAIL_QUEUE_TRACE;
    struct bounce_notice n;
    struct bounce_log all;
    int ret;

    vstring_reset(id_out);
    if (bounce_log_load(log_queue, msg->queue_id, &all) < 0) {
        if (errno != ENOENT) {
            msg_warn("%s: cannot read %s log: %m", msg->queue_id, log_queue);
            return -1;
        }
        if (strcmp(log_queue, MAIL_QUEUE_TRACE) == 0)
            msg_info("%s: no trace file -- not sending a notification", msg->queue_id);
        else
            msg_warn("%s: no %s log: nothing to report", msg->queue_id, log_queue);
        return 0;
    }
    memset(&n, 0, sizeof(n));
    n.queue_id = msg->queue_id;
    n.sender = msg->sender;
    n.dsn_envid = msg->dsn_envid;
    n.myhostname = mail_conf_get("myhostname");
    n.mail_name = mail_conf_get("mail_name");
    n.now = time(NULL);
    n.size_limit = mail_conf_get_int("bounce_size_limit");
    n.queue_lifetime = mail_conf_get_time("maximal_queue_lifetime");
    n.headers_only = msg->dsn_ret == REC_RET_HDRS;
    n.qf = bounce_open_original(msg, &n.arrival);
    if (strcmp(log_queue, MAIL_QUEUE_BOUNCE) == 0) {
        n.kind = BOUNCE_KIND_FAILURE;
        /* Content cleanup refused comes back as headers, as Postfix's does. */
        if (n.qf && bounce_content_refused(n.qf))
            n.headers_only = 1;
        ret = bounce_failure(&n, &all, id_out);
    } else if (strcmp(log_queue, MAIL_QUEUE_DEFER) == 0) {
        n.kind = BOUNCE_KIND_DELAY;
        ret = bounce_delay(&n, &all, id_out);
    } else {
        n.headers_only = msg->dsn_ret != REC_RET_FULL;
        ret = bounce_trace(&n, &all, id_out);
    }
    if (n.qf)
        qfile_close(n.qf);
    bounce_log_free(&all);
    return ret;
}
