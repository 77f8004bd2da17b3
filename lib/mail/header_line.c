/*
 * header_line - header recognition, folding and the bounded header reader;
 * see header_line.h for the contracts.
 *
 * The reader reads the stream in pieces of at most line_length_limit
 * bytes (vstream_get_line), and keeps one piece of look-ahead: the start
 * of the next physical line, needed to know whether the current header
 * goes on. A piece "completes" its physical line when it ends with a
 * newline or the input ends.
 */
#include <string.h>

#include "mail/header_line.h"
#include "util/mymalloc.h"

#define HEADER_READER_DEFAULT_LINE 2048

size_t
header_line_name_len(const char *text, size_t len)
{
    size_t name_len = 0;
    size_t n;
    int ch;
    int after_space = 0;

    for (n = 0; n < len; n++) {
        ch = (unsigned char)text[n];
        if (ch == ':')
            return name_len;
        if (ch == ' ' || ch == '\t') {
            if (name_len == 0)
                return 0;
            after_space = 1;
        } else if (ch <= 32 || ch >= 127 || after_space) {
            return 0;
        } else {
            name_len++;
        }
    }
    return 0;
}

int
header_line_is_continuation(const char *text)
{
    return *text == ' ' || *text == '\t';
}

struct vstring *
header_line_name(struct vstring *dst, const char *text)
{
    return vstring_strncpy(dst, text, header_line_name_len(text, strlen(text)));
}

const char *
header_line_value(const char *text)
{
    if (header_line_name_len(text, strlen(text)) == 0)
        return NULL;
    text = strchr(text, ':') + 1;
    while (*text == ' ' || *text == '\t' || *text == '\r' || *text == '\n')
        text++;
    return text;
}

struct vstring *
header_line_unfold(struct vstring *dst, const char *text, size_t len)
{
    size_t n;
    size_t brk;

    vstring_reset(dst);
    vstring_reserve(dst, len);
    for (n = 0; n < len; n++) {
        if (text[n] == '\r' || text[n] == '\n') {
            brk = text[n] == '\r' && n + 1 < len && text[n + 1] == '\n' ? 2 : 1;
            if (n + brk < len && (text[n + brk] == ' ' || text[n + brk] == '\t')) {
                n += brk - 1;
                continue;
            }
        }
        vstring_addch(dst, text[n]);
    }
    return dst;
}

struct vstring *
header_line_fold(struct vstring *dst, const char *text, size_t width)
{
    const char *piece = text;
    const char *end;
    size_t piece_len;
    size_t line_len = 0;

    vstring_reset(dst);
    for (;;) {
        end = strchr(piece, '\n');
        piece_len = end ? (size_t)(end - piece) : strlen(piece);
        if (piece == text) {
            line_len = piece_len;
        } else if (line_len + 1 + piece_len < width) {
            vstring_addch(dst, ' ');
            line_len += 1 + piece_len;
        } else {
            vstring_addch(dst, '\n');
            if (*piece != ' ' && *piece != '\t')
                vstring_addch(dst, '\t');
            line_len = piece_len;
        }
        vstring_memcat(dst, piece, piece_len);
        if (end == NULL)
            break;
        piece = end + 1;
    }
    return dst;
}

/* ----------------------------------------------------------- the reader */

#define HR_NONE 0  /* no look-ahead piece */
#define HR_PIECE 1 /* piece holds the start of a physical line */
#define HR_EOF 2   /* input ended */
#define HR_ERROR 3 /* read error or timeout */

struct header_reader {
    struct vstream *stream;
    size_t line_limit;
    size_t size_limit;
    struct vstring *piece; /* look-ahead, or the piece being consumed */
    int state;             /* HR_* */
    int complete;          /* piece ends its physical line */
    int done;              /* END or EOF was returned */
    int flags;             /* HEADER_READER_* of the last result */
};

struct header_reader *
header_reader_create(struct vstream *stream, size_t line_length_limit, size_t header_size_limit)
{
    struct header_reader *hr = mycalloc(1, sizeof(*hr));

    hr->stream = stream;
    hr->line_limit = line_length_limit ? line_length_limit : HEADER_READER_DEFAULT_LINE;
    hr->size_limit = header_size_limit;
    hr->piece = vstring_alloc(hr->line_limit < 1024 ? hr->line_limit + 1 : 1024);
    hr->state = HR_NONE;
    return hr;
}

