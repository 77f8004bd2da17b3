/*
 * postqueue_show - the queue listing of "postqueue -p" (and mailq) and
 * "postqueue -j": read the showq service's description of each message
 * (protocol showq_v1, docs/ipc.md) and print it in Postfix's formats.
 *
 * Text (-p): the header line, then per message the id with its status
 * marks ('*' active or '!' hold, then '#' when forced to expire), the size, the
 * arrival time (asctime's first 20 characters, 19 with long queue ids),
 * the sender (MAILER-DAEMON for the null sender), then the recipients
 * that are still to be delivered, in showq's order, each after the
 * "(reason)" line of its last delay when that differs from the one shown
 * just before ("reason unavailable" for a recipient that a message's
 * defer log does not name); then an empty line. The reason is right-aligned to end in column 78
 * when it fits, else starts in column 1, never cut. At the end
 * "-- N Kbytes in M Requests." (total size / 1024, rounded down), or
 * "Mail queue is empty". Long queue ids (enable_long_queue_ids) widen the
 * id column as Postfix does.
 *
 * JSON (-j): one object per message on one line, members in Postfix's
 * order; strings escaped for JSON (", \, control characters).
 *
 * The showq service is public/$showq_service_name. When it cannot be
 * reached, root gets a warning and a stand-alone showq
 * ($daemon_directory/showq -S) reading the queue directly; anyone else a
 * fatal "Queue report unavailable - mail system is down". A malformed
 * reply is fatal ("malformed showq server response").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "mail/attr.h"
#include "mail/mail_connect.h"
#include "mail/mail_queue.h"
#include "mail/showq_proto.h"
#include "postqueue.h"
#include "util/msg.h"
#include "util/stringops.h"
#include "util/vstream.h"
#include "util/vstring.h"

#define POSTQUEUE_REASON_END 78 /* a "(reason)" line ends in this column when it fits */

struct postqueue_msg {
    struct vstring *queue_name;
    struct vstring *queue_id;
    long arrival;
    long size;
    int forced_expire;
    int defer_log; /* the message has a defer log */
    struct vstring *sender;
    struct vstring *rcpt;
    struct vstring *reason;
    struct vstring *last_reason;
};

static pid_t postqueue_showq_pid; /* a stand-alone showq, or 0 */

/* Starts $daemon_directory/showq -S on a socket pair; returns our end. */
static struct vstream *
postqueue_showq_direct(void)
{
    struct vstring *path = vstring_alloc(100);
    int sv[2];

    vstring_sprintf(path, "%s/showq", mail_conf_get("daemon_directory"));
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        msg_fatal_status(EX_UNAVAILABLE, "socketpair: %m");
    if ((postqueue_showq_pid = fork()) < 0)
        msg_fatal_status(EX_UNAVAILABLE, "fork: %m");
    if (postqueue_showq_pid == 0) {
        close(sv[0]);
        if (dup2(sv[1], 0) < 0 || dup2(sv[1], 1) < 0)
            _exit(EX_UNAVAILABLE);
        execl(vstring_str(path), "showq", "-S", "-u", (char *)0);
        msg_fatal_status(EX_UNAVAILABLE, "Error running %s: %m", vstring_str(path));
    }
    close(sv[1]);
    vstring_free(path);
    return vstream_fdopen(sv[0], "showq");
}

/* The showq service, or a stand-alone showq for root. */
static struct vstream *
postqueue_showq_open(void)
{
    const char *service = mail_conf_get("showq_service_name");
    int timeout = (int)mail_conf_get_time("ipc_timeout");
    struct vstream *fp;

    if ((fp = mail_connect(NULL, MAIL_CLASS_PUBLIC, service, timeout, NULL)) != NULL)
        return fp;
    if (getuid() != 0)
        msg_fatal_status(EX_UNAVAILABLE,
                         "Queue report unavailable - mail system is down"
                         " (Connect to the %s %s service: %m)",
                         mail_conf_get("mail_name"), service);
    msg_warn("Mail system is down -- accessing queue directly"
             " (Connect to the %s %s service: %m)",
             mail_conf_get("mail_name"), service);
    fp = postqueue_showq_direct();
    vstream_set_timeout(fp, timeout);
    return fp;
}

static void
postqueue_malformed(void)
{
    msg_fatal_status(EX_UNAVAILABLE, "malformed showq server response");
}

