/*
 * safe_open - open or create a regular file in a directory that untrusted
 * users may write to (mail spool, home directories), without being lured
 * into a file someone else chose.
 *
 *   int fd = safe_open(path, O_WRONLY | O_APPEND | O_CREAT, 0600, &st,
 *                      uid, gid, why);
 *
 * flags and mode are as for open(2); O_EXCL may appear only with O_CREAT.
 *   - no O_CREAT: open an existing file only;
 *   - O_CREAT | O_EXCL: create a new file only;
 *   - O_CREAT alone: open the file if it exists, else create it (a race with
 *     another creator is resolved by opening the winner's file, checked).
 * An existing file is refused when it is a symbolic link (O_NOFOLLOW), not a
 * regular file, has more than one hard link, or when the name no longer
 * refers to the file that was opened (lstat and fstat disagree). Opening
 * never blocks on a FIFO. A file that safe_open creates is given owner user
 * and group (each (uid_t) -1 / (gid_t) -1 to leave it); the permissions of
 * an existing file are never changed.
 *
 * safe_open_owned does the same, and also refuses an existing file that is
 * not owned by user (when user is not (uid_t) -1).
 *
 * The result is an open descriptor (close-on-exec) or -1. On -1, why holds
 * the reason ("file has 2 hard links", "file is a symbolic link", "cannot
 * open file: ...") and errno is set (EPERM for a refused file). st, when not
 * NULL, receives the attributes of the opened file.
 */
#ifndef TERN_SAFE_OPEN_H
#define TERN_SAFE_OPEN_H

#include <sys/stat.h>
#include <sys/types.h>

#include "util/vstring.h"

int safe_open(const char *path, int flags, mode_t mode, struct stat *st, uid_t user, gid_t group,
              struct vstring *why);
int safe_open_owned(const char *path, int flags, mode_t mode, struct stat *st, uid_t user,
                    gid_t group, struct vstring *why);

#endif
