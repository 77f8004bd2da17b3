/*
 * test_bounce_compose - unit tests for the DSN composer of the bounce
 * daemon (bounce/bounce_compose.c, compiled into this test).
 *
 * A queue file is written with qfile in a temporary queue directory and
 * the notice is collected line by line. Covered: the non-delivery notice
 * as a whole (exact text), RET=HDRS and bounce_size_limit giving
 * text/rfc822-headers, the delay warning (subject, Will-Retry-Until),
 * success and status reports, a postmaster copy and a double bounce
 * (subjects, wording), Original-Recipient from ORCPT and from the
 * original address, Remote-MTA and Diagnostic-Code for remote relays, a
 * long line kept whole, control characters in a reason, no original
 * when the queue file is not available, and a failing sink.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../bounce/bounce_compose.c"
#include "mail/mail_queue.h"
#include "util/mymalloc.h"
#include "util_test_helpers.h"

static struct vstring *text;
static char *queue_id;

static int
collect(void *context, const char *line, size_t len)
{
    (void)context;
    vstring_memcat(text, line, len);
    vstring_addch(text, '\n');
    return 0;
}

static int
fail_sink(void *context, const char *line, size_t len)
{
    (void)context;
    (void)line;
    (void)len;
    return -1;
}

/* A message with two header lines, a long line and a body line. */
static void
write_message(void)
{
    struct vstring *why = vstring_alloc(100);
    struct timeval tv = {1700000000, 5};
    struct qfile_rcpt rcpt = {REC_RCPT_PENDING, 0, "bob@example.com", "", ""};
    struct qfile *qf;
    char *longline = mymalloc(70001);

    memset(longline, 'x', 70000);
    longline[70000] = 0;
    qf = qfile_create(MAIL_QUEUE_INCOMING, 0, 0600, why);
    assert_non_null(qf);
    queue_id = mystrdup(qfile_id(qf));
    assert_int_equal(qfile_put_time(qf, &tv), 0);
    assert_int_equal(qfile_put_sender(qf, "alice@example.com"), 0);
    assert_int_equal(qfile_put_rcpt(qf, &rcpt), 0);
    assert_int_equal(qfile_begin_content(qf), 0);
    assert_int_equal(qfile_put_line(qf, "Subject: hello", 14), 0);
    assert_int_equal(qfile_put_line(qf, "From: alice@example.com", 23), 0);
    assert_int_equal(qfile_put_line(qf, "", 0), 0);
    assert_int_equal(qfile_put_line(qf, longline, 70000), 0);
    assert_int_equal(qfile_put_line(qf, "bye", 3), 0);
    assert_int_equal(qfile_commit(qf, why), 0);
    myfree(longline);
    vstring_free(why);
}

static int
compose_setup(void **state)
{
    if (test_dir_setup(state) < 0 || chdir(test_dir) < 0 || mkdir("incoming", 0700) < 0)
        return -1;
    write_message();
    text = vstring_alloc(1000);
    return 0;
}

static int
compose_teardown(void **state)
{
    vstring_free(text);
    myfree(queue_id);
    if (chdir(test_start_dir) < 0)
        return -1;
    return test_dir_teardown(state);
}

static struct bounce_rcpt rcpt_bob = {
    "bob@example.com", "", "", "5.1.1", "failed", "unknown user: \"bob\"", "local", 0, 1700000100,
};

/* A notice about the message of write_message, open for reading. */
static struct bounce_notice
make_notice(int kind, struct qfile **qfp)
{
    struct vstring *why = vstring_alloc(100);
    struct bounce_notice n;

    assert_int_equal(qfile_open(MAIL_QUEUE_INCOMING, queue_id, QFILE_OPEN_READ, qfp, why), 0);
    vstring_free(why);
    memset(&n, 0, sizeof(n));
    n.kind = kind;
    n.queue_id = queue_id;
    n.sender = "alice@example.com";
    n.to = "alice@example.com";
    n.dsn_envid = "";
    n.myhostname = "mx.example.org";
    n.mail_name = "Tern";
    n.notice_id = "4SbXNt1Qv2zABCD";
    n.arrival = 1700000000;
    n.now = 1700000200;
    n.size_limit = 100000;
    n.queue_lifetime = 5 * 86400;
    n.rcpts = &rcpt_bob;
    n.rcpt_count = 1;
    n.qf = *qfp;
    return n;
}

