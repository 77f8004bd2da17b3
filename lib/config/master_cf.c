/*
 * master_cf - master.cf as the master daemon sees it: one struct
 * master_cf_entry per service, defaults applied; see master_cf.h.
 *
 * Entry points: master_cf_read(path, why), master_cf_parse(origin, data,
 * len, why) for text in memory (a fuzz target, a reload check),
 * master_cf_free, master_cf_find, master_cf_expand_args.
 *
 * Reading goes through readlline, so comments, continuation lines and
 * over-long lines behave as in every other Tern source file (readlline
 * warns about and skips a line with nothing to continue).
 *
 * Bad input is reported, never fatal: the functions return NULL with
 * "FILE: line N: reason" in why, using the master's wording:
 *   missing "private" field            (too few columns)
 *   field "chroot" has no default value ("-" where there is none)
 *   field "private": bad value: "x"    (not y/n, not a number)
 *   bad transport type: foo
 *   inet service cannot be private
 *   missing service information in "host:"   (bad inet service name)
 *   missing '}' in "{..."              (bad brace group in an argument)
 * N is the first line of the logical line. A service given twice (same
 * type and endpoint) is a warning; the later entry replaces the earlier.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config/master_cf.h"
#include "util/extpar.h"
#include "util/iostuff.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/readlline.h"
#include "util/stringops.h"
#include "util/vstream.h"

/* Parser state for one logical line. */
struct cf_line {
    const char *path;
    int lineno;
    struct argv *fields;
    size_t next; /* next field to take */
    struct vstring *why;
};

static int __attribute__((format(printf, 2, 3))) cf_error(struct cf_line *lp, const char *fmt, ...)
{
    va_list ap;

    vstring_sprintf(lp->why, "%s: line %d: ", lp->path, lp->lineno);
    va_start(ap, fmt);
    vstring_vsprintf_append(lp->why, fmt, ap);
    va_end(ap);
    return -1;
}

/* Takes the next column; *value is NULL when it is "-" (use the default). */
static int
cf_take(struct cf_line *lp, const char *name, const char **value, int has_default)
{
    const char *field;

    if (lp->next >= lp->fields->argc)
        return cf_error(lp, "missing \"%s\" field", name);
    field = lp->fields->argv[lp->next++];
    if (strcmp(field, "-") == 0) {
        if (!has_default)
            return cf_error(lp, "field \"%s\" has no default value", name);
        *value = NULL;
    } else {
        *value = field;
    }
    return 0;
}

static int
cf_take_bool(struct cf_line *lp, const char *name, int def, int *result)
{
    const char *value;

    if (cf_take(lp, name, &value, 1) != 0)
        return -1;
    if (value == NULL)
        *result = def;
    else if (strcmp(value, "y") == 0)
        *result = 1;
    else if (strcmp(value, "n") == 0)
        *result = 0;
    else
        return cf_error(lp, "field \"%s\": bad value: \"%s\"", name, value);
    return 0;
}

/* A number of at most 9 digits, optionally followed by "?" when allowed. */
static int
cf_take_number(struct cf_line *lp, const char *name, int def, int *result, int *query)
{
    const char *value;
    size_t digits;

    if (cf_take(lp, name, &value, 1) != 0)
        return -1;
    if (value == NULL) {
        *result = def;
        return 0;
    }
    digits = strspn(value, "0123456789");
    if (digits == 0 || digits > 9 ||
        !(value[digits] == 0 || (query && value[digits] == '?' && value[digits + 1] == 0)))
        return cf_error(lp, "field \"%s\": bad value: \"%s\"", name, value);
    *result = atoi(value);
    if (query)
        *query = (value[digits] == '?');
    return 0;
}

/* A host name or a numeric address, as accepted before a ":port". */
static int
cf_valid_host(const char *host)
{
    unsigned char addr[16];
    const char *cp;
    size_t label = 0;

    if (inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1)
        return 1;
    if (*host == 0 || strlen(host) > 255)
        return 0;
    for (cp = host; *cp; cp++) {
        if (*cp == '.') {
            if (label == 0 || cp[-1] == '-')
                return 0;
            label = 0;
        } else if (isalnum((unsigned char)*cp) || *cp == '_' || (*cp == '-' && label > 0)) {
            if (++label > 63)
                return 0;
        } else {
            return 0;
        }
    }
    return label > 0 && cp[-1] != '-';
}

