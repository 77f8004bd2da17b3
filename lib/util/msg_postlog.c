/*
 * msg_postlog - send log records to postlogd; see msg_postlog.h.
 *
 * One connected SOCK_DGRAM socket per process, non-blocking and
 * close-on-exec. A forked child shares it, which is harmless: each record
 * is one datagram. Before each record the descriptor is checked (fstat:
 * still the same socket), because a program may have closed it behind
 * msg's back. Errors are reported to the caller by the return value only,
 * because the caller is the logging code itself.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/iostuff.h"
#include "util/msg_postlog.h"

static int msg_postlog_sock = -1;
static dev_t msg_postlog_dev;             /* what msg_postlog_sock is, to notice */
static ino_t msg_postlog_ino;             /* that someone closed and reused it */
static long long msg_postlog_quiet_until; /* no waiting before this time */

/*
 * True while the descriptor is still our socket. A process that closes
 * every descriptor it does not know (a master child before exec) may have
 * closed it, and the number may now be someone else's file: then it is
 * forgotten, never closed or written.
 */
static int
msg_postlog_still_ours(void)
{
    struct stat st;

    if (msg_postlog_sock < 0)
        return 0;
    if (fstat(msg_postlog_sock, &st) < 0 || !S_ISSOCK(st.st_mode) || st.st_dev != msg_postlog_dev ||
        st.st_ino != msg_postlog_ino) {
        msg_postlog_sock = -1;
        return 0;
    }
    return 1;
}

void
msg_postlog_close(void)
{
    if (msg_postlog_still_ours())
        close(msg_postlog_sock);
    msg_postlog_sock = -1;
}

int
msg_postlog_connect(const char *path)
{
    struct sockaddr_un sun;
    struct stat st;
    int saved_errno;

    msg_postlog_close();
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sun.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(sun.sun_path, path, strlen(path) + 1);
    msg_postlog_sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (msg_postlog_sock < 0)
        return -1;
    if (connect(msg_postlog_sock, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
        fstat(msg_postlog_sock, &st) < 0) {
        saved_errno = errno;
        close(msg_postlog_sock); /* new, so surely ours */
        msg_postlog_sock = -1;
        errno = saved_errno;
        return -1;
    }
    msg_postlog_dev = st.st_dev;
    msg_postlog_ino = st.st_ino;
    return 0;
}

/* True for the errors that mean "the service socket went away". */
static int
msg_postlog_gone(int err)
{
    return err == ECONNREFUSED || err == ENOTCONN || err == EPIPE || err == EDESTADDRREQ ||
           err == ECONNRESET || err == ENOENT;
}

/* Waits for room in the service's queue, within the bounds of the header. */
static int
msg_postlog_wait(void)
{
    long long now = monotonic_ms();

    if (now < msg_postlog_quiet_until)
        return -1;
    if (poll_fd_ms(msg_postlog_sock, POLLOUT, MSG_POSTLOG_WAIT_MS) == 0)
        return 0;
    msg_postlog_quiet_until = monotonic_ms() + MSG_POSTLOG_QUIET_MS;
    return -1;
}

int
msg_postlog_send(const char *path, const char *record, size_t len)
{
    int reconnected = 0;
    int tries = 0;

    if (!msg_postlog_still_ours()) {
        if (msg_postlog_connect(path) < 0)
            return -1;
        reconnected = 1;
    }
    while (tries++ < 8) {
        if (send(msg_postlog_sock, record, len, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
            return 0;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (msg_postlog_wait() < 0)
                return -1;
            continue;
        }
        if (!msg_postlog_gone(errno))
            break;
        if (reconnected) {
            msg_postlog_close(); /* try again with the next record */
            break;
        }
        reconnected = 1;
        if (msg_postlog_connect(path) < 0)
            return -1;
    }
    return -1;
}
