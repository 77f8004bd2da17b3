/*
 * flush - the fast flush server, as Postfix's flush(8): per-destination
 * logs of deferred mail, so that "postqueue -s site" ("sendmail -qRsite",
 * ETRN) and "postqueue -i queue_id" ("sendmail -qIqueue_id") deliver just
 * that mail now instead of the whole deferred queue.
 *
 *   flush [daemon skeleton options]
 *
 * Style: single (single_server_main), as Postfix runs it: stock master.cf
 * "flush unix n - y 1000? 0 flush", one client per process, as many
 * processes as clients. Unlike pickup and qmgr it answers each request
 * with a status, so the trigger style does not fit; several processes
 * share the logs safely because every log access holds the log's flock.
 *
 * Protocol flush_v1 (docs/ipc.md): the server announces, the client sends
 * one list "request" + arguments, the server answers "status":
 *   add SITE QUEUE_ID   append to SITE's log, when SITE matches
 *                       fast_flush_domains (else DENY)
 *   send_site SITE      every message listed in SITE's log and still in
 *                       deferred gets mtime = now (flush_touch.c); the
 *                       log is truncated; qmgr is woken with "FD" (forget
 *                       dead destinations, scan deferred)
 *   send_file QUEUE_ID  the same for one deferred message (no log)
 *   refresh             reply first, then: logs unread for
 *                       fast_flush_refresh_time are sent as above (qmgr
 *                       woken with "D"); empty logs unchanged for
 *                       fast_flush_purge_time are removed
 *   purge               reply first, then refresh every non-empty log
 * The master's periodic wake-up (the wake-up column, "1000?") is not an
 * attribute list: one byte 'W' and end of file. The server looks at the
 * first byte without taking it (MSG_PEEK) and treats a 'W' as refresh,
 * with no reply.
 *
 * Bad input: a malformed list, an unknown request, a bad site name or
 * queue id: a warning naming the socket and the problem; a well-formed
 * but bad request gets FLUSH_STAT_BAD, a broken list just the close.
 * Nothing a client sends can name a file outside flush/ and deferred/:
 * sites map to [a-z0-9_] names, queue ids must pass queue_id_ok.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "config/mail_conf.h"
#include "flush.h"
#include "mail/attr.h"
#include "mail/flush_clnt.h"
#include "mail/mail_connect.h"
#include "mail/queue_id.h"
#include "master/mail_server.h"
#include "util/iostuff.h"
#include "util/msg.h"
#include "util/stringops.h"
#include "util/vstream.h"
#include "util/vstring.h"

/* Limits for what a client may send: a site, a queue id, a request name. */
static const struct attr_limits flush_limits = {
    .name_max = ATTR_NAME_MAX,
    .value_max = 1024,
    .count_max = 8,
    .table_max = 0,
    .list_max = 4096,
};

static long flush_ipc_timeout;

/* Wakes qmgr; a failure delays delivery until its next deferred scan. */
static void
flush_wake_qmgr(const char *bytes)
{
    const char *service = mail_conf_get("queue_service_name");

    if (mail_trigger(MAIL_CLASS_PUBLIC, service, bytes, strlen(bytes)) < 0)
        msg_warn("unable to look up %s/%s: %m", MAIL_CLASS_PUBLIC, service);
}

/* The site as the log and the domain list see it, or NULL when it is bad. */
static const char *
flush_site_check(struct vstream *client, struct vstring *site, struct vstring *path)
{
    lowercase(vstring_str(site));
    if (flush_log_path(path, vstring_str(site)) == NULL) {
        msg_warn("%s socket: bad site name \"%.100s\"", vstream_path(client),
                 printable(vstring_str(site), '?'));
        return NULL;
    }
    return vstring_str(site);
}

/* Is SITE eligible? FLUSH_STAT_OK, _DENY or _FAIL. */
static int
flush_site_status(const char *site)
{
    switch (flush_site_eligible(site)) {
    case 1:
        return FLUSH_STAT_OK;
    case 0:
        if (msg_verbose)
            msg_info("site %s is not eligible for fast flush", site);
        return FLUSH_STAT_DENY;
    default:
        msg_warn("fast_flush_domains: table lookup error for \"%s\"", site);
        return FLUSH_STAT_FAIL;
    }
}

