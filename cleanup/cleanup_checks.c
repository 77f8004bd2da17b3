/*
 * cleanup_checks - header_checks, mime_header_checks and body_checks:
 * look a header or body line up, and do what the table says
 * (header_checks(5)).
 *
 *   verdict = cleanup_checks(state, maps, class, text)
 *       CLASS is "header" or "body"; TEXT is the header (lines joined by
 *       "\n") or the body line. Actions: REJECT [text] (CLEANUP_STAT_CONT,
 *       "5.7.1 message content rejected" unless a text is given), WARN,
 *       INFO, DISCARD, HOLD, REDIRECT address, FILTER transport:nexthop,
 *       BCC user@domain (a blind copy recipient with NOTIFY=NEVER, added
 *       at the end of the message like always_bcc; an address without a
 *       local part and a domain gets a warning and is ignored),
 *       IGNORE (the text is dropped), PREPEND text (written before),
 *       REPLACE text (TEXT is replaced), DUNNO and OK (nothing). An
 *       unknown action is logged and ignored. Returns
 *       CLEANUP_CHECK_KEEP (go on with TEXT, possibly replaced) or
 *       CLEANUP_CHECK_DROP.
 *   cleanup_log_action(state, action, class, content, text)
 *       the log line, as Postfix writes it:
 *       "ID: reject: header Subject: x from local; from=<s> to=<r>: 5.7.1 ..."
 *       where r is the latest recipient written so far (none: no to=).
 *
 * A lookup error makes the message fail with CLEANUP_STAT_DEFER.
 * The checks apply only when the client asked for them with
 * CLEANUP_FLAG_FILTER (pickup, smtpd): mail the system makes itself
 * (bounce notices, which quote the original) is not inspected, as
 * Postfix does with its empty internal_mail_filter_classes.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "mail/header_line.h"
#include "util/msg.h"
#include "util/mymalloc.h"

#define CLEANUP_LOG_CONTENT_MAX 200

void
cleanup_log_action(struct cleanup_state *state, const char *action, const char *class,
                   const char *content, const char *text)
{
    struct vstring *buf = vstring_alloc(200);
    const char *client = cleanup_attr(state, "log_client_name");
    const char *addr = cleanup_attr(state, "log_client_address");
    const char *proto = cleanup_attr(state, "log_protocol_name");
    const char *helo = cleanup_attr(state, "log_helo_name");
    size_t len = strlen(content);
    char *shown = mystrndup(content, len > CLEANUP_LOG_CONTENT_MAX ? CLEANUP_LOG_CONTENT_MAX : len);

    for (char *cp = shown; *cp; cp++)
        if (!isprint((unsigned char)*cp) && *cp != '\t')
            *cp = ' ';
    vstring_sprintf(buf, "%s: %s: %s %s from ", state->queue_id, action, class, shown);
    if (client)
        vstring_sprintf_append(buf, "%s[%s]", client, addr ? addr : "unknown");
    else
        vstring_strcat(buf, "local");
    vstring_sprintf_append(buf, "; from=<%s>", state->sender ? state->sender : "");
    if (state->last_rcpt)
        vstring_sprintf_append(buf, " to=<%s>", state->last_rcpt);
    if (proto)
        vstring_sprintf_append(buf, " proto=%s", proto);
    if (helo)
        vstring_sprintf_append(buf, " helo=<%s>", helo);
    if (text && *text)
        vstring_sprintf_append(buf, ": %s", text);
    msg_info("%s", vstring_str(buf));
    myfree(shown);
    vstring_free(buf);
}

/* A reason with an enhanced status code first ("5.7.1 text"). */
static void
cleanup_check_reason(struct vstring *out, const char *text, const char *dflt)
{
    if (*text == 0)
        vstring_strcpy(out, dflt);
    else if ((text[0] == '4' || text[0] == '5') && text[1] == '.' &&
             isdigit((unsigned char)text[2]))
        vstring_strcpy(out, text);
    else
        vstring_sprintf(out, "%.6s%s", dflt, text);
}

