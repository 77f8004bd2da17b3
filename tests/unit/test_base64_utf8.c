/*
 * test_base64_utf8 - unit tests for lib/util/base64_code (RFC 4648 test
 * vectors, strict decoding) and lib/util/valid_utf8 (well-formed and
 * ill-formed UTF-8 sequences).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "util/base64_code.h"
#include "util/valid_utf8.h"
#include "util/vstring.h"

static void
test_base64_rfc4648_vectors(void **state)
{
    static const char *vectors[][2] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    };
    struct vstring *enc = vstring_alloc(10);
    struct vstring *dec = vstring_alloc(10);

    (void)state;
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        base64_encode(enc, vectors[i][0], strlen(vectors[i][0]));
        assert_string_equal(vstring_str(enc), vectors[i][1]);
        assert_non_null(base64_decode(dec, vectors[i][1], strlen(vectors[i][1])));
        assert_int_equal(vstring_len(dec), strlen(vectors[i][0]));
        assert_memory_equal(vstring_str(dec), vectors[i][0], vstring_len(dec));
    }
    vstring_free(enc);
    vstring_free(dec);
}

static void
test_base64_binary_round_trip(void **state)
{
    char data[256];
    struct vstring *enc = vstring_alloc(10);
    struct vstring *dec = vstring_alloc(10);

    (void)state;
    for (int i = 0; i < 256; i++)
        data[i] = (char)i;
    for (size_t len = 0; len <= sizeof(data); len += 37) {
        base64_encode(enc, data, len);
        assert_int_equal(vstring_len(enc), (len + 2) / 3 * 4);
        assert_non_null(base64_decode(dec, vstring_str(enc), vstring_len(enc)));
        assert_int_equal(vstring_len(dec), len);
        assert_memory_equal(vstring_str(dec), data, len);
    }
    vstring_free(enc);
    vstring_free(dec);
}

static void
test_base64_rejects_malformed(void **state)
{
    static const char *bad[] = {
        "!!!", "Zg=", "Zg", "Z===", "=Zg=", "Zg==Zg==", "Zm9v\n", "Zm 9", "Zg=a"};
    struct vstring *dec = vstring_alloc(10);

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_null(base64_decode(dec, bad[i], strlen(bad[i])));
    vstring_free(dec);
}

static void
test_utf8_valid_and_invalid(void **state)
{
    static const char *good[] = {"",
                                 "ascii",
                                 "\xc3\xa4",
                                 "\xe2\x82\xac",
                                 "\xf0\x9f\x98\x80",
                                 "\xed\x9f\xbf",
                                 "\xf4\x8f\xbf\xbf",
                                 "a\xc3\x84z"};
    static const char *bad[] = {"\xff",
                                "\xc3",
                                "\xc0\xaf",
                                "\xc1\xbf",
                                "\xe0\x80\xaf",
                                "\xed\xa0\x80",
                                "\xf4\x90\x80\x80",
                                "\xf5\x80\x80\x80",
                                "\x80",
                                "\xe2\x82",
                                "a\xfe"};

    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_true(valid_utf8_string(good[i], strlen(good[i])));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(valid_utf8_string(bad[i], strlen(bad[i])));
    /* The length bounds the check: a cut sequence is invalid. */
    assert_false(valid_utf8_string("\xe2\x82\xac", 2));
    assert_true(allascii("plain text"));
    assert_false(allascii("caf\xc3\xa9"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base64_rfc4648_vectors),
        cmocka_unit_test(test_base64_binary_round_trip),
        cmocka_unit_test(test_base64_rejects_malformed),
        cmocka_unit_test(test_utf8_valid_and_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
