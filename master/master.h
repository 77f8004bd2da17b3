/*
 * master.h - what the files of the master supervisor share: the service
 * and process tables, the configuration the master runs with, and the
 * entry points of each file.
 *
 * A service (struct master_serv) is one master.cf entry that runs: its
 * listeners (opened by the master, inherited by every child at fds 6..),
 * its status pipe (children report AVAIL/TAKEN on its write end, fd 5),
 * and its counters. A process (struct master_proc) is one child; it
 * points at its service until that service is removed by a reload, then
 * at nothing (it is still reaped and logged, by its saved command path).
 *
 * Invariants (master_avail.c keeps them):
 *   avail_proc = children of the current generation counted as idle;
 *   total_proc = every child of the service still alive, old generations
 *                included (they hold a process slot until they exit);
 *   the listeners are watched exactly when the service is not throttled,
 *   has no idle child and is below its process limit (0 = no limit).
 *
 * Files: master.c (main, options, start-up, locks), master_conf.c (main.cf,
 * master.cf, reload), master_serv.c (one service: build, start, restart,
 * stop), master_listen.c (local listeners), master_inet.c (TCP listeners),
 * master_spawn.c (fork/exec, reaping, throttling), master_avail.c (status
 * records, on-demand listening), master_wakeup.c (wake-up triggers),
 * master_sig.c (signals).
 */
#ifndef TERN_MASTER_H
#define TERN_MASTER_H

#include <signal.h>
#include <sys/types.h>

#include "config/master_cf.h"
#include "util/argv.h"

struct master_serv {
    struct master_serv *next;
    char *name;             /* master.cf column 1, as written */
    char *type;             /* column 2 */
    int type_code;          /* MASTER_CF_TYPE_* */
    char *endpoint;         /* identity: "private/NAME", "public/NAME", inet name */
    char *host;             /* inet: host part ("" for inet_interfaces) */
    char *port;             /* inet: port part */
    int private_;           /* unix, unix-dgram, fifo, pass: private/ or public/ */
    int unpriv;             /* pass -u */
    int chroot;             /* pass -c */
    int wakeup;             /* seconds, 0 for none */
    int wakeup_conditional; /* "N?": not before the service was used */
    int max_proc;           /* 0 = no limit */
    char *path;             /* program to execute */
    struct argv *args;      /* command field: command as written, then arguments */

    int listen_count; /* listeners, 1 unless inet with several addresses */
    int *listen_fds;
    int status_fds[2]; /* read end (ours), write end (children's fd 5) */

    int avail_proc; /* idle children of this generation */
    int total_proc; /* live children, every generation */
    int throttled;  /* no spawning until the throttle timer fires */
    int listening;  /* listeners enabled in the event loop */
    int used;       /* a client came at least once (for "N?") */
    int wakeup_on;  /* wake-up timer armed */
};

struct master_proc {
    pid_t pid;
    unsigned gen;             /* generation it was started in */
    int avail;                /* MASTER_STAT_AVAIL or MASTER_STAT_TAKEN */
    int use_count;            /* TAKEN records seen */
    struct master_serv *serv; /* NULL after its service was removed */
    char *path;               /* command path, for the exit log line */
};

/* What main.cf and the command line say; filled by master_conf.c. */
struct master_params {
    char *config_dir; /* directory of main.cf and master.cf */
    char *master_cf;  /* config_dir/master.cf */
    char *queue_directory;
    char *daemon_directory;
    char *data_directory;
    char *mail_owner;
    uid_t owner_uid;
    gid_t owner_gid;
    gid_t setgid_gid;
    char *inet_interfaces;  /* fixed at start-up, as in Postfix */
    char *inet_protocols;   /* fixed at start-up */
    int proc_limit;         /* default_process_limit */
    int throttle_time;      /* service_throttle_time, seconds */
    struct argv *child_env; /* environment of children, without GENERATION */
    int keep_stdout;        /* -s, -i: children inherit our standard output */
    int verbose;            /* -v count, passed on */
    int root;               /* we run as root */
};

extern struct master_params master_params;
extern struct master_serv *master_head;
extern unsigned master_generation;

/* master_conf.c */
void master_conf_init(const char *config_dir);
void master_conf_start(void);
void master_conf_reload(void);

/* master_serv.c */
struct master_serv *master_serv_create(const struct master_cf_entry *entry);
int master_serv_same(const struct master_serv *a, const struct master_serv *b);
int master_serv_start(struct master_serv *serv, int fatal);
void master_serv_update(struct master_serv *old, struct master_serv *fresh);
void master_serv_stop(struct master_serv *serv);
void master_serv_free(struct master_serv *serv);

/* master_listen.c */
void master_listen_dirs(void);
int master_listen_local(struct master_serv *serv, int fatal);
void master_listen_close(struct master_serv *serv);

/* master_inet.c */
void master_inet_init(void);
int master_inet_listen(struct master_serv *serv, int fatal);

/* master_spawn.c */
void master_spawn(struct master_serv *serv);
void master_reap(void);
void master_throttle(struct master_serv *serv);
void master_unthrottle(struct master_serv *serv);
void master_kill_children(struct master_serv *serv, int sig);
void master_kill_all(int sig);
void master_forget_children(struct master_serv *serv);
struct master_proc *master_proc_find(pid_t pid);
void master_procs_walk(void (*fn)(struct master_proc *proc, void *context), void *context);

/* master_avail.c */
void master_status_open(struct master_serv *serv);
void master_status_close(struct master_serv *serv);
void master_avail_update(struct master_serv *serv);
void master_avail_stop(struct master_serv *serv);
void master_avail_spawned(struct master_serv *serv, struct master_proc *proc);
void master_avail_exited(struct master_serv *serv, struct master_proc *proc);

/* master_wakeup.c */
void master_wakeup_start(struct master_serv *serv);
void master_wakeup_stop(struct master_serv *serv);
void master_wakeup_used(struct master_serv *serv);

/* master_sig.c */
void master_sig_init(void);
void master_sig_block(sigset_t *saved);
void master_sig_restore(const sigset_t *saved);
void master_sig_child_reset(void);

#endif
