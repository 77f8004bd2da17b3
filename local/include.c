/*
 * include - ":include:/path" items (man 5 aliases): more items read from a
 * file, with the rights of the context that names it (the alias table's
 * owner or default_privs, the .forward file's user). The file's items
 * are then delivered with the rights of the file's owner (default_privs
 * when root owns it), in the include context of allow_mail_to_commands
 * and allow_mail_to_files. A file that cannot be looked up (stat, as
 * that context) bounces with a warning and 5.3.5 "mail system
 * configuration error", as Postfix; one that exists but cannot be opened
 * defers or bounces per its error (mail_copy_dsn, default 5.3.0); a file
 * named twice for one recipient is read once.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "local.h"
#include "mail/mail_copy.h"
#include "util/msg.h"
#include "util/safe_open.h"
#include "util/set_ugid.h"

void
local_include(struct local_state *state, const char *path)
{
    struct vstring *why = vstring_alloc(100);
    struct argv *lines = argv_alloc(4);
    struct local_state child;
    const char *dsn;
    struct stat st;
    int saved_errno = 0;
    int fd;

    if (local_dup_seen(state->lr, "include", path)) {
        argv_free(lines);
        vstring_free(why);
        return;
    }
    local_become(state->uid, state->gid);
    if ((fd = stat(path, &st)) == 0)
        fd = safe_open(path, O_RDONLY, 0, &st, (uid_t)-1, (gid_t)-1, why);
    else
        saved_errno = errno;
    local_become(0, 0);
    if (fd < 0 && saved_errno != 0) {
        errno = saved_errno;
        msg_warn("unable to lookup :include: file %s: %m", path);
        local_leaf(state, DEL_RCPT_BOUNCE, "5.3.5", "failed", "mail system configuration error");
    } else if (fd < 0) {
        dsn = mail_copy_dsn(errno, "5.3.0");
        local_leaf(state, *dsn == '4' ? DEL_RCPT_DEFER : DEL_RCPT_BOUNCE, dsn,
                   *dsn == '4' ? "delayed" : "failed", "cannot open include file %s: %s", path,
                   vstring_str(why));
    } else {
        local_read_items(fd, path, lines);
        child = *state;
        child.level++;
        child.context = LOCAL_CTX_INCLUDE;
        child.owner = path;
        local_privs_from_owner(st.st_uid, &child.uid, &child.gid);
        for (size_t i = 0; i < lines->argc; i++)
            local_deliver_list(&child, lines->argv[i]);
    }
    argv_free(lines);
    vstring_free(why);
}
