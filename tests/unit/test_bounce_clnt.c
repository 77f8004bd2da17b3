/*
 * test_bounce_clnt - unit tests for the bounce_v1 client
 * (lib/mail/bounce_clnt.c).
 *
 * A forked fake server listens on private/bounce in a temporary queue
 * directory, checks the request it gets and sends a scripted reply.
 * Covered: a committed notice (status 0 and its id), "nothing needed"
 * (status 0, empty id), status -1, a wrong protocol, a reply with a bad
 * queue id, a server that hangs up, and no service at all.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail/attr.h"
#include "mail/bounce_clnt.h"
#include "mail/rec_type.h"
#include "util/msg.h"
#include "util/vstream.h"
#include "util/vstring.h"
#include "util_test_helpers.h"
#include "fake_server.h"

enum fake_mode { FAKE_SENT, FAKE_NONE, FAKE_LATER, FAKE_PROTO, FAKE_BADID, FAKE_HANGUP };

/* Serves one connection as MODE says; exits 0 when the request was right. */
static void
fake_serve(int listen_fd, int mode)
{
    struct vstring *request = vstring_alloc(10);
    struct vstring *qname = vstring_alloc(10);
    struct vstring *qid = vstring_alloc(10);
    struct vstring *sender = vstring_alloc(10);
    struct vstring *envid = vstring_alloc(10);
    struct vstream *fp;
    int flags = -1;
    int ret = -1;
    int ok;

    fp = fake_accept(listen_fd, mode == FAKE_PROTO ? "bounce_v9" : BOUNCE_PROTOCOL);
    if (mode == FAKE_PROTO || mode == FAKE_HANGUP) {
        vstream_close(fp);
        _exit(0);
    }
    ok = attr_scan(fp, ATTR_FLAG_STRICT, ATTR_RECV_STR("request", request),
                   ATTR_RECV_INT("flags", &flags), ATTR_RECV_STR("queue_name", qname),
                   ATTR_RECV_STR("queue_id", qid), ATTR_RECV_STR("sender", sender),
                   ATTR_RECV_STR("dsn_envid", envid), ATTR_RECV_INT("dsn_ret", &ret),
                   ATTR_TYPE_END) == 7 &&
         strcmp(vstring_str(request), "delay") == 0 && flags == 0 &&
         strcmp(vstring_str(qname), "active") == 0 && strcmp(vstring_str(qid), "ABC12") == 0 &&
         strcmp(vstring_str(sender), "s@x") == 0 && strcmp(vstring_str(envid), "E1") == 0 &&
         ret == REC_RET_HDRS;
    attr_print(fp, ATTR_FLAG_NONE, ATTR_SEND_INT("status", mode == FAKE_LATER ? -1 : 0),
               ATTR_SEND_STR("queue_id", mode == FAKE_SENT    ? "NEW99"
                                         : mode == FAKE_BADID ? "../x"
                                                              : ""),
               ATTR_TYPE_END);
    vstream_close(fp);
    _exit(ok ? 0 : 1);
}

static int
run_request(int mode, struct vstring *id, struct vstring *why, int *server_exit)
{
    struct bounce_msg msg = {"active", "ABC12", "s@x", "E1", REC_RET_HDRS};
    pid_t pid = fake_fork(fake_listen("private/bounce", SOCK_STREAM), fake_serve, mode);
    int ret = bounce_request("bounce", BOUNCE_REQ_DELAY, &msg, id, why);

    *server_exit = fake_wait(pid);
    return ret;
}

static void
test_replies(void **state)
{
    struct vstring *id = vstring_alloc(10);
    struct vstring *why = vstring_alloc(10);
    int server_exit;

    (void)state;
    assert_int_equal(run_request(FAKE_SENT, id, why, &server_exit), 0);
    assert_int_equal(server_exit, 0);
    assert_string_equal(vstring_str(id), "NEW99");

    assert_int_equal(run_request(FAKE_NONE, id, why, &server_exit), 0);
    assert_int_equal(server_exit, 0);
    assert_string_equal(vstring_str(id), "");

    assert_int_equal(run_request(FAKE_LATER, id, why, &server_exit), -1);
    assert_non_null(strstr(vstring_str(why), "could not be sent now"));

    assert_int_equal(run_request(FAKE_BADID, id, why, &server_exit), -1);
    assert_string_equal(vstring_str(id), "");
    assert_non_null(strstr(vstring_str(why), "malformed queue id"));
    vstring_free(id);
    vstring_free(why);
}

static void
test_broken_servers(void **state)
{
    struct bounce_msg msg = {"active", "ABC12", "s@x", "", 0};
    struct vstring *id = vstring_alloc(10);
    struct vstring *why = vstring_alloc(10);
    int server_exit;

    (void)state;
    assert_int_equal(run_request(FAKE_PROTO, id, why, &server_exit), -1);
    assert_non_null(strstr(vstring_str(why), "unexpected protocol: got bounce_v9"));

    assert_int_equal(run_request(FAKE_HANGUP, id, why, &server_exit), -1);
    assert_non_null(strstr(vstring_str(why), "private/bounce service:"));

    unlink("private/bounce");
    assert_int_equal(bounce_request("bounce", BOUNCE_REQ_BOUNCE, &msg, id, why), -1);
    assert_non_null(strstr(vstring_str(why), "connect to private/bounce"));
    vstring_free(id);
    vstring_free(why);
}

int
main(void)
{
    static const char *const dirs[] = {"private", NULL};
    const struct CMUnitTest tests[] = {
        FAKE_QUEUE_TEST(test_replies),
        FAKE_QUEUE_TEST(test_broken_servers),
    };

    if (fake_client_init("test_bounce_clnt", dirs) < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
