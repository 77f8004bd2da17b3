/*
 * map_build - open a lookup table for (re)building from a source file, as
 * postmap and postalias (and newaliases) do.
 *
 *   struct map_build *mb = map_build_open("hash", "/etc/postfix/access",
 *                                         O_RDWR | O_CREAT | O_TRUNC,
 *                                         DICT_FLAG_DUP_WARN | ...,
 *                                         MAP_BUILD_AS_OWNER | MAP_BUILD_SAVE_PERM);
 *   while (... vstream_get_line(mb->source, ...) ...)
 *       map_build_put(mb, key, value);
 *   map_build_close(mb);
 *
 * map_build_open opens the source (the file PATH; standard input, named
 * "stdin", in incremental mode, i.e. when open_flags lacks O_TRUNC), then
 * opens the table TYPE:PATH for writing. Before the table is opened:
 *   - with MAP_BUILD_SAVE_PERM and a regular source file, a new table file
 *     gets the group and other read permissions of the source (mode 0644
 *     at most, 0600 at least); without it, mode 0644;
 *   - with MAP_BUILD_AS_OWNER, a process whose real user is root takes the
 *     effective user and group ids of the source file's owner, so the
 *     table is written with that owner's rights and shows that ownership.
 * map_build_close closes the table (which, for a new table, atomically
 * replaces the old file), closes the source and restores the process's
 * effective ids (set_eugid; the supplementary groups become the saved
 * effective group alone), so a caller may build several tables in one
 * process.
 *
 * From the table's open to map_build_close, SIGHUP, SIGINT, SIGQUIT and
 * SIGTERM are postponed (blocked), so an update is never cut short; a
 * fatal error ends the process, and the dict layer then removes the
 * partial new table.
 *
 * Errors are fatal, with Postfix's wording: "open PATH: reason" for the
 * source, "unsupported dictionary type: TYPE does not support bulk-mode
 * creation." for a type that has no file to build, "table TYPE:NAME:
 * write error: reason" when an update fails. The dict layer reports
 * duplicate keys (per the DICT_FLAG_DUP_* flags) and open failures.
 */
#ifndef TERN_MAP_BUILD_H
#define TERN_MAP_BUILD_H

#include <signal.h>
#include <sys/types.h>

#include "table/dict.h"
#include "util/vstream.h"

#define MAP_BUILD_AS_OWNER (1 << 0)  /* as root, write as the source's owner */
#define MAP_BUILD_SAVE_PERM (1 << 1) /* inherit group/other read permission */

struct map_build {
    struct dict *dict;      /* the table being written */
    struct vstream *source; /* the source file, or standard input */
    int ids_changed;        /* effective ids were switched to the owner's */
    uid_t saved_euid;
    gid_t saved_egid;
    sigset_t saved_signals; /* signal mask before the table was opened */
};

struct map_build *map_build_open(const char *type, const char *path, int open_flags, int dict_flags,
                                 int build_flags);
void map_build_put(struct map_build *mb, const char *key, const char *value);
void map_build_close(struct map_build *mb);

#endif
