/*
 * qfile - queue files: create, write, commit, open, validate, read, and
 * mark recipients done in place. The only code that reads or writes the
 * bytes of a queue file; docs/queue-format.md describes them.
 *
 * Writing (cleanup, postdrop):
 *
 *   qf = qfile_create(MAIL_QUEUE_INCOMING, var_enable_long_queue_ids, 0600, why);
 *   qfile_put_time(qf, &arrival);              envelope: time and sender first,
 *   qfile_put_sender(qf, sender);              then attributes, DSN, recipients
 *   qfile_put_attr(qf, "log_client_name", name);
 *   qfile_put_rcpt(qf, &rcpt);
 *   qfile_begin_content(qf);
 *   qfile_put_line(qf, line, len);             each line, without its newline
 *   qfile_begin_extracted(qf);                 optional: commit adds it
 *   qfile_put_rcpt(qf, &rcpt);                 recipients found in headers, ...
 *   if (qfile_commit(qf, why) == 0) ...only now answer "queued as" qfile_id...
 *
 * qfile_id(qf) is known from qfile_create on. Every put checks the record
 * against the format's rules (order, counts, payload shape) exactly as a
 * reader will; a record that breaks them (bad bytes from a client, or a
 * caller's mistake) is not written, and the put returns -1 with the
 * reason in qfile_error(qf). Errors are sticky: after the first failed
 * put or write, every put returns -1 and qfile_commit fails with that
 * reason and removes the file. qfile_commit writes the end record, fills
 * in the header, flushes, fsyncs, renames the file to its id and fsyncs
 * the directory (mail_queue_commit); it returns 0 only when the file is
 * durable and complete under its name, and frees qf either way. Nothing
 * else makes a message exist: a writer that stops before qfile_commit
 * returns leaves only a temporary file, which recovery removes.
 * qfile_abort(qf) gives up and removes the temporary file.
 * qfile_change_queue(qf, queue, why) moves a file that is still being
 * written (its temporary name, with its id and lock) to another queue's
 * top directory, so that the commit puts it there (cleanup: a HOLD
 * action found after the id was given out). 0, or -1 with why.
 *
 * Reading (qmgr, agents, showq, postcat, pickup):
 *
 *   switch (qfile_open(queue, id, QFILE_OPEN_READ, &qf, why)) {
 *   case QFILE_OK:       break;
 *   case QFILE_CORRUPT:  mail_queue_quarantine(queue, id, vstring_str(why)); ...
 *   case QFILE_SYSERR:   ...errno; ENOENT: the file went away...
 *   }
 *   while ((type = qfile_read(qf, &rec, why)) > 0 && type != REC_TYPE_MESG)
 *       ...envelope: rec.time, rec.text, rec.name/rec.value, rec.rcpt...
 *   qfile_seek(qf, qfile_info(qf)->extracted_offset, why); ...
 *   qfile_close(qf);
 *
 * qfile_open_path opens a file by path, qfile_fdopen an open descriptor
 * (which it takes over: closed by qfile_close, or at once on failure).
 * qfile_open validates the whole file (qfile_validate) before it returns
 * QFILE_OK, and positions the reader at the first envelope record; with
 * QFILE_OPEN_NOVALIDATE (postcat, to show a broken file) it does not.
 * qfile_read returns the record type (> 0), 0 after the end record, or
 * -1 with a reason; it checks each record again (type allowed at its
 * offset, payload shape), so even an unvalidated file cannot mislead it.
 * The decoded fields of rec point into qf and stay valid until the next
 * qfile_read, qfile_seek or qfile_close. qfile_seek accepts record offsets
 * (rec.offset, the offsets of qfile_info); qfile_seek_content goes to the
 * first line.
 *
 * Updating in place (qmgr; open with QFILE_OPEN_UPDATE):
 *
 *   qfile_rcpt_done(qf, rec.offset, why)   set the done-marker of the
 *       recipient record at that offset (one byte; the record is checked
 *       first, so a stale offset fails instead of damaging the file)
 *   qfile_set_warn(qf, rec.offset, when, why)  rewrite the warn record
 *   qfile_sync(qf)                         fsync, when the change must
 *       survive a crash before the next step
 * Bytes already buffered by the reader do not see the change.
 *
 * Payload encodings shared with record streams (cleanup_clnt, cleanup),
 * so each exists once:
 *   qfile_rcpt_encode(buf, &rcpt)    a recipient record's payload into buf
 *   qfile_rcpt_decode(data, len, &rcpt, store, why)   checks a recipient
 *       payload as a reader does and decodes it; the strings live in
 *       store (overwritten by the next call with it). 0, or -1 with why.
 *   qfile_time_encode(out, &tv), qfile_time_decode(data, len, &tv, why)
 *       the 12-byte time payload (decode: 0, or -1 with why).
 *
 * Limits: no payload exceeds RECORD_LEN_MAX; line pieces are at most
 * QFILE_PIECE_MAX. Memory use is one record at a time, whatever the file
 * size or recipient count.
 */
#ifndef TERN_QFILE_H
#define TERN_QFILE_H

#include <stdint.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>

#include "mail/rec_type.h"
#include "util/vstring.h"

#define QFILE_PIECE_MAX 65536 /* longest line piece qfile_put_line writes */

/* qfile_open flags. */
#define QFILE_OPEN_READ 0
#define QFILE_OPEN_UPDATE (1 << 0)     /* read and write: done-markers, warn time */
#define QFILE_OPEN_NOVALIDATE (1 << 1) /* skip qfile_validate (postcat) */

