/*
 * token - the right-hand side of an alias, a line of a .forward file or
 * of an :include: file (man 5 aliases): a comma-separated list whose
 * items are
 *
 *   |command      "|command args" when it holds blanks; allow_mail_to_commands
 *   /file/name    a file (mbox format), or a maildir when it ends in /;
 *                 allow_mail_to_files
 *   :include:/path  more items from a file
 *   \user         the user's mailbox, skipping aliases and .forward
 *   address       rewritten (local context: user -> user@$myorigin) and
 *                 resolved; addresses for local(8) itself are expanded in
 *                 this process (recursion; recipient.c forwards the users
 *                 below an owner- alias, .forward or :include:); others
 *                 are forwarded (forward.c)
 *
 * Items are split at commas and newlines outside "..." quotes; a quoted
 * item loses its quotes and backslash escapes. An empty item is skipped.
 * Within an unquoted item blanks separate addresses too, as in Postfix
 * (local_deliver_words): "root nobody" is two recipients, and an
 * unquoted command or file name ends at the first blank.
 * A command or file in a context that the allow_mail_to_* parameter does
 * not list bounces with 5.7.1 "mail to command is restricted" (or file).
 */
#include <string.h>
#include <strings.h>

#include "local.h"
#include "mail/addr_parse.h"
#include "mail/resolve_addr.h"
#include "mail/rewrite_addr.h"
#include "mail/tok822.h"
#include "util/argv.h"
#include "util/mymalloc.h"
#include "util/stringops.h"

#define LOCAL_TOKEN_LIMIT 10240 /* tokens parsed per item */

/* Splits LIST into items (copies). */
static struct argv *
local_split_list(const char *list)
{
    struct argv *items = argv_alloc(4);
    struct vstring *item = vstring_alloc(64);
    int quoted = 0;
    char *copy;

    for (const char *cp = list;; cp++) {
        if (*cp == 0 || (!quoted && (*cp == ',' || *cp == '\n'))) {
            copy = mystrdup(vstring_str(item));
            if (*trim_blanks(copy))
                argv_add(items, trim_blanks(copy));
            myfree(copy);
            vstring_reset(item);
            if (*cp == 0)
                break;
            continue;
        }
        if (*cp == '\\' && cp[1] != 0) {
            vstring_addch(item, *cp++);
        } else if (*cp == '"') {
            quoted = !quoted;
        }
        vstring_addch(item, *cp);
    }
    vstring_free(item);
    return items;
}

/* Removes the quotes of an item that is one quoted string. */
static char *
local_unquote_item(const char *item)
{
    size_t len = strlen(item);
    struct vstring *out;

    if (len < 2 || item[0] != '"' || item[len - 1] != '"')
        return mystrdup(item);
    out = vstring_alloc(len);
    for (size_t i = 1; i + 1 < len; i++) {
        if (item[i] == '\\' && i + 2 < len)
            i++;
        vstring_addch(out, item[i]);
    }
    return vstring_export(out);
}

/* Does an unquoted item start with a command, file, :include: or \\user? */
static int
local_special_item(const char *item)
{
    return item[0] == '|' || item[0] == '/' || item[0] == '\\' ||
           strncasecmp(item, ":include:", 9) == 0;
}

/*
 * An unquoted item as Postfix reads it: an address list in which blanks
 * also separate addresses ("root nobody", "root (c) daemon", "x <a@b>
 * y"), so no word is dropped. An unquoted command or file ends at the
 * first blank ("|/bin/echo hi" is the command "/bin/echo" and the address
 * "hi"; quote the whole item to keep the blanks). Each address goes to
 * local_deliver_item in external form, so that a quoted "|cmd" or
 * "/file" among them is a command or file again.
 */
static void
local_deliver_words(struct local_state *state, const char *item)
{
    struct vstring *buf = vstring_alloc(64);
    size_t len;
    struct tok822 *tree;

    while (*item == ' ' || *item == '\t')
        item++;
    if (*item == '"' || !local_special_item(item)) {
        tree = tok822_parse(item, LOCAL_TOKEN_LIMIT, NULL);
        for (struct tok822 *tp = tree; tp; tp = tp->next) {
            if (tp->type != TOK822_ADDR)
                continue;
            vstring_reset(buf);
            tok822_externalize(buf, tp->head, 0);
            if (vstring_len(buf) > 0)
                local_deliver_item(state, vstring_str(buf));
        }
        tok822_free_tree(tree);
    } else {
        len = strcspn(item, " \t");
        vstring_strncpy(buf, item, len);
        local_deliver_item(state, vstring_str(buf));
        if (item[len])
            local_deliver_words(state, item + len);
    }
    vstring_free(buf);
}