void
header_reader_free(struct header_reader *hr)
{
    vstring_free(hr->piece);
    myfree(hr);
}

int
header_reader_flags(const struct header_reader *hr)
{
    return hr->flags;
}

/* Reads the next piece; sets hr->state and hr->complete; the newline stays. */
static int
header_reader_read(struct header_reader *hr)
{
    int ret = vstream_get_line(hr->stream, hr->piece, hr->line_limit);

    if (ret == VSTREAM_EOF && vstring_len(hr->piece) == 0) {
        hr->state = vstream_error(hr->stream) || vstream_timed_out(hr->stream) ? HR_ERROR : HR_EOF;
        return hr->state;
    }
    hr->complete = ret == '\n' || vstring_len(hr->piece) < hr->line_limit;
    return hr->state = HR_PIECE;
}

/* The piece without its newline. */
static size_t
header_reader_piece_len(const struct header_reader *hr)
{
    size_t len = vstring_len(hr->piece);

    if (len > 0 && vstring_str(hr->piece)[len - 1] == '\n')
        len--;
    return len;
}

/* Appends DATA to FIELD within the size limit; the rest is dropped. */
static void
header_reader_keep(struct header_reader *hr, struct vstring *field, const char *data, size_t len)
{
    size_t room = len;

    if (hr->size_limit > 0) {
        room = vstring_len(field) < hr->size_limit ? hr->size_limit - vstring_len(field) : 0;
        if (room < len)
            hr->flags |= HEADER_READER_TRUNCATED;
        if (room > len)
            room = len;
    }
    vstring_memcat(field, data, room);
}

/* Appends the physical line that starts with the look-ahead piece. */
static void
header_reader_line(struct header_reader *hr, struct vstring *field)
{
    size_t line_start = vstring_len(field);
    int saw_newline;

    for (;;) {
        saw_newline = header_reader_piece_len(hr) < vstring_len(hr->piece);
        header_reader_keep(hr, field, vstring_str(hr->piece), header_reader_piece_len(hr));
        if (hr->complete || header_reader_read(hr) != HR_PIECE)
            break;
    }
    if (hr->state == HR_PIECE)
        hr->state = HR_NONE;
    if (saw_newline && vstring_len(field) > line_start && vstring_end(field)[-1] == '\r')
        vstring_truncate(field, vstring_len(field) - 1);
}

/* Ends the header section with the look-ahead line (blank or body). */
static int
header_reader_end(struct header_reader *hr, struct vstring *field)
{
    size_t len = header_reader_piece_len(hr);
    const char *data = vstring_str(hr->piece);

    hr->done = 1;
    hr->state = HR_NONE;
    if (len == 0 || (len == 1 && data[0] == '\r' && len < vstring_len(hr->piece))) {
        hr->flags |= HEADER_READER_BLANK;
        return HEADER_READER_END;
    }
    hr->flags |= HEADER_READER_BODY;
    if (!hr->complete)
        hr->flags |= HEADER_READER_INCOMPLETE;
    if (len < vstring_len(hr->piece) && data[len - 1] == '\r')
        len--;
    vstring_memcpy(field, data, len);
    return HEADER_READER_END;
}

int
header_reader_next(struct header_reader *hr, struct vstring *field)
{
    vstring_reset(field);
    hr->flags = 0;
    if (hr->done)
        return HEADER_READER_EOF;
    if (hr->state == HR_NONE)
        header_reader_read(hr);
    if (hr->state == HR_ERROR)
        return HEADER_READER_ERROR;
    if (hr->state == HR_EOF) {
        hr->done = 1;
        return HEADER_READER_EOF;
    }
    if (header_line_name_len(vstring_str(hr->piece), vstring_len(hr->piece)) == 0)
        return header_reader_end(hr, field);
    header_reader_line(hr, field);
    while ((hr->state == HR_NONE && header_reader_read(hr) == HR_PIECE) || hr->state == HR_PIECE) {
        if (!header_line_is_continuation(vstring_str(hr->piece)))
            break;
        header_reader_keep(hr, field, "\n", 1);
        header_reader_line(hr, field);
    }
    return HEADER_READER_FIELD;
}