/* Reads the next message header: 1, or 0 at the end of the listing. */
static int
postqueue_read_msg(struct vstream *fp, struct postqueue_msg *msg)
{
    int n = attr_scan(
        fp, ATTR_FLAG_OPTIONAL | ATTR_FLAG_MORE, ATTR_RECV_STR("queue_name", msg->queue_name),
        ATTR_RECV_STR("queue_id", msg->queue_id), ATTR_RECV_LONG("arrival_time", &msg->arrival),
        ATTR_RECV_LONG("message_size", &msg->size),
        ATTR_RECV_INT("forced_expire", &msg->forced_expire), ATTR_RECV_STR("sender", msg->sender),
        ATTR_RECV_INT("defer_log", &msg->defer_log), ATTR_TYPE_END);

    if (n == 0)
        return 0;
    if (n != 7 || attr_scan(fp, ATTR_FLAG_NONE, ATTR_TYPE_END) != 0)
        postqueue_malformed();
    return 1;
}

/* Reads the next recipient: 1, or 0 at the end of the message. */
static int
postqueue_read_rcpt(struct vstream *fp, struct postqueue_msg *msg)
{
    int n = attr_scan(fp, ATTR_FLAG_OPTIONAL, ATTR_RECV_STR("recipient", msg->rcpt),
                      ATTR_RECV_STR("reason", msg->reason), ATTR_TYPE_END);

    if (n == 0)
        return 0;
    if (n != 2)
        postqueue_malformed();
    return 1;
}

/* A peer string made safe for a terminal. */
static const char *
postqueue_printable(struct vstring *buf)
{
    return printable(vstring_str(buf), '?');
}

/* The sender as listed. */
static const char *
postqueue_sender(struct postqueue_msg *msg)
{
    return vstring_len(msg->sender) ? postqueue_printable(msg->sender) : "MAILER-DAEMON";
}

static void
postqueue_text_header(struct vstream *out, int long_ids)
{
    if (long_ids)
        vstream_printf(out, "%-17s %8s %-19s %s\n", "----Queue ID-----", "--Size--",
                       "---Arrival Time----", "--Sender/Recipient------");
    else
        vstream_printf(out, "%-11s %7s %-20s %s\n", "-Queue ID-", "--Size--",
                       "----Arrival Time----", "-Sender/Recipient-------");
}

/* One message in the text format. */
static void
postqueue_text_msg(struct vstream *fp, struct vstream *out, struct postqueue_msg *msg, int long_ids)
{
    const char *queue = vstring_str(msg->queue_name);
    time_t arrival = (time_t)msg->arrival;
    char when[32];
    struct tm *tm;
    int indent = long_ids ? 47 : 41;
    int pad;

    if (strcmp(queue, MAIL_QUEUE_ACTIVE) == 0)
        vstring_addch(msg->queue_id, '*');
    else if (strcmp(queue, MAIL_QUEUE_HOLD) == 0)
        vstring_addch(msg->queue_id, '!');
    if (msg->forced_expire)
        vstring_addch(msg->queue_id, '#');
    if ((tm = localtime(&arrival)) == NULL ||
        strftime(when, sizeof(when), "%a %b %e %H:%M:%S", tm) == 0)
        snprintf(when, sizeof(when), "%s", "??? ??? ?? ??:??:??");
    if (long_ids)
        vstream_printf(out, "%-17s %8ld %19.19s %s\n", postqueue_printable(msg->queue_id),
                       msg->size, when, postqueue_sender(msg));
    else
        vstream_printf(out, "%-11s %7ld %-20.20s %s\n", postqueue_printable(msg->queue_id),
                       msg->size, when, postqueue_sender(msg));
    vstring_reset(msg->last_reason);
    while (postqueue_read_rcpt(fp, msg)) {
        if (msg->defer_log && vstring_len(msg->reason) == 0)
            vstring_strcpy(msg->reason, "reason unavailable");
        if (strcmp(vstring_str(msg->reason), vstring_str(msg->last_reason)) != 0) {
            vstring_strcpy(msg->last_reason, vstring_str(msg->reason));
            if (vstring_len(msg->reason) > 0) {
                pad = POSTQUEUE_REASON_END - (int)vstring_len(msg->reason) - 2;
                vstream_printf(out, "%*s(%s)\n", pad > 0 ? pad : 0, "",
                               postqueue_printable(msg->reason));
            }
        }
        vstream_printf(out, "%*s%s\n", indent, "", postqueue_printable(msg->rcpt));
    }
    vstream_puts(out, "\n");
}

