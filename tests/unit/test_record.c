/*
 * test_record - unit tests for the record layer (lib/mail/record.c).
 *
 * Records go through a pipe or a temporary file. Covered: the exact bytes
 * of a record, round trips of every record type (empty, binary and
 * largest payloads), clean end of input, every malformed input (short
 * header, short payload, type 0, length over the limit) with its reason,
 * a silent writer's timeout, the byte helpers, the CRC-32 check value,
 * and the record type names.
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

#include "mail/rec_type.h"
#include "mail/record.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/vstream.h"
#include "util/vstring.h"

/* A stream that reads back what was written to a temporary file. */
static struct vstream *
stream_of(const void *data, size_t len)
{
    FILE *tmp = tmpfile();
    int fd;

    assert_non_null(tmp);
    assert_int_equal(fwrite(data, 1, len, tmp), len);
    fflush(tmp);
    fd = dup(fileno(tmp));
    fclose(tmp);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    return vstream_fdopen(fd, "test");
}

/* Writes records into a file and returns a stream reading them back. */
static struct vstream *
stream_rewind(struct vstream *out)
{
    int fd = dup(vstream_fileno(out));

    assert_int_equal(vstream_close(out), 0);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    return vstream_fdopen(fd, "test-in");
}

static struct vstream *
stream_new(void)
{
    FILE *tmp = tmpfile();
    int fd = dup(fileno(tmp));

    fclose(tmp);
    return vstream_fdopen(fd, "test-out");
}

static void
test_wire_bytes(void **state)
{
    struct vstream *out = stream_new();
    struct vstream *in;
    char buf[32];

    (void)state;
    assert_int_equal(record_put(out, REC_TYPE_SENDER, "ab", 2), 0);
    assert_int_equal(record_put(out, REC_TYPE_MESG, "", 0), 0);
    in = stream_rewind(out);
    assert_int_equal(vstream_read(in, buf, sizeof(buf)), 12);
    assert_memory_equal(buf, "S\0\0\0\2abM\0\0\0\0", 12);
    vstream_close(in);
}

static void
test_round_trip_every_type(void **state)
{
    static const int types[] = {
        REC_TYPE_HEADER,    REC_TYPE_TIME,    REC_TYPE_WARN, REC_TYPE_ATTR, REC_TYPE_SENDER,
        REC_TYPE_DSN_ENVID, REC_TYPE_DSN_RET, REC_TYPE_RCPT, REC_TYPE_RRTO, REC_TYPE_ERTO,
        REC_TYPE_MESG,      REC_TYPE_NORM,    REC_TYPE_CONT, REC_TYPE_XTRA, REC_TYPE_END};
    size_t ntypes = sizeof(types) / sizeof(types[0]);
    struct vstring *why = vstring_alloc(10);
    struct vstring *buf = vstring_alloc(10);
    struct vstream *out = stream_new();
    struct vstream *in;
    char payload[600];

    (void)state;
    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (char)(i * 7);
    for (size_t i = 0; i < ntypes; i++)
        assert_int_equal(record_put(out, types[i], payload, i * 40), 0);
    in = stream_rewind(out);
    for (size_t i = 0; i < ntypes; i++) {
        assert_int_equal(record_get(in, buf, RECORD_LEN_MAX, why), types[i]);
        assert_int_equal(vstring_len(buf), i * 40);
        assert_memory_equal(vstring_str(buf), payload, i * 40);
        assert_true(rec_type_ok(types[i]));
    }
    assert_int_equal(record_get(in, buf, RECORD_LEN_MAX, why), RECORD_EOF);
    vstream_close(in);
    vstring_free(why);
    vstring_free(buf);
}

static void
test_largest_record(void **state)
{
    struct vstring *why = vstring_alloc(10);
    struct vstring *buf = vstring_alloc(10);
    struct vstream *out = stream_new();
    struct vstream *in;
    char *payload = mymalloc(RECORD_LEN_MAX);

    (void)state;
    memset(payload, 'q', RECORD_LEN_MAX);
    assert_int_equal(record_put(out, REC_TYPE_CONT, payload, RECORD_LEN_MAX), 0);
    in = stream_rewind(out);
    assert_int_equal(record_get(in, buf, RECORD_LEN_MAX, why), REC_TYPE_CONT);
    assert_int_equal(vstring_len(buf), RECORD_LEN_MAX);
    assert_memory_equal(vstring_str(buf), payload, RECORD_LEN_MAX);
    vstream_close(in);
    myfree(payload);
    vstring_free(why);
    vstring_free(buf);
}

