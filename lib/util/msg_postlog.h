/*
 * msg_postlog - the client side of the postlogd(8) service: send one log
 * record as one datagram to a UNIX-domain datagram socket.
 *
 *   msg_postlog_connect(path)   (re)connect to the service socket; 0 or -1
 *   msg_postlog_send(path, record, len)
 *       sends record (no newline; postlogd adds it). Connects first when
 *       there is no connection; after an error that says the service went
 *       away it reconnects once. Returns 0 when the datagram was queued,
 *       -1 when it was not (no service, or its queue stayed full).
 *   msg_postlog_close()
 *
 * A busy service slows the sender down but loses nothing: when the
 * service's queue is full (the kernel holds only a few datagrams per
 * socket) the sender waits up to MSG_POSTLOG_WAIT_MS for room, so log
 * parsers see every record while postlogd keeps up at all. A service that
 * stops reading cannot stall a mail process for long: after one such
 * timeout the sender does not wait again for MSG_POSTLOG_QUIET_MS (its
 * records are then dropped at once). The connected socket survives chroot; a process
 * in a jail that loses the connection cannot reconnect by an absolute
 * path and then drops its records. Used by msg.c only; never logs.
 */
#ifndef TERN_MSG_POSTLOG_H
#define TERN_MSG_POSTLOG_H

#include <stddef.h>

#define MSG_POSTLOG_WAIT_MS 2000
#define MSG_POSTLOG_QUIET_MS 10000

int msg_postlog_connect(const char *path);
int msg_postlog_send(const char *path, const char *record, size_t len);
void msg_postlog_close(void);

#endif
