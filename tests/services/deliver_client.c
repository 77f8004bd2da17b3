/*
 * tern-test-deliver - a test-only program that plays qmgr for one
 * deliver_v1 request (docs/ipc.md) and prints each recipient's result.
 * Never installed.
 *
 *   tern-test-deliver [-C queue_directory] [-q queue] [-n nexthop]
 *                     [-F flags] [-t timeout] [-r address]... [-D]
 *                     (-s service | -S) queue_id [agent argv...]
 *
 * The envelope (arrival time, sender, attributes, DSN fields, recipients
 * with their offsets) comes from the queue file QUEUE/QUEUE_ID (default
 * queue: active) under -C's directory (default: the current one). All
 * recipients not marked done are sent, or with -r only those addresses.
 * time_active is now. The agent is either the service private/SERVICE
 * under the queue directory (-s, e.g. a master instance's local) or the
 * command AGENT ARGV..., started with a socket on its standard input and
 * output (-S: run it with its own -S option). -D removes the queue file
 * after reading it, before the request is sent (an agent's view of a
 * message that went away). -F sets the request flags (1 verify, 2 expand).
 *
 * Output, one line per recipient, then the final status:
 *   ADDRESS: status=N dsn=X.Y.Z action=ACTION relay=RELAY reason=TEXT
 *   final: status=N reason=TEXT
 * Exit 0 when the agent answered the whole request; 1 when it broke the
 * protocol or went away ("protocol error: ..."), or on a usage or queue
 * file error (a fatal message).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mail/attr.h"
#include "mail/deliver_pass.h"
#include "mail/qfile.h"
#include "util/argv.h"
#include "util/htable.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/vstream.h"
#include "util/vstring.h"

struct client_rcpts {
    int count;
    int size;
    struct deliver_rcpt *list;
};

static int
client_wanted(const struct argv *only, const char *address)
{
    if (only->argc == 0)
        return 1;
    for (size_t i = 0; i < only->argc; i++)
        if (strcmp(only->argv[i], address) == 0)
            return 1;
    return 0;
}

static void
client_add_rcpt(struct client_rcpts *rcpts, const struct qfile_rec *rec)
{
    struct deliver_rcpt *r;

    if (rcpts->count == rcpts->size) {
        rcpts->size = rcpts->size ? rcpts->size * 2 : 8;
        rcpts->list = myrealloc(rcpts->list, sizeof(*rcpts->list) * (size_t)rcpts->size);
    }
    r = rcpts->list + rcpts->count++;
    r->offset = rec->offset;
    r->address = mystrdup(rec->rcpt.address);
    r->orig_rcpt = mystrdup(rec->rcpt.orig_rcpt ? rec->rcpt.orig_rcpt : "");
    r->dsn_orcpt = mystrdup(rec->rcpt.dsn_orcpt ? rec->rcpt.dsn_orcpt : "");
    r->notify = rec->rcpt.notify;
}

/* Reads one section's records into req and rcpts, up to STOP. */
static void
client_read_section(struct qfile *qf, int stop, struct deliver_request *req,
                    struct client_rcpts *rcpts, const struct argv *only)
{
    struct vstring *why = vstring_alloc(100);
    struct qfile_rec rec;
    int type;

    while ((type = qfile_read(qf, &rec, why)) > 0 && type != stop) {
        switch (type) {
        case REC_TYPE_TIME:
            req->time_arrival = (int64_t)rec.time.tv_sec * 1000000 + rec.time.tv_usec;
            break;
        case REC_TYPE_SENDER:
            req->sender = mystrdup(rec.text);
            break;
        case REC_TYPE_ATTR:
            if (htable_find(req->attrs, rec.name) == NULL)
                htable_enter(req->attrs, rec.name, mystrdup(rec.value));
            break;
        case REC_TYPE_DSN_ENVID:
            req->dsn_envid = mystrdup(rec.text);
            break;
        case REC_TYPE_DSN_RET:
            req->dsn_ret = rec.ret;
            break;
        case REC_TYPE_RCPT:
            if (rec.rcpt.status == REC_RCPT_PENDING && client_wanted(only, rec.rcpt.address))
                client_add_rcpt(rcpts, &rec);
            break;
        }
    }
    if (type < 0)
        msg_fatal("read queue file: %s", vstring_str(why));
    vstring_free(why);
}

static void
client_load(const char *queue, const char *id, struct deliver_request *req,
            struct client_rcpts *rcpts, const struct argv *only)
{
    struct vstring *why = vstring_alloc(100);
    struct qfile *qf;
    struct timeval now;

