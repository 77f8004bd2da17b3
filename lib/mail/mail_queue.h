/*
 * mail_queue - the queue directories: names, paths, hashed subdirectories,
 * creating a uniquely named queue file, moving files between queues, and
 * quarantining broken ones.
 *
 * Every path is relative to the current directory: callers chdir to
 * queue_directory first (daemons run there, chrooted or not; tests use a
 * temporary directory). Queue names come from the MAIL_QUEUE_* constants
 * and ids must pass queue_id_ok (lib/mail/queue_id.h) before they reach
 * these functions; a bad name or id here is a programming error (panic),
 * so code that takes ids from users or directory listings checks first.
 *
 * Hashing (hash_queue_names, hash_queue_depth): a hashed queue keeps each
 * file in depth levels of one-character subdirectories, e.g.
 * "deferred/3/3F1A21C0B5E". The characters are the first ones of the id
 * for a short id, and of the hex form of the microseconds ("%05X") for a
 * long id, so both forms spread the same way. mail_queue_set_hash sets the
 * process-wide values (the defaults are Postfix's: "deferred, defer" and
 * 1); mail_queue_configure() sets what main.cf says (the daemon skeleton
 * calls it for every daemon; commands call it after reading main.cf).
 *
 *   mail_queue_path(buf, queue, id)   "queue[/c[/c...]]/id"; returns vstring_str(buf)
 *   mail_queue_dir(buf, queue, id)    the directory part of that path
 *
 * Creating a queue file (the commit protocol; docs/queue-format.md):
 *
 *   mail_queue_enter(queue, long_ids, mode, &mqf, why)
 *       creates a temporary file "queue/.tmpXXXXXX", locks it (flock,
 *       exclusive: the lock tells recovery the writer is alive), and picks
 *       the id from the creation time and the file's inode such that no
 *       file of that name exists in the queue. mqf->fd is open for writing.
 *   mail_queue_commit(mqf, why)
 *       fsync(fd), then renames the temporary file to its id name (never
 *       replacing an existing file), then fsyncs the directories. Returns 0
 *       only when all of that succeeded: then, and only then, the file is
 *       durable under its name. Frees mqf but leaves mqf->fd open (the
 *       caller closes it; the lock goes with it).
 *   mail_queue_abandon(mqf)
 *       removes the temporary file and frees mqf; fd stays open too.
 *
 * Moving and removing:
 *
 *   mail_queue_rename(id, from, to, flags)
 *       rename(2) from one queue to another; creates a missing hash
 *       subdirectory; never replaces another file of that name (EEXIST),
 *       but accepts a destination that is already the same file (a move
 *       that was interrupted halfway by a crash). MAIL_QUEUE_SYNC fsyncs
 *       the directories involved, so the move survives a crash.
 *   mail_queue_move_path(from, to)
 *       the same for two paths, without the sync: what mail_queue_rename
 *       and mail_queue_commit use
 *   mail_queue_remove(queue, id)     unlink(2)
 *   mail_queue_quarantine(queue, id, reason)
 *       moves the file to the corrupt queue and logs
 *       "warning: ID: corrupt queue file in QUEUE queue moved to corrupt queue: REASON".
 *       If corrupt/ID already exists (another file), the name gets a
 *       suffix "Q" and a number instead. Logs and returns -1 when the move
 *       fails.
 *
 * Listing and recovery:
 *
 *   mail_queue_scan_open(queue) / mail_queue_scan_next(scan) / mail_queue_scan_close(scan)
 *       every name in a queue that passes queue_id_ok, descending into
 *       one-character subdirectories (whatever the current hash settings,
 *       so files survive a change of hash_queue_depth); temporary files and
 *       other names are skipped. Order is the directory's. The name
 *       returned stays valid until the next call; mail_queue_scan_path
 *       gives the file's actual path (after a change of the hash
 *       settings it may differ from mail_queue_path). scan_open returns
 *       NULL with errno when the queue directory cannot be opened.
 *   mail_queue_remove_stale(queue, min_age)
 *       removes the temporary files of writers that died: only files that
 *       nobody holds locked and that were not modified for min_age
 *       seconds. Returns how many were removed.
 *
 * Functions return 0 on success and -1 with errno set on failure; the ones
 * with a why argument also describe the failure there. Only
 * mail_queue_quarantine logs.
 */
