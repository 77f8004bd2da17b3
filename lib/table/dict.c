/*
 * dict - the dictionary core: open by "type:name", key folding, the
 * generic operations, surrogates for tables that cannot be opened.
 *
 * Entry points (declared in dict.h):
 *   dict_open("type:name", ...), dict_open3(type, name, ...) and
 *   dict_open_strict(...) find the type in the registry (dict_registry.c)
 *   and call its open function. dict_get/dict_put/dict_del fold the key to
 *   lower case first when the table asks for it (DICT_FLAG_FOLD_FIX for
 *   fixed-key types, DICT_FLAG_FOLD_MUL for pattern types), using the
 *   dict's fold_buf, then call the type. dict_seq and dict_close pass
 *   through. dict_changed tells whether the table's file was replaced or
 *   modified since the table was opened.
 *
 * For type implementations: dict_alloc gives a zeroed dict (of the type's
 * own larger size) whose operations default to "not supported" (fatal, as
 * for a program error: the caller asked a read-only type to update, ...),
 * and dict_surrogate gives the stand-in for a table that failed to open.
 *
 * Surrogates: dict_open logs the open failure once as a warning and
 * returns a dict whose every operation logs "TYPE:NAME is unavailable.
 * REASON" and fails with DICT_ERR_CONFIG, so a daemon defers mail instead
 * of dying. Inside dict_open_strict no surrogate is made: the reason is
 * fatal at once (commands such as postmap, as Postfix's commands do).
 *
 * Bad input: a malformed "type:name" or an unknown type is an open failure
 * as above ("open dictionary: expecting \"type:name\" form instead of
 * ...", "unsupported dictionary type: foo"), never a crash.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "table/dict.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/stringops.h"

/* Non-zero while dict_open_strict is opening: surrogates are fatal. */
static int dict_strict_depth;

struct dict_surrogate {
    struct dict dict;
    char *type_copy; /* the type as given, for messages */
    char *reason;    /* why the open failed */
};

/* Default operations: a type that lacks one was used wrongly. */

static const char *
dict_default_lookup(struct dict *dict, const char *key)
{
    (void)key;
    msg_fatal("table %s:%s: lookup operation is not supported", dict->type, dict->name);
}

static int
dict_default_update(struct dict *dict, const char *key, const char *value)
{
    (void)key;
    (void)value;
    msg_fatal("table %s:%s: update operation is not supported", dict->type, dict->name);
}

static int
dict_default_delete(struct dict *dict, const char *key)
{
    (void)key;
    msg_fatal("table %s:%s: delete operation is not supported", dict->type, dict->name);
}

static int
dict_default_sequence(struct dict *dict, int function, const char **key, const char **value)
{
    (void)function;
    (void)key;
    (void)value;
    msg_fatal("table %s:%s: sequence operation is not supported", dict->type, dict->name);
}

/* dict_alloc - a zeroed dict of SIZE bytes with default operations. */
struct dict *
dict_alloc(const char *type, const char *name, size_t size)
{
    struct dict *dict;

    if (size < sizeof(struct dict))
        msg_panic("dict_alloc: size %zu is smaller than struct dict", size);
    dict = mycalloc(1, size);
    dict->type = type;
    dict->name = mystrdup(name);
    dict->lock_fd = -1;
    dict->lookup = dict_default_lookup;
    dict->update = dict_default_update;
    dict->delete = dict_default_delete;
    dict->sequence = dict_default_sequence;
    dict->close = dict_free;
    dict->fold_buf = vstring_alloc(64);
    return dict;
}

/* dict_free - release what dict_alloc made; a type's close calls it last. */
void
dict_free(struct dict *dict)
{
    myfree(dict->name);
    vstring_free(dict->fold_buf);
    myfree(dict);
}

/* Surrogate operations: each one logs why the table is missing. */

static void
dict_surrogate_complain(struct dict *dict)
{
    struct dict_surrogate *dp = (struct dict_surrogate *)dict;

    msg_warn("%s:%s is unavailable. %s", dict->type, dict->name, dp->reason);
    dict->error = DICT_ERR_CONFIG;
}

