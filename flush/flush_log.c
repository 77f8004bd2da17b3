/*
 * flush_log - the per-destination "fast flush" logs of flush(8) (see
 * flush.h for the naming, locking and bounds).
 *
 *   flush_log_path(buf, site)
 *       "flush/NAME" for SITE, or NULL when SITE cannot be a destination
 *       (empty, longer than FLUSH_SITE_MAX, or holding control bytes)
 *   flush_log_add(path, queue_id)
 *       appends "QUEUE_ID\n" under the lock (creating the log, and the
 *       flush directory, when missing). 0, or -1 after a warning.
 *   flush_log_send(path, touch, now)
 *       under the lock: reads every line, calls touch(id, now) once per
 *       distinct valid id, truncates the log, and stamps it as read (atime
 *       and mtime now). Returns how many messages touch made due; 0 when
 *       there is no log; -1 after a warning when the log cannot be used.
 *   flush_log_refresh(refresh_age, purge_age, touch, now)
 *       every log in flush/: a non-empty one not read for refresh_age
 *       seconds (0: every non-empty one) is sent as above; an empty one
 *       not changed for purge_age seconds is removed. Returns how many
 *       messages were made due.
 *
 * A log that is not a regular file, or has more than one link, is left
 * alone with a warning: the flush directory belongs to mail_owner, so
 * that is damage, not an attack, but it is never followed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flush.h"
#include "mail/flush_clnt.h"
#include "mail/queue_id.h"
#include "util/htable.h"
#include "util/msg.h"
#include "util/myflock.h"
#include "util/stringops.h"
#include "util/vstream.h"

#define FLUSH_LOG_OPEN_TRIES 3 /* a log removed under us: open it again */

long flush_log_size_max = 1024 * 1024;
long flush_log_dup_max = 10000;

