/*
 * cleanup_clnt - the client side of protocol cleanup_v1; see
 * cleanup_clnt.h and docs/ipc.md.
 *
 * cleanup_open connects to public/SERVICE (the stock master.cf's
 * "cleanup unix n ...": a public socket, as smtpd and pickup reach it in
 * Postfix), checks the announcement, sends the flags and reads the queue
 * id. The puts write records with
 * record_put (buffered); the first write error is remembered and every
 * later put returns -1, so cleanup_finish reports it as
 * CLEANUP_STAT_WRITE. cleanup_finish sends the empty end record, reads
 * status and reason, and frees everything. A reply that breaks the
 * protocol (malformed list, timeout, the server gone) is also
 * CLEANUP_STAT_WRITE: the message was not acknowledged, so the caller
 * must not treat it as queued.
 */
#include <errno.h>
#include <string.h>

#include "mail/attr.h"
#include "mail/cleanup_clnt.h"
#include "mail/mail_connect.h"
#include "mail/record.h"
#include "util/msg.h"
#include "util/mymalloc.h"

struct cleanup_clnt {
    struct vstream *fp;
    char *queue_id;
    struct vstring *buf;   /* scratch for payloads */
    struct vstring *error; /* the first failure, sticky */
};

static void
cleanup_free(struct cleanup_clnt *cl)
{
    if (cl->fp)
        (void)vstream_close(cl->fp);
    myfree(cl->queue_id);
    vstring_free(cl->buf);
    vstring_free(cl->error);
    myfree(cl);
}

struct cleanup_clnt *
cleanup_open(const char *service, int flags, int timeout, struct vstring *why)
{
    struct vstream *fp;
    struct vstring *id;
    struct cleanup_clnt *cl;

    if ((fp = mail_connect(NULL, MAIL_CLASS_PUBLIC, service, timeout, why)) == NULL)
        return NULL;
    id = vstring_alloc(32);
    if (attr_expect_protocol(fp, CLEANUP_PROTOCOL) < 0 ||
        attr_print(fp, ATTR_FLAG_NONE, ATTR_SEND_INT("flags", flags), ATTR_TYPE_END) < 0 ||
        attr_scan(fp, ATTR_FLAG_NONE, ATTR_RECV_STR("queue_id", id), ATTR_TYPE_END) < 0) {
        vstring_sprintf(why, "%s service: %s", vstream_path(fp), attr_error_reason());
        (void)vstream_close(fp);
        vstring_free(id);
        return NULL;
    }
    cl = mycalloc(1, sizeof(*cl));
    cl->fp = fp;
    cl->queue_id = vstring_export(id);
    cl->buf = vstring_alloc(256);
    cl->error = vstring_alloc(64);
    return cl;
}

const char *
cleanup_queue_id(const struct cleanup_clnt *cl)
{
    return cl->queue_id;
}

int
cleanup_put_record(struct cleanup_clnt *cl, int type, const void *data, size_t len)
{
    if (vstring_len(cl->error) > 0)
        return -1;
    if (len > RECORD_LEN_MAX) {
        vstring_sprintf(cl->error, "%s record too long (%zu bytes)", rec_type_name(type), len);
        return -1;
    }
    if (record_put(cl->fp, type, data, len) < 0) {
        vstring_sprintf(cl->error, "write to %s service: %s", vstream_path(cl->fp),
                        vstream_timed_out(cl->fp) ? "timeout" : "write error");
        return -1;
    }
    return 0;
}

int
cleanup_put_time(struct cleanup_clnt *cl, const struct timeval *tv)
{
    unsigned char data[REC_TIME_LEN];

    qfile_time_encode(data, tv);
    return cleanup_put_record(cl, REC_TYPE_TIME, data, sizeof(data));
}

int
cleanup_put_attr(struct cleanup_clnt *cl, const char *name, const char *value)
{
    vstring_sprintf(cl->buf, "%s=%s", name, value);
    return cleanup_put_record(cl, REC_TYPE_ATTR, vstring_str(cl->buf), vstring_len(cl->buf));
}

