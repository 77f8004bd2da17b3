/*
 * postqueue - the users' queue control command, as Postfix's postqueue(1).
 *
 *   postqueue [-v] [-c config_dir] -f | -i queue_id | -j | -p | -s site
 *
 * -p lists the queue in the traditional format (mailq), -j as JSON lines
 * (postqueue_show.c, through the showq service). -f asks qmgr to try
 * every deferred message now: the wake-up bytes "FDA" (forget dead
 * destinations, scan deferred, take all; docs/ipc.md) to
 * public/$queue_service_name, and "W" to pickup. -i and -s ask the fast
 * flush service (flush(8), public/$flush_service_name, through
 * lib/mail/flush_clnt) to make one deferred message, or every deferred
 * message listed for a site, due now. The argument is checked first (a
 * queue id; a host name or address literal); a site must match
 * fast_flush_domains ("Flush service is not configured for destination
 * ..."), and without a flush service the request fails with Postfix's
 * "Cannot flush mail queue - mail system is down".
 *
 * Installed set-gid setgid_group (conf/postfix-files). So, as in Postfix:
 * a configuration directory other than the default (-c, MAIL_CONFIG) is
 * accepted from anyone but root only when the default main.cf lists it in
 * alternate_config_directories or multi_instance_directories
 * (lib/config/config_dir_check); -v is for root only;
 * authorized_mailq_users and authorized_flush_users say who may list
 * and flush (root always may; otherwise lib/mail/user_list: user names,
 * "!name" and "type:table" patterns looked up by user name;
 * static:anyone, the default, admits everyone).
 *
 * Every fatal error exits with status 69 (EX_UNAVAILABLE), with Postfix's
 * wording, e.g. "usage: postqueue -f | ...".
 */
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config_dir_check.h"
#include "config/mail_conf.h"
#include "config/mail_params.h"
#include "mail/flush_clnt.h"
#include "mail/mail_connect.h"
#include "mail/mail_queue.h"
#include "mail/queue_id.h"
#include "mail/user_list.h"
#include "mail/valid_hostname.h"
#include "postqueue.h"
#include "util/argv.h"
#include "util/msg.h"
#include "util/set_ugid.h"
#include "util/vstring.h"

#define POSTQUEUE_USAGE                                                                            \
    "usage: postqueue -f | postqueue -i queueid | postqueue -j | postqueue -p | postqueue -s site"

enum postqueue_mode { PQ_NONE, PQ_FLUSH, PQ_ID, PQ_JSON, PQ_LIST, PQ_SITE };

static void
postqueue_usage(void)
{
    msg_fatal_status(EX_UNAVAILABLE, POSTQUEUE_USAGE);
}

/* Does the user list in PARAM admit the caller? Root always may. */
static int
postqueue_user_ok(const char *param)
{
    struct vstring *name = vstring_alloc(32);
    int match;

    if (getuid() == 0)
        return 1;
    if ((match = user_list_match(param, getuid(), name)) < 0)
        msg_fatal_status(EX_UNAVAILABLE, "%s: table lookup problem", param);
    vstring_free(name);
    return match;
}

static void
postqueue_refuse(const char *what)
{
    struct passwd *pw = getpwuid(getuid());

    msg_fatal_status(EX_UNAVAILABLE, "User %s(%ld) is not allowed to %s the mail queue",
                     pw ? pw->pw_name : "unknown", (long)getuid(), what);
}

/* -f: wake qmgr for every deferred message, and pickup. */
static void
postqueue_flush(void)
{
    if (mail_trigger(MAIL_CLASS_PUBLIC, mail_conf_get("queue_service_name"), "FDA", 3) < 0)
        msg_fatal_status(EX_UNAVAILABLE, "Cannot flush mail queue - mail system is down");
    (void)mail_trigger(MAIL_CLASS_PUBLIC, mail_conf_get("pickup_service_name"), "W", 1);
}

/*
 * -i and -s: the fast flush service (lib/mail/flush_clnt.h), with
 * Postfix's messages for each reply; every one of them exits 69.
 */
