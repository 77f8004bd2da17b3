/*
 * pickup - the local mail pickup daemon: a trigger-style service
 * (master.cf "pickup unix n - y 60 1 pickup") that takes the files
 * postdrop left in maildrop/ and hands each to cleanup as a new message.
 *
 *   pickup [daemon skeleton options]
 *
 * Every wake-up (postdrop's "W", or the master's periodic one) scans
 * maildrop (mail_queue_scan_*) and feeds each file (pickup_file.c); so
 * does the start of the process. At the first scan and then once an
 * hour, the temporary files of writers that died are removed
 * (mail_queue_remove_stale: unlocked and unchanged for an hour).
 *
 * A file is removed only after cleanup answered status 0 (a crash in
 * between gives a duplicate, never a loss); a file cleanup refused for
 * good is removed with a warning; after a temporary failure the scan
 * stops and the file waits for the next one.
 */
#include <pwd.h>
#include <string.h>
#include <time.h>

#include "config/mail_conf.h"
#include "mail/mail_queue.h"
#include "master/mail_server.h"
#include "pickup.h"
#include "util/msg.h"
#include "util/mymalloc.h"

#define PICKUP_STALE_INTERVAL 3600 /* seconds between stale file sweeps */
#define PICKUP_STALE_AGE 3600      /* a temporary file this old and unlocked is dead */

struct pickup_config pickup_cf;

static void
pickup_scan(void)
{
    static time_t last_sweep;
    struct mail_queue_scan *scan;
    const char *id;
    char *copy;
    time_t now = time(NULL);

    if (last_sweep == 0 || now - last_sweep >= PICKUP_STALE_INTERVAL) {
        last_sweep = now;
        (void)mail_queue_remove_stale(MAIL_QUEUE_MAILDROP, PICKUP_STALE_AGE);
    }
    if ((scan = mail_queue_scan_open(MAIL_QUEUE_MAILDROP)) == NULL) {
        msg_warn("open queue %s: %m", MAIL_QUEUE_MAILDROP);
        return;
    }
    while ((id = mail_queue_scan_next(scan)) != NULL) {
        copy = mystrdup(id);
        if (pickup_file(copy) == PICKUP_RETRY) {
            myfree(copy);
            break;
        }
        myfree(copy);
    }
    mail_queue_scan_close(scan);
}

static void
pickup_trigger(char *buf, ssize_t len, const char *service, char **args)
{
    (void)buf;
    (void)len;
    (void)service;
    (void)args;
    pickup_scan();
}

static void
pickup_pre_init(const char *service, char **args)
{
    struct passwd *pw;

    (void)service;
    (void)args;
    if ((pw = getpwnam(mail_conf_get("mail_owner"))) == NULL)
        msg_fatal("file %s: parameter mail_owner: unknown user name value: %s",
                  mail_conf_path() ? mail_conf_path() : "main.cf", mail_conf_get("mail_owner"));
    pickup_cf.mail_owner_uid = pw->pw_uid;
    pickup_cf.cleanup_service_name = mystrdup(mail_conf_get("cleanup_service_name"));
    pickup_cf.ipc_timeout = (int)mail_conf_get_time("ipc_timeout");
}

static void
pickup_post_init(const char *service, char **args)
{
    (void)service;
    (void)args;
    pickup_scan();
}

int
main(int argc, char **argv)
{
    static const struct mail_server server = {
        .trigger = pickup_trigger,
        .pre_init = pickup_pre_init,
        .post_init = pickup_post_init,
    };

    trigger_server_main(argc, argv, &server);
}
