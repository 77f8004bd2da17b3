/*
 * test_attr - unit tests for the IPC codec (lib/mail/attr*.c).
 *
 * Each test talks over a socketpair: one end written with attr_print or
 * raw bytes, the other read with attr_scan. Covered: the exact wire bytes,
 * round trips of every type (including values larger than the stream
 * buffer), the OPTIONAL/EXTRA/STRICT/MORE flags, every malformed-input case
 * with its reason and kind, the limits, a silent peer's timeout, a clean
 * end of input, a write to a closed peer, and the protocol announcement.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mail/attr.h"
#include "util/htable.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/vstream.h"
#include "util/vstring.h"

/* A connected pair: "out" is written, "in" is read. */
struct pair {
    struct vstream *out;
    struct vstream *in;
};

static void
pair_open(struct pair *pp, int timeout)
{
    int sv[2];

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    pp->out = vstream_fdopen(sv[0], "test-out");
    pp->in = vstream_fdopen(sv[1], "test-in");
    vstream_set_timeout(pp->out, timeout);
    vstream_set_timeout(pp->in, timeout);
}

/* Closes the writing side, so the reader sees end of input after the data. */
static void
pair_close_out(struct pair *pp)
{
    if (pp->out) {
        vstream_close(pp->out);
        pp->out = NULL;
    }
}

static void
pair_close(struct pair *pp)
{
    pair_close_out(pp);
    vstream_close(pp->in);
}

/* Raw wire writers, for input attr_print would never produce. */
static void
raw_u32(struct vstring *buf, uint32_t value)
{
    vstring_addch(buf, (int)(value >> 24) & 0xff);
    vstring_addch(buf, (int)(value >> 16) & 0xff);
    vstring_addch(buf, (int)(value >> 8) & 0xff);
    vstring_addch(buf, (int)value & 0xff);
}

static void
raw_counted(struct vstring *buf, const char *data, size_t len)
{
    raw_u32(buf, (uint32_t)len);
    vstring_memcat(buf, data, len);
}

static void
raw_item(struct vstring *buf, int type_byte, const char *name)
{
    vstring_addch(buf, type_byte);
    raw_counted(buf, name, strlen(name));
}

static void
raw_str(struct vstring *buf, const char *name, const char *value)
{
    raw_item(buf, 'S', name);
    raw_counted(buf, value, strlen(value));
}

static void
raw_send(struct pair *pp, const struct vstring *buf)
{
    assert_int_equal(vstream_write(pp->out, vstring_str(buf), vstring_len(buf)), 0);
    assert_int_equal(vstream_flush(pp->out), 0);
}

/* Sends raw bytes, closes the writer, and scans for one string "a". */
static int
scan_raw_str(const struct vstring *buf, int flags, const struct attr_limits *limits)
{
    struct pair p;
    struct vstring *a = vstring_alloc(10);
    int n;

    pair_open(&p, 2);
    raw_send(&p, buf);
    pair_close_out(&p);
    n = attr_scan_bounded(p.in, flags, limits, ATTR_RECV_STR("a", a), ATTR_TYPE_END);
    vstring_free(a);
    pair_close(&p);
    return n;
}

static void
test_wire_bytes(void **state)
{
    /* clang-format off */
    static const unsigned char want[] = {
        'I', 0, 0, 0, 1, 'n', 0xff, 0xff, 0xff, 0xfe,                          /* n = -2 */
        'L', 0, 0, 0, 1, 'l', 0, 0, 0, 1, 0, 0, 0, 2,                           /* l = 2^32+2 */
        'S', 0, 0, 0, 1, 's', 0, 0, 0, 2, 'h', 'i',                             /* s = "hi" */
        'D', 0, 0, 0, 1, 'd', 0, 0, 0, 2, 0, 0xff,                              /* d = 00 ff */
        'T', 0, 0, 0, 1, 't', 0, 0, 0, 1, 0, 0, 0, 1, 'k', 0, 0, 0, 1, 'v', 'E' /* t = {k: v} */
    };
    /* clang-format on */
    struct htable *table = htable_create(4);
    unsigned char got[sizeof(want) + 16];
    struct pair p;

    (void)state;
    htable_enter(table, "k", "v");
    pair_open(&p, 2);
    assert_int_equal(attr_print(p.out, ATTR_FLAG_NONE, ATTR_SEND_INT("n", -2),
                                ATTR_SEND_LONG("l", 4294967298L), ATTR_SEND_STR("s", "hi"),
                                ATTR_SEND_DATA("d", "\0\xff", 2), ATTR_SEND_TABLE("t", table),
                                ATTR_TYPE_END),
                     0);
    pair_close_out(&p);
    assert_int_equal(vstream_read(p.in, got, sizeof(got)), sizeof(want));
    assert_memory_equal(got, want, sizeof(want));
    pair_close(&p);
    htable_free(table, NULL);
}

