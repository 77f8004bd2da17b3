/*
 * header_line - message header lines: recognition, name and value,
 * unfolding and folding, and a bounded reader of the header section.
 *
 * Recognition (as Postfix): a header line starts with a name of one or
 * more printable ASCII bytes other than ':' (no space, no control, no
 * 8-bit byte), then optional spaces or TABs (obsolete syntax), then ':'.
 *   header_line_name_len(text, len)  length of the name, 0 when TEXT is
 *                                    not a header line
 *   header_line_is_continuation(text) starts with a space or a TAB
 *   header_line_name(dst, text)      the name (dst emptied when none)
 *   header_line_value(text)          the value: the text after the ':'
 *                                    and the white space after it; NULL
 *                                    when TEXT is not a header line
 *
 * Folding:
 *   header_line_unfold(dst, text, len)  removes each line break (CRLF,
 *        LF or CR) that is followed by a space or TAB (RFC 5322 2.2.3);
 *        other bytes are copied, NUL bytes included
 *   header_line_fold(dst, text, width)  TEXT has a newline at each place
 *        where a line may break (tok822_externalize with TOK822_STR_LINE
 *        puts one after each comma); pieces are joined with a space while
 *        the output line stays shorter than WIDTH bytes
 *        (HEADER_LINE_FOLD_WIDTH is what cleanup uses), otherwise a new
 *        line starts, with a TAB unless the piece starts with white space.
 *        A piece longer than WIDTH is not cut.
 *
 * Reading the header section of a message from a stream:
 *   hr = header_reader_create(stream, line_length_limit, header_size_limit);
 *   while ((status = header_reader_next(hr, field)) == HEADER_READER_FIELD)
 *       ... one logical header in field ...
 *   header_reader_free(hr);   (the stream stays open)
 * header_reader_next returns:
 *   HEADER_READER_FIELD  FIELD holds one header with its continuation
 *       lines, joined by "\n" (each line without its CR LF or LF; the
 *       continuation lines keep their leading white space). When it
 *       exceeds header_size_limit bytes the excess is read and discarded
 *       and header_reader_flags() has HEADER_READER_TRUNCATED (a limit
 *       shorter than the name cuts the name too).
 *   HEADER_READER_END  the header section is over. Either an empty line
 *       ended it (consumed; FIELD is empty; flag HEADER_READER_BLANK), or
 *       a line that is not a header line (FIELD holds it without its
 *       newline, flag HEADER_READER_BODY; it is the first body line, and
 *       with HEADER_READER_INCOMPLETE its tail, past line_length_limit
 *       bytes, is still unread in the stream).
 *   HEADER_READER_EOF    no more input (also after END).
 *   HEADER_READER_ERROR  a read error or timeout on the stream.
 * Memory use is bounded by header_size_limit plus line_length_limit,
 * whatever the input. A header_size_limit of 0 means none; a
 * line_length_limit of 0 means 2048 (Postfix's default). Bytes are not
 * judged (NUL, 8-bit and control bytes pass through).
 */
#ifndef TERN_HEADER_LINE_H
#define TERN_HEADER_LINE_H

#include <stddef.h>

#include "util/vstream.h"
#include "util/vstring.h"

#define HEADER_LINE_FOLD_WIDTH 70

size_t header_line_name_len(const char *text, size_t len);
int header_line_is_continuation(const char *text);
struct vstring *header_line_name(struct vstring *dst, const char *text);
const char *header_line_value(const char *text);
struct vstring *header_line_unfold(struct vstring *dst, const char *text, size_t len);
struct vstring *header_line_fold(struct vstring *dst, const char *text, size_t width);

#define HEADER_READER_FIELD 1
#define HEADER_READER_END 0
#define HEADER_READER_EOF (-1)
#define HEADER_READER_ERROR (-2)

#define HEADER_READER_TRUNCATED (1 << 0)
#define HEADER_READER_BLANK (1 << 1)
#define HEADER_READER_BODY (1 << 2)
#define HEADER_READER_INCOMPLETE (1 << 3)

struct header_reader;

struct header_reader *header_reader_create(struct vstream *stream, size_t line_length_limit,
                                           size_t header_size_limit);
int header_reader_next(struct header_reader *hr, struct vstring *field);
int header_reader_flags(const struct header_reader *hr);
void header_reader_free(struct header_reader *hr);

#endif
