/*
 * dict_source - read a lookup table SOURCE file, one (key, value) at a time.
 *
 * The one reader of table sources: postmap builds hash/btree tables with
 * it, texthash loads its file with it, postalias reads aliases(5) files
 * with it, so every program splits lines the same way.
 *
 *   dict_source_read(fp, flags, action, context)
 *
 * reads logical lines with readlline() (comments, empty lines, continuation
 * lines that start with white space) and calls
 *
 *   action(context, key, value, lineno)
 *
 * for each entry; lineno is the number of the entry's first line. The
 * action returns 0 to go on, or a positive number to stop reading (that
 * number is then returned). key and value are valid during the call only.
 *
 * Table syntax (the default): the first white space ends the key, the
 * value is the rest of the line without leading and trailing white space.
 * With DICT_SOURCE_FLAG_FOLD the key is folded to lower case (for a
 * case-insensitive table whose dict_put does not fold itself).
 *
 * Alias syntax (DICT_SOURCE_FLAG_ALIAS), as postalias and aliases(5):
 * "name: value, value, ..." where name may be quoted ("a b": ...), and the
 * value continues over following lines that start with white space. The
 * line is split into RFC 822 tokens as Postfix does; the name is given in
 * internal (unquoted) form, the value in external (quoted) form with
 * white space normalized ("a,b" with one space after each comma). Names
 * with '@' or '%' are refused ("name must be local").
 *
 * Bad input is a warning and the line is skipped:
 *   "FILE, line N: expected format: key whitespace value"
 *     (with DICT_SOURCE_FLAG_IGNORING: "... -- ignoring this line", the
 *     wording texthash uses)
 *   "FILE, line N: record is in \"key: value\" format; is this an alias
 *     file?" (the entry is still given to the action)
 *   "FILE, line N: need name:value pair", "FILE, line N: name must be local"
 * A logical line that starts with white space (readlline warns) is
 * skipped. Bytes after a NUL in a line are ignored. Memory use is bounded
 * by READLLINE_LIMIT per line.
 *
 * Returns 0 at end of file, the action's stop value, or -1 on a read
 * error (errno tells why).
 */
#ifndef TERN_DICT_SOURCE_H
#define TERN_DICT_SOURCE_H

#include "util/vstream.h"
#include "util/vstring.h"

#define DICT_SOURCE_FLAG_FOLD (1 << 0)     /* fold keys to lower case */
#define DICT_SOURCE_FLAG_ALIAS (1 << 1)    /* aliases(5) syntax */
#define DICT_SOURCE_FLAG_IGNORING (1 << 2) /* texthash's warning wording */

int dict_source_read(struct vstream *fp, int flags,
                     int (*action)(void *context, const char *key, const char *value, int lineno),
                     void *context);

/*
 * The alias-syntax line splitter on its own: splits LINE (one logical
 * line) into the name (internal form) and value (external form). Returns
 * 0, or -1 with *why set to "need name:value pair" or "name must be
 * local".
 */
int dict_source_alias_split(const char *line, struct vstring *key, struct vstring *value,
                            const char **why);

#endif
