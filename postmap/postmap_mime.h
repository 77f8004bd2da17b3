/*
 * postmap_mime - turn an RFC 5322 message into header_checks/body_checks
 * style lookup keys, for "postmap -h/-b [-m] -q -".
 *
 *   struct postmap_mime *mp = postmap_mime_create(flags, limits, key_fn, ctx);
 *   while (... read one line without its newline ...)
 *       if (postmap_mime_update(mp, line, len)) break;   (1: no more keys)
 *   postmap_mime_end(mp);
 *   postmap_mime_free(mp);
 *
 * Flags: POSTMAP_MIME_HEADER gives each logical header line as one key (a
 * multi-line header keeps its newlines); POSTMAP_MIME_BODY gives each body
 * line as one key; POSTMAP_MIME_PARSE follows the MIME structure, so the
 * headers of attachments and of attached messages are header keys, not
 * body keys. Without POSTMAP_MIME_BODY and POSTMAP_MIME_PARSE the keys end
 * with the primary message header and postmap_mime_update returns 1 once
 * it has seen that header's end.
 *
 * The parse follows the rules of Postfix's header/body checks: a header
 * line is "name:" (printable ASCII name, optional blanks before the colon,
 * which are removed), lines that start with a blank continue it, the
 * line that ends a header block is given as a body line (an empty line is
 * added when a primary header ends with a non-header line), multipart
 * boundaries (any level of the boundary stack, prefix match) are body
 * lines that start a new part header, message/rfc822 parts start a nested
 * header. Limits: a header keeps at most header_limit bytes, a boundary
 * at most boundary_limit bytes, and boundaries nest at most nesting_limit
 * deep (deeper ones are not followed). Never fails on bad input.
 */
#ifndef TERN_POSTMAP_MIME_H
#define TERN_POSTMAP_MIME_H

#include <stddef.h>

#define POSTMAP_MIME_HEADER (1 << 0)
#define POSTMAP_MIME_BODY (1 << 1)
#define POSTMAP_MIME_PARSE (1 << 2)

struct postmap_mime_limits {
    size_t header_limit;   /* header_size_limit */
    size_t boundary_limit; /* mime_boundary_length_limit */
    int nesting_limit;     /* mime_nesting_limit */
};

typedef void (*postmap_mime_key_fn)(void *context, const char *key);

struct postmap_mime;

struct postmap_mime *postmap_mime_create(int flags, const struct postmap_mime_limits *limits,
                                         postmap_mime_key_fn key_fn, void *context);
int postmap_mime_update(struct postmap_mime *mp, const char *line, size_t len);
void postmap_mime_end(struct postmap_mime *mp);
void postmap_mime_free(struct postmap_mime *mp);

#endif
