/*
 * master_listen - the local listeners the master opens for its children:
 * UNIX-domain stream sockets (unix, pass), datagram sockets (unix-dgram)
 * and FIFOs, under private/ or public/ of the queue directory (our
 * working directory).
 *
 *   master_listen_dirs()            creates private/ (0700, mail_owner)
 *                                   and public/ (0710, mail_owner and
 *                                   setgid_group) when they are missing;
 *                                   ownership is set only by a root master.
 *                                   Existing directories are left as they
 *                                   are ("postfix set-permissions" fixes
 *                                   them). Failure is fatal.
 *   master_listen_local(serv, fatal) opens the service's one listener at
 *                                   its endpoint path. Sockets replace what
 *                                   is at the path and get mode 0666 (the
 *                                   directory is the access control);
 *                                   FIFOs get 0622 in public/, 0600 in
 *                                   private/, and are opened read-write
 *                                   and non-blocking so that they never
 *                                   report end of file. Errors: fatal
 *                                   when fatal is set, else a warning and
 *                                   -1.
 *   master_listen_close(serv)       closes the listeners (the caller has
 *                                   taken them out of the event loop).
 *
 * Every descriptor is close-on-exec; master_spawn.c moves the ones a
 * child needs into place.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "master.h"
#include "util/iostuff.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/vstring.h"

static void
master_listen_dir(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
    if (mkdir(path, mode) < 0) {
        if (errno == EEXIST)
            return;
        msg_fatal("mkdir %s: %m", path);
    }
    if (master_params.root && chown(path, uid, gid) < 0)
        msg_fatal("chown %s: %m", path);
    if (chmod(path, mode) < 0)
        msg_fatal("chmod %s: %m", path);
}

void
master_listen_dirs(void)
{
    master_listen_dir("private", 0700, master_params.owner_uid, (gid_t)-1);
    master_listen_dir("public", 0710, master_params.owner_uid, master_params.setgid_gid);
}

/* The backlog: as Postfix, the larger of the process limits. */
static int
master_listen_backlog(const struct master_serv *serv)
{
    return serv->max_proc > master_params.proc_limit ? serv->max_proc : master_params.proc_limit;
}

static int
master_listen_unix(const char *path, int type, int backlog, struct vstring *why)
{
    struct sockaddr_un sun;
    int fd;

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sun.sun_path)) {
        vstring_sprintf(why, "unix-domain name too long: %s", path);
        return -1;
    }
    memcpy(sun.sun_path, path, strlen(path) + 1);
    if ((fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0)) < 0) {
        vstring_sprintf(why, "socket: %m");
        return -1;
    }
    if (unlink(path) < 0 && errno != ENOENT) {
        vstring_sprintf(why, "remove %s: %m", path);
    } else if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
        vstring_sprintf(why, "bind: %s: %m", path);
    } else if (chmod(path, 0666) < 0) {
        vstring_sprintf(why, "chmod socket %s: %m", path);
    } else if (type == SOCK_STREAM && listen(fd, backlog) < 0) {
        vstring_sprintf(why, "listen: %s: %m", path);
    } else {
        non_blocking(fd, NON_BLOCKING);
        return fd;
    }
    close(fd);
    return -1;
}

static int
master_listen_fifo(const char *path, mode_t mode, struct vstring *why)
{
    struct stat st;
    int fd;

    if (lstat(path, &st) == 0 && !S_ISFIFO(st.st_mode) && unlink(path) < 0) {
        vstring_sprintf(why, "remove %s: %m", path);
        return -1;
    }
    if (mkfifo(path, mode) < 0 && errno != EEXIST) {
        vstring_sprintf(why, "mkfifo %s: %m", path);
        return -1;
    }
    if ((fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW)) < 0) {
        vstring_sprintf(why, "open %s: %m", path);
        return -1;
    }
    if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode)) {
        vstring_sprintf(why, "%s: not a fifo", path);
    } else if (fchmod(fd, mode) < 0) {
        vstring_sprintf(why, "chmod %s: %m", path);
    } else {
        return fd;
    }
    close(fd);
    return -1;
}

int
master_listen_local(struct master_serv *serv, int fatal)
{
    struct vstring *why = vstring_alloc(100);
    const char *path = serv->endpoint;
    int fd;

    switch (serv->type_code) {
    case MASTER_CF_TYPE_UNIX:
    case MASTER_CF_TYPE_PASS:
        fd = master_listen_unix(path, SOCK_STREAM, master_listen_backlog(serv), why);
        break;
    case MASTER_CF_TYPE_UNIX_DGRAM:
        fd = master_listen_unix(path, SOCK_DGRAM, 0, why);
        break;
    case MASTER_CF_TYPE_FIFO:
        fd = master_listen_fifo(path, serv->private_ ? 0600 : 0622, why);
        break;
    default:
        msg_panic("master_listen_local: bad service type %d", serv->type_code);
    }
    if (fd < 0) {
        if (fatal)
            msg_fatal("%s", vstring_str(why));
        msg_warn("%s -- service %s (%s) not started", vstring_str(why), serv->name, serv->type);
        vstring_free(why);
        return -1;
    }
    serv->listen_fds = mymalloc(sizeof(int));
    serv->listen_fds[0] = fd;
    serv->listen_count = 1;
    vstring_free(why);
    return 0;
}

void
master_listen_close(struct master_serv *serv)
{
    for (int i = 0; i < serv->listen_count; i++)
        if (close(serv->listen_fds[i]) < 0)
            msg_warn("close listener %s: %m", serv->endpoint);
    myfree(serv->listen_fds);
    serv->listen_fds = NULL;
    serv->listen_count = 0;
}
