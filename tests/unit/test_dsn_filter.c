/*
 * test_dsn_filter - unit tests for the delivery status filter
 * (lib/mail/dsn_filter.c) and its use by deliver_result and
 * deliver_result_expansion (lib/mail/deliver_request.c).
 *
 * Covered: status code syntax (dsn_status_valid); a lookup that changes
 * code and text, a code without text (the old text stays), extra spaces
 * before the text, results that would turn a success into a failure or
 * back and results that are not "X.Y.Z text" (warning "TITLE: bad status
 * code: RESULT", the original stands, no warning when quiet), no match,
 * an empty filter; and in a delivery agent: the filtered code and text in
 * both the log line and the reply to qmgr, a bounce that becomes a
 * deferral (and back), the per-agent parameter falling back to
 * default_delivery_status_filter, programs without a filter (error),
 * filtered expansion leaves, and soft_bounce after the filter (SOFTBOUNCE
 * deferrals; verify requests left alone).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "mail/attr.h"
#include "mail/deliver_pass.h"
#include "mail/deliver_request.h"
#include "mail/dsn_filter.h"
#include "util/htable.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/vstream.h"
#include "util/vstring.h"
#include "stderr_capture.h"
#include "util_test_helpers.h"
#include "fake_server.h"

static const char filter_rules[] = "/^5\\.1\\.1 unknown user: \"(.*)\"$/\t4.1.1 soft for $1\n"
                                   "/^2\\.0\\.0 delivered to mailbox$/\t2.1.5 censored\n"
                                   "/^5\\.1\\.1 code only$/\t5.1.2\n"
                                   "/^5\\.1\\.1 wrong kind$/\t2.0.0 nope\n"
                                   "/^2\\.0\\.0 wrong kind$/\t4.0.0 nope\n"
                                   "/^5\\.1\\.1 spaces$/\t5.1.3    spaced  out\n"
                                   "/^5\\.1\\.1 garbage$/\tgarbage\n"
                                   "/^5\\.1\\.1 long code$/\t5.1.1234 x\n"
                                   "/^5\\.1\\.1 glued$/\t5.1.1text\n"
                                   "/^4\\.2\\.0 mailbox full$/\t5.2.2 hard now\n";

static char filter_name[600]; /* the pair qmgr_end/agent_end is fake_server.h's */

/* A temporary directory with the regexp table; filter_name is "regexp:PATH". */
static int
filter_setup(void **state)
{
    char path[512];
    FILE *fp;

    if (test_dir_setup(state) < 0)
        return -1;
    snprintf(path, sizeof(path), "%s/dsn_filter", test_dir);
    if ((fp = fopen(path, "w")) == NULL)
        return -1;
    fputs(filter_rules, fp);
    fclose(fp);
    snprintf(filter_name, sizeof(filter_name), "regexp:%s", path);
    return 0;
}

static int
pair_setup(void **state)
{
    if (filter_setup(state) < 0)
        return -1;
    return fake_pair_open(&qmgr_end, "qmgr", &agent_end, "private/local");
}

static int
pair_teardown(void **state)
{
    vstream_close(qmgr_end);
    vstream_close(agent_end);
    mail_conf_set("default_delivery_status_filter", "");
    mail_conf_set("local_delivery_status_filter", "$default_delivery_status_filter");
    mail_conf_set("soft_bounce", "no");
    deliver_filter_init("none");
    return test_dir_teardown(state);
}

/* Looks up STATUS REASON; expects CHANGED and, when changed, the new values. */
static void
expect_lookup(struct dsn_filter *fp, const char *status, const char *reason, int changed,
              const char *want_status, const char *want_reason)
{
    struct vstring *st = vstring_alloc(10);
    struct vstring *rs = vstring_alloc(10);

    assert_int_equal(dsn_filter_lookup(fp, status, reason, st, rs, 0), changed);
    if (changed) {
        assert_string_equal(vstring_str(st), want_status);
        assert_string_equal(vstring_str(rs), want_reason);
    }
    vstring_free(st);
    vstring_free(rs);
}

