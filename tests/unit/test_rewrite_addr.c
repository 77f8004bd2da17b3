/*
 * test_rewrite_addr - table-driven tests of lib/mail/rewrite_addr: each
 * case is main.cf settings, a rule ("local" or "remote"), an address in
 * internal form and the expected result in internal form. The expected
 * values follow trivial-rewrite(8) and postconf(5) (myorigin, mydomain,
 * append_at_myorigin, append_dot_mydomain, swap_bangpath,
 * allow_percent_hack, remote_header_rewrite_domain) and were checked
 * against Postfix 3.7's trivial-rewrite on the same settings.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "config/mail_conf.h"
#include "config/mail_params.h"
#include "mail/rewrite_addr.h"
#include "util/mymalloc.h"
#include "util/vstring.h"
#include "conf_test_helpers.h"

/* Settings every case starts from. */
#define BASE "myhostname=host.example.com|mydomain=example.com|compatibility_level=3.6"

/* Postfix < 3.0 style: append .$mydomain, origin is the domain. */
#define OLD BASE "|append_dot_mydomain=yes|myorigin=example.com"
#define NOSWAP OLD "|swap_bangpath=no|allow_percent_hack=no"
#define REMOTE BASE "|remote_header_rewrite_domain=domain.invalid"
#define REMOTE_DOT REMOTE "|append_dot_mydomain=yes"

struct rewrite_case {
    const char *settings; /* name=value|name=value... */
    const char *rule;
    const char *input;
    const char *expect;
};

static const struct rewrite_case cases[] = {
    /* append_at_myorigin, myorigin (default $myhostname) */
    {BASE, "local", "user", "user@host.example.com"},
    {BASE "|myorigin=example.com", "local", "user", "user@example.com"},
    {BASE "|append_at_myorigin=no", "local", "user", "user"},
    {BASE, "local", "MAILER-DAEMON", "MAILER-DAEMON@host.example.com"},
    /* append_dot_mydomain: no by default at compatibility level 3.6 */
    {BASE, "local", "user@host", "user@host"},
    {OLD, "local", "user@host", "user@host.example.com"},
    {OLD, "local", "user@host.sub", "user@host.sub"},
    {OLD, "local", "user@[1.2.3.4]", "user@[1.2.3.4]"},
    {OLD, "local", "user", "user@example.com"},
    {OLD, "local", "u@", "u@"},
    {OLD, "local", "a b@x", "a b@x.example.com"},
    /* swap_bangpath: the first '!' only, and only without '@' */
    {BASE, "local", "a!b!user", "b!user@a"},
    {BASE, "local", "a!b", "b@a"},
    {OLD, "local", "a!b", "b@a.example.com"},
    {BASE, "local", "!user", "user@"},
    {BASE, "local", "a!b@c", "a!b@c"},
    {NOSWAP, "local", "a!b", "a!b@example.com"},
    /* allow_percent_hack: the last '%' only, and only without '@' */
    {BASE, "local", "u%d1%d2", "u%d1@d2"},
    {BASE, "local", "u%d", "u@d"},
    {BASE, "local", "a%b@c", "a%b@c"},
    {NOSWAP, "local", "u%d", "u%d@example.com"},
    {BASE "|swap_bangpath=yes", "local", "a!u%d", "u%d@a"},
    /* source routes */
    {BASE, "local", "@r1,@r2:u@d", "u@d"},
    {BASE, "local", "@r1:u", "u@host.example.com"},
    {OLD, "local", "@r1,@r2:u@d", "u@d.example.com"},
    /* empty address; "@" in internal form is an empty local part and domain */
    {BASE, "local", "", ""},
    {BASE, "local", "@", "@"},
    {REMOTE, "remote", "", ""},
    /* trailing dots */
    {BASE, "local", "user@host.", "user@host"},
    {BASE, "local", "user@host..", "user@host.."},
    {BASE, "local", "user@.", "user@."},
    /* quoted local parts keep their operators */
    {BASE, "local", "a@b@c", "a@b@c"},
    {BASE, "local", "x@y@z", "x@y@z"},
    {BASE, "local", "a b", "a b@host.example.com"},
    {BASE, "local", "u@[ipv6:::1]", "u@[ipv6:::1]"},
    /* remote context: $remote_header_rewrite_domain, or nothing */
    {BASE, "remote", "user", "user"},
    {BASE, "remote", "user@host", "user@host"},
    {REMOTE, "remote", "user", "user@domain.invalid"},
    {REMOTE, "remote", "user@host", "user@host"},
    {REMOTE_DOT, "remote", "user@host", "user@host.domain.invalid"},
    {REMOTE_DOT, "local", "user@host", "user@host.example.com"},
    {REMOTE, "remote", "a!b", "b@a"},
    {REMOTE, "remote", "u%d", "u@d"},
    {REMOTE, "remote", "@r1,@r2:u@d", "u@d"},
    {REMOTE, "remote", "user@host.", "user@host"},
    {REMOTE "|myorigin=example.com", "local", "user", "user@example.com"},
};

