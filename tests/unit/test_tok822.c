/*
 * test_tok822 - unit tests for the address parser (lib/mail/tok822.c).
 *
 * A table of header values, each with the externalized text, the internal
 * forms of the addresses found and the problems reported: phrases, route
 * addresses, groups (empty, unterminated), comments (nested, escaped,
 * unterminated), quoted local parts with escapes, domain literals, source
 * routes, missing brackets, missing commas, unbalanced quotes, a trailing
 * backslash, empty input, 8-bit bytes, folded input and odd domains.
 * Every entry is also parsed again from its output, which must give the
 * same addresses and the same text. Then: the token limit, the newline
 * form, address replacement, tok822_scan_addr, the list operators used
 * to strip a source route, and large inputs (deep and unterminated
 * comments, many addresses) that must finish and stay bounded.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "mail/tok822.h"
#include "util/mymalloc.h"
#include "util/vstring.h"

#define MAX_ADDRS 6

struct parse_case {
    const char *input;
    const char *external;
    const char *addrs[MAX_ADDRS]; /* NULL-terminated */
    int problems;
};

static const struct parse_case parse_cases[] = {
    {"joe@example.com", "joe@example.com", {"joe@example.com"}, 0},
    {"", "", {NULL}, 0},
    {"  \t\r\n ", "", {NULL}, 0},
    {"Joe <joe@x>, (c) ann@y", "Joe <joe@x>, ann@y (c)", {"joe@x", "ann@y"}, 0},
    {"\"Joe Q. Public\" <john.q.public@example.com>",
     "\"Joe Q. Public\" <john.q.public@example.com>",
     {"john.q.public@example.com"},
     0},
    {"Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>",
     "Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>",
     {"mary@x.test", "jdoe@example.org", "one@y.test"},
     0},
    /* groups */
    {"team: a@x, \"b c\"@y;", "team: a@x, \"b c\"@y;", {"a@x", "b c@y"}, 0},
    {"A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;",
     "A Group: Ed Jones <c@a.test>, joe@where.test, John <jdoe@one.test>;",
     {"c@a.test", "joe@where.test", "jdoe@one.test"},
     0},
    {"undisclosed-recipients:;", "undisclosed-recipients: ;", {NULL}, 0},
    {"group: a, b", "\"group:a\", b", {"group:a", "b"}, 0},
    {"a:b, G: c;", "a: b, G: c;", {"b", "c"}, 0},
    /* comments */
    {"a (x) @ b", "a@b (x)", {"a@b"}, 0},
    {"a@b (x (nested) y)", "a@b (x (nested) y)", {"a@b"}, 0},
    {"Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>",
     "Pete (A nice \\) chap) <pete@silly.test (his account) (his host)>",
     {"pete@silly.test"},
     0},
    {"a@b (abc", "a@b (abc)", {"a@b"}, TOK822_ERR_COMMENT},
    {"a@b (x (y", "a@b (x (y))", {"a@b"}, TOK822_ERR_COMMENT},
    /* quoting */
    {"\"a\\\"b\\\\c\"@x", "\"a\\\"b\\\\c\"@x", {"a\"b\\c@x"}, 0},
    {"a\\ b@x", "\"a b\"@x", {"a b@x"}, 0},
    {"\"a\"@example.com", "a@example.com", {"a@example.com"}, 0},
    {"\"a.b\"@x, \"a..b\"@x, \".a\"@x, \"a.\"@x",
     "a.b@x, \"a..b\"@x, \".a\"@x, \"a.\"@x",
     {"a.b@x", "a..b@x", ".a@x", "a.@x"},
     0},
    {"\"\"@x", "\"\"@x", {"@x"}, 0},
    {"\"abc", "abc", {"abc"}, TOK822_ERR_QUOTE},
    {"x\\", "x", {"x"}, TOK822_ERR_ESCAPE},
    /* domain literals and routes */
    {"a@[192.0.2.1]", "a@[192.0.2.1]", {"a@[192.0.2.1]"}, 0},
    {"[192.0.2.1]", "\"[192.0.2.1]\"", {"[192.0.2.1]"}, 0},
    {"a@[1.2", "a@[1.2]", {"a@[1.2]"}, TOK822_ERR_DOMLIT},
    {"<@r1,@r2:user@d>", "<@r1,@r2:user@d>", {"@r1,@r2:user@d"}, 0},
    {"@a:u@d", "\"@a:u\"@d", {"@a:u@d"}, 0},
    {"user%host@relay, host!user",
     "user%host@relay, host!user",
     {"user%host@relay", "host!user"},
     0},
    /* missing brackets and commas */
    {"John Doe", "John, Doe", {"John", "Doe"}, 0},
    {"Joe <a@b", "\"Joe<a\"@b", {"Joe<a@b"}, TOK822_ERR_ANGLE},
    {"Joe a@b>", "Joea@b>", {"Joea@b"}, TOK822_ERR_ANGLE},
    {"<a b@c>", "<ab@c>", {"ab@c"}, 0},
    {"<>", "<>", {NULL}, 0},
    {"a@b,, ,c@d", "a@b, , , c@d", {"a@b", "c@d"}, 0},
    /* 8-bit, folding, odd domains */
    {"J\xc3\xb6"
     "e <j\xc3\xb6"
     "@ex.com>",
     "J\xc3\xb6"
     "e <j\xc3\xb6"
     "@ex.com>",
     {"j\xc3\xb6"
      "@ex.com"},
     0},
    {"a@b,\r\n\tc@d", "a@b, c@d", {"a@b", "c@d"}, 0},
    {"a@\"b c\"", "a@b\\ c", {"a@b c"}, 0},
    {"x@\"a,b;c\"", "x@a\\,b\\;c", {"x@a,b;c"}, 0},
};

