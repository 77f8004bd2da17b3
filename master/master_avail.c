/*
 * master_avail - on-demand spawning: the status records of children and
 * the watching of a service's listeners.
 *
 * A service's listeners are in the event loop exactly when the service is
 * not throttled, has no idle child, and is below its process limit. A
 * listener that becomes readable then (a client connected, a datagram or
 * a FIFO write arrived) makes the master spawn one child; a new child
 * counts as idle until it reports otherwise, so one client never causes
 * two children. A child reports TAKEN when it starts serving and AVAIL
 * when it waits again; the master never reads or accepts on a listener
 * itself.
 *
 *   master_status_open(serv) / master_status_close(serv)
 *       create or close the service's status pipe. Closing tells every
 *       child that holds the write end to finish and exit; those children
 *       stop counting as idle, but keep their process slot until reaped.
 *   master_avail_update(serv)    puts the listeners in or out of the event
 *                                loop as the rule above says
 *   master_avail_stop(serv)      takes them out for good (service stops)
 *   master_avail_spawned(serv, proc), master_avail_exited(serv, proc)
 *       the bookkeeping of a new and of a reaped child.
 *
 * Bad records (a pid that is not a child of this service, a stale
 * generation, an unknown status, a partial record) are logged and
 * ignored.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "master.h"
#include "master/master_proto.h"
#include "util/events.h"
#include "util/iostuff.h"
#include "util/msg.h"

#define MASTER_STATUS_BATCH 32 /* records read per event */

static void
master_avail_listen_event(int event, void *context)
{
    struct master_serv *serv = context;

    (void)event;
    master_wakeup_used(serv);
    if (!serv->throttled && serv->avail_proc == 0 &&
        (serv->max_proc == 0 || serv->total_proc < serv->max_proc))
        master_spawn(serv);
    else
        master_avail_update(serv);
}

void
master_avail_update(struct master_serv *serv)
{
    int want = !serv->throttled && serv->avail_proc == 0 && serv->listen_count > 0 &&
               (serv->max_proc == 0 || serv->total_proc < serv->max_proc);

    if (want == serv->listening)
        return;
    for (int i = 0; i < serv->listen_count; i++) {
        if (want)
            event_enable_read(serv->listen_fds[i], master_avail_listen_event, serv);
        else
            event_disable_readwrite(serv->listen_fds[i]);
    }
    serv->listening = want;
    if (msg_verbose)
        msg_info("%s: %s avail %d total %d max %d", serv->name,
                 want ? "listening" : "not listening", serv->avail_proc, serv->total_proc,
                 serv->max_proc);
}

void
master_avail_stop(struct master_serv *serv)
{
    if (!serv->listening)
        return;
    for (int i = 0; i < serv->listen_count; i++)
        event_disable_readwrite(serv->listen_fds[i]);
    serv->listening = 0;
}

void
master_avail_spawned(struct master_serv *serv, struct master_proc *proc)
{
    proc->avail = MASTER_STAT_AVAIL;
    serv->avail_proc++;
    serv->total_proc++;
    master_avail_update(serv);
}

void
master_avail_exited(struct master_serv *serv, struct master_proc *proc)
{
    if (proc->avail == MASTER_STAT_AVAIL)
        serv->avail_proc--;
    serv->total_proc--;
    if (serv->avail_proc < 0 || serv->total_proc < 0)
        msg_panic("master_avail_exited: %s: avail %d total %d", serv->name, serv->avail_proc,
                  serv->total_proc);
    master_avail_update(serv);
}

/* One status record from the service's pipe. */
static void
master_status_record(struct master_serv *serv, const struct master_status *stat)
{
    struct master_proc *proc = master_proc_find((pid_t)stat->pid);

    if (proc == NULL || proc->serv != serv) {
        msg_warn("service %s(%s): ignoring status update from pid %d: not a child of this service",
                 serv->name, serv->endpoint, stat->pid);
        return;
    }
    if (stat->gen != proc->gen) {
        msg_warn("ignoring status update from child pid %d generation %u", stat->pid, stat->gen);
        return;
    }
    switch (stat->avail) {
    case MASTER_STAT_AVAIL:
        if (proc->avail != MASTER_STAT_AVAIL) {
            proc->avail = MASTER_STAT_AVAIL;
            serv->avail_proc++;
        }
        break;
    case MASTER_STAT_TAKEN:
        proc->use_count++;
        if (proc->avail == MASTER_STAT_AVAIL) {
            proc->avail = MASTER_STAT_TAKEN;
            serv->avail_proc--;
        }
        break;
    default:
        msg_warn("%s: ignoring unknown status: %d allegedly from pid: %d", serv->name, stat->avail,
                 stat->pid);
        return;
    }
    master_avail_update(serv);
}

static void
master_status_event(int event, void *context)
{
    struct master_serv *serv = context;
    struct master_status stats[MASTER_STATUS_BATCH];
    ssize_t n;

    (void)event;
    n = read(serv->status_fds[0], stats, sizeof(stats));
    if (n < 0) {
        if (errno != EAGAIN && errno != EINTR)
            msg_warn("service %s(%s): read status pipe: %m", serv->name, serv->endpoint);
        return;
    }
    if (n % (ssize_t)sizeof(stats[0]) != 0)
        msg_warn("service %s(%s): child sent partial status update (%d bytes)", serv->name,
                 serv->endpoint, (int)(n % (ssize_t)sizeof(stats[0])));
    for (ssize_t i = 0; i < n / (ssize_t)sizeof(stats[0]); i++)
        master_status_record(serv, &stats[i]);
}

void
master_status_open(struct master_serv *serv)
{
    if (pipe2(serv->status_fds, O_CLOEXEC) < 0)
        msg_fatal("service %s(%s): create status pipe: %m", serv->name, serv->endpoint);
    non_blocking(serv->status_fds[0], NON_BLOCKING);
    event_enable_read(serv->status_fds[0], master_status_event, serv);
}

static void
master_status_forget(struct master_proc *proc, void *context)
{
    struct master_serv *serv = context;

    if (proc->serv == serv && proc->avail == MASTER_STAT_AVAIL) {
        proc->avail = MASTER_STAT_TAKEN;
        serv->avail_proc--;
    }
}

void
master_status_close(struct master_serv *serv)
{
    if (serv->status_fds[0] < 0)
        return;
    event_disable_readwrite(serv->status_fds[0]);
    close(serv->status_fds[0]);
    close(serv->status_fds[1]);
    serv->status_fds[0] = serv->status_fds[1] = -1;
    master_procs_walk(master_status_forget, serv);
}
