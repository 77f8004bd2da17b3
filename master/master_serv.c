/*
 * master_serv - one service of master.cf, from its table entry to its
 * end: what the master runs and how it starts, restarts and stops it.
 *
 *   serv = master_serv_create(entry)  the service as the entry and main.cf
 *                                     describe it (process limit "-" is
 *                                     default_process_limit, the command
 *                                     is under daemon_directory unless
 *                                     absolute); nothing is opened yet.
 *   master_serv_same(a, b)            same type and endpoint: a reload
 *                                     keeps such a service's listeners.
 *   master_serv_start(serv, fatal)    listeners, status pipe, wake-up,
 *                                     on-demand watching. A listener that
 *                                     cannot be opened is fatal when fatal
 *                                     is set, else a warning and -1.
 *   master_serv_update(old, fresh)    reload: old takes fresh's settings
 *                                     and keeps its listeners; its status
 *                                     pipe is replaced, which tells every
 *                                     running child to finish and exit.
 *                                     A throttled service gets a fresh
 *                                     chance at once. fresh is freed.
 *   master_serv_stop(serv)            everything closed, children sent
 *                                     SIGTERM and left to be reaped.
 *   master_serv_free(serv)            memory only.
 */
#include <string.h>

#include "master.h"
#include "util/mymalloc.h"
#include "util/vstring.h"

/* The program: absolute as written, else under daemon_directory. */
static char *
master_serv_path(const char *command)
{
    struct vstring *path;

    if (command[0] == '/')
        return mystrdup(command);
    path = vstring_alloc(100);
    vstring_sprintf(path, "%s/%s", master_params.daemon_directory, command);
    return vstring_export(path);
}

static struct argv *
master_serv_copy_args(const struct argv *args)
{
    struct argv *copy = argv_alloc(args->argc + 1);

    for (size_t i = 0; i < args->argc; i++)
        argv_add(copy, args->argv[i]);
    return copy;
}

struct master_serv *
master_serv_create(const struct master_cf_entry *entry)
{
    struct master_serv *serv = mycalloc(1, sizeof(*serv));

    serv->name = mystrdup(entry->name);
    serv->type = mystrdup(entry->type);
    serv->type_code = entry->type_code;
    serv->endpoint = mystrdup(entry->endpoint);
    serv->host = mystrdup(entry->host ? entry->host : "");
    serv->port = mystrdup(entry->port ? entry->port : "");
    serv->private_ = entry->private_;
    serv->unpriv = entry->unpriv;
    serv->chroot = entry->chroot;
    serv->wakeup = entry->wakeup;
    serv->wakeup_conditional = entry->wakeup_conditional;
    serv->max_proc = entry->maxproc < 0 ? master_params.proc_limit : entry->maxproc;
    serv->path = master_serv_path(entry->args->argv[0]);
    serv->args = master_serv_copy_args(entry->args);
    serv->status_fds[0] = serv->status_fds[1] = -1;
    return serv;
}

int
master_serv_same(const struct master_serv *a, const struct master_serv *b)
{
    return a->type_code == b->type_code && strcmp(a->endpoint, b->endpoint) == 0;
}

int
master_serv_start(struct master_serv *serv, int fatal)
{
    int status;

    if (serv->type_code == MASTER_CF_TYPE_INET)
        status = master_inet_listen(serv, fatal);
    else
        status = master_listen_local(serv, fatal);
    if (status < 0)
        return -1;
    master_status_open(serv);
    master_wakeup_start(serv);
    master_avail_update(serv);
    return 0;
}

/* Swaps a pointer-sized setting between two services. */
#define MASTER_SWAP(a, b, field)                                                                   \
    do {                                                                                           \
        __typeof__((a)->field) tmp_ = (a)->field;                                                  \
        (a)->field = (b)->field;                                                                   \
        (b)->field = tmp_;                                                                         \
    } while (0)

void
master_serv_update(struct master_serv *old, struct master_serv *fresh)
{
    master_wakeup_stop(old);
    MASTER_SWAP(old, fresh, name);
    MASTER_SWAP(old, fresh, type);
    MASTER_SWAP(old, fresh, host);
    MASTER_SWAP(old, fresh, port);
    MASTER_SWAP(old, fresh, path);
    MASTER_SWAP(old, fresh, args);
    old->unpriv = fresh->unpriv;
    old->chroot = fresh->chroot;
    old->wakeup = fresh->wakeup;
    old->wakeup_conditional = fresh->wakeup_conditional;
    old->max_proc = fresh->max_proc;
    master_serv_free(fresh);
    master_unthrottle(old);
    master_status_close(old);
    master_status_open(old);
    master_wakeup_start(old);
    master_avail_update(old);
}

void
master_serv_stop(struct master_serv *serv)
{
    master_wakeup_stop(serv);
    master_unthrottle(serv);
    master_avail_stop(serv);
    master_listen_close(serv);
    master_status_close(serv);
    master_kill_children(serv, SIGTERM);
    master_forget_children(serv);
}

void
master_serv_free(struct master_serv *serv)
{
    myfree(serv->name);
    myfree(serv->type);
    myfree(serv->endpoint);
    myfree(serv->host);
    myfree(serv->port);
    myfree(serv->path);
    if (serv->args)
        argv_free(serv->args);
    myfree(serv->listen_fds);
    myfree(serv);
}
