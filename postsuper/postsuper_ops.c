/*
 * postsuper_ops - the per-message operations of postsuper: -d (delete),
 * -e (expire), -f (expire, and release when held), -h (hold), -H
 * (release) and -r (requeue); see postsuper.h.
 *
 * Which queues each operation looks in (a message is in one queue; the
 * first one that has the id wins):
 *
 *   -d, -e, -f, -r   hold, incoming, active, deferred
 *   -h               incoming, active, deferred
 *   -H               hold
 *
 * Queue names on the command line replace these lists; a named queue
 * that makes no sense for the operation is passed over (hold for -h,
 * anything but hold for -H, maildrop for -h, -r, -e and -f, the log
 * queues for everything but -d).
 *
 * What each does to a message file it has locked (postsuper_lock):
 *   delete    unlink, then the bounce, defer and trace logs
 *   hold      move to hold
 *   release   move to deferred, with its times set to now (a deferred
 *             file's mtime is its next delivery attempt)
 *   requeue   move to maildrop, times set to now, logs removed: pickup
 *             and cleanup make a new message of it (with a new id)
 *   expire    set the group-execute bit of its mode (S_IXGRP), which
 *             tells qmgr to return the message at its next attempt
 * and each says so: "ID: removed", "ID: placed on hold", "ID: released
 * from hold", "ID: requeued", "ID: expired" (not for "ALL", as Postfix).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail/mail_queue.h"
#include "mail/queue_id.h"
#include "postsuper.h"
#include "util/msg.h"
#include "util/myflock.h"
#include "util/mymalloc.h"
#include "util/sane_fs.h"
#include "util/vstream.h"
#include "util/vstring.h"

#define POSTSUPER_LOCK_TRIES 50  /* lock attempts, ... */
#define POSTSUPER_LOCK_DELAY 100 /* ... about this many ms apart */
#define POSTSUPER_OPEN_TRIES 3   /* the name kept naming another file */
#define POSTSUPER_LINE_MAX 1000  /* ids from standard input */

static const char *const postsuper_default_queues[] = {
    MAIL_QUEUE_HOLD, MAIL_QUEUE_INCOMING, MAIL_QUEUE_ACTIVE, MAIL_QUEUE_DEFERRED, NULL,
};

static const char *const postsuper_log_queues[] = {
    MAIL_QUEUE_BOUNCE,
    MAIL_QUEUE_DEFER,
    MAIL_QUEUE_TRACE,
    NULL,
};

static int
postsuper_is_log_queue(const char *queue)
{
    for (const char *const *qp = postsuper_log_queues; *qp; qp++)
        if (strcmp(*qp, queue) == 0)
            return 1;
    return strcmp(queue, MAIL_QUEUE_FLUSH) == 0;
}

/* May operation op take a message from this queue? */
static int
postsuper_source_ok(int op, const char *queue)
{
    if (op == POSTSUPER_OP_DELETE)
        return 1;
    if (postsuper_is_log_queue(queue) || strcmp(queue, MAIL_QUEUE_MAILDROP) == 0)
        return 0;
    if (op == POSTSUPER_OP_HOLD)
        return strcmp(queue, MAIL_QUEUE_HOLD) != 0;
    if (op == POSTSUPER_OP_RELEASE)
        return strcmp(queue, MAIL_QUEUE_HOLD) == 0;
    return 1;
}

/* The queues operation op looks in, in order. */
static void
postsuper_sources(const struct postsuper_ctx *ctx, int op, struct argv *out)
{
    size_t i;

    argv_truncate(out, 0);
    if (ctx->queues->argc > 0) {
        for (i = 0; i < ctx->queues->argc; i++)
            if (postsuper_source_ok(op, ctx->queues->argv[i]))
                argv_add(out, ctx->queues->argv[i]);
        return;
    }
    for (const char *const *qp = postsuper_default_queues; *qp; qp++)
        if (postsuper_source_ok(op, *qp))
            argv_add(out, *qp);
}

int
postsuper_queue_selected(const struct postsuper_ctx *ctx, const char *queue)
{
    if (ctx->queues->argc == 0)
        return 1;
    for (size_t i = 0; i < ctx->queues->argc; i++)
        if (strcmp(ctx->queues->argv[i], queue) == 0)
            return 1;
    return 0;
}

