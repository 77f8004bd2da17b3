/*
 * single_server - the one-client-at-a-time daemon style (smtpd, smtp,
 * local, cleanup, ...); see mail_server.h.
 *
 *   single_server_main(argc, argv, &server)
 *
 * After the shared start-up, the process watches its listeners (inet, unix
 * or pass), the status pipe and the idle timer. A listener that becomes
 * readable is accepted from (several processes share a listener, so an
 * empty backlog is normal and ignored); the process then reports TAKEN,
 * calls server.serve() with the connection as a stream, closes it, counts
 * one use, reports AVAIL and waits again. It exits 0 after max_use
 * clients, max_idle seconds without one, or when the master goes away;
 * a client in progress is always finished first.
 *
 * Stand-alone (-S): standard input and output are the one client.
 */
#include <unistd.h>

#include "master/mail_server_private.h"
#include "master/master_proto.h"
#include "util/events.h"
#include "util/msg.h"

/* One accepted client, from TAKEN to AVAIL. */
static void
single_server_serve(int fd)
{
    const struct mail_server *server = mail_server_state.server;
    struct vstream *client;

    mail_server_idle_disarm();
    mail_server_status(MASTER_STAT_TAKEN);
    mail_server_enter();
    client = vstream_fdopen(fd, mail_server_service());
    if (msg_verbose)
        msg_info("connection established fd %d", fd);
    server->serve(client, mail_server_state.service, mail_server_state.args);
    vstream_close(client);
    if (msg_verbose)
        msg_info("connection closed fd %d", fd);
    mail_server_leave();
    if (mail_server_count_use() || mail_server_stop_due())
        mail_server_exit();
    mail_server_status(MASTER_STAT_AVAIL);
    mail_server_idle_arm();
}

static void
single_server_accept(int event, void *context)
{
    const struct mail_server *server = mail_server_state.server;
    int listen_fd = (int)(long)context;
    int fd;

    (void)event;
    if (server->pre_accept)
        server->pre_accept(mail_server_state.service, mail_server_state.args);
    if ((fd = mail_server_accept(listen_fd)) >= 0)
        single_server_serve(fd);
}

static void __attribute__((noreturn)) single_server_alone(void)
{
    const struct mail_server *server = mail_server_state.server;
    struct vstream *client = mail_server_alone_stream();

    mail_server_enter(); /* no event loop: SIGTERM ends the process */
    server->serve(client, mail_server_state.service, mail_server_state.args);
    vstream_close(client);
    mail_server_exit();
}

int
single_server_main(int argc, char **argv, const struct mail_server *server)
{
    if (server->serve == NULL)
        msg_panic("single_server_main: no serve function");
    mail_server_start(argc, argv, server, "inet unix pass");
    if (mail_server_state.standalone)
        single_server_alone();
    for (int i = 0; i < mail_server_state.listen_count; i++)
        event_enable_read(MASTER_LISTEN_FD + i, single_server_accept,
                          (void *)(long)(MASTER_LISTEN_FD + i));
    mail_server_watch_master();
    mail_server_status(MASTER_STAT_AVAIL);
    mail_server_idle_arm();
    mail_server_run();
}
