/*
 * test_dict_regexp - unit tests for regexp: tables (lib/table/dict_regexp.c
 * on the shared rule code in lib/table/dict_pattern.c): POSIX matching,
 * the i/x/m flags, negation, IF/ENDIF, $N substitution, bad rules skipped
 * with Postfix's warning text, and the guard against repetition bounds
 * that would make the C library's regcomp run for seconds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "dict_pattern_test.h"
#include "table/dict_types.h"

static void
test_regexp_match_and_flags(void **state)
{
    struct dict *dict;

    (void)state;
    dict = table_open_text(dict_regexp_open,
                           "/[%!@].*[%!@]/ 550 Sender-specified routing rejected\n"
                           "/^postmaster@/ OK\n"
                           "/^Case$/i case-sensitive\n"
                           "/^a+b$/x basic-syntax\n"
                           "/^m1$/m multiline\n"
                           "/^(ab|cd){2}$/ bounded\n"
                           "#^comment$# never\n"
                           "~^[[:alnum:]+/]{10,}$~ base64ish\n",
                           0);
    assert_string_equal(table_warnings, "");
    assert_true(dict->flags & DICT_FLAG_PATTERN);
    assert_lookup(dict, "a@b@c", "550 Sender-specified routing rejected");
    assert_lookup(dict, "POSTMASTER@example.com", "OK");
    assert_lookup(dict, "Case", "case-sensitive");
    assert_no_match(dict, "case");
    assert_lookup(dict, "a+b", "basic-syntax"); /* '+' is literal in basic syntax */
    assert_lookup(dict, "q\nm1", "multiline");
    assert_lookup(dict, "abCD", "bounded");
    assert_lookup(dict, "QUJDREVGSElK", "base64ish");
    assert_no_match(dict, "comment");
    dict_close(dict);
}

static void
test_regexp_negation_if_substitution(void **state)
{
    struct dict *dict;

    (void)state;
    dict = table_open_text(dict_regexp_open,
                           "if !/^owner-/\n"
                           "/^(.*)-outgoing@(.*)$/ 550 Use ${1}@${2} instead\n"
                           "endif\n"
                           "/^(a)|(b)$/ alt[$1][$2]\n"
                           "!/^keep/ not-keep $$\n",
                           0);
    assert_string_equal(table_warnings, "");
    assert_lookup(dict, "list-outgoing@example.com", "550 Use list@example.com instead");
    assert_lookup(dict, "owner-outgoing@example.com", "not-keep $");
    assert_lookup(dict, "b", "alt[][b]");
    assert_lookup(dict, "abc", "alt[a][]");
    assert_no_match(dict, "keeper");
    dict_close(dict);
}

static void
test_regexp_two_patterns(void **state)
{
    struct dict *dict;

    (void)state;
    dict = table_open_text(dict_regexp_open,
                           "/^a/!/b/ a-without-b\n"
                           "/^(c)(d)?/i!/e/ c-without-e [$1$2]\n"
                           "/^f/!!/g/ f-and-g\n"
                           "/^o/ ! /p/ value-is-the-rest\n"
                           "/^q/!/(r)/ $1\n"
                           "/^s/!/t[/ bad-second\n"
                           "/^u/!\n"
                           "if /^z/!/zz/\n"
                           "/./ inside\n"
                           "endif\n",
                           0);
    assert_warned(table_line(5, "out of range replacement index \"1\": skipping this rule"));
    assert_warned(table_line(6, "Invalid regular expression"));
    assert_warned(table_line(7, "no regexp: skipping this rule"));
    assert_warned(table_line(8, "ignoring extra text after IF statement: \"!/zz/\""));
    assert_lookup(dict, "ax", "a-without-b");
    assert_no_match(dict, "ab");
    assert_lookup(dict, "cd", "c-without-e [cd]");
    assert_no_match(dict, "cde");
    assert_lookup(dict, "fg", "f-and-g");
    assert_no_match(dict, "fx");
    assert_lookup(dict, "ox", "! /p/ value-is-the-rest");
    assert_lookup(dict, "zz", "inside");
    dict_close(dict);
}

static void
test_regexp_bad_rules(void **state)
{
    struct dict *dict;

    (void)state;
    dict = table_open_text(dict_regexp_open,
                           "/unterminated\n"  /* 1 */
                           "/bad[/ bad\n"     /* 2 */
                           "/a(/ paren\n"     /* 3 */
                           "/^f/q bad-flag\n" /* 4 */
                           "/(a)/ $0\n"       /* 5 */
                           "/(a)/ $2\n"       /* 6 */
                           "!/(a)/ $1\n"      /* 7 */
                           "/(a)/ $x\n"       /* 8 */
                           "endif\n"          /* 9 */
                           "/^back\\\n"       /* 10: a trailing backslash closes */
                           "/^ok$/ ok\n",     /* 11 */
                           0);
    assert_warned(table_line(1, "no closing regexp delimiter \"/\": skipping this rule"));
    assert_warned(table_line(2, "Invalid regular expression"));
    assert_warned(table_line(3, "Unmatched ( or \\("));
    assert_warned(table_line(4, "unknown regexp option \"q\": skipping this rule"));
    assert_warned(table_line(5, "out-of-range replacement index \"0\""));
    assert_warned(table_line(5, "bad replacement syntax: skipping this rule"));
    assert_warned(table_line(6, "out of range replacement index \"2\": skipping this rule"));
    assert_warned(table_line(7, "$number found in negative match replacement text"));
    assert_warned(table_line(8, "non-numeric replacement index \"x\""));
    assert_warned(table_line(9, "ignoring ENDIF without matching IF"));
    assert_warned(table_line(10, "no replacement text: using empty string"));
    assert_warned("regexp map ");
    assert_lookup(dict, "back", "");
    assert_lookup(dict, "ok", "ok");
    assert_no_match(dict, "a");
    dict_close(dict);
}

static void
test_regexp_repetition_guard(void **state)
{
    struct dict *dict;

    (void)state;
    dict = table_open_text(dict_regexp_open,
                           "/^a{1,32767}$/ huge\n"
                           "/^((a{1,100}){1,100}){1,100}$/ nested\n"
                           "/^a\\{1,30000\\}$/x basic-huge\n"
                           "/^[a-z]{1,64}@[a-z.]{1,253}$/ fine\n"
                           "/^x{1000,}$/ long-line\n",
                           0);
    assert_warned(table_line(1, "regular expression is too complex"));
    assert_warned(table_line(2, "regular expression is too complex"));
    assert_warned(table_line(3, "regular expression is too complex"));
    assert_lookup(dict, "user@example.com", "fine");
    assert_no_match(dict, "aaaa");
    dict_close(dict);
}

static void
test_regexp_inline(void **state)
{
    struct dict *dict;

    (void)state;
    dict = dict_regexp_open("{ {/^x(.)$/ got $1}, {!/^y/ not-y} }", O_RDONLY, 0);
    assert_lookup(dict, "xz", "got z");
    assert_lookup(dict, "zz", "not-y");
    assert_no_match(dict, "yes");
    dict_close(dict);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regexp_match_and_flags),
        cmocka_unit_test(test_regexp_negation_if_substitution),
        cmocka_unit_test(test_regexp_two_patterns),
        cmocka_unit_test(test_regexp_bad_rules),
        cmocka_unit_test(test_regexp_repetition_guard),
        cmocka_unit_test(test_regexp_inline),
    };

    return cmocka_run_group_tests(tests, table_setup, table_teardown);
}
