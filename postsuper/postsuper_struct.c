/*
 * postsuper_struct - postsuper -s and -S (structure check and repair) and
 * -p (purge temporary files); see postsuper.h.
 *
 * -s walks the log queues (defer, bounce, trace) and then the message
 * queues (maildrop, incoming, active, deferred, hold), each through its
 * one-character subdirectories, and for every file:
 *
 *   - a name that is not a queue id of either form is reported
 *     ("warning: bogus file name: QUEUE/NAME") and left alone; temporary
 *     files (".tmpXXXXXX") are -p's business and are passed over;
 *   - a message file whose name does not match its inode is renamed to
 *     the name it would get now: a short id keeps its microseconds and
 *     gets the inode; a long id becomes a short one when
 *     enable_long_queue_ids is off, and with -S (only) its inode part is
 *     checked too. The message's bounce, defer and trace logs are renamed
 *     with it. This is needed after a queue was restored from a backup or
 *     another machine, where inodes differ;
 *   - a file that is not where hash_queue_names and hash_queue_depth put
 *     it is moved there.
 * Then subdirectories that the hash settings no longer need are removed
 * when empty. Renames and moves lock the file first (postsuper_lock) and
 * never replace another file; with -v they are logged ("renamed file A as
 * B"). The caller reports the number of renamed messages.
 *
 * -p removes, in every queue, the temporary files that no writer holds
 * locked and that were not modified for POSTSUPER_TEMP_AGE seconds
 * (mail_queue_remove_stale).
 */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail/mail_queue.h"
#include "mail/queue_id.h"
#include "postsuper.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/vstring.h"

#define POSTSUPER_TEMP_AGE 3600 /* -p: seconds before an unlocked temporary file is stale */
#define POSTSUPER_WALK_DEPTH 8  /* as deep as a scan goes */

static const char *const postsuper_struct_queues[] = {
    MAIL_QUEUE_DEFER,    MAIL_QUEUE_BOUNCE,   MAIL_QUEUE_TRACE,
    MAIL_QUEUE_MAILDROP, MAIL_QUEUE_INCOMING, MAIL_QUEUE_ACTIVE,
    MAIL_QUEUE_DEFERRED, MAIL_QUEUE_HOLD,     NULL,
};

struct postsuper_walk {
    struct argv *files; /* every file, in directory order */
    struct argv *dirs;  /* every hash subdirectory, innermost first */
};

/* Lists dir (depth levels below its queue) into walk. */
static void
postsuper_walk_dir(struct postsuper_walk *walk, const char *dir, int depth)
{
    struct vstring *path = vstring_alloc(64);
    struct dirent *dp;
    struct stat st;
    DIR *dirp;

    if ((dirp = opendir(dir)) == NULL) {
        if (errno != ENOENT)
            msg_warn("open directory %s: %m", dir);
        vstring_free(path);
        return;
    }
    while ((dp = readdir(dirp)) != NULL) {
        if (strcmp(dp->d_name, ".") == 0 || strcmp(dp->d_name, "..") == 0)
            continue;
        vstring_sprintf(path, "%s/%s", dir, dp->d_name);
        if (lstat(vstring_str(path), &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode) && dp->d_name[1] == 0 && depth < POSTSUPER_WALK_DEPTH) {
            postsuper_walk_dir(walk, vstring_str(path), depth + 1);
            argv_add(walk->dirs, vstring_str(path));
        } else if (!(depth == 0 && mail_queue_temp_name_ok(dp->d_name))) {
            argv_add(walk->files, vstring_str(path));
        }
    }
    closedir(dirp);
    vstring_free(path);
}

static int
postsuper_is_message_queue(const char *queue)
{
    return strcmp(queue, MAIL_QUEUE_DEFER) != 0 && strcmp(queue, MAIL_QUEUE_BOUNCE) != 0 &&
           strcmp(queue, MAIL_QUEUE_TRACE) != 0;
}

/* The name a message file with this name and inode should have now. */
static const char *
postsuper_wanted_name(const char *name, ino_t inode, int long_ids, int strict, struct vstring *buf)
{
    struct timeval tv = {0, 0};
    long usec;

    if (queue_id_is_long(name)) {
        if (long_ids) {
            if (!strict || queue_id_time(name, &tv) < 0)
                return name;
            return queue_id_make(buf, &tv, inode, 1);
        }
    }
    if (queue_id_usec(name, &usec) < 0)
        return name;
    tv.tv_usec = usec;
    return queue_id_make(buf, &tv, inode, 0);
}

