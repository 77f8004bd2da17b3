/*
 * qfile - opening, validating, reading and updating queue files; see
 * qfile.h. Creating and committing them is in qfile_write.c, the format's
 * rules in qfile_check.c.
 *
 * Every reason a file is refused names the offset of the record at fault
 * ("offset 1234: duplicate sender record"); every way a file can be cut
 * short says "truncated". A read error is a system error (QFILE_SYSERR),
 * not a corrupt file, so the caller does not quarantine a good file
 * because a disk hiccuped.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail/qfile_private.h"
#include "util/msg.h"
#include "util/mymalloc.h"

struct qfile *
qfile_alloc(const char *name, const char *path, int fd, int flags)
{
    struct qfile *qf = mycalloc(1, sizeof(*qf));

    qf->name = mystrdup(name);
    qf->path = mystrdup(path);
    qf->fd = fd;
    qf->flags = flags;
    qf->fp = vstream_fdopen(fd, path);
    qf->buf = vstring_alloc(256);
    qf->reason = vstring_alloc(100);
    for (int i = 0; i < 3; i++)
        qf->field[i] = vstring_alloc(64);
    return qf;
}

void
qfile_free(struct qfile *qf)
{
    (void)vstream_close(qf->fp);
    myfree(qf->name);
    myfree(qf->path);
    vstring_free(qf->buf);
    vstring_free(qf->reason);
    for (int i = 0; i < 3; i++)
        vstring_free(qf->field[i]);
    if (qf->error)
        vstring_free(qf->error);
    myfree(qf);
}

/* Moves the stream to offset (vstream_seek flushes and drops the read-ahead). */
int
qfile_reposition(struct qfile *qf, uint64_t offset)
{
    if (vstream_seek(qf->fp, (off_t)offset, SEEK_SET) < 0)
        return -1;
    qf->offset = offset;
    return 0;
}

int
qfile_fdopen(int fd, const char *name, int flags, struct qfile **qfp, struct vstring *why)
{
    struct qfile *qf;
    struct stat st;
    int status;

    if (fstat(fd, &st) < 0) {
        vstring_sprintf(why, "fstat %s: %m", name);
        close(fd);
        return QFILE_SYSERR;
    }
    if (!S_ISREG(st.st_mode)) {
        vstring_strcpy(why, "not a regular file");
        close(fd);
        return QFILE_CORRUPT;
    }
    qf = qfile_alloc(name, name, fd, flags);
    if (!(flags & QFILE_OPEN_NOVALIDATE)) {
        status = qfile_validate(qf, why);
    } else {
        struct qfile_rec rec;

        status = qfile_read(qf, &rec, why) == REC_TYPE_HEADER ? QFILE_OK
                 : vstream_error(qf->fp)                      ? QFILE_SYSERR
                                                              : QFILE_CORRUPT;
    }
    if (status != QFILE_OK) {
        qfile_free(qf);
        return status;
    }
    *qfp = qf;
    return QFILE_OK;
}

int
qfile_open_path(const char *path, int flags, struct qfile **qfp, struct vstring *why)
{
    int open_flags = (flags & QFILE_OPEN_UPDATE) ? O_RDWR : O_RDONLY;
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    struct qfile *qf;
    int status;
    int fd;

    fd = open(path, open_flags | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        vstring_sprintf(why, "open %s: %m", path);
        return errno == ELOOP ? QFILE_CORRUPT : QFILE_SYSERR;
    }
    if ((status = qfile_fdopen(fd, name, flags, &qf, why)) == QFILE_OK) {
        myfree(qf->path);
        qf->path = mystrdup(path);
        *qfp = qf;
    }
    return status;
}

int
qfile_open(const char *queue, const char *id, int flags, struct qfile **qfp, struct vstring *why)
{
    struct vstring *path = vstring_alloc(64);
    int status;

    mail_queue_path(path, queue, id);
    status = qfile_open_path(vstring_str(path), flags, qfp, why);
    vstring_free(path);
    return status;
}

