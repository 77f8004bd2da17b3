/*
 * test_mac_expand - unit tests for lib/util/mac_expand: every expansion
 * form, relational operators and custom suffixes, recursion and its
 * depth limit, scan mode, and the warning text of each syntax error.
 *
 * Warnings go to standard error; the tests capture file descriptor 2 in
 * a temporary file to check their wording.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/mac_expand.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/vstring.h"

static const char *test_vars[][2] = {
    {"name", "value"},
    {"empty", ""},
    {"ref", "$name"},
    {"loop", "$loop"},
    {"a", "$b"},
    {"b", "[$c]"},
    {"c", "deep"},
    {"num", "10"},
    {"level", "3.6"},
    {"dollar", "$$x"},
    {"self_expr", "${{$self_expr} == {x}}"},
};

static struct vstring *seen; /* names passed to the lookup, space separated */

static const char *
test_lookup(const char *name, int mode, void *context)
{
    (void)mode;
    (void)context;
    static char doubled[64];
    int n;

    if (seen)
        vstring_sprintf_append(seen, "%s%s", vstring_len(seen) ? " " : "", name);
    if (sscanf(name, "dbl%d", &n) == 1 && n < 40) {
        snprintf(doubled, sizeof(doubled), "$dbl%d$dbl%d", n + 1, n + 1);
        return doubled;
    }
    for (size_t i = 0; i < sizeof(test_vars) / sizeof(test_vars[0]); i++)
        if (strcmp(test_vars[i][0], name) == 0)
            return test_vars[i][1];
    return NULL;
}

/* Expands pattern; returns the result (static) and *status. */
static const char *
expand(const char *pattern, int flags, int *status)
{
    static struct vstring *buf;

    if (buf == NULL)
        buf = vstring_alloc(100);
    *status = mac_expand(buf, pattern, flags, test_lookup, NULL);
    return vstring_str(buf);
}

static const char *
expand_ok(const char *pattern, int flags)
{
    int status;
    const char *result = expand(pattern, flags, &status);

    assert_int_equal(status & MAC_PARSE_ERROR, 0);
    return result;
}

/* Captures standard error while fn runs; returns what was written. */
static char *
capture_stderr(const char *pattern, int flags, int *status)
{
    char path[] = "/tmp/test_mac_expand.XXXXXX";
    int fd = mkstemp(path);
    int saved = dup(2);
    char *text = mycalloc(1, 8192);
    ssize_t len;

    assert_true(fd >= 0);
    unlink(path);
    dup2(fd, 2);
    (void)expand(pattern, flags, status);
    dup2(saved, 2);
    close(saved);
    lseek(fd, 0, SEEK_SET);
    len = read(fd, text, 8191);
    text[len > 0 ? len : 0] = 0;
    close(fd);
    return text;
}

static void
assert_warning(const char *pattern, const char *warning)
{
    int status;
    char *text = capture_stderr(pattern, MAC_EXP_FLAG_RECURSE, &status);

    if (strstr(text, warning) == NULL)
        fail_msg("pattern %s: expected warning \"%s\", got \"%s\"", pattern, warning, text);
    assert_true(status & MAC_PARSE_ERROR);
    myfree(text);
}

static void
test_plain_forms(void **state)
{
    int status;

    (void)state;
    assert_string_equal(expand_ok("<$name>", 0), "<value>");
    assert_string_equal(expand_ok("<${name}>", 0), "<value>");
    assert_string_equal(expand_ok("<$(name)>", 0), "<value>");
    assert_string_equal(expand_ok("$name.x$name", 0), "value.xvalue");
    assert_string_equal(expand_ok("a$$b$$", 0), "a$b$");
    assert_string_equal(expand_ok("${ name }", 0), "value");
    assert_string_equal(expand("x$unknown y", 0, &status), "x y");
    assert_true(status & MAC_PARSE_UNDEF);
    assert_string_equal(expand("$empty", 0, &status), "");
    assert_int_equal(status, 0);
}

static void
test_conditional_forms(void **state)
{
    (void)state;
    assert_string_equal(expand_ok("${name?yes}", 0), "yes");
    assert_string_equal(expand_ok("${empty?yes}", 0), "");
    assert_string_equal(expand_ok("${unknown?yes}", 0), "");
    assert_string_equal(expand_ok("${name:no}", 0), "");
    assert_string_equal(expand_ok("${empty:no}", 0), "no");
    assert_string_equal(expand_ok("${unknown:no}", 0), "no");
    assert_string_equal(expand_ok("${name?{Y}:{N}}", 0), "Y");
    assert_string_equal(expand_ok("${empty?{Y}:{N}}", 0), "N");
    assert_string_equal(expand_ok("${name ? { Y } : { N } }", 0), " Y ");
    assert_string_equal(expand_ok("${name?{Y}:N}", 0), "Y");
    assert_string_equal(expand_ok("${empty?{Y}:N}", 0), "N");
    /* Pre-3.0 form: the text after ? runs to the end, colons included. */
    assert_string_equal(expand_ok("${name??foo:{b}ar}", 0), "?foo:{b}ar");
    assert_string_equal(expand_ok("${name?$name}", 0), "value");
    assert_string_equal(expand_ok("${name?{${empty:{in}}}}", 0), "in");
}

