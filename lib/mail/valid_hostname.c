/*
 * valid_hostname - host name and address literal syntax; see
 * valid_hostname.h for the rules.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "mail/valid_hostname.h"
#include "util/valid_utf8.h"

/* The state of one label while scanning a name. */
struct label_scan {
    size_t len;      /* bytes in the current label */
    int last;        /* last byte of the current label */
    int non_numeric; /* a byte other than a digit or '.' was seen */
};

/* Ends the current label at a dot or at the end; 0 when it is bad. */
static int
label_end(struct label_scan *scan)
{
    if (scan->len == 0 || scan->len > VALID_LABEL_LEN || scan->last == '-')
        return 0;
    scan->len = 0;
    return 1;
}

int
valid_hostname(const char *name, int utf8)
{
    struct label_scan scan = {0, 0, 0};
    size_t total = strlen(name);
    const unsigned char *cp;
    int ch;

    if (total == 0 || total > VALID_HOSTNAME_LEN)
        return 0;
    if (!allascii(name) && (!utf8 || !valid_utf8_string(name, total)))
        return 0;
    for (cp = (const unsigned char *)name; (ch = *cp) != 0; cp++) {
        if (ch == '.') {
            if (!label_end(&scan))
                return 0;
            continue;
        }
        if (ch == '-') {
            if (scan.len == 0)
                return 0;
        } else if (!isalnum(ch) && ch != '_' && ch < 128) {
            return 0;
        }
        if (!isdigit(ch))
            scan.non_numeric = 1;
        scan.len++;
        scan.last = ch;
    }
    return label_end(&scan) && scan.non_numeric;
}

int
valid_hostaddr(const char *text)
{
    unsigned char addr[16];

    if (strchr(text, ':') != NULL)
        return inet_pton(AF_INET6, text, addr) == 1;
    return inet_pton(AF_INET, text, addr) == 1;
}

const char *
mailhost_literal_addr(const char *text, size_t *len)
{
    size_t n = strlen(text);
    const char *start = text + 1;
    char buf[64];
    size_t inner;
    int ipv6 = 0;

    if (n < 3 || text[0] != '[' || text[n - 1] != ']')
        return NULL;
    if (strncasecmp(start, "IPv6:", 5) == 0) {
        start += 5;
        ipv6 = 1;
    }
    inner = (size_t)(text + n - 1 - start);
    if (inner == 0 || inner >= sizeof(buf))
        return NULL;
    memcpy(buf, start, inner);
    buf[inner] = 0;
    if (ipv6 != (strchr(buf, ':') != NULL) || !valid_hostaddr(buf))
        return NULL;
    *len = inner;
    return start;
}

int
valid_mailhost_literal(const char *text)
{
    size_t len;

    return mailhost_literal_addr(text, &len) != NULL;
}
