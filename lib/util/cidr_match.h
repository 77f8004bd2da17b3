/*
 * cidr_match - IPv4 and IPv6 network patterns: parse "address" or
 * "address/prefix" text, and test addresses against it.
 *
 *   struct cidr_match net;
 *   struct cidr_addr addr;
 *   if (cidr_match_parse(&net, "[2001:db8::]/32", why) < 0) ... vstring_str(why) ...
 *   if (cidr_addr_parse(&addr, "2001:db8::1") && cidr_match_test(&net, &addr)) ...
 *
 * Accepted pattern forms: ADDR, ADDR/LEN, [ADDR], [ADDR]/LEN and
 * [ADDR/LEN]. The family is IPv6 when the address holds a ':', else IPv4;
 * addresses are converted with inet_pton(3), so an IPv4 octet with a
 * leading zero is refused and IPv6 hex digits may be of either case. LEN is
 * decimal digits only, at most 32 (IPv4) or 128 (IPv6). A network whose
 * host bits (those beyond LEN) are not zero is refused, and the message
 * names the network that was probably meant. A bare address means the full
 * length.
 *
 * Invariants: a parsed pattern's net bytes have no bits set beyond
 * prefix_len. Addresses of one family never match patterns of the other
 * (no IPv4-mapped IPv6 conversion is done).
 *
 * Bad input: cidr_match_parse returns -1 and puts a one-line reason in why
 * (e.g. `bad mask length in "10.0.0.0/33"`); it never logs, crashes or
 * keeps a pointer to its argument. cidr_addr_parse returns 0 for anything
 * that is not a plain address (brackets included).
 */
#ifndef TERN_CIDR_MATCH_H
#define TERN_CIDR_MATCH_H

#include "util/vstring.h"

#define CIDR_MATCH_ADDR_BYTES 16 /* room for an IPv6 address */

struct cidr_addr {
    int family; /* AF_INET or AF_INET6 */
    unsigned char bytes[CIDR_MATCH_ADDR_BYTES];
};

struct cidr_match {
    int family;     /* AF_INET or AF_INET6 */
    int prefix_len; /* number of leading bits that must be equal */
    unsigned char net[CIDR_MATCH_ADDR_BYTES];
    unsigned char mask[CIDR_MATCH_ADDR_BYTES];
};

int cidr_match_parse(struct cidr_match *cm, const char *pattern, struct vstring *why);
int cidr_addr_parse(struct cidr_addr *addr, const char *text);
int cidr_match_test(const struct cidr_match *cm, const struct cidr_addr *addr);

#endif
