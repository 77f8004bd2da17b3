/*
 * resolve_config - the resolver's configuration: main.cf parameters,
 * tables and domain lists, opened once (resolve_addr_init), checked for
 * changes (resolve_addr_changed), and the local-domain test
 * (resolve_local). See resolve_addr.h.
 *
 * Tables are opened read-only with keys folded to lower case; the tables
 * whose values name transports or hosts refuse $number substitution from
 * regular expressions. resolve_addr_init may run again (tests): what was
 * open is closed first.
 */
#include <string.h>
#include <strings.h>

#include "config/mail_conf.h"
#include "mail/own_inet_addr.h"
#include "mail/resolve_private.h"
#include "mail/rewrite_addr.h"
#include "mail/valid_hostname.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/stringops.h"

#define RESOLVE_MAP_FLAGS (DICT_FLAG_DEFAULT | DICT_FLAG_NO_REGSUB)

struct resolve_config resolve_config;
struct resolve_context resolve_contexts[2];

/* Parameter names of each context, in struct resolve_context order. */
static const char *resolve_param_names[2][8] = {
    [RESOLVE_REGULAR] = {"local_transport", "virtual_transport", "relay_transport",
                         "default_transport", "relayhost", "transport_maps",
                         "sender_dependent_relayhost_maps",
                         "sender_dependent_default_transport_maps"},
    [RESOLVE_VERIFY] = {"address_verify_local_transport", "address_verify_virtual_transport",
                        "address_verify_relay_transport", "address_verify_default_transport",
                        "address_verify_relayhost", "address_verify_transport_maps",
                        "address_verify_sender_dependent_relayhost_maps",
                        "address_verify_sender_dependent_default_transport_maps"},
};

static char *
resolve_param(const char *name)
{
    return mystrdup(mail_conf_get(name));
}

/* Is NAME listed in parent_domain_matches_subdomains? */
static int
resolve_parent_style(const char *name)
{
    char *copy = mystrdup(mail_conf_get("parent_domain_matches_subdomains"));
    char *cp = copy;
    char *item;
    int found = 0;

    while (!found && (item = mystrtok(&cp, CHARS_COMMA_SP)) != NULL)
        found = strcmp(item, name) == 0;
    myfree(copy);
    return found;
}

/* The maps of parameter NAME; shared with SAME when the values are equal. */
static struct maps *
resolve_maps(const char *name, const struct maps *same, const char *same_name)
{
    const char *value = mail_conf_get(name);

    if (same != NULL && strcmp(value, mail_conf_get(same_name)) == 0)
        return (struct maps *)same;
    return maps_create(name, value, RESOLVE_MAP_FLAGS);
}

static void
resolve_context_init(int kind)
{
    struct resolve_context *ctx = resolve_contexts + kind;
    const struct resolve_context *reg = kind == RESOLVE_VERIFY ? resolve_contexts : NULL;
    const char **names = resolve_param_names[kind];
    const char **reg_names = resolve_param_names[RESOLVE_REGULAR];

    ctx->local_transport_name = names[0];
    ctx->virtual_transport_name = names[1];
    ctx->relay_transport_name = names[2];
    ctx->default_transport_name = names[3];
    ctx->local_transport = resolve_param(names[0]);
    ctx->virtual_transport = resolve_param(names[1]);
    ctx->relay_transport = resolve_param(names[2]);
    ctx->default_transport = resolve_param(names[3]);
    ctx->relayhost = resolve_param(names[4]);
    ctx->transport_maps = resolve_maps(names[5], reg ? reg->transport_maps : NULL, reg_names[5]);
    ctx->snd_relay_maps = resolve_maps(names[6], reg ? reg->snd_relay_maps : NULL, reg_names[6]);
    ctx->snd_def_xport_maps =
        resolve_maps(names[7], reg ? reg->snd_def_xport_maps : NULL, reg_names[7]);
}

static void
resolve_context_free(int kind)
{
    struct resolve_context *ctx = resolve_contexts + kind;
    const struct resolve_context *reg = resolve_contexts + RESOLVE_REGULAR;

    myfree(ctx->local_transport);
    myfree(ctx->virtual_transport);
    myfree(ctx->relay_transport);
    myfree(ctx->default_transport);
    myfree(ctx->relayhost);
    if (kind == RESOLVE_REGULAR || ctx->transport_maps != reg->transport_maps)
        maps_free(ctx->transport_maps);
    if (kind == RESOLVE_REGULAR || ctx->snd_relay_maps != reg->snd_relay_maps)
        maps_free(ctx->snd_relay_maps);
    if (kind == RESOLVE_REGULAR || ctx->snd_def_xport_maps != reg->snd_def_xport_maps)
        maps_free(ctx->snd_def_xport_maps);
}

/* Is DOMAIN local for the lookups of addr_find_mail ($myorigin too)? */
static int
resolve_find_is_local(const char *domain, void *context)
{
    (void)context;
    if (strcasecmp(domain, resolve_config.myorigin) == 0)
        return 1;
    return resolve_local(domain);
}

static void
resolve_config_free(void)
{
    struct resolve_config *cf = &resolve_config;

    resolve_context_free(RESOLVE_VERIFY);
    resolve_context_free(RESOLVE_REGULAR);
    myfree(cf->myhostname);
    myfree(cf->myorigin);
    myfree(cf->empty_address_recipient);
    myfree(cf->null_relay_key);
    myfree(cf->null_def_xport_key);
    myfree(cf->recipient_delimiter);
    myfree(cf->double_bounce_sender);
    domain_list_free(cf->mydestination);
    domain_list_free(cf->virtual_alias_domains);
    domain_list_free(cf->virtual_mailbox_domains);
    domain_list_free(cf->relay_domains);
    maps_free(cf->relocated_maps);
    cf->ready = 0;
}

