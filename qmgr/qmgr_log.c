/*
 * qmgr_log - the delivery log line for results that qmgr decides itself
 * (resolver failures, an unavailable transport, a dead destination,
 * bounce_reason, administrative expiry), in the same shape the agents log
 * through deliver_request:
 *
 *   QUEUEID: to=<ADDR>, orig_to=<ORIG>, relay=none, delay=D,
 *       delays=a/b/0/0, dsn=X.Y.Z, status=deferred (REASON)
 *
 * a is arrival to active, b active to now; c and d are 0 because no agent
 * was involved. Delay values are written by lib/mail/log_delay, as the
 * agents write theirs.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "mail/log_delay.h"
#include "qmgr.h"
#include "util/msg.h"
#include "util/vstring.h"

void
qmgr_log_result(const struct qmgr_message *msg, const struct qmgr_rcpt *rcpt, const char *relay,
                const char *dsn_status, const char *status_word, const char *reason)
{
    struct vstring *line = vstring_alloc(200);
    int64_t now = log_delay_now();
    int64_t arrival = (int64_t)msg->arrival.tv_sec * 1000000 + msg->arrival.tv_usec;

    vstring_sprintf(line, "%s: to=<%s>", msg->queue_id, rcpt->address);
    if (*rcpt->orig_rcpt && strcasecmp(rcpt->orig_rcpt, rcpt->address) != 0)
        vstring_sprintf_append(line, ", orig_to=<%s>", rcpt->orig_rcpt);
    vstring_sprintf_append(line, ", relay=%s, delay=", relay);
    log_delay_append(line, now - arrival, qmgr_params.log_resolution);
    vstring_strcat(line, ", delays=");
    log_delay_append(line, msg->active_us - arrival, qmgr_params.log_resolution);
    vstring_strcat(line, "/");
    log_delay_append(line, now - msg->active_us, qmgr_params.log_resolution);
    vstring_sprintf_append(line, "/0/0, dsn=%s, status=%s (%s)", dsn_status, status_word, reason);
    msg_info("%s", vstring_str(line));
    vstring_free(line);
}
