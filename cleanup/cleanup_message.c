/*
 * cleanup_message - the content section of a cleanup_v1 stream: lines
 * (N records, and L pieces of long lines) from the client, split into the
 * primary header section and the body.
 *
 *   cleanup_message_begin(state)   after the M record: writes M, and the
 *       Received: header of a local submission (submit_uid attribute)
 *   cleanup_message_record(state, type, data, len)   one N, L or X record
 *   cleanup_message_end(state)     at X or E: finishes the headers when
 *       the message had no body, writes the X record
 *   cleanup_out_line(state, text, len), cleanup_out_text(state, text)
 *       write content (out_text splits at newlines: a folded header)
 *
 * Headers are collected with their continuation lines (at most
 * header_size_limit bytes each; the rest is discarded) and handed to
 * cleanup_header. The first line that is neither a header nor a
 * continuation ends the headers (cleanup_header_done adds what is
 * missing). Body lines go through body_checks (the first
 * body_checks_size_limit bytes of the body) and out; a body line longer
 * than line_length_limit is handled and written in pieces of about that
 * size (L records), so memory does not grow with the line. The headers
 * of multipart body parts and of attached messages are collected the
 * same way and go to cleanup_mime_part_header (cleanup_mime.c). Once the content
 * passes message_size_limit nothing more is written, and the message
 * fails with CLEANUP_STAT_SIZE ("5.3.4 message file too big", as
 * Postfix says; with CLEANUP_FLAG_BOUNCE it is queued to be returned, and
 * the bounce daemon returns its headers only, so the cut does not show).
 * Returns -1 (reason in state->scratch) for a record that breaks the
 * protocol.
 */
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "mail/header_line.h"
#include "util/msg.h"
#include "util/mymalloc.h"

void
cleanup_out_line(struct cleanup_state *state, const char *text, size_t len)
{
    if (state->qf == NULL)
        return;
    if (state->size_exceeded) {
        text = "";
        len = 0;
        if (!state->pieces_out)
            return;
    }
    state->pieces_out = 0;
    if (qfile_put_line(state->qf, text, len) < 0)
        cleanup_fail(state, CLEANUP_STAT_WRITE, "4.3.0 queue file write error");
}

/* Writes the first part of a long line; the rest follows. */
static void
cleanup_out_piece(struct cleanup_state *state, const char *text, size_t len)
{
    if (state->qf == NULL || state->size_exceeded)
        return;
    state->pieces_out = 1;
    if (qfile_put_piece(state->qf, text, len) < 0)
        cleanup_fail(state, CLEANUP_STAT_WRITE, "4.3.0 queue file write error");
}

void
cleanup_out_text(struct cleanup_state *state, const char *text)
{
    const char *nl;

    while ((nl = strchr(text, '\n')) != NULL) {
        cleanup_out_line(state, text, (size_t)(nl - text));
        text = nl + 1;
    }
    cleanup_out_line(state, text, strlen(text));
}

/* RFC 5322 date as Postfix writes it: "Mon, 23 Nov 2026 15:19:26 +0000 (UTC)". */
const char *
cleanup_mail_date(struct vstring *buf, time_t when)
{
    struct tm tm;
    char text[100];
    long off;

    localtime_r(&when, &tm);
    off = tm.tm_gmtoff / 60;
    strftime(text, sizeof(text), "%a, %e %b %Y %H:%M:%S ", &tm);
    vstring_sprintf(buf, "%s%c%02ld%02ld", text, off < 0 ? '-' : '+', (off < 0 ? -off : off) / 60,
                    (off < 0 ? -off : off) % 60);
    strftime(text, sizeof(text), " (%Z)", &tm);
    vstring_strcat(buf, text);
    return vstring_str(buf);
}

void
cleanup_message_begin(struct cleanup_state *state)
{
    const char *uid = cleanup_attr(state, "submit_uid");
    struct vstring *date = vstring_alloc(64);

    if (state->qf && qfile_begin_content(state->qf) < 0)
        cleanup_fail(state, CLEANUP_STAT_WRITE, "4.3.0 queue file write error");
    if (uid != NULL) {
        vstring_sprintf(state->scratch, "Received: by %s (%s, from userid %s)\n\tid %s; %s",
                        cleanup_cf.myhostname, cleanup_cf.mail_name, uid, state->queue_id,
                        cleanup_mail_date(date, state->arrival.tv_sec));
        cleanup_out_text(state, vstring_str(state->scratch));
        state->hop_count++; /* as Postfix, whose pickup writes this header: one hop */
    }
    vstring_free(date);
}

/* Adds to the header being collected, within header_size_limit. */
static void
cleanup_header_add(struct cleanup_state *state, const char *text, size_t len)
{
    long limit = cleanup_cf.header_size_limit;
    size_t have = vstring_len(state->header);

    if (limit > 0 && have + len > (size_t)limit)
        len = have >= (size_t)limit ? 0 : (size_t)limit - have;
    vstring_memcat(state->header, text, len);
}

/*
 * A body line, or with FINAL zero a line_length_limit piece of a long
 * one: body_checks see each piece as a line, as in Postfix.
 */