/* Classifies a failed record_get: read error or bad/short data. */
static int
qfile_get_failed(struct qfile *qf, uint64_t offset, struct vstring *reason, struct vstring *why)
{
    vstring_sprintf(why, "offset %llu: %s", (unsigned long long)offset, vstring_str(reason));
    return vstream_error(qf->fp) && !vstream_timed_out(qf->fp) ? QFILE_SYSERR : QFILE_CORRUPT;
}

/* After the header: the file's size must be what the header promises. */
static int
qfile_check_size(struct qfile *qf, const struct qfile_info *info, struct vstring *why)
{
    struct stat st;
    uint64_t want = info->end_offset + QFILE_END_SIZE;

    if (fstat(qf->fd, &st) < 0) {
        vstring_sprintf(why, "fstat %s: %m", qf->path);
        return QFILE_SYSERR;
    }
    if ((uint64_t)st.st_size == want)
        return QFILE_OK;
    vstring_sprintf(why,
                    (uint64_t)st.st_size < want
                        ? "truncated: file has %llu bytes, header says %llu"
                        : "data after the end record: file has %llu bytes, header says %llu",
                    (unsigned long long)st.st_size, (unsigned long long)want);
    return QFILE_CORRUPT;
}

/* Looks at the first bytes, so that any other file is named for what it is. */
static int
qfile_check_start(struct qfile *qf, struct vstring *why)
{
    unsigned char start[RECORD_HDR_LEN + 4];
    ssize_t n;

    if ((n = pread(qf->fd, start, sizeof(start), 0)) < 0) {
        vstring_sprintf(why, "read %s: %m", qf->path);
        return QFILE_SYSERR;
    }
    if (n > 0 && start[0] != REC_TYPE_HEADER) {
        vstring_sprintf(why, "not a queue file (first byte 0x%02x)", start[0]);
        return QFILE_CORRUPT;
    }
    if (n == (ssize_t)sizeof(start) && memcmp(start + RECORD_HDR_LEN, REC_HEADER_MAGIC, 4) != 0) {
        vstring_strcpy(why, "not a queue file (bad magic)");
        return QFILE_CORRUPT;
    }
    return QFILE_OK;
}

int
qfile_validate(struct qfile *qf, struct vstring *why)
{
    struct qfile_check check;
    struct vstring *reason = vstring_alloc(100);
    int status = QFILE_CORRUPT;
    uint64_t offset;
    int type;

    qfile_check_init(&check, QFILE_SECT_HEADER, 0);
    if ((status = qfile_check_start(qf, why)) != QFILE_OK)
        goto out;
    status = QFILE_CORRUPT;
    if (qfile_reposition(qf, 0) < 0) {
        vstring_sprintf(why, "seek %s: %m", qf->path);
        status = QFILE_SYSERR;
        goto out;
    }
    while (check.section != QFILE_SECT_DONE) {
        offset = check.offset;
        type = record_get(qf->fp, qf->buf, RECORD_LEN_MAX, reason);
        if (type == RECORD_EOF) {
            vstring_sprintf(why,
                            offset == 0 ? "truncated: empty file"
                                        : "truncated: end of file at offset %llu before "
                                          "the end record",
                            (unsigned long long)offset);
            goto out;
        }
        if (type == RECORD_ERROR) {
            status = qfile_get_failed(qf, offset, reason, why);
            goto out;
        }
        if (qfile_check_record(&check, type, (unsigned char *)vstring_str(qf->buf),
                               vstring_len(qf->buf), reason) < 0) {
            vstring_sprintf(why, "offset %llu: %s", (unsigned long long)offset,
                            vstring_str(reason));
            goto out;
        }
        if (type == REC_TYPE_HEADER &&
            (status = qfile_check_size(qf, &check.header, why)) != QFILE_OK)
            goto out;
        status = QFILE_CORRUPT;
    }
    if (vstream_getc(qf->fp) != VSTREAM_EOF) {
        vstring_sprintf(why, "data after the end record at offset %llu",
                        (unsigned long long)check.offset);
        goto out;
    }
    qf->info = check.header;
    if (qfile_reposition(qf, QFILE_HEADER_SIZE) < 0) {
        vstring_sprintf(why, "seek %s: %m", qf->path);
        status = QFILE_SYSERR;
        goto out;
    }
    status = QFILE_OK;
out:
    vstring_free(reason);
    return status;
}

