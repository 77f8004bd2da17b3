/*
 * fuzz_smtp_path - libFuzzer target for the SMTP path parser
 * (addr_parse_smtp_path, addr_smtp_keyword, addr_path_param) and the
 * address parts split (addr_parts_split).
 *
 * Input: one control byte, then the text of a MAIL FROM / RCPT TO command
 * after the verb (it ends at its first NUL). Control bits 0-1 are the
 * options (ADDR_PATH_ALLOW_EMPTY, ADDR_PATH_STRICT); bit 2 says whether
 * the text starts with "FROM:" (checked with addr_smtp_keyword) or is the
 * path itself.
 *
 * Checks (abort on failure): a result is one of the three documented
 * values, with a reason unless OK; an accepted address whose domain is
 * plain (labels of atom bytes, dots and [literals]) is accepted again,
 * unchanged, when sent back as "<" quote_821_local(address) ">"; the
 * parts of an address put back together give the address.
 * Must not crash, leak or hang on any input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/addr_parse.h"
#include "mail/quote_addr.h"
#include "util/mymalloc.h"
#include "util/vstring.h"

#define FUZZ_INPUT_MAX 8192

/* Can this domain be sent bare in SMTP and read back the same? */
static int
fuzz_plain_domain(const char *addr)
{
    const char *at = strrchr(addr, '@');
    const unsigned char *cp;

    if (at == NULL)
        return 1;
    for (cp = (const unsigned char *)at + 1; *cp != 0; cp++)
        if (*cp <= 32 || *cp == 127 || strchr("()<>@,;:\\\"", *cp) != NULL)
            return 0;
    return strchr(at, '[') == NULL && strchr(at, ']') == NULL;
}

/* The address sent back in SMTP form is accepted again, unchanged. */
static void
fuzz_round_trip(const struct addr_path *path, int options)
{
    struct vstring *quoted = vstring_alloc(64);
    struct vstring *text = vstring_alloc(64);
    struct addr_path *again = addr_path_alloc();

    quote_821_local(quoted, vstring_str(path->address), 0);
    vstring_sprintf(text, "<%s> SIZE=1", vstring_str(quoted));
    if (addr_parse_smtp_path(again, vstring_str(text), options) != ADDR_PATH_OK)
        abort();
    if (strcmp(vstring_str(again->address), vstring_str(path->address)) != 0)
        abort();
    if (addr_path_param(again, "size") == NULL)
        abort();
    addr_path_free(again);
    vstring_free(text);
    vstring_free(quoted);
}

/* The parts of ADDR put together again give ADDR. */
static void
fuzz_parts(const char *addr)
{
    static const struct addr_ext_opts opts = {"+-", 1, NULL};
    struct addr_parts *parts = addr_parts_alloc();
    struct vstring *joined = vstring_alloc(64);

    addr_parts_split(parts, addr, &opts);
    vstring_strcpy(joined, vstring_str(parts->local));
    if (parts->delimiter) {
        vstring_addch(joined, parts->delimiter);
        vstring_strcat(joined, vstring_str(parts->extension));
    }
    if (parts->has_domain) {
        vstring_addch(joined, '@');
        vstring_strcat(joined, vstring_str(parts->domain));
    }
    if (strcmp(vstring_str(joined), addr) != 0)
        abort();
    vstring_free(joined);
    addr_parts_free(parts);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct addr_path *path;
    const char *args;
    char *text;
    int options;
    int status;

    if (size < 1 || size > FUZZ_INPUT_MAX)
        return 0;
    options = data[0] & (ADDR_PATH_ALLOW_EMPTY | ADDR_PATH_STRICT);
    text = mystrndup((const char *)data + 1, size - 1);
    args = (data[0] & 4) ? addr_smtp_keyword(text, "FROM") : text;
    if (args != NULL) {
        path = addr_path_alloc();
        status = addr_parse_smtp_path(path, args, options);
        if (status != ADDR_PATH_OK && status != ADDR_PATH_MISSING && status != ADDR_PATH_BAD)
            abort();
        if ((status == ADDR_PATH_OK) != (path->reason == NULL))
            abort();
        (void)addr_path_param(path, "SIZE");
        if (status == ADDR_PATH_OK && fuzz_plain_domain(vstring_str(path->address)))
            fuzz_round_trip(path, options);
        fuzz_parts(vstring_str(path->address));
        addr_path_free(path);
    }
    myfree(text);
    return 0;
}
