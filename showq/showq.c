/*
 * showq - the queue listing service behind "postqueue -p", "postqueue -j"
 * and mailq: a single-style daemon on public/$showq_service_name that
 * sends one description per queued message (protocol showq_v1,
 * docs/ipc.md).
 *
 *   showq [daemon skeleton options]
 *
 * For each connection: the announcement, then the queues maildrop,
 * incoming, active, deferred and hold in that order (Postfix's), each
 * scanned with mail_queue_scan; per message one list (queue name, id,
 * arrival time, size, forced-expire mark, sender) followed by one list per
 * recipient that is not marked done and not listed already for this
 * message (address, and the reason of its last delay from the defer log,
 * "" when none: first the recipients the log names, in log order, then
 * the others in queue-file order, as Postfix lists them), then an empty
 * list. The message list says whether a defer log exists (postqueue
 * shows "reason unavailable" for recipients it does not name). An empty
 * list in place of a message ends the listing.
 *
 * showq only reads: queue files with qfile_open_path(..., QFILE_OPEN_READ)
 * and defer logs with dsn_log. A file that went away during the scan is
 * skipped silently; one that fails validation is skipped with a warning
 * (qmgr and the other readers quarantine it; showq never moves files). A
 * client that goes away ends the listing. The forced-expire mark is the
 * group-execute bit of the file (postsuper -e, docs/queue-format.md).
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "config/mail_conf.h"
#include "mail/attr.h"
#include "mail/dsn_log.h"
#include "mail/mail_queue.h"
#include "mail/showq_proto.h"
#include "mail/qfile.h"
#include "master/mail_server.h"
#include "util/argv.h"
#include "util/htable.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/vstream.h"
#include "util/vstring.h"


static const char *const showq_queues[] = {
    MAIL_QUEUE_MAILDROP, MAIL_QUEUE_INCOMING, MAIL_QUEUE_ACTIVE,
    MAIL_QUEUE_DEFERRED, MAIL_QUEUE_HOLD,     NULL,
};

/* What one message looks like to the listing. */
struct showq_msg {
    struct htable *seen; /* recipients listed so far (duplicate_filter_limit) */
    size_t seen_max;
    const char *queue;
    const char *id;
    long arrival;
    long size;
    int forced_expire;
    char *sender;
    struct argv *rcpts; /* pending recipients, in file order */
};

/* Reads the records of one section; -1 with why on a read error. */
static int
showq_read_section(struct qfile *qf, struct showq_msg *msg, struct vstring *why)
{
    struct qfile_rec rec;
    int type;

    while ((type = qfile_read(qf, &rec, why)) > 0) {
        if (type == REC_TYPE_MESG || type == REC_TYPE_END)
            return 0;
        if (type == REC_TYPE_TIME)
            msg->arrival = (long)rec.time.tv_sec;
        else if (type == REC_TYPE_SENDER && msg->sender == NULL)
            msg->sender = mystrdup(rec.text);
        else if (type == REC_TYPE_RCPT && rec.rcpt.status == REC_RCPT_PENDING &&
                 htable_find(msg->seen, rec.rcpt.address) == NULL) {
            argv_add(msg->rcpts, rec.rcpt.address);
            if (msg->seen->used < msg->seen_max)
                htable_enter(msg->seen, rec.rcpt.address, "");
        }
    }
    return type < 0 ? -1 : 0;
}

/* Loads one message; 0, or -1 when it is to be left out of the listing. */
static int
showq_load(const char *queue, const char *id, const char *path, struct showq_msg *msg)
{
    struct vstring *why = vstring_alloc(100);
    struct qfile *qf = NULL;
    struct stat st;
    int ret = -1;

    msg->queue = queue;
    msg->id = id;
    if (lstat(path, &st) == 0) {
        msg->forced_expire = (st.st_mode & S_IXGRP) != 0;
        switch (qfile_open_path(path, QFILE_OPEN_READ, &qf, why)) {
        case QFILE_OK:
            msg->size = (long)qfile_log_size(qfile_info(qf));
            if (showq_read_section(qf, msg, why) == 0 &&
                qfile_seek(qf, qfile_info(qf)->extracted_offset, why) == 0 &&
                showq_read_section(qf, msg, why) == 0)
                ret = 0;
            else
                msg_warn("%s: %s", path, vstring_str(why));
            qfile_close(qf);
            break;
        case QFILE_CORRUPT:
            msg_warn("%s: skipped: %s", path, vstring_str(why));
            break;
        default:
            if (errno != ENOENT)
                msg_warn("%s", vstring_str(why));
            break;
        }
    }
    vstring_free(why);
    return ret;
}

