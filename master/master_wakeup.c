/*
 * master_wakeup - the wake-up column of master.cf: every N seconds the
 * master sends a wake-up request (the byte 'W') to the service's own
 * endpoint, as a client would, so that pickup, qmgr and flush look for
 * work even when nobody asked.
 *
 *   master_wakeup_start(serv)  first request now, then every serv->wakeup
 *                              seconds; nothing for 0, and for "N?"
 *                              nothing before the service was used once
 *   master_wakeup_stop(serv)   cancels the timer
 *   master_wakeup_used(serv)   a client came: starts an "N?" timer
 *
 * How a request is sent, by type (the master's working directory is the
 * queue directory, so endpoints are relative paths):
 *   fifo        mail_trigger(): a non-blocking write (a full FIFO already
 *               holds a wake-up);
 *   unix        a non-blocking connect, one byte, close; a full backlog
 *               (EAGAIN) counts as delivered, for the same reason;
 *   pass        the same connect, carrying one end of a socket pair whose
 *               other end holds the byte;
 *   inet        a non-blocking connect to the first listener's address
 *               (the loopback address for a wildcard), finished from the
 *               event loop, given up after MASTER_WAKEUP_TIMEOUT seconds;
 *   unix-dgram  not supported, as in Postfix (a warning each time).
 * mail_trigger()'s UNIX-socket path is not used: it may wait up to ten
 * seconds for a full backlog, and the master must never wait on a child.
 * Failures are warnings ("master_wakeup_timer_event: service NAME(ENDPOINT):
 * REASON", Postfix's wording); the timer keeps running.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "mail/mail_connect.h"
#include "master.h"
#include "util/events.h"
#include "util/fd_pass.h"
#include "util/msg.h"
#include "util/mymalloc.h"

#define MASTER_WAKEUP_TIMEOUT 10 /* seconds for an inet connect */

static const char master_wakeup_byte[] = {MAIL_TRIGGER_WAKEUP};

/* The connected socket gets the wake-up byte (pass: a descriptor that holds it). */
static int
master_wakeup_write(int fd, int pass)
{
    int pair[2];
    int status;

    if (!pass)
        return send(fd, master_wakeup_byte, 1, MSG_DONTWAIT | MSG_NOSIGNAL) == 1 ? 0 : -1;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
        return -1;
    status = fd_pass_send(fd, pair[1]);
    if (status == 0 && send(pair[0], master_wakeup_byte, 1, MSG_DONTWAIT | MSG_NOSIGNAL) != 1)
        status = -1;
    close(pair[0]);
    close(pair[1]);
    return status;
}

static int
master_wakeup_unix(const char *path, int pass)
{
    struct sockaddr_un sun;
    int fd;
    int status = -1;

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sun.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(sun.sun_path, path, strlen(path) + 1);
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
        status = master_wakeup_write(fd, pass);
    else if (errno == EAGAIN)
        status = 0;
    close(fd);
    return status;
}

/* An inet connect in progress. */
struct master_wakeup_io {
    int fd;
};

static void master_wakeup_inet_timeout(int event, void *context);

static void
master_wakeup_inet_done(struct master_wakeup_io *io)
{
    event_disable_readwrite(io->fd);
    event_cancel_timer(master_wakeup_inet_timeout, io);
    close(io->fd);
    myfree(io);
}

static void
master_wakeup_inet_event(int event, void *context)
{
    struct master_wakeup_io *io = context;
    int err = 0;
    socklen_t len = sizeof(err);

    (void)event;
    if (getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0)
        (void)master_wakeup_write(io->fd, 0);
    master_wakeup_inet_done(io);
}

static void
master_wakeup_inet_timeout(int event, void *context)
{
    (void)event;
    master_wakeup_inet_done(context);
}

/* The address of the first listener, the wildcard replaced by loopback. */
static int
master_wakeup_inet_addr(const struct master_serv *serv, struct sockaddr_storage *ss, socklen_t *len)
{
    *len = sizeof(*ss);
    if (serv->listen_count < 1 || getsockname(serv->listen_fds[0], (struct sockaddr *)ss, len) < 0)
        return -1;
    if (ss->ss_family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;

        if (sin->sin_addr.s_addr == htonl(INADDR_ANY))
            sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    } else if (ss->ss_family == AF_INET6) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

        if (IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr))
            sin6->sin6_addr = in6addr_loopback;
    }
    return 0;
}

static int
master_wakeup_inet(const struct master_serv *serv)
{
    struct sockaddr_storage ss;
    struct master_wakeup_io *io;
    socklen_t len;
    int fd;

    if (master_wakeup_inet_addr(serv, &ss, &len) < 0)
        return -1;
    if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&ss, len) == 0) {
        (void)master_wakeup_write(fd, 0);
        close(fd);
        return 0;
    }
    if (errno != EINPROGRESS) {
        int saved_errno = errno;

        close(fd);
        errno = saved_errno;
        return -1;
    }
    io = mymalloc(sizeof(*io));
    io->fd = fd;
    event_enable_write(fd, master_wakeup_inet_event, io);
    event_request_timer(master_wakeup_inet_timeout, io, MASTER_WAKEUP_TIMEOUT);
    return 0;
}

static void
master_wakeup_send(const struct master_serv *serv)
{
    const char *class = serv->private_ ? MAIL_CLASS_PRIVATE : MAIL_CLASS_PUBLIC;
    int status;

    switch (serv->type_code) {
    case MASTER_CF_TYPE_FIFO:
        status = mail_trigger(class, serv->name, master_wakeup_byte, 1);
        break;
    case MASTER_CF_TYPE_UNIX:
        status = master_wakeup_unix(serv->endpoint, 0);
        break;
    case MASTER_CF_TYPE_PASS:
        status = master_wakeup_unix(serv->endpoint, 1);
        break;
    case MASTER_CF_TYPE_INET:
        status = master_wakeup_inet(serv);
        break;
    default:
        errno = EOPNOTSUPP;
        status = -1;
        break;
    }
    if (status < 0)
        msg_warn("master_wakeup_timer_event: service %s(%s): %m", serv->name, serv->endpoint);
}

static void
master_wakeup_event(int event, void *context)
{
    struct master_serv *serv = context;

    (void)event;
    if (msg_verbose)
        msg_info("wakeup %s(%s)", serv->name, serv->endpoint);
    master_wakeup_send(serv);
    event_request_timer(master_wakeup_event, serv, serv->wakeup);
}

void
master_wakeup_start(struct master_serv *serv)
{
    if (serv->wakeup <= 0 || serv->wakeup_on || (serv->wakeup_conditional && !serv->used))
        return;
    serv->wakeup_on = 1;
    master_wakeup_event(0, serv);
}

void
master_wakeup_stop(struct master_serv *serv)
{
    if (!serv->wakeup_on)
        return;
    event_cancel_timer(master_wakeup_event, serv);
    serv->wakeup_on = 0;
}

void
master_wakeup_used(struct master_serv *serv)
{
    if (serv->used)
        return;
    serv->used = 1;
    if (serv->wakeup_conditional) {
        if (msg_verbose)
            msg_info("start conditional timer for %s", serv->name);
        master_wakeup_start(serv);
    }
}
