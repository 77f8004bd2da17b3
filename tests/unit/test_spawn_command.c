/*
 * test_spawn_command - lib/util/spawn_command with real child processes:
 * exit codes and signals, direct exec versus /bin/sh, environment, stdin and
 * stdout, working directory, no leaked descriptors, default signal state, a
 * new process group, identity changes (as root), and the time limit that
 * kills the whole process group.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/iostuff.h"
#include "util/spawn_command.h"
#include "util/vstring.h"
#include "util_test_helpers.h"

/* Runs req with stdout captured into out; returns spawn_command's result. */
static int
run_capture(struct spawn_request *req, struct spawn_result *res, char *out, size_t size)
{
    int fds[2];
    size_t len = 0;
    ssize_t n;
    int ret;

    assert_int_equal(pipe(fds), 0);
    req->stdout_fd = fds[1];
    ret = spawn_command(req, res, why);
    close(fds[1]);
    while (len < size - 1 && (n = timed_read(fds[0], out + len, size - 1 - len, 5)) > 0)
        len += (size_t)n;
    out[len] = 0;
    close(fds[0]);
    return ret;
}

static void
test_exit_status_and_signal(void **state)
{
    char *const exit3[] = {"sh", "-c", "exit 3", NULL};
    struct spawn_request req;
    struct spawn_result res;

    (void)state;
    spawn_request_init(&req);
    req.argv = exit3;
    assert_int_equal(spawn_command(&req, &res, why), 0);
    assert_int_equal(res.exit_status, 3);
    assert_int_equal(res.signal, 0);
    assert_int_equal(res.timed_out, 0);

    spawn_request_init(&req);
    req.command = "kill -TERM $$";
    assert_int_equal(spawn_command(&req, &res, why), 0);
    assert_int_equal(res.exit_status, -1);
    assert_int_equal(res.signal, SIGTERM);

    req.command = "false";
    assert_int_equal(spawn_command(&req, &res, why), 0);
    assert_int_equal(res.exit_status, 1);
}

static void
test_shell_only_when_needed(void **state)
{
    char *const env[] = {"PATH=/usr/bin:/bin", NULL};
    struct spawn_request req;
    struct spawn_result res;

    (void)state;
    spawn_request_init(&req);
    req.env = env;
    /* No metacharacters: run directly, so the shell builtin "exit" is not found. */
    req.command = "exit 7";
    assert_int_equal(spawn_command(&req, &res, why), -1);
    assert_int_equal(errno, ENOENT);
    assert_string_equal(vstring_str(why), "execvp exit: No such file or directory");
    req.command = "exit 7; :";
    assert_int_equal(spawn_command(&req, &res, why), 0);
    assert_int_equal(res.exit_status, 7);
    req.command = "  \t ";
    assert_int_equal(spawn_command(&req, &res, why), -1);
    assert_int_equal(errno, EINVAL);
    assert_string_equal(vstring_str(why), "empty command");
}

static void
test_environment(void **state)
{
    char *const env[] = {"FOO=bar", "PATH=/usr/bin:/bin", NULL};
    struct spawn_request req;
    struct spawn_result res;
    char out[256];

    (void)state;
    setenv("TERN_TEST_SECRET", "leak", 1);
    spawn_request_init(&req);
    req.command = "echo \"[$FOO][$TERN_TEST_SECRET]\"";
    req.env = env;
    assert_int_equal(run_capture(&req, &res, out, sizeof(out)), 0);
    assert_string_equal(out, "[bar][]\n");
    req.env = NULL; /* inherit */
    assert_int_equal(run_capture(&req, &res, out, sizeof(out)), 0);
    assert_string_equal(out, "[][leak]\n");
    unsetenv("TERN_TEST_SECRET");
}

