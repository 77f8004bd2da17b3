/*
 * test_flush_log - unit tests for the fast flush logs of flush(8)
 * (flush/flush_log.c) and for making a deferred message due
 * (flush/flush_touch.c), in a temporary queue directory.
 *
 * Covered: log names (case, punctuation, address literals, bad and
 * overlong sites), append (the directory is created when missing),
 * send (each distinct valid id touched once, bad, overlong and
 * unterminated lines skipped with a warning, truncation, the "read"
 * stamp, no log at all), the bounds (the duplicate filter's size, the log
 * size with compaction and refusal), refresh and purge by age, logs that
 * are not plain files, and the touch itself (mtime now, the lock rule,
 * links not followed, missing files).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "../../flush/flush_log.c"
#include "../../flush/flush_touch.c"
#include "mail/mail_queue.h"
#include "stderr_capture.h"
#include "util/msg.h"
#include "util_test_helpers.h"

#define ID_A "1A2B3C4D5E"
#define ID_B "2B3C4D5E6F"
#define ID_C "3C4D5E6F70"

static char touched[16][40];
static int touched_count;

/* A touch function that records what it was asked, and "makes due" all. */
static int
record_touch(const char *queue_id, time_t now)
{
    (void)now;
    if (touched_count < 16)
        snprintf(touched[touched_count], sizeof(touched[0]), "%s", queue_id);
    touched_count++;
    return 1;
}

static int
log_setup(void **state)
{
    static const char *const dirs[] = {"deferred", NULL};

    touched_count = 0;
    flush_log_size_max = 1024 * 1024;
    flush_log_dup_max = 10000;
    return test_queue_enter(state, dirs);
}

static int
log_teardown(void **state)
{
    return test_queue_leave(state);
}

static void
put_file(const char *path, const char *text, time_t when)
{
    struct timeval tv[2] = {{when, 0}, {when, 0}};

    test_write_file(path, text, 0600);
    assert_int_equal(utimes(path, tv), 0);
}

static char *
read_text(const char *path)
{
    static char text[4096];
    int fd = open(path, O_RDONLY);
    ssize_t len;

    if (fd < 0)
        return NULL;
    len = read(fd, text, sizeof(text) - 1);
    close(fd);
    text[len > 0 ? len : 0] = 0;
    return text;
}

static void
test_log_names(void **state)
{
    struct vstring *buf = vstring_alloc(10);
    char long_site[300];

    (void)state;
    assert_string_equal(flush_log_path(buf, "Example.COM"), "flush/example_com");
    assert_string_equal(flush_log_path(buf, "[127.0.0.1]"), "flush/_127_0_0_1_");
    assert_string_equal(flush_log_path(buf, "../../etc"), "flush/______etc");
    assert_string_equal(flush_log_path(buf, "b\xc3\xbc"
                                            "cher.de"),
                        "flush/b__cher_de");
    assert_null(flush_log_path(buf, ""));
    assert_null(flush_log_path(buf, "a\nb"));
    assert_null(flush_log_path(buf, "a\x7f"));
    memset(long_site, 'a', sizeof(long_site));
    long_site[FLUSH_SITE_MAX] = 0;
    assert_non_null(flush_log_path(buf, long_site));
    long_site[FLUSH_SITE_MAX] = 'a';
    long_site[FLUSH_SITE_MAX + 1] = 0;
    assert_null(flush_log_path(buf, long_site));
    vstring_free(buf);
}