static void
test_roundtrip_all_types(void **state)
{
    struct htable *table = htable_create(4);
    struct htable *got_table = htable_create(4);
    struct vstring *str = vstring_alloc(10);
    struct vstring *empty = vstring_alloc(10);
    struct vstring *data = vstring_alloc(10);
    int imin = 0, imax = 0;
    long lmin = 0, lmax = 0;
    struct pair p;

    (void)state;
    htable_enter(table, "alpha", "1");
    htable_enter(table, "", "empty key");
    htable_enter(table, "beta", "");
    vstring_strcpy(empty, "stale");
    pair_open(&p, 2);
    assert_int_equal(attr_print(p.out, ATTR_FLAG_NONE, ATTR_SEND_INT("imin", INT_MIN),
                                ATTR_SEND_INT("imax", INT_MAX), ATTR_SEND_LONG("lmin", LONG_MIN),
                                ATTR_SEND_LONG("lmax", LONG_MAX),
                                ATTR_SEND_STR("str", "queue id 4Xy.-_"), ATTR_SEND_STR("empty", ""),
                                ATTR_SEND_DATA("data", "a\0b\r\n\xff", 6),
                                ATTR_SEND_TABLE("table", table), ATTR_TYPE_END),
                     0);
    /* Requested in another order than sent: order does not matter by default. */
    assert_int_equal(attr_scan(p.in, ATTR_FLAG_NONE, ATTR_RECV_TABLE("table", got_table),
                               ATTR_RECV_DATA("data", data), ATTR_RECV_STR("empty", empty),
                               ATTR_RECV_STR("str", str), ATTR_RECV_LONG("lmax", &lmax),
                               ATTR_RECV_LONG("lmin", &lmin), ATTR_RECV_INT("imax", &imax),
                               ATTR_RECV_INT("imin", &imin), ATTR_TYPE_END),
                     8);
    assert_int_equal(imin, INT_MIN);
    assert_int_equal(imax, INT_MAX);
    assert_true(lmin == LONG_MIN);
    assert_true(lmax == LONG_MAX);
    assert_string_equal(vstring_str(str), "queue id 4Xy.-_");
    assert_int_equal(vstring_len(empty), 0);
    assert_int_equal(vstring_len(data), 6);
    assert_memory_equal(vstring_str(data), "a\0b\r\n\xff", 6);
    assert_int_equal(got_table->used, 3);
    assert_string_equal(htable_find(got_table, "alpha"), "1");
    assert_string_equal(htable_find(got_table, ""), "empty key");
    assert_string_equal(htable_find(got_table, "beta"), "");
    assert_int_equal(attr_error_kind(), ATTR_ERR_NONE);
    pair_close(&p);
    htable_free(table, NULL);
    htable_free(got_table, myfree);
    vstring_free(str);
    vstring_free(empty);
    vstring_free(data);
}

/* A value much larger than the stream buffer, written by a child process. */
static void
test_roundtrip_large_value(void **state)
{
    size_t len = 600 * 1024;
    char *big = mymalloc(len);
    struct vstring *got = vstring_alloc(10);
    struct pair p;
    pid_t pid;
    int status;

    (void)state;
    for (size_t i = 0; i < len; i++)
        big[i] = (char)(i * 7 + i / 251);
    pair_open(&p, 5);
    if ((pid = fork()) == 0) {
        vstream_close(p.in);
        _exit(attr_print(p.out, ATTR_FLAG_NONE, ATTR_SEND_DATA("big", big, len), ATTR_TYPE_END) == 0
                  ? 0
                  : 1);
    }
    assert_true(pid > 0);
    pair_close_out(&p);
    assert_int_equal(attr_scan(p.in, ATTR_FLAG_NONE, ATTR_RECV_DATA("big", got), ATTR_TYPE_END), 1);
    assert_int_equal(vstring_len(got), len);
    assert_memory_equal(vstring_str(got), big, len);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    pair_close(&p);
    vstring_free(got);
    myfree(big);
}

