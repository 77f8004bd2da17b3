/*
 * mbox_open - lock and open a mailbox file (mbox_open.h). The order is
 * the one mail readers use: the dot lock first (it guards the name, even
 * before the file exists), then the open, then the kernel locks on the
 * open file. Every failure path undoes what was done before it.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "mail/mail_copy.h"
#include "mail/mbox_open.h"
#include "util/argv.h"
#include "util/dot_lockfile.h"
#include "util/myflock.h"
#include "util/mymalloc.h"
#include "util/safe_open.h"
#include "util/stringops.h"

int
mbox_lock_mask(const char *setting)
{
    struct argv *names = argv_split(setting, CHARS_COMMA_SP);
    int mask = 0;

    for (size_t i = 0; i < names->argc; i++) {
        if (strcasecmp(names->argv[i], "flock") == 0)
            mask |= MBOX_FLOCK_LOCK;
        else if (strcasecmp(names->argv[i], "fcntl") == 0)
            mask |= MBOX_FCNTL_LOCK;
        else if (strcasecmp(names->argv[i], "dotlock") == 0)
            mask |= MBOX_DOT_LOCK;
        else
            mask = -1;
        if (mask < 0)
            break;
    }
    argv_free(names);
    return mask;
}

/* The kernel lock of one style; 0, or -1 with dsn and why. */
static int
mbox_kernel_lock(struct mbox *mp, int style, int bit, int tries, int delay_ms, struct vstring *dsn,
                 struct vstring *why)
{
    if (myflock_retry(mp->fd, style, MYFLOCK_OP_EXCLUSIVE, tries, delay_ms, why) < 0) {
        vstring_strcpy(dsn, "4.2.0");
        return -1;
    }
    mp->locked |= bit;
    return 0;
}

struct mbox *
mbox_open(const char *path, int flags, mode_t mode, struct stat *st, uid_t uid, gid_t gid,
          int lock_mask, const char *def_dsn, struct vstring *dsn, struct vstring *why)
{
    int tries = (int)mail_conf_get_int("deliver_lock_attempts");
    int delay_ms = (int)mail_conf_get_time("deliver_lock_delay") * 1000;
    int stale = (int)mail_conf_get_time("stale_lock_time");
    struct mbox *mp = mymalloc(sizeof(*mp));
    struct stat local_st;

    if (st == NULL)
        st = &local_st;
    if (delay_ms <= 0)
        delay_ms = 100;
    mp->path = mystrdup(path);
    mp->fd = -1;
    mp->locked = 0;
    if (lock_mask & MBOX_DOT_LOCK) {
        if (dot_lockfile(path, tries, delay_ms, stale, why) == 0) {
            mp->locked |= MBOX_DOT_LOCK;
        } else if (errno == EEXIST) {
            vstring_strcpy(dsn, "4.2.0");
            mbox_release(mp);
            return NULL;
        } else if ((lock_mask & MBOX_DOT_LOCK_MAY_FAIL) == 0) {
            vstring_strcpy(dsn, mail_copy_dsn(errno, def_dsn));
            mbox_release(mp);
            return NULL;
        }
    }
    if ((mp->fd = safe_open(path, flags, mode, st, uid, gid, why)) < 0) {
        vstring_strcpy(dsn, mail_copy_dsn(errno, def_dsn));
        mbox_release(mp);
        return NULL;
    }
    if (((lock_mask & MBOX_FCNTL_LOCK) && mbox_kernel_lock(mp, MYFLOCK_STYLE_FCNTL, MBOX_FCNTL_LOCK,
                                                           tries, delay_ms, dsn, why) < 0) ||
        ((lock_mask & MBOX_FLOCK_LOCK) && mbox_kernel_lock(mp, MYFLOCK_STYLE_FLOCK, MBOX_FLOCK_LOCK,
                                                           tries, delay_ms, dsn, why) < 0)) {
        mbox_release(mp);
        return NULL;
    }
    return mp;
}

void
mbox_release(struct mbox *mp)
{
    int saved_errno = errno;

    if (mp->fd >= 0) {
        if (mp->locked & MBOX_FCNTL_LOCK)
            myflock(mp->fd, MYFLOCK_STYLE_FCNTL, MYFLOCK_OP_NONE);
        if (mp->locked & MBOX_FLOCK_LOCK)
            myflock(mp->fd, MYFLOCK_STYLE_FLOCK, MYFLOCK_OP_NONE);
        close(mp->fd);
    }
    if (mp->locked & MBOX_DOT_LOCK)
        dot_unlockfile(mp->path);
    myfree(mp->path);
    myfree(mp);
    errno = saved_errno;
}