/* PREPEND and REPLACE of a header need a header. */
static int
cleanup_check_header_text(struct cleanup_state *state, struct maps *maps, const char *class,
                          const char *action, const char *text)
{
    if (strcmp(class, "header") == 0 && header_line_name_len(text, strlen(text)) == 0) {
        msg_warn("%s: %s map entry \"%s\": %s action without a header", state->queue_id,
                 maps->title, text, action);
        return 0;
    }
    if (*text == 0) {
        msg_warn("%s: %s map: %s action without text", state->queue_id, maps->title, action);
        return 0;
    }
    return 1;
}

/* BCC user@domain: a blind copy recipient for the end of the message. */
static void
cleanup_check_bcc(struct cleanup_state *state, struct maps *maps, const char *class,
                  struct vstring *text, const char *arg)
{
    const char *at = strrchr(arg, '@');

    if (at == NULL || at == arg || at[1] == 0 || arg[strcspn(arg, " \t")] != 0) {
        msg_warn("bad BCC address \"%s\" in %s map -- need user@domain", arg, maps->title);
        return;
    }
    cleanup_log_action(state, "bcc", class, vstring_str(text), arg);
    argv_add(state->bcc, arg);
}

int
cleanup_checks(struct cleanup_state *state, struct maps *maps, const char *class,
               struct vstring *text)
{
    struct vstring *reason;
    const char *value;
    char *action, *arg;
    size_t n;
    int verdict = CLEANUP_CHECK_KEEP;

    if ((state->flags & CLEANUP_FLAG_FILTER) == 0)
        return CLEANUP_CHECK_KEEP;
    if ((value = maps_find(maps, vstring_str(text), 0)) == NULL) {
        if (maps->error != DICT_ERR_NONE)
            cleanup_fail(state, CLEANUP_STAT_DEFER, "4.3.0 %s lookup failure", maps->title);
        return CLEANUP_CHECK_KEEP;
    }
    n = strcspn(value, " \t");
    action = mystrndup(value, n);
    arg = mystrdup(value + n + strspn(value + n, " \t"));
    reason = vstring_alloc(100);
    if (strcasecmp(action, "REJECT") == 0) {
        cleanup_check_reason(reason, arg, "5.7.1 message content rejected");
        cleanup_log_action(state, "reject", class, vstring_str(text), vstring_str(reason));
        cleanup_fail(state, CLEANUP_STAT_CONT, "%s", vstring_str(reason));
    } else if (strcasecmp(action, "WARN") == 0) {
        cleanup_log_action(state, "warning", class, vstring_str(text), arg);
    } else if (strcasecmp(action, "INFO") == 0) {
        cleanup_log_action(state, "info", class, vstring_str(text), arg);
    } else if (strcasecmp(action, "DISCARD") == 0) {
        cleanup_log_action(state, "discard", class, vstring_str(text), arg);
        state->discard = 1;
    } else if (strcasecmp(action, "HOLD") == 0) {
        cleanup_log_action(state, "hold", class, vstring_str(text), arg);
        state->hold = 1;
    } else if (strcasecmp(action, "REDIRECT") == 0 && *arg) {
        cleanup_log_action(state, "redirect", class, vstring_str(text), arg);
        myfree(state->redirect);
        state->redirect = mystrdup(arg);
    } else if (strcasecmp(action, "FILTER") == 0 && strchr(arg, ':') != NULL) {
        cleanup_log_action(state, "filter", class, vstring_str(text), arg);
        myfree(state->filter);
        state->filter = mystrdup(arg);
    } else if (strcasecmp(action, "BCC") == 0) {
        cleanup_check_bcc(state, maps, class, text, arg);
    } else if (strcasecmp(action, "IGNORE") == 0) {
        verdict = CLEANUP_CHECK_DROP;
    } else if (strcasecmp(action, "PREPEND") == 0) {
        if (cleanup_check_header_text(state, maps, class, action, arg))
            cleanup_out_text(state, arg);
    } else if (strcasecmp(action, "REPLACE") == 0) {
        if (cleanup_check_header_text(state, maps, class, action, arg))
            vstring_strcpy(text, arg);
    } else if (strcasecmp(action, "DUNNO") != 0 && strcasecmp(action, "OK") != 0) {
        msg_warn("%s: %s map: unknown command: \"%s\"", state->queue_id, maps->title, value);
    }
    myfree(action);
    myfree(arg);
    vstring_free(reason);
    return verdict;
}
