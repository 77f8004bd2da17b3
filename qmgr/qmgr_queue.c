/*
 * qmgr_queue - transports, per-destination queues, and the scheduler.
 *
 *   transport = qmgr_transport_find(name)    made on first use, with its
 *       TRANSPORT_destination_recipient_limit, _concurrency_limit,
 *       _initial_destination_concurrency, feedback and failed cohort
 *       limit from main.cf (service parameters fall back to the default_*
 *       ones, as in Postfix)
 *   queue = qmgr_queue_find(transport, nexthop)
 *   qmgr_queue_add(queue, msg, rcpt)  appends a recipient to the message's
 *       open entry on that queue, or starts a new entry when there is none
 *       or it holds the recipient limit
 *   qmgr_schedule()    starts deliveries while queues have entries and
 *       room in their concurrency window
 *
 * Feedback, as postconf(5) documents it: a delivery request that the
 * agent completed (whatever each recipient's result) is positive
 * feedback, the window growing by one at the end of each run of
 * 1/feedback of them, up to the limit (qmgr_queue_success); a request
 * that failed as a whole (the agent said so in its final status, died,
 * timed out or broke the protocol) is negative feedback, the window
 * shrinking by one at the start of each run of 1/feedback of them, never
 * below 1, and adds 1/window to the failed pseudo-cohort count
 * (qmgr_queue_failure). When that count reaches
 * destination_concurrency_failed_cohort_limit (0: never) the destination
 * is dead: its waiting entries are deferred with "delivery temporarily
 * suspended: REASON", new recipients too, for minimal_backoff_time or
 * until the F trigger. Feedback values are "N", "N/M" or
 * "N/concurrency", 0..1 (qmgr_feedback_parse).
 *
 * A destination whose entries fill more than a fifth of the active queue
 * is named in a clog warning (qmgr_clog_warn_time).
 *
 * A transport whose socket is missing or refuses connections is throttled
 * for transport_retry_time: every waiting entry is deferred with "mail
 * transport unavailable".
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/mail_conf.h"
#include "mail/deliver_request.h"
#include "qmgr.h"
#include "util/events.h"
#include "util/msg.h"
#include "util/mymalloc.h"

static struct htable *qmgr_transports;
static struct qmgr_queue *qmgr_queue_list;
static struct qmgr_transport *qmgr_transport_list;

/* A service parameter TRANSPORT_SUFFIX, falling back to DEFAULT_NAME. */
static const char *
qmgr_transport_param(struct vstring *buf, const char *transport, const char *suffix,
                     const char *default_name)
{
    const char *value;

    vstring_sprintf(buf, "%s%s", transport, suffix);
    if ((value = mail_conf_get(vstring_str(buf))) == NULL || *value == 0)
        value = mail_conf_get(default_name);
    return value ? value : "";
}

/*
 * Parses a feedback value: "N", "N/M" (constant) or "N/concurrency",
 * N and N/M in 0..1, blanks allowed around the slash. 0 or -1.
 */
int
qmgr_feedback_parse(const char *spec, struct qmgr_feedback *fb)
{
    char *end;
    double num, den;

    fb->per_window = 0;
    num = strtod(spec, &end);
    if (end == spec || num < 0)
        return -1;
    while (*end == ' ' || *end == '\t')
        end++;
    if (*end == '/') {
        spec = end + 1;
        while (*spec == ' ' || *spec == '\t')
            spec++;
        if (strncmp(spec, "concurrency", 11) == 0) {
            fb->per_window = 1;
            end = (char *)spec + 11;
        } else if ((den = strtod(spec, &end)) <= 0 || end == spec) {
            return -1;
        } else {
            num /= den;
        }
        while (*end == ' ' || *end == '\t')
            end++;
    }
    if (*end != 0 || num > 1)
        return -1;
    fb->value = num;
    return 0;
}

/* A feedback parameter; a bad value is reported and taken as 1. */
static void
qmgr_transport_feedback(struct vstring *buf, const char *transport, const char *suffix,
                        const char *default_name, struct qmgr_feedback *fb)
{
    const char *spec = qmgr_transport_param(buf, transport, suffix, default_name);

    if (qmgr_feedback_parse(spec, fb) < 0) {
        msg_warn("%s%s: bad feedback value \"%s\": using 1", transport, suffix, spec);
        fb->value = 1;
        fb->per_window = 0;
    }
}

