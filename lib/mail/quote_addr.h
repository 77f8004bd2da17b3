/*
 * quote_addr - convert an address between its internal (unquoted) form and
 * its external (quoted) form, for message headers (RFC 5322) and for SMTP
 * commands (RFC 5321).
 *
 * Inside Tern an address is kept in internal form: the local part with no
 * quotes or backslashes, e.g. `a b@example.com`. On the wire and in headers
 * it is written in external form: `"a b"@example.com`. The domain part (the
 * text after the last '@') is copied unchanged in both directions.
 *
 *   quote_822_local(dst, addr, flags)   external form for message headers
 *   quote_821_local(dst, addr, flags)   external form for SMTP MAIL/RCPT
 *   unquote_822_local(dst, addr)        back to internal form
 *   quote_822_local_part(dst, start, len, flags)
 *                                       just a local part, bare or quoted
 *                                       (no source route, no domain)
 *   quote_local_is_dot_string(start, end, flags)
 *                                       does this local part need no quotes?
 *
 * The local part is everything before the last '@' (or the whole string
 * when there is none, or with QUOTE_FLAG_BARE_LOCALPART). It is written as
 * is when it is a dot-string: one or more atoms joined by single dots; an
 * atom being bytes other than space, control characters and the specials
 * ( ) < > @ , ; : \ " [ ]. Otherwise (empty, leading or trailing dot, two
 * dots in a row, a special, a space, a control character, an 8-bit byte
 * without QUOTE_FLAG_8BITCLEAN) it is written as a quoted string, with a
 * backslash before '"', '\', CR and LF (and before 8-bit bytes when
 * QUOTE_FLAG_8BITCLEAN is not given, in the 822 form only).
 *
 * quote_822_local leaves an RFC 822 source route prefix (`@a,@b:`) alone
 * and quotes the local part after it. quote_821_local quotes the whole
 * text before the last '@'; its one special case is the empty address,
 * which stays empty (the null sender `<>`), where the 822 form gives `""`.
 *
 * unquote_822_local removes the quotes and backslashes of the local part
 * (outside of a leading source route); a trailing lone backslash is
 * dropped. The text after the last '@' that is not inside quotes is copied
 * unchanged.
 *
 * Flags: QUOTE_FLAG_8BITCLEAN (treat 8-bit bytes as ordinary text),
 * QUOTE_FLAG_EXPOSE_AT (treat '@' in the local part as ordinary),
 * QUOTE_FLAG_APPEND (append to dst instead of replacing it),
 * QUOTE_FLAG_BARE_LOCALPART (the input is a local part with no domain).
 * QUOTE_FLAG_DEFAULT (8-bit clean) is what Postfix uses for headers and
 * for SMTP commands alike.
 *
 * Every function accepts any NUL-terminated input and never fails; the
 * output is at most twice the input length plus two quotes. The result is
 * dst, always NUL-terminated.
 */
#ifndef TERN_QUOTE_ADDR_H
#define TERN_QUOTE_ADDR_H

#include "util/vstring.h"

#define QUOTE_FLAG_8BITCLEAN (1 << 0)
#define QUOTE_FLAG_EXPOSE_AT (1 << 1)
#define QUOTE_FLAG_APPEND (1 << 2)
#define QUOTE_FLAG_BARE_LOCALPART (1 << 3)
#define QUOTE_FLAG_DEFAULT QUOTE_FLAG_8BITCLEAN

struct vstring *quote_822_local(struct vstring *dst, const char *addr, int flags);
struct vstring *quote_821_local(struct vstring *dst, const char *addr, int flags);
struct vstring *quote_822_local_part(struct vstring *dst, const char *start, size_t len, int flags);
struct vstring *unquote_822_local(struct vstring *dst, const char *addr);
int quote_local_is_dot_string(const char *start, const char *end, int flags);

#endif