/* Applies SETTINGS on top of an empty configuration. */
static void
apply_settings(const char *settings)
{
    test_conf_apply(settings);
    rewrite_addr_init();
}

static void
test_rewrite_cases(void **state)
{
    struct vstring *result = vstring_alloc(100);
    size_t i;
    int failures = 0;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        apply_settings(cases[i].settings);
        vstring_strcpy(result, "(untouched)");
        assert_int_equal(rewrite_addr(cases[i].rule, cases[i].input, result), 0);
        if (strcmp(vstring_str(result), cases[i].expect) != 0) {
            print_error("case %zu: %s \"%s\" [%s]: got \"%s\", want \"%s\"\n", i, cases[i].rule,
                        cases[i].input, cases[i].settings, vstring_str(result), cases[i].expect);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
    vstring_free(result);
}

static void
test_rewrite_unknown_rule(void **state)
{
    struct vstring *result = vstring_alloc(10);

    (void)state;
    apply_settings(BASE);
    vstring_strcpy(result, "kept");
    assert_int_equal(rewrite_addr("canonical", "user", result), -1);
    assert_string_equal(vstring_str(result), "kept");
    assert_int_equal(rewrite_rule_find("local"), REWRITE_LOCAL);
    assert_int_equal(rewrite_rule_find("remote"), REWRITE_REMOTE);
    assert_int_equal(rewrite_rule_find("LOCAL"), -1);
    vstring_free(result);
}

/* Odd input never crashes and keeps the text it cannot place. */
static void
test_rewrite_odd_input(void **state)
{
    static const char *odd[] = {"<u@x>", "u@x,v@y", "\"",      "(",  "[",   "\\", "@@@", ":::",
                                "!!!",   "%%%",     "a@b:c@d", "@:", "@a,", ".",  "..",  "u@h.(c)"};
    struct vstring *result = vstring_alloc(10);
    size_t i;

    (void)state;
    apply_settings(OLD);
    for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
        assert_int_equal(rewrite_addr("local", odd[i], result), 0);
        assert_non_null(vstring_str(result));
    }
    vstring_free(result);
}

/* On a parsed external form, a lone '@' becomes the empty address. */
static void
test_rewrite_tree_lone_at(void **state)
{
    struct vstring *result = vstring_alloc(10);
    struct tok822 *tree;

    (void)state;
    apply_settings(BASE);
    tree = tok822_scan_addr("@");
    rewrite_tree(REWRITE_LOCAL, tree);
    assert_string_equal(vstring_str(tok822_externalize(result, tree->head, TOK822_STR_WIPE)),
                        "\"\"");
    tok822_free_tree(tree);
    tree = tok822_scan_addr("\"a b\"@host");
    rewrite_tree(REWRITE_LOCAL, tree);
    assert_string_equal(vstring_str(tok822_externalize(result, tree->head, TOK822_STR_WIPE)),
                        "\"a b\"@host");
    tok822_free_tree(tree);
    vstring_free(result);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rewrite_cases),
        cmocka_unit_test(test_rewrite_unknown_rule),
        cmocka_unit_test(test_rewrite_odd_input),
        cmocka_unit_test(test_rewrite_tree_lone_at),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
