/*
 * flush_clnt - the client side of protocol flush_v1 (docs/ipc.md): talk
 * to the fast flush service, flush(8), which keeps per-destination logs
 * of deferred mail in $queue_directory/flush.
 *
 *   status = flush_add(site, queue_id)
 *       the message QUEUE_ID was deferred for destination SITE (the part
 *       after the last '@' of a recipient). The qmgr's deferral path calls
 *       it; FLUSH_STAT_DENY (SITE is not in fast_flush_domains) is normal.
 *   status = flush_send_site(site)    postqueue -s, sendmail -qR, ETRN:
 *       make every deferred message listed for SITE due for delivery now
 *   status = flush_send_file(queue_id)    postqueue -i, sendmail -qI:
 *       the same for one message of the deferred queue
 *   status = flush_refresh()    refresh logs unread for
 *       fast_flush_refresh_time, drop empty ones unchanged for
 *       fast_flush_purge_time (the server answers first, then works)
 *   status = flush_purge()      refresh every log now
 *
 * Results (Postfix's values):
 *   FLUSH_STAT_OK    the request was carried out (also: nothing to do)
 *   FLUSH_STAT_FAIL  the service could not be reached or broke the
 *                    protocol (a warning is logged), or a fast_flush_domains
 *                    table lookup failed: try later
 *   FLUSH_STAT_BAD   the server refused the request as malformed (a bad
 *                    site name or queue id)
 *   FLUSH_STAT_DENY  SITE is not eligible (not in fast_flush_domains)
 *
 * flush_add and flush_send_site check fast_flush_domains themselves first
 * (as Postfix's client does), so an ineligible site costs no connection;
 * the server checks again. The list is built from main.cf at the first
 * call, or by flush_init (the caller has read main.cf), and kept for the
 * process's life.
 * Each request is one connection to public/$flush_service_name (relative
 * to the current directory, which must be $queue_directory), bounded by
 * ipc_timeout. A NULL or empty argument is a programming error (panic).
 */
#ifndef TERN_FLUSH_CLNT_H
#define TERN_FLUSH_CLNT_H

#define FLUSH_PROTOCOL "flush_v1"

/* Requests (the "request" attribute). */
#define FLUSH_REQ_ADD "add"
#define FLUSH_REQ_SEND_SITE "send_site"
#define FLUSH_REQ_SEND_FILE "send_file"
#define FLUSH_REQ_REFRESH "refresh"
#define FLUSH_REQ_PURGE "purge"

/* Attribute names. */
#define FLUSH_ATTR_REQUEST "request"
#define FLUSH_ATTR_SITE "site"
#define FLUSH_ATTR_QUEUE_ID "queue_id"
#define FLUSH_ATTR_STATUS "status"

/* Reply status. */
#define FLUSH_STAT_FAIL (-1)
#define FLUSH_STAT_OK 0
#define FLUSH_STAT_BAD 3
#define FLUSH_STAT_DENY 4

/* Longest site name a server accepts (a DNS name has at most 255 bytes). */
#define FLUSH_SITE_MAX 255

int flush_add(const char *site, const char *queue_id);
int flush_send_site(const char *site);
int flush_send_file(const char *queue_id);
int flush_refresh(void);
int flush_purge(void);

/*
 * flush_init() builds the fast_flush_domains list now (idempotent; the
 * server calls it before the chroot so tables open outside the jail).
 * flush_site_eligible(site): does SITE match the list? 1, 0, or -1 (a
 * table lookup failed). The list is parent-style when
 * parent_domain_matches_subdomains names fast_flush_domains (the default).
 */
void flush_init(void);
int flush_site_eligible(const char *site);

#endif