/* Splits an inet service name: "port", "host:port", "[addr]:port". */
static const char *
cf_host_port(char *buf, char **host, char **port)
{
    char *cp;
    int ipv6 = 0;
    unsigned char addr[16];

    if (*buf == '[') {
        cp = buf + 1;
        if (strncasecmp(cp, "ipv6:", 5) == 0) {
            ipv6 = 1;
            cp += 5;
        }
        *host = cp;
        if ((cp = split_at(cp, ']')) == NULL)
            return "missing \"]\"";
        if (*cp && *cp++ != ':')
            return "garbage after \"]\"";
        if (ipv6 && inet_pton(AF_INET6, *host, addr) != 1)
            return "malformed IPv6 address";
        *port = *cp ? cp : NULL;
    } else if ((cp = split_at_right(buf, ':')) != NULL) {
        *host = buf;
        *port = *cp ? cp : NULL;
    } else {
        *host = buf + strlen(buf);
        *port = *buf ? buf : NULL;
    }
    if (*port == NULL)
        return "missing service information";
    if (**host && !cf_valid_host(*host))
        return "valid hostname or network address required";
    if (isdigit((unsigned char)**port) && !alldig(*port))
        return "garbage after numerical service";
    return NULL;
}

/* The identity of an inet service: "[host]:port" or "port", numeric where known. */
static char *
cf_inet_endpoint(const char *host, const char *port)
{
    struct vstring *buf = vstring_alloc(60);
    unsigned char addr[16];
    char text[INET6_ADDRSTRLEN];
    struct servent *sp;
    char portnum[12];

    if (!alldig(port) && (sp = getservbyname(port, "tcp")) != NULL) {
        snprintf(portnum, sizeof(portnum), "%d", ntohs((unsigned short)sp->s_port));
        port = portnum;
    }
    if (*host == 0) {
        vstring_strcpy(buf, port);
    } else {
        if (inet_pton(AF_INET, host, addr) == 1)
            host = inet_ntop(AF_INET, addr, text, sizeof(text));
        else if (inet_pton(AF_INET6, host, addr) == 1)
            host = inet_ntop(AF_INET6, addr, text, sizeof(text));
        vstring_sprintf(buf, "[%s]:%s", host, port);
    }
    return vstring_export(buf);
}

static void
cf_entry_free(struct master_cf_entry *ep)
{
    if (ep == NULL)
        return;
    myfree(ep->name);
    myfree(ep->type);
    myfree(ep->host);
    myfree(ep->port);
    myfree(ep->endpoint);
    argv_free(ep->args);
    argv_free(ep->overrides);
    myfree(ep);
}

/* Service name, type and the endpoint that identifies the service. */
static int
cf_parse_endpoint(struct cf_line *lp, struct master_cf_entry *ep)
{
    const char *type;
    char *copy;
    char *host;
    char *port;
    const char *err;
    struct vstring *buf;

    ep->name = mystrdup(lp->fields->argv[lp->next++]);
    if (cf_take(lp, "transport type", &type, 0) != 0)
        return -1;
    ep->type = mystrdup(type);
    if ((ep->type_code = master_cf_type_code(type)) == 0)
        return cf_error(lp, "bad transport type: %s", type);
    if (cf_take_bool(lp, "private", 1, &ep->private_) != 0)
        return -1;
    if (ep->type_code == MASTER_CF_TYPE_INET) {
        if (ep->private_)
            return cf_error(lp, "inet service cannot be private");
        copy = mystrdup(ep->name);
        if ((err = cf_host_port(copy, &host, &port)) != NULL) {
            cf_error(lp, "%s in \"%s\"", err, ep->name);
            myfree(copy);
            return -1;
        }
        ep->host = mystrdup(host);
        ep->port = mystrdup(port);
        ep->endpoint = cf_inet_endpoint(host, port);
        myfree(copy);
    } else {
        buf = vstring_alloc(60);
        vstring_sprintf(buf, "%s/%s", ep->private_ ? "private" : "public", ep->name);
        ep->endpoint = vstring_export(buf);
    }
    return 0;
}

/* Daemon options that take a value: the daemon skeleton's getopt letters. */
#define CF_OPTIONS_WITH_VALUE "imnost"

/*
 * Walks the leading daemon options as getopt does ("-v", "-vo x", "-ox",
 * "-o x") and calls fn for each -o value: ap->argv[at] + offset.
 */
