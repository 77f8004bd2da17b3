/*
 * master_inet - TCP listeners for inet services.
 *
 *   master_inet_init()            fixes, for the life of the master, the
 *                                 address families (inet_protocols: all,
 *                                 ipv4, ipv6; "all" means IPv6 only where
 *                                 the kernel has it) and the addresses of
 *                                 a service without a host part
 *                                 (inet_interfaces: "all" is the wildcard
 *                                 address of each family, "loopback-only"
 *                                 127.0.0.1 and ::1, else each name or
 *                                 address, "[...]" allowed, resolved).
 *                                 A name that does not resolve is fatal.
 *   master_inet_listen(serv, fatal)  one listener per address of the
 *                                 service: its host part ("127.0.0.1:25",
 *                                 "[::1]:25", "localhost:25": every
 *                                 address of that host in the enabled
 *                                 families), else inet_interfaces. The
 *                                 port is a number, a known_tcp_ports
 *                                 name, or a services(5) name. Errors
 *                                 ("bind 127.0.0.1 port 25: Address
 *                                 already in use") are fatal when fatal
 *                                 is set, else a warning and -1 with
 *                                 nothing left open.
 *
 * IPv6 listeners are IPv6-only, so the two wildcard listeners of
 * "inet_interfaces = all" do not collide.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "master.h"
#include "util/iostuff.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/stringops.h"
#include "util/vstring.h"

#define MASTER_INET_V4 (1 << 0)
#define MASTER_INET_V6 (1 << 1)

static int master_inet_protos;         /* MASTER_INET_* */
static struct argv *master_inet_addrs; /* numeric addresses for inet_interfaces */

/* Does the kernel do IPv6 at all? */
static int
master_inet_have_v6(void)
{
    int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return 0;
    close(fd);
    return 1;
}

static int
master_inet_parse_protocols(const char *value)
{
    char *list = mystrdup(value);
    char *cp = list;
    char *name;
    int protos = 0;

    while ((name = mystrtok(&cp, CHARS_COMMA_SP)) != NULL) {
        if (strcasecmp(name, "all") == 0)
            protos |= MASTER_INET_V4 | MASTER_INET_V6;
        else if (strcasecmp(name, "ipv4") == 0)
            protos |= MASTER_INET_V4;
        else if (strcasecmp(name, "ipv6") == 0)
            protos |= MASTER_INET_V6;
        else
            msg_fatal("parameter inet_protocols: unknown protocol: \"%s\"", name);
    }
    myfree(list);
    if ((protos & MASTER_INET_V6) && !master_inet_have_v6()) {
        if (msg_verbose)
            msg_info("IPv6 is not available: listening on IPv4 only");
        protos &= ~MASTER_INET_V6;
    }
    return protos;
}

static void
master_inet_add(struct argv *list, const char *addr)
{
    for (size_t i = 0; i < list->argc; i++)
        if (strcmp(list->argv[i], addr) == 0)
            return;
    argv_add(list, addr);
}

/* Every address of host in the enabled families; -1 when it does not resolve. */
static int
master_inet_resolve(struct argv *list, const char *host)
{
    struct addrinfo hints;
    struct addrinfo *res;
    char text[INET6_ADDRSTRLEN];
    const void *addr;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = master_inet_protos == MASTER_INET_V4   ? AF_INET
                      : master_inet_protos == MASTER_INET_V6 ? AF_INET6
                                                             : AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, NULL, &hints, &res) != 0)
        return -1;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET && (master_inet_protos & MASTER_INET_V4))
            addr = &((struct sockaddr_in *)ai->ai_addr)->sin_addr;
        else if (ai->ai_family == AF_INET6 && (master_inet_protos & MASTER_INET_V6))
            addr = &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
        else
            continue;
        if (inet_ntop(ai->ai_family, addr, text, sizeof(text)) != NULL)
            master_inet_add(list, text);
    }
    freeaddrinfo(res);
    return 0;
}

/* Strips "[...]" around an address. The result is a copy; caller frees. */
static char *
master_inet_unbracket(const char *host)
{
    size_t len = strlen(host);

    if (len >= 2 && host[0] == '[' && host[len - 1] == ']')
        return mystrndup(host + 1, len - 2);
    return mystrdup(host);
}

void
master_inet_init(void)
{
    char *list = mystrdup(master_params.inet_interfaces);
    char *cp = list;
    char *name;
    char *host;

    master_inet_protos = master_inet_parse_protocols(master_params.inet_protocols);
    master_inet_addrs = argv_alloc(4);
    while ((name = mystrtok(&cp, CHARS_COMMA_SP)) != NULL) {
        if (strcasecmp(name, "all") == 0 || strcasecmp(name, "loopback-only") == 0) {
            int all = strcasecmp(name, "all") == 0;

            if (master_inet_protos & MASTER_INET_V4)
                master_inet_add(master_inet_addrs, all ? "0.0.0.0" : "127.0.0.1");
            if (master_inet_protos & MASTER_INET_V6)
                master_inet_add(master_inet_addrs, all ? "::" : "::1");
            continue;
        }
        host = master_inet_unbracket(name);
        if (master_inet_resolve(master_inet_addrs, host) < 0)
            msg_fatal("parameter inet_interfaces: host not found: %s", host);
        myfree(host);
    }
    myfree(list);
}

