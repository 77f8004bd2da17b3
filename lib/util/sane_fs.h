/*
 * sane_fs - file system operations that make changes durable and survive
 * the odd corner cases, and the one way Tern replaces a file atomically.
 *
 *   fsync_path(path)     open path (file or directory) read-only and fsync it
 *   fsync_dir(dir)       fsync a directory, so a rename or link in it is durable
 *   fsync_parent(path)   fsync the directory that holds path
 *   sane_rename(from, to), sane_link(from, to)
 *                        rename(2) and link(2); on NFS only, they report
 *                        success when a retransmitted request says "no such
 *                        file" or "exists" although the operation took effect
 *                        (on a local disk those errors mean a lost race and
 *                        are returned)
 *   mkdir_p(path, mode)  create path and any missing parents; directories it
 *                        creates get exactly mode (the umask does not apply);
 *                        directories that exist are left alone
 *
 * Replacing a file atomically (postconf -e, postmap, postalias, the queue):
 *
 *   struct safe_replace *sr = safe_replace_open(path, 0644, 0, why);
 *   ... write to safe_replace_fd(sr) ...
 *   if (safe_replace_commit(sr, why) < 0) ... reason in why ...
 *
 * safe_replace_open creates "path.tmpXXXXXX" in the same directory (so the
 * rename stays inside one file system) with the requested mode, or with the
 * mode of the file being replaced when SAFE_REPLACE_KEEP_MODE is given and
 * that file exists. safe_replace_commit fsyncs and closes the temporary
 * file, renames it over path and fsyncs the directory: when it returns 0 the
 * new contents are durable, and a reader sees either the old or the new file,
 * never a mix. safe_replace_abort closes and removes the temporary file.
 * Commit and abort both free the handle. Ownership of the new file is the
 * caller's business (fchown on safe_replace_fd before commit).
 *
 * Every function returns 0 (or a handle) on success and -1 (or NULL) with
 * errno set on failure; the safe_replace functions also say why in a
 * vstring, as "create file %s: %m" and the like. None of them logs.
 */
#ifndef TERN_SANE_FS_H
#define TERN_SANE_FS_H

#include <sys/types.h>

#include "util/vstring.h"

int fsync_path(const char *path);
int fsync_dir(const char *dir);
int fsync_parent(const char *path);
int sane_rename(const char *from, const char *to);
int sane_link(const char *from, const char *to);
int mkdir_p(const char *path, mode_t mode);

#define SAFE_REPLACE_KEEP_MODE (1 << 0)

struct safe_replace {
    char *path;     /* the file being replaced */
    char *tmp_path; /* the temporary file, "path.tmpXXXXXX" */
    int fd;         /* open for writing on tmp_path */
};

struct safe_replace *safe_replace_open(const char *path, mode_t mode, int flags,
                                       struct vstring *why);
int safe_replace_commit(struct safe_replace *sr, struct vstring *why);
void safe_replace_abort(struct safe_replace *sr);

#define safe_replace_fd(sr) ((sr)->fd)
#define safe_replace_tmp_path(sr) ((sr)->tmp_path)

#endif
