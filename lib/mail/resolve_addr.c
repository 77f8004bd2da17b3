/*
 * resolve_addr - the first half of the resolver: turn the recipient into
 * its final user@domain form and decide whether its domain is local;
 * resolve_route.c picks class, transport and nexthop. See resolve_addr.h.
 *
 * The address is parsed from its external form into one token list, so
 * quoted local parts stay single tokens. Then, in a loop:
 *   - a trailing dot of the domain goes ("user@host." -> "user@host"),
 *     and with resolve_null_domain a trailing '@';
 *   - with resolve_numeric_domain, "user@1.2.3.4" becomes "user@[1.2.3.4]";
 *   - a local @domain is cut off and remembered (a bare trailing '@' counts
 *     as local here, so "user@" keeps its empty domain and fails later);
 *     a remote domain ends the loop;
 *   - what is left is rewritten in the "local" context when it still holds
 *     '@', or '!' / '%' that swap_bangpath / allow_percent_hack enable;
 *   - with resolve_dequoted_address a quoted local part that hides '@',
 *     '%' or '!' is split there (the text before stays quoted) and
 *     rewritten in the "local" context;
 *   - an empty local part becomes $empty_address_recipient;
 *   - an address without any domain gets @$myhostname and goes round again.
 * The loop ends when nothing changes; it is also bounded (RESOLVE_LOOP_MAX
 * rounds) so that no input can keep it going.
 *
 * Results that differ from Postfix: in recipients that fail with
 * RESOLVE_FLAG_ERROR anyway, or that keep a source route, Tern writes
 * no white space between tokens (Postfix writes e.g. "@a, @b:u@d").
 */
#include <string.h>

#include "config/mail_conf.h"
#include "mail/quote_addr.h"
#include "mail/resolve_private.h"
#include "mail/rewrite_addr.h"
#include "mail/tok822.h"
#include "mail/valid_hostname.h"
#include "util/msg.h"
#include "util/mymalloc.h"

#define RESOLVE_LOOP_MAX 100

/* The state of one resolve_canon run. */
struct resolve_state {
    struct tok822 *tree;  /* the address (TOK822_ADDR) */
    struct tok822 *saved; /* the last local "@domain" cut off, or NULL */
    int remote;           /* the loop ended at a remote domain */
    struct vstring *buf;
};

struct resolve_reply *
resolve_reply_alloc(void)
{
    struct resolve_reply *reply = mymalloc(sizeof(*reply));

    reply->flags = 0;
    reply->transport = vstring_alloc(20);
    reply->nexthop = vstring_alloc(100);
    reply->recipient = vstring_alloc(100);
    return reply;
}

void
resolve_reply_free(struct resolve_reply *reply)
{
    vstring_free(reply->transport);
    vstring_free(reply->nexthop);
    vstring_free(reply->recipient);
    myfree(reply);
}

/* Cuts TP and the tokens after it from the address; returns them. */
static struct tok822 *
resolve_cut_from(struct tok822 *addr, struct tok822 *tp)
{
    struct tok822 *prev = tok822_cut_before(tp);

    if ((addr->tail = prev) == NULL)
        addr->head = NULL;
    return tp;
}

/* Appends the tokens of TEXT to the address. */
static void
resolve_append_text(struct tok822 *addr, const char *text)
{
    struct tok822 *list = tok822_scan(text, 0, NULL, NULL);

    if (list != NULL)
        tok822_sub_append(addr, list);
}

/* Removes a trailing dot (not "@." or ".."), and with resolve_null_domain a trailing '@'. */
static void
resolve_strip_trailing(struct tok822 *addr)
{
    struct tok822 *tail = addr->tail;

    if (tail != NULL && tail->type == '.' && tok822_rfind_type(tail, '@') != NULL &&
        tail->prev->type != '.' && tail->prev->type != '@')
        tok822_free_tree(resolve_cut_from(addr, tail));
    if (resolve_config.resolve_null_domain && addr->tail != NULL && addr->tail->type == '@')
        tok822_free_tree(resolve_cut_from(addr, addr->tail));
}

