/*
 * qmgr - the queue manager (qmgr(8)): one long-running trigger-style
 * process (master.cf "qmgr unix n - n 300 1 qmgr": solitary, unlimited)
 * that moves mail into the active queue and hands it to the delivery
 * agents.
 *
 *   qmgr [daemon skeleton options]
 *
 * Start-up (post_init): every file left in active by a crash goes back to
 * incoming (qmgr_recover_active), logs without a message are removed
 * (qmgr_remove_orphan_logs), then incoming and deferred are scanned.
 *
 * Wake-ups (docs/ipc.md): I and W scan incoming; D scans deferred, taking
 * files whose mtime (the next attempt) has come; A with D takes every
 * deferred file; F forgets dead destinations and throttled transports.
 * An empty wake-up counts as W. Deferred is also scanned every
 * queue_run_delay seconds. Unknown bytes are ignored.
 *
 * Limits: at most qmgr_message_active_limit messages are in memory; a scan
 * that reaches the limit stops and goes on when a message leaves. A scan
 * takes QMGR_SCAN_SLICE files per event-loop round, so deliveries run
 * while a large queue is being activated.
 * Recipients are read in slices: qmgr_message_recipient_limit bounds the
 * recipients in memory (all messages), qmgr_message_recipient_minimum is
 * the smallest slice of any message (qmgr_message.c).
 * qmgr_fudge_factor (Postfix's old queue manager only) is not used.
 *
 * The event loop (events.h) serves the wake-ups, the agents' sockets
 * (qmgr_deliver.c) and the timers together; the trivial-rewrite resolver
 * is the one blocking call (as in Postfix), bounded by its retry count.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "config/mail_conf.h"
#include "mail/mail_queue.h"
#include "mail/rewrite_clnt.h"
#include "master/mail_server.h"
#include "qmgr.h"
#include "util/events.h"
#include "util/msg.h"
#include "util/mymalloc.h"

#define QMGR_RESOLVE_TRIES 10 /* seconds of resolver retries before a deferral */

struct qmgr_params qmgr_params;
int qmgr_message_count;
int qmgr_rcpt_count;

static int qmgr_incoming_pending; /* a scan stopped at the active limit */
static int qmgr_deferred_pending;
static int qmgr_deferred_all; /* the pending deferred scan takes every file */

/*
 * A scan runs in slices of QMGR_SCAN_SLICE queue files per event-loop
 * round, so that the agents' replies are read (and the next deliveries
 * start) while a large queue is still being moved into active, instead
 * of after all of it. A wake-up for a queue whose scan is under way is
 * remembered and scans it again from the start when this one ends.
 */
#define QMGR_SCAN_SLICE 20

/* Scan flags. */
#define QMGR_SCAN_ALL (1 << 0)   /* deferred: take files not yet due too */
#define QMGR_SCAN_FLUSH (1 << 1) /* a flush: defer_transports deliver too */

struct qmgr_scan_state {
    const char *queue;
    struct mail_queue_scan *scan; /* NULL: no scan under way */
    int all;                      /* QMGR_SCAN_* */
    int again;                    /* a wake-up came during the scan */
    int again_all;                /* QMGR_SCAN_* of that wake-up */
};

static struct qmgr_scan_state qmgr_scans[2];

static void qmgr_scan_slice(struct qmgr_scan_state *st);

static void
qmgr_scan_event(int event, void *context)
{
    (void)event;
    qmgr_scan_slice(context);
}

/* Stops the scan; a wake-up that came meanwhile starts the next one. */
static void
qmgr_scan_end(struct qmgr_scan_state *st)
{
    mail_queue_scan_close(st->scan);
    st->scan = NULL;
    event_cancel_timer(qmgr_scan_event, st);
    if (st->again) {
        st->again = 0;
        st->scan = mail_queue_scan_open(st->queue);
        st->all = st->again_all;
        st->again_all = 0;
        if (st->scan == NULL)
            msg_warn("open %s queue: %m", st->queue);
        else
            event_request_timer_ms(qmgr_scan_event, st, 0);
    }
}

