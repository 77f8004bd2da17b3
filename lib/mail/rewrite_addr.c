/*
 * rewrite_addr - address rewriting to standard form ("local" and "remote"
 * contexts); see rewrite_addr.h for the steps and the parameters.
 *
 * The work is done on the token list of one address (tok822), so quoted
 * local parts and domain literals stay single tokens and their bytes are
 * never taken for operators.
 */
#include <string.h>

#include "config/mail_conf.h"
#include "mail/quote_addr.h"
#include "mail/rewrite_addr.h"
#include "util/msg.h"
#include "util/mymalloc.h"

struct rewrite_context {
    const char *name;
    char *origin; /* appended as @origin */
    char *domain; /* appended as .domain */
};

static struct rewrite_context rewrite_contexts[] = {
    [REWRITE_LOCAL] = {REWRITE_RULE_LOCAL, NULL, NULL},
    [REWRITE_REMOTE] = {REWRITE_RULE_REMOTE, NULL, NULL},
};

static int rewrite_ready;
static int var_swap_bangpath;
static int var_allow_percent_hack;
static int var_append_at_myorigin;
static int var_append_dot_mydomain;

/* Copies parameter PARAM to *DST; MIN_LEN 1 makes an empty value fatal (as in Postfix). */
static void
rewrite_set(char **dst, const char *param, int min_len)
{
    const char *value = mail_conf_get(param);

    if (min_len > 0 && *value == 0)
        msg_fatal("bad string length 0 < %d: %s = ", min_len, param);
    myfree(*dst);
    *dst = mystrdup(value);
}

void
rewrite_addr_init(void)
{
    rewrite_set(&rewrite_contexts[REWRITE_LOCAL].origin, "myorigin", 1);
    rewrite_set(&rewrite_contexts[REWRITE_LOCAL].domain, "mydomain", 1);
    rewrite_set(&rewrite_contexts[REWRITE_REMOTE].origin, "remote_header_rewrite_domain", 0);
    rewrite_set(&rewrite_contexts[REWRITE_REMOTE].domain, "remote_header_rewrite_domain", 0);
    var_swap_bangpath = mail_conf_get_bool("swap_bangpath");
    var_allow_percent_hack = mail_conf_get_bool("allow_percent_hack");
    var_append_at_myorigin = mail_conf_get_bool("append_at_myorigin");
    var_append_dot_mydomain = mail_conf_get_bool("append_dot_mydomain");
    rewrite_ready = 1;
}

int
rewrite_rule_find(const char *name)
{
    if (strcmp(name, REWRITE_RULE_LOCAL) == 0)
        return REWRITE_LOCAL;
    if (strcmp(name, REWRITE_RULE_REMOTE) == 0)
        return REWRITE_REMOTE;
    return -1;
}

/* Removes TP and every token after it from ADDR's children, and frees them. */
static void
rewrite_drop_from(struct tok822 *addr, struct tok822 *tp)
{
    struct tok822 *prev = tok822_cut_before(tp);

    addr->tail = prev;
    if (prev == NULL)
        addr->head = NULL;
    tok822_free_tree(tp);
}

/* Appends the tokens of TEXT (a domain name) to ADDR's children. */
static void
rewrite_append_text(struct tok822 *addr, const char *text)
{
    struct tok822 *list = tok822_scan(text, 0, NULL, NULL);

    if (list != NULL)
        tok822_sub_append(addr, list);
}

/* "site!user" -> "user@site", at the first '!' (BANG). */
static void
rewrite_swap_bang(struct tok822 *addr, struct tok822 *bang)
{
    struct tok822 *site = bang->prev ? addr->head : NULL;
    struct tok822 *user;

    tok822_cut_before(bang);
    user = tok822_cut_after(bang);
    tok822_free(bang);
    addr->head = addr->tail = NULL;
    if (user != NULL)
        tok822_sub_append(addr, user);
    tok822_sub_append(addr, tok822_alloc('@', NULL));
    if (site != NULL)
        tok822_sub_append(addr, site);
}

/* Step 3: an address without '@'. */
static void
rewrite_no_domain(const struct rewrite_context *ctx, struct tok822 *addr)
{
    struct tok822 *tp;

    if (var_swap_bangpath && (tp = tok822_find_type(addr->head, '!')) != NULL)
        rewrite_swap_bang(addr, tp);
    else if (var_allow_percent_hack && (tp = tok822_rfind_type(addr->tail, '%')) != NULL)
        tp->type = '@';
    else if (var_append_at_myorigin && *ctx->origin != 0) {
        tok822_sub_append(addr, tok822_alloc('@', NULL));
        rewrite_append_text(addr, ctx->origin);
    }
}

/* Step 4: does the domain after AT lack a '.' (and is it no literal)? */
static int
rewrite_needs_dot(const struct tok822 *addr, struct tok822 *at)
{
    return at != addr->tail && tok822_find_type(at, TOK822_DOMLIT) == NULL &&
           tok822_find_type(at, '.') == NULL;
}

void
rewrite_tree(int rule, struct tok822 *addr)
{
    const struct rewrite_context *ctx;
    struct tok822 *tp;

    if (rule != REWRITE_LOCAL && rule != REWRITE_REMOTE)
        msg_panic("rewrite_tree: bad rule %d", rule);
    if (!rewrite_ready)
        rewrite_addr_init();
    ctx = rewrite_contexts + rule;
    if (addr->head == NULL)
        return;
    if (addr->head == addr->tail && addr->head->type == TOK822_QSTRING &&
        vstring_len(addr->head->text) == 0)
        return;
    if (addr->head == addr->tail && addr->head->type == '@') {
        rewrite_drop_from(addr, addr->head);
        tok822_sub_append(addr, tok822_alloc(TOK822_QSTRING, ""));
        return;
    }
    if (addr->head->type == '@' && (tp = tok822_find_type(addr->head, ':')) != NULL &&
        tp != addr->tail)
        tok822_free_tree(tok822_sub_keep_after(addr, tp));
    if (tok822_rfind_type(addr->tail, '@') == NULL)
        rewrite_no_domain(ctx, addr);
    if (var_append_dot_mydomain && *ctx->domain != 0 &&
        (tp = tok822_rfind_type(addr->tail, '@')) != NULL && rewrite_needs_dot(addr, tp)) {
        tok822_sub_append(addr, tok822_alloc('.', NULL));
        rewrite_append_text(addr, ctx->domain);
    }
    if (addr->tail != NULL && addr->tail->type == '.' && addr->tail->prev != NULL &&
        addr->tail->prev->type != '.' && addr->tail->prev->type != '@')
        rewrite_drop_from(addr, addr->tail);
}

int
rewrite_addr(const char *rule, const char *addr, struct vstring *result)
{
    int context = rewrite_rule_find(rule);
    struct vstring *external;
    struct tok822 *tree;

    if (context < 0)
        return -1;
    external = quote_822_local(vstring_alloc(100), addr, QUOTE_FLAG_DEFAULT);
    tree = tok822_scan_addr(vstring_str(external));
    rewrite_tree(context, tree);
    tok822_internalize(result, tree->head, TOK822_STR_WIPE);
    tok822_free_tree(tree);
    vstring_free(external);
    return 0;
}
