/*
 * file - "/path" destinations of aliases, .forward and :include: files
 * (man 8 local, EXTERNAL FILE DELIVERY): an mbox-format append with
 * locking and truncate-on-failure (mailbox.c), or a maildir when the name
 * ends in "/". The file is written with the rights of the context: the
 * .forward user, the alias table's or :include: file's owner, or
 * default_privs (never root). "/dev/null" is accepted without writing.
 * Results: "delivered to file: PATH", "delivered to maildir"; failures
 * "cannot append message to file PATH: ERROR".
 */
#include <string.h>

#include "local.h"
#include "util/stringops.h"

void
local_file(struct local_state *state, const char *path)
{
    struct vstring *key = vstring_alloc(100);
    struct vstring *text = vstring_alloc(100);
    uid_t uid = state->uid ? state->uid : local_config.default_uid;
    gid_t gid = state->uid ? state->gid : local_config.default_gid;

    vstring_sprintf(key, "%ld %s", (long)uid, path);
    if (local_dup_seen(state->lr, "file", vstring_str(key))) {
        /* already delivered for this recipient */
    } else if (state->lr->verify) {
        local_leaf(state, DEL_RCPT_OK, "2.0.0", "deliverable", "delivers to file: %s", path);
    } else if (ends_with(path, "/")) {
        vstring_sprintf(text, "cannot access destination file %s. ", path);
        local_maildir(state, path, uid, gid, vstring_str(text));
    } else if (strcmp(path, "/dev/null") == 0) {
        local_leaf(state, DEL_RCPT_OK, "2.0.0", "delivered", "delivered to file: %s", path);
    } else {
        vstring_sprintf(text, "cannot append message to file %s: ", path);
        vstring_sprintf(key, "delivered to file: %s", path);
        local_mbox_file(state, path, uid, gid, 0, vstring_str(text), vstring_str(key), NULL);
    }
    vstring_free(key);
    vstring_free(text);
}
