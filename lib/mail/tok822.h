/*
 * tok822 - the one address parser of Tern: RFC 5322 (822) address lists
 * as token trees, and back to text.
 *
 * Every program that reads an address from a header, an SMTP command, an
 * alias or a table uses this module (directly or through addr_parse.h).
 * The parser is permissive in the way Postfix's is: it never rejects
 * input, never throws away text it does not understand, inserts missing
 * commas between addresses, and tolerates the obsolete syntax (route
 * addresses, source routes, '%' and '!' routing, ':' inside addresses).
 *
 * Tokens (struct tok822, type):
 *   TOK822_ATOM      a run of bytes that are not white space or operators;
 *                    text is its value with backslash escapes removed
 *   TOK822_QSTRING   "quoted string"; text is the content, unescaped. An
 *                    atom whose value holds a space, a control character
 *                    or an operator (through backslash escapes) becomes a
 *                    QSTRING too, so that it is quoted when written out
 *   TOK822_COMMENT   (comment), nested comments included; text is kept in
 *                    external form, with its parentheses
 *   TOK822_DOMLIT    [domain literal]; text is the content, unescaped
 *   TOK822_ADDR      one address: its tokens are the list head..tail below
 *                    it (children have owner == the ADDR node)
 *   TOK822_STARTGRP  the ':' that starts a group ("name: a, b;")
 *   operators        one of | % ! ) < > @ , ; : . ] as the type itself
 * Inside quoted strings, domain literals and atoms every white space byte
 * (space, TAB, CR, LF) becomes a space. 8-bit bytes are ordinary text.
 *
 * The tree (from tok822_parse) is a list of top-level tokens; each address
 * is a TOK822_ADDR node whose children hold its tokens. Phrases, comments,
 * '<' and '>', group names, STARTGRP, ';' and ',' stay at the top level;
 * so do the members of a group, one ADDR each. The tree is never deeper
 * than two levels. Comments are moved out of addresses, to the right.
 * Examples (internal forms of the addresses found):
 *   Joe <joe@x>, (c) ann@y       -> joe@x, ann@y
 *   team: a@x, "b c"@y;          -> a@x, b c@y
 *   <@r1,@r2:user@d>             -> @r1,@r2:user@d
 *   John Doe                     -> John, Doe (a missing comma is added)
 *
 * Entry points:
 *   tok822_scan(str, limit, problems, &tail)   string -> flat token list
 *   tok822_parse(str, limit, problems)         string -> token tree
 *   tok822_scan_addr(str)                      string -> one ADDR node
 *   tok822_externalize(buf, list, flags)       tree -> quoted text
 *   tok822_internalize(buf, list, flags)       tree -> unquoted text
 *   tok822_grep(list, type, &count)            the top-level tokens of a type
 *   tok822_addr_set(addr, internal)            replace an address's tokens
 *   tok822_free_tree(list)                     frees a list and its children
 *   tok822_free(tp)                            frees one token (not its children)
 * (the list and tree operators live in tok822_tree.c)
 * and the list operators below, for callers that rewrite trees.
 *
 * Bounds and bad input: LIMIT (non-zero) caps the number of tokens made;
 * the rest of the input is ignored. The scan and the parse are loops, not
 * recursions, and take time linear in the input (plus the token limit).
 * Nothing aborts: oddities are reported in *problems (when not NULL) as a
 * bit mask, TOK822_ERR_*, whose first reason tok822_problem() names:
 *   TOK822_ERR_QUOTE    a quoted string without its closing '"'
 *   TOK822_ERR_COMMENT  a comment without its closing ')' (the comment
 *                       is closed, so that the text written out is sound)
 *   TOK822_ERR_DOMLIT   a domain literal without its closing ']'
 *   TOK822_ERR_ESCAPE   a backslash at the very end of the input
 *   TOK822_ERR_ANGLE    a '<' without '>' or a '>' without '<'
 *   TOK822_ERR_LIMIT    the token limit was reached; text was ignored
 * The input ends at its first NUL byte.
 *
 * Output: tok822_externalize writes tokens with white space where needed
 * (after ',' and STARTGRP, before '<', between two words outside of an
 * address; never inside an address), quoted strings with '"', '\', CR and
 * LF escaped, domain literals with '\', ']', CR and LF escaped, and each
 * ADDR from its internal form: the local part as quote_822_local writes
 * it, a source route bare only inside <> (else quoted with the local
 * part), and a domain with a backslash before any special byte outside of
 * its [literal] labels. Ordinary addresses come out as Postfix writes
 * them; unlike Postfix, odd domains and routes (`a@"b c"`) also read back
 * as the same address: parsing the output again gives the same addresses
 * and the same output (the fuzz target checks this). With
 * TOK822_STR_LINE a newline replaces the space after each top-level comma
 * (header_line_fold joins such lines again). The text written out is at
 * most about six times the input length. tok822_internalize writes the
 * same without quoting (quoted strings bare, no escapes).
 */
