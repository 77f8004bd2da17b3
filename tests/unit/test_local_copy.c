/*
 * test_local_copy - unit tests for lib/mail/mail_copy.c, the message
 * copy of local(8) deliveries: the envelope lines (From_, Return-Path:,
 * X-Original-To:, Delivered-To:), ">From " quoting (also when "From "
 * spans line pieces), the blank line, the null sender, and truncation
 * back to the old size when a write fails (RLIMIT_FSIZE -> EFBIG 5.2.2,
 * /dev/full -> ENOSPC 4.3.0).
 *
 * Each test writes a real queue file (qfile_create in a temporary queue
 * directory) and copies it into a file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail/mail_copy.h"
#include "mail/mail_queue.h"
#include "mail/qfile.h"
#include "util/msg.h"
#include "util/vstring.h"
#include "stderr_capture.h"
#include "util_test_helpers.h"

static char queue_id[64];

static int
copy_setup(void **state)
{
    static const char *const dirs[] = {"active", NULL};

    if (test_queue_enter(state, dirs) < 0)
        return -1;
    return 0;
}

static int
copy_teardown(void **state)
{
    return test_queue_leave(state);
}

/* Writes a queue file: LINES (NULL-terminated); "\1" starts a 2-byte piece "Fr". */
static struct qfile *
make_queue_file(const char *const *lines)
{
    struct vstring *why = vstring_alloc(100);
    struct qfile_rcpt rcpt = {REC_RCPT_PENDING, 0, "u@h", "", ""};
    struct timeval tv = {1700000000, 0};
    struct qfile *qf = qfile_create("active", 0, 0600, why);

    assert_non_null(qf);
    assert_int_equal(qfile_put_time(qf, &tv), 0);
    assert_int_equal(qfile_put_sender(qf, "s@x"), 0);
    assert_int_equal(qfile_put_rcpt(qf, &rcpt), 0);
    assert_int_equal(qfile_begin_content(qf), 0);
    for (int i = 0; lines[i]; i++) {
        if (lines[i][0] == '\1') {
            assert_int_equal(qfile_put_piece(qf, "Fr", 2), 0);
            assert_int_equal(qfile_put_line(qf, lines[i] + 1, strlen(lines[i] + 1)), 0);
        } else {
            assert_int_equal(qfile_put_line(qf, lines[i], strlen(lines[i])), 0);
        }
    }
    snprintf(queue_id, sizeof(queue_id), "%s", qfile_id(qf));
    assert_int_equal(qfile_commit(qf, why), 0);
    assert_int_equal(qfile_open("active", queue_id, QFILE_OPEN_READ, &qf, why), QFILE_OK);
    vstring_free(why);
    return qf;
}

static const char *const sample[] = {"Subject: x", "",  "From the top", ">From kept", "\1om pieces",
                                     "Frog",       NULL};

static void
test_mbox_copy(void **state)
{
    struct mail_copy_info info = {"Sender@X", "Orig@H", "User@Host"};
    struct vstring *dsn = vstring_alloc(10), *why = vstring_alloc(10);
    struct qfile *qf = make_queue_file(sample);
    int fd = open(test_path("mbox"), O_WRONLY | O_CREAT | O_APPEND, 0600);
    char buf[4096];
    regex_t re;

    (void)state;
    assert_int_equal(mail_copy(qf, fd, MAIL_COPY_MBOX, &info, dsn, why), MAIL_COPY_STAT_OK);
    close(fd);
    test_read_file(test_path("mbox"), buf, sizeof(buf));
    assert_int_equal(regcomp(&re,
                             "^From Sender@X  [A-Z][a-z][a-z] [A-Z][a-z][a-z] [ 0-9][0-9] "
                             "[0-9][0-9]:[0-9][0-9]:[0-9][0-9] [0-9]{4}\n",
                             REG_EXTENDED),
                     0);
    assert_int_equal(regexec(&re, buf, 0, NULL, 0), 0);
    regfree(&re);
    assert_string_equal(strchr(buf, '\n') + 1,
                        "Return-Path: <Sender@X>\nX-Original-To: Orig@H\n"
                        "Delivered-To: user@host\nSubject: x\n\n>From the top\n>From kept\n"
                        ">From pieces\nFrog\n\n");
    qfile_close(qf);
    vstring_free(dsn);
    vstring_free(why);
}