static void
test_failure_notice_exact(void **state)
{
    struct qfile *qf;
    struct bounce_notice n = make_notice(BOUNCE_KIND_FAILURE, &qf);
    struct vstring *expect = vstring_alloc(1000);
    char *body;

    (void)state;
    n.size_limit = 0; /* no limit: the whole message */
    assert_int_equal(bounce_compose(&n, collect, NULL), 0);
    qfile_close(qf);
    vstring_sprintf(expect,
                    "Received: by mx.example.org (Tern)\n"
                    "\tid 4SbXNt1Qv2zABCD; Tue, 14 Nov 2023 22:16:40 +0000 (UTC)\n"
                    "Date: Tue, 14 Nov 2023 22:16:40 +0000 (UTC)\n"
                    "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\n"
                    "Subject: Undelivered Mail Returned to Sender\n"
                    "To: alice@example.com\n"
                    "Auto-Submitted: auto-replied\n"
                    "MIME-Version: 1.0\n"
                    "Content-Type: multipart/report; report-type=delivery-status;\n"
                    "\tboundary=\"%s.1700000200/mx.example.org\"\n"
                    "Content-Transfer-Encoding: 8bit\n"
                    "\n"
                    "This is a MIME-encapsulated message.\n"
                    "\n"
                    "--%s.1700000200/mx.example.org\n"
                    "Content-Description: Notification\n"
                    "Content-Type: text/plain; charset=utf-8\n"
                    "Content-Transfer-Encoding: 8bit\n"
                    "\n"
                    "Delivery report from the mail system at host mx.example.org.\n"
                    "\n"
                    "Your message could not be delivered to one or more of its\n"
                    "recipients. They are listed below, each with the reason. The\n"
                    "delivery report and your message (or its headers) are attached.\n"
                    "\n"
                    "If you need help, ask the postmaster of this system and include\n"
                    "this notice.\n"
                    "\n"
                    "<bob@example.com>: unknown user: \"bob\"\n"
                    "\n"
                    "--%s.1700000200/mx.example.org\n"
                    "Content-Description: Delivery report\n"
                    "Content-Type: message/delivery-status\n"
                    "\n"
                    "Reporting-MTA: dns; mx.example.org\n"
                    "X-Tern-Queue-ID: %s\n"
                    "X-Tern-Sender: rfc822; alice@example.com\n"
                    "Arrival-Date: Tue, 14 Nov 2023 22:13:20 +0000 (UTC)\n"
                    "\n"
                    "Final-Recipient: rfc822; bob@example.com\n"
                    "Action: failed\n"
                    "Status: 5.1.1\n"
                    "Diagnostic-Code: X-Tern; unknown user: \"bob\"\n"
                    "\n"
                    "--%s.1700000200/mx.example.org\n"
                    "Content-Description: Undelivered Message\n"
                    "Content-Type: message/rfc822\n"
                    "Content-Transfer-Encoding: 8bit\n"
                    "\n"
                    "Return-Path: <alice@example.com>\n"
                    "Subject: hello\n"
                    "From: alice@example.com\n"
                    "\n",
                    queue_id, queue_id, queue_id, queue_id, queue_id);
    body = vstring_str(text);
    assert_true(vstring_len(text) > vstring_len(expect));
    if (strncmp(body, vstring_str(expect), vstring_len(expect)) != 0)
        fail_msg("got:\n%s\nwant:\n%s", body, vstring_str(expect));
    body += vstring_len(expect);
    assert_int_equal(strspn(body, "x"), 70000);
    body += 70000;
    vstring_sprintf(expect, "\nbye\n\n--%s.1700000200/mx.example.org--\n", queue_id);
    assert_string_equal(body, vstring_str(expect));
    vstring_free(expect);
}