static const char *
dict_surrogate_lookup(struct dict *dict, const char *key)
{
    (void)key;
    dict_surrogate_complain(dict);
    return NULL;
}

static int
dict_surrogate_update(struct dict *dict, const char *key, const char *value)
{
    (void)key;
    (void)value;
    dict_surrogate_complain(dict);
    return DICT_STAT_FAIL;
}

static int
dict_surrogate_delete(struct dict *dict, const char *key)
{
    (void)key;
    dict_surrogate_complain(dict);
    return DICT_STAT_FAIL;
}

static int
dict_surrogate_sequence(struct dict *dict, int function, const char **key, const char **value)
{
    (void)function;
    *key = *value = NULL;
    dict_surrogate_complain(dict);
    return DICT_STAT_FAIL;
}

static void
dict_surrogate_close(struct dict *dict)
{
    struct dict_surrogate *dp = (struct dict_surrogate *)dict;

    myfree(dp->type_copy);
    myfree(dp->reason);
    dict_free(dict);
}

/*
 * dict_surrogate - the stand-in for a table that cannot be opened. Fatal
 * instead inside dict_open_strict.
 */
struct dict *
dict_surrogate(const char *type, const char *name, int open_flags, int dict_flags, const char *fmt,
               ...)
{
    int saved_errno = errno;
    struct dict_surrogate *dp;
    struct vstring *reason = vstring_alloc(100);
    va_list ap;

    va_start(ap, fmt);
    errno = saved_errno;
    vstring_vsprintf_append(reason, fmt, ap);
    va_end(ap);
    if (dict_strict_depth > 0)
        msg_fatal("%s", vstring_str(reason));
    msg_warn("%s", vstring_str(reason));
    dp = (struct dict_surrogate *)dict_alloc("", name, sizeof(*dp));
    dp->type_copy = mystrdup(type);
    dp->dict.type = dp->type_copy;
    dp->reason = vstring_export(reason);
    dp->dict.flags = dict_flags | DICT_FLAG_FIXED | DICT_FLAG_PATTERN; /* asked for any key */
    dp->dict.open_flags = open_flags;
    dp->dict.lookup = dict_surrogate_lookup;
    dp->dict.update = dict_surrogate_update;
    dp->dict.delete = dict_surrogate_delete;
    dp->dict.sequence = dict_surrogate_sequence;
    dp->dict.close = dict_surrogate_close;
    return &dp->dict;
}

/* dict_is_surrogate - did this table fail to open? */
int
dict_is_surrogate(const struct dict *dict)
{
    return dict->lookup == dict_surrogate_lookup;
}

/* dict_open3 - open NAME as a table of TYPE. */
struct dict *
dict_open3(const char *type, const char *name, int open_flags, int dict_flags)
{
    const struct dict_type *dt;
    struct dict *dict;

    if (*type == 0 || *name == 0)
        return dict_surrogate(type, name, open_flags, dict_flags,
                              "open dictionary: expecting \"type:name\" form instead of \"%s:%s\"",
                              type, name);
    if ((dt = dict_type_find(type)) == NULL)
        return dict_surrogate(type, name, open_flags, dict_flags, "unsupported dictionary type: %s",
                              type);
    dict = dt->open(name, open_flags, dict_flags);
    if (dict == NULL)
        msg_panic("dict_open3: %s:%s open returned no table", type, name);
    dict->open_flags = open_flags;
    if (dict_flags & DICT_FLAG_DEBUG)
        msg_info("dict_open: %s:%s", type, name);
    return dict;
}

/* dict_open - open a table named "type:name". */
struct dict *
dict_open(const char *type_name, int open_flags, int dict_flags)
{
    char *copy = mystrdup(type_name);
    char *name = split_at(copy, ':');
    struct dict *dict;

    if (name == NULL || *copy == 0 || *name == 0)
        dict = dict_surrogate(copy, name ? name : "", open_flags, dict_flags,
                              "open dictionary: expecting \"type:name\" form instead of \"%s\"",
                              type_name);
    else
        dict = dict_open3(copy, name, open_flags, dict_flags);
    myfree(copy);
    return dict;
}