    if (qfile_open(queue, id, QFILE_OPEN_READ, &qf, why) != QFILE_OK)
        msg_fatal("open queue file %s/%s: %s", queue, id, vstring_str(why));
    req->queue_name = mystrdup(queue);
    req->queue_id = mystrdup(id);
    req->attrs = htable_create(16);
    req->sender = NULL;
    req->dsn_envid = NULL;
    client_read_section(qf, REC_TYPE_MESG, req, rcpts, only);
    if (qfile_seek(qf, qfile_info(qf)->extracted_offset, why) < 0)
        msg_fatal("seek queue file: %s", vstring_str(why));
    client_read_section(qf, REC_TYPE_END, req, rcpts, only);
    req->data_offset = qfile_info(qf)->content_offset;
    req->data_size = qfile_info(qf)->content_size;
    if (req->sender == NULL)
        req->sender = mystrdup("");
    if (req->dsn_envid == NULL)
        req->dsn_envid = mystrdup("");
    gettimeofday(&now, NULL);
    req->time_active = (int64_t)now.tv_sec * 1000000 + now.tv_usec;
    qfile_close(qf);
    vstring_free(why);
    if (rcpts->count == 0)
        msg_fatal("no recipients to deliver");
}

/* Starts the agent on a socket pair; returns our end as a stream. */
static struct vstream *
client_spawn(char **agent, pid_t *pid)
{
    int sv[2];

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        msg_fatal("socketpair: %m");
    if ((*pid = fork()) < 0)
        msg_fatal("fork: %m");
    if (*pid == 0) {
        close(sv[0]);
        if (dup2(sv[1], 0) < 0 || dup2(sv[1], 1) < 0)
            _exit(127);
        if (sv[1] > 1)
            close(sv[1]);
        execv(agent[0], agent);
        _exit(127);
    }
    close(sv[1]);
    return vstream_fdopen(sv[0], "agent");
}

static void
client_print(const struct deliver_request *req, int count, const struct deliver_rcpt *rcpts,
             const struct deliver_result *res, int status, const char *reason)
{
    (void)req;
    for (int i = 0; i < count; i++)
        vstream_printf(vstream_stdout(), "%s: status=%d dsn=%s action=%s relay=%s reason=%s\n",
                       rcpts[i].address, res[i].status, res[i].dsn_status, res[i].dsn_action,
                       res[i].relay, res[i].reason);
    vstream_printf(vstream_stdout(), "final: status=%d reason=%s\n", status, reason);
    vstream_flush(vstream_stdout());
}

static void
usage(void)
{
    msg_fatal("usage: tern-test-deliver [-C dir] [-q queue] [-n nexthop] [-F flags] "
              "[-t timeout] [-r addr]... [-D] (-s service | -S) queue_id [agent argv...]");
}

int
main(int argc, char **argv)
{
    struct deliver_request req;
    struct client_rcpts rcpts = {0, 0, NULL};
    struct argv *only = argv_alloc(4);
    const char *queue = "active", *nexthop = "localhost", *service = NULL;
    struct vstring *why = vstring_alloc(100);
    struct deliver_result *res;
    struct vstream *fp;
    int standalone = 0, timeout = 60, status = 0, remove_file = 0, ch, ret;
    pid_t pid = -1;

    msg_init("tern-test-deliver", 1);
    signal(SIGPIPE, SIG_IGN);
    memset(&req, 0, sizeof(req));
    while ((ch = getopt(argc, argv, "+C:q:n:F:t:r:s:SD")) > 0) {
        switch (ch) {
        case 'C':
            if (chdir(optarg) < 0)
                msg_fatal("chdir %s: %m", optarg);
            break;
        case 'q':
            queue = optarg;
            break;
        case 'n':
            nexthop = optarg;
            break;
        case 'F':
            req.flags = atoi(optarg);
            break;
        case 't':
            timeout = atoi(optarg);
            break;
        case 'r':
            argv_add(only, optarg);
            break;
        case 's':
            service = optarg;
            break;
        case 'S':
            standalone = 1;
            break;
        case 'D':
            remove_file = 1;
            break;
        default:
            usage();
        }
    }
    if (optind >= argc || (service == NULL) == (standalone == 0) ||
        (standalone && optind + 1 >= argc))
        usage();
    client_load(queue, argv[optind], &req, &rcpts, only);
    if (remove_file) {
        vstring_sprintf(why, "%s/%s", queue, argv[optind]);
        if (unlink(vstring_str(why)) < 0)
            msg_fatal("remove %s: %m", vstring_str(why));
    }
    if (standalone) {
        fp = client_spawn(argv + optind + 1, &pid);
        vstream_set_timeout(fp, timeout);
        if (attr_expect_protocol(fp, DELIVER_PROTOCOL) < 0)
            msg_fatal("agent: %s", attr_error_reason());
    } else if ((fp = deliver_pass_connect(service, timeout, why)) == NULL) {
        msg_fatal("%s", vstring_str(why));
    }
    vstream_set_timeout(fp, timeout);
    res = mymalloc(sizeof(*res) * (size_t)rcpts.count);
    if (deliver_pass_send(fp, &req, nexthop, rcpts.count, rcpts.list) < 0 ||
        deliver_pass_recv(fp, rcpts.count, res, &status, why) < 0) {
        vstream_printf(vstream_stdout(), "protocol error: %s\n", attr_error_reason());
        vstream_flush(vstream_stdout());
        ret = 1;
    } else {
        client_print(&req, rcpts.count, rcpts.list, res, status, vstring_str(why));
        ret = 0;
    }
    vstream_close(fp);
    if (pid > 0)
        waitpid(pid, NULL, 0);
    exit(ret);
}