/* The internal forms of the top-level addresses of TREE, joined by '|'. */
static void
collect_addrs(struct vstring *out, struct tok822 *tree)
{
    struct vstring *buf = vstring_alloc(64);
    size_t count;
    struct tok822 **list = tok822_grep(tree, TOK822_ADDR, &count);
    size_t n;

    vstring_reset(out);
    for (n = 0; n < count; n++) {
        tok822_internalize(buf, list[n]->head, TOK822_STR_WIPE);
        if (n > 0)
            vstring_addch(out, '|');
        vstring_strcat(out, vstring_str(buf));
    }
    assert_null(list[count]);
    myfree(list);
    vstring_free(buf);
}

static void
join_expected(struct vstring *out, const char *const *addrs)
{
    size_t n;

    vstring_reset(out);
    for (n = 0; n < MAX_ADDRS && addrs[n] != NULL; n++) {
        if (n > 0)
            vstring_addch(out, '|');
        vstring_strcat(out, addrs[n]);
    }
}

static void
test_parse_table(void **state)
{
    struct vstring *ext = vstring_alloc(64);
    struct vstring *ext2 = vstring_alloc(64);
    struct vstring *got = vstring_alloc(64);
    struct vstring *again = vstring_alloc(64);
    struct vstring *want = vstring_alloc(64);
    const struct parse_case *pc;
    struct tok822 *tree;
    int problems;

    (void)state;
    for (pc = parse_cases; pc < parse_cases + sizeof(parse_cases) / sizeof(*pc); pc++) {
        problems = 0;
        tree = tok822_parse(pc->input, 0, &problems);
        tok822_externalize(ext, tree, TOK822_STR_WIPE);
        collect_addrs(got, tree);
        join_expected(want, pc->addrs);
        tok822_free_tree(tree);
        if (strcmp(vstring_str(ext), pc->external) != 0 ||
            strcmp(vstring_str(got), vstring_str(want)) || problems != pc->problems)
            fail_msg("input [%s]: got [%s] {%s} %d, want [%s] {%s} %d", pc->input, vstring_str(ext),
                     vstring_str(got), problems, pc->external, vstring_str(want), pc->problems);
        tree = tok822_parse(vstring_str(ext), 0, NULL);
        tok822_externalize(ext2, tree, TOK822_STR_WIPE);
        collect_addrs(again, tree);
        tok822_free_tree(tree);
        assert_string_equal(vstring_str(ext2), vstring_str(ext));
        assert_string_equal(vstring_str(again), vstring_str(got));
    }
    vstring_free(ext);
    vstring_free(ext2);
    vstring_free(got);
    vstring_free(again);
    vstring_free(want);
}

