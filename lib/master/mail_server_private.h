/*
 * mail_server_private - what the three daemon styles (single_server.c,
 * multi_server.c, trigger_server.c) share with the common start-up and
 * run-time code (mail_server.c, mail_server_run.c, mail_server_io.c).
 * Nothing outside lib/master includes this file.
 *
 *   mail_server_start(argc, argv, server, types)
 *       start-up steps 1-6 of mail_server.h; types is the space-separated
 *       list of -t values the style accepts. Returns after post_init.
 *   mail_server_status(avail)
 *       one status record to the master (nothing in stand-alone mode). A
 *       write that fails means the master is gone: the process then
 *       stops at its next chance (mail_server_stop_due()).
 *   mail_server_catch_sigterm()
 *       from now on SIGTERM ends the process between event rounds (start-up
 *       step 3).
 *   mail_server_enter() / mail_server_leave()
 *       bracket a service callback: while inside, SIGTERM ends the process
 *       at once (_exit(0)); outside, it ends it between event rounds with
 *       the pre_exit hook. Leave also pats the watchdog.
 *   mail_server_count_use()
 *       counts one client or trigger; true when max_use is now reached
 *       (never for server.unlimited).
 *   mail_server_idle_arm() / mail_server_idle_disarm()
 *       start or stop the max_idle count-down (nothing for unlimited).
 *   mail_server_stop_due()    true once the master went away
 *   mail_server_watch_master()  exit when the status pipe reports hang-up
 *   mail_server_run()         the event loop, with loop() and the watchdog
 *   mail_server_exit()        pre_exit hook, then exit(0)
 *   mail_server_alone_stream()  the stand-alone client: stdin/stdout as one
 *       read-write stream (a relay process joins two pipes into one socket)
 *   mail_server_accept(fd)    accept(2) on a non-blocking listener: the new
 *       descriptor, or -1 after a peer-caused failure or an empty backlog
 *       (a real failure is fatal); for "pass" it also receives the
 *       descriptor the connected peer sends and returns that instead.
 */
#ifndef TERN_MAIL_SERVER_PRIVATE_H
#define TERN_MAIL_SERVER_PRIVATE_H

#include "master/mail_server.h"
#include "util/vstream.h"

struct mail_server_state {
    const struct mail_server *server;
    const char *service; /* -n */
    const char *type;    /* -t, or NULL */
    char **args;         /* non-option arguments, NULL-terminated */
    int listen_count;    /* -s, 1 by default; 0 stand-alone */
    int standalone;      /* -S */
    int unprivileged;    /* -u */
    int chroot;          /* -c */
    int solitary;        /* -l */
    unsigned generation; /* $GENERATION */
    long max_use;
    long max_idle;
    long daemon_timeout;
    long use_count;
    int master_gone;
};

extern struct mail_server_state mail_server_state;

void mail_server_start(int argc, char **argv, const struct mail_server *server, const char *types);
void mail_server_status(int avail);
void mail_server_catch_sigterm(void);
void mail_server_enter(void);
void mail_server_leave(void);
int mail_server_count_use(void);
void mail_server_idle_arm(void);
void mail_server_idle_disarm(void);
int mail_server_stop_due(void);
void mail_server_watch_master(void);
void mail_server_run(void) __attribute__((noreturn));
void mail_server_exit(void) __attribute__((noreturn));
struct vstream *mail_server_alone_stream(void);
int mail_server_accept(int listen_fd);

#define MAIL_SERVER_PASS_TIMEOUT_MS 5000 /* wait for the passed descriptor */

#endif
