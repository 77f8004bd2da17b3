/*
 * vstream - buffered streams with timeouts; see vstream.h.
 *
 * Reads fill rbuf with one read(2); writes collect in wbuf and go out when
 * it is full or on vstream_flush. With a timeout, poll(2) guards each
 * system call; EINTR is retried. Writes under a timeout never block: see
 * vstream_write_some. A read of 0 bytes sets EOF; a failed or
 * timed-out call sets ERR (and TIMEOUT), which stays set. A seek flushes
 * the write buffer and empties the read buffer, so the descriptor's
 * offset and the caller's agree again.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "util/vstream.h"
#include "util/mymalloc.h"
#include "util/msg.h"

#define VSTREAM_BUFSIZE 65536

struct vstream *
vstream_fdopen(int fd, const char *path)
{
    struct vstream *sp = mycalloc(1, sizeof(*sp));

    sp->fd = fd;
    sp->path = mystrdup(path ? path : "unknown_stream");
    sp->bufsize = VSTREAM_BUFSIZE;
    return sp;
}

struct vstream *
vstream_fopen(const char *path, int open_flags, mode_t mode)
{
    int fd = open(path, open_flags | O_CLOEXEC, mode);

    if (fd < 0)
        return NULL;
    return vstream_fdopen(fd, path);
}

void
vstream_set_timeout(struct vstream *sp, int seconds)
{
    sp->timeout = seconds;
}

/* Waits until fd is ready for events; returns 0, or -1 with errno set. */
static int
vstream_wait(struct vstream *sp, short events)
{
    struct pollfd pfd = {.fd = sp->fd, .events = events};
    int n;

    if (sp->timeout <= 0)
        return 0;
    do {
        n = poll(&pfd, 1, sp->timeout * 1000);
    } while (n < 0 && errno == EINTR);
    if (n == 0) {
        sp->flags |= VSTREAM_FLAG_TIMEOUT | VSTREAM_FLAG_ERR;
        errno = ETIMEDOUT;
        return -1;
    }
    return n < 0 ? -1 : 0;
}

static int
vstream_fill(struct vstream *sp)
{
    ssize_t n;

    if (sp->flags & (VSTREAM_FLAG_ERR | VSTREAM_FLAG_EOF))
        return VSTREAM_EOF;
    if (sp->rbuf == NULL)
        sp->rbuf = mymalloc(sp->bufsize);
    if (vstream_wait(sp, POLLIN) < 0)
        return VSTREAM_EOF;
    do {
        n = read(sp->fd, sp->rbuf, sp->bufsize);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        sp->flags |= VSTREAM_FLAG_ERR;
        return VSTREAM_EOF;
    }
    if (n == 0) {
        sp->flags |= VSTREAM_FLAG_EOF;
        return VSTREAM_EOF;
    }
    sp->rpos = 0;
    sp->rlen = (size_t)n;
    return 0;
}

int
vstream_getc(struct vstream *sp)
{
    if (sp->rpos >= sp->rlen && vstream_fill(sp) == VSTREAM_EOF)
        return VSTREAM_EOF;
    return (unsigned char)sp->rbuf[sp->rpos++];
}

/* Reads up to len bytes, fewer only at EOF or error. */
size_t
vstream_read(struct vstream *sp, void *buf, size_t len)
{
    size_t done = 0;
    size_t chunk;

    while (done < len) {
        if (sp->rpos >= sp->rlen && vstream_fill(sp) == VSTREAM_EOF)
            break;
        chunk = sp->rlen - sp->rpos;
        if (chunk > len - done)
            chunk = len - done;
        memcpy((char *)buf + done, sp->rbuf + sp->rpos, chunk);
        sp->rpos += chunk;
        done += chunk;
    }
    return done;
}

/*
 * Appends one line to buf (after truncating it), newline included, storing
 * at most limit bytes (limit 0: no limit). Returns the last byte stored
 * ('\n' for a complete line), or VSTREAM_EOF when nothing was read. When
 * the limit is reached the rest of the line stays in the stream.
 */
int
vstream_get_line(struct vstream *sp, struct vstring *buf, size_t limit)
{
    int last = VSTREAM_EOF;
    char *nl;
    size_t chunk;

    vstring_reset(buf);
    for (;;) {
        if (limit && vstring_len(buf) >= limit)
            return last;
        if (sp->rpos >= sp->rlen && vstream_fill(sp) == VSTREAM_EOF)
            return last;
        chunk = sp->rlen - sp->rpos;
        if (limit && chunk > limit - vstring_len(buf))
            chunk = limit - vstring_len(buf);
        nl = memchr(sp->rbuf + sp->rpos, '\n', chunk);
        if (nl)
            chunk = (size_t)(nl - (sp->rbuf + sp->rpos)) + 1;
        vstring_memcat(buf, sp->rbuf + sp->rpos, chunk);
        sp->rpos += chunk;
        last = (unsigned char)vstring_str(buf)[vstring_len(buf) - 1];
        if (nl)
            return '\n';
    }
}

