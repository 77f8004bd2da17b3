/*
 * postdrop - write a message into the maildrop queue (Postfix's
 * postdrop(1)); the only way a user gets mail into the queue.
 *
 *   postdrop [-rv] [-c config_dir]
 *
 * Installed set-gid setgid_group (mode 2555): maildrop/ is writable by
 * that group only. It reads a record stream on standard input (what
 * sendmail writes: docs/ipc.md "sendmail to postdrop"), writes it into a
 * maildrop file (postdrop_copy.c) that is owned by the user, commits it,
 * wakes the pickup service (a failure there is only a warning: pickup
 * also scans maildrop periodically) and exits 0. Exit status 0 means the
 * file is committed; anything else means nothing was queued and no file
 * is left behind.
 *
 * Options: -c config_dir (as MAIL_CONFIG), -v (verbose), -r (accepted
 * for Postfix compatibility; the result is always the exit status).
 *
 * Because it is set-gid, postdrop trusts nothing from the caller: the
 * environment is replaced by TZ and MAIL_CONFIG alone; a configuration
 * directory other than the default one (-c or MAIL_CONFIG) is accepted
 * only from root or when the default main.cf lists it in
 * alternate_config_directories or multi_instance_directories, with
 * Postfix's messages otherwise; every read of standard input is bounded
 * by daemon_timeout; users that authorized_submit_users does not list
 * are refused ("User NAME(UID) is not allowed to submit mail"); SIGINT,
 * SIGQUIT and SIGHUP are ignored, so that a user interrupting sendmail
 * ends the input (and postdrop removes its temporary file) instead of
 * leaving a half-written file.
 */
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config_dir_check.h"
#include "config/mail_conf.h"
#include "config/mail_params.h"
#include "mail/mail_connect.h"
#include "mail/mail_queue.h"
#include "mail/maildrop.h"
#include "mail/user_list.h"
#include "postdrop.h"
#include "util/argv.h"
#include "util/iostuff.h"
#include "util/msg.h"
#include "util/mymalloc.h"

static void
postdrop_fatal_hook(void)
{
    postdrop_copy_abort();
}

/* Replaces the environment by what postdrop may use; returns MAIL_CONFIG or NULL. */
static char *
postdrop_sanitize_env(void)
{
    const char *value;
    char *config = (value = getenv("MAIL_CONFIG")) ? mystrdup(value) : NULL;
    char *tz = (value = getenv("TZ")) ? mystrdup(value) : NULL;
    int verbose = getenv("MAIL_VERBOSE") != NULL;

    if (clearenv() != 0)
        msg_fatal("clearenv failed");
    if (tz && setenv("TZ", tz, 1) < 0)
        msg_fatal("setenv: %m");
    if (verbose)
        msg_verbose = 1;
    myfree(tz);
    return config;
}

/* authorized_submit_users: may this user submit mail at all? */
static void
postdrop_check_user(uid_t uid)
{
    struct vstring *name = vstring_alloc(32);
    int match = user_list_match("authorized_submit_users", uid, name);

    if (match < 0)
        msg_fatal("authorized_submit_users: table lookup error for user %s(%ld)", vstring_str(name),
                  (long)uid);
    if (match == 0)
        msg_fatal("User %s(%ld) is not allowed to submit mail", vstring_str(name), (long)uid);
    vstring_free(name);
}

static void
postdrop_wake_pickup(void)
{
    const char *service = mail_conf_get("pickup_service_name");

    if (mail_trigger(MAIL_CLASS_PUBLIC, service, "W", 1) < 0)
        msg_warn("unable to look up %s/%s: %m", MAIL_CLASS_PUBLIC, service);
}

int
main(int argc, char **argv)
{
    char *config_dir;
    const char *queue_directory;
    int status;
    int c;

    sane_stdio();
    msg_init("postdrop", MSG_STDERR | MSG_SYSLOG);
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    config_dir = postdrop_sanitize_env();
    umask(022);
    while ((c = getopt(argc, argv, "c:rv")) != -1) {
        switch (c) {
        case 'c':
            myfree(config_dir);
            config_dir = mystrdup(optarg);
            break;
        case 'r':
            break;
        case 'v':
            msg_verbose++;
            break;
        default:
            msg_fatal("usage: %s [-c config_dir] [-rv]", "postdrop");
        }
    }
    if (optind < argc)
        msg_fatal("usage: %s [-c config_dir] [-rv]", "postdrop");
    config_dir_check(config_dir, 1);
    if (config_dir && setenv("MAIL_CONFIG", config_dir, 1) < 0)
        msg_fatal("setenv: %m");
    mail_conf_read(config_dir);
    postdrop_check_user(getuid());
    queue_directory = mail_conf_get("queue_directory");
    if (chdir(queue_directory) < 0)
        msg_fatal("chdir %s: %m", queue_directory);
    mail_queue_configure();
    vstream_set_timeout(vstream_stdin(), (int)mail_conf_get_time("daemon_timeout"));
    msg_set_cleanup(postdrop_fatal_hook);
    status = postdrop_copy(vstream_stdin(), getuid(), mail_conf_get_bool("enable_long_queue_ids"),
                           mail_conf_get_size("message_size_limit"));
    if (status != 0)
        return status > 0 ? status : 1;
    msg_set_cleanup(NULL);
    postdrop_wake_pickup();
    myfree(config_dir);
    return 0;
}