/* Renames a message file and its logs; 1 when renamed. */
static int
postsuper_rename(const char *queue, const char *path, const char *name, const char *new_name)
{
    struct vstring *to = vstring_alloc(64);
    struct stat st;
    int fd;
    int renamed = 0;

    if ((fd = postsuper_lock(path, &st)) < 0) {
        vstring_free(to);
        return 0;
    }
    mail_queue_path(to, queue, new_name);
    if (postsuper_move(path, new_name, queue) == 0) {
        if (msg_verbose)
            msg_info("renamed file %s as %s", path, vstring_str(to));
        postsuper_move_logs(name, new_name);
        renamed = 1;
    }
    close(fd);
    vstring_free(to);
    return renamed;
}

/* Moves a file whose name is right to where the hash settings want it. */
static void
postsuper_place(const char *queue, const char *path, const char *name)
{
    struct vstring *want = vstring_alloc(64);
    struct stat st;
    int fd;

    mail_queue_path(want, queue, name);
    if (strcmp(path, vstring_str(want)) != 0 && (fd = postsuper_lock(path, &st)) >= 0) {
        if (postsuper_move(path, name, queue) == 0 && msg_verbose)
            msg_info("renamed file %s as %s", path, vstring_str(want));
        close(fd);
    }
    vstring_free(want);
}

/* Checks one file; returns 1 when a message file was renamed. */
static int
postsuper_check_file(const char *queue, const char *path, int long_ids, int strict)
{
    const char *name = strrchr(path, '/') + 1;
    struct vstring *buf = vstring_alloc(QUEUE_ID_MAX);
    const char *wanted;
    struct stat st;
    long usec;
    int renamed = 0;

    if (!queue_id_ok(name) || queue_id_usec(name, &usec) < 0) {
        msg_warn("bogus file name: %s", path);
    } else if (lstat(path, &st) < 0) {
        /* gone meanwhile */
    } else if (!S_ISREG(st.st_mode)) {
        msg_warn("bogus file name: %s", path);
    } else if (postsuper_is_message_queue(queue) &&
               strcmp(wanted = postsuper_wanted_name(name, st.st_ino, long_ids, strict, buf),
                      name) != 0) {
        renamed = postsuper_rename(queue, path, name, wanted);
    } else {
        postsuper_place(queue, path, name);
    }
    vstring_free(buf);
    return renamed;
}

/* Removes the subdirectories (innermost first) that hashing does not use. */
static void
postsuper_prune(const char *queue, const struct argv *dirs)
{
    int hash_depth = mail_queue_hashed(queue) ? 0 : -1;
    struct vstring *probe = vstring_alloc(64);
    int depth;

    if (hash_depth == 0) /* how deep the hash levels go: count them on a sample id */
        for (const char *cp = mail_queue_dir(probe, queue, "A"); *cp; cp++)
            hash_depth += *cp == '/';
    for (size_t i = 0; i < dirs->argc; i++) {
        depth = 0;
        for (const char *cp = dirs->argv[i]; *cp; cp++)
            depth += *cp == '/';
        if (depth <= hash_depth)
            continue;
        if (rmdir(dirs->argv[i]) == 0) {
            if (msg_verbose)
                msg_info("remove subdirectory %s", dirs->argv[i]);
        } else if (errno != ENOTEMPTY && errno != EEXIST && errno != ENOENT) {
            msg_warn("remove subdirectory %s: %m", dirs->argv[i]);
        }
    }
    vstring_free(probe);
}

int
postsuper_structure(const struct postsuper_ctx *ctx, int strict)
{
    struct postsuper_walk walk;
    int renamed = 0;

    for (const char *const *qp = postsuper_struct_queues; *qp; qp++) {
        if (!postsuper_queue_selected(ctx, *qp))
            continue;
        if (msg_verbose)
            msg_info("queue: %s", *qp);
        walk.files = argv_alloc(16);
        walk.dirs = argv_alloc(16);
        postsuper_walk_dir(&walk, *qp, 0);
        for (size_t i = 0; i < walk.files->argc; i++)
            renamed += postsuper_check_file(*qp, walk.files->argv[i], ctx->long_ids, strict);
        postsuper_prune(*qp, walk.dirs);
        argv_free(walk.files);
        argv_free(walk.dirs);
    }
    return renamed;
}

void
postsuper_purge(const struct postsuper_ctx *ctx)
{
    int removed;

    for (const char *const *qp = mail_queue_names; *qp; qp++) {
        if (!postsuper_queue_selected(ctx, *qp))
            continue;
        removed = mail_queue_remove_stale(*qp, POSTSUPER_TEMP_AGE);
        if (removed > 0 && msg_verbose)
            msg_info("%s: removed %d temporary file%s", *qp, removed, removed == 1 ? "" : "s");
    }
}
