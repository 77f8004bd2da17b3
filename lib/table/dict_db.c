/*
 * dict_db - hash and btree tables in Berkeley DB 5.3 files; see dict_db.h
 * for the three open modes, the key encoding and error handling.
 *
 * Invariants: dp->db is open from open to close; dp->build (a sane_fs
 * safe_replace handle) is non-NULL exactly while a build is in progress,
 * and such a dict is on the dict_db_builds list that the atexit handler
 * cleans up. dict->lock_fd is a descriptor of the file NAME.db used for
 * myflock() (flock style); while building it is the safe_replace
 * descriptor of the temporary file, owned by the handle.
 *
 * A build: safe_replace_open creates the empty temporary file with the
 * final mode (and fchown gives it the owner of the NAME.db it replaces),
 * Berkeley DB fills it through its own handle (it takes an empty file as
 * new, with a complaint that only -v shows), and at close safe_replace_commit fsyncs it, renames it
 * over NAME.db and fsyncs the directory, so the new table survives a crash.
 */
#include <db.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "table/dict_db.h"
#include "util/msg.h"
#include "util/myflock.h"
#include "util/mymalloc.h"
#include "util/sane_fs.h"

int dict_db_create_buffer_size = 16 * 1024 * 1024;
int dict_db_read_buffer_size = 128 * 1024;

#define DICT_DB_NELM 4096 /* hash table size hint, as Postfix uses */

struct dict_db {
    struct dict dict;
    DB *db;
    DBC *cursor;                /* dict_seq position, or NULL */
    char *db_path;              /* NAME.db */
    struct safe_replace *build; /* building: the temporary file; else NULL */
    pid_t builder;              /* the process that owns the build */
    int bulk_locked;            /* exclusive lock held from open to close */
    struct vstring *key_buf;    /* dict_seq result */
    struct vstring *val_buf;    /* dict_get / dict_seq result */
    struct dict_db *next_build; /* dict_db_builds list */
};

/* Builds in progress, for the exit handler. */
static struct dict_db *dict_db_builds;
static int dict_db_handler_set;

static void
dict_db_exit_cleanup(void)
{
    struct dict_db *dp;

    for (dp = dict_db_builds; dp != NULL; dp = dp->next_build)
        if (dp->build != NULL && dp->builder == getpid())
            (void)unlink(safe_replace_tmp_path(dp->build));
}

static void
dict_db_build_register(struct dict_db *dp)
{
    if (!dict_db_handler_set) {
        atexit(dict_db_exit_cleanup);
        dict_db_handler_set = 1;
    }
    dp->builder = getpid();
    dp->next_build = dict_db_builds;
    dict_db_builds = dp;
}

static void
dict_db_build_unregister(struct dict_db *dp)
{
    struct dict_db **pp;

    for (pp = &dict_db_builds; *pp != NULL; pp = &(*pp)->next_build) {
        if (*pp == dp) {
            *pp = dp->next_build;
            break;
        }
    }
    dp->build = NULL;
}

/* Abandons the build's temporary file; the descriptor goes with it. */
static void
dict_db_build_abort(struct dict_db *dp)
{
    struct safe_replace *build = dp->build;

    dict_db_build_unregister(dp);
    dp->dict.lock_fd = -1;
    safe_replace_abort(build);
}

/* Locking: a flock-style myflock on lock_fd, when the flags ask for it. */
static int
dict_db_lock(struct dict_db *dp, int operation)
{
    if ((dp->dict.flags & DICT_FLAG_LOCK) == 0 || dp->bulk_locked || dp->dict.lock_fd < 0)
        return 0;
    return myflock(dp->dict.lock_fd, MYFLOCK_STYLE_FLOCK, operation);
}

static void
dict_db_unlock(struct dict_db *dp)
{
    if ((dp->dict.flags & DICT_FLAG_LOCK) && !dp->bulk_locked && dp->dict.lock_fd >= 0)
        (void)myflock(dp->dict.lock_fd, MYFLOCK_STYLE_FLOCK, MYFLOCK_OP_NONE);
}

/* The exclusive lock held from open to close with DICT_FLAG_BULK_UPDATE. */
static void
dict_db_bulk_lock(struct dict_db *dp)
{
    if (myflock(dp->dict.lock_fd, MYFLOCK_STYLE_FLOCK, MYFLOCK_OP_EXCLUSIVE) < 0)
        msg_fatal("%s: lock dictionary: %m", dp->db_path);
    dp->bulk_locked = 1;
}

