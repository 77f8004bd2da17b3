/*
 * qfile_write - creating and committing queue files; see qfile.h.
 *
 * qfile_create writes a placeholder header record (all fields zero) and
 * then follows every record through the same checker the reader uses.
 * qfile_commit writes the end record with the checksum, overwrites the
 * placeholder with the real header (pwrite at offset 0, before the
 * fsync), and hands the file to mail_queue_commit. A placeholder header
 * never reaches a queue: a file that is not committed keeps its temporary
 * name, and a header with zero offsets fails validation anyway.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "mail/qfile_private.h"
#include "util/msg.h"
#include "util/mymalloc.h"

#define MAIL_QUEUE_HOOK(step)                                                                      \
    do {                                                                                           \
        if (mail_queue_commit_hook)                                                                \
            mail_queue_commit_hook(step);                                                          \
    } while (0)

struct qfile *
qfile_create(const char *queue, int long_ids, mode_t mode, struct vstring *why)
{
    static const unsigned char zeros[REC_HEADER_LEN];
    struct mail_queue_file *mqf;
    struct qfile *qf;

    if (mail_queue_enter(queue, long_ids, mode, &mqf, why) < 0)
        return NULL;
    qf = qfile_alloc(mqf->id, mqf->temp_path, mqf->fd, QFILE_OPEN_UPDATE);
    qf->mqf = mqf;
    qf->error = vstring_alloc(100);
    qfile_check_init(&qf->check, QFILE_SECT_ENVELOPE, QFILE_HEADER_SIZE);
    qf->offset = QFILE_HEADER_SIZE;
    if (record_put(qf->fp, REC_TYPE_HEADER, zeros, sizeof(zeros)) < 0)
        vstring_sprintf(qf->error, "write file %s: %m", qf->path);
    return qf;
}

const char *
qfile_id(const struct qfile *qf)
{
    return qf->name;
}

const char *
qfile_path(const struct qfile *qf)
{
    return qf->path;
}

const char *
qfile_error(const struct qfile *qf)
{
    return qf->error && vstring_len(qf->error) ? vstring_str(qf->error) : NULL;
}

int
qfile_put_record(struct qfile *qf, int type, const void *data, size_t len)
{
    struct vstring *reason = qf->reason;

    if (qf->mqf == NULL)
        msg_panic("qfile_put_record: %s is not being written", qf->name);
    if (vstring_len(qf->error) > 0)
        return -1;
    if (type == REC_TYPE_HEADER || type == REC_TYPE_END) {
        vstring_sprintf(qf->error, "%s record written by qfile_put_record", rec_type_name(type));
        return -1;
    }
    if (len > RECORD_LEN_MAX) {
        vstring_sprintf(qf->error, "%s record too long (%zu bytes, limit %d)", rec_type_name(type),
                        len, RECORD_LEN_MAX);
        return -1;
    }
    if (qfile_check_record(&qf->check, type, data, len, reason) < 0)
        vstring_sprintf(qf->error, "%s", vstring_str(reason));
    else if (record_put(qf->fp, type, data, len) < 0)
        vstring_sprintf(qf->error, "write file %s: %m", qf->path);
    else
        qf->offset = qf->check.offset;
    return vstring_len(qf->error) > 0 ? -1 : 0;
}

int
qfile_put_time(struct qfile *qf, const struct timeval *tv)
{
    unsigned char data[REC_TIME_LEN];

    if (tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_usec >= 1000000)
        msg_panic("qfile_put_time: bad time %lld.%ld", (long long)tv->tv_sec, (long)tv->tv_usec);
    qfile_time_encode(data, tv);
    return qfile_put_record(qf, REC_TYPE_TIME, data, sizeof(data));
}

int
qfile_put_warn(struct qfile *qf, time_t when)
{
    unsigned char data[REC_WARN_LEN];

    if (when < 0)
        msg_panic("qfile_put_warn: negative time %lld", (long long)when);
    record_put_u64(data, (uint64_t)when);
    return qfile_put_record(qf, REC_TYPE_WARN, data, sizeof(data));
}

int
qfile_put_attr(struct qfile *qf, const char *name, const char *value)
{
    struct vstring *buf = qf->field[0];

    vstring_sprintf(buf, "%s=%s", name, value);
    return qfile_put_record(qf, REC_TYPE_ATTR, vstring_str(buf), vstring_len(buf));
}

int
qfile_put_sender(struct qfile *qf, const char *sender)
{
    return qfile_put_record(qf, REC_TYPE_SENDER, sender, strlen(sender));
}

int
qfile_put_dsn_envid(struct qfile *qf, const char *envid)
{
    return qfile_put_record(qf, REC_TYPE_DSN_ENVID, envid, strlen(envid));
}

int
qfile_put_dsn_ret(struct qfile *qf, int ret)
{
    unsigned char data = (unsigned char)ret;

    return qfile_put_record(qf, REC_TYPE_DSN_RET, &data, 1);
}

/* Appends a counted string: 4-byte length, then the bytes. */
static void
qfile_add_counted(struct vstring *buf, const char *text)
{
    unsigned char len[4];
    size_t n = text ? strlen(text) : 0;

    record_put_u32(len, n > UINT32_MAX ? UINT32_MAX : (uint32_t)n);
    vstring_memcat(buf, len, sizeof(len));
    if (n > 0)
        vstring_memcat(buf, text, n);
}

