/*
 * alias - alias_maps expansion for local(8) (man 5 aliases).
 *
 *   local_alias(state, name)
 *       looks NAME up in each table of alias_maps in turn. Not found: 0
 *       (the caller goes on with .forward and the mailbox). Found: the
 *       right-hand side is delivered (token.c) in the alias context, with
 *       the rights of the table's owner (default_privs when root owns it)
 *       for files and commands, and 1 is returned. A lookup error defers
 *       the recipient (4.3.0) and also returns 1.
 *
 * A name in its own expansion is not expanded again ("a: a, b" delivers to
 * a's mailbox and to b; recipient.c). A longer loop ("a: b", "b: a") runs
 * until the nesting passes LOCAL_MAX_LEVEL and then bounces with 5.4.6
 * "alias database loop for NAME" and a warning, as Postfix. When "owner-NAME"
 * exists too, the sender becomes owner-NAME@$myorigin (errors go to the
 * list owner); with expand_owner_alias, an owner-NAME alias of one plain
 * address makes that address the sender.
 */
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "local.h"
#include "mail/addr_parse.h"
#include "mail/rewrite_addr.h"
#include "util/msg.h"
#include "util/mymalloc.h"

/* The owner of a table's file, or 0 when it cannot be told. */
static uid_t
local_alias_owner(struct dict *dict)
{
    struct vstring *path = vstring_alloc(100);
    struct stat st;
    uid_t owner = 0;

    if (dict->lock_fd >= 0 && fstat(dict->lock_fd, &st) == 0) {
        owner = st.st_uid;
    } else {
        vstring_sprintf(path, "%s.db", dict->name);
        if (stat(vstring_str(path), &st) == 0 || stat(dict->name, &st) == 0)
            owner = st.st_uid;
    }
    vstring_free(path);
    return owner;
}

/*
 * Looks NAME up; returns the value (copy) and the table's owner, NULL when
 * not found. *error is set when a table failed.
 */
static char *
local_alias_find(const char *name, uid_t *owner, int *error)
{
    struct maps *maps = local_config.alias_maps;
    const char *value;

    *error = 0;
    for (size_t i = 0; i < maps->names->argc; i++) {
        if ((value = dict_get(maps->dicts[i], name)) != NULL) {
            *owner = local_alias_owner(maps->dicts[i]);
            return mystrdup(value);
        }
        if (maps->dicts[i]->error != DICT_ERR_NONE) {
            *error = 1;
            return NULL;
        }
    }
    return NULL;
}

/*
 * With expand_owner_alias, an owner-NAME alias that holds one plain
 * address stands for that address; OWNER is replaced by it.
 */
static void
local_alias_owner_address(const char *value, struct vstring *owner)
{
    struct argv *addrs;

    if (!local_config.expand_owner_alias || strpbrk(value, ",|/:\\\n") != NULL)
        return;
    addrs = argv_alloc(1);
    if (addr_parse_header(value, 0, addrs, NULL) == 1 && *addrs->argv[0])
        vstring_strcpy(owner, addrs->argv[0]);
    argv_free(addrs);
}

/* The owner-NAME sender, or NULL when there is no such alias. */
static char *
local_alias_owner_sender(const char *name)
{
    struct vstring *owner = vstring_alloc(64);
    struct vstring *canon = vstring_alloc(64);
    char *value;
    uid_t uid;
    int error;

    if (strncasecmp(name, "owner-", 6) == 0)
        value = NULL;
    else {
        vstring_sprintf(owner, "owner-%s", name);
        value = local_alias_find(vstring_str(owner), &uid, &error);
    }
    if (value != NULL) {
        local_alias_owner_address(value, owner);
        myfree(value);
        rewrite_addr(REWRITE_RULE_LOCAL, vstring_str(owner), canon);
        value = mystrdup(vstring_str(canon));
    }
    vstring_free(owner);
    vstring_free(canon);
    return value;
}

int
local_alias(struct local_state *state, const char *name)
{
    struct local_state child;
    char *value;
    char *owner_sender;
    uid_t owner;
    int error;

    if ((value = local_alias_find(name, &owner, &error)) == NULL) {
        if (error)
            local_leaf(state, DEL_RCPT_DEFER, "4.3.0", "delayed", "alias database unavailable");
        return error;
    }
    if (state->level > LOCAL_MAX_LEVEL) {
        msg_warn("alias database loop for %s", name);
        local_leaf(state, DEL_RCPT_BOUNCE, "5.4.6", "failed", "alias database loop for %s", name);
        myfree(value);
        return 1;
    }
    child = *state;
    child.exp_from = name;
    child.level++;
    child.context = LOCAL_CTX_ALIAS;
    child.user = NULL;
    local_privs_from_owner(owner, &child.uid, &child.gid);
    owner_sender = local_alias_owner_sender(name);
    if (owner_sender != NULL) {
        child.sender = owner_sender;
        child.owner_alias = owner_sender;
        child.owner = owner_sender;
    } else if (local_config.reset_owner_alias) {
        child.owner = NULL; /* its users are delivered here; the sender stays */
    }
    local_expanded(state, owner_sender != NULL);
    local_deliver_list(&child, value);
    myfree(value);
    if (owner_sender)
        myfree(owner_sender);
    return 1;
}
