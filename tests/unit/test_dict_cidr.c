/*
 * test_dict_cidr - unit tests for cidr: tables (lib/table/dict_cidr.c) and
 * the address/prefix matcher under them (lib/util/cidr_match.c): IPv4 and
 * IPv6 networks, first match, negation, IF/ENDIF nesting, inline tables,
 * and every kind of bad rule (skipped with Postfix's warning text while
 * the good rules keep working).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include "dict_pattern_test.h"
#include "table/dict_types.h"
#include "util/cidr_match.h"
#include "util/vstring.h"

static void
test_cidr_match_forms(void **state)
{
    struct vstring *why = vstring_alloc(100);
    struct cidr_match cm;
    struct cidr_addr addr;

    (void)state;
    assert_int_equal(cidr_match_parse(&cm, "192.168.0.0/16", why), 0);
    assert_int_equal(cm.family, AF_INET);
    assert_int_equal(cm.prefix_len, 16);
    assert_true(cidr_addr_parse(&addr, "192.168.200.1"));
    assert_true(cidr_match_test(&cm, &addr));
    assert_true(cidr_addr_parse(&addr, "192.169.0.1"));
    assert_false(cidr_match_test(&cm, &addr));

    assert_int_equal(cidr_match_parse(&cm, "[2001:DB8::]/32", why), 0);
    assert_int_equal(cm.family, AF_INET6);
    assert_true(cidr_addr_parse(&addr, "2001:db8:ffff::1"));
    assert_true(cidr_match_test(&cm, &addr));
    assert_int_equal(cidr_match_parse(&cm, "[10.0.0.0/8]", why), 0);
    assert_int_equal(cm.prefix_len, 8);
    assert_int_equal(cidr_match_parse(&cm, "[10.1.2.3]", why), 0);
    assert_int_equal(cm.prefix_len, 32);
    assert_int_equal(cidr_match_parse(&cm, "0.0.0.0/0", why), 0);
    assert_true(cidr_addr_parse(&addr, "::1"));
    assert_false(cidr_match_test(&cm, &addr)); /* never across families */
    assert_false(cidr_addr_parse(&addr, "[1.2.3.4]"));
    assert_false(cidr_addr_parse(&addr, "1.2.3"));
    vstring_free(why);
}

static void
test_cidr_match_errors(void **state)
{
    static const struct {
        const char *pattern;
        const char *why;
    } cases[] = {
        {"10.1.2.3/8", "non-null host address bits in \"10.1.2.3/8\", perhaps you should use "
                       "\"10.0.0.0/8\" instead"},
        {"2001:db8::1/64", "non-null host address bits in \"2001:db8::1/64\", perhaps you "
                           "should use \"2001:db8::/64\" instead"},
        {"1.2.3.4/08", "non-null host address bits in \"1.2.3.4/08\", perhaps you should use "
                       "\"1.0.0.0/8\" instead"},
        {"10.0.0.0/33", "bad mask length in \"10.0.0.0/33\""},
        {"::/129", "bad mask length in \"::/129\""},
        {"1.0.0.0/99999999999999999999", "bad mask length in \"1.0.0.0/99999999999999999999\""},
        {"10.0.0.0/-1", "bad mask value in \"10.0.0.0/-1\""},
        {"[1.2.3.4]/", "bad mask value in \"1.2.3.4/\""},
        {"1.2.3.4/32/4", "bad mask value in \"1.2.3.4/32/4\""},
        {".1.2.3.0/24", "bad network value in \".1.2.3.0/24\""},
        {"10.0.0", "bad address pattern: \"10.0.0\""},
        {"010.0.0.1", "bad address pattern: \"010.0.0.1\""},
        {"fe80::1%eth0", "bad address pattern: \"fe80::1%eth0\""},
        {"[1.2.3.4", "missing ']' character after \"[1.2.3.4\""},
        {"[1.2.3.4]x", "garbage after \"[1.2.3.4]\""},
        {"[]", "bad address pattern: \"\""},
    };
    struct vstring *why = vstring_alloc(100);
    struct cidr_match cm;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vstring_reset(why);
        assert_int_equal(cidr_match_parse(&cm, cases[i].pattern, why), -1);
        assert_string_equal(vstring_str(why), cases[i].why);
    }
    vstring_free(why);
}

