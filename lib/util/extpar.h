/*
 * extpar - brace-grouped parameters such as "{ value with spaces }", as
 * used by inline:{...} and static:{...} tables and by configuration values.
 *
 *   balpar(str, parens)
 *       str starts with parens[0]; returns the length of the balanced group
 *       (through its matching parens[1]), or 0 when it is not closed.
 *   extpar(&cp, parens, flags, why)
 *       *cp starts with parens[0]; removes the outer pair in place and, with
 *       EXTPAR_FLAG_STRIP, the white space inside it; *cp then points at
 *       the contents. Returns NULL, or an error text held in why:
 *       "missing '}' in \"{...\"" or "syntax error after '}' in \"{...}x\"".
 *   mystrtokq(&cp, sep, parens)
 *       like mystrtok, but a separator inside a parens group does not end
 *       the token; returns the next token (NUL-terminated in place) or NULL.
 *
 * All work in place on the caller's writable string; nothing is allocated
 * except the error text in why.
 */
#ifndef TERN_EXTPAR_H
#define TERN_EXTPAR_H

#include <stddef.h>

#include "util/vstring.h"

#define EXTPAR_FLAG_NONE 0
#define EXTPAR_FLAG_STRIP (1 << 0)

size_t balpar(const char *str, const char *parens);
const char *extpar(char **cpp, const char *parens, int flags, struct vstring *why);
char *mystrtokq(char **cpp, const char *sep, const char *parens);

#endif