static void
test_relational(void **state)
{
    (void)state;
    assert_string_equal(expand_ok("${{a} == {a}}", 0), "true");
    assert_string_equal(expand_ok("${{a} == {b}}", 0), "");
    assert_string_equal(expand_ok("${{a} != {b} ? {ne} : {eq}}", 0), "ne");
    assert_string_equal(expand_ok("${{$num} == {10} ? {ten}}", 0), "ten");
    assert_string_equal(expand_ok("${{10} < {9} ? {lt} : {ge}}", 0), "ge");  /* numeric */
    assert_string_equal(expand_ok("${{abc} < {b} ? {lt} : {ge}}", 0), "lt"); /* string */
    assert_string_equal(expand_ok("${{9} <= {9}?{y}:{n}}", 0), "y");
    assert_string_equal(expand_ok("${{9} >= {10}?{y}:{n}}", 0), "n");
    assert_string_equal(expand_ok("${{9} > {10}?{y}:{n}}", 0), "n");
    assert_string_equal(expand_ok("${{x}=={x}:{was false}}", 0), "");
}

static int
test_length_relop(const char *left, int op, const char *right)
{
    long delta = (long)strlen(left) - (long)strlen(right);

    if (strcmp(left, "bad") == 0) {
        msg_warn("bad operand");
        return MAC_EXP_RES_ERROR;
    }
    switch (op) {
    case MAC_EXP_OP_EQ:
        return delta == 0;
    case MAC_EXP_OP_LT:
        return delta < 0;
    default:
        return delta > 0;
    }
}

static void
test_relop_suffix(void **state)
{
    int status;

    (void)state;
    mac_expand_add_relop("length", test_length_relop);
    assert_string_equal(expand_ok("${{aaa} ==length {bbb} ? {same}}", 0), "same");
    assert_string_equal(expand_ok("${{aa} <length {bbb} ? {shorter}}", 0), "shorter");
    assert_warning("${{aa} ==x {b}}", "bad operator suffix at: \"...==>>>x\"");
    (void)expand("${{bad} ==length {b}}", 0, &status);
    assert_true(status & MAC_PARSE_ERROR);
}

static void
test_recursion(void **state)
{
    int status;

    (void)state;
    assert_string_equal(expand_ok("$ref", 0), "$name");
    assert_string_equal(expand_ok("$ref", MAC_EXP_FLAG_RECURSE), "value");
    assert_string_equal(expand_ok("<$a>", MAC_EXP_FLAG_RECURSE), "<[deep]>");
    assert_string_equal(expand_ok("$dollar", MAC_EXP_FLAG_RECURSE), "$x");
    assert_warning("$loop", "unreasonable macro call nesting: \"loop\"");
    assert_warning("$self_expr", "unreasonable macro call nesting");
    (void)expand("$loop", 0, &status);
    assert_int_equal(status, 0);
    /* 2^40 references: stopped by the work bound, not by the depth. */
    assert_warning("$dbl0", "unreasonable number of macro references");
}

static void
test_syntax_errors(void **state)
{
    (void)state;
    assert_warning("x${foo", "truncated macro reference: \"x${foo\"");
    assert_warning("x$(foo", "truncated macro reference: \"x$(foo\"");
    assert_warning("x$", "empty macro name: \"x$\"");
    assert_warning("${}x", "empty macro name: \"${}x\"");
    assert_warning("${na me}", "attribute name syntax error at: \"...na>>> me\"");
    assert_warning("${myd(omain}", "attribute name syntax error at: \"...myd>>>(omain\"");
    assert_warning("${{a} ~~ {b}}", "\"==\" or \"!=\"\" or \"<\"\" or \"<=\"\" or \">=\"\" or "
                                    "\">\" expected at: \"...a}>>>~~ {b}\"");
    assert_warning("${{a} == b}", "\"{expression}\" expected at: \"...{a} ==>>> b\"");
    assert_warning("${{a} == {b} x}", "\"?\" or \":\" expected at: \"...}>>>x\"");
    assert_warning("${{a} == {b} ? {c} x}", "\":\" expected at: \"...c}>>>x\"");
    assert_warning("${{a} == {b} ? {c} : {d} x}", "unexpected input at: \"...d}>>>x\"");
    assert_warning("$({a == {b})", "unbalanced {} in attribute expression: \"{a == {b}\"");
}

static void
test_scan_mode(void **state)
{
    int status;

    (void)state;
    seen = vstring_alloc(100);
    status = mac_expand(NULL, "${name?{$c}:{$num}} ${{$level} == {1} ? {$a} : {$b}} $$d",
                        MAC_EXP_FLAG_SCAN, test_lookup, NULL);
    assert_int_equal(status & MAC_PARSE_ERROR, 0);
    assert_string_equal(vstring_str(seen), "name c num level a b");
    vstring_free(seen);
    seen = NULL;
}

static void
test_append(void **state)
{
    struct vstring *buf = vstring_alloc(10);

    (void)state;
    vstring_strcpy(buf, "pre-");
    mac_expand(buf, "$name", MAC_EXP_FLAG_APPEND, test_lookup, NULL);
    assert_string_equal(vstring_str(buf), "pre-value");
    mac_expand(buf, "$name", 0, test_lookup, NULL);
    assert_string_equal(vstring_str(buf), "value");
    vstring_free(buf);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_forms), cmocka_unit_test(test_conditional_forms),
        cmocka_unit_test(test_relational),  cmocka_unit_test(test_relop_suffix),
        cmocka_unit_test(test_recursion),   cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_scan_mode),   cmocka_unit_test(test_append),
    };

    msg_init("test_mac_expand", MSG_STDERR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
