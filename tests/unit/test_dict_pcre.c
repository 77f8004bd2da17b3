/*
 * test_dict_pcre - unit tests for pcre: tables (lib/table/dict_pcre.c and
 * the shared rule code in lib/table/dict_pattern.c): matching, flags,
 * negation, IF/ENDIF nesting, $N substitution, bad rules skipped with
 * Postfix's warning text, inline tables, and the match limit that stops a
 * pathological pattern.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "dict_pattern_test.h"
#include "table/dict_types.h"

static void
test_pcre_match_and_case(void **state)
{
    struct dict *dict;

    (void)state;
    dict = table_open_text(dict_pcre_open,
                           "/^postmaster@/ OK\n"
                           "/^Sens$/i sensitive\n"
                           "/^TwoI$/ii insensitive-again\n"
                           "|^pipe\\|d$| pipe-delimited\n"
                           "/^esc\\/x$/ escaped-delimiter\n"
                           "/^x y$/ space in regex\n"
                           "/^multi$/\n"
                           " line\n"
                           "   result\n",
                           0);
    assert_string_equal(table_warnings, "");
    assert_true(dict->flags & DICT_FLAG_PATTERN);
    assert_lookup(dict, "PostMaster@example.com", "OK");
    assert_lookup(dict, "Sens", "sensitive");
    assert_no_match(dict, "sens");
    assert_lookup(dict, "twoi", "insensitive-again");
    assert_lookup(dict, "pipe|d", "pipe-delimited");
    assert_lookup(dict, "esc/x", "escaped-delimiter");
    assert_lookup(dict, "X Y", "space in regex");
    assert_lookup(dict, "multi", "line   result");
    assert_no_match(dict, "nothing");
    dict_close(dict);
}

static void
test_pcre_flags(void **state)
{
    struct dict *dict;

    (void)state;
    dict = table_open_text(dict_pcre_open,
                           "/^m1$/m multiline\n"
                           "/^s1.x$/ dotall-default\n"
                           "/^s2.x$/s dot-not-newline\n"
                           "/^x 1$/x extended\n"
                           "/b1/A anchored\n"
                           "/^e1$/E dollar-end-only\n"
                           "/^u(.+)/U ungreedy $1\n"
                           "/^ob$/X obsolete\n",
                           0);
    assert_warned(table_line(8, "ignoring obsolete regexp option \"X\""));
    assert_lookup(dict, "q\nm1", "multiline");
    assert_lookup(dict, "s1\nx", "dotall-default");
    assert_no_match(dict, "s2\nx");
    assert_lookup(dict, "s2yx", "dot-not-newline");
    assert_lookup(dict, "x1", "extended");
    assert_no_match(dict, "ab1");
    assert_lookup(dict, "b1", "anchored");
    assert_lookup(dict, "e1", "dollar-end-only");
    assert_no_match(dict, "e1\n");
    assert_lookup(dict, "uabc", "ungreedy a");
    assert_lookup(dict, "OB", "obsolete");
    dict_close(dict);
}

static void
test_pcre_negation_and_if(void **state)
{
    struct dict *dict;

    (void)state;
    dict = table_open_text(dict_pcre_open,
                           "if /@example\\.com$/\n"
                           "if !/^owner-/\n"
                           "/^(.*)-outgoing@(.*)$/ 550 Use ${1}@${2} instead\n"
                           "endif\n"
                           "/^owner-/ owner\n"
                           "ENDIF\n"
                           "If!/^x/\n"
                           "!!/^dbl/ double\n"
                           "! /^y/ not-y\n"
                           "endif\n"
                           "/./ anything\n",
                           0);
    assert_string_equal(table_warnings, "");
    assert_lookup(dict, "list-outgoing@example.com", "550 Use list@example.com instead");
    assert_lookup(dict, "owner-list-outgoing@example.com", "owner");
    assert_lookup(dict, "dbl", "double");
    assert_lookup(dict, "zzz", "not-y");
    assert_lookup(dict, "yyy", "anything");
    assert_lookup(dict, "xdbl", "anything");
    dict_close(dict);
}

static void
test_pcre_substitution(void **state)
{
    struct dict *dict;

    (void)state;
    dict = table_open_text(dict_pcre_open,
                           "/^y(.)(.)$/ two $2$1 $$ $(1) ${2}x\n"
                           "/^z(a)?(b)$/ opt [$1][$2]\n"
                           "/^(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)$/ $10$01 ${1}}\n"
                           "/^lit$/ cost $$5 {$$}\n",
                           0);
    assert_string_equal(table_warnings, "");
    assert_lookup(dict, "yab", "two ba $ a bx");
    assert_lookup(dict, "zb", "opt [][b]");
    assert_lookup(dict, "abcdefghij", "ja a}");
    assert_lookup(dict, "lit", "cost $5 {$}");
    dict_close(dict);
}

static void
test_pcre_bad_rules(void **state)
{
    struct dict *dict;

    (void)state;
    dict = table_open_text(dict_pcre_open,
                           "/unterminated\n"    /* 1 */
                           "/bad[/ bad-regex\n" /* 2 */
                           "/^f/q bad-flag\n"   /* 3 */
                           "/^nores/\n"         /* 4 */
                           "!/^x(.)/ neg $1\n"  /* 5 */
                           "/^(a)/ $2\n"        /* 6 */
                           "/^(a)/ $0\n"        /* 7 */
                           "/^(a)/ $1x\n"       /* 8 */
                           "/^(a)/ a$\n"        /* 9 */
                           "/^(a)/ ${1\n"       /* 10 */
                           "abc def\n"          /* 11 */
                           "!\n"                /* 12 */
                           "if /^i/ tail\n"     /* 13 */
                           "/^ii$/ inside\n"    /* 14 */
                           "endif more\n"       /* 15 */
                           "endif\n"            /* 16 */
                           "/^good$/ good\n"    /* 17 */
                           "/^(b)/ $x$0 $y\n"   /* 18 */
                           "/^(b)/ $x${1}$y\n"  /* 19 */
                           "if /^open/\n",      /* 20 */
                           0);
    assert_warned(table_line(1, "no closing regexp delimiter \"/\": ignoring this rule"));
    assert_warned(table_line(2, "error in regex at offset 4: missing terminating ] for character "
                                "class"));
    assert_warned(table_line(3, "unknown regexp option \"q\": skipping this rule"));
    assert_warned(table_line(4, "no replacement text: using empty string"));
    assert_warned(table_line(5, "$number found in negative match replacement text: skipping "
                                "this rule"));
    assert_warned(table_line(6, "out of range replacement index \"2\": skipping this rule"));
    assert_warned(table_line(7, "out of range replacement index \"0\""));
    assert_warned(table_line(7, "bad replacement syntax: skipping this rule"));
    assert_warned(table_line(8, "non-numeric replacement index \"1x\""));
    assert_warned("empty macro name: \"a$\"");
    assert_warned("truncated macro reference: \"${1\"");
    assert_warned(table_line(11, "ignoring unrecognized request"));
    assert_warned(table_line(12, "no regexp: skipping this rule"));
    assert_warned(table_line(13, "ignoring extra text after IF statement: \"tail\""));
    assert_warned(table_line(13, "do not prepend whitespace to statements between IF and ENDIF"));
    assert_warned(table_line(15, "ignoring extra text after ENDIF"));
    assert_warned(table_line(16, "ignoring ENDIF without matching IF"));
    /* After a bad $name, plain $names are still checked; ${...} stops. */
    assert_warned(table_line(18, "non-numeric replacement index \"x\"\n"));
    assert_warned(table_line(18, "out of range replacement index \"0\"\n"));
    assert_warned(table_line(18, "non-numeric replacement index \"y\"\n"));
    assert_warned(table_line(19, "non-numeric replacement index \"x\"\n"));
    assert_null(strstr(table_warnings, table_line(19, "non-numeric replacement index \"y\"")));
    assert_warned(table_line(20, "IF has no matching ENDIF"));
    assert_warned("pcre map ");
    assert_lookup(dict, "nores", "");
    assert_lookup(dict, "ii", "inside");
    assert_lookup(dict, "good", "good");
    assert_no_match(dict, "f");
    assert_no_match(dict, "a");
    dict_close(dict);
}

