/*
 * postmap_mime - header and body lookup keys from a message; see
 * postmap_mime.h for the rules.
 *
 * State: where we are (primary header, part header, nested message
 * header, body), the content type announced by the header block being
 * read, the pending (possibly multi-line) header, and a stack of the
 * multipart boundaries that are open, innermost first.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "postmap_mime.h"
#include "util/mymalloc.h"
#include "util/vstring.h"

enum postmap_mime_state { MIME_PRIMARY, MIME_PART, MIME_NESTED, MIME_BODY };
enum postmap_mime_ctype { CTYPE_TEXT, CTYPE_MESSAGE, CTYPE_MULTIPART, CTYPE_OTHER };

struct postmap_mime_level {
    char *boundary;
    size_t bound_len;
    enum postmap_mime_ctype def_ctype; /* content type of parts without one */
    int def_rfc822;
    struct postmap_mime_level *next; /* enclosing level */
};

struct postmap_mime {
    int flags;
    struct postmap_mime_limits limits;
    postmap_mime_key_fn key_fn;
    void *context;
    enum postmap_mime_state state;
    enum postmap_mime_ctype ctype;
    int rfc822;             /* message/rfc822 */
    struct vstring *header; /* pending header; empty: none */
    struct postmap_mime_level *stack;
    int nesting;
    int done; /* header-only mode saw the header end */
};

/* Tokens of a Content-Type value (RFC 2045). */
#define TOKEN_ATOM 256
#define TOKEN_QSTRING 257
#define TOKEN_MAX 3
#define CT_SPECIALS "()<>@,;:\\\"/[]?="

struct mime_token {
    int type; /* TOKEN_ATOM, TOKEN_QSTRING, or the special character */
    struct vstring *text;
};

#define IS_BLANK(c) ((c) == ' ' || (c) == '\t')
#define IS_LWSP(c) ((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n')
#define IS_CTRL(c) ((c) < 128 && iscntrl(c))

struct postmap_mime *
postmap_mime_create(int flags, const struct postmap_mime_limits *limits, postmap_mime_key_fn key_fn,
                    void *context)
{
    struct postmap_mime *mp = mycalloc(1, sizeof(*mp));

    mp->flags = flags;
    mp->limits = *limits;
    mp->key_fn = key_fn;
    mp->context = context;
    mp->state = MIME_PRIMARY;
    mp->ctype = CTYPE_TEXT;
    mp->header = vstring_alloc(100);
    return mp;
}

static void
postmap_mime_pop(struct postmap_mime *mp)
{
    struct postmap_mime_level *level = mp->stack;

    mp->stack = level->next;
    mp->nesting--;
    myfree(level->boundary);
    myfree(level);
}

void
postmap_mime_free(struct postmap_mime *mp)
{
    while (mp->stack)
        postmap_mime_pop(mp);
    vstring_free(mp->header);
    myfree(mp);
}

/*
 * Length of the header name when LINE starts a header ("name:" or
 * "name  :"), else 0.
 */
static size_t
postmap_mime_is_header(const char *line, size_t len)
{
    size_t name_len = 0;
    int after_blank = 0;
    size_t i;
    int c;

    for (i = 0; i < len; i++) {
        c = (unsigned char)line[i];
        if (c == ':')
            return name_len;
        if (IS_BLANK(c)) {
            if (name_len == 0)
                return 0;
            after_blank = 1;
            continue;
        }
        if (c == 0 || c >= 128 || iscntrl(c) || after_blank)
            return 0;
        name_len++;
    }
    return 0;
}

/*
 * One group of Content-Type tokens from *cpp up to the next ';' (which is
 * consumed). Tokens past TOKEN_MAX are skipped, comments are dropped.
 * Returns the number of tokens stored, or -1 at the end of the text.
 */
