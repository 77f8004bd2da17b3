/*
 * dsn_log - the per-recipient delivery logs bounce/ID, defer/[hash/]ID and
 * trace/ID (see dsn_log.h for the format and the entry points).
 *
 * Writing: one entry is formatted into one buffer and written with one
 * write(2) on a descriptor opened with O_APPEND, so concurrent appends
 * never interleave within an entry and a reader sees whole entries or a
 * torn last one. Values are cleaned before they are written: newlines and
 * other control characters become spaces, so an entry is always a block
 * of "name=value" lines ended by one empty line.
 *
 * Reading: lines are read with a bound (DSN_LOG_LINE_MAX); a longer line,
 * a line without '=', a bad number, an entry without a recipient, or an
 * unfinished last entry is a damaged entry: skipped with a warning naming
 * the file, and reading goes on with the next entry. Unknown names are
 * ignored. A read error returns -1.
 *
 * Paths are relative to the current directory ($queue_directory). An id
 * that fails queue_id_ok or a queue other than bounce, defer or trace is
 * refused with EINVAL (never a path outside the queue).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail/dsn_log.h"
#include "mail/mail_queue.h"
#include "mail/queue_id.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/sane_fs.h"
#include "util/vstream.h"
#include "util/vstring.h"

#define DSN_LOG_LINE_MAX 65536 /* longest line a reader accepts */

/* The text fields of an entry, in the order they are written. */
enum dsn_log_field {
    DSN_F_RECIPIENT,
    DSN_F_ORIG_RCPT,
    DSN_F_DSN_ORCPT,
    DSN_F_STATUS,
    DSN_F_ACTION,
    DSN_F_REASON,
    DSN_F_RELAY,
    DSN_F_COUNT
};

static const char *const dsn_log_field_names[DSN_F_COUNT] = {
    "recipient", "orig_rcpt", "dsn_orcpt", "status", "action", "reason", "relay",
};

struct dsn_log {
    struct vstream *fp;
    char *path;
    struct vstring *line;
    struct vstring *fields[DSN_F_COUNT];
    int seen[DSN_F_COUNT];
    long notify;
    uint64_t offset;
    long long time;
    int damaged; /* the current entry is bad: skip to its end */
    int started; /* the current entry has at least one line */
};