const struct qfile_info *
qfile_info(const struct qfile *qf)
{
    return &qf->info;
}

/* Fills in the decoded fields of a record that passed the checks. */
static void
qfile_decode(struct qfile *qf, int type, struct qfile_rec *rec)
{
    const unsigned char *data = (const unsigned char *)vstring_str(qf->buf);
    const char *eq;
    size_t pos = 2;

    memset(rec, 0, sizeof(*rec));
    rec->type = type;
    rec->data = rec->text = vstring_str(qf->buf);
    rec->len = vstring_len(qf->buf);
    switch (type) {
    case REC_TYPE_TIME:
        rec->time.tv_sec = (time_t)record_get_u64(data);
        rec->time.tv_usec = (suseconds_t)record_get_u32(data + 8);
        break;
    case REC_TYPE_WARN:
        rec->warn = (time_t)record_get_u64(data);
        break;
    case REC_TYPE_ATTR:
        eq = memchr(rec->data, '=', rec->len);
        rec->name = vstring_str(vstring_strncpy(qf->field[0], rec->data, (size_t)(eq - rec->data)));
        rec->value = eq + 1;
        break;
    case REC_TYPE_DSN_RET:
        rec->ret = data[0];
        break;
    case REC_TYPE_RCPT:
        rec->rcpt.status = data[0];
        rec->rcpt.notify = data[1];
        for (int i = 0; i < 3; i++) {
            uint32_t len = record_get_u32(data + pos);

            vstring_memcpy(qf->field[i], data + pos + 4, len);
            pos += 4 + len;
        }
        rec->rcpt.address = vstring_str(qf->field[0]);
        rec->rcpt.orig_rcpt = vstring_str(qf->field[1]);
        rec->rcpt.dsn_orcpt = vstring_str(qf->field[2]);
        break;
    }
}

int
qfile_read(struct qfile *qf, struct qfile_rec *rec, struct vstring *why)
{
    struct vstring *reason = qf->reason;
    uint64_t offset = qf->offset;
    int type;

    if (qf->info.end_offset != 0 && offset > qf->info.end_offset)
        return 0;
    type = record_get(qf->fp, qf->buf, RECORD_LEN_MAX, reason);
    if (type == RECORD_EOF) {
        vstring_sprintf(why, "offset %llu: truncated: end of file before the end record",
                        (unsigned long long)offset);
        type = -1;
    } else if (type == RECORD_ERROR) {
        (void)qfile_get_failed(qf, offset, reason, why);
        type = -1;
    } else if (qfile_check_payload(type, (unsigned char *)vstring_str(qf->buf),
                                   vstring_len(qf->buf), reason) < 0 ||
               (qf->info.end_offset == 0
                    ? type != REC_TYPE_HEADER
                    : qfile_check_type_at(&qf->info, offset, type, reason) < 0)) {
        if (qf->info.end_offset == 0 && type != REC_TYPE_HEADER)
            vstring_strcpy(reason, "not a queue file (no header record)");
        vstring_sprintf(why, "offset %llu: %s", (unsigned long long)offset, vstring_str(reason));
        type = -1;
    } else {
        qfile_decode(qf, type, rec);
        rec->offset = offset;
        qf->offset += RECORD_HDR_LEN + rec->len;
        if (type == REC_TYPE_HEADER)
            (void)qfile_check_decode_header((unsigned char *)rec->data, rec->len, &qf->info,
                                            reason);
    }
    return type;
}

