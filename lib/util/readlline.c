/*
 * readlline - logical line reader; see readlline.h.
 *
 * Peeks one byte after each newline to decide whether the next physical
 * line continues this one. Bytes beyond the limit are read and dropped, so
 * memory use stays bounded whatever the input.
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

/* Reads one physical line into buf (appending), without the newline. */
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

static int
readlline_is_noise(const char *line)
{
    while (*line && isspace((unsigned char) *line))
        line++;
    return *line == 0 || *line == '#';
}

/* Peeks at the next byte: is it white space that continues the line? */
static int
readlline_continues(struct vstream *fp)
{
    int ch;

    if ((ch = vstream_getc(fp)) == VSTREAM_EOF)
        return 0;
    fp->rpos--; /* the byte is still in the buffer: push it back */
    return ch == ' ' || ch == '\t';
}

struct vstring *
readlline(struct vstring *buf, struct vstream *fp, int *lineno, int *first_lineno)
{
    int too_long;
    size_t mark;

    for (;;) {
        vstring_reset(buf);
        too_long = 0;
        /* Find the first line that is not noise. */
        for (;;) {
            if (!readlline_physical(fp, buf, &too_long))
                return NULL;
            ++*lineno;
            if (!readlline_is_noise(vstring_str(buf)))
                break;
            vstring_reset(buf);
            too_long = 0;
        }
        if (first_lineno)
            *first_lineno = *lineno;
        if (isspace((unsigned char) vstring_str(buf)[0]))
            msg_warn("%s, line %d: logical line must not start with white space",
                     vstream_path(fp), *lineno);
        /* Append continuation lines; skip indented comments. */
        while (readlline_continues(fp)) {
            mark = vstring_len(buf);
            readlline_physical(fp, buf, &too_long);
            ++*lineno;
            if (readlline_is_noise(vstring_str(buf) + mark))
                vstring_truncate(buf, mark);
        }
        if (too_long) {
            msg_warn("%s, line %d: logical line longer than %d bytes, ignored", vstream_path(fp),
                     first_lineno ? *first_lineno : *lineno, READLLINE_LIMIT);
            continue;
        }
        while (vstring_len(buf) > 0 && isspace((unsigned char) vstring_end(buf)[-1]))
            vstring_truncate(buf, vstring_len(buf) - 1);
        return buf;
    }
}
