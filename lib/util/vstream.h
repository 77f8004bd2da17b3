/*
 * vstream - buffered streams over file descriptors, with timeouts.
 *
 * The one stream layer of Tern. A stream buffers reads and writes on one
 * descriptor. With a timeout set (vstream_set_timeout), every read or write
 * waits at most that many seconds for the descriptor; expiry sets the
 * timed-out flag and fails the operation, so a stalled peer cannot hang a
 * process. Line input is always bounded: vstream_get_line never stores
 * more than the caller's limit, so a 1 MB line costs no more than the
 * limit.
 *
 * Errors are sticky: after a failed write, vstream_flush and vstream_close
 * return -1. vstream_close always releases the stream.
 *
 * Positioning (files only):
 *   vstream_seek(stream, offset, whence)   as lseek(2), in terms of what the
 *       caller has read or written: pending writes are flushed first, the
 *       read buffer is discarded (SEEK_CUR counts from the caller's place,
 *       not the descriptor's), and the EOF flag is cleared. Returns the new
 *       offset, or -1 with errno set (a failed flush, a stream with the
 *       error flag set, or lseek's error, e.g. ESPIPE on a pipe); a failed
 *       lseek leaves the stream as it was.
 *   vstream_tell(stream)  the caller's offset: the descriptor's, less the
 *       bytes read ahead, plus the bytes not yet written; -1 on error.
 */
#ifndef TERN_VSTREAM_H
#define TERN_VSTREAM_H

#include <stddef.h>
#include <sys/types.h>

#include "util/vstring.h"

#define VSTREAM_EOF (-1)

#define VSTREAM_FLAG_ERR      (1 << 0)
#define VSTREAM_FLAG_EOF      (1 << 1)
#define VSTREAM_FLAG_TIMEOUT  (1 << 2)
#define VSTREAM_FLAG_NOCLOSE  (1 << 3) /* vstream_close leaves the fd open */

struct vstream {
    int fd;
    int flags;
    int timeout;   /* seconds; 0 means wait forever */
    char *path;    /* for diagnostics */
    char *rbuf;    /* read buffer */
    size_t rpos;   /* next byte to return */
    size_t rlen;   /* bytes in rbuf */
    char *wbuf;    /* write buffer */
    size_t wlen;   /* bytes pending */
    size_t bufsize;
};

struct vstream *vstream_fdopen(int fd, const char *path);
struct vstream *vstream_fopen(const char *path, int open_flags, mode_t mode);
int vstream_close(struct vstream *sp);
void vstream_set_timeout(struct vstream *sp, int seconds);

int vstream_getc(struct vstream *sp);
size_t vstream_read(struct vstream *sp, void *buf, size_t len);
int vstream_get_line(struct vstream *sp, struct vstring *buf, size_t limit);

int vstream_write(struct vstream *sp, const void *data, size_t len);
int vstream_puts(struct vstream *sp, const char *str);
int vstream_putc(struct vstream *sp, int ch);
int vstream_printf(struct vstream *sp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int vstream_flush(struct vstream *sp);

off_t vstream_seek(struct vstream *sp, off_t offset, int whence);
off_t vstream_tell(struct vstream *sp);

struct vstream *vstream_stdin(void);
struct vstream *vstream_stdout(void);

#define vstream_error(sp) ((sp)->flags & VSTREAM_FLAG_ERR)
#define vstream_eof(sp) ((sp)->flags & VSTREAM_FLAG_EOF)
#define vstream_timed_out(sp) ((sp)->flags & VSTREAM_FLAG_TIMEOUT)
#define vstream_path(sp) ((sp)->path)
#define vstream_fileno(sp) ((sp)->fd)

#endif
