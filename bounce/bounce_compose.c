/*
 * bounce_compose - write one delivery status notification (RFC 3464,
 * RFC 3462 multipart/report) as lines without newlines, through a
 * callback.
 *
 *   bounce_compose(&notice, put, context)
 *       returns 0, or -1 when put returned -1 (the notice is then
 *       incomplete; the caller abandons it).
 *   bounce_subject(&notice)
 *       the Subject: text; Postfix's wording, which people and filters
 *       know.
 *
 * The notice's headers are in Postfix's order: Received: (when
 * notice.notice_id is known), Date:, From: Mail Delivery System
 * <MAILER-DAEMON@host>, Subject:, To:, Auto-Submitted:, MIME-Version:,
 * Content-Type:, Content-Transfer-Encoding: (cleanup adds Message-Id:).
 * Three parts follow: a short text for people (utf-8, 8bit; the wording
 * is Tern's own), the message/delivery-status report (Reporting-MTA,
 * X-Tern-Queue-ID, X-Tern-Sender, Original-Envelope-Id, Arrival-Date,
 * then per recipient Final-Recipient, Original-Recipient (the DSN ORCPT
 * as recorded, "rfc822;addr"), Action, Status, Remote-MTA and an smtp
 * Diagnostic-Code for remote replies, else "X-<mail_name>; reason",
 * Will-Retry-Until for delays), and the original with a Return-Path:
 * first, as delivered: the whole message as message/rfc822, or its
 * headers as text/rfc822-headers when notice.headers_only is set or the
 * message is larger than notice.size_limit; both 8bit. No original part when notice.qf is
 * NULL (the queue file could not be read). Header values that come from
 * outside (addresses, reasons) have control characters replaced, so they
 * cannot break the notice's structure. The boundary is made of the
 * original's queue id, the notice's time and the host name, so a line of
 * the original matches it only by deliberate forgery of a future notice.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "bounce.h"
#include "mail/qfile.h"
#include "mail/quote_addr.h"
#include "mail/rec_type.h"
#include "util/msg.h"
#include "util/vstring.h"

struct bounce_out {
    bounce_put_fn put;
    void *context;
    struct vstring *line;
    int error;
};

/* Emits LINE (a C string). */
static void
bounce_put(struct bounce_out *out, const char *line)
{
    if (!out->error && out->put(out->context, line, strlen(line)) < 0)
        out->error = 1;
}

/* Emits a formatted line. */
static void __attribute__((format(printf, 2, 3)))
bounce_printf(struct bounce_out *out, const char *fmt, ...)
{
    va_list ap;

    vstring_reset(out->line);
    va_start(ap, fmt);
    vstring_vsprintf_append(out->line, fmt, ap);
    va_end(ap);
    for (char *cp = vstring_str(out->line); *cp; cp++)
        if ((unsigned char)*cp < 0x20 && *cp != '\t')
            *cp = ' ';
    bounce_put(out, vstring_str(out->line));
}

/* RFC 5322 date in BUF. */
static const char *
bounce_date(char *buf, size_t len, time_t when)
{
    struct tm *tm = localtime(&when);

    if (tm == NULL || strftime(buf, len, "%a, %d %b %Y %H:%M:%S %z (%Z)", tm) == 0)
        snprintf(buf, len, "Thu, 01 Jan 1970 00:00:00 +0000");
    return buf;
}

const char *
bounce_subject(const struct bounce_notice *n)
{
    switch (n->kind) {
    case BOUNCE_KIND_FAILURE:
        return n->postmaster ? "Postmaster Copy: Undelivered Mail"
                             : "Undelivered Mail Returned to Sender";
    case BOUNCE_KIND_DELAY:
        return n->postmaster ? "Postmaster Warning: Delayed Mail"
                             : "Delayed Mail (still being retried)";
    case BOUNCE_KIND_SUCCESS:
        return "Successful Mail Delivery Report";
    default:
        return "Mail Delivery Status Report";
    }
}