struct qmgr_transport *
qmgr_transport_find(const char *name)
{
    struct qmgr_transport *t;
    struct vstring *buf;

    if (qmgr_transports == NULL)
        qmgr_transports = htable_create(16);
    if ((t = htable_find(qmgr_transports, name)) != NULL)
        return t;
    buf = vstring_alloc(64);
    t = mymalloc(sizeof(*t));
    memset(t, 0, sizeof(*t));
    t->name = mystrdup(name);
    t->rcpt_limit = atoi(qmgr_transport_param(buf, name, "_destination_recipient_limit",
                                              "default_destination_recipient_limit"));
    t->dest_limit = atoi(qmgr_transport_param(buf, name, "_destination_concurrency_limit",
                                              "default_destination_concurrency_limit"));
    t->initial = atoi(qmgr_transport_param(buf, name, "_initial_destination_concurrency",
                                           "initial_destination_concurrency"));
    qmgr_transport_feedback(buf, name, "_destination_concurrency_positive_feedback",
                            "default_destination_concurrency_positive_feedback", &t->pos_feedback);
    qmgr_transport_feedback(buf, name, "_destination_concurrency_negative_feedback",
                            "default_destination_concurrency_negative_feedback", &t->neg_feedback);
    t->cohort_limit =
        atof(qmgr_transport_param(buf, name, "_destination_concurrency_failed_cohort_limit",
                                  "default_destination_concurrency_failed_cohort_limit"));
    if (t->cohort_limit < 0)
        t->cohort_limit = 0;
    if (t->initial < 1)
        t->initial = 1;
    if (t->dest_limit > 0 && t->initial > t->dest_limit)
        t->initial = t->dest_limit;
    t->queues = htable_create(16);
    htable_enter(qmgr_transports, name, t);
    t->next = qmgr_transport_list;
    qmgr_transport_list = t;
    vstring_free(buf);
    return t;
}

struct qmgr_queue *
qmgr_queue_find(struct qmgr_transport *transport, const char *nexthop)
{
    struct qmgr_queue *q;

    if ((q = htable_find(transport->queues, nexthop)) != NULL)
        return q;
    q = mymalloc(sizeof(*q));
    memset(q, 0, sizeof(*q));
    q->transport = transport;
    q->nexthop = mystrdup(nexthop);
    q->window = transport->initial;
    q->next = qmgr_queue_list;
    qmgr_queue_list = q;
    htable_enter(transport->queues, nexthop, q);
    return q;
}

/* How many destinations of a transport have a queue (stop counting at 2). */
static int
qmgr_transport_queues(const struct qmgr_transport *t)
{
    int n = 0;

    for (struct qmgr_queue *q = qmgr_queue_list; q != NULL && n < 2; q = q->next)
        if (q->transport == t)
            n++;
    return n;
}

/*
 * The clog warning (qmgr_clog_warn_time, helpful_warnings): a destination
 * whose waiting and busy entries are more than a fifth of
 * qmgr_message_active_limit is named, with the most likely remedy, at most
 * once per qmgr_clog_warn_time. The lines are Postfix's.
 */
static void
qmgr_queue_clog_warn(struct qmgr_queue *queue)
{
    struct qmgr_transport *t = queue->transport;
    int length = queue->todo_count + queue->busy;
    int limit = qmgr_params.active_limit;
    double share;
    time_t now;

    if (qmgr_params.clog_warn_time <= 0 || length <= limit / 5 ||
        (now = time(NULL)) < queue->clog_warn_at)
        return;
    share = qmgr_message_count > 0 ? (double)length / qmgr_message_count : 1;
    msg_warn("mail for %s is using up %d of %d active queue entries", queue->nexthop, length,
             qmgr_message_count);
    if (share < 0.9)
        msg_warn("this may slow down other mail deliveries");
    if (t->dest_limit > 0 && t->dest_limit <= queue->window * 2) {
        msg_warn("you may need to increase the main.cf %s%s from %d", t->name,
                 "_destination_concurrency_limit", t->dest_limit);
    } else if (queue->window > limit * share) {
        msg_warn("you may need to increase the main.cf %s from %d", "qmgr_message_active_limit",
                 limit);
    } else if (qmgr_transport_queues(t) > 1) {
        msg_warn("you may need a separate master.cf transport for %s", queue->nexthop);
    } else {
        msg_warn("you may need to reduce %s connect and helo timeouts", t->name);
        msg_warn("so that Postfix quickly skips unavailable hosts");
        msg_warn("you may need to increase the main.cf %s and %s", "minimal_backoff_time",
                 "maximal_backoff_time");
        msg_warn("so that Postfix wastes less time on undeliverable mail");
        msg_warn("you may need to increase the master.cf %s process limit", t->name);
    }
    msg_warn("please avoid flushing the whole queue when you have");
    msg_warn("lots of deferred mail, that is bad for performance");
    msg_warn("to turn off these warnings specify: %s = 0", "qmgr_clog_warn_time");
    queue->clog_warn_at = now + qmgr_params.clog_warn_time;
}

