/*
 * postcat_print - Tern's queue file records as Postfix's postcat prints
 * them; see postcat.h.
 *
 * Each record type maps to the label Postfix's postcat uses for the same
 * information, so that people and scripts reading the output see the
 * same lines:
 *
 *   header (H)        message_size: (six 15-wide fields: content size,
 *                     offset of the first content record, recipients,
 *                     0, content size, 0, the fields Postfix shows)
 *   time (T)          message_arrival_time: DATE
 *   warn (W)          warning_message_time: DATE
 *   attr (A)          named_attribute: NAME=VALUE, except create_time
 *                     (create_time: DATE) and the attributes that carry
 *                     what Postfix keeps in records of their own:
 *                     sender_fullname, content_filter (also "filter"),
 *                     redirect_to (also "redirect")
 *   sender (S)        sender: ADDRESS (empty for <>)
 *   dsn_envid (I)     named_attribute: envelope_id=ID
 *   dsn_ret (Y)       named_attribute: ret_flags=N
 *   recipient (R)     named_attribute: notify_flags=N (when given),
 *                     named_attribute: dsn_orig_rcpt=ORCPT (when given),
 *                     original_recipient: ADDRESS (when known), then
 *                     recipient: or done_recipient: ADDRESS
 *   return_receipt (P), errors_to (K)   return_receipt:, errors_to:
 *   message_content (M), extracted (X), end (E)
 *                     *** MESSAGE CONTENTS NAME ***, *** HEADER
 *                     EXTRACTED NAME ***, *** MESSAGE FILE END NAME ***
 *   line (N), line_piece (L)   the message text
 *
 * DATE is asctime(3)'s form without the newline, in local time. With -o
 * each line starts with the record's offset ("%9lu "), with -d with its
 * type byte in decimal ("%3d "); every line made from one record gets the
 * same prefix, and with either option each line piece is shown on a line
 * of its own (without them, pieces are joined into their line). The
 * message header is the lines from the start of the content that are
 * header lines or continue one; the body starts at the first other line
 * (usually the empty line). Bytes are printed as they are.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mail/header_line.h"
#include "mail/record.h"
#include "postcat.h"
#include "util/msg.h"
#include "util/vstream.h"

struct postcat_state {
    const struct postcat_opts *opts;
    const char *name;
    struct vstream *out;
    int showing;     /* the skip offset was reached */
    int in_header;   /* content: still in the primary message header */
    int prev_header; /* the last content line was a header line */
    int line_start;  /* the next content record starts a line */
    int line_shown;  /* the current content line is being printed */
    int open_line;   /* a joined line was started but has no newline yet */
};

/* Attributes shown under the label of the Postfix record that carries them. */
static const char *const postcat_attr_labels[][2] = {
    {"sender_fullname", "sender_fullname"},
    {"content_filter", "content_filter"},
    {"filter", "content_filter"},
    {"redirect_to", "redirect_to"},
    {"redirect", "redirect_to"},
};

static void
postcat_prefix(struct postcat_state *st, uint64_t offset, int type)
{
    if (st->opts->flags & POSTCAT_OFFSET)
        vstream_printf(st->out, "%9llu ", (unsigned long long)offset);
    if (st->opts->flags & POSTCAT_DECIMAL)
        vstream_printf(st->out, "%3d ", type);
}

/* One envelope-style line "LABEL: TEXT" with the record's prefix. */
static void
postcat_line(struct postcat_state *st, const struct qfile_rec *rec, const char *label,
             const char *text)
{
    if (!st->showing || !(st->opts->flags & POSTCAT_ENVELOPE))
        return;
    postcat_prefix(st, rec->offset, rec->type);
    vstream_printf(st->out, "%s: %s\n", label, text);
}

/* asctime(3)'s layout without the newline; the number when out of range. */
static const char *
postcat_date(char *buf, size_t size, long long when)
{
    time_t t = (time_t)when;
    struct tm tm;

    if (localtime_r(&t, &tm) == NULL || strftime(buf, size, "%a %b %e %H:%M:%S %Y", &tm) == 0)
        snprintf(buf, size, "%lld", when);
    return buf;
}

