/*
 * test_rewrite_clnt - unit tests for the trivial-rewrite clients
 * (lib/mail/rewrite_clnt, resolve_clnt) against a small fake server in a
 * forked child: request and reply attributes, the protocol announcement
 * before the first reply, the one-entry caches, reconnection when the
 * server closes the connection between requests, and giving up after the
 * configured number of tries when there is no server or the wrong one.
 *
 * The fake server (fake_server.h) listens on TMPDIR/private/rewrite and numbers its
 * replies, so that a test sees whether a request reached it:
 *   rewrite: address = ADDRESS "#" N
 *   resolve/verify: transport = REQUEST, nexthop = N, recipient = ADDRESS,
 *            flags = RESOLVE_CLASS_DEFAULT
 * MODE "close" ends each connection after one reply; "badproto" announces
 * another protocol.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "config/mail_params.h"
#include "mail/attr.h"
#include "mail/resolve_clnt.h"
#include "mail/rewrite_clnt.h"
#include "util/vstream.h"
#include "util/vstring.h"

#include "stderr_capture.h"
#include "util_test_helpers.h"
#include "fake_server.h"

static pid_t server_pid = -1;

/* Answers requests on one connection until it ends. */
static void
fake_serve(struct vstream *fp, const char *mode, int *count)
{
    struct vstring *request = vstring_alloc(10);
    struct vstring *addr = vstring_alloc(10);
    struct vstring *other = vstring_alloc(10);
    struct vstring *text = vstring_alloc(10);
    int first = 1;

    while (attr_scan(fp, ATTR_FLAG_MORE, ATTR_RECV_STR(REWRITE_ATTR_REQUEST, request),
                     ATTR_TYPE_END) == 1) {
        if (attr_scan(fp, ATTR_FLAG_EXTRA | ATTR_FLAG_OPTIONAL,
                      ATTR_RECV_STR(REWRITE_ATTR_ADDRESS, addr),
                      ATTR_RECV_STR(REWRITE_ATTR_RULE, other),
                      ATTR_RECV_STR(REWRITE_ATTR_SENDER, other), ATTR_TYPE_END) < 1)
            break;
        if (first)
            attr_announce_protocol(fp,
                                   strcmp(mode, "badproto") == 0 ? "other_v9" : REWRITE_PROTOCOL);
        first = 0;
        vstring_sprintf(text, "%d", ++*count);
        if (strcmp(vstring_str(request), REWRITE_REQ_REWRITE) == 0) {
            vstring_sprintf(other, "%s#%d", vstring_str(addr), *count);
            attr_print(fp, ATTR_FLAG_NONE, ATTR_SEND_INT(REWRITE_ATTR_FLAGS, 0),
                       ATTR_SEND_STR(REWRITE_ATTR_ADDRESS, vstring_str(other)), ATTR_TYPE_END);
        } else {
            attr_print(fp, ATTR_FLAG_NONE, ATTR_SEND_INT(REWRITE_ATTR_FLAGS, RESOLVE_CLASS_DEFAULT),
                       ATTR_SEND_STR(REWRITE_ATTR_TRANSPORT, vstring_str(request)),
                       ATTR_SEND_STR(REWRITE_ATTR_NEXTHOP, vstring_str(text)),
                       ATTR_SEND_STR(REWRITE_ATTR_RECIPIENT, vstring_str(addr)),
                       ATTR_SEND_STR("future_attribute", "ignored"), ATTR_TYPE_END);
        }
        if (strcmp(mode, "close") == 0)
            break;
    }
    vstring_free(request);
    vstring_free(addr);
    vstring_free(other);
    vstring_free(text);
}

/* Starts the fake server in MODE; returns once it listens. */
static void
fake_start(const char *mode)
{
    int sock = fake_listen("private/rewrite", SOCK_STREAM);
    int count = 0;
    int fd;

    if ((server_pid = fork()) == 0) {
        alarm(30);
        while ((fd = accept(sock, NULL, NULL)) >= 0) {
            struct vstream *fp = vstream_fdopen(fd, "client");

            vstream_set_timeout(fp, 10);
            fake_serve(fp, mode, &count);
            vstream_close(fp);
        }
        _exit(0);
    }
    assert_true(server_pid > 0);
    close(sock);
}

static void
fake_stop(void)
{
    if (server_pid > 0) {
        kill(server_pid, SIGKILL);
        waitpid(server_pid, NULL, 0);
        server_pid = -1;
    }
    unlink("private/rewrite");
    rewrite_clnt_disconnect();
}

static int
setup(void **state)
{
    static const char *const dirs[] = {"private", NULL};

    signal(SIGPIPE, SIG_IGN);
    if (getcwd(test_start_dir, sizeof(test_start_dir)) == NULL || test_queue_enter(state, dirs) < 0)
        return -1;
    mail_conf_reset();
    mail_conf_set("ipc_timeout", "10s");
    return 0;
}

