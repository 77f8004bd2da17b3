/*
 * dict_environ - the "environ" table type: the process environment.
 * A lookup of KEY returns getenv(KEY); dict_put sets a variable. The name
 * after "environ:" is not used.
 *
 * Entry point: dict_environ_open(name, open_flags, dict_flags).
 *
 * Keys are folded like any fixed-key table when DICT_FLAG_FOLD_FIX is set
 * (then only lower-case variable names can match, as in Postfix). Delete
 * and sequence are not supported.
 */
#include <stdlib.h>

#include "table/dict_types.h"
#include "util/msg.h"

static const char *
dict_environ_lookup(struct dict *dict, const char *key)
{
    (void)dict;
    return getenv(key);
}

static int
dict_environ_update(struct dict *dict, const char *key, const char *value)
{
    if (setenv(key, value, 1) < 0) {
        msg_warn("setenv %s: %m", key);
        dict->error = DICT_ERR_RETRY;
        return DICT_STAT_FAIL;
    }
    return DICT_STAT_SUCCESS;
}

struct dict *
dict_environ_open(const char *name, int open_flags, int dict_flags)
{
    struct dict *dict = dict_alloc("environ", name, sizeof(*dict));

    (void)open_flags;
    dict->flags = dict_flags | DICT_FLAG_FIXED;
    dict->lookup = dict_environ_lookup;
    dict->update = dict_environ_update;
    return dict;
}
