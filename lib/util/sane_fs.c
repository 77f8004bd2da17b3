/*
 * sane_fs - durable renames, directory creation and atomic file
 * replacement; see sane_fs.h.
 *
 * The "operation took effect although it failed" recovery of sane_rename
 * and sane_link applies only on NFS, where a retransmitted request can fail
 * after the first copy succeeded. On a local file system the same symptoms
 * mean another process won a race (two renames of one queue file), and
 * reporting success there would let both processes believe they own the
 * file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "util/mymalloc.h"
#include "util/sane_fs.h"

#define NFS_MAGIC 0x6969 /* statfs f_type of NFS, as in <linux/magic.h> */

int
fsync_path(const char *path)
{
    int fd;
    int saved_errno;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
        return -1;
    if (fsync(fd) < 0) {
        saved_errno = errno;
        close(fd);
        errno = saved_errno;
        return -1;
    }
    return close(fd);
}

int
fsync_dir(const char *dir)
{
    int fd;
    int saved_errno;

    if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return -1;
    /* EINVAL: this file system cannot sync directories; nothing more to do. */
    if (fsync(fd) < 0 && errno != EINVAL) {
        saved_errno = errno;
        close(fd);
        errno = saved_errno;
        return -1;
    }
    return close(fd);
}

/* The directory part of path: "a/b" -> "a", "b" -> ".", "/b" -> "/". */
static char *
parent_of(const char *path)
{
    size_t len = strlen(path);

    while (len > 1 && path[len - 1] == '/')
        len--;
    while (len > 0 && path[len - 1] != '/')
        len--;
    if (len == 0)
        return mystrdup(".");
    while (len > 1 && path[len - 1] == '/')
        len--;
    return mystrndup(path, len);
}

int
fsync_parent(const char *path)
{
    char *dir = parent_of(path);
    int ret = fsync_dir(dir);
    int saved_errno = errno;

    myfree(dir);
    errno = saved_errno;
    return ret;
}

static int
on_nfs(const char *path)
{
    char *dir = parent_of(path);
    struct statfs fs;
    int ret = statfs(dir, &fs) == 0 && fs.f_type == NFS_MAGIC;

    myfree(dir);
    return ret;
}

int
sane_rename(const char *from, const char *to)
{
    struct stat st;
    int saved_errno;

    if (rename(from, to) == 0)
        return 0;
    saved_errno = errno;
    if (saved_errno == ENOENT && on_nfs(to) && lstat(from, &st) < 0 && errno == ENOENT &&
        lstat(to, &st) == 0)
        return 0;
    errno = saved_errno;
    return -1;
}

int
sane_link(const char *from, const char *to)
{
    struct stat from_st;
    struct stat to_st;
    int saved_errno;

    if (link(from, to) == 0)
        return 0;
    saved_errno = errno;
    if (saved_errno == EEXIST && on_nfs(to) && lstat(from, &from_st) == 0 &&
        lstat(to, &to_st) == 0 && from_st.st_dev == to_st.st_dev && from_st.st_ino == to_st.st_ino)
        return 0;
    errno = saved_errno;
    return -1;
}

/* Makes one directory, or accepts an existing one. */
static int
mkdir_one(const char *path, mode_t mode)
{
    struct stat st;

    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return 0;
        errno = ENOTDIR;
        return -1;
    }
    if (errno != ENOENT)
        return -1;
    if (mkdir(path, mode) < 0) {
        if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            return 0; /* another process made it meanwhile */
        return -1;
    }
    return chmod(path, mode);
}

int
mkdir_p(const char *path, mode_t mode)
{
    char *copy;
    char *cp;
    int ret = 0;
    int saved_errno;

    if (*path == 0) {
        errno = ENOENT;
        return -1;
    }
    copy = mystrdup(path);
    for (cp = copy + 1; ret == 0 && *cp; cp++) {
        if (*cp != '/' || cp[-1] == '/')
            continue;
        *cp = 0;
        ret = mkdir_one(copy, mode);
        *cp = '/';
    }
    if (ret == 0)
        ret = mkdir_one(copy, mode);
    saved_errno = errno;
    myfree(copy);
    errno = saved_errno;
    return ret;
}

struct safe_replace *
safe_replace_open(const char *path, mode_t mode, int flags, struct vstring *why)
{
    struct safe_replace *sr;
    struct stat st;
    int saved_errno;

    if ((flags & SAFE_REPLACE_KEEP_MODE) && stat(path, &st) == 0)
        mode = st.st_mode;
    sr = mymalloc(sizeof(*sr));
    sr->path = mystrdup(path);
    sr->tmp_path = mymalloc(strlen(path) + sizeof(".tmpXXXXXX"));
    memcpy(sr->tmp_path, path, strlen(path));
    memcpy(sr->tmp_path + strlen(path), ".tmpXXXXXX", sizeof(".tmpXXXXXX"));
    if ((sr->fd = mkostemp(sr->tmp_path, O_CLOEXEC)) < 0) {
        vstring_sprintf(why, "create file %s: %m", sr->tmp_path);
    } else if (fchmod(sr->fd, mode & 07777) < 0) {
        vstring_sprintf(why, "set permissions of file %s: %m", sr->tmp_path);
        saved_errno = errno;
        close(sr->fd);
        unlink(sr->tmp_path);
        errno = saved_errno;
    } else {
        return sr;
    }
    saved_errno = errno;
    myfree(sr->path);
    myfree(sr->tmp_path);
    myfree(sr);
    errno = saved_errno;
    return NULL;
}

static void
safe_replace_free(struct safe_replace *sr)
{
    int saved_errno = errno;

    myfree(sr->path);
    myfree(sr->tmp_path);
    myfree(sr);
    errno = saved_errno;
}

/* Removes the temporary file after a failure, keeping errno. */
static int
safe_replace_fail(struct safe_replace *sr)
{
    int saved_errno = errno;

    if (sr->fd >= 0)
        close(sr->fd);
    unlink(sr->tmp_path);
    safe_replace_free(sr);
    errno = saved_errno;
    return -1;
}

int
safe_replace_commit(struct safe_replace *sr, struct vstring *why)
{
    int fd = sr->fd;

    if (fsync(fd) < 0) {
        vstring_sprintf(why, "fsync file %s: %m", sr->tmp_path);
        return safe_replace_fail(sr);
    }
    sr->fd = -1;
    if (close(fd) < 0) {
        vstring_sprintf(why, "close file %s: %m", sr->tmp_path);
        return safe_replace_fail(sr);
    }
    if (sane_rename(sr->tmp_path, sr->path) < 0) {
        vstring_sprintf(why, "rename file %s as %s: %m", sr->tmp_path, sr->path);
        return safe_replace_fail(sr);
    }
    if (fsync_parent(sr->path) < 0) {
        vstring_sprintf(why, "fsync directory of %s: %m", sr->path);
        safe_replace_free(sr);
        return -1; /* the new file is in place, but may not survive a crash */
    }
    safe_replace_free(sr);
    return 0;
}

void
safe_replace_abort(struct safe_replace *sr)
{
    (void)safe_replace_fail(sr);
}
