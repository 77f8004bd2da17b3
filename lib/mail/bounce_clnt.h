/*
 * bounce_clnt - the client side of protocol bounce_v1 (docs/ipc.md):
 * qmgr asks the bounce service to send a notice for a message from its
 * delivery log.
 *
 *   status = bounce_request(service, request, &msg, queue_id_out, why);
 *       SERVICE is var_bounce_service, var_defer_service or
 *       var_trace_service; REQUEST is BOUNCE_REQ_BOUNCE, BOUNCE_REQ_DELAY
 *       or BOUNCE_REQ_TRACE. Connects to private/SERVICE (relative to the
 *       current directory), sends the request and reads the reply.
 *       Returns 0 when the notice was committed (its id in queue_id_out,
 *       "" when none was needed), -1 when it could not be sent now (the
 *       service is down, refused, or the reply was broken; a reason in
 *       why): the caller keeps the message and its log and tries later.
 */
#ifndef TERN_BOUNCE_CLNT_H
#define TERN_BOUNCE_CLNT_H

#include "util/vstring.h"

#define BOUNCE_PROTOCOL "bounce_v1"

#define BOUNCE_REQ_BOUNCE "bounce"
#define BOUNCE_REQ_DELAY "delay"
#define BOUNCE_REQ_TRACE "trace"

struct bounce_msg {
    const char *queue_name; /* e.g. MAIL_QUEUE_ACTIVE */
    const char *queue_id;
    const char *sender;    /* "" for the null sender */
    const char *dsn_envid; /* "" when none */
    int dsn_ret;           /* 0, REC_RET_FULL or REC_RET_HDRS */
};

int bounce_request(const char *service, const char *request, const struct bounce_msg *msg,
                   struct vstring *queue_id_out, struct vstring *why);

#endif
