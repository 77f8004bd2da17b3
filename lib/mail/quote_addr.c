/*
 * quote_addr - internal <-> external address forms; see quote_addr.h for
 * the rules.
 *
 * Each quoting function finds the local part [start, end), asks
 * quote_local_is_dot_string whether it may go out bare, and otherwise
 * writes it as a quoted string; the text around the local part is copied
 * as it is.
 */
#include <string.h>

#include "mail/quote_addr.h"

/* The specials that may not appear in an atom of a dot-string. */
#define QUOTE_SPECIALS "()<>@,;:\\\"[]"

/* Is this byte allowed in an atom of a local part? */
static int
quote_is_atom_char(int ch, int flags)
{
    if (ch == ' ' || ch < 32 || ch == 127)
        return 0;
    if (ch > 127)
        return (flags & QUOTE_FLAG_8BITCLEAN) != 0;
    if (ch == '@')
        return (flags & QUOTE_FLAG_EXPOSE_AT) != 0;
    return strchr(QUOTE_SPECIALS, ch) == NULL;
}

int
quote_local_is_dot_string(const char *start, const char *end, int flags)
{
    const unsigned char *cp;

    if (start >= end || *start == '.' || end[-1] == '.')
        return 0;
    for (cp = (const unsigned char *)start; cp < (const unsigned char *)end; cp++) {
        if (*cp == '.') {
            if (cp + 1 < (const unsigned char *)end && cp[1] == '.')
                return 0;
        } else if (!quote_is_atom_char(*cp, flags)) {
            return 0;
        }
    }
    return 1;
}

/* Appends [start, end) as a quoted string; ESCAPE_8BIT adds '\' before 8-bit bytes. */
static void
quote_make_quoted(struct vstring *dst, const char *start, const char *end, int escape_8bit)
{
    const unsigned char *cp;

    vstring_reserve(dst, (size_t)(end - start) + 2);
    vstring_addch(dst, '"');
    for (cp = (const unsigned char *)start; cp < (const unsigned char *)end; cp++) {
        if (*cp == '"' || *cp == '\\' || *cp == '\r' || *cp == '\n' || (escape_8bit && *cp > 127))
            vstring_addch(dst, '\\');
        vstring_addch(dst, *cp);
    }
    vstring_addch(dst, '"');
}

/* The local part of ADDR after START: [start, *end). */
static const char *
quote_local_end(const char *start, int flags)
{
    const char *at;

    if ((flags & QUOTE_FLAG_BARE_LOCALPART) != 0 || (at = strrchr(start, '@')) == NULL)
        return start + strlen(start);
    return at;
}

struct vstring *
quote_822_local_part(struct vstring *dst, const char *start, size_t len, int flags)
{
    if ((flags & QUOTE_FLAG_APPEND) == 0)
        vstring_reset(dst);
    if (quote_local_is_dot_string(start, start + len, flags))
        return vstring_memcat(dst, start, len);
    quote_make_quoted(dst, start, start + len, (flags & QUOTE_FLAG_8BITCLEAN) == 0);
    return dst;
}

struct vstring *
quote_822_local(struct vstring *dst, const char *addr, int flags)
{
    const char *start = addr;
    const char *colon;
    const char *end;

    if (addr[0] == '@' && (colon = strchr(addr, ':')) != NULL)
        start = colon + 1;
    end = quote_local_end(start, flags);
    if ((flags & QUOTE_FLAG_APPEND) == 0)
        vstring_reset(dst);
    vstring_memcat(dst, addr, (size_t)(start - addr));
    quote_822_local_part(dst, start, (size_t)(end - start), flags | QUOTE_FLAG_APPEND);
    return vstring_strcat(dst, end);
}

struct vstring *
quote_821_local(struct vstring *dst, const char *addr, int flags)
{
    const char *end = quote_local_end(addr, flags);

    if ((flags & QUOTE_FLAG_APPEND) == 0)
        vstring_reset(dst);
    if (*addr == 0 || quote_local_is_dot_string(addr, end, flags))
        return vstring_strcat(dst, addr);
    quote_make_quoted(dst, addr, end, 0);
    return vstring_strcat(dst, end);
}

struct vstring *
unquote_822_local(struct vstring *dst, const char *addr)
{
    const char *start = addr;
    const char *colon;
    const char *cp;
    const char *bare_at = NULL;
    size_t bare_at_len = 0;
    int in_quote = 0;

    vstring_reset(dst);
    if (addr[0] == '@' && (colon = strchr(addr, ':')) != NULL) {
        start = colon + 1;
        vstring_memcat(dst, addr, (size_t)(start - addr));
    }
    for (cp = start; *cp != 0; cp++) {
        if (*cp == '"') {
            in_quote = !in_quote;
            continue;
        }
        if (*cp == '@' && !in_quote) {
            bare_at = cp;
            bare_at_len = vstring_len(dst);
        } else if (*cp == '\\') {
            if (cp[1] == 0)
                continue;
            cp++;
        }
        vstring_addch(dst, *cp);
    }
    if (bare_at != NULL) {
        vstring_truncate(dst, bare_at_len);
        vstring_strcat(dst, bare_at);
    }
    return dst;
}