/*
 * One write that cannot block past the timeout: poll(2) promises room for
 * some bytes only, so with a timeout a socket is written with MSG_DONTWAIT
 * and anything else in PIPE_BUF pieces (what POLLOUT guarantees for pipes).
 */
static ssize_t
vstream_write_some(struct vstream *sp, const char *data, size_t len)
{
    ssize_t n;

    if (sp->timeout <= 0)
        return write(sp->fd, data, len);
    n = send(sp->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0 || errno != ENOTSOCK)
        return n;
    return write(sp->fd, data, len < PIPE_BUF ? len : PIPE_BUF);
}

static int
vstream_write_fd(struct vstream *sp, const char *data, size_t len)
{
    ssize_t n;

    while (len > 0) {
        if (vstream_wait(sp, POLLOUT) < 0)
            return -1;
        n = vstream_write_some(sp, data, len);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0) {
            sp->flags |= VSTREAM_FLAG_ERR;
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

int
vstream_flush(struct vstream *sp)
{
    if (sp->flags & VSTREAM_FLAG_ERR)
        return -1;
    if (sp->wlen > 0) {
        size_t len = sp->wlen;

        sp->wlen = 0;
        if (vstream_write_fd(sp, sp->wbuf, len) < 0)
            return -1;
    }
    return 0;
}

off_t
vstream_seek(struct vstream *sp, off_t offset, int whence)
{
    off_t pos;

    if (sp->flags & VSTREAM_FLAG_ERR) {
        errno = EIO;
        return -1;
    }
    if (vstream_flush(sp) < 0)
        return -1;
    /* The descriptor is ahead of the caller by the unread buffered bytes. */
    if (whence == SEEK_CUR)
        offset -= (off_t)(sp->rlen - sp->rpos);
    if ((pos = lseek(sp->fd, offset, whence)) < 0)
        return -1;
    sp->rpos = sp->rlen = 0;
    sp->flags &= ~VSTREAM_FLAG_EOF;
    return pos;
}

off_t
vstream_tell(struct vstream *sp)
{
    off_t pos;

    if (sp->flags & VSTREAM_FLAG_ERR) {
        errno = EIO;
        return -1;
    }
    if ((pos = lseek(sp->fd, 0, SEEK_CUR)) < 0)
        return -1;
    return pos - (off_t)(sp->rlen - sp->rpos) + (off_t)sp->wlen;
}

int
vstream_write(struct vstream *sp, const void *data, size_t len)
{
    if (sp->flags & VSTREAM_FLAG_ERR)
        return -1;
    if (sp->wbuf == NULL)
        sp->wbuf = mymalloc(sp->bufsize);
    if (sp->wlen + len > sp->bufsize) {
        if (vstream_flush(sp) < 0)
            return -1;
        if (len > sp->bufsize)
            return vstream_write_fd(sp, data, len);
    }
    memcpy(sp->wbuf + sp->wlen, data, len);
    sp->wlen += len;
    return 0;
}

int
vstream_puts(struct vstream *sp, const char *str)
{
    return vstream_write(sp, str, strlen(str));
}

int
vstream_putc(struct vstream *sp, int ch)
{
    char c = (char)ch;

    return vstream_write(sp, &c, 1);
}

int
vstream_printf(struct vstream *sp, const char *fmt, ...)
{
    struct vstring *buf = vstring_alloc(256);
    va_list ap;
    int status;

    va_start(ap, fmt);
    vstring_vsprintf_append(buf, fmt, ap);
    va_end(ap);
    status = vstream_write(sp, vstring_str(buf), vstring_len(buf));
    vstring_free(buf);
    return status;
}

int
vstream_close(struct vstream *sp)
{
    int status = vstream_flush(sp);

    if (!(sp->flags & VSTREAM_FLAG_NOCLOSE) && close(sp->fd) < 0)
        status = -1;
    myfree(sp->rbuf);
    myfree(sp->wbuf);
    myfree(sp->path);
    myfree(sp);
    return status;
}

static struct vstream *vstream_std[2];

struct vstream *
vstream_stdin(void)
{
    if (vstream_std[0] == NULL) {
        vstream_std[0] = vstream_fdopen(0, "stdin");
        vstream_std[0]->flags |= VSTREAM_FLAG_NOCLOSE;
    }
    return vstream_std[0];
}

struct vstream *
vstream_stdout(void)
{
    if (vstream_std[1] == NULL) {
        vstream_std[1] = vstream_fdopen(1, "stdout");
        vstream_std[1]->flags |= VSTREAM_FLAG_NOCLOSE;
    }
    return vstream_std[1];
}
