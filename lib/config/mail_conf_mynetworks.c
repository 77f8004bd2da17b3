/*
 * mail_conf_mynetworks - the run-time default of mynetworks.
 *
 * mail_conf_mynetworks() lists the networks of this host's interface
 * addresses, as Postfix computes them:
 *   mynetworks_style = host    each address, /32 or /128
 *                    = subnet  each address masked with its netmask
 *                    = class   IPv4: the class A, B or C network (D and E
 *                              addresses are left out); IPv6: as subnet
 * Only addresses of the protocols in inet_protocols (all, ipv4, ipv6) and
 * of the interfaces in inet_interfaces (all, loopback-only, or a list of
 * addresses and host names) are used. IPv4 networks come first, then
 * IPv6 ones as "[addr]/len", each in interface order.
 *
 * An unknown style or protocol is fatal, with Postfix's wording. The
 * result is cached until the configuration changes.
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "config/mail_conf.h"
#include "config/mail_params.h"
#include "util/argv.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/stringops.h"
#include "util/vstring.h"

#define NET_STYLE_HOST 1
#define NET_STYLE_SUBNET 2
#define NET_STYLE_CLASS 3

#define NET_PROTO_V4 (1 << 0)
#define NET_PROTO_V6 (1 << 1)

static int
net_style(void)
{
    const char *style = mail_conf_get("mynetworks_style");

    if (strcasecmp(style, "host") == 0)
        return NET_STYLE_HOST;
    if (strcasecmp(style, "subnet") == 0)
        return NET_STYLE_SUBNET;
    if (strcasecmp(style, "class") == 0)
        return NET_STYLE_CLASS;
    msg_fatal("unknown mynetworks mask style value \"%s\" in \"%s\"", style, style);
}

static int
net_protocols(void)
{
    char *copy = mystrdup(mail_conf_get("inet_protocols"));
    char *cp = copy;
    char *word;
    int mask = 0;

    while ((word = mystrtok(&cp, CHARS_COMMA_SP)) != NULL) {
        if (strcasecmp(word, "all") == 0)
            mask |= NET_PROTO_V4 | NET_PROTO_V6;
        else if (strcasecmp(word, "ipv4") == 0)
            mask |= NET_PROTO_V4;
        else if (strcasecmp(word, "ipv6") == 0)
            mask |= NET_PROTO_V6;
        else
            msg_fatal("bad inet_protocols value: \"%s\"", mail_conf_get("inet_protocols"));
    }
    myfree(copy);
    return mask;
}

static int
net_same_addr(const struct sockaddr *a, const struct sockaddr *b)
{
    if (a->sa_family != b->sa_family)
        return 0;
    if (a->sa_family == AF_INET)
        return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
                      &((const struct sockaddr_in *)b)->sin_addr, sizeof(struct in_addr)) == 0;
    return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                  &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr)) == 0;
}

static int
net_is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
}

/* Does one inet_interfaces word (address or host name) name this address? */
static int
net_word_matches(const char *word, const struct sockaddr *sa)
{
    struct addrinfo hints;
    struct addrinfo *res;
    struct addrinfo *ai;
    char *host = mystrdup(word);
    size_t len = strlen(host);
    int found = 0;

    if (host[0] == '[' && len > 1 && host[len - 1] == ']') {
        memmove(host, host + 1, len - 2);
        host[len - 2] = 0;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = sa->sa_family;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, NULL, &hints, &res) == 0) {
        for (ai = res; ai && !found; ai = ai->ai_next)
            found = net_same_addr(ai->ai_addr, sa);
        freeaddrinfo(res);
    }
    myfree(host);
    return found;
}

static int
net_interface_wanted(struct argv *interfaces, const struct sockaddr *sa)
{
    for (size_t i = 0; i < interfaces->argc; i++) {
        if (strcasecmp(interfaces->argv[i], "all") == 0)
            return 1;
        if (strcasecmp(interfaces->argv[i], "loopback-only") == 0) {
            if (net_is_loopback(sa))
                return 1;
            continue;
        }
        if (net_word_matches(interfaces->argv[i], sa))
            return 1;
    }
    return 0;
}

