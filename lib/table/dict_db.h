/*
 * dict_db - the "hash" and "btree" table types: Berkeley DB 5.3 files.
 *
 * "hash:/etc/postfix/access" is the file /etc/postfix/access.db (DB_HASH;
 * btree: DB_BTREE), in the same format as Postfix's, so either program
 * reads the other's files. Keys and values are stored with a trailing NUL
 * by default (DICT_FLAG_TRY1NULL); lookups try with and then without the
 * NUL unless the flags pin one form, and remember the form that matched.
 *
 * Three ways to open (open_flags):
 *   O_RDONLY             lookups and dict_seq. With DICT_FLAG_LOCK each
 *                        operation holds a shared flock() on the file.
 *   O_RDWR|O_CREAT|O_TRUNC
 *                        BUILD a new table (postmap, postalias): the data
 *                        go to a temporary file NAME.db.tmpXXXXXX in the
 *                        same directory (sane_fs safe_replace), and
 *                        dict_close() syncs it, renames it over NAME.db and
 *                        syncs the directory, so a reader sees the old table
 *                        or the complete new one, never a half-written one,
 *                        and the new one survives a crash. The new file gets
 *                        the mode and owner of the NAME.db it replaces
 *                        (0644 less the umask when there is none). If the
 *                        process exits before dict_close (msg_fatal, exit),
 *                        an atexit handler removes the temporary file;
 *                        dict_db_discard() abandons a build explicitly.
 *   O_RDWR [|O_CREAT]    update the existing NAME.db in place (postmap -i,
 *                        -d). With DICT_FLAG_LOCK each update holds an
 *                        exclusive flock(); with DICT_FLAG_BULK_UPDATE the
 *                        exclusive lock is held from open to close.
 *
 * Duplicate keys on dict_put: DICT_FLAG_DUP_REPLACE overwrites,
 * DICT_FLAG_DUP_IGNORE keeps the first silently, DICT_FLAG_DUP_WARN keeps
 * the first and warns "NAME.db: duplicate entry: \"key\"" (both return
 * DICT_STAT_ERROR); with none of these a duplicate is fatal, as in Postfix.
 *
 * Errors: a file that cannot be opened gives a surrogate ("open database
 * NAME.db: reason"); a read error is a warning and DICT_ERR_RETRY; a write
 * error (disk full, ...) or a failed commit is fatal, so a command never
 * reports success for a table it did not write.
 */
#ifndef TERN_DICT_DB_H
#define TERN_DICT_DB_H

#include "table/dict.h"

struct dict *dict_hash_open(const char *name, int open_flags, int dict_flags);
struct dict *dict_btree_open(const char *name, int open_flags, int dict_flags);

/* Abandon a build: close the table and remove its temporary file. */
void dict_db_discard(struct dict *dict);

/* Berkeley DB cache sizes in bytes (main.cf berkeley_db_create_buffer_size,
 * berkeley_db_read_buffer_size); programs may set them before opening. */
extern int dict_db_create_buffer_size;
extern int dict_db_read_buffer_size;

#endif