static void
resolve_config_lists(struct resolve_config *cf)
{
    int relay_flags = DOMAIN_LIST_SUBDOMAINS;

    if (resolve_parent_style("relay_domains"))
        relay_flags |= DOMAIN_LIST_PARENT;
    cf->mydestination = domain_list_create("mydestination", mail_conf_get("mydestination"), 0);
    cf->virtual_alias_domains =
        domain_list_create("virtual_alias_domains", mail_conf_get("virtual_alias_domains"), 0);
    cf->virtual_mailbox_domains =
        domain_list_create("virtual_mailbox_domains", mail_conf_get("virtual_mailbox_domains"), 0);
    cf->relay_domains =
        domain_list_create("relay_domains", mail_conf_get("relay_domains"), relay_flags);
    cf->relocated_maps =
        maps_create("relocated_maps", mail_conf_get("relocated_maps"), DICT_FLAG_DEFAULT);
}

void
resolve_addr_init(void)
{
    struct resolve_config *cf = &resolve_config;

    if (cf->ready)
        resolve_config_free();
    cf->myhostname = resolve_param("myhostname");
    cf->myorigin = resolve_param("myorigin");
    cf->empty_address_recipient = resolve_param("empty_address_recipient");
    if (*cf->empty_address_recipient == 0)
        msg_fatal("bad string length 0 < 1: empty_address_recipient = ");
    cf->null_relay_key = resolve_param("empty_address_relayhost_maps_lookup_key");
    cf->null_def_xport_key = resolve_param("empty_address_default_transport_maps_lookup_key");
    cf->recipient_delimiter = resolve_param("recipient_delimiter");
    cf->double_bounce_sender = resolve_param("double_bounce_sender");
    cf->swap_bangpath = mail_conf_get_bool("swap_bangpath");
    cf->allow_percent_hack = mail_conf_get_bool("allow_percent_hack");
    cf->resolve_dequoted = mail_conf_get_bool("resolve_dequoted_address");
    cf->resolve_null_domain = mail_conf_get_bool("resolve_null_domain");
    cf->resolve_numeric_domain = mail_conf_get_bool("resolve_numeric_domain");
    cf->allow_min_user = mail_conf_get_bool("allow_min_user");
    cf->show_unknown_table = mail_conf_get_bool("show_user_unknown_table_name");
    cf->helpful_warnings = mail_conf_get_bool("helpful_warnings");
    cf->smtputf8 = mail_conf_get_bool("smtputf8_enable");
    cf->find_opts = (struct addr_find_opts){
        cf->recipient_delimiter, 0,    cf->double_bounce_sender,
        resolve_find_is_local,   NULL, mail_conf_get_bool("owner_request_special")};
    cf->transport_opts = cf->find_opts;
    cf->transport_opts.parent_matches_subdomains = resolve_parent_style("transport_maps");
    cf->transport_opts.domain_is_local = NULL;
    resolve_config_lists(cf);
    resolve_context_init(RESOLVE_REGULAR);
    resolve_context_init(RESOLVE_VERIFY);
    own_inet_addr_init();
    rewrite_addr_init();
    cf->ready = 1;
}

/* The name of a changed table of MAPS, or NULL. */
static const char *
resolve_maps_changed(struct maps *maps)
{
    size_t i;

    for (i = 0; i < maps->names->argc; i++)
        if (dict_changed(maps->dicts[i]))
            return maps->names->argv[i];
    return NULL;
}

const char *
resolve_addr_changed(void)
{
    struct resolve_config *cf = &resolve_config;
    struct domain_list *lists[] = {cf->mydestination, cf->virtual_alias_domains,
                                   cf->virtual_mailbox_domains, cf->relay_domains};
    struct maps *maps[7];
    const char *name;
    size_t i;

    if (!cf->ready)
        return NULL;
    for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
        if (domain_list_changed(lists[i]))
            return lists[i]->title;
    maps[0] = cf->relocated_maps;
    for (i = 0; i < 2; i++) {
        maps[1 + 3 * i] = resolve_contexts[i].transport_maps;
        maps[2 + 3 * i] = resolve_contexts[i].snd_relay_maps;
        maps[3 + 3 * i] = resolve_contexts[i].snd_def_xport_maps;
    }
    for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
        if ((name = resolve_maps_changed(maps[i])) != NULL)
            return name;
    return NULL;
}

/* Is the address literal LITERAL ("[...]") one of our interface addresses? */
static int
resolve_local_literal(const char *literal)
{
    const char *addr;
    size_t len;
    char *text;
    int found;

    if ((addr = mailhost_literal_addr(literal, &len)) == NULL)
        return 0;
    text = mystrndup(addr, len);
    found = own_inet_addr_match(text) || proxy_inet_addr_match(text);
    myfree(text);
    return found;
}

int
resolve_local(const char *domain)
{
    char *copy;
    size_t len = strlen(domain);
    int status;

    if (!resolve_config.ready)
        resolve_addr_init();
    if (len > 0 && domain[len - 1] == '.')
        len--;
    if (len == 0 || domain[len - 1] == '.')
        return 0;
    copy = mystrndup(domain, len);
    if ((status = domain_list_match(resolve_config.mydestination, copy)) == 0 && copy[0] == '[')
        status = resolve_local_literal(copy);
    myfree(copy);
    return status;
}