static void
test_headers_only(void **state)
{
    struct qfile *qf;
    struct bounce_notice n = make_notice(BOUNCE_KIND_FAILURE, &qf);

    (void)state;
    n.headers_only = 1; /* RET=HDRS */
    assert_int_equal(bounce_compose(&n, collect, NULL), 0);
    assert_non_null(strstr(vstring_str(text), "Content-Description: Undelivered Message Headers\n"
                                              "Content-Type: text/rfc822-headers\n"
                                              "Content-Transfer-Encoding: 8bit\n\n"
                                              "Return-Path: <alice@example.com>\n"
                                              "Subject: hello\nFrom: alice@example.com\n\n--"));
    assert_null(strstr(vstring_str(text), "bye"));

    vstring_reset(text);
    n.headers_only = 0;
    n.size_limit = 1000; /* smaller than the message */
    assert_int_equal(bounce_compose(&n, collect, NULL), 0);
    assert_non_null(strstr(vstring_str(text), "Content-Type: text/rfc822-headers\n"));
    assert_null(strstr(vstring_str(text), "xxxxx"));
    qfile_close(qf);
}

static void
test_delay_and_reports(void **state)
{
    struct qfile *qf;
    struct bounce_notice n = make_notice(BOUNCE_KIND_DELAY, &qf);
    struct bounce_rcpt r = rcpt_bob;

    (void)state;
    r.action = "delayed";
    r.status = "4.4.1";
    r.relay = "mx.example.com[192.0.2.1]:25";
    r.reason =
        "host mx.example.com[192.0.2.1] said: 451 4.4.1 try later (in reply to RCPT TO command)";
    r.dsn_orcpt = "rfc822;Bob@Example.COM";
    n.rcpts = &r;
    n.headers_only = 1;
    assert_int_equal(bounce_compose(&n, collect, NULL), 0);
    assert_non_null(strstr(vstring_str(text), "Subject: Delayed Mail (still being retried)\n"));
    assert_non_null(strstr(vstring_str(text), "Original-Recipient: rfc822;Bob@Example.COM\n"
                                              "Action: delayed\nStatus: 4.4.1\n"
                                              "Remote-MTA: dns; mx.example.com\n"
                                              "Diagnostic-Code: smtp; 451 4.4.1 try later\n"));
    assert_non_null(strstr(vstring_str(text), "Will-Retry-Until: Sun, 19 Nov 2023 22:13:20 +0000"));
    assert_non_null(strstr(vstring_str(text), "Content-Description: Delayed Message Headers\n"));

    vstring_reset(text);
    n.kind = BOUNCE_KIND_SUCCESS;
    r.orig_rcpt = "postmaster@example.com";
    r.dsn_orcpt = "";
    assert_int_equal(bounce_compose(&n, collect, NULL), 0);
    assert_non_null(strstr(vstring_str(text), "Subject: Successful Mail Delivery Report\n"));
    assert_non_null(
        strstr(vstring_str(text), "Original-Recipient: rfc822; postmaster@example.com\n"));
    assert_non_null(strstr(vstring_str(text),
                           "<bob@example.com> (expanded from <postmaster@example.com>): host"));
    assert_null(strstr(vstring_str(text), "Will-Retry-Until"));

    vstring_reset(text);
    n.kind = BOUNCE_KIND_STATUS;
    assert_int_equal(bounce_compose(&n, collect, NULL), 0);
    assert_non_null(strstr(vstring_str(text), "Subject: Mail Delivery Status Report\n"));
    qfile_close(qf);
}

