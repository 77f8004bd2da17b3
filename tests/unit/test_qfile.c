/*
 * test_qfile - unit tests for queue files (lib/mail/qfile*.c).
 *
 * Each test runs in a fresh temporary queue directory (the process chdirs
 * there, as daemons do). Covered: a round trip of every record type
 * through the writer and the reader, the writer's refusal of bad records
 * (sticky errors, nothing committed), done-marking and the warn time in
 * place, truncation at every offset and a change of any one byte (both
 * always detected), the corpus of broken files in tests/data/queue (each
 * refused for its stated reason, the good ones accepted), non-regular
 * files, a missing file, a crash at every step of the commit (nothing or
 * a complete file, never a partial one under an id), and quarantine.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mail/mail_queue.h"
#include "mail/qfile.h"
#include "mail/queue_id.h"
#include "mail/rec_type.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/vstring.h"
#include "util_test_helpers.h"

static char sample_id[QUEUE_ID_MAX + 1];

#define LONG_LINE_LEN 150000 /* three pieces of QFILE_PIECE_MAX or less */

static int
queue_setup(void **state)
{
    static const char *const dirs[] = {"incoming", "active",   "deferred", "hold",
                                       "corrupt",  "maildrop", NULL};

    if (test_queue_enter(state, dirs) < 0)
        return -1;
    mail_queue_commit_hook = NULL;
    return 0;
}

static int
queue_teardown(void **state)
{
    return test_queue_leave(state);
}

static char *
read_bytes(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    char *buf;
    long size;

    assert_non_null(fp);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    size = ftell(fp);
    rewind(fp);
    buf = mymalloc((size_t)size + 1);
    assert_int_equal(fread(buf, 1, (size_t)size, fp), (size_t)size);
    fclose(fp);
    *len = (size_t)size;
    return buf;
}

