/*
 * resolve_route - the second half of the resolver: given the final
 * recipient (reply->recipient, user@domain) and whether its domain is
 * local, pick the address class, the transport and the nexthop, then
 * apply transport_maps and relocated_maps. See resolve_addr.h for the
 * rules and their precedence.
 *
 * On a failed table lookup the reply gets RESOLVE_FLAG_FAIL and the
 * search stops; the other fields are then not meaningful. A class
 * transport parameter with an empty transport part is a configuration
 * error: warning and RESOLVE_FLAG_FAIL (mail is deferred, not lost).
 */
#include <string.h>
#include <strings.h>

#include "config/mail_conf.h"
#include "mail/resolve_private.h"
#include "util/msg.h"
#include "util/mymalloc.h"

#define SERVICE_ERROR "error"
#define SERVICE_RETRY "retry"

/* Does a domain list match? Sets RESOLVE_FLAG_FAIL on a lookup error. */
static int
resolve_in_list(struct domain_list *list, const char *domain, struct resolve_reply *reply)
{
    int status = domain_list_match(list, domain);

    if (status < 0) {
        msg_warn("%s lookup failure", list->title);
        reply->flags |= RESOLVE_FLAG_FAIL;
    }
    return status;
}

/* Warns about a domain that is listed in two class lists. */
static void
resolve_warn_both(const char *domain, const char *first, struct domain_list *other)
{
    if (resolve_config.helpful_warnings && domain_list_match(other, domain) > 0)
        msg_warn("do not list domain %s in BOTH %s and %s", domain, first, other->title);
}

/* Looks SENDER up in sender-dependent MAPS; NULL for none or DUNNO. */
static const char *
resolve_by_sender(struct maps *maps, const char *sender, const char *null_key,
                  struct resolve_reply *reply)
{
    const char *key = *sender ? sender : null_key;
    const char *value;

    if (maps->names->argc == 0)
        return NULL;
    if ((value = addr_find_mail(maps, key, &resolve_config.find_opts, NULL)) == NULL) {
        if (maps->error != DICT_ERR_NONE) {
            msg_warn("%s lookup failure", maps->title);
            reply->flags |= RESOLVE_FLAG_FAIL;
        }
        return NULL;
    }
    return strcasecmp(value, "DUNNO") == 0 ? NULL : value;
}

/* Relay and default class: transport (default only) and nexthop. */
static const char *
resolve_remote(const struct resolve_context *ctx, const char *sender, const char *domain,
               struct resolve_reply *reply)
{
    const char *blame = ctx->relay_transport_name;
    const char *value;
    int status;

    if ((status = resolve_in_list(resolve_config.relay_domains, domain, reply)) > 0) {
        vstring_strcpy(reply->transport, ctx->relay_transport);
        reply->flags |= RESOLVE_CLASS_RELAY;
    } else if (status == 0) {
        value = resolve_by_sender(ctx->snd_def_xport_maps, sender,
                                  resolve_config.null_def_xport_key, reply);
        vstring_strcpy(reply->transport, value ? value : ctx->default_transport);
        blame = value ? ctx->snd_def_xport_maps->title : ctx->default_transport_name;
        reply->flags |= RESOLVE_CLASS_DEFAULT;
    }
    if (reply->flags & RESOLVE_FLAG_FAIL)
        return blame;
    value = resolve_by_sender(ctx->snd_relay_maps, sender, resolve_config.null_relay_key, reply);
    vstring_strcpy(reply->nexthop, value ? value : *ctx->relayhost != 0 ? ctx->relayhost : domain);
    return blame;
}

/* Picks the class and its transport and nexthop; returns the parameter to blame. */
static const char *
resolve_class(const struct resolve_context *ctx, const char *sender, int local, const char *domain,
              struct resolve_reply *reply)
{
    struct resolve_config *cf = &resolve_config;
    int status;

