/*
 * dict_static - the "static" table type: every lookup finds the same
 * value, the table name itself (static:value), or the text inside braces
 * with the white space around it removed (static:{ value with spaces }).
 *
 * Entry point: dict_static_open(name, open_flags, dict_flags).
 *
 * Bad input: unbalanced braces or text after the closing brace give a
 * surrogate "bad static:name syntax: missing '}' in \"{...\"" (or "syntax
 * error after '}' ..."). Update, delete and sequence are not supported.
 */
#include "table/dict_types.h"
#include "util/extpar.h"
#include "util/mymalloc.h"

struct dict_static {
    struct dict dict;
    char *value;
};

static const char *
dict_static_lookup(struct dict *dict, const char *key)
{
    (void)key;
    return ((struct dict_static *)dict)->value;
}

static void
dict_static_close(struct dict *dict)
{
    myfree(((struct dict_static *)dict)->value);
    dict_free(dict);
}

struct dict *
dict_static_open(const char *name, int open_flags, int dict_flags)
{
    struct dict_static *dp;
    struct vstring *why;
    char *copy = mystrdup(name);
    char *value = copy;
    const char *err = NULL;
    struct dict *dict;

    why = vstring_alloc(100);
    if (*value == '{')
        err = extpar(&value, "{}", EXTPAR_FLAG_STRIP, why);
    if (err != NULL) {
        dict = dict_surrogate("static", name, open_flags, dict_flags, "bad static:name syntax: %s",
                              err);
    } else {
        dp = (struct dict_static *)dict_alloc("static", name, sizeof(*dp));
        dp->value = mystrdup(value);
        dp->dict.flags = dict_flags | DICT_FLAG_FIXED;
        dp->dict.lookup = dict_static_lookup;
        dp->dict.close = dict_static_close;
        dict = &dp->dict;
    }
    vstring_free(why);
    myfree(copy);
    return dict;
}