/* dict_open_strict - dict_open, but any open failure is fatal. */
struct dict *
dict_open_strict(const char *type_name, int open_flags, int dict_flags)
{
    struct dict *dict;

    dict_strict_depth++;
    dict = dict_open(type_name, open_flags, dict_flags);
    dict_strict_depth--;
    return dict;
}

/* dict_open3_strict - dict_open3, but any open failure is fatal. */
struct dict *
dict_open3_strict(const char *type, const char *name, int open_flags, int dict_flags)
{
    struct dict *dict;

    dict_strict_depth++;
    dict = dict_open3(type, name, open_flags, dict_flags);
    dict_strict_depth--;
    return dict;
}

/* dict_fold_key - the key as the type must see it (folded or not). */
static const char *
dict_fold_key(struct dict *dict, const char *key)
{
    int fold = (dict->flags & DICT_FLAG_PATTERN) ? (dict->flags & DICT_FLAG_FOLD_MUL)
                                                 : (dict->flags & DICT_FLAG_FOLD_FIX);

    if (!fold)
        return key;
    vstring_strcpy(dict->fold_buf, key);
    return lowercase(vstring_str(dict->fold_buf));
}

const char *
dict_get(struct dict *dict, const char *key)
{
    const char *value;

    key = dict_fold_key(dict, key);
    dict->error = DICT_ERR_NONE;
    value = dict->lookup(dict, key);
    if (dict->flags & DICT_FLAG_DEBUG)
        msg_info("%s:%s lookup: \"%s\" = %s%s%s", dict->type, dict->name, key, value ? "\"" : "",
                 value         ? value
                 : dict->error ? "(error)"
                               : "(not found)",
                 value ? "\"" : "");
    return value;
}

int
dict_put(struct dict *dict, const char *key, const char *value)
{
    int status;

    key = dict_fold_key(dict, key);
    dict->error = DICT_ERR_NONE;
    status = dict->update(dict, key, value);
    if (dict->flags & DICT_FLAG_DEBUG)
        msg_info("%s:%s update: \"%s\" = \"%s\": status %d", dict->type, dict->name, key, value,
                 status);
    return status;
}

int
dict_del(struct dict *dict, const char *key)
{
    int status;

    key = dict_fold_key(dict, key);
    dict->error = DICT_ERR_NONE;
    status = dict->delete (dict, key);
    if (dict->flags & DICT_FLAG_DEBUG)
        msg_info("%s:%s delete: \"%s\": status %d", dict->type, dict->name, key, status);
    return status;
}

int
dict_seq(struct dict *dict, int function, const char **key, const char **value)
{
    if (function != DICT_SEQ_FUN_FIRST && function != DICT_SEQ_FUN_NEXT)
        msg_panic("dict_seq: bad function %d", function);
    dict->error = DICT_ERR_NONE;
    return dict->sequence(dict, function, key, value);
}

void
dict_close(struct dict *dict)
{
    dict->close(dict);
}

/*
 * dict_changed - has the table's file been modified or replaced since the
 * table was opened? Types that read a file record its mtime in
 * dict->mtime at open; the file is NAME, or NAME.db for the Berkeley DB
 * types (dict_type needs_file). A file that vanished counts as changed.
 */
int
dict_changed(struct dict *dict)
{
    const struct dict_type *dt;
    struct vstring *path;
    struct stat st;
    int changed;

    if (dict->mtime == 0 || dict_is_surrogate(dict) || dict->name[0] == '{')
        return 0;
    path = vstring_alloc(100);
    vstring_strcpy(path, dict->name);
    if ((dt = dict_type_find(dict->type)) != NULL && dt->needs_file)
        vstring_strcat(path, ".db");
    changed = (stat(vstring_str(path), &st) < 0 || st.st_mtime != dict->mtime);
    vstring_free(path);
    return changed;
}
