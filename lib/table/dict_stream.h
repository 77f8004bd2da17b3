/*
 * dict_stream - open the source text of a table that is read line by line
 * (cidr, pcre, regexp): a file, or the rules given inline in the name.
 *
 *   struct vstream *fp = dict_stream_open("pcre", name, why);
 *   ... readlline(buf, fp, &lineno, &first) ...; vstream_close(fp);
 *
 * A NAME that starts with '{' is the inline form of Postfix 3.7:
 *   { {rule-1}, {rule-2} ... }
 * The outer braces must close at the very end of the name; inside them,
 * each element (separated by commas and/or white space) must be one
 * balanced {...} group. White space after '{' and before '}' is dropped
 * and each rule becomes one line of an anonymous in-memory file, which is
 * then read exactly like a file (comments and continuation lines apply).
 * Any other NAME is a file opened read-only.
 *
 * Returns a stream whose path (for "FILE, line N" messages) is NAME, or
 * NULL with the reason in why: "open NAME: <errno text>", or for bad inline
 * text "TYPE map: missing '}' in \"...\"", "TYPE map: syntax error after
 * '}' in \"...\"", "TYPE map: no '{' at start of text in \"...\"". Callers
 * turn that into a surrogate table (dict_surrogate).
 */
#ifndef TERN_DICT_STREAM_H
#define TERN_DICT_STREAM_H

#include "util/vstream.h"
#include "util/vstring.h"

struct vstream *dict_stream_open(const char *type, const char *name, struct vstring *why);

#endif
