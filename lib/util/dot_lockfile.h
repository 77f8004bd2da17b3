/*
 * dot_lockfile - "path.lock" files, the lock convention that mail readers
 * (mailx, mutt, Dovecot, procmail, liblockfile) honour on mbox files.
 *
 *   dot_lockfile(path, tries, delay_ms, stale_seconds, why)
 *       creates "path.lock" exclusively (O_CREAT | O_EXCL, which never
 *       follows a symbolic link) and writes the process id into it, as
 *       liblockfile does. While the lock exists, retries up to tries times,
 *       about delay_ms apart, and in between as soon as a name is removed
 *       from the directory (inotify; the pauses stay as long); a lock file
 *       whose last change is more than stale_seconds old is removed as
 *       abandoned (0 disables that). Returns
 *       0, or -1 with errno (EEXIST: a fresh lock is still there) and why
 *       set to "unable to create lock file PATH.lock: ...".
 *   dot_unlockfile(path)
 *       removes "path.lock"; always succeeds and leaves errno alone.
 *
 * The lock file is created in the directory of path, so the caller needs
 * write permission there (local(8) creates it with the recipient's
 * privileges first). Breaking a stale lock has an unavoidable window in
 * which two breakers can both succeed; stale_seconds should be long (the
 * stale_lock_time default is 500s) so it only matters after a crash.
 */
#ifndef TERN_DOT_LOCKFILE_H
#define TERN_DOT_LOCKFILE_H

#include "util/vstring.h"

int dot_lockfile(const char *path, int tries, int delay_ms, int stale_seconds, struct vstring *why);
void dot_unlockfile(const char *path);

#endif