static void
postcat_marker(struct postcat_state *st, const struct qfile_rec *rec, const char *what)
{
    if (!st->showing || !(st->opts->flags & POSTCAT_ENVELOPE))
        return;
    postcat_prefix(st, rec->offset, rec->type);
    vstream_printf(st->out, "*** %s %s ***\n", what, st->name);
}

static void
postcat_attr(struct postcat_state *st, const struct qfile_rec *rec)
{
    char date[64];
    size_t n;

    if (strcmp(rec->name, "create_time") == 0 && rec->value[0] && rec->value[0] != '-' &&
        strspn(rec->value, "0123456789") == strlen(rec->value) && strlen(rec->value) < 19) {
        postcat_line(st, rec, "create_time",
                     postcat_date(date, sizeof(date), strtoll(rec->value, NULL, 10)));
        return;
    }
    for (n = 0; n < sizeof(postcat_attr_labels) / sizeof(postcat_attr_labels[0]); n++) {
        if (strcmp(rec->name, postcat_attr_labels[n][0]) == 0) {
            postcat_line(st, rec, postcat_attr_labels[n][1], rec->value);
            return;
        }
    }
    if (st->showing && (st->opts->flags & POSTCAT_ENVELOPE)) {
        postcat_prefix(st, rec->offset, rec->type);
        vstream_printf(st->out, "named_attribute: %s=%s\n", rec->name, rec->value);
    }
}

static void
postcat_rcpt(struct postcat_state *st, const struct qfile_rec *rec)
{
    const struct qfile_rcpt *rcpt = &rec->rcpt;
    char num[16];

    if (rcpt->notify) {
        snprintf(num, sizeof(num), "notify_flags=%d", rcpt->notify);
        postcat_line(st, rec, "named_attribute", num);
    }
    if (rcpt->dsn_orcpt && *rcpt->dsn_orcpt) {
        if (st->showing && (st->opts->flags & POSTCAT_ENVELOPE)) {
            postcat_prefix(st, rec->offset, rec->type);
            vstream_printf(st->out, "named_attribute: dsn_orig_rcpt=%s\n", rcpt->dsn_orcpt);
        }
    }
    if (rcpt->orig_rcpt && *rcpt->orig_rcpt)
        postcat_line(st, rec, "original_recipient", rcpt->orig_rcpt);
    postcat_line(st, rec, rcpt->status == REC_RCPT_DONE ? "done_recipient" : "recipient",
                 rcpt->address);
}

/* Is the content line that starts with this record in the message header? */
static int
postcat_header_line(struct postcat_state *st, const struct qfile_rec *rec)
{
    if (!st->in_header)
        return 0;
    if (header_line_name_len(rec->data, rec->len) > 0 ||
        (st->prev_header && header_line_is_continuation(rec->data))) {
        st->prev_header = 1;
        return 1;
    }
    st->in_header = 0;
    return 0;
}

static void
postcat_content(struct postcat_state *st, const struct qfile_rec *rec)
{
    int split = (st->opts->flags & (POSTCAT_OFFSET | POSTCAT_DECIMAL)) != 0;

    if (st->line_start)
        st->line_shown = postcat_header_line(st, rec) ? (st->opts->flags & POSTCAT_HEADER) != 0
                                                      : (st->opts->flags & POSTCAT_BODY) != 0;
    if (st->showing && st->line_shown) {
        if (split || st->line_start)
            postcat_prefix(st, rec->offset, rec->type);
        vstream_write(st->out, rec->data, rec->len);
        if (split || rec->type == REC_TYPE_NORM)
            vstream_putc(st->out, '\n');
        st->open_line = !split && rec->type == REC_TYPE_CONT;
    }
    st->line_start = rec->type == REC_TYPE_NORM;
}

/* A line that a damaged file left without its newline gets one. */
static void
postcat_close_line(struct postcat_state *st)
{
    if (st->open_line)
        vstream_putc(st->out, '\n');
    st->open_line = 0;
}

