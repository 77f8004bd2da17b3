/*
 * util_test_helpers - small helpers shared by the lib/util process and file
 * tests (test_iostuff, test_sane_fs, test_safe_open, test_myflock,
 * test_spawn_command, test_events, test_watchdog, test_set_ugid): a
 * temporary directory per test (with a "why" buffer for tests that need
 * one), path joining, whole-file reads, elapsed time, and waiting for a
 * forked child with a bound.
 *
 * Include after <cmocka.h>. Everything is static: each test program gets
 * its own copy.
 */
#ifndef TERN_UTIL_TEST_HELPERS_H
#define TERN_UTIL_TEST_HELPERS_H

#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/vstring.h"

static char test_dir[256];
static char test_path_buf[4][512];
static int test_path_next;

/* Creates a fresh temporary directory for one test (test_dir). */
static inline int
test_dir_setup(void **state)
{
    (void)state;
    snprintf(test_dir, sizeof(test_dir), "/tmp/tern-util-test-XXXXXX");
    if (mkdtemp(test_dir) == NULL)
        return -1;
    return 0;
}

static inline int
test_remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

static inline int
test_dir_teardown(void **state)
{
    (void)state;
    return nftw(test_dir, test_remove_one, 32, FTW_DEPTH | FTW_PHYS);
}

/*
 * For tests whose calls take a "why" buffer: test_why_setup and
 * test_why_teardown make the temporary directory and the buffer.
 */
static struct vstring *why __attribute__((unused));

static inline int
test_why_setup(void **state)
{
    why = vstring_alloc(100);
    return test_dir_setup(state);
}

static inline int
test_why_teardown(void **state)
{
    vstring_free(why);
    return test_dir_teardown(state);
}

/*
 * For tests that work inside a queue directory: test_queue_enter(state,
 * dirs) makes the temporary directory, enters it and makes each directory
 * of DIRS (NULL-terminated, mode 0700); test_queue_leave(state) goes back
 * to test_start_dir (where the program started: main() records it with
 * getcwd before the tests run) and removes the temporary directory.
 */
static char test_start_dir[512] __attribute__((unused));

static inline int
test_queue_enter(void **state, const char *const *dirs)
{
    if (test_dir_setup(state) < 0 || chdir(test_dir) < 0)
        return -1;
    for (; *dirs != NULL; dirs++)
        if (mkdir(*dirs, 0700) < 0)
            return -1;
    return 0;
}

static inline int
test_queue_leave(void **state)
{
    if (chdir(test_start_dir) < 0)
        return -1;
    return test_dir_teardown(state);
}

/* test_dir "/" name, in one of a few rotating static buffers. */
static inline const char *
test_path(const char *name)
{
    char *buf = test_path_buf[test_path_next++ % 4];

    snprintf(buf, sizeof(test_path_buf[0]), "%s/%s", test_dir, name);
    return buf;
}

static inline void
test_write_file(const char *path, const char *text, mode_t mode)
{
    FILE *fp = fopen(path, "w");

    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(chmod(path, mode), 0);
}

/* The file's contents (up to size - 1 bytes), or "" when it cannot be read. */
static inline const char *
test_read_file(const char *path, char *buf, size_t size)
{
    FILE *fp = fopen(path, "r");
    size_t n = 0;

    if (fp != NULL) {
        n = fread(buf, 1, size - 1, fp);
        fclose(fp);
    }
    buf[n] = 0;
    return buf;
}

static inline long long
test_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void
test_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        continue;
}

/* Waits up to limit_ms for pid; kills it after that. Returns the wait status. */
static inline int
test_wait_child(pid_t pid, long limit_ms)
{
    long long deadline = test_now_ms() + limit_ms;
    int status = 0;
    pid_t ret;

    while ((ret = waitpid(pid, &status, WNOHANG)) == 0 && test_now_ms() < deadline)
        test_sleep_ms(10);
    if (ret == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        fail_msg("child %ld did not finish within %ld ms", (long)pid, limit_ms);
    }
    return status;
}

#endif
