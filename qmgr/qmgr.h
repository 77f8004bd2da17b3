/*
 * qmgr.h - the queue manager's shared state: messages in the active
 * queue, their recipients grouped into delivery entries, the per
 * destination queues that schedule those entries, and the transports
 * that own the queues.
 *
 * Life of a message (qmgr_message.c, qmgr_finish.c):
 *   qmgr_message_activate   lock, move incoming|deferred -> active, validate,
 *                           read the envelope, log "(queue active)"
 *   qmgr_message_feed       read the next slice of pending recipients
 *                           (qmgr_message_recipient_limit/_minimum), resolve each,
 *                           and assign them to destination queues
 *   ...each entry is delivered (qmgr_deliver.c) or deferred by qmgr...
 *   qmgr_message_entry_done when the last entry of the last slice is done:
 *   qmgr_message_finish     bounce/trace notices, then remove the message,
 *                           or move it to deferred with its next retry time
 *
 * Scheduling (qmgr_queue.c): one queue per transport and next hop, with a
 * concurrency window that starts at initial_destination_concurrency,
 * grows on requests that complete (positive feedback, up to
 * TRANSPORT_destination_concurrency_limit) and shrinks on requests that
 * fail as a whole (negative feedback); after
 * destination_concurrency_failed_cohort_limit failed pseudo-cohorts the
 * destination is dead: its entries are deferred and it rests for
 * minimal_backoff_time (or until the F trigger). A transport whose socket
 * does not exist is throttled for transport_retry_time.
 *
 * Invariants: a message is freed only when no entry refers to it; an
 * entry is in exactly one place (a queue's todo list, or one delivery in
 * flight); qmgr never holds a queue-file lock while waiting for anything.
 */
#ifndef TERN_QMGR_H
#define TERN_QMGR_H

#include <stdint.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>

#include "mail/qfile.h"
#include "util/argv.h"
#include "util/htable.h"
#include "util/vstring.h"

/* One pending recipient as read from the queue file. */
struct qmgr_rcpt {
    uint64_t offset; /* of its R record */
    char *address;   /* where to deliver (after redirect and resolve) */
    char *orig_rcpt; /* "" when not known */
    char *dsn_orcpt; /* "" when not given */
    int notify;      /* REC_NOTIFY_* */
};

/* A deferred recipient of this attempt: what the expiry bounce needs. */
struct qmgr_deferral {
    struct qmgr_rcpt rcpt;
    char *status;
    char *reason;
    struct qmgr_deferral *next;
};

struct qmgr_message {
    char *queue_id;
    int fd;           /* on active/ID: the lock rule's descriptor */
    struct qfile *qf; /* open for update */
    struct timeval arrival;
    int64_t active_us;    /* when it entered the active queue */
    uint64_t warn_offset; /* of the W record; 0: none */
    time_t warn_time;
    char *sender;
    char *dsn_envid;
    int dsn_ret;
    struct htable *attrs; /* A records: char * values */
    uint64_t data_size;
    uint64_t data_offset;
    uint64_t read_offset;           /* next record to scan for recipients; 0: all read */
    int trace_flags;                /* attribute trace_flags */
    int admin_expired;              /* S_IXGRP was set */
    int flushed;                    /* taken by a flush ("F"): defer_transports deliver */
    int refcount;                   /* entries not yet done */
    int rcpt_in_memory;             /* recipients of this slice */
    int forgotten;                  /* moved or removed by someone else */
    int sent_count;                 /* results this attempt */
    struct qmgr_deferral *deferred; /* this attempt's deferrals */
    struct htable *resolved;        /* address -> resolve cache (struct qmgr_resolved) */
    struct qmgr_message *next;
    struct qmgr_message *prev;
};

struct qmgr_transport;
struct qmgr_queue;

/* Recipients of one message for one queue: one delivery request. */
struct qmgr_entry {
    struct qmgr_message *message;
    struct qmgr_queue *queue;
    int count;
    int size;
    struct qmgr_rcpt *rcpt;
    struct qmgr_entry *next;
};

struct qmgr_queue {
    struct qmgr_transport *transport;
    char *nexthop;
    double window;       /* concurrency window; 0: dead */
    double success;      /* positive feedback accumulated */
    double failure;      /* negative feedback accumulated */
    double fail_cohorts; /* failed cohorts in a row */
    int busy;            /* deliveries in flight */
    char *dead_reason;   /* why it is dead; NULL: alive */
    time_t clog_warn_at; /* the next clog warning may come then */
    struct qmgr_entry *todo;
    struct qmgr_entry *todo_tail;
    int todo_count;
    struct qmgr_queue *next; /* all queues, for the scheduler */
};