static int
postmap_mime_tokens(const char **cpp, struct mime_token *tok)
{
    const unsigned char *cp = (const unsigned char *)*cpp;
    int count = 0;
    int depth;
    int ch;

    while ((ch = *cp) != 0) {
        cp++;
        if (IS_LWSP(ch))
            continue;
        if (ch == ';')
            break;
        if (ch == '(') {
            for (depth = 1; (ch = *cp) != 0;) {
                cp++;
                if (ch == '(')
                    depth++;
                else if (ch == ')' && --depth == 0)
                    break;
                else if (ch == '\\' && *cp != 0)
                    cp++;
            }
            continue;
        }
        if (count < TOKEN_MAX)
            vstring_reset(tok[count].text);
        if (ch == '"') {
            while ((ch = *cp) != 0) {
                cp++;
                if (ch == '"')
                    break;
                if (ch == '\n') {
                    while (count < TOKEN_MAX && vstring_len(tok[count].text) > 0 &&
                           IS_LWSP((unsigned char)vstring_end(tok[count].text)[-1]))
                        vstring_truncate(tok[count].text, vstring_len(tok[count].text) - 1);
                    continue;
                }
                if (ch == '\\') {
                    if ((ch = *cp) == 0)
                        break;
                    cp++;
                }
                if (count < TOKEN_MAX)
                    vstring_addch(tok[count].text, ch);
            }
            if (count < TOKEN_MAX)
                tok[count++].type = TOKEN_QSTRING;
        } else if (strchr(CT_SPECIALS, ch) || IS_CTRL(ch)) {
            if (count < TOKEN_MAX) {
                vstring_addch(tok[count].text, ch);
                tok[count++].type = ch;
            }
        } else {
            if (count < TOKEN_MAX)
                vstring_addch(tok[count].text, ch);
            while ((ch = *cp) != 0 && !IS_LWSP(ch) && !IS_CTRL(ch) && !strchr(CT_SPECIALS, ch)) {
                cp++;
                if (count < TOKEN_MAX)
                    vstring_addch(tok[count].text, ch);
            }
            if (count < TOKEN_MAX)
                tok[count++].type = TOKEN_ATOM;
        }
    }
    *cpp = (const char *)cp;
    if (count == 0 && ch == 0)
        return -1;
    return count;
}

static int
token_is(const struct mime_token *tok, const char *word)
{
    return tok->type == TOKEN_ATOM && strcasecmp(vstring_str(tok->text), word) == 0;
}

static void
postmap_mime_push(struct postmap_mime *mp, const char *boundary, enum postmap_mime_ctype def,
                  int def_rfc822)
{
    struct postmap_mime_level *level = mymalloc(sizeof(*level));

    level->bound_len = strlen(boundary);
    if (level->bound_len > mp->limits.boundary_limit)
        level->bound_len = mp->limits.boundary_limit;
    level->boundary = mystrndup(boundary, level->bound_len);
    level->def_ctype = def;
    level->def_rfc822 = def_rfc822;
    level->next = mp->stack;
    mp->stack = level;
    mp->nesting++;
}

/* Applies a Content-Type header value to the current header block. */
static void
postmap_mime_content_type(struct postmap_mime *mp, const char *value)
{
    struct mime_token tok[TOKEN_MAX];
    enum postmap_mime_ctype def;
    int def_rfc822;
    int count;
    int i;

    for (i = 0; i < TOKEN_MAX; i++) {
        tok[i].type = 0;
        tok[i].text = vstring_alloc(20);
    }
    if ((count = postmap_mime_tokens(&value, tok)) > 0) {
        int sub = count >= 3 && tok[1].type == '/';

        if (token_is(&tok[0], "text")) {
            mp->ctype = CTYPE_TEXT;
        } else if (token_is(&tok[0], "message")) {
            mp->ctype = CTYPE_MESSAGE;
            mp->rfc822 = sub && token_is(&tok[2], "rfc822");
        } else if (token_is(&tok[0], "multipart")) {
            mp->ctype = CTYPE_MULTIPART;
            def_rfc822 = sub && token_is(&tok[2], "digest");
            def = def_rfc822 ? CTYPE_MESSAGE : CTYPE_TEXT;
            while ((count = postmap_mime_tokens(&value, tok)) >= 0) {
                if (count >= 3 && token_is(&tok[0], "boundary") && tok[1].type == '=' &&
                    mp->nesting <= mp->limits.nesting_limit)
                    postmap_mime_push(mp, vstring_str(tok[2].text), def, def_rfc822);
            }
        } else {
            mp->ctype = CTYPE_OTHER;
        }
    }
    for (i = 0; i < TOKEN_MAX; i++)
        vstring_free(tok[i].text);
}