/* Looks up KEY of LEN bytes; 1 found (value in val_buf), 0 not, -1 error. */
static int
dict_db_fetch(struct dict_db *dp, const char *key, size_t len)
{
    DBT db_key;
    DBT db_val;
    int ret;

    memset(&db_key, 0, sizeof(db_key));
    memset(&db_val, 0, sizeof(db_val));
    db_key.data = (void *)key;
    db_key.size = len;
    ret = dp->db->get(dp->db, NULL, &db_key, &db_val, 0);
    if (ret == 0) {
        vstring_memcpy(dp->val_buf, db_val.data, db_val.size);
        return 1;
    }
    if (ret == DB_NOTFOUND || ret == DB_KEYEMPTY)
        return 0;
    msg_warn("error reading %s: %s", dp->db_path, db_strerror(ret));
    return -1;
}

static const char *
dict_db_lookup(struct dict *dict, const char *key)
{
    struct dict_db *dp = (struct dict_db *)dict;
    size_t len = strlen(key);
    int found = 0;

    if (dict_db_lock(dp, MYFLOCK_OP_SHARED) < 0) {
        msg_warn("%s: lock dictionary: %m", dp->db_path);
        dict->error = DICT_ERR_RETRY;
        return NULL;
    }
    if (dict->flags & DICT_FLAG_TRY1NULL) {
        if ((found = dict_db_fetch(dp, key, len + 1)) > 0)
            dict->flags &= ~DICT_FLAG_TRY0NULL;
    }
    if (found == 0 && (dict->flags & DICT_FLAG_TRY0NULL)) {
        if ((found = dict_db_fetch(dp, key, len)) > 0)
            dict->flags &= ~DICT_FLAG_TRY1NULL;
    }
    dict_db_unlock(dp);
    if (found < 0)
        dict->error = DICT_ERR_RETRY;
    return found > 0 ? vstring_str(dp->val_buf) : NULL;
}

/* The duplicate-key policy of dict_db.h; returns the dict_put status. */
static int
dict_db_duplicate(struct dict_db *dp, const char *key)
{
    if (dp->dict.flags & DICT_FLAG_DUP_IGNORE)
        return DICT_STAT_ERROR;
    if (dp->dict.flags & DICT_FLAG_DUP_WARN) {
        msg_warn("%s: duplicate entry: \"%s\"", dp->db_path, key);
        return DICT_STAT_ERROR;
    }
    msg_fatal("%s: duplicate entry: \"%s\"", dp->db_path, key);
}

static int
dict_db_update(struct dict *dict, const char *key, const char *value)
{
    struct dict_db *dp = (struct dict_db *)dict;
    DBT db_key;
    DBT db_val;
    int status = DICT_STAT_SUCCESS;
    int ret;

    /* A new entry in a table of unknown style gets the NUL, as Postfix does. */
    if ((dict->flags & DICT_FLAG_TRY1NULL) && (dict->flags & DICT_FLAG_TRY0NULL))
        dict->flags &= ~DICT_FLAG_TRY0NULL;
    memset(&db_key, 0, sizeof(db_key));
    memset(&db_val, 0, sizeof(db_val));
    db_key.data = (void *)key;
    db_key.size = strlen(key) + ((dict->flags & DICT_FLAG_TRY1NULL) ? 1 : 0);
    db_val.data = (void *)value;
    db_val.size = strlen(value) + ((dict->flags & DICT_FLAG_TRY1NULL) ? 1 : 0);
    if (dict_db_lock(dp, MYFLOCK_OP_EXCLUSIVE) < 0)
        msg_fatal("%s: lock dictionary: %m", dp->db_path);
    ret = dp->db->put(dp->db, NULL, &db_key, &db_val,
                      (dict->flags & DICT_FLAG_DUP_REPLACE) ? 0 : DB_NOOVERWRITE);
    if (ret == DB_KEYEXIST)
        status = dict_db_duplicate(dp, key);
    else if (ret != 0)
        msg_fatal("error writing %s: %s", dp->db_path, db_strerror(ret));
    if ((dict->flags & DICT_FLAG_SYNC_UPDATE) && (ret = dp->db->sync(dp->db, 0)) != 0)
        msg_fatal("%s: flush dictionary: %s", dp->db_path, db_strerror(ret));
    dict_db_unlock(dp);
    return status;
}

/* Deletes KEY of LEN bytes: 1 deleted, 0 not there; write errors are fatal. */
static int
dict_db_remove(struct dict_db *dp, const char *key, size_t len)
{
    DBT db_key;
    int ret;

    memset(&db_key, 0, sizeof(db_key));
    db_key.data = (void *)key;
    db_key.size = len;
    ret = dp->db->del(dp->db, NULL, &db_key, 0);
    if (ret == 0)
        return 1;
    if (ret == DB_NOTFOUND || ret == DB_KEYEMPTY)
        return 0;
    msg_fatal("error deleting from %s: %s", dp->db_path, db_strerror(ret));
}