/* Activates and feeds up to QMGR_SCAN_SLICE files of the scan under way. */
static void
qmgr_scan_slice(struct qmgr_scan_state *st)
{
    int deferred = strcmp(st->queue, MAIL_QUEUE_DEFERRED) == 0;
    time_t now = time(NULL);
    struct qmgr_message *msg;
    const char *id;
    struct stat sb;
    char *copy;

    for (int n = 0; n < QMGR_SCAN_SLICE; n++) {
        if ((id = mail_queue_scan_next(st->scan)) == NULL) {
            qmgr_scan_end(st);
            return;
        }
        if (qmgr_message_count >= qmgr_params.active_limit) {
            if (deferred) {
                qmgr_deferred_pending = 1;
                qmgr_deferred_all |= st->all | st->again_all;
            } else {
                qmgr_incoming_pending = 1;
            }
            st->again = st->again_all = 0;
            qmgr_scan_end(st);
            return;
        }
        if (deferred && !(st->all & QMGR_SCAN_ALL) &&
            (lstat(mail_queue_scan_path(st->scan), &sb) < 0 || sb.st_mtime > now))
            continue;
        copy = mystrdup(id);
        if ((msg = qmgr_message_activate(st->queue, mail_queue_scan_path(st->scan), copy)) !=
            NULL) {
            msg->flushed = (st->all & QMGR_SCAN_FLUSH) != 0;
            qmgr_message_feed(msg);
        }
        myfree(copy);
    }
    event_request_timer_ms(qmgr_scan_event, st, 0);
}

/* Scans QUEUE, activating and feeding messages until the active limit. */
static void
qmgr_scan(const char *queue, int all)
{
    int deferred = strcmp(queue, MAIL_QUEUE_DEFERRED) == 0;
    struct qmgr_scan_state *st = &qmgr_scans[deferred];

    if (deferred) {
        qmgr_deferred_pending = 0;
        qmgr_deferred_all = 0;
    } else {
        qmgr_incoming_pending = 0;
    }
    st->queue = queue;
    if (st->scan != NULL) {
        st->again = 1;
        st->again_all |= all;
        return;
    }
    if ((st->scan = mail_queue_scan_open(queue)) == NULL) {
        msg_warn("open %s queue: %m", queue);
        return;
    }
    st->all = all;
    qmgr_scan_slice(st);
}

static void
qmgr_pending_event(int event, void *context)
{
    (void)event;
    (void)context;
    if (qmgr_incoming_pending)
        qmgr_scan(MAIL_QUEUE_INCOMING, 0);
    if (qmgr_deferred_pending)
        qmgr_scan(MAIL_QUEUE_DEFERRED, qmgr_deferred_all);
}

/* A message left memory: resume a scan that stopped at the limit. */
void
qmgr_scan_request(void)
{
    if ((qmgr_incoming_pending || qmgr_deferred_pending) &&
        qmgr_message_count < qmgr_params.active_limit)
        event_request_timer_ms(qmgr_pending_event, NULL, 0);
}

/*
 * A message that postsuper moved during its delivery left memory: it may
 * be back in a queue (released), so incoming and deferred are scanned
 * again.
 */
void
qmgr_scan_again(void)
{
    qmgr_incoming_pending = 1;
    qmgr_deferred_pending = 1;
    qmgr_scan_request();
}

static void
qmgr_deferred_event(int event, void *context)
{
    (void)event;
    (void)context;
    qmgr_scan(MAIL_QUEUE_DEFERRED, 0);
    event_request_timer(qmgr_deferred_event, NULL, (int)qmgr_params.queue_run_delay);
}

