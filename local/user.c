/*
 * user - UNIX accounts for local(8): the passwd entry of a recipient, and
 * the rights used for files and commands named in a table or :include:
 * file (its owner, or default_privs when root owns it).
 *
 * local_user_lookup returns a copy (free with local_user_free) or NULL
 * when there is no such account. Names are looked up as given; the
 * caller has folded them to lower case.
 */
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "local.h"
#include "util/mymalloc.h"

struct local_user *
local_user_lookup(const char *name)
{
    struct passwd *pw;
    struct local_user *user;

    if (*name == 0 || (pw = getpwnam(name)) == NULL)
        return NULL;
    user = mymalloc(sizeof(*user));
    user->name = mystrdup(pw->pw_name);
    user->uid = pw->pw_uid;
    user->gid = pw->pw_gid;
    user->home = mystrdup(pw->pw_dir ? pw->pw_dir : "");
    user->shell = mystrdup(pw->pw_shell ? pw->pw_shell : "");
    return user;
}

void
local_user_free(struct local_user *user)
{
    if (user == NULL)
        return;
    myfree(user->name);
    myfree(user->home);
    myfree(user->shell);
    myfree(user);
}

/* The rights for deliveries on behalf of a file owned by OWNER. */
int
local_privs_from_owner(uid_t owner, uid_t *uid, gid_t *gid)
{
    struct passwd *pw;

    if (owner == 0 || (pw = getpwuid(owner)) == NULL) {
        *uid = local_config.default_uid;
        *gid = local_config.default_gid;
        return owner == 0 ? 0 : -1;
    }
    *uid = pw->pw_uid;
    *gid = pw->pw_gid;
    return 0;
}
