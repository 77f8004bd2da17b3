/*
 * fake_server - helpers shared by the unit tests that play the other end
 * of a Tern IPC protocol (test_bounce_clnt, test_cleanup_clnt,
 * test_flush_clnt, test_rewrite_clnt, test_maillog_client, test_msg_postlog,
 * test_deliver_request, test_deliver_expansion).
 *
 * fake_listen(path, type): a UNIX socket of TYPE (SOCK_STREAM, listening,
 *     or SOCK_DGRAM) bound at PATH; an old file at PATH is removed first.
 * fake_fork(listen_fd, serve, mode): forks a child that runs
 *     serve(listen_fd, mode) under a 10 s alarm and must _exit; the parent
 *     closes LISTEN_FD and gets the child's pid.
 * fake_accept(listen_fd, protocol): in the child, takes one connection
 *     (exit 2 when that fails), gives it a 5 s timeout and announces
 *     PROTOCOL (none when NULL).
 * fake_wait(pid): waits (10 s at most, then fails the test) and returns the
 *     child's exit code, -1 when a signal ended it.
 * fake_pair_open(&a, name_a, &b, name_b): two connected vstreams over a
 *     socket pair, 5 s timeouts, for one-process client/server tests.
 *
 * Client test programs: main() calls fake_client_init(name, dirs) (msg to
 * stderr, SIGPIPE ignored, test_start_dir recorded, DIRS - NULL-terminated -
 * remembered); fake_queue_setup/fake_queue_teardown then give each test a
 * fresh temporary queue directory with those subdirectories as its cwd;
 * FAKE_QUEUE_TEST(f) is the cmocka table entry for such a test.
 * deliver_v1 tests: fake_deliver_setup/fake_deliver_teardown give each test
 * a temporary directory and the pair qmgr_end ("qmgr") / agent_end
 * ("private/test"); FAKE_DELIVER_TEST(f) is the table entry.
 *
 * Include after <cmocka.h> and util_test_helpers.h. Everything is static:
 * each test program gets its own copy. Assertion failures in the parent fail
 * the test; a child reports through its exit code only.
 */
#ifndef TERN_FAKE_SERVER_H
#define TERN_FAKE_SERVER_H

#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mail/attr.h"
#include "util/msg.h"
#include "util/vstream.h"

static inline int
fake_listen(const char *path, int type)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    int fd;

    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
    unlink(path);
    assert_true((fd = socket(AF_UNIX, type, 0)) >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
    if (type == SOCK_STREAM)
        assert_int_equal(listen(fd, 10), 0);
    return fd;
}

static inline pid_t
fake_fork(int listen_fd, void (*serve)(int, int), int mode)
{
    pid_t pid;

    assert_true((pid = fork()) >= 0);
    if (pid == 0) {
        alarm(10);
        serve(listen_fd, mode);
        _exit(0);
    }
    close(listen_fd);
    return pid;
}

static inline struct vstream *
fake_accept(int listen_fd, const char *protocol)
{
    struct vstream *fp;
    int fd;

    if ((fd = accept(listen_fd, NULL, NULL)) < 0)
        _exit(2);
    fp = vstream_fdopen(fd, "client");
    vstream_set_timeout(fp, 5);
    if (protocol != NULL)
        attr_announce_protocol(fp, protocol);
    return fp;
}

static inline int
fake_wait(pid_t pid)
{
    int status = test_wait_child(pid, 10000);

    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static inline int
fake_pair_open(struct vstream **a, const char *name_a, struct vstream **b, const char *name_b)
{
    int sv[2];

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        return -1;
    *a = vstream_fdopen(sv[0], name_a);
    *b = vstream_fdopen(sv[1], name_b);
    vstream_set_timeout(*a, 5);
    vstream_set_timeout(*b, 5);
    return 0;
}

static const char *const *fake_queue_dirs;

static inline int
fake_client_init(const char *name, const char *const *dirs)
{
    msg_init(name, MSG_STDERR);
    signal(SIGPIPE, SIG_IGN);
    fake_queue_dirs = dirs;
    return getcwd(test_start_dir, sizeof(test_start_dir)) == NULL ? -1 : 0;
}

#define FAKE_QUEUE_TEST(f) cmocka_unit_test_setup_teardown(f, fake_queue_setup, fake_queue_teardown)
#define FAKE_DELIVER_TEST(f)                                                                       \
    cmocka_unit_test_setup_teardown(f, fake_deliver_setup, fake_deliver_teardown)

static inline int
fake_queue_setup(void **state)
{
    return test_queue_enter(state, fake_queue_dirs);
}

static inline int
fake_queue_teardown(void **state)
{
    return test_queue_leave(state);
}

static struct vstream *qmgr_end __attribute__((unused));
static struct vstream *agent_end __attribute__((unused));

static inline int
fake_deliver_setup(void **state)
{
    if (test_dir_setup(state) < 0)
        return -1;
    return fake_pair_open(&qmgr_end, "qmgr", &agent_end, "private/test");
}

static inline int
fake_deliver_teardown(void **state)
{
    vstream_close(qmgr_end);
    vstream_close(agent_end);
    return test_dir_teardown(state);
}

#endif
