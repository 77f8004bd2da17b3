/*
 * rewrite_clnt - the client of trivial-rewrite's "rewrite" request, and
 * the connection that it shares with resolve_clnt.h. This is what
 * cleanup, smtpd and the other daemons call.
 *
 *   rewrite_clnt(rule, addr, result)
 *       RULE is "local" or "remote" (REWRITE_RULE_* in rewrite_addr.h),
 *       ADDR and RESULT are in internal (unquoted) form. Returns 0, or -1
 *       when the service could not be reached within the configured tries
 *       (RESULT untouched).
 *
 * The protocol (docs/ipc.md has the wire format), on the socket
 * private/$rewrite_service_name:
 *   client: request="rewrite"  rule=STR  address=STR
 *   server: flags=INT (0; reserved)  address=STR
 *   client: request="resolve" or "verify"  sender=STR  address=STR
 *   server: flags=INT (RESOLVE_* of resolve_addr.h)  transport=STR
 *           nexthop=STR  recipient=STR
 * The server announces REWRITE_PROTOCOL just before its first reply on a
 * connection (a multi-style server speaks only after the client did).
 * Replies may carry more attributes in a later version; clients skip
 * those.
 *
 * The connection: one per process, opened on first use with mail_connect
 * relative to the current directory ($queue_directory), kept open for
 * later requests, closed after ipc_idle seconds without a request (an
 * events.h timer, and checked again before each request for processes
 * that run no event loop) and after ipc_ttl seconds in all. A request on
 * a connection that the server has meanwhile closed is sent again on a
 * new connection at once. Other failures are logged as
 * "warning: problem talking to service private/rewrite: REASON" and
 * retried every second: forever by default (as Postfix's daemons do; the
 * daemon watchdog bounds the wait), or at most N times after
 * rewrite_clnt_set_tries(N).
 *
 * Cache: the last rewrite request and its result are remembered for
 * ipc_idle seconds; the same request in that time gets the same answer
 * without a round trip.
 *
 * For resolve_clnt.c:
 *   rewrite_clnt_call(send, recv, context)
 *       runs one request on the shared connection with the retry rules
 *       above: SEND(fp, context) writes the request (0 or -1), RECV(fp,
 *       context) reads the reply (0 or -1, after the protocol
 *       announcement has been checked). Returns 0 or -1.
 *   rewrite_clnt_disconnect()   closes the connection (tests, fork).
 */
#ifndef TERN_REWRITE_CLNT_H
#define TERN_REWRITE_CLNT_H

#include "util/vstream.h"
#include "util/vstring.h"

#define REWRITE_PROTOCOL "rewrite_v1"

#define REWRITE_REQ_REWRITE "rewrite"
#define REWRITE_REQ_RESOLVE "resolve"
#define REWRITE_REQ_VERIFY "verify"

#define REWRITE_ATTR_REQUEST "request"
#define REWRITE_ATTR_RULE "rule"
#define REWRITE_ATTR_ADDRESS "address"
#define REWRITE_ATTR_SENDER "sender"
#define REWRITE_ATTR_FLAGS "flags"
#define REWRITE_ATTR_TRANSPORT "transport"
#define REWRITE_ATTR_NEXTHOP "nexthop"
#define REWRITE_ATTR_RECIPIENT "recipient"

int rewrite_clnt(const char *rule, const char *addr, struct vstring *result);
void rewrite_clnt_set_tries(int tries);
void rewrite_clnt_disconnect(void);
int rewrite_clnt_call(int (*send)(struct vstream *fp, void *context),
                      int (*recv)(struct vstream *fp, void *context), void *context);

#endif