/* The human-readable introduction, by kind. */
static void
bounce_intro(struct bounce_out *out, const struct bounce_notice *n)
{
    char date[64];

    bounce_printf(out, "Delivery report from the mail system at host %s.", n->myhostname);
    bounce_put(out, "");
    if (n->postmaster && *n->sender == 0 && n->kind == BOUNCE_KIND_FAILURE) {
        bounce_put(out, "A delivery notice (mail from the null sender <>) could not be");
        bounce_put(out, "delivered, so it comes to the postmaster instead. The recipients");
        bounce_put(out, "it failed for and the reasons are listed below.");
    } else if (n->postmaster) {
        bounce_printf(out, "Copy for the postmaster: mail from <%s> was %s.", n->sender,
                      n->kind == BOUNCE_KIND_DELAY ? "delayed" : "not delivered");
        bounce_put(out, "The recipients and reasons are listed below; the message headers");
        bounce_put(out, "are attached.");
    } else if (n->kind == BOUNCE_KIND_FAILURE) {
        bounce_put(out, "Your message could not be delivered to one or more of its");
        bounce_put(out, "recipients. They are listed below, each with the reason. The");
        bounce_put(out, "delivery report and your message (or its headers) are attached.");
        bounce_put(out, "");
        bounce_put(out, "If you need help, ask the postmaster of this system and include");
        bounce_put(out, "this notice.");
    } else if (n->kind == BOUNCE_KIND_DELAY) {
        bounce_put(out, "Your message has not yet reached one or more of its recipients.");
        bounce_put(out, "They are listed below with the reason of the latest delay. This is");
        bounce_put(out, "only a warning: delivery is still being attempted, and you do not");
        bounce_put(out, "need to send the message again.");
        if (n->arrival > 0 && n->queue_lifetime > 0) {
            bounce_put(out, "");
            bounce_printf(out, "Attempts go on until %s;",
                          bounce_date(date, sizeof(date), n->arrival + n->queue_lifetime));
            bounce_put(out, "if the message is still undelivered then, it comes back to you.");
        }
    } else if (n->kind == BOUNCE_KIND_SUCCESS) {
        bounce_put(out, "As you asked, here is the delivery report of your message for the");
        bounce_put(out, "recipients listed below.");
    } else {
        bounce_put(out, "Here is the delivery status of your message, as requested, for");
        bounce_put(out, "each recipient listed below.");
    }
    bounce_put(out, "");
}

/* ADDR in external form ("\"a b\"@example.com"), in BUF. */
static const char *
bounce_quote(struct vstring *buf, const char *addr)
{
    return vstring_str(quote_822_local(buf, addr, QUOTE_FLAG_DEFAULT));
}

#define BOUNCE_WRAP_WIDTH 79  /* longest line of a wrapped paragraph */
#define BOUNCE_WRAP_INDENT 4  /* spaces before each following line */

/*
 * Emits the text of out->line as a paragraph, as Postfix lays out the
 * recipients of a notice: words (runs of non-blanks) filled into lines of
 * at most BOUNCE_WRAP_WIDTH characters, the lines after the first
 * indented by BOUNCE_WRAP_INDENT spaces; a word too long for any line
 * stands alone on its line.
 */
static void
bounce_wrap(struct bounce_out *out)
{
    struct vstring *text = vstring_alloc(vstring_len(out->line) + 1);
    struct vstring *line = vstring_alloc(BOUNCE_WRAP_WIDTH + 1);
    char *cp;
    char *word;
    size_t indent = 0;

    vstring_strcpy(text, vstring_str(out->line));
    for (cp = vstring_str(text); (word = strsep(&cp, " \t")) != NULL;) {
        if (*word == 0)
            continue;
        if (vstring_len(line) > indent &&
            vstring_len(line) + 1 + strlen(word) > BOUNCE_WRAP_WIDTH) {
            bounce_put(out, vstring_str(line));
            vstring_reset(line);
            indent = BOUNCE_WRAP_INDENT;
            vstring_sprintf(line, "%*s", (int)indent, "");
        }
        if (vstring_len(line) > indent)
            vstring_addch(line, ' ');
        vstring_strcat(line, word);
    }
    if (vstring_len(line) > indent)
        bounce_put(out, vstring_str(line));
    vstring_free(line);
    vstring_free(text);
}

/*
 * "<addr>: reason", with the original address when it differs, each a
 * wrapped paragraph followed by an empty line.
 */
static void
bounce_human_rcpts(struct bounce_out *out, const struct bounce_notice *n)
{
    const struct bounce_rcpt *r;

    struct vstring *addr = vstring_alloc(100);
    struct vstring *orig = vstring_alloc(100);

    for (size_t i = 0; i < n->rcpt_count; i++) {
        r = n->rcpts + i;
        vstring_reset(out->line);
        if (*r->orig_rcpt && strcasecmp(r->orig_rcpt, r->address) != 0)
            vstring_sprintf(out->line, "<%s> (expanded from <%s>): %s",
                            bounce_quote(addr, r->address), bounce_quote(orig, r->orig_rcpt),
                            r->reason);
        else
            vstring_sprintf(out->line, "<%s>: %s", bounce_quote(addr, r->address), r->reason);
        for (char *cp = vstring_str(out->line); *cp; cp++)
            if ((unsigned char)*cp < 0x20)
                *cp = ' ';
        bounce_wrap(out);
        bounce_put(out, "");
    }
    vstring_free(addr);
    vstring_free(orig);
}