static void
test_more_and_sequence(void **state)
{
    struct vstring *request = vstring_alloc(10);
    struct vstring *addr = vstring_alloc(10);
    int flags = 0, status = 0;
    struct pair p;

    (void)state;
    pair_open(&p, 2);
    /* One list written in two calls, then a second list. */
    assert_int_equal(
        attr_print(p.out, ATTR_FLAG_MORE, ATTR_SEND_STR("request", "resolve"), ATTR_TYPE_END), 0);
    assert_int_equal(attr_print(p.out, ATTR_FLAG_NONE, ATTR_SEND_STR("address", "u@example.com"),
                                ATTR_SEND_INT("flags", 3), ATTR_TYPE_END),
                     0);
    assert_int_equal(attr_print(p.out, ATTR_FLAG_NONE, ATTR_SEND_INT("status", 7), ATTR_TYPE_END),
                     0);
    /* The server reads the request name first, then the rest of that list. */
    assert_int_equal(
        attr_scan(p.in, ATTR_FLAG_MORE, ATTR_RECV_STR("request", request), ATTR_TYPE_END), 1);
    assert_string_equal(vstring_str(request), "resolve");
    assert_int_equal(attr_scan(p.in, ATTR_FLAG_STRICT, ATTR_RECV_STR("address", addr),
                               ATTR_RECV_INT("flags", &flags), ATTR_TYPE_END),
                     2);
    assert_string_equal(vstring_str(addr), "u@example.com");
    assert_int_equal(flags, 3);
    assert_int_equal(
        attr_scan(p.in, ATTR_FLAG_NONE, ATTR_RECV_INT("status", &status), ATTR_TYPE_END), 1);
    assert_int_equal(status, 7);
    pair_close(&p);
    vstring_free(request);
    vstring_free(addr);
}

static void
test_optional(void **state)
{
    struct vstring *reason = vstring_alloc(10);
    int status = -1, dsn = 42;
    struct pair p;

    (void)state;
    pair_open(&p, 2);
    attr_print(p.out, ATTR_FLAG_NONE, ATTR_SEND_INT("status", 0), ATTR_TYPE_END);
    attr_print(p.out, ATTR_FLAG_NONE, ATTR_SEND_INT("status", 0), ATTR_TYPE_END);
    vstring_strcpy(reason, "untouched");
    assert_int_equal(attr_scan(p.in, ATTR_FLAG_OPTIONAL, ATTR_RECV_INT("status", &status),
                               ATTR_RECV_STR("reason", reason), ATTR_RECV_INT("dsn", &dsn),
                               ATTR_TYPE_END),
                     1);
    assert_int_equal(status, 0);
    assert_string_equal(vstring_str(reason), "untouched");
    assert_int_equal(dsn, 42);
    /* Without the flag, an absent attribute is an error. */
    assert_int_equal(attr_scan(p.in, ATTR_FLAG_NONE, ATTR_RECV_INT("status", &status),
                               ATTR_RECV_STR("reason", reason), ATTR_TYPE_END),
                     -1);
    assert_int_equal(attr_error_kind(), ATTR_ERR_MALFORMED);
    assert_string_equal(attr_error_reason(),
                        "malformed attribute list: missing attribute \"reason\"");
    pair_close(&p);
    vstring_free(reason);
}

static void
test_extra(void **state)
{
    struct htable *table = htable_create(4);
    struct vstring *id = vstring_alloc(10);
    struct pair p;

    (void)state;
    htable_enter(table, "x", "y");
    pair_open(&p, 2);
    for (int i = 0; i < 2; i++)
        attr_print(p.out, ATTR_FLAG_NONE, ATTR_SEND_INT("i", 1), ATTR_SEND_LONG("l", 2),
                   ATTR_SEND_STR("queue_id", "ABC123"), ATTR_SEND_STR("s", "text"),
                   ATTR_SEND_DATA("d", "\0", 1), ATTR_SEND_TABLE("t", table), ATTR_TYPE_END);
    assert_int_equal(attr_scan(p.in, ATTR_FLAG_EXTRA, ATTR_RECV_STR("queue_id", id), ATTR_TYPE_END),
                     1);
    assert_string_equal(vstring_str(id), "ABC123");
    /* Without the flag, the first unknown attribute is rejected. */
    assert_int_equal(attr_scan(p.in, ATTR_FLAG_NONE, ATTR_RECV_STR("queue_id", id), ATTR_TYPE_END),
                     -1);
    assert_string_equal(attr_error_reason(),
                        "malformed attribute list: unexpected attribute \"i\"");
    pair_close(&p);
    htable_free(table, NULL);
    vstring_free(id);
}

