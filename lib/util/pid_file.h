/*
 * pid_file - the lock that keeps two supervisors off one queue, and tells
 * whether one is running.
 *
 *   fd = pid_file_lock(path, why)
 *       opens or creates path (safely: no symlink, one hard link, regular
 *       file; mode 0644), takes an exclusive non-blocking flock(2) lock on it
 *       and writes our process id, right-aligned in a fixed-width field and
 *       followed by a newline, as Postfix's master does in pid/master.pid
 *       (so scripts that run "sed 1q pid/master.pid" keep working). The
 *       descriptor is close-on-exec; the lock lasts while it stays open, and
 *       the kernel drops it when the process dies, however it dies. Returns
 *       -1 with why set when the file cannot be opened or written, and with
 *       errno EAGAIN and why "unable to set exclusive lock: ..." when a live
 *       process holds the lock. A file left by a dead process (stale) is
 *       simply taken over: the lock, not the pid in the file, is the truth.
 *
 *   pid = pid_file_owner(path)
 *       the process id written by the live holder of the lock; 0 when the
 *       file does not exist or nobody holds its lock (stale); -1 with errno
 *       on error (EINVAL: locked, but the file holds no valid pid). Testing
 *       takes a shared lock for an instant, as Postfix's "master -t" does.
 */
#ifndef TERN_PID_FILE_H
#define TERN_PID_FILE_H

#include <sys/types.h>

#include "util/vstring.h"

int pid_file_lock(const char *path, struct vstring *why);
pid_t pid_file_owner(const char *path);

#endif
