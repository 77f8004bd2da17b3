/*
 * postconf_replace - rewrite a configuration file in place, atomically and
 * under a lock. See postconf_replace.h for the contract.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/msg.h"
#include "util/myflock.h"
#include "util/mymalloc.h"

#include "postconf_replace.h"

static struct pcf_replace *pcf_replace_pending; /* temporary file to remove on fatal */

static void
pcf_replace_cleanup(void)
{
    if (pcf_replace_pending)
        (void)unlink(safe_replace_tmp_path(pcf_replace_pending->sr));
}

/* Opens and locks PATH for reading, making sure the lock is on the current file. */
static struct vstream *
pcf_replace_open_src(const char *path, struct vstring *why)
{
    struct vstream *src;
    struct stat fst;
    struct stat pst;

    for (;;) {
        if ((src = vstream_fopen(path, O_RDONLY, 0)) == NULL) {
            vstring_sprintf(why, "open %s for reading: %m", path);
            return NULL;
        }
        if (myflock(vstream_fileno(src), MYFLOCK_STYLE_FLOCK, MYFLOCK_OP_EXCLUSIVE) < 0
            || fstat(vstream_fileno(src), &fst) < 0) {
            vstring_sprintf(why, "lock %s: %m", path);
            vstream_close(src);
            return NULL;
        }
        if (stat(path, &pst) == 0 && pst.st_dev == fst.st_dev && pst.st_ino == fst.st_ino)
            return src;
        vstream_close(src); /* another postconf replaced it meanwhile: retry */
    }
}

static void
pcf_replace_free(struct pcf_replace *rp)
{
    if (pcf_replace_pending == rp) {
        pcf_replace_pending = NULL;
        msg_set_cleanup(NULL);
    }
    if (rp->src)
        vstream_close(rp->src); /* releases the lock */
    myfree(rp->path);
    myfree(rp);
}

struct pcf_replace *
pcf_replace_open(const char *path, struct vstring *why)
{
    struct pcf_replace *rp;
    mode_t mask = umask(022);
    int saved_errno;

    umask(mask);
    rp = mycalloc(1, sizeof(*rp));
    rp->path = mystrdup(path);
    if ((rp->sr = safe_replace_open(path, 0644 & ~mask, 0, why)) == NULL) {
        vstring_sprintf(why, "open %s.tmp: %m", path);
        pcf_replace_free(rp);
        return NULL;
    }
    pcf_replace_pending = rp;
    msg_set_cleanup(pcf_replace_cleanup);
    rp->dst = vstream_fdopen(safe_replace_fd(rp->sr), safe_replace_tmp_path(rp->sr));
    rp->dst->flags |= VSTREAM_FLAG_NOCLOSE; /* safe_replace_commit/abort close it */
    if ((rp->src = pcf_replace_open_src(path, why)) == NULL) {
        saved_errno = errno;
        pcf_replace_abort(rp);
        errno = saved_errno;
        return NULL;
    }
    return rp;
}

int
pcf_replace_commit(struct pcf_replace *rp, struct vstring *why)
{
    int status = 0;

    if (vstream_close(rp->dst) != 0) {
        vstring_sprintf(why, "close %s.tmp: %m", rp->path);
        safe_replace_abort(rp->sr);
        status = -1;
    } else if (safe_replace_commit(rp->sr, why) != 0) {
        status = -1; /* the commit removed the temporary file */
    }
    pcf_replace_free(rp);
    return status;
}

void
pcf_replace_abort(struct pcf_replace *rp)
{
    vstream_close(rp->dst);
    safe_replace_abort(rp->sr);
    pcf_replace_free(rp);
}