static void
test_strict_order(void **state)
{
    int a = 0, b = 0, c = 0;
    struct pair p;

    (void)state;
    pair_open(&p, 2);
    for (int i = 0; i < 2; i++)
        attr_print(p.out, ATTR_FLAG_NONE, ATTR_SEND_INT("b", 2), ATTR_SEND_INT("a", 1),
                   ATTR_TYPE_END);
    assert_int_equal(attr_scan(p.in, ATTR_FLAG_NONE, ATTR_RECV_INT("a", &a), ATTR_RECV_INT("b", &b),
                               ATTR_TYPE_END),
                     2);
    assert_int_equal(a + 10 * b, 21);
    /* Optional "a" may be left out, but may not come after "b". */
    assert_int_equal(attr_scan(p.in, ATTR_FLAG_STRICT | ATTR_FLAG_OPTIONAL, ATTR_RECV_INT("a", &a),
                               ATTR_RECV_INT("b", &b), ATTR_RECV_INT("c", &c), ATTR_TYPE_END),
                     -1);
    assert_string_equal(attr_error_reason(),
                        "malformed attribute list: attribute \"a\" out of order");
    pair_close(&p);
    /* "b" first while "a" is required. */
    pair_open(&p, 2);
    attr_print(p.out, ATTR_FLAG_NONE, ATTR_SEND_INT("b", 2), ATTR_SEND_INT("a", 1), ATTR_TYPE_END);
    assert_int_equal(attr_scan(p.in, ATTR_FLAG_STRICT, ATTR_RECV_INT("a", &a),
                               ATTR_RECV_INT("b", &b), ATTR_TYPE_END),
                     -1);
    assert_string_equal(attr_error_reason(),
                        "malformed attribute list: attribute \"b\" out of order (expected \"a\")");
    pair_close(&p);
}

static void
test_duplicates(void **state)
{
    struct vstring *buf = vstring_alloc(100);

    (void)state;
    /* A requested attribute twice. */
    raw_str(buf, "a", "1");
    raw_str(buf, "a", "2");
    vstring_addch(buf, 'E');
    assert_int_equal(scan_raw_str(buf, ATTR_FLAG_NONE, NULL), -1);
    assert_string_equal(attr_error_reason(), "malformed attribute list: duplicate attribute \"a\"");
    /* A skipped attribute twice. */
    vstring_reset(buf);
    raw_str(buf, "a", "1");
    raw_str(buf, "x", "1");
    raw_str(buf, "x", "2");
    vstring_addch(buf, 'E');
    assert_int_equal(scan_raw_str(buf, ATTR_FLAG_EXTRA, NULL), -1);
    assert_string_equal(attr_error_reason(), "malformed attribute list: duplicate attribute \"x\"");
    /* A table key twice. */
    vstring_reset(buf);
    raw_item(buf, 'T', "t");
    raw_u32(buf, 2);
    raw_counted(buf, "k", 1);
    raw_counted(buf, "1", 1);
    raw_counted(buf, "k", 1);
    raw_counted(buf, "2", 1);
    vstring_addch(buf, 'E');
    assert_int_equal(scan_raw_str(buf, ATTR_FLAG_EXTRA | ATTR_FLAG_OPTIONAL, NULL), -1);
    assert_string_equal(attr_error_reason(), "malformed attribute \"t\": duplicate table key");
    vstring_free(buf);
}

/* One malformed input and the reason it must produce. */
struct bad_case {
    const char *what;
    const char *bytes;
    size_t len;
    int flags;
    const char *reason;
    enum attr_error kind;
};

#define BYTES(s) s, sizeof(s) - 1