void
qmgr_queue_add(struct qmgr_queue *queue, struct qmgr_message *msg, const struct qmgr_rcpt *rcpt)
{
    struct qmgr_entry *e = queue->todo_tail;
    int limit = queue->transport->rcpt_limit;

    if (e == NULL || e->message != msg || (limit > 0 && e->count >= limit)) {
        e = mymalloc(sizeof(*e));
        memset(e, 0, sizeof(*e));
        e->message = msg;
        e->queue = queue;
        e->size = 4;
        e->rcpt = mymalloc(sizeof(*e->rcpt) * (size_t)e->size);
        if (queue->todo_tail)
            queue->todo_tail->next = e;
        else
            queue->todo = e;
        queue->todo_tail = e;
        queue->todo_count++;
        msg->refcount++;
        qmgr_queue_clog_warn(queue);
    }
    if (e->count == e->size) {
        e->size *= 2;
        e->rcpt = myrealloc(e->rcpt, sizeof(*e->rcpt) * (size_t)e->size);
    }
    qmgr_rcpt_copy(e->rcpt + e->count++, rcpt);
}

/* Takes the first waiting entry off a queue. */
static struct qmgr_entry *
qmgr_queue_pop(struct qmgr_queue *queue)
{
    struct qmgr_entry *e = queue->todo;

    if (e != NULL) {
        queue->todo = e->next;
        if (queue->todo == NULL)
            queue->todo_tail = NULL;
        queue->todo_count--;
        e->next = NULL;
    }
    return e;
}

void
qmgr_entry_free(struct qmgr_entry *entry)
{
    struct qmgr_message *msg = entry->message;

    for (int i = 0; i < entry->count; i++)
        qmgr_rcpt_free(entry->rcpt + i);
    myfree(entry->rcpt);
    myfree(entry);
    qmgr_message_entry_done(msg);
}

/* Defers recipients FROM.. of an entry that qmgr itself gives up on; frees it. */
void
qmgr_entry_defer(struct qmgr_entry *entry, int from, const char *dsn, const char *reason)
{
    for (int i = from; i < entry->count; i++)
        qmgr_message_local_result(entry->message, entry->rcpt + i, DEL_RCPT_DEFER, dsn, reason);
    qmgr_entry_free(entry);
}

/* Defers every waiting entry of a queue. */
static void
qmgr_queue_defer_todo(struct qmgr_queue *queue, const char *reason)
{
    struct qmgr_entry *e;

    while ((e = qmgr_queue_pop(queue)) != NULL)
        qmgr_entry_defer(e, 0, "4.3.0", reason);
}

/* Forgets queues with nothing to do, so destinations do not pile up. */
static void
qmgr_queue_sweep(void)
{
    struct qmgr_queue **pp = &qmgr_queue_list;
    struct qmgr_queue *q;

    while ((q = *pp) != NULL) {
        if (q->todo == NULL && q->busy == 0 && q->dead_reason == NULL &&
            q->window >= q->transport->initial) {
            *pp = q->next;
            htable_delete(q->transport->queues, q->nexthop, NULL);
            myfree(q->nexthop);
            myfree(q);
        } else {
            pp = &q->next;
        }
    }
}

void
qmgr_schedule(void)
{
    static int running;
    struct qmgr_entry *e;
    int progress = 1;

    if (running) /* a deferral inside may finish messages and call us again */
        return;
    running = 1;
    while (progress) {
        progress = 0;
        for (struct qmgr_queue *q = qmgr_queue_list; q != NULL; q = q->next) {
            if (q->todo == NULL || q->dead_reason || q->transport->throttled_until)
                continue;
            if (q->busy >= (int)q->window)
                continue;
            e = qmgr_queue_pop(q);
            q->busy++;
            qmgr_deliver_start(e);
            progress = 1;
        }
    }
    qmgr_queue_sweep();
    running = 0;
}

/* The feedback amount at the current window. */
static double
qmgr_feedback(const struct qmgr_feedback *fb, double window)
{
    return fb->per_window ? fb->value / (window >= 1 ? window : 1) : fb->value;
}

/*
 * Positive feedback: a delivery completed without a connection or
 * handshake failure. The window grows by one at the end of each run of
 * 1/feedback such deliveries (half a step of slack absorbs rounding), up
 * to the destination concurrency limit, and only while it is within
 * TRANSPORT_initial_destination_concurrency of the deliveries actually
 * under way (BUSY counts this one): a window far above real use would
 * make negative feedback ineffective. The failed cohort count is reset.
 */