static void
write_bytes(const char *path, const char *data, size_t len)
{
    FILE *fp = fopen(path, "wb");

    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

/* Names in a directory that pass fn, counted. */
static int
count_names(const char *dir, int (*fn)(const char *))
{
    DIR *dp = opendir(dir);
    struct dirent *de;
    int n = 0;

    assert_non_null(dp);
    while ((de = readdir(dp)) != NULL)
        if (fn(de->d_name))
            n++;
    closedir(dp);
    return n;
}

static char long_line[LONG_LINE_LEN];

static const char *const sample_lines[] = {
    "From: antonio@example.com", "Subject: test", "", "body line 1", ".", "From nobody"};

/* The envelope every sample file has. */
static void
put_envelope(struct qfile *qf)
{
    struct timeval tv = {1700000000, 654321};
    struct qfile_rcpt r1 = {REC_RCPT_PENDING, REC_NOTIFY_SUCCESS | REC_NOTIFY_FAILURE,
                            "jose@example.com", "Jose@Example.COM", "rfc822;jose@example.com"};
    struct qfile_rcpt r2 = {REC_RCPT_PENDING, 0, "maria@example.com", NULL, NULL};

    assert_int_equal(qfile_put_time(qf, &tv), 0);
    assert_int_equal(qfile_put_warn(qf, 1700014400), 0);
    assert_int_equal(qfile_put_attr(qf, "log_client_name", "localhost"), 0);
    assert_int_equal(qfile_put_sender(qf, "antonio@example.com"), 0);
    assert_int_equal(qfile_put_dsn_envid(qf, "envid-1"), 0);
    assert_int_equal(qfile_put_dsn_ret(qf, REC_RET_HDRS), 0);
    assert_int_equal(qfile_put_rcpt(qf, &r1), 0);
    assert_int_equal(qfile_put_rcpt(qf, &r2), 0);
}

/* Writes and commits a sample file; with big, one line is LONG_LINE_LEN. */
static const char *
write_sample(int long_ids, int big)
{
    struct vstring *why = vstring_alloc(100);
    struct qfile_rcpt r3 = {REC_RCPT_PENDING, REC_NOTIFY_NEVER, "bcc@example.com", "", ""};
    struct qfile *qf = qfile_create(MAIL_QUEUE_INCOMING, long_ids, 0600, why);

    assert_non_null(qf);
    put_envelope(qf);
    assert_int_equal(qfile_begin_content(qf), 0);
    for (size_t i = 0; i < sizeof(sample_lines) / sizeof(sample_lines[0]); i++)
        assert_int_equal(qfile_put_line(qf, sample_lines[i], strlen(sample_lines[i])), 0);
    if (big) {
        memset(long_line, 'x', sizeof(long_line));
        assert_int_equal(qfile_put_line(qf, long_line, sizeof(long_line)), 0);
    }
    assert_int_equal(qfile_put_piece(qf, "split ", 6), 0);
    assert_int_equal(qfile_put_line(qf, "line", 4), 0);
    assert_int_equal(qfile_begin_extracted(qf), 0);
    assert_int_equal(qfile_put_rcpt(qf, &r3), 0);
    assert_int_equal(qfile_put_rrto(qf, "antonio@example.com"), 0);
    assert_int_equal(qfile_put_erto(qf, "errors@example.com"), 0);
    assert_int_equal(qfile_put_attr(qf, "filter", "smtp:[127.0.0.1]:10025"), 0);
    snprintf(sample_id, sizeof(sample_id), "%s", qfile_id(qf));
    assert_true(queue_id_ok(sample_id));
    if (qfile_commit(qf, why) != 0)
        fail_msg("commit: %s", vstring_str(why));
    vstring_free(why);
    return sample_id;
}

static const char *
sample_path(const char *id)
{
    static struct vstring *path;

    if (path == NULL)
        path = vstring_alloc(64);
    return mail_queue_path(path, MAIL_QUEUE_INCOMING, id);
}

static struct qfile *
open_ok(const char *id, int flags)
{
    struct vstring *why = vstring_alloc(100);
    struct qfile *qf = NULL;
    int status = qfile_open(MAIL_QUEUE_INCOMING, id, flags, &qf, why);

    if (status != QFILE_OK)
        fail_msg("open %s: %d %s", id, status, vstring_str(why));
    vstring_free(why);
    return qf;
}

static int
read_rec(struct qfile *qf, struct qfile_rec *rec)
{
    struct vstring *why = vstring_alloc(100);
    int type = qfile_read(qf, rec, why);

    if (type < 0)
        fail_msg("read: %s", vstring_str(why));
    vstring_free(why);
    return type;
}

static void
check_envelope(struct qfile *qf)
{
    struct qfile_rec rec;

    assert_int_equal(read_rec(qf, &rec), REC_TYPE_TIME);
    assert_int_equal(rec.time.tv_sec, 1700000000);
    assert_int_equal(rec.time.tv_usec, 654321);
    assert_int_equal(rec.offset, 53);
    assert_int_equal(read_rec(qf, &rec), REC_TYPE_WARN);
    assert_int_equal(rec.warn, 1700014400);
    assert_int_equal(read_rec(qf, &rec), REC_TYPE_ATTR);
    assert_string_equal(rec.name, "log_client_name");
    assert_string_equal(rec.value, "localhost");
    assert_int_equal(read_rec(qf, &rec), REC_TYPE_SENDER);
    assert_string_equal(rec.text, "antonio@example.com");
    assert_int_equal(read_rec(qf, &rec), REC_TYPE_DSN_ENVID);
    assert_string_equal(rec.text, "envid-1");
    assert_int_equal(read_rec(qf, &rec), REC_TYPE_DSN_RET);
    assert_int_equal(rec.ret, REC_RET_HDRS);
    assert_int_equal(read_rec(qf, &rec), REC_TYPE_RCPT);
    assert_int_equal(rec.rcpt.status, REC_RCPT_PENDING);
    assert_int_equal(rec.rcpt.notify, REC_NOTIFY_SUCCESS | REC_NOTIFY_FAILURE);
    assert_string_equal(rec.rcpt.address, "jose@example.com");
    assert_string_equal(rec.rcpt.orig_rcpt, "Jose@Example.COM");
    assert_string_equal(rec.rcpt.dsn_orcpt, "rfc822;jose@example.com");
    assert_int_equal(read_rec(qf, &rec), REC_TYPE_RCPT);
    assert_string_equal(rec.rcpt.address, "maria@example.com");
    assert_string_equal(rec.rcpt.orig_rcpt, "");
    assert_string_equal(rec.rcpt.dsn_orcpt, "");
    assert_int_equal(read_rec(qf, &rec), REC_TYPE_MESG);
    assert_int_equal(rec.offset, qfile_info(qf)->content_offset);
}

/* Reads the content back as text, one "\n" per line. */
static struct vstring *
read_content(struct qfile *qf)
{
    struct vstring *text = vstring_alloc(1024);
    struct vstring *why = vstring_alloc(100);
    struct qfile_rec rec;
    int type;

    assert_int_equal(qfile_seek_content(qf, why), 0);
    while ((type = read_rec(qf, &rec)) == REC_TYPE_NORM || type == REC_TYPE_CONT) {
        vstring_memcat(text, rec.data, rec.len);
        if (type == REC_TYPE_NORM)
            vstring_addch(text, '\n');
    }
    assert_int_equal(type, REC_TYPE_XTRA);
    vstring_free(why);
    return text;
}

static void
test_round_trip(void **state)
{
    struct vstring *want = vstring_alloc(1024);
    struct vstring *got;
    struct qfile_rec rec;
    struct qfile *qf;
    const char *id;

    (void)state;
    id = write_sample(0, 1);
    assert_false(queue_id_is_long(id));
    qf = open_ok(id, QFILE_OPEN_READ);
    check_envelope(qf);
    for (size_t i = 0; i < sizeof(sample_lines) / sizeof(sample_lines[0]); i++)
        vstring_sprintf_append(want, "%s\n", sample_lines[i]);
    vstring_memcat(want, long_line, sizeof(long_line));
    vstring_strcat(want, "\nsplit line\n");
    got = read_content(qf);
    assert_int_equal(vstring_len(got), vstring_len(want));
    assert_memory_equal(vstring_str(got), vstring_str(want), vstring_len(want));
    assert_int_equal(qfile_info(qf)->content_size, vstring_len(want));
    assert_int_equal(qfile_info(qf)->rcpt_count, 3);
    assert_int_equal(read_rec(qf, &rec), REC_TYPE_RCPT);
    assert_string_equal(rec.rcpt.address, "bcc@example.com");
    assert_int_equal(rec.rcpt.notify, REC_NOTIFY_NEVER);
    assert_int_equal(read_rec(qf, &rec), REC_TYPE_RRTO);
    assert_string_equal(rec.text, "antonio@example.com");
    assert_int_equal(read_rec(qf, &rec), REC_TYPE_ERTO);
    assert_string_equal(rec.text, "errors@example.com");
    assert_int_equal(read_rec(qf, &rec), REC_TYPE_ATTR);
    assert_string_equal(rec.name, "filter");
    assert_string_equal(rec.value, "smtp:[127.0.0.1]:10025");
    assert_int_equal(read_rec(qf, &rec), REC_TYPE_END);
    assert_int_equal(rec.offset, qfile_info(qf)->end_offset);
    assert_int_equal(read_rec(qf, &rec), 0);
    assert_int_equal(qfile_close(qf), 0);
    vstring_free(want);
    vstring_free(got);
}

static void
test_long_id_file(void **state)
{
    struct stat st;
    struct qfile *qf;
    const char *id;

    (void)state;
    id = write_sample(1, 0);
    assert_true(queue_id_is_long(id));
    assert_int_equal(stat(sample_path(id), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    qf = open_ok(id, QFILE_OPEN_READ);
    check_envelope(qf);
    qfile_close(qf);
}

static int
is_temp(const char *name)
{
    return mail_queue_temp_name_ok(name);
}

static int
is_id(const char *name)
{
    return queue_id_ok(name);
}

static void
test_commit_leaves_only_the_file(void **state)
{
    const char *id;

    (void)state;
    id = write_sample(0, 0);
    assert_int_equal(count_names("incoming", is_id), 1);
    assert_int_equal(count_names("incoming", is_temp), 0);
    assert_int_equal(access(sample_path(id), R_OK), 0);
}

static void
test_abort_leaves_nothing(void **state)
{
    struct vstring *why = vstring_alloc(100);
    struct qfile *qf = qfile_create(MAIL_QUEUE_INCOMING, 0, 0600, why);

    (void)state;
    assert_non_null(qf);
    put_envelope(qf);
    assert_int_equal(count_names("incoming", is_temp), 1);
    qfile_abort(qf);
    assert_int_equal(count_names("incoming", is_temp), 0);
    assert_int_equal(count_names("incoming", is_id), 0);
    vstring_free(why);
}

/* A fresh file with time and sender; the caller breaks it. */
static struct qfile *
start_file(void)
{
    struct vstring *why = vstring_alloc(100);
    struct timeval tv = {1, 2};
    struct qfile *qf = qfile_create(MAIL_QUEUE_INCOMING, 0, 0600, why);

    assert_non_null(qf);
    assert_int_equal(qfile_put_time(qf, &tv), 0);
    assert_int_equal(qfile_put_sender(qf, "a@example.com"), 0);
    vstring_free(why);
    return qf;
}

/* The put failed with reason; commit must fail the same way and leave nothing. */
static void
expect_refused(struct qfile *qf, int put_status, const char *reason)
{
    struct vstring *why = vstring_alloc(100);
    struct qfile_rcpt rcpt = {0, 0, "b@example.com", NULL, NULL};

    assert_int_equal(put_status, -1);
    assert_non_null(qfile_error(qf));
    if (strstr(qfile_error(qf), reason) == NULL)
        fail_msg("error \"%s\" lacks \"%s\"", qfile_error(qf), reason);
    assert_int_equal(qfile_put_rcpt(qf, &rcpt), -1); /* sticky */
    assert_int_equal(qfile_commit(qf, why), -1);
    assert_non_null(strstr(vstring_str(why), reason));
    assert_int_equal(count_names("incoming", is_temp) + count_names("incoming", is_id), 0);
    vstring_free(why);
}

static void
test_writer_refuses_bad_records(void **state)
{
    struct qfile_rcpt empty = {0, 0, "", NULL, NULL};
    struct qfile_rcpt notify = {0, REC_NOTIFY_NEVER | REC_NOTIFY_DELAY, "a@b", NULL, NULL};
    struct qfile_rcpt status = {7, 0, "a@b", NULL, NULL};
    struct timeval tv = {1, 2};
    struct qfile *qf;

    (void)state;
    qf = start_file();
    expect_refused(qf, qfile_put_record(qf, REC_TYPE_SENDER, "a\0b", 3), "duplicate sender");
    qf = start_file();
    expect_refused(qf, qfile_put_record(qf, REC_TYPE_DSN_ENVID, "a\0b", 3),
                   "NUL byte in dsn_envid record");
    qf = start_file();
    expect_refused(qf, qfile_put_attr(qf, "bad name", "x"), "bad character in attribute name");
    qf = start_file();
    expect_refused(qf, qfile_put_rcpt(qf, &empty), "empty recipient address");
    qf = start_file();
    expect_refused(qf, qfile_put_rcpt(qf, &notify), "NOTIFY");
    qf = start_file();
    expect_refused(qf, qfile_put_rcpt(qf, &status), "bad recipient status");
    qf = start_file();
    expect_refused(qf, qfile_put_time(qf, &tv), "duplicate time record");
    qf = start_file();
    expect_refused(qf, qfile_put_dsn_ret(qf, 9), "bad DSN RET value");
    qf = start_file();
    expect_refused(qf, qfile_put_line(qf, "x", 1), "line record in envelope section");
    qf = start_file();
    expect_refused(qf, qfile_put_rrto(qf, "x@y"), "return_receipt record in envelope");
    qf = start_file();
    assert_int_equal(qfile_begin_content(qf), 0);
    expect_refused(qf, qfile_put_line(qf, "a\nb", 3), "newline inside line record");
    qf = start_file();
    assert_int_equal(qfile_begin_content(qf), 0);
    assert_int_equal(qfile_put_piece(qf, "abc", 3), 0);
    expect_refused(qf, qfile_begin_extracted(qf), "line_piece record not followed");
    qf = start_file();
    expect_refused(qf, qfile_put_record(qf, REC_TYPE_END, "abcd", 4), "end record");
}

static void
test_writer_order_rules(void **state)
{
    struct vstring *why = vstring_alloc(100);
    struct qfile_rcpt rcpt = {0, 0, "b@example.com", NULL, NULL};
    struct timeval tv = {1, 2};
    struct qfile *qf;

    (void)state;
    qf = qfile_create(MAIL_QUEUE_INCOMING, 0, 0600, why);
    assert_int_equal(qfile_put_time(qf, &tv), 0);
    expect_refused(qf, qfile_put_rcpt(qf, &rcpt), "recipient record before sender record");
    qf = qfile_create(MAIL_QUEUE_INCOMING, 0, 0600, why);
    assert_int_equal(qfile_put_sender(qf, ""), 0);
    expect_refused(qf, qfile_begin_content(qf), "missing time record");
    qf = start_file();
    assert_int_equal(qfile_commit(qf, why), -1);
    assert_string_equal(vstring_str(why), "commit before the message content");
    assert_int_equal(count_names("incoming", is_temp) + count_names("incoming", is_id), 0);
    /* Commit adds a missing extracted marker. */
    qf = start_file();
    assert_int_equal(qfile_begin_content(qf), 0);
    assert_int_equal(qfile_commit(qf, why), 0);
    assert_int_equal(count_names("incoming", is_id), 1);
    vstring_free(why);
}

/* The offsets of the recipient records, and of the warn record. */
static int
find_offsets(struct qfile *qf, uint64_t *rcpt, int max, uint64_t *warn)
{
    struct vstring *why = vstring_alloc(100);
    struct qfile_rec rec;
    int n = 0;
    int type;

    assert_int_equal(qfile_seek(qf, 53, why), 0);
    while ((type = read_rec(qf, &rec)) > 0) {
        if (type == REC_TYPE_RCPT && n < max)
            rcpt[n++] = rec.offset;
        if (type == REC_TYPE_WARN && warn)
            *warn = rec.offset;
    }
    vstring_free(why);
    return n;
}

static void
test_rcpt_done_in_place(void **state)
{
    struct vstring *why = vstring_alloc(100);
    uint64_t rcpt[4];
    uint64_t warn = 0;
    char *before;
    char *after;
    size_t len_before;
    size_t len_after;
    struct qfile_rec rec;
    struct qfile *qf;
    const char *id;

    (void)state;
    id = write_sample(0, 0);
    before = read_bytes(sample_path(id), &len_before);
    qf = open_ok(id, QFILE_OPEN_UPDATE);
    assert_int_equal(find_offsets(qf, rcpt, 4, &warn), 3);
    assert_int_equal(qfile_rcpt_done(qf, rcpt[1], why), 0);
    assert_int_equal(qfile_rcpt_done(qf, rcpt[1], why), 0); /* twice is harmless */
    assert_int_equal(qfile_rcpt_done(qf, rcpt[2], why), 0); /* extracted section too */
    assert_int_equal(qfile_rcpt_done(qf, warn, why), -1);   /* not a recipient */
    assert_non_null(strstr(vstring_str(why), "no recipient record at offset"));
    assert_int_equal(qfile_rcpt_done(qf, rcpt[0] + 1, why), -1);
    assert_int_equal(qfile_rcpt_done(qf, 999999, why), -1);
    assert_int_equal(qfile_sync(qf), 0);
    qfile_close(qf);

    after = read_bytes(sample_path(id), &len_after);
    assert_int_equal(len_after, len_before);
    for (size_t i = 0; i < len_after; i++) {
        if (i == rcpt[1] + 5 || i == rcpt[2] + 5)
            assert_int_equal(after[i], REC_RCPT_DONE);
        else
            assert_int_equal(after[i], before[i]);
    }
    qf = open_ok(id, QFILE_OPEN_READ); /* still valid: the marker is outside the checksum */
    assert_int_equal(qfile_seek(qf, rcpt[0], why), 0);
    assert_int_equal(read_rec(qf, &rec), REC_TYPE_RCPT);
    assert_int_equal(rec.rcpt.status, REC_RCPT_PENDING);
    assert_int_equal(read_rec(qf, &rec), REC_TYPE_RCPT);
    assert_int_equal(rec.rcpt.status, REC_RCPT_DONE);
    assert_string_equal(rec.rcpt.address, "maria@example.com");
    qfile_close(qf);
    myfree(before);
    myfree(after);
    vstring_free(why);
}

static void
test_set_warn_in_place(void **state)
{
    struct vstring *why = vstring_alloc(100);
    uint64_t rcpt[4];
    uint64_t warn = 0;
    struct qfile_rec rec;
    struct qfile *qf;
    const char *id;

    (void)state;
    id = write_sample(0, 0);
    qf = open_ok(id, QFILE_OPEN_UPDATE);
    find_offsets(qf, rcpt, 4, &warn);
    assert_int_equal(qfile_set_warn(qf, warn, 0, why), 0);
    assert_int_equal(qfile_set_warn(qf, rcpt[0], 5, why), -1);
    qfile_close(qf);
    qf = open_ok(id, QFILE_OPEN_READ);
    assert_int_equal(qfile_seek(qf, warn, why), 0);
    assert_int_equal(read_rec(qf, &rec), REC_TYPE_WARN);
    assert_int_equal(rec.warn, 0);
    qfile_close(qf);
    vstring_free(why);
}

/* Validates path; returns the status, with the reason in why. */
static int
validate_path(const char *path, struct vstring *why)
{
    struct qfile *qf = NULL;
    int status = qfile_open_path(path, QFILE_OPEN_READ, &qf, why);

    if (status == QFILE_OK)
        qfile_close(qf);
    return status;
}

static void
test_truncation_at_every_offset(void **state)
{
    struct vstring *why = vstring_alloc(100);
    char *data;
    size_t len;
    const char *id;

    (void)state;
    id = write_sample(0, 0);
    data = read_bytes(sample_path(id), &len);
    assert_int_equal(validate_path(sample_path(id), why), QFILE_OK);
    for (size_t cut = 0; cut < len; cut++) {
        write_bytes("incoming/CUT", data, cut);
        if (validate_path("incoming/CUT", why) != QFILE_CORRUPT ||
            strstr(vstring_str(why), "truncated") == NULL)
            fail_msg("cut at %zu of %zu: \"%s\"", cut, len, vstring_str(why));
    }
    myfree(data);
    vstring_free(why);
}

static int
is_mutable(size_t offset, const uint64_t *rcpt, int nrcpt, uint64_t warn)
{
    for (int i = 0; i < nrcpt; i++)
        if (offset == rcpt[i] + 5)
            return 1;
    return offset >= warn + 5 && offset < warn + 13;
}

static void
test_any_changed_byte_is_detected(void **state)
{
    static const unsigned char masks[] = {0x01, 0x20, 0x80, 0xff};
    struct vstring *why = vstring_alloc(100);
    uint64_t rcpt[4];
    uint64_t warn = 0;
    struct qfile *qf;
    char *data;
    size_t len;
    int nrcpt;
    const char *id;

    (void)state;
    id = write_sample(0, 0);
    qf = open_ok(id, QFILE_OPEN_READ);
    nrcpt = find_offsets(qf, rcpt, 4, &warn);
    qfile_close(qf);
    data = read_bytes(sample_path(id), &len);
    for (size_t i = 0; i < len; i++) {
        if (is_mutable(i, rcpt, nrcpt, warn))
            continue;
        for (size_t m = 0; m < sizeof(masks); m++) {
            data[i] ^= masks[m];
            write_bytes("incoming/FLIP", data, len);
            if (validate_path("incoming/FLIP", why) != QFILE_CORRUPT)
                fail_msg("byte %zu ^ 0x%02x accepted", i, masks[m]);
            data[i] ^= masks[m];
        }
    }
    /* The done-marker may only be 0 or 1. */
    data[rcpt[0] + 5] = 2;
    write_bytes("incoming/FLIP", data, len);
    assert_int_equal(validate_path("incoming/FLIP", why), QFILE_CORRUPT);
    assert_non_null(strstr(vstring_str(why), "bad recipient status 2"));
    myfree(data);
    vstring_free(why);
}

/* Every file of tests/data/queue: accepted or refused as MANIFEST says. */
static void
test_corpus(void **state)
{
    struct vstring *why = vstring_alloc(100);
    struct vstring *path = vstring_alloc(100);
    char line[512];
    char *name;
    char *want;
    FILE *fp;
    int files = 0;

    (void)state;
    vstring_sprintf(path, "%s/tests/data/queue/MANIFEST", test_start_dir);
    if ((fp = fopen(vstring_str(path), "r")) == NULL)
        fail_msg("open %s: %s", vstring_str(path), strerror(errno));
    while (fgets(line, sizeof(line), fp)) {
        if (line[0] == '#')
            continue;
        line[strcspn(line, "\n")] = 0;
        name = line;
        want = strchr(line, '\t');
        assert_non_null(want);
        *want++ = 0;
        vstring_sprintf(path, "%s/tests/data/queue/%s", test_start_dir, name);
        if (strcmp(want, "-") == 0) {
            if (validate_path(vstring_str(path), why) != QFILE_OK)
                fail_msg("%s refused: %s", name, vstring_str(why));
        } else if (validate_path(vstring_str(path), why) != QFILE_CORRUPT ||
                   strstr(vstring_str(why), want) == NULL) {
            fail_msg("%s: reason \"%s\" lacks \"%s\"", name, vstring_str(why), want);
        }
        files++;
    }
    fclose(fp);
    assert_true(files >= 40);
    vstring_free(why);
    vstring_free(path);
}

static void
test_corpus_good_file_reads(void **state)
{
    struct vstring *why = vstring_alloc(100);
    struct vstring *path = vstring_alloc(100);
    struct qfile_rec rec;
    struct qfile *qf = NULL;
    int rcpts = 0;
    int done = 0;
    int type;

    (void)state;
    vstring_sprintf(path, "%s/tests/data/queue/good-full.qf", test_start_dir);
    assert_int_equal(qfile_open_path(vstring_str(path), QFILE_OPEN_READ, &qf, why), QFILE_OK);
    while ((type = read_rec(qf, &rec)) > 0) {
        if (type == REC_TYPE_RCPT) {
            rcpts++;
            done += rec.rcpt.status == REC_RCPT_DONE;
        }
    }
    assert_int_equal(rcpts, 3);
    assert_int_equal(done, 1);
    qfile_close(qf);
    vstring_free(why);
    vstring_free(path);
}

static void
test_not_a_regular_file(void **state)
{
    struct vstring *why = vstring_alloc(100);
    struct qfile *qf = NULL;

    (void)state;
    assert_int_equal(mkfifo("incoming/ABCDEF1", 0600), 0);
    assert_int_equal(qfile_open(MAIL_QUEUE_INCOMING, "ABCDEF1", 0, &qf, why), QFILE_CORRUPT);
    assert_string_equal(vstring_str(why), "not a regular file");
    assert_int_equal(symlink("/etc/passwd", "incoming/ABCDEF2"), 0);
    assert_int_equal(qfile_open(MAIL_QUEUE_INCOMING, "ABCDEF2", 0, &qf, why), QFILE_CORRUPT);
    assert_int_equal(mkdir("incoming/ABCDEF3", 0700), 0);
    assert_int_equal(qfile_open(MAIL_QUEUE_INCOMING, "ABCDEF3", 0, &qf, why), QFILE_CORRUPT);
    assert_int_equal(qfile_open(MAIL_QUEUE_INCOMING, "ABCDEF4", 0, &qf, why), QFILE_SYSERR);
    assert_int_equal(errno, ENOENT);
    vstring_free(why);
}

static void
test_novalidate_and_reader_checks(void **state)
{
    struct vstring *why = vstring_alloc(100);
    struct qfile_rec rec;
    struct qfile *qf = NULL;
    char *data;
    size_t len;
    int type;
    const char *id;

    (void)state;
    id = write_sample(0, 0);
    data = read_bytes(sample_path(id), &len);
    data[len - 15] ^= 0x20; /* inside the last attribute: only the checksum notices */
    write_bytes(sample_path(id), data, len);
    assert_int_equal(qfile_open(MAIL_QUEUE_INCOMING, id, 0, &qf, why), QFILE_CORRUPT);
    assert_non_null(strstr(vstring_str(why), "checksum mismatch"));
    assert_int_equal(qfile_open(MAIL_QUEUE_INCOMING, id, QFILE_OPEN_NOVALIDATE, &qf, why),
                     QFILE_OK);
    while ((type = read_rec(qf, &rec)) > 0 && type != REC_TYPE_END)
        continue;
    assert_int_equal(type, REC_TYPE_END);
    /* A seek into the middle of a record: the next read fails cleanly. */
    assert_int_equal(qfile_seek(qf, qfile_info(qf)->content_offset + 2, why), 0);
    assert_int_equal(qfile_read(qf, &rec, why), -1);
    assert_int_equal(qfile_seek(qf, 3, why), -1);
    qfile_close(qf);
    myfree(data);
    vstring_free(why);
}

static int crash_step;

static void
crash_hook(int step)
{
    if (step == crash_step)
        _exit(3);
}

/* Runs the writer in a child that dies at step (0: never); returns its exit code. */
static int
run_writer(int step)
{
    pid_t pid;
    int status;

    if ((pid = fork()) == 0) {
        crash_step = step;
        mail_queue_commit_hook = crash_hook;
        write_sample(0, 0);
        _exit(0);
    }
    status = test_wait_child(pid, 10000);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void
test_crash_at_every_commit_step(void **state)
{
    struct vstring *why = vstring_alloc(100);
    struct mail_queue_scan *scan;
    const char *id;

    (void)state;
    for (int step = MAIL_QUEUE_STEP_WRITTEN; step <= MAIL_QUEUE_STEP_DIR_SYNCED + 1; step++) {
        int code = run_writer(step);
        int ids = count_names("incoming", is_id);

        assert_int_equal(code, step <= MAIL_QUEUE_STEP_DIR_SYNCED ? 3 : 0);
        if (step < MAIL_QUEUE_STEP_RENAMED) {
            /* Never acknowledged and never visible: only a temporary file. */
            assert_int_equal(ids, 0);
            assert_int_equal(count_names("incoming", is_temp), 1);
        } else {
            /* Renamed: a complete, valid file under its id, and no temporary file. */
            assert_int_equal(ids, 1);
            assert_int_equal(count_names("incoming", is_temp), 0);
            scan = mail_queue_scan_open(MAIL_QUEUE_INCOMING);
            id = mail_queue_scan_next(scan);
            assert_int_equal(validate_path(sample_path(id), why), QFILE_OK);
            assert_int_equal(mail_queue_remove(MAIL_QUEUE_INCOMING, id), 0);
            mail_queue_scan_close(scan);
        }
        /* Recovery: the dead writer's temporary file goes away. */
        assert_int_equal(mail_queue_remove_stale(MAIL_QUEUE_INCOMING, 0),
                         step < MAIL_QUEUE_STEP_RENAMED);
        assert_int_equal(count_names("incoming", is_temp), 0);
    }
    vstring_free(why);
}

static void
test_quarantine_of_a_corrupt_file(void **state)
{
    struct vstring *why = vstring_alloc(100);
    struct qfile *qf = NULL;
    const char *id;
    char *data;
    size_t len;

    (void)state;
    id = write_sample(0, 0);
    data = read_bytes(sample_path(id), &len);
    write_bytes(sample_path(id), data, len / 2);
    assert_int_equal(mail_queue_rename(id, MAIL_QUEUE_INCOMING, MAIL_QUEUE_ACTIVE, 0), 0);
    assert_int_equal(qfile_open(MAIL_QUEUE_ACTIVE, id, 0, &qf, why), QFILE_CORRUPT);
    assert_int_equal(mail_queue_quarantine(MAIL_QUEUE_ACTIVE, id, vstring_str(why)), 0);
    assert_int_equal(count_names("active", is_id), 0);
    assert_int_equal(count_names("corrupt", is_id), 1);
    myfree(data);
    vstring_free(why);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, queue_setup, queue_teardown),
        cmocka_unit_test_setup_teardown(test_long_id_file, queue_setup, queue_teardown),
        cmocka_unit_test_setup_teardown(test_commit_leaves_only_the_file, queue_setup,
                                        queue_teardown),
        cmocka_unit_test_setup_teardown(test_abort_leaves_nothing, queue_setup, queue_teardown),
        cmocka_unit_test_setup_teardown(test_writer_refuses_bad_records, queue_setup,
                                        queue_teardown),
        cmocka_unit_test_setup_teardown(test_writer_order_rules, queue_setup, queue_teardown),
        cmocka_unit_test_setup_teardown(test_rcpt_done_in_place, queue_setup, queue_teardown),
        cmocka_unit_test_setup_teardown(test_set_warn_in_place, queue_setup, queue_teardown),
        cmocka_unit_test_setup_teardown(test_truncation_at_every_offset, queue_setup,
                                        queue_teardown),
        cmocka_unit_test_setup_teardown(test_any_changed_byte_is_detected, queue_setup,
                                        queue_teardown),
        cmocka_unit_test_setup_teardown(test_corpus, queue_setup, queue_teardown),
        cmocka_unit_test_setup_teardown(test_corpus_good_file_reads, queue_setup, queue_teardown),
        cmocka_unit_test_setup_teardown(test_not_a_regular_file, queue_setup, queue_teardown),
        cmocka_unit_test_setup_teardown(test_novalidate_and_reader_checks, queue_setup,
                                        queue_teardown),
        cmocka_unit_test_setup_teardown(test_crash_at_every_commit_step, queue_setup,
                                        queue_teardown),
        cmocka_unit_test_setup_teardown(test_quarantine_of_a_corrupt_file, queue_setup,
                                        queue_teardown),
    };

    msg_init("test_qfile", MSG_STDERR);
    if (getcwd(test_start_dir, sizeof(test_start_dir)) == NULL)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