const char *
flush_log_path(struct vstring *buf, const char *site)
{
    size_t len = strlen(site);
    unsigned char ch;

    if (len == 0 || len > FLUSH_SITE_MAX)
        return NULL;
    vstring_strcpy(buf, FLUSH_LOG_DIR "/");
    for (const char *cp = site; *cp; cp++) {
        ch = (unsigned char)*cp;
        if (ch < 0x20 || ch == 0x7f)
            return NULL;
        if (ch < 0x80 && ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')))
            vstring_addch(buf, (char)ch);
        else if (ch >= 'A' && ch <= 'Z')
            vstring_addch(buf, (char)(ch - 'A' + 'a'));
        else
            vstring_addch(buf, '_');
    }
    return vstring_str(buf);
}

/* Is FD (just locked) still the file at PATH, a plain file with one link? */
static int
flush_log_same(int fd, const char *path, struct stat *st)
{
    struct stat pst;

    if (fstat(fd, st) < 0 || lstat(path, &pst) < 0)
        return 0;
    return st->st_dev == pst.st_dev && st->st_ino == pst.st_ino;
}

/*
 * Opens and locks the log at PATH. Returns the descriptor, or -1: errno
 * ENOENT when there is none (and O_CREAT was not given), else a warning
 * was logged.
 */
static int
flush_log_open(const char *path, int flags, struct stat *st)
{
    int fd;

    for (int tries = 0; tries < FLUSH_LOG_OPEN_TRIES; tries++) {
        fd = open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
        if (fd < 0 && errno == ENOENT && (flags & O_CREAT) && mkdir(FLUSH_LOG_DIR, 0700) == 0)
            fd = open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
        if (fd < 0) {
            if (errno != ENOENT)
                msg_warn("open fast flush logfile %s: %m", path);
            return -1;
        }
        if (myflock(fd, MYFLOCK_STYLE_FLOCK, MYFLOCK_OP_EXCLUSIVE) < 0) {
            msg_warn("lock fast flush logfile %s: %m", path);
            close(fd);
            return -1;
        }
        if (flush_log_same(fd, path, st)) {
            if (S_ISREG(st->st_mode) && st->st_nlink == 1)
                return fd;
            msg_warn("fast flush logfile %s is not a regular file with one link; skipped", path);
            close(fd);
            errno = EPERM;
            return -1;
        }
        close(fd); /* removed or replaced while we waited for the lock */
    }
    msg_warn("fast flush logfile %s keeps changing; giving up", path);
    errno = EAGAIN;
    return -1;
}

/*
 * Reads the next line of LOG into BUF without its newline. Returns 1 for a
 * line that is a queue id, 0 for a bad line (warned about and skipped), -1
 * at the end. A long line costs at most FLUSH_LOG_LINE_MAX bytes of memory.
 */
static int
flush_log_line(struct vstream *log, struct vstring *buf, const char *path)
{
    int last = vstream_get_line(log, buf, FLUSH_LOG_LINE_MAX);
    int complete = last == '\n';
    char *text;

    if (last == VSTREAM_EOF)
        return -1;
    while (last != '\n' && last != VSTREAM_EOF)
        last = vstream_getc(log);
    if (complete)
        vstring_truncate(buf, vstring_len(buf) - 1);
    if (complete && queue_id_ok(vstring_str(buf)))
        return 1;
    text = printable(vstring_str(buf), '?');
    msg_warn("bad queue id \"%.30s%s\" in fast flush logfile %s", text,
             strlen(text) > 30 || !complete ? "..." : "", path);
    return 0;
}

/*
 * Reads the ids of the open log FD from its start into a table (at most
 * LIMIT distinct ones; ids beyond that are passed to EACH without being
 * remembered, so a duplicate of them is passed again). EACH, when set,
 * gets every id not seen before. Returns the number of lines read.
 */
static long
flush_log_read(int fd, const char *path, struct htable *seen, long limit,
               void (*each)(const char *id, void *context), void *context)
{
    struct vstream *log;
    struct vstring *line = vstring_alloc(FLUSH_LOG_LINE_MAX + 1);
    long lines = 0;
    int status;

    if (lseek(fd, 0, SEEK_SET) < 0) {
        vstring_free(line);
        return 0;
    }
    log = vstream_fdopen(fd, path);
    log->flags |= VSTREAM_FLAG_NOCLOSE;
    while ((status = flush_log_line(log, line, path)) >= 0) {
        lines++;
        if (status == 0 || htable_find(seen, vstring_str(line)) != NULL)
            continue;
        if ((long)seen->used < limit)
            htable_enter(seen, vstring_str(line), (void *)1);
        if (each)
            each(vstring_str(line), context);
    }
    if (vstream_error(log))
        msg_warn("read fast flush logfile %s: %m", path);
    vstream_close(log);
    vstring_free(line);
    return lines;
}

/* Rewrites the locked log FD with each distinct valid id once. 0 or -1. */
static int
flush_log_compact(int fd, const char *path, struct stat *st)
{
    struct htable *seen = htable_create(100);
    struct vstring *text = vstring_alloc(1024);
    int status = 0;

    /* No limit on the table: the log itself is bounded by flush_log_size_max. */
    (void)flush_log_read(fd, path, seen, LONG_MAX, NULL, NULL);
    for (struct htable_entry *e = htable_first(seen); e; e = htable_next(e))
        vstring_sprintf_append(text, "%s\n", e->key);
    htable_free(seen, NULL);
    if (ftruncate(fd, 0) < 0 ||
        (vstring_len(text) > 0 &&
         write(fd, vstring_str(text), vstring_len(text)) != (ssize_t)vstring_len(text))) {
        msg_warn("rewrite fast flush logfile %s: %m", path);
        status = -1;
    }
    vstring_free(text);
    if (status == 0 && fstat(fd, st) < 0)
        status = -1;
    return status;
}

int
flush_log_add(const char *path, const char *queue_id)
{
    struct vstring *line = vstring_alloc(QUEUE_ID_MAX + 2);
    struct stat st;
    ssize_t len;
    int status = 0;
    int fd;

    if (!queue_id_ok(queue_id))
        msg_panic("flush_log_add: bad queue id");
    vstring_sprintf(line, "%s\n", queue_id);
    len = (ssize_t)vstring_len(line);
    if ((fd = flush_log_open(path, O_RDWR | O_APPEND | O_CREAT, &st)) < 0) {
        if (errno == ENOENT)
            msg_warn("create fast flush logfile %s: %m", path);
        vstring_free(line);
        return -1;
    }
    if (st.st_size + len > flush_log_size_max &&
        (flush_log_compact(fd, path, &st) < 0 || st.st_size + len > flush_log_size_max)) {
        msg_warn("fast flush logfile %s is full (%ld bytes); %s not added", path, (long)st.st_size,
                 queue_id);
    } else if (write(fd, vstring_str(line), (size_t)len) != len) {
        msg_warn("write fast flush logfile %s: %m", path);
        if (ftruncate(fd, st.st_size) < 0)
            msg_warn("truncate fast flush logfile %s: %m", path);
        status = -1;
    }
    close(fd);
    vstring_free(line);
    return status;
}

struct flush_send_state {
    flush_touch_fn touch;
    time_t now;
    int touched;
};

static void
flush_log_touch_one(const char *id, void *context)
{
    struct flush_send_state *state = context;

    state->touched += state->touch(id, state->now);
}

int
flush_log_send(const char *path, flush_touch_fn touch, time_t now)
{
    struct flush_send_state state = {touch, now, 0};
    struct htable *seen;
    struct stat st;
    long lines;
    int fd;

    if ((fd = flush_log_open(path, O_RDWR, &st)) < 0)
        return errno == ENOENT ? 0 : -1;
    seen = htable_create(100);
    lines = flush_log_read(fd, path, seen, flush_log_dup_max, flush_log_touch_one, &state);
    htable_free(seen, NULL);
    if (msg_verbose)
        msg_info("fast flush logfile %s: %ld lines, %d messages made due", path, lines,
                 state.touched);
    if (lines > 0 && ftruncate(fd, 0) < 0)
        msg_warn("truncate fast flush logfile %s: %m", path);
    if (futimens(fd, NULL) < 0)
        msg_warn("update fast flush logfile %s time stamps: %m", path);
    close(fd);
    return state.touched;
}

/* Removes an empty log that is still empty under the lock. */
static void
flush_log_purge(const char *path, long purge_age)
{
    struct stat st;
    int fd;

    if ((fd = flush_log_open(path, O_RDWR, &st)) < 0)
        return;
    if (st.st_size == 0 && unlink(path) < 0)
        msg_warn("remove fast flush logfile %s: %m", path);
    else if (st.st_size == 0 && msg_verbose)
        msg_info("remove fast flush logfile %s: empty and unchanged for %ld days", path,
                 purge_age / 86400);
    close(fd);
}

/* A name flush_log_path can make: lower-case letters, digits and '_'. */
static int
flush_log_name_ok(const char *name)
{
    if (*name == 0)
        return 0;
    for (; *name; name++)
        if (!((*name >= 'a' && *name <= 'z') || (*name >= '0' && *name <= '9') || *name == '_'))
            return 0;
    return 1;
}

int
flush_log_refresh(long refresh_age, long purge_age, flush_touch_fn touch, time_t now)
{
    struct vstring *path = vstring_alloc(100);
    struct dirent *dp;
    struct stat st;
    DIR *dir;
    int touched = 0;
    int count;

    if ((dir = opendir(FLUSH_LOG_DIR)) == NULL) {
        if (errno != ENOENT)
            msg_warn("open directory %s: %m", FLUSH_LOG_DIR);
        vstring_free(path);
        return 0;
    }
    while ((dp = readdir(dir)) != NULL) {
        if (!flush_log_name_ok(dp->d_name))
            continue;
        vstring_sprintf(path, "%s/%s", FLUSH_LOG_DIR, dp->d_name);
        if (lstat(vstring_str(path), &st) < 0 || !S_ISREG(st.st_mode))
            continue;
        if (st.st_size == 0) {
            if (st.st_mtime + purge_age < now)
                flush_log_purge(vstring_str(path), purge_age);
        } else if (refresh_age <= 0 || st.st_atime + refresh_age < now) {
            if ((count = flush_log_send(vstring_str(path), touch, now)) > 0)
                touched += count;
        }
    }
    closedir(dir);
    vstring_free(path);
    return touched;
}