#ifndef TERN_TOK822_H
#define TERN_TOK822_H

#include <stddef.h>

#include "util/vstring.h"

#define TOK822_ATOM 256
#define TOK822_QSTRING 257
#define TOK822_COMMENT 258
#define TOK822_DOMLIT 259
#define TOK822_ADDR 260
#define TOK822_STARTGRP 261
#define TOK822_MINTOK TOK822_ATOM

struct tok822 {
    int type;             /* TOK822_* or an operator character */
    struct vstring *text; /* ATOM, QSTRING, COMMENT, DOMLIT; else NULL */
    struct tok822 *prev;  /* left neighbour, or NULL */
    struct tok822 *next;  /* right neighbour, or NULL */
    struct tok822 *head;  /* ADDR: first child, or NULL */
    struct tok822 *tail;  /* ADDR: last child, or NULL */
    struct tok822 *owner; /* the ADDR this token is a child of, or NULL */
};

/* Problems found while scanning or parsing. */
#define TOK822_ERR_QUOTE (1 << 0)
#define TOK822_ERR_COMMENT (1 << 1)
#define TOK822_ERR_DOMLIT (1 << 2)
#define TOK822_ERR_ESCAPE (1 << 3)
#define TOK822_ERR_ANGLE (1 << 4)
#define TOK822_ERR_LIMIT (1 << 5)

/* Flags of tok822_externalize and tok822_internalize. */
#define TOK822_STR_NONE 0
#define TOK822_STR_WIPE (1 << 0) /* empty the buffer first */
#define TOK822_STR_LINE (1 << 1) /* newline instead of a space after ',' */
#define TOK822_STR_DEFL TOK822_STR_WIPE
#define TOK822_STR_HEAD TOK822_STR_LINE

struct tok822 *tok822_alloc(int type, const char *text);
struct tok822 *tok822_scan(const char *str, size_t limit, int *problems, struct tok822 **tailp);
struct tok822 *tok822_parse(const char *str, size_t limit, int *problems);
struct tok822 *tok822_scan_addr(const char *str);
struct vstring *tok822_externalize(struct vstring *buf, const struct tok822 *list, int flags);
struct vstring *tok822_internalize(struct vstring *buf, const struct tok822 *list, int flags);
struct tok822 **tok822_grep(struct tok822 *list, int type, size_t *count);
void tok822_addr_set(struct tok822 *addr, const char *internal);
struct tok822 *tok822_free_tree(struct tok822 *list);
void tok822_free(struct tok822 *tp);
const char *tok822_problem(int problems);

/*
 * List operators. A "list" is a token and its right neighbours.
 *   tok822_append(t1, t2)     inserts list t2 after t1; returns t2's last token
 *   tok822_prepend(t1, t2)    inserts list t2 before t1; returns t2's last token
 *   tok822_cut_before(tp)     splits the list before tp; returns tp's old left neighbour
 *   tok822_cut_after(tp)      splits the list after tp; returns tp's old right neighbour
 *   tok822_unlink(tp)         takes tp out of its list; returns its old left neighbour
 *   tok822_sub_append(t1, t2) appends list t2 to t1's children; returns t2's last token
 *   tok822_sub_keep_after(t1, tp)  drops t1's children up to tp (inclusive) from t1
 *                                  and returns them as a list (free it or reuse it)
 *   tok822_find_type(list, type)   first token of TYPE at or right of list, or NULL
 *   tok822_rfind_type(tp, type)    first token of TYPE at or left of tp, or NULL
 * Inserted tokens take the owner of the token they are inserted next to.
 * A parent's head/tail are kept right only by tok822_sub_* ; after other
 * operators on children, the caller fixes head/tail.
 */
struct tok822 *tok822_append(struct tok822 *t1, struct tok822 *t2);
struct tok822 *tok822_prepend(struct tok822 *t1, struct tok822 *t2);
struct tok822 *tok822_cut_before(struct tok822 *tp);
struct tok822 *tok822_cut_after(struct tok822 *tp);
struct tok822 *tok822_unlink(struct tok822 *tp);
struct tok822 *tok822_sub_append(struct tok822 *t1, struct tok822 *t2);
struct tok822 *tok822_sub_keep_after(struct tok822 *t1, struct tok822 *tp);
struct tok822 *tok822_find_type(struct tok822 *list, int type);
struct tok822 *tok822_rfind_type(struct tok822 *tp, int type);

#endif