struct qmgr_transport {
    char *name;
    int rcpt_limit; /* TRANSPORT_destination_recipient_limit; 0: none */
    int dest_limit; /* TRANSPORT_destination_concurrency_limit; 0: none */
    int initial;    /* TRANSPORT_initial_destination_concurrency */
    struct qmgr_feedback {
        double value;   /* 0..1 */
        int per_window; /* "N/concurrency": value / window */
    } pos_feedback, neg_feedback;
    double cohort_limit;    /* 0: never dead */
    time_t throttled_until; /* 0: usable */
    char *throttle_reason;
    struct htable *queues;       /* nexthop -> struct qmgr_queue */
    struct qmgr_transport *next; /* all transports */
};

/* Settings read at start-up (qmgr.c). */
/* The service that defers recipients of defer_transports (Postfix's "retry"). */
#define QMGR_RETRY_SERVICE "retry"

/*
 * A mark in the queue file's mode (docs/queue-format.md): the report of
 * the first delivery attempt (trace_flags 1, "sendmail -v") was sent, so
 * later attempts record nothing more for it.
 */
#define QMGR_TRACE_SENT_MODE S_IXOTH

struct qmgr_params {
    int active_limit;
    int rcpt_limit;      /* qmgr_message_recipient_limit: recipients in memory */
    int rcpt_minimum;    /* qmgr_message_recipient_minimum: per message slice */
    int dont_remove;     /* finished files go to saved/ instead of away */
    long clog_warn_time; /* 0, or helpful_warnings off: no clog warnings */
    long min_backoff;
    long max_backoff;
    long queue_run_delay;
    long max_queue_lifetime;
    long bounce_queue_lifetime;
    long ipc_timeout;
    long delivery_timeout;
    long transport_retry_time;
    int log_resolution;
    const char *bounce_service;
    const char *defer_service;
    const char *trace_service;
    struct argv *defer_transports; /* delivered only when flushed (postqueue -f) */
};

extern struct qmgr_params qmgr_params;
extern int qmgr_message_count; /* messages in memory */
extern int qmgr_rcpt_count;    /* recipients in memory */

/* qmgr.c */
void qmgr_scan_request(void);
void qmgr_scan_again(void);

/* qmgr_message.c */
struct qmgr_message *qmgr_message_activate(const char *from_queue, const char *path,
                                           const char *id);
void qmgr_message_feed(struct qmgr_message *msg);
void qmgr_message_entry_done(struct qmgr_message *msg);
int qmgr_message_lock(struct qmgr_message *msg);
int qmgr_message_lock_update(struct qmgr_message *msg);
int qmgr_message_in_active(struct qmgr_message *msg);
void qmgr_message_unlock(struct qmgr_message *msg);
void qmgr_message_free(struct qmgr_message *msg);
void qmgr_message_result(struct qmgr_message *msg, const struct qmgr_rcpt *rcpt, int status,
                         const char *dsn_status, const char *dsn_action, const char *reason,
                         const char *relay);
void qmgr_message_local_result(struct qmgr_message *msg, const struct qmgr_rcpt *rcpt, int status,
                               const char *dsn_status, const char *reason);
struct deliver_expansion;
void qmgr_message_expansion(struct qmgr_message *msg, const struct qmgr_rcpt *rcpt,
                            const struct deliver_expansion *leaves, int count);
void qmgr_rcpt_copy(struct qmgr_rcpt *dst, const struct qmgr_rcpt *src);
void qmgr_rcpt_free(struct qmgr_rcpt *rcpt);

/* qmgr_finish.c */
void qmgr_message_finish(struct qmgr_message *msg);
void qmgr_recover_active(void);
void qmgr_remove_orphan_logs(void);

/* qmgr_queue.c */
struct qmgr_transport *qmgr_transport_find(const char *name);
struct qmgr_queue *qmgr_queue_find(struct qmgr_transport *transport, const char *nexthop);
void qmgr_queue_add(struct qmgr_queue *queue, struct qmgr_message *msg,
                    const struct qmgr_rcpt *rcpt);
void qmgr_schedule(void);
int qmgr_feedback_parse(const char *spec, struct qmgr_feedback *fb);
void qmgr_queue_success(struct qmgr_queue *queue);
void qmgr_queue_failure(struct qmgr_queue *queue, const char *reason);
void qmgr_transport_unavailable(struct qmgr_transport *transport, const char *reason);
void qmgr_queue_forget_dead(void);
void qmgr_entry_defer(struct qmgr_entry *entry, int from, const char *dsn, const char *reason);
void qmgr_entry_free(struct qmgr_entry *entry);

/* qmgr_deliver.c */
void qmgr_deliver_start(struct qmgr_entry *entry);

/* qmgr_log.c */
void qmgr_log_result(const struct qmgr_message *msg, const struct qmgr_rcpt *rcpt,
                     const char *relay, const char *dsn_status, const char *status_word,
                     const char *reason);

#endif
