/*
 * test_flush_clnt - unit tests for the flush_v1 client
 * (lib/mail/flush_clnt.c).
 *
 * A forked fake server listens on public/flush in a temporary queue
 * directory, records the request it gets in the file "got" and sends a
 * scripted status. Covered: each request's attributes, the status passed
 * through as the server sent it (OK, BAD, an unknown value), the local
 * fast_flush_domains check (an ineligible site never connects; subdomains
 * match in parent style), a wrong protocol, a server that hangs up, and no
 * service at all (FLUSH_STAT_FAIL with Postfix's warning).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "mail/attr.h"
#include "mail/flush_clnt.h"
#include "stderr_capture.h"
#include "util/msg.h"
#include "util/vstream.h"
#include "util/vstring.h"
#include "util_test_helpers.h"
#include "fake_server.h"

enum fake_mode { FAKE_REPLY, FAKE_PROTO, FAKE_HANGUP };

static int fake_status; /* what a FAKE_REPLY server answers */

/* Serves one connection; writes "request|site|queue_id" to "got". */
static void
fake_serve(int listen_fd, int mode)
{
    struct vstring *request = vstring_alloc(10);
    struct vstring *site = vstring_alloc(10);
    struct vstring *queue_id = vstring_alloc(10);
    struct vstream *fp;
    FILE *got;

    fp = fake_accept(listen_fd, mode == FAKE_PROTO ? "flush_v9" : FLUSH_PROTOCOL);
    if (mode != FAKE_REPLY) {
        vstream_close(fp);
        _exit(0);
    }
    if (attr_scan(fp, ATTR_FLAG_OPTIONAL | ATTR_FLAG_STRICT, ATTR_RECV_STR("request", request),
                  ATTR_RECV_STR("site", site), ATTR_RECV_STR("queue_id", queue_id),
                  ATTR_TYPE_END) < 1)
        _exit(3);
    if ((got = fopen("got", "w")) == NULL)
        _exit(4);
    fprintf(got, "%s|%s|%s", vstring_str(request), vstring_str(site), vstring_str(queue_id));
    fclose(got);
    attr_print(fp, ATTR_FLAG_NONE, ATTR_SEND_INT("status", fake_status), ATTR_TYPE_END);
    vstream_close(fp);
    _exit(0);
}

/* Starts the fake server; it replies with STATUS (inherited by the child). */
static pid_t
fake_start(enum fake_mode mode, int status)
{
    fake_status = status;
    unlink("got");
    return fake_fork(fake_listen("public/flush", SOCK_STREAM), fake_serve, mode);
}

/* Waits for the fake server; it must have exited 0. */
static void
fake_done(pid_t pid)
{
    assert_int_equal(fake_wait(pid), 0);
}

/* What the last fake server recorded; "" when it recorded nothing. */
static const char *
got(void)
{
    static char text[256];

    return test_read_file("got", text, sizeof(text));
}

static void
test_requests(void **state)
{
    pid_t pid;

    (void)state;
    pid = fake_start(FAKE_REPLY, FLUSH_STAT_OK);
    assert_int_equal(flush_add("example.com", "ABC12"), FLUSH_STAT_OK);
    fake_done(pid);
    assert_string_equal(got(), "add|example.com|ABC12");

    pid = fake_start(FAKE_REPLY, FLUSH_STAT_OK);
    assert_int_equal(flush_send_site("mx.Example.com"), FLUSH_STAT_OK); /* parent style */
    fake_done(pid);
    assert_string_equal(got(), "send_site|mx.Example.com|");

    pid = fake_start(FAKE_REPLY, FLUSH_STAT_BAD);
    assert_int_equal(flush_send_file("ABC12"), FLUSH_STAT_BAD);
    fake_done(pid);
    assert_string_equal(got(), "send_file||ABC12");

    pid = fake_start(FAKE_REPLY, FLUSH_STAT_OK);
    assert_int_equal(flush_refresh(), FLUSH_STAT_OK);
    fake_done(pid);
    assert_string_equal(got(), "refresh||");

    pid = fake_start(FAKE_REPLY, 7); /* passed on: the caller reports it */
    assert_int_equal(flush_purge(), 7);
    fake_done(pid);
    assert_string_equal(got(), "purge||");
}

static void
test_ineligible_sites_stay_local(void **state)
{
    (void)state;
    unlink("public/flush"); /* a connection attempt would fail: FLUSH_STAT_FAIL */
    assert_int_equal(flush_add("other.org", "ABC12"), FLUSH_STAT_DENY);
    assert_int_equal(flush_send_site("example.com.evil.org"), FLUSH_STAT_DENY);
    assert_int_equal(flush_send_site("notexample.com"), FLUSH_STAT_DENY);
    assert_int_equal(flush_site_eligible("EXAMPLE.COM"), 1);
    assert_int_equal(flush_site_eligible("a.b.example.com"), 1);
    assert_int_equal(flush_site_eligible("example.org"), 0);
}

static void
test_broken_servers(void **state)
{
    const char *err;
    pid_t pid;

    (void)state;
    pid = fake_start(FAKE_PROTO, 0);
    stderr_capture_start(test_dir);
    assert_int_equal(flush_send_file("ABC12"), FLUSH_STAT_FAIL);
    err = stderr_capture_end();
    fake_done(pid);
    assert_non_null(strstr(err, "public/flush socket: unexpected protocol: got flush_v9, "
                                "want flush_v1"));

    pid = fake_start(FAKE_HANGUP, 0);
    stderr_capture_start(test_dir);
    assert_int_equal(flush_add("example.com", "ABC12"), FLUSH_STAT_FAIL);
    err = stderr_capture_end();
    fake_done(pid);
    assert_non_null(strstr(err, "public/flush socket: "));

    unlink("public/flush");
    stderr_capture_start(test_dir);
    assert_int_equal(flush_send_site("example.com"), FLUSH_STAT_FAIL);
    err = stderr_capture_end();
    assert_non_null(strstr(err, "warning: connect to public/flush: No such file or directory"));
}

int
main(void)
{
    static const char *const dirs[] = {"public", NULL};
    const struct CMUnitTest tests[] = {
        FAKE_QUEUE_TEST(test_requests),
        FAKE_QUEUE_TEST(test_ineligible_sites_stay_local),
        FAKE_QUEUE_TEST(test_broken_servers),
    };

    mail_conf_set("fast_flush_domains", "example.com");
    mail_conf_set("ipc_timeout", "10s");
    if (fake_client_init("test_flush_clnt", dirs) < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
