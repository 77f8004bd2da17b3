/*
 * qmgr_message - one message in the active queue: taking it in (lock,
 * move, validate, read the envelope), reading its pending recipients in
 * slices, resolving and assigning them to destination queues, and
 * recording each recipient's result (done-marker, bounce/defer/trace
 * logs).
 *
 *   msg = qmgr_message_activate(from_queue, path, id)
 *       takes PATH (incoming/ID or deferred/H/ID) under the lock rule of
 *       docs/queue-format.md: open, exclusive flock (not waiting: a file
 *       someone holds is left for the next scan), check that PATH still
 *       names the locked file, rename to active. Then validates it; a
 *       corrupt file is quarantined (mail_queue_quarantine) and NULL
 *       returned, a read error moves it to deferred. Logs
 *       "ID: from=<SENDER>, size=N, nrcpt=N (queue active)", except for
 *       a refused message (below).
 *   qmgr_message_feed(msg)        reads and dispatches the next slice
 *   qmgr_message_entry_done(msg)  an entry is finished; the last one of the
 *                                 last slice finishes the message
 *
 * Every update of the queue file and every log append happens under the
 * lock rule (qmgr_message_lock); when the check fails the administrator
 * moved or deleted the message and qmgr forgets it silently: no move, no
 * removal, no new delivery (qmgr_message_in_active). The results of the
 * deliveries under way are still recorded in a file that was put on hold
 * (qmgr_message_lock_update), never in one deleted or requeued. A queue
 * id already in memory is not taken in again (a held and released copy
 * of a message whose deliveries still run). Results are recorded by
 * qmgr_result.c.
 *
 * Message attributes acted on (written by cleanup): bounce_reason (bounce
 * every recipient with it; a 5.X.X reason makes a "refused" message,
 * qmgr_message_refused: cleanup logged its recipients' bounced lines, so
 * qmgr writes the bounce log and sends the notice without a log line of
 * its own, no "queue active", no "removed", as Postfix's qmgr never sees
 * such a message; a 4.X.X one defers every recipient, logged), filter
 * (transport:nexthop instead of the resolved one), redirect (deliver to
 * that address instead), trace_flags (1: record every result in the
 * trace log; 2: verification only).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail/deliver_request.h"
#include "mail/dsn_log.h"
#include "mail/mail_queue.h"
#include "mail/resolve_clnt.h"
#include "mail/log_delay.h"
#include "qmgr.h"
#include "util/msg.h"
#include "util/myflock.h"
#include "util/mymalloc.h"

struct qmgr_resolved {
    int flags;
    char *transport;
    char *nexthop;
    char *recipient;
};

static struct vstring *qmgr_why;
static struct vstring *qmgr_path;

/*
 * The queue ids of the messages in memory. A message that postsuper held
 * and released during its delivery is not taken in a second time while
 * the first copy still has deliveries under way (they would run twice);
 * when that copy is freed, the scans run again.
 */
static struct htable *qmgr_message_ids;

/*
 * A message whose content cleanup refused (a 5.X.X bounce_reason): cleanup
 * logged its bounced lines; qmgr bounces it silently. The same test is in
 * qmgr_finish.c.
 */
static int
qmgr_message_refused(const struct qmgr_message *msg)
{
    const char *reason = htable_find(msg->attrs, "bounce_reason");

    return reason != NULL && reason[0] == '5' && (msg->trace_flags & 2) == 0;
}

static void
qmgr_message_buffers(void)
{
    if (qmgr_why == NULL) {
        qmgr_why = vstring_alloc(100);
        qmgr_path = vstring_alloc(100);
    }
}

void
qmgr_rcpt_copy(struct qmgr_rcpt *dst, const struct qmgr_rcpt *src)
{
    dst->offset = src->offset;
    dst->address = mystrdup(src->address);
    dst->orig_rcpt = mystrdup(src->orig_rcpt ? src->orig_rcpt : "");
    dst->dsn_orcpt = mystrdup(src->dsn_orcpt ? src->dsn_orcpt : "");
    dst->notify = src->notify;
    qmgr_rcpt_count++;
}

void
qmgr_rcpt_free(struct qmgr_rcpt *rcpt)
{
    myfree(rcpt->address);
    myfree(rcpt->orig_rcpt);
    myfree(rcpt->dsn_orcpt);
    qmgr_rcpt_count--;
}

