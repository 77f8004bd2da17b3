/*
 * test_logwriter - lib/util/logwriter: one line per record whatever the
 * bytes, exact creation mode whatever the umask, symbolic links refused,
 * rotation noticed and followed, one-shot writes and their failure text.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "util/logwriter.h"
#include "util/msg.h"
#include "util/vstring.h"
#include "util_test_helpers.h"

static void
test_clean(void **state)
{
    char buf[64];
    size_t len;

    (void)state;
    memcpy(buf, "a\0b\nc\r\x7f\n", 8);
    len = logwriter_clean(buf, 8);
    assert_int_equal(len, 7);
    assert_memory_equal(buf, "a?b?c??", 7);
    memcpy(buf, "caf\xc3\xa9", 5); /* valid UTF-8 stays */
    assert_int_equal(logwriter_clean(buf, 5), 5);
    assert_memory_equal(buf, "caf\xc3\xa9", 5);
    memcpy(buf, "caf\xe9!", 5); /* Latin-1: not UTF-8 */
    assert_int_equal(logwriter_clean(buf, 5), 5);
    assert_memory_equal(buf, "caf?!", 5);
    assert_int_equal(logwriter_clean(buf, 0), 0);
}

static void
test_write_lines_and_mode(void **state)
{
    struct logwriter *lw;
    struct stat st;
    char buf[256];
    mode_t old_umask = umask(077);

    (void)state;
    lw = logwriter_open(test_path("log"), 0644, why);
    umask(old_umask);
    assert_non_null(lw);
    assert_int_equal(stat(test_path("log"), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    assert_int_equal(logwriter_write(lw, "one", 3), 0);
    assert_int_equal(logwriter_write(lw, "two\nlines\n", 10), 0);
    assert_int_equal(logwriter_write(lw, "", 0), 0);
    logwriter_close(lw);
    assert_string_equal(test_read_file(test_path("log"), buf, sizeof(buf)), "one\ntwo?lines\n\n");
    /* An existing file keeps its mode and gets appended to. */
    assert_int_equal(chmod(test_path("log"), 0640), 0);
    lw = logwriter_open(test_path("log"), 0600, why);
    assert_non_null(lw);
    assert_int_equal(logwriter_write(lw, "three", 5), 0);
    logwriter_close(lw);
    assert_int_equal(stat(test_path("log"), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    assert_string_equal(test_read_file(test_path("log"), buf, sizeof(buf)),
                        "one\ntwo?lines\n\nthree\n");
}

static void
test_long_record_is_cut(void **state)
{
    static char big[LOGWRITER_RECORD_MAX + 100];
    static char back[sizeof(big) + 10];
    struct logwriter *lw;

    (void)state;
    memset(big, 'x', sizeof(big));
    lw = logwriter_open(test_path("log"), 0600, why);
    assert_non_null(lw);
    assert_int_equal(logwriter_write(lw, big, sizeof(big)), 0);
    logwriter_close(lw);
    test_read_file(test_path("log"), back, sizeof(back));
    assert_int_equal(strlen(back), LOGWRITER_RECORD_MAX + 1);
    assert_int_equal(back[LOGWRITER_RECORD_MAX], '\n');
}

static void
test_refusals(void **state)
{
    (void)state;
    test_write_file(test_path("target"), "", 0600);
    assert_int_equal(symlink(test_path("target"), test_path("link")), 0);
    assert_null(logwriter_open(test_path("link"), 0600, why));
    assert_string_equal(vstring_str(why), "file is a symbolic link");
    assert_int_equal(link(test_path("target"), test_path("hard")), 0);
    assert_null(logwriter_open(test_path("hard"), 0600, why));
    assert_non_null(strstr(vstring_str(why), "hard links"));
    assert_null(logwriter_open(test_path("no/such/dir"), 0600, why));
    assert_string_equal(vstring_str(why),
                        "cannot create file exclusively: No such file or directory");
    assert_int_equal(logwriter_one_shot(test_path("no/such/dir"), 0600, "x", 1, why), -1);
    assert_string_equal(vstring_str(why),
                        "cannot create file exclusively: No such file or directory");
}

static void
test_rotation(void **state)
{
    struct logwriter *lw;
    char buf[256];

    (void)state;
    lw = logwriter_open(test_path("log"), 0600, why);
    assert_non_null(lw);
    assert_int_equal(logwriter_rotated(lw), 0);
    assert_int_equal(logwriter_write(lw, "before", 6), 0);
    assert_int_equal(rename(test_path("log"), test_path("log.1")), 0);
    assert_int_equal(logwriter_rotated(lw), 1);
    assert_int_equal(logwriter_reopen(lw, why), 0);
    assert_int_equal(logwriter_rotated(lw), 0);
    assert_int_equal(logwriter_write(lw, "after", 5), 0);
    /* Replaced by another file of the same name (logrotate "create"). */
    assert_int_equal(unlink(test_path("log")), 0);
    test_write_file(test_path("log"), "new\n", 0600);
    assert_int_equal(logwriter_rotated(lw), 1);
    assert_int_equal(logwriter_reopen(lw, why), 0);
    assert_int_equal(logwriter_write(lw, "again", 5), 0);
    logwriter_close(lw);
    assert_string_equal(test_read_file(test_path("log.1"), buf, sizeof(buf)), "before\n");
    assert_string_equal(test_read_file(test_path("log"), buf, sizeof(buf)), "new\nagain\n");
}

static void
test_reopen_failure_keeps_the_old_file(void **state)
{
    struct logwriter *lw;
    char buf[256];

    (void)state;
    assert_int_equal(mkdir(test_path("d"), 0755), 0);
    lw = logwriter_open(test_path("d/log"), 0600, why);
    assert_non_null(lw);
    assert_int_equal(rename(test_path("d/log"), test_path("log.1")), 0);
    assert_int_equal(rmdir(test_path("d")), 0);
    assert_int_equal(logwriter_rotated(lw), 1);
    assert_int_equal(logwriter_reopen(lw, why), -1);
    assert_int_equal(logwriter_write(lw, "kept", 4), 0);
    logwriter_close(lw);
    assert_string_equal(test_read_file(test_path("log.1"), buf, sizeof(buf)), "kept\n");
}

static void
test_dev_stdout(void **state)
{
    struct logwriter *lw;
    char buf[64];
    int saved = dup(1);
    int fd = open(test_path("out"), O_WRONLY | O_CREAT | O_TRUNC, 0600);

    (void)state;
    assert_true(saved >= 0 && fd >= 0);
    assert_int_equal(dup2(fd, 1), 1);
    close(fd);
    lw = logwriter_open("/dev/stdout", 0600, why);
    assert_non_null(lw);
    assert_int_equal(logwriter_rotated(lw), 0);
    assert_int_equal(logwriter_write(lw, "to fd 1", 7), 0);
    logwriter_close(lw);
    assert_true(fcntl(1, F_GETFD) >= 0); /* still open */
    assert_int_equal(dup2(saved, 1), 1);
    close(saved);
    assert_string_equal(test_read_file(test_path("out"), buf, sizeof(buf)), "to fd 1\n");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean),
        cmocka_unit_test_setup_teardown(test_write_lines_and_mode, test_why_setup,
                                        test_why_teardown),
        cmocka_unit_test_setup_teardown(test_long_record_is_cut, test_why_setup, test_why_teardown),
        cmocka_unit_test_setup_teardown(test_refusals, test_why_setup, test_why_teardown),
        cmocka_unit_test_setup_teardown(test_rotation, test_why_setup, test_why_teardown),
        cmocka_unit_test_setup_teardown(test_reopen_failure_keeps_the_old_file, test_why_setup,
                                        test_why_teardown),
        cmocka_unit_test_setup_teardown(test_dev_stdout, test_why_setup, test_why_teardown),
    };

    msg_init("test_logwriter", MSG_STDERR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
