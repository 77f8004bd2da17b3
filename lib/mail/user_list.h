/*
 * user_list - is a local user in a main.cf list of users
 * (authorized_submit_users, authorized_mailq_users, authorized_flush_users)?
 *
 *   user_list_match(param, uid, name_buf)
 *       matches the login name of UID against the list in parameter PARAM
 *       as Postfix matches its string lists (lib/mail/domain_list.h with
 *       no subdomain matching: names, !pattern, /file/name, type:table;
 *       the first pattern that matches decides; static:anyone matches
 *       everybody). A uid without a passwd entry is matched as "unknown".
 *       Returns 1 (listed), 0 (not listed) or -1 (a table lookup failed).
 *       The name is left in NAME_BUF for messages.
 */
#ifndef TERN_USER_LIST_H
#define TERN_USER_LIST_H

#include <sys/types.h>

#include "util/vstring.h"

int user_list_match(const char *param, uid_t uid, struct vstring *name_buf);

#endif
