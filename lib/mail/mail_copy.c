/*
 * mail_copy - copy a queued message to a file descriptor with local(8)'s
 * envelope lines, ">From " quoting and truncate-on-failure (mail_copy.h).
 *
 * The copy goes through one vstream on FD (not closed here). The content
 * is read record by record (N: end of line, L: a piece that goes on), so
 * memory use does not grow with the message. A line is quoted when its
 * first piece starts with "From " (a piece shorter than five bytes is
 * completed from the next pieces before the test).
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mail/mail_copy.h"
#include "mail/quote_addr.h"
#include "util/msg.h"
#include "util/stringops.h"
#include "util/vstream.h"

const char *
mail_copy_dsn(int err, const char *def_dsn)
{
    if (err == ENOSPC)
        return "4.3.0";
    if (err == EDQUOT || err == EFBIG)
        return "5.2.2";
    if (err == EAGAIN || err == ESTALE)
        return "4.2.0";
    return def_dsn;
}

/* Writes the lines that go before the content. */
static void
mail_copy_envelope(struct vstream *out, int flags, const struct mail_copy_info *info)
{
    struct vstring *buf = vstring_alloc(100);
    time_t now = time(NULL);
    struct tm tm;
    char date[64];

    if (flags & MAIL_COPY_FROM) {
        localtime_r(&now, &tm);
        strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", &tm);
        if (*info->sender)
            quote_822_local(buf, info->sender, QUOTE_FLAG_DEFAULT);
        else
            vstring_strcpy(buf, "MAILER-DAEMON");
        vstream_printf(out, "From %s  %s\n", vstring_str(buf), date);
    }
    if (flags & MAIL_COPY_RETURN_PATH) {
        quote_822_local(buf, info->sender, QUOTE_FLAG_DEFAULT);
        vstream_printf(out, "Return-Path: <%s>\n", *info->sender ? vstring_str(buf) : "");
    }
    if ((flags & MAIL_COPY_ORIG_RCPT) && info->orig_rcpt && *info->orig_rcpt) {
        quote_822_local(buf, info->orig_rcpt, QUOTE_FLAG_DEFAULT);
        vstream_printf(out, "X-Original-To: %s\n", vstring_str(buf));
    }
    if ((flags & MAIL_COPY_DELIVERED) && info->delivered) {
        quote_822_local(buf, info->delivered, QUOTE_FLAG_DEFAULT);
        vstream_printf(out, "Delivered-To: %s\n", lowercase(vstring_str(buf)));
    }
    vstring_free(buf);
}

/*
 * Copies the content; 0, or -1 with a read error in why. "From " quoting
 * looks at the start of each line, which may span several L pieces.
 */
static int
mail_copy_content(struct qfile *qf, struct vstream *out, int flags, int *werr, struct vstring *why)
{
    struct qfile_rec rec;
    struct vstring *head = vstring_alloc(8); /* start of a line, < 5 bytes */
    int at_start = 1;
    int type;

    if (qfile_seek_content(qf, why) < 0) {
        vstring_free(head);
        return -1;
    }
    while ((type = qfile_read(qf, &rec, why)) > 0 && type != REC_TYPE_XTRA) {
        if (type != REC_TYPE_NORM && type != REC_TYPE_CONT)
            continue;
        if (at_start && (flags & MAIL_COPY_QUOTE)) {
            vstring_memcat(head, rec.data, rec.len);
            if (vstring_len(head) < 5 && type == REC_TYPE_CONT)
                continue;
            if (strncmp(vstring_str(head), "From ", 5) == 0)
                vstream_putc(out, '>');
            vstream_write(out, vstring_str(head), vstring_len(head));
            vstring_reset(head);
        } else {
            vstream_write(out, rec.data, rec.len);
        }
        at_start = (type == REC_TYPE_NORM);
        if (at_start)
            vstream_putc(out, '\n');
        if (vstream_error(out)) {
            *werr = errno ? errno : EIO;
            break;
        }
    }
    if (vstring_len(head) > 0)
        vstream_write(out, vstring_str(head), vstring_len(head));
    vstring_free(head);
    if (type < 0)
        return -1;
    if (type == 0) {
        vstring_strcpy(why, "unexpected end of queue file");
        return -1;
    }
    return 0;
}

/* Truncates a file back after a failed copy. */
static void
mail_copy_truncate(int fd, off_t size)
{
    if (size >= 0 && ftruncate(fd, size) < 0)
        msg_warn("truncate file back to %ld bytes: %s", (long)size, strerror(errno));
}

int
mail_copy(struct qfile *qf, int fd, int flags, const struct mail_copy_info *info,
          struct vstring *dsn, struct vstring *why)
{
    struct vstream *out;
    struct vstring *read_why = vstring_alloc(100);
    off_t orig_size = -1;
    int read_error;
    int write_error;
    int err = 0;

    if ((flags & MAIL_COPY_TOFILE) && (orig_size = lseek(fd, 0, SEEK_END)) < 0) {
        err = errno;
        vstring_strcpy(dsn, mail_copy_dsn(err, "5.3.0"));
        vstring_sprintf(why, "error writing message: %s", strerror(err));
        vstring_free(read_why);
        return MAIL_COPY_STAT_WRITE;
    }
    out = vstream_fdopen(fd, "mailbox");
    out->flags |= VSTREAM_FLAG_NOCLOSE;
    mail_copy_envelope(out, flags, info);
    if (vstream_error(out))
        err = errno ? errno : EIO;
    read_error = vstream_error(out) ? 0 : mail_copy_content(qf, out, flags, &err, read_why) < 0;
    if ((flags & MAIL_COPY_BLANK) && !vstream_error(out) && vstream_putc(out, '\n') < 0)
        err = errno ? errno : EIO;
    if (!vstream_error(out) && vstream_flush(out) < 0)
        err = errno ? errno : EIO;
    write_error = vstream_error(out) != 0;
    if (write_error && err == 0)
        err = EIO;
    if (!write_error && !read_error && (flags & MAIL_COPY_TOFILE) && fsync(fd) < 0) {
        write_error = 1;
        err = errno;
    }
    vstream_close(out);
    if (read_error || write_error) {
        if (flags & MAIL_COPY_TOFILE)
            mail_copy_truncate(fd, orig_size);
    }
    if (read_error) {
        vstring_strcpy(dsn, "4.3.0");
        vstring_sprintf(why, "error reading message: %s", vstring_str(read_why));
    } else if (write_error) {
        vstring_strcpy(dsn, mail_copy_dsn(err, "5.3.0"));
        vstring_sprintf(why, "error writing message: %s", strerror(err));
    }
    vstring_free(read_why);
    return (read_error ? MAIL_COPY_STAT_READ : 0) | (write_error ? MAIL_COPY_STAT_WRITE : 0);
}
