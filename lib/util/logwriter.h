/*
 * logwriter - append log records to a plain file (maillog_file), one line
 * per record, and notice when the file was rotated away.
 *
 *   struct logwriter *lw = logwriter_open(path, mode, why)
 *       opens path for appending, creating it with exactly mode (umask
 *       does not apply) when it does not exist. An existing file must be
 *       a regular file with one hard link, not a symbolic link (safe_open).
 *       "/dev/stdout" is special: the records go to descriptor 1 as it is,
 *       never opened, checked or rotated. NULL on failure, with the reason
 *       in why ("cannot open file: ...", as Postfix words it).
 *   logwriter_write(lw, buf, len)
 *       appends buf as one line with one write(2). The bytes are first made
 *       safe (logwriter_clean): a record can never spill onto a second line.
 *       Returns 0, or -1 with errno set.
 *   logwriter_rotated(lw)
 *       1 when path no longer names the open file (renamed or removed, as
 *       logrotate and "postfix logrotate" do), else 0.
 *   logwriter_reopen(lw, why)
 *       opens path again (creating it); on success the old descriptor is
 *       closed and 0 returned; on failure the old one stays in use and -1
 *       is returned with the reason in why.
 *   logwriter_close(lw)
 *   logwriter_one_shot(path, mode, buf, len, why)
 *       open, append one record, close: for a program that writes the file
 *       directly because postlogd is not there. 0 or -1 (why says why).
 *   len = logwriter_clean(buf, len)
 *       in place: drops one trailing newline, turns every other control
 *       byte (NUL and newline included) into '?', and every 8-bit byte too
 *       unless the record is valid UTF-8 (the rule msg(3) applies).
 *
 * Records longer than LOGWRITER_RECORD_MAX are cut there. Nothing here
 * calls msg(3): msg uses this module for its own file sink.
 */
#ifndef TERN_LOGWRITER_H
#define TERN_LOGWRITER_H

#include <stddef.h>
#include <sys/types.h>

#include "util/vstring.h"

#define LOGWRITER_RECORD_MAX 4096

struct logwriter;

struct logwriter *logwriter_open(const char *path, mode_t mode, struct vstring *why);
int logwriter_write(struct logwriter *lw, const char *buf, size_t len);
int logwriter_rotated(struct logwriter *lw);
int logwriter_reopen(struct logwriter *lw, struct vstring *why);
void logwriter_close(struct logwriter *lw);
int logwriter_one_shot(const char *path, mode_t mode, const char *buf, size_t len,
                       struct vstring *why);
size_t logwriter_clean(char *buf, size_t len);

#endif