/* Finishes the pending header: MIME bookkeeping, then the header key. */
static void
postmap_mime_flush_header(struct postmap_mime *mp)
{
    static const char ctype_name[] = "content-type:";
    const char *text = vstring_str(mp->header);

    if (vstring_len(mp->header) == 0)
        return;
    if ((mp->flags & POSTMAP_MIME_PARSE) &&
        strncasecmp(text, ctype_name, sizeof(ctype_name) - 1) == 0)
        postmap_mime_content_type(mp, text + sizeof(ctype_name) - 1);
    if (mp->flags & POSTMAP_MIME_HEADER)
        mp->key_fn(mp->context, text);
    vstring_reset(mp->header);
}

static void
postmap_mime_body_key(struct postmap_mime *mp, const char *line)
{
    if (mp->flags & POSTMAP_MIME_BODY)
        mp->key_fn(mp->context, line);
}

/* A header block ended with LINE: choose what comes next. */
static void
postmap_mime_header_end(struct postmap_mime *mp, size_t len)
{
    if (mp->state == MIME_PRIMARY && (mp->flags & (POSTMAP_MIME_BODY | POSTMAP_MIME_PARSE)) == 0)
        mp->done = 1;
    if (len == 0) {
        if (mp->ctype == CTYPE_MESSAGE && mp->rfc822) {
            mp->state = MIME_NESTED;
            mp->ctype = CTYPE_TEXT;
            mp->rfc822 = 0;
        } else if (mp->ctype == CTYPE_MULTIPART) {
            mp->state = MIME_BODY;
            mp->ctype = CTYPE_OTHER;
        } else {
            mp->state = MIME_BODY;
        }
    } else {
        if (mp->state == MIME_PRIMARY)
            postmap_mime_body_key(mp, "");
        mp->state = MIME_BODY;
    }
}

/* Body line: a boundary of an open multipart starts a new part. */
static void
postmap_mime_body_line(struct postmap_mime *mp, const char *line, size_t len)
{
    struct postmap_mime_level *level;

    if (mp->stack && len > 2 && line[0] == '-' && line[1] == '-') {
        for (level = mp->stack; level != NULL; level = level->next) {
            if (len >= 2 + level->bound_len &&
                strncmp(line + 2, level->boundary, level->bound_len) == 0) {
                while (mp->stack != level)
                    postmap_mime_pop(mp);
                if (len >= 4 + level->bound_len &&
                    strncmp(line + 2 + level->bound_len, "--", 2) == 0) {
                    postmap_mime_pop(mp);
                    mp->state = MIME_BODY;
                    mp->ctype = CTYPE_OTHER;
                } else {
                    mp->state = MIME_PART;
                    mp->ctype = level->def_ctype;
                    mp->rfc822 = level->def_rfc822;
                }
                break;
            }
        }
    }
    postmap_mime_body_key(mp, line);
}

int
postmap_mime_update(struct postmap_mime *mp, const char *line, size_t len)
{
    size_t name_len;

    if (mp->done)
        return 1;
    if (mp->state != MIME_BODY) {
        if (vstring_len(mp->header) > 0) {
            if (len > 0 && IS_BLANK(line[0])) {
                if (vstring_len(mp->header) < mp->limits.header_limit) {
                    vstring_addch(mp->header, '\n');
                    vstring_memcat(mp->header, line, len);
                }
                return 0;
            }
            postmap_mime_flush_header(mp);
        }
        if ((name_len = postmap_mime_is_header(line, len)) > 0) {
            vstring_memcpy(mp->header, line, name_len);
            line += name_len;
            len -= name_len;
            while (len > 0 && IS_BLANK(*line))
                line++, len--;
            vstring_memcat(mp->header, line, len);
            return 0;
        }
        postmap_mime_header_end(mp, len);
    }
    postmap_mime_body_line(mp, line, len);
    return mp->done;
}

void
postmap_mime_end(struct postmap_mime *mp)
{
    if (mp->state != MIME_BODY)
        postmap_mime_flush_header(mp);
}