int
postsuper_lock(const char *path, struct stat *st)
{
    struct vstring *why = vstring_alloc(100);
    struct stat now;
    int fd = -1;

    for (int attempt = 0; attempt < POSTSUPER_OPEN_TRIES; attempt++) {
        if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) < 0) {
            if (errno != ENOENT)
                msg_warn("open file %s: %m", path);
            break;
        }
        if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
            msg_warn("%s: not a regular file", path);
            errno = EINVAL;
            break;
        }
        if (myflock_retry(fd, MYFLOCK_STYLE_FLOCK, MYFLOCK_OP_EXCLUSIVE, POSTSUPER_LOCK_TRIES,
                          POSTSUPER_LOCK_DELAY, why) < 0) {
            msg_warn("%s: %s", path, vstring_str(why));
            errno = EAGAIN;
            break;
        }
        if (lstat(path, &now) == 0 && now.st_dev == st->st_dev && now.st_ino == st->st_ino) {
            vstring_free(why);
            return fd;
        }
        close(fd); /* moved or replaced while we waited: look again */
        fd = -1;
        errno = ENOENT;
    }
    if (fd >= 0) {
        int saved_errno = errno;

        close(fd);
        errno = saved_errno;
    }
    vstring_free(why);
    return -1;
}

int
postsuper_move(const char *from, const char *id, const char *to_queue)
{
    struct vstring *to = vstring_alloc(64);
    int ret = 0;

    mail_queue_path(to, to_queue, id);
    if (mail_queue_move_path(from, vstring_str(to)) < 0) {
        msg_warn("rename file %s as %s: %m", from, vstring_str(to));
        ret = -1;
    } else if (fsync_parent(vstring_str(to)) < 0 || fsync_parent(from) < 0) {
        msg_warn("%s: synchronize directory: %m", vstring_str(to));
    }
    vstring_free(to);
    return ret;
}

void
postsuper_remove_logs(const char *id)
{
    struct vstring *path = vstring_alloc(64);

    for (const char *const *qp = postsuper_log_queues; *qp; qp++)
        if (mail_queue_remove(*qp, id) < 0 && errno != ENOENT)
            msg_warn("remove file %s: %m", mail_queue_path(path, *qp, id));
    vstring_free(path);
}

void
postsuper_move_logs(const char *old_id, const char *new_id)
{
    struct vstring *from = vstring_alloc(64);
    struct vstring *to = vstring_alloc(64);

    for (const char *const *qp = postsuper_log_queues; *qp; qp++) {
        mail_queue_path(from, *qp, old_id);
        mail_queue_path(to, *qp, new_id);
        if (mail_queue_move_path(vstring_str(from), vstring_str(to)) < 0 && errno != ENOENT)
            msg_warn("rename file %s as %s: %m", vstring_str(from), vstring_str(to));
    }
    vstring_free(from);
    vstring_free(to);
}

/* Sets access and modification time to now (deferred: try at once). */
static void
postsuper_touch(int fd, const char *id)
{
    if (futimens(fd, NULL) < 0)
        msg_warn("%s: reset time stamps: %m", id);
}

static void
postsuper_release(struct postsuper_ctx *ctx, int fd, const char *id, const char *path, int quiet)
{
    if (postsuper_move(path, id, MAIL_QUEUE_DEFERRED) < 0)
        return;
    postsuper_touch(fd, id);
    ctx->counts.released++;
    if (!quiet)
        msg_info("%s: released from hold", id);
}

static void
postsuper_expire(struct postsuper_ctx *ctx, int op, int fd, const struct stat *st,
                 const char *queue, const char *id, const char *path, int quiet)
{
    if ((st->st_mode & S_IXGRP) == 0) {
        if (fchmod(fd, (st->st_mode | S_IXGRP) & 07777) < 0) {
            msg_warn("expire file %s: cannot set permission: %m", path);
            return;
        }
        ctx->counts.expired++;
        if (!quiet)
            msg_info("%s: expired", id);
    }
    if (op == POSTSUPER_OP_EXPIRE_RELEASE && strcmp(queue, MAIL_QUEUE_HOLD) == 0)
        postsuper_release(ctx, fd, id, path, quiet);
}