static void
test_stdin_and_split(void **state)
{
    struct spawn_request req;
    struct spawn_proc proc;
    struct spawn_result res;
    int in[2];
    int out[2];
    char buf[64];
    ssize_t n;

    (void)state;
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    spawn_request_init(&req);
    req.command = "tr a-z A-Z";
    req.stdin_fd = in[0];
    req.stdout_fd = out[1];
    req.time_limit = 5;
    assert_int_equal(spawn_command_start(&req, &proc, why), 0);
    close(in[0]);
    close(out[1]);
    assert_in_range(spawn_command_time_left(&proc), 1, 5000);
    assert_int_equal(write_all(in[1], "hello\n", 6, spawn_command_time_left(&proc) / 1000), 0);
    close(in[1]);
    n = timed_read(out[0], buf, sizeof(buf), 5);
    assert_int_equal(n, 6);
    assert_memory_equal(buf, "HELLO\n", 6);
    assert_int_equal(spawn_command_wait(&proc, &res), 0);
    assert_int_equal(res.exit_status, 0);
    close(out[0]);

    /* stdin -1 is /dev/null: cat ends at once. */
    spawn_request_init(&req);
    req.command = "cat";
    assert_int_equal(run_capture(&req, &res, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "");
    assert_int_equal(res.exit_status, 0);
}

static void
test_cwd_and_bad_cwd(void **state)
{
    struct spawn_request req;
    struct spawn_result res;
    char out[512];
    char expect[512];

    (void)state;
    spawn_request_init(&req);
    req.command = "pwd";
    req.cwd = test_dir;
    assert_int_equal(run_capture(&req, &res, out, sizeof(out)), 0);
    snprintf(expect, sizeof(expect), "%s\n", test_dir);
    assert_string_equal(out, expect);
    req.cwd = test_path("missing");
    assert_int_equal(spawn_command(&req, &res, why), -1);
    assert_int_equal(errno, ENOENT);
    snprintf(expect, sizeof(expect), "change directory to %s: No such file or directory",
             test_path("missing"));
    assert_string_equal(vstring_str(why), expect);
}

static void
test_clean_process_state(void **state)
{
    char *const stat_argv[] = {"awk", "{ print ($1 == $5 && $1 == $6) }", "/proc/self/stat", NULL};
    struct spawn_request req;
    struct spawn_result res;
    sigset_t block;
    char out[256];
    int fd;

    (void)state;
    /* A descriptor the parent forgot to mark close-on-exec. */
    fd = open("/dev/null", O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(dup2(fd, 42), 42);
    close(fd);
    spawn_request_init(&req);
    req.command = "if [ -e /proc/$$/fd/42 ]; then echo leaked; else echo clean; fi";
    assert_int_equal(run_capture(&req, &res, out, sizeof(out)), 0);
    assert_string_equal(out, "clean\n");
    close(42);

    /* Ignored and blocked signals of the parent do not reach the command. */
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, NULL);
    req.command = "grep -E '^Sig(Ign|Blk)' /proc/self/status";
    assert_int_equal(run_capture(&req, &res, out, sizeof(out)), 0);
    {
        /*
         * Signals 1-31 only: the real-time signals above them may be
         * reserved by the C library or a sanitizer runtime, which sets
         * them up in every process.
         */
        unsigned long long blocked = 0;
        unsigned long long ignored = 0;

        assert_int_equal(sscanf(out, "SigBlk:\t%llx\nSigIgn:\t%llx", &blocked, &ignored), 2);
        assert_int_equal(blocked & 0x7fffffffULL, 0);
        assert_int_equal(ignored & 0x7fffffffULL, 0);
    }
    signal(SIGPIPE, SIG_DFL);
    sigprocmask(SIG_UNBLOCK, &block, NULL);

    /* Its own session and process group: pid == pgrp == session. */
    spawn_request_init(&req);
    req.argv = stat_argv;
    assert_int_equal(run_capture(&req, &res, out, sizeof(out)), 0);
    assert_string_equal(out, "1\n");
}

/* The state letter of a process from /proc, or 0 when it is gone. */
static char
process_state(long pid)
{
    char path[64];
    char buf[512];
    const char *cp;

    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    test_read_file(path, buf, sizeof(buf));
    if ((cp = strrchr(buf, ')')) == NULL || cp[1] != ' ')
        return 0;
    return cp[2];
}

static void
test_time_limit_kills_group(void **state)
{
    struct spawn_request req;
    struct spawn_result res;
    char out[64];
    long long start;
    long grandchild;
    char st;

    (void)state;
    spawn_request_init(&req);
    req.command = "sleep 30 & echo $!; wait";
    req.time_limit = 1;
    start = test_now_ms();
    assert_int_equal(run_capture(&req, &res, out, sizeof(out)), 0);
    assert_in_range(test_now_ms() - start, 950, 2500);
    assert_int_equal(res.timed_out, 1);
    assert_int_equal(res.signal, SIGKILL);
    assert_int_equal(res.exit_status, -1);
    grandchild = strtol(out, NULL, 10);
    assert_true(grandchild > 1);
    for (int i = 0; i < 100 && (st = process_state(grandchild)) != 0 && st != 'Z'; i++)
        test_sleep_ms(10);
    st = process_state(grandchild);
    assert_true(st == 0 || st == 'Z'); /* dead; maybe not yet reaped by init */

    req.command = "true";
    assert_int_equal(spawn_command(&req, &res, why), 0);
    assert_int_equal(res.timed_out, 0);
    assert_int_equal(res.exit_status, 0);
}

static void
test_identity_change(void **state)
{
    struct spawn_request req;
    struct spawn_result res;
    char out[256];

    (void)state;
    if (geteuid() != 0)
        skip();
    spawn_request_init(&req);
    req.command = "echo $(id -u) $(id -g) $(id -G)";
    req.uid = 65534;
    req.gid = 65534;
    assert_int_equal(run_capture(&req, &res, out, sizeof(out)), 0);
    assert_string_equal(out, "65534 65534 65534\n");
    /* The directory is entered with the user's rights. */
    assert_int_equal(mkdir(test_path("private"), 0700), 0);
    req.cwd = test_path("private");
    assert_int_equal(spawn_command(&req, &res, why), -1);
    assert_int_equal(errno, EACCES);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_exit_status_and_signal, test_why_setup,
                                        test_why_teardown),
        cmocka_unit_test_setup_teardown(test_shell_only_when_needed, test_why_setup,
                                        test_why_teardown),
        cmocka_unit_test_setup_teardown(test_environment, test_why_setup, test_why_teardown),
        cmocka_unit_test_setup_teardown(test_stdin_and_split, test_why_setup, test_why_teardown),
        cmocka_unit_test_setup_teardown(test_cwd_and_bad_cwd, test_why_setup, test_why_teardown),
        cmocka_unit_test_setup_teardown(test_clean_process_state, test_why_setup,
                                        test_why_teardown),
        cmocka_unit_test_setup_teardown(test_time_limit_kills_group, test_why_setup,
                                        test_why_teardown),
        cmocka_unit_test_setup_teardown(test_identity_change, test_why_setup, test_why_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
