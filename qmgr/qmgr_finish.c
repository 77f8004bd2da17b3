/*
 * qmgr_finish - what happens to a message after its delivery attempt,
 * and start-up recovery of the active queue.
 *
 *   qmgr_message_finish(msg)   (every recipient of every slice has a result)
 *     1. verification only (trace_flags 2): a "trace" request, then remove.
 *     2. deferred recipients and the message is too old (maximal_queue_
 *        lifetime, bounce_queue_lifetime for the null sender, or the
 *        expiry bit S_IXGRP): "ID: from=<S>, status=expired, returned to
 *        sender"; each deferred recipient goes to the bounce log with its
 *        last reason and is marked done.
 *     3. a bounce log: fsync the done-markers, "bounce" request; on
 *        success the bounce log is removed, on failure the message stays
 *        queued (deferred) and the notice is tried again next time.
 *     3b. trace_flags 1 ("sendmail -v": a report of the first delivery
 *        attempt, as Postfix sends it): a "trace" request now, whether
 *        recipients are left or not; on success the trace log is removed
 *        and QMGR_TRACE_SENT_MODE set on the file, so that later attempts
 *        record and report nothing more (on failure the next attempt
 *        tries again, with its own results added).
 *     4. deferred recipients left: a "delay" request when the warn time
 *        (W record) has come (then the warn time is cleared in place), and
 *        the file moves to deferred with its mtime set to the next attempt:
 *        now + (now - arrival) clamped to minimal_backoff_time ..
 *        maximal_backoff_time.
 *     5. otherwise: a "trace" request when a trace log exists, then the
 *        logs and the file are removed: "ID: removed" (not for a message
 *        whose content cleanup refused, a 5.X.X bounce_reason: Postfix's
 *        qmgr never sees such a message, and cleanup logged its fate).
 *   Every move and removal follows the lock rule (qmgr_message_lock); a
 *   message someone else moved or deleted is forgotten without a word.
 *
 *   With dont_remove set (a debugging aid), the finished file moves to
 *   saved/ instead; the log line is "ID: removed" all the same.
 *
 *   qmgr_recover_active()  at start-up: every file in active goes back to
 *       incoming (lock, check, rename); its done-markers say what is left.
 *   qmgr_remove_orphan_logs()  at start-up, after the recovery: a bounce,
 *       defer or trace log whose message file is in none of incoming,
 *       active, deferred, hold and corrupt (looked for twice, so that a
 *       file postsuper moves meanwhile is found) is removed, silently.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "mail/bounce_clnt.h"
#include "mail/deliver_request.h"
#include "mail/dsn_log.h"
#include "mail/mail_queue.h"
#include "qmgr.h"
#include "util/msg.h"
#include "util/myflock.h"
#include "util/mymalloc.h"

/* Sends one bounce_v1 request about msg; 0 or -1 (logged). */
static int
qmgr_notify(struct qmgr_message *msg, const char *service, const char *request)
{
    struct bounce_msg bm = {
        .queue_name = MAIL_QUEUE_ACTIVE,
        .queue_id = msg->queue_id,
        .sender = msg->sender,
        .dsn_envid = msg->dsn_envid,
        .dsn_ret = msg->dsn_ret,
    };
    struct vstring *id = vstring_alloc(32);
    struct vstring *why = vstring_alloc(100);
    int status;

    if ((status = bounce_request(service, request, &bm, id, why)) < 0)
        msg_warn("%s: %s request to %s service failed: %s", msg->queue_id, request, service,
                 vstring_str(why));
    vstring_free(id);
    vstring_free(why);
    return status;
}

static int
qmgr_message_expired(const struct qmgr_message *msg)
{
    long lifetime =
        *msg->sender ? qmgr_params.max_queue_lifetime : qmgr_params.bounce_queue_lifetime;

    return msg->admin_expired || time(NULL) >= msg->arrival.tv_sec + lifetime;
}

/* Step 2: the deferred recipients become bounced ones. */
static void
qmgr_message_expire(struct qmgr_message *msg)
{
    struct dsn_log_entry e;
    struct qmgr_deferral *d;
    struct vstring *why = vstring_alloc(100);

    msg_info("%s: from=<%s>, status=expired, returned to sender", msg->queue_id, msg->sender);
    if (qmgr_message_lock(msg) < 0) {
        vstring_free(why);
        return;
    }
    for (d = msg->deferred; d != NULL; d = d->next) {
        memset(&e, 0, sizeof(e));
        e.recipient = d->rcpt.address;
        e.orig_rcpt = d->rcpt.orig_rcpt;
        e.dsn_orcpt = d->rcpt.dsn_orcpt;
        e.notify = d->rcpt.notify;
        e.offset = d->rcpt.offset;
        e.status = d->status;
        e.action = "failed";
        e.reason = d->reason;
        e.relay = "none";
        e.time = time(NULL);
        if (dsn_log_append(MAIL_QUEUE_BOUNCE, msg->queue_id, &e) < 0)
            msg_warn("%s: append to bounce log: %m", msg->queue_id);
        else if (qfile_rcpt_done(msg->qf, d->rcpt.offset, why) < 0)
            msg_warn("%s: mark recipient done: %s", msg->queue_id, vstring_str(why));
    }
    qmgr_message_unlock(msg);
    vstring_free(why);
}

