/*
 * mail_queue - queue names, hashed paths, moves between queues and the
 * corrupt-queue quarantine; see mail_queue.h.
 *
 * A move never replaces a file: it uses renameat2(RENAME_NOREPLACE), or,
 * where the file system lacks that flag, link(2) then unlink(2). A crash
 * between link and unlink leaves two names for one file; the next move
 * sees that the destination is the same file and only removes the old
 * name.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "mail/mail_queue.h"
#include "mail/queue_id.h"
#include "util/argv.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/sane_fs.h"

const char *const mail_queue_names[] = {
    MAIL_QUEUE_MAILDROP, MAIL_QUEUE_INCOMING, MAIL_QUEUE_ACTIVE, MAIL_QUEUE_DEFERRED,
    MAIL_QUEUE_HOLD,     MAIL_QUEUE_CORRUPT,  MAIL_QUEUE_BOUNCE, MAIL_QUEUE_DEFER,
    MAIL_QUEUE_TRACE,    MAIL_QUEUE_FLUSH,    MAIL_QUEUE_SAVED,  NULL,
};

#define MAIL_QUEUE_QUARANTINE_TRIES 100 /* corrupt/IDQ1 .. IDQ99 */

static struct argv *mail_queue_hash_names;
static int mail_queue_hash_depth = 1;

int
mail_queue_name_ok(const char *queue)
{
    for (const char *const *np = mail_queue_names; *np; np++)
        if (strcmp(*np, queue) == 0)
            return 1;
    return 0;
}

int
mail_queue_temp_name_ok(const char *name)
{
    size_t plen = strlen(MAIL_QUEUE_TEMP_PREFIX);

    return strncmp(name, MAIL_QUEUE_TEMP_PREFIX, plen) == 0 && strlen(name) == plen + 6 &&
           strchr(name + plen, '/') == NULL;
}

void
mail_queue_set_hash(const char *hash_queue_names, int hash_queue_depth)
{
    if (hash_queue_depth < 1)
        msg_panic("mail_queue_set_hash: bad hash_queue_depth %d", hash_queue_depth);
    if (mail_queue_hash_names)
        argv_free(mail_queue_hash_names);
    mail_queue_hash_names = argv_split(hash_queue_names, ", \t\r\n");
    mail_queue_hash_depth = hash_queue_depth;
}

void
mail_queue_configure(void)
{
    mail_queue_set_hash(mail_conf_get("hash_queue_names"),
                        (int)mail_conf_get_int("hash_queue_depth"));
}

int
mail_queue_hashed(const char *queue)
{
    if (mail_queue_hash_names == NULL)
        mail_queue_set_hash(MAIL_QUEUE_DEFERRED ", " MAIL_QUEUE_DEFER, 1);
    for (size_t i = 0; i < mail_queue_hash_names->argc; i++)
        if (strcmp(mail_queue_hash_names->argv[i], queue) == 0)
            return 1;
    return 0;
}

static void
mail_queue_check(const char *myname, const char *queue, const char *id)
{
    if (!mail_queue_name_ok(queue))
        msg_panic("%s: bad queue name \"%s\"", myname, queue);
    if (id != NULL && !queue_id_ok(id))
        msg_panic("%s: bad queue id \"%s\"", myname, id);
}

const char *
mail_queue_dir(struct vstring *buf, const char *queue, const char *id)
{
    char usec_hex[16];
    const char *source = id;
    size_t source_len;
    long usec;

    mail_queue_check("mail_queue_dir", queue, id);
    vstring_strcpy(buf, queue);
    if (!mail_queue_hashed(queue))
        return vstring_str(buf);
    if (queue_id_is_long(id) && queue_id_usec(id, &usec) == 0) {
        snprintf(usec_hex, sizeof(usec_hex), "%05lX", usec);
        source = usec_hex;
    }
    source_len = strlen(source);
    for (int level = 0; level < mail_queue_hash_depth; level++) {
        vstring_addch(buf, '/');
        vstring_addch(buf, (size_t)level < source_len ? source[level] : '_');
    }
    return vstring_str(buf);
}

const char *
mail_queue_path(struct vstring *buf, const char *queue, const char *id)
{
    mail_queue_dir(buf, queue, id);
    vstring_addch(buf, '/');
    vstring_strcat(buf, id);
    return vstring_str(buf);
}

/* Creates the missing directory of path below an existing queue directory. */
static int
mail_queue_make_parent(const char *path)
{
    const char *slash = strchr(path, '/');
    const char *last = strrchr(path, '/');
    struct stat st;
    char *top;
    char *dir;
    int ret;
    int saved_errno;

    if (slash == NULL || slash == last) {
        errno = ENOENT; /* the queue itself is missing: not ours to create */
        return -1;
    }
    top = mystrndup(path, (size_t)(slash - path));
    dir = mystrndup(path, (size_t)(last - path));
    if ((ret = stat(top, &st)) == 0)
        ret = mkdir_p(dir, st.st_mode & 07777);
    saved_errno = errno;
    myfree(top);
    myfree(dir);
    errno = saved_errno;
    return ret;
}