int
qfile_seek(struct qfile *qf, uint64_t offset, struct vstring *why)
{
    if (offset < QFILE_HEADER_SIZE || offset > qf->info.end_offset) {
        vstring_sprintf(why, "seek to offset %llu outside the records", (unsigned long long)offset);
        return -1;
    }
    if (qfile_reposition(qf, offset) < 0) {
        vstring_sprintf(why, "seek %s: %m", qf->path);
        return -1;
    }
    return 0;
}

int
qfile_seek_content(struct qfile *qf, struct vstring *why)
{
    return qfile_seek(qf, qf->info.content_offset + RECORD_HDR_LEN, why);
}

int
qfile_close(struct qfile *qf)
{
    int status;

    if (qf->mqf)
        msg_panic("qfile_close: %s: use qfile_commit or qfile_abort", qf->name);
    qf->fp->flags |= VSTREAM_FLAG_NOCLOSE;
    status = vstream_flush(qf->fp);
    if (close(qf->fd) < 0)
        status = -1;
    qfile_free(qf);
    return status;
}

/* Checks that a record of type and length len starts at offset; 0 or -1. */
static int
qfile_check_at(struct qfile *qf, uint64_t offset, int type, size_t len, struct vstring *why)
{
    unsigned char hdr[RECORD_HDR_LEN + 1];
    struct vstring *reason = vstring_alloc(100);
    int ret = -1;

    if (!(qf->flags & QFILE_OPEN_UPDATE))
        msg_panic("qfile update: %s was not opened with QFILE_OPEN_UPDATE", qf->name);
    if (offset < QFILE_HEADER_SIZE || offset >= qf->info.end_offset ||
        qfile_check_type_at(&qf->info, offset, type, reason) < 0) {
        vstring_sprintf(why, "no %s record at offset %llu", rec_type_name(type),
                        (unsigned long long)offset);
    } else if (pread(qf->fd, hdr, sizeof(hdr), (off_t)offset) != (ssize_t)sizeof(hdr)) {
        vstring_sprintf(why, "read %s at offset %llu: %m", qf->path, (unsigned long long)offset);
    } else if (hdr[0] != type || record_get_u32(hdr + 1) < len ||
               (len == REC_WARN_LEN && record_get_u32(hdr + 1) != len) ||
               offset + RECORD_HDR_LEN + record_get_u32(hdr + 1) > qf->info.end_offset ||
               (type == REC_TYPE_RCPT && hdr[5] != REC_RCPT_PENDING && hdr[5] != REC_RCPT_DONE)) {
        vstring_sprintf(why, "no %s record at offset %llu", rec_type_name(type),
                        (unsigned long long)offset);
    } else {
        ret = 0;
    }
    vstring_free(reason);
    return ret;
}

int
qfile_rcpt_done(struct qfile *qf, uint64_t rcpt_offset, struct vstring *why)
{
    unsigned char done = REC_RCPT_DONE;

    if (qfile_check_at(qf, rcpt_offset, REC_TYPE_RCPT, REC_RCPT_MIN_LEN, why) < 0)
        return -1;
    if (pwrite(qf->fd, &done, 1, (off_t)(rcpt_offset + RECORD_HDR_LEN)) != 1) {
        vstring_sprintf(why, "write %s: %m", qf->path);
        return -1;
    }
    return 0;
}

int
qfile_set_warn(struct qfile *qf, uint64_t warn_offset, time_t when, struct vstring *why)
{
    unsigned char value[REC_WARN_LEN];

    if (when < 0)
        msg_panic("qfile_set_warn: negative time %lld", (long long)when);
    if (qfile_check_at(qf, warn_offset, REC_TYPE_WARN, REC_WARN_LEN, why) < 0)
        return -1;
    record_put_u64(value, (uint64_t)when);
    if (pwrite(qf->fd, value, sizeof(value), (off_t)(warn_offset + RECORD_HDR_LEN)) !=
        (ssize_t)sizeof(value)) {
        vstring_sprintf(why, "write %s: %m", qf->path);
        return -1;
    }
    return 0;
}

int
qfile_sync(struct qfile *qf)
{
    return fsync(qf->fd);
}