static void
test_null_sender_no_orig(void **state)
{
    struct mail_copy_info info = {"", "", "a@b"};
    struct vstring *dsn = vstring_alloc(10), *why = vstring_alloc(10);
    struct qfile *qf = make_queue_file(sample);
    int fd = open(test_path("out"), O_WRONLY | O_CREAT, 0600);
    char buf[4096];

    (void)state;
    assert_int_equal(mail_copy(qf, fd, MAIL_COPY_FROM | MAIL_COPY_RETURN_PATH | MAIL_COPY_ORIG_RCPT,
                               &info, dsn, why),
                     0);
    close(fd);
    test_read_file(test_path("out"), buf, sizeof(buf));
    assert_memory_equal(buf, "From MAILER-DAEMON  ", 20);
    assert_non_null(strstr(buf, "\nReturn-Path: <>\nSubject: x\n\nFrom the top\n"));
    assert_null(strstr(buf, "X-Original-To"));
    assert_null(strstr(buf, "Delivered-To"));
    qfile_close(qf);
    vstring_free(dsn);
    vstring_free(why);
}

static void
test_file_size_limit_truncates(void **state)
{
    struct mail_copy_info info = {"s@x", "", "a@b"};
    struct vstring *dsn = vstring_alloc(10), *why = vstring_alloc(10);
    static char big[20000];
    const char *lines[] = {"Subject: big", "", big, NULL};
    struct qfile *qf;
    struct rlimit saved, rl;
    struct stat st;
    int fd;

    (void)state;
    memset(big, 'x', sizeof(big) - 1);
    qf = make_queue_file(lines);
    test_write_file(test_path("mbox"), "old content\n", 0600);
    fd = open(test_path("mbox"), O_WRONLY | O_APPEND);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
    rl = saved;
    rl.rlim_cur = 4096;
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
    assert_int_equal(mail_copy(qf, fd, MAIL_COPY_MBOX, &info, dsn, why), MAIL_COPY_STAT_WRITE);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
    assert_string_equal(vstring_str(dsn), "5.2.2");
    assert_string_equal(vstring_str(why), "error writing message: File too large");
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal(st.st_size, 12);
    close(fd);
    qfile_close(qf);
    vstring_free(dsn);
    vstring_free(why);
}

static void
test_disk_full(void **state)
{
    struct mail_copy_info info = {"s@x", "", "a@b"};
    struct vstring *dsn = vstring_alloc(10), *why = vstring_alloc(10);
    struct qfile *qf = make_queue_file(sample);
    int fd = open("/dev/full", O_WRONLY);

    (void)state;
    if (fd < 0)
        skip();
    stderr_capture_start(test_dir);
    assert_int_equal(mail_copy(qf, fd, MAIL_COPY_MBOX, &info, dsn, why), MAIL_COPY_STAT_WRITE);
    stderr_capture_end();
    assert_string_equal(vstring_str(dsn), "4.3.0");
    assert_string_equal(vstring_str(why), "error writing message: No space left on device");
    close(fd);
    qfile_close(qf);
    vstring_free(dsn);
    vstring_free(why);
}

static void
test_dsn_mapping(void **state)
{
    (void)state;
    assert_string_equal(mail_copy_dsn(ENOSPC, "5.3.0"), "4.3.0");
    assert_string_equal(mail_copy_dsn(EDQUOT, "5.3.0"), "5.2.2");
    assert_string_equal(mail_copy_dsn(EFBIG, "5.3.0"), "5.2.2");
    assert_string_equal(mail_copy_dsn(EAGAIN, "5.3.0"), "4.2.0");
    assert_string_equal(mail_copy_dsn(EACCES, "5.2.0"), "5.2.0");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_mbox_copy, copy_setup, copy_teardown),
        cmocka_unit_test_setup_teardown(test_null_sender_no_orig, copy_setup, copy_teardown),
        cmocka_unit_test_setup_teardown(test_file_size_limit_truncates, copy_setup, copy_teardown),
        cmocka_unit_test_setup_teardown(test_disk_full, copy_setup, copy_teardown),
        cmocka_unit_test(test_dsn_mapping),
    };

    msg_init("test_local_copy", 1);
    if (getcwd(test_start_dir, sizeof(test_start_dir)) == NULL)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
