/*
 * logwriter - append log records to maillog_file; see logwriter.h.
 *
 * A new file is created with O_EXCL and then given exactly the requested
 * mode, so the result does not depend on the umask of whoever creates it
 * (postlogd runs with the master's umask 077, the postfix command with
 * 022). An existing file is opened with safe_open's checks and keeps its
 * permissions. Rotation is noticed by comparing the device and inode that
 * the path names now with those of the open descriptor.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/logwriter.h"
#include "util/mymalloc.h"
#include "util/safe_open.h"
#include "util/valid_utf8.h"

#define LOGWRITER_STDOUT "/dev/stdout"

struct logwriter {
    char *path;
    mode_t mode;
    int fd;
    int is_stdout;
    dev_t dev;
    ino_t ino;
};

size_t
logwriter_clean(char *buf, size_t len)
{
    int utf8;

    if (len > 0 && buf[len - 1] == '\n')
        len--;
    utf8 = valid_utf8_string(buf, len);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)buf[i];

        if (ch < 0x20 || ch == 0x7f || (ch >= 0x80 && !utf8))
            buf[i] = '?';
    }
    return len;
}

/* Opens or creates path for appending; st gets the file's attributes. */
static int
logwriter_open_fd(const char *path, mode_t mode, struct stat *st, struct vstring *why)
{
    int fd;

    fd = safe_open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL, mode, st, (uid_t)-1, (gid_t)-1,
                   why);
    if (fd >= 0) {
        (void)fchmod(fd, mode);
        return fd;
    }
    if (errno != EEXIST)
        return -1;
    return safe_open(path, O_WRONLY | O_APPEND, 0, st, (uid_t)-1, (gid_t)-1, why);
}

struct logwriter *
logwriter_open(const char *path, mode_t mode, struct vstring *why)
{
    struct logwriter *lw;
    struct stat st;
    int fd = STDOUT_FILENO;
    int is_stdout = strcmp(path, LOGWRITER_STDOUT) == 0;

    if (!is_stdout && (fd = logwriter_open_fd(path, mode, &st, why)) < 0)
        return NULL;
    lw = mymalloc(sizeof(*lw));
    lw->path = mystrdup(path);
    lw->mode = mode;
    lw->fd = fd;
    lw->is_stdout = is_stdout;
    lw->dev = is_stdout ? 0 : st.st_dev;
    lw->ino = is_stdout ? 0 : st.st_ino;
    return lw;
}

/* Writes every byte of one line; survives EINTR and short writes. */
static int
logwriter_write_fd(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Copies, cleans and terminates one record in line; returns its length. */
static size_t
logwriter_line(char *line, const char *buf, size_t len)
{
    if (len > LOGWRITER_RECORD_MAX)
        len = LOGWRITER_RECORD_MAX;
    memcpy(line, buf, len);
    len = logwriter_clean(line, len);
    line[len++] = '\n';
    return len;
}

int
logwriter_write(struct logwriter *lw, const char *buf, size_t len)
{
    char line[LOGWRITER_RECORD_MAX + 1];

    len = logwriter_line(line, buf, len);
    return logwriter_write_fd(lw->fd, line, len);
}

int
logwriter_rotated(struct logwriter *lw)
{
    struct stat st;

    if (lw->is_stdout)
        return 0;
    if (stat(lw->path, &st) < 0)
        return errno == ENOENT || errno == ENOTDIR;
    return st.st_dev != lw->dev || st.st_ino != lw->ino;
}

int
logwriter_reopen(struct logwriter *lw, struct vstring *why)
{
    struct stat st;
    int fd;

    if (lw->is_stdout)
        return 0;
    if ((fd = logwriter_open_fd(lw->path, lw->mode, &st, why)) < 0)
        return -1;
    close(lw->fd);
    lw->fd = fd;
    lw->dev = st.st_dev;
    lw->ino = st.st_ino;
    return 0;
}

void
logwriter_close(struct logwriter *lw)
{
    if (!lw->is_stdout)
        close(lw->fd);
    myfree(lw->path);
    myfree(lw);
}

int
logwriter_one_shot(const char *path, mode_t mode, const char *buf, size_t len, struct vstring *why)
{
    struct logwriter *lw;
    int status;
    int saved_errno;

    if ((lw = logwriter_open(path, mode, why)) == NULL)
        return -1;
    status = logwriter_write(lw, buf, len);
    saved_errno = errno;
    if (status < 0)
        vstring_sprintf(why, "write: %s", strerror(saved_errno));
    logwriter_close(lw);
    errno = saved_errno;
    return status;
}
