/*
 * addr_find - the partial-key search: which keys are looked up, in which
 * order, when an address, domain, host name or IP address is searched in
 * a list of tables (access, canonical, virtual, transport maps). The one
 * place that knows the search orders of access(5), canonical(5),
 * virtual(5) and transport(5); smtpd, cleanup and trivial-rewrite call it.
 *
 * Every search asks the tables with maps_find(). The first key (the whole
 * address, or the whole host name / IP address) is asked of every table
 * (flags 0); every partial key after it only of fixed-key tables
 * (DICT_FLAG_FIXED): regexp, pcre and cidr tables see only whole strings.
 * The search stops at the first match, or at the first table that fails:
 * then the result is NULL and maps->error is set (never a silent miss).
 *
 * Settings come from the caller in struct addr_find_opts (this module does
 * not read main.cf):
 *   recipient_delimiter    the recipient_delimiter characters, or NULL/"".
 *                          The extension starts at the first of them in the
 *                          local part; postmaster, mailer-daemon, the
 *                          double-bounce sender and (when '-' is a
 *                          delimiter and owner_request_special is set)
 *                          owner-* and *-request are never split, nor is a
 *                          local part that starts with a delimiter. The
 *                          decision is addr_parse's addr_extension_offset().
 *   owner_request_special  main.cf owner_request_special (Postfix: yes).
 *   parent_matches_subdomains  non-zero when the map's parameter name is
 *                          listed in parent_domain_matches_subdomains: the
 *                          parent domains are then looked up as "parent",
 *                          otherwise as ".parent".
 *   double_bounce_sender   NULL means "double-bounce".
 *   domain_is_local(domain, context)  for canonical/virtual: 1 when the
 *                          domain is $myorigin, in $mydestination or an
 *                          interface address; 0 when not; -1 on a temporary
 *                          error. NULL: never local.
 *
 * Search orders (user+ext@example.com, delimiter "+", domain parents
 * written for parent_matches_subdomains = 0):
 *
 *   addr_find_access (access(5) e-mail address patterns)
 *       user+ext@example.com, user@example.com, example.com, .com,
 *       user+ext@, user@
 *   addr_find_mail (canonical(5), virtual(5); *extension gets "+ext" when
 *       the match was found without the extension, so the caller can
 *       propagate it)
 *       user+ext@example.com, user@example.com, and when the domain is
 *       local: user+ext, user; then @example.com
 *   addr_find_transport (transport(5))
 *       user+ext@example.com, user@example.com, example.com, .com, *
 *   addr_find_domain (access(5) host name patterns: helo, sender MX, ...)
 *       mail.example.com, .example.com, .com  (or example.com, com)
 *   addr_find_ip (access(5) address patterns)
 *       1.2.3.4, 1.2.3, 1.2, 1   or for IPv6 (compressed form)
 *       2001:db8::1, 2001:db8:, 2001:db8, 2001
 *   addr_find_client: addr_find_domain of the client name (unless NULL),
 *       then addr_find_ip of its address.
 *
 * An address without '@' is looked up whole only (access, mail), or whole
 * and then "*" (transport). Keys are passed as given; case folding is the
 * tables' business (DICT_FLAG_FOLD_FIX). Returned values belong to the
 * table and are valid until its next lookup; *extension is the caller's to
 * myfree (NULL when none).
 */
#ifndef TERN_ADDR_FIND_H
#define TERN_ADDR_FIND_H

#include "mail/maps.h"

struct addr_find_opts {
    const char *recipient_delimiter;
    int parent_matches_subdomains;
    const char *double_bounce_sender;
    int (*domain_is_local)(const char *domain, void *context);
    void *context;
    int owner_request_special;
};

const char *addr_find_access(struct maps *maps, const char *address,
                             const struct addr_find_opts *opts);
const char *addr_find_mail(struct maps *maps, const char *address,
                           const struct addr_find_opts *opts, char **extension);
const char *addr_find_transport(struct maps *maps, const char *address,
                                const struct addr_find_opts *opts);
const char *addr_find_domain(struct maps *maps, const char *domain,
                             const struct addr_find_opts *opts);
const char *addr_find_ip(struct maps *maps, const char *address);
const char *addr_find_client(struct maps *maps, const char *hostname, const char *address,
                             const struct addr_find_opts *opts);

/*
 * The address without its extension ("user+ext@dom" -> "user@dom"), or
 * NULL when it has none by the rules above; with EXTENSION non-NULL,
 * *extension gets the extension with its delimiter ("+ext"). Both results
 * are the caller's to myfree.
 */
char *addr_strip_extension(const char *address, const struct addr_find_opts *opts,
                           char **extension);

#endif
