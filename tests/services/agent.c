/*
 * tern-test-agent - a test-only delivery agent built on deliver_request
 * (protocol deliver_v1), used as a transport by qmgr's tests and the
 * crash tests. Never installed.
 *
 *   master.cf: test unix - n n - - tern-test-agent /path/to/outfile
 *
 * For each request it appends one line "start PID NRCPT SECONDS" and, at
 * the end, "end PID SECONDS" to OUTFILE.events (so a test can count
 * requests, recipients per request and overlapping deliveries). Each
 * recipient is handled by its local part:
 *   bounce-*   bounced, 5.1.1 "test bounce"
 *   defer-*    deferred, 4.2.0 "test defer"
 *   slow-*     delivered after sleeping 1 second
 *   crash-*    the agent exits at once, without any reply
 *   anything else: delivered
 * The queue file is opened once, before any recipient (as a real agent
 * does), so a message that postsuper moves meanwhile is still delivered.
 * A delivered recipient appends one record to OUTFILE with one write(2)
 * (O_APPEND, so concurrent agents never interleave):
 *   "=== QUEUEID <RECIPIENT> <SENDER> nexthop=NEXTHOP\n" then the content
 *   lines, then "===.\n".
 * With DEL_REQ_FLAG_VERIFY nothing is written and the result says what
 * would happen. A queue file that cannot be opened fails the request
 * (final status 1, every recipient deferred "4.3.0 queue file: REASON").
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "mail/deliver_request.h"
#include "mail/qfile.h"
#include "master/mail_server.h"
#include "util/msg.h"
#include "util/vstring.h"

static const char *agent_out;

static double
agent_now(void)
{
    struct timeval tv;

    gettimeofday(&tv, NULL);
    return tv.tv_sec + tv.tv_usec / 1e6;
}

/* Appends TEXT to PATH in one write. */
static void
agent_append(const char *path, const char *text, size_t len)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);

    if (fd < 0)
        msg_fatal("open %s: %m", path);
    if (write(fd, text, len) != (ssize_t)len)
        msg_fatal("write %s: %m", path);
    close(fd);
}

static void
agent_event(const char *fmt, long a, double when)
{
    struct vstring *path = vstring_alloc(100);
    struct vstring *line = vstring_alloc(100);

    vstring_sprintf(path, "%s.events", agent_out);
    vstring_sprintf(line, fmt, (long)getpid(), a, when);
    agent_append(vstring_str(path), vstring_str(line), vstring_len(line));
    vstring_free(path);
    vstring_free(line);
}

static int
agent_prefix(const char *addr, const char *prefix)
{
    return strncmp(addr, prefix, strlen(prefix)) == 0;
}

/* Delivers one recipient's copy into the output file; 0 or -1. */
static int
agent_deliver(struct deliver_request *req, struct qfile *qf, int i, struct vstring *why)
{
    struct vstring *rec = vstring_alloc(1024);
    struct qfile_rec r;
    int type;

    if (qf == NULL || qfile_seek_content(qf, why) < 0) {
        vstring_free(rec);
        return -1;
    }
    vstring_sprintf(rec, "=== %s <%s> <%s> nexthop=%s\n", req->queue_id, req->rcpt[i].address,
                    req->sender, req->nexthop);
    while ((type = qfile_read(qf, &r, why)) == REC_TYPE_NORM || type == REC_TYPE_CONT) {
        vstring_memcat(rec, r.data, r.len);
        if (type == REC_TYPE_NORM)
            vstring_addch(rec, '\n');
    }
    if (type != REC_TYPE_XTRA) {
        vstring_free(rec);
        return -1;
    }
    vstring_strcat(rec, "===.\n");
    agent_append(agent_out, vstring_str(rec), vstring_len(rec));
    vstring_free(rec);
    return 0;
}

static void
agent_serve(struct vstream *client, const char *service, char **args)
{
    struct deliver_request *req;
    struct vstring *why = vstring_alloc(100);
    struct qfile *qf;
    int verify;

    (void)service;
    (void)args;
    if ((req = deliver_request_read(client)) == NULL) {
        vstring_free(why);
        return;
    }
    verify = req->flags & (DEL_REQ_FLAG_VERIFY | DEL_REQ_FLAG_EXPAND);
    agent_event("start %ld %ld %.3f\n", req->rcpt_count, agent_now());
    qf = deliver_request_content(req, why); /* opened first, as real agents do */
    for (int i = 0; i < req->rcpt_count; i++) {
        const char *addr = req->rcpt[i].address;

        if (agent_prefix(addr, "crash-"))
            _exit(1);
        if (agent_prefix(addr, "bounce-")) {
            deliver_result(req, i, DEL_RCPT_BOUNCE, "5.1.1", "failed", "test", "test bounce");
        } else if (agent_prefix(addr, "defer-")) {
            deliver_result(req, i, DEL_RCPT_DEFER, "4.2.0", "delayed", "test", "test defer");
        } else {
            if (agent_prefix(addr, "slow-"))
                sleep(1);
            if (!verify && agent_deliver(req, qf, i, why) < 0)
                deliver_result(req, i, DEL_RCPT_DEFER, "4.3.0", "delayed", "test", "queue file: %s",
                               vstring_str(why));
            else
                deliver_result(req, i, DEL_RCPT_OK, "2.0.0", "delivered", "test",
                               verify ? "deliverable" : "delivered to test file");
        }
    }
    if (qf != NULL)
        qfile_close(qf);
    agent_event("end %ld %ld %.3f\n", 0, agent_now());
    deliver_request_done(req, 0, "");
    vstring_free(why);
}

static void
agent_init(const char *service, char **args)
{
    (void)service;
    if (args == NULL || args[0] == NULL)
        msg_fatal("usage: tern-test-agent [options] outfile");
    agent_out = args[0];
}

int
main(int argc, char **argv)
{
    static const struct mail_server server = {
        .serve = agent_serve,
        .pre_init = agent_init,
    };

    single_server_main(argc, argv, &server);
}
