/*
 * maildrop - one message written into the maildrop queue from the record
 * stream of docs/ipc.md ("sendmail to postdrop"): the check of what a
 * user may send, the arrival time, the commit.
 *
 * Two programs write maildrop files with it, and produce the same file:
 * postdrop (set-gid setgid_group, records read from sendmail's pipe) and
 * sendmail itself when it already has every right postdrop would give it
 * (run by root), which saves a program start per message.
 *
 *   md = maildrop_create(long_ids, size_limit, why)
 *       creates maildrop/.tmpXXXXXX (mode 0644, owned by the caller; the
 *       current directory is queue_directory) and writes the arrival time
 *       (the clock of this program, never a time the user sends). NULL
 *       with the reason in WHY. SIZE_LIMIT (message_size_limit; 0: none)
 *       bounds the file, as Postfix bounds the maildrop file.
 *   maildrop_put(md, type, data, len)
 *       one record of the stream, checked (maildrop_record_ok) and then
 *       written through qfile's own checks. -1 with the reason in
 *       maildrop_error(md); the file is then useless (abort it). A record
 *       that would take the file past the size limit fails with "File too
 *       large", and maildrop_too_big(md) is then 1.
 *   maildrop_commit(md, why)
 *       writes the end and commits (qfile_commit: fsync, rename, fsync of
 *       the directory); 0 only when the file is durable under its queue
 *       id. Frees md either way.
 *   maildrop_abort(md)
 *       removes the temporary file and frees md.
 *   maildrop_temp_path(md)
 *       the temporary name (relative to queue_directory), for a signal
 *       handler that must remove it.
 *
 *   maildrop_record_ok(type, data, len, why)
 *       may a user send this record? Attributes full_name,
 *       extract_recipients=yes, trace_flags 0..3, encoding 7bit/8bit; the
 *       sender, DSN envid and ret; pending recipients; 'M', content, 'X';
 *       'E' with an empty payload. Not: time, warning, header,
 *       return-receipt or errors-to records, done recipients, other
 *       attributes. 0, or -1 with the reason in WHY.
 */
#ifndef TERN_MAILDROP_H
#define TERN_MAILDROP_H

#include <stddef.h>

#include "util/vstring.h"

struct maildrop;

/* postdrop's exit status when the file would exceed message_size_limit. */
#define MAILDROP_EXIT_TOO_BIG 3

struct maildrop *maildrop_create(int long_ids, long size_limit, struct vstring *why);
int maildrop_put(struct maildrop *md, int type, const void *data, size_t len);
const char *maildrop_error(const struct maildrop *md);
int maildrop_too_big(const struct maildrop *md);
int maildrop_commit(struct maildrop *md, struct vstring *why);
void maildrop_abort(struct maildrop *md);
const char *maildrop_temp_path(const struct maildrop *md);
int maildrop_record_ok(int type, const char *data, size_t len, struct vstring *why);

#endif
