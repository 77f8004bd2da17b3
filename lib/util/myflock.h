/*
 * myflock - advisory locks on open files, with either of the two kernel
 * lock families.
 *
 *   myflock(fd, style, operation)
 *       style:     MYFLOCK_STYLE_FLOCK (flock(2): per open file, as the
 *                  Postfix internal lock and mutt/procmail's flock option) or
 *                  MYFLOCK_STYLE_FCNTL (POSIX fcntl record locks on the whole
 *                  file: what mailx, Dovecot and procmail use on mbox files)
 *       operation: MYFLOCK_OP_NONE (unlock), MYFLOCK_OP_SHARED or
 *                  MYFLOCK_OP_EXCLUSIVE, optionally | MYFLOCK_OP_NOWAIT
 *   returns 0, or -1 with errno set. A lock that is held by someone else
 *   fails a MYFLOCK_OP_NOWAIT request with errno EAGAIN, whatever the
 *   kernel's own word for it. A blocking request waits (signals restart it).
 *
 *   myflock_retry(fd, style, operation, tries, delay_ms, why)
 *       tries a non-blocking lock up to tries times, sleeping about delay_ms
 *       (randomised by +-50%) between attempts, as a delivery agent does with
 *       deliver_lock_attempts and deliver_lock_delay. On failure why says
 *       "unable to lock for exclusive access: ..." (or "shared").
 *
 *   myflock_style(name)  "flock" or "fcntl" -> style; -1 for other names.
 *
 * Remember the fcntl family's rule: closing ANY descriptor of the file in
 * the process releases the process's fcntl locks on it, and a forked child
 * does not inherit them. flock locks belong to the open file and are shared
 * with children that inherit the descriptor. The two families do not see
 * each other on Linux, which is why mbox delivery may take both.
 */
#ifndef TERN_MYFLOCK_H
#define TERN_MYFLOCK_H

#include "util/vstring.h"

#define MYFLOCK_STYLE_FLOCK 1
#define MYFLOCK_STYLE_FCNTL 2

#define MYFLOCK_OP_NONE 0
#define MYFLOCK_OP_SHARED (1 << 0)
#define MYFLOCK_OP_EXCLUSIVE (1 << 1)
#define MYFLOCK_OP_NOWAIT (1 << 2)
#define MYFLOCK_OP_BITS (MYFLOCK_OP_SHARED | MYFLOCK_OP_EXCLUSIVE | MYFLOCK_OP_NOWAIT)

int myflock(int fd, int style, int operation);
int myflock_retry(int fd, int style, int operation, int tries, int delay_ms, struct vstring *why);
int myflock_style(const char *name);

#endif
