/*
 * mailbox - delivery to a user's mailbox (man 8 local, MAILBOX
 * DELIVERY), in Postfix's order: mailbox_transport (pass.c),
 * mailbox_command (command.c), home_mailbox (a maildir when it ends in
 * "/", else an mbox file under the home directory), and last the UNIX
 * mailbox mail_spool_directory/USER (a maildir when the spool directory
 * name ends in "/").
 *
 * local_mbox_file appends one message in mbox format (mail_copy.h) to a
 * file, for mailboxes and for /file destinations: it locks per
 * mailbox_delivery_lock (mbox_open.h), writes with the recipient's rights
 * (set_eugid), fsyncs, and truncates the file back on failure. In a
 * spool directory that the user cannot write (Debian's /var/mail is
 * root:mail 2775) the dot lock is made and a missing mailbox is created
 * (owned by the user, mode 0600) as root; everything else is done as the
 * user. With strict_mailbox_ownership a mailbox not owned by the user is
 * deferred (4.2.0) with a warning.
 *
 * A user's mailbox is delivered to at most once per queue recipient.
 * mailbox_transport_maps and mailbox_command_maps are looked up with the
 * user name; a table that fails defers. After an mbox delivery, biff
 * (when on) sends "USER@OFFSET" to comsat on the loopback address.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "local.h"
#include "mail/mail_copy.h"
#include "mail/mbox_open.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/set_ugid.h"
#include "util/stringops.h"

/*
 * biff: tell comsat (UDP port "biff" on the loopback address) that USER
 * has new mail at OFFSET of the mailbox. Best effort: errors are ignored.
 */
void
local_biff(const char *user, long offset)
{
    static int sock = -2;
    static struct sockaddr_in sin;
    struct servent *sp;
    char buf[300];
    int len;

    if (sock == -2) {
        sock = -1;
        if ((sp = getservbyname("biff", "udp")) != NULL &&
            (sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) >= 0) {
            memset(&sin, 0, sizeof(sin));
            sin.sin_family = AF_INET;
            sin.sin_port = (in_port_t)sp->s_port;
            sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        }
    }
    if (sock < 0)
        return;
    len = snprintf(buf, sizeof(buf), "%s@%ld", user, offset);
    if (len > 0 && (size_t)len < sizeof(buf))
        (void)sendto(sock, buf, (size_t)len + 1, 0, (struct sockaddr *)&sin, sizeof(sin));
}

void
local_become(uid_t uid, gid_t gid)
{
    if (getuid() == 0)
        set_eugid(uid, gid);
}

/* Lock and create as root? Only in a spool directory the user cannot write. */
static int
local_spool_as_root(const char *path)
{
    char *dir = mystrdup(path);
    struct stat st;
    int as_root;

    if (strrchr(dir, '/') != NULL)
        *strrchr(dir, '/') = 0;
    as_root = getuid() == 0 && (stat(*dir ? dir : "/", &st) < 0 || !(st.st_mode & S_IWOTH));
    myfree(dir);
    return as_root;
}

/*
 * May the user write the file? A mailbox in a protected spool directory
 * is opened by root; its permission bits still apply to the user.
 */
static int
local_mbox_denied(const struct stat *st, uid_t uid, gid_t gid)
{
    if (uid == 0)
        return 0;
    if (st->st_uid == uid)
        return (st->st_mode & S_IWUSR) == 0;
    if (st->st_gid == gid)
        return (st->st_mode & S_IWGRP) == 0;
    return (st->st_mode & S_IWOTH) == 0;
}

/* The copy proper, as the user; returns 0 or -1 with dsn and why. */
static int
local_mbox_write(struct local_state *state, struct mbox *mp, const struct stat *st,
                 const char *path, uid_t uid, gid_t gid, int flags, int copy_flags,
                 struct vstring *dsn, struct vstring *why)
{
    struct mail_copy_info info = {state->sender, local_orig_rcpt(state), state->delivered};

    if (!S_ISREG(st->st_mode)) {
        vstring_strcpy(dsn, "5.2.0");
        vstring_sprintf(why, "destination %s is not a regular file", path);
        return -1;
    }
    if (local_mbox_denied(st, uid, gid)) {
        vstring_strcpy(dsn, "5.2.0");
        vstring_strcpy(why, "cannot open file: Permission denied");
        return -1;
    }
    if ((flags & LOCAL_MBOX_CHECK_OWNER) && local_config.strict_mailbox_ownership &&
        st->st_uid != uid) {
        msg_warn("specify \"%s = no\" to ignore mailbox ownership mismatch",
                 "strict_mailbox_ownership");
        vstring_strcpy(dsn, "4.2.0");
        vstring_sprintf(why, "destination %s is not owned by recipient", path);
        return -1;
    }
    return mail_copy(state->lr->qf, mp->fd, copy_flags, &info, dsn, why) == 0 ? 0 : -1;
}