void
qfile_rcpt_encode(struct vstring *buf, const struct qfile_rcpt *rcpt)
{
    vstring_reset(buf);
    vstring_addch(buf, rcpt->status);
    vstring_addch(buf, rcpt->notify);
    qfile_add_counted(buf, rcpt->address);
    qfile_add_counted(buf, rcpt->orig_rcpt);
    qfile_add_counted(buf, rcpt->dsn_orcpt);
}

int
qfile_rcpt_decode(const void *data, size_t len, struct qfile_rcpt *rcpt, struct vstring *store,
                  struct vstring *why)
{
    const unsigned char *p = data;
    size_t pos = 2, at[3];

    if (qfile_check_payload(REC_TYPE_RCPT, p, len, why) < 0)
        return -1;
    vstring_reset(store);
    for (int i = 0; i < 3; i++) {
        uint32_t n = record_get_u32(p + pos);

        at[i] = vstring_len(store);
        vstring_memcat(store, p + pos + 4, n);
        vstring_addch(store, 0);
        pos += 4 + n;
    }
    rcpt->status = p[0];
    rcpt->notify = p[1];
    rcpt->address = vstring_str(store) + at[0];
    rcpt->orig_rcpt = vstring_str(store) + at[1];
    rcpt->dsn_orcpt = vstring_str(store) + at[2];
    return 0;
}

void
qfile_time_encode(unsigned char out[REC_TIME_LEN], const struct timeval *tv)
{
    record_put_u64(out, (uint64_t)tv->tv_sec);
    record_put_u32(out + 8, (uint32_t)tv->tv_usec);
}

int
qfile_time_decode(const void *data, size_t len, struct timeval *tv, struct vstring *why)
{
    if (qfile_check_payload(REC_TYPE_TIME, data, len, why) < 0)
        return -1;
    tv->tv_sec = (time_t)record_get_u64(data);
    tv->tv_usec = (suseconds_t)record_get_u32((const unsigned char *)data + 8);
    return 0;
}

int
qfile_put_rcpt(struct qfile *qf, const struct qfile_rcpt *rcpt)
{
    struct vstring *buf = qf->field[0];

    qfile_rcpt_encode(buf, rcpt);
    return qfile_put_record(qf, REC_TYPE_RCPT, vstring_str(buf), vstring_len(buf));
}

int
qfile_put_rrto(struct qfile *qf, const char *address)
{
    return qfile_put_record(qf, REC_TYPE_RRTO, address, strlen(address));
}

int
qfile_put_erto(struct qfile *qf, const char *address)
{
    return qfile_put_record(qf, REC_TYPE_ERTO, address, strlen(address));
}

int
qfile_begin_content(struct qfile *qf)
{
    return qfile_put_record(qf, REC_TYPE_MESG, "", 0);
}

int
qfile_begin_extracted(struct qfile *qf)
{
    return qfile_put_record(qf, REC_TYPE_XTRA, "", 0);
}

