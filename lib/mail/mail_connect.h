/*
 * mail_connect - the client side of local IPC: connect to a service's
 * socket, and send wake-up triggers.
 *
 *   fp = mail_connect(queue_dir, MAIL_CLASS_PRIVATE, "cleanup", timeout, why);
 *
 * connects to QUEUE_DIR/private/cleanup (an AF_UNIX stream socket opened
 * by the master) and returns a vstream with the timeout set, named
 * "private/cleanup" for diagnostics. A NULL queue_dir means the current
 * directory: every Tern daemon and the master work inside
 * $queue_directory (chrooted or not), so relative names are the norm. The
 * connect itself is bounded by the timeout too (0: no limit, as for
 * vstream_set_timeout). On failure it returns NULL with errno set and,
 * when why is not NULL, a reason such as
 * "connect to private/cleanup: No such file or directory" in why.
 * Next the client calls attr_expect_protocol (attr.h).
 *
 *   mail_trigger(MAIL_CLASS_PUBLIC, "pickup", "W", 1);
 *
 * sends a wake-up (a few bytes) to the service CLASS/SERVICE relative to
 * the current directory, which must be $queue_directory. A FIFO gets the
 * bytes written without blocking (a full FIFO already holds a wake-up, so
 * that counts as sent); a UNIX-domain socket is connected to, written and
 * closed, all within MAIL_TRIGGER_TIMEOUT seconds. Returns 0, or -1 with
 * errno set (ENOENT: no such service; ENXIO: a FIFO with no reader;
 * ETIMEDOUT; ENOTSOCK: neither a FIFO nor a socket). The caller logs.
 *
 * A service name must be non-empty, without '/', and not "." or ".."; a bad
 * one fails with EINVAL (it may come from main.cf). A bad class is a
 * programming error and panics. Neither function logs.
 */
#ifndef TERN_MAIL_CONNECT_H
#define TERN_MAIL_CONNECT_H

#include <stddef.h>

#include "util/vstream.h"
#include "util/vstring.h"

#define MAIL_CLASS_PRIVATE "private"
#define MAIL_CLASS_PUBLIC "public"

/* Seconds to deliver a trigger (Postfix's trigger_timeout default). */
#define MAIL_TRIGGER_TIMEOUT 10

/* Trigger request bytes understood by the trigger-style daemons. */
#define MAIL_TRIGGER_WAKEUP 'W' /* look for new work */

struct vstream *mail_connect(const char *queue_dir, const char *class, const char *service,
                             int timeout, struct vstring *why);
int mail_trigger(const char *class, const char *service, const char *bytes, size_t len);

#endif
