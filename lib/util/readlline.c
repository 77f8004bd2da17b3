/*
 * readlline - logical line reader; see readlline.h.
 *
 * After the first line of a logical line, one byte of look-ahead decides
 * what the next physical line is: white space (a continuation, or an
 * indented comment or blank line), '#' or a newline (noise, skipped), or
 * anything else (the start of the next logical line, left unread). Bytes
 * beyond the limit are read and dropped, so memory use stays bounded
 * whatever the input.
 */
#include <ctype.h>
#include <string.h>

#include "util/readlline.h"
#include "util/msg.h"

/* Skips the rest of an over-long physical line. */
static void
readlline_skip_line(struct vstream *fp)
{
    int ch;

    while ((ch = vstream_getc(fp)) != VSTREAM_EOF && ch != '\n')
        ;
}

/* Appends one physical line to buf, without the newline; 0 at EOF. */
static int
readlline_physical(struct vstream *fp, struct vstring *buf, int *too_long)
{
    int ch;
    int got = 0;

    while ((ch = vstream_getc(fp)) != VSTREAM_EOF) {
        got = 1;
        if (ch == '\n')
            return 1;
        if (vstring_len(buf) >= READLLINE_LIMIT) {
            *too_long = 1;
            readlline_skip_line(fp);
            return 1;
        }
        vstring_addch(buf, ch);
    }
    return got;
}

/* Is buf[from..] blank or a comment? Looks at bytes, NUL included. */
static int
readlline_is_noise(const struct vstring *buf, size_t from)
{
    const char *cp = vstring_str(buf) + from;
    const char *end = vstring_end(buf);

    while (cp < end && isspace((unsigned char) *cp))
        cp++;
    return cp == end || *cp == '#';
}

/* Peeks at the next byte without consuming it; VSTREAM_EOF at the end. */
static int
readlline_peek(struct vstream *fp)
{
    int ch = vstream_getc(fp);

    if (ch != VSTREAM_EOF)
        fp->rpos--; /* the byte is still in the read buffer */
    return ch;
}

/* Appends continuation lines, skipping noise lines, until the next logical line. */
static void
readlline_continue(struct vstream *fp, struct vstring *buf, int *lineno, int *too_long)
{
    int ch;
    size_t mark;

    while ((ch = readlline_peek(fp)) != VSTREAM_EOF) {
        if (ch != '#' && ch != '\n' && !isspace(ch))
            return;
        mark = vstring_len(buf);
        readlline_physical(fp, buf, too_long);
        ++*lineno;
        if (ch == '#' || readlline_is_noise(buf, mark))
            vstring_truncate(buf, mark);
    }
}

struct vstring *
readlline(struct vstring *buf, struct vstream *fp, int *lineno, int *first_lineno)
{
    int too_long;
    int first;

    for (;;) {
        vstring_reset(buf);
        too_long = 0;
        /* Find the first line that is not noise. */
        for (;;) {
            if (!readlline_physical(fp, buf, &too_long))
                return NULL;
            ++*lineno;
            if (!readlline_is_noise(buf, 0))
                break;
            vstring_reset(buf);
            too_long = 0;
        }
        first = *lineno;
        if (first_lineno)
            *first_lineno = first;
        readlline_continue(fp, buf, lineno, &too_long);
        if (too_long) {
            msg_warn("%s, line %d: logical line longer than %d bytes, ignored", vstream_path(fp),
                     first, READLLINE_LIMIT);
            continue;
        }
        while (vstring_len(buf) > 0 && isspace((unsigned char) vstring_end(buf)[-1]))
            vstring_truncate(buf, vstring_len(buf) - 1);
        if (isspace((unsigned char) vstring_str(buf)[0])) {
            msg_warn("%s: logical line must not start with whitespace: \"%.30s%s\"",
                     vstream_path(fp), vstring_str(buf), vstring_len(buf) > 30 ? "..." : "");
            continue;
        }
        return buf;
    }
}
