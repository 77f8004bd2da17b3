/*
 * cleanup_finish - the end of a message: decide, commit, answer.
 *
 *   cleanup_fail(state, stat, fmt, ...)
 *       adds a CLEANUP_STAT_* bit; the first reason given is kept.
 *   cleanup_done(state)
 *       after the end record (or a broken stream): writes the recipients
 *       extracted from headers, the blind copies (always_bcc and the
 *       *_bcc_maps results, NOTIFY=NEVER) and the Return-Receipt-To and
 *       Errors-To records, then
 *       - a broken stream, a write error or a temporary failure: the
 *         file is given up, the client gets the status and reason;
 *       - no recipients: CLEANUP_STAT_RCPT;
 *       - rejected content (header/body checks, message_size_limit,
 *         hopcount_limit) without CLEANUP_FLAG_BOUNCE: refused with the
 *         status; with it, the message is committed with the
 *         bounce_reason attribute (plus bounce_ret=sender when only
 *         hopcount_limit refused it: the notice returns the content as
 *         the sender's RET says, not only its headers), never held, and
 *         once the commit succeeded cleanup logs each recipient as
 *         Postfix's cleanup does, "ID: to=<R>, orig_to=<O>, relay=none,
 *         delay=D, delays=D/0/0/0, dsn=X.Y.Z, status=bounced (TEXT)";
 *         qmgr returns it to the sender saying nothing of its own
 *         (docs/queue-format.md, "Refused content"). Only a reason that
 *         starts with 5 is logged so, as qmgr tests it; a 4.X.X one is
 *         deferred and logged by qmgr;
 *       - DISCARD (action or flag): nothing is queued, status 0;
 *         (a HOLD action does not hold refused content: it is bounced now);
 *       - otherwise the filter and redirect attributes are written, the
 *         file moves to hold when a HOLD action said so, qfile_commit
 *         makes it exist, qmgr gets the "I" wake-up (not for hold), and
 *         only then the client reads status 0.
 * No queue file is left behind unless status 0 was sent.
 */
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "mail/addr_parse.h"
#include "mail/attr.h"
#include "mail/mail_connect.h"
#include "mail/log_delay.h"
#include "mail/mail_queue.h"
#include "util/msg.h"
#include "util/mymalloc.h"

#define CLEANUP_STAT_CONTENT (CLEANUP_STAT_SIZE | CLEANUP_STAT_CONT | CLEANUP_STAT_HOPS)

void
cleanup_fail(struct cleanup_state *state, int stat, const char *fmt, ...)
{
    va_list ap;

    state->errs |= stat;
    if (vstring_len(state->reason) == 0) {
        va_start(ap, fmt);
        vstring_vsprintf_append(state->reason, fmt, ap);
        va_end(ap);
    }
}

static void
cleanup_reply(struct cleanup_state *state, int status, const char *reason)
{
    if (attr_print(state->client, ATTR_FLAG_NONE, ATTR_SEND_INT("status", status),
                   ATTR_SEND_STR("reason", reason), ATTR_TYPE_END) < 0)
        msg_warn("%s: %s socket: %s", state->queue_id, vstream_path(state->client),
                 attr_error_reason());
}

static void
cleanup_give_up(struct cleanup_state *state, int status, const char *reason)
{
    if (state->qf) {
        qfile_abort(state->qf);
        state->qf = NULL;
    }
    cleanup_reply(state, status, reason);
}

/* Writes what only the end of the message decides; 0 or -1. */
static int
cleanup_write_extracted(struct cleanup_state *state)
{
    const char *filter = state->filter;

    if (filter == NULL && (state->flags & CLEANUP_FLAG_FILTER) && *cleanup_cf.content_filter)
        filter = cleanup_cf.content_filter;
    if (filter && qfile_put_attr(state->qf, "filter", filter) < 0)
        return -1;
    if (state->redirect && qfile_put_attr(state->qf, "redirect", state->redirect) < 0)
        return -1;
    if ((state->errs & CLEANUP_STAT_CONTENT) &&
        qfile_put_attr(state->qf, "bounce_reason", vstring_str(state->reason)) < 0)
        return -1;
    /* Content that is fine (too many hops) goes back as the sender's RET says. */
    if ((state->errs & CLEANUP_STAT_CONTENT) == CLEANUP_STAT_HOPS &&
        qfile_put_attr(state->qf, "bounce_ret", "sender") < 0)
        return -1;
    return 0;
}

/* Splits REASON "X.Y.Z text" into status and text; the text. */
static const char *
cleanup_split_dsn(const char *reason, struct vstring *status)
{
    size_t len = strcspn(reason, " ");

    if (len >= 5 && len <= 11 && (reason[0] == '4' || reason[0] == '5') && reason[1] == '.') {
        vstring_strncpy(status, reason, len);
        reason += len;
        while (*reason == ' ')
            reason++;
    } else {
        vstring_strcpy(status, "5.0.0");
    }
    return reason;
}

/*
 * The committed message is returned to its sender by qmgr, which logs
 * nothing about it: the delivery log lines are cleanup's, as in Postfix.
 */