static void
postqueue_flush_id(const char *id)
{
    int status;

    if (!queue_id_ok(id))
        msg_fatal_status(EX_UNAVAILABLE, "Cannot flush queue ID - invalid name: \"%.100s%s\"", id,
                         strlen(id) > 100 ? "..." : "");
    if (msg_verbose)
        msg_info("%s: requesting delivery for queue_id %s", __func__, id);
    switch (status = flush_send_file(id)) {
    case FLUSH_STAT_OK:
        return;
    case FLUSH_STAT_BAD:
        msg_fatal_status(EX_UNAVAILABLE, "Invalid request: \"%s\"", id);
    case FLUSH_STAT_FAIL:
        msg_fatal_status(EX_UNAVAILABLE, "Cannot flush mail queue - mail system is down");
    default:
        msg_fatal_status(EX_UNAVAILABLE, "Unexpected flush server reply status %d", status);
    }
}

static void
postqueue_flush_site(const char *site)
{
    int status;

    if (!valid_hostname(site, 0) && !valid_mailhost_literal(site))
        msg_fatal_status(EX_UNAVAILABLE,
                         "Cannot flush mail queue - invalid destination: \"%.100s%s\"", site,
                         strlen(site) > 100 ? "..." : "");
    if (msg_verbose)
        msg_info("%s: requesting delivery for site %s", __func__, site);
    switch (status = flush_send_site(site)) {
    case FLUSH_STAT_OK:
        return;
    case FLUSH_STAT_BAD:
        msg_fatal_status(EX_UNAVAILABLE, "Invalid request: \"%s\"", site);
    case FLUSH_STAT_FAIL:
        msg_fatal_status(EX_UNAVAILABLE, "Cannot flush mail queue - mail system is down");
    case FLUSH_STAT_DENY:
        msg_fatal_status(EX_UNAVAILABLE, "Flush service is not configured for destination \"%s\"",
                         site);
    default:
        msg_fatal_status(EX_UNAVAILABLE, "Unknown flush server reply status %d", status);
    }
}

/* Options; returns the mode and its argument. */
static enum postqueue_mode
postqueue_parse(int argc, char **argv, const char **arg)
{
    enum postqueue_mode mode = PQ_NONE;
    enum postqueue_mode want;
    int ch;

    while ((ch = getopt(argc, argv, "+c:fi:jps:v")) > 0) {
        want = PQ_NONE;
        switch (ch) {
        case 'c':
            if (setenv("MAIL_CONFIG", optarg, 1) < 0)
                msg_fatal_status(EX_UNAVAILABLE, "out of memory");
            continue;
        case 'v':
            if (getuid() == 0)
                msg_verbose++;
            continue;
        case 'f':
            want = PQ_FLUSH;
            break;
        case 'i':
            want = PQ_ID;
            *arg = optarg;
            break;
        case 'j':
            want = PQ_JSON;
            break;
        case 'p':
            want = PQ_LIST;
            break;
        case 's':
            want = PQ_SITE;
            *arg = optarg;
            break;
        default:
            postqueue_usage();
        }
        if (mode != PQ_NONE)
            postqueue_usage();
        mode = want;
    }
    if (argc > optind || mode == PQ_NONE)
        postqueue_usage();
    return mode;
}

/* main.cf as allowed, the queue directory, the hash settings. */
static void
postqueue_configure(void)
{
    const char *queue_directory;

    config_dir_check(getenv("MAIL_CONFIG"), EX_UNAVAILABLE);
    mail_conf_read(NULL);
    queue_directory = mail_conf_get("queue_directory");
    if (chdir(queue_directory) < 0)
        msg_fatal_status(EX_UNAVAILABLE, "chdir %s: %m", queue_directory);
    mail_queue_configure();
}

int
main(int argc, char **argv)
{
    enum postqueue_mode mode;
    const char *arg = NULL;

    msg_init("postqueue", MSG_STDERR | MSG_SYSLOG);
    mode = postqueue_parse(argc, argv, &arg);
    postqueue_configure();
    switch (mode) {
    case PQ_LIST:
    case PQ_JSON:
        if (!postqueue_user_ok("authorized_mailq_users"))
            postqueue_refuse("view");
        postqueue_show(mode == PQ_LIST ? POSTQUEUE_SHOW_TEXT : POSTQUEUE_SHOW_JSON);
        break;
    case PQ_FLUSH:
    case PQ_ID:
    case PQ_SITE:
        if (!postqueue_user_ok("authorized_flush_users"))
            postqueue_refuse("flush");
        if (mode == PQ_FLUSH)
            postqueue_flush();
        else if (mode == PQ_ID)
            postqueue_flush_id(arg);
        else
            postqueue_flush_site(arg);
        break;
    default:
        postqueue_usage();
    }
    return 0;
}
