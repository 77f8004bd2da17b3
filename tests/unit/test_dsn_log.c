/*
 * test_dsn_log - unit tests for the per-recipient delivery logs
 * (lib/mail/dsn_log.c).
 *
 * Each test runs in a fresh temporary queue directory (bounce, defer,
 * trace; defer hashed one level). Covered: append and read back every
 * field, several entries in order, the hashed subdirectory made on demand,
 * control characters in values, damaged entries (no '=', no recipient,
 * bad number, overlong line, unfinished last entry) skipped with a warning
 * while the good ones are read, unknown names skipped, a missing log,
 * remove and exists, and refused names (bad id, foreign queue).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail/dsn_log.h"
#include "mail/mail_queue.h"
#include "mail/rec_type.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/vstring.h"
#include "stderr_capture.h"
#include "util_test_helpers.h"

static int
log_setup(void **state)
{
    static const char *const dirs[] = {"bounce", "defer", "trace", "active", NULL};

    if (test_queue_enter(state, dirs) < 0)
        return -1;
    mail_queue_set_hash("deferred, defer", 1);
    return 0;
}

static int
log_teardown(void **state)
{
    return test_queue_leave(state);
}

static struct dsn_log_entry
sample_entry(const char *rcpt, const char *reason)
{
    struct dsn_log_entry e = {
        .recipient = rcpt,
        .orig_rcpt = "Orig@Example",
        .dsn_orcpt = "rfc822;orig@example",
        .notify = REC_NOTIFY_FAILURE | REC_NOTIFY_DELAY,
        .offset = 1234,
        .status = "5.1.1",
        .action = "failed",
        .reason = reason,
        .relay = "local",
        .time = 1700000000,
    };
    return e;
}

static void
write_raw(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");

    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
}

static void
test_append_and_read(void **state)
{
    struct dsn_log_entry in = sample_entry("jose@example.com", "unknown user: \"jose\"");
    struct dsn_log_entry out;
    struct dsn_log *log;

    (void)state;
    assert_int_equal(dsn_log_exists(MAIL_QUEUE_BOUNCE, "ABC123"), 0);
    assert_int_equal(dsn_log_append(MAIL_QUEUE_BOUNCE, "ABC123", &in), 0);
    assert_int_equal(dsn_log_exists(MAIL_QUEUE_BOUNCE, "ABC123"), 1);
    assert_non_null(log = dsn_log_open(MAIL_QUEUE_BOUNCE, "ABC123"));
    assert_int_equal(dsn_log_read(log, &out), 1);
    assert_string_equal(out.recipient, "jose@example.com");
    assert_string_equal(out.orig_rcpt, "Orig@Example");
    assert_string_equal(out.dsn_orcpt, "rfc822;orig@example");
    assert_int_equal(out.notify, REC_NOTIFY_FAILURE | REC_NOTIFY_DELAY);
    assert_int_equal(out.offset, 1234);
    assert_string_equal(out.status, "5.1.1");
    assert_string_equal(out.action, "failed");
    assert_string_equal(out.reason, "unknown user: \"jose\"");
    assert_string_equal(out.relay, "local");
    assert_int_equal(out.time, 1700000000);
    assert_int_equal(dsn_log_read(log, &out), 0);
    dsn_log_close(log);
}

static void
test_several_entries_hashed(void **state)
{
    struct dsn_log_entry in;
    struct dsn_log_entry out;
    struct dsn_log *log;
    struct stat st;
    char name[16];

    (void)state;
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof(name), "u%d@x", i);
        in = sample_entry(name, "connect timed out");
        in.action = "delayed";
        in.status = "4.4.1";
        assert_int_equal(dsn_log_append(MAIL_QUEUE_DEFER, "3F1A21C0B5E", &in), 0);
    }
    assert_int_equal(stat("defer/3/3F1A21C0B5E", &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_non_null(log = dsn_log_open(MAIL_QUEUE_DEFER, "3F1A21C0B5E"));
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof(name), "u%d@x", i);
        assert_int_equal(dsn_log_read(log, &out), 1);
        assert_string_equal(out.recipient, name);
        assert_string_equal(out.action, "delayed");
    }
    assert_int_equal(dsn_log_read(log, &out), 0);
    dsn_log_close(log);
}

static void
test_control_characters(void **state)
{
    struct dsn_log_entry in = sample_entry("a@b", "line one\nrecipient=evil@x\n\nmore\ttab");
    struct dsn_log_entry out;
    struct dsn_log *log;

    (void)state;
    assert_int_equal(dsn_log_append(MAIL_QUEUE_TRACE, "T1", &in), 0);
    assert_non_null(log = dsn_log_open(MAIL_QUEUE_TRACE, "T1"));
    assert_int_equal(dsn_log_read(log, &out), 1);
    assert_string_equal(out.recipient, "a@b");
    assert_string_equal(out.reason, "line one recipient=evil@x  more tab");
    assert_int_equal(dsn_log_read(log, &out), 0);
    dsn_log_close(log);
}

static void
test_damaged_entries_skipped(void **state)
{
    struct dsn_log_entry out;
    struct dsn_log *log;
    const char *err;
    char *big = mymalloc(70000 + 64);

    (void)state;
    memset(big, 'x', 70000);
    big[70000] = 0;
    write_raw("bounce/D1", "recipient=good1@x\nstatus=5.0.0\nfuture_field=1\n\n"
                           "recipient=bad@x\nno equals sign\n\n"
                           "\n\n"
                           "status=5.0.0\n\n"
                           "recipient=badnum@x\noffset=12z\n\n"
                           "recipient=good2@x\nnotify=4\n\n");
    {
        FILE *fp = fopen("bounce/D1", "a");
        assert_non_null(fp);
        fprintf(fp, "recipient=long@x\nreason=%s\n\nrecipient=good3@x\n\nrecipient=torn@x\n", big);
        fclose(fp);
    }
    myfree(big);
    stderr_capture_start(test_dir);
    log = dsn_log_open(MAIL_QUEUE_BOUNCE, "D1");
    assert_non_null(log);
    assert_int_equal(dsn_log_read(log, &out), 1);
    assert_string_equal(out.recipient, "good1@x");
    assert_string_equal(out.orig_rcpt, "");
    assert_int_equal(dsn_log_read(log, &out), 1);
    assert_string_equal(out.recipient, "good2@x");
    assert_int_equal(out.notify, 4);
    assert_int_equal(dsn_log_read(log, &out), 1);
    assert_string_equal(out.recipient, "good3@x");
    assert_int_equal(dsn_log_read(log, &out), 0);
    dsn_log_close(log);
    err = stderr_capture_end();
    assert_non_null(strstr(err, "bounce/D1: skipping damaged entry: bad line"));
    assert_non_null(strstr(err, "bounce/D1: skipping damaged entry: no recipient"));
    assert_non_null(strstr(err, "bounce/D1: skipping damaged entry: line too long"));
    assert_non_null(strstr(err, "bounce/D1: skipping damaged entry: unfinished at end of file"));
}

static void
test_missing_remove_and_bad_names(void **state)
{
    struct dsn_log_entry in = sample_entry("a@b", "x");

    (void)state;
    errno = 0;
    assert_null(dsn_log_open(MAIL_QUEUE_BOUNCE, "NOPE1"));
    assert_int_equal(errno, ENOENT);
    assert_int_equal(dsn_log_remove(MAIL_QUEUE_BOUNCE, "NOPE1"), 0);
    assert_int_equal(dsn_log_append(MAIL_QUEUE_BOUNCE, "R1", &in), 0);
    assert_int_equal(dsn_log_remove(MAIL_QUEUE_BOUNCE, "R1"), 0);
    assert_int_equal(dsn_log_exists(MAIL_QUEUE_BOUNCE, "R1"), 0);

    assert_int_equal(dsn_log_append(MAIL_QUEUE_BOUNCE, "../x", &in), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(dsn_log_append(MAIL_QUEUE_ACTIVE, "R2", &in), -1);
    assert_int_equal(errno, EINVAL);
    assert_null(dsn_log_open(MAIL_QUEUE_DEFER, ".tmp1"));
    assert_int_equal(dsn_log_exists(MAIL_QUEUE_DEFER, "a/b"), 0);
    /* A missing queue directory is an error, not created. */
    assert_int_equal(rmdir("trace"), 0);
    assert_int_equal(dsn_log_append(MAIL_QUEUE_TRACE, "R3", &in), -1);
    assert_int_equal(errno, ENOENT);
}

static void
test_symlink_refused(void **state)
{
    struct dsn_log_entry in = sample_entry("a@b", "x");

    (void)state;
    write_raw("target", "");
    assert_int_equal(symlink("../target", "bounce/S1"), 0);
    assert_int_equal(dsn_log_append(MAIL_QUEUE_BOUNCE, "S1", &in), -1);
    assert_null(dsn_log_open(MAIL_QUEUE_BOUNCE, "S1"));
    assert_int_equal(dsn_log_exists(MAIL_QUEUE_BOUNCE, "S1"), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_append_and_read, log_setup, log_teardown),
        cmocka_unit_test_setup_teardown(test_several_entries_hashed, log_setup, log_teardown),
        cmocka_unit_test_setup_teardown(test_control_characters, log_setup, log_teardown),
        cmocka_unit_test_setup_teardown(test_damaged_entries_skipped, log_setup, log_teardown),
        cmocka_unit_test_setup_teardown(test_missing_remove_and_bad_names, log_setup, log_teardown),
        cmocka_unit_test_setup_teardown(test_symlink_refused, log_setup, log_teardown),
    };

    msg_init("test_dsn_log", MSG_STDERR);
    if (getcwd(test_start_dir, sizeof(test_start_dir)) == NULL)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
