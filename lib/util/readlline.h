/*
 * readlline - read one logical line of a configuration or table source.
 *
 * The syntax shared by main.cf, master.cf and every table source file:
 *   - empty lines, white-space-only lines and lines whose first
 *     non-white-space character is '#' are skipped, also in the middle of
 *     a multi-line value: they do not end it;
 *   - a line that starts with white space continues the logical line
 *     before it; the newline is dropped and the leading white space kept;
 *   - trailing white space of the logical line is removed.
 * A logical line that itself starts with white space (nothing before it
 * to continue) is reported as Postfix does ("FILE: logical line must not
 * start with whitespace: "TEXT"", TEXT cut at 30 bytes with "..." added)
 * and skipped. A logical line longer than
 * READLLINE_LIMIT is reported and skipped; reading goes on with the next
 * line. Bytes are kept as read, NUL included: a line that starts with a
 * NUL byte is not noise, and C-string callers see it as empty.
 *
 * *lineno is the number of the last physical line read; *first_lineno
 * (may be NULL) receives the number of the logical line's first line.
 * Returns buf, or NULL at end of file.
 */
#ifndef TERN_READLLINE_H
#define TERN_READLLINE_H

#include "util/vstream.h"
#include "util/vstring.h"

#define READLLINE_LIMIT (256 * 1024)

struct vstring *readlline(struct vstring *buf, struct vstream *fp, int *lineno,
                          int *first_lineno);

#endif