/* The header record, from what the reader decoded of it. */
static void
postcat_size(struct postcat_state *st, const struct qfile_info *info)
{
    if (!st->showing || !(st->opts->flags & POSTCAT_ENVELOPE))
        return;
    postcat_prefix(st, 0, REC_TYPE_HEADER);
    vstream_printf(st->out, "message_size: %15llu %15llu %15lu %15d %15llu %15d\n",
                   (unsigned long long)qfile_log_size(info),
                   (unsigned long long)(info->content_offset + RECORD_HDR_LEN),
                   (unsigned long)info->rcpt_count, 0, (unsigned long long)info->content_size, 0);
}

static void
postcat_record(struct postcat_state *st, const struct qfile_rec *rec)
{
    char date[64];
    char num[32];

    if (rec->type != REC_TYPE_NORM && rec->type != REC_TYPE_CONT)
        postcat_close_line(st);
    switch (rec->type) {
    case REC_TYPE_TIME:
        postcat_line(st, rec, "message_arrival_time",
                     postcat_date(date, sizeof(date), (long long)rec->time.tv_sec));
        break;
    case REC_TYPE_WARN:
        postcat_line(st, rec, "warning_message_time",
                     postcat_date(date, sizeof(date), (long long)rec->warn));
        break;
    case REC_TYPE_ATTR:
        postcat_attr(st, rec);
        break;
    case REC_TYPE_SENDER:
        postcat_line(st, rec, "sender", rec->text);
        break;
    case REC_TYPE_DSN_ENVID:
        if (st->showing && (st->opts->flags & POSTCAT_ENVELOPE)) {
            postcat_prefix(st, rec->offset, rec->type);
            vstream_printf(st->out, "named_attribute: envelope_id=%s\n", rec->text);
        }
        break;
    case REC_TYPE_DSN_RET:
        snprintf(num, sizeof(num), "ret_flags=%d", rec->ret);
        postcat_line(st, rec, "named_attribute", num);
        break;
    case REC_TYPE_RCPT:
        postcat_rcpt(st, rec);
        break;
    case REC_TYPE_RRTO:
        postcat_line(st, rec, "return_receipt", rec->text);
        break;
    case REC_TYPE_ERTO:
        postcat_line(st, rec, "errors_to", rec->text);
        break;
    case REC_TYPE_MESG:
        postcat_marker(st, rec, "MESSAGE CONTENTS");
        break;
    case REC_TYPE_NORM:
    case REC_TYPE_CONT:
        postcat_content(st, rec);
        break;
    case REC_TYPE_XTRA:
        postcat_marker(st, rec, "HEADER EXTRACTED");
        break;
    case REC_TYPE_END:
        postcat_marker(st, rec, "MESSAGE FILE END");
        break;
    default:
        msg_panic("postcat_record: unexpected record type %d", rec->type);
    }
}

int
postcat_print(struct qfile *qf, const char *name, const struct postcat_opts *opts,
              struct vstring *why)
{
    struct postcat_state st = {opts, name, vstream_stdout(), opts->skip == 0, 1, 0, 1, 0, 0};
    struct qfile_rec rec;
    int type;
    int status = 0;

    if (st.showing && (opts->flags & POSTCAT_ENVELOPE))
        vstream_printf(st.out, "*** ENVELOPE RECORDS %s ***\n", name);
    postcat_size(&st, qfile_info(qf));
    while ((type = qfile_read(qf, &rec, why)) > 0) {
        if (rec.offset == opts->skip)
            st.showing = 1;
        postcat_record(&st, &rec);
        if (type == REC_TYPE_END)
            break;
    }
    postcat_close_line(&st);
    if (type < 0) {
        status = -1;
    } else if (!st.showing) {
        vstring_sprintf(why, "offset %llu: no record starts there", (unsigned long long)opts->skip);
        status = -1;
    }
    if (vstream_flush(st.out) < 0)
        msg_fatal("write to standard output: %m");
    return status;
}
