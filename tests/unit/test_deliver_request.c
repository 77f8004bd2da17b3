/*
 * test_deliver_request - unit tests for the agent side of deliver_v1
 * (lib/mail/deliver_request.c).
 *
 * Each test plays qmgr on one end of a socket pair and the agent on the
 * other, in one process (the lists are small enough for the socket
 * buffer). Covered: the announcement, a request with two recipients read
 * back field by field, results and the final status as qmgr receives
 * them, the exact delivery log line (orig_to only when it differs, the
 * delay rounding), a recipient without a result reported as deferred,
 * verify mode's status words, and refused requests (bad queue id, bad
 * recipient count, a truncated list).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "mail/attr.h"
#include "mail/deliver_request.h"
#include "util/htable.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/vstream.h"
#include "util/vstring.h"
#include "stderr_capture.h"
#include "util_test_helpers.h"
#include "fake_server.h"

static int64_t
now_us(void)
{
    struct timeval tv;

    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

/* qmgr's request: ID, COUNT recipients announced, SENT actually sent. */
static void
send_request(const char *id, int flags, int count, int sent, int64_t arrival, int64_t active)
{
    struct htable *attrs = htable_create(4);

    htable_enter(attrs, "rewrite_context", (void *)"local");
    assert_int_equal(
        attr_print(qmgr_end, ATTR_FLAG_NONE, ATTR_SEND_INT("flags", flags),
                   ATTR_SEND_STR("queue_name", "active"), ATTR_SEND_STR("queue_id", id),
                   ATTR_SEND_LONG("data_offset", 123), ATTR_SEND_LONG("data_size", 456),
                   ATTR_SEND_STR("nexthop", "example.com"),
                   ATTR_SEND_STR("sender", "s@example.com"), ATTR_SEND_STR("dsn_envid", ""),
                   ATTR_SEND_INT("dsn_ret", 0), ATTR_SEND_LONG("time_arrival", arrival),
                   ATTR_SEND_LONG("time_active", active), ATTR_SEND_TABLE("attrs", attrs),
                   ATTR_SEND_INT("rcpt_count", count), ATTR_TYPE_END),
        0);
    htable_free(attrs, NULL);
    for (int i = 0; i < sent; i++) {
        char addr[64];

        snprintf(addr, sizeof(addr), "user%d@example.com", i);
        assert_int_equal(attr_print(qmgr_end, ATTR_FLAG_NONE, ATTR_SEND_LONG("offset", 1000 + i),
                                    ATTR_SEND_STR("address", addr),
                                    ATTR_SEND_STR("orig_rcpt", i == 0 ? "alias@example.com" : addr),
                                    ATTR_SEND_STR("dsn_orcpt", ""), ATTR_SEND_INT("notify", i),
                                    ATTR_TYPE_END),
                         0);
    }
}

/* Reads one result list as qmgr does. */
static void
expect_result(int status, const char *dsn, const char *action, const char *reason)
{
    struct vstring *d = vstring_alloc(10), *a = vstring_alloc(10), *r = vstring_alloc(10);
    struct vstring *relay = vstring_alloc(10);
    int st = -1;

    assert_int_equal(attr_scan(qmgr_end, ATTR_FLAG_NONE, ATTR_RECV_INT("status", &st),
                               ATTR_RECV_STR("dsn_status", d), ATTR_RECV_STR("dsn_action", a),
                               ATTR_RECV_STR("reason", r), ATTR_RECV_STR("relay", relay),
                               ATTR_TYPE_END),
                     5);
    assert_int_equal(st, status);
    assert_string_equal(vstring_str(d), dsn);
    assert_string_equal(vstring_str(a), action);
    assert_string_equal(vstring_str(r), reason);
    vstring_free(d);
    vstring_free(a);
    vstring_free(r);
    vstring_free(relay);
}

