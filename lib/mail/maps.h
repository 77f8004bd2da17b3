/*
 * maps - a list of lookup tables searched in order, as a main.cf parameter
 * such as "virtual_alias_maps = hash:/etc/postfix/virtual, regexp:/x" names.
 *
 *   maps_create(title, map_names, dict_flags)
 *       opens every "type:name" of MAP_NAMES (separated by commas and/or
 *       white space; a {...} group such as inline:{ a=b, c=d } is one
 *       name) read-only with DICT_FLAGS. TITLE is the parameter name, used
 *       in messages. A table that cannot be opened becomes a surrogate
 *       (dict_open): lookups through it fail with an error, they are never
 *       silently "not found".
 *   maps_find(maps, key, flags)
 *       asks each table in turn; the first that has KEY wins. FLAGS = 0
 *       asks every table; FLAGS = DICT_FLAG_FIXED asks only fixed-key
 *       tables (what the partial-key search of addr_find uses for partial
 *       keys, so regexp/pcre/cidr tables see only whole strings). Returns
 *       the value (owned by the table, valid until its next lookup), or
 *       NULL. On NULL, maps->error is DICT_ERR_NONE for "not found", or the
 *       failing table's error: the search stops at the first table that
 *       fails ("TYPE:NAME lookup error for \"key\"" is logged). An empty
 *       value is reported and treated as a configuration error, and an
 *       empty key is "not found" without any lookup, as in Postfix.
 *   maps_changed(maps)  has any table's file changed since it was opened?
 *   maps_free(maps)     closes the tables.
 */
#ifndef TERN_MAPS_H
#define TERN_MAPS_H

#include "table/dict.h"
#include "util/argv.h"

struct maps {
    char *title;         /* parameter name, for messages */
    struct argv *names;  /* "type:name" of each table, in search order */
    struct dict **dicts; /* the open tables, parallel to names */
    int error;           /* DICT_ERR_* of the last maps_find */
};

struct maps *maps_create(const char *title, const char *map_names, int dict_flags);
const char *maps_find(struct maps *maps, const char *key, int flags);
int maps_changed(struct maps *maps);
void maps_free(struct maps *maps);

#endif