static void
test_pcre_no_regsub(void **state)
{
    struct dict *dict;

    (void)state;
    dict = table_open_text(dict_pcre_open,
                           "/^(a)$/ got $1\n"
                           "/^(a)/ plain $$\n",
                           DICT_FLAG_NO_REGSUB);
    assert_warned(table_line(1, "regular expression substitution is not allowed: skipping this "
                                "rule"));
    assert_lookup(dict, "a", "plain $");
    dict_close(dict);
}

static void
test_pcre_match_limit(void **state)
{
    struct dict *dict;

    (void)state;
    dict = table_open_text(dict_pcre_open,
                           "/^(a+)+$/ catastrophic\n"
                           "!/^(a+)+$/ negated\n"
                           "if /^(a+)+$/\n"
                           "/a/ inside\n"
                           "endif\n"
                           "/a/ after\n",
                           0);
    assert_string_equal(table_warnings, "");
    table_capture_start();
    assert_lookup(dict, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", "after");
    table_capture_end();
    assert_warned(table_line(1, "match limit exceeded"));
    assert_warned(table_line(2, "match limit exceeded"));
    assert_warned(table_line(3, "match limit exceeded"));
    assert_lookup(dict, "aaa", "catastrophic");
    dict_close(dict);
}

static void
test_pcre_inline_and_errors(void **state)
{
    struct dict *dict;

    (void)state;
    dict = dict_pcre_open("{ {/^x(.)$/ got $1}, { /^y/  why  } }", O_RDONLY, 0);
    assert_lookup(dict, "xz", "got z");
    assert_lookup(dict, "yes", "why");
    dict_close(dict);

    table_capture_start();
    dict = dict_pcre_open("{ {/x/ a}{/y/ b} }", O_RDONLY, 0);
    assert_null(dict_get(dict, "x"));
    assert_int_equal(dict->error, DICT_ERR_CONFIG);
    dict_close(dict);
    dict = dict_pcre_open("/nonexistent/table.pcre", O_RDONLY, 0);
    assert_null(dict_get(dict, "x"));
    assert_int_equal(dict->error, DICT_ERR_CONFIG);
    dict_close(dict);
    table_capture_end();
    assert_warned("pcre map: syntax error after '}' in \"{/x/ a}{/y/ b}\"");
    assert_warned("open /nonexistent/table.pcre: No such file or directory");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pcre_match_and_case),  cmocka_unit_test(test_pcre_flags),
        cmocka_unit_test(test_pcre_negation_and_if), cmocka_unit_test(test_pcre_substitution),
        cmocka_unit_test(test_pcre_bad_rules),       cmocka_unit_test(test_pcre_no_regsub),
        cmocka_unit_test(test_pcre_match_limit),     cmocka_unit_test(test_pcre_inline_and_errors),
    };

    return cmocka_run_group_tests(tests, table_setup, table_teardown);
}