static void
expect_final(int status, const char *reason)
{
    struct vstring *r = vstring_alloc(10);
    int st = -1;

    assert_int_equal(attr_scan(qmgr_end, ATTR_FLAG_NONE, ATTR_RECV_INT("status", &st),
                               ATTR_RECV_STR("reason", r), ATTR_TYPE_END),
                     2);
    assert_int_equal(st, status);
    assert_string_equal(vstring_str(r), reason);
    vstring_free(r);
}

/*
 * Does some line of LOG match PATTERN (POSIX extended)? The last delay
 * field ("d") depends on how fast this machine runs the test, so patterns
 * leave it open as D.
 */
static int
log_match(const char *log, const char *pattern)
{
    regex_t re;
    int found;

    assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NEWLINE | REG_NOSUB), 0);
    found = regexec(&re, log, 0, NULL, 0) == 0;
    regfree(&re);
    if (!found)
        print_message("no match for %s in:\n%s\n", pattern, log);
    return found;
}

#define D "[0-9.]+"

static void
test_round_trip(void **state)
{
    struct deliver_request *req;
    int64_t now = now_us();
    const char *log;

    (void)state;
    send_request("ABC123", 0, 2, 2, now - 150 * 1000000LL, now - 150 * 1000000LL + 5430000);
    req = deliver_request_read(agent_end);
    assert_non_null(req);
    assert_int_equal(attr_expect_protocol(qmgr_end, DELIVER_PROTOCOL), 0);
    assert_string_equal(req->queue_name, "active");
    assert_string_equal(req->queue_id, "ABC123");
    assert_string_equal(req->nexthop, "example.com");
    assert_string_equal(req->sender, "s@example.com");
    assert_int_equal(req->data_offset, 123);
    assert_int_equal(req->data_size, 456);
    assert_int_equal(req->rcpt_count, 2);
    assert_string_equal(req->rcpt[1].address, "user1@example.com");
    assert_int_equal(req->rcpt[1].offset, 1001);
    assert_int_equal(req->rcpt[1].notify, 1);
    assert_string_equal(htable_find(req->attrs, "rewrite_context"), "local");

    stderr_capture_start(test_dir);
    deliver_result(req, 1, DEL_RCPT_BOUNCE, "5.1.1", "failed", "local", "unknown user: \"%s\"",
                   "user1");
    deliver_result(req, 0, DEL_RCPT_OK, "2.0.0", "delivered", "local", "delivered to mailbox");
    assert_int_equal(deliver_request_done(req, 0, ""), 0);
    log = stderr_capture_end();
    assert_true(log_match(log, "ABC123: to=<user1@example\\.com>, relay=local, delay=150, "
                               "delays=5\\.4/145/0/" D ", dsn=5\\.1\\.1, status=bounced "
                               "\\(unknown user: \"user1\"\\)$"));
    assert_true(log_match(log, "ABC123: to=<user0@example\\.com>, orig_to=<alias@example\\.com>, "
                               "relay=local, delay=150, delays=5\\.4/145/0/" D ", dsn=2\\.0\\.0, "
                               "status=sent \\(delivered to mailbox\\)$"));
    expect_result(DEL_RCPT_OK, "2.0.0", "delivered", "delivered to mailbox");
    expect_result(DEL_RCPT_BOUNCE, "5.1.1", "failed", "unknown user: \"user1\"");
    expect_final(0, "");
}

static void
test_small_delays(void **state)
{
    struct deliver_request *req;
    int64_t now = now_us();
    const char *log;

    (void)state;
    send_request("ABC124", 0, 1, 1, now - 1210000, now - 1210000 + 54321);
    req = deliver_request_read(agent_end);
    assert_non_null(req);
    stderr_capture_start(test_dir);
    deliver_result(req, 0, DEL_RCPT_OK, "2.0.0", "delivered", "local", "ok");
    deliver_request_done(req, 0, "");
    log = stderr_capture_end();
    /* 1.21 s total -> "1.2"; a = 0.054 s -> "0.05" (two digits at most). */
    assert_true(log_match(log, "ABC124: to=<user0@example\\.com>, orig_to=<alias@example\\.com>, "
                               "relay=local, delay=1\\.2, delays=0\\.05/1\\.2/0/" D
                               ", dsn=2\\.0\\.0, status=sent \\(ok\\)$"));
}

