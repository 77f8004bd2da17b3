/*
 * mail_server - the daemon skeleton: every Tern daemon is a service
 * function plugged into one of three styles.
 *
 *   single_server_main(argc, argv, &server)   one client at a time
 *       (smtpd, smtp, local, cleanup, ...): the child waits on its
 *       listener, accepts one connection, reports itself TAKEN to the
 *       master, calls server.serve(stream, service, args), closes the
 *       connection, reports AVAIL, and waits again.
 *   multi_server_main(argc, argv, &server)    many clients in one event loop
 *       (trivial-rewrite, showq, anvil): serve(stream, ...) is called each
 *       time a connected client has input; it answers one request and
 *       returns. multi_server_disconnect(stream) ends a client (the
 *       skeleton calls it itself at end of file or on a stream error).
 *   trigger_server_main(argc, argv, &server)  wake-ups (pickup, qmgr, flush)
 *       and datagrams (postlogd): server.trigger(buf, len, service, args)
 *       gets the bytes of one wake-up: read from a FIFO, from one accepted
 *       UNIX stream connection (read, then closed), or one datagram
 *       (unix-dgram). Up to server.trigger_size bytes (default 1024).
 *
 * Each main() does the same start-up, in this order:
 *   1. parse the command line (master_proto.h: -n -t -u -c -s -l -v -o -S);
 *   2. mail_conf_read(NULL) ($MAIL_CONFIG), then apply the -o overrides,
 *      then set msg's syslog name (so "-o syslog_name=postfix/submission"
 *      gives "postfix/submission/smtpd[PID]") and msg_verbose;
 *   3. check that stdin/stdout/stderr are open (/dev/null otherwise) and
 *      ignore SIGPIPE; SIGTERM ends the process (exit 0, pre_exit hook);
 *   4. server.pre_init(service, args): open tables, TLS keys and files that
 *      the jail or the unprivileged user could not reach;
 *   5. chroot into queue_directory when -c, become mail_owner when -u
 *      (chroot_uid; fatal when mail_owner is unknown or is root);
 *   6. server.post_init(service, args);
 *   7. serve until: max_use clients/triggers served (-o max_use), max_idle
 *      seconds without work (-o max_idle), the master closes the status
 *      pipe (reload/stop), or a fatal error. Then server.pre_exit (if set)
 *      and exit(0). server.unlimited (qmgr, postlogd) ignores max_use and
 *      max_idle. A watchdog (daemon_timeout) ends a child that stops making
 *      progress; it is patted between requests and after each event round.
 *
 * server.loop(service, args), when set, runs before each wait; it returns
 * the longest the next wait may take in seconds, or -1 for no limit (qmgr
 * schedules its own work this way). Timers of events.h may be used too.
 *
 * server.pre_accept(service, args), when set, runs before each accept.
 *
 * Stand-alone mode (-S, for tests and debugging): no master, no listener;
 * single and multi serve stdin/stdout as one client and exit; trigger reads
 * one trigger from stdin. Privileges are dropped as usual.
 *
 * The args passed to callbacks are the non-option command-line arguments
 * (NULL-terminated). The service name is -n's value ("smtp", "127.0.0.1:2525",
 * "pickup").
 *
 * Bad input from the master (a bad option, a missing listener) is fatal
 * with a clear message. Accept errors caused by a peer (ECONNABORTED, ...)
 * are ignored; a client that times out or disconnects ends only its own
 * request.
 */
#ifndef TERN_MAIL_SERVER_H
#define TERN_MAIL_SERVER_H

#include <stddef.h>
#include <sys/types.h>

#include "util/vstream.h"

struct mail_server {
    /* Service function, by style. */
    void (*serve)(struct vstream *client, const char *service, char **args);
    void (*trigger)(char *buf, ssize_t len, const char *service, char **args);

    /* Optional hooks. */
    void (*pre_init)(const char *service, char **args);
    void (*post_init)(const char *service, char **args);
    int (*loop)(const char *service, char **args);
    void (*pre_accept)(const char *service, char **args);
    void (*pre_exit)(const char *service, char **args);

    size_t trigger_size; /* trigger buffer size; 0: 1024 */
    int unlimited;       /* ignore max_use and max_idle (long-running) */
    int solitary;        /* fatal unless master.cf maxproc is 1 (qmgr) */
};

int single_server_main(int argc, char **argv, const struct mail_server *server)
    __attribute__((noreturn));
int multi_server_main(int argc, char **argv, const struct mail_server *server)
    __attribute__((noreturn));
int trigger_server_main(int argc, char **argv, const struct mail_server *server)
    __attribute__((noreturn));

void multi_server_disconnect(struct vstream *client);

/* The service name and type the process was started for; valid after step 1. */
const char *mail_server_service(void);
const char *mail_server_type(void);

#endif