void
qmgr_queue_success(struct qmgr_queue *queue)
{
    struct qmgr_transport *t = queue->transport;
    double fb;

    queue->fail_cohorts = 0;
    if (queue->dead_reason != NULL)
        return;
    if ((t->dest_limit == 0 || queue->window < t->dest_limit) &&
        queue->window < queue->busy + 1 + t->initial) {
        fb = qmgr_feedback(&t->pos_feedback, queue->window);
        queue->success += fb;
        while (fb > 0 && queue->success + fb / 2 >= 1) {
            queue->window += 1;
            queue->success -= 1;
            queue->failure = 0;
        }
        if (t->dest_limit > 0 && queue->window > t->dest_limit)
            queue->window = t->dest_limit;
    }
}

/* Brings a dead queue back to life (no scheduling). */
static void
qmgr_queue_revive(struct qmgr_queue *queue)
{
    if (queue->dead_reason) {
        myfree(queue->dead_reason);
        queue->dead_reason = NULL;
        queue->window = queue->transport->initial;
        queue->fail_cohorts = 0;
    }
}

static void
qmgr_queue_resurrect(int event, void *context)
{
    (void)event;
    qmgr_queue_revive(context);
    qmgr_schedule();
}

/* Declares a destination dead: its waiting entries are deferred. */
static void
qmgr_queue_kill(struct qmgr_queue *queue, const char *reason)
{
    struct vstring *why = vstring_alloc(100);

    queue->dead_reason = mystrdup(reason);
    event_request_timer(qmgr_queue_resurrect, queue, (int)qmgr_params.min_backoff);
    vstring_sprintf(why, "delivery temporarily suspended: %s", reason);
    qmgr_queue_defer_todo(queue, vstring_str(why));
    vstring_free(why);
}

/*
 * Negative feedback: a delivery failed as a whole (connection or
 * handshake failure, or the agent broke down). It counts 1/window of a
 * failed pseudo-cohort; at TRANSPORT_destination_concurrency_failed_
 * cohort_limit (0: never) the destination is dead. Otherwise the window
 * shrinks by one at the start of each run of 1/feedback failures (half a
 * step of slack absorbs rounding), never below 1; zero feedback leaves it
 * alone.
 */
void
qmgr_queue_failure(struct qmgr_queue *queue, const char *reason)
{
    struct qmgr_transport *t = queue->transport;
    double fb;

    if (queue->dead_reason != NULL || queue->window <= 0)
        return;
    queue->fail_cohorts += 1.0 / queue->window;
    if (t->cohort_limit > 0 && queue->fail_cohorts >= t->cohort_limit) {
        qmgr_queue_kill(queue, reason);
        return;
    }
    fb = qmgr_feedback(&t->neg_feedback, queue->window);
    queue->failure -= fb;
    while (fb > 0 && queue->failure < -fb / 2) {
        queue->window -= 1;
        queue->failure += 1;
        queue->success = 0;
    }
    if (queue->window < 1)
        queue->window = 1;
}

static void
qmgr_transport_unthrottle(int event, void *context)
{
    struct qmgr_transport *t = context;

    (void)event;
    t->throttled_until = 0;
    qmgr_schedule();
}

void
qmgr_transport_unavailable(struct qmgr_transport *t, const char *reason)
{
    if (t->throttled_until == 0) {
        t->throttled_until = time(NULL) + qmgr_params.transport_retry_time;
        if (t->throttle_reason)
            myfree(t->throttle_reason);
        t->throttle_reason = mystrdup(reason);
        event_request_timer(qmgr_transport_unthrottle, t, (int)qmgr_params.transport_retry_time);
    }
    for (struct qmgr_queue *q = qmgr_queue_list; q != NULL; q = q->next)
        if (q->transport == t)
            qmgr_queue_defer_todo(q, reason);
}

void
qmgr_queue_forget_dead(void)
{
    for (struct qmgr_queue *q = qmgr_queue_list; q != NULL; q = q->next) {
        if (q->dead_reason) {
            event_cancel_timer(qmgr_queue_resurrect, q);
            qmgr_queue_revive(q);
        }
    }
    for (struct qmgr_transport *t = qmgr_transport_list; t != NULL; t = t->next) {
        if (t->throttled_until) {
            event_cancel_timer(qmgr_transport_unthrottle, t);
            t->throttled_until = 0;
        }
    }
    qmgr_schedule();
}