static int
net_mask_len(const unsigned char *mask, size_t bytes)
{
    int len = 0;

    for (size_t i = 0; i < bytes; i++)
        for (int bit = 7; bit >= 0 && (mask[i] & (1 << bit)); bit--)
            len++;
    return len;
}

static void
net_apply_mask(unsigned char *addr, size_t bytes, int len)
{
    for (size_t i = 0; i < bytes; i++) {
        int keep = len >= 8 ? 8 : (len > 0 ? len : 0);

        addr[i] &= (unsigned char)(0xff << (8 - keep));
        len -= 8;
    }
}

static void
net_format_v4(struct vstring *out, const struct ifaddrs *ifa, int style)
{
    struct in_addr addr = ((const struct sockaddr_in *)ifa->ifa_addr)->sin_addr;
    unsigned char *bytes = (unsigned char *)&addr;
    char text[INET_ADDRSTRLEN];
    int len = 32;

    if (style == NET_STYLE_SUBNET && ifa->ifa_netmask)
        len = net_mask_len(
            (const unsigned char *)&((const struct sockaddr_in *)ifa->ifa_netmask)->sin_addr, 4);
    if (style == NET_STYLE_CLASS) {
        if (bytes[0] < 128)
            len = 8;
        else if (bytes[0] < 192)
            len = 16;
        else if (bytes[0] < 224)
            len = 24;
        else
            return;
    }
    net_apply_mask(bytes, 4, len);
    inet_ntop(AF_INET, &addr, text, sizeof(text));
    vstring_sprintf_append(out, "%s%s/%d", vstring_len(out) ? " " : "", text, len);
}

static void
net_format_v6(struct vstring *out, const struct ifaddrs *ifa, int style)
{
    struct in6_addr addr = ((const struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr;
    char text[INET6_ADDRSTRLEN];
    int len = 128;

    if (style != NET_STYLE_HOST && ifa->ifa_netmask)
        len = net_mask_len(
            (const unsigned char *)&((const struct sockaddr_in6 *)ifa->ifa_netmask)->sin6_addr, 16);
    net_apply_mask((unsigned char *)&addr, 16, len);
    inet_ntop(AF_INET6, &addr, text, sizeof(text));
    vstring_sprintf_append(out, "%s[%s]/%d", vstring_len(out) ? " " : "", text, len);
}

static char *
net_compute(void)
{
    struct vstring *out = vstring_alloc(100);
    struct argv *interfaces = argv_split(mail_conf_get("inet_interfaces"), CHARS_COMMA_SP);
    int style = net_style();
    int protocols = net_protocols();
    struct ifaddrs *list;
    const struct ifaddrs *ifa;

    if (getifaddrs(&list) != 0)
        msg_fatal("getifaddrs: %m");
    for (int pass = 0; pass < 2; pass++) {
        int family = pass == 0 ? AF_INET : AF_INET6;
        int proto = pass == 0 ? NET_PROTO_V4 : NET_PROTO_V6;

        if ((protocols & proto) == 0)
            continue;
        for (ifa = list; ifa; ifa = ifa->ifa_next) {
            if (ifa->ifa_addr == NULL || ifa->ifa_addr->sa_family != family ||
                !net_interface_wanted(interfaces, ifa->ifa_addr))
                continue;
            if (family == AF_INET)
                net_format_v4(out, ifa, style);
            else
                net_format_v6(out, ifa, style);
        }
    }
    freeifaddrs(list);
    argv_free(interfaces);
    return vstring_export(out);
}

const char *
mail_conf_mynetworks(void)
{
    static char *cached;
    static unsigned generation;

    if (cached == NULL || generation != mail_conf_generation()) {
        myfree(cached);
        cached = net_compute();
        generation = mail_conf_generation();
    }
    return cached;
}
