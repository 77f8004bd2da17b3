/*
 * dsn_filter - replace a delivery result's status code and text through
 * lookup tables; see dsn_filter.h.
 *
 * Invariant: a result never changes a success into a failure or back;
 * only the code's detail, the class between 4 and 5, and the text may
 * change. Bad table results come from the administrator: a warning, and
 * the original result stands.
 */
#include <ctype.h>
#include <string.h>

#include "mail/dsn_filter.h"
#include "table/dict.h"
#include "util/msg.h"
#include "util/mymalloc.h"

size_t
dsn_status_valid(const char *text)
{
    const char *cp = text;
    size_t digits;

    if (*cp != '2' && *cp != '4' && *cp != '5')
        return 0;
    if (*++cp != '.')
        return 0;
    for (int part = 0; part < 2; part++) {
        for (digits = 0, cp++; isdigit((unsigned char)*cp); cp++)
            digits++;
        if (digits < 1 || digits > 3)
            return 0;
        if (part == 0 && *cp != '.')
            return 0;
    }
    if (*cp != 0 && *cp != ' ')
        return 0;
    return (size_t)(cp - text);
}

struct dsn_filter *
dsn_filter_create(const char *title, const char *map_names)
{
    struct dsn_filter *fp;

    if (map_names == NULL || map_names[strspn(map_names, ", \t\r\n")] == 0)
        return NULL;
    fp = mymalloc(sizeof(*fp));
    fp->maps = maps_create(title, map_names, DICT_FLAG_DEFAULT | DICT_FLAG_LOCK);
    fp->key = vstring_alloc(100);
    return fp;
}

/* Is RESULT's code of the same kind (success or failure) as STATUS's? */
static int
dsn_filter_same_kind(const char *status, const char *result)
{
    return (status[0] == '2') == (result[0] == '2');
}

int
dsn_filter_lookup(struct dsn_filter *fp, const char *status, const char *reason,
                  struct vstring *new_status, struct vstring *new_reason, int quiet)
{
    const char *result;
    const char *text;
    size_t len;

    if (fp == NULL || dsn_status_valid(status) == 0)
        return 0;
    vstring_sprintf(fp->key, "%s %s", status, reason);
    if ((result = maps_find(fp->maps, vstring_str(fp->key), 0)) == NULL)
        return 0; /* not found, or a lookup error (logged by maps_find) */
    if ((len = dsn_status_valid(result)) == 0 || !dsn_filter_same_kind(status, result)) {
        if (!quiet)
            msg_warn("%s: bad status code: %s", fp->maps->title, result);
        return 0;
    }
    for (text = result + len; *text == ' '; text++)
        /* skip */;
    vstring_strncpy(new_status, result, len);
    vstring_strcpy(new_reason, *text ? text : reason);
    return 1;
}

void
dsn_filter_free(struct dsn_filter *fp)
{
    if (fp == NULL)
        return;
    maps_free(fp->maps);
    vstring_free(fp->key);
    myfree(fp);
}
