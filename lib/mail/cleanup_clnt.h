/*
 * cleanup_clnt - the client side of protocol cleanup_v1 (docs/ipc.md):
 * hand a new message to the cleanup service and learn whether it was
 * committed. Used by pickup, bounce (notices), local (forwarding) and
 * smtpd.
 *
 *   cl = cleanup_open(service, flags, timeout, why);
 *       connects to public/SERVICE (relative to the current directory,
 *       $queue_directory), checks the announcement, sends FLAGS and reads
 *       the queue id. NULL with a reason in why on failure.
 *   cleanup_queue_id(cl)          the id the message will have
 *   cleanup_put_time(cl, &tv)     envelope records, in queue-file order:
 *   cleanup_put_attr(cl, name, value)   T, A..., S, I, Y, R...
 *   cleanup_put_sender(cl, sender)      ("" is the null sender)
 *   cleanup_put_dsn_envid(cl, envid)
 *   cleanup_put_dsn_ret(cl, ret)
 *   cleanup_put_rcpt(cl, &rcpt)   struct qfile_rcpt; status is ignored (sent as pending)
 *   cleanup_begin_content(cl)     the M record
 *   cleanup_put_line(cl, data, len)     one line without its newline; long
 *                                       lines are cut into L...N pieces
 *   cleanup_begin_extracted(cl)   the X record (optional: cleanup_finish adds it)
 *   cleanup_put_record(cl, type, data, len)   any other record, as is
 *   status = cleanup_finish(cl, reason);
 *       sends the empty end record, reads the reply, closes the
 *       connection and frees cl. Returns the CLEANUP_STAT_* bits (0: the
 *       message is committed under cleanup_queue_id; only then may the
 *       caller acknowledge or remove its source) and the reply's reason
 *       ("" when none) in REASON. A write error, timeout or broken reply
 *       gives CLEANUP_STAT_WRITE with a reason naming it.
 *   cleanup_abort(cl)            closes without finishing: nothing is queued
 *
 * Puts return 0 or -1 (a write error; sticky: cleanup_finish then
 * reports it). Record payloads use the encodings of docs/queue-format.md
 * (the same encoders as lib/mail/qfile).
 */
#ifndef TERN_CLEANUP_CLNT_H
#define TERN_CLEANUP_CLNT_H

#include <stddef.h>
#include <sys/time.h>

#include "mail/qfile.h"
#include "util/vstring.h"

#define CLEANUP_PROTOCOL "cleanup_v1"

/* Request flags (the flags attribute). */
#define CLEANUP_FLAG_NONE 0
#define CLEANUP_FLAG_BOUNCE (1 << 0)  /* bounce bad mail to the sender instead of refusing it */
#define CLEANUP_FLAG_FILTER (1 << 1)  /* apply header/body checks and content_filter */
#define CLEANUP_FLAG_HOLD (1 << 2)    /* put the message on hold */
#define CLEANUP_FLAG_DISCARD (1 << 3) /* accept and throw away */
#define CLEANUP_FLAG_BCC_OK (1 << 4)  /* always_bcc, sender/recipient_bcc_maps apply */
#define CLEANUP_FLAG_MAP_OK (1 << 5)  /* canonical, virtual alias, masquerading apply */
#define CLEANUP_FLAG_EXTERNAL                                                                      \
    (CLEANUP_FLAG_BOUNCE | CLEANUP_FLAG_FILTER | CLEANUP_FLAG_BCC_OK | CLEANUP_FLAG_MAP_OK)

/* Reply status bits (0: committed). */
#define CLEANUP_STAT_OK 0
#define CLEANUP_STAT_BAD (1 << 0)   /* malformed request or record stream */
#define CLEANUP_STAT_WRITE (1 << 1) /* could not write or commit the queue file */
#define CLEANUP_STAT_SIZE (1 << 2)  /* message_size_limit exceeded */
#define CLEANUP_STAT_CONT (1 << 3)  /* content rejected (header/body checks) */
#define CLEANUP_STAT_HOPS (1 << 4)  /* too many Received: headers */
#define CLEANUP_STAT_RCPT (1 << 5)  /* no recipients */
#define CLEANUP_STAT_DEFER (1 << 6) /* temporary failure (a table lookup failed, ...) */

struct cleanup_clnt;

struct cleanup_clnt *cleanup_open(const char *service, int flags, int timeout,
                                  struct vstring *why);
const char *cleanup_queue_id(const struct cleanup_clnt *cl);
int cleanup_put_record(struct cleanup_clnt *cl, int type, const void *data, size_t len);
int cleanup_put_time(struct cleanup_clnt *cl, const struct timeval *tv);
int cleanup_put_attr(struct cleanup_clnt *cl, const char *name, const char *value);
int cleanup_put_sender(struct cleanup_clnt *cl, const char *sender);
int cleanup_put_dsn_envid(struct cleanup_clnt *cl, const char *envid);
int cleanup_put_dsn_ret(struct cleanup_clnt *cl, int ret);
int cleanup_put_rcpt(struct cleanup_clnt *cl, const struct qfile_rcpt *rcpt);
int cleanup_begin_content(struct cleanup_clnt *cl);
int cleanup_put_line(struct cleanup_clnt *cl, const char *data, size_t len);
int cleanup_begin_extracted(struct cleanup_clnt *cl);
int cleanup_finish(struct cleanup_clnt *cl, struct vstring *reason);
void cleanup_abort(struct cleanup_clnt *cl);

#endif
