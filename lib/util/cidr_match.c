/*
 * cidr_match - IPv4/IPv6 network pattern parsing and matching; see
 * cidr_match.h for the accepted forms and the error texts.
 *
 * The pattern is copied before it is cut into address and prefix parts,
 * so callers keep their text. Prefix lengths are read with saturation, so
 * a huge number is "too long", never an overflow.
 */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "util/cidr_match.h"
#include "util/mymalloc.h"
#include "util/stringops.h"

#define CIDR_PREFIX_CAP 1000 /* any length above this is simply "too long" */

/* Address family of a pattern or key: IPv6 exactly when it holds a ':'. */
static int
cidr_family(const char *text, int *bit_count)
{
    if (strchr(text, ':') != NULL) {
        *bit_count = 128;
        return AF_INET6;
    }
    *bit_count = 32;
    return AF_INET;
}

/* Decimal digits to int, saturating at CIDR_PREFIX_CAP. */
static int
cidr_prefix_value(const char *digits)
{
    int value = 0;

    for (; *digits; digits++) {
        value = value * 10 + (*digits - '0');
        if (value > CIDR_PREFIX_CAP)
            return CIDR_PREFIX_CAP + 1;
    }
    return value;
}

/* Sets the mask bytes of cm for its prefix length. */
static void
cidr_make_mask(struct cidr_match *cm)
{
    int bits = cm->prefix_len;

    memset(cm->mask, 0, sizeof(cm->mask));
    for (int i = 0; i < CIDR_MATCH_ADDR_BYTES && bits > 0; i++, bits -= 8)
        cm->mask[i] = bits >= 8 ? 0xff : (unsigned char)(0xff << (8 - bits));
}

/*
 * Splits "[addr]", "[addr]/len", "[addr/len]" or "addr[/len]" in place:
 * *addr gets the address, *mask the length text or NULL. Returns 0, or -1
 * with a reason in why.
 */
static int
cidr_split(char *text, char **addr, char **mask, struct vstring *why)
{
    char *mask_from = text;
    char *end;

    *addr = text;
    if (*text == '[') {
        *addr = ++text;
        if ((end = strchr(text, ']')) == NULL) {
            vstring_sprintf(why, "missing ']' character after \"[%s\"", text);
            return -1;
        }
        *end++ = 0;
        if (*end == '/') {
            mask_from = end;
        } else if (*end != 0) {
            vstring_sprintf(why, "garbage after \"[%s]\"", text);
            return -1;
        }
    }
    *mask = split_at(mask_from, '/');
    return 0;
}

/* The network/prefix part of cidr_match_parse: mask is the length text. */
static int
cidr_parse_network(struct cidr_match *cm, const char *addr, const char *mask, struct vstring *why)
{
    unsigned char masked[CIDR_MATCH_ADDR_BYTES];
    char suggestion[INET6_ADDRSTRLEN];
    int bit_count;

    if (!alldig(mask)) {
        vstring_sprintf(why, "bad mask value in \"%s/%s\"", addr, mask);
        return -1;
    }
    cm->family = cidr_family(addr, &bit_count);
    if ((cm->prefix_len = cidr_prefix_value(mask)) > bit_count) {
        vstring_sprintf(why, "bad mask length in \"%s/%s\"", addr, mask);
        return -1;
    }
    if (inet_pton(cm->family, addr, cm->net) != 1) {
        vstring_sprintf(why, "bad network value in \"%s/%s\"", addr, mask);
        return -1;
    }
    cidr_make_mask(cm);
    for (int i = 0; i < CIDR_MATCH_ADDR_BYTES; i++)
        masked[i] = cm->net[i] & cm->mask[i];
    if (memcmp(masked, cm->net, sizeof(masked)) != 0) {
        if (inet_ntop(cm->family, masked, suggestion, sizeof(suggestion)) == NULL)
            suggestion[0] = 0;
        vstring_sprintf(why,
                        "non-null host address bits in \"%s/%s\", perhaps you should use "
                        "\"%s/%d\" instead",
                        addr, mask, suggestion, cm->prefix_len);
        return -1;
    }
    return 0;
}

/*
 * cidr_match_parse - convert pattern text to a network. Returns 0, or -1
 * with a reason in why (cm is then undefined).
 */
int
cidr_match_parse(struct cidr_match *cm, const char *pattern, struct vstring *why)
{
    char *copy = mystrdup(pattern);
    char *addr;
    char *mask;
    int bit_count;
    int status = -1;

    memset(cm, 0, sizeof(*cm));
    if (cidr_split(copy, &addr, &mask, why) < 0) {
        /* reason already set */
    } else if (mask != NULL) {
        status = cidr_parse_network(cm, addr, mask, why);
    } else {
        cm->family = cidr_family(addr, &bit_count);
        if (inet_pton(cm->family, addr, cm->net) != 1) {
            vstring_sprintf(why, "bad address pattern: \"%s\"", addr);
        } else {
            cm->prefix_len = bit_count;
            cidr_make_mask(cm);
            status = 0;
        }
    }
    myfree(copy);
    return status;
}

/* cidr_addr_parse - convert a plain address to binary: 1, or 0 if invalid. */
int
cidr_addr_parse(struct cidr_addr *addr, const char *text)
{
    int bit_count;

    memset(addr, 0, sizeof(*addr));
    addr->family = cidr_family(text, &bit_count);
    return inet_pton(addr->family, text, addr->bytes) == 1;
}

/* cidr_match_test - is addr inside the network? Never across families. */
int
cidr_match_test(const struct cidr_match *cm, const struct cidr_addr *addr)
{
    if (cm->family != addr->family)
        return 0;
    for (int i = 0; i < CIDR_MATCH_ADDR_BYTES; i++)
        if ((addr->bytes[i] & cm->mask[i]) != cm->net[i])
            return 0;
    return 1;
}
