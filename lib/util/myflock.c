/*
 * myflock - flock(2) and fcntl(2) whole-file locks behind one call; see
 * myflock.h.
 *
 * A bad style or operation is a programming error and panics. Errors from
 * the kernel are returned to the caller with errno; EWOULDBLOCK and EACCES
 * (what some systems say for a held fcntl lock) become EAGAIN.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "util/msg.h"
#include "util/myflock.h"

static int
myflock_flock(int fd, int operation)
{
    int op;

    if (operation == MYFLOCK_OP_NONE)
        op = LOCK_UN;
    else
        op = (operation & MYFLOCK_OP_EXCLUSIVE) ? LOCK_EX : LOCK_SH;
    if (operation & MYFLOCK_OP_NOWAIT)
        op |= LOCK_NB;
    while (flock(fd, op) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return 0;
}

static int
myflock_fcntl(int fd, int operation)
{
    struct flock lock;
    int cmd = (operation & MYFLOCK_OP_NOWAIT) ? F_SETLK : F_SETLKW;

    memset(&lock, 0, sizeof(lock));
    lock.l_whence = SEEK_SET; /* l_start = l_len = 0: the whole file, also as it grows */
    if (operation == MYFLOCK_OP_NONE)
        lock.l_type = F_UNLCK;
    else
        lock.l_type = (operation & MYFLOCK_OP_EXCLUSIVE) ? F_WRLCK : F_RDLCK;
    while (fcntl(fd, cmd, &lock) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return 0;
}

int
myflock(int fd, int style, int operation)
{
    int ret;

    if ((operation & ~MYFLOCK_OP_BITS) != 0 ||
        (operation & (MYFLOCK_OP_SHARED | MYFLOCK_OP_EXCLUSIVE)) ==
            (MYFLOCK_OP_SHARED | MYFLOCK_OP_EXCLUSIVE) ||
        operation == MYFLOCK_OP_NOWAIT)
        msg_panic("myflock: bad lock operation: 0x%x", (unsigned)operation);
    if (style == MYFLOCK_STYLE_FLOCK)
        ret = myflock_flock(fd, operation);
    else if (style == MYFLOCK_STYLE_FCNTL)
        ret = myflock_fcntl(fd, operation);
    else
        msg_panic("myflock: bad lock style: %d", style);
    if (ret < 0 && (errno == EWOULDBLOCK || errno == EACCES))
        errno = EAGAIN;
    return ret;
}

/* Sleeps for about ms milliseconds, spread by +-50% so waiters do not march in step. */
static void
myflock_sleep(int ms)
{
    struct timespec ts;
    unsigned long noise;
    long spread;
    long total;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    noise = (unsigned long)getpid() * 2654435761UL + (unsigned long)ts.tv_nsec;
    spread = ms > 1 ? (long)(noise % (unsigned long)ms) - ms / 2 : 0;
    total = ms + spread;

    ts.tv_sec = total / 1000;
    ts.tv_nsec = (total % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        continue;
}

int
myflock_retry(int fd, int style, int operation, int tries, int delay_ms, struct vstring *why)
{
    int saved_errno;

    if (operation == MYFLOCK_OP_NONE)
        msg_panic("myflock_retry: bad lock operation: unlock");
    for (int count = 1;; count++) {
        if (myflock(fd, style, operation | MYFLOCK_OP_NOWAIT) == 0)
            return 0;
        if (errno != EAGAIN || count >= tries)
            break;
        myflock_sleep(delay_ms);
    }
    saved_errno = errno;
    if (why)
        vstring_sprintf(why, "unable to lock for %s access: %m",
                        (operation & MYFLOCK_OP_EXCLUSIVE) ? "exclusive" : "shared");
    errno = saved_errno;
    return -1;
}

int
myflock_style(const char *name)
{
    if (strcmp(name, "flock") == 0)
        return MYFLOCK_STYLE_FLOCK;
    if (strcmp(name, "fcntl") == 0)
        return MYFLOCK_STYLE_FCNTL;
    return -1;
}