static void
test_token_types(void **state)
{
    struct tok822 *tail;
    struct tok822 *list = tok822_scan("\"q\" a\\\"b [l] (c) @ , %", 0, NULL, &tail);
    static const int want[] = {
        TOK822_QSTRING, TOK822_QSTRING, TOK822_DOMLIT, TOK822_COMMENT, '@', ',', '%'};
    struct tok822 *tp = list;
    size_t n;

    (void)state;
    for (n = 0; n < sizeof(want) / sizeof(*want); n++, tp = tp->next) {
        assert_non_null(tp);
        assert_int_equal(tp->type, want[n]);
    }
    assert_null(tp);
    assert_int_equal(tail->type, '%');
    assert_string_equal(vstring_str(list->next->text), "a\"b");
    assert_string_equal(vstring_str(list->next->next->next->text), "(c)");
    tok822_free_tree(list);
    assert_null(tok822_scan("", 0, NULL, &tail));
    assert_null(tail);
}

static void
test_token_limit(void **state)
{
    struct vstring *ext = vstring_alloc(64);
    int problems = 0;
    struct tok822 *tree = tok822_parse("a, b, c, d", 3, &problems);

    (void)state;
    tok822_externalize(ext, tree, TOK822_STR_WIPE);
    assert_string_equal(vstring_str(ext), "a, b");
    assert_int_equal(problems, TOK822_ERR_LIMIT);
    assert_string_equal(tok822_problem(problems), "too many address tokens");
    tok822_free_tree(tree);
    problems = 0;
    tree = tok822_parse("a, b", 3, &problems);
    assert_int_equal(problems, 0);
    tok822_free_tree(tree);
    assert_null(tok822_problem(0));
    assert_string_equal(tok822_problem(TOK822_ERR_QUOTE | TOK822_ERR_LIMIT), "unbalanced '\"'");
    vstring_free(ext);
}

static void
test_line_form(void **state)
{
    struct vstring *ext = vstring_alloc(64);
    struct tok822 *tree = tok822_parse("a@b, Joe <c@d>, g: e@f, h@i;", 0, NULL);

    (void)state;
    vstring_strcpy(ext, "To: ");
    tok822_externalize(ext, tree, TOK822_STR_HEAD);
    assert_string_equal(vstring_str(ext), "To: a@b,\nJoe <c@d>,\ng: e@f,\nh@i;");
    tok822_internalize(ext, tree, TOK822_STR_DEFL);
    assert_string_equal(vstring_str(ext), "a@b, Joe <c@d>, g: e@f, h@i;");
    tok822_free_tree(tree);
    vstring_free(ext);
}

static void
test_addr_set(void **state)
{
    struct vstring *ext = vstring_alloc(64);
    struct tok822 *tree = tok822_parse("Joe <joe@x> (c), ann@y", 0, NULL);
    size_t count;
    struct tok822 **addrs = tok822_grep(tree, TOK822_ADDR, &count);

    (void)state;
    assert_int_equal(count, 2);
    tok822_addr_set(addrs[0], "a b@example.com");
    tok822_addr_set(addrs[1], "@r1,@r2:u@d");
    tok822_externalize(ext, tree, TOK822_STR_DEFL);
    /* No space between an operator and a comment, as Postfix writes it. */
    assert_string_equal(vstring_str(ext), "Joe <\"a b\"@example.com>(c), \"@r1,@r2:u\"@d");
    tok822_internalize(ext, addrs[1]->head, TOK822_STR_DEFL);
    assert_string_equal(vstring_str(ext), "@r1,@r2:u@d");
    myfree(addrs);
    tok822_free_tree(tree);
    vstring_free(ext);
}

