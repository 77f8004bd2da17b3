/*
 * pid_file - exclusive process-id lock files; see pid_file.h.
 *
 * flock(2) rather than fcntl locks: the lock belongs to the open file, so
 * neither closing another descriptor of the file nor a fork can lose it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/iostuff.h"
#include "util/myflock.h"
#include "util/pid_file.h"
#include "util/safe_open.h"

/* Postfix's field width for the pid: four columns per byte of an unsigned long. */
#define PID_FILE_WIDTH ((int)sizeof(unsigned long) * 4)

static int
pid_file_write(int fd, struct vstring *why)
{
    char text[PID_FILE_WIDTH + 32];
    int len = snprintf(text, sizeof(text), "%*lu\n", PID_FILE_WIDTH, (unsigned long)getpid());

    if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0 ||
        write_all(fd, text, (size_t)len, -1) < 0) {
        vstring_sprintf(why, "cannot update lock file: %m");
        return -1;
    }
    return 0;
}

int
pid_file_lock(const char *path, struct vstring *why)
{
    int fd;
    int saved_errno;

    if ((fd = safe_open(path, O_RDWR | O_CREAT, 0644, NULL, (uid_t)-1, (gid_t)-1, why)) < 0)
        return -1;
    if (myflock(fd, MYFLOCK_STYLE_FLOCK, MYFLOCK_OP_EXCLUSIVE | MYFLOCK_OP_NOWAIT) < 0) {
        saved_errno = errno;
        vstring_sprintf(why, "unable to set exclusive lock: %m");
        close(fd);
        errno = saved_errno;
        return -1;
    }
    if (pid_file_write(fd, why) < 0) {
        saved_errno = errno;
        close(fd);
        errno = saved_errno;
        return -1;
    }
    return fd;
}

/* Parses the pid in the first line of the file; -1 if there is none. */
static pid_t
pid_file_read(int fd)
{
    char text[128];
    ssize_t len;
    char *end;
    long pid;

    if ((len = pread(fd, text, sizeof(text) - 1, 0)) <= 0)
        return -1;
    text[len] = 0;
    errno = 0;
    pid = strtol(text, &end, 10);
    if (errno != 0 || end == text || pid <= 0 || (*end != '\n' && *end != 0))
        return -1;
    return (pid_t)pid;
}

pid_t
pid_file_owner(const char *path)
{
    int fd;
    pid_t pid;

    if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0)
        return errno == ENOENT ? 0 : -1;
    if (myflock(fd, MYFLOCK_STYLE_FLOCK, MYFLOCK_OP_SHARED | MYFLOCK_OP_NOWAIT) == 0) {
        close(fd); /* nobody holds it: absent owner, stale file */
        return 0;
    }
    if (errno != EAGAIN) {
        int saved_errno = errno;

        close(fd);
        errno = saved_errno;
        return -1;
    }
    pid = pid_file_read(fd);
    close(fd);
    if (pid < 0) {
        errno = EINVAL;
        return -1;
    }
    return pid;
}