/* Renames without replacing; see the comment at the top. */
static int
mail_queue_rename_noreplace(const char *from, const char *to)
{
    if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    if (sane_link(from, to) < 0)
        return -1;
    if (unlink(from) < 0 && errno != ENOENT)
        return -1;
    return 0;
}

/* Is "to" the very file that "from" names? */
static int
mail_queue_same_file(const char *from, const char *to)
{
    struct stat from_st;
    struct stat to_st;

    return lstat(from, &from_st) == 0 && lstat(to, &to_st) == 0 && from_st.st_dev == to_st.st_dev &&
           from_st.st_ino == to_st.st_ino;
}

int
mail_queue_move_path(const char *from, const char *to)
{
    if (mail_queue_rename_noreplace(from, to) == 0)
        return 0;
    if (errno == ENOENT && access(from, F_OK) == 0) {
        if (mail_queue_make_parent(to) < 0)
            return -1;
        return mail_queue_rename_noreplace(from, to);
    }
    if (errno == EEXIST && mail_queue_same_file(from, to)) {
        if (unlink(from) < 0 && errno != ENOENT)
            return -1;
        return 0;
    }
    return -1;
}

/* fsyncs the directories of two paths, once when they are the same. */
static int
mail_queue_sync_dirs(const char *path1, const char *path2)
{
    const char *slash1 = strrchr(path1, '/');
    const char *slash2 = strrchr(path2, '/');
    size_t len1 = slash1 ? (size_t)(slash1 - path1) : 0;
    size_t len2 = slash2 ? (size_t)(slash2 - path2) : 0;

    if (fsync_parent(path2) < 0)
        return -1;
    if (len1 == len2 && strncmp(path1, path2, len1) == 0)
        return 0;
    return fsync_parent(path1);
}

int
mail_queue_rename(const char *id, const char *from, const char *to, int flags)
{
    struct vstring *from_path = vstring_alloc(64);
    struct vstring *to_path = vstring_alloc(64);
    int ret;
    int saved_errno;

    mail_queue_check("mail_queue_rename", from, id);
    mail_queue_check("mail_queue_rename", to, id);
    mail_queue_path(from_path, from, id);
    mail_queue_path(to_path, to, id);
    ret = mail_queue_move_path(vstring_str(from_path), vstring_str(to_path));
    if (ret == 0 && (flags & MAIL_QUEUE_SYNC))
        ret = mail_queue_sync_dirs(vstring_str(from_path), vstring_str(to_path));
    saved_errno = errno;
    vstring_free(from_path);
    vstring_free(to_path);
    errno = saved_errno;
    return ret;
}

int
mail_queue_remove(const char *queue, const char *id)
{
    struct vstring *path = vstring_alloc(64);
    int ret;
    int saved_errno;

    mail_queue_check("mail_queue_remove", queue, id);
    ret = unlink(mail_queue_path(path, queue, id));
    saved_errno = errno;
    vstring_free(path);
    errno = saved_errno;
    return ret;
}

/* Moves from_path into the corrupt queue under id or a suffixed name. */
static int
mail_queue_quarantine_move(const char *from_path, const char *id, struct vstring *to_name)
{
    struct vstring *to_path = vstring_alloc(64);
    int ret = -1;

    for (int attempt = 0; attempt < MAIL_QUEUE_QUARANTINE_TRIES; attempt++) {
        if (attempt == 0)
            vstring_strcpy(to_name, id);
        else
            vstring_sprintf(to_name, "%.*sQ%d", QUEUE_ID_MAX - 3, id, attempt);
        mail_queue_path(to_path, MAIL_QUEUE_CORRUPT, vstring_str(to_name));
        if ((ret = mail_queue_move_path(from_path, vstring_str(to_path))) == 0 || errno != EEXIST)
            break;
    }
    vstring_free(to_path);
    return ret;
}

int
mail_queue_quarantine(const char *queue, const char *id, const char *reason)
{
    struct vstring *from_path = vstring_alloc(64);
    struct vstring *to_name = vstring_alloc(QUEUE_ID_MAX);
    int ret;
    int saved_errno;

    mail_queue_check("mail_queue_quarantine", queue, id);
    mail_queue_path(from_path, queue, id);
    ret = mail_queue_quarantine_move(vstring_str(from_path), id, to_name);
    saved_errno = errno;
    if (ret < 0)
        msg_warn("%s: cannot move corrupt queue file from %s queue to corrupt queue: %m (%s)", id,
                 queue, reason);
    else if (strcmp(vstring_str(to_name), id) != 0)
        msg_warn("%s: corrupt queue file in %s queue moved to corrupt queue as %s: %s", id, queue,
                 vstring_str(to_name), reason);
    else
        msg_warn("%s: corrupt queue file in %s queue moved to corrupt queue: %s", id, queue,
                 reason);
    vstring_free(from_path);
    vstring_free(to_name);
    errno = saved_errno;
    return ret;
}
