/*
 * tok822 - RFC 5322 address lists as token trees; see tok822.h for the
 * token types, the tree shape, the bounds and the problem codes.
 *
 * Scanning goes left to right and makes a flat list of tokens. Parsing
 * then walks that list from right to left between two sentinel tokens
 * (type 0), and clusters the tokens of each address under a TOK822_ADDR
 * node. The state of the walk is DO_WORD (a word here starts a new
 * address: nothing but operators since the last address) and DO_GROUP (a
 * ';' was seen, so a ':' to its left starts a group). Between the current
 * token and "right" lie the tokens of the address being collected:
 *   comment      moved to the right end of the address being collected
 *   ';'          the end of a group; text after it becomes an address
 *   ':'          after a ';': the start of the group (STARTGRP); the group
 *                name to its left is skipped up to the previous ','
 *   '>'          a route address: the text after '>' becomes an address,
 *                the text between '<' and '>' the address; the phrase to
 *                the left is skipped up to one of > ; , :
 *   word         when the previous token was a word too, a comma is
 *                inserted: the word to the right is an address of its own
 *   ','          the end of an address
 * Every token is visited a bounded number of times, so parsing is linear.
 */
#include <string.h>

#include "mail/quote_addr.h"
#include "mail/tok822.h"
#include "util/msg.h"
#include "util/mymalloc.h"

/* Operator characters: RFC 822 specials plus '|', '%' and '!'. */
static const char tok822_opchars[] = "|%!()<>@,;:\\\".[]";

#define TOK822_DO_WORD (1 << 0)
#define TOK822_DO_GROUP (1 << 1)

