/*
 * dict_unix - the "unix" table type: the system's user and group
 * databases through getpwnam(3) and getgrnam(3).
 *
 *   unix:passwd.byname  key = login name,
 *                       value = "name:passwd:uid:gid:gecos:home:shell"
 *   unix:group.byname   key = group name,
 *                       value = "name:passwd:gid:member,member,..."
 *
 * Entry point: dict_unix_open(name, O_RDONLY, dict_flags).
 *
 * Errors: another map name gives a surrogate "unknown table: unix:NAME";
 * write access gives "unix:NAME map requires O_RDONLY access mode". A
 * lookup that fails because the database could not be read (errno other
 * than "no such entry") is a warning and DICT_ERR_RETRY.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>

#include "table/dict_types.h"
#include "util/msg.h"
#include "util/vstring.h"

struct dict_unix {
    struct dict dict;
    struct vstring *result;
};

/* Is errno after a failed getpwnam/getgrnam just "no such entry"? */
static int
dict_unix_not_found(int err)
{
    return err == 0 || err == ENOENT || err == ESRCH || err == EBADF || err == EPERM;
}

static const char *
dict_unix_passwd(struct dict *dict, const char *key)
{
    struct dict_unix *dp = (struct dict_unix *)dict;
    struct passwd *pw;

    errno = 0;
    if ((pw = getpwnam(key)) == NULL) {
        if (!dict_unix_not_found(errno)) {
            msg_warn("cannot access UNIX password database: %m");
            dict->error = DICT_ERR_RETRY;
        }
        return NULL;
    }
    vstring_sprintf(dp->result, "%s:%s:%ld:%ld:%s:%s:%s", pw->pw_name, pw->pw_passwd,
                    (long)pw->pw_uid, (long)pw->pw_gid, pw->pw_gecos, pw->pw_dir, pw->pw_shell);
    return vstring_str(dp->result);
}

static const char *
dict_unix_group(struct dict *dict, const char *key)
{
    struct dict_unix *dp = (struct dict_unix *)dict;
    struct group *gr;
    char **member;

    errno = 0;
    if ((gr = getgrnam(key)) == NULL) {
        if (!dict_unix_not_found(errno)) {
            msg_warn("cannot access UNIX group database: %m");
            dict->error = DICT_ERR_RETRY;
        }
        return NULL;
    }
    vstring_sprintf(dp->result, "%s:%s:%ld:", gr->gr_name, gr->gr_passwd, (long)gr->gr_gid);
    for (member = gr->gr_mem; *member; member++)
        vstring_sprintf_append(dp->result, "%s%s", member == gr->gr_mem ? "" : ",", *member);
    return vstring_str(dp->result);
}

static void
dict_unix_close(struct dict *dict)
{
    vstring_free(((struct dict_unix *)dict)->result);
    dict_free(dict);
}

struct dict *
dict_unix_open(const char *name, int open_flags, int dict_flags)
{
    struct dict_unix *dp;
    const char *(*lookup)(struct dict *, const char *);

    if ((open_flags & O_ACCMODE) != O_RDONLY)
        return dict_surrogate("unix", name, open_flags, dict_flags,
                              "unix:%s map requires O_RDONLY access mode", name);
    if (strcmp(name, "passwd.byname") == 0)
        lookup = dict_unix_passwd;
    else if (strcmp(name, "group.byname") == 0)
        lookup = dict_unix_group;
    else
        return dict_surrogate("unix", name, open_flags, dict_flags, "unknown table: unix:%s", name);
    dp = (struct dict_unix *)dict_alloc("unix", name, sizeof(*dp));
    dp->result = vstring_alloc(100);
    dp->dict.flags = dict_flags | DICT_FLAG_FIXED;
    dp->dict.lookup = lookup;
    dp->dict.close = dict_unix_close;
    return &dp->dict;
}