/* Is RELAY a remote host ("mx.example.com[192.0.2.1]:25"), not a local agent? */
static int
bounce_relay_remote(const char *relay)
{
    return *relay && strcmp(relay, "none") != 0 && strcmp(relay, "local") != 0 &&
           (strchr(relay, '.') != NULL || strchr(relay, '[') != NULL);
}

/* The per-recipient fields of the report. */
static void
bounce_report_rcpt(struct bounce_out *out, const struct bounce_notice *n,
                   const struct bounce_rcpt *r)
{
    const char *semi = strchr(r->dsn_orcpt, ';');
    const char *said;
    char date[64];
    int len;

    struct vstring *quoted = vstring_alloc(100);

    bounce_printf(out, "Final-Recipient: rfc822; %s", bounce_quote(quoted, r->address));
    if (semi != NULL && semi > r->dsn_orcpt)
        bounce_printf(out, "Original-Recipient: %s", r->dsn_orcpt);
    else if (*r->orig_rcpt && strcasecmp(r->orig_rcpt, r->address) != 0)
        bounce_printf(out, "Original-Recipient: rfc822; %s", bounce_quote(quoted, r->orig_rcpt));
    vstring_free(quoted);
    bounce_printf(out, "Action: %s", r->action);
    bounce_printf(out, "Status: %s", r->status);
    said = NULL;
    if (bounce_relay_remote(r->relay)) {
        len = (int)strcspn(r->relay, "[:");
        bounce_printf(out, "Remote-MTA: dns; %.*s", len, r->relay);
        if ((said = strstr(r->reason, " said: ")) != NULL) {
            said += 7;
            len = (int)(strstr(said, " (in reply to ") ? strstr(said, " (in reply to ") - said
                                                       : (long)strlen(said));
            bounce_printf(out, "Diagnostic-Code: smtp; %.*s", len, said);
        }
    }
    if (said == NULL && *r->reason)
        bounce_printf(out, "Diagnostic-Code: X-%s; %s", n->mail_name ? n->mail_name : "Tern",
                      r->reason);
    if (n->kind == BOUNCE_KIND_DELAY && n->arrival > 0 && n->queue_lifetime > 0)
        bounce_printf(out, "Will-Retry-Until: %s",
                      bounce_date(date, sizeof(date), n->arrival + n->queue_lifetime));
}

/* The message/delivery-status part body. */
static void
bounce_report(struct bounce_out *out, const struct bounce_notice *n)
{
    char date[64];

    bounce_printf(out, "Reporting-MTA: dns; %s", n->myhostname);
    bounce_printf(out, "X-Tern-Queue-ID: %s", n->queue_id);
    bounce_printf(out, "X-Tern-Sender: rfc822; %s", n->sender);
    if (n->dsn_envid && *n->dsn_envid)
        bounce_printf(out, "Original-Envelope-Id: %s", n->dsn_envid);
    if (n->arrival > 0)
        bounce_printf(out, "Arrival-Date: %s", bounce_date(date, sizeof(date), n->arrival));
    for (size_t i = 0; i < n->rcpt_count; i++) {
        bounce_put(out, "");
        bounce_report_rcpt(out, n, n->rcpts + i);
    }
}

/*
 * Reads the next whole line of the original into LINE: 1, 0 at the end
 * of the content, -1 on a read error.
 */
static int
bounce_next_line(struct qfile *qf, struct vstring *line, struct vstring *why)
{
    struct qfile_rec rec;
    int type;

    vstring_reset(line);
    while ((type = qfile_read(qf, &rec, why)) > 0) {
        if (type == REC_TYPE_CONT) {
            vstring_memcat(line, rec.data, rec.len);
        } else if (type == REC_TYPE_NORM) {
            vstring_memcat(line, rec.data, rec.len);
            return 1;
        } else if (type != REC_TYPE_MESG) {
            return 0;
        }
    }
    return type < 0 ? -1 : 0;
}

/* Copies the original (or its headers); -1 on a read error. */
static int
bounce_original(struct bounce_out *out, const struct bounce_notice *n, int headers_only)
{
    struct vstring *line = vstring_alloc(200);
    struct vstring *why = vstring_alloc(100);
    long copied = 0;
    int ret;

    if (qfile_seek_content(n->qf, why) < 0) {
        ret = -1;
    } else {
        while ((ret = bounce_next_line(n->qf, line, why)) > 0) {
            if (headers_only && vstring_len(line) == 0)
                break; /* end of the headers */
            copied += (long)vstring_len(line) + 1;
            if (headers_only && n->size_limit > 0 && copied > n->size_limit)
                break;
            if (!out->error && out->put(out->context, vstring_str(line), vstring_len(line)) < 0)
                out->error = 1;
        }
    }
    if (ret < 0)
        msg_warn("%s: cannot read the original message: %s", n->queue_id, vstring_str(why));
    vstring_free(line);
    vstring_free(why);
    return ret < 0 ? -1 : 0;
}