#ifndef TERN_MAIL_QUEUE_H
#define TERN_MAIL_QUEUE_H

#include <sys/time.h>
#include <sys/types.h>
#include <time.h>

#include "util/vstring.h"

#define MAIL_QUEUE_MAILDROP "maildrop"
#define MAIL_QUEUE_INCOMING "incoming"
#define MAIL_QUEUE_ACTIVE "active"
#define MAIL_QUEUE_DEFERRED "deferred"
#define MAIL_QUEUE_HOLD "hold"
#define MAIL_QUEUE_CORRUPT "corrupt"
#define MAIL_QUEUE_BOUNCE "bounce"
#define MAIL_QUEUE_DEFER "defer"
#define MAIL_QUEUE_TRACE "trace"
#define MAIL_QUEUE_FLUSH "flush"
#define MAIL_QUEUE_SAVED "saved"

#define MAIL_QUEUE_TEMP_PREFIX ".tmp" /* temporary files: ".tmpXXXXXX" */

#define MAIL_QUEUE_SYNC (1 << 0) /* mail_queue_rename: fsync the directories */

/* A queue file being written; see mail_queue_enter. */
struct mail_queue_file {
    char *queue;         /* queue name */
    char *id;            /* the queue id chosen for the file */
    char *temp_path;     /* where it is being written */
    char *path;          /* where mail_queue_commit puts it */
    struct timeval time; /* creation time, which the id encodes */
    int fd;              /* open for reading and writing on temp_path */
};

/*
 * A test-only hook: when set, called at each step of a commit, so a test
 * can stop the writer there (e.g. _exit) and look at what is left.
 */
#define MAIL_QUEUE_STEP_WRITTEN 1    /* qfile: every record written and flushed */
#define MAIL_QUEUE_STEP_FSYNCED 2    /* the file's data is on disk */
#define MAIL_QUEUE_STEP_RENAMED 3    /* the file has its id name */
#define MAIL_QUEUE_STEP_DIR_SYNCED 4 /* the name is on disk: committed */
extern void (*mail_queue_commit_hook)(int step);

extern const char *const mail_queue_names[]; /* every queue, NULL-terminated */

int mail_queue_name_ok(const char *queue);
int mail_queue_temp_name_ok(const char *name);
void mail_queue_set_hash(const char *hash_queue_names, int hash_queue_depth);
void mail_queue_configure(void);
int mail_queue_hashed(const char *queue);
const char *mail_queue_dir(struct vstring *buf, const char *queue, const char *id);
const char *mail_queue_path(struct vstring *buf, const char *queue, const char *id);

int mail_queue_enter(const char *queue, int long_ids, mode_t mode, struct mail_queue_file **mqfp,
                     struct vstring *why);
int mail_queue_commit(struct mail_queue_file *mqf, struct vstring *why);
void mail_queue_abandon(struct mail_queue_file *mqf);

int mail_queue_rename(const char *id, const char *from, const char *to, int flags);
int mail_queue_move_path(const char *from, const char *to);
int mail_queue_remove(const char *queue, const char *id);
int mail_queue_quarantine(const char *queue, const char *id, const char *reason);

struct mail_queue_scan;
struct mail_queue_scan *mail_queue_scan_open(const char *queue);
const char *mail_queue_scan_next(struct mail_queue_scan *scan);
const char *mail_queue_scan_path(struct mail_queue_scan *scan);
void mail_queue_scan_close(struct mail_queue_scan *scan);
int mail_queue_remove_stale(const char *queue, time_t min_age);

#endif