static const struct bad_case bad_cases[] = {
    {"bad type byte", BYTES("X"), 0, "malformed attribute list: bad type byte 0x58",
     ATTR_ERR_MALFORMED},
    {"NUL type byte", BYTES("\0"), 0, "malformed attribute list: bad type byte 0x00",
     ATTR_ERR_MALFORMED},
    {"empty name", BYTES("S\0\0\0\0"), 0, "malformed attribute: name length 0 (allowed: 1 to 64)",
     ATTR_ERR_MALFORMED},
    {"huge name", BYTES("S\xff\xff\xff\xff"), 0,
     "malformed attribute: name length 4294967295 (allowed: 1 to 64)", ATTR_ERR_MALFORMED},
    {"bad name byte", BYTES("S\0\0\0\2a\n\0\0\0\0E"), 0,
     "malformed attribute: bad byte 0x0a in name", ATTR_ERR_MALFORMED},
    {"huge value", BYTES("S\0\0\0\1a\x7f\xff\xff\xff"), 0,
     "malformed attribute \"a\": value length 2147483647 exceeds limit 1048576",
     ATTR_ERR_MALFORMED},
    {"huge data value", BYTES("D\0\0\0\1x\0\x10\0\1"), ATTR_FLAG_EXTRA | ATTR_FLAG_OPTIONAL,
     "malformed attribute \"x\": value length 1048577 exceeds limit 1048576", ATTR_ERR_MALFORMED},
    {"NUL in string", BYTES("S\0\0\0\1a\0\0\0\3a\0bE"), 0,
     "malformed attribute \"a\": NUL byte in value", ATTR_ERR_MALFORMED},
    {"NUL in table value", BYTES("T\0\0\0\1t\0\0\0\1\0\0\0\1k\0\0\0\1\0E"),
     ATTR_FLAG_EXTRA | ATTR_FLAG_OPTIONAL, "malformed attribute \"t\": NUL byte in table value",
     ATTR_ERR_MALFORMED},
    {"huge table", BYTES("T\0\0\0\1t\xff\0\0\0"), ATTR_FLAG_EXTRA | ATTR_FLAG_OPTIONAL,
     "malformed attribute \"t\": table size 4278190080 exceeds limit 4096", ATTR_ERR_MALFORMED},
    {"wrong type", BYTES("I\0\0\0\1a\0\0\0\1E"), 0,
     "malformed attribute \"a\": type int, want string", ATTR_ERR_MALFORMED},
    {"unexpected", BYTES("I\0\0\0\1b\0\0\0\1E"), 0,
     "malformed attribute list: unexpected attribute \"b\"", ATTR_ERR_MALFORMED},
    {"missing", BYTES("E"), 0, "malformed attribute list: missing attribute \"a\"",
     ATTR_ERR_MALFORMED},
    {"no end marker", BYTES("S\0\0\0\1a\0\0\0\1v"), 0, "premature end of input in attribute list",
     ATTR_ERR_TRUNCATED},
    {"cut in a length", BYTES("S\0\0"), 0, "premature end of input in attribute list",
     ATTR_ERR_TRUNCATED},
    {"cut in a value", BYTES("S\0\0\0\1a\0\0\0\5abc"), 0,
     "premature end of input in attribute list", ATTR_ERR_TRUNCATED},
    {"nothing", BYTES(""), 0, "end of input before attribute list", ATTR_ERR_EOF},
};

static void
test_malformed_input(void **state)
{
    struct vstring *buf = vstring_alloc(100);
    const struct bad_case *bp;

    (void)state;
    for (bp = bad_cases; bp < bad_cases + sizeof(bad_cases) / sizeof(bad_cases[0]); bp++) {
        vstring_memcpy(buf, bp->bytes, bp->len);
        if (scan_raw_str(buf, bp->flags, NULL) != -1)
            fail_msg("%s: accepted", bp->what);
        if (strcmp(attr_error_reason(), bp->reason) != 0)
            fail_msg("%s: reason \"%s\", want \"%s\"", bp->what, attr_error_reason(), bp->reason);
        if (attr_error_kind() != bp->kind)
            fail_msg("%s: kind %d, want %d", bp->what, attr_error_kind(), bp->kind);
    }
    vstring_free(buf);
}

