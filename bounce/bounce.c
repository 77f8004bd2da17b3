/*
 * bounce - the delivery status notification service: a single-style
 * daemon that master.cf runs as the bounce, defer and trace services
 * (private/$bounce_service_name, $defer_service_name,
 * $trace_service_name). Protocol bounce_v1 (docs/ipc.md).
 *
 *   bounce [daemon skeleton options]
 *
 * Per connection: the announcement, one request list (request, flags,
 * queue_name, queue_id, sender, dsn_envid, dsn_ret), the notices
 * (bounce_notice.c), one reply list (status, queue_id). The request
 * names the log ("bounce": bounce/ID, "delay": defer/ID, "trace":
 * trace/ID), whichever socket it came in on.
 *
 * bounce only reads logs and queue files; it never removes or moves
 * them (qmgr does, after a status 0).
 *
 * Bad input: a malformed list, an unknown request, a queue name that is
 * not a message queue or a queue id that fails queue_id_ok gets a
 * warning naming the socket and status -1 (when the client can still be
 * answered); the connection is dropped.
 */
#include <string.h>

#include "bounce.h"
#include "config/mail_conf.h"
#include "mail/attr.h"
#include "mail/bounce_clnt.h"
#include "mail/mail_queue.h"
#include "mail/queue_id.h"
#include "master/mail_server.h"
#include "util/msg.h"
#include "util/vstream.h"
#include "util/vstring.h"

/* Message queues a request may name. */
static int
bounce_queue_ok(const char *queue)
{
    static const char *const queues[] = {
        MAIL_QUEUE_INCOMING, MAIL_QUEUE_ACTIVE, MAIL_QUEUE_DEFERRED, MAIL_QUEUE_HOLD, NULL,
    };

    for (int i = 0; queues[i]; i++)
        if (strcmp(queue, queues[i]) == 0)
            return 1;
    return 0;
}

/* Checks a request; NULL when good, else the complaint. */
static const char *
bounce_check(const char *request, const struct bounce_msg *msg)
{
    if (strcmp(request, BOUNCE_REQ_BOUNCE) != 0 && strcmp(request, BOUNCE_REQ_DELAY) != 0 &&
        strcmp(request, BOUNCE_REQ_TRACE) != 0)
        return "unknown request";
    if (!bounce_queue_ok(msg->queue_name))
        return "bad queue name";
    if (!queue_id_ok(msg->queue_id))
        return "bad queue id";
    if (strchr(msg->sender, '\n') != NULL)
        return "bad sender";
    return NULL;
}

static void
bounce_reply(struct vstream *client, int status, const char *id)
{
    (void)attr_print(client, ATTR_FLAG_NONE, ATTR_SEND_INT("status", status),
                     ATTR_SEND_STR("queue_id", id), ATTR_TYPE_END);
}

static void
bounce_serve(struct vstream *client, const char *service, char **args)
{
    struct vstring *request = vstring_alloc(16);
    struct vstring *queue_name = vstring_alloc(16);
    struct vstring *queue_id = vstring_alloc(32);
    struct vstring *sender = vstring_alloc(64);
    struct vstring *envid = vstring_alloc(64);
    struct vstring *new_id = vstring_alloc(32);
    struct bounce_msg msg;
    const char *complaint;
    int flags = 0;
    int ret = 0;
    int status;

    (void)service;
    (void)args;
    vstream_set_timeout(client, (int)mail_conf_get_time("ipc_timeout"));
    if (attr_announce_protocol(client, BOUNCE_PROTOCOL) < 0) {
        msg_warn("%s socket: %s", vstream_path(client), attr_error_reason());
    } else if (attr_scan(client, ATTR_FLAG_NONE, ATTR_RECV_STR("request", request),
                         ATTR_RECV_INT("flags", &flags), ATTR_RECV_STR("queue_name", queue_name),
                         ATTR_RECV_STR("queue_id", queue_id), ATTR_RECV_STR("sender", sender),
                         ATTR_RECV_STR("dsn_envid", envid), ATTR_RECV_INT("dsn_ret", &ret),
                         ATTR_TYPE_END) != 7) {
        if (attr_error_kind() != ATTR_ERR_EOF)
            msg_warn("%s socket: %s", vstream_path(client), attr_error_reason());
    } else {
        msg.queue_name = vstring_str(queue_name);
        msg.queue_id = vstring_str(queue_id);
        msg.sender = vstring_str(sender);
        msg.dsn_envid = vstring_str(envid);
        msg.dsn_ret = ret;
        if ((complaint = bounce_check(vstring_str(request), &msg)) != NULL) {
            msg_warn("%s socket: %s", vstream_path(client), complaint);
            bounce_reply(client, -1, "");
        } else {
            status = bounce_notice_send(vstring_str(request), &msg, new_id);
            bounce_reply(client, status, vstring_str(new_id));
        }
    }
    vstring_free(request);
    vstring_free(queue_name);
    vstring_free(queue_id);
    vstring_free(sender);
    vstring_free(envid);
    vstring_free(new_id);
}

int
main(int argc, char **argv)
{
    static const struct mail_server server = {
        .serve = bounce_serve,
    };

    single_server_main(argc, argv, &server);
}
