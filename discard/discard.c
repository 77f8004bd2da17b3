/*
 * discard - the delivery agent that throws mail away (discard(8)): every
 * recipient is reported delivered (dsn 2.0.0, relay=none) without reading
 * the message. The reason in the log line is the request's next hop (the
 * text after "discard:" in transport_maps or a DISCARD action), or
 * "discarded" when that is empty; the text is never otherwise interpreted.
 *
 *   discard [daemon skeleton options]    single style, protocol deliver_v1
 *
 * Bad input: a malformed request is logged by deliver_request and the
 * connection dropped; qmgr defers those recipients.
 */
#include "mail/deliver_request.h"
#include "master/mail_server.h"
#include "util/msg.h"

static void
discard_serve(struct vstream *client, const char *service, char **args)
{
    struct deliver_request *req;
    const char *text;

    (void)service;
    (void)args;
    if ((req = deliver_request_read(client)) == NULL)
        return;
    text = *req->nexthop ? req->nexthop : "discarded";
    for (int i = 0; i < req->rcpt_count; i++)
        deliver_result(req, i, DEL_RCPT_OK, "2.0.0", "delivered", "none", "%s", text);
    deliver_request_done(req, 0, "");
}

int
main(int argc, char **argv)
{
    static const struct mail_server server = {
        .serve = discard_serve,
    };

    single_server_main(argc, argv, &server);
}
