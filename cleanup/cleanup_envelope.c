/*
 * cleanup_envelope - the envelope and extracted records of a cleanup_v1
 * record stream.
 *
 *   cleanup_envelope_record(state, type, data, len)
 *       T (once, first of what is needed; followed in the queue file by
 *       the W record when delay_warning_time is set), A, S (once, before
 *       any R), I, Y, R, and M, which starts the content. The sender is rewritten
 *       (cleanup_addr_sender) and written; each recipient goes through
 *       cleanup_addr_recipient (rewriting, canonical, virtual alias,
 *       duplicates). Attributes are written as they come and remembered
 *       for the later steps (rewrite_context, full_name, submit_uid,
 *       extract_recipients, log_client_*).
 *   cleanup_extracted_record(state, type, data, len)
 *       A, R, P, K after the X record.
 *   cleanup_attr(state, name)   an attribute the client sent, or NULL.
 *
 * Both return 0, or -1 with the reason in state->scratch when the record
 * breaks the protocol (the caller then drops the stream).
 */
#include <string.h>

#include "cleanup.h"
#include "mail/attr.h"
#include "mail/record.h"
#include "util/msg.h"
#include "util/mymalloc.h"

const char *
cleanup_attr(struct cleanup_state *state, const char *name)
{
    return htable_find(state->attrs, name);
}

/* Text without NUL bytes, optionally not empty; else -1 with a reason. */
static int
cleanup_text_ok(struct cleanup_state *state, int type, const char *data, size_t len, int empty_ok)
{
    if (memchr(data, 0, len) != NULL) {
        vstring_sprintf(state->scratch, "NUL byte in %s record", rec_type_name(type));
        return -1;
    }
    if (!empty_ok && len == 0) {
        vstring_sprintf(state->scratch, "empty %s record", rec_type_name(type));
        return -1;
    }
    return 0;
}

/* Notes a failed qfile put (a write error: the record itself was checked). */
static void
cleanup_put_status(struct cleanup_state *state, int status)
{
    if (status < 0 && (state->errs & CLEANUP_STAT_WRITE) == 0)
        cleanup_fail(state, CLEANUP_STAT_WRITE, "4.3.0 queue file write error");
}

static int
cleanup_envelope_attr(struct cleanup_state *state, const char *data, size_t len)
{
    const char *eq = memchr(data, '=', len);
    char *name, *value;

    if (cleanup_text_ok(state, REC_TYPE_ATTR, data, len, 0) < 0)
        return -1;
    if (eq == NULL || !attr_name_valid(data, (size_t)(eq - data))) {
        vstring_strcpy(state->scratch, "bad attribute record");
        return -1;
    }
    name = mystrndup(data, (size_t)(eq - data));
    value = mystrndup(eq + 1, len - (size_t)(eq - data) - 1);
    if (htable_find(state->attrs, name) == NULL)
        htable_enter(state->attrs, name, value);
    else
        myfree(value);
    if (strcmp(name, "rewrite_context") == 0)
        state->local_context = strcmp(htable_find(state->attrs, name), "remote") != 0;
    if (state->qf)
        cleanup_put_status(state, qfile_put_attr(state->qf, name, eq + 1));
    myfree(name);
    return 0;
}

static int
cleanup_envelope_sender(struct cleanup_state *state, const char *data, size_t len)
{
    char *raw;

    if (state->seen_sender) {
        vstring_strcpy(state->scratch, "duplicate sender record");
        return -1;
    }
    if (cleanup_text_ok(state, REC_TYPE_SENDER, data, len, 1) < 0)
        return -1;
    state->seen_sender = 1;
    raw = mystrndup(data, len);
    cleanup_addr_sender(state, raw, state->scratch);
    myfree(raw);
    state->sender = mystrdup(vstring_str(state->scratch));
    if (state->qf)
        cleanup_put_status(state, qfile_put_sender(state->qf, state->sender));
    return 0;
}

