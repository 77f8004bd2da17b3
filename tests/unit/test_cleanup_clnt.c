/*
 * test_cleanup_clnt - unit tests for the cleanup_v1 client
 * (lib/mail/cleanup_clnt.c).
 *
 * A forked fake server listens on public/cleanup in
 * a temporary queue directory, checks the flags and the record stream it
 * gets, and sends a scripted reply. Covered: a committed message (the
 * records in order, a long line cut into L...N pieces, the pending
 * status forced on recipients, the empty end record), a refusal with its
 * reason, a server that refuses the stream before reading it, a server
 * that hangs up (CLEANUP_STAT_WRITE), a wrong protocol, and no service
 * at all.
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
#include "mail/cleanup_clnt.h"
#include "mail/record.h"
#include "util/msg.h"
#include "util/vstream.h"
#include "util/vstring.h"
#include "util_test_helpers.h"
#include "fake_server.h"

enum fake_mode { FAKE_OK, FAKE_REFUSE, FAKE_EARLY, FAKE_HANGUP, FAKE_PROTO };

#define LONG_LINE (QFILE_PIECE_MAX + 100)

/* Reads the stream the test client sends; 1 when it is exactly as expected. */
static int
fake_check_stream(struct vstream *fp)
{
    static const char expect[] = "TASRMLNNXE";
    struct vstring *buf = vstring_alloc(100), *why = vstring_alloc(100), *store = vstring_alloc(10);
    struct qfile_rcpt rcpt;
    struct timeval tv;
    int type, ok = 1;

    for (size_t i = 0; ok && i < sizeof(expect) - 1; i++) {
        type = record_get(fp, buf, RECORD_LEN_MAX, why);
        ok = type == expect[i];
        if (ok && type == 'T')
            ok = qfile_time_decode(vstring_str(buf), vstring_len(buf), &tv, why) == 0 &&
                 tv.tv_sec == 1700000000 && tv.tv_usec == 5;
        if (ok && type == 'A')
            ok = strcmp(vstring_str(buf), "rewrite_context=local") == 0;
        if (ok && type == 'S')
            ok = strcmp(vstring_str(buf), "s@x") == 0;
        if (ok && type == 'R')
            ok = qfile_rcpt_decode(vstring_str(buf), vstring_len(buf), &rcpt, store, why) == 0 &&
                 rcpt.status == REC_RCPT_PENDING && rcpt.notify == REC_NOTIFY_FAILURE &&
                 strcmp(rcpt.address, "r@y") == 0 && strcmp(rcpt.orig_rcpt, "r") == 0;
        if (ok && type == 'L')
            ok = vstring_len(buf) == QFILE_PIECE_MAX;
        if (ok && type == 'N' && i == 6)
            ok = vstring_len(buf) == LONG_LINE - QFILE_PIECE_MAX;
        if (ok && type == 'N' && i == 7)
            ok = strcmp(vstring_str(buf), "short") == 0;
        if (ok && type == 'E')
            ok = vstring_len(buf) == 0;
    }
    vstring_free(buf);
    vstring_free(why);
    vstring_free(store);
    return ok;
}

/* Serves one connection as MODE says; exits 0 when the request was right. */
static void
fake_serve(int listen_fd, int mode)
{
    struct vstream *fp;
    int flags = -1, ok = 1;

    fp = fake_accept(listen_fd, mode == FAKE_PROTO ? "cleanup_v9" : CLEANUP_PROTOCOL);
    if (mode == FAKE_PROTO) {
        vstream_close(fp);
        _exit(0);
    }
    ok = attr_scan(fp, ATTR_FLAG_NONE, ATTR_RECV_INT("flags", &flags), ATTR_TYPE_END) == 1 &&
         flags == CLEANUP_FLAG_EXTERNAL;
    attr_print(fp, ATTR_FLAG_NONE, ATTR_SEND_STR("queue_id", "QID1"), ATTR_TYPE_END);
    if (mode == FAKE_HANGUP) {
        vstream_close(fp);
        _exit(ok ? 0 : 1);
    }
    if (mode != FAKE_EARLY)
        ok = ok && fake_check_stream(fp);
    attr_print(fp, ATTR_FLAG_NONE,
               ATTR_SEND_INT("status", mode == FAKE_OK      ? 0
                                       : mode == FAKE_EARLY ? CLEANUP_STAT_BAD
                                                            : CLEANUP_STAT_CONT),
               ATTR_SEND_STR("reason", mode == FAKE_OK      ? ""
                                       : mode == FAKE_EARLY ? "4.3.0 malformed record stream"
                                                            : "5.7.1 go away"),
               ATTR_TYPE_END);
    vstream_close(fp);
    _exit(ok ? 0 : 1);
}

