/*
 * test_msg_postlog - msg(3)'s log routing: the record shape postlogd and
 * maillog_file get, the 2000-byte text limit (never splitting a UTF-8
 * character), datagrams to the postlog socket, reconnecting to a new
 * socket, dropping or falling back to the file when there is no service,
 * the fatal fallback failure, and a full service queue that does not stall
 * the caller.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/iostuff.h"
#include "util/msg.h"
#include "util/msg_postlog.h"
#include "util_test_helpers.h"
#include "fake_server.h"

static char captured[8192];
static size_t captured_len;
static int writer_calls;

static void
capture_writer(const char *record, size_t len)
{
    writer_calls++;
    captured_len = len < sizeof(captured) - 1 ? len : sizeof(captured) - 1;
    memcpy(captured, record, captured_len);
    captured[captured_len] = 0;
}

static void
reentering_writer(const char *record, size_t len)
{
    capture_writer(record, len);
    msg_warn("from inside the writer"); /* stderr only: no second record */
}

static int
setup(void **state)
{
    msg_init("test_msg_postlog", 0);
    msg_set_syslog("postfix", NULL);
    msg_set_hostname("mx1.example.com");
    writer_calls = 0;
    return test_dir_setup(state);
}

static int
teardown(void **state)
{
    msg_set_writer(NULL);
    msg_set_postlog(NULL, 0);
    msg_set_logfile(NULL);
    return test_dir_teardown(state);
}

static void
assert_matches(const char *text, const char *pattern)
{
    regex_t re;
    int ok;

    assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
    ok = regexec(&re, text, 0, NULL, 0) == 0;
    regfree(&re);
    if (!ok)
        fail_msg("\"%.300s\" does not match %s", text, pattern);
}

static ssize_t
receive(int sock, char *buf, size_t size)
{
    ssize_t n;

    assert_int_equal(poll_fd_ms(sock, POLLIN, 2000), 0);
    n = recv(sock, buf, size - 1, MSG_DONTWAIT);
    assert_true(n >= 0);
    buf[n] = 0;
    return n;
}

static void
test_record_shape(void **state)
{
    char pattern[200];

    (void)state;
    msg_set_writer(capture_writer);
    msg_warn("hello %d", 5);
    snprintf(pattern, sizeof(pattern),
             "^[A-Z][a-z]{2} [0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} mx1 "
             "postfix/test_msg_postlog\\[%ld\\]: warning: hello 5$",
             (long)getpid());
    assert_matches(captured, pattern);
    msg_set_ident("my/tag");
    msg_info("tagged\001");
    assert_matches(captured, "^.{15} mx1 my/tag\\[[0-9]+\\]: tagged\\?$");
    msg_set_syslog("postfix-out", NULL);
    msg_info("renamed");
    assert_matches(captured, " postfix-out/test_msg_postlog\\[[0-9]+\\]: renamed$");
    msg_set_writer(reentering_writer);
    msg_info("once");
    assert_int_equal(writer_calls, 4);
}

static void
test_text_limit(void **state)
{
    static char big[5000];
    const char *text;

    (void)state;
    msg_set_writer(capture_writer);
    memset(big, 'A', sizeof(big) - 1);
    msg_warn("%s", big);
    text = strstr(captured, "warning: ");
    assert_non_null(text);
    assert_int_equal(strlen(text), strlen("warning: ") + MSG_RECORD_TEXT_MAX);
    /* 1999 ASCII bytes, then two-byte characters: the cut falls before one. */
    for (size_t i = 1999; i + 1 < sizeof(big) - 1; i += 2)
        memcpy(big + i, "\xc3\xa9", 2);
    big[sizeof(big) - 1] = 0;
    msg_info("%s", big);
    text = strstr(captured, "]: ") + 3;
    assert_int_equal(strlen(text), MSG_RECORD_TEXT_MAX - 1);
    assert_int_equal(text[strlen(text) - 1], 'A');
}

static void
test_datagram_to_the_service(void **state)
{
    char buf[8192];
    int sock;

    (void)state;
    sock = fake_listen(test_path("postlog"), SOCK_DGRAM);
    msg_set_postlog(test_path("postlog"), 0);
    msg_info("via the socket");
    receive(sock, buf, sizeof(buf));
    assert_matches(buf, "^.{15} mx1 postfix/test_msg_postlog\\[[0-9]+\\]: via the socket$");
    /* The service comes back on a new socket: msg reconnects. */
    close(sock);
    unlink(test_path("postlog"));
    sock = fake_listen(test_path("postlog"), SOCK_DGRAM);
    msg_info("after restart");
    receive(sock, buf, sizeof(buf));
    assert_matches(buf, "]: after restart$");
    close(sock);
}