static void
test_cidr_table_first_match(void **state)
{
    struct dict *dict;

    (void)state;
    dict = table_open_text(dict_cidr_open,
                           "# client access\n"
                           "192.168.1.1\t\tOK\n"
                           "192.168.0.0/16  REJECT  go   away\n"
                           "[10.0.0.0]/8 ten\n"
                           "2001:db8::1 OK6\n"
                           "[2001:db8::]/32 REJECT6\n"
                           "::ffff:9.9.9.9 mapped\n"
                           "172.16.0.1\n"
                           "  # an indented comment inside the rule\n"
                           "   two\n"
                           "\tlines\n"
                           "0.0.0.0/0 any4\n",
                           0);
    assert_string_equal(table_warnings, "");
    assert_true(dict->flags & DICT_FLAG_PATTERN);
    assert_lookup(dict, "192.168.1.1", "OK");
    assert_lookup(dict, "192.168.7.7", "REJECT  go   away");
    assert_lookup(dict, "10.255.0.1", "ten");
    assert_lookup(dict, "2001:db8::1", "OK6");
    assert_lookup(dict, "2001:0DB8:0000::0001", "OK6");
    assert_lookup(dict, "2001:db8:1::", "REJECT6");
    assert_lookup(dict, "::FFFF:9.9.9.9", "mapped");
    assert_lookup(dict, "9.9.9.9", "any4");
    assert_lookup(dict, "172.16.0.1", "two\tlines");
    assert_no_match(dict, "2001:db9::1");
    assert_no_match(dict, "[192.168.1.1]");
    assert_no_match(dict, "not-an-address");
    assert_no_match(dict, "");
    dict_close(dict);
}

static void
test_cidr_table_negation(void **state)
{
    struct dict *dict;

    (void)state;
    dict = table_open_text(dict_cidr_open,
                           "!!7.7.7.7 double\n"
                           "! 10.0.0.0/8 not-ten\n"
                           "!::/0 not-v6\n",
                           0);
    assert_string_equal(table_warnings, "");
    assert_lookup(dict, "7.7.7.7", "double");
    assert_lookup(dict, "11.0.0.1", "not-ten");
    assert_no_match(dict, "10.1.1.1");
    assert_no_match(dict, "::1"); /* a negated IPv4 rule never applies to IPv6 */
    dict_close(dict);
}

static void
test_cidr_table_if_endif(void **state)
{
    struct dict *dict;

    (void)state;
    dict = table_open_text(dict_cidr_open,
                           "if 10.0.0.0/8\n"
                           "IF !10.1.0.0/16\n"
                           "10.2.0.0/16 ten-two\n"
                           "endif\n"
                           "10.1.2.3 ten-one-host\n"
                           "ENDIF\n"
                           "if!2001:db8::/32\n"
                           "::/0 other-v6\n"
                           "endif\n"
                           "if 10.0.0.0/8\n"
                           "0.0.0.0/0 never-for-v6\n"
                           "endif\n"
                           "0.0.0.0/0 fallback\n",
                           0);
    assert_string_equal(table_warnings, "");
    assert_lookup(dict, "10.2.3.4", "ten-two");
    assert_lookup(dict, "10.1.2.3", "ten-one-host");
    assert_lookup(dict, "10.3.0.1", "never-for-v6");
    assert_lookup(dict, "11.0.0.1", "fallback");
    assert_lookup(dict, "2001:db9::1", "other-v6");
    assert_no_match(dict, "2001:db8::1");
    dict_close(dict);
}