static void
qmgr_trigger(char *buf, ssize_t len, const char *service, char **args)
{
    int incoming = len == 0, deferred = 0, all = 0, flush = 0;

    (void)service;
    (void)args;
    for (ssize_t i = 0; i < len; i++) {
        switch (buf[i]) {
        case 'I':
        case 'W':
            incoming = 1;
            break;
        case 'D':
            deferred = 1;
            break;
        case 'A':
            deferred = 1;
            all = QMGR_SCAN_ALL;
            break;
        case 'F':
            qmgr_queue_forget_dead();
            flush = QMGR_SCAN_FLUSH;
            break;
        default:
            break;
        }
    }
    if (incoming)
        qmgr_scan(MAIL_QUEUE_INCOMING, flush);
    if (deferred)
        qmgr_scan(MAIL_QUEUE_DEFERRED, all | flush);
}

static void
qmgr_read_params(void)
{
    qmgr_params.active_limit = (int)mail_conf_get_int("qmgr_message_active_limit");
    qmgr_params.rcpt_limit = (int)mail_conf_get_int("qmgr_message_recipient_limit");
    qmgr_params.rcpt_minimum = (int)mail_conf_get_int("qmgr_message_recipient_minimum");
    qmgr_params.dont_remove = (int)mail_conf_get_int("dont_remove");
    qmgr_params.clog_warn_time =
        mail_conf_get_bool("helpful_warnings") ? mail_conf_get_time("qmgr_clog_warn_time") : 0;
    qmgr_params.min_backoff = mail_conf_get_time("minimal_backoff_time");
    qmgr_params.max_backoff = mail_conf_get_time("maximal_backoff_time");
    qmgr_params.queue_run_delay = mail_conf_get_time("queue_run_delay");
    qmgr_params.defer_transports = argv_split(mail_conf_get("defer_transports"), ", \t\r\n");
    qmgr_params.max_queue_lifetime = mail_conf_get_time("maximal_queue_lifetime");
    qmgr_params.bounce_queue_lifetime = mail_conf_get_time("bounce_queue_lifetime");
    qmgr_params.ipc_timeout = mail_conf_get_time("qmgr_ipc_timeout");
    qmgr_params.delivery_timeout = mail_conf_get_time("daemon_timeout");
    qmgr_params.transport_retry_time = mail_conf_get_time("transport_retry_time");
    qmgr_params.log_resolution = (int)mail_conf_get_int("delay_logging_resolution_limit");
    qmgr_params.bounce_service = mail_conf_get("bounce_service_name");
    qmgr_params.defer_service = mail_conf_get("defer_service_name");
    qmgr_params.trace_service = mail_conf_get("trace_service_name");
    if (qmgr_params.max_backoff < qmgr_params.min_backoff)
        qmgr_params.max_backoff = qmgr_params.min_backoff;
    if (qmgr_params.rcpt_limit < 1)
        qmgr_params.rcpt_limit = 1;
    if (qmgr_params.rcpt_minimum < 1)
        qmgr_params.rcpt_minimum = 1;
    if (qmgr_params.active_limit < 1)
        qmgr_params.active_limit = 1;
    if (qmgr_params.queue_run_delay < 1)
        qmgr_params.queue_run_delay = 1;
}

static void
qmgr_post_init(const char *service, char **args)
{
    (void)service;
    (void)args;
    qmgr_read_params();
    rewrite_clnt_set_tries(QMGR_RESOLVE_TRIES);
    qmgr_recover_active();
    qmgr_remove_orphan_logs();
    event_request_timer_ms(qmgr_pending_event, NULL, 0);
    qmgr_incoming_pending = 1;
    qmgr_deferred_pending = 1;
    event_request_timer(qmgr_deferred_event, NULL, (int)qmgr_params.queue_run_delay);
}

int
main(int argc, char **argv)
{
    static const struct mail_server server = {
        .trigger = qmgr_trigger,
        .post_init = qmgr_post_init,
        .unlimited = 1,
        .solitary = 1,
    };

    trigger_server_main(argc, argv, &server);
}
