/*
 * mail_copy - write a queued message to a mailbox, a file or a command's
 * input, with the envelope lines a local delivery prepends (local(8)):
 *
 *   status = mail_copy(qf, fd, flags, &info, dsn, why);
 *
 * QF is a queue file opened for reading (deliver_request_content); the copy
 * starts at the first content line (mail_copy seeks there itself) and ends
 * at the extracted-section marker. FD is written through a private buffer.
 * FLAGS (MAIL_COPY_*) choose what is added:
 *   FROM         "From SENDER  Www Mmm dd hh:mm:ss yyyy" first (MAILER-DAEMON
 *                for the null sender; the current local time)
 *   RETURN_PATH  "Return-Path: <SENDER>" (external form)
 *   ORIG_RCPT    "X-Original-To: ORIG" when info.orig_rcpt is not empty
 *   DELIVERED    "Delivered-To: ADDR", lower case (info.delivered)
 *   QUOTE        ">" before each content line that starts with "From "
 *   BLANK        one empty line after the message
 *   TOFILE       FD is a file: note its size first, fsync it at the end,
 *                and on any failure truncate it back to that size
 * MAIL_COPY_MBOX is the set for a UNIX mailbox.
 *
 * Returns MAIL_COPY_STAT_OK (0), or MAIL_COPY_STAT_READ (the queue file
 * could not be read: DSN 4.3.0, "error reading message: ...") or
 * MAIL_COPY_STAT_WRITE ("error writing message: STRERROR" with DSN 4.3.0 for
 * a full file system, 5.2.2 for a full mailbox (EDQUOT, EFBIG), 4.2.0 for
 * EAGAIN/ESTALE, else 5.3.0), with DSN and WHY filled in. A failed write
 * never leaves part of a message in a file opened with TOFILE (unless the
 * truncation itself fails, which is logged as a warning).
 *
 * mail_copy_dsn(errno, default) is that error-to-DSN mapping, for callers
 * that open or lock files.
 */
#ifndef TERN_MAIL_COPY_H
#define TERN_MAIL_COPY_H

#include "mail/qfile.h"
#include "util/vstring.h"

#define MAIL_COPY_QUOTE (1 << 0)
#define MAIL_COPY_TOFILE (1 << 1)
#define MAIL_COPY_FROM (1 << 2)
#define MAIL_COPY_DELIVERED (1 << 3)
#define MAIL_COPY_RETURN_PATH (1 << 4)
#define MAIL_COPY_BLANK (1 << 5)
#define MAIL_COPY_ORIG_RCPT (1 << 6)
#define MAIL_COPY_MBOX                                                                             \
    (MAIL_COPY_FROM | MAIL_COPY_QUOTE | MAIL_COPY_TOFILE | MAIL_COPY_DELIVERED |                   \
     MAIL_COPY_RETURN_PATH | MAIL_COPY_BLANK | MAIL_COPY_ORIG_RCPT)

#define MAIL_COPY_STAT_OK 0
#define MAIL_COPY_STAT_READ (1 << 0)
#define MAIL_COPY_STAT_WRITE (1 << 1)

struct mail_copy_info {
    const char *sender;    /* envelope sender, internal form; "" for <> */
    const char *orig_rcpt; /* X-Original-To:, internal form; "" for none */
    const char *delivered; /* Delivered-To:, internal form */
};

int mail_copy(struct qfile *qf, int fd, int flags, const struct mail_copy_info *info,
              struct vstring *dsn, struct vstring *why);
const char *mail_copy_dsn(int err, const char *def_dsn);

#endif
