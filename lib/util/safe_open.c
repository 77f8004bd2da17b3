/*
 * safe_open - careful open or create of regular files; see safe_open.h.
 *
 * The checks on an existing file, in order: open with O_NOFOLLOW and
 * O_NONBLOCK (no symlink is followed for the last component, a FIFO cannot
 * stall us), fstat the descriptor (regular file, one link, optional owner),
 * then lstat the name and compare device, inode, link count and mode, so a
 * file swapped in between the open and the checks is noticed. O_TRUNC is
 * applied only after the checks pass, so a refused file is never changed.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "util/iostuff.h"
#include "util/msg.h"
#include "util/safe_open.h"

/* Checks the opened file; returns 0, or -1 with why and errno set. */
static int
safe_open_check(const char *path, int fd, struct stat *st, uid_t owner, struct vstring *why)
{
    struct stat lst;

    if (fstat(fd, st) < 0) {
        vstring_sprintf(why, "cannot examine open file: %m");
        return -1;
    }
    errno = EPERM;
    if (S_ISDIR(st->st_mode)) {
        vstring_sprintf(why, "file is a directory");
        errno = EISDIR;
    } else if (!S_ISREG(st->st_mode)) {
        vstring_sprintf(why, "file is not a regular file");
    } else if (st->st_nlink != 1) {
        vstring_sprintf(why, "file has %lu hard links", (unsigned long)st->st_nlink);
    } else if (owner != (uid_t)-1 && st->st_uid != owner) {
        vstring_sprintf(why, "file has wrong owner: uid %lu, not %lu", (unsigned long)st->st_uid,
                        (unsigned long)owner);
    } else if (lstat(path, &lst) < 0) {
        vstring_sprintf(why, "file status changed unexpectedly: %m");
        errno = EPERM;
    } else if (lst.st_dev != st->st_dev || lst.st_ino != st->st_ino ||
               lst.st_nlink != st->st_nlink || lst.st_mode != st->st_mode) {
        vstring_sprintf(why, "file status changed unexpectedly");
        errno = EPERM;
    } else {
        return 0;
    }
    return -1;
}

/* Explains a failed open of an existing file. */
static void
safe_open_explain(const char *path, int open_errno, struct vstring *why)
{
    struct stat lst;

    if (open_errno == ELOOP && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
        vstring_sprintf(why, "file is a symbolic link");
        errno = EPERM;
    } else {
        errno = open_errno;
        vstring_sprintf(why, "cannot open file: %m");
        errno = open_errno;
    }
}

/*
 * Applies what had to wait until the file was checked: O_TRUNC, and the
 * blocking mode unless the caller asked for O_NONBLOCK. Closes fd on failure.
 */
static int
safe_open_finish(int fd, int flags, struct stat *st, struct vstring *why)
{
    int saved_errno;

    if ((flags & O_TRUNC) && ftruncate(fd, 0) < 0) {
        vstring_sprintf(why, "cannot truncate file: %m");
    } else if ((flags & O_NONBLOCK) == 0 && non_blocking(fd, BLOCKING) < 0) {
        vstring_sprintf(why, "cannot set blocking mode: %m");
    } else {
        if (flags & O_TRUNC)
            st->st_size = 0;
        return fd;
    }
    saved_errno = errno;
    close(fd);
    errno = saved_errno;
    return -1;
}

static int
safe_open_exist(const char *path, int flags, struct stat *st, uid_t owner, struct vstring *why)
{
    int open_flags =
        (flags & ~(O_CREAT | O_EXCL | O_TRUNC)) | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
    int fd;
    int saved_errno;

    if ((fd = open(path, open_flags)) < 0) {
        safe_open_explain(path, errno, why);
        return -1;
    }
    if (safe_open_check(path, fd, st, owner, why) < 0) {
        saved_errno = errno;
        close(fd);
        errno = saved_errno;
        return -1;
    }
    return safe_open_finish(fd, flags, st, why);
}

static int
safe_open_create(const char *path, int flags, mode_t mode, struct stat *st, uid_t user, gid_t group,
                 struct vstring *why)
{
    int open_flags = flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
    int fd;
    int saved_errno;

    if ((fd = open(path, open_flags, mode)) < 0) {
        vstring_sprintf(why, "cannot create file exclusively: %m");
        return -1;
    }
    if (fstat(fd, st) < 0) {
        vstring_sprintf(why, "cannot examine open file: %m");
    } else if ((user != (uid_t)-1 || group != (gid_t)-1) && fchown(fd, user, group) < 0) {
        /* Do not remove the file: another process may have opened it by now. */
        vstring_sprintf(why, "cannot change file ownership: %m");
    } else {
        if (user != (uid_t)-1)
            st->st_uid = user;
        if (group != (gid_t)-1)
            st->st_gid = group;
        return safe_open_finish(fd, flags, st, why);
    }
    saved_errno = errno;
    close(fd);
    errno = saved_errno;
    return -1;
}

static int
safe_open_any(const char *path, int flags, mode_t mode, struct stat *st, uid_t user, gid_t group,
              uid_t owner, struct vstring *why)
{
    struct stat local_st;
    int fd;

    if (st == NULL)
        st = &local_st;
    switch (flags & (O_CREAT | O_EXCL)) {
    case 0:
        return safe_open_exist(path, flags, st, owner, why);
    case O_CREAT | O_EXCL:
        return safe_open_create(path, flags, mode, st, user, group, why);
    case O_CREAT:
        fd = safe_open_exist(path, flags, st, owner, why);
        if (fd < 0 && errno == ENOENT) {
            fd = safe_open_create(path, flags, mode, st, user, group, why);
            if (fd < 0 && errno == EEXIST)
                fd = safe_open_exist(path, flags, st, owner, why);
        }
        return fd;
    default:
        msg_panic("safe_open: O_EXCL flag without O_CREAT flag");
    }
}

int
safe_open(const char *path, int flags, mode_t mode, struct stat *st, uid_t user, gid_t group,
          struct vstring *why)
{
    return safe_open_any(path, flags, mode, st, user, group, (uid_t)-1, why);
}

int
safe_open_owned(const char *path, int flags, mode_t mode, struct stat *st, uid_t user, gid_t group,
                struct vstring *why)
{
    return safe_open_any(path, flags, mode, st, user, group, user, why);
}
