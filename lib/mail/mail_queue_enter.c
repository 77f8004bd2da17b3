/*
 * mail_queue_enter - create a uniquely named queue file and commit it:
 * mail_queue_enter, mail_queue_commit, mail_queue_abandon (see
 * mail_queue.h and docs/queue-format.md, "Commit protocol").
 *
 * The temporary file lives in the queue's top directory, so a hashed
 * queue needs no knowledge of the id before the file exists. The id is
 * made from the current time and the temporary file's inode, which the
 * rename keeps; a name that already exists in the queue (a file restored
 * from elsewhere, or a short id whose microseconds and recycled inode
 * repeat) makes the function wait for the clock to move and try again.
 * The commit's rename never replaces a file, so even a name that appears
 * between enter and commit is never overwritten: the commit fails instead
 * and nothing is acknowledged.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail/mail_queue.h"
#include "mail/queue_id.h"
#include "util/msg.h"
#include "util/myflock.h"
#include "util/mymalloc.h"
#include "util/sane_fs.h"

#define MAIL_QUEUE_ENTER_TRIES 1000 /* ids tried before giving up */

void (*mail_queue_commit_hook)(int step);

#define MAIL_QUEUE_HOOK(step)                                                                      \
    do {                                                                                           \
        if (mail_queue_commit_hook)                                                                \
            mail_queue_commit_hook(step);                                                          \
    } while (0)

static void
mail_queue_file_free(struct mail_queue_file *mqf)
{
    int saved_errno = errno;

    myfree(mqf->queue);
    myfree(mqf->id);
    myfree(mqf->temp_path);
    myfree(mqf->path);
    myfree(mqf);
    errno = saved_errno;
}

/* Creates and locks the temporary file; returns its descriptor or -1. */
static int
mail_queue_create_temp(struct mail_queue_file *mqf, mode_t mode, struct vstring *why)
{
    struct vstring *template = vstring_alloc(64);
    int fd;

    vstring_sprintf(template, "%s/%sXXXXXX", mqf->queue, MAIL_QUEUE_TEMP_PREFIX);
    mqf->temp_path = vstring_export(template);
    if ((fd = mkostemp(mqf->temp_path, O_CLOEXEC)) < 0) {
        vstring_sprintf(why, "create file %s: %m", mqf->temp_path);
        return -1;
    }
    if (fchmod(fd, mode & 07777) < 0 ||
        myflock(fd, MYFLOCK_STYLE_FLOCK, MYFLOCK_OP_EXCLUSIVE) < 0) {
        vstring_sprintf(why, "set up file %s: %m", mqf->temp_path);
        close(fd);
        unlink(mqf->temp_path);
        return -1;
    }
    return fd;
}

/* Picks an id whose name is free in the queue; 0, or -1 with why. */
static int
mail_queue_pick_id(struct mail_queue_file *mqf, int long_ids, struct vstring *why)
{
    struct vstring *id = vstring_alloc(QUEUE_ID_MAX);
    struct vstring *path = vstring_alloc(64);
    struct timeval last = {0, 0};
    struct stat file_st;
    struct stat name_st;
    int ret = -1;

    if (fstat(mqf->fd, &file_st) < 0) {
        vstring_sprintf(why, "fstat file %s: %m", mqf->temp_path);
        goto out;
    }
    for (int tries = 0; tries < MAIL_QUEUE_ENTER_TRIES; tries++) {
        do {
            gettimeofday(&mqf->time, NULL);
        } while (mqf->time.tv_sec == last.tv_sec && mqf->time.tv_usec == last.tv_usec);
        last = mqf->time;
        queue_id_make(id, &mqf->time, file_st.st_ino, long_ids);
        mail_queue_path(path, mqf->queue, vstring_str(id));
        if (lstat(vstring_str(path), &name_st) == 0)
            continue;
        if (errno != ENOENT) {
            vstring_sprintf(why, "lstat file %s: %m", vstring_str(path));
            goto out;
        }
        mqf->id = mystrdup(vstring_str(id));
        mqf->path = mystrdup(vstring_str(path));
        ret = 0;
        goto out;
    }
    vstring_sprintf(why, "cannot find a free queue id in queue %s", mqf->queue);
out:
    vstring_free(id);
    vstring_free(path);
    return ret;
}

int
mail_queue_enter(const char *queue, int long_ids, mode_t mode, struct mail_queue_file **mqfp,
                 struct vstring *why)
{
    struct mail_queue_file *mqf;

    if (!mail_queue_name_ok(queue))
        msg_panic("mail_queue_enter: bad queue name \"%s\"", queue);
    mqf = mycalloc(1, sizeof(*mqf));
    mqf->queue = mystrdup(queue);
    if ((mqf->fd = mail_queue_create_temp(mqf, mode, why)) < 0) {
        mail_queue_file_free(mqf);
        return -1;
    }
    if (mail_queue_pick_id(mqf, long_ids, why) < 0) {
        close(mqf->fd);
        unlink(mqf->temp_path);
        mail_queue_file_free(mqf);
        return -1;
    }
    *mqfp = mqf;
    return 0;
}

/*
 * Makes the new name durable: fsync of the directory (both when a hashed
 * subdirectory is involved). A directory the writer may enter and write
 * but not read (maildrop, mode 1730, for the set-gid postdrop) cannot be
 * opened for fsync; then the file is fsynced again after the rename,
 * which on Linux's journaling file systems (ext4, xfs) commits the journal
 * transaction that holds the rename.
 */
static int
mail_queue_sync_name(const struct mail_queue_file *mqf, int hashed)
{
    if (fsync_parent(mqf->path) < 0 || (hashed && fsync_parent(mqf->temp_path) < 0))
        return errno == EACCES ? fsync(mqf->fd) : -1;
    return 0;
}

/*
 * The one state change that creates a message: fsync, rename, fsync the
 * directories. When the rename took place but the directory sync failed,
 * the file is taken back out (best effort): the caller reports failure, so
 * the message must not be delivered behind the client's back.
 */
int
mail_queue_commit(struct mail_queue_file *mqf, struct vstring *why)
{
    int hashed = strchr(mqf->path + strlen(mqf->queue) + 1, '/') != NULL;

    if (fsync(mqf->fd) < 0) {
        vstring_sprintf(why, "fsync file %s: %m", mqf->temp_path);
        goto fail;
    }
    MAIL_QUEUE_HOOK(MAIL_QUEUE_STEP_FSYNCED);
    if (mail_queue_move_path(mqf->temp_path, mqf->path) < 0) {
        vstring_sprintf(why, "rename file %s as %s: %m", mqf->temp_path, mqf->path);
        goto fail;
    }
    MAIL_QUEUE_HOOK(MAIL_QUEUE_STEP_RENAMED);
    if (mail_queue_sync_name(mqf, hashed) < 0) {
        vstring_sprintf(why, "fsync directory of %s: %m", mqf->path);
        (void)unlink(mqf->path);
        mail_queue_file_free(mqf);
        return -1;
    }
    MAIL_QUEUE_HOOK(MAIL_QUEUE_STEP_DIR_SYNCED);
    mail_queue_file_free(mqf);
    return 0;

fail:
    (void)unlink(mqf->temp_path);
    mail_queue_file_free(mqf);
    return -1;
}

void
mail_queue_abandon(struct mail_queue_file *mqf)
{
    (void)unlink(mqf->temp_path);
    mail_queue_file_free(mqf);
}
