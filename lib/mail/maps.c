/*
 * maps - ordered lists of lookup tables; see maps.h.
 *
 * Invariant: names->argc tables are open, dicts[i] belongs to names[i].
 */
#include <string.h>

#include "mail/maps.h"
#include "util/extpar.h"
#include "util/msg.h"
#include "util/mymalloc.h"

#define MAPS_SEP ", \t\r\n"

struct maps *
maps_create(const char *title, const char *map_names, int dict_flags)
{
    struct maps *maps = mymalloc(sizeof(*maps));
    char *copy = mystrdup(map_names);
    char *cp = copy;
    char *name;
    size_t i;

    maps->title = mystrdup(title);
    maps->names = argv_alloc(4);
    maps->error = DICT_ERR_NONE;
    while ((name = mystrtokq(&cp, MAPS_SEP, "{}")) != NULL)
        argv_add(maps->names, name);
    myfree(copy);
    maps->dicts = mycalloc(maps->names->argc + 1, sizeof(*maps->dicts));
    for (i = 0; i < maps->names->argc; i++)
        maps->dicts[i] = dict_open(maps->names->argv[i], O_RDONLY, dict_flags);
    return maps;
}

const char *
maps_find(struct maps *maps, const char *key, int flags)
{
    struct dict *dict;
    const char *value;
    size_t i;

    maps->error = DICT_ERR_NONE;
    if (*key == 0)
        return NULL;
    for (i = 0; i < maps->names->argc; i++) {
        dict = maps->dicts[i];
        if (flags != 0 && (dict->flags & flags) == 0)
            continue;
        if ((value = dict_get(dict, key)) != NULL) {
            if (*value == 0) {
                msg_warn("%s lookup of %s returns an empty string result", maps->title, key);
                msg_warn("%s should return NO RESULT in case of NOT FOUND", maps->title);
                maps->error = DICT_ERR_CONFIG;
                return NULL;
            }
            if (msg_verbose)
                msg_info("maps_find: %s: %s: %s = %.100s", maps->title, maps->names->argv[i], key,
                         value);
            return value;
        }
        if (dict->error != DICT_ERR_NONE) {
            maps->error = dict->error;
            msg_warn("%s:%s lookup error for \"%s\"", dict->type, dict->name, key);
            return NULL;
        }
    }
    return NULL;
}

int
maps_changed(struct maps *maps)
{
    size_t i;

    for (i = 0; i < maps->names->argc; i++)
        if (dict_changed(maps->dicts[i]))
            return 1;
    return 0;
}

void
maps_free(struct maps *maps)
{
    size_t i;

    for (i = 0; i < maps->names->argc; i++)
        dict_close(maps->dicts[i]);
    myfree(maps->dicts);
    argv_free(maps->names);
    myfree(maps->title);
    myfree(maps);
}
