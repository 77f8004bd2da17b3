/*
 * dict - the one dictionary (lookup table) interface of Tern.
 *
 * Every lookup table type (hash, btree, cidr, pcre, regexp, texthash,
 * inline, static, unix, fail, environ) is a struct dict with the same
 * operations. Callers open a table by "type:name" with dict_open(), then
 * use dict_get/dict_put/dict_del/dict_seq and dict_close. Nothing outside
 * lib/table knows how a type stores its data.
 *
 * Keys: with DICT_FLAG_FOLD_FIX (fixed-string types) or DICT_FLAG_FOLD_MUL
 * (pattern types), dict_get folds the key to lower case before the type
 * sees it, as Postfix does; types never fold on their own.
 *
 * Results: dict_get returns the value (owned by the dict, valid until the
 * next call on the same dict), or NULL. On NULL, dict->error tells "not
 * found" (DICT_ERR_NONE) from "lookup failed, try again later"
 * (DICT_ERR_RETRY) and "table is misconfigured" (DICT_ERR_CONFIG).
 * Callers must check it: a failed lookup is never a "not found".
 *
 * Bad table source (a regexp that does not compile, a malformed CIDR
 * block, ...) is reported as "warning: FILE, line N: ..." and that entry is
 * skipped, as Postfix does. A table that cannot be opened at all makes
 * dict_open return a "surrogate" dict whose every operation fails with
 * DICT_ERR_CONFIG (after one warning naming the reason), so a daemon keeps
 * running and defers mail instead of dying; dict_open_strict is fatal
 * instead (for commands such as postmap).
 */
#ifndef TERN_DICT_H
#define TERN_DICT_H

#include <fcntl.h>
#include <sys/types.h>

#include "util/vstring.h"

/* dict_flags */
#define DICT_FLAG_NONE         0
#define DICT_FLAG_DUP_WARN     (1 << 0)  /* warn about duplicate keys */
#define DICT_FLAG_DUP_IGNORE   (1 << 1)  /* keep the first of duplicate keys */
#define DICT_FLAG_DUP_REPLACE  (1 << 2)  /* keep the last of duplicate keys */
#define DICT_FLAG_TRY0NULL     (1 << 3)  /* keys are stored without NUL */
#define DICT_FLAG_TRY1NULL     (1 << 4)  /* keys are stored with the NUL */
#define DICT_FLAG_FIXED        (1 << 5)  /* fixed-key lookup (set by type) */
#define DICT_FLAG_PATTERN      (1 << 6)  /* pattern matching (set by type) */
#define DICT_FLAG_LOCK         (1 << 7)  /* lock the table around each access */
#define DICT_FLAG_SYNC_UPDATE  (1 << 8)  /* flush each update to disk */
#define DICT_FLAG_FOLD_FIX     (1 << 9)  /* fold keys of fixed-key types */
#define DICT_FLAG_FOLD_MUL     (1 << 10) /* fold keys of pattern types */
#define DICT_FLAG_NO_REGSUB    (1 << 11) /* refuse $N substitution in results */
#define DICT_FLAG_BULK_UPDATE  (1 << 12) /* building a new table (postmap) */
#define DICT_FLAG_DEBUG        (1 << 13) /* log every operation */
#define DICT_FLAG_PARANOID     (1 << 14) /* refuse results with unsafe content */
#define DICT_FLAG_SRC_RHS_IS_FILE (1 << 15) /* postmap -F: values name files */
#define DICT_FLAG_UTF8_REQUEST (1 << 16)

#define DICT_FLAG_FOLD_ANY     (DICT_FLAG_FOLD_FIX | DICT_FLAG_FOLD_MUL)
/* The defaults Postfix's programs use for reading tables. */
#define DICT_FLAG_DEFAULT      (DICT_FLAG_DUP_WARN | DICT_FLAG_FOLD_FIX)

/* dict->error */
#define DICT_ERR_NONE    0  /* no error: found, or not found */
#define DICT_ERR_RETRY   (-1) /* soft error: try again later */
#define DICT_ERR_CONFIG  (-2) /* hard error: configuration problem */

/* dict_seq functions */
#define DICT_SEQ_FUN_FIRST 0
#define DICT_SEQ_FUN_NEXT  1

/* dict_put/dict_del/dict_seq results */
#define DICT_STAT_FAIL    1   /* failed (see dict->error) */
#define DICT_STAT_SUCCESS 0
#define DICT_STAT_ERROR   (-1) /* not found (del/seq), or duplicate kept (put) */

struct dict {
    const char *type;    /* "hash", "cidr", ... (static string) */
    char *name;          /* the part after "type:" */
    int flags;           /* DICT_FLAG_* */
    int open_flags;      /* O_RDONLY, O_RDWR|O_CREAT|O_TRUNC, ... */
    int error;           /* DICT_ERR_* of the last operation */
    int lock_fd;         /* descriptor to lock, or -1 */
    time_t mtime;        /* source modification time, for dict_changed */
    const char *(*lookup)(struct dict *dict, const char *key);
    int (*update)(struct dict *dict, const char *key, const char *value);
    int (*delete)(struct dict *dict, const char *key);
    int (*sequence)(struct dict *dict, int function, const char **key, const char **value);
    void (*close)(struct dict *dict);
    struct vstring *fold_buf; /* key folding, owned by the dict layer */
};

/*
 * A table type. open() builds a dict for name; on failure it returns a
 * surrogate from dict_surrogate() and never NULL.
 */
struct dict_type {
    const char *type;
    struct dict *(*open)(const char *name, int open_flags, int dict_flags);
    int needs_file;      /* name is a file: postmap builds it (hash, btree) */
};

struct dict *dict_open(const char *type_name, int open_flags, int dict_flags);
struct dict *dict_open3(const char *type, const char *name, int open_flags, int dict_flags);
struct dict *dict_open_strict(const char *type_name, int open_flags, int dict_flags);
const char *dict_get(struct dict *dict, const char *key);
int dict_put(struct dict *dict, const char *key, const char *value);
int dict_del(struct dict *dict, const char *key);
int dict_seq(struct dict *dict, int function, const char **key, const char **value);
void dict_close(struct dict *dict);
int dict_changed(struct dict *dict);

/* For type implementations. */
struct dict *dict_alloc(const char *type, const char *name, size_t size);
void dict_free(struct dict *dict);
struct dict *dict_surrogate(const char *type, const char *name, int open_flags,
                            int dict_flags, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
const struct dict_type *dict_type_find(const char *type);
const struct dict_type *dict_type_list(void); /* terminated by type == NULL */

/* dict_open3, but any open failure is fatal (the reason is the message). */
struct dict *dict_open3_strict(const char *type, const char *name, int open_flags,
                               int dict_flags);
/* Did this table fail to open (a surrogate from dict_surrogate)? */
int dict_is_surrogate(const struct dict *dict);

#endif