static void
test_status_valid(void **state)
{
    (void)state;
    assert_int_equal(dsn_status_valid("2.0.0"), 5);
    assert_int_equal(dsn_status_valid("5.1.1 unknown user"), 5);
    assert_int_equal(dsn_status_valid("4.123.456 x"), 9);
    assert_int_equal(dsn_status_valid("3.0.0 x"), 0);
    assert_int_equal(dsn_status_valid("5.1.1234 x"), 0);
    assert_int_equal(dsn_status_valid("5.1.1text"), 0);
    assert_int_equal(dsn_status_valid("5.1.1\tx"), 0);
    assert_int_equal(dsn_status_valid("5..1 x"), 0);
    assert_int_equal(dsn_status_valid("5.1 x"), 0);
    assert_int_equal(dsn_status_valid("garbage"), 0);
    assert_int_equal(dsn_status_valid(""), 0);
}

static void
test_lookup(void **state)
{
    struct dsn_filter *fp;
    const char *log;

    (void)state;
    assert_null(dsn_filter_create("x_delivery_status_filter", ""));
    assert_null(dsn_filter_create("x_delivery_status_filter", " , "));
    assert_null(dsn_filter_create("x_delivery_status_filter", NULL));
    expect_lookup(NULL, "5.1.1", "unknown user: \"bob\"", 0, NULL, NULL);
    fp = dsn_filter_create("local_delivery_status_filter", filter_name);
    assert_non_null(fp);
    stderr_capture_start(test_dir);
    expect_lookup(fp, "5.1.1", "unknown user: \"bob\"", 1, "4.1.1", "soft for bob");
    expect_lookup(fp, "2.0.0", "delivered to mailbox", 1, "2.1.5", "censored");
    expect_lookup(fp, "5.1.1", "code only", 1, "5.1.2", "code only");
    expect_lookup(fp, "5.1.1", "spaces", 1, "5.1.3", "spaced  out");
    expect_lookup(fp, "4.2.0", "mailbox full", 1, "5.2.2", "hard now");
    expect_lookup(fp, "2.0.0", "delivered to maildir", 0, NULL, NULL);
    expect_lookup(fp, "bogus", "delivered to mailbox", 0, NULL, NULL);
    log = stderr_capture_end();
    assert_string_equal(log, "");

    stderr_capture_start(test_dir);
    expect_lookup(fp, "5.1.1", "wrong kind", 0, NULL, NULL);
    expect_lookup(fp, "2.0.0", "wrong kind", 0, NULL, NULL);
    expect_lookup(fp, "5.1.1", "garbage", 0, NULL, NULL);
    expect_lookup(fp, "5.1.1", "long code", 0, NULL, NULL);
    expect_lookup(fp, "5.1.1", "glued", 0, NULL, NULL);
    log = stderr_capture_end();
    assert_non_null(strstr(log, "warning: local_delivery_status_filter: bad status code: "
                                "2.0.0 nope\n"));
    assert_non_null(strstr(log, "warning: local_delivery_status_filter: bad status code: "
                                "4.0.0 nope\n"));
    assert_non_null(strstr(log, "bad status code: garbage\n"));
    assert_non_null(strstr(log, "bad status code: 5.1.1234 x\n"));
    assert_non_null(strstr(log, "bad status code: 5.1.1text\n"));

    /* Quiet: the same refusal without a warning. */
    stderr_capture_start(test_dir);
    {
        struct vstring *st = vstring_alloc(10), *rs = vstring_alloc(10);

        assert_int_equal(dsn_filter_lookup(fp, "5.1.1", "garbage", st, rs, 1), 0);
        vstring_free(st);
        vstring_free(rs);
    }
    assert_string_equal(stderr_capture_end(), "");
    dsn_filter_free(fp);
}

