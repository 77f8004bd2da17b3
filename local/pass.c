/*
 * pass - mailbox_transport and fallback_transport (man 8 local): the
 * recipient is handed to another delivery agent of master.cf
 * ("transport" or "transport:nexthop"; without a nexthop the request's
 * own) over deliver_v1, as qmgr would (deliver_pass.h), and that
 * agent's result becomes this recipient's result. The agent reads the
 * same queue file. A transport that cannot be reached defers (4.3.0
 * "mail transport unavailable").
 */
#include <string.h>

#include "config/mail_conf.h"
#include "local.h"
#include "mail/deliver_pass.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/stringops.h"

void
local_pass(struct local_state *state, const char *transport)
{
    const struct deliver_request *req = state->lr->req;
    char *name = mystrdup(transport);
    char *nexthop = split_at(name, ':');
    struct vstring *why = vstring_alloc(100);
    struct deliver_rcpt rcpt = req->rcpt[state->lr->index];
    struct deliver_result res;
    struct vstream *fp;
    int status;

    rcpt.address = (char *)state->address;
    rcpt.orig_rcpt = (char *)state->lr->orig_rcpt;
    memset(&res, 0, sizeof(res));
    if ((fp = deliver_pass_connect(name, (int)mail_conf_get_time("ipc_timeout"), why)) == NULL) {
        msg_warn("%s", vstring_str(why));
        local_leaf(state, DEL_RCPT_DEFER, "4.3.0", "delayed", "mail transport unavailable");
    } else if (deliver_pass_send(fp, req, nexthop && *nexthop ? nexthop : req->nexthop, 1, &rcpt) <
                   0 ||
               deliver_pass_recv(fp, 1, &res, &status, why) < 0) {
        msg_warn("%s service: %s", name, "lost connection or protocol error");
        local_leaf(state, DEL_RCPT_DEFER, "4.3.0", "delayed", "mail transport unavailable");
    } else if (status != 0) {
        local_leaf(state, DEL_RCPT_DEFER, "4.3.0", "delayed", "%s", vstring_str(why));
    } else {
        local_leaf_relay(state, res.relay, res.status, res.dsn_status, res.dsn_action, res.reason);
    }
    deliver_pass_free_result(&res);
    if (fp)
        vstream_close(fp);
    vstring_free(why);
    myfree(name);
}
