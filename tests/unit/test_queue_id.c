/*
 * test_queue_id - unit tests for queue ids (lib/mail/queue_id.c).
 *
 * Covered: the short form's exact shape (5 hex digits of microseconds,
 * then the inode in hex), the long form against the example in Postfix's
 * postconf(5) ("3Pt2mN2VXxznjll"), padding of small values, the alphabet
 * (no vowels, no 'z' in the inode part), decoding of the time parts,
 * queue_id_ok's accepted and refused names, and uniqueness over many
 * times and inodes in both forms.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "mail/queue_id.h"
#include "util/htable.h"
#include "util/msg.h"
#include "util/vstring.h"

static void
test_short_form(void **state)
{
    struct vstring *buf = vstring_alloc(10);
    struct timeval tv = {1300631508, 353025};
    long usec;

    (void)state;
    assert_string_equal(queue_id_make(buf, &tv, 0x1234ABCD, 0), "563011234ABCD");
    assert_false(queue_id_is_long(vstring_str(buf)));
    assert_int_equal(queue_id_usec(vstring_str(buf), &usec), 0);
    assert_int_equal(usec, 353025);
    assert_int_equal(queue_id_time(vstring_str(buf), &tv), -1);
    tv.tv_usec = 5;
    assert_string_equal(queue_id_make(buf, &tv, 1, 0), "000051");
    tv.tv_usec = 999999;
    assert_string_equal(queue_id_make(buf, &tv, 0xFFFFFFFFFFFFULL, 0), "F423F"
                                                                       "FFFFFFFFFFFF");
    vstring_free(buf);
}

/* postconf(5), enable_long_queue_ids: "names such as 3Pt2mN2VXxznjll". */
static void
test_long_form_matches_postfix_example(void **state)
{
    struct vstring *buf = vstring_alloc(10);
    struct timeval tv;
    long usec;

    (void)state;
    assert_int_equal(queue_id_time("3Pt2mN2VXxznjll", &tv), 0);
    assert_int_equal(tv.tv_sec, 1300631508);
    assert_int_equal(tv.tv_usec, 353025);
    assert_int_equal(queue_id_usec("3Pt2mN2VXxznjll", &usec), 0);
    assert_int_equal(usec, 353025);
    /* njll in base 51: 41*51^3 + 37*51^2 + 39*51 + 39 */
    assert_string_equal(queue_id_make(buf, &tv, 5536956, 1), "3Pt2mN2VXxznjll");
    assert_true(queue_id_is_long("3Pt2mN2VXxznjll"));
    vstring_free(buf);
}

static void
test_long_form_padding_and_alphabet(void **state)
{
    struct vstring *buf = vstring_alloc(10);
    struct timeval tv = {0, 0};
    const char *id;

    (void)state;
    assert_string_equal(queue_id_make(buf, &tv, 0, 1), "0000000000z0");
    tv.tv_usec = 51;
    assert_string_equal(queue_id_make(buf, &tv, 50, 1), "000000000zzy"); /* 51 -> "z", 50 -> "y" */
    tv.tv_usec = 52;
    assert_string_equal(queue_id_make(buf, &tv, 51, 1), "0000000010z10");
    /* The seconds field grows past 6 digits; the microseconds stay 4. */
    tv.tv_sec = (time_t)19770609664LL; /* 52^6 */
    tv.tv_usec = 999999;
    id = queue_id_make(buf, &tv, 123456789, 1);
    assert_int_equal(strcspn(id, "z"), 11);
    assert_true(queue_id_is_long(id));
    assert_int_equal(queue_id_time(id, &tv), 0);
    assert_int_equal(tv.tv_sec, 19770609664LL);
    assert_int_equal(tv.tv_usec, 999999);
    for (const char *cp = id; *cp; cp++)
        assert_null(strchr("AEIOUaeiou", *cp));
    vstring_free(buf);
}

static void
test_queue_id_ok(void **state)
{
    (void)state;
    assert_true(queue_id_ok("3F1A21C0B5E"));
    assert_true(queue_id_ok("3Pt2mN2VXxznjll"));
    assert_true(queue_id_ok("a"));
    assert_true(queue_id_ok("0123456789abcdefABCDEF0123456789")); /* 32 */
    assert_false(queue_id_ok("0123456789abcdefABCDEF0123456789x"));
    assert_false(queue_id_ok(""));
    assert_false(queue_id_ok("../etc"));
    assert_false(queue_id_ok(".tmpAbc123"));
    assert_false(queue_id_ok("ABC DEF"));
    assert_false(queue_id_ok("ABC/DEF"));
    assert_false(queue_id_ok("ABC\xc3\xa9"));
}

static void
test_shape_checks(void **state)
{
    struct timeval tv;
    long usec;

    (void)state;
    assert_false(queue_id_is_long("3F1A21C0B5E"));
    assert_false(queue_id_is_long("3Pt2mN2VXz"));                  /* no inode part */
    assert_false(queue_id_is_long("3Pt2mNz2VXxnjll"));             /* time part too short */
    assert_false(queue_id_is_long("3Pt2mN2VXAznjll"));             /* vowel */
    assert_false(queue_id_is_long("3Pt2mN2VXx-znjll"));            /* not a name at all */
    assert_int_equal(queue_id_usec("3Pt2mNzzzzznjll", &usec), -1); /* usec over 999999 */
    assert_int_equal(queue_id_usec("F4240AB", &usec), -1);         /* 1000000 */
    assert_int_equal(queue_id_usec("ABCDE", &usec), -1);           /* no inode part */
    assert_int_equal(queue_id_usec("abcdef1", &usec), -1);         /* lower case hex */
    assert_int_equal(queue_id_time("3F1A21C0B5E", &tv), -1);
}

/* Ids of distinct (time, inode) pairs never collide, in either form. */
static void
test_uniqueness(void **state)
{
    static char mark[] = "x";
    struct vstring *buf = vstring_alloc(10);
    struct htable *seen[2];
    struct timeval tv;
    char *dup;

    (void)state;
    for (int form = 0; form < 2; form++) {
        seen[form] = htable_create(100000);
        for (long t = 0; t < 300; t++) {
            for (long inode = 1; inode < 200; inode++) {
                tv.tv_sec = 1700000000 + t / 7;
                tv.tv_usec = (t * 3331) % 1000000;
                queue_id_make(buf, &tv, (ino_t)(inode * 4099), form);
                assert_true(queue_id_ok(vstring_str(buf)));
                assert_int_equal(queue_id_is_long(vstring_str(buf)), form);
                dup = htable_find(seen[form], vstring_str(buf));
                if (dup)
                    fail_msg("duplicate id %s", vstring_str(buf));
                htable_enter(seen[form], vstring_str(buf), mark);
            }
        }
        htable_free(seen[form], NULL);
    }
    vstring_free(buf);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_short_form),
        cmocka_unit_test(test_long_form_matches_postfix_example),
        cmocka_unit_test(test_long_form_padding_and_alphabet),
        cmocka_unit_test(test_queue_id_ok),
        cmocka_unit_test(test_shape_checks),
        cmocka_unit_test(test_uniqueness),
    };

    msg_init("test_queue_id", MSG_STDERR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