static void
test_missing_result_deferred(void **state)
{
    struct deliver_request *req;
    const char *log;

    (void)state;
    send_request("ABC125", 0, 2, 2, now_us(), now_us());
    req = deliver_request_read(agent_end);
    assert_non_null(req);
    assert_int_equal(attr_expect_protocol(qmgr_end, DELIVER_PROTOCOL), 0);
    stderr_capture_start(test_dir);
    deliver_result(req, 0, DEL_RCPT_DEFER, "4.2.0", "delayed", "local", "mailbox busy");
    deliver_request_done(req, 0, "");
    log = stderr_capture_end();
    assert_non_null(strstr(log, "status=deferred (mailbox busy)"));
    assert_true(log_match(log, "ABC125: to=<user1@example\\.com>, relay=none, delay=" D
                               ", delays=" D "/" D "/0/" D ", dsn=4\\.3\\.0, "
                               "status=deferred \\(delivery incomplete\\)$"));
    expect_result(DEL_RCPT_DEFER, "4.2.0", "delayed", "mailbox busy");
    expect_result(DEL_RCPT_DEFER, "4.3.0", "delayed", "delivery incomplete");
    expect_final(0, "");
}

static void
test_verify_words(void **state)
{
    struct deliver_request *req;
    const char *log;

    (void)state;
    send_request("ABC126", DEL_REQ_FLAG_VERIFY, 2, 2, now_us(), now_us());
    req = deliver_request_read(agent_end);
    assert_non_null(req);
    assert_int_equal(req->flags, DEL_REQ_FLAG_VERIFY);
    stderr_capture_start(test_dir);
    deliver_result(req, 0, DEL_RCPT_OK, "2.0.0", "delivered", "local", "delivers to mailbox");
    deliver_result(req, 1, DEL_RCPT_BOUNCE, "5.1.1", "failed", "local", "unknown user");
    deliver_request_done(req, 1, "queue file gone");
    log = stderr_capture_end();
    assert_non_null(strstr(log, "status=deliverable (delivers to mailbox)"));
    assert_non_null(strstr(log, "status=undeliverable (unknown user)"));
    assert_int_equal(attr_expect_protocol(qmgr_end, DELIVER_PROTOCOL), 0);
    expect_result(DEL_RCPT_OK, "2.0.0", "delivered", "delivers to mailbox");
    expect_result(DEL_RCPT_BOUNCE, "5.1.1", "failed", "unknown user");
    expect_final(1, "queue file gone");
}

static void
expect_refused(const char *warning)
{
    const char *log;

    stderr_capture_start(test_dir);
    assert_null(deliver_request_read(agent_end));
    log = stderr_capture_end();
    if (strstr(log, warning) == NULL)
        assert_non_null(strstr(log, warning));
}

static void
test_bad_queue_id(void **state)
{
    (void)state;
    send_request("../etc/passwd", 0, 1, 1, 0, 0);
    expect_refused("private/test socket: bad queue file name in request");
}

static void
test_bad_rcpt_count(void **state)
{
    (void)state;
    send_request("ABC127", 0, 0, 0, 0, 0);
    expect_refused("private/test socket: bad recipient count 0 in request");
}

static void
test_truncated(void **state)
{
    (void)state;
    send_request("ABC128", 0, 3, 1, 0, 0);
    shutdown(vstream_fileno(qmgr_end), SHUT_WR);
    expect_refused("private/test socket: end of input before attribute list");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        FAKE_DELIVER_TEST(test_round_trip),
        FAKE_DELIVER_TEST(test_small_delays),
        FAKE_DELIVER_TEST(test_missing_result_deferred),
        FAKE_DELIVER_TEST(test_verify_words),
        FAKE_DELIVER_TEST(test_bad_queue_id),
        FAKE_DELIVER_TEST(test_bad_rcpt_count),
        FAKE_DELIVER_TEST(test_truncated),
    };

    msg_init("test_deliver_request", MSG_STDERR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