/* Every strict prefix of a valid list is rejected as truncated (or empty). */
static void
test_every_prefix_truncated(void **state)
{
    struct htable *table = htable_create(4);
    struct htable *got = htable_create(4);
    struct vstring *wire = vstring_alloc(100);
    struct vstring *s = vstring_alloc(10);
    char chunk[256];
    int i = 0;
    long l = 0;
    size_t n;
    struct pair p;

    (void)state;
    htable_enter(table, "key", "value");
    pair_open(&p, 2);
    attr_print(p.out, ATTR_FLAG_NONE, ATTR_SEND_INT("i", 1), ATTR_SEND_LONG("l", 2),
               ATTR_SEND_STR("s", "str"), ATTR_SEND_TABLE("t", table), ATTR_TYPE_END);
    pair_close_out(&p);
    while ((n = vstream_read(p.in, chunk, sizeof(chunk))) > 0)
        vstring_memcat(wire, chunk, n);
    pair_close(&p);
    for (size_t len = 0; len < vstring_len(wire); len++) {
        pair_open(&p, 2);
        assert_int_equal(vstream_write(p.out, vstring_str(wire), len), 0);
        pair_close_out(&p);
        assert_int_equal(attr_scan(p.in, ATTR_FLAG_NONE, ATTR_RECV_INT("i", &i),
                                   ATTR_RECV_LONG("l", &l), ATTR_RECV_STR("s", s),
                                   ATTR_RECV_TABLE("t", got), ATTR_TYPE_END),
                         -1);
        assert_int_equal(attr_error_kind(), len == 0 ? ATTR_ERR_EOF : ATTR_ERR_TRUNCATED);
        pair_close(&p);
        htable_free(got, myfree);
        got = htable_create(4);
    }
    htable_free(table, NULL);
    htable_free(got, myfree);
    vstring_free(wire);
    vstring_free(s);
}

static void
test_limits(void **state)
{
    static const struct attr_limits small = {
        .name_max = 4, .value_max = 8, .count_max = 3, .table_max = 2, .list_max = 30};
    struct vstring *buf = vstring_alloc(100);

    (void)state;
    raw_str(buf, "abcde", "v");
    vstring_addch(buf, 'E');
    assert_int_equal(scan_raw_str(buf, ATTR_FLAG_EXTRA | ATTR_FLAG_OPTIONAL, &small), -1);
    assert_string_equal(attr_error_reason(),
                        "malformed attribute: name length 5 (allowed: 1 to 4)");

    vstring_reset(buf);
    raw_str(buf, "a", "123456789");
    vstring_addch(buf, 'E');
    assert_int_equal(scan_raw_str(buf, ATTR_FLAG_NONE, &small), -1);
    assert_string_equal(attr_error_reason(),
                        "malformed attribute \"a\": value length 9 exceeds limit 8");

    vstring_reset(buf);
    for (int i = 0; i < 4; i++)
        raw_str(buf, (const char *[]){"a", "b", "c", "d"}[i], "");
    vstring_addch(buf, 'E');
    assert_int_equal(scan_raw_str(buf, ATTR_FLAG_EXTRA, &small), -1);
    assert_string_equal(attr_error_reason(),
                        "malformed attribute list: no end marker after 3 attributes");

    vstring_reset(buf);
    raw_item(buf, 'T', "t");
    raw_u32(buf, 3);
    vstring_addch(buf, 'E');
    assert_int_equal(scan_raw_str(buf, ATTR_FLAG_EXTRA | ATTR_FLAG_OPTIONAL, &small), -1);
    assert_string_equal(attr_error_reason(),
                        "malformed attribute \"t\": table size 3 exceeds limit 2");

    /* A table's keys and values together are bounded by value_max. */
    vstring_reset(buf);
    raw_item(buf, 'T', "t");
    raw_u32(buf, 2);
    raw_counted(buf, "k1", 2);
    raw_counted(buf, "abc", 3);
    raw_counted(buf, "k2", 2);
    raw_counted(buf, "abc", 3);
    vstring_addch(buf, 'E');
    assert_int_equal(scan_raw_str(buf, ATTR_FLAG_EXTRA | ATTR_FLAG_OPTIONAL, &small), -1);
    assert_string_equal(attr_error_reason(),
                        "malformed attribute \"t\": table value length 3 exceeds limit 1");

    /* The whole list is bounded by list_max. */
    vstring_reset(buf);
    raw_str(buf, "a", "12345678");
    raw_str(buf, "bbb", "12345678");
    raw_str(buf, "ccc", "12345678");
    vstring_addch(buf, 'E');
    assert_int_equal(scan_raw_str(buf, ATTR_FLAG_EXTRA, &small), -1);
    assert_string_equal(attr_error_reason(),
                        "malformed attribute list: more than 30 bytes of names and values");
    vstring_free(buf);
}