/* The port number of a service port; 0 for an unknown name. */
static int
master_inet_port(const char *port)
{
    char *known = mystrdup(mail_conf_get("known_tcp_ports"));
    char *cp = known;
    char *item;
    char *eq;
    struct servent *sp;
    int number = 0;

    if (alldig(port)) {
        myfree(known);
        number = atoi(port);
        return number > 0 && number < 65536 ? number : 0;
    }
    while (number == 0 && (item = mystrtok(&cp, CHARS_COMMA_SP)) != NULL) {
        char *value = strrchr(item, '=');

        if (value == NULL || !alldig(value + 1))
            continue;
        for (char *name = item; name < value; name = eq + 1) {
            eq = strchr(name, '=');
            if ((size_t)(eq - name) == strlen(port) && strncmp(name, port, strlen(port)) == 0)
                number = atoi(value + 1);
        }
    }
    myfree(known);
    if (number == 0 && (sp = getservbyname(port, "tcp")) != NULL)
        number = ntohs((unsigned short)sp->s_port);
    return number;
}

/* One listening socket on addr:port; -1 with why on failure. */
static int
master_inet_socket(const char *addr, int port, int backlog, struct vstring *why)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int family = strchr(addr, ':') ? AF_INET6 : AF_INET;
    int on = 1;
    int fd;

    memset(&ss, 0, sizeof(ss));
    if (family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

        sin->sin_family = AF_INET;
        sin->sin_port = htons((unsigned short)port);
        inet_pton(AF_INET, addr, &sin->sin_addr);
        len = sizeof(*sin);
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((unsigned short)port);
        inet_pton(AF_INET6, addr, &sin6->sin6_addr);
        len = sizeof(*sin6);
    }
    if ((fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
        vstring_sprintf(why, "socket: %m");
        return -1;
    }
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
        (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0)) {
        vstring_sprintf(why, "setsockopt: %m");
    } else if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
        vstring_sprintf(why, "bind %s port %d: %m", addr, port);
    } else if (listen(fd, backlog) < 0) {
        vstring_sprintf(why, "listen %s port %d: %m", addr, port);
    } else {
        non_blocking(fd, NON_BLOCKING);
        return fd;
    }
    close(fd);
    return -1;
}

/* The addresses of serv: its host's, or inet_interfaces'. Caller frees. */
static struct argv *
master_inet_serv_addrs(const struct master_serv *serv, struct vstring *why)
{
    struct argv *addrs = argv_alloc(2);
    char *host;

    if (*serv->host == 0) {
        for (size_t i = 0; i < master_inet_addrs->argc; i++)
            argv_add(addrs, master_inet_addrs->argv[i]);
    } else {
        host = master_inet_unbracket(serv->host);
        if (master_inet_resolve(addrs, host) < 0)
            vstring_sprintf(why, "bad hostname or network address: %s", host);
        else if (addrs->argc == 0)
            vstring_sprintf(why, "no valid IP address found: %s", host);
        myfree(host);
    }
    if (addrs->argc == 0 && vstring_len(why) == 0)
        vstring_sprintf(why, "all network protocols are disabled (inet_protocols = %s)",
                        master_params.inet_protocols);
    return addrs;
}

int
master_inet_listen(struct master_serv *serv, int fatal)
{
    struct vstring *why = vstring_alloc(100);
    struct argv *addrs = master_inet_serv_addrs(serv, why);
    int backlog =
        serv->max_proc > master_params.proc_limit ? serv->max_proc : master_params.proc_limit;
    int port = master_inet_port(serv->port);
    size_t n = 0;

    if (addrs->argc > 0 && port == 0)
        vstring_sprintf(why, "unknown service: %s/tcp", serv->port);
    serv->listen_fds = mymalloc(sizeof(int) * (addrs->argc + 1));
    while (vstring_len(why) == 0 && n < addrs->argc) {
        if ((serv->listen_fds[n] = master_inet_socket(addrs->argv[n], port, backlog, why)) >= 0)
            n++;
    }
    if (vstring_len(why) > 0) {
        while (n > 0)
            close(serv->listen_fds[--n]);
        myfree(serv->listen_fds);
        serv->listen_fds = NULL;
        if (fatal)
            msg_fatal("%s", vstring_str(why));
        msg_warn("%s -- service %s (%s) not started", vstring_str(why), serv->name, serv->type);
        argv_free(addrs);
        vstring_free(why);
        return -1;
    }
    serv->listen_count = (int)n;
    argv_free(addrs);
    vstring_free(why);
    return 0;
}