void
local_mbox_file(struct local_state *state, const char *path, uid_t uid, gid_t gid, int flags,
                const char *err_prefix, const char *ok_text, const char *biff_user)
{
    struct vstring *dsn = vstring_alloc(10);
    struct vstring *why = vstring_alloc(100);
    int copy_flags = MAIL_COPY_MBOX;
    int lock_mask = local_config.lock_mask;
    int as_root = (flags & LOCAL_MBOX_SPOOL) && local_spool_as_root(path);
    struct stat st;
    struct mbox *mp;
    int status = -1;
    off_t start = 0;

    if ((local_config.hdr_mask & LOCAL_HDR_FILE) == 0)
        copy_flags &= ~MAIL_COPY_DELIVERED;
    if (!as_root && (flags & LOCAL_MBOX_SPOOL))
        lock_mask |= MBOX_DOT_LOCK_MAY_FAIL;
    local_become(as_root ? 0 : uid, as_root ? 0 : gid);
    mp = mbox_open(path, O_APPEND | O_WRONLY | O_CREAT, 0600, &st, uid, gid, lock_mask, "5.2.0",
                   dsn, why);
    if (mp != NULL) {
        local_become(uid, gid);
        start = lseek(mp->fd, 0, SEEK_END);
        status = local_mbox_write(state, mp, &st, path, uid, gid, flags, copy_flags, dsn, why);
        local_become(0, 0);
        mbox_release(mp);
    }
    local_become(0, 0);
    if (status == 0 && biff_user && local_config.biff)
        local_biff(biff_user, (long)start);
    if (status == 0)
        local_leaf(state, DEL_RCPT_OK, "2.0.0", "delivered", "%s", ok_text);
    else if (vstring_str(dsn)[0] == '4')
        local_leaf(state, DEL_RCPT_DEFER, vstring_str(dsn), "delayed", "%s%s", err_prefix,
                   vstring_str(why));
    else
        local_leaf(state, DEL_RCPT_BOUNCE, vstring_str(dsn), "failed", "%s%s", err_prefix,
                   vstring_str(why));
    vstring_free(dsn);
    vstring_free(why);
}

/*
 * mailbox_command, with the user's rights (default_privs for root). As in
 * Postfix the command is not $name-expanded: the shell sees $USER, $HOME,
 * $EXTENSION, ... in its environment.
 */
static void
local_mailbox_command(struct local_state *state, const struct local_user *user, const char *command)
{
    struct vstring *ok = vstring_alloc(100);

    vstring_sprintf(ok, "delivered to command: %s", command);
    local_command(state, command, user->uid ? user->uid : local_config.default_uid,
                  user->uid ? user->gid : local_config.default_gid, user, vstring_str(ok));
    vstring_free(ok);
}

void
local_mailbox(struct local_state *state, const struct local_user *user)
{
    struct vstring *path = vstring_alloc(100);
    struct vstring *prefix = vstring_alloc(100);
    const char *base;
    const char *value;
    int spool = 0;
    int found;

    if (local_dup_seen(state->lr, "mailbox", user->name)) {
        vstring_free(path);
        vstring_free(prefix);
        return;
    }
    if ((found = local_maps_find(state, local_config.mailbox_transport_maps, user->name, &value)) !=
        0) {
        if (found > 0)
            local_pass(state, value);
    } else if (*local_config.mailbox_transport) {
        local_pass(state, local_config.mailbox_transport);
    } else if ((found = local_maps_find(state, local_config.mailbox_command_maps, user->name,
                                        &value)) != 0) {
        if (found > 0)
            local_mailbox_command(state, user, value);
    } else if (*local_config.mailbox_command) {
        local_mailbox_command(state, user, local_config.mailbox_command);
    } else {
        if (*local_config.home_mailbox) {
            vstring_sprintf(path, "%s/%s", user->home, local_config.home_mailbox);
            base = local_config.home_mailbox;
        } else {
            base = local_config.mail_spool_directory;
            if (ends_with(base, "/"))
                vstring_sprintf(path, "%s%s/", base, user->name);
            else
                vstring_sprintf(path, "%s/%s", base, user->name);
            spool = 1;
        }
        if (ends_with(vstring_str(path), "/")) {
            vstring_sprintf(prefix, "cannot access mailbox %s for user %s. ", vstring_str(path),
                            user->name);
            local_maildir(state, vstring_str(path), user->uid, user->gid, vstring_str(prefix));
        } else {
            vstring_sprintf(prefix, "cannot update mailbox %s for user %s. ", vstring_str(path),
                            user->name);
            if (state->lr->verify)
                local_leaf(state, DEL_RCPT_OK, "2.0.0", "deliverable", "delivers to mailbox");
            else
                local_mbox_file(state, vstring_str(path), user->uid, user->gid,
                                (spool ? LOCAL_MBOX_SPOOL : 0) | LOCAL_MBOX_CHECK_OWNER,
                                vstring_str(prefix), "delivered to mailbox", user->name);
        }
    }
    vstring_free(path);
    vstring_free(prefix);
}
