/*
 * tern-test-dsnlog - a test-only program that appends one entry to a
 * delivery log (bounce/ID, defer/[hash/]ID, trace/ID) through
 * lib/mail/dsn_log, so integration tests of showq, postqueue and bounce
 * get logs written by the real writer. Never installed.
 *
 *   tern-test-dsnlog -C queue_directory [-H hash_queue_names]
 *                    [-D hash_queue_depth] -q queue -i id -r recipient
 *                    [-o orig_rcpt] [-O dsn_orcpt] [-n notify] [-f offset]
 *                    [-s status] [-a action] [-m reason] [-R relay]
 *                    [-t time]
 *
 * Defaults: status 4.0.0, action delayed, relay none, time now. Exit 1
 * with a message on failure.
 */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "mail/dsn_log.h"
#include "mail/mail_queue.h"
#include "util/msg.h"

int
main(int argc, char **argv)
{
    struct dsn_log_entry e = {"", "", "", 0, 0, "4.0.0", "delayed", "", "none", 0};
    const char *hash_names = "deferred, defer";
    const char *queue = NULL;
    const char *id = NULL;
    int depth = 1;
    int ch;

    msg_init("tern-test-dsnlog", MSG_STDERR);
    e.time = time(NULL);
    while ((ch = getopt(argc, argv, "C:H:D:q:i:r:o:O:n:f:s:a:m:R:t:")) > 0) {
        switch (ch) {
        case 'C':
            if (chdir(optarg) < 0)
                msg_fatal("chdir %s: %m", optarg);
            break;
        case 'H':
            hash_names = optarg;
            break;
        case 'D':
            depth = atoi(optarg);
            break;
        case 'q':
            queue = optarg;
            break;
        case 'i':
            id = optarg;
            break;
        case 'r':
            e.recipient = optarg;
            break;
        case 'o':
            e.orig_rcpt = optarg;
            break;
        case 'O':
            e.dsn_orcpt = optarg;
            break;
        case 'n':
            e.notify = atoi(optarg);
            break;
        case 'f':
            e.offset = strtoull(optarg, NULL, 10);
            break;
        case 's':
            e.status = optarg;
            break;
        case 'a':
            e.action = optarg;
            break;
        case 'm':
            e.reason = optarg;
            break;
        case 'R':
            e.relay = optarg;
            break;
        case 't':
            e.time = (time_t)atol(optarg);
            break;
        default:
            msg_fatal("usage: tern-test-dsnlog -C dir -q queue -i id -r recipient [options]");
        }
    }
    if (queue == NULL || id == NULL || *e.recipient == 0)
        msg_fatal("usage: tern-test-dsnlog -C dir -q queue -i id -r recipient [options]");
    mail_queue_set_hash(hash_names, depth);
    if (dsn_log_append(queue, id, &e) < 0)
        msg_fatal("append to %s/%s: %m", queue, id);
    return 0;
}
