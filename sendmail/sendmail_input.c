/*
 * sendmail_input - copy a message from standard input into the record
 * stream (sendmail_put: postdrop's pipe or the maildrop file), line by
 * line, as Postfix's sendmail does.
 *
 *   sendmail_copy_input(in, &state)
 *       reads IN up to its end, or up to a line with a lone "." when
 *       state.dot_ends is set, and writes one 'N' record per line (without
 *       its newline). A line longer than QFILE_PIECE_MAX bytes goes out as
 *       'L' pieces and a final 'N', so memory use is one piece whatever
 *       the input. Returns SM_INPUT_OK, SM_INPUT_WRITE (sendmail_put failed)
 *       or SM_INPUT_READ (IN failed: errno).
 *
 * Line endings follow sendmail_fix_line_endings: "always" removes the CR
 * of a CR LF at every line end, "strict" only when the first line ends
 * in CR LF, "never" keeps them (state.strip_cr 1, -1, 0); a CR that
 * ends a piece of a long line is held back until the next piece shows
 * whether the newline follows. "From " lines
 * (also ">From ") at the very start of the input are dropped, as
 * Postfix drops an mbox separator. A last line without a newline is kept.
 *
 * With state.extract (-t) the header section is watched: state.found_rcpt
 * becomes 1 when a To:, Cc:, Bcc: (or Resent-) header holds at least one
 * address. Such a header is kept in memory only up to state.header_limit
 * bytes; the rest of it is not looked at (cleanup still sees it all).
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "mail/header_line.h"
#include "mail/qfile.h"
#include "mail/rec_type.h"
#include "mail/record.h"
#include "mail/tok822.h"
#include "sendmail.h"
#include "util/msg.h"
#include "util/vstring.h"

#define SM_TOKEN_LIMIT 10240 /* tokens looked at per header (header_address_token_limit) */

struct sm_copy {
    struct sendmail_input *state;
    struct vstring *header; /* a recipient header being collected, or empty */
    int collecting;         /* the current header is a recipient header */
    int in_header;          /* still in the header section */
};

/* Is this header name one that -t takes recipients from? */
static int
sendmail_rcpt_header(const char *text, size_t name_len)
{
    static const char *const names[] = {"to",        "cc",         "bcc", "resent-to",
                                        "resent-cc", "resent-bcc", NULL};

    for (const char *const *np = names; *np; np++)
        if (strlen(*np) == name_len && strncasecmp(text, *np, name_len) == 0)
            return 1;
    return 0;
}

/* A complete recipient header: does its value hold an address? */
static void
sendmail_check_header(struct sm_copy *cp)
{
    const char *value;
    struct tok822 *tree;
    struct vstring *addr;

    if (!cp->collecting || (value = header_line_value(vstring_str(cp->header))) == NULL)
        return;
    cp->collecting = 0;
    tree = tok822_parse(value, SM_TOKEN_LIMIT, NULL);
    addr = vstring_alloc(100);
    for (struct tok822 *tp = tree; tp; tp = tp->next) {
        if (tp->type != TOK822_ADDR)
            continue;
        vstring_reset(addr);
        tok822_internalize(addr, tp->head, 0);
        if (vstring_len(addr) > 0)
            cp->state->found_rcpt = 1;
    }
    vstring_free(addr);
    tok822_free_tree(tree);
}

/* One line or piece of a line in the header section, for -t. */
static void
sendmail_watch_header(struct sm_copy *cp, const char *data, size_t len, int first_piece, int whole)
{
    size_t name_len;

    if (!cp->in_header || cp->state->found_rcpt)
        return;
    if (first_piece && (len > 0 && (data[0] == ' ' || data[0] == '\t'))) {
        /* a continuation line */
    } else if (first_piece) {
        sendmail_check_header(cp);
        name_len = header_line_name_len(data, len);
        if (name_len == 0) {
            cp->in_header = 0; /* empty line or body text */
            return;
        }
        cp->collecting = sendmail_rcpt_header(data, name_len);
        vstring_reset(cp->header);
    } else if (!cp->collecting)
        return;
    if (cp->collecting && vstring_len(cp->header) + len < cp->state->header_limit) {
        vstring_memcat(cp->header, data, len);
        if (whole) /* unfolded: each line break becomes a space */
            vstring_addch(cp->header, ' ');
    }
}

/* Leading "From " lines are skipped; is this one? */
static int
sendmail_from_line(const char *data, size_t len)
{
    size_t skip = strspn(data, ">");

    return skip < len && len - skip >= 5 && strncmp(data + skip, "From ", 5) == 0;
}

int
sendmail_copy_input(struct vstream *in, struct sendmail_input *state)
{
    struct vstring *line = vstring_alloc(4096);
    struct sm_copy cp = {state, vstring_alloc(1024), 0, 1};
    int first_line = 1;
    int skip_from = 1;
    int skipping = 0; /* dropping the pieces of a "From " line */
    int partial = 0;  /* the previous record was a piece */
    int held_cr = 0;  /* a piece ended in CR: strip it if the newline follows */
    int ret = SM_INPUT_OK;
    int last;
    size_t len;
    char *data;

    while ((last = vstream_get_line(in, line, QFILE_PIECE_MAX)) != VSTREAM_EOF) {
        data = vstring_str(line);
        len = vstring_len(line);
        int whole = (last == '\n') || vstream_eof(in);
        if (last == '\n')
            len--;
        if (whole && len > 0 && data[len - 1] == '\r') {
            if (first_line && state->strip_cr < 0)
                state->strip_cr = 1;
            if (state->strip_cr > 0)
                len--;
        }
        if (first_line && state->strip_cr < 0)
            state->strip_cr = 0;
        first_line = 0;
        if (!partial && skip_from) {
            if (sendmail_from_line(data, len))
                skipping = 1;
            else
                skip_from = 0;
        }
        if (skipping) {
            partial = !whole;
            skipping = partial;
            continue;
        }
        if (!partial && whole && state->dot_ends && len == 1 && data[0] == '.')
            break;
        if (held_cr && !(whole && len == 0) && sendmail_put(REC_TYPE_CONT, "\r", 1) < 0) {
            ret = SM_INPUT_WRITE;
            break;
        }
        held_cr = !whole && len > 0 && data[len - 1] == '\r' && state->strip_cr > 0;
        if (held_cr)
            len--;
        if (state->extract)
            sendmail_watch_header(&cp, data, len, !partial, whole);
        if ((whole || len > 0) &&
            sendmail_put(whole ? REC_TYPE_NORM : REC_TYPE_CONT, data, len) < 0) {
            ret = SM_INPUT_WRITE;
            break;
        }
        partial = !whole;
    }
    if (ret == SM_INPUT_OK && vstream_error(in))
        ret = SM_INPUT_READ;
    if (ret == SM_INPUT_OK && partial && !skipping && sendmail_put(REC_TYPE_NORM, "", 0) < 0)
        ret = SM_INPUT_WRITE;
    if (state->extract && cp.in_header)
        sendmail_check_header(&cp);
    vstring_free(line);
    vstring_free(cp.header);
    return ret;
}
