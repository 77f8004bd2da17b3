/*
 * cleanup_header - one logical header of the primary header section, and
 * the headers added when the section ends.
 *
 *   cleanup_header(state, header)
 *       HEADER is the header with its continuation lines joined by "\n".
 *       header_checks (mime_header_checks for Content-* and
 *       MIME-Version) may act on it first. Then: Received: is counted
 *       (hopcount_limit: from the limit-th on, each one logs "warning: ID:
 *       message rejected: hopcount exceeded" and the message fails with
 *       CLEANUP_STAT_HOPS "5.4.0 too many hops"); Message-Id: is logged ("ID: message-id=<...>");
 *       with extract_recipients=yes the To:, Cc: and Bcc: addresses are
 *       kept as written (they become the recipients' orig_rcpt) for the
 *       extracted section (those of Resent-To:, Resent-Cc: and
 *       Resent-Bcc: instead when the message has any); address headers
 *       get their addresses rewritten (rewrite_context local, as all
 *       pickup mail is: trivial-rewrite "local"; rewrite_context remote,
 *       the mail of a client that local_header_rewrite_clients does not
 *       list: only when remote_header_rewrite_domain is set, with the
 *       "remote" rule; then canonical maps and masquerading per
 *       header_sender / header_recipient) and rebuilt only when an
 *       address changed. The first address of Return-Receipt-To: and
 *       Errors-To: is kept for the P and K records. Headers named in
 *       message_drop_headers (Bcc:, Content-Length:, Resent-Bcc:,
 *       Return-Path: by default) are not written.
 *   cleanup_header_done(state)
 *       for local submissions (or
 *       always_add_missing_headers) the missing Message-Id:, Date:,
 *       From: (with full_name per header_from_format) and the
 *       undisclosed_recipients_header. A message with any of the
 *       RFC 5322 Resent- headers (Resent-From, -Sender, -Date, -To, -Cc,
 *       -Bcc, -Message-Id, -Reply-To) gets the missing Resent-Message-Id:,
 *       Resent-Date: and Resent-From: instead, and its own Message-Id:,
 *       Date: and From: are left as they are; the log then says
 *       "resent-message-id=<...>" and, without a Message-Id:,
 *       "message-id=<>", as Postfix's does.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cleanup.h"
#include "mail/addr_parse.h"
#include "mail/header_line.h"
#include "mail/quote_addr.h"
#include "mail/tok822.h"
#include "util/msg.h"
#include "util/mymalloc.h"

#define CLEANUP_HDR_OTHER 0
#define CLEANUP_HDR_SENDER 1 /* an originator address header */
#define CLEANUP_HDR_RCPT 2   /* a recipient address header */

static int
cleanup_header_kind(const char *name, int *extract)
{
    static const char *const senders[] = {"From",
                                          "Sender",
                                          "Reply-To",
                                          "Resent-From",
                                          "Resent-Sender",
                                          "Resent-Reply-To",
                                          "Return-Receipt-To",
                                          "Errors-To",
                                          NULL};
    static const char *const rcpts[] = {"To",        "Cc",         "Bcc",           "Resent-To",
                                        "Resent-Cc", "Resent-Bcc", "Apparently-To", NULL};

    const char *base = strncasecmp(name, "Resent-", 7) == 0 ? name + 7 : name;

    *extract =
        strcasecmp(base, "To") == 0 || strcasecmp(base, "Cc") == 0 || strcasecmp(base, "Bcc") == 0;
    for (int i = 0; senders[i]; i++)
        if (strcasecmp(name, senders[i]) == 0)
            return CLEANUP_HDR_SENDER;
    for (int i = 0; rcpts[i]; i++)
        if (strcasecmp(name, rcpts[i]) == 0)
            return CLEANUP_HDR_RCPT;
    return CLEANUP_HDR_OTHER;
}

/* Rewrites the addresses of an address header; rebuilds it when one changed. */
static void
cleanup_header_addrs(struct cleanup_state *state, int class, const char *name,
                     struct vstring *header)
{
    const char *value = header_line_value(vstring_str(header));
    struct tok822 *tree, **addrs;
    struct vstring *old, *new;
    size_t count = 0;
    int changed = 0;

    if (value == NULL)
        return;
    old = vstring_alloc(100);
    new = vstring_alloc(100);
    tree = tok822_parse(value, (size_t)cleanup_cf.header_address_token_limit, NULL);
    addrs = tok822_grep(tree, TOK822_ADDR, &count);
    for (size_t i = 0; i < count; i++) {
        tok822_internalize(old, addrs[i]->head, TOK822_STR_WIPE);
        if (vstring_len(old) == 0)
            continue;
        cleanup_addr_header(state, class, vstring_str(old), new);
        if (vstring_len(new) > 0 && strcmp(vstring_str(old), vstring_str(new)) != 0) {
            tok822_addr_set(addrs[i], vstring_str(new));
            changed = 1;
        }
    }
    if (changed) {
        tok822_externalize(old, tree, TOK822_STR_WIPE | TOK822_STR_LINE);
        header_line_fold(new, vstring_str(old), HEADER_LINE_FOLD_WIDTH);
        vstring_sprintf(header, "%s: %s", name, vstring_str(new));
    }
    myfree(addrs);
    tok822_free_tree(tree);
    vstring_free(old);
    vstring_free(new);
}

