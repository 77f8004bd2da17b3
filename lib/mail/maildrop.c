/*
 * maildrop - one message written into the maildrop queue from the record
 * stream "sendmail to postdrop" (docs/ipc.md); see maildrop.h. Every
 * record is first checked against what a user may send, then written
 * through qfile, which checks it against the queue file rules. Memory
 * use is one record at a time (the caller's).
 */
#include <string.h>
#include <sys/time.h>

#include "mail/maildrop.h"
#include "mail/mail_queue.h"
#include "mail/qfile.h"
#include "mail/rec_type.h"
#include "mail/record.h"
#include "util/mymalloc.h"

struct maildrop {
    struct qfile *qf;
    struct vstring *error; /* why the last put failed */
    long size_limit;       /* message_size_limit; 0: none */
    long size;             /* bytes of the records written so far */
    int too_big;           /* the size limit was reached */
};

/* qfile's reason for a failed write. */
static const char *
maildrop_qfile_error(const struct qfile *qf)
{
    const char *error = qfile_error(qf);

    return error ? error : "queue file write error";
}

/* An attribute a user may set, with a value cleanup will understand? */
static int
maildrop_attr_ok(const char *data, size_t len, struct vstring *why)
{
    const char *eq = memchr(data, '=', len);
    size_t name_len = eq ? (size_t)(eq - data) : len;
    const char *value = eq ? eq + 1 : "";
    size_t value_len = eq ? len - name_len - 1 : 0;

#define NAME_IS(s) (name_len == sizeof(s) - 1 && memcmp(data, s, name_len) == 0)
#define VALUE_IS(s) (value_len == sizeof(s) - 1 && memcmp(value, s, value_len) == 0)
    if (eq == NULL)
        vstring_strcpy(why, "attribute record without '='");
    else if (NAME_IS("full_name"))
        return 0;
    else if (NAME_IS("extract_recipients") && VALUE_IS("yes"))
        return 0;
    else if (NAME_IS("trace_flags") && value_len == 1 && value[0] >= '0' && value[0] <= '3')
        return 0;
    else if (NAME_IS("encoding") && (VALUE_IS("7bit") || VALUE_IS("8bit")))
        return 0;
    else if (NAME_IS("extract_recipients") || NAME_IS("trace_flags") || NAME_IS("encoding"))
        vstring_sprintf(why, "bad value for attribute %.*s", (int)name_len, data);
    else
        vstring_sprintf(why, "attribute %.*s not allowed", (int)(name_len > 64 ? 64 : name_len),
                        data);
    return -1;
#undef NAME_IS
#undef VALUE_IS
}

int
maildrop_record_ok(int type, const char *data, size_t len, struct vstring *why)
{
    switch (type) {
    case REC_TYPE_ATTR:
        return maildrop_attr_ok(data, len, why);
    case REC_TYPE_RCPT:
        if (len > 0 && data[0] != REC_RCPT_PENDING) {
            vstring_strcpy(why, "recipient record marked done");
            return -1;
        }
        return 0;
    case REC_TYPE_SENDER:
    case REC_TYPE_DSN_ENVID:
    case REC_TYPE_DSN_RET:
    case REC_TYPE_MESG:
    case REC_TYPE_NORM:
    case REC_TYPE_CONT:
    case REC_TYPE_XTRA:
        return 0;
    case REC_TYPE_END:
        if (len != 0) {
            vstring_strcpy(why, "end record with a payload");
            return -1;
        }
        return 0;
    default:
        if (rec_type_ok(type))
            vstring_sprintf(why, "record type %s not allowed", rec_type_name(type));
        else
            vstring_sprintf(why, "unknown record type %d", type);
        return -1;
    }
}

struct maildrop *
maildrop_create(int long_ids, long size_limit, struct vstring *why)
{
    struct maildrop *md;
    struct timeval now;
    struct qfile *qf;

    if ((qf = qfile_create(MAIL_QUEUE_MAILDROP, long_ids, 0644, why)) == NULL)
        return NULL;
    gettimeofday(&now, NULL);
    if (qfile_put_time(qf, &now) < 0) {
        vstring_strcpy(why, maildrop_qfile_error(qf));
        qfile_abort(qf);
        return NULL;
    }
    md = mymalloc(sizeof(*md));
    md->qf = qf;
    md->error = vstring_alloc(100);
    md->size_limit = size_limit;
    md->size = 0;
    md->too_big = 0;
    return md;
}

int
maildrop_put(struct maildrop *md, int type, const void *data, size_t len)
{
    if (vstring_len(md->error) > 0)
        return -1;
    if (maildrop_record_ok(type, data, len, md->error) < 0)
        return -1;
    if (type == REC_TYPE_END) { /* the commit writes the real end record */
        vstring_strcpy(md->error, "end record before the commit");
        return -1;
    }
    md->size += (long)(RECORD_HDR_LEN + len);
    if (md->size_limit > 0 && md->size > md->size_limit) {
        vstring_strcpy(md->error, "File too large");
        md->too_big = 1;
        return -1;
    }
    if (qfile_put_record(md->qf, type, data, len) < 0) {
        vstring_strcpy(md->error, maildrop_qfile_error(md->qf));
        return -1;
    }
    return 0;
}

const char *
maildrop_error(const struct maildrop *md)
{
    return vstring_len(md->error) > 0 ? vstring_str(md->error) : NULL;
}

int
maildrop_too_big(const struct maildrop *md)
{
    return md->too_big;
}

const char *
maildrop_temp_path(const struct maildrop *md)
{
    return qfile_path(md->qf);
}

static void
maildrop_free(struct maildrop *md)
{
    vstring_free(md->error);
    myfree(md);
}

int
maildrop_commit(struct maildrop *md, struct vstring *why)
{
    int status;

    if (vstring_len(md->error) > 0) {
        vstring_strcpy(why, vstring_str(md->error));
        maildrop_abort(md);
        return -1;
    }
    status = qfile_commit(md->qf, why); /* frees qf either way */
    maildrop_free(md);
    return status;
}

void
maildrop_abort(struct maildrop *md)
{
    qfile_abort(md->qf);
    maildrop_free(md);
}