static void
test_postmaster_and_double_bounce(void **state)
{
    struct qfile *qf;
    struct bounce_notice n = make_notice(BOUNCE_KIND_FAILURE, &qf);

    (void)state;
    n.postmaster = 1;
    n.to = "postmaster";
    n.headers_only = 1;
    assert_int_equal(bounce_compose(&n, collect, NULL), 0);
    assert_non_null(strstr(vstring_str(text), "Subject: Postmaster Copy: Undelivered Mail\n"
                                              "To: postmaster\n"));
    assert_non_null(strstr(vstring_str(text), "Copy for the postmaster: mail from "
                                              "<alice@example.com> was not delivered."));

    vstring_reset(text);
    n.sender = "";
    n.headers_only = 0;
    assert_int_equal(bounce_compose(&n, collect, NULL), 0);
    assert_non_null(strstr(vstring_str(text), "A delivery notice (mail from the null sender <>)"));
    assert_non_null(strstr(vstring_str(text), "X-Tern-Sender: rfc822; \n"));
    assert_non_null(strstr(vstring_str(text), "Content-Type: message/rfc822\n"));

    vstring_reset(text);
    n.kind = BOUNCE_KIND_DELAY;
    n.sender = "alice@example.com";
    assert_int_equal(bounce_compose(&n, collect, NULL), 0);
    assert_non_null(strstr(vstring_str(text), "Subject: Postmaster Warning: Delayed Mail\n"));
    qfile_close(qf);
}

static void
test_recipients_are_wrapped_paragraphs(void **state)
{
    struct qfile *qf;
    struct bounce_notice n = make_notice(BOUNCE_KIND_FAILURE, &qf);
    struct bounce_rcpt r = rcpt_bob;

    (void)state;
    r.reason = "delivery via local: a reason long enough to need a second line, and a "
               "third one too, with a word-that-is-longer-than-any-line-of-the-paragraph-"
               "can-hold-so-it-stands-alone end";
    n.rcpts = &r;
    assert_int_equal(bounce_compose(&n, collect, NULL), 0);
    assert_non_null(strstr(vstring_str(text),
                           "<bob@example.com>: delivery via local: a reason long enough to need a "
                           "second\n"
                           "    line, and a third one too, with a\n"
                           "    word-that-is-longer-than-any-line-of-the-paragraph-can-hold-so-it-"
                           "stands-alone\n"
                           "    end\n\n"));
    qfile_close(qf);
}

static void
test_bad_text_and_no_original(void **state)
{
    struct qfile *qf;
    struct bounce_notice n = make_notice(BOUNCE_KIND_FAILURE, &qf);
    struct bounce_rcpt r = rcpt_bob;

    (void)state;
    qfile_close(qf);
    n.qf = NULL;
    r.reason = "evil\r\nContent-Type: text/html\n\nx";
    n.rcpts = &r;
    n.to = "we ird@example.com";
    assert_int_equal(bounce_compose(&n, collect, NULL), 0);
    /* Control characters are blanks, and blanks separate words of the paragraph. */
    assert_non_null(
        strstr(vstring_str(text), "<bob@example.com>: evil Content-Type: text/html x\n\n"));
    assert_non_null(strstr(vstring_str(text), "To: \"we ird\"@example.com\n"));
    assert_null(strstr(vstring_str(text), "message/rfc822"));
    assert_null(strstr(vstring_str(text), "Subject: hello"));
    assert_int_equal(bounce_compose(&n, fail_sink, NULL), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_failure_notice_exact, compose_setup, compose_teardown),
        cmocka_unit_test_setup_teardown(test_headers_only, compose_setup, compose_teardown),
        cmocka_unit_test_setup_teardown(test_delay_and_reports, compose_setup, compose_teardown),
        cmocka_unit_test_setup_teardown(test_postmaster_and_double_bounce, compose_setup,
                                        compose_teardown),
        cmocka_unit_test_setup_teardown(test_recipients_are_wrapped_paragraphs, compose_setup,
                                        compose_teardown),
        cmocka_unit_test_setup_teardown(test_bad_text_and_no_original, compose_setup,
                                        compose_teardown),
    };

    msg_init("test_bounce_compose", MSG_STDERR);
    setenv("TZ", "UTC", 1);
    tzset();
    if (getcwd(test_start_dir, sizeof(test_start_dir)) == NULL)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
