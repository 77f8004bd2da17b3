/*
 * cleanup_mime - just enough MIME structure for mime_header_checks and
 * nested_header_checks to see the headers of multipart body parts and of
 * attached messages, not only the primary ones.
 *
 *   cleanup_mime_type(state, header)
 *       a Content-Type: header (primary, of a part or of an attached
 *       message): for multipart/(anything) its boundary is pushed on the
 *       stack of open multiparts (at most mime_nesting_limit deep; deeper
 *       ones are not followed); message/rfc822 and message/global (whatever
 *       the Content-Transfer-Encoding) set state->nested_next: after the
 *       blank line that ends these headers come the headers of the
 *       attached message (CLEANUP_IN_NESTED).
 *   cleanup_mime_boundary(state, text, len)
 *       a body line: 1 when it is "--BOUNDARY" of an open multipart (a
 *       part's headers follow; multiparts opened inside the previous part
 *       are closed), 0 otherwise; "--BOUNDARY--" closes that multipart.
 *   cleanup_mime_part_header(state, header)
 *       one header of a body part or of an attached message, as Postfix
 *       classifies them: Content-* and MIME-Version headers, and every
 *       header of a multipart body part, go through mime_header_checks;
 *       the other headers of an attached message through
 *       nested_header_checks; then it is written.
 *   cleanup_mime_is_header(name)
 *       1 for Content-* and MIME-Version.
 *
 * With disable_mime_input_processing=yes none of this happens: all after
 * the primary headers is body. Malformed MIME never fails a message:
 * what is not recognized is body.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "mail/header_line.h"
#include "util/mymalloc.h"

/* The boundary parameter of a multipart Content-Type value, or NULL. */
static char *
cleanup_mime_find_boundary(const char *value)
{
    const char *cp, *end;

    while (isspace((unsigned char)*value))
        value++;
    if (strncasecmp(value, "multipart/", 10) != 0)
        return NULL;
    for (cp = value; (cp = strchr(cp, ';')) != NULL;) {
        cp++;
        while (isspace((unsigned char)*cp))
            cp++;
        if (strncasecmp(cp, "boundary", 8) != 0)
            continue;
        cp += 8;
        while (isspace((unsigned char)*cp))
            cp++;
        if (*cp++ != '=')
            continue;
        while (isspace((unsigned char)*cp))
            cp++;
        if (*cp == '"') {
            end = strchr(++cp, '"');
            if (end == NULL)
                return NULL;
        } else {
            end = cp + strcspn(cp, "; \t\r\n");
        }
        return end > cp ? mystrndup(cp, (size_t)(end - cp)) : NULL;
    }
    return NULL;
}

/* Is the Content-Type value that of an attached message? */
static int
cleanup_mime_is_message(const char *value)
{
    static const char *const types[] = {"message/rfc822", "message/global", NULL};
    size_t len;

    while (isspace((unsigned char)*value))
        value++;
    for (int i = 0; types[i]; i++) {
        len = strlen(types[i]);
        if (strncasecmp(value, types[i], len) == 0 &&
            (value[len] == 0 || value[len] == ';' || isspace((unsigned char)value[len])))
            return 1;
    }
    return 0;
}

int
cleanup_mime_is_header(const char *name)
{
    return strncasecmp(name, "Content-", 8) == 0 || strcasecmp(name, "MIME-Version") == 0;
}

void
cleanup_mime_type(struct cleanup_state *state, struct vstring *header)
{
    const char *value = header_line_value(vstring_str(header));
    struct vstring *unfolded;
    char *boundary;

    if (value == NULL || cleanup_cf.disable_mime_input)
        return;
    unfolded = vstring_alloc(100);
    header_line_unfold(unfolded, value, strlen(value));
    state->nested_next = cleanup_mime_is_message(vstring_str(unfolded));
    if ((long)state->boundaries->argc >= cleanup_cf.mime_nesting_limit) {
        vstring_free(unfolded);
        return;
    }
    if ((boundary = cleanup_mime_find_boundary(vstring_str(unfolded))) != NULL) {
        argv_add(state->boundaries, boundary);
        myfree(boundary);
    }
    vstring_free(unfolded);
}

int
cleanup_mime_boundary(struct cleanup_state *state, const char *text, size_t len)
{
    size_t blen;

    if (len < 3 || text[0] != '-' || text[1] != '-')
        return 0;
    for (size_t i = state->boundaries->argc; i-- > 0;) {
        blen = strlen(state->boundaries->argv[i]);
        if (len < 2 + blen || memcmp(text + 2, state->boundaries->argv[i], blen) != 0)
            continue;
        if (len >= 4 + blen && text[2 + blen] == '-' && text[3 + blen] == '-') {
            argv_truncate(state->boundaries, i);
            return 0;
        }
        argv_truncate(state->boundaries, i + 1);
        return 1;
    }
    return 0;
}

void
cleanup_mime_part_header(struct cleanup_state *state, struct vstring *header)
{
    struct vstring *name = vstring_alloc(32);
    struct maps *checks;

    header_line_name(name, vstring_str(header));
    checks = state->in_header == CLEANUP_IN_NESTED && !cleanup_mime_is_header(vstring_str(name))
                 ? cleanup_cf.nested_header_checks
                 : cleanup_cf.mime_header_checks;
    if (checks && cleanup_checks(state, checks, "header", header) != CLEANUP_CHECK_KEEP) {
        vstring_free(name);
        return;
    }
    header_line_name(name, vstring_str(header));
    if (strcasecmp(vstring_str(name), "Content-Type") == 0)
        cleanup_mime_type(state, header);
    cleanup_out_text(state, vstring_str(header));
    vstring_free(name);
}