/* qfile_open results. */
#define QFILE_OK 0
#define QFILE_SYSERR (-1)  /* could not open or read: errno and why */
#define QFILE_CORRUPT (-2) /* not a valid queue file: why */

/* What the header record says. */
struct qfile_info {
    uint32_t version;
    uint64_t content_offset;   /* of the message content marker */
    uint64_t extracted_offset; /* of the extracted section marker */
    uint64_t end_offset;       /* of the end record */
    uint64_t content_size;     /* message size in bytes, one newline per line */
    uint32_t rcpt_count;       /* recipient records, envelope and extracted */
    uint32_t log_size;         /* Postfix's measure of the message (qfile_log_size); 0: none */
};

struct qfile_rcpt {
    int status;            /* REC_RCPT_PENDING or REC_RCPT_DONE */
    int notify;            /* REC_NOTIFY_* bits, 0 when not given */
    const char *address;   /* the recipient, not empty */
    const char *orig_rcpt; /* as first received, before rewriting; "" or NULL: none */
    const char *dsn_orcpt; /* DSN ORCPT as "type;address"; "" or NULL: none */
};

/* One record as qfile_read returns it. */
struct qfile_rec {
    int type;               /* REC_TYPE_* */
    uint64_t offset;        /* where the record starts */
    const char *data;       /* payload (NUL-terminated copy) */
    size_t len;             /* payload length */
    struct timeval time;    /* REC_TYPE_TIME */
    time_t warn;            /* REC_TYPE_WARN; 0: none */
    const char *name;       /* REC_TYPE_ATTR */
    const char *value;      /* REC_TYPE_ATTR */
    const char *text;       /* SENDER, DSN_ENVID, RRTO, ERTO, NORM, CONT: = data */
    int ret;                /* REC_TYPE_DSN_RET: REC_RET_FULL or REC_RET_HDRS */
    struct qfile_rcpt rcpt; /* REC_TYPE_RCPT */
};

struct qfile;

/* Writing. */
struct qfile *qfile_create(const char *queue, int long_ids, mode_t mode, struct vstring *why);
const char *qfile_id(const struct qfile *qf);
const char *qfile_path(const struct qfile *qf); /* where it is (being) written */
const char *qfile_error(const struct qfile *qf);
int qfile_put_record(struct qfile *qf, int type, const void *data, size_t len);
int qfile_put_time(struct qfile *qf, const struct timeval *tv);
int qfile_put_warn(struct qfile *qf, time_t when);
int qfile_put_attr(struct qfile *qf, const char *name, const char *value);
int qfile_put_sender(struct qfile *qf, const char *sender);
int qfile_put_dsn_envid(struct qfile *qf, const char *envid);
int qfile_put_dsn_ret(struct qfile *qf, int ret);
int qfile_put_rcpt(struct qfile *qf, const struct qfile_rcpt *rcpt);
int qfile_put_rrto(struct qfile *qf, const char *address);
int qfile_put_erto(struct qfile *qf, const char *address);
int qfile_begin_content(struct qfile *qf);
int qfile_put_line(struct qfile *qf, const char *data, size_t len);
int qfile_put_piece(struct qfile *qf, const char *data, size_t len);
int qfile_begin_extracted(struct qfile *qf);
int qfile_commit(struct qfile *qf, struct vstring *why);
void qfile_abort(struct qfile *qf);
int qfile_change_queue(struct qfile *qf, const char *queue, struct vstring *why);

/* Reading and validating. */
int qfile_open(const char *queue, const char *id, int flags, struct qfile **qfp,
               struct vstring *why);
int qfile_open_path(const char *path, int flags, struct qfile **qfp, struct vstring *why);
int qfile_fdopen(int fd, const char *name, int flags, struct qfile **qfp, struct vstring *why);
int qfile_validate(struct qfile *qf, struct vstring *why);
const struct qfile_info *qfile_info(const struct qfile *qf);

/*
 * The message size as Postfix reports it (size= of qmgr's log, mailq's
 * size column): the bytes its queue file would give the content, each
 * line in pieces of at most 2048 bytes (line_length_limit's default),
 * each piece a type byte, a length of 7 bits per byte and the bytes.
 * Files from before the header held it: content_size.
 */
uint64_t qfile_log_size(const struct qfile_info *info);
int qfile_read(struct qfile *qf, struct qfile_rec *rec, struct vstring *why);
int qfile_seek(struct qfile *qf, uint64_t offset, struct vstring *why);
int qfile_seek_content(struct qfile *qf, struct vstring *why);
int qfile_close(struct qfile *qf);

/* Payload encodings. */
void qfile_rcpt_encode(struct vstring *buf, const struct qfile_rcpt *rcpt);
int qfile_rcpt_decode(const void *data, size_t len, struct qfile_rcpt *rcpt,
                      struct vstring *store, struct vstring *why);
void qfile_time_encode(unsigned char out[REC_TIME_LEN], const struct timeval *tv);
int qfile_time_decode(const void *data, size_t len, struct timeval *tv, struct vstring *why);

/* Updating in place. */
int qfile_rcpt_done(struct qfile *qf, uint64_t rcpt_offset, struct vstring *why);
int qfile_set_warn(struct qfile *qf, uint64_t warn_offset, time_t when, struct vstring *why);
int qfile_sync(struct qfile *qf);

#endif