/* "user@1.2.3.4" -> "user@[1.2.3.4]" (the tokens after AT become one literal). */
static void
resolve_numeric(struct tok822 *addr, struct tok822 *at, struct vstring *buf)
{
    struct vstring *lit;

    if (at->next == NULL)
        return;
    tok822_internalize(buf, at->next, TOK822_STR_WIPE);
    if (!valid_hostaddr(vstring_str(buf)))
        return;
    lit = vstring_alloc(64);
    vstring_sprintf(lit, "%s%s", strchr(vstring_str(buf), ':') ? "IPv6:" : "", vstring_str(buf));
    tok822_free_tree(resolve_cut_from(addr, at->next));
    tok822_sub_append(addr, tok822_alloc(TOK822_DOMLIT, vstring_str(lit)));
    vstring_free(lit);
}

/*
 * Cuts off a local @domain (1), or finds a remote one (0, state->remote
 * set), or no '@' at all (0); -1 when the local test failed.
 */
static int
resolve_strip_local(struct resolve_state *state)
{
    struct tok822 *at = tok822_rfind_type(state->tree->tail, '@');
    int status;

    if (at == NULL)
        return 0;
    if (resolve_config.resolve_numeric_domain)
        resolve_numeric(state->tree, at, state->buf);
    if (at->next != NULL) {
        tok822_internalize(state->buf, at->next, TOK822_STR_WIPE);
        if ((status = resolve_local(vstring_str(state->buf))) <= 0) {
            state->remote = status == 0;
            return status;
        }
    }
    tok822_free_tree(state->saved);
    state->saved = resolve_cut_from(state->tree, at);
    return 1;
}

/* Does the address still hold an operator the local rewrite acts on? */
static int
resolve_has_routing(const struct tok822 *addr)
{
    return tok822_rfind_type(addr->tail, '@') ||
           (resolve_config.swap_bangpath && tok822_rfind_type(addr->tail, '!')) ||
           (resolve_config.allow_percent_hack && tok822_rfind_type(addr->tail, '%'));
}

/* Where to split a quoted local part TEXT, or NULL: '@', then '%', then '!'. */
static char *
resolve_dequote_at(char *text)
{
    char *oper;

    if ((oper = strrchr(text, '@')) != NULL)
        return oper;
    if (resolve_config.allow_percent_hack && (oper = strrchr(text, '%')) != NULL)
        return oper;
    if (resolve_config.swap_bangpath && (oper = strchr(text, '!')) != NULL)
        return oper;
    return NULL;
}

/* Opens a lone quoted local part that hides routing; 1 when it did. */
static int
resolve_dequote(struct tok822 *addr)
{
    struct tok822 *qs = addr->head;
    char *text;
    char *oper;
    int type;

    if (!resolve_config.resolve_dequoted || qs == NULL || qs != addr->tail ||
        qs->type != TOK822_QSTRING)
        return 0;
    text = mystrdup(vstring_str(qs->text));
    if ((oper = resolve_dequote_at(text)) == NULL) {
        myfree(text);
        return 0;
    }
    type = *oper == '!' ? '!' : '@';
    *oper = 0;
    tok822_free_tree(resolve_cut_from(addr, qs));
    if (*text != 0)
        tok822_sub_append(addr, tok822_alloc(TOK822_QSTRING, text));
    tok822_sub_append(addr, tok822_alloc(type, NULL));
    resolve_append_text(addr, oper + 1);
    myfree(text);
    return 1;
}

/* Is the address empty, or just an empty quoted string? */
static int
resolve_is_empty(const struct tok822 *addr)
{
    return addr->head == NULL || (addr->head == addr->tail && addr->head->type == TOK822_QSTRING &&
                                  vstring_len(addr->head->text) == 0);
}