/* A program closed msg's socket and the number went to a file: never touched. */
static void
test_descriptor_closed_behind_our_back(void **state)
{
    char buf[8192];
    int sock;
    int fd;
    int victim;

    (void)state;
    sock = fake_listen(test_path("postlog"), SOCK_DGRAM);
    msg_set_postlog(test_path("postlog"), 0);
    msg_info("first");
    receive(sock, buf, sizeof(buf));
    for (victim = 3; victim < 64; victim++) { /* find msg's socket: the connected one */
        struct sockaddr_un peer;
        socklen_t len = sizeof(peer);

        if (victim != sock && getpeername(victim, (struct sockaddr *)&peer, &len) == 0 &&
            strcmp(peer.sun_path, test_path("postlog")) == 0)
            break;
    }
    assert_true(victim < 64);
    close(victim);
    fd = open(test_path("innocent"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_int_equal(fd, victim);
    msg_info("second");
    receive(sock, buf, sizeof(buf));
    assert_matches(buf, "]: second$");
    assert_int_equal(fcntl(fd, F_GETFD) >= 0, 1); /* still open */
    assert_string_equal(test_read_file(test_path("innocent"), buf, sizeof(buf)), "");
    msg_set_postlog(NULL, 0); /* must not close fd either */
    assert_int_equal(fcntl(fd, F_GETFD) >= 0, 1);
    close(fd);
    close(sock);
}

static void
test_no_service(void **state)
{
    char buf[512];
    struct stat st;

    (void)state;
    msg_set_logfile(test_path("maillog"));
    msg_set_logfile_mode(0600);
    msg_set_postlog(test_path("postlog"), 0);
    msg_info("dropped");
    assert_int_equal(access(test_path("maillog"), F_OK), -1);
    msg_set_postlog(test_path("postlog"), MSG_POSTLOG_FALLBACK);
    msg_info("written directly");
    assert_matches(test_read_file(test_path("maillog"), buf, sizeof(buf)),
                   "^.{15} mx1 postfix/test_msg_postlog\\[[0-9]+\\]: written directly\n$");
    assert_int_equal(stat(test_path("maillog"), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
}

static void
test_fallback_failure_is_fatal(void **state)
{
    char path[600];
    char buf[1024];
    int status;
    pid_t pid;

    (void)state;
    snprintf(path, sizeof(path), "%s", test_path("stderr"));
    if ((pid = fork()) == 0) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

        dup2(fd, 2);
        msg_set_sinks(MSG_STDERR);
        msg_set_logfile(test_path("no/such/maillog"));
        msg_set_postlog(test_path("postlog"), MSG_POSTLOG_FALLBACK);
        msg_info("lost");
        _exit(0);
    }
    status = test_wait_child(pid, 5000);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);
    test_read_file(path, buf, sizeof(buf));
    assert_non_null(strstr(buf, "test_msg_postlog: lost\n"));
    assert_non_null(strstr(buf, "test_msg_postlog: fatal: open logfile '"));
    assert_non_null(strstr(buf, "/no/such/maillog': cannot create file exclusively: "
                                "No such file or directory\n"));
}

static void
test_full_queue_does_not_stall(void **state)
{
    long long start;
    long long slowest = 0;
    int sock;

    (void)state;
    sock = fake_listen(test_path("postlog"), SOCK_DGRAM);
    msg_set_postlog(test_path("postlog"), 0);
    start = test_now_ms();
    for (int i = 0; i < 3000; i++) {
        long long before = test_now_ms();

        msg_info("record %d of a flood that nobody reads", i);
        if (test_now_ms() - before > slowest)
            slowest = test_now_ms() - before;
    }
    assert_true(slowest < MSG_POSTLOG_WAIT_MS + 500);
    assert_true(test_now_ms() - start < MSG_POSTLOG_WAIT_MS + 3000);
    close(sock);
}

/* A service that reads slowly (a loaded postlogd) gets every record. */
static void
test_slow_service_loses_nothing(void **state)
{
    enum { RECORDS = 400 };
    char buf[512];
    int sock;
    int fds[2];
    int got = 0;
    pid_t pid;

    (void)state;
    sock = fake_listen(test_path("postlog"), SOCK_DGRAM);
    assert_int_equal(pipe(fds), 0);
    if ((pid = fork()) == 0) {
        close(fds[0]);
        for (int n = 0; n < RECORDS && poll_fd_ms(sock, POLLIN, 5000) == 0; n++) {
            if (recv(sock, buf, sizeof(buf), 0) < 0)
                break;
            got++;
            if (n % 50 == 0)
                test_sleep_ms(300); /* far behind the sender, now and then */
        }
        _exit(write(fds[1], &got, sizeof(got)) == sizeof(got) ? 0 : 1);
    }
    close(fds[1]);
    msg_set_postlog(test_path("postlog"), 0);
    for (int i = 0; i < RECORDS; i++)
        msg_info("record %d for a slow reader", i);
    assert_int_equal(read(fds[0], &got, sizeof(got)), sizeof(got));
    assert_int_equal(test_wait_child(pid, 10000), 0);
    assert_int_equal(got, RECORDS);
    close(fds[0]);
    close(sock);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_record_shape, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_datagram_to_the_service, setup, teardown),
        cmocka_unit_test_setup_teardown(test_descriptor_closed_behind_our_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_service, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fallback_failure_is_fatal, setup, teardown),
        /* before the stall test: its timeout starts the quiet period */
        cmocka_unit_test_setup_teardown(test_slow_service_loses_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_queue_does_not_stall, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
