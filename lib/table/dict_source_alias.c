/*
 * dict_source_alias - split one aliases(5) line "name: value" into the
 * name and the value, the way Postfix's postalias does.
 *
 * Entry point: dict_source_alias_split() (declared in dict_source.h).
 *
 * The line is cut into RFC 822 tokens: atoms, "quoted strings", (nested
 * comments), [domain literals] and the operator characters
 * ()<>@,;:\".[] plus | % !. A backslash quotes the next character. The
 * first ':' token separates name and value; there must be tokens on both
 * sides and no ',' before it, and the name must hold no '@' or '%' token.
 * The name is then written in internal form (quoted strings without their
 * quotes) and the value in external form (quoted strings quoted again,
 * atoms that hold special characters quoted), with one space between two
 * words, after each ',' and before each '<'.
 *
 * Bad input never fails here beyond the two documented refusals: an
 * unterminated quoted string, comment or literal runs to the end of the
 * line. Memory is proportional to the line length.
 */
#include <ctype.h>
#include <string.h>

#include "table/dict_source.h"
#include "util/mymalloc.h"

#define TOK_ATOM 256
#define TOK_QSTRING 257
#define TOK_COMMENT 258
#define TOK_DOMLIT 259

/* Operators: RFC 822 specials plus the ones Postfix treats alike. */
static const char alias_opchars[] = "|%!()<>@,;:\\\".[]";

struct alias_tok {
    int type;      /* TOK_* or the operator character */
    size_t offset; /* text in the scan's text buffer */
};

struct alias_scan {
    struct alias_tok *toks;
    size_t count;
    size_t size;
    struct vstring *text; /* token texts, each NUL-terminated */
};

#define IS_SPACE(c)                                                                                \
    ((c) == ' ' || (c) == '\t' || (c) == '\n' || (c) == '\r' || (c) == '\v' || (c) == '\f')
#define IS_OP(c) ((c) != 0 && strchr(alias_opchars, (c)) != NULL)
#define TOK_TEXT(scan, i) (vstring_str((scan)->text) + (scan)->toks[i].offset)

static void
alias_tok_add(struct alias_scan *scan, int type)
{
    if (scan->count == scan->size) {
        scan->size = scan->size ? scan->size * 2 : 16;
        scan->toks = myrealloc(scan->toks, scan->size * sizeof(*scan->toks));
    }
    scan->toks[scan->count].type = type;
    scan->toks[scan->count].offset = vstring_len(scan->text);
    scan->count++;
}

static void
alias_tok_end(struct alias_scan *scan)
{
    vstring_addch(scan->text, 0);
}

/* Collects a quoted string or domain literal up to CLOSE; returns the rest. */
static const char *
alias_collect_until(struct alias_scan *scan, const char *cp, int close)
{
    int ch;

    while ((ch = *(const unsigned char *)cp) != 0) {
        if (ch == '\\') {
            if ((ch = *(const unsigned char *)++cp) == 0)
                break;
        } else if (ch == close) {
            cp++;
            break;
        }
        vstring_addch(scan->text, IS_SPACE(ch) ? ' ' : ch);
        cp++;
    }
    alias_tok_end(scan);
    return cp;
}

/* Collects a (possibly nested) comment, kept in external form. */
static const char *
alias_collect_comment(struct alias_scan *scan, const char *cp)
{
    int level = 1;
    int ch;

    vstring_addch(scan->text, '(');
    while ((ch = *(const unsigned char *)cp) != 0) {
        vstring_addch(scan->text, ch);
        cp++;
        if (ch == '(') {
            level++;
        } else if (ch == ')') {
            if (--level == 0)
                break;
        } else if (ch == '\\') {
            if ((ch = *(const unsigned char *)cp) == 0)
                break;
            vstring_addch(scan->text, ch);
            cp++;
        }
    }
    alias_tok_end(scan);
    return cp;
}

/* Collects an atom; an atom that needs quotes becomes a quoted string. */
static const char *
alias_collect_atom(struct alias_scan *scan, const char *cp)
{
    size_t start = vstring_len(scan->text);
    int ch;
    const unsigned char *tp;

    while ((ch = *(const unsigned char *)cp) != 0) {
        if (ch == '\\') {
            if ((ch = *(const unsigned char *)++cp) == 0)
                break;
        } else if (IS_SPACE(ch) || IS_OP(ch)) {
            break;
        }
        vstring_addch(scan->text, IS_SPACE(ch) ? ' ' : ch);
        cp++;
    }
    for (tp = (const unsigned char *)vstring_str(scan->text) + start; *tp; tp++) {
        if (*tp == ' ' || iscntrl(*tp) || IS_OP(*tp)) {
            scan->toks[scan->count - 1].type = TOK_QSTRING;
            break;
        }
    }
    alias_tok_end(scan);
    return cp;
}

