/*
 * multi_server - the many-clients-in-one-process daemon style
 * (trivial-rewrite, showq, anvil); see mail_server.h.
 *
 *   multi_server_main(argc, argv, &server)
 *   multi_server_disconnect(stream)
 *
 * Each accepted client is a stream in the event loop. When it has input
 * (or unread bytes remain in its buffer after a request), server.serve()
 * is called to answer one request. At end of file, on a read error or a
 * timeout the skeleton disconnects the client itself; serve may end a
 * client earlier with multi_server_disconnect(). A client is never freed
 * behind serve's back: a disconnect during serve is noted and the skeleton
 * does not touch that stream again.
 *
 * Status: the process reports TAKEN and at once AVAIL again around each
 * accept, since it can take more clients. It counts one use per
 * connection: after max_use connections it stops listening and exits once
 * its last client is gone. The idle timer runs only while no client is
 * connected. When the master goes away the process exits after the
 * request in progress; its clients see the connection close.
 *
 * Stand-alone (-S): standard input and output are one client, served
 * request by request until end of input.
 */
#include <sys/ioctl.h>
#include <unistd.h>

#include "master/mail_server_private.h"
#include "master/master_proto.h"
#include "util/events.h"
#include "util/msg.h"

static int multi_server_clients;
static int multi_server_draining;            /* max_use reached: no more accepts */
static struct vstream *multi_server_current; /* inside serve() */
static int multi_server_current_gone;

static void multi_server_client_event(int event, void *context);

/* A planned stop, taken outside of any callback's use of a client. */
static void
multi_server_exit_event(int event, void *context)
{
    (void)event;
    (void)context;
    mail_server_exit();
}

static void
multi_server_buffered_event(int event, void *context)
{
    multi_server_client_event(event, context);
}

void
multi_server_disconnect(struct vstream *client)
{
    if (client == multi_server_current)
        multi_server_current_gone = 1;
    if (!mail_server_state.standalone) {
        event_disable_readwrite(vstream_fileno(client));
        event_cancel_timer(multi_server_buffered_event, client);
    }
    if (msg_verbose)
        msg_info("connection closed fd %d", vstream_fileno(client));
    vstream_close(client);
    if (mail_server_state.standalone || --multi_server_clients > 0)
        return;
    if (multi_server_draining)
        event_request_timer(multi_server_exit_event, NULL, 0);
    else
        mail_server_idle_arm();
}

/* True when the client's next read would see end of file or an error. */
static int
multi_server_at_eof(struct vstream *client)
{
    int pending = 0;

    if (client->rpos < client->rlen)
        return 0;
    if (vstream_eof(client) || vstream_error(client))
        return 1;
    return ioctl(vstream_fileno(client), FIONREAD, &pending) < 0 || pending == 0;
}

/* Runs serve() for one request; returns 0 when the client is gone. */
static int
multi_server_execute(struct vstream *client)
{
    const struct mail_server *server = mail_server_state.server;

    multi_server_current = client;
    multi_server_current_gone = 0;
    mail_server_enter();
    server->serve(client, mail_server_state.service, mail_server_state.args);
    mail_server_leave();
    multi_server_current = NULL;
    if (multi_server_current_gone)
        return 0;
    if (vstream_eof(client) || vstream_error(client)) {
        multi_server_disconnect(client);
        return 0;
    }
    return 1;
}

static void
multi_server_client_event(int event, void *context)
{
    struct vstream *client = context;

    if ((event & EVENT_XCPT) || multi_server_at_eof(client)) {
        multi_server_disconnect(client);
        return;
    }
    if (multi_server_execute(client) && client->rpos < client->rlen)
        event_request_timer_ms(multi_server_buffered_event, client, 0);
}

static void
multi_server_stop_listening(void)
{
    for (int i = 0; i < mail_server_state.listen_count; i++)
        event_disable_readwrite(MASTER_LISTEN_FD + i);
}

static void
multi_server_accept(int event, void *context)
{
    const struct mail_server *server = mail_server_state.server;
    struct vstream *client;
    int fd;

    (void)event;
    if (server->pre_accept)
        server->pre_accept(mail_server_state.service, mail_server_state.args);
    if ((fd = mail_server_accept((int)(long)context)) < 0)
        return;
    mail_server_status(MASTER_STAT_TAKEN);
    mail_server_idle_disarm();
    client = vstream_fdopen(fd, mail_server_service());
    multi_server_clients++;
    event_enable_read(fd, multi_server_client_event, client);
    if (msg_verbose)
        msg_info("connection established fd %d", fd);
    if (mail_server_count_use()) {
        multi_server_draining = 1;
        multi_server_stop_listening();
    }
    mail_server_status(MASTER_STAT_AVAIL);
}

static void __attribute__((noreturn)) multi_server_alone(void)
{
    struct vstream *client = mail_server_alone_stream();

    mail_server_enter(); /* no event loop: SIGTERM ends the process */
    while (multi_server_execute(client))
        continue;
    mail_server_exit();
}

int
multi_server_main(int argc, char **argv, const struct mail_server *server)
{
    if (server->serve == NULL)
        msg_panic("multi_server_main: no serve function");
    mail_server_start(argc, argv, server, "inet unix pass");
    if (mail_server_state.standalone)
        multi_server_alone();
    for (int i = 0; i < mail_server_state.listen_count; i++)
        event_enable_read(MASTER_LISTEN_FD + i, multi_server_accept,
                          (void *)(long)(MASTER_LISTEN_FD + i));
    mail_server_watch_master();
    mail_server_status(MASTER_STAT_AVAIL);
    mail_server_idle_arm();
    mail_server_run();
}