static void
test_cidr_table_bad_rules(void **state)
{
    struct dict *dict;

    (void)state;
    dict = table_open_text(dict_cidr_open,
                           "10.1.2.3/8 hostbits\n" /* 1 */
                           "10.0.0.0/33 badlen\n"  /* 2 */
                           "1.2.3.4\n"             /* 3 */
                           "endif\n"               /* 4 */
                           "if 1.2.3.0/24 extra\n" /* 5 */
                           "!\n"                   /* 6 */
                           "if\n"                  /* 7 */
                           "ifx 1.2.3.4\n"         /* 8 */
                           "if 5.0.0.0/8\n"        /* 9 */
                           "5.5.5.5 five\n"        /* 10 */
                           "endif x\n"             /* 11 */
                           "if 6.0.0.0/8\n"        /* 12 */
                           "6.6.6.6\n"             /* 13 */
                           "  six\n"               /* 14: continues 13 */
                           "1.2.3.4 good\n",       /* 15 */
                           0);
    assert_warned(table_line(1, "non-null host address bits in \"10.1.2.3/8\", perhaps you "
                                "should use \"10.0.0.0/8\" instead: skipping this rule"));
    assert_warned(table_line(2, "bad mask length in \"10.0.0.0/33\": skipping this rule"));
    assert_warned(table_line(3, "no lookup result: skipping this rule"));
    assert_warned(table_line(4, "ENDIF without IF: skipping this rule"));
    assert_warned(table_line(5, "bad mask value in \"1.2.3.0/24 extra\": skipping this rule"));
    assert_warned(table_line(6, "no address pattern: skipping this rule"));
    assert_warned(table_line(7, "no address pattern: skipping this rule"));
    assert_warned(table_line(8, "bad address pattern: \"ifx\": skipping this rule"));
    assert_warned(table_line(11, "garbage after ENDIF: skipping this rule"));
    assert_warned(table_line(12, "IF has no matching ENDIF"));
    assert_warned(table_line(9, "IF has no matching ENDIF"));
    /* The innermost open IF is reported first. */
    assert_true(strstr(table_warnings, table_line(12, "IF")) <
                strstr(table_warnings, table_line(9, "IF")));
    assert_lookup(dict, "5.5.5.5", "five");
    /* Rules 13-15 are inside the unclosed IF blocks (5.0.0.0/8 is still open). */
    assert_no_match(dict, "6.6.6.6");
    assert_no_match(dict, "1.2.3.4");
    dict_close(dict);
}

static void
test_cidr_table_inline(void **state)
{
    struct dict *dict;

    (void)state;
    dict = dict_cidr_open("{ {1.2.3.4 a b }, {1.0.0.0/8 one} {!1.0.0.0/8 other} }", O_RDONLY, 0);
    assert_lookup(dict, "1.2.3.4", "a b");
    assert_lookup(dict, "1.9.9.9", "one");
    assert_lookup(dict, "2.0.0.1", "other");
    assert_int_equal(dict->mtime, 0);
    dict_close(dict);

    table_capture_start();
    dict = dict_cidr_open("{1.2.3.4 a}", O_RDONLY, 0);
    assert_null(dict_get(dict, "1.2.3.4"));
    assert_int_equal(dict->error, DICT_ERR_CONFIG);
    table_capture_end();
    assert_warned("cidr map: no '{' at start of text in \"1.2.3.4\"");
    dict_close(dict);

    table_capture_start();
    dict = dict_cidr_open("{ {1.2.3.4 a}", O_RDONLY, 0);
    table_capture_end();
    assert_warned("cidr map: missing '}' in \"{ {1.2.3.4 a}\"");
    dict_close(dict);
}

static void
test_cidr_table_unavailable(void **state)
{
    struct dict *dict;

    (void)state;
    table_capture_start();
    dict = dict_cidr_open("/nonexistent/table.cidr", O_RDONLY, 0);
    assert_null(dict_get(dict, "1.2.3.4"));
    assert_int_equal(dict->error, DICT_ERR_CONFIG);
    dict_close(dict);
    dict = dict_cidr_open(table_dir, O_RDONLY, 0);
    assert_null(dict_get(dict, "1.2.3.4"));
    assert_int_equal(dict->error, DICT_ERR_CONFIG);
    dict_close(dict);
    dict = dict_cidr_open(table_write("1.2.3.4 x\n"), O_RDWR, 0);
    assert_null(dict_get(dict, "1.2.3.4"));
    assert_int_equal(dict->error, DICT_ERR_CONFIG);
    dict_close(dict);
    table_capture_end();
    assert_warned("open /nonexistent/table.cidr: No such file or directory");
    assert_warned("read error: Is a directory");
    assert_warned("map requires O_RDONLY access mode");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cidr_match_forms),
        cmocka_unit_test(test_cidr_match_errors),
        cmocka_unit_test(test_cidr_table_first_match),
        cmocka_unit_test(test_cidr_table_negation),
        cmocka_unit_test(test_cidr_table_if_endif),
        cmocka_unit_test(test_cidr_table_bad_rules),
        cmocka_unit_test(test_cidr_table_inline),
        cmocka_unit_test(test_cidr_table_unavailable),
    };

    return cmocka_run_group_tests(tests, table_setup, table_teardown);
}
