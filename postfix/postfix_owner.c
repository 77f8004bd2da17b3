/*
 * postfix_owner - the accounts a Tern instance runs under, checked before
 * any command runs.
 *
 *   postfix_owner_check(ctx)
 *       resolves and checks mail_owner, setgid_group and default_privs
 *       (lib/config/mail_ids.h; a problem is fatal). It also refuses a caller other
 *       than root, unless mail_owner is that caller (a personal instance);
 *       such an instance runs everything as that one account, so the
 *       checks that keep mail_owner, setgid_group and default_privs apart
 *       do not apply to it.
 *   postfix_owner_uid(ctx, name, &ok), postfix_owner_gid(name, &ok)
 *       name -> id for ownership rules (postfix-files); in a personal
 *       instance "root" means the invoking user. ok is 0 for an unknown name.
 */
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "config/mail_ids.h"
#include "util/vstring.h"
#include "postfix.h"
#include "util/msg.h"

static void
postfix_owner_superuser(const struct postfix_ctx *ctx)
{
    if (ctx->personal && ctx->owner_uid != getuid()) {
        msg_error("to submit mail, use the Postfix sendmail command");
        msg_fatal("the postfix command is reserved for the superuser");
    }
}

void
postfix_owner_check(struct postfix_ctx *ctx)
{
    struct vstring *why = vstring_alloc(100);
    struct mail_ids ids;

    if (mail_ids_check(&ids, ctx->personal, why) < 0)
        msg_fatal("%s", vstring_str(why));
    vstring_free(why);
    ctx->owner_uid = ids.owner_uid;
    ctx->owner_gid = ids.owner_gid;
    ctx->sgid_gid = ids.setgid_gid;
    postfix_owner_superuser(ctx);
}

uid_t
postfix_owner_uid(const struct postfix_ctx *ctx, const char *user, int *ok)
{
    struct passwd *pw;

    *ok = 1;
    if (strcmp(user, ctx->mail_owner) == 0)
        return ctx->owner_uid;
    if ((pw = getpwnam(user)) == NULL) {
        *ok = 0;
        return (uid_t)-1;
    }
    if (pw->pw_uid == 0 && ctx->personal)
        return ctx->root_uid;
    return pw->pw_uid;
}

gid_t
postfix_owner_gid(const char *group, int *ok)
{
    struct group *gr;

    *ok = 1;
    if ((gr = getgrnam(group)) == NULL) {
        *ok = 0;
        return (gid_t)-1;
    }
    return gr->gr_gid;
}
