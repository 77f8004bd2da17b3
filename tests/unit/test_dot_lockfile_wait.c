/*
 * test_dot_lockfile_wait - how lib/util/dot_lockfile waits for a lock that
 * another process holds: it takes the lock once the holder removes it,
 * without sleeping out the whole pause between attempts; other names
 * coming and going in the directory neither end the wait with a failure
 * nor shorten the patience (tries x delay); a lock that is never released
 * still fails with EEXIST after the pauses.
 *
 * The bounds checked are functional (the pause of 10 s or more was not
 * slept out; the patience was not cut short), not performance limits.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/dot_lockfile.h"
#include "util/vstring.h"
#include "util_test_helpers.h"

/* Starts a child that removes path after delay_ms (a holder letting go). */
static pid_t
remove_later(const char *path, long delay_ms)
{
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        test_sleep_ms(delay_ms);
        _exit(unlink(path) == 0 ? 0 : 1);
    }
    return pid;
}

static void
test_taken_when_holder_lets_go(void **state)
{
    struct vstring *why = vstring_alloc(100);
    char buf[64];
    char expect[64];
    long long start;
    pid_t pid;

    (void)state;
    test_write_file(test_path("user.lock"), "1\n", 0644);
    pid = remove_later(test_path("user.lock"), 200);
    start = test_now_ms();
    /* delay 20 s: each pause is 10 s or more. */
    assert_int_equal(dot_lockfile(test_path("user"), 2, 20000, 0, why), 0);
    assert_true(test_now_ms() - start < 10000);
    assert_int_equal(WEXITSTATUS(test_wait_child(pid, 5000)), 0);
    snprintf(expect, sizeof(expect), "%ld\n", (long)getpid());
    assert_string_equal(test_read_file(test_path("user.lock"), buf, sizeof(buf)), expect);
    dot_unlockfile(test_path("user"));
    vstring_free(why);
}

static void
test_other_names_do_not_end_the_wait(void **state)
{
    struct vstring *why = vstring_alloc(100);
    long long start;
    pid_t pid;

    (void)state;
    test_write_file(test_path("user.lock"), "1\n", 0644);
    test_write_file(test_path("other"), "x\n", 0644);
    pid = remove_later(test_path("other"), 20);
    start = test_now_ms();
    /* Two tries, delay 400 ms: one pause of at least 200 ms between them. */
    assert_int_equal(dot_lockfile(test_path("user"), 2, 400, 0, why), -1);
    assert_int_equal(errno, EEXIST);
    assert_true(test_now_ms() - start >= 200);
    assert_int_equal(WEXITSTATUS(test_wait_child(pid, 5000)), 0);
    vstring_free(why);
}

static void
test_patience_unchanged(void **state)
{
    struct vstring *why = vstring_alloc(100);
    long long start;

    (void)state;
    test_write_file(test_path("user.lock"), "1\n", 0644);
    start = test_now_ms();
    /* Three tries, delay 100 ms: two pauses of at least 50 ms each. */
    assert_int_equal(dot_lockfile(test_path("user"), 3, 100, 0, why), -1);
    assert_int_equal(errno, EEXIST);
    assert_true(test_now_ms() - start >= 100);
    vstring_free(why);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_taken_when_holder_lets_go, test_dir_setup,
                                        test_dir_teardown),
        cmocka_unit_test_setup_teardown(test_other_names_do_not_end_the_wait, test_dir_setup,
                                        test_dir_teardown),
        cmocka_unit_test_setup_teardown(test_patience_unchanged, test_dir_setup,
                                        test_dir_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
