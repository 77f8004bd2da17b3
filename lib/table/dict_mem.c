/*
 * dict_mem - in-memory fixed-key table; see dict_mem.h.
 *
 * An htable maps each key to a mystrdup'ed value; the htable keeps
 * insertion order, which dict_seq follows. Everything is freed at close.
 */
#include "table/dict_mem.h"
#include "util/htable.h"
#include "util/mymalloc.h"

struct dict_mem {
    struct dict dict;
    struct htable *table;
    struct htable_entry *cursor; /* next entry for dict_seq */
};

static const char *
dict_mem_lookup(struct dict *dict, const char *key)
{
    return htable_find(((struct dict_mem *)dict)->table, key);
}

static int
dict_mem_sequence(struct dict *dict, int function, const char **key, const char **value)
{
    struct dict_mem *dp = (struct dict_mem *)dict;

    if (function == DICT_SEQ_FUN_FIRST)
        dp->cursor = htable_first(dp->table);
    if (dp->cursor == NULL) {
        *key = *value = NULL;
        return DICT_STAT_ERROR;
    }
    *key = dp->cursor->key;
    *value = dp->cursor->value;
    dp->cursor = htable_next(dp->cursor);
    return DICT_STAT_SUCCESS;
}

static void
dict_mem_close(struct dict *dict)
{
    htable_free(((struct dict_mem *)dict)->table, myfree);
    dict_free(dict);
}

struct dict *
dict_mem_create(const char *type, const char *name, int dict_flags)
{
    struct dict_mem *dp = (struct dict_mem *)dict_alloc(type, name, sizeof(*dp));

    dp->table = htable_create(64);
    dp->dict.flags = dict_flags | DICT_FLAG_FIXED;
    dp->dict.lookup = dict_mem_lookup;
    dp->dict.sequence = dict_mem_sequence;
    dp->dict.close = dict_mem_close;
    return &dp->dict;
}

int
dict_mem_enter(struct dict *dict, const char *key, const char *value)
{
    struct dict_mem *dp = (struct dict_mem *)dict;
    struct htable_entry *ht;

    if ((ht = htable_locate(dp->table, key)) == NULL) {
        htable_enter(dp->table, key, mystrdup(value));
        return 1;
    }
    if (dict->flags & DICT_FLAG_DUP_REPLACE) {
        myfree(ht->value);
        ht->value = mystrdup(value);
    }
    return 0;
}

const char *
dict_mem_find(struct dict *dict, const char *key)
{
    return htable_find(((struct dict_mem *)dict)->table, key);
}
