/*
 * mail_queue_scan - list the files of a queue, and remove the temporary
 * files of dead writers; see mail_queue.h.
 *
 * The scan descends into subdirectories whose name is one character (the
 * hash levels), at most MAIL_QUEUE_SCAN_DEPTH deep, and never follows
 * symbolic links. It yields names that pass queue_id_ok; mail_queue_scan_path
 * gives where the last one actually is, which differs from mail_queue_path
 * after hash_queue_names or hash_queue_depth changed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mail/mail_queue.h"
#include "mail/queue_id.h"
#include "util/msg.h"
#include "util/myflock.h"
#include "util/mymalloc.h"

#define MAIL_QUEUE_SCAN_DEPTH 8

struct mail_queue_scan_level {
    DIR *dir;
    char *path;
};

struct mail_queue_scan {
    struct mail_queue_scan_level level[MAIL_QUEUE_SCAN_DEPTH + 1];
    int depth;            /* index of the innermost open level, -1 when done */
    struct vstring *path; /* path of the last name returned */
};

static int
mail_queue_scan_push(struct mail_queue_scan *scan, const char *path)
{
    DIR *dir;

    if ((dir = opendir(path)) == NULL)
        return -1;
    scan->depth++;
    scan->level[scan->depth].dir = dir;
    scan->level[scan->depth].path = mystrdup(path);
    return 0;
}

static void
mail_queue_scan_pop(struct mail_queue_scan *scan)
{
    closedir(scan->level[scan->depth].dir);
    myfree(scan->level[scan->depth].path);
    scan->depth--;
}

struct mail_queue_scan *
mail_queue_scan_open(const char *queue)
{
    struct mail_queue_scan *scan;

    if (!mail_queue_name_ok(queue))
        msg_panic("mail_queue_scan_open: bad queue name \"%s\"", queue);
    scan = mycalloc(1, sizeof(*scan));
    scan->depth = -1;
    scan->path = vstring_alloc(64);
    if (mail_queue_scan_push(scan, queue) < 0) {
        vstring_free(scan->path);
        myfree(scan);
        return NULL;
    }
    return scan;
}

/* Is path (just built in scan->path) a directory, not following links? */
static int
mail_queue_scan_is_dir(const struct dirent *dp, const char *path)
{
    struct stat st;

    if (dp->d_type != DT_UNKNOWN)
        return dp->d_type == DT_DIR;
    return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *
mail_queue_scan_next(struct mail_queue_scan *scan)
{
    struct dirent *dp;

    while (scan->depth >= 0) {
        struct mail_queue_scan_level *lp = scan->level + scan->depth;

        if ((dp = readdir(lp->dir)) == NULL) {
            mail_queue_scan_pop(scan);
            continue;
        }
        if (strcmp(dp->d_name, ".") == 0 || strcmp(dp->d_name, "..") == 0)
            continue;
        vstring_sprintf(scan->path, "%s/%s", lp->path, dp->d_name);
        if (dp->d_name[1] == 0 && scan->depth < MAIL_QUEUE_SCAN_DEPTH &&
            mail_queue_scan_is_dir(dp, vstring_str(scan->path))) {
            (void)mail_queue_scan_push(scan, vstring_str(scan->path));
            continue;
        }
        if (queue_id_ok(dp->d_name))
            return strrchr(vstring_str(scan->path), '/') + 1;
    }
    return NULL;
}

const char *
mail_queue_scan_path(struct mail_queue_scan *scan)
{
    return vstring_str(scan->path);
}

void
mail_queue_scan_close(struct mail_queue_scan *scan)
{
    while (scan->depth >= 0)
        mail_queue_scan_pop(scan);
    vstring_free(scan->path);
    myfree(scan);
}

/* Removes one temporary file if its writer is gone and it is old enough. */
static int
mail_queue_remove_one_stale(const char *path, time_t min_age, time_t now)
{
    struct stat st;
    int fd;
    int removed = 0;

    if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0)
        return 0;
    if (myflock(fd, MYFLOCK_STYLE_FLOCK, MYFLOCK_OP_EXCLUSIVE | MYFLOCK_OP_NOWAIT) == 0 &&
        fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && now - st.st_mtime >= min_age &&
        unlink(path) == 0)
        removed = 1;
    close(fd);
    return removed;
}

int
mail_queue_remove_stale(const char *queue, time_t min_age)
{
    struct vstring *path = vstring_alloc(64);
    struct dirent *dp;
    DIR *dir;
    int removed = 0;

    if (!mail_queue_name_ok(queue))
        msg_panic("mail_queue_remove_stale: bad queue name \"%s\"", queue);
    if ((dir = opendir(queue)) == NULL) {
        vstring_free(path);
        return 0;
    }
    while ((dp = readdir(dir)) != NULL) {
        if (!mail_queue_temp_name_ok(dp->d_name))
            continue;
        vstring_sprintf(path, "%s/%s", queue, dp->d_name);
        removed += mail_queue_remove_one_stale(vstring_str(path), min_age, time(NULL));
    }
    closedir(dir);
    vstring_free(path);
    return removed;
}
