/*
 * mail_ids - resolve and check mail_owner, setgid_group and default_privs.
 * See mail_ids.h for the rules and the messages.
 */
#include <grp.h>
#include <pwd.h>
#include <string.h>

#include "config/mail_conf.h"
#include "config/mail_ids.h"

static const char *
mail_ids_main_cf(void)
{
    return mail_conf_path() ? mail_conf_path() : "main.cf";
}

/* A user that is not root in any way; NULL with why set otherwise. */
static const struct passwd *
mail_ids_user(const char *param, struct vstring *why)
{
    const char *name = mail_conf_get(param);
    struct passwd *pw;

    if ((pw = getpwnam(name)) == NULL)
        vstring_sprintf(why, "file %s: parameter %s: unknown user name value: %s",
                        mail_ids_main_cf(), param, name);
    else if (pw->pw_uid == 0 || pw->pw_gid == 0)
        vstring_sprintf(why, "file %s: parameter %s: user %s has privileged %s ID",
                        mail_ids_main_cf(), param, name, pw->pw_uid == 0 ? "user" : "group");
    else
        return pw;
    return NULL;
}

static int
mail_ids_group(struct mail_ids *ids, struct vstring *why)
{
    const char *name = mail_conf_get("setgid_group");
    struct group *gr;

    if ((gr = getgrnam(name)) == NULL) {
        vstring_sprintf(why, "file %s: parameter setgid_group: unknown group name: %s",
                        mail_ids_main_cf(), name);
        return -1;
    }
    if (gr->gr_gid == 0) {
        vstring_sprintf(why, "file %s: parameter setgid_group: group %s has privileged group ID",
                        mail_ids_main_cf(), name);
        return -1;
    }
    ids->setgid_gid = gr->gr_gid;
    return 0;
}

/* default_privs against mail_owner and setgid_group. */
static int
mail_ids_privs(const struct mail_ids *ids, struct vstring *why)
{
    const char *owner = mail_conf_get("mail_owner");
    const char *privs = mail_conf_get("default_privs");
    const char *group = mail_conf_get("setgid_group");
    const struct passwd *pw;

    if ((pw = mail_ids_user("default_privs", why)) == NULL)
        return -1;
    if (strcmp(privs, owner) == 0)
        vstring_sprintf(why, "file %s: parameters default_privs and mail_owner specify the same "
                        "user %s", mail_ids_main_cf(), privs);
    else if (pw->pw_uid == ids->owner_uid || pw->pw_gid == ids->owner_gid)
        vstring_sprintf(why, "file %s: parameters default_privs and mail_owner: users %s and %s "
                        "have the same %s ID: %ld", mail_ids_main_cf(), privs, owner,
                        pw->pw_uid == ids->owner_uid ? "user" : "group",
                        pw->pw_uid == ids->owner_uid ? (long)pw->pw_uid : (long)pw->pw_gid);
    else if (pw->pw_gid == ids->setgid_gid)
        vstring_sprintf(why, "file %s: parameters default_privs and setgid_group: user %s and "
                        "group %s have the same group ID: %ld", mail_ids_main_cf(), privs, group,
                        (long)pw->pw_gid);
    else
        return 0;
    return -1;
}

int
mail_ids_check(struct mail_ids *ids, int personal, struct vstring *why)
{
    const struct passwd *pw;

    if ((pw = mail_ids_user("mail_owner", why)) == NULL)
        return -1;
    ids->owner_uid = pw->pw_uid;
    ids->owner_gid = pw->pw_gid;
    if (mail_ids_group(ids, why) < 0)
        return -1;
    if (personal)
        return 0;
    if (mail_ids_privs(ids, why) < 0)
        return -1;
    if (ids->owner_gid == ids->setgid_gid) {
        vstring_sprintf(why, "file %s: parameters mail_owner and setgid_group: user %s and group "
                        "%s have the same group ID: %ld", mail_ids_main_cf(),
                        mail_conf_get("mail_owner"), mail_conf_get("setgid_group"),
                        (long)ids->owner_gid);
        return -1;
    }
    return 0;
}