static int
teardown(void **state)
{
    fake_stop();
    return test_queue_leave(state);
}

static void
test_rewrite_request_and_cache(void **state)
{
    struct vstring *result = vstring_alloc(10);

    (void)state;
    fake_start("keep");
    rewrite_clnt_set_tries(1);
    assert_int_equal(rewrite_clnt("local", "user", result), 0);
    assert_string_equal(vstring_str(result), "user#1");
    assert_int_equal(rewrite_clnt("local", "user", result), 0); /* cached */
    assert_string_equal(vstring_str(result), "user#1");
    assert_int_equal(rewrite_clnt("remote", "user", result), 0); /* other rule */
    assert_string_equal(vstring_str(result), "user#2");
    assert_int_equal(rewrite_clnt("remote", "other", result), 0);
    assert_string_equal(vstring_str(result), "other#3");
    fake_stop();
    vstring_free(result);
}

static void
test_resolve_request_and_cache(void **state)
{
    struct resolve_reply *reply = resolve_reply_alloc();

    (void)state;
    fake_start("keep");
    rewrite_clnt_set_tries(1);
    assert_int_equal(resolve_clnt_query("s@x", "u@y", reply), 0);
    assert_int_equal(reply->flags, RESOLVE_CLASS_DEFAULT);
    assert_string_equal(vstring_str(reply->transport), "resolve");
    assert_string_equal(vstring_str(reply->nexthop), "1");
    assert_string_equal(vstring_str(reply->recipient), "u@y");
    assert_int_equal(resolve_clnt_query("s@x", "u@y", reply), 0); /* cached */
    assert_string_equal(vstring_str(reply->nexthop), "1");
    assert_int_equal(resolve_clnt_verify("s@x", "u@y", reply), 0); /* other request */
    assert_string_equal(vstring_str(reply->transport), "verify");
    assert_string_equal(vstring_str(reply->nexthop), "2");
    assert_int_equal(resolve_clnt_query("", "u@y", reply), 0); /* other sender */
    assert_string_equal(vstring_str(reply->nexthop), "3");
    fake_stop();
    resolve_reply_free(reply);
}

/* A server that closes the connection after each reply costs no failure. */
static void
test_reconnect(void **state)
{
    struct vstring *result = vstring_alloc(10);
    struct resolve_reply *reply = resolve_reply_alloc();

    (void)state;
    fake_start("close");
    rewrite_clnt_set_tries(1);
    stderr_capture_start(test_dir);
    assert_int_equal(rewrite_clnt("local", "a", result), 0);
    assert_int_equal(rewrite_clnt("local", "b", result), 0);
    assert_int_equal(resolve_clnt_query("", "c@d", reply), 0);
    assert_string_equal(stderr_capture_end(), "");
    assert_string_equal(vstring_str(result), "b#2");
    assert_string_equal(vstring_str(reply->nexthop), "3");
    fake_stop();
    vstring_free(result);
    resolve_reply_free(reply);
}

static void
test_no_server(void **state)
{
    struct vstring *result = vstring_alloc(10);
    struct resolve_reply *reply = resolve_reply_alloc();
    time_t start = time(NULL);

    (void)state;
    rewrite_clnt_set_tries(2);
    vstring_strcpy(result, "kept");
    stderr_capture_start(test_dir);
    assert_int_equal(rewrite_clnt("local", "nobody-listens", result), -1);
    assert_int_equal(resolve_clnt_query("", "nobody@listens", reply), -1);
    assert_non_null(strstr(stderr_capture_end(),
                           "warning: problem talking to service private/rewrite: "
                           "connect to private/rewrite: No such file or directory"));
    assert_string_equal(vstring_str(result), "kept");
    assert_true(time(NULL) - start < 10);
    vstring_free(result);
    resolve_reply_free(reply);
}

static void
test_wrong_protocol(void **state)
{
    struct vstring *result = vstring_alloc(10);

    (void)state;
    fake_start("badproto");
    rewrite_clnt_set_tries(1);
    stderr_capture_start(test_dir);
    assert_int_equal(rewrite_clnt("local", "proto", result), -1);
    assert_non_null(
        strstr(stderr_capture_end(), "unexpected protocol: got other_v9, want " REWRITE_PROTOCOL));
    fake_stop();
    vstring_free(result);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rewrite_request_and_cache),
        cmocka_unit_test(test_resolve_request_and_cache),
        cmocka_unit_test(test_reconnect),
        cmocka_unit_test(test_no_server),
        cmocka_unit_test(test_wrong_protocol),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