static void
test_timeout_silent_peer(void **state)
{
    struct vstring *a = vstring_alloc(10);
    struct vstring *buf = vstring_alloc(10);
    time_t start;
    struct pair p;

    (void)state;
    /* Nothing at all. */
    pair_open(&p, 1);
    start = time(NULL);
    assert_int_equal(attr_scan(p.in, ATTR_FLAG_NONE, ATTR_RECV_STR("a", a), ATTR_TYPE_END), -1);
    assert_int_equal(attr_error_kind(), ATTR_ERR_TIMEOUT);
    assert_string_equal(attr_error_reason(), "timeout after 1 seconds reading attribute list");
    assert_true(time(NULL) - start >= 1 && time(NULL) - start <= 3);
    pair_close(&p);
    /* Half a list, then silence. */
    pair_open(&p, 1);
    raw_item(buf, 'S', "a");
    raw_u32(buf, 100);
    raw_send(&p, buf);
    start = time(NULL);
    assert_int_equal(attr_scan(p.in, ATTR_FLAG_NONE, ATTR_RECV_STR("a", a), ATTR_TYPE_END), -1);
    assert_int_equal(attr_error_kind(), ATTR_ERR_TIMEOUT);
    assert_true(time(NULL) - start <= 3);
    pair_close(&p);
    vstring_free(a);
    vstring_free(buf);
}

static void
test_write_to_closed_peer(void **state)
{
    struct pair p;

    (void)state;
    signal(SIGPIPE, SIG_IGN);
    pair_open(&p, 1);
    vstream_close(p.in);
    assert_int_equal(attr_print(p.out, ATTR_FLAG_NONE, ATTR_SEND_INT("a", 1), ATTR_TYPE_END), -1);
    assert_int_equal(attr_error_kind(), ATTR_ERR_IO);
    assert_string_equal(attr_error_reason(), "write error in attribute list: Broken pipe");
    vstream_close(p.out);
}

static void
test_protocol(void **state)
{
    struct pair p;
    struct vstring *buf = vstring_alloc(10);

    (void)state;
    pair_open(&p, 2);
    assert_int_equal(attr_announce_protocol(p.out, "cleanup_v1"), 0);
    assert_int_equal(attr_expect_protocol(p.in, "cleanup_v1"), 0);
    /* A mismatch. */
    attr_announce_protocol(p.out, "cleanup_v1");
    assert_int_equal(attr_expect_protocol(p.in, "qmgr_v1"), -1);
    assert_int_equal(attr_error_kind(), ATTR_ERR_PROTOCOL);
    assert_string_equal(attr_error_reason(), "unexpected protocol: got cleanup_v1, want qmgr_v1");
    /* A later server version may add attributes to its announcement. */
    attr_print(p.out, ATTR_FLAG_NONE, ATTR_SEND_STR("protocol", "showq_v1"),
               ATTR_SEND_INT("features", 3), ATTR_TYPE_END);
    assert_int_equal(attr_expect_protocol(p.in, "showq_v1"), 0);
    /* Peer bytes are sanitized before they reach a log line. */
    attr_print(p.out, ATTR_FLAG_NONE, ATTR_SEND_STR("protocol", "x\033[2Jy"), ATTR_TYPE_END);
    assert_int_equal(attr_expect_protocol(p.in, "showq_v1"), -1);
    assert_string_equal(attr_error_reason(), "unexpected protocol: got x?[2Jy, want showq_v1");
    /* A peer that speaks something else entirely. */
    vstring_strcpy(buf, "220 mail.example.com ESMTP\r\n");
    raw_send(&p, buf);
    assert_int_equal(attr_expect_protocol(p.in, "showq_v1"), -1);
    assert_string_equal(attr_error_reason(), "malformed attribute list: bad type byte 0x32");
    pair_close(&p);
    vstring_free(buf);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wire_bytes),
        cmocka_unit_test(test_roundtrip_all_types),
        cmocka_unit_test(test_roundtrip_large_value),
        cmocka_unit_test(test_more_and_sequence),
        cmocka_unit_test(test_optional),
        cmocka_unit_test(test_extra),
        cmocka_unit_test(test_strict_order),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_malformed_input),
        cmocka_unit_test(test_every_prefix_truncated),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_timeout_silent_peer),
        cmocka_unit_test(test_write_to_closed_peer),
        cmocka_unit_test(test_protocol),
    };

    msg_init("test_attr", MSG_STDERR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
