/*
 * flush_touch - make one deferred message due for delivery now.
 *
 *   flush_touch_deferred(queue_id, now)
 *       sets the access and modification times of deferred/[hash/]QUEUE_ID
 *       to NOW. A deferred file's mtime is the time of its next delivery
 *       attempt (docs/queue-format.md), so qmgr's next deferred scan ("D")
 *       takes it. Returns 1 when the times were set, 0 when there is no
 *       such message in deferred (any more) or it could not be changed.
 *
 * This is an update in place of a committed message file, so it follows
 * the lock rule of docs/queue-format.md ("Who may move a file"): open the
 * path without following links, take the exclusive flock (a few tries:
 * qmgr and postsuper hold it only for one rename), check that the path
 * still names the locked file, set the times, close. A message that qmgr
 * or postsuper moved meanwhile is left alone: it is already being handled.
 * The file's contents are never read or written; the expiry mark (the
 * group-execute bit) is kept. The caller has checked QUEUE_ID with
 * queue_id_ok.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flush.h"
#include "mail/mail_queue.h"
#include "util/msg.h"
#include "util/myflock.h"
#include "util/vstring.h"

#define FLUSH_TOUCH_LOCK_TRIES 20  /* about two seconds in all */
#define FLUSH_TOUCH_LOCK_DELAY 100 /* milliseconds between tries */

/* The lock and the check of steps 2 and 3; 1 when FD is still at PATH. */
static int
flush_touch_lock(int fd, const char *path, const char *queue_id, struct vstring *why)
{
    struct stat fst;
    struct stat pst;

    if (myflock_retry(fd, MYFLOCK_STYLE_FLOCK, MYFLOCK_OP_EXCLUSIVE, FLUSH_TOUCH_LOCK_TRIES,
                      FLUSH_TOUCH_LOCK_DELAY, why) < 0) {
        msg_warn("%s: %s: %s", queue_id, path, vstring_str(why));
        return 0;
    }
    if (fstat(fd, &fst) < 0 || lstat(path, &pst) < 0)
        return 0;
    return S_ISREG(fst.st_mode) && fst.st_dev == pst.st_dev && fst.st_ino == pst.st_ino;
}

int
flush_touch_deferred(const char *queue_id, time_t now)
{
    struct vstring *path = vstring_alloc(64);
    struct vstring *why = vstring_alloc(100);
    struct timespec times[2] = {{now, 0}, {now, 0}};
    int done = 0;
    int fd;

    mail_queue_path(path, MAIL_QUEUE_DEFERRED, queue_id);
    fd = open(vstring_str(path), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT)
            msg_warn("%s: open %s: %m", queue_id, vstring_str(path));
    } else {
        if (flush_touch_lock(fd, vstring_str(path), queue_id, why)) {
            if (futimens(fd, times) == 0)
                done = 1;
            else
                msg_warn("%s: update %s time stamps: %m", queue_id, vstring_str(path));
        }
        close(fd);
    }
    if (msg_verbose)
        msg_info("%s: %s %s", queue_id, done ? "made due:" : "not in", vstring_str(path));
    vstring_free(path);
    vstring_free(why);
    return done;
}
