/*
 * resolve_clnt - the client of trivial-rewrite's "resolve" and "verify"
 * requests (qmgr, smtpd, cleanup, ...).
 *
 *   reply = resolve_reply_alloc();                  (resolve_addr.h)
 *   resolve_clnt_query(sender, addr, reply)
 *       resolves recipient ADDR (internal form) for mail from SENDER
 *       (internal form, "" for the null sender) as trivial-rewrite's
 *       "resolve" request does: reply->flags (class and RESOLVE_FLAG_*),
 *       transport, nexthop and recipient. Returns 0, or -1 when the
 *       service could not be reached within the configured tries
 *       (rewrite_clnt_set_tries); REPLY is then untouched.
 *   resolve_clnt_verify(sender, addr, reply)
 *       the same with the "verify" request (address verification probes:
 *       the address_verify_* parameters apply).
 *   resolve_reply_free(reply);
 *
 * A reply with RESOLVE_FLAG_FAIL means the server could not decide (a
 * table lookup failed): the caller defers the recipient. The connection
 * and its retry rules are rewrite_clnt.h's (one connection per process
 * for both requests). The last request (kind, sender, address) and its
 * reply are remembered for ipc_idle seconds and answered from memory
 * when asked again, except replies with RESOLVE_FLAG_FAIL.
 */
#ifndef TERN_RESOLVE_CLNT_H
#define TERN_RESOLVE_CLNT_H

#include "mail/resolve_addr.h"

int resolve_clnt_query(const char *sender, const char *addr, struct resolve_reply *reply);
int resolve_clnt_verify(const char *sender, const char *addr, struct resolve_reply *reply);

#endif