void
local_deliver_list(struct local_state *state, const char *list)
{
    struct argv *items = local_split_list(list);
    size_t len;

    for (size_t i = 0; i < items->argc; i++) {
        len = strlen(items->argv[i]);
        /* One quoted string is one item, blanks and all ("|cmd args"). */
        if (len >= 2 && items->argv[i][0] == '"' && items->argv[i][len - 1] == '"' &&
            strchr(items->argv[i] + 1, '"') == items->argv[i] + len - 1)
            local_deliver_item(state, items->argv[i]);
        else
            local_deliver_words(state, items->argv[i]);
    }
    argv_free(items);
}

/* "\user": the mailbox of user, nothing else. */
static void
local_deliver_backslash(struct local_state *state, const char *name)
{
    struct local_user *user;
    char *lower = lowercase(mystrdup(name));

    if ((user = local_user_lookup(lower)) == NULL)
        local_leaf(state, DEL_RCPT_BOUNCE, "5.1.1", "failed", "unknown user: \"%s\"", lower);
    else
        local_mailbox(state, user);
    local_user_free(user);
    myfree(lower);
}

void
local_deliver_item(struct local_state *state, const char *raw)
{
    char *item = local_unquote_item(raw);

    if (item[0] == '|') {
        if ((state->context & local_config.allow_commands) == 0)
            local_leaf(state, DEL_RCPT_BOUNCE, "5.7.1", "failed", "mail to command is restricted");
        else
            local_command(state, item + 1, state->uid, state->gid, state->user, NULL);
    } else if (item[0] == '/') {
        if ((state->context & local_config.allow_files) == 0)
            local_leaf(state, DEL_RCPT_BOUNCE, "5.7.1", "failed", "mail to file is restricted");
        else
            local_file(state, item);
    } else if (strncasecmp(item, ":include:", 9) == 0) {
        local_include(state, item + 9);
    } else if (item[0] == '\\') {
        local_deliver_backslash(state, item + 1);
    } else {
        local_deliver_address(state, raw);
    }
    myfree(item);
}

/* The internal form of an address item ("Name <a@b>", "\"a b\"@c", a@b). */
static void
local_address_internal(const char *item, struct vstring *result)
{
    struct argv *addrs = argv_alloc(1);

    addr_parse_header(item, 0, addrs, NULL);
    vstring_strcpy(result, addrs->argc ? addrs->argv[0] : "");
    argv_free(addrs);
}

void
local_deliver_address(struct local_state *state, const char *item)
{
    struct vstring *addr = vstring_alloc(64);
    struct vstring *canon = vstring_alloc(64);
    struct resolve_reply *reply = resolve_reply_alloc();
    struct local_state child;

    local_address_internal(item, addr);
    rewrite_addr(REWRITE_RULE_LOCAL, vstring_str(addr), canon);
    child = *state;
    child.address = vstring_str(canon);
    if (vstring_len(canon) == 0) {
        local_leaf(&child, DEL_RCPT_BOUNCE, "5.1.3", "failed", "bad address syntax: \"%s\"", item);
    } else {
        resolve_addr(RESOLVE_REGULAR, state->sender, vstring_str(canon), reply);
        if (reply->flags & RESOLVE_FLAG_FAIL) {
            local_leaf(&child, DEL_RCPT_DEFER, "4.3.0", "delayed", "address resolver failure");
        } else if (reply->flags & RESOLVE_FLAG_ERROR) {
            local_leaf(&child, DEL_RCPT_BOUNCE, "5.1.3", "failed", "bad address syntax: \"%s\"",
                       vstring_str(canon));
        } else if (strcmp(vstring_str(reply->transport), local_config.service) == 0) {
            /*
             * Ours: aliases are expanded here; a user or unknown name below
             * an owner- alias, .forward or :include: is then forwarded
             * (recipient.c), as Postfix does.
             */
            child.address = vstring_str(reply->recipient);
            child.context = 0;
            child.user = NULL;
            child.uid = local_config.default_uid;
            child.gid = local_config.default_gid;
            local_deliver_recipient(child);
        } else if (!local_dup_seen(state->lr, "forward", vstring_str(canon))) {
            local_forward_add(state, vstring_str(canon));
        }
    }
    resolve_reply_free(reply);
    vstring_free(addr);
    vstring_free(canon);
}
