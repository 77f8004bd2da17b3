/*
 * mail_connect - connect to a local service socket, send triggers; see
 * mail_connect.h.
 *
 * Entry points: mail_connect, mail_trigger.
 *
 * A connect runs on a non-blocking AF_UNIX socket so that it is bounded:
 * Linux answers EAGAIN while the listener's backlog is full (retried with
 * short sleeps until the deadline), other systems EINPROGRESS (waited for
 * with poll, then SO_ERROR tells the outcome). The connected descriptor is
 * put back in blocking mode; the vstream's timeout guards every later read
 * and write. Writes of a trigger use send(MSG_NOSIGNAL), so a service
 * that closes early cannot kill the caller with SIGPIPE.
 *
 * Nothing here logs: failures return with errno set (and a reason in
 * "why" for mail_connect) for the caller to word.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "mail/mail_connect.h"
#include "util/iostuff.h"
#include "util/msg.h"

#define MAIL_CONNECT_RETRY_MS 10      /* first sleep when the backlog is full */
#define MAIL_CONNECT_RETRY_MAX_MS 200 /* longest sleep between attempts */

/* Milliseconds left before deadline (-1: none), never below 0. */
static int
mail_ms_left(long long deadline)
{
    long long left;

    if (deadline < 0)
        return -1;
    left = deadline - monotonic_ms();
    return left < 0 ? 0 : left > 86400000 ? 86400000 : (int)left;
}

/* Builds CLASS/SERVICE (under queue_dir if not NULL); -1 + EINVAL on a bad name. */
static int
mail_service_path(struct vstring *path, const char *queue_dir, const char *class,
                  const char *service)
{
    if (strcmp(class, MAIL_CLASS_PRIVATE) != 0 && strcmp(class, MAIL_CLASS_PUBLIC) != 0)
        msg_panic("mail_service_path: bad service class \"%s\"", class);
    if (*service == 0 || strchr(service, '/') != NULL || strcmp(service, ".") == 0 ||
        strcmp(service, "..") == 0) {
        errno = EINVAL;
        return -1;
    }
    vstring_reset(path);
    if (queue_dir != NULL && *queue_dir != 0)
        vstring_sprintf(path, "%s/", queue_dir);
    vstring_sprintf_append(path, "%s/%s", class, service);
    return 0;
}

/* Waits for an in-progress connect; returns 0 or -1 with errno. */
static int
mail_connect_wait(int fd, long long deadline)
{
    socklen_t len = sizeof(int);
    int err = 0;

    if (poll_fd_ms(fd, POLLOUT, mail_ms_left(deadline)) < 0)
        return -1;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        return -1;
    if (err != 0) {
        errno = err;
        return -1;
    }
    return 0;
}

/*
 * The listener's backlog is full: sleeps a little (doubling each time) if
 * the deadline allows, and returns 0; else -1 with errno ETIMEDOUT.
 */
static int
mail_connect_backoff(long long deadline, int *delay)
{
    int left = mail_ms_left(deadline);

    if (left == 0) {
        errno = ETIMEDOUT;
        return -1;
    }
    poll(NULL, 0, left > 0 && left < *delay ? left : *delay);
    if (*delay < MAIL_CONNECT_RETRY_MAX_MS)
        *delay *= 2;
    return 0;
}

/*
 * Connects a new non-blocking AF_UNIX stream socket to path within
 * timeout seconds (0: no limit). Returns the descriptor, still
 * non-blocking, or -1 with errno set.
 */
static int
mail_unix_connect(const char *path, int timeout)
{
    struct sockaddr_un sun;
    long long deadline = timeout > 0 ? monotonic_ms() + (long long)timeout * 1000 : -1;
    int delay = MAIL_CONNECT_RETRY_MS;
    int fd;
    int err;

    if (strlen(path) >= sizeof(sun.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, path, strlen(path) + 1);
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
        return -1;
    for (;;) {
        if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
            return fd;
        if (errno == EINTR)
            continue;
        if (errno == EINPROGRESS && mail_connect_wait(fd, deadline) == 0)
            return fd;
        if (errno == EAGAIN && mail_connect_backoff(deadline, &delay) == 0)
            continue;
        err = errno;
        close(fd);
        errno = err;
        return -1;
    }
}

struct vstream *
mail_connect(const char *queue_dir, const char *class, const char *service, int timeout,
             struct vstring *why)
{
    struct vstring *path = vstring_alloc(100);
    struct vstream *fp = NULL;
    int fd = -1;
    int err;

    if (mail_service_path(path, queue_dir, class, service) < 0) {
        if (why)
            vstring_sprintf(why, "connect to %s/%s: invalid service name", class, service);
    } else if ((fd = mail_unix_connect(vstring_str(path), timeout)) < 0 ||
               non_blocking(fd, BLOCKING) < 0) {
        err = errno;
        if (fd >= 0)
            close(fd);
        if (why)
            vstring_sprintf(why, "connect to %s: %s", vstring_str(path), strerror(err));
        errno = err;
    } else {
        vstring_sprintf(path, "%s/%s", class, service);
        fp = vstream_fdopen(fd, vstring_str(path));
        vstream_set_timeout(fp, timeout);
    }
    vstring_free(path);
    return fp;
}

/* Writes a trigger to a FIFO without blocking; a full FIFO counts as sent. */
static int
mail_fifo_trigger(const char *path, const char *bytes, size_t len)
{
    int fd;
    ssize_t n;
    int err;

    if ((fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
        return -1;
    do {
        n = write(fd, bytes, len);
    } while (n < 0 && errno == EINTR);
    err = errno;
    close(fd);
    if (n < 0 && err != EAGAIN) {
        errno = err;
        return -1;
    }
    return 0;
}

/* Connects to a UNIX-domain socket, sends the bytes, closes. */
static int
mail_unix_trigger(const char *path, const char *bytes, size_t len)
{
    long long deadline = monotonic_ms() + MAIL_TRIGGER_TIMEOUT * 1000;
    ssize_t n;
    int fd;
    int err = 0;

    if ((fd = mail_unix_connect(path, MAIL_TRIGGER_TIMEOUT)) < 0)
        return -1;
    while (len > 0 && err == 0) {
        if ((n = send(fd, bytes, len, MSG_NOSIGNAL)) > 0) {
            bytes += n;
            len -= (size_t)n;
        } else if (n == 0) {
            err = EIO;
        } else if (errno == EAGAIN) {
            if (poll_fd_ms(fd, POLLOUT, mail_ms_left(deadline)) < 0)
                err = errno;
        } else if (errno != EINTR) {
            err = errno;
        }
    }
    close(fd);
    errno = err;
    return err ? -1 : 0;
}

int
mail_trigger(const char *class, const char *service, const char *bytes, size_t len)
{
    struct vstring *path = vstring_alloc(100);
    struct stat st;
    int status = -1;
    int err;

    if (mail_service_path(path, NULL, class, service) < 0) {
        /* errno is EINVAL */
    } else if (stat(vstring_str(path), &st) < 0) {
        /* errno is set */
    } else if (S_ISFIFO(st.st_mode)) {
        status = mail_fifo_trigger(vstring_str(path), bytes, len);
    } else if (S_ISSOCK(st.st_mode)) {
        status = mail_unix_trigger(vstring_str(path), bytes, len);
    } else {
        errno = ENOTSOCK;
    }
    err = errno;
    vstring_free(path);
    errno = err;
    return status;
}
