/*
 * test_fd_pass - lib/util/fd_pass: a descriptor sent over a socket pair
 * arrives open and close-on-exec; a message without a descriptor, a peer
 * that closes, and a silent peer each fail with their own errno; extra
 * descriptors in one message are closed by the receiver.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/fd_pass.h"

static void
test_descriptor_arrives(void **state)
{
    int carrier[2];
    int data[2];
    int got;
    char buf[8];

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, carrier), 0);
    assert_int_equal(pipe(data), 0);
    assert_int_equal(fd_pass_send(carrier[0], data[1]), 0);
    close(data[1]);
    got = fd_pass_recv(carrier[1], 1000);
    assert_true(got >= 0);
    assert_true(fcntl(got, F_GETFD) & FD_CLOEXEC);
    assert_int_equal(write(got, "abc", 3), 3);
    close(got);
    assert_int_equal(read(data[0], buf, sizeof(buf)), 3);
    assert_memory_equal(buf, "abc", 3);
    close(data[0]);
    close(carrier[0]);
    close(carrier[1]);
}

static void
test_failures(void **state)
{
    int carrier[2];

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, carrier), 0);
    assert_int_equal(fd_pass_recv(carrier[1], 50), -1);
    assert_int_equal(errno, ETIMEDOUT);
    assert_int_equal(write(carrier[0], "x", 1), 1);
    assert_int_equal(fd_pass_recv(carrier[1], 1000), -1);
    assert_int_equal(errno, EBADMSG);
    close(carrier[0]);
    assert_int_equal(fd_pass_recv(carrier[1], 1000), -1);
    assert_int_equal(errno, ECONNRESET);
    close(carrier[1]);
}

/* Sends two descriptors in one message, by hand. */
static void
send_two(int sock, int fd1, int fd2)
{
    char byte = 0;
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(2 * sizeof(int))];
    } control;
    struct msghdr msg;
    struct cmsghdr *cmsg;
    int fds[2] = {fd1, fd2};

    memset(&msg, 0, sizeof(msg));
    memset(&control, 0, sizeof(control));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof(control.buf);
    cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(fds));
    memcpy(CMSG_DATA(cmsg), fds, sizeof(fds));
    assert_int_equal(sendmsg(sock, &msg, 0), 1);
}

static void
test_extra_descriptors_are_closed(void **state)
{
    int carrier[2];
    int first[2];
    int second[2];
    int got;
    char buf[4];

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, carrier), 0);
    assert_int_equal(pipe(first), 0);
    assert_int_equal(pipe(second), 0);
    send_two(carrier[0], first[1], second[1]);
    close(first[1]);
    close(second[1]);
    got = fd_pass_recv(carrier[1], 1000);
    assert_true(got >= 0);
    /* The second write end is gone everywhere: its reader sees end of file. */
    assert_int_equal(read(second[0], buf, sizeof(buf)), 0);
    close(got);
    assert_int_equal(read(first[0], buf, sizeof(buf)), 0);
    close(first[0]);
    close(second[0]);
    close(carrier[0]);
    close(carrier[1]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptor_arrives),
        cmocka_unit_test(test_failures),
        cmocka_unit_test(test_extra_descriptors_are_closed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