static void
cleanup_body_line(struct cleanup_state *state, struct vstring *line, int final)
{
    int verdict = CLEANUP_CHECK_KEEP;

    if (cleanup_cf.body_checks && (cleanup_cf.body_checks_size_limit <= 0 ||
                                   state->body_checked < cleanup_cf.body_checks_size_limit)) {
        state->body_checked += (long)vstring_len(line) + 1;
        verdict = cleanup_checks(state, cleanup_cf.body_checks, "body", line);
    }
    if (!final) {
        if (verdict == CLEANUP_CHECK_KEEP)
            cleanup_out_piece(state, vstring_str(line), vstring_len(line));
    } else if (verdict == CLEANUP_CHECK_KEEP) {
        cleanup_out_line(state, vstring_str(line), vstring_len(line));
    } else if (state->pieces_out) {
        cleanup_out_line(state, "", 0);
    }
}

/* Hands the collected header to its handler. */
static void
cleanup_flush_header(struct cleanup_state *state)
{
    if (!state->header_pending)
        return;
    state->header_pending = 0;
    if (state->in_header == CLEANUP_IN_PRIMARY)
        cleanup_header(state, state->header);
    else
        cleanup_mime_part_header(state, state->header);
}

/*
 * The end of a header section (primary, of a part or of an attached
 * message). After a blank line (BLANK) the headers of an attached
 * message may follow.
 */
static void
cleanup_end_headers(struct cleanup_state *state, int blank)
{
    cleanup_flush_header(state);
    if (state->in_header == CLEANUP_IN_PRIMARY) {
        state->in_header = CLEANUP_IN_BODY;
        cleanup_header_done(state);
    }
    state->in_header = blank && state->nested_next ? CLEANUP_IN_NESTED : CLEANUP_IN_BODY;
    state->nested_next = 0;
}

/* A body line; a multipart boundary starts a part's headers. */
static void
cleanup_body(struct cleanup_state *state, struct vstring *line)
{
    cleanup_body_line(state, line, 1);
    if (state->boundaries->argc > 0 &&
        cleanup_mime_boundary(state, vstring_str(line), vstring_len(line))) {
        state->in_header = CLEANUP_IN_PART;
        state->nested_next = 0;
    }
}

/* One complete physical line of content. */
static void
cleanup_line(struct cleanup_state *state, struct vstring *line)
{
    const char *text = vstring_str(line);
    size_t len = vstring_len(line);

    if (state->in_header == CLEANUP_IN_BODY) {
        cleanup_body(state, line);
        return;
    }
    if (state->header_pending && len > 0 && header_line_is_continuation(text)) {
        cleanup_header_add(state, "\n", 1);
        cleanup_header_add(state, text, len);
        return;
    }
    cleanup_flush_header(state);
    if (len > 0 && header_line_name_len(text, len) > 0) {
        vstring_reset(state->header);
        cleanup_header_add(state, text, len);
        state->header_pending = 1;
        return;
    }
    cleanup_end_headers(state, len == 0);
    if (len == 0)
        cleanup_out_line(state, "", 0);
    else
        cleanup_body(state, line);
}

static void
cleanup_count(struct cleanup_state *state, size_t len)
{
    state->size += (long)len;
    if (cleanup_cf.message_size_limit > 0 && state->size > cleanup_cf.message_size_limit &&
        !state->size_exceeded) {
        msg_warn("%s: queue file size limit exceeded", state->queue_id);
        cleanup_fail(state, CLEANUP_STAT_SIZE, "5.3.4 message file too big");
        state->size_exceeded = 1;
    }
}

int
cleanup_message_record(struct cleanup_state *state, int type, const char *data, size_t len)
{
    switch (type) {
    case REC_TYPE_NORM:
    case REC_TYPE_CONT:
        if (memchr(data, '\n', len) != NULL) {
            vstring_sprintf(state->scratch, "newline in %s record", rec_type_name(type));
            return -1;
        }
        cleanup_count(state, len + (type == REC_TYPE_NORM));
        if (!state->size_exceeded)
            vstring_memcat(state->line, data, len);
        if (type == REC_TYPE_CONT) {
            state->line_partial = 1;
            if (state->in_header == CLEANUP_IN_BODY && cleanup_cf.line_length_limit > 0 &&
                vstring_len(state->line) >= (size_t)cleanup_cf.line_length_limit) {
                cleanup_body_line(state, state->line, 0);
                vstring_reset(state->line);
            }
            return 0;
        }
        state->line_partial = 0;
        if (!state->size_exceeded || state->in_header != CLEANUP_IN_BODY)
            cleanup_line(state, state->line);
        vstring_reset(state->line);
        return 0;
    case REC_TYPE_XTRA:
        if (len != 0) {
            vstring_strcpy(state->scratch, "extracted record with a payload");
            return -1;
        }
        cleanup_message_end(state);
        state->section = CLEANUP_SECT_EXTRACTED;
        return 0;
    default:
        vstring_sprintf(state->scratch, "%s record in content section", rec_type_name(type));
        return -1;
    }
}

void
cleanup_message_end(struct cleanup_state *state)
{
    if (state->line_partial) {
        state->line_partial = 0;
        cleanup_line(state, state->line);
        vstring_reset(state->line);
    }
    if (state->in_header != CLEANUP_IN_BODY)
        cleanup_end_headers(state, 0);
    if (state->qf && qfile_begin_extracted(state->qf) < 0)
        cleanup_fail(state, CLEANUP_STAT_WRITE, "4.3.0 queue file write error");
}
