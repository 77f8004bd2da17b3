/*
 * dict_mem - an in-memory fixed-key table, the storage behind texthash
 * and inline tables.
 *
 *   dict_mem_create(type, name, dict_flags)  an empty table of TYPE
 *   dict_mem_enter(dict, key, value)         add an entry; KEY must already
 *                                            be folded as the table needs
 *   dict_mem_find(dict, key)                 the value of KEY or NULL
 *
 * dict_mem_enter returns 1 when the key was new; for a key already present
 * it returns 0 and replaces the value only with DICT_FLAG_DUP_REPLACE
 * (callers decide what to say about duplicates). Lookups and dict_seq
 * work as for any dict (sequence in insertion order); dict_put and
 * dict_del are not supported, as these tables are read-only.
 */
#ifndef TERN_DICT_MEM_H
#define TERN_DICT_MEM_H

#include "table/dict.h"

struct dict *dict_mem_create(const char *type, const char *name, int dict_flags);
int dict_mem_enter(struct dict *dict, const char *key, const char *value);
const char *dict_mem_find(struct dict *dict, const char *key);

#endif