static int
dict_db_delete(struct dict *dict, const char *key)
{
    struct dict_db *dp = (struct dict_db *)dict;
    size_t len = strlen(key);
    int found = 0;
    int ret;

    if (dict_db_lock(dp, MYFLOCK_OP_EXCLUSIVE) < 0)
        msg_fatal("%s: lock dictionary: %m", dp->db_path);
    if (dict->flags & DICT_FLAG_TRY1NULL) {
        if ((found = dict_db_remove(dp, key, len + 1)) > 0)
            dict->flags &= ~DICT_FLAG_TRY0NULL;
    }
    if (!found && (dict->flags & DICT_FLAG_TRY0NULL)) {
        if ((found = dict_db_remove(dp, key, len)) > 0)
            dict->flags &= ~DICT_FLAG_TRY1NULL;
    }
    if ((dict->flags & DICT_FLAG_SYNC_UPDATE) && (ret = dp->db->sync(dp->db, 0)) != 0)
        msg_fatal("%s: flush dictionary: %s", dp->db_path, db_strerror(ret));
    dict_db_unlock(dp);
    return found ? DICT_STAT_SUCCESS : DICT_STAT_ERROR;
}

static void
dict_db_cursor_close(struct dict_db *dp)
{
    if (dp->cursor != NULL) {
        (void)dp->cursor->close(dp->cursor);
        dp->cursor = NULL;
    }
}

static int
dict_db_sequence(struct dict *dict, int function, const char **key, const char **value)
{
    struct dict_db *dp = (struct dict_db *)dict;
    DBT db_key;
    DBT db_val;
    int ret;

    *key = *value = NULL;
    if (function == DICT_SEQ_FUN_FIRST)
        dict_db_cursor_close(dp);
    if (dict_db_lock(dp, MYFLOCK_OP_SHARED) < 0) {
        msg_warn("%s: lock dictionary: %m", dp->db_path);
        dict->error = DICT_ERR_RETRY;
        return DICT_STAT_FAIL;
    }
    if (dp->cursor == NULL && (ret = dp->db->cursor(dp->db, NULL, &dp->cursor, 0)) != 0) {
        dp->cursor = NULL;
        dict_db_unlock(dp);
        msg_warn("error seeking %s: %s", dp->db_path, db_strerror(ret));
        dict->error = DICT_ERR_RETRY;
        return DICT_STAT_FAIL;
    }
    memset(&db_key, 0, sizeof(db_key));
    memset(&db_val, 0, sizeof(db_val));
    ret = dp->cursor->get(dp->cursor, &db_key, &db_val, DB_NEXT);
    if (ret == 0) {
        vstring_memcpy(dp->key_buf, db_key.data, db_key.size);
        vstring_memcpy(dp->val_buf, db_val.data, db_val.size);
        *key = vstring_str(dp->key_buf);
        *value = vstring_str(dp->val_buf);
    } else {
        dict_db_cursor_close(dp);
    }
    dict_db_unlock(dp);
    if (ret == 0)
        return DICT_STAT_SUCCESS;
    if (ret == DB_NOTFOUND)
        return DICT_STAT_ERROR;
    msg_warn("error seeking %s: %s", dp->db_path, db_strerror(ret));
    dict->error = DICT_ERR_RETRY;
    return DICT_STAT_FAIL;
}

/* Releases everything but the DB handle; a build still open is abandoned. */
static void
dict_db_release(struct dict_db *dp)
{
    if (dp->build != NULL)
        dict_db_build_abort(dp);
    if (dp->dict.lock_fd >= 0)
        (void)close(dp->dict.lock_fd);
    myfree(dp->db_path);
    vstring_free(dp->key_buf);
    vstring_free(dp->val_buf);
    dict_free(&dp->dict);
}

/*
 * Finishes a build: safe_replace_commit syncs the temporary file, renames
 * it over NAME.db and syncs the directory; on failure it removes the
 * temporary file (unless the rename was done), and the failure is fatal.
 */
static void
dict_db_commit(struct dict_db *dp)
{
    struct safe_replace *build = dp->build;
    struct vstring *why = vstring_alloc(100);

    dict_db_build_unregister(dp);
    dp->dict.lock_fd = -1; /* closed by the commit */
    if (safe_replace_commit(build, why) < 0)
        msg_fatal("%s", vstring_str(why));
    vstring_free(why);
}