/* Refuses names that must never become a path. */
static int
dsn_log_check(const char *queue, const char *id)
{
    if (queue == NULL || id == NULL || !queue_id_ok(id) ||
        (strcmp(queue, MAIL_QUEUE_BOUNCE) != 0 && strcmp(queue, MAIL_QUEUE_DEFER) != 0 &&
         strcmp(queue, MAIL_QUEUE_TRACE) != 0)) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

/* Appends "name=value\n", control characters in value made spaces. */
static void
dsn_log_put(struct vstring *buf, const char *name, const char *value)
{
    vstring_strcat(buf, name);
    vstring_addch(buf, '=');
    for (const unsigned char *cp = (const unsigned char *)(value ? value : ""); *cp; cp++)
        vstring_addch(buf, (*cp < 0x20 || *cp == 0x7f) ? ' ' : *cp);
    vstring_addch(buf, '\n');
}

/* Formats one entry, ending with the empty line. */
static void
dsn_log_format(struct vstring *buf, const struct dsn_log_entry *e)
{
    char num[32];

    vstring_reset(buf);
    dsn_log_put(buf, "recipient", e->recipient);
    dsn_log_put(buf, "orig_rcpt", e->orig_rcpt);
    dsn_log_put(buf, "dsn_orcpt", e->dsn_orcpt);
    snprintf(num, sizeof(num), "%d", e->notify);
    dsn_log_put(buf, "notify", num);
    snprintf(num, sizeof(num), "%" PRIu64, e->offset);
    dsn_log_put(buf, "offset", num);
    dsn_log_put(buf, "status", e->status);
    dsn_log_put(buf, "action", e->action);
    dsn_log_put(buf, "reason", e->reason);
    dsn_log_put(buf, "relay", e->relay);
    snprintf(num, sizeof(num), "%lld", (long long)e->time);
    dsn_log_put(buf, "time", num);
    vstring_addch(buf, '\n');
}

/* Opens the log for appending, making a missing hash subdirectory. */
static int
dsn_log_open_append(const char *queue, const char *path, const char *dir)
{
    int flags = O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC;
    struct stat st;
    int fd;

    if ((fd = open(path, flags, 0600)) >= 0 || errno != ENOENT)
        return fd;
    if (strcmp(dir, queue) == 0 || stat(queue, &st) < 0)
        return -1;
    if (mkdir_p(dir, st.st_mode & 07777) < 0)
        return -1;
    return open(path, flags, 0600);
}

int
dsn_log_append(const char *queue, const char *id, const struct dsn_log_entry *entry)
{
    struct vstring *path;
    struct vstring *dir;
    struct vstring *buf;
    struct stat st;
    int fd;
    int ret = -1;
    int saved_errno;
    ssize_t n;

    if (dsn_log_check(queue, id) < 0)
        return -1;
    if (entry == NULL || entry->recipient == NULL || *entry->recipient == 0)
        msg_panic("dsn_log_append: entry without a recipient");
    path = vstring_alloc(64);
    dir = vstring_alloc(64);
    buf = vstring_alloc(256);
    mail_queue_path(path, queue, id);
    mail_queue_dir(dir, queue, id);
    dsn_log_format(buf, entry);
    if ((fd = dsn_log_open_append(queue, vstring_str(path), vstring_str(dir))) >= 0) {
        if (fstat(fd, &st) < 0)
            ret = -1;
        else if (!S_ISREG(st.st_mode))
            errno = EINVAL;
        else if ((n = write(fd, vstring_str(buf), vstring_len(buf))) == (ssize_t)vstring_len(buf))
            ret = 0;
        else if (n >= 0)
            errno = ENOSPC; /* a short write: the disk is full */
        saved_errno = errno;
        if (close(fd) < 0 && ret == 0)
            ret = -1;
        else
            errno = saved_errno;
    }
    saved_errno = errno;
    vstring_free(path);
    vstring_free(dir);
    vstring_free(buf);
    errno = saved_errno;
    return ret;
}

struct dsn_log *
dsn_log_open(const char *queue, const char *id)
{
    struct dsn_log *log;
    struct vstring *path;
    struct vstream *fp;
    struct stat st;
    int saved_errno;

    if (dsn_log_check(queue, id) < 0)
        return NULL;
    path = vstring_alloc(64);
    mail_queue_path(path, queue, id);
    fp = vstream_fopen(vstring_str(path), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0);
    if (fp != NULL && (fstat(vstream_fileno(fp), &st) < 0 || !S_ISREG(st.st_mode))) {
        saved_errno = errno;
        if (fstat(vstream_fileno(fp), &st) == 0)
            saved_errno = EINVAL;
        vstream_close(fp);
        errno = saved_errno;
        fp = NULL;
    }
    if (fp == NULL) {
        saved_errno = errno;
        vstring_free(path);
        errno = saved_errno;
        return NULL;
    }
    log = mycalloc(1, sizeof(*log));
    log->fp = fp;
    log->path = vstring_export(path);
    log->line = vstring_alloc(256);
    for (int i = 0; i < DSN_F_COUNT; i++)
        log->fields[i] = vstring_alloc(64);
    return log;
}

/* Forgets the entry being collected. */
static void
dsn_log_reset_entry(struct dsn_log *log)
{
    for (int i = 0; i < DSN_F_COUNT; i++) {
        vstring_reset(log->fields[i]);
        log->seen[i] = 0;
    }
    log->notify = 0;
    log->offset = 0;
    log->time = 0;
    log->damaged = 0;
    log->started = 0;
}

/* Parses a decimal number; -1 when the text is not one. */
static int
dsn_log_number(const char *text, unsigned long long *value)
{
    char *end;

    if (*text < '0' || *text > '9')
        return -1;
    errno = 0;
    *value = strtoull(text, &end, 10);
    return (*end != 0 || errno != 0) ? -1 : 0;
}

/* Stores one "name=value" line (without its newline); -1 when it is bad. */
static int
dsn_log_store(struct dsn_log *log, char *line)
{
    char *eq = strchr(line, '=');
    const char *value;
    unsigned long long num;

    if (eq == NULL || eq == line)
        return -1;
    *eq = 0;
    value = eq + 1;
    for (int i = 0; i < DSN_F_COUNT; i++) {
        if (strcmp(line, dsn_log_field_names[i]) == 0) {
            vstring_strcpy(log->fields[i], value);
            log->seen[i] = 1;
            return 0;
        }
    }
    if (strcmp(line, "notify") == 0 || strcmp(line, "offset") == 0 || strcmp(line, "time") == 0) {
        if (dsn_log_number(value, &num) < 0)
            return -1;
        if (line[0] == 'n')
            log->notify = (long)(num & 0xff);
        else if (line[0] == 'o')
            log->offset = num;
        else
            log->time = (long long)num;
    }
    return 0; /* unknown names are skipped */
}

/* Fills ENTRY from the collected fields. */
static void
dsn_log_fill(struct dsn_log *log, struct dsn_log_entry *entry)
{
    entry->recipient = vstring_str(log->fields[DSN_F_RECIPIENT]);
    entry->orig_rcpt = vstring_str(log->fields[DSN_F_ORIG_RCPT]);
    entry->dsn_orcpt = vstring_str(log->fields[DSN_F_DSN_ORCPT]);
    entry->notify = (int)log->notify;
    entry->offset = log->offset;
    entry->status = vstring_str(log->fields[DSN_F_STATUS]);
    entry->action = vstring_str(log->fields[DSN_F_ACTION]);
    entry->reason = vstring_str(log->fields[DSN_F_REASON]);
    entry->relay = vstring_str(log->fields[DSN_F_RELAY]);
    entry->time = (time_t)log->time;
}

/* An entry is complete (empty line seen): 1 when it is usable. */
static int
dsn_log_finish_entry(struct dsn_log *log)
{
    if (!log->started)
        return 0; /* extra empty lines */
    if (!log->damaged &&
        (!log->seen[DSN_F_RECIPIENT] || *vstring_str(log->fields[DSN_F_RECIPIENT]) == 0)) {
        msg_warn("%s: skipping damaged entry: no recipient", log->path);
        return 0;
    }
    return log->damaged ? 0 : 1;
}

/* Reads and drops the rest of an overlong line: '\n', or EOF. */
static int
dsn_log_skip_line(struct dsn_log *log)
{
    int last;

    do {
        last = vstream_get_line(log->fp, log->line, DSN_LOG_LINE_MAX);
    } while (last != '\n' && vstring_len(log->line) >= DSN_LOG_LINE_MAX);
    return last;
}

int
dsn_log_read(struct dsn_log *log, struct dsn_log_entry *entry)
{
    int last;
    size_t len;

    dsn_log_reset_entry(log);
    for (;;) {
        last = vstream_get_line(log->fp, log->line, DSN_LOG_LINE_MAX);
        if (vstream_error(log->fp))
            return -1;
        len = vstring_len(log->line);
        if (len == 0 || last != '\n') {
            if (len > 0 && len >= DSN_LOG_LINE_MAX) { /* overlong line: drop the rest */
                if (!log->damaged)
                    msg_warn("%s: skipping damaged entry: line too long", log->path);
                log->damaged = log->started = 1;
                if (dsn_log_skip_line(log) == '\n')
                    continue;
                if (vstream_error(log->fp))
                    return -1;
                return 0;
            }
            if (log->started || len > 0)
                msg_warn("%s: skipping damaged entry: unfinished at end of file", log->path);
            return 0;
        }
        vstring_truncate(log->line, len - 1);
        if (len == 1) {
            if (dsn_log_finish_entry(log)) {
                dsn_log_fill(log, entry);
                return 1;
            }
            dsn_log_reset_entry(log);
            continue;
        }
        if (!log->damaged && dsn_log_store(log, vstring_str(log->line)) < 0) {
            msg_warn("%s: skipping damaged entry: bad line", log->path);
            log->damaged = 1;
        }
        log->started = 1;
    }
}

void
dsn_log_close(struct dsn_log *log)
{
    if (log == NULL)
        return;
    vstream_close(log->fp);
    myfree(log->path);
    vstring_free(log->line);
    for (int i = 0; i < DSN_F_COUNT; i++)
        vstring_free(log->fields[i]);
    myfree(log);
}

int
dsn_log_remove(const char *queue, const char *id)
{
    struct vstring *path;
    int ret;
    int saved_errno;

    if (dsn_log_check(queue, id) < 0)
        return -1;
    path = vstring_alloc(64);
    ret = unlink(mail_queue_path(path, queue, id));
    if (ret < 0 && errno == ENOENT)
        ret = 0;
    saved_errno = errno;
    vstring_free(path);
    errno = saved_errno;
    return ret;
}

int
dsn_log_exists(const char *queue, const char *id)
{
    struct vstring *path;
    struct stat st;
    int ret;

    if (dsn_log_check(queue, id) < 0)
        return 0;
    path = vstring_alloc(64);
    ret = lstat(mail_queue_path(path, queue, id), &st) == 0 && S_ISREG(st.st_mode);
    vstring_free(path);
    return ret;
}