/*
 * Keeps the addresses of To/Cc/Bcc (and of the Resent- forms, which win
 * when there are any) for the extracted section.
 */
static void
cleanup_header_extract(struct cleanup_state *state, struct vstring *header, int resent)
{
    const char *value = header_line_value(vstring_str(header));
    struct vstring *unfolded = vstring_alloc(100);

    if (value != NULL) {
        header_line_unfold(unfolded, value, strlen(value));
        (void)addr_parse_header(vstring_str(unfolded),
                                (size_t)cleanup_cf.header_address_token_limit,
                                resent ? state->extracted_resent : state->extracted, NULL);
    }
    vstring_free(unfolded);
}

/* The first address of a header, or NULL; the caller frees it. */
static char *
cleanup_header_first_addr(struct vstring *header)
{
    const char *value = header_line_value(vstring_str(header));
    struct vstring *unfolded = vstring_alloc(100);
    struct argv *addrs = argv_alloc(2);
    char *result = NULL;

    if (value != NULL) {
        header_line_unfold(unfolded, value, strlen(value));
        (void)addr_parse_header(vstring_str(unfolded),
                                (size_t)cleanup_cf.header_address_token_limit, addrs, NULL);
        if (addrs->argc > 0 && *addrs->argv[0])
            result = mystrdup(addrs->argv[0]);
    }
    argv_free(addrs);
    vstring_free(unfolded);
    return result;
}

/* Is the header one of message_drop_headers (Bcc:, Return-Path:, ...)? */
static int
cleanup_header_dropped(const char *name)
{
    struct argv *drop = cleanup_cf.message_drop_headers;

    for (size_t i = 0; i < drop->argc; i++)
        if (strcasecmp(name, drop->argv[i]) == 0)
            return 1;
    return 0;
}

/* Logs the first Message-Id: or Resent-Message-Id: as Postfix does. */
static void
cleanup_header_log_id(struct cleanup_state *state, const char *label, struct vstring *header)
{
    const char *value = header_line_value(vstring_str(header));

    header_line_unfold(state->scratch, value ? value : "", value ? strlen(value) : 0);
    msg_info("%s: %s=%s", state->queue_id, label, vstring_str(state->scratch));
}

/* Notes the headers whose absence cleanup_header_done repairs. */
static void
cleanup_header_seen(struct cleanup_state *state, const char *name, struct vstring *header)
{
    static const char *const resent[] = {"Resent-Bcc",    "Resent-Cc",         "Resent-Date",
                                         "Resent-From",   "Resent-Message-Id", "Resent-Reply-To",
                                         "Resent-Sender", "Resent-To",         NULL};

    for (int i = 0; resent[i]; i++)
        if (strcasecmp(name, resent[i]) == 0)
            state->resent = 1;
    if (strcasecmp(name, "Message-Id") == 0 && !state->seen_msgid) {
        state->seen_msgid = 1;
        cleanup_header_log_id(state, "message-id", header);
    }
    if (strcasecmp(name, "Resent-Message-Id") == 0 && !state->seen_resent_msgid) {
        state->seen_resent_msgid = 1;
        cleanup_header_log_id(state, "resent-message-id", header);
    }
    if (strcasecmp(name, "Date") == 0)
        state->seen_date = 1;
    if (strcasecmp(name, "Resent-Date") == 0)
        state->seen_resent_date = 1;
    if (strcasecmp(name, "From") == 0)
        state->seen_from = 1;
    if (strcasecmp(name, "Resent-From") == 0)
        state->seen_resent_from = 1;
}

void
cleanup_header(struct cleanup_state *state, struct vstring *header)
{
    struct vstring *name = vstring_alloc(32);
    struct maps *checks;
    int kind, extract;

    header_line_name(name, vstring_str(header));
    checks = cleanup_mime_is_header(vstring_str(name)) && !cleanup_cf.disable_mime_input
                 ? cleanup_cf.mime_header_checks
                 : cleanup_cf.header_checks;
    if (checks != NULL && cleanup_checks(state, checks, "header", header) != CLEANUP_CHECK_KEEP) {
        vstring_free(name);
        return;
    }
    header_line_name(name, vstring_str(header));
    kind = cleanup_header_kind(vstring_str(name), &extract);
    if (strcasecmp(vstring_str(name), "Received") == 0 &&
        ++state->hop_count >= cleanup_cf.hopcount_limit) {
        msg_warn("%s: message rejected: hopcount exceeded", state->queue_id);
        cleanup_fail(state, CLEANUP_STAT_HOPS, "5.4.0 too many hops");
    }
    if (strcasecmp(vstring_str(name), "Content-Type") == 0)
        cleanup_mime_type(state, header);
    cleanup_header_seen(state, vstring_str(name), header);
    if (kind == CLEANUP_HDR_RCPT && strncasecmp(vstring_str(name), "Resent-", 7) != 0 &&
        strcasecmp(vstring_str(name), "Bcc") != 0)
        state->seen_rcpt_header = 1;
    /* Recipients are taken as written: their original form is orig_rcpt. */
    if (extract && cleanup_attr(state, "extract_recipients") &&
        strcasecmp(cleanup_attr(state, "extract_recipients"), "yes") == 0)
        cleanup_header_extract(state, header, strncasecmp(vstring_str(name), "Resent-", 7) == 0);
    else
        extract = 0;
    if (kind != CLEANUP_HDR_OTHER && (state->local_context || *cleanup_cf.remote_header_domain))
        cleanup_header_addrs(
            state, kind == CLEANUP_HDR_SENDER ? CLEANUP_CLASS_HDR_FROM : CLEANUP_CLASS_HDR_RCPT,
            vstring_str(name), header);
    if (strcasecmp(vstring_str(name), "Return-Receipt-To") == 0 && state->rrto == NULL)
        state->rrto = cleanup_header_first_addr(header);
    if (strcasecmp(vstring_str(name), "Errors-To") == 0 && state->erto == NULL)
        state->erto = cleanup_header_first_addr(header);
    if (!cleanup_header_dropped(vstring_str(name)))
        cleanup_out_text(state, vstring_str(header));
    vstring_free(name);
}