/* Sends a delay warning when its time has come, then clears the warn time. */
static void
qmgr_message_warn(struct qmgr_message *msg)
{
    struct vstring *why;

    if (msg->warn_offset == 0 || msg->warn_time == 0 || time(NULL) < msg->warn_time)
        return;
    if (qmgr_notify(msg, qmgr_params.defer_service, BOUNCE_REQ_DELAY) < 0)
        return;
    if (qmgr_message_lock(msg) < 0)
        return;
    why = vstring_alloc(100);
    if (qfile_set_warn(msg->qf, msg->warn_offset, 0, why) < 0)
        msg_warn("%s: clear warn time: %s", msg->queue_id, vstring_str(why));
    qmgr_message_unlock(msg);
    vstring_free(why);
}

/* Step 4: active -> deferred, mtime = next attempt. */
static void
qmgr_message_defer(struct qmgr_message *msg)
{
    struct timeval tv[2];
    long delay;

    qmgr_message_warn(msg);
    gettimeofday(&tv[0], NULL);
    delay = tv[0].tv_sec - msg->arrival.tv_sec;
    if (delay > qmgr_params.max_backoff)
        delay = qmgr_params.max_backoff;
    if (delay < qmgr_params.min_backoff)
        delay = qmgr_params.min_backoff;
    tv[0].tv_sec += delay;
    tv[0].tv_usec = 0;
    tv[1] = tv[0];
    if (qmgr_message_lock(msg) == 0) {
        if (futimes(msg->fd, tv) < 0)
            msg_warn("%s: set retry time: %m", msg->queue_id);
        if (mail_queue_rename(msg->queue_id, MAIL_QUEUE_ACTIVE, MAIL_QUEUE_DEFERRED, 0) < 0 &&
            errno != ENOENT)
            msg_warn("%s: move to %s queue: %m", msg->queue_id, MAIL_QUEUE_DEFERRED);
        qmgr_message_unlock(msg);
    }
    qmgr_message_free(msg);
    qmgr_scan_request();
}

/* As qmgr_message_refused in qmgr_message.c: bounced without a word. */
static int
qmgr_message_silent(const struct qmgr_message *msg)
{
    const char *reason = htable_find(msg->attrs, "bounce_reason");

    return reason != NULL && reason[0] == '5' && (msg->trace_flags & 2) == 0;
}

/* Step 5 (and 1): logs and file removed. */
static void
qmgr_message_remove(struct qmgr_message *msg)
{
    int silent = qmgr_message_silent(msg);

    if (qmgr_message_lock(msg) == 0) {
        dsn_log_remove(MAIL_QUEUE_BOUNCE, msg->queue_id);
        dsn_log_remove(MAIL_QUEUE_DEFER, msg->queue_id);
        dsn_log_remove(MAIL_QUEUE_TRACE, msg->queue_id);
        if (qmgr_params.dont_remove) {
            if (mail_queue_rename(msg->queue_id, MAIL_QUEUE_ACTIVE, MAIL_QUEUE_SAVED, 0) < 0 &&
                errno != ENOENT)
                msg_warn("%s: move to %s queue: %m", msg->queue_id, MAIL_QUEUE_SAVED);
            else if (!silent)
                msg_info("%s: removed", msg->queue_id);
        } else if (mail_queue_remove(MAIL_QUEUE_ACTIVE, msg->queue_id) < 0 && errno != ENOENT)
            msg_warn("%s: remove %s/%s: %m", msg->queue_id, MAIL_QUEUE_ACTIVE, msg->queue_id);
        else if (!silent)
            msg_info("%s: removed", msg->queue_id);
        qmgr_message_unlock(msg);
    }
    qmgr_message_free(msg);
    qmgr_scan_request();
}

/* Step 3b: the report of the first delivery attempt (sendmail -v). */
static void
qmgr_message_trace_first(struct qmgr_message *msg)
{
    struct stat st;

    if (!(msg->trace_flags & 1) || msg->forgotten ||
        !dsn_log_exists(MAIL_QUEUE_TRACE, msg->queue_id))
        return;
    if (qmgr_notify(msg, qmgr_params.trace_service, BOUNCE_REQ_TRACE) < 0)
        return;
    msg->trace_flags &= ~1;
    if (qmgr_message_lock(msg) < 0)
        return;
    dsn_log_remove(MAIL_QUEUE_TRACE, msg->queue_id);
    if (fstat(msg->fd, &st) < 0 || fchmod(msg->fd, (st.st_mode | QMGR_TRACE_SENT_MODE) & 07777) < 0)
        msg_warn("%s: mark trace report sent: %m", msg->queue_id);
    qmgr_message_unlock(msg);
}

