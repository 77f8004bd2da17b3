/*
 * maildir - qmail-style maildir delivery (man 8 local): the message is
 * written to DIR/tmp/ under a unique name, fsynced, then linked into
 * DIR/new/ and removed from tmp/. Everything is done with the
 * recipient's rights; missing tmp/, new/ and cur/ directories (and DIR
 * itself) are created mode 0700.
 *
 * Names: tmp/SECONDS.PPID_QCOUNT.HOST while writing, then
 * new/SECONDS.VDEVIINODEMUSEC.HOST (device and inode in hex, as Postfix),
 * where HOST has "/" and ":" written as \057 and \072. The new/ directory
 * is fsynced after the link, so a delivery reported to qmgr survives a
 * crash.
 *
 * Prepends Return-Path:, X-Original-To: and (prepend_delivered_header
 * "file") Delivered-To:; no From_ line, no quoting. Failures: "create
 * maildir file NAME: ERROR" (4.2.0 unless the error says otherwise) and
 * the errors of mail_copy, after ERR_PREFIX.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "local.h"
#include "mail/mail_copy.h"
#include "util/mymalloc.h"
#include "util/safe_open.h"
#include "util/sane_fs.h"

/* The host name part of maildir file names. */
static void
local_maildir_host(struct vstring *buf)
{
    char host[256];

    if (gethostname(host, sizeof(host) - 1) < 0)
        memcpy(host, "localhost", sizeof("localhost"));
    host[sizeof(host) - 1] = 0;
    vstring_reset(buf);
    for (const char *cp = host; *cp; cp++) {
        if (*cp == '/')
            vstring_strcat(buf, "\\057");
        else if (*cp == ':')
            vstring_strcat(buf, "\\072");
        else
            vstring_addch(buf, *cp);
    }
}

/* Creates the three directories; 0 or -1 with why. */
static int
local_maildir_dirs(const char *path, struct vstring *dsn, struct vstring *why)
{
    static const char *const subdirs[] = {"tmp", "new", "cur"};
    struct vstring *dir = vstring_alloc(100);
    int status = 0;

    for (int i = 0; i < 3 && status == 0; i++) {
        vstring_sprintf(dir, "%s%s", path, subdirs[i]);
        if (mkdir_p(vstring_str(dir), 0700) < 0) {
            vstring_strcpy(dsn, mail_copy_dsn(errno, "4.2.0"));
            vstring_sprintf(why, "create maildir file %s: %s", vstring_str(dir), strerror(errno));
            status = -1;
        }
    }
    vstring_free(dir);
    return status;
}

/* Writes and commits one file; 0 or -1 with dsn and why. Runs as the user. */
static int
local_maildir_write(struct local_state *state, const char *path, struct vstring *dsn,
                    struct vstring *why)
{
    static unsigned counter;
    struct mail_copy_info info = {state->sender, local_orig_rcpt(state), state->delivered};
    struct vstring *host = vstring_alloc(64);
    struct vstring *tmp = vstring_alloc(100);
    struct vstring *new = vstring_alloc(100);
    struct vstring *open_why = vstring_alloc(100);
    int flags = MAIL_COPY_TOFILE | MAIL_COPY_RETURN_PATH | MAIL_COPY_ORIG_RCPT;
    struct timeval tv;
    struct stat st;
    int status = -1;
    int fd;

    if (local_config.hdr_mask & LOCAL_HDR_FILE)
        flags |= MAIL_COPY_DELIVERED;
    local_maildir_host(host);
    gettimeofday(&tv, NULL);
    vstring_sprintf(tmp, "%stmp/%ld.P%dQ%u.%s", path, (long)tv.tv_sec, (int)getpid(), ++counter,
                    vstring_str(host));
    if ((fd = safe_open(vstring_str(tmp), O_WRONLY | O_CREAT | O_EXCL, 0600, &st, (uid_t)-1,
                        (gid_t)-1, open_why)) < 0) {
        vstring_strcpy(dsn, mail_copy_dsn(errno, "4.2.0"));
        vstring_sprintf(why, "create maildir file %s: %s", vstring_str(tmp), strerror(errno));
    } else if (mail_copy(state->lr->qf, fd, flags, &info, dsn, why) == 0) {
        vstring_sprintf(new, "%snew/%ld.V%lxI%lxM%ld.%s", path, (long)tv.tv_sec,
                        (unsigned long)st.st_dev, (unsigned long)st.st_ino, (long)tv.tv_usec,
                        vstring_str(host));
        if (sane_link(vstring_str(tmp), vstring_str(new)) < 0) {
            vstring_strcpy(dsn, mail_copy_dsn(errno, "4.2.0"));
            vstring_sprintf(why, "create maildir file %s: %s", vstring_str(new), strerror(errno));
        } else {
            vstring_sprintf(new, "%snew", path);
            fsync_dir(vstring_str(new));
            status = 0;
        }
    }
    if (fd >= 0) {
        close(fd);
        unlink(vstring_str(tmp));
    }
    vstring_free(host);
    vstring_free(tmp);
    vstring_free(new);
    vstring_free(open_why);
    return status;
}

void
local_maildir(struct local_state *state, const char *path, uid_t uid, gid_t gid,
              const char *err_prefix)
{
    struct vstring *dsn = vstring_alloc(10);
    struct vstring *why = vstring_alloc(100);
    int status;

    if (state->lr->verify) {
        local_leaf(state, DEL_RCPT_OK, "2.0.0", "deliverable", "delivers to maildir");
        vstring_free(dsn);
        vstring_free(why);
        return;
    }
    local_become(uid, gid);
    status = local_maildir_dirs(path, dsn, why);
    if (status == 0)
        status = local_maildir_write(state, path, dsn, why);
    local_become(0, 0);
    if (status == 0)
        local_leaf(state, DEL_RCPT_OK, "2.0.0", "delivered", "delivered to maildir");
    else
        local_leaf(state, vstring_str(dsn)[0] == '4' ? DEL_RCPT_DEFER : DEL_RCPT_BOUNCE,
                   vstring_str(dsn), vstring_str(dsn)[0] == '4' ? "delayed" : "failed", "%s%s",
                   err_prefix, vstring_str(why));
    vstring_free(dsn);
    vstring_free(why);
}
