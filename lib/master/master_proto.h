/*
 * master_proto - the contract between the master supervisor and the
 * children it spawns. Both sides include this file; nothing else does.
 *
 * Descriptors a child finds open when it starts:
 *   MASTER_STATUS_FD     write end of the service's status pipe. The child
 *                        writes one struct master_status (atomically: it is
 *                        smaller than PIPE_BUF) each time it becomes
 *                        available (MASTER_STAT_AVAIL, first after its
 *                        initialization) or busy with a client or trigger
 *                        (MASTER_STAT_TAKEN). When the master closes the read
 *                        end (reload, service removed, master gone), the
 *                        descriptor reports an error/hang-up condition: the
 *                        child finishes what it is doing and exits 0.
 *   MASTER_LISTEN_FD ... MASTER_LISTEN_FD + count - 1
 *                        the service's listeners, opened by the master: a
 *                        listening stream socket (inet, unix, pass), a bound
 *                        datagram socket (unix-dgram) or a FIFO opened
 *                        read-write (fifo). count is 1 unless "-s count".
 *   Descriptors 3 and 4 are reserved (not open). 0, 1, 2 are /dev/null.
 *
 * Environment: MAIL_CONFIG (the configuration directory the master read),
 * MASTER_GEN_NAME (the master's generation, hexadecimal; the child echoes it
 * in each status record so that the master can ignore records of children
 * from before a reload), and MAIL_VERBOSE when the master runs with -v. The
 * rest of the environment is import_environment as the master saw it.
 *
 * Command line: argv[0] is the command name from master.cf; then the
 * master's own options; then the rest of the master.cf command field as
 * written (its "-o name=value" options included):
 *   -n NAME     service name (master.cf column 1; inet: as written)
 *   -t TYPE     service type: inet unix unix-dgram fifo pass
 *   -u          unprivileged: become mail_owner (master.cf column 4)
 *   -c          chroot into queue_directory (master.cf column 5)
 *   -s COUNT    number of listeners, when more than one
 *   -l          solitary: master.cf maxproc is 1 (qmgr refuses to run without)
 *   -v          verbose (given once per master -v)
 *   -o NAME=VALUE  main.cf override (from master.cf; later ones win)
 * A child started by hand with -S (stand-alone) serves standard input and
 * output instead, as one client, and exits.
 *
 * The working directory is queue_directory. Children of a root master
 * start as root and drop privileges themselves (mail_server.h) after their
 * pre-jail hook; children of a personal instance run as its user.
 */
#ifndef TERN_MASTER_PROTO_H
#define TERN_MASTER_PROTO_H

#include <sys/types.h>

#define MASTER_STATUS_FD 5
#define MASTER_LISTEN_FD 6

#define MASTER_GEN_NAME "GENERATION"

#define MASTER_STAT_TAKEN 0 /* busy: serving a client or a trigger */
#define MASTER_STAT_AVAIL 1 /* idle: waiting on the listener */

struct master_status {
    int pid;          /* the child's process id */
    unsigned gen;     /* MASTER_GEN_NAME as the child received it */
    int avail;        /* MASTER_STAT_* */
};

/* Exit status of a child that stops because it was told to (reload, idle,
 * use count reached): 0. Anything else, or a signal, is logged by the
 * master; a child that fails before it has served anything throttles its
 * service for service_throttle_time. */

#endif
