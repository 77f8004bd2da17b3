/*
 * iostuff - descriptor modes, readiness waits and bounded reads and writes;
 * see iostuff.h.
 *
 * Every wait goes through poll_fd_ms(), which keeps a deadline on the
 * monotonic clock so that signals (EINTR) never stretch a time limit and
 * clock changes never shorten or lengthen it. Writes are sized so that
 * they cannot block once poll said "writable" (see write_bounded), so a
 * time limit holds on blocking descriptors too.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/iostuff.h"

long long
monotonic_ms(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
        return 0;
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sets or clears one flag with a get/set fcntl pair; returns the old state. */
static int
fcntl_flag(int fd, int get_cmd, int set_cmd, int flag, int on)
{
    int flags = fcntl(fd, get_cmd);

    if (flags < 0)
        return -1;
    if (fcntl(fd, set_cmd, on ? flags | flag : flags & ~flag) < 0)
        return -1;
    return (flags & flag) != 0;
}

int
non_blocking(int fd, int on)
{
    return fcntl_flag(fd, F_GETFL, F_SETFL, O_NONBLOCK, on);
}

int
close_on_exec(int fd, int on)
{
    return fcntl_flag(fd, F_GETFD, F_SETFD, FD_CLOEXEC, on);
}

static int
seconds_to_ms(int timeout)
{
    if (timeout < 0)
        return -1;
    return timeout > INT_MAX / 1000 ? INT_MAX : timeout * 1000;
}

int
poll_fd_ms(int fd, int events, int timeout_ms)
{
    long long deadline = monotonic_ms() + timeout_ms;
    struct pollfd pfd = {.fd = fd, .events = (short)events};
    int wait_ms = timeout_ms;
    int n;

    for (;;) {
        pfd.revents = 0;
        n = poll(&pfd, 1, wait_ms);
        if (n > 0) {
            if (pfd.revents & POLLNVAL) {
                errno = EBADF;
                return -1;
            }
            return 0; /* ready, at EOF, or in error: the next I/O call tells */
        }
        if (n == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        if (errno != EINTR)
            return -1;
        if (timeout_ms > 0) {
            long long left = deadline - monotonic_ms();

            wait_ms = left > 0 ? (int)left : 0;
        }
    }
}

int
read_wait(int fd, int timeout)
{
    return poll_fd_ms(fd, POLLIN, seconds_to_ms(timeout));
}

int
write_wait(int fd, int timeout)
{
    return poll_fd_ms(fd, POLLOUT, seconds_to_ms(timeout));
}

int
readable(int fd)
{
    if (poll_fd_ms(fd, POLLIN, 0) == 0)
        return 1;
    return errno == ETIMEDOUT ? 0 : -1;
}

/* One read after a wait; EINTR and spurious EAGAIN go back to waiting. */
static ssize_t
read_deadline(int fd, void *buf, size_t len, long long deadline)
{
    ssize_t n;

    for (;;) {
        long long left = deadline < 0 ? -1 : deadline - monotonic_ms();

        if (deadline >= 0 && left < 0)
            left = 0;
        if (poll_fd_ms(fd, POLLIN, left > INT_MAX ? INT_MAX : (int)left) < 0)
            return -1;
        if ((n = read(fd, buf, len)) >= 0)
            return n;
        if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
            return -1;
    }
}

/*
 * One write that cannot block after poll said "writable", even on a
 * blocking descriptor: sockets get MSG_DONTWAIT; pipes and devices get at
 * most PIPE_BUF bytes, which a writable pipe always has room for. Regular
 * files never block for long, so they get everything.
 */
static ssize_t
write_bounded(int fd, const void *buf, size_t len, int type)
{
    if (type == S_IFSOCK)
        return send(fd, buf, len, MSG_DONTWAIT);
    if (type != S_IFREG && len > PIPE_BUF)
        len = PIPE_BUF;
    return write(fd, buf, len);
}

static ssize_t
write_deadline(int fd, const void *buf, size_t len, long long deadline)
{
    struct stat st;
    ssize_t n;
    int type;

    if (fstat(fd, &st) < 0)
        return -1;
    type = (int)(st.st_mode & S_IFMT);
    for (;;) {
        long long left = deadline < 0 ? -1 : deadline - monotonic_ms();

        if (deadline >= 0 && left < 0)
            left = 0;
        if (poll_fd_ms(fd, POLLOUT, left > INT_MAX ? INT_MAX : (int)left) < 0)
            return -1;
        if ((n = write_bounded(fd, buf, len, type)) >= 0)
            return n;
        if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
            return -1;
    }
}

static long long
deadline_after(int timeout)
{
    return timeout < 0 ? -1 : monotonic_ms() + seconds_to_ms(timeout);
}

ssize_t
timed_read(int fd, void *buf, size_t len, int timeout)
{
    return read_deadline(fd, buf, len, deadline_after(timeout));
}

ssize_t
timed_write(int fd, const void *buf, size_t len, int timeout)
{
    return write_deadline(fd, buf, len, deadline_after(timeout));
}

int
write_all(int fd, const void *buf, size_t len, int timeout)
{
    long long deadline = deadline_after(timeout);
    const char *cp = buf;
    ssize_t n;

    while (len > 0) {
        if ((n = write_deadline(fd, cp, len, deadline)) < 0)
            return -1;
        if (n == 0) { /* impossible for len > 0, but never spin on it */
            errno = EIO;
            return -1;
        }
        cp += n;
        len -= (size_t)n;
    }
    return 0;
}

void
sane_stdio(void)
{
    for (int fd = 0; fd < 3; fd++) {
        int null_fd;

        if (fcntl(fd, F_GETFD) >= 0)
            continue;
        if ((null_fd = open("/dev/null", O_RDWR)) < 0)
            _exit(1); /* nowhere to report it */
        if (null_fd != fd) {
            if (dup2(null_fd, fd) < 0)
                _exit(1);
            close(null_fd);
        }
    }
}