static void
dict_db_close(struct dict *dict)
{
    struct dict_db *dp = (struct dict_db *)dict;
    int ret;

    dict_db_cursor_close(dp);
    ret = dp->db->close(dp->db, 0);
    dp->db = NULL;
    if (ret != 0) {
        if (dp->build != NULL)
            dict_db_build_abort(dp);
        msg_fatal("close database %s: %s", dp->db_path, db_strerror(ret));
    }
    if (dp->build != NULL)
        dict_db_commit(dp);
    dict_db_release(dp);
}

void
dict_db_discard(struct dict *dict)
{
    struct dict_db *dp = (struct dict_db *)dict;

    if (dict->close != dict_db_close)
        msg_panic("dict_db_discard: %s:%s is not a Berkeley DB table", dict->type, dict->name);
    dict_db_cursor_close(dp);
    (void)dp->db->close(dp->db, 0);
    dp->db = NULL;
    dict_db_release(dp);
}

/*
 * The mode and owner of a new table: those of the NAME.db it replaces (as
 * Postfix, which truncates that file in place, keeps them), else 0644 less
 * the umask (what Berkeley DB would give a file it creates). The owner is
 * set before the mode, as chown clears set-id bits; a failure to keep the
 * owner (not root) is a warning, the table is still built.
 */
static int
dict_db_build_open(struct dict_db *dp)
{
    struct vstring *why = vstring_alloc(100);
    struct stat st;
    struct stat tmp_st;
    int have_old = stat(dp->db_path, &st) == 0;
    mode_t mask = umask(022);
    int saved_errno;
    int fd;

    umask(mask);
    dp->build = safe_replace_open(dp->db_path, have_old ? st.st_mode : 0644 & ~mask, 0, why);
    saved_errno = errno;
    vstring_free(why);
    if (dp->build == NULL) {
        errno = saved_errno;
        return -1;
    }
    dict_db_build_register(dp);
    fd = dp->dict.lock_fd = safe_replace_fd(dp->build);
    if (have_old && fstat(fd, &tmp_st) == 0 &&
        (tmp_st.st_uid != st.st_uid || tmp_st.st_gid != st.st_gid) &&
        (fchown(fd, st.st_uid, st.st_gid) < 0 || fchmod(fd, st.st_mode & 07777) < 0))
        msg_warn("%s: cannot keep the owner of %s: %m", safe_replace_tmp_path(dp->build),
                 dp->db_path);
    return 0;
}

/*
 * Prepares the open: creates the temporary file of a build, or opens (and
 * with BULK_UPDATE locks) the existing file. Returns the DB open flags, or
 * -1 with errno set. A file that O_CREAT must create is left to Berkeley
 * DB (it refuses to adopt an empty file quietly); dict_db_lock_fd opens
 * the descriptor afterwards.
 */
static int
dict_db_prepare(struct dict_db *dp, int open_flags)
{
    int db_flags;

    if (open_flags & O_TRUNC)
        return dict_db_build_open(dp) < 0 ? -1 : DB_CREATE;
    db_flags = (open_flags & O_ACCMODE) == O_RDONLY ? DB_RDONLY : 0;
    if (open_flags & O_CREAT)
        db_flags |= DB_CREATE;
    if ((dp->dict.lock_fd = open(dp->db_path, open_flags & ~(O_CREAT | O_TRUNC), 0)) < 0) {
        if (errno != ENOENT || (open_flags & O_CREAT) == 0)
            return -1;
        return db_flags;
    }
    if ((dp->dict.flags & DICT_FLAG_BULK_UPDATE) && (open_flags & O_ACCMODE) != O_RDONLY)
        dict_db_bulk_lock(dp);
    return db_flags;
}

/* After the DB open: the descriptor for locks and fsync, if not yet open. */
static int
dict_db_lock_fd(struct dict_db *dp, int open_flags)
{
    if (dp->dict.lock_fd >= 0)
        return 0;
    if ((dp->dict.lock_fd = open(dp->db_path, open_flags & O_ACCMODE, 0)) < 0)
        return -1;
    if ((dp->dict.flags & DICT_FLAG_BULK_UPDATE) && (open_flags & O_ACCMODE) != O_RDONLY)
        dict_db_bulk_lock(dp);
    return 0;
}

/* Berkeley DB's own diagnostics: only when verbose; we report errors ourselves. */
static void
dict_db_errcall(const DB_ENV *env, const char *prefix, const char *text)
{
    (void)env;
    (void)prefix;
    if (msg_verbose)
        msg_info("Berkeley DB: %s", text);
}

