/*
 * tern-test-flush - a test-only client of the fast flush service through
 * lib/mail/flush_clnt, as qmgr (flush_add) and postqueue (flush_send_*)
 * use it. Never installed.
 *
 *   tern-test-flush add SITE QUEUE_ID
 *   tern-test-flush send_site SITE
 *   tern-test-flush send_file QUEUE_ID
 *   tern-test-flush refresh | purge
 *   tern-test-flush eligible SITE
 *
 * main.cf comes from $MAIL_CONFIG (or the default directory); the program
 * changes into queue_directory first, as every client does. It prints the
 * flush_clnt result on standard output ("status N"; for eligible the
 * flush_site_eligible result) and exits 0; a usage error exits 2.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "mail/flush_clnt.h"
#include "mail/mail_queue.h"
#include "util/msg.h"

static void
call_usage(void)
{
    fprintf(stderr, "usage: tern-test-flush add SITE ID | send_site SITE | send_file ID | "
                    "refresh | purge | eligible SITE\n");
    _exit(2);
}

static int
call_run(int argc, char **argv)
{
    const char *req = argv[1];

    if (strcmp(req, "add") == 0 && argc == 4)
        return flush_add(argv[2], argv[3]);
    if (strcmp(req, "send_site") == 0 && argc == 3)
        return flush_send_site(argv[2]);
    if (strcmp(req, "send_file") == 0 && argc == 3)
        return flush_send_file(argv[2]);
    if (strcmp(req, "refresh") == 0 && argc == 2)
        return flush_refresh();
    if (strcmp(req, "purge") == 0 && argc == 2)
        return flush_purge();
    if (strcmp(req, "eligible") == 0 && argc == 3)
        return flush_site_eligible(argv[2]);
    call_usage();
    return 0;
}

int
main(int argc, char **argv)
{
    const char *queue_directory;

    msg_init("tern-test-flush", MSG_STDERR);
    if (argc < 2)
        call_usage();
    mail_conf_read(NULL);
    queue_directory = mail_conf_get("queue_directory");
    if (chdir(queue_directory) < 0)
        msg_fatal("chdir %s: %m", queue_directory);
    mail_queue_configure();
    printf("status %d\n", call_run(argc, argv));
    return 0;
}
