/*
 * fd_pass - descriptor passing over UNIX-domain sockets; see fd_pass.h.
 *
 * One message is one data byte plus an SCM_RIGHTS control message. The
 * receiver asks for MSG_CMSG_CLOEXEC so that a descriptor it received is
 * never inherited by accident, and closes every descriptor beyond the
 * first (a hostile peer may send several, or may send them with a
 * truncated control buffer: MSG_CTRUNC is an error).
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "util/fd_pass.h"
#include "util/iostuff.h"

#define FD_PASS_MAX 8 /* descriptors we make room for in one message */

int
fd_pass_send(int sock, int fd)
{
    char byte = 0;
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } control;
    struct msghdr msg;
    struct cmsghdr *cmsg;
    ssize_t n;

    memset(&msg, 0, sizeof(msg));
    memset(&control, 0, sizeof(control));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof(control.buf);
    cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
    do {
        n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n == 1 ? 0 : -1;
}

/* Collects the descriptors of msg: returns the first, closes the rest. */
static int
fd_pass_collect(struct msghdr *msg)
{
    int result = -1;
    struct cmsghdr *cmsg;

    for (cmsg = CMSG_FIRSTHDR(msg); cmsg != NULL; cmsg = CMSG_NXTHDR(msg, cmsg)) {
        size_t count;

        if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
            continue;
        count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; i++) {
            int fd;

            memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
            if (result < 0)
                result = fd;
            else
                close(fd);
        }
    }
    return result;
}

int
fd_pass_recv(int sock, int timeout_ms)
{
    char byte;
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(FD_PASS_MAX * sizeof(int))];
    } control;
    struct msghdr msg;
    ssize_t n;
    int fd;

    if (poll_fd_ms(sock, POLLIN, timeout_ms) < 0)
        return -1;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof(control.buf);
    do {
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return -1;
    fd = fd_pass_collect(&msg);
    if (n == 0 && fd < 0) {
        errno = ECONNRESET;
        return -1;
    }
    if (fd < 0 || (msg.msg_flags & MSG_CTRUNC)) {
        if (fd >= 0)
            close(fd);
        errno = EBADMSG;
        return -1;
    }
    return fd;
}