static void
test_add_creates_and_appends(void **state)
{
    struct stat st;

    (void)state;
    assert_int_equal(flush_log_add("flush/example_com", ID_A), 0); /* no flush/ yet */
    assert_int_equal(flush_log_add("flush/example_com", ID_B), 0);
    assert_int_equal(flush_log_add("flush/example_com", ID_A), 0);
    assert_string_equal(read_text("flush/example_com"), ID_A "\n" ID_B "\n" ID_A "\n");
    assert_int_equal(stat("flush", &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(stat("flush/example_com", &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
}

static void
test_send_touches_each_valid_id_once(void **state)
{
    char big[1000];
    char text[1400];
    const char *err;
    struct stat st;
    time_t now = time(NULL);

    (void)state;
    memset(big, 'X', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    snprintf(text, sizeof(text), "%s\n../x\n%s\n\n%s\n%s\n%s\n%s\n%s", ID_A, ID_B, big, ID_A, ID_C,
             ID_B, "4D5E6F");
    assert_int_equal(mkdir("flush", 0700), 0);
    put_file("flush/example_com", text, now - 86400);
    stderr_capture_start(test_dir);
    assert_int_equal(flush_log_send("flush/example_com", record_touch, now), 3);
    err = stderr_capture_end();
    assert_int_equal(touched_count, 3);
    assert_string_equal(touched[0], ID_A);
    assert_string_equal(touched[1], ID_B);
    assert_string_equal(touched[2], ID_C);
    assert_non_null(strstr(err, "bad queue id \"../x\" in fast flush logfile flush/example_com"));
    assert_non_null(strstr(err, "bad queue id \"\" in fast flush logfile"));
    assert_non_null(strstr(err, "bad queue id \"XXXXXXXXXXXXXXXXXXXXXXXXXXXXXX...\" in fast"));
    assert_non_null(strstr(err, "bad queue id \"4D5E6F...\" in fast")); /* no newline */
    assert_int_equal(stat("flush/example_com", &st), 0);
    assert_int_equal(st.st_size, 0);
    assert_true(st.st_atime >= now - 5 && st.st_mtime >= now - 5); /* stamped as read */
    /* The ids were used up: another send finds nothing. */
    touched_count = 0;
    assert_int_equal(flush_log_send("flush/example_com", record_touch, now), 0);
    assert_int_equal(touched_count, 0);
    /* No log at all is no error. */
    assert_int_equal(flush_log_send("flush/nowhere_example", record_touch, now), 0);
}

static void
test_duplicate_filter_is_bounded(void **state)
{
    (void)state;
    flush_log_dup_max = 1;
    assert_int_equal(mkdir("flush", 0700), 0);
    put_file("flush/example_com", ID_A "\n" ID_B "\n" ID_B "\n" ID_A "\n", time(NULL));
    assert_int_equal(flush_log_send("flush/example_com", record_touch, time(NULL)), 3);
    assert_int_equal(touched_count, 3); /* A once (remembered), B twice (not) */
    assert_string_equal(touched[0], ID_A);
    assert_string_equal(touched[1], ID_B);
    assert_string_equal(touched[2], ID_B);
}

static void
test_log_size_is_bounded(void **state)
{
    const char *err;
    struct stat st;

    (void)state;
    flush_log_size_max = 3 * (sizeof(ID_A)) + 2; /* room for three ids and a bit */
    flush_log_dup_max = 1;                       /* a send's filter; compaction keeps all */
    assert_int_equal(flush_log_add("flush/example_com", ID_A), 0);
    assert_int_equal(flush_log_add("flush/example_com", ID_A), 0);
    assert_int_equal(flush_log_add("flush/example_com", ID_A), 0);
    /* Full: the duplicates are squeezed out first, then B fits. */
    assert_int_equal(flush_log_add("flush/example_com", ID_B), 0);
    assert_string_equal(read_text("flush/example_com"), ID_A "\n" ID_B "\n");
    assert_int_equal(flush_log_add("flush/example_com", ID_C), 0);
    stderr_capture_start(test_dir);
    assert_int_equal(flush_log_add("flush/example_com", "4D5E6F7A8B"), 0);
    err = stderr_capture_end();
    assert_non_null(strstr(err, "fast flush logfile flush/example_com is full"));
    assert_string_equal(read_text("flush/example_com"), ID_A "\n" ID_B "\n" ID_C "\n");
    assert_int_equal(stat("flush/example_com", &st), 0);
    assert_true(st.st_size <= flush_log_size_max);
}

static void
test_refresh_and_purge_by_age(void **state)
{
    time_t now = time(NULL);
    struct timeval tv[2];

    (void)state;
    assert_int_equal(mkdir("flush", 0700), 0);
    put_file("flush/old_example", ID_A "\n", now - 3600); /* unread for an hour */
    put_file("flush/new_example", ID_B "\n", now);        /* just read */
    put_file("flush/empty_old", "", now - 8 * 86400);     /* empty for 8 days */
    put_file("flush/empty_new", "", now - 3600);          /* empty for an hour */
    put_file("flush/Not.Ours", ID_C "\n", now - 86400);   /* not a log name */
    /* Refresh after half an hour, purge after a week. */
    assert_int_equal(flush_log_refresh(1800, 7 * 86400, record_touch, now), 1);
    assert_int_equal(touched_count, 1);
    assert_string_equal(touched[0], ID_A);
    assert_string_equal(read_text("flush/old_example"), "");
    assert_string_equal(read_text("flush/new_example"), ID_B "\n");
    assert_null(read_text("flush/empty_old"));
    assert_non_null(read_text("flush/empty_new"));
    assert_string_equal(read_text("flush/Not.Ours"), ID_C "\n");
    /* purge: every non-empty log, whatever its age. */
    tv[0].tv_sec = tv[1].tv_sec = now;
    tv[0].tv_usec = tv[1].tv_usec = 0;
    assert_int_equal(utimes("flush/old_example", tv), 0);
    assert_int_equal(flush_log_refresh(0, 7 * 86400, record_touch, now), 1);
    assert_string_equal(touched[1], ID_B);
    assert_string_equal(read_text("flush/new_example"), "");
    /* No flush directory: nothing to do. */
    assert_int_equal(rename("flush", "flush.gone"), 0);
    assert_int_equal(flush_log_refresh(0, 0, record_touch, now), 0);
}

static void
test_logs_that_are_not_plain_files(void **state)
{
    const char *err;

    (void)state;
    assert_int_equal(mkdir("flush", 0700), 0);
    test_write_file("target", ID_A "\n", 0600);
    assert_int_equal(symlink("../target", "flush/link_example"), 0);
    assert_int_equal(mkdir("flush/dir_example", 0700), 0);
    test_write_file("flush/two_links", ID_A "\n", 0600);
    assert_int_equal(link("flush/two_links", "other_name"), 0);
    stderr_capture_start(test_dir);
    assert_int_equal(flush_log_send("flush/link_example", record_touch, time(NULL)), -1);
    assert_int_equal(flush_log_send("flush/dir_example", record_touch, time(NULL)), -1);
    assert_int_equal(flush_log_send("flush/two_links", record_touch, time(NULL)), -1);
    assert_int_equal(flush_log_add("flush/link_example", ID_B), -1);
    err = stderr_capture_end();
    assert_int_equal(touched_count, 0);
    assert_string_equal(read_text("target"), ID_A "\n");
    assert_string_equal(read_text("other_name"), ID_A "\n");
    assert_non_null(strstr(err, "open fast flush logfile flush/link_example"));
    assert_non_null(strstr(err, "flush/two_links is not a regular file with one link"));
}

/* deferred/H/ID with its next attempt an hour ahead. */
static const char *
put_deferred(const char *id)
{
    static struct vstring *path;
    static struct vstring *dir;

    if (path == NULL) {
        path = vstring_alloc(64);
        dir = vstring_alloc(64);
    }
    mail_queue_path(path, MAIL_QUEUE_DEFERRED, id);
    mkdir(mail_queue_dir(dir, MAIL_QUEUE_DEFERRED, id), 0700);
    put_file(vstring_str(path), "queue file", time(NULL) + 3600);
    return vstring_str(path);
}

static void
test_touch_sets_mtime_under_the_lock(void **state)
{
    const char *path = put_deferred(ID_A);
    time_t now = time(NULL);
    struct stat st;
    pid_t pid;
    int fd;
    int pipefd[2];
    char ch;

    (void)state;
    assert_int_equal(chmod(path, 0710), 0); /* postsuper's expiry mark stays */
    assert_int_equal(flush_touch_deferred(ID_A, now), 1);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mtime, now);
    assert_int_equal(st.st_mode & 0777, 0710);
    assert_string_equal(read_text(path), "queue file");
    /* Not in deferred: nothing, no complaint. */
    assert_int_equal(flush_touch_deferred(ID_B, now), 0);
    /* Another process holds the lock for a moment: the touch waits for it. */
    path = put_deferred(ID_C);
    assert_int_equal(pipe(pipefd), 0);
    if ((pid = fork()) == 0) {
        fd = open(path, O_RDONLY);
        if (fd < 0 || flock(fd, LOCK_EX) < 0 || write(pipefd[1], "x", 1) != 1)
            _exit(1);
        usleep(300000);
        _exit(0);
    }
    assert_int_equal(read(pipefd[0], &ch, 1), 1);
    assert_int_equal(flush_touch_deferred(ID_C, now), 1);
    assert_int_equal(test_wait_child(pid, 5000), 0);
    close(pipefd[0]);
    close(pipefd[1]);
}

static void
test_touch_refuses_links(void **state)
{
    struct vstring *path = vstring_alloc(64);
    time_t now = time(NULL);
    struct stat st;

    (void)state;
    put_file("elsewhere", "not a queue file", now + 3600);
    mkdir(mail_queue_dir(path, MAIL_QUEUE_DEFERRED, ID_B), 0700);
    mail_queue_path(path, MAIL_QUEUE_DEFERRED, ID_B);
    assert_int_equal(symlink("../../elsewhere", vstring_str(path)), 0);
    stderr_capture_start(test_dir);
    assert_int_equal(flush_touch_deferred(ID_B, now), 0);
    (void)stderr_capture_end();
    assert_int_equal(stat("elsewhere", &st), 0);
    assert_true(st.st_mtime > now + 1000);
    vstring_free(path);
}

/* qmgr or postsuper moves the file while holding its lock: the touch is not made. */
static void
test_touch_leaves_a_moved_file_alone(void **state)
{
    const char *path = put_deferred(ID_A);
    time_t now = time(NULL);
    struct stat st;
    int pipefd[2];
    pid_t pid;
    char ch;
    int fd;

    (void)state;
    assert_int_equal(pipe(pipefd), 0);
    if ((pid = fork()) == 0) {
        fd = open(path, O_RDONLY);
        if (fd < 0 || flock(fd, LOCK_EX) < 0 || write(pipefd[1], "x", 1) != 1)
            _exit(1);
        usleep(200000);
        _exit(rename(path, "moved") < 0);
    }
    assert_int_equal(read(pipefd[0], &ch, 1), 1);
    assert_int_equal(flush_touch_deferred(ID_A, now), 0);
    assert_int_equal(test_wait_child(pid, 5000), 0);
    assert_int_equal(stat("moved", &st), 0);
    assert_true(st.st_mtime > now + 1000);
    close(pipefd[0]);
    close(pipefd[1]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_names),
        cmocka_unit_test_setup_teardown(test_add_creates_and_appends, log_setup, log_teardown),
        cmocka_unit_test_setup_teardown(test_send_touches_each_valid_id_once, log_setup,
                                        log_teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_filter_is_bounded, log_setup, log_teardown),
        cmocka_unit_test_setup_teardown(test_log_size_is_bounded, log_setup, log_teardown),
        cmocka_unit_test_setup_teardown(test_refresh_and_purge_by_age, log_setup, log_teardown),
        cmocka_unit_test_setup_teardown(test_logs_that_are_not_plain_files, log_setup,
                                        log_teardown),
        cmocka_unit_test_setup_teardown(test_touch_sets_mtime_under_the_lock, log_setup,
                                        log_teardown),
        cmocka_unit_test_setup_teardown(test_touch_refuses_links, log_setup, log_teardown),
        cmocka_unit_test_setup_teardown(test_touch_leaves_a_moved_file_alone, log_setup,
                                        log_teardown),
    };

    msg_init("test_flush_log", MSG_STDERR);
    if (getcwd(test_start_dir, sizeof(test_start_dir)) == NULL)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
