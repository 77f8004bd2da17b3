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
 *         hopcount_limit): with CLEANUP_FLAG_BOUNCE the message is
 *         committed with the bounce_reason attribute (qmgr returns it to
 *         the sender), else it is refused with the status;
 *       - DISCARD (action or flag): nothing is queued, status 0;
 *       - otherwise the filter and redirect attributes are written, the
 *         file moves to hold when a HOLD action said so, qfile_commit
 *         makes it exist, qmgr gets the "I" wake-up (not for hold), and
 *         only then the client reads status 0.
 * No queue file is left behind unless status 0 was sent.
 */
#include <stdarg.h>
#include <string.h>

#include "cleanup.h"
#include "mail/addr_parse.h"
#include "mail/attr.h"
#include "mail/mail_connect.h"
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
    return 0;
}

static void
cleanup_commit(struct cleanup_state *state)
{
    struct vstring *why = vstring_alloc(100);
    struct qfile *qf = state->qf;

    if (cleanup_write_extracted(state) < 0) {
        msg_warn("%s: %s", state->queue_id, qfile_error(qf));
        cleanup_give_up(state, CLEANUP_STAT_WRITE, "4.3.0 queue file write error");
    } else if (state->hold && qfile_change_queue(qf, MAIL_QUEUE_HOLD, why) < 0) {
        msg_warn("%s: %s", state->queue_id, vstring_str(why));
        cleanup_give_up(state, CLEANUP_STAT_WRITE, "4.3.0 queue file write error");
    } else {
        state->qf = NULL;
        if (qfile_commit(qf, why) < 0) {
            msg_warn("%s: %s", state->queue_id, vstring_str(why));
            cleanup_reply(state, CLEANUP_STAT_WRITE, "4.3.0 queue file write error");
        } else {
            if (!state->hold &&
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
