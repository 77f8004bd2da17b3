/*
 * postdrop.h - the parts of postdrop: the command (postdrop.c) and the
 * copy of a record stream into a maildrop file (postdrop_copy.c).
 */
#ifndef TERN_POSTDROP_H
#define TERN_POSTDROP_H

#include <sys/types.h>

#include "util/vstream.h"

/*
 * Reads the record stream on IN (at most timeout seconds per read) and
 * commits it as a maildrop file; returns 0 only after the commit. On any
 * error logs why (naming uid) and returns -1 (MAILDROP_EXIT_TOO_BIG when
 * the file would exceed SIZE_LIMIT) with no file left behind.
 */
int postdrop_copy(struct vstream *in, uid_t uid, int long_ids, long size_limit);

/* For the fatal-error hook: gives up the file being written, if any. */
void postdrop_copy_abort(void);

#endif