static void
alias_scan_line(struct alias_scan *scan, const char *cp)
{
    int ch;

    while ((ch = *(const unsigned char *)cp++) != 0) {
        if (IS_SPACE(ch))
            continue;
        if (ch == '(') {
            alias_tok_add(scan, TOK_COMMENT);
            cp = alias_collect_comment(scan, cp);
        } else if (ch == '[') {
            alias_tok_add(scan, TOK_DOMLIT);
            cp = alias_collect_until(scan, cp, ']');
        } else if (ch == '"') {
            alias_tok_add(scan, TOK_QSTRING);
            cp = alias_collect_until(scan, cp, '"');
        } else if (ch != '\\' && IS_OP(ch)) {
            alias_tok_add(scan, ch);
            alias_tok_end(scan);
        } else {
            alias_tok_add(scan, TOK_ATOM);
            cp = alias_collect_atom(scan, cp - 1);
        }
    }
}

static int
alias_is_word(int type)
{
    return type == TOK_ATOM || type == TOK_QSTRING || type == TOK_COMMENT || type == TOK_DOMLIT;
}

/* Is a space written between token I and the next one (before END)? */
static int
alias_space_after(const struct alias_scan *scan, size_t i, size_t end)
{
    int type;
    int next;

    if (i + 1 >= end)
        return 0;
    type = scan->toks[i].type;
    next = scan->toks[i + 1].type;
    if (type == ',' || next == '<')
        return 1;
    return alias_is_word(type) && alias_is_word(next);
}

/* Appends TEXT with a backslash before each character of SPECIALS. */
static void
alias_copy_quoted(struct vstring *out, const char *text, const char *specials)
{
    for (; *text; text++) {
        if (strchr(specials, *text) != NULL)
            vstring_addch(out, '\\');
        vstring_addch(out, *text);
    }
}

/* Writes tokens [start, end) in internal or external form. */
static void
alias_tokens_write(const struct alias_scan *scan, size_t start, size_t end, int external,
                   struct vstring *out)
{
    size_t i;

    vstring_reset(out);
    for (i = start; i < end; i++) {
        const char *text = TOK_TEXT(scan, i);

        switch (scan->toks[i].type) {
        case TOK_ATOM:
        case TOK_COMMENT:
            vstring_strcat(out, text);
            break;
        case TOK_QSTRING:
            if (!external) {
                vstring_strcat(out, text);
                break;
            }
            vstring_addch(out, '"');
            alias_copy_quoted(out, text, "\"\\\r\n");
            vstring_addch(out, '"');
            break;
        case TOK_DOMLIT:
            vstring_addch(out, '[');
            if (external)
                alias_copy_quoted(out, text, "\\\r\n");
            else
                vstring_strcat(out, text);
            vstring_addch(out, ']');
            break;
        default:
            vstring_addch(out, scan->toks[i].type);
            break;
        }
        if (alias_space_after(scan, i, end))
            vstring_addch(out, ' ');
    }
}

int
dict_source_alias_split(const char *line, struct vstring *key, struct vstring *value,
                        const char **why)
{
    struct alias_scan scan;
    size_t colon;
    size_t i;
    int status = 0;

    memset(&scan, 0, sizeof(scan));
    scan.text = vstring_alloc(strlen(line) + 16);
    alias_scan_line(&scan, line);
    for (colon = 0; colon < scan.count && scan.toks[colon].type != ':'; colon++)
        ;
    *why = NULL;
    if (colon == scan.count || colon == 0 || colon + 1 == scan.count)
        *why = "need name:value pair";
    for (i = 0; *why == NULL && i < colon; i++) {
        if (scan.toks[i].type == ',')
            *why = "need name:value pair";
    }
    for (i = 0; *why == NULL && i < colon; i++) {
        if (scan.toks[i].type == '@' || scan.toks[i].type == '%')
            *why = "name must be local";
    }
    if (*why != NULL) {
        status = -1;
    } else {
        alias_tokens_write(&scan, 0, colon, 0, key);
        alias_tokens_write(&scan, colon + 1, scan.count, 1, value);
    }
    myfree(scan.toks);
    vstring_free(scan.text);
    return status;
}
