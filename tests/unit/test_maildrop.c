/*
 * test_maildrop - lib/mail/maildrop: what a user may send, and a file
 * that is either committed whole (readable, with its arrival time) or
 * not there at all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail/maildrop.h"
#include "mail/qfile.h"
#include "mail/rec_type.h"
#include "util/msg.h"
#include "util_test_helpers.h"

static int
drop_setup(void **state)
{
    static const char *const dirs[] = {"maildrop", NULL};

    why = vstring_alloc(100);
    return test_queue_enter(state, dirs);
}

static int
drop_teardown(void **state)
{
    vstring_free(why);
    return test_queue_leave(state);
}

/* Names in maildrop/ (temporary ones included); the first one in NAME. */
static int
drop_files(char *name, size_t size)
{
    DIR *dir = opendir("maildrop");
    struct dirent *dp;
    int count = 0;

    assert_non_null(dir);
    while ((dp = readdir(dir)) != NULL) {
        if (dp->d_name[0] == '.' && (dp->d_name[1] == 0 || strcmp(dp->d_name, "..") == 0))
            continue;
        if (count++ == 0 && name)
            snprintf(name, size, "%s", dp->d_name);
    }
    closedir(dir);
    return count;
}

static void
put_message(struct maildrop *md)
{
    struct vstring *buf = vstring_alloc(100);
    struct qfile_rcpt rcpt = {REC_RCPT_PENDING, 0, "bob", "bob", ""};

    assert_int_equal(maildrop_put(md, REC_TYPE_ATTR, "full_name=J. R.", 15), 0);
    assert_int_equal(maildrop_put(md, REC_TYPE_SENDER, "root", 4), 0);
    qfile_rcpt_encode(buf, &rcpt);
    assert_int_equal(maildrop_put(md, REC_TYPE_RCPT, vstring_str(buf), vstring_len(buf)), 0);
    assert_int_equal(maildrop_put(md, REC_TYPE_MESG, "", 0), 0);
    assert_int_equal(maildrop_put(md, REC_TYPE_NORM, "Subject: x", 10), 0);
    assert_int_equal(maildrop_put(md, REC_TYPE_NORM, "", 0), 0);
    assert_int_equal(maildrop_put(md, REC_TYPE_NORM, "hi", 2), 0);
    assert_int_equal(maildrop_put(md, REC_TYPE_XTRA, "", 0), 0);
    vstring_free(buf);
}

static void
test_commit_makes_a_valid_file(void **state)
{
    struct maildrop *md = maildrop_create(0, 0, why);
    struct qfile_rec rec;
    struct qfile *qf;
    struct stat st;
    char name[256];
    int type;

    (void)state;
    assert_non_null(md);
    assert_int_equal(strncmp(maildrop_temp_path(md), "maildrop/.tmp", 13), 0);
    assert_int_equal(stat(maildrop_temp_path(md), &st), 0);
    put_message(md);
    assert_int_equal(maildrop_commit(md, why), 0);
    assert_int_equal(drop_files(name, sizeof(name)), 1);
    assert_true(name[0] != '.');
    assert_int_equal(qfile_open("maildrop", name, QFILE_OPEN_READ, &qf, why), QFILE_OK);
    assert_int_equal(qfile_read(qf, &rec, why), REC_TYPE_TIME); /* added by the writer */
    while ((type = qfile_read(qf, &rec, why)) > 0 && type != REC_TYPE_RCPT)
        ;
    assert_int_equal(type, REC_TYPE_RCPT);
    assert_string_equal(rec.rcpt.address, "bob");
    qfile_close(qf);
}

static void
test_forbidden_records_spoil_the_file(void **state)
{
    static const struct {
        int type;
        const char *data;
        const char *reason;
    } cases[] = {
        {REC_TYPE_ATTR, "log_ident=x", "attribute log_ident not allowed"},
        {REC_TYPE_ATTR, "trace_flags=9", "bad value for attribute trace_flags"},
        {REC_TYPE_ATTR, "noequals", "attribute record without '='"},
        {REC_TYPE_WARN, "123", "record type"},
        {REC_TYPE_END, "", "end record before the commit"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct maildrop *md = maildrop_create(0, 0, why);
        assert_non_null(md);
        assert_null(maildrop_error(md));
        assert_int_equal(maildrop_put(md, cases[i].type, cases[i].data, strlen(cases[i].data)),
                         -1);
        assert_non_null(strstr(maildrop_error(md), cases[i].reason));
        /* Everything after the first error fails, and so does the commit. */
        assert_int_equal(maildrop_put(md, REC_TYPE_SENDER, "root", 4), -1);
        assert_int_equal(maildrop_commit(md, why), -1);
        assert_non_null(strstr(vstring_str(why), cases[i].reason));
        assert_int_equal(drop_files(NULL, 0), 0);
    }
}

static void
test_record_ok_end_and_done_recipients(void **state)
{
    (void)state;
    assert_int_equal(maildrop_record_ok(REC_TYPE_END, "", 0, why), 0);
    assert_int_equal(maildrop_record_ok(REC_TYPE_END, "x", 1, why), -1);
    assert_string_equal(vstring_str(why), "end record with a payload");
    assert_int_equal(maildrop_record_ok(REC_TYPE_RCPT, "\001", 1, why), -1);
    assert_string_equal(vstring_str(why), "recipient record marked done");
    assert_int_equal(maildrop_record_ok(REC_TYPE_ATTR, "encoding=8bit", 13, why), 0);
    assert_int_equal(maildrop_record_ok(REC_TYPE_ATTR, "extract_recipients=no", 21, why), -1);
}

static void
test_size_limit(void **state)
{
    struct maildrop *md = maildrop_create(0, 200, why);
    char line[100];
    int status = 0;

    (void)state;
    assert_non_null(md);
    memset(line, 'x', sizeof(line));
    assert_int_equal(maildrop_put(md, REC_TYPE_SENDER, "root", 4), 0);
    assert_int_equal(maildrop_put(md, REC_TYPE_MESG, "", 0), 0);
    assert_int_equal(maildrop_put(md, REC_TYPE_NORM, line, sizeof(line)), 0);
    for (int i = 0; i < 3 && status == 0; i++)
        status = maildrop_put(md, REC_TYPE_NORM, line, sizeof(line));
    assert_int_equal(status, -1);
    assert_true(maildrop_too_big(md));
    assert_string_equal(maildrop_error(md), "File too large");
    maildrop_abort(md);
    assert_int_equal(drop_files(NULL, 0), 0);
}

static void
test_abort_leaves_nothing(void **state)
{
    struct maildrop *md = maildrop_create(0, 0, why);

    (void)state;
    assert_non_null(md);
    put_message(md);
    assert_int_equal(drop_files(NULL, 0), 1);
    maildrop_abort(md);
    assert_int_equal(drop_files(NULL, 0), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_commit_makes_a_valid_file, drop_setup,
                                        drop_teardown),
        cmocka_unit_test_setup_teardown(test_forbidden_records_spoil_the_file, drop_setup,
                                        drop_teardown),
        cmocka_unit_test_setup_teardown(test_record_ok_end_and_done_recipients, drop_setup,
                                        drop_teardown),
        cmocka_unit_test_setup_teardown(test_size_limit, drop_setup, drop_teardown),
        cmocka_unit_test_setup_teardown(test_abort_leaves_nothing, drop_setup, drop_teardown),
    };

    msg_init("test_maildrop", MSG_STDERR);
    if (getcwd(test_start_dir, sizeof(test_start_dir)) == NULL)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
