/*
 * mbox_open - open and lock a UNIX mailbox (or any file local(8) appends
 * to) the way mail readers expect: a "path.lock" dot lock and/or a kernel
 * lock on the open file, as mailbox_delivery_lock says.
 *
 *   mask = mbox_lock_mask("fcntl, dotlock")   MBOX_*_LOCK bits; -1 with an
 *       unknown name (the caller reports it as a configuration error)
 *   mp = mbox_open(path, flags, mode, &st, uid, gid, mask, def_dsn, dsn, why)
 *       1. with MBOX_DOT_LOCK, creates path.lock (deliver_lock_attempts
 *          tries, deliver_lock_delay apart, stale_lock_time to break an
 *          abandoned lock). A lock that stays busy fails with DSN 4.2.0;
 *          another failure (no write permission in the directory) is
 *          ignored with MBOX_DOT_LOCK_MAY_FAIL, else fails with
 *          mail_copy_dsn(errno, DEF_DSN);
 *       2. opens path with safe_open (FLAGS, MODE; a new file gets owner
 *          UID/GID): failure gives mail_copy_dsn(errno, DEF_DSN) and
 *          safe_open's reason ("cannot open file: ...");
 *       3. takes MBOX_FCNTL_LOCK and/or MBOX_FLOCK_LOCK (exclusive, with
 *          the same tries and delay): a lock held too long gives 4.2.0
 *          "unable to lock for exclusive access: ...".
 *       Returns the open mailbox (mp->fd, close-on-exec) or NULL with DSN
 *       and WHY set; on NULL no lock is left behind.
 *   mbox_release(mp)   unlocks, closes and removes the dot lock; frees mp.
 *
 * Locks are taken with the caller's current (effective) privileges; local
 * switches to the recipient first, or to root for a protected spool
 * directory. The kernel locks belong to this process: do not hand mp->fd to
 * a child while relying on the fcntl lock.
 */
#ifndef TERN_MBOX_OPEN_H
#define TERN_MBOX_OPEN_H

#include <sys/stat.h>
#include <sys/types.h>

#include "util/vstring.h"

#define MBOX_FLOCK_LOCK (1 << 0)
#define MBOX_FCNTL_LOCK (1 << 1)
#define MBOX_DOT_LOCK (1 << 2)
#define MBOX_DOT_LOCK_MAY_FAIL (1 << 3)

struct mbox {
    char *path;
    int fd;
    int locked; /* MBOX_*_LOCK bits actually held */
};

int mbox_lock_mask(const char *setting);
struct mbox *mbox_open(const char *path, int flags, mode_t mode, struct stat *st, uid_t uid,
                       gid_t gid, int lock_mask, const char *def_dsn, struct vstring *dsn,
                       struct vstring *why);
void mbox_release(struct mbox *mp);

#endif
