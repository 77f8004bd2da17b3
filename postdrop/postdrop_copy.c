/*
 * postdrop_copy - turn the record stream from sendmail into a committed
 * maildrop file (lib/mail/maildrop.h does the checks and the writing).
 *
 *   postdrop_copy(in, uid, long_ids, size_limit)
 *       creates maildrop/.tmpXXXXXX (mode 0644, owned by the submitting
 *       user: pickup takes the uid from the owner) with the arrival time,
 *       then copies the records of IN up to the end record (an 'E' with
 *       an empty payload), then commits. Returns 0 only when the commit
 *       succeeded (the file is durable under its queue id);
 *       MAILDROP_EXIT_TOO_BIG when the file would grow past SIZE_LIMIT
 *       (message_size_limit; the warning is Postfix's "uid=N: File too
 *       large"), else -1.
 *
 * The first bad record (framing, a record type or attribute a user may
 * not send, anything qfile refuses), a premature end of input or a read
 * timeout ends the copy: a warning that names the user ("uid=1000:
 * ..."), the temporary file is removed, and the result is -1. SIGTERM
 * (sendmail giving up on an error it reports itself) removes the file
 * and exits 1 without a message.
 */
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "mail/maildrop.h"
#include "mail/rec_type.h"
#include "mail/record.h"
#include "postdrop.h"
#include "util/msg.h"
#include "util/vstring.h"

static struct maildrop *postdrop_md; /* the file being written, for the abort hook */
static char postdrop_temp[PATH_MAX]; /* its name, for the SIGTERM handler */

/*
 * SIGTERM: sendmail gave up (a fatal error of its own, e.g. -t without
 * any recipient, which it has already reported): remove the unfinished
 * file and go, without a message of our own.
 */
static void
postdrop_sigterm(int sig)
{
    (void)sig;
    if (postdrop_temp[0])
        (void)unlink(postdrop_temp);
    _exit(1);
}

void
postdrop_copy_abort(void)
{
    struct maildrop *md = postdrop_md;

    postdrop_md = NULL;
    postdrop_temp[0] = 0;
    if (md)
        maildrop_abort(md);
}

/* Copies records up to the end record; 0, or -1 with why. */
static int
postdrop_copy_records(struct vstream *in, struct maildrop *md, struct vstring *why)
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
            if (vstream_timed_out(in)) {
                vstring_strcpy(why, "timeout while reading input");
            } else {
                vstring_strcpy(buf, vstring_str(why));
                vstring_sprintf(why, "malformed input: %s", vstring_str(buf));
            }
            break;
        }
        if (type == REC_TYPE_END) {
            ret = maildrop_record_ok(type, vstring_str(buf), vstring_len(buf), why);
            break;
        }
        if (maildrop_put(md, type, vstring_str(buf), vstring_len(buf)) < 0) {
            vstring_strcpy(why, maildrop_error(md));
            break;
        }
    }
    vstring_free(buf);
    return ret;
}

int
postdrop_copy(struct vstream *in, uid_t uid, int long_ids, long size_limit)
{
    struct vstring *why = vstring_alloc(100);
    struct maildrop *md;
    int ret = -1;

    sigset_t term, saved;

    /* The handler must know the name as soon as the file exists. */
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigprocmask(SIG_BLOCK, &term, &saved);
    signal(SIGTERM, postdrop_sigterm);
    if ((md = maildrop_create(long_ids, size_limit, why)) == NULL) {
        sigprocmask(SIG_SETMASK, &saved, NULL);
        msg_warn("uid=%ld: %s", (long)uid, vstring_str(why));
        vstring_free(why);
        return -1;
    }
    if (strlen(maildrop_temp_path(md)) < sizeof(postdrop_temp))
        memcpy(postdrop_temp, maildrop_temp_path(md), strlen(maildrop_temp_path(md)) + 1);
    sigprocmask(SIG_SETMASK, &saved, NULL);
    postdrop_md = md;
    if (postdrop_copy_records(in, md, why) < 0) {
        if (maildrop_too_big(md)) {
            msg_warn("uid=%ld: %s", (long)uid, vstring_str(why));
            ret = MAILDROP_EXIT_TOO_BIG;
        } else {
            msg_warn("uid=%ld: %s; no message was queued", (long)uid, vstring_str(why));
        }
    } else {
        postdrop_md = NULL; /* maildrop_commit frees md either way */
        if (maildrop_commit(md, why) == 0)
            ret = 0;
        else
            msg_warn("uid=%ld: cannot commit the queue file: %s", (long)uid, vstring_str(why));
    }
    postdrop_copy_abort();
    vstring_free(why);
    return ret;
}
