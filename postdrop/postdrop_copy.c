/*
 * postdrop_copy - turn the record stream from sendmail into a committed
 * maildrop file.
 *
 *   postdrop_copy(in, uid, long_ids)
 *       creates maildrop/.tmpXXXXXX (mode 0644, owned by the submitting
 *       user: pickup takes the uid from the owner), writes the arrival time
 *       (postdrop's clock, never the user's), then copies the records of
 *       IN: attributes a user may set, the sender, DSN envid and ret,
 *       recipients, 'M', content lines, 'X'. The stream ends with 'E' with
 *       an empty payload; then qfile_commit. Returns 0 only when the
 *       commit succeeded (the file is durable under its queue id).
 *
 * Input is checked record by record: the framing (record_get, with the
 * stream's timeout), the record types a user may send (no time, warn,
 * header, return-receipt or errors-to records), the attribute names
 * (full_name, extract_recipients=yes, trace_flags 0..3, encoding 7bit or
 * 8bit), pending recipients only, and then every record against the
 * queue file rules by qfile itself. The first bad record, a premature end
 * of input or a read timeout ends the copy: a warning that names the
 * user ("uid=1000: ..."), the temporary file is removed (qfile_abort),
 * and the result is -1. Memory use is one record at a time.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "mail/mail_queue.h"
#include "mail/qfile.h"
#include "mail/rec_type.h"
#include "mail/record.h"
#include "postdrop.h"
#include "util/msg.h"
#include "util/stringops.h"
#include "util/vstring.h"

static struct qfile *postdrop_qf; /* the file being written, for the abort hook */

void
postdrop_copy_abort(void)
{
    struct qfile *qf = postdrop_qf;

    postdrop_qf = NULL;
    if (qf)
        qfile_abort(qf);
}

/* An attribute a user may set, with a value cleanup will understand? */
static int
postdrop_attr_ok(const char *data, size_t len, struct vstring *why)
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

/* May a user send a record of this type, with this payload? */
static int
postdrop_record_ok(int type, const char *data, size_t len, struct vstring *why)
{
    switch (type) {
    case REC_TYPE_ATTR:
        return postdrop_attr_ok(data, len, why);
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

/* Puts PREFIX before the text of why. */
static void
postdrop_prefix(struct vstring *why, const char *prefix)
{
    struct vstring *text = vstring_alloc(vstring_len(why) + 32);

    vstring_sprintf(text, "%s%s", prefix, vstring_str(why));
    vstring_strcpy(why, vstring_str(text));
    vstring_free(text);
}

/* Copies records up to the end record; 0, or -1 with why. */
static int
postdrop_copy_records(struct vstream *in, struct qfile *qf, struct vstring *why)
{
    struct vstring *buf = vstring_alloc(1024);
    int type;
    int ret = -1;

    for (;;) {
        type = record_get(in, buf, RECORD_LEN_MAX, why);
        if (type == RECORD_EOF) {
            vstring_strcpy(why, "premature end of input");
            break;
        }
        if (type == RECORD_ERROR) {
            if (vstream_timed_out(in))
                vstring_strcpy(why, "timeout while reading input");
            else
                postdrop_prefix(why, "malformed input: ");
            break;
        }
        if (postdrop_record_ok(type, vstring_str(buf), vstring_len(buf), why) < 0)
            break;
        if (type == REC_TYPE_END) {
            ret = 0;
            break;
        }
        if (qfile_put_record(qf, type, vstring_str(buf), vstring_len(buf)) < 0) {
            vstring_strcpy(why, qfile_error(qf));
            break;
        }
    }
    vstring_free(buf);
    return ret;
}

int
postdrop_copy(struct vstream *in, uid_t uid, int long_ids)
{
    struct vstring *why = vstring_alloc(100);
    struct timeval now;
    struct qfile *qf;
    int ret = -1;

    if ((qf = qfile_create(MAIL_QUEUE_MAILDROP, long_ids, 0644, why)) == NULL) {
        msg_warn("uid=%ld: %s", (long)uid, vstring_str(why));
        vstring_free(why);
        return -1;
    }
    postdrop_qf = qf;
    gettimeofday(&now, NULL);
    if (qfile_put_time(qf, &now) < 0)
        msg_warn("uid=%ld: %s", (long)uid, qfile_error(qf));
    else if (postdrop_copy_records(in, qf, why) < 0)
        msg_warn("uid=%ld: %s; no message was queued", (long)uid, vstring_str(why));
    else {
        postdrop_qf = NULL; /* qfile_commit frees qf either way */
        if (qfile_commit(qf, why) == 0)
            ret = 0;
        else
            msg_warn("uid=%ld: cannot commit the queue file: %s", (long)uid, vstring_str(why));
    }
    postdrop_copy_abort();
    vstring_free(why);
    return ret;
}
