/*
 * trivial-rewrite - the address rewriting and resolving daemon: a
 * multi-style service (many clients in one process) on private/rewrite.
 *
 *   trivial-rewrite [daemon skeleton options]
 *
 * Each request is one attribute list (lib/mail/attr.h); the request names
 * and attributes are in lib/mail/rewrite_clnt.h:
 *   rewrite  rule address           -> flags address
 *            (lib/mail/rewrite_addr.h: contexts "local" and "remote")
 *   resolve  sender address         -> flags transport nexthop recipient
 *   verify   sender address         -> the same, for verification probes
 *            (lib/mail/resolve_addr.h)
 * The protocol announcement (REWRITE_PROTOCOL) goes out just before the
 * first reply on each connection: a multi-style server cannot speak
 * before its client has.
 *
 * Tables and interface addresses are opened in pre_init, before the
 * chroot. When a table changes (dict_changed), the process finishes the
 * request in progress and exits ("table NAME has changed -- restarting"),
 * so that the master starts a fresh one; its clients reconnect.
 *
 * Bad input: a malformed list, an unknown request or an unknown rewrite
 * rule gets a warning naming the client socket, and that client is
 * disconnected. Other clients go on.
 */
#include <stdlib.h>
#include <string.h>

#include "config/mail_conf.h"
#include "mail/attr.h"
#include "mail/resolve_addr.h"
#include "mail/rewrite_addr.h"
#include "mail/rewrite_clnt.h"
#include "master/mail_server.h"
#include "util/msg.h"
#include "util/stringops.h"
#include "util/vstring.h"

static struct vstring *req_name;
static struct vstring *req_rule;
static struct vstring *req_sender;
static struct vstring *req_addr;
static struct vstring *why_buf;
static struct vstring *rewrite_result;
static struct resolve_reply *resolve_result;

/* Logs a broken request and ends that client. */
static void
trivial_rewrite_drop(struct vstream *client, const char *why)
{
    if (attr_error_kind() != ATTR_ERR_EOF || why != NULL)
        msg_warn("%s socket: %s", vstream_path(client), why ? why : attr_error_reason());
    multi_server_disconnect(client);
}

/* Ends a client that sent an unknown WHAT ("request", "rewrite rule") NAME. */
static void
trivial_rewrite_unknown(struct vstream *client, const char *what, const char *name)
{
    vstring_sprintf(why_buf, "unknown %s \"%.100s\"", what, name);
    trivial_rewrite_drop(client, printable(vstring_str(why_buf), '?'));
}

/* Sends a reply; a write error ends the client. */
static void
trivial_rewrite_reply(struct vstream *client, int status)
{
    if (status < 0)
        trivial_rewrite_drop(client, NULL);
}

/* "rewrite" */
static void
trivial_rewrite_rewrite(struct vstream *client)
{
    if (attr_scan(client, ATTR_FLAG_NONE, ATTR_RECV_STR(REWRITE_ATTR_RULE, req_rule),
                  ATTR_RECV_STR(REWRITE_ATTR_ADDRESS, req_addr), ATTR_TYPE_END) != 2) {
        trivial_rewrite_drop(client, NULL);
        return;
    }
    if (rewrite_addr(vstring_str(req_rule), vstring_str(req_addr), rewrite_result) < 0) {
        trivial_rewrite_unknown(client, "rewrite rule", vstring_str(req_rule));
        return;
    }
    if (msg_verbose)
        msg_info("rewrite %s: %s -> %s", vstring_str(req_rule), vstring_str(req_addr),
                 vstring_str(rewrite_result));
    trivial_rewrite_reply(
        client, attr_print(client, ATTR_FLAG_NONE, ATTR_SEND_INT(REWRITE_ATTR_FLAGS, 0),
                           ATTR_SEND_STR(REWRITE_ATTR_ADDRESS, vstring_str(rewrite_result)),
                           ATTR_TYPE_END));
}

