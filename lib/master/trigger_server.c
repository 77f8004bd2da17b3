/*
 * trigger_server - the wake-up daemon style (pickup, qmgr, flush) and the
 * datagram style (postlogd); see mail_server.h.
 *
 *   trigger_server_main(argc, argv, &server)
 *
 * One trigger is the bytes that one wake-up carried, at most trigger_size
 * (default 1024), as the listener type delivers them:
 *   fifo        what one read(2) of the FIFO returns (writers that came
 *               close together may arrive as one trigger);
 *   unix, pass  one accepted connection (for pass, the connection passed
 *               over it): read until end of file, a full buffer or
 *               TRIGGER_SERVER_READ_MS, then closed; a peer that sends
 *               nothing still counts as a wake-up (length 0);
 *   unix-dgram  one datagram (a longer one is cut to trigger_size).
 * Around each trigger the process reports TAKEN and AVAIL and counts one
 * use; the datagrams already waiting when one arrives (a burst of log
 * records) are served between one TAKEN and one AVAIL, each still one
 * use. max_use, max_idle and the master's going away stop it between
 * triggers (server.unlimited ignores the first two).
 *
 * Stand-alone (-S): standard input, up to trigger_size bytes or end of
 * file, is one trigger; then the process exits.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "master/mail_server_private.h"
#include "master/master_proto.h"
#include "util/events.h"
#include "util/iostuff.h"
#include "util/msg.h"
#include "util/mymalloc.h"

#define TRIGGER_SERVER_SIZE 1024
#define TRIGGER_SERVER_READ_MS 2000 /* for a stream trigger's bytes */
#define TRIGGER_SERVER_DGRAM_BATCH 64 /* datagrams served between TAKEN and AVAIL */

static char *trigger_server_buf;
static size_t trigger_server_size;

/* Hands one trigger to the service and counts the use; may end the process. */
static void
trigger_server_serve(ssize_t len)
{
    const struct mail_server *server = mail_server_state.server;

    mail_server_enter();
    trigger_server_buf[len] = 0;
    if (msg_verbose)
        msg_info("%s: trigger arrived", mail_server_service());
    server->trigger(trigger_server_buf, len, mail_server_state.service, mail_server_state.args);
    mail_server_leave();
    if (mail_server_count_use() || mail_server_stop_due())
        mail_server_exit();
}

/* One trigger, from TAKEN to AVAIL. */
static void
trigger_server_run(ssize_t len)
{
    mail_server_idle_disarm();
    mail_server_status(MASTER_STAT_TAKEN);
    trigger_server_serve(len);
    mail_server_status(MASTER_STAT_AVAIL);
    mail_server_idle_arm();
}

/*
 * Reads until end of file, a full buffer or the deadline (timeout_ms < 0:
 * none); returns the count.
 */
static ssize_t
trigger_server_read_stream(int fd, int timeout_ms)
{
    long long deadline = monotonic_ms() + timeout_ms;
    size_t got = 0;
    ssize_t n;

    while (got < trigger_server_size) {
        long long left = timeout_ms < 0 ? -1 : deadline - monotonic_ms();

        if ((timeout_ms >= 0 && left <= 0) || poll_fd_ms(fd, POLLIN, (int)left) < 0)
            break;
        n = read(fd, trigger_server_buf + got, trigger_server_size - got);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

static void
trigger_server_fifo_event(int event, void *context)
{
    ssize_t n;

    (void)event;
    n = read((int)(long)context, trigger_server_buf, trigger_server_size);
    if (n > 0)
        trigger_server_run(n);
    else if (n < 0 && errno != EAGAIN && errno != EINTR)
        msg_fatal("read fifo listener: %m");
}

static void
trigger_server_stream_event(int event, void *context)
{
    const struct mail_server *server = mail_server_state.server;
    ssize_t n;
    int fd;

    (void)event;
    if (server->pre_accept)
        server->pre_accept(mail_server_state.service, mail_server_state.args);
    if ((fd = mail_server_accept((int)(long)context)) < 0)
        return;
    n = trigger_server_read_stream(fd, TRIGGER_SERVER_READ_MS);
    close(fd);
    trigger_server_run(n);
}

/*
 * The datagrams waiting on the socket, up to TRIGGER_SERVER_DGRAM_BATCH,
 * each its own trigger and use, between one TAKEN and one AVAIL: a burst
 * of log records costs the master one pair of status records, not one
 * per record.
 */
static void
trigger_server_dgram_event(int event, void *context)
{
    int fd = (int)(long)context;
    int taken = 0;
    ssize_t n;

    (void)event;
    for (int i = 0; i < TRIGGER_SERVER_DGRAM_BATCH; i++) {
        n = recv(fd, trigger_server_buf, trigger_server_size, MSG_DONTWAIT);
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR)
                msg_warn("receive datagram: %m");
            break;
        }
        if (!taken) {
            mail_server_idle_disarm();
            mail_server_status(MASTER_STAT_TAKEN);
            taken = 1;
        }
        trigger_server_serve(n);
    }
    if (taken) {
        mail_server_status(MASTER_STAT_AVAIL);
        mail_server_idle_arm();
    }
}

static void __attribute__((noreturn)) trigger_server_alone(void)
{
    mail_server_enter(); /* no event loop: SIGTERM ends the process */
    trigger_server_run(trigger_server_read_stream(0, -1));
    mail_server_exit();
}

int
trigger_server_main(int argc, char **argv, const struct mail_server *server)
{
    void (*callback)(int, void *);
    const char *type;

    if (server->trigger == NULL)
        msg_panic("trigger_server_main: no trigger function");
    trigger_server_size = server->trigger_size ? server->trigger_size : TRIGGER_SERVER_SIZE;
    trigger_server_buf = mymalloc(trigger_server_size + 1);
    mail_server_start(argc, argv, server, "fifo unix pass unix-dgram");
    if (mail_server_state.standalone)
        trigger_server_alone();
    type = mail_server_type();
    if (strcmp(type, "fifo") == 0)
        callback = trigger_server_fifo_event;
    else if (strcmp(type, "unix-dgram") == 0)
        callback = trigger_server_dgram_event;
    else
        callback = trigger_server_stream_event;
    for (int i = 0; i < mail_server_state.listen_count; i++)
        event_enable_read(MASTER_LISTEN_FD + i, callback, (void *)(long)(MASTER_LISTEN_FD + i));
    mail_server_watch_master();
    mail_server_status(MASTER_STAT_AVAIL);
    mail_server_idle_arm();
    mail_server_run();
}
