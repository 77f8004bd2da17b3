/*
 * test_qmgr_queue - unit tests for the concurrency feedback of qmgr's
 * scheduler (qmgr/qmgr_queue.c), against the rules of postconf(5):
 * default_destination_concurrency_positive_feedback, _negative_feedback
 * and _failed_cohort_limit, with their TRANSPORT_ overrides.
 *
 * Covered: feedback syntax ("N", "N/M", "N/concurrency", blanks, 0, bad
 * values); positive feedback grows the window by one at the END of a run
 * of 1/feedback successes, up to the concurrency limit and only while the
 * window is within the initial concurrency of the busy count; negative
 * feedback shrinks it at the START of a run of 1/feedback failures, never
 * below 1, not at all with 0; the failed pseudo-cohort count (1/window per
 * failure) kills the destination at the limit (its waiting entries are
 * deferred "delivery temporarily suspended: REASON"), is reset by a
 * success, and a limit of 0 never kills.
 *
 * qmgr_queue.c is included; the few functions it needs from the rest of
 * qmgr are stubs here that record what they were asked.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "../../qmgr/qmgr_queue.c"
#include "conf_test_helpers.h"

struct qmgr_params qmgr_params;
int qmgr_message_count;
int qmgr_rcpt_count;

static int deferred_count;
static char deferred_reason[200];

void
qmgr_deliver_start(struct qmgr_entry *entry)
{
    (void)entry;
}

void
qmgr_rcpt_copy(struct qmgr_rcpt *dst, const struct qmgr_rcpt *src)
{
    *dst = *src;
    dst->address = mystrdup(src->address);
}

void
qmgr_rcpt_free(struct qmgr_rcpt *rcpt)
{
    myfree(rcpt->address);
}

void
qmgr_message_entry_done(struct qmgr_message *msg)
{
    msg->refcount--;
}

void
qmgr_message_local_result(struct qmgr_message *msg, const struct qmgr_rcpt *rcpt, int status,
                          const char *dsn_status, const char *reason)
{
    (void)msg;
    (void)rcpt;
    (void)dsn_status;
    assert_int_equal(status, DEL_RCPT_DEFER);
    deferred_count++;
    snprintf(deferred_reason, sizeof(deferred_reason), "%s", reason);
}

/* Transport NAME (a new one each test) with SETTINGS applied first. */
static struct qmgr_transport *
make_transport(const char *name, const char *settings)
{
    test_conf_apply(settings);
    qmgr_params.min_backoff = 60;
    qmgr_params.active_limit = 20000;
    return qmgr_transport_find(name);
}

/* TEXT parses as feedback VALUE, per window or not. */
static void
expect_feedback(const char *text, double value, int per_window)
{
    struct qmgr_feedback fb;

    assert_int_equal(qmgr_feedback_parse(text, &fb), 0);
    assert_true(fb.value == value);
    assert_int_equal(fb.per_window, per_window);
}

static void
test_feedback_syntax(void **state)
{
    struct qmgr_feedback fb;

    (void)state;
    expect_feedback("1", 1, 0);
    expect_feedback("0", 0, 0);
    expect_feedback("1/4", 0.25, 0);
    expect_feedback("1 / 8", 0.125, 0);
    expect_feedback("1/concurrency", 1, 1);
    expect_feedback("0.5 / concurrency", 0.5, 1);
    assert_int_equal(qmgr_feedback_parse("2", &fb), -1);
    assert_int_equal(qmgr_feedback_parse("3/2", &fb), -1);
    assert_int_equal(qmgr_feedback_parse("-1", &fb), -1);
    assert_int_equal(qmgr_feedback_parse("1/0", &fb), -1);
    assert_int_equal(qmgr_feedback_parse("x", &fb), -1);
    assert_int_equal(qmgr_feedback_parse("1/concurrencyx", &fb), -1);
    assert_int_equal(qmgr_feedback_parse("", &fb), -1);
}

static void
test_transport_reads_overrides(void **state)
{
    struct qmgr_transport *t;

    (void)state;
    t = make_transport("over1", "default_destination_concurrency_positive_feedback=1/concurrency|"
                                "default_destination_concurrency_negative_feedback=1/2|"
                                "default_destination_concurrency_failed_cohort_limit=3");
    assert_true(t->pos_feedback.per_window && t->pos_feedback.value == 1);
    assert_true(!t->neg_feedback.per_window && t->neg_feedback.value == 0.5);
    assert_true(t->cohort_limit == 3);
    t = make_transport("over2", "over2_destination_concurrency_negative_feedback=0|"
                                "default_destination_concurrency_negative_feedback=1");
    assert_true(t->neg_feedback.value == 0);
}

/* Busy as if the window were full, so that the margin never stops growth. */
static void
succeed(struct qmgr_queue *q)
{
    q->busy = (int)q->window - 1;
    qmgr_queue_success(q);
    q->busy = 0;
}

static void
succeed_times(struct qmgr_queue *q, int count)
{
    for (int i = 0; i < count; i++)
        succeed(q);
}

static void
fail_times(struct qmgr_queue *q, int count, const char *reason)
{
    for (int i = 0; i < count; i++)
        qmgr_queue_failure(q, reason);
}

/* The queue for DEST of a new transport NAME with SETTINGS applied first. */
static struct qmgr_queue *
make_queue(const char *name, const char *settings, const char *dest)
{
    return qmgr_queue_find(make_transport(name, settings), dest);
}