/* "resolve" and "verify" */
static void
trivial_rewrite_resolve(struct vstream *client, int kind)
{
    struct resolve_reply *reply = resolve_result;

    if (attr_scan(client, ATTR_FLAG_NONE, ATTR_RECV_STR(REWRITE_ATTR_SENDER, req_sender),
                  ATTR_RECV_STR(REWRITE_ATTR_ADDRESS, req_addr), ATTR_TYPE_END) != 2) {
        trivial_rewrite_drop(client, NULL);
        return;
    }
    resolve_addr(kind, vstring_str(req_sender), vstring_str(req_addr), reply);
    if (msg_verbose)
        msg_info("%s `%s' `%s' -> transp=`%s' host=`%s' rcpt=`%s' flags=0x%x",
                 vstring_str(req_name), vstring_str(req_sender), vstring_str(req_addr),
                 vstring_str(reply->transport), vstring_str(reply->nexthop),
                 vstring_str(reply->recipient), (unsigned)reply->flags);
    trivial_rewrite_reply(
        client, attr_print(client, ATTR_FLAG_NONE, ATTR_SEND_INT(REWRITE_ATTR_FLAGS, reply->flags),
                           ATTR_SEND_STR(REWRITE_ATTR_TRANSPORT, vstring_str(reply->transport)),
                           ATTR_SEND_STR(REWRITE_ATTR_NEXTHOP, vstring_str(reply->nexthop)),
                           ATTR_SEND_STR(REWRITE_ATTR_RECIPIENT, vstring_str(reply->recipient)),
                           ATTR_TYPE_END));
}

/* Exits when a table has changed, so that the master starts a fresh process. */
static void
trivial_rewrite_check_tables(void)
{
    const char *name;

    if ((name = resolve_addr_changed()) != NULL) {
        msg_info("table %s has changed -- restarting", name);
        exit(0);
    }
}

static void
trivial_rewrite_serve(struct vstream *client, const char *service, char **args)
{
    int first = client->rbuf == NULL; /* nothing read yet: a new connection */
    const char *request;

    (void)service;
    (void)args;
    vstream_set_timeout(client, (int)mail_conf_get_time("ipc_timeout"));
    if (attr_scan(client, ATTR_FLAG_MORE, ATTR_RECV_STR(REWRITE_ATTR_REQUEST, req_name),
                  ATTR_TYPE_END) != 1) {
        trivial_rewrite_drop(client, NULL);
        return;
    }
    if (first && attr_announce_protocol(client, REWRITE_PROTOCOL) < 0) {
        trivial_rewrite_drop(client, NULL);
        return;
    }
    request = vstring_str(req_name);
    if (strcmp(request, REWRITE_REQ_REWRITE) == 0) {
        trivial_rewrite_rewrite(client);
    } else if (strcmp(request, REWRITE_REQ_RESOLVE) == 0) {
        trivial_rewrite_resolve(client, RESOLVE_REGULAR);
    } else if (strcmp(request, REWRITE_REQ_VERIFY) == 0) {
        trivial_rewrite_resolve(client, RESOLVE_VERIFY);
    } else {
        trivial_rewrite_unknown(client, "request", request);
    }
    trivial_rewrite_check_tables();
}

static void
trivial_rewrite_pre_accept(const char *service, char **args)
{
    (void)service;
    (void)args;
    trivial_rewrite_check_tables();
}

static void
trivial_rewrite_pre_init(const char *service, char **args)
{
    (void)service;
    (void)args;
    req_name = vstring_alloc(20);
    req_rule = vstring_alloc(20);
    req_sender = vstring_alloc(100);
    req_addr = vstring_alloc(100);
    why_buf = vstring_alloc(100);
    rewrite_result = vstring_alloc(100);
    resolve_result = resolve_reply_alloc();
    rewrite_addr_init();
    resolve_addr_init();
}

int
main(int argc, char **argv)
{
    static const struct mail_server server = {
        .serve = trivial_rewrite_serve,
        .pre_init = trivial_rewrite_pre_init,
        .pre_accept = trivial_rewrite_pre_accept,
    };

    multi_server_main(argc, argv, &server);
}