static int
flush_id_check(struct vstream *client, struct vstring *queue_id)
{
    if (queue_id_ok(vstring_str(queue_id)))
        return 1;
    msg_warn("%s socket: bad queue id \"%.100s\"", vstream_path(client),
             printable(vstring_str(queue_id), '?'));
    return 0;
}

static int
flush_add_service(struct vstream *client, struct vstring *site, struct vstring *queue_id)
{
    struct vstring *path = vstring_alloc(100);
    int status;

    if (flush_site_check(client, site, path) == NULL || !flush_id_check(client, queue_id))
        status = FLUSH_STAT_BAD;
    else if ((status = flush_site_status(vstring_str(site))) == FLUSH_STAT_OK &&
             flush_log_add(vstring_str(path), vstring_str(queue_id)) < 0)
        status = FLUSH_STAT_FAIL;
    if (msg_verbose)
        msg_info("add site %s queue_id %s: status %d", vstring_str(site), vstring_str(queue_id),
                 status);
    vstring_free(path);
    return status;
}

static int
flush_send_site_service(struct vstream *client, struct vstring *site)
{
    struct vstring *path = vstring_alloc(100);
    int status;
    int count = 0;

    if (flush_site_check(client, site, path) == NULL)
        status = FLUSH_STAT_BAD;
    else if ((status = flush_site_status(vstring_str(site))) == FLUSH_STAT_OK &&
             (count = flush_log_send(vstring_str(path), flush_touch_deferred, time(NULL))) < 0)
        status = FLUSH_STAT_FAIL;
    if (count > 0)
        flush_wake_qmgr("FD");
    if (msg_verbose)
        msg_info("send_site %s: %d messages, status %d", vstring_str(site), count, status);
    vstring_free(path);
    return status;
}

static int
flush_send_file_service(struct vstream *client, struct vstring *queue_id)
{
    if (!flush_id_check(client, queue_id))
        return FLUSH_STAT_BAD;
    if (flush_touch_deferred(vstring_str(queue_id), time(NULL)))
        flush_wake_qmgr("FD");
    return FLUSH_STAT_OK;
}

/* refresh (REFRESH_AGE from main.cf) and purge (0: every log). */
static void
flush_refresh_service(long refresh_age)
{
    long purge_age = mail_conf_get_time("fast_flush_purge_time");
    int count = flush_log_refresh(refresh_age, purge_age, flush_touch_deferred, time(NULL));

    if (count > 0)
        flush_wake_qmgr("D");
    if (msg_verbose)
        msg_info("refresh: %d messages made due", count);
}

static void
flush_reply(struct vstream *client, int status)
{
    if (attr_print(client, ATTR_FLAG_NONE, ATTR_SEND_INT(FLUSH_ATTR_STATUS, status),
                   ATTR_TYPE_END) < 0)
        msg_warn("%s socket: %s", vstream_path(client), attr_error_reason());
}

/* Reads the rest of the request list: a site and/or a queue id, as asked. */
static int
flush_scan_args(struct vstream *client, struct vstring *site, struct vstring *queue_id,
                int want_site, int want_id)
{
    int n;

    if (want_site && want_id)
        n = attr_scan_bounded(client, ATTR_FLAG_STRICT, &flush_limits,
                              ATTR_RECV_STR(FLUSH_ATTR_SITE, site),
                              ATTR_RECV_STR(FLUSH_ATTR_QUEUE_ID, queue_id), ATTR_TYPE_END);
    else if (want_site)
        n = attr_scan_bounded(client, ATTR_FLAG_NONE, &flush_limits,
                              ATTR_RECV_STR(FLUSH_ATTR_SITE, site), ATTR_TYPE_END);
    else if (want_id)
        n = attr_scan_bounded(client, ATTR_FLAG_NONE, &flush_limits,
                              ATTR_RECV_STR(FLUSH_ATTR_QUEUE_ID, queue_id), ATTR_TYPE_END);
    else
        n = attr_scan_bounded(client, ATTR_FLAG_NONE, &flush_limits, ATTR_TYPE_END);
    if (n == want_site + want_id)
        return 0;
    msg_warn("%s socket: %s", vstream_path(client), attr_error_reason());
    return -1;
}

