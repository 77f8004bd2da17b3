/*
 * dotforward - ~/.forward files (man 8 local): forward_path is a list of
 * file names, each expanded with the recipient's $home, $user,
 * $extension, ... (forward_expansion_filter); the first file that exists
 * is used. It is opened and read with the user's rights, and must be a
 * regular file with one hard link (safe_open) owned by the user or root
 * and not writable by group or others: another file is skipped with a
 * warning. Each line holds items as an alias right-hand side (token.c);
 * lines starting with '#' are comments; lines longer than
 * line_length_limit are taken in pieces.
 *
 *   local_dotforward(state, user, extension)
 *       1 when a .forward file with at least one item was found and its
 *       items delivered; 0 otherwise (an empty file means "no forwarding":
 *       the caller delivers to the mailbox). A user whose .forward names
 *       themselves gets the mailbox (the file is not read twice).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "local.h"
#include "util/mac_expand.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/safe_open.h"
#include "util/set_ugid.h"
#include "util/stringops.h"
#include "util/vstream.h"

void
local_read_items(int fd, const char *path, struct argv *lines)
{
    struct vstream *fp = vstream_fdopen(fd, path);
    struct vstring *line = vstring_alloc(100);
    size_t limit =
        local_config.line_length_limit > 0 ? (size_t)local_config.line_length_limit : 2048;
    char *text;

    while (vstream_get_line(fp, line, limit) != VSTREAM_EOF || vstring_len(line) > 0) {
        text = trim_blanks(vstring_str(line));
        if (*text && *text != '#')
            argv_add(lines, text);
        vstring_reset(line);
        if (vstream_eof(fp) || vstream_error(fp))
            break;
    }
    if (vstream_error(fp))
        msg_warn("read %s: %m", path);
    vstring_free(line);
    vstream_close(fp);
}

/* Opens one candidate with the user's rights; -1 when absent or unacceptable. */
static int
local_open_forward(const char *path, const struct local_user *user)
{
    struct vstring *why = vstring_alloc(100);
    struct stat st;
    int fd;

    local_become(user->uid, user->gid);
    fd = safe_open(path, O_RDONLY, 0, &st, (uid_t)-1, (gid_t)-1, why);
    local_become(0, 0);
    if (fd < 0) {
        if (errno != ENOENT && errno != ENOTDIR && errno != EACCES)
            msg_warn("cannot open %s: %s", path, vstring_str(why));
    } else if (st.st_uid != user->uid && st.st_uid != 0) {
        msg_warn("file %s has bad owner uid %ld", path, (long)st.st_uid);
        close(fd);
        fd = -1;
    } else if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        msg_warn("file %s is group or world writable", path);
        close(fd);
        fd = -1;
    }
    vstring_free(why);
    return fd;
}

int
local_dotforward(struct local_state *state, const struct local_user *user, const char *extension)
{
    struct local_expand ctx = {state, user, local_config.forward_expansion_filter};
    struct argv *paths = argv_split(local_config.forward_path, CHARS_COMMA_SP);
    struct vstring *path = vstring_alloc(100);
    struct argv *lines = argv_alloc(4);
    struct local_state child;
    int fd = -1;

    (void)extension;
    if (local_dup_seen(state->lr, "forward-file", user->name)) {
        argv_free(paths);
        argv_free(lines);
        vstring_free(path);
        return 0;
    }
    for (size_t i = 0; i < paths->argc && fd < 0; i++) {
        if (local_expand(path, paths->argv[i], &ctx) & MAC_PARSE_ERROR)
            continue;
        if (vstring_str(path)[0] != '/')
            continue;
        if ((fd = local_open_forward(vstring_str(path), user)) >= 0)
            local_read_items(fd, vstring_str(path), lines);
    }
    if (lines->argc > 0) {
        local_expanded(state, 0);
        child = *state;
        child.level++;
        child.context = LOCAL_CTX_FORWARD;
        child.exp_from = NULL;
        child.user = user;
        child.owner = user->name;
        child.uid = user->uid ? user->uid : local_config.default_uid;
        child.gid = user->uid ? user->gid : local_config.default_gid;
        for (size_t i = 0; i < lines->argc; i++)
            local_deliver_list(&child, lines->argv[i]);
    }
    argv_free(paths);
    vstring_free(path);
    fd = (int)lines->argc;
    argv_free(lines);
    return fd > 0;
}