int
qfile_put_piece(struct qfile *qf, const char *data, size_t len)
{
    size_t chunk;

    while (len > 0) {
        chunk = len > QFILE_PIECE_MAX ? QFILE_PIECE_MAX : len;
        if (qfile_put_record(qf, REC_TYPE_CONT, data, chunk) < 0)
            return -1;
        data += chunk;
        len -= chunk;
    }
    return 0;
}

int
qfile_put_line(struct qfile *qf, const char *data, size_t len)
{
    size_t head = len > 0 ? (len - 1) / QFILE_PIECE_MAX * QFILE_PIECE_MAX : 0;

    if (qfile_put_piece(qf, data, head) < 0)
        return -1;
    return qfile_put_record(qf, REC_TYPE_NORM, data + head, len - head);
}

int
qfile_change_queue(struct qfile *qf, const char *queue, struct vstring *why)
{
    struct mail_queue_file *mqf = qf->mqf;
    struct vstring *buf;
    const char *base;

    if (mqf == NULL || !mail_queue_name_ok(queue))
        msg_panic("qfile_change_queue: bad request for %s", qf->name);
    if (strcmp(mqf->queue, queue) == 0)
        return 0;
    buf = vstring_alloc(100);
    base = strrchr(mqf->temp_path, '/');
    vstring_sprintf(buf, "%s%s", queue, base ? base : "/");
    if (link(mqf->temp_path, vstring_str(buf)) < 0) {
        vstring_sprintf(why, "link file %s as %s: %m", mqf->temp_path, vstring_str(buf));
        vstring_free(buf);
        return -1;
    }
    (void)unlink(mqf->temp_path);
    myfree(mqf->temp_path);
    mqf->temp_path = mystrdup(vstring_str(buf));
    myfree(qf->path);
    qf->path = mystrdup(vstring_str(buf));
    myfree(mqf->queue);
    mqf->queue = mystrdup(queue);
    myfree(mqf->path);
    mqf->path = mystrdup(mail_queue_path(buf, queue, mqf->id));
    vstring_free(buf);
    return 0;
}

/* Writes the end record and the real header; 0, or -1 with qf->error set. */
static int
qfile_finish(struct qfile *qf)
{
    unsigned char header[QFILE_HEADER_SIZE];
    unsigned char end[REC_END_LEN];
    uint64_t end_offset = qf->check.offset;

    qfile_check_make_header(&qf->check, end_offset, header);
    record_put_u32(end, qfile_check_final_crc(&qf->check, header));
    if (record_put(qf->fp, REC_TYPE_END, end, sizeof(end)) < 0 || vstream_flush(qf->fp) < 0) {
        vstring_sprintf(qf->error, "write file %s: %m", qf->path);
        return -1;
    }
    if (pwrite(qf->fd, header, sizeof(header), 0) != (ssize_t)sizeof(header)) {
        vstring_sprintf(qf->error, "write file %s: %m", qf->path);
        return -1;
    }
    return 0;
}

int
qfile_commit(struct qfile *qf, struct vstring *why)
{
    struct mail_queue_file *mqf;

    if (qf->mqf == NULL)
        msg_panic("qfile_commit: %s is not being written", qf->name);
    if (vstring_len(qf->error) == 0 && qf->check.section == QFILE_SECT_CONTENT)
        (void)qfile_begin_extracted(qf);
    if (vstring_len(qf->error) == 0 && qf->check.section != QFILE_SECT_EXTRACTED)
        vstring_strcpy(qf->error, "commit before the message content");
    if (vstring_len(qf->error) > 0 || qfile_finish(qf) < 0) {
        vstring_strcpy(why, vstring_str(qf->error));
        qfile_abort(qf);
        return -1;
    }
    MAIL_QUEUE_HOOK(MAIL_QUEUE_STEP_WRITTEN);
    mqf = qf->mqf;
    qf->mqf = NULL;
    if (mail_queue_commit(mqf, why) < 0) {
        qfile_free(qf);
        return -1;
    }
    qfile_free(qf);
    return 0;
}

void
qfile_abort(struct qfile *qf)
{
    if (qf->mqf == NULL)
        msg_panic("qfile_abort: %s is not being written", qf->name);
    mail_queue_abandon(qf->mqf);
    qf->mqf = NULL;
    qfile_free(qf);
}
