/*
 * dict_registry - the list of table types that work in this build.
 *
 * dict_type_find("hash") returns the entry for a type name, or NULL for a
 * type Tern does not have. dict_type_list() returns every entry, sorted by
 * name and ended by an entry whose type is NULL; "postconf -m" prints it,
 * so only types that really work are listed here.
 */
#include <string.h>

#include "table/dict.h"
#include "table/dict_types.h"

/* clang-format off */
static const struct dict_type dict_registry[] = {
    {"btree", dict_btree_open, 1},
    {"cidr", dict_cidr_open, 0},
    {"environ", dict_environ_open, 0},
    {"fail", dict_fail_open, 0},
    {"hash", dict_hash_open, 1},
    {"inline", dict_inline_open, 0},
    {"pcre", dict_pcre_open, 0},
    {"regexp", dict_regexp_open, 0},
    {"static", dict_static_open, 0},
    {"texthash", dict_texthash_open, 0},
    {"unix", dict_unix_open, 0},
    {NULL, NULL, 0},
};
/* clang-format on */

const struct dict_type *
dict_type_find(const char *type)
{
    const struct dict_type *dt;

    for (dt = dict_registry; dt->type != NULL; dt++)
        if (strcmp(dt->type, type) == 0)
            return dt;
    return NULL;
}

const struct dict_type *
dict_type_list(void)
{
    return dict_registry;
}