    if (local) {
        resolve_warn_both(domain, "mydestination", cf->virtual_alias_domains);
        resolve_warn_both(domain, "mydestination", cf->virtual_mailbox_domains);
        vstring_strcpy(reply->transport, ctx->local_transport);
        vstring_strcpy(reply->nexthop, domain);
        reply->flags |= RESOLVE_CLASS_LOCAL;
        return ctx->local_transport_name;
    }
    if ((status = resolve_in_list(cf->virtual_alias_domains, domain, reply)) > 0) {
        resolve_warn_both(domain, "virtual_alias_domains", cf->virtual_mailbox_domains);
        resolve_warn_both(domain, "virtual_alias_domains", cf->relay_domains);
        vstring_strcpy(reply->transport, SERVICE_ERROR);
        vstring_sprintf(reply->nexthop, "5.1.1 User unknown%s",
                        cf->show_unknown_table ? " in virtual alias table" : "");
        reply->flags |= RESOLVE_CLASS_ALIAS;
        return "virtual_alias_domains";
    }
    if (status < 0)
        return NULL;
    if ((status = resolve_in_list(cf->virtual_mailbox_domains, domain, reply)) > 0) {
        resolve_warn_both(domain, "virtual_mailbox_domains", cf->relay_domains);
        vstring_strcpy(reply->transport, ctx->virtual_transport);
        vstring_strcpy(reply->nexthop, domain);
        reply->flags |= RESOLVE_CLASS_VIRTUAL;
        return ctx->virtual_transport_name;
    }
    if (status < 0)
        return NULL;
    return resolve_remote(ctx, sender, domain, reply);
}

/* Applies one transport_maps value "transport:nexthop" (see transport(5)). */
static void
resolve_transport_entry(const char *value, const char *domain, struct resolve_reply *reply)
{
    const char *colon = strchr(value, ':');
    size_t tlen = colon ? (size_t)(colon - value) : strlen(value);
    const char *nexthop = colon ? colon + 1 : "";

    if (tlen == 0) {
        if (*nexthop != 0)
            vstring_strcpy(reply->nexthop, nexthop);
        return;
    }
    vstring_strncpy(reply->transport, value, tlen);
    if (*nexthop != 0)
        vstring_strcpy(reply->nexthop, nexthop);
    else if (strcmp(vstring_str(reply->transport), SERVICE_ERROR) == 0 ||
             strcmp(vstring_str(reply->transport), SERVICE_RETRY) == 0)
        vstring_strcpy(reply->nexthop, "Address is undeliverable");
    else
        vstring_strcpy(reply->nexthop, domain);
}

/* transport_maps, then relocated_maps. */
static void
resolve_overrides(const struct resolve_context *ctx, const char *domain,
                  struct resolve_reply *reply)
{
    const char *rcpt = vstring_str(reply->recipient);
    struct maps *maps = ctx->transport_maps;
    const char *value;

    if (!(reply->flags & RESOLVE_CLASS_ALIAS) && maps->names->argc > 0) {
        if ((value = addr_find_transport(maps, rcpt, &resolve_config.transport_opts)) != NULL) {
            resolve_transport_entry(value, domain, reply);
        } else if (maps->error != DICT_ERR_NONE) {
            msg_warn("%s lookup failure", maps->title);
            reply->flags |= RESOLVE_FLAG_FAIL;
            return;
        }
    }
    maps = resolve_config.relocated_maps;
    if (maps->names->argc == 0)
        return;
    if ((value = addr_find_mail(maps, rcpt, &resolve_config.find_opts, NULL)) != NULL) {
        vstring_strcpy(reply->transport, SERVICE_ERROR);
        vstring_sprintf(reply->nexthop, "5.1.6 User has moved to %s", value);
    } else if (maps->error != DICT_ERR_NONE) {
        msg_warn("%s lookup failure", maps->title);
        reply->flags |= RESOLVE_FLAG_FAIL;
    }
}

void
resolve_route(const struct resolve_context *ctx, const char *sender, int local,
              struct resolve_reply *reply)
{
    char *domain = mystrdup(strrchr(vstring_str(reply->recipient), '@') + 1);
    const char *blame = resolve_class(ctx, sender, local, domain, reply);
    char *colon;

    if (reply->flags & RESOLVE_FLAG_FAIL) {
        myfree(domain);
        return;
    }
    if ((colon = strchr(vstring_str(reply->transport), ':')) != NULL) {
        if (colon[1] != 0)
            vstring_strcpy(reply->nexthop, colon + 1);
        vstring_truncate(reply->transport, (size_t)(colon - vstring_str(reply->transport)));
    }
    if (vstring_len(reply->transport) == 0) {
        msg_warn("file %s: parameter %s: null transport is not allowed",
                 mail_conf_path() ? mail_conf_path() : "main.cf", blame);
        reply->flags |= RESOLVE_FLAG_FAIL;
    } else {
        resolve_overrides(ctx, domain, reply);
    }
    myfree(domain);
}