/* Sends the test message; returns cleanup_finish's status. */
static int
run_client(const char *path, int mode, struct vstring *reason, int *server_exit)
{
    static char long_line[LONG_LINE];
    struct qfile_rcpt rcpt = {REC_RCPT_DONE, REC_NOTIFY_FAILURE, "r@y", "r", NULL};
    struct timeval tv = {1700000000, 5};
    pid_t pid = fake_fork(fake_listen(path, SOCK_STREAM), fake_serve, mode);
    struct cleanup_clnt *cl;
    int status;

    memset(long_line, 'x', sizeof(long_line));
    cl = cleanup_open("cleanup", CLEANUP_FLAG_EXTERNAL, 5, reason);
    if (cl == NULL) {
        *server_exit = fake_wait(pid);
        return -1;
    }
    assert_string_equal(cleanup_queue_id(cl), "QID1");
    assert_int_equal(cleanup_put_time(cl, &tv), 0);
    assert_int_equal(cleanup_put_attr(cl, "rewrite_context", "local"), 0);
    assert_int_equal(cleanup_put_sender(cl, "s@x"), 0);
    assert_int_equal(cleanup_put_rcpt(cl, &rcpt), 0);
    assert_int_equal(cleanup_begin_content(cl), 0);
    (void)cleanup_put_line(cl, long_line, sizeof(long_line));
    (void)cleanup_put_line(cl, "short", 5);
    (void)cleanup_begin_extracted(cl);
    status = cleanup_finish(cl, reason);
    *server_exit = fake_wait(pid);
    return status;
}

static void
test_committed_and_refused(void **state)
{
    struct vstring *reason = vstring_alloc(10);
    int server_exit;

    (void)state;
    assert_int_equal(run_client("public/cleanup", FAKE_OK, reason, &server_exit), 0);
    assert_int_equal(server_exit, 0);
    assert_string_equal(vstring_str(reason), "");
    assert_int_equal(run_client("public/cleanup", FAKE_REFUSE, reason, &server_exit),
                     CLEANUP_STAT_CONT);
    assert_int_equal(server_exit, 0);
    assert_string_equal(vstring_str(reason), "5.7.1 go away");
    assert_int_equal(run_client("public/cleanup", FAKE_EARLY, reason, &server_exit),
                     CLEANUP_STAT_BAD);
    assert_string_equal(vstring_str(reason), "4.3.0 malformed record stream");
    vstring_free(reason);
}

static void
test_broken_servers(void **state)
{
    struct vstring *reason = vstring_alloc(10);
    int server_exit;

    (void)state;
    assert_int_equal(run_client("public/cleanup", FAKE_HANGUP, reason, &server_exit),
                     CLEANUP_STAT_WRITE);
    assert_int_equal(server_exit, 0);
    assert_true(strncmp(vstring_str(reason), "4.3.0 ", 6) == 0);
    assert_int_equal(run_client("public/cleanup", FAKE_PROTO, reason, &server_exit), -1);
    assert_non_null(strstr(vstring_str(reason), "unexpected protocol: got cleanup_v9"));
    unlink("public/cleanup");
    assert_null(cleanup_open("cleanup", 0, 1, reason));
    assert_non_null(strstr(vstring_str(reason), "connect to public/cleanup"));
    vstring_free(reason);
}

int
main(void)
{
    static const char *const dirs[] = {"private", "public", NULL};
    const struct CMUnitTest tests[] = {
        FAKE_QUEUE_TEST(test_committed_and_refused),
        FAKE_QUEUE_TEST(test_broken_servers),
    };

    if (fake_client_init("test_cleanup_clnt", dirs) < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