/* Applies op to the locked message file id at path in queue. */
static void
postsuper_apply(struct postsuper_ctx *ctx, int op, int fd, const struct stat *st, const char *queue,
                const char *id, const char *path, int quiet)
{
    switch (op) {
    case POSTSUPER_OP_DELETE:
        if (unlink(path) < 0) {
            msg_warn("remove file %s: %m", path);
            return;
        }
        postsuper_remove_logs(id);
        ctx->counts.deleted++;
        if (!quiet)
            msg_info("%s: removed", id);
        break;
    case POSTSUPER_OP_HOLD:
        if (postsuper_move(path, id, MAIL_QUEUE_HOLD) < 0)
            return;
        ctx->counts.held++;
        if (!quiet)
            msg_info("%s: placed on hold", id);
        break;
    case POSTSUPER_OP_RELEASE:
        postsuper_release(ctx, fd, id, path, quiet);
        break;
    case POSTSUPER_OP_REQUEUE:
        if (postsuper_move(path, id, MAIL_QUEUE_MAILDROP) < 0)
            return;
        postsuper_touch(fd, id);
        postsuper_remove_logs(id);
        ctx->counts.requeued++;
        if (!quiet)
            msg_info("%s: requeued", id);
        break;
    case POSTSUPER_OP_EXPIRE:
    case POSTSUPER_OP_EXPIRE_RELEASE:
        postsuper_expire(ctx, op, fd, st, queue, id, path, quiet);
        break;
    default:
        msg_panic("postsuper_apply: unknown operation '%c'", op);
    }
}

/* Locks the file at path and applies op; a file that went away is skipped. */
static int
postsuper_path(struct postsuper_ctx *ctx, int op, const char *queue, const char *id,
               const char *path, int quiet)
{
    struct stat st;
    int fd;

    if ((fd = postsuper_lock(path, &st)) < 0)
        return 0;
    postsuper_apply(ctx, op, fd, &st, queue, id, path, quiet);
    close(fd);
    return 1;
}

/* One queue id: the first queue of the list that has it. */
static void
postsuper_one(struct postsuper_ctx *ctx, int op, const char *id, struct argv *sources)
{
    struct vstring *path = vstring_alloc(64);

    if (!queue_id_ok(id)) {
        msg_warn("invalid mail queue id: %s", id);
    } else {
        for (size_t i = 0; i < sources->argc; i++) {
            mail_queue_path(path, sources->argv[i], id);
            if (postsuper_path(ctx, op, sources->argv[i], id, vstring_str(path), 0))
                break;
        }
    }
    vstring_free(path);
}

/* "ALL": every message of every source queue, listed before any is touched. */
static void
postsuper_all(struct postsuper_ctx *ctx, int op, struct argv *sources)
{
    struct argv *ids = argv_alloc(16);
    struct argv *paths = argv_alloc(16);
    struct mail_queue_scan *scan;
    const char *id;

    for (size_t i = 0; i < sources->argc; i++) {
        if ((scan = mail_queue_scan_open(sources->argv[i])) == NULL) {
            if (errno != ENOENT)
                msg_warn("open directory %s: %m", sources->argv[i]);
            continue;
        }
        argv_truncate(ids, 0);
        argv_truncate(paths, 0);
        while ((id = mail_queue_scan_next(scan)) != NULL) {
            argv_add(ids, id);
            argv_add(paths, mail_queue_scan_path(scan));
        }
        mail_queue_scan_close(scan);
        for (size_t n = 0; n < ids->argc; n++)
            (void)postsuper_path(ctx, op, sources->argv[i], ids->argv[n], paths->argv[n], 1);
    }
    argv_free(ids);
    argv_free(paths);
}

/* "-": one id a line from standard input, taken as it is. */
static void
postsuper_stdin(struct postsuper_ctx *ctx, int op, struct argv *sources)
{
    struct vstream *in = vstream_stdin();
    struct vstring *line = vstring_alloc(100);
    int last;

    while ((last = vstream_get_line(in, line, POSTSUPER_LINE_MAX)) != VSTREAM_EOF) {
        if (last == '\n') {
            vstring_truncate(line, vstring_len(line) - 1);
        } else if (vstring_len(line) >= POSTSUPER_LINE_MAX) {
            struct vstring *rest = vstring_alloc(100);

            while ((last = vstream_get_line(in, rest, POSTSUPER_LINE_MAX)) != VSTREAM_EOF &&
                   last != '\n')
                ;
            vstring_free(rest);
        }
        postsuper_one(ctx, op, vstring_str(line), sources);
    }
    vstring_free(line);
}

void
postsuper_op(struct postsuper_ctx *ctx, int op, const char *arg)
{
    struct argv *sources = argv_alloc(8);

    postsuper_sources(ctx, op, sources);
    if (strcmp(arg, "ALL") == 0)
        postsuper_all(ctx, op, sources);
    else if (strcmp(arg, "-") == 0)
        postsuper_stdin(ctx, op, sources);
    else
        postsuper_one(ctx, op, arg, sources);
    argv_free(sources);
}