static int64_t
now_us(void)
{
    struct timeval tv;

    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

/* qmgr's request for ID with COUNT recipients userN@example.com. */
static void
send_request(const char *id, int flags, int count)
{
    struct htable *attrs = htable_create(4);
    int64_t now = now_us();

    assert_int_equal(
        attr_print(qmgr_end, ATTR_FLAG_NONE, ATTR_SEND_INT("flags", flags),
                   ATTR_SEND_STR("queue_name", "active"), ATTR_SEND_STR("queue_id", id),
                   ATTR_SEND_LONG("data_offset", 123), ATTR_SEND_LONG("data_size", 456),
                   ATTR_SEND_STR("nexthop", "example.com"),
                   ATTR_SEND_STR("sender", "s@example.com"), ATTR_SEND_STR("dsn_envid", ""),
                   ATTR_SEND_INT("dsn_ret", 0), ATTR_SEND_LONG("time_arrival", now),
                   ATTR_SEND_LONG("time_active", now), ATTR_SEND_TABLE("attrs", attrs),
                   ATTR_SEND_INT("rcpt_count", count), ATTR_TYPE_END),
        0);
    htable_free(attrs, NULL);
    for (int i = 0; i < count; i++) {
        char addr[64];

        snprintf(addr, sizeof(addr), "user%d@example.com", i);
        assert_int_equal(attr_print(qmgr_end, ATTR_FLAG_NONE, ATTR_SEND_LONG("offset", 1000 + i),
                                    ATTR_SEND_STR("address", addr), ATTR_SEND_STR("orig_rcpt", ""),
                                    ATTR_SEND_STR("dsn_orcpt", ""), ATTR_SEND_INT("notify", 0),
                                    ATTR_TYPE_END),
                         0);
    }
}

/* Reads one recipient's result list (without expansions) as qmgr does. */
static void
expect_result(int status, const char *dsn, const char *action, const char *reason, int more)
{
    struct vstring *d = vstring_alloc(10), *a = vstring_alloc(10), *r = vstring_alloc(10);
    struct vstring *relay = vstring_alloc(10);
    int st = -1;

    assert_int_equal(attr_scan(qmgr_end, more ? ATTR_FLAG_MORE : ATTR_FLAG_NONE,
                               ATTR_RECV_INT("status", &st), ATTR_RECV_STR("dsn_status", d),
                               ATTR_RECV_STR("dsn_action", a), ATTR_RECV_STR("reason", r),
                               ATTR_RECV_STR("relay", relay), ATTR_TYPE_END),
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
expect_final(void)
{
    struct vstring *r = vstring_alloc(10);
    int st = -1;

    assert_int_equal(attr_scan(qmgr_end, ATTR_FLAG_NONE, ATTR_RECV_INT("status", &st),
                               ATTR_RECV_STR("reason", r), ATTR_TYPE_END),
                     2);
    assert_int_equal(st, 0);
    vstring_free(r);
}

/* local_delivery_status_filter falls back to default_delivery_status_filter. */
static void
test_agent_results(void **state)
{
    struct deliver_request *req;
    const char *log;

    (void)state;
    mail_conf_set("default_delivery_status_filter", filter_name);
    deliver_filter_init("/usr/lib/tern/local");
    send_request("DSNF1", 0, 4);
    req = deliver_request_read(agent_end);
    assert_non_null(req);
    assert_int_equal(attr_expect_protocol(qmgr_end, DELIVER_PROTOCOL), 0);
    stderr_capture_start(test_dir);
    deliver_result(req, 0, DEL_RCPT_BOUNCE, "5.1.1", "failed", "local", "unknown user: \"%s\"",
                   "user0");
    deliver_result(req, 1, DEL_RCPT_OK, "2.0.0", "delivered", "local", "delivered to mailbox");
    deliver_result(req, 2, DEL_RCPT_DEFER, "4.2.0", "delayed", "local", "mailbox full");
    deliver_result(req, 3, DEL_RCPT_BOUNCE, "5.1.1", "failed", "local", "wrong kind");
    assert_int_equal(deliver_request_done(req, 0, ""), 0);
    log = stderr_capture_end();
    assert_non_null(strstr(log, "DSNF1: to=<user0@example.com>, relay=local, delay="));
    assert_non_null(strstr(log, ", dsn=4.1.1, status=deferred (soft for user0)\n"));
    assert_non_null(strstr(log, ", dsn=2.1.5, status=sent (censored)\n"));
    assert_non_null(strstr(log, ", dsn=5.2.2, status=bounced (hard now)\n"));
    assert_non_null(strstr(log, "warning: local_delivery_status_filter: bad status code: "
                                "2.0.0 nope\n"));
    assert_non_null(strstr(log, ", dsn=5.1.1, status=bounced (wrong kind)\n"));
    expect_result(DEL_RCPT_DEFER, "4.1.1", "delayed", "soft for user0", 0);
    expect_result(DEL_RCPT_OK, "2.1.5", "delivered", "censored", 0);
    expect_result(DEL_RCPT_BOUNCE, "5.2.2", "failed", "hard now", 0);
    expect_result(DEL_RCPT_BOUNCE, "5.1.1", "failed", "wrong kind", 0);
    expect_final();
}

/* The agent's own parameter wins; error has no filter at all. */
static void
test_agent_parameters(void **state)
{
    struct deliver_request *req;
    const char *log;

    (void)state;
    mail_conf_set("default_delivery_status_filter", "regexp:/nonexistent/table");
    mail_conf_set("local_delivery_status_filter", filter_name);
    deliver_filter_init("local");
    send_request("DSNF2", 0, 1);
    req = deliver_request_read(agent_end);
    assert_non_null(req);
    assert_int_equal(attr_expect_protocol(qmgr_end, DELIVER_PROTOCOL), 0);
    stderr_capture_start(test_dir);
    deliver_result(req, 0, DEL_RCPT_OK, "2.0.0", "delivered", "local", "delivered to mailbox");
    deliver_request_done(req, 0, "");
    log = stderr_capture_end();
    assert_non_null(strstr(log, ", dsn=2.1.5, status=sent (censored)\n"));
    expect_result(DEL_RCPT_OK, "2.1.5", "delivered", "censored", 0);
    expect_final();

    mail_conf_set("default_delivery_status_filter", filter_name);
    deliver_filter_init("error");
    send_request("DSNF3", 0, 1);
    req = deliver_request_read(agent_end);
    assert_non_null(req);
    assert_int_equal(attr_expect_protocol(qmgr_end, DELIVER_PROTOCOL), 0);
    stderr_capture_start(test_dir);
    deliver_result(req, 0, DEL_RCPT_BOUNCE, "5.1.1", "failed", "none", "unknown user: \"x\"");
    deliver_request_done(req, 0, "");
    log = stderr_capture_end();
    assert_non_null(strstr(log, ", dsn=5.1.1, status=bounced (unknown user: \"x\")\n"));
    expect_result(DEL_RCPT_BOUNCE, "5.1.1", "failed", "unknown user: \"x\"", 0);
    expect_final();
}

/* Expansion leaves sent to qmgr are filtered as their log lines are. */
static void
test_expansion_leaves(void **state)
{
    struct deliver_request *req;
    struct deliver_expansion leaf = {.status = DEL_RCPT_BOUNCE,
                                     .address = "bob@example.com",
                                     .orig_rcpt = "list@example.com",
                                     .dsn_status = "5.1.1",
                                     .dsn_action = "failed",
                                     .reason = "unknown user: \"bob\"",
                                     .relay = "local"};
    struct vstring *reason = vstring_alloc(10);
    struct deliver_result res[1];
    int status = -1;

    (void)state;
    mail_conf_set("local_delivery_status_filter", filter_name);
    deliver_filter_init("local");
    send_request("DSNF4", 0, 1);
    req = deliver_request_read(agent_end);
    assert_non_null(req);
    assert_int_equal(attr_expect_protocol(qmgr_end, DELIVER_PROTOCOL), 0);
    stderr_capture_start(test_dir);
    deliver_result(req, 0, DEL_RCPT_OK, "2.0.0", "delivered", "local", "delivered to mailbox");
    deliver_result_expansion(req, 0, &leaf);
    deliver_request_done(req, 0, "");
    stderr_capture_end();
    memset(res, 0, sizeof(res));
    assert_int_equal(deliver_pass_recv(qmgr_end, 1, res, &status, reason), 0);
    assert_int_equal(res[0].status, DEL_RCPT_OK);
    assert_string_equal(res[0].dsn_status, "2.1.5");
    assert_string_equal(res[0].reason, "censored");
    assert_int_equal(res[0].exp_count, 1);
    assert_int_equal(res[0].exp[0].status, DEL_RCPT_DEFER);
    assert_string_equal(res[0].exp[0].address, "bob@example.com");
    assert_string_equal(res[0].exp[0].dsn_status, "4.1.1");
    assert_string_equal(res[0].exp[0].dsn_action, "delayed");
    assert_string_equal(res[0].exp[0].reason, "soft for bob");
    deliver_pass_free_result(res + 0);
    vstring_free(reason);
}

/* soft_bounce: bounces become SOFTBOUNCE deferrals after the filter; not in verify mode. */
static void
test_soft_bounce(void **state)
{
    struct deliver_request *req;
    const char *log;

    (void)state;
    mail_conf_set("soft_bounce", "yes");
    mail_conf_set("local_delivery_status_filter", filter_name);
    deliver_filter_init("local");
    send_request("DSNF5", 0, 3);
    req = deliver_request_read(agent_end);
    assert_non_null(req);
    assert_int_equal(attr_expect_protocol(qmgr_end, DELIVER_PROTOCOL), 0);
    stderr_capture_start(test_dir);
    deliver_result(req, 0, DEL_RCPT_BOUNCE, "5.1.1", "failed", "local", "no such thing");
    deliver_result(req, 1, DEL_RCPT_DEFER, "4.2.0", "delayed", "local", "mailbox full");
    deliver_result(req, 2, DEL_RCPT_OK, "2.0.0", "delivered", "local", "delivered to mailbox");
    deliver_request_done(req, 0, "");
    log = stderr_capture_end();
    assert_non_null(strstr(log, ", dsn=4.1.1, status=SOFTBOUNCE (no such thing)\n"));
    assert_non_null(strstr(log, ", dsn=4.2.2, status=SOFTBOUNCE (hard now)\n"));
    assert_non_null(strstr(log, ", dsn=2.1.5, status=sent (censored)\n"));
    expect_result(DEL_RCPT_DEFER, "4.1.1", "delayed", "no such thing", 0);
    expect_result(DEL_RCPT_DEFER, "4.2.2", "delayed", "hard now", 0);
    expect_result(DEL_RCPT_OK, "2.1.5", "delivered", "censored", 0);
    expect_final();

    send_request("DSNF6", DEL_REQ_FLAG_VERIFY, 1);
    req = deliver_request_read(agent_end);
    assert_non_null(req);
    assert_int_equal(attr_expect_protocol(qmgr_end, DELIVER_PROTOCOL), 0);
    stderr_capture_start(test_dir);
    deliver_result(req, 0, DEL_RCPT_BOUNCE, "5.1.1", "undeliverable", "local", "no such thing");
    deliver_request_done(req, 0, "");
    log = stderr_capture_end();
    assert_non_null(strstr(log, ", dsn=5.1.1, status=undeliverable (no such thing)\n"));
    expect_result(DEL_RCPT_BOUNCE, "5.1.1", "undeliverable", "no such thing", 0);
    expect_final();
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_valid),
        cmocka_unit_test_setup_teardown(test_lookup, filter_setup, test_dir_teardown),
        cmocka_unit_test_setup_teardown(test_agent_results, pair_setup, pair_teardown),
        cmocka_unit_test_setup_teardown(test_agent_parameters, pair_setup, pair_teardown),
        cmocka_unit_test_setup_teardown(test_expansion_leaves, pair_setup, pair_teardown),
        cmocka_unit_test_setup_teardown(test_soft_bounce, pair_setup, pair_teardown),
    };

    msg_init("test_dsn_filter", MSG_STDERR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