static void
qmgr_resolved_free(void *ptr)
{
    struct qmgr_resolved *r = ptr;

    myfree(r->transport);
    myfree(r->nexthop);
    myfree(r->recipient);
    myfree(r);
}

void
qmgr_message_free(struct qmgr_message *msg)
{
    struct qmgr_deferral *d;

    while ((d = msg->deferred) != NULL) {
        msg->deferred = d->next;
        qmgr_rcpt_free(&d->rcpt);
        myfree(d->status);
        myfree(d->reason);
        myfree(d);
    }
    if (msg->qf)
        qfile_close(msg->qf);
    if (msg->fd >= 0)
        close(msg->fd);
    htable_delete(qmgr_message_ids, msg->queue_id, NULL);
    if (msg->forgotten)
        qmgr_scan_again();
    htable_free(msg->attrs, myfree);
    htable_free(msg->resolved, qmgr_resolved_free);
    myfree(msg->queue_id);
    myfree(msg->sender);
    myfree(msg->dsn_envid);
    myfree(msg);
    qmgr_message_count--;
}

/* Opens and locks PATH; the locked descriptor, or -1 (busy, gone, moved). */
static int
qmgr_message_grab(const char *path, const char *id)
{
    struct stat fst, pst;
    int fd;

    fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT)
            msg_warn("%s: open %s: %m", id, path);
        return -1;
    }
    if (myflock(fd, MYFLOCK_STYLE_FLOCK, MYFLOCK_OP_EXCLUSIVE | MYFLOCK_OP_NOWAIT) < 0 ||
        fstat(fd, &fst) < 0 || lstat(path, &pst) < 0 || fst.st_dev != pst.st_dev ||
        fst.st_ino != pst.st_ino || !S_ISREG(fst.st_mode)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads the envelope and the extracted attributes into msg; 0 or -1 (why). */
static int
qmgr_message_read_envelope(struct qmgr_message *msg)
{
    struct qfile_rec rec;
    int type;
    int first = 1;

    while ((type = qfile_read(msg->qf, &rec, qmgr_why)) > 0 && type != REC_TYPE_MESG) {
        if (first) {
            msg->read_offset = rec.offset;
            first = 0;
        }
        if (type == REC_TYPE_TIME) {
            msg->arrival = rec.time;
        } else if (type == REC_TYPE_WARN) {
            msg->warn_offset = rec.offset;
            msg->warn_time = rec.warn;
        } else if (type == REC_TYPE_ATTR) {
            if (htable_locate(msg->attrs, rec.name) == NULL)
                htable_enter(msg->attrs, rec.name, mystrdup(rec.value));
        } else if (type == REC_TYPE_SENDER) {
            myfree(msg->sender);
            msg->sender = mystrdup(rec.text);
        } else if (type == REC_TYPE_DSN_ENVID) {
            myfree(msg->dsn_envid);
            msg->dsn_envid = mystrdup(rec.text);
        } else if (type == REC_TYPE_DSN_RET) {
            msg->dsn_ret = rec.ret;
        }
    }
    if (type != REC_TYPE_MESG)
        return -1;
    msg->data_offset = rec.offset;
    if (qfile_seek(msg->qf, qfile_info(msg->qf)->extracted_offset, qmgr_why) < 0)
        return -1;
    while ((type = qfile_read(msg->qf, &rec, qmgr_why)) > 0)
        if (type == REC_TYPE_ATTR && htable_locate(msg->attrs, rec.name) == NULL)
            htable_enter(msg->attrs, rec.name, mystrdup(rec.value));
    return type == 0 ? 0 : -1;
}

/* Moves a file we could not read to deferred, to be tried again later. */
static void
qmgr_message_put_aside(int fd, const char *id)
{
    struct vstring *to = vstring_alloc(64);
    struct timeval tv[2];

    gettimeofday(&tv[0], NULL);
    tv[0].tv_sec += qmgr_params.min_backoff;
    tv[1] = tv[0];
    mail_queue_path(qmgr_path, MAIL_QUEUE_ACTIVE, id);
    mail_queue_path(to, MAIL_QUEUE_DEFERRED, id);
    if (myflock(fd, MYFLOCK_STYLE_FLOCK, MYFLOCK_OP_EXCLUSIVE) == 0) {
        futimes(fd, tv);
        if (mail_queue_rename(id, MAIL_QUEUE_ACTIVE, MAIL_QUEUE_DEFERRED, 0) < 0)
            msg_warn("%s: move to %s: %m", id, vstring_str(to));
    }
    vstring_free(to);
}

static struct qmgr_message *
qmgr_message_alloc(const char *id, int fd)
{
    struct qmgr_message *msg = mymalloc(sizeof(*msg));

    memset(msg, 0, sizeof(*msg));
    msg->queue_id = mystrdup(id);
    msg->fd = fd;
    msg->sender = mystrdup("");
    msg->dsn_envid = mystrdup("");
    msg->attrs = htable_create(16);
    msg->resolved = htable_create(16);
    msg->active_us = log_delay_now();
    htable_enter(qmgr_message_ids, msg->queue_id, msg);
    qmgr_message_count++;
    return msg;
}

struct qmgr_message *
qmgr_message_activate(const char *from_queue, const char *path, const char *id)
{
    struct qmgr_message *msg;
    struct qfile *qf;
    struct stat st;
    const char *value;
    int fd;
    int status;

    qmgr_message_buffers();
    if (qmgr_message_ids == NULL)
        qmgr_message_ids = htable_create(64);
    if (htable_find(qmgr_message_ids, id) != NULL)
        return NULL; /* its first copy is still being delivered */
    if ((fd = qmgr_message_grab(path, id)) < 0)
        return NULL;
    mail_queue_path(qmgr_path, MAIL_QUEUE_ACTIVE, id);
    if (mail_queue_move_path(path, vstring_str(qmgr_path)) < 0) {
        msg_warn("%s: move %s to %s: %m", id, path, vstring_str(qmgr_path));
        close(fd);
        return NULL;
    }
    fstat(fd, &st);
    myflock(fd, MYFLOCK_STYLE_FLOCK, MYFLOCK_OP_NONE);
    status = qfile_fdopen(dup(fd), id, QFILE_OPEN_UPDATE, &qf, qmgr_why);
    if (status == QFILE_CORRUPT) {
        mail_queue_quarantine(MAIL_QUEUE_ACTIVE, id, vstring_str(qmgr_why));
        close(fd);
        return NULL;
    }
    if (status != QFILE_OK) {
        msg_warn("%s: %s", id, vstring_str(qmgr_why));
        qmgr_message_put_aside(fd, id);
        close(fd);
        return NULL;
    }
    msg = qmgr_message_alloc(id, fd);
    msg->qf = qf;
    msg->admin_expired = (st.st_mode & S_IXGRP) != 0;
    if (qmgr_message_read_envelope(msg) < 0) {
        msg_warn("%s: %s", id, vstring_str(qmgr_why));
        qmgr_message_put_aside(fd, id);
        qmgr_message_free(msg);
        return NULL;
    }
    msg->data_size = qfile_info(qf)->content_size;
    if ((value = htable_find(msg->attrs, "trace_flags")) != NULL)
        msg->trace_flags = atoi(value);
    if (st.st_mode & QMGR_TRACE_SENT_MODE) /* sendmail -v: reported already */
        msg->trace_flags &= ~1;
    /* The defer log describes the previous attempt; the expiry bounce may want it. */
    if (!msg->admin_expired)
        dsn_log_remove(MAIL_QUEUE_DEFER, id);
    if (!qmgr_message_refused(msg))
        msg_info("%s: from=<%s>, size=%llu, nrcpt=%u (queue active)", id, msg->sender,
                 (unsigned long long)qfile_log_size(qfile_info(qf)),
                 (unsigned)qfile_info(qf)->rcpt_count);
    (void)from_queue;
    return msg;
}

/* Splits "5.x.x text" into status and text, with a default status. */
static const char *
qmgr_split_dsn(const char *text, char *status, size_t size, const char *def)
{
    size_t len = strcspn(text, " ");

    if (len >= 5 && len < size && (text[0] == '4' || text[0] == '5') && text[1] == '.') {
        memcpy(status, text, len);
        status[len] = 0;
        text += len;
        while (*text == ' ')
            text++;
        return text;
    }
    snprintf(status, size, "%s", def);
    return text;
}

/* The previous attempt's reason for this recipient (administrative expiry). */
static void
qmgr_message_expired_rcpt(struct qmgr_message *msg, const struct qmgr_rcpt *rcpt)
{
    struct dsn_log *log = dsn_log_open(MAIL_QUEUE_DEFER, msg->queue_id);
    struct dsn_log_entry entry;
    struct vstring *status = vstring_alloc(16);
    struct vstring *reason = vstring_alloc(64);

    vstring_strcpy(status, "4.7.0");
    vstring_strcpy(reason, "message is administratively expired");
    while (log != NULL && dsn_log_read(log, &entry) > 0) {
        if (entry.offset == rcpt->offset) {
            vstring_strcpy(status, entry.status);
            vstring_strcpy(reason, entry.reason);
        }
    }
    if (log != NULL)
        dsn_log_close(log);
    qmgr_message_local_result(msg, rcpt, DEL_RCPT_DEFER, vstring_str(status), vstring_str(reason));
    vstring_free(status);
    vstring_free(reason);
}

/* Resolves ADDR (cached per message); NULL when the resolver failed. */
static const struct qmgr_resolved *
qmgr_message_resolve(struct qmgr_message *msg, const char *addr)
{
    struct qmgr_resolved *r;
    struct resolve_reply *reply;

    if ((r = htable_find(msg->resolved, addr)) != NULL)
        return r;
    reply = resolve_reply_alloc();
    if (resolve_clnt_query(msg->sender, addr, reply) < 0 || (reply->flags & RESOLVE_FLAG_FAIL)) {
        resolve_reply_free(reply);
        return NULL;
    }
    r = mymalloc(sizeof(*r));
    r->flags = reply->flags;
    r->transport = mystrdup(vstring_str(reply->transport));
    r->nexthop = mystrdup(vstring_str(reply->nexthop));
    r->recipient = mystrdup(vstring_str(reply->recipient));
    resolve_reply_free(reply);
    htable_enter(msg->resolved, addr, r);
    return r;
}

/* Is TRANSPORT listed in defer_transports? */
static int
qmgr_message_deferred_transport(const char *transport)
{
    struct argv *list = qmgr_params.defer_transports;

    for (size_t i = 0; list && i < list->argc; i++)
        if (strcmp(list->argv[i], transport) == 0)
            return 1;
    return 0;
}

/* Routes one pending recipient: resolve, then a queue or a local result. */
static void
qmgr_message_route(struct qmgr_message *msg, struct qmgr_rcpt *rcpt)
{
    const char *redirect = htable_find(msg->attrs, "redirect");
    const char *filter = htable_find(msg->attrs, "filter");
    const struct qmgr_resolved *r;
    struct qmgr_transport *transport;
    struct qmgr_queue *queue;
    struct qmgr_rcpt routed;
    char *tname;
    const char *nexthop;
    char *colon;

    if ((r = qmgr_message_resolve(msg, redirect && *redirect ? redirect : rcpt->address)) == NULL) {
        qmgr_message_local_result(msg, rcpt, DEL_RCPT_DEFER, "4.3.0", "address resolver failure");
        return;
    }
    if (r->flags & RESOLVE_FLAG_ERROR) {
        qmgr_message_local_result(msg, rcpt, DEL_RCPT_BOUNCE, "5.1.3", "bad address syntax");
        return;
    }
    if (filter && *filter) {
        tname = mystrdup(filter);
        if ((colon = strchr(tname, ':')) != NULL) {
            *colon = 0;
            nexthop = *(colon + 1) ? colon + 1 : r->nexthop;
        } else {
            nexthop = r->nexthop;
        }
    } else {
        tname = mystrdup(r->transport);
        nexthop = r->nexthop;
    }
    if (!msg->flushed && qmgr_message_deferred_transport(tname)) {
        /* As Postfix: the retry service defers it, until a flush. */
        myfree(tname);
        tname = mystrdup(QMGR_RETRY_SERVICE);
        nexthop = "4.3.2 deferred transport";
    }
    routed = *rcpt;
    routed.address = r->recipient;
    transport = qmgr_transport_find(tname);
    queue = qmgr_queue_find(transport, nexthop);
    myfree(tname);
    if (transport->throttled_until > 0) {
        qmgr_message_local_result(msg, &routed, DEL_RCPT_DEFER, "4.3.0",
                                  transport->throttle_reason);
    } else if (queue->dead_reason != NULL) {
        struct vstring *why = vstring_alloc(100);

        vstring_sprintf(why, "delivery temporarily suspended: %s", queue->dead_reason);
        qmgr_message_local_result(msg, &routed, DEL_RCPT_DEFER, "4.3.0", vstring_str(why));
        vstring_free(why);
    } else {
        qmgr_queue_add(queue, msg, &routed);
    }
}

/* Handles one pending recipient read from the file. */
static void
qmgr_message_dispatch(struct qmgr_message *msg, struct qmgr_rcpt *rcpt)
{
    const char *bounce_reason = htable_find(msg->attrs, "bounce_reason");
    char status[16];
    const char *text;

    if (msg->admin_expired) {
        qmgr_message_expired_rcpt(msg, rcpt);
    } else if (bounce_reason && *bounce_reason) {
        text = qmgr_split_dsn(bounce_reason, status, sizeof(status), "5.0.0");
        if (qmgr_message_refused(msg))
            qmgr_message_result(msg, rcpt, DEL_RCPT_BOUNCE, status, "failed", text, "none");
        else
            qmgr_message_local_result(
                msg, rcpt, status[0] == '4' ? DEL_RCPT_DEFER : DEL_RCPT_BOUNCE, status, text);
    } else {
        qmgr_message_route(msg, rcpt);
    }
}

/*
 * May the slice being read take one more recipient? Recipients in memory
 * (every message's) are bounded by qmgr_message_recipient_limit, but each
 * message gets at least qmgr_message_recipient_minimum per slice, so that
 * no message starves (the minimum takes priority, as postconf(5) says).
 */
static int
qmgr_message_slice_room(int count)
{
    return count < qmgr_params.rcpt_minimum || qmgr_rcpt_count < qmgr_params.rcpt_limit;
}

/*
 * Reads pending recipients from read_offset on, while the slice has room,
 * and hands each to dispatch. Returns how many.
 */
static int
qmgr_message_read_slice(struct qmgr_message *msg)
{
    struct qfile_rec rec;
    struct qmgr_rcpt rcpt;
    int type;
    int count = 0;
    int room;

    if (qfile_seek(msg->qf, msg->read_offset, qmgr_why) < 0) {
        msg_warn("%s: %s", msg->queue_id, vstring_str(qmgr_why));
        msg->read_offset = 0;
        return 0;
    }
    while ((room = qmgr_message_slice_room(count)) != 0 &&
           (type = qfile_read(msg->qf, &rec, qmgr_why)) > 0) {
        msg->read_offset = rec.offset + 5 + rec.len;
        if (type == REC_TYPE_MESG) {
            msg->read_offset = qfile_info(msg->qf)->extracted_offset;
            if (qfile_seek(msg->qf, msg->read_offset, qmgr_why) < 0)
                break;
        } else if (type == REC_TYPE_RCPT && rec.rcpt.status == REC_RCPT_PENDING) {
            rcpt.offset = rec.offset;
            rcpt.address = (char *)rec.rcpt.address;
            rcpt.orig_rcpt = (char *)(rec.rcpt.orig_rcpt ? rec.rcpt.orig_rcpt : "");
            rcpt.dsn_orcpt = (char *)(rec.rcpt.dsn_orcpt ? rec.rcpt.dsn_orcpt : "");
            rcpt.notify = rec.rcpt.notify;
            qmgr_message_dispatch(msg, &rcpt);
            count++;
        } else if (type == REC_TYPE_END) {
            msg->read_offset = 0;
            return count;
        }
    }
    if (room) /* end of file or a read error */
        msg->read_offset = 0;
    return count;
}

void
qmgr_message_feed(struct qmgr_message *msg)
{
    qmgr_message_buffers();
    for (;;) {
        msg->refcount++; /* hold the message while its recipients are dispatched */
        if (msg->read_offset != 0)
            qmgr_message_read_slice(msg);
        if (--msg->refcount > 0)
            break; /* deliveries under way; the last one calls entry_done */
        if (msg->forgotten) {
            qmgr_message_free(msg);
            qmgr_scan_request();
            break;
        }
        if (msg->read_offset == 0) {
            qmgr_message_finish(msg);
            break;
        }
        /* Every recipient of the slice was settled at once: next slice. */
    }
    qmgr_schedule();
}

void
qmgr_message_entry_done(struct qmgr_message *msg)
{
    if (--msg->refcount > 0)
        return;
    if (msg->forgotten) {
        qmgr_message_free(msg);
        qmgr_scan_request();
    } else if (msg->read_offset != 0) {
        qmgr_message_feed(msg);
    } else {
        qmgr_message_finish(msg);
    }
}