/* The Return-Path: the original gets first, as at delivery. */
static void
bounce_return_path(struct bounce_out *out, const struct bounce_notice *n)
{
    struct vstring *addr = vstring_alloc(100);

    quote_822_local(addr, n->sender, QUOTE_FLAG_8BITCLEAN);
    bounce_printf(out, "Return-Path: <%s>", vstring_str(addr));
    vstring_free(addr);
}

/* The boundary: queue id, time and host name. */
static void
bounce_boundary(struct vstring *boundary, const struct bounce_notice *n)
{
    vstring_sprintf(boundary, "%s.%ld/%s", n->queue_id, (long)n->now, n->myhostname);
}

/* The notice's own headers. */
static void
bounce_headers(struct bounce_out *out, const struct bounce_notice *n, const char *boundary)
{
    struct vstring *to = vstring_alloc(100);
    char date[64];

    quote_822_local(to, n->to, QUOTE_FLAG_8BITCLEAN);
    bounce_date(date, sizeof(date), n->now);
    if (n->notice_id) {
        bounce_printf(out, "Received: by %s (%s)", n->myhostname,
                      n->mail_name ? n->mail_name : "Tern");
        bounce_printf(out, "\tid %s; %s", n->notice_id, date);
    }
    bounce_printf(out, "Date: %s", date);
    bounce_printf(out, "From: Mail Delivery System <MAILER-DAEMON@%s>", n->myhostname);
    bounce_printf(out, "Subject: %s", bounce_subject(n));
    bounce_printf(out, "To: %s", vstring_str(to));
    bounce_put(out, "Auto-Submitted: auto-replied");
    bounce_put(out, "MIME-Version: 1.0");
    bounce_put(out, "Content-Type: multipart/report; report-type=delivery-status;");
    bounce_printf(out, "\tboundary=\"%s\"", boundary);
    bounce_put(out, "Content-Transfer-Encoding: 8bit");
    bounce_put(out, "");
    bounce_put(out, "This is a MIME-encapsulated message.");
    bounce_put(out, "");
    vstring_free(to);
}

/* Headers only: asked for, or the whole message is over the limit. */
static int
bounce_headers_only(const struct bounce_notice *n)
{
    return n->headers_only ||
           (n->size_limit > 0 && (long)qfile_info(n->qf)->content_size > n->size_limit);
}

int
bounce_compose(const struct bounce_notice *n, bounce_put_fn put, void *context)
{
    struct bounce_out out = {put, context, vstring_alloc(200), 0};
    struct vstring *boundary = vstring_alloc(100);
    int headers_only;

    bounce_boundary(boundary, n);
    bounce_headers(&out, n, vstring_str(boundary));
    bounce_printf(&out, "--%s", vstring_str(boundary));
    bounce_put(&out, "Content-Description: Notification");
    bounce_put(&out, "Content-Type: text/plain; charset=utf-8");
    bounce_put(&out, "Content-Transfer-Encoding: 8bit");
    bounce_put(&out, "");
    bounce_intro(&out, n);
    bounce_human_rcpts(&out, n); /* ends with an empty line */
    bounce_printf(&out, "--%s", vstring_str(boundary));
    bounce_put(&out, "Content-Description: Delivery report");
    bounce_put(&out, "Content-Type: message/delivery-status");
    bounce_put(&out, "");
    bounce_report(&out, n);
    bounce_put(&out, "");
    if (n->qf != NULL) {
        headers_only = bounce_headers_only(n);
        bounce_printf(&out, "--%s", vstring_str(boundary));
        bounce_printf(&out, "Content-Description: %s%s",
                      n->kind == BOUNCE_KIND_FAILURE ? "Undelivered Message"
                      : n->kind == BOUNCE_KIND_DELAY ? "Delayed Message"
                                                     : "Message",
                      headers_only ? " Headers" : "");
        bounce_printf(&out, "Content-Type: %s",
                      headers_only ? "text/rfc822-headers" : "message/rfc822");
        bounce_put(&out, "Content-Transfer-Encoding: 8bit");
        bounce_put(&out, "");
        bounce_return_path(&out, n);
        (void)bounce_original(&out, n, headers_only);
        bounce_put(&out, "");
    }
    bounce_printf(&out, "--%s--", vstring_str(boundary));
    vstring_free(out.line);
    vstring_free(boundary);
    return out.error ? -1 : 0;
}
