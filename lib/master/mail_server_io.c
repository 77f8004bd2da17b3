/*
 * mail_server_io - where a daemon's clients come from: accept(2) on a
 * listener (with descriptor passing for the "pass" type), and the
 * stand-alone client of -S. Entry points: mail_server_accept(),
 * mail_server_alone_stream() (mail_server_private.h).
 *
 * Accept errors that a peer can cause (a connection reset before we got to
 * it, an empty backlog because a sibling process was faster) return -1 and
 * the caller waits again. Resource exhaustion and anything else is fatal:
 * the master logs it and starts a fresh process later.
 *
 * Stand-alone: a stream has one descriptor, used for reading and writing.
 * When standard input is itself a read-write socket or terminal it is the
 * client; otherwise (two pipes, a file and a pipe) a relay process joins
 * standard input and output into one socket pair, passes the bytes both
 * ways, and ends when the daemon closes its side. The daemon waits for the
 * relay when it exits, so all output is written when it is gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "master/mail_server_private.h"
#include "util/fd_pass.h"
#include "util/iostuff.h"
#include "util/msg.h"

static pid_t mail_server_relay_pid = -1;
static int mail_server_relay_sock = -1;

/* Peer-caused or transient: wait for the next connection. */
static int
mail_server_accept_soft_error(int err)
{
    switch (err) {
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
    case EINTR:
    case ECONNABORTED:
    case EPROTO:
    case ENETDOWN:
    case ENOPROTOOPT:
    case EHOSTDOWN:
    case ENONET:
    case EHOSTUNREACH:
    case EOPNOTSUPP:
    case ENETUNREACH:
        return 1;
    default:
        return 0;
    }
}

int
mail_server_accept(int listen_fd)
{
    int fd;
    int passed;

    if ((fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC)) < 0) {
        if (mail_server_accept_soft_error(errno))
            return -1;
        msg_fatal("accept connection: %m");
    }
    if (strcmp(mail_server_type(), "pass") != 0)
        return fd;
    passed = fd_pass_recv(fd, MAIL_SERVER_PASS_TIMEOUT_MS);
    if (passed < 0)
        msg_warn("receive passed connection: %m");
    close(fd);
    return passed;
}

/*
 * The relay process: stdin -> sock, sock -> stdout, until sock ends. The
 * socket is non-blocking and input waits in a buffer until the socket takes
 * it, so the relay keeps reading the daemon's replies while the daemon is
 * busy: neither side can block the other, whatever the sizes.
 */
static void __attribute__((noreturn)) mail_server_relay(int sock)
{
    char in[4096];
    char out[4096];
    size_t pending = 0; /* bytes of in[] not yet written to sock */
    size_t done = 0;
    int stdin_open = 1;
    ssize_t n;

    non_blocking(sock, 1);
    for (;;) {
        struct pollfd pfd[2] = {{.fd = sock, .events = POLLIN | (pending ? POLLOUT : 0)},
                                {.fd = stdin_open && !pending ? 0 : -1, .events = POLLIN}};

        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            _exit(1);
        }
        if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            if ((n = read(sock, out, sizeof(out))) == 0)
                _exit(0);
            if (n < 0 && errno != EAGAIN && errno != EINTR)
                _exit(0);
            if (n > 0 && write_all(1, out, (size_t)n, -1) < 0)
                _exit(1);
        }
        if (pending && (pfd[0].revents & POLLOUT)) {
            if ((n = write(sock, in + done, pending)) < 0 && errno != EAGAIN && errno != EINTR)
                _exit(1);
            if (n > 0) {
                done += (size_t)n;
                pending -= (size_t)n;
            }
        }
        if (pfd[1].fd >= 0 && pfd[1].revents) {
            if ((n = read(0, in, sizeof(in))) <= 0) {
                shutdown(sock, SHUT_WR);
                stdin_open = 0;
            } else {
                pending = (size_t)n;
                done = 0;
            }
        }
    }
}

/* At exit: end the relay's input and wait until it has written everything. */
static void
mail_server_relay_wait(void)
{
    int status;

    if (mail_server_relay_pid < 0)
        return;
    shutdown(mail_server_relay_sock, SHUT_RDWR);
    while (waitpid(mail_server_relay_pid, &status, 0) < 0 && errno == EINTR)
        continue;
    mail_server_relay_pid = -1;
}

/* True when descriptor 0 can be read and written as one client. */
static int
mail_server_stdin_duplex(void)
{
    struct stat sb;
    int flags = fcntl(0, F_GETFL);

    if (flags < 0 || (flags & O_ACCMODE) != O_RDWR || fstat(0, &sb) < 0)
        return 0;
    return S_ISSOCK(sb.st_mode) || isatty(0);
}

struct vstream *
mail_server_alone_stream(void)
{
    int sv[2];

    if (mail_server_stdin_duplex())
        return vstream_fdopen(0, "stdin");
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        msg_fatal("socketpair: %m");
    switch (mail_server_relay_pid = fork()) {
    case -1:
        msg_fatal("fork: %m");
    case 0:
        signal(SIGTERM, SIG_DFL);
        close(sv[0]);
        mail_server_relay(sv[1]);
    default:
        close(sv[1]);
        mail_server_relay_sock = sv[0];
        atexit(mail_server_relay_wait);
        return vstream_fdopen(sv[0], "stdin");
    }
}
