/*
 * flush.h - what the parts of the fast flush server (flush(8)) share.
 *
 *   flush_log.c    the per-destination logs in $queue_directory/flush:
 *                  names, append, send (read, touch, truncate), refresh
 *   flush_touch.c  making one deferred message due now (its mtime)
 *   flush.c        the service: protocol flush_v1, requests, wake-ups
 *
 * A log is named after its destination: the site in lower case with every
 * byte other than a letter or digit replaced by '_' ("example.com" ->
 * "flush/example_com", Postfix's naming). It holds one queue id per line,
 * appended by "add" requests, and is truncated when delivery is requested.
 * Logs are never hashed, whatever hash_queue_names says. Every reader and
 * writer holds an exclusive flock on the log while it works, so an append
 * is never lost to a truncation. Bad lines (not a queue id, too long, no
 * newline) are skipped with a warning; nothing in a log can make the
 * server touch a file outside deferred/.
 *
 * Bounds: a log line is read up to FLUSH_LOG_LINE_MAX bytes; one send
 * remembers at most flush_log_dup_max ids for duplicate filtering (beyond
 * that duplicates are touched again: slower, still correct); a log never
 * grows past flush_log_size_max bytes: when an append would pass it, the
 * log is first rewritten without duplicates and bad lines, and if it is
 * still too large the id is not added (a warning; the message is still
 * delivered by the deferred queue scan).
 */
#ifndef TERN_FLUSH_H
#define TERN_FLUSH_H

#include <time.h>

#include "util/vstring.h"

#define FLUSH_LOG_DIR "flush"
#define FLUSH_LOG_LINE_MAX 64 /* bytes of a log line we look at (ids are shorter) */

extern long flush_log_size_max; /* bytes; default 1 MiB */
extern long flush_log_dup_max;  /* ids per send; default 10000 */

/* Touches one message; returns 1 when it was made due, else 0. */
typedef int (*flush_touch_fn)(const char *queue_id, time_t now);

/* flush_log.c */
const char *flush_log_path(struct vstring *buf, const char *site);
int flush_log_add(const char *path, const char *queue_id);
int flush_log_send(const char *path, flush_touch_fn touch, time_t now);
int flush_log_refresh(long refresh_age, long purge_age, flush_touch_fn touch, time_t now);

/* flush_touch.c */
int flush_touch_deferred(const char *queue_id, time_t now);

#endif
