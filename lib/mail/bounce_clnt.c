/*
 * bounce_clnt - the client side of protocol bounce_v1 (docs/ipc.md; see
 * bounce_clnt.h for the entry point).
 *
 * One request per connection: connect to private/SERVICE, check the
 * announcement, send the request list, read the reply list, close. Every
 * step is bounded by ipc_timeout (mail_connect sets it on the stream).
 * Anything that goes wrong (no service, a broken or refused reply) makes
 * bounce_request return -1 with a reason; a reply status other than 0 or
 * -1 is treated as -1 too, so a caller never takes a broken answer for
 * "sent". The reply's queue id is checked to be empty or a plausible
 * queue id before it is handed on.
 */
#include <string.h>

#include "config/mail_conf.h"
#include "mail/attr.h"
#include "mail/bounce_clnt.h"
#include "mail/mail_connect.h"
#include "mail/queue_id.h"
#include "util/msg.h"
#include "util/vstream.h"
#include "util/vstring.h"

/* Sends the request and reads the reply; -1 with a reason in why. */
static int
bounce_converse(struct vstream *fp, const char *request, const struct bounce_msg *msg,
                struct vstring *queue_id_out, struct vstring *why)
{
    int status = -1;

    if (attr_expect_protocol(fp, BOUNCE_PROTOCOL) < 0 ||
        attr_print(fp, ATTR_FLAG_NONE, ATTR_SEND_STR("request", request), ATTR_SEND_INT("flags", 0),
                   ATTR_SEND_STR("queue_name", msg->queue_name),
                   ATTR_SEND_STR("queue_id", msg->queue_id), ATTR_SEND_STR("sender", msg->sender),
                   ATTR_SEND_STR("dsn_envid", msg->dsn_envid ? msg->dsn_envid : ""),
                   ATTR_SEND_INT("dsn_ret", msg->dsn_ret), ATTR_TYPE_END) < 0 ||
        attr_scan(fp, ATTR_FLAG_NONE, ATTR_RECV_INT("status", &status),
                  ATTR_RECV_STR("queue_id", queue_id_out), ATTR_TYPE_END) != 2) {
        vstring_sprintf(why, "%s service: %s", vstream_path(fp), attr_error_reason());
        return -1;
    }
    if (vstring_len(queue_id_out) > 0 && !queue_id_ok(vstring_str(queue_id_out))) {
        vstring_sprintf(why, "%s service: malformed queue id in reply", vstream_path(fp));
        return -1;
    }
    if (status != 0) {
        vstring_sprintf(why, "%s service: notice could not be sent now", vstream_path(fp));
        return -1;
    }
    return 0;
}

int
bounce_request(const char *service, const char *request, const struct bounce_msg *msg,
               struct vstring *queue_id_out, struct vstring *why)
{
    struct vstream *fp;
    int timeout;
    int ret;

    if (service == NULL || request == NULL || msg == NULL || msg->queue_name == NULL ||
        msg->queue_id == NULL || msg->sender == NULL)
        msg_panic("bounce_request: missing argument");
    vstring_reset(queue_id_out);
    vstring_reset(why);
    timeout = (int)mail_conf_get_time("ipc_timeout");
    if ((fp = mail_connect(NULL, MAIL_CLASS_PRIVATE, service, timeout, why)) == NULL)
        return -1;
    ret = bounce_converse(fp, request, msg, queue_id_out, why);
    if (ret < 0)
        vstring_reset(queue_id_out);
    vstream_close(fp);
    return ret;
}
