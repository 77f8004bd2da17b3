/*
 * own_inet_addr - the network addresses this mail system receives mail
 * on: inet_interfaces (the machine's own addresses) and proxy_interfaces
 * (addresses that a proxy or NAT forwards to it). Mail for user@[address]
 * with such an address is local (trivial-rewrite); smtpd's
 * permit_inet_interfaces and the SMTP client's loop check ask too.
 *
 *   own_inet_addr_init()          reads both parameters (and
 *                                 inet_protocols) from main.cf. Call it
 *                                 before a chroot: "all" enumerates the
 *                                 interfaces and host names are resolved.
 *   own_inet_addr_match(text)     1 when TEXT (an IPv4 or IPv6 address in
 *                                 numeric form, without brackets) is one of
 *                                 the inet_interfaces addresses, else 0
 *   proxy_inet_addr_match(text)   the same for proxy_interfaces
 *   own_inet_addr_list()          the inet_interfaces addresses, as text
 *
 * inet_interfaces values: "all" (every address of every interface),
 * "loopback-only" (127.0.0.1 and ::1, as the master listens), or a list of
 * addresses and host names, optionally in [] (separated by commas and/or
 * white space). inet_protocols ("all", "ipv4", "ipv6", or both) selects
 * the address families. A host name that does not resolve, or an
 * interface list that cannot be read, is a configuration error (fatal,
 * naming the parameter). The match functions initialize on first use if
 * the caller did not.
 *
 * Addresses are compared in canonical form (inet_ntop of the parsed
 * address), so "::1" and "0:0::1" are the same. Text that is not a
 * numeric address never matches.
 */
#ifndef TERN_OWN_INET_ADDR_H
#define TERN_OWN_INET_ADDR_H

#include "util/argv.h"

void own_inet_addr_init(void);
int own_inet_addr_match(const char *text);
int proxy_inet_addr_match(const char *text);
const struct argv *own_inet_addr_list(void);

#endif