/* Feeds raw bytes to record_get and checks the error reason. */
static void
expect_error(const char *data, size_t len, size_t limit, const char *reason)
{
    struct vstring *why = vstring_alloc(10);
    struct vstring *buf = vstring_alloc(10);
    struct vstream *in = stream_of(data, len);

    assert_int_equal(record_get(in, buf, limit, why), RECORD_ERROR);
    assert_string_equal(vstring_str(why), reason);
    assert_true(vstring_len(buf) <= limit);
    vstream_close(in);
    vstring_free(why);
    vstring_free(buf);
}

static void
test_malformed_input(void **state)
{
    (void)state;
    expect_error("S\0\0", 3, 100, "truncated record header (3 of 5 bytes)");
    expect_error("S\0\0\0\12abc", 8, 100, "truncated record payload (3 of 10 bytes)");
    expect_error("\0\0\0\0\0", 5, 100, "record type 0");
    expect_error("N\0\0\0\145", 5, 100, "line record length 101 exceeds limit 100");
    expect_error("N\377\377\377\377", 5, 1u << 30,
                 "line record length 4294967295 exceeds limit 1048576");
}

static void
test_clean_eof(void **state)
{
    struct vstring *why = vstring_alloc(10);
    struct vstring *buf = vstring_alloc(10);
    struct vstream *in = stream_of("", 0);

    (void)state;
    assert_int_equal(record_get(in, buf, 100, why), RECORD_EOF);
    vstream_close(in);
    vstring_free(why);
    vstring_free(buf);
}

static void
test_timeout(void **state)
{
    struct vstring *why = vstring_alloc(10);
    struct vstring *buf = vstring_alloc(10);
    struct vstream *in;
    int fds[2];

    (void)state;
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], "S\0\0\0\5ab", 7), 7);
    in = vstream_fdopen(fds[0], "pipe");
    vstream_set_timeout(in, 1);
    assert_int_equal(record_get(in, buf, 100, why), RECORD_ERROR);
    assert_string_equal(vstring_str(why), "timeout while reading record payload");
    vstream_close(in);
    close(fds[1]);
    vstring_free(why);
    vstring_free(buf);
}

static void
test_byte_helpers(void **state)
{
    unsigned char b[8];

    (void)state;
    record_put_u32(b, 0x01020304);
    assert_memory_equal(b, "\1\2\3\4", 4);
    assert_int_equal(record_get_u32(b), 0x01020304);
    record_put_u64(b, 0x1122334455667788ULL);
    assert_memory_equal(b, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
    assert_true(record_get_u64(b) == 0x1122334455667788ULL);
}

static void
test_crc32(void **state)
{
    uint32_t crc;

    (void)state;
    assert_int_equal(record_crc32(0, "123456789", 9), 0xCBF43926);
    assert_int_equal(record_crc32(0, "", 0), 0);
    crc = record_crc32(0, "1234", 4);
    assert_int_equal(record_crc32(crc, "56789", 5), 0xCBF43926);
}

static void
test_type_names(void **state)
{
    (void)state;
    assert_string_equal(rec_type_name(REC_TYPE_RCPT), "recipient");
    assert_string_equal(rec_type_name(REC_TYPE_CONT), "line_piece");
    assert_string_equal(rec_type_name('Q'), "unknown");
    assert_false(rec_type_ok('Q'));
    assert_false(rec_type_ok(0));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wire_bytes),     cmocka_unit_test(test_round_trip_every_type),
        cmocka_unit_test(test_largest_record), cmocka_unit_test(test_malformed_input),
        cmocka_unit_test(test_clean_eof),      cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_byte_helpers),   cmocka_unit_test(test_crc32),
        cmocka_unit_test(test_type_names),
    };

    msg_init("test_record", MSG_STDERR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