static int
cleanup_recipient(struct cleanup_state *state, const char *data, size_t len)
{
    struct vstring *store = vstring_alloc(100);
    struct qfile_rcpt rcpt;

    if (state->section == CLEANUP_SECT_ENVELOPE && !state->seen_sender) {
        vstring_strcpy(state->scratch, "recipient record before sender record");
        vstring_free(store);
        return -1;
    }
    if (qfile_rcpt_decode(data, len, &rcpt, store, state->scratch) < 0) {
        vstring_free(store);
        return -1;
    }
    if (rcpt.status == REC_RCPT_PENDING)
        cleanup_addr_recipient(state, &rcpt);
    vstring_free(store);
    return 0;
}

int
cleanup_envelope_record(struct cleanup_state *state, int type, const char *data, size_t len)
{
    switch (type) {
    case REC_TYPE_TIME:
        if (state->seen_time) {
            vstring_strcpy(state->scratch, "duplicate time record");
            return -1;
        }
        if (qfile_time_decode(data, len, &state->arrival, state->scratch) < 0)
            return -1;
        state->seen_time = 1;
        if (state->qf)
            cleanup_put_status(state, qfile_put_time(state->qf, &state->arrival));
        /* When qmgr is to send a delay warning (it clears the time in place). */
        if (state->qf && cleanup_cf.delay_warning_time > 0)
            cleanup_put_status(state, qfile_put_warn(state->qf, state->arrival.tv_sec +
                                                                    cleanup_cf.delay_warning_time));
        return 0;
    case REC_TYPE_ATTR:
        return cleanup_envelope_attr(state, data, len);
    case REC_TYPE_SENDER:
        return cleanup_envelope_sender(state, data, len);
    case REC_TYPE_DSN_ENVID:
        if (cleanup_text_ok(state, type, data, len, 0) < 0)
            return -1;
        vstring_strncpy(state->scratch, data, len);
        if (state->qf)
            cleanup_put_status(state, qfile_put_dsn_envid(state->qf, vstring_str(state->scratch)));
        return 0;
    case REC_TYPE_DSN_RET:
        if (len != 1 || (data[0] != REC_RET_FULL && data[0] != REC_RET_HDRS)) {
            vstring_strcpy(state->scratch, "bad dsn_ret record");
            return -1;
        }
        if (state->qf)
            cleanup_put_status(state, qfile_put_dsn_ret(state->qf, data[0]));
        return 0;
    case REC_TYPE_RCPT:
        return cleanup_recipient(state, data, len);
    case REC_TYPE_MESG:
        if (!state->seen_time || !state->seen_sender) {
            vstring_sprintf(state->scratch, "missing %s record in envelope",
                            state->seen_time ? "sender" : "time");
            return -1;
        }
        if (len != 0) {
            vstring_strcpy(state->scratch, "message_content record with a payload");
            return -1;
        }
        state->section = CLEANUP_SECT_CONTENT;
        cleanup_message_begin(state);
        return 0;
    default:
        vstring_sprintf(state->scratch, "%s record in envelope section", rec_type_name(type));
        return -1;
    }
}

int
cleanup_extracted_record(struct cleanup_state *state, int type, const char *data, size_t len)
{
    switch (type) {
    case REC_TYPE_ATTR:
        return cleanup_envelope_attr(state, data, len);
    case REC_TYPE_RCPT:
        return cleanup_recipient(state, data, len);
    case REC_TYPE_RRTO:
    case REC_TYPE_ERTO:
        if (cleanup_text_ok(state, type, data, len, 0) < 0)
            return -1;
        /* Written once, at the end, with what the headers say otherwise. */
        if (type == REC_TYPE_RRTO) {
            myfree(state->rrto);
            state->rrto = mystrndup(data, len);
        } else {
            myfree(state->erto);
            state->erto = mystrndup(data, len);
        }
        return 0;
    default:
        vstring_sprintf(state->scratch, "%s record in extracted section", rec_type_name(type));
        return -1;
    }
}
