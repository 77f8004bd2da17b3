/*
 * qmgr_lock - the lock rule of docs/queue-format.md as qmgr applies it to
 * the messages it has in memory (each keeps its descriptor, msg->fd):
 *
 *   qmgr_message_lock(msg)         before a move or removal: exclusive flock,
 *       then active/ID must still name the file; 0, or -1 (the message is
 *       marked forgotten, the lock released)
 *   qmgr_message_lock_update(msg)  before a done-marker or a log append:
 *       as above, but a file that postsuper put on hold (hold/ID, or
 *       deferred/ID once released) is still ours to update; a file that
 *       was deleted (link count 0) or moved elsewhere is not: -1
 *   qmgr_message_in_active(msg)    before a delivery starts, without the
 *       lock: is active/ID still our file? If not, forgotten, 0
 *   qmgr_message_unlock(msg)
 *
 * A lock is held for one step only, never while waiting for anything.
 */
#include <sys/stat.h>

#include "mail/mail_queue.h"
#include "qmgr.h"
#include "util/msg.h"
#include "util/myflock.h"
#include "util/vstring.h"

static struct vstring *qmgr_lock_path;

static void
qmgr_lock_buffers(void)
{
    if (qmgr_lock_path == NULL)
        qmgr_lock_path = vstring_alloc(100);
}

/*
 * The lock rule: exclusive flock on our descriptor, then check that
 * active/ID still names it. 0: locked and ours; -1: gone (the message is
 * marked forgotten, the lock released).
 */
int
qmgr_message_lock(struct qmgr_message *msg)
{
    struct stat fst, pst;

    if (msg->forgotten)
        return -1;
    qmgr_lock_buffers();
    if (myflock(msg->fd, MYFLOCK_STYLE_FLOCK, MYFLOCK_OP_EXCLUSIVE) < 0)
        msg_fatal("%s: lock queue file: %m", msg->queue_id);
    mail_queue_path(qmgr_lock_path, MAIL_QUEUE_ACTIVE, msg->queue_id);
    if (fstat(msg->fd, &fst) < 0 || lstat(vstring_str(qmgr_lock_path), &pst) < 0 ||
        fst.st_dev != pst.st_dev || fst.st_ino != pst.st_ino) {
        myflock(msg->fd, MYFLOCK_STYLE_FLOCK, MYFLOCK_OP_NONE);
        msg->forgotten = 1;
        return -1;
    }
    return 0;
}

/* Does QUEUE/ID name the file open on FST? */
static int
qmgr_message_is_at(const struct qmgr_message *msg, const char *queue, const struct stat *fst)
{
    struct stat pst;

    mail_queue_path(qmgr_lock_path, queue, msg->queue_id);
    return lstat(vstring_str(qmgr_lock_path), &pst) == 0 && fst->st_dev == pst.st_dev &&
           fst->st_ino == pst.st_ino;
}

/*
 * The lock rule for an update in place (a done-marker, a log append):
 * as qmgr_message_lock, but a message that postsuper put on hold (or
 * held and released) during its delivery is still updated through our
 * descriptor, so that the recipients finished meanwhile keep their marks
 * and logs; the message is marked forgotten all the same (qmgr moves and
 * removes it no more). A file that was deleted, or moved anywhere else
 * (postsuper -r: maildrop, whose logs are gone), is left alone: -1.
 */
int
qmgr_message_lock_update(struct qmgr_message *msg)
{
    struct stat fst;

    if (!msg->forgotten && qmgr_message_lock(msg) == 0)
        return 0;
    if (myflock(msg->fd, MYFLOCK_STYLE_FLOCK, MYFLOCK_OP_EXCLUSIVE) < 0)
        msg_fatal("%s: lock queue file: %m", msg->queue_id);
    if (fstat(msg->fd, &fst) == 0 && fst.st_nlink > 0 &&
        (qmgr_message_is_at(msg, MAIL_QUEUE_HOLD, &fst) ||
         qmgr_message_is_at(msg, MAIL_QUEUE_DEFERRED, &fst) ||
         qmgr_message_is_at(msg, MAIL_QUEUE_ACTIVE, &fst)))
        return 0;
    myflock(msg->fd, MYFLOCK_STYLE_FLOCK, MYFLOCK_OP_NONE);
    return -1;
}

/*
 * Is the message still where qmgr put it? A check without the lock,
 * before a delivery starts: a message that postsuper moved or deleted
 * meanwhile is forgotten, and its pending recipients are not tried (they
 * stay pending in the file for the next attempt after a release).
 */
int
qmgr_message_in_active(struct qmgr_message *msg)
{
    struct stat fst;

    if (msg->forgotten)
        return 0;
    qmgr_lock_buffers();
    if (fstat(msg->fd, &fst) < 0 || fst.st_nlink == 0 ||
        !qmgr_message_is_at(msg, MAIL_QUEUE_ACTIVE, &fst)) {
        msg->forgotten = 1;
        return 0;
    }
    return 1;
}

void
qmgr_message_unlock(struct qmgr_message *msg)
{
    myflock(msg->fd, MYFLOCK_STYLE_FLOCK, MYFLOCK_OP_NONE);
}