/* TEXT as a JSON string body. */
static const char *
postqueue_json(struct vstring *buf, const char *text)
{
    vstring_reset(buf);
    for (const unsigned char *cp = (const unsigned char *)text; *cp; cp++) {
        if (*cp == '"' || *cp == '\\') {
            vstring_addch(buf, '\\');
            vstring_addch(buf, *cp);
        } else if (*cp < 0x20 || *cp == 0x7f) {
            vstring_sprintf_append(buf, "\\u%04X", *cp);
        } else {
            vstring_addch(buf, *cp);
        }
    }
    return vstring_str(buf);
}

/* One message in the JSON format. */
static void
postqueue_json_msg(struct vstream *fp, struct vstream *out, struct postqueue_msg *msg)
{
    struct vstring *buf = vstring_alloc(100);
    const char *sep = "";

    vstream_printf(out, "{\"queue_name\": \"%s\", ",
                   postqueue_json(buf, vstring_str(msg->queue_name)));
    vstream_printf(out, "\"queue_id\": \"%s\", ", postqueue_json(buf, vstring_str(msg->queue_id)));
    vstream_printf(out, "\"arrival_time\": %ld, \"message_size\": %ld, ", msg->arrival, msg->size);
    vstream_printf(out, "\"forced_expire\": %s, ", msg->forced_expire ? "true" : "false");
    vstream_printf(
        out, "\"sender\": \"%s\", \"recipients\": [",
        postqueue_json(buf, vstring_len(msg->sender) ? vstring_str(msg->sender) : "MAILER-DAEMON"));
    while (postqueue_read_rcpt(fp, msg)) {
        vstream_printf(out, "%s{\"address\": \"%s\"", sep,
                       postqueue_json(buf, vstring_str(msg->rcpt)));
        if (vstring_len(msg->reason) > 0)
            vstream_printf(out, ", \"delay_reason\": \"%s\"",
                           postqueue_json(buf, vstring_str(msg->reason)));
        vstream_puts(out, "}");
        sep = ", ";
    }
    vstream_puts(out, "]}\n");
    vstring_free(buf);
}

static void
postqueue_msg_init(struct postqueue_msg *msg)
{
    msg->queue_name = vstring_alloc(16);
    msg->queue_id = vstring_alloc(32);
    msg->sender = vstring_alloc(64);
    msg->rcpt = vstring_alloc(64);
    msg->reason = vstring_alloc(100);
    msg->last_reason = vstring_alloc(100);
}

static void
postqueue_msg_free(struct postqueue_msg *msg)
{
    vstring_free(msg->queue_name);
    vstring_free(msg->queue_id);
    vstring_free(msg->sender);
    vstring_free(msg->rcpt);
    vstring_free(msg->reason);
    vstring_free(msg->last_reason);
}

void
postqueue_show(int mode)
{
    struct vstream *out = vstream_stdout();
    int long_ids = mail_conf_get_bool("enable_long_queue_ids");
    struct postqueue_msg msg;
    struct vstream *fp;
    unsigned long total = 0;
    unsigned long count = 0;
    int status;

    fp = postqueue_showq_open();
    if (attr_expect_protocol(fp, SHOWQ_PROTOCOL) < 0)
        msg_fatal_status(EX_UNAVAILABLE, "%s: %s", vstream_path(fp), attr_error_reason());
    postqueue_msg_init(&msg);
    while (postqueue_read_msg(fp, &msg)) {
        if (mode == POSTQUEUE_SHOW_JSON) {
            postqueue_json_msg(fp, out, &msg);
        } else {
            if (count == 0)
                postqueue_text_header(out, long_ids);
            postqueue_text_msg(fp, out, &msg, long_ids);
        }
        total += msg.size > 0 ? (unsigned long)msg.size : 0;
        count++;
    }
    if (mode == POSTQUEUE_SHOW_TEXT) {
        if (count == 0)
            vstream_puts(out, "Mail queue is empty\n");
        else
            vstream_printf(out, "-- %lu Kbytes in %lu Request%s.\n", total / 1024, count,
                           count == 1 ? "" : "s");
    }
    postqueue_msg_free(&msg);
    vstream_close(fp);
    if (postqueue_showq_pid > 0)
        (void)waitpid(postqueue_showq_pid, &status, 0);
    if (vstream_flush(out) < 0)
        msg_fatal_status(EX_UNAVAILABLE, "output write error: %m");
}