/* Opens the Berkeley DB handle; returns 0 or a DB error code. */
static int
dict_db_handle_open(struct dict_db *dp, DBTYPE db_type, int db_flags)
{
    const char *path = dp->build ? safe_replace_tmp_path(dp->build) : dp->db_path;
    int cache = dp->build ? dict_db_create_buffer_size : dict_db_read_buffer_size;
    int ret;

    if ((ret = db_create(&dp->db, NULL, 0)) != 0) {
        dp->db = NULL;
        return ret;
    }
    if (cache > 0 && (ret = dp->db->set_cachesize(dp->db, 0, (u_int32_t)cache, 0)) != 0)
        msg_warn("%s: set cache size %d: %s", dp->db_path, cache, db_strerror(ret));
    dp->db->set_errcall(dp->db, dict_db_errcall);
    if (db_type == DB_HASH && (ret = dp->db->set_h_nelem(dp->db, DICT_DB_NELM)) != 0)
        msg_warn("%s: set hash size: %s", dp->db_path, db_strerror(ret));
    if (dict_db_lock(dp, (db_flags & DB_RDONLY) ? MYFLOCK_OP_SHARED : MYFLOCK_OP_EXCLUSIVE) < 0)
        msg_fatal("%s: lock dictionary: %m", dp->db_path);
    ret = dp->db->open(dp->db, NULL, path, NULL, db_type, db_flags, 0644);
    dict_db_unlock(dp);
    if (ret != 0) {
        (void)dp->db->close(dp->db, 0);
        dp->db = NULL;
    }
    return ret;
}

/*
 * Gives up an open: "open database NAME.db: CAUSE" goes into a surrogate,
 * and everything DP holds (DB handle, descriptor, build) is released.
 */
static struct dict *
dict_db_open_failed(struct dict_db *dp, const char *name, int open_flags, int dict_flags,
                    const char *cause)
{
    struct vstring *reason = vstring_alloc(100);
    const char *type = dp->dict.type;
    struct dict *dict;

    vstring_sprintf(reason, "open database %s: %s", dp->db_path, cause);
    if (dp->db != NULL) {
        (void)dp->db->close(dp->db, 0);
        dp->db = NULL;
    }
    dict_db_release(dp);
    dict = dict_surrogate(type, name, open_flags, dict_flags, "%s", vstring_str(reason));
    vstring_free(reason);
    return dict;
}

static struct dict *
dict_db_open(const char *type, DBTYPE db_type, const char *name, int open_flags, int dict_flags)
{
    struct dict_db *dp;
    struct stat st;
    int db_flags;
    int ret;

    dp = (struct dict_db *)dict_alloc(type, name, sizeof(*dp));
    dp->db_path = mymalloc(strlen(name) + 4);
    memcpy(dp->db_path, name, strlen(name));
    memcpy(dp->db_path + strlen(name), ".db", 4);
    dp->key_buf = vstring_alloc(100);
    dp->val_buf = vstring_alloc(100);
    dp->dict.flags = dict_flags | DICT_FLAG_FIXED;
    if ((dict_flags & (DICT_FLAG_TRY0NULL | DICT_FLAG_TRY1NULL)) == 0)
        dp->dict.flags |= DICT_FLAG_TRY0NULL | DICT_FLAG_TRY1NULL;
    if ((db_flags = dict_db_prepare(dp, open_flags)) == -1)
        return dict_db_open_failed(dp, name, open_flags, dict_flags, strerror(errno));
    if ((ret = dict_db_handle_open(dp, db_type, db_flags)) != 0)
        return dict_db_open_failed(dp, name, open_flags, dict_flags, db_strerror(ret));
    if (dict_db_lock_fd(dp, open_flags) < 0)
        return dict_db_open_failed(dp, name, open_flags, dict_flags, strerror(errno));
    if (fstat(dp->dict.lock_fd, &st) == 0)
        dp->dict.mtime = st.st_mtime;
    dp->dict.lookup = dict_db_lookup;
    dp->dict.update = dict_db_update;
    dp->dict.delete = dict_db_delete;
    dp->dict.sequence = dict_db_sequence;
    dp->dict.close = dict_db_close;
    return &dp->dict;
}

struct dict *
dict_hash_open(const char *name, int open_flags, int dict_flags)
{
    return dict_db_open("hash", DB_HASH, name, open_flags, dict_flags);
}

struct dict *
dict_btree_open(const char *name, int open_flags, int dict_flags)
{
    return dict_db_open("btree", DB_BTREE, name, open_flags, dict_flags);
}