/* One request after the announcement. */
static void
flush_request(struct vstream *client)
{
    struct vstring *request = vstring_alloc(16);
    struct vstring *site = vstring_alloc(64);
    struct vstring *queue_id = vstring_alloc(32);
    const char *req;

    if (attr_scan_bounded(client, ATTR_FLAG_MORE | ATTR_FLAG_STRICT, &flush_limits,
                          ATTR_RECV_STR(FLUSH_ATTR_REQUEST, request), ATTR_TYPE_END) != 1) {
        if (attr_error_kind() != ATTR_ERR_EOF)
            msg_warn("%s socket: %s", vstream_path(client), attr_error_reason());
    } else if (strcmp(req = vstring_str(request), FLUSH_REQ_ADD) == 0) {
        if (flush_scan_args(client, site, queue_id, 1, 1) == 0)
            flush_reply(client, flush_add_service(client, site, queue_id));
    } else if (strcmp(req, FLUSH_REQ_SEND_SITE) == 0) {
        if (flush_scan_args(client, site, queue_id, 1, 0) == 0)
            flush_reply(client, flush_send_site_service(client, site));
    } else if (strcmp(req, FLUSH_REQ_SEND_FILE) == 0) {
        if (flush_scan_args(client, site, queue_id, 0, 1) == 0)
            flush_reply(client, flush_send_file_service(client, queue_id));
    } else if (strcmp(req, FLUSH_REQ_REFRESH) == 0 || strcmp(req, FLUSH_REQ_PURGE) == 0) {
        if (flush_scan_args(client, site, queue_id, 0, 0) == 0) {
            flush_reply(client, FLUSH_STAT_OK);
            flush_refresh_service(strcmp(req, FLUSH_REQ_PURGE) == 0
                                      ? 0
                                      : mail_conf_get_time("fast_flush_refresh_time"));
        }
    } else {
        msg_warn("%s socket: unknown request \"%.100s\"", vstream_path(client),
                 printable(vstring_str(request), '?'));
        flush_reply(client, FLUSH_STAT_BAD);
    }
    vstring_free(request);
    vstring_free(site);
    vstring_free(queue_id);
}

/* The first byte the client sent, left in place; -1 at EOF or error. */
static int
flush_peek(struct vstream *client)
{
    unsigned char ch;
    ssize_t n;

    if (read_wait(vstream_fileno(client), (int)flush_ipc_timeout) < 0)
        return -1;
    do {
        n = recv(vstream_fileno(client), &ch, 1, MSG_PEEK);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno == ENOTSOCK)
        return 0; /* stand-alone on a pipe: no wake-ups there */
    return n == 1 ? ch : -1;
}

static void
flush_serve(struct vstream *client, const char *service, char **args)
{
    (void)service;
    if (args[0] != NULL)
        msg_fatal("unexpected command-line argument: %s", args[0]);
    vstream_set_timeout(client, (int)flush_ipc_timeout);
    /* The master's wake-up may be gone already: a failed announcement is no error. */
    (void)attr_announce_protocol(client, FLUSH_PROTOCOL);
    switch (flush_peek(client)) {
    case -1:
        return;
    case MAIL_TRIGGER_WAKEUP:
        if (msg_verbose)
            msg_info("wake-up request: refresh");
        flush_refresh_service(mail_conf_get_time("fast_flush_refresh_time"));
        return;
    default:
        flush_request(client);
        return;
    }
}

/* Before the chroot: tables of fast_flush_domains. */
static void
flush_pre_init(const char *service, char **args)
{
    (void)service;
    (void)args;
    flush_init();
}

static void
flush_post_init(const char *service, char **args)
{
    (void)service;
    (void)args;
    flush_ipc_timeout = mail_conf_get_time("ipc_timeout");
}

int
main(int argc, char **argv)
{
    static const struct mail_server server = {
        .serve = flush_serve,
        .pre_init = flush_pre_init,
        .post_init = flush_post_init,
    };

    single_server_main(argc, argv, &server);
}