static void
cleanup_log_bounced(struct cleanup_state *state)
{
    struct vstring *status = vstring_alloc(16);
    struct vstring *line = vstring_alloc(200);
    const char *text = cleanup_split_dsn(vstring_str(state->reason), status);
    int64_t arrival = (int64_t)state->arrival.tv_sec * 1000000 + state->arrival.tv_usec;
    struct argv *rcpts = state->bounce_rcpts;
    int64_t delay;

    if (vstring_str(state->reason)[0] == '5') { /* as qmgr_message_refused */
        for (size_t i = 0; i + 1 < rcpts->argc; i += 2) {
            vstring_sprintf(line, "%s: to=<%s>", state->queue_id, rcpts->argv[i]);
            if (*rcpts->argv[i + 1] && strcasecmp(rcpts->argv[i + 1], rcpts->argv[i]) != 0)
                vstring_sprintf_append(line, ", orig_to=<%s>", rcpts->argv[i + 1]);
            vstring_strcat(line, ", relay=none, delay=");
            delay = log_delay_now() - arrival;
            log_delay_append(line, delay, cleanup_cf.log_resolution);
            vstring_strcat(line, ", delays=");
            log_delay_append(line, delay, cleanup_cf.log_resolution);
            vstring_sprintf_append(line, "/0/0/0, dsn=%s, status=bounced (%s)", vstring_str(status),
                                   text);
            msg_info("%s", vstring_str(line));
        }
    }
    vstring_free(status);
    vstring_free(line);
}

static void
cleanup_commit(struct cleanup_state *state)
{
    struct vstring *why = vstring_alloc(100);
    struct qfile *qf = state->qf;

    if (cleanup_write_extracted(state) < 0) {
        msg_warn("%s: %s", state->queue_id, qfile_error(qf));
        cleanup_give_up(state, CLEANUP_STAT_WRITE, "4.3.0 queue file write error");
    } else if (state->hold && (state->errs & CLEANUP_STAT_CONTENT) == 0 &&
               qfile_change_queue(qf, MAIL_QUEUE_HOLD, why) < 0) {
        msg_warn("%s: %s", state->queue_id, vstring_str(why));
        cleanup_give_up(state, CLEANUP_STAT_WRITE, "4.3.0 queue file write error");
    } else {
        state->qf = NULL;
        if (qfile_commit(qf, why) < 0) {
            msg_warn("%s: %s", state->queue_id, vstring_str(why));
            cleanup_reply(state, CLEANUP_STAT_WRITE, "4.3.0 queue file write error");
        } else {
            if (state->errs & CLEANUP_STAT_CONTENT)
                cleanup_log_bounced(state);
            if ((!state->hold || (state->errs & CLEANUP_STAT_CONTENT)) &&
                mail_trigger(MAIL_CLASS_PUBLIC, cleanup_cf.queue_service_name, "I", 1) < 0)
                msg_warn("%s: trigger %s/%s: %m", state->queue_id, MAIL_CLASS_PUBLIC,
                         cleanup_cf.queue_service_name);
            cleanup_reply(state, 0, "");
        }
    }
    vstring_free(why);
}

/* Blind copies (NOTIFY=NEVER) and the Return-Receipt-To/Errors-To records. */
static void
cleanup_write_bcc(struct cleanup_state *state)
{
    for (size_t i = 0; i < state->bcc->argc && (state->errs & CLEANUP_STAT_WRITE) == 0; i++) {
        struct qfile_rcpt rcpt = {REC_RCPT_PENDING, REC_NOTIFY_NEVER, state->bcc->argv[i], NULL,
                                  NULL};

        cleanup_addr_recipient(state, &rcpt);
    }
    if (state->qf && state->rrto && qfile_put_rrto(state->qf, state->rrto) < 0)
        cleanup_fail(state, CLEANUP_STAT_WRITE, "4.3.0 queue file write error");
    if (state->qf && state->erto && qfile_put_erto(state->qf, state->erto) < 0)
        cleanup_fail(state, CLEANUP_STAT_WRITE, "4.3.0 queue file write error");
}

void
cleanup_done(struct cleanup_state *state)
{
    struct argv *extracted =
        state->extracted_resent->argc > 0 ? state->extracted_resent : state->extracted;

    if (state->errs & CLEANUP_STAT_BAD) {
        cleanup_give_up(state, CLEANUP_STAT_BAD, vstring_str(state->reason));
        return;
    }
    if ((state->errs & CLEANUP_STAT_WRITE) && state->qf && qfile_error(state->qf))
        msg_warn("%s: %s", state->queue_id, qfile_error(state->qf));
    for (size_t i = 0; i < extracted->argc && (state->errs & CLEANUP_STAT_WRITE) == 0; i++) {
        struct qfile_rcpt rcpt = {REC_RCPT_PENDING, 0, extracted->argv[i], NULL, NULL};

        cleanup_addr_recipient(state, &rcpt);
    }
    if ((state->flags & CLEANUP_FLAG_BCC_OK) && *cleanup_cf.always_bcc)
        (void)addr_parse_header(cleanup_cf.always_bcc, 0, state->bcc, NULL);
    if (state->rcpt_count > 0)
        cleanup_write_bcc(state);
    if (state->rcpt_count == 0 && (state->errs & ~CLEANUP_STAT_CONTENT) == 0 && !state->discard &&
        (state->flags & CLEANUP_FLAG_DISCARD) == 0)
        cleanup_fail(state, CLEANUP_STAT_RCPT, "5.1.0 no recipients specified");
    if (state->errs & ~CLEANUP_STAT_CONTENT) {
        cleanup_give_up(state, state->errs, vstring_str(state->reason));
    } else if (state->errs && (state->flags & CLEANUP_FLAG_BOUNCE) == 0) {
        cleanup_give_up(state, state->errs, vstring_str(state->reason));
    } else if (state->discard || (state->flags & CLEANUP_FLAG_DISCARD)) {
        cleanup_give_up(state, 0, "");
    } else {
        cleanup_commit(state);
    }
}
