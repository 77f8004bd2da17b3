/*
 * resolve_addr - trivial-rewrite's "resolve" and "verify" operations:
 * which delivery transport, which next-hop destination, and which final
 * recipient address a recipient gets, and in which address class it is.
 *
 *   resolve_addr_init()
 *       reads main.cf and opens every table and domain list it names
 *       (mydestination, virtual_alias_domains, virtual_mailbox_domains,
 *       relay_domains, transport_maps, sender_dependent_relayhost_maps,
 *       sender_dependent_default_transport_maps, relocated_maps, and the
 *       address_verify_* variants), and the interface addresses
 *       (inet_interfaces, proxy_interfaces). Call it before a chroot.
 *       resolve_addr() calls it on first use.
 *   resolve_addr(kind, sender, addr, reply)
 *       KIND is RESOLVE_REGULAR, or RESOLVE_VERIFY for address
 *       verification probes (the address_verify_* transports, relayhost
 *       and maps replace the regular ones). SENDER and ADDR are in
 *       internal form; SENDER may be "" (the null sender). Fills REPLY.
 *   resolve_addr_changed()
 *       the name of a table that changed since it was opened ("type:name"),
 *       or NULL: the daemon then exits so that the master restarts it.
 *   resolve_local(domain)
 *       1 when DOMAIN is local: it matches $mydestination, or is an
 *       address literal [a.b.c.d] / [IPv6:...] of one of the
 *       inet_interfaces or proxy_interfaces addresses (one trailing dot
 *       is ignored); 0 when not; -1 when a table lookup failed.
 *
 * The reply (struct resolve_reply):
 *   flags      one class: RESOLVE_CLASS_LOCAL (mydestination, interface
 *              literals), _ALIAS (virtual_alias_domains), _VIRTUAL
 *              (virtual_mailbox_domains), _RELAY (relay_domains) or
 *              _DEFAULT (everything else); plus
 *              RESOLVE_FLAG_ROUTED  the local part holds '@', '!' or '%'
 *                                   routing (whatever swap_bangpath and
 *                                   allow_percent_hack say)
 *              RESOLVE_FLAG_ERROR   bad address syntax: a domain that is no
 *                                   valid host name or literal (class
 *                                   _DEFAULT, transport and nexthop empty),
 *                                   or a recipient that starts with '-'
 *                                   (unless allow_min_user)
 *              RESOLVE_FLAG_FAIL    a table lookup failed or the setup is
 *                                   broken: try again later; the other
 *                                   fields are not meaningful
 *   transport  the master.cf service that delivers ("local", "smtp",
 *              "error", ...)
 *   nexthop    where it delivers to (a domain, [host]:port, or for the
 *              error transport the reason text)
 *   recipient  the recipient address that goes there: the input, with
 *              local domains stripped, the %/!/@ routing of local mail
 *              undone, an empty address made $empty_address_recipient, and
 *              always with a domain (@$myhostname when there was none)
 *
 * The class decides the default transport and nexthop:
 *   local    $local_transport, nexthop the recipient domain (the default
 *            "local:$myhostname" makes it $myhostname)
 *   alias    "error", "5.1.1 User unknown in virtual alias table" (without
 *            the last four words when show_user_unknown_table_name = no)
 *   virtual  $virtual_transport, nexthop the recipient domain
 *   relay    $relay_transport, nexthop from sender_dependent_relayhost_maps,
 *            else $relayhost, else the recipient domain
 *   default  sender_dependent_default_transport_maps or $default_transport;
 *            nexthop as for relay
 * A "transport:nexthop" in those transport parameters overrides the
 * nexthop. Then transport_maps may override both (not for the alias
 * class): keys user+ext@domain, user@domain, domain, .parent (or parent
 * when transport_maps is in parent_domain_matches_subdomains), "*"; a
 * value "transport:nexthop" where an empty transport keeps the current
 * one, and an empty nexthop keeps it only when the transport is empty
 * too; otherwise it becomes the recipient domain (for "error" and "retry",
 * "Address is undeliverable"). Last, relocated_maps (user@domain,
 * user, @domain) turns the result into "error", "5.1.6 User has moved to
 * NEW". A table that fails sets RESOLVE_FLAG_FAIL.
 */
#ifndef TERN_RESOLVE_ADDR_H
#define TERN_RESOLVE_ADDR_H

#include "util/vstring.h"

#define RESOLVE_FLAG_FINAL (1 << 0)  /* final delivery (not set by resolve_addr) */
#define RESOLVE_FLAG_ROUTED (1 << 1) /* routing operators in the local part */
#define RESOLVE_FLAG_ERROR (1 << 2)  /* bad address syntax */
#define RESOLVE_FLAG_FAIL (1 << 3)   /* the request failed: try again */

#define RESOLVE_CLASS_LOCAL (1 << 8)    /* mydestination, interface literals */
#define RESOLVE_CLASS_ALIAS (1 << 9)    /* virtual_alias_domains */
#define RESOLVE_CLASS_VIRTUAL (1 << 10) /* virtual_mailbox_domains */
#define RESOLVE_CLASS_RELAY (1 << 11)   /* relay_domains */
#define RESOLVE_CLASS_DEFAULT (1 << 12) /* everything else */

#define RESOLVE_CLASS_FINAL (RESOLVE_CLASS_LOCAL | RESOLVE_CLASS_ALIAS | RESOLVE_CLASS_VIRTUAL)
#define RESOLVE_CLASS_MASK                                                                         \
    (RESOLVE_CLASS_LOCAL | RESOLVE_CLASS_ALIAS | RESOLVE_CLASS_VIRTUAL | RESOLVE_CLASS_RELAY |     \
     RESOLVE_CLASS_DEFAULT)

#define RESOLVE_REGULAR 0
#define RESOLVE_VERIFY 1

struct resolve_reply {
    int flags;
    struct vstring *transport;
    struct vstring *nexthop;
    struct vstring *recipient;
};

struct resolve_reply *resolve_reply_alloc(void);
void resolve_reply_free(struct resolve_reply *reply);

void resolve_addr_init(void);
void resolve_addr(int kind, const char *sender, const char *addr, struct resolve_reply *reply);
const char *resolve_addr_changed(void);
int resolve_local(const char *domain);

#endif
