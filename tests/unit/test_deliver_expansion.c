/*
 * test_deliver_expansion - unit tests for the expansion leaves of a
 * deliver_v1 reply (docs/ipc.md, "expansions"): the agent side
 * (deliver_result_expansion, deliver_request_done in
 * lib/mail/deliver_request.c) against the client side
 * (deliver_pass_recv / deliver_pass_recv_result in lib/mail/deliver_pass.c)
 * over a socket pair in one process. Covered: leaves round-trip field by
 * field, next to a result without leaves; the old reply form (no "expansions" attribute) still
 * decodes; a count over DELIVER_EXPANSION_MAX, a leaf with a bad status
 * and a missing leaf list are refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mail/attr.h"
#include "mail/deliver_pass.h"
#include "mail/deliver_request.h"
#include "util/htable.h"
#include "util/msg.h"
#include "util/vstream.h"
#include "util/vstring.h"
#include "stderr_capture.h"
#include "util_test_helpers.h"
#include "fake_server.h"

/* qmgr's side: a request for COUNT recipients, through deliver_pass_send. */
static void
send_request(int flags, int count)
{
    struct deliver_request req;
    struct deliver_rcpt rcpts[2] = {
        {100, "team@example.com", "team", "rfc822;team@example.com", 2},
        {200, "user@example.com", "", "", 0},
    };

    memset(&req, 0, sizeof(req));
    req.flags = flags;
    req.queue_name = "active";
    req.queue_id = "ABCDEF123";
    req.nexthop = "example.com";
    req.sender = "s@example.com";
    req.dsn_envid = "";
    req.attrs = htable_create(1);
    assert_int_equal(deliver_pass_send(qmgr_end, &req, "example.com", count, rcpts), 0);
    htable_free(req.attrs, NULL);
}

/* The agent reads the request; qmgr then takes the announcement. */
static struct deliver_request *
agent_read(void)
{
    struct deliver_request *req = deliver_request_read(agent_end);

    assert_non_null(req);
    assert_int_equal(attr_expect_protocol(qmgr_end, DELIVER_PROTOCOL), 0);
    return req;
}

static void
test_leaves_round_trip(void **state)
{
    struct deliver_expansion leaves[2] = {
        {DEL_RCPT_OK, "root@example.com", "team", "2.0.0", "deliverable", "delivers to mailbox",
         "local"},
        {DEL_RCPT_BOUNCE, "nobody-x@example.com", "", "5.1.1", "undeliverable",
         "unknown user: \"nobody-x\"", "local"},
    };
    struct deliver_result res[2];
    struct deliver_request *req;
    struct vstring *reason = vstring_alloc(10);
    int status = -1;

    (void)state;
    send_request(DEL_REQ_FLAG_VERIFY | DEL_REQ_FLAG_EXPAND, 2);
    req = agent_read();
    stderr_capture_start(test_dir);
    deliver_result(req, 0, DEL_RCPT_BOUNCE, "5.1.1", "undeliverable", "local", "unknown user");
    deliver_result_expansion(req, 0, leaves + 0);
    deliver_result_expansion(req, 0, leaves + 1);
    deliver_result(req, 1, DEL_RCPT_OK, "2.0.0", "delivered", "local", "delivered to mailbox");
    assert_int_equal(deliver_request_done(req, 0, ""), 0);
    stderr_capture_end();

    assert_int_equal(deliver_pass_recv(qmgr_end, 2, res, &status, reason), 0);
    assert_int_equal(status, 0);
    assert_int_equal(res[0].exp_count, 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(res[0].exp[i].status, leaves[i].status);
        assert_string_equal(res[0].exp[i].address, leaves[i].address);
        assert_string_equal(res[0].exp[i].orig_rcpt, leaves[i].orig_rcpt);
        assert_string_equal(res[0].exp[i].dsn_status, leaves[i].dsn_status);
        assert_string_equal(res[0].exp[i].dsn_action, leaves[i].dsn_action);
        assert_string_equal(res[0].exp[i].reason, leaves[i].reason);
        assert_string_equal(res[0].exp[i].relay, leaves[i].relay);
    }
    assert_int_equal(res[0].status, DEL_RCPT_BOUNCE);
    assert_int_equal(res[1].exp_count, 0);
    assert_string_equal(res[1].dsn_action, "delivered");
    assert_string_equal(res[1].reason, "delivered to mailbox");
    deliver_pass_free_result(res + 0);
    deliver_pass_free_result(res + 1);
    assert_null(res[0].exp);
    vstring_free(reason);
}