int
cleanup_put_sender(struct cleanup_clnt *cl, const char *sender)
{
    return cleanup_put_record(cl, REC_TYPE_SENDER, sender, strlen(sender));
}

int
cleanup_put_dsn_envid(struct cleanup_clnt *cl, const char *envid)
{
    return cleanup_put_record(cl, REC_TYPE_DSN_ENVID, envid, strlen(envid));
}

int
cleanup_put_dsn_ret(struct cleanup_clnt *cl, int ret)
{
    unsigned char data = (unsigned char)ret;

    return cleanup_put_record(cl, REC_TYPE_DSN_RET, &data, 1);
}

int
cleanup_put_rcpt(struct cleanup_clnt *cl, const struct qfile_rcpt *rcpt)
{
    struct qfile_rcpt pending = *rcpt;

    pending.status = REC_RCPT_PENDING;
    qfile_rcpt_encode(cl->buf, &pending);
    return cleanup_put_record(cl, REC_TYPE_RCPT, vstring_str(cl->buf), vstring_len(cl->buf));
}

int
cleanup_begin_content(struct cleanup_clnt *cl)
{
    return cleanup_put_record(cl, REC_TYPE_MESG, "", 0);
}

int
cleanup_put_line(struct cleanup_clnt *cl, const char *data, size_t len)
{
    size_t chunk;

    while (len > QFILE_PIECE_MAX) {
        chunk = QFILE_PIECE_MAX;
        if (cleanup_put_record(cl, REC_TYPE_CONT, data, chunk) < 0)
            return -1;
        data += chunk;
        len -= chunk;
    }
    return cleanup_put_record(cl, REC_TYPE_NORM, data, len);
}

int
cleanup_begin_extracted(struct cleanup_clnt *cl)
{
    return cleanup_put_record(cl, REC_TYPE_XTRA, "", 0);
}

int
cleanup_finish(struct cleanup_clnt *cl, struct vstring *reason)
{
    int status = CLEANUP_STAT_WRITE;

    vstring_reset(reason);
    if (cleanup_put_record(cl, REC_TYPE_END, "", 0) == 0 && vstream_flush(cl->fp) < 0)
        vstring_sprintf(cl->error, "write to %s service: %s", vstream_path(cl->fp),
                        vstream_timed_out(cl->fp) ? "timeout" : "write error");
    if (vstring_len(cl->error) == 0) {
        if (attr_scan(cl->fp, ATTR_FLAG_NONE, ATTR_RECV_INT("status", &status),
                      ATTR_RECV_STR("reason", reason), ATTR_TYPE_END) < 0) {
            status = CLEANUP_STAT_WRITE;
            vstring_sprintf(reason, "4.3.0 %s service: %s", vstream_path(cl->fp),
                            attr_error_reason());
        }
    } else {
        /*
         * The server may have refused the stream and said why before it
         * stopped reading: forget the unsent bytes and read its reply.
         */
        struct vstring *why = vstring_alloc(64);
        int peer_status;

        cl->fp->wlen = 0;
        if (!vstream_timed_out(cl->fp))
            cl->fp->flags &= ~VSTREAM_FLAG_ERR;
        if (attr_scan(cl->fp, ATTR_FLAG_NONE, ATTR_RECV_INT("status", &peer_status),
                      ATTR_RECV_STR("reason", why), ATTR_TYPE_END) == 2 &&
            peer_status != 0) {
            status = peer_status;
            vstring_strcpy(reason, vstring_str(why));
        } else {
            vstring_sprintf(reason, "4.3.0 %s", vstring_str(cl->error));
        }
        vstring_free(why);
    }
    cleanup_free(cl);
    return status;
}

void
cleanup_abort(struct cleanup_clnt *cl)
{
    cleanup_free(cl);
}
