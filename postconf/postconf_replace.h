/*
 * postconf_replace - the one way postconf rewrites main.cf and master.cf in
 * place (-e, -X, -#, -M, -F, -P edits).
 *
 *   rp = pcf_replace_open(path, why)
 *       creates the temporary file through sane_fs's safe_replace_open
 *       (PATH.tmpXXXXXX, mode 0644 less the umask) and opens PATH for
 *       reading under an exclusive flock; when another postconf replaced
 *       PATH meanwhile, the new file is opened and locked instead, so
 *       concurrent edits serialize and none is lost. rp->src reads the old
 *       file, rp->dst writes the new one. Returns NULL with why set:
 *       "open PATH.tmp: ..." (Postfix's name for the file, whatever the
 *       unique name), "open PATH for reading: ...", "lock PATH: ...".
 *   pcf_replace_commit(rp, why)
 *       flushes, fsyncs and renames the new file over PATH, fsyncs the
 *       directory, then releases the lock; 0, or -1 with why set (the
 *       old file is then untouched and the temporary file removed).
 *   pcf_replace_abort(rp)
 *       removes the temporary file and releases the lock.
 * Both free rp. Until then a msg_fatal anywhere removes the temporary file
 * (msg cleanup hook), so an edit never leaves litter behind.
 */
#ifndef TERN_POSTCONF_REPLACE_H
#define TERN_POSTCONF_REPLACE_H

#include "util/sane_fs.h"
#include "util/vstream.h"
#include "util/vstring.h"

struct pcf_replace {
    char *path;
    struct safe_replace *sr;
    struct vstream *src; /* PATH, locked */
    struct vstream *dst; /* the temporary file */
};

struct pcf_replace *pcf_replace_open(const char *path, struct vstring *why);
int pcf_replace_commit(struct pcf_replace *rp, struct vstring *why);
void pcf_replace_abort(struct pcf_replace *rp);

#endif