static void
cf_each_override(const struct argv *ap, void (*fn)(const struct argv *, size_t, size_t, void *),
                 void *context)
{
    size_t i;
    const char *arg;
    const char *cp;

    for (i = 1; i < ap->argc; i++) {
        arg = ap->argv[i];
        if (arg[0] != '-' || arg[1] == 0 || strcmp(arg, "--") == 0)
            return;
        for (cp = arg + 1; *cp; cp++) {
            if (strchr(CF_OPTIONS_WITH_VALUE, *cp) == NULL)
                continue;
            if (cp[1] != 0) {
                if (*cp == 'o')
                    fn(ap, i, (size_t)(cp + 1 - arg), context);
            } else if (i + 1 < ap->argc) {
                i += 1;
                if (*cp == 'o')
                    fn(ap, i, 0, context);
            }
            break;
        }
    }
}

/* Records one -o value as a "name=value" override when it has that form. */
static void
cf_add_override(const struct argv *ap, size_t at, size_t offset, void *context)
{
    struct master_cf_entry *ep = context;
    char *copy = mystrdup(ap->argv[at] + offset);
    char *name;
    char *value;
    struct vstring *buf;

    if (master_cf_nameval(copy, &name, &value) == NULL) {
        buf = vstring_alloc(100);
        vstring_sprintf(buf, "%s=%s", name, value);
        argv_add(ep->overrides, vstring_str(buf));
        vstring_free(buf);
    }
    myfree(copy);
}

/* Everything after the endpoint: flags, timers, the command and its arguments. */
static int
cf_parse_service(struct cf_line *lp, struct master_cf_entry *ep)
{
    const char *command;
    char *copy;
    char *cp;
    struct vstring *err;

    if (cf_take_bool(lp, "unprivileged", 1, &ep->unpriv) != 0 ||
        cf_take_bool(lp, "chroot", 0, &ep->chroot) != 0 ||
        cf_take_number(lp, "wakeup_time", 0, &ep->wakeup, &ep->wakeup_conditional) != 0 ||
        cf_take_number(lp, "max_proc", -1, &ep->maxproc, NULL) != 0 ||
        cf_take(lp, "command", &command, 0) != 0)
        return -1;
    if (ep->wakeup == 0)
        ep->wakeup_conditional = 0;
    ep->args = argv_alloc(lp->fields->argc);
    argv_add(ep->args, command);
    err = vstring_alloc(100);
    for (; lp->next < lp->fields->argc; lp->next++) {
        copy = cp = mystrdup(lp->fields->argv[lp->next]);
        if (*cp == '{' && extpar(&cp, MASTER_CF_BRACES, EXTPAR_FLAG_STRIP, err) != NULL) {
            cf_error(lp, "%s", vstring_str(err));
            myfree(copy);
            vstring_free(err);
            return -1;
        }
        argv_add(ep->args, cp);
        myfree(copy);
    }
    vstring_free(err);
    ep->overrides = argv_alloc(4);
    cf_each_override(ep->args, cf_add_override, ep);
    return 0;
}

static struct master_cf_entry *
cf_parse_line(const char *path, int lineno, const char *line, struct vstring *why)
{
    struct cf_line state = {path, lineno, master_cf_split(line), 0, why};
    struct master_cf_entry *ep = mycalloc(1, sizeof(*ep));

    ep->lineno = lineno;
    if (cf_parse_endpoint(&state, ep) != 0 || cf_parse_service(&state, ep) != 0) {
        cf_entry_free(ep);
        ep = NULL;
    }
    argv_free(state.fields);
    return ep;
}

/* Adds an entry; a service defined before is replaced, with a warning. */
static void
cf_table_add(struct master_cf *table, struct master_cf_entry *ep)
{
    size_t i;
    struct master_cf_entry *old;

    for (i = 0; i < table->count; i++) {
        old = table->entries[i];
        if (old->type_code == ep->type_code && strcmp(old->endpoint, ep->endpoint) == 0) {
            msg_warn("%s: line %d: duplicate master.cf entry for service \"%s\" (%s)"
                     " -- using the last entry",
                     table->path, ep->lineno, ep->name, ep->endpoint);
            cf_entry_free(old);
            memmove(table->entries + i, table->entries + i + 1,
                    (table->count - i - 1) * sizeof(table->entries[0]));
            table->count--;
            break;
        }
    }
    table->entries = myrealloc(table->entries, (table->count + 1) * sizeof(table->entries[0]));
    table->entries[table->count++] = ep;
}

