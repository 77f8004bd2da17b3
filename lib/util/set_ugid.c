/*
 * set_ugid - permanent and temporary privilege changes, the daemon jail;
 * see set_ugid.h.
 *
 * setresuid/setresgid set the real, effective and saved ids in one call, so
 * no saved id is left behind to climb back to root with. The order is
 * always groups first (they need root), then the user id.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include "util/msg.h"
#include "util/set_ugid.h"

int
running_as_root(void)
{
    return getuid() == 0 && geteuid() == 0;
}

int
running_set_ugid(void)
{
    return getuid() != geteuid() || getgid() != getegid();
}

/* After a drop to a non-root uid, root must be out of reach. */
static int
set_ugid_verify(uid_t uid, gid_t gid, struct vstring *why)
{
    uid_t ruid, euid, suid;
    gid_t rgid, egid, sgid;

    if (getresuid(&ruid, &euid, &suid) < 0 || getresgid(&rgid, &egid, &sgid) < 0) {
        vstring_sprintf(why, "cannot read process ids: %m");
        return -1;
    }
    if (ruid != uid || euid != uid || suid != uid || rgid != gid || egid != gid || sgid != gid) {
        vstring_sprintf(why, "ids did not change to uid %ld gid %ld", (long)uid, (long)gid);
        errno = EPERM;
        return -1;
    }
    if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
        vstring_sprintf(why, "root privileges could be regained after setuid(%ld)", (long)uid);
        errno = EPERM;
        return -1;
    }
    return 0;
}

int
set_ugid_try(uid_t uid, gid_t gid, struct vstring *why)
{
    if (getuid() == 0 && geteuid() != 0 && seteuid(0) < 0) {
        vstring_sprintf(why, "seteuid(0): %m");
        return -1;
    }
    if (geteuid() == 0 && setgroups(1, &gid) < 0) {
        vstring_sprintf(why, "setgroups(1, [%ld]): %m", (long)gid);
        return -1;
    }
    if (setresgid(gid, gid, gid) < 0) {
        vstring_sprintf(why, "setgid(%ld): %m", (long)gid);
        return -1;
    }
    if (setresuid(uid, uid, uid) < 0) {
        vstring_sprintf(why, "setuid(%ld): %m", (long)uid);
        return -1;
    }
    return set_ugid_verify(uid, gid, why);
}

void
set_ugid(uid_t uid, gid_t gid)
{
    struct vstring *why = vstring_alloc(100);

    if (set_ugid_try(uid, gid, why) < 0)
        msg_fatal("set_ugid: %s", vstring_str(why));
    vstring_free(why);
}

void
set_eugid(uid_t euid, gid_t egid)
{
    if (geteuid() == euid && getegid() == egid && getuid() != 0)
        return; /* an unprivileged process acting as itself */
    if (geteuid() != 0 && seteuid(0) < 0)
        msg_fatal("set_eugid: seteuid(0): %m");
    if (setegid(egid) < 0)
        msg_fatal("set_eugid: setegid(%ld): %m", (long)egid);
    if (setgroups(1, &egid) < 0)
        msg_fatal("set_eugid: setgroups(1, [%ld]): %m", (long)egid);
    if (euid != 0 && seteuid(euid) < 0)
        msg_fatal("set_eugid: seteuid(%ld): %m", (long)euid);
}

/* The groups part of chroot_uid: must run before the jail hides /etc/group. */
static void
chroot_uid_groups(const char *user, gid_t gid)
{
    if (setresgid(gid, gid, gid) < 0)
        msg_fatal("setgid(%ld): %m", (long)gid);
    if (geteuid() == 0 && initgroups(user, gid) < 0)
        msg_fatal("initgroups(%s, %ld): %m", user, (long)gid);
}

void
chroot_uid(const char *root_dir, const char *user)
{
    struct passwd *pwd = NULL;
    uid_t uid = 0;
    gid_t gid = 0;
    struct vstring *why;

    if (user != NULL) {
        if ((pwd = getpwnam(user)) == NULL)
            msg_fatal("unknown user: %s", user);
        uid = pwd->pw_uid;
        gid = pwd->pw_gid;
        chroot_uid_groups(user, gid);
    }
    if (root_dir != NULL) {
        if (chroot(root_dir) < 0)
            msg_fatal("chroot(%s): %m", root_dir);
        if (chdir("/") < 0)
            msg_fatal("chdir(/): %m");
    }
    if (user != NULL) {
        why = vstring_alloc(100);
        if (setresuid(uid, uid, uid) < 0)
            msg_fatal("setuid(%ld): %m", (long)uid);
        if (set_ugid_verify(uid, gid, why) < 0)
            msg_fatal("chroot_uid: %s", vstring_str(why));
        vstring_free(why);
    }
}
