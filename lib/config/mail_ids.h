/*
 * mail_ids - the accounts an instance runs under, resolved and checked in
 * one place for the master and the postfix command.
 *
 *   mail_ids_check(&ids, personal, why)
 *       resolves mail_owner, setgid_group and default_privs (main.cf, as
 *       read by mail_conf_read) and refuses, with Postfix's wording
 *       ("file DIR/main.cf: parameter mail_owner: unknown user name value:
 *       NAME", "... user NAME has privileged user ID", "... unknown group
 *       name: NAME", "parameters default_privs and mail_owner specify the
 *       same user NAME", "parameters mail_owner and setgid_group: user U
 *       and group G have the same group ID: N", ...): an unknown account; a
 *       mail_owner or default_privs with user or group id 0; a
 *       setgid_group with group id 0; default_privs equal to mail_owner or
 *       sharing its user or group id, or sharing setgid_group's group id;
 *       a mail_owner in setgid_group's group.
 *       personal != 0 is an instance run by one non-root account: every
 *       process runs as that account, so only mail_owner and setgid_group
 *       are resolved and checked for id 0; the checks that keep the
 *       accounts apart cannot apply. Returns 0, or -1 with the reason in
 *       why (the first problem found, in the order above).
 */
#ifndef TERN_MAIL_IDS_H
#define TERN_MAIL_IDS_H

#include <sys/types.h>

#include "util/vstring.h"

struct mail_ids {
    uid_t owner_uid;  /* mail_owner */
    gid_t owner_gid;
    gid_t setgid_gid; /* setgid_group */
};

int mail_ids_check(struct mail_ids *ids, int personal, struct vstring *why);

#endif
