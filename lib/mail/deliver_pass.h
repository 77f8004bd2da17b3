/*
 * deliver_pass - the client (qmgr) side of protocol deliver_v1
 * (docs/ipc.md), for a program that hands recipients to a delivery agent
 * itself: local(8) with mailbox_transport and fallback_transport, and the
 * test program tern-test-deliver.
 *
 *   fp = deliver_pass_connect(transport, timeout, why)
 *       connects to private/TRANSPORT (relative to the current directory,
 *       $queue_directory) and checks the announcement; NULL with why.
 *   deliver_pass_send(fp, req, nexthop, count, rcpts)
 *       sends the request list from REQ's message fields (flags,
 *       queue_name, queue_id, data_offset, data_size, sender, dsn_envid,
 *       dsn_ret, time_arrival, time_active, attrs) with NEXTHOP, then COUNT
 *       recipient lists from RCPTS. 0 or -1 (why: attr_error_reason()).
 *   deliver_pass_recv(fp, count, results, &status, reason)
 *       reads COUNT results into RESULTS (each field mystrdup'ed; free them
 *       with deliver_pass_free_result) and the final status and reason.
 *       0, or -1 when the agent broke the protocol or went away.
 *       A result may carry expansion leaves (exp_count, exp: sendmail -bv
 *       through an agent that expands, docs/ipc.md).
 *   deliver_pass_recv_result(fp, &result)
 *       reads one recipient's result list and its expansion leaves (qmgr
 *       uses it too); 0 or -1. Free with deliver_pass_free_result.
 *
 * The agent's replies are peer input: they are read with the default
 * attr limits and a bad status value is refused.
 */
#ifndef TERN_DELIVER_PASS_H
#define TERN_DELIVER_PASS_H

#include "mail/deliver_request.h"
#include "util/vstream.h"
#include "util/vstring.h"

struct vstream *deliver_pass_connect(const char *transport, int timeout, struct vstring *why);
int deliver_pass_send(struct vstream *fp, const struct deliver_request *req, const char *nexthop,
                      int count, const struct deliver_rcpt *rcpts);
int deliver_pass_recv(struct vstream *fp, int count, struct deliver_result *results, int *status,
                      struct vstring *reason);
int deliver_pass_recv_result(struct vstream *fp, struct deliver_result *result);
void deliver_pass_free_result(struct deliver_result *result);

#endif