static int
tok822_is_space(int ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

static int
tok822_is_opchar(int ch)
{
    return ch != 0 && strchr(tok822_opchars, ch) != NULL;
}

static int
tok822_is_text(int type)
{
    return type == TOK822_ATOM || type == TOK822_QSTRING || type == TOK822_COMMENT ||
           type == TOK822_DOMLIT;
}

struct tok822 *
tok822_alloc(int type, const char *text)
{
    struct tok822 *tp = mycalloc(1, sizeof(*tp));

    tp->type = type;
    if (tok822_is_text(type)) {
        tp->text = vstring_alloc(text ? strlen(text) + 1 : 16);
        if (text)
            vstring_strcpy(tp->text, text);
    }
    return tp;
}

void
tok822_free(struct tok822 *tp)
{
    if (tp->text)
        vstring_free(tp->text);
    myfree(tp);
}

/* ---------------------------------------------------------------- scanning */

/*
 * Collects the body of a quoted string or domain literal up to the
 * unescaped STOP byte; returns the input after it. Without STOP, sets ERR.
 */
static const char *
tok822_collect_quoted(struct vstring *text, const char *cp, int stop, int *problems, int err)
{
    int ch;

    while ((ch = *(const unsigned char *)cp) != 0) {
        if (ch == '\\') {
            if (cp[1] == 0) {
                *problems |= TOK822_ERR_ESCAPE;
                cp++;
                break;
            }
            ch = *(const unsigned char *)++cp;
        } else if (ch == stop) {
            return cp + 1;
        }
        vstring_addch(text, tok822_is_space(ch) ? ' ' : ch);
        cp++;
    }
    *problems |= err;
    return cp;
}

/* Collects an atom: bytes up to white space or an unescaped operator. */
static const char *
tok822_collect_atom(struct vstring *text, const char *cp, int *problems)
{
    int ch;

    while ((ch = *(const unsigned char *)cp) != 0) {
        if (ch == '\\') {
            if (cp[1] == 0) {
                *problems |= TOK822_ERR_ESCAPE;
                return cp + 1;
            }
            ch = *(const unsigned char *)++cp;
        } else if (tok822_is_space(ch) || tok822_is_opchar(ch)) {
            break;
        }
        vstring_addch(text, tok822_is_space(ch) ? ' ' : ch);
        cp++;
    }
    return cp;
}

/* An atom whose value could not be written bare becomes a quoted string. */
static int
tok822_atom_type(const struct vstring *text)
{
    const unsigned char *cp = (const unsigned char *)vstring_str(text);
    size_t n;

    for (n = 0; n < vstring_len(text); n++)
        if (cp[n] == ' ' || cp[n] < 32 || cp[n] == 127 || tok822_is_opchar(cp[n]))
            return TOK822_QSTRING;
    return TOK822_ATOM;
}

/*
 * Collects a comment (after its '(') in external form, nested comments
 * included. An unterminated comment is closed; a final lone '\' dropped.
 */
static const char *
tok822_collect_comment(struct vstring *text, const char *cp, int *problems)
{
    size_t level = 1;
    int ch;

    vstring_addch(text, '(');
    while ((ch = *(const unsigned char *)cp) != 0) {
        cp++;
        if (ch == '\\') {
            if (*cp == 0) {
                *problems |= TOK822_ERR_ESCAPE;
                break;
            }
            vstring_addch(text, ch);
            vstring_addch(text, *cp++);
            continue;
        }
        vstring_addch(text, ch);
        if (ch == '(') {
            level++;
        } else if (ch == ')' && --level == 0) {
            return cp;
        }
    }
    *problems |= TOK822_ERR_COMMENT;
    while (level-- > 0)
        vstring_addch(text, ')');
    return cp;
}

/* Makes the token that starts at *cpp; advances *cpp past it. */
static struct tok822 *
tok822_scan_one(const char **cpp, int *problems)
{
    const char *cp = *cpp;
    int ch = *(const unsigned char *)cp;
    struct tok822 *tp;

    if (ch == '(') {
        tp = tok822_alloc(TOK822_COMMENT, NULL);
        cp = tok822_collect_comment(tp->text, cp + 1, problems);
    } else if (ch == '[') {
        tp = tok822_alloc(TOK822_DOMLIT, NULL);
        cp = tok822_collect_quoted(tp->text, cp + 1, ']', problems, TOK822_ERR_DOMLIT);
    } else if (ch == '"') {
        tp = tok822_alloc(TOK822_QSTRING, NULL);
        cp = tok822_collect_quoted(tp->text, cp + 1, '"', problems, TOK822_ERR_QUOTE);
    } else if (ch != '\\' && tok822_is_opchar(ch)) {
        tp = tok822_alloc(ch, NULL);
        cp++;
    } else {
        tp = tok822_alloc(TOK822_ATOM, NULL);
        cp = tok822_collect_atom(tp->text, cp, problems);
        tp->type = tok822_atom_type(tp->text);
    }
    *cpp = cp;
    return tp;
}

struct tok822 *
tok822_scan(const char *str, size_t limit, int *problems, struct tok822 **tailp)
{
    struct tok822 *head = NULL;
    struct tok822 *tail = NULL;
    struct tok822 *tp;
    size_t count = 0;
    size_t angle_depth = 0;
    int junk = 0;

    if (problems == NULL)
        problems = &junk;
    for (;;) {
        while (tok822_is_space(*(const unsigned char *)str))
            str++;
        if (*str == 0)
            break;
        if (limit > 0 && count >= limit) {
            *problems |= TOK822_ERR_LIMIT;
            break;
        }
        tp = tok822_scan_one(&str, problems);
        count++;
        if (tp->type == '<') {
            angle_depth++;
        } else if (tp->type == '>') {
            if (angle_depth == 0)
                *problems |= TOK822_ERR_ANGLE;
            else
                angle_depth--;
        }
        if (head == NULL) {
            head = tp;
        } else {
            tail->next = tp;
            tp->prev = tail;
        }
        tail = tp;
    }
    if (angle_depth > 0)
        *problems |= TOK822_ERR_ANGLE;
    if (tailp)
        *tailp = tail;
    return head;
}

/* ----------------------------------------------------------------- parsing */

/*
 * Clusters the tokens strictly between LEFT and RIGHT under a new ADDR
 * node; with SYNC, also inserts a ',' between LEFT and the node. Returns LEFT.
 */
static struct tok822 *
tok822_cluster(struct tok822 *left, struct tok822 *right, int sync)
{
    struct tok822 *first = left->next;
    struct tok822 *last;
    struct tok822 *node;
    struct tok822 *comma;
    struct tok822 *tp;

    if (left == right || first == right || first == NULL)
        return left;
    last = right->prev;
    node = tok822_alloc(TOK822_ADDR, NULL);
    node->head = first;
    node->tail = last;
    first->prev = NULL;
    last->next = NULL;
    for (tp = first; tp != NULL; tp = tp->next)
        tp->owner = node;
    left->next = node;
    node->prev = left;
    node->next = right;
    right->prev = node;
    if (sync) {
        comma = tok822_alloc(sync, NULL);
        comma->next = node;
        comma->prev = left;
        left->next = comma;
        node->prev = comma;
    }
    return left;
}

/* Moves comment TP to just before RIGHT; returns TP's old left neighbour. */
static struct tok822 *
tok822_move_comment(struct tok822 *tp, struct tok822 **right)
{
    struct tok822 *prev = tok822_unlink(tp);

    tp->prev = (*right)->prev;
    tp->next = *right;
    if (tp->prev)
        tp->prev->next = tp;
    (*right)->prev = tp;
    *right = tp;
    return prev;
}

/* Does the phrase before a route address end at this token? */
static int
tok822_ends_phrase(int type)
{
    return type == 0 || type == '>' || type == ';' || type == ',' || type == ':';
}

/* Handles "phrase <route-addr>" ending at '>' TP; returns the token to go on with. */
static struct tok822 *
tok822_parse_route(struct tok822 *tp, struct tok822 **right)
{
    *right = tok822_cluster(tp, *right, ',');
    while (tp->type != 0 && tp->type != '<') {
        if (tp->type == TOK822_COMMENT)
            tp = tok822_move_comment(tp, right);
        else
            tp = tp->prev;
    }
    tok822_cluster(tp, *right, 0);
    while (!tok822_ends_phrase(tp->type))
        tp = tp->prev;
    *right = tp;
    return tp;
}

/* The right-to-left walk over the tokens before sentinel TAIL (after a sentinel head). */
static void
tok822_parse_walk(struct tok822 *tail)
{
    struct tok822 *right = tail;
    struct tok822 *tp = tail->prev;
    int state = TOK822_DO_WORD;

    while (tp->type != 0) {
        if (tp->type == TOK822_COMMENT) {
            tp = tok822_move_comment(tp, &right);
            continue;
        } else if (tp->type == ';') {
            right = tok822_cluster(tp, right, ',');
            state = TOK822_DO_GROUP | TOK822_DO_WORD;
        } else if (tp->type == ':' && (state & TOK822_DO_GROUP) != 0) {
            tp->type = TOK822_STARTGRP;
            tok822_cluster(tp, right, 0);
            while (tp->type != 0 && tp->type != ',')
                tp = tp->prev;
            right = tp;
            continue;
        } else if (tp->type == '>') {
            tp = tok822_parse_route(tp, &right);
            state |= TOK822_DO_WORD;
            continue;
        } else if (tp->type == TOK822_ATOM || tp->type == TOK822_QSTRING ||
                   tp->type == TOK822_DOMLIT) {
            if ((state & TOK822_DO_WORD) == 0)
                right = tok822_cluster(tp, right, ',')->next;
            state &= ~TOK822_DO_WORD;
        } else if (tp->type == ',') {
            right = tok822_cluster(tp, right, 0);
            state |= TOK822_DO_WORD;
        } else {
            state |= TOK822_DO_WORD;
        }
        tp = tp->prev;
    }
    tok822_cluster(tp, right, 0);
}

struct tok822 *
tok822_parse(const char *str, size_t limit, int *problems)
{
    struct tok822 *first;
    struct tok822 *last;
    struct tok822 *head;
    struct tok822 *tail;
    struct tok822 *result;

    if ((first = tok822_scan(str, limit, problems, &last)) == NULL)
        return NULL;
    head = tok822_alloc(0, NULL);
    tail = tok822_alloc(0, NULL);
    head->next = first;
    first->prev = head;
    last->next = tail;
    tail->prev = last;
    tok822_parse_walk(tail);
    result = head->next != tail ? head->next : NULL;
    if (result)
        result->prev = NULL;
    if (tail->prev)
        tail->prev->next = NULL;
    tok822_free(head);
    tok822_free(tail);
    return result;
}

struct tok822 *
tok822_scan_addr(const char *str)
{
    struct tok822 *addr = tok822_alloc(TOK822_ADDR, NULL);
    struct tok822 *list = tok822_scan(str, 0, NULL, NULL);

    if (list)
        tok822_sub_append(addr, list);
    return addr;
}

/* ------------------------------------------------------------------ output */

/* Is a space needed after TP? Never inside an address. */
static int
tok822_space_after(const struct tok822 *tp)
{
    const struct tok822 *next = tp->next;

    if (next == NULL || tp->owner != NULL)
        return 0;
    if (tp->type == ',' || tp->type == TOK822_STARTGRP || next->type == '<')
        return 1;
    return (tok822_is_text(tp->type) || tp->type == TOK822_ADDR) &&
           (tok822_is_text(next->type) || next->type == TOK822_ADDR);
}

/*
 * Writing an address. Postfix writes the internal form through
 * quote_822_local, which leaves the domain and a source route alone; a
 * domain or route that holds specials would then read back as different
 * addresses. Here such bytes get a backslash (which the scanner removes
 * again), and a route is written bare only when it is well formed and
 * inside <> (elsewhere it is quoted with the local part). So every address
 * reads back with the same internal form (TAB, CR and LF aside, which the
 * scanner turns into spaces); ordinary addresses come out exactly as in
 * Postfix.
 */

/* Bytes that separate the labels of a domain (operators inside an address). */
static const char tok822_label_stops[] = ".%!|";

/* May this byte of a domain label be written bare? */
static int
tok822_label_char(int ch)
{
    return ch > 32 && ch != 127 && !tok822_is_opchar(ch);
}

/*
 * Length of the domain literal label at CP: a well-formed [...] (no '[',
 * ']', '\\' or line break inside) followed by a label stop, a byte of
 * ENDS, or the end of the text; otherwise 0.
 */
static size_t
tok822_literal_label(const char *cp, const char *ends)
{
    size_t n;

    if (*cp != '[')
        return 0;
    for (n = 1; cp[n] != 0 && strchr("[]\\\t\r\n", cp[n]) == NULL; n++)
        continue;
    if (cp[n] != ']')
        return 0;
    n++;
    if (cp[n] == 0 || strchr(tok822_label_stops, cp[n]) != NULL || strchr(ends, cp[n]) != NULL)
        return n;
    return 0;
}

/*
 * Length of a well-formed source route "@d,@d:" at the start of ADDR, or
 * 0. Written bare only inside <>: elsewhere its ':' could start a group.
 */
static size_t
tok822_route_len(const char *addr)
{
    size_t n = 0;
    size_t lit;

    while (addr[n] == '@') {
        for (n++; /* void */; n++) {
            if ((lit = tok822_literal_label(addr + n, ",:")) > 0)
                n += lit;
            else
                while (tok822_label_char((unsigned char)addr[n]))
                    n++;
            if (addr[n] == 0 || strchr(tok822_label_stops, addr[n]) == NULL)
                break;
        }
        if (addr[n] == ':')
            return n + 1;
        if (addr[n] != ',')
            return 0;
        n++;
    }
    return 0;
}

/* Appends the domain CP: literal labels bare, other labels with '\\' where needed. */
static void
tok822_write_domain(struct vstring *buf, const char *cp)
{
    size_t lit;

    while (*cp != 0) {
        if ((lit = tok822_literal_label(cp, "")) > 0) {
            vstring_memcat(buf, cp, lit);
            cp += lit;
        } else {
            for (; *cp != 0 && strchr(tok822_label_stops, *cp) == NULL; cp++) {
                if (!tok822_label_char((unsigned char)*cp))
                    vstring_addch(buf, '\\');
                vstring_addch(buf, *cp);
            }
        }
        if (*cp != 0)
            vstring_addch(buf, *cp++);
    }
}

/* Appends internal address ADDR in external form. */
static void
tok822_quote_addr(struct vstring *buf, const char *addr, int bracketed)
{
    size_t route = addr[0] == '@' && bracketed ? tok822_route_len(addr) : 0;
    const char *start = addr + route;
    const char *at = strrchr(start, '@');
    const char *end = at ? at : start + strlen(start);

    vstring_memcat(buf, addr, route);
    quote_822_local_part(buf, start, (size_t)(end - start),
                         QUOTE_FLAG_8BITCLEAN | QUOTE_FLAG_APPEND);
    if (at != NULL) {
        vstring_addch(buf, '@');
        tok822_write_domain(buf, at + 1);
    }
}

/* Appends TEXT with a backslash before each byte of SPECIALS. */
static void
tok822_copy_escaped(struct vstring *buf, const struct vstring *text, const char *specials)
{
    const char *cp = vstring_str(text);
    size_t n;

    for (n = 0; n < vstring_len(text); n++) {
        if (cp[n] != 0 && strchr(specials, cp[n]) != NULL)
            vstring_addch(buf, '\\');
        vstring_addch(buf, cp[n]);
    }
}

/* Writes one token; QUOTE selects the external form. */
static void
tok822_write_one(struct vstring *buf, const struct tok822 *tp, int quote, int depth)
{
    struct vstring *tmp;

    switch (tp->type) {
    case TOK822_ADDR:
        if (!quote) {
            if (depth > 2)
                msg_panic("tok822_write_one: address tree too deep");
            for (tp = tp->head; tp != NULL; tp = tp->next)
                tok822_write_one(buf, tp, 0, depth + 1);
            break;
        }
        tmp = vstring_alloc(64);
        tok822_internalize(tmp, tp->head, TOK822_STR_WIPE);
        tok822_quote_addr(buf, vstring_str(tmp),
                          tp->prev && tp->prev->type == '<' && tp->next && tp->next->type == '>');
        vstring_free(tmp);
        break;
    case TOK822_ATOM:
    case TOK822_COMMENT:
        vstring_memcat(buf, vstring_str(tp->text), vstring_len(tp->text));
        break;
    case TOK822_QSTRING:
        if (quote)
            vstring_addch(buf, '"');
        if (quote)
            tok822_copy_escaped(buf, tp->text, "\"\\\r\n");
        else
            vstring_memcat(buf, vstring_str(tp->text), vstring_len(tp->text));
        if (quote)
            vstring_addch(buf, '"');
        break;
    case TOK822_DOMLIT:
        vstring_addch(buf, '[');
        if (quote)
            tok822_copy_escaped(buf, tp->text, "\\]\r\n");
        else
            vstring_memcat(buf, vstring_str(tp->text), vstring_len(tp->text));
        vstring_addch(buf, ']');
        break;
    case TOK822_STARTGRP:
        vstring_addch(buf, ':');
        break;
    default:
        if (tp->type <= 0 || tp->type >= TOK822_MINTOK)
            msg_panic("tok822_write_one: unknown token type %d", tp->type);
        vstring_addch(buf, tp->type);
        break;
    }
}

static struct vstring *
tok822_write(struct vstring *buf, const struct tok822 *list, int flags, int quote)
{
    const struct tok822 *tp;

    if (flags & TOK822_STR_WIPE)
        vstring_reset(buf);
    for (tp = list; tp != NULL; tp = tp->next) {
        tok822_write_one(buf, tp, quote, 1);
        if (tp->type == ',' && tp->owner == NULL && (flags & TOK822_STR_LINE)) {
            vstring_addch(buf, '\n');
            continue;
        }
        if (tok822_space_after(tp))
            vstring_addch(buf, ' ');
    }
    return buf;
}

struct vstring *
tok822_externalize(struct vstring *buf, const struct tok822 *list, int flags)
{
    return tok822_write(buf, list, flags, 1);
}

struct vstring *
tok822_internalize(struct vstring *buf, const struct tok822 *list, int flags)
{
    return tok822_write(buf, list, flags, 0);
}

void
tok822_addr_set(struct tok822 *addr, const char *internal)
{
    struct vstring *quoted = vstring_alloc(64);
    struct tok822 *list;

    if (addr->type != TOK822_ADDR)
        msg_panic("tok822_addr_set: token type %d is not an address", addr->type);
    tok822_free_tree(addr->head);
    addr->head = addr->tail = NULL;
    tok822_quote_addr(quoted, internal, 1);
    if ((list = tok822_scan(vstring_str(quoted), 0, NULL, NULL)) != NULL)
        tok822_sub_append(addr, list);
    vstring_free(quoted);
}

const char *
tok822_problem(int problems)
{
    if (problems & TOK822_ERR_QUOTE)
        return "unbalanced '\"'";
    if (problems & TOK822_ERR_COMMENT)
        return "unbalanced '('";
    if (problems & TOK822_ERR_DOMLIT)
        return "unbalanced '['";
    if (problems & TOK822_ERR_ESCAPE)
        return "'\\' at end of input";
    if (problems & TOK822_ERR_ANGLE)
        return "unbalanced '<' or '>'";
    if (problems & TOK822_ERR_LIMIT)
        return "too many address tokens";
    return NULL;
}
