/*
 * dsn_log - the per-recipient delivery logs of a message: bounce/ID,
 * defer/[hash/]ID and trace/ID (docs/queue-format.md). qmgr is the only
 * writer; bounce (notices) and showq (mailq's reasons) read them;
 * qmgr and postsuper remove them with the message.
 *
 * One log is a sequence of entries; each entry is lines "name=value"
 * followed by one empty line. Names: recipient, orig_rcpt, dsn_orcpt,
 * notify (decimal REC_NOTIFY_* bits), offset (decimal, of the R record),
 * status (e.g. 5.1.1), action (failed, delayed, delivered, expanded,
 * relayed), reason, relay, time (seconds since the epoch). Values never
 * hold a newline (dsn_log_append replaces newlines and other control
 * characters by spaces). Unknown names are skipped by readers, so fields
 * can be added.
 *
 *   dsn_log_append(queue, id, &entry)
 *       appends one entry to QUEUE/[hash/]ID (MAIL_QUEUE_BOUNCE, _DEFER or
 *       _TRACE), creating it (mode 0600) and a missing hash subdirectory.
 *       One write(2) with O_APPEND per entry. Returns 0, or -1 with errno.
 *   dsn_log_open(queue, id) / dsn_log_read(log, &entry) / dsn_log_close(log)
 *       reads entries in order: dsn_log_read returns 1 with ENTRY filled
 *       (pointers valid until the next call), 0 at the end, -1 on a read
 *       error. A damaged entry (a line without '=', an unfinished last
 *       entry) is skipped with a warning naming the file. dsn_log_open
 *       returns NULL with errno (ENOENT: no log).
 *   dsn_log_remove(queue, id)    unlink; ENOENT is not an error.
 *   dsn_log_exists(queue, id)    1 or 0.
 */
#ifndef TERN_DSN_LOG_H
#define TERN_DSN_LOG_H

#include <stdint.h>
#include <time.h>

struct dsn_log_entry {
    const char *recipient; /* the recipient address (internal form) */
    const char *orig_rcpt; /* "" when not known */
    const char *dsn_orcpt; /* "" when not given */
    int notify;            /* REC_NOTIFY_* bits, 0 when not given */
    uint64_t offset;       /* of the recipient's R record in the queue file */
    const char *status;    /* enhanced status code, e.g. "5.1.1" */
    const char *action;    /* "failed", "delayed", "delivered", "expanded", "relayed" */
    const char *reason;    /* e.g. "unknown user: \"x\"" */
    const char *relay;     /* e.g. "local", "none" */
    time_t time;           /* when the result was recorded */
};

struct dsn_log;

int dsn_log_append(const char *queue, const char *id, const struct dsn_log_entry *entry);
struct dsn_log *dsn_log_open(const char *queue, const char *id);
int dsn_log_read(struct dsn_log *log, struct dsn_log_entry *entry);
void dsn_log_close(struct dsn_log *log);
int dsn_log_remove(const char *queue, const char *id);
int dsn_log_exists(const char *queue, const char *id);

#endif
