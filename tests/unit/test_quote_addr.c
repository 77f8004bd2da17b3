/*
 * test_quote_addr - unit tests for lib/mail/quote_addr.c.
 *
 * A table of internal-form addresses with their RFC 5322 and RFC 5321
 * external forms: dot-strings, empty local parts, leading, trailing and
 * double dots, every special, spaces, control and 8-bit bytes (with and
 * without QUOTE_FLAG_8BITCLEAN), '@' in the local part (with and without
 * QUOTE_FLAG_EXPOSE_AT), source routes, addresses without a domain and
 * the null sender. Each is also unquoted back. Then: a table of external
 * forms to unquote (escapes, unterminated quotes, quoted domains, a
 * trailing backslash), QUOTE_FLAG_APPEND, QUOTE_FLAG_BARE_LOCALPART and
 * quote_822_local_part.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "mail/quote_addr.h"
#include "util/vstring.h"

struct quote_case {
    const char *internal;
    int flags;
    const char *ext822;
    const char *ext821;
};

static const struct quote_case quote_cases[] = {
    {"user@example.com", QUOTE_FLAG_DEFAULT, "user@example.com", "user@example.com"},
    {"first.last+tag@example.com", 0, "first.last+tag@example.com", "first.last+tag@example.com"},
    {"user", 0, "user", "user"},
    {"a b@x", 0, "\"a b\"@x", "\"a b\"@x"},
    {"a b", 0, "\"a b\"", "\"a b\""},
    {"", 0, "\"\"", ""},
    {"@x", 0, "\"\"@x", "\"\"@x"},
    {".a@x", 0, "\".a\"@x", "\".a\"@x"},
    {"a.@x", 0, "\"a.\"@x", "\"a.\"@x"},
    {"a..b@x", 0, "\"a..b\"@x", "\"a..b\"@x"},
    {"a\"b@x", 0, "\"a\\\"b\"@x", "\"a\\\"b\"@x"},
    {"a\\b@x", 0, "\"a\\\\b\"@x", "\"a\\\\b\"@x"},
    {"a(b@x", 0, "\"a(b\"@x", "\"a(b\"@x"},
    {"a)b@x", 0, "\"a)b\"@x", "\"a)b\"@x"},
    {"a<b@x", 0, "\"a<b\"@x", "\"a<b\"@x"},
    {"a>b@x", 0, "\"a>b\"@x", "\"a>b\"@x"},
    {"a,b@x", 0, "\"a,b\"@x", "\"a,b\"@x"},
    {"a;b@x", 0, "\"a;b\"@x", "\"a;b\"@x"},
    {"a:b@x", 0, "\"a:b\"@x", "\"a:b\"@x"},
    {"a[b@x", 0, "\"a[b\"@x", "\"a[b\"@x"},
    {"a]b@x", 0, "\"a]b\"@x", "\"a]b\"@x"},
    {"a%b!c|d#e=f/g@x", 0, "a%b!c|d#e=f/g@x", "a%b!c|d#e=f/g@x"},
    {"a\tb@x", 0, "\"a\tb\"@x", "\"a\tb\"@x"},
    {"a\rb@x", 0, "\"a\\\rb\"@x", "\"a\\\rb\"@x"},
    {"a\001b@x", 0, "\"a\001b\"@x", "\"a\001b\"@x"},
    {"a@b@c", 0, "\"a@b\"@c", "\"a@b\"@c"},
    {"a@b@c", QUOTE_FLAG_EXPOSE_AT, "a@b@c", "a@b@c"},
    {"j\303\266@x", QUOTE_FLAG_8BITCLEAN, "j\303\266@x", "j\303\266@x"},
    {"j\303\266@x", 0, "\"j\\\303\\\266\"@x", "\"j\303\266\"@x"},
    {"@r1,@r2:u v@d", 0, "@r1,@r2:\"u v\"@d", "\"@r1,@r2:u v\"@d"},
    {"@r1,@r2:user@d", 0, "@r1,@r2:user@d", "\"@r1,@r2:user\"@d"},
    {"a@\"b c\"", 0, "a@\"b c\"", "a@\"b c\""},
};

static void
test_quote_table(void **state)
{
    struct vstring *buf = vstring_alloc(16);
    struct vstring *back = vstring_alloc(16);
    const struct quote_case *qc;

    (void)state;
    for (qc = quote_cases; qc < quote_cases + sizeof(quote_cases) / sizeof(*qc); qc++) {
        quote_822_local(buf, qc->internal, qc->flags);
        if (strcmp(vstring_str(buf), qc->ext822) != 0)
            fail_msg("822 [%s]: got [%s], want [%s]", qc->internal, vstring_str(buf), qc->ext822);
        if (qc->internal[0] != 0) {
            unquote_822_local(back, vstring_str(buf));
            assert_string_equal(vstring_str(back), qc->internal);
        }
        quote_821_local(buf, qc->internal, qc->flags);
        if (strcmp(vstring_str(buf), qc->ext821) != 0)
            fail_msg("821 [%s]: got [%s], want [%s]", qc->internal, vstring_str(buf), qc->ext821);
        unquote_822_local(back, vstring_str(buf));
        assert_string_equal(vstring_str(back), qc->internal);
    }
    vstring_free(buf);
    vstring_free(back);
}

struct unquote_case {
    const char *external;
    const char *internal;
};

static const struct unquote_case unquote_cases[] = {
    {"user@example.com", "user@example.com"},
    {"\"a b\"@x", "a b@x"},
    {"\"a\\\"b\"@x", "a\"b@x"},
    {"a\\ b@x", "a b@x"},
    {"\"a@b\"@c", "a@b@c"},
    {"@r:\"u v\"@d", "@r:u v@d"},
    {"a@\"b c\"", "a@\"b c\""},
    {"\"unterminated@x", "unterminated@x"},
    {"a\\", "a"},
    {"\"\"", ""},
    {"", ""},
};

static void
test_unquote_table(void **state)
{
    struct vstring *buf = vstring_alloc(16);
    const struct unquote_case *uc;

    (void)state;
    for (uc = unquote_cases; uc < unquote_cases + sizeof(unquote_cases) / sizeof(*uc); uc++) {
        unquote_822_local(buf, uc->external);
        if (strcmp(vstring_str(buf), uc->internal) != 0)
            fail_msg("[%s]: got [%s], want [%s]", uc->external, vstring_str(buf), uc->internal);
    }
    vstring_free(buf);
}

static void
test_quote_flags(void **state)
{
    struct vstring *buf = vstring_alloc(16);

    (void)state;
    vstring_strcpy(buf, "To: ");
    quote_822_local(buf, "a b@x", QUOTE_FLAG_APPEND);
    assert_string_equal(vstring_str(buf), "To: \"a b\"@x");
    vstring_strcpy(buf, "<");
    quote_821_local(buf, "a@x", QUOTE_FLAG_APPEND);
    assert_string_equal(vstring_str(buf), "<a@x");
    quote_822_local(buf, "a@b", QUOTE_FLAG_BARE_LOCALPART);
    assert_string_equal(vstring_str(buf), "\"a@b\"");
    quote_821_local(buf, "a.b", QUOTE_FLAG_BARE_LOCALPART);
    assert_string_equal(vstring_str(buf), "a.b");
    quote_822_local_part(buf, "@x:y", 4, 0);
    assert_string_equal(vstring_str(buf), "\"@x:y\"");
    quote_822_local_part(buf, "ab", 1, QUOTE_FLAG_APPEND);
    assert_string_equal(vstring_str(buf), "\"@x:y\"a");
    vstring_free(buf);
}

static void
test_dot_string(void **state)
{
    static const char *good[] = {"a", "a.b", "a.b.c", "!#$%&'*+-/=?^_`{|}~", NULL};
    static const char *bad[] = {"", ".", "a.", ".a", "a..b", "a b", "a\"b", "\177", NULL};
    const char **cpp;

    (void)state;
    for (cpp = good; *cpp; cpp++)
        assert_true(quote_local_is_dot_string(*cpp, *cpp + strlen(*cpp), 0));
    for (cpp = bad; *cpp; cpp++)
        assert_false(quote_local_is_dot_string(*cpp, *cpp + strlen(*cpp), 0));
    assert_false(quote_local_is_dot_string("\303\266", "\303\266" + 2, 0));
    assert_true(quote_local_is_dot_string("\303\266", "\303\266" + 2, QUOTE_FLAG_8BITCLEAN));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quote_table),
        cmocka_unit_test(test_unquote_table),
        cmocka_unit_test(test_quote_flags),
        cmocka_unit_test(test_dot_string),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