static void
test_positive_feedback_end_of_sequence(void **state)
{
    struct qmgr_queue *q;

    (void)state;
    q = make_queue("pos",
                   "initial_destination_concurrency=2|"
                   "default_destination_concurrency_limit=4|"
                   "default_destination_concurrency_positive_feedback=1/3",
                   "a.example");
    assert_true(q->window == 2);
    succeed(q);
    succeed(q);
    assert_true(q->window == 2); /* not yet: the end of a run of 3 */
    succeed(q);
    assert_true(q->window == 3);
    succeed_times(q, 10);
    assert_true(q->window == 4); /* the limit */
}

static void
test_positive_feedback_per_concurrency(void **state)
{
    struct qmgr_queue *q;

    (void)state;
    q = make_queue("posc",
                   "initial_destination_concurrency=3|"
                   "default_destination_concurrency_limit=20|"
                   "default_destination_concurrency_positive_feedback=1/concurrency",
                   "b.example");
    succeed_times(q, 2);
    assert_true(q->window == 3);
    succeed(q); /* a whole pseudo-cohort of 3 */
    assert_true(q->window == 4);
    succeed_times(q, 4);
    assert_true(q->window == 5);
}

static void
test_positive_feedback_bounded_by_use(void **state)
{
    struct qmgr_queue *q;

    (void)state;
    q = make_queue("use",
                   "initial_destination_concurrency=2|"
                   "default_destination_concurrency_limit=50",
                   "c.example");
    for (int i = 0; i < 20; i++) {
        q->busy = 0; /* one delivery at a time, which is the one completing */
        qmgr_queue_success(q);
    }
    assert_true(q->window == 3); /* busy (1) + initial (2) */
}

static void
test_negative_feedback_start_of_sequence(void **state)
{
    struct qmgr_queue *q;

    (void)state;
    q = make_queue("neg",
                   "initial_destination_concurrency=5|"
                   "default_destination_concurrency_negative_feedback=1/2|"
                   "default_destination_concurrency_failed_cohort_limit=0",
                   "d.example");
    qmgr_queue_failure(q, "boom");
    assert_true(q->window == 4); /* at once: the start of a run of 2 */
    qmgr_queue_failure(q, "boom");
    assert_true(q->window == 4);
    qmgr_queue_failure(q, "boom");
    assert_true(q->window == 3);
    fail_times(q, 20, "boom");
    assert_true(q->window == 1); /* never zero */
    assert_null(q->dead_reason); /* a cohort limit of 0 never kills */
}

static void
test_zero_negative_feedback_is_immune(void **state)
{
    struct qmgr_queue *q;

    (void)state;
    q = make_queue("zero",
                   "initial_destination_concurrency=5|"
                   "default_destination_concurrency_negative_feedback=0|"
                   "default_destination_concurrency_failed_cohort_limit=0",
                   "e.example");
    fail_times(q, 20, "boom");
    assert_true(q->window == 5);
    assert_null(q->dead_reason);
}

static void
test_failed_cohorts_kill_and_success_resets(void **state)
{
    struct qmgr_queue *q;
    struct qmgr_message msg;
    struct qmgr_rcpt rcpt = {.address = "x@f.example", .orig_rcpt = "", .dsn_orcpt = ""};

    (void)state;
    memset(&msg, 0, sizeof(msg));
    q = make_queue("cohort",
                   "initial_destination_concurrency=2|"
                   "default_destination_concurrency_positive_feedback=0|"
                   "default_destination_concurrency_negative_feedback=0|"
                   "default_destination_concurrency_failed_cohort_limit=2",
                   "f.example");
    /* Three failures at window 2 are 1.5 cohorts; a success resets. */
    fail_times(q, 3, "connect refused");
    assert_null(q->dead_reason);
    qmgr_queue_success(q);
    assert_true(q->fail_cohorts == 0);
    fail_times(q, 3, "connect refused");
    assert_null(q->dead_reason);
    qmgr_queue_add(q, &msg, &rcpt); /* one waiting entry */
    deferred_count = 0;
    qmgr_queue_failure(q, "connect refused"); /* the fourth: 2 cohorts */
    assert_non_null(q->dead_reason);
    assert_string_equal(q->dead_reason, "connect refused");
    assert_int_equal(deferred_count, 1);
    assert_string_equal(deferred_reason, "delivery temporarily suspended: connect refused");
    assert_null(q->todo);
    struct qmgr_transport *transport = q->transport;
    qmgr_queue_forget_dead(); /* the F trigger; the now idle queue may be freed */
    q = qmgr_queue_find(transport, "f.example");
    assert_null(q->dead_reason);
    assert_true(q->window == 2);
}

static void
test_default_cohort_limit_kills_after_one_cohort(void **state)
{
    struct qmgr_queue *q;

    (void)state;
    q = make_queue("deflt", "initial_destination_concurrency=3", "g.example");
    qmgr_queue_failure(q, "x"); /* 1/3 cohort, window 3 -> 2 */
    assert_null(q->dead_reason);
    assert_true(q->window == 2);
    qmgr_queue_failure(q, "x"); /* + 1/2 */
    assert_null(q->dead_reason);
    qmgr_queue_failure(q, "x"); /* + 1/1: over one cohort */
    assert_non_null(q->dead_reason);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_feedback_syntax),
        cmocka_unit_test(test_transport_reads_overrides),
        cmocka_unit_test(test_positive_feedback_end_of_sequence),
        cmocka_unit_test(test_positive_feedback_per_concurrency),
        cmocka_unit_test(test_positive_feedback_bounded_by_use),
        cmocka_unit_test(test_negative_feedback_start_of_sequence),
        cmocka_unit_test(test_zero_negative_feedback_is_immune),
        cmocka_unit_test(test_failed_cohorts_kill_and_success_resets),
        cmocka_unit_test(test_default_cohort_limit_kills_after_one_cohort),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
