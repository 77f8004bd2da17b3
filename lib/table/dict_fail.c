/*
 * dict_fail - the "fail" table type: every operation fails with a
 * temporary error (DICT_ERR_RETRY), whatever the name. Useful to make mail
 * that would consult a table wait, e.g. "transport_maps = fail:stop".
 *
 * Entry point: dict_fail_open(name, open_flags, dict_flags).
 * Never fails to open; logs nothing (callers report the failed lookup).
 */
#include "table/dict_types.h"

static const char *
dict_fail_lookup(struct dict *dict, const char *key)
{
    (void)key;
    dict->error = DICT_ERR_RETRY;
    return NULL;
}

static int
dict_fail_update(struct dict *dict, const char *key, const char *value)
{
    (void)key;
    (void)value;
    dict->error = DICT_ERR_RETRY;
    return DICT_STAT_FAIL;
}

static int
dict_fail_delete(struct dict *dict, const char *key)
{
    (void)key;
    dict->error = DICT_ERR_RETRY;
    return DICT_STAT_FAIL;
}

static int
dict_fail_sequence(struct dict *dict, int function, const char **key, const char **value)
{
    (void)function;
    *key = *value = NULL;
    dict->error = DICT_ERR_RETRY;
    return DICT_STAT_FAIL;
}

struct dict *
dict_fail_open(const char *name, int open_flags, int dict_flags)
{
    struct dict *dict = dict_alloc("fail", name, sizeof(*dict));

    (void)open_flags;
    dict->flags = dict_flags | DICT_FLAG_PATTERN;
    dict->lookup = dict_fail_lookup;
    dict->update = dict_fail_update;
    dict->delete = dict_fail_delete;
    dict->sequence = dict_fail_sequence;
    return dict;
}
