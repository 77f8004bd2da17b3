/*
 * set_ugid - give up or borrow privileges.
 *
 *   set_ugid(uid, gid)
 *       becomes uid/gid for good: the supplementary groups become gid alone,
 *       then the real, effective and saved group and user ids are set. It
 *       then checks that the change cannot be undone (setuid(0) must fail
 *       when uid is not 0). Any failure is fatal: a process that cannot
 *       drop its privileges must not go on.
 *   set_ugid_try(uid, gid, why)
 *       the same, but returns -1 with the reason in why instead of ending
 *       the process (for a forked child that must not run the parent's exit
 *       handlers).
 *   set_eugid(euid, egid)
 *       changes only the effective ids (and the groups), keeping the real
 *       and saved ids at root, so that a later set_eugid(0, 0) returns to
 *       root. For a delivery agent that acts as a user for one file and
 *       then carries on. Fatal on failure. Needs root.
 *   chroot_uid(root_dir, user)
 *       the daemon jail: looks up user (before the jail hides the password
 *       file), enters root_dir (chroot, then chdir "/"), then becomes the
 *       user with that user's primary group and its supplementary groups
 *       (as Postfix daemons keep them: "adduser postfix sasl" must work).
 *       Either argument may be NULL to skip that step. Fatal on failure;
 *       an unknown user is fatal with "unknown user: NAME".
 *   running_as_root()     true when the real and effective user ids are 0
 *   running_set_ugid()    true when real and effective ids differ (a
 *                         set-uid or set-gid program)
 *
 * When uid already equals the real and effective uid of an unprivileged
 * process, set_ugid only checks: a personal instance cannot change ids and
 * need not.
 */
#ifndef TERN_SET_UGID_H
#define TERN_SET_UGID_H

#include <sys/types.h>

#include "util/vstring.h"

void set_ugid(uid_t uid, gid_t gid);
int set_ugid_try(uid_t uid, gid_t gid, struct vstring *why);
void set_eugid(uid_t euid, gid_t egid);
void chroot_uid(const char *root_dir, const char *user);
int running_as_root(void);
int running_set_ugid(void);

#endif