/* The From: header (NAME) Postfix makes from the sender and full_name. */
static void
cleanup_make_from(struct cleanup_state *state, const char *hname, struct vstring *out)
{
    const char *full_name = cleanup_attr(state, "full_name");
    struct vstring *addr = vstring_alloc(100);
    struct vstring *name = vstring_alloc(100);
    int obsolete = strcasecmp(cleanup_cf.header_from_format, "obsolete") == 0;

    if (*state->sender == 0) {
        vstring_sprintf(out, "%s: MAILER-DAEMON", hname);
    } else {
        quote_822_local(addr, state->sender, 0);
        if (full_name == NULL || *full_name == 0) {
            vstring_sprintf(out, "%s: %s", hname, vstring_str(addr));
        } else if (obsolete) {
            vstring_sprintf(out, "%s: %s (%s)", hname, vstring_str(addr), full_name);
        } else {
            if (strpbrk(full_name, "()<>[]:;@\\,.\"!%") != NULL) {
                vstring_strcpy(name, "\"");
                for (const char *cp = full_name; *cp; cp++) {
                    if (*cp == '"' || *cp == '\\')
                        vstring_addch(name, '\\');
                    vstring_addch(name, *cp);
                }
                vstring_addch(name, '"');
            } else {
                vstring_strcpy(name, full_name);
            }
            vstring_sprintf(out, "%s: %s <%s>", hname, vstring_str(name), vstring_str(addr));
        }
    }
    vstring_free(addr);
    vstring_free(name);
}

/*
 * Adds the missing Message-Id:, Date: and From: (PREFIX "") or, for a
 * message with Resent- headers, their Resent- forms (PREFIX "Resent-").
 */
static void
cleanup_add_missing(struct cleanup_state *state, const char *prefix, int have_id, int have_date,
                    int have_from)
{
    struct vstring *buf = vstring_alloc(100);
    struct vstring *name = vstring_alloc(32);
    char stamp[32];
    struct tm tm;

    if (!have_id) {
        gmtime_r(&state->arrival.tv_sec, &tm);
        strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm);
        vstring_sprintf(buf, "%sMessage-Id: <%s.%s@%s>", prefix, stamp, state->queue_id,
                        cleanup_cf.myhostname);
        cleanup_out_text(state, vstring_str(buf));
        msg_info("%s: %smessage-id=<%s.%s@%s>", state->queue_id, *prefix ? "resent-" : "", stamp,
                 state->queue_id, cleanup_cf.myhostname);
    }
    if (!have_date) {
        vstring_sprintf(buf, "%sDate: %s", prefix,
                        cleanup_mail_date(state->scratch, state->arrival.tv_sec));
        cleanup_out_text(state, vstring_str(buf));
    }
    if (!have_from) {
        vstring_sprintf(name, "%sFrom", prefix);
        cleanup_make_from(state, vstring_str(name), buf);
        cleanup_out_text(state, vstring_str(buf));
    }
    vstring_free(buf);
    vstring_free(name);
}

void
cleanup_header_done(struct cleanup_state *state)
{
    if (state->header_done)
        return;
    state->header_done = 1;
    if (state->local_context || cleanup_cf.always_add_missing_headers) {
        if (state->resent) {
            cleanup_add_missing(state, "Resent-", state->seen_resent_msgid, state->seen_resent_date,
                                state->seen_resent_from);
        } else {
            cleanup_add_missing(state, "", state->seen_msgid, state->seen_date, state->seen_from);
            state->seen_msgid = 1;
        }
        if (!state->seen_rcpt_header && *cleanup_cf.undisclosed_recipients_header)
            cleanup_out_text(state, cleanup_cf.undisclosed_recipients_header);
    }
    if (!state->seen_msgid)
        msg_info("%s: message-id=<>", state->queue_id);
}