void
qmgr_message_finish(struct qmgr_message *msg)
{
    int bounce_failed = 0;

    if (msg->forgotten) {
        qmgr_message_free(msg);
        qmgr_scan_request();
        return;
    }
    if (msg->trace_flags & 2) {
        if (dsn_log_exists(MAIL_QUEUE_TRACE, msg->queue_id))
            qmgr_notify(msg, qmgr_params.trace_service, BOUNCE_REQ_TRACE);
        qmgr_message_remove(msg);
        return;
    }
    if (msg->deferred != NULL && qmgr_message_expired(msg)) {
        qmgr_message_expire(msg);
        while (msg->deferred != NULL) {
            struct qmgr_deferral *d = msg->deferred;

            msg->deferred = d->next;
            qmgr_rcpt_free(&d->rcpt);
            myfree(d->status);
            myfree(d->reason);
            myfree(d);
        }
    }
    if (!msg->forgotten && dsn_log_exists(MAIL_QUEUE_BOUNCE, msg->queue_id)) {
        qfile_sync(msg->qf);
        if (qmgr_notify(msg, qmgr_params.bounce_service, BOUNCE_REQ_BOUNCE) < 0)
            bounce_failed = 1;
        else if (qmgr_message_lock(msg) == 0) {
            dsn_log_remove(MAIL_QUEUE_BOUNCE, msg->queue_id);
            qmgr_message_unlock(msg);
        }
    }
    qmgr_message_trace_first(msg);
    if (msg->deferred != NULL || bounce_failed) {
        qmgr_message_defer(msg);
        return;
    }
    if (!msg->forgotten && dsn_log_exists(MAIL_QUEUE_TRACE, msg->queue_id) &&
        qmgr_notify(msg, qmgr_params.trace_service, BOUNCE_REQ_TRACE) < 0) {
        qmgr_message_defer(msg);
        return;
    }
    qmgr_message_remove(msg);
}

/* Moves one file of the active queue back to incoming. */
static void
qmgr_recover_one(const char *path, const char *id)
{
    struct vstring *to = vstring_alloc(64);
    struct stat fst, pst;
    int fd;

    if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0) {
        if (errno != ENOENT)
            msg_warn("%s: open %s: %m", id, path);
    } else {
        if (myflock(fd, MYFLOCK_STYLE_FLOCK, MYFLOCK_OP_EXCLUSIVE) == 0 && fstat(fd, &fst) == 0 &&
            lstat(path, &pst) == 0 && fst.st_dev == pst.st_dev && fst.st_ino == pst.st_ino) {
            mail_queue_path(to, MAIL_QUEUE_INCOMING, id);
            if (mail_queue_move_path(path, vstring_str(to)) < 0)
                msg_warn("%s: move %s to %s: %m", id, path, vstring_str(to));
        }
        close(fd);
    }
    vstring_free(to);
}

void
qmgr_recover_active(void)
{
    struct mail_queue_scan *scan;
    const char *id;
    char *copy;

    if ((scan = mail_queue_scan_open(MAIL_QUEUE_ACTIVE)) == NULL) {
        msg_warn("open %s queue: %m", MAIL_QUEUE_ACTIVE);
        return;
    }
    while ((id = mail_queue_scan_next(scan)) != NULL) {
        copy = mystrdup(id);
        qmgr_recover_one(mail_queue_scan_path(scan), copy);
        myfree(copy);
    }
    mail_queue_scan_close(scan);
}

/* Is there a message file named ID in a queue that keeps its logs? */
static int
qmgr_orphan_has_message(const char *id, struct vstring *path)
{
    static const char *const queues[] = {MAIL_QUEUE_INCOMING, MAIL_QUEUE_ACTIVE,
                                         MAIL_QUEUE_DEFERRED, MAIL_QUEUE_HOLD, MAIL_QUEUE_CORRUPT};
    struct stat st;

    for (size_t i = 0; i < sizeof(queues) / sizeof(queues[0]); i++) {
        mail_queue_path(path, queues[i], id);
        if (lstat(vstring_str(path), &st) == 0 || errno != ENOENT)
            return 1;
    }
    return 0;
}

void
qmgr_remove_orphan_logs(void)
{
    static const char *const logs[] = {MAIL_QUEUE_BOUNCE, MAIL_QUEUE_DEFER, MAIL_QUEUE_TRACE};
    struct vstring *path = vstring_alloc(64);
    struct mail_queue_scan *scan;
    const char *id;

    for (size_t i = 0; i < sizeof(logs) / sizeof(logs[0]); i++) {
        if ((scan = mail_queue_scan_open(logs[i])) == NULL) {
            if (errno != ENOENT)
                msg_warn("open %s queue: %m", logs[i]);
            continue;
        }
        while ((id = mail_queue_scan_next(scan)) != NULL) {
            if (qmgr_orphan_has_message(id, path) || qmgr_orphan_has_message(id, path))
                continue;
            if (unlink(mail_queue_scan_path(scan)) < 0 && errno != ENOENT)
                msg_warn("remove %s: %m", mail_queue_scan_path(scan));
        }
        mail_queue_scan_close(scan);
    }
    vstring_free(path);
}