/* One round of the loop; 1 to go round again, 0 when done, -1 on failure. */
static int
resolve_round(struct resolve_state *state)
{
    struct tok822 *addr = state->tree;
    int status;

    resolve_strip_trailing(addr);
    if ((status = resolve_strip_local(state)) < 0 || state->remote)
        return status < 0 ? -1 : 0;
    if (resolve_has_routing(addr)) {
        rewrite_tree(REWRITE_LOCAL, addr);
        return 1;
    }
    if (resolve_dequote(addr)) {
        rewrite_tree(REWRITE_LOCAL, addr);
        return 1;
    }
    if (resolve_is_empty(addr)) {
        if (addr->head != NULL)
            tok822_free_tree(resolve_cut_from(addr, addr->head));
        resolve_append_text(addr, resolve_config.empty_address_recipient);
        return addr->head != NULL;
    }
    if (state->saved == NULL) {
        tok822_sub_append(addr, tok822_alloc('@', NULL));
        resolve_append_text(addr, resolve_config.myhostname);
        return 1;
    }
    return 0;
}

/* Brings ADDR to final form in state->tree; -1 when a lookup failed. */
static int
resolve_canon(struct resolve_state *state)
{
    int rounds;
    int status = 1;

    for (rounds = 0; status > 0 && rounds < RESOLVE_LOOP_MAX; rounds++)
        status = resolve_round(state);
    if (status < 0)
        return -1;
    if (!state->remote) {
        if (state->saved != NULL) {
            tok822_sub_append(state->tree, state->saved);
            state->saved = NULL;
        } else {
            tok822_sub_append(state->tree, tok822_alloc('@', NULL));
            resolve_append_text(state->tree, resolve_config.myhostname);
        }
    }
    return 0;
}

/* Is the recipient domain acceptable? */
static int
resolve_domain_ok(const char *domain)
{
    if (*domain == '[')
        return valid_mailhost_literal(domain);
    return valid_hostname(domain, resolve_config.smtputf8);
}

/* Routing operators before the domain: the first of "@!%" is not its '@'. */
static int
resolve_is_routed(const char *rcpt, const char *domain)
{
    return rcpt + strcspn(rcpt, "@!%") + 1 != domain;
}

void
resolve_addr(int kind, const char *sender, const char *addr, struct resolve_reply *reply)
{
    struct resolve_state state;
    const char *domain;

    if (kind != RESOLVE_REGULAR && kind != RESOLVE_VERIFY)
        msg_panic("resolve_addr: bad kind %d", kind);
    if (!resolve_config.ready)
        resolve_addr_init();
    reply->flags = 0;
    vstring_reset(reply->transport);
    vstring_reset(reply->nexthop);
    state.buf = quote_822_local(vstring_alloc(100), addr, QUOTE_FLAG_DEFAULT);
    state.tree = tok822_scan_addr(vstring_str(state.buf));
    state.saved = NULL;
    state.remote = 0;
    if (resolve_canon(&state) < 0) {
        reply->flags |= RESOLVE_FLAG_FAIL;
        tok822_internalize(reply->recipient, state.tree->head, TOK822_STR_WIPE);
    } else {
        tok822_internalize(reply->recipient, state.tree->head, TOK822_STR_WIPE);
        if ((domain = strrchr(vstring_str(reply->recipient), '@')) == NULL)
            msg_panic("resolve_addr: no domain in \"%s\"", vstring_str(reply->recipient));
        if (!resolve_domain_ok(++domain)) {
            reply->flags |= RESOLVE_FLAG_ERROR | RESOLVE_CLASS_DEFAULT;
        } else {
            if (resolve_is_routed(vstring_str(reply->recipient), domain))
                reply->flags |= RESOLVE_FLAG_ROUTED;
            resolve_route(resolve_contexts + kind, sender, !state.remote, reply);
            if (!resolve_config.allow_min_user && vstring_str(reply->recipient)[0] == '-')
                reply->flags |= RESOLVE_FLAG_ERROR;
        }
    }
    tok822_free_tree(state.saved);
    tok822_free_tree(state.tree);
    vstring_free(state.buf);
}
