/*
 * recipient - the order in which local(8) tries the ways to deliver one
 * recipient (man 8 local, DELIVERY METHOD CONTROLS):
 *
 *   1. a mail forwarding loop: the address is already in a Delivered-To:
 *      header of the message -> bounce 5.4.6 "mail forwarding loop for ADDR";
 *   2. aliases: NAME+EXT, then NAME (alias.c);
 *   3. below an owner- alias, a .forward or an :include: file (the
 *      "owner" of the state; not the user whose .forward it is): forward
 *      the address as a new message (forward.c), as Postfix does, so that
 *      each copy has its own queue file status and the owner's sender,
 *      with the Delivered-To: of the expansion that named it;
 *   4. for a UNIX account: .forward files (dotforward.c), then the
 *      mailbox (mailbox.c: mailbox_transport, mailbox_command,
 *      home_mailbox, mail_spool_directory);
 *   5. for an unknown name: fallback_transport_maps (key: the name),
 *      fallback_transport, else luser_relay, else
 *      bounce 5.1.1 'unknown user: "NAME"'.
 *
 * Names are the address local part folded to lower case, without the
 * recipient_delimiter extension (addr_parts_split: owner-/-request and
 * the special names are not split). A name found in its own alias
 * expansion ("a: a, b") goes to its user; a longer alias loop ends when
 * the nesting passes LOCAL_MAX_LEVEL (alias.c: "alias database loop").
 */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "local.h"
#include "mail/addr_parse.h"
#include "util/mymalloc.h"
#include "util/stringops.h"

int
local_split_address(const char *address, struct vstring *local_part, struct vstring *ext,
                    struct vstring *domain, int *delim)
{
    struct addr_parts *parts = addr_parts_alloc();
    struct addr_ext_opts opts;

    opts.recipient_delimiter = local_config.recipient_delimiter;
    opts.owner_request_special = local_config.owner_request_special;
    opts.double_bounce_sender = NULL;
    addr_parts_split(parts, address, &opts);
    vstring_strcpy(local_part, vstring_str(parts->local));
    lowercase(vstring_str(local_part));
    vstring_strcpy(ext, vstring_str(parts->extension));
    lowercase(vstring_str(ext));
    vstring_strcpy(domain, vstring_str(parts->domain));
    *delim = parts->delimiter;
    addr_parts_free(parts);
    return 0;
}

/* Is ADDRESS in a Delivered-To: header? */
static int
local_looping(struct local_state *state)
{
    char *lower = lowercase(mystrdup(state->address));
    struct argv *hdrs = state->lr->delivered_hdrs;
    int found = 0;

    for (size_t i = 0; i < hdrs->argc && !found; i++)
        found = strcmp(hdrs->argv[i], lower) == 0;
    myfree(lower);
    return found;
}

/* luser_relay: deliver to the expansion instead of bouncing. */
static void
local_luser_relay(struct local_state *state)
{
    struct local_expand ctx = {state, NULL, NULL};
    struct vstring *dest = vstring_alloc(100);

    local_expand(dest, local_config.luser_relay, &ctx);
    local_deliver_address(state, vstring_str(dest));
    vstring_free(dest);
}

/* Delivers to a UNIX account: .forward, then the mailbox. */
static void
local_deliver_user(struct local_state *state, struct local_user *user, const char *ext)
{
    struct stat st;

    if (local_config.require_home_directory && stat(user->home, &st) < 0) {
        local_leaf(state, DEL_RCPT_DEFER, "4.3.0", "delayed", "cannot access home directory %s: %s",
                   user->home, strerror(errno));
        return;
    }
    if (local_dotforward(state, user, ext))
        return;
    local_mailbox(state, user);
}

/* After the aliases: a UNIX account, or the ways for unknown names. */
static void
local_deliver_nonalias(struct local_state *state, struct vstring *name, struct vstring *ext,
                       const char *outer_delivered)
{
    struct local_state fwd;
    struct local_user *user;
    const char *value;
    int found;

    if (state->owner && strcasecmp(state->owner, vstring_str(name)) != 0) {
        /* below an owner- alias, .forward or :include:: a new message */
        fwd = *state;
        fwd.delivered = outer_delivered; /* the forwarder's, also with frozen_delivered_to = no */
        if (!local_dup_seen(state->lr, "forward", state->address))
            local_forward_add(&fwd, state->address);
    } else if ((user = local_user_lookup(vstring_str(name))) != NULL) {
        local_deliver_user(state, user, vstring_str(ext));
        local_user_free(user);
    } else if ((found = local_maps_find(state, local_config.fallback_transport_maps,
                                        vstring_str(name), &value)) != 0) {
        if (found > 0)
            local_pass(state, value);
    } else if (*local_config.fallback_transport) {
        local_pass(state, local_config.fallback_transport);
    } else if (*local_config.luser_relay && !local_dup_seen(state->lr, "luser", "relay")) {
        local_luser_relay(state);
    } else {
        local_leaf(state, DEL_RCPT_BOUNCE, "5.1.1", "failed", "unknown user: \"%s\"",
                   vstring_str(name));
    }
}

void
local_deliver_recipient(struct local_state state)
{
    struct vstring *name = vstring_alloc(64);
    struct vstring *ext = vstring_alloc(16);
    struct vstring *domain = vstring_alloc(64);
    struct vstring *full = vstring_alloc(64);
    const char *outer_delivered = state.delivered;
    int delim;

    if (!local_config.frozen_delivered_to)
        state.delivered = state.address;
    if (local_looping(&state)) {
        local_leaf(&state, DEL_RCPT_BOUNCE, "5.4.6", "failed", "mail forwarding loop for %s",
                   state.address);
    } else {
        local_split_address(state.address, name, ext, domain, &delim);
        vstring_strcpy(full, vstring_str(name));
        if (delim)
            vstring_sprintf_append(full, "%c%s", delim, lowercase(vstring_str(ext)));
        if (state.exp_from && strcmp(state.exp_from, vstring_str(name)) == 0) {
            /* a name in its own alias expansion: its user's mailbox */
            state.exp_from = NULL;
            local_deliver_nonalias(&state, name, ext, outer_delivered);
        } else if ((delim && local_alias(&state, vstring_str(full))) ||
                   local_alias(&state, vstring_str(name))) {
            /* done by the alias */
        } else {
            local_deliver_nonalias(&state, name, ext, outer_delivered);
        }
    }
    vstring_free(name);
    vstring_free(ext);
    vstring_free(domain);
    vstring_free(full);
}
