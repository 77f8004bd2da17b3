/*
 * postsuper - what the parts of the postsuper command share:
 * postsuper.c (options, checks, privileges, order of work, the counts it
 * reports), postsuper_ops.c (delete, hold, release, requeue and expire
 * messages by id, by "ALL" or by ids read from standard input) and
 * postsuper_struct.c (-s/-S structure check and repair, -p purge).
 *
 * Every function runs in queue_directory with mail_owner's privileges and
 * logs what it does with msg_info/msg_warn (standard error and the mail
 * log), in Postfix's words.
 *
 *   postsuper_op(ctx, op, arg)
 *       one -d/-e/-f/-h/-H/-r request: arg is a queue id, "ALL", or "-"
 *       (ids from standard input, one a line). A name that is not a
 *       queue id is a warning ("invalid mail queue id: NAME"); a message
 *       that is not found is not counted and not reported.
 *   postsuper_lock(path, st)
 *       opens a queue file and takes the exclusive lock that every mover
 *       holds while it renames or removes it (docs/queue-format.md, "Who
 *       may move a file"), then checks that path still names the locked
 *       file. Returns the descriptor (closing it drops the lock), or -1:
 *       errno ENOENT when there is no such file (or it kept moving),
 *       another errno after a warning.
 *   postsuper_move(from, id, to_queue)
 *       renames a locked file to its place in to_queue without replacing
 *       anything, and fsyncs both directories; 0, or -1 after a warning.
 *   postsuper_move_logs(old_id, new_id), postsuper_remove_logs(id)
 *       the message's bounce, defer and trace logs follow it
 *   postsuper_structure(ctx, strict)
 *       -s (strict: -S); returns how many message files were renamed
 *   postsuper_purge(ctx)
 *       -p: removes the temporary files of dead writers
 */
#ifndef TERN_POSTSUPER_H
#define TERN_POSTSUPER_H

#include <sys/stat.h>

#include "util/argv.h"

#define POSTSUPER_OP_DELETE 'd'
#define POSTSUPER_OP_EXPIRE 'e'
#define POSTSUPER_OP_EXPIRE_RELEASE 'f'
#define POSTSUPER_OP_HOLD 'h'
#define POSTSUPER_OP_RELEASE 'H'
#define POSTSUPER_OP_REQUEUE 'r'

struct postsuper_counts {
    int requeued;
    int deleted;
    int expired;
    int held;
    int released;
};

struct postsuper_ctx {
    struct argv *queues; /* the queue names on the command line; empty: defaults */
    int long_ids;        /* enable_long_queue_ids */
    struct postsuper_counts counts;
};

void postsuper_op(struct postsuper_ctx *ctx, int op, const char *arg);
int postsuper_lock(const char *path, struct stat *st);
int postsuper_move(const char *from, const char *id, const char *to_queue);
void postsuper_move_logs(const char *old_id, const char *new_id);
void postsuper_remove_logs(const char *id);
int postsuper_queue_selected(const struct postsuper_ctx *ctx, const char *queue);
int postsuper_structure(const struct postsuper_ctx *ctx, int strict);
void postsuper_purge(const struct postsuper_ctx *ctx);

#endif
