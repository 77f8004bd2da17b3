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
 * was involved. Delay values are rounded as postconf(5)
 * delay_logging_resolution_limit says (whole seconds from 100 s on, at
 * most two significant digits below, "0" under the resolution). The
 * rounding is the same as lib/mail/deliver_request.c's; it is repeated
 * here because that file's header (fixed) does not export it.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "qmgr.h"
#include "util/msg.h"
#include "util/vstring.h"

int64_t
qmgr_now_us(void)
{
    struct timeval tv;

    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

void
qmgr_log_delay(struct vstring *buf, int64_t us)
{
    char tmp[64];
    int digits;
    char *end;

    if (us < 0)
        us = 0;
    if (us >= 100 * 1000000LL) {
        vstring_sprintf_append(buf, "%lld", (long long)((us + 500000) / 1000000));
        return;
    }
    digits = us >= 10000000  ? 0
             : us >= 1000000 ? 1
             : us >= 100000  ? 2
             : us >= 10000   ? 3
             : us >= 1000    ? 4
             : us >= 100     ? 5
                             : 6;
    if (digits > qmgr_params.log_resolution)
        digits = qmgr_params.log_resolution;
    snprintf(tmp, sizeof(tmp), "%.*f", digits, (double)us / 1e6);
    if (strchr(tmp, '.') != NULL) {
        end = tmp + strlen(tmp) - 1;
        while (*end == '0')
            *end-- = 0;
        if (*end == '.')
            *end = 0;
    }
    vstring_strcat(buf, tmp);
}

void
qmgr_log_result(const struct qmgr_message *msg, const struct qmgr_rcpt *rcpt, const char *relay,
                const char *dsn_status, const char *status_word, const char *reason)
{
    struct vstring *line = vstring_alloc(200);
    int64_t now = qmgr_now_us();
    int64_t arrival = (int64_t)msg->arrival.tv_sec * 1000000 + msg->arrival.tv_usec;

    vstring_sprintf(line, "%s: to=<%s>", msg->queue_id, rcpt->address);
    if (*rcpt->orig_rcpt && strcasecmp(rcpt->orig_rcpt, rcpt->address) != 0)
        vstring_sprintf_append(line, ", orig_to=<%s>", rcpt->orig_rcpt);
    vstring_sprintf_append(line, ", relay=%s, delay=", relay);
    qmgr_log_delay(line, now - arrival);
    vstring_strcat(line, ", delays=");
    qmgr_log_delay(line, msg->active_us - arrival);
    vstring_strcat(line, "/");
    qmgr_log_delay(line, now - msg->active_us);
    vstring_sprintf_append(line, "/0/0, dsn=%s, status=%s (%s)", dsn_status, status_word, reason);
    msg_info("%s", vstring_str(line));
    vstring_free(line);
}