/* Writes one result list by hand, with EXPANSIONS when >= 0. */
static void
send_raw_result(int status, int expansions)
{
    assert_int_equal(
        attr_print(agent_end, ATTR_FLAG_MORE, ATTR_SEND_INT("status", status),
                   ATTR_SEND_STR("dsn_status", "2.0.0"), ATTR_SEND_STR("dsn_action", "delivered"),
                   ATTR_SEND_STR("reason", "ok"), ATTR_SEND_STR("relay", "local"), ATTR_TYPE_END),
        0);
    if (expansions >= 0)
        assert_int_equal(attr_print(agent_end, ATTR_FLAG_MORE,
                                    ATTR_SEND_INT("expansions", expansions), ATTR_TYPE_END),
                         0);
    assert_int_equal(attr_print(agent_end, ATTR_FLAG_NONE, ATTR_TYPE_END), 0);
}

static void
send_raw_leaf(int status)
{
    assert_int_equal(
        attr_print(agent_end, ATTR_FLAG_NONE, ATTR_SEND_INT("status", status),
                   ATTR_SEND_STR("address", "a@example.com"), ATTR_SEND_STR("orig_rcpt", ""),
                   ATTR_SEND_STR("dsn_status", "2.0.0"), ATTR_SEND_STR("dsn_action", "deliverable"),
                   ATTR_SEND_STR("reason", "x"), ATTR_SEND_STR("relay", "local"), ATTR_TYPE_END),
        0);
}

static void
test_old_reply_form(void **state)
{
    struct deliver_result res;

    (void)state;
    send_raw_result(DEL_RCPT_OK, -1);
    assert_int_equal(deliver_pass_recv_result(qmgr_end, &res), 0);
    assert_int_equal(res.done, 1);
    assert_int_equal(res.exp_count, 0);
    assert_string_equal(res.reason, "ok");
    deliver_pass_free_result(&res);
    send_raw_result(DEL_RCPT_OK, 0);
    assert_int_equal(deliver_pass_recv_result(qmgr_end, &res), 0);
    assert_int_equal(res.exp_count, 0);
    deliver_pass_free_result(&res);
}

static void
test_bad_expansions_refused(void **state)
{
    struct deliver_result res;

    (void)state;
    send_raw_result(DEL_RCPT_OK, DELIVER_EXPANSION_MAX + 1);
    assert_int_equal(deliver_pass_recv_result(qmgr_end, &res), -1);
    deliver_pass_free_result(&res);
    send_raw_result(DEL_RCPT_OK, 2);
    send_raw_leaf(DEL_RCPT_OK);
    send_raw_leaf(7); /* not a DEL_RCPT_* value */
    assert_int_equal(deliver_pass_recv_result(qmgr_end, &res), -1);
    assert_int_equal(res.exp_count, 1); /* what the free must release */
    deliver_pass_free_result(&res);
    send_raw_result(DEL_RCPT_OK, 1);
    shutdown(vstream_fileno(agent_end), SHUT_WR); /* the leaf never comes */
    assert_int_equal(deliver_pass_recv_result(qmgr_end, &res), -1);
    deliver_pass_free_result(&res);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        FAKE_DELIVER_TEST(test_leaves_round_trip),
        FAKE_DELIVER_TEST(test_old_reply_form),
        FAKE_DELIVER_TEST(test_bad_expansions_refused),
    };

    msg_init("test_deliver_expansion", MSG_STDERR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
