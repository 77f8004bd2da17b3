/*
 * resolve_private - what the parts of the resolver share; not for use
 * outside resolve_addr.c, resolve_config.c and resolve_route.c.
 *
 *   resolve_config     the parameters and open tables (resolve_config.c
 *                      fills it in resolve_addr_init; nothing else writes)
 *   resolve_contexts[] per request kind (RESOLVE_REGULAR, RESOLVE_VERIFY):
 *                      transports, relayhost and maps; the verify context
 *                      shares a table with the regular one when both
 *                      parameters have the same value
 *   resolve_route(ctx, sender, local, reply)
 *                      picks class, transport and nexthop for the final
 *                      recipient in reply->recipient (resolve_route.c)
 */
#ifndef TERN_RESOLVE_PRIVATE_H
#define TERN_RESOLVE_PRIVATE_H

#include "mail/addr_find.h"
#include "mail/domain_list.h"
#include "mail/maps.h"
#include "mail/resolve_addr.h"

struct resolve_context {
    const char *local_transport_name; /* parameter names, for messages */
    const char *virtual_transport_name;
    const char *relay_transport_name;
    const char *default_transport_name;
    char *local_transport;
    char *virtual_transport;
    char *relay_transport;
    char *default_transport;
    char *relayhost;
    struct maps *transport_maps;
    struct maps *snd_relay_maps;     /* sender_dependent_relayhost_maps */
    struct maps *snd_def_xport_maps; /* sender_dependent_default_transport_maps */
};

struct resolve_config {
    int ready;
    char *myhostname;
    char *myorigin;
    char *empty_address_recipient;
    char *null_relay_key;     /* empty_address_relayhost_maps_lookup_key */
    char *null_def_xport_key; /* empty_address_default_transport_maps_lookup_key */
    int swap_bangpath;
    int allow_percent_hack;
    int resolve_dequoted;
    int resolve_null_domain;
    int resolve_numeric_domain;
    int allow_min_user;
    int show_unknown_table;
    int helpful_warnings;
    int smtputf8;
    struct domain_list *mydestination;
    struct domain_list *virtual_alias_domains;
    struct domain_list *virtual_mailbox_domains;
    struct domain_list *relay_domains;
    struct maps *relocated_maps;
    struct addr_find_opts find_opts;      /* sender and relocated lookups */
    struct addr_find_opts transport_opts; /* transport_maps lookups */
    char *recipient_delimiter;
    char *double_bounce_sender;
};

extern struct resolve_config resolve_config;
extern struct resolve_context resolve_contexts[2];

void resolve_route(const struct resolve_context *ctx, const char *sender, int local,
                   struct resolve_reply *reply);

#endif
