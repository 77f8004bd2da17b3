/*
 * own_inet_addr - inet_interfaces and proxy_interfaces as address lists;
 * see own_inet_addr.h.
 *
 * Both lists hold canonical numeric text (inet_ntop), without duplicates.
 * They are built once per process (own_inet_addr_init rebuilds them).
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "config/mail_conf.h"
#include "mail/own_inet_addr.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/stringops.h"

#define OWN_PROTO_V4 (1 << 0)
#define OWN_PROTO_V6 (1 << 1)

static struct argv *own_addrs;
static struct argv *proxy_addrs;

/* The address families that inet_protocols enables. */
static int
own_inet_protocols(void)
{
    char *copy = mystrdup(mail_conf_get("inet_protocols"));
    char *cp = copy;
    char *name;
    int protos = 0;

    while ((name = mystrtok(&cp, CHARS_COMMA_SP)) != NULL) {
        if (strcasecmp(name, "all") == 0)
            protos |= OWN_PROTO_V4 | OWN_PROTO_V6;
        else if (strcasecmp(name, "ipv4") == 0)
            protos |= OWN_PROTO_V4;
        else if (strcasecmp(name, "ipv6") == 0)
            protos |= OWN_PROTO_V6;
        else
            msg_fatal("parameter inet_protocols: unknown protocol: \"%s\"", name);
    }
    myfree(copy);
    return protos;
}

/* Canonical text of SA into LIST, if its family is enabled and it is new. */
static void
own_add_sockaddr(struct argv *list, const struct sockaddr *sa, int protos)
{
    char text[INET6_ADDRSTRLEN];
    const void *addr;
    size_t i;

    if (sa->sa_family == AF_INET && (protos & OWN_PROTO_V4))
        addr = &((const struct sockaddr_in *)sa)->sin_addr;
    else if (sa->sa_family == AF_INET6 && (protos & OWN_PROTO_V6))
        addr = &((const struct sockaddr_in6 *)sa)->sin6_addr;
    else
        return;
    if (inet_ntop(sa->sa_family, addr, text, sizeof(text)) == NULL)
        return;
    for (i = 0; i < list->argc; i++)
        if (strcmp(list->argv[i], text) == 0)
            return;
    argv_add(list, text);
}

/* Every address of every interface that is up. */
static void
own_add_interfaces(struct argv *list, int protos)
{
    struct ifaddrs *ifap;
    struct ifaddrs *ifa;

    if (getifaddrs(&ifap) < 0)
        msg_fatal("parameter inet_interfaces: cannot list the network interfaces: %m");
    for (ifa = ifap; ifa != NULL; ifa = ifa->ifa_next) {
        if (ifa->ifa_addr == NULL || !(ifa->ifa_flags & IFF_UP))
            continue;
        own_add_sockaddr(list, ifa->ifa_addr, protos);
    }
    freeifaddrs(ifap);
}

/* The addresses of one inet_interfaces/proxy_interfaces entry. */
static void
own_add_host(struct argv *list, const char *param, const char *name, int protos)
{
    struct addrinfo hints;
    struct addrinfo *res;
    struct addrinfo *ai;
    size_t len = strlen(name);
    char *copy = mystrdup(name);
    char *host = copy;
    int err;

    if (host[0] == '[' && len > 1 && host[len - 1] == ']') {
        host[len - 1] = 0;
        host++;
    }
    if (strncasecmp(host, "ipv6:", 5) == 0)
        host += 5;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = protos == OWN_PROTO_V4   ? AF_INET
                      : protos == OWN_PROTO_V6 ? AF_INET6
                                               : AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if ((err = getaddrinfo(host, NULL, &hints, &res)) != 0)
        msg_fatal("parameter %s: host not found: %s (%s)", param, host, gai_strerror(err));
    for (ai = res; ai != NULL; ai = ai->ai_next)
        own_add_sockaddr(list, ai->ai_addr, protos);
    freeaddrinfo(res);
    myfree(copy);
}

/* Builds the list of parameter PARAM. */
static struct argv *
own_build(const char *param, int interfaces, int protos)
{
    struct argv *list = argv_alloc(4);
    char *copy = mystrdup(mail_conf_get(param));
    char *cp = copy;
    char *name;

    while ((name = mystrtok(&cp, CHARS_COMMA_SP)) != NULL) {
        if (interfaces && strcasecmp(name, "all") == 0) {
            own_add_interfaces(list, protos);
        } else if (interfaces && strcasecmp(name, "loopback-only") == 0) {
            if (protos & OWN_PROTO_V4)
                own_add_host(list, param, "127.0.0.1", OWN_PROTO_V4);
            if (protos & OWN_PROTO_V6)
                own_add_host(list, param, "::1", OWN_PROTO_V6);
        } else
            own_add_host(list, param, name, protos);
    }
    myfree(copy);
    return list;
}

void
own_inet_addr_init(void)
{
    int protos = own_inet_protocols();

    if (own_addrs)
        argv_free(own_addrs);
    if (proxy_addrs)
        argv_free(proxy_addrs);
    own_addrs = own_build("inet_interfaces", 1, protos);
    proxy_addrs = own_build("proxy_interfaces", 0, protos);
}

/* Is TEXT, in canonical form, in LIST? */
static int
own_match(const struct argv *list, const char *text)
{
    unsigned char addr[sizeof(struct in6_addr)];
    char canon[INET6_ADDRSTRLEN];
    int family = strchr(text, ':') ? AF_INET6 : AF_INET;
    size_t i;

    if (inet_pton(family, text, addr) != 1 || inet_ntop(family, addr, canon, sizeof(canon)) == NULL)
        return 0;
    for (i = 0; i < list->argc; i++)
        if (strcmp(list->argv[i], canon) == 0)
            return 1;
    return 0;
}

int
own_inet_addr_match(const char *text)
{
    if (own_addrs == NULL)
        own_inet_addr_init();
    return own_match(own_addrs, text);
}

int
proxy_inet_addr_match(const char *text)
{
    if (proxy_addrs == NULL)
        own_inet_addr_init();
    return own_match(proxy_addrs, text);
}

const struct argv *
own_inet_addr_list(void)
{
    if (own_addrs == NULL)
        own_inet_addr_init();
    return own_addrs;
}