static struct master_cf *
cf_read_stream(struct vstream *fp, const char *path, struct vstring *why)
{
    struct master_cf *table = mycalloc(1, sizeof(*table));
    struct vstring *buf = vstring_alloc(200);
    struct master_cf_entry *ep;
    int lineno = 0;
    int first = 0;

    table->path = mystrdup(path);
    while (readlline(buf, fp, &lineno, &first) != NULL) {
        if (vstring_str(buf)[strspn(vstring_str(buf), MASTER_CF_BLANKS)] == 0)
            continue; /* nothing before a NUL byte, as Postfix's master skips it */
        if ((ep = cf_parse_line(path, first, vstring_str(buf), why)) == NULL) {
            master_cf_free(table);
            table = NULL;
            break;
        }
        cf_table_add(table, ep);
    }
    if (table && vstream_error(fp)) {
        vstring_sprintf(why, "read %s: %m", path);
        master_cf_free(table);
        table = NULL;
    }
    vstring_free(buf);
    return table;
}

struct master_cf *
master_cf_read(const char *path, struct vstring *why)
{
    struct vstream *fp;
    struct master_cf *table;

    if ((fp = vstream_fopen(path, O_RDONLY, 0)) == NULL) {
        vstring_sprintf(why, "open %s: %m", path);
        return NULL;
    }
    table = cf_read_stream(fp, path, why);
    vstream_close(fp);
    return table;
}

struct master_cf *
master_cf_parse(const char *origin, const char *data, size_t len, struct vstring *why)
{
    int fd;
    struct vstream *fp;
    struct master_cf *table;

    if ((fd = memfd_create("master.cf", MFD_CLOEXEC)) < 0) {
        vstring_sprintf(why, "%s: create memory file: %m", origin);
        return NULL;
    }
    if (write_all(fd, data, len, -1) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
        vstring_sprintf(why, "%s: write memory file: %m", origin);
        close(fd);
        return NULL;
    }
    fp = vstream_fdopen(fd, origin);
    table = cf_read_stream(fp, origin, why);
    vstream_close(fp);
    return table;
}

void
master_cf_free(struct master_cf *table)
{
    size_t i;

    if (table == NULL)
        return;
    for (i = 0; i < table->count; i++)
        cf_entry_free(table->entries[i]);
    myfree(table->entries);
    myfree(table->path);
    myfree(table);
}

const struct master_cf_entry *
master_cf_find(const struct master_cf *table, const char *name, const char *type)
{
    size_t i;

    for (i = 0; i < table->count; i++)
        if (strcmp(table->entries[i]->name, name) == 0 &&
            strcmp(table->entries[i]->type, type) == 0)
            return table->entries[i];
    return NULL;
}

struct expand_state {
    struct argv *result;
    char *(*expand)(const char *text, void *context);
    void *context;
};

/* Replaces the value part of one "-o name=value" in the result vector. */
static void
cf_expand_override(const struct argv *ap, size_t at, size_t offset, void *context)
{
    struct expand_state *state = context;
    const char *arg = ap->argv[at];
    const char *eq = strchr(arg + offset, '=');
    struct vstring *buf;
    char *value;

    if (eq == NULL)
        return;
    value = state->expand(eq + 1, state->context);
    buf = vstring_alloc(100);
    vstring_strncpy(buf, arg, (size_t)(eq - arg) + 1);
    vstring_strcat(buf, value);
    myfree(value);
    myfree(state->result->argv[at]);
    state->result->argv[at] = vstring_export(buf);
}

/*
 * Expands $name in the value of each -o override. The other arguments are
 * passed on untouched: pipe(8) and spawn(8) arguments such as ${recipient}
 * belong to the daemon, not to main.cf. expand returns an allocated string
 * (freed here with myfree). The caller owns the result (argv_free).
 */
struct argv *
master_cf_expand_args(const struct master_cf_entry *entry,
                      char *(*expand)(const char *text, void *context), void *context)
{
    struct expand_state state;
    size_t i;

    state.result = argv_alloc(entry->args->argc);
    state.expand = expand;
    state.context = context;
    for (i = 0; i < entry->args->argc; i++)
        argv_add(state.result, entry->args->argv[i]);
    cf_each_override(entry->args, cf_expand_override, &state);
    return state.result;
}