/* Sends one recipient list. */
static int
showq_send_rcpt(struct vstream *client, const char *address, const char *reason)
{
    return attr_print(client, ATTR_FLAG_NONE, ATTR_SEND_STR("recipient", address),
                      ATTR_SEND_STR("reason", reason), ATTR_TYPE_END);
}

/*
 * Sends one message and its recipients, as Postfix orders them: first
 * those named in the defer log, in log order, with their reasons (the
 * first entry of a recipient counts), then the rest in queue-file order.
 * Returns -1 when the client is gone.
 */
static int
showq_send(struct vstream *client, const struct showq_msg *msg)
{
    static char sent[] = "sent";
    struct htable *pending = htable_create(msg->rcpts->argc + 1);
    struct dsn_log_entry entry;
    struct htable_entry *he;
    struct dsn_log *log;
    int ret;

    for (size_t i = 0; i < msg->rcpts->argc; i++)
        if (htable_find(pending, msg->rcpts->argv[i]) == NULL)
            htable_enter(pending, msg->rcpts->argv[i], NULL);
    if ((log = dsn_log_open(MAIL_QUEUE_DEFER, msg->id)) == NULL && errno != ENOENT)
        msg_warn("open defer log of %s: %m", msg->id);
    ret =
        attr_print(client, ATTR_FLAG_NONE, ATTR_SEND_STR("queue_name", msg->queue),
                   ATTR_SEND_STR("queue_id", msg->id), ATTR_SEND_LONG("arrival_time", msg->arrival),
                   ATTR_SEND_LONG("message_size", msg->size),
                   ATTR_SEND_INT("forced_expire", msg->forced_expire),
                   ATTR_SEND_STR("sender", msg->sender ? msg->sender : ""),
                   ATTR_SEND_INT("defer_log", log != NULL), ATTR_TYPE_END);
    while (ret == 0 && log != NULL && dsn_log_read(log, &entry) > 0) {
        if ((he = htable_locate(pending, entry.recipient)) != NULL && he->value == NULL) {
            he->value = sent;
            ret = showq_send_rcpt(client, entry.recipient, entry.reason);
        }
    }
    for (size_t i = 0; ret == 0 && i < msg->rcpts->argc; i++) {
        if ((he = htable_locate(pending, msg->rcpts->argv[i])) != NULL && he->value == NULL) {
            he->value = sent;
            ret = showq_send_rcpt(client, msg->rcpts->argv[i], "");
        }
    }
    if (ret == 0)
        ret = attr_print(client, ATTR_FLAG_NONE, ATTR_TYPE_END);
    if (log != NULL)
        dsn_log_close(log);
    htable_free(pending, NULL);
    return ret;
}

/* Lists one queue; -1 when the client is gone. */
static int
showq_queue(struct vstream *client, const char *queue)
{
    struct mail_queue_scan *scan;
    struct showq_msg msg;
    const char *id;
    int ret = 0;

    if ((scan = mail_queue_scan_open(queue)) == NULL) {
        if (errno != ENOENT)
            msg_warn("open %s queue: %m", queue);
        return 0;
    }
    while (ret == 0 && (id = mail_queue_scan_next(scan)) != NULL) {
        memset(&msg, 0, sizeof(msg));
        msg.rcpts = argv_alloc(4);
        msg.seen = htable_create(13);
        msg.seen_max = (size_t)mail_conf_get_int("duplicate_filter_limit");
        if (showq_load(queue, id, mail_queue_scan_path(scan), &msg) == 0)
            ret = showq_send(client, &msg);
        myfree(msg.sender);
        argv_free(msg.rcpts);
        htable_free(msg.seen, NULL);
    }
    mail_queue_scan_close(scan);
    return ret;
}

static void
showq_serve(struct vstream *client, const char *service, char **args)
{
    (void)service;
    (void)args;
    vstream_set_timeout(client, (int)mail_conf_get_time("ipc_timeout"));
    if (attr_announce_protocol(client, SHOWQ_PROTOCOL) < 0)
        return;
    for (int i = 0; showq_queues[i] != NULL; i++)
        if (showq_queue(client, showq_queues[i]) < 0)
            return; /* the client went away */
    (void)attr_print(client, ATTR_FLAG_NONE, ATTR_TYPE_END);
}

int
main(int argc, char **argv)
{
    static const struct mail_server server = {
        .serve = showq_serve,
    };

    single_server_main(argc, argv, &server);
}
