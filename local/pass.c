/*
 * pass - mailbox_transport and fallback_transport (man 8 local): the
 * recipient is handed to another delivery agent of master.cf
 * ("transport" or "transport:nexthop"; without a nexthop the request's
 * own) over deliver_v1, as qmgr would (deliver_pass.h), and that
 * agent's result becomes this recipient's result. The agent reads the
 * same queue file. A transport that cannot be reached defers (4.3.0
 * "mail transport unavailable"). With sendmail -bv, the leaves of an
 * expansion that the other agent reports become this recipient's leaves.
 */
#include <string.h>

#include "config/mail_conf.h"
#include "local.h"
#include "mail/deliver_pass.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/stringops.h"

/* sendmail -bv: the other agent's expansion leaves become ours. */
static void
local_pass_expansion(struct local_state *state, const struct deliver_result *res)
{
    struct local_state child = *state;

    for (int i = 0; i < res->exp_count; i++) {
        child.address = res->exp[i].address;
        local_leaf_relay(&child, res->exp[i].relay, res->exp[i].status, res->exp[i].dsn_status,
                         res->exp[i].dsn_action, res->exp[i].reason);
    }
}

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
    } else if (res.exp_count > 0 && (req->flags & DEL_REQ_FLAG_EXPAND)) {
        local_pass_expansion(state, &res);
    } else {
        local_leaf_relay(state, res.relay, res.status, res.dsn_status, res.dsn_action, res.reason);
    }
    deliver_pass_free_result(&res);
    if (fp)
        vstream_close(fp);
    vstring_free(why);
    myfree(name);
}
