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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mail/attr.h"
#include "mail/bounce_clnt.h"
#include "mail/rec_type.h"
#include "util/msg.h"
#include "util/vstream.h"
#include "util/vstring.h"
#include "util_test_helpers.h"

enum fake_mode { FAKE_SENT, FAKE_NONE, FAKE_LATER, FAKE_PROTO, FAKE_BADID, FAKE_HANGUP };

static int
clnt_setup(void **state)
{
    static const char *const dirs[] = {"private", NULL};

    if (test_queue_enter(state, dirs) < 0)
        return -1;
    return 0;
}

static int
clnt_teardown(void **state)
{
    return test_queue_leave(state);
}

/* Serves one connection as MODE says; exits 0 when the request was right. */
static void
fake_serve(int listen_fd, enum fake_mode mode)
{
    struct vstring *request = vstring_alloc(10);
    struct vstring *qname = vstring_alloc(10);
    struct vstring *qid = vstring_alloc(10);
    struct vstring *sender = vstring_alloc(10);
    struct vstring *envid = vstring_alloc(10);
    struct vstream *fp;
    int flags = -1;
    int ret = -1;
    int fd;
    int ok;

    if ((fd = accept(listen_fd, NULL, NULL)) < 0)
        _exit(2);
    fp = vstream_fdopen(fd, "client");
    vstream_set_timeout(fp, 5);
    attr_announce_protocol(fp, mode == FAKE_PROTO ? "bounce_v9" : BOUNCE_PROTOCOL);
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

/* Starts the fake server; returns its pid. */
static pid_t
fake_start(enum fake_mode mode)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    pid_t pid;
    int fd;

    snprintf(sun.sun_path, sizeof(sun.sun_path), "private/bounce");
    assert_true((fd = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
    assert_int_equal(listen(fd, 5), 0);
    assert_true((pid = fork()) >= 0);
    if (pid == 0) {
        alarm(10);
        fake_serve(fd, mode);
    }
    close(fd);
    return pid;
}

static int
fake_wait(pid_t pid)
{
    int status;

    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int
run_request(enum fake_mode mode, struct vstring *id, struct vstring *why, int *server_exit)
{
    struct bounce_msg msg = {"active", "ABC12", "s@x", "E1", REC_RET_HDRS};
    pid_t pid = fake_start(mode);
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

    unlink("private/bounce");
    assert_int_equal(run_request(FAKE_NONE, id, why, &server_exit), 0);
    assert_int_equal(server_exit, 0);
    assert_string_equal(vstring_str(id), "");

    unlink("private/bounce");
    assert_int_equal(run_request(FAKE_LATER, id, why, &server_exit), -1);
    assert_non_null(strstr(vstring_str(why), "could not be sent now"));

    unlink("private/bounce");
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

    unlink("private/bounce");
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
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_replies, clnt_setup, clnt_teardown),
        cmocka_unit_test_setup_teardown(test_broken_servers, clnt_setup, clnt_teardown),
    };

    msg_init("test_bounce_clnt", MSG_STDERR);
    signal(SIGPIPE, SIG_IGN);
    if (getcwd(test_start_dir, sizeof(test_start_dir)) == NULL)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
