/*
 * pickup_file - one maildrop file to cleanup.
 *
 *   pickup_file(id)   see pickup.h for the result
 *
 * The file is opened without following links and locked (exclusive
 * flock: the lock rule of docs/queue-format.md, held until the file is
 * removed or left), then validated by qfile_fdopen; a file that is not a
 * valid queue file goes to corrupt/ (mail_queue_quarantine) and the scan
 * goes on. Its owner decides what cleanup gets:
 *   - a user's file (owner other than mail_owner, written by postdrop):
 *     time, sender, the attributes a user may set (full_name,
 *     extract_recipients, trace_flags, encoding), DSN records, the
 *     pending recipients and the content, plus rewrite_context=local and
 *     submit_uid=OWNER;
 *   - a file owned by mail_owner (postsuper -r): every record as it is,
 *     but only the recipients not marked done, and without submit_uid:
 *     the message is not submitted again, so cleanup must not add a
 *     second Received: header for it.
 * The log line "NEWID: uid=N from=<sender>" names the id cleanup gave.
 * The file is removed only after cleanup's status 0; a permanent refusal
 * removes it too, with a warning; a temporary one leaves it.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail/cleanup_clnt.h"
#include "mail/mail_queue.h"
#include "mail/qfile.h"
#include "pickup.h"
#include "util/msg.h"
#include "util/myflock.h"
#include "util/mymalloc.h"

static const char *const pickup_user_attrs[] = {"full_name", "extract_recipients", "trace_flags",
                                                "encoding", NULL};

static int
pickup_attr_allowed(const char *name)
{
    for (int i = 0; pickup_user_attrs[i]; i++)
        if (strcmp(name, pickup_user_attrs[i]) == 0)
            return 1;
    return 0;
}

/* Sends one record of the file; 0, or -1 after a write error. */
static int
pickup_copy_record(struct cleanup_clnt *cl, const struct qfile_rec *rec, int user)
{
    switch (rec->type) {
    case REC_TYPE_TIME:
        return cleanup_put_time(cl, &rec->time);
    case REC_TYPE_WARN:
        return 0;
    case REC_TYPE_ATTR:
        if (user ? !pickup_attr_allowed(rec->name) : strcmp(rec->name, "submit_uid") == 0)
            return 0;
        return cleanup_put_attr(cl, rec->name, rec->value);
    case REC_TYPE_SENDER:
        return cleanup_put_sender(cl, rec->text);
    case REC_TYPE_RCPT:
        if (rec->rcpt.status != REC_RCPT_PENDING)
            return 0;
        return cleanup_put_rcpt(cl, &rec->rcpt);
    default:
        return cleanup_put_record(cl, rec->type, rec->data, rec->len);
    }
}

/* Sends the whole file; 0, or -1 (reason in why) when it could not be read. */
static int
pickup_copy(struct cleanup_clnt *cl, struct qfile *qf, const struct stat *st, int user,
            struct vstring *why)
{
    struct qfile_rec rec;
    struct vstring *uid = vstring_alloc(16);
    int type;

    if (user) {
        vstring_sprintf(uid, "%ld", (long)st->st_uid);
        (void)cleanup_put_attr(cl, "rewrite_context", "local");
        (void)cleanup_put_attr(cl, "submit_uid", vstring_str(uid));
    }
    while ((type = qfile_read(qf, &rec, why)) > 0) {
        if (type == REC_TYPE_SENDER)
            msg_info("%s: uid=%ld from=<%s>", cleanup_queue_id(cl), (long)st->st_uid, rec.text);
        if (type == REC_TYPE_HEADER || type == REC_TYPE_END)
            continue;
        if (pickup_copy_record(cl, &rec, user) < 0)
            break;
    }
    vstring_free(uid);
    return type < 0 ? -1 : 0;
}

/* Removes the file if PATH still names the locked file FD. */
static void
pickup_remove(const char *id, int fd)
{
    struct vstring *path = vstring_alloc(64);
    struct stat fst, lst;

    mail_queue_path(path, MAIL_QUEUE_MAILDROP, id);
    if (fstat(fd, &fst) == 0 && lstat(vstring_str(path), &lst) == 0 && fst.st_dev == lst.st_dev &&
        fst.st_ino == lst.st_ino && mail_queue_remove(MAIL_QUEUE_MAILDROP, id) < 0 &&
        errno != ENOENT)
        msg_warn("remove %s: %m", vstring_str(path));
    vstring_free(path);
}

/* Feeds an opened, validated file to cleanup. */
static int
pickup_deliver(const char *id, int fd, struct qfile *qf, const struct stat *st)
{
    struct vstring *why = vstring_alloc(100);
    struct cleanup_clnt *cl;
    int user = st->st_uid != pickup_cf.mail_owner_uid;
    int status, result = PICKUP_DONE;

    if ((cl = cleanup_open(pickup_cf.cleanup_service_name, CLEANUP_FLAG_EXTERNAL,
                           pickup_cf.ipc_timeout, why)) == NULL) {
        msg_warn("%s: %s", id, vstring_str(why));
        vstring_free(why);
        return PICKUP_RETRY;
    }
    if (pickup_copy(cl, qf, st, user, why) < 0) {
        msg_warn("%s: read maildrop file: %s", id, vstring_str(why));
        cleanup_abort(cl);
        vstring_free(why);
        return PICKUP_RETRY;
    }
    status = cleanup_finish(cl, why);
    if (status == 0) {
        pickup_remove(id, fd);
    } else if (status & (CLEANUP_STAT_DEFER | CLEANUP_STAT_WRITE)) {
        msg_warn("%s: cleanup: %s -- will try again", id, vstring_str(why));
        result = PICKUP_RETRY;
    } else {
        msg_warn("maildrop/%s: message refused by cleanup (%s) -- file removed", id,
                 vstring_str(why));
        pickup_remove(id, fd);
    }
    vstring_free(why);
    return result;
}

int
pickup_file(const char *id)
{
    struct vstring *path = vstring_alloc(64);
    struct vstring *why = vstring_alloc(100);
    struct qfile *qf;
    struct stat st;
    int fd, copy, result = PICKUP_DONE;

    mail_queue_path(path, MAIL_QUEUE_MAILDROP, id);
    if ((fd = open(vstring_str(path), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0) {
        if (errno == ELOOP)
            (void)mail_queue_quarantine(MAIL_QUEUE_MAILDROP, id, "not a regular file");
        else if (errno != ENOENT)
            msg_warn("open %s: %m", vstring_str(path));
        goto out;
    }
    if (myflock(fd, MYFLOCK_STYLE_FLOCK, MYFLOCK_OP_EXCLUSIVE | MYFLOCK_OP_NOWAIT) < 0 ||
        fstat(fd, &st) < 0 || (copy = dup(fd)) < 0) {
        close(fd);
        goto out;
    }
    switch (qfile_fdopen(copy, vstring_str(path), QFILE_OPEN_READ, &qf, why)) {
    case QFILE_OK:
        result = pickup_deliver(id, fd, qf, &st);
        qfile_close(qf);
        break;
    case QFILE_CORRUPT:
        (void)mail_queue_quarantine(MAIL_QUEUE_MAILDROP, id, vstring_str(why));
        break;
    default:
        msg_warn("%s: %s", vstring_str(path), vstring_str(why));
        break;
    }
    close(fd);
out:
    vstring_free(path);
    vstring_free(why);
    return result;
}
