/*
 * dict_types - the open function of every table type Tern has.
 *
 * Each function opens NAME (the part after "type:") with open(2)-style
 * OPEN_FLAGS and DICT_FLAG_* DICT_FLAGS, and returns a struct dict, or a
 * surrogate (dict_surrogate) when the table cannot be opened; never NULL.
 * Callers use dict_open("type:name", ...); only the registry
 * (dict_registry.c) and unit tests call these directly.
 */
#ifndef TERN_DICT_TYPES_H
#define TERN_DICT_TYPES_H

#include "table/dict.h"

/* Berkeley DB files NAME.db (dict_db.c; see dict_db.h for building). */
struct dict *dict_hash_open(const char *name, int open_flags, int dict_flags);
struct dict *dict_btree_open(const char *name, int open_flags, int dict_flags);

/* Pattern tables (dict_cidr.c, dict_pcre.c, dict_regexp.c). */
struct dict *dict_cidr_open(const char *name, int open_flags, int dict_flags);
struct dict *dict_pcre_open(const char *name, int open_flags, int dict_flags);
struct dict *dict_regexp_open(const char *name, int open_flags, int dict_flags);

/* Tables held in memory or computed. */
struct dict *dict_texthash_open(const char *name, int open_flags, int dict_flags);
struct dict *dict_inline_open(const char *name, int open_flags, int dict_flags);
struct dict *dict_static_open(const char *name, int open_flags, int dict_flags);
struct dict *dict_unix_open(const char *name, int open_flags, int dict_flags);
struct dict *dict_fail_open(const char *name, int open_flags, int dict_flags);
struct dict *dict_environ_open(const char *name, int open_flags, int dict_flags);

#endif