/* What trivial-rewrite does with a source route: keep what follows the ':'. */
static void
test_list_operators(void **state)
{
    struct vstring *buf = vstring_alloc(64);
    struct tok822 *addr = tok822_scan_addr("@a,@b:\"u v\"@d");
    struct tok822 *colon = tok822_find_type(addr->head, ':');
    struct tok822 *tp;

    (void)state;
    assert_non_null(colon);
    assert_ptr_equal(tok822_rfind_type(addr->tail, ':'), colon);
    assert_null(tok822_rfind_type(colon->prev, ':'));
    tok822_free_tree(tok822_sub_keep_after(addr, colon));
    tok822_internalize(buf, addr->head, TOK822_STR_DEFL);
    assert_string_equal(vstring_str(buf), "u v@d");
    for (tp = addr->head; tp != NULL; tp = tp->next)
        assert_ptr_equal(tp->owner, addr);

    /* Append "@example.com" to a bare local part, as address qualification does. */
    tok822_free_tree(addr);
    addr = tok822_scan_addr("user");
    tok822_sub_append(addr, tok822_alloc('@', NULL));
    tok822_sub_append(addr, tok822_alloc(TOK822_ATOM, "example.com"));
    tok822_externalize(buf, addr, TOK822_STR_DEFL);
    assert_string_equal(vstring_str(buf), "user@example.com");

    /* Unlink, prepend, append, cut. */
    tp = tok822_find_type(addr->head, '@');
    assert_ptr_equal(tok822_unlink(tp), addr->head);
    tok822_prepend(addr->tail, tp);
    tok822_internalize(buf, addr->head, TOK822_STR_DEFL);
    assert_string_equal(vstring_str(buf), "user@example.com");
    tok822_append(addr->tail, tok822_alloc('.', NULL));
    addr->tail = addr->tail->next;
    tok822_internalize(buf, addr->head, TOK822_STR_DEFL);
    assert_string_equal(vstring_str(buf), "user@example.com.");
    tp = tok822_cut_after(addr->head);
    assert_non_null(tp);
    assert_null(tok822_cut_before(tp));
    tok822_free_tree(tp);
    addr->tail = addr->head;
    tok822_internalize(buf, addr->head, TOK822_STR_DEFL);
    assert_string_equal(vstring_str(buf), "user");
    tok822_free_tree(addr);
    vstring_free(buf);
}

/* Large inputs finish, stay bounded and keep working. */
static void
test_large_inputs(void **state)
{
    size_t n;
    size_t big = 200000;
    char *text = mymalloc(big + 16);
    struct vstring *ext = vstring_alloc(64);
    struct tok822 *tree;
    size_t count;
    struct tok822 **addrs;
    int problems = 0;

    (void)state;
    /* a deeply nested comment, closed */
    for (n = 0; n < big / 2; n++) {
        text[n] = '(';
        text[big - 1 - n] = ')';
    }
    memcpy(text + big, " a@b", 5);
    tree = tok822_parse(text, 0, &problems);
    addrs = tok822_grep(tree, TOK822_ADDR, &count);
    assert_int_equal(count, 1);
    assert_int_equal(problems, 0);
    myfree(addrs);
    tok822_free_tree(tree);

    /* an unterminated one: closed on output */
    memset(text, '(', big);
    text[big] = 0;
    tree = tok822_parse(text, 0, &problems);
    tok822_externalize(ext, tree, TOK822_STR_DEFL);
    assert_int_equal(vstring_len(ext), 2 * big);
    assert_int_equal(problems, TOK822_ERR_COMMENT);
    tok822_free_tree(tree);

    /* many addresses, and the token limit */
    for (n = 0; n + 2 <= big; n += 2) {
        text[n] = 'a';
        text[n + 1] = ',';
    }
    text[n] = 0;
    tree = tok822_parse(text, 0, NULL);
    addrs = tok822_grep(tree, TOK822_ADDR, &count);
    assert_int_equal(count, big / 2);
    myfree(addrs);
    tok822_free_tree(tree);
    problems = 0;
    tree = tok822_parse(text, 10240, &problems);
    addrs = tok822_grep(tree, TOK822_ADDR, &count);
    assert_int_equal(count, 5120);
    assert_int_equal(problems, TOK822_ERR_LIMIT);
    myfree(addrs);
    tok822_free_tree(tree);

    /* many words without commas: one address each */
    for (n = 0; n + 2 <= big; n += 2) {
        text[n] = 'w';
        text[n + 1] = ' ';
    }
    tree = tok822_parse(text, 0, NULL);
    addrs = tok822_grep(tree, TOK822_ADDR, &count);
    assert_int_equal(count, big / 2);
    myfree(addrs);
    tok822_free_tree(tree);
    myfree(text);
    vstring_free(ext);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_table),  cmocka_unit_test(test_token_types),
        cmocka_unit_test(test_token_limit),  cmocka_unit_test(test_line_form),
        cmocka_unit_test(test_addr_set),     cmocka_unit_test(test_list_operators),
        cmocka_unit_test(test_large_inputs),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
