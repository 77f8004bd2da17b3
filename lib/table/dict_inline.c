/*
 * dict_inline - the "inline" table type: entries written in the table name,
 * inline:{ key=value, { key = value with spaces }, ... }.
 *
 * Entry point: dict_inline_open(name, O_RDONLY, dict_flags).
 *
 * Syntax: the name is one non-empty balanced {...} group (nothing before
 * or after).
 * Inside, entries are separated by commas and/or white space; an entry that
 * holds spaces is itself enclosed in { }. Each entry is key=value: the key
 * ends at the first unquoted white space or '=' (a backslash or "double
 * quotes" keep those in the key, which is stored as written), white space
 * around '=' and at the ends of the value is dropped, and the value may be
 * empty. A later entry for the same key replaces an earlier one. Keys are
 * folded when DICT_FLAG_FOLD_FIX is set.
 *
 * Bad input gives a surrogate whose reason reads "ERROR: \"inline:NAME\";
 * need \"inline:{name=value...}\"", where ERROR is "bad syntax", "empty
 * table", "missing '=' after attribute name", "no key found; expected
 * format: key = value", "unbalanced '\"'" or an extpar error, the words
 * Postfix uses.
 */
#include <ctype.h>
#include <string.h>

#include "table/dict_mem.h"
#include "table/dict_types.h"
#include "util/extpar.h"
#include "util/mymalloc.h"
#include "util/stringops.h"

#define INLINE_SEP ", \t\r\n"

/* Splits "key = value" in place; returns NULL or the reason it is bad. */
static const char *
dict_inline_split(char *entry, char **key, char **value)
{
    int in_quotes = 0;
    char *cp;
    char *end;

    for (cp = entry; isspace((unsigned char)*cp); cp++)
        ;
    if (*cp == 0)
        return "no key found; expected format: key = value";
    *key = cp;
    for (end = cp; *end; end++) {
        if (*end == '\\') {
            if (*++end == 0)
                break;
        } else if (isspace((unsigned char)*end) || *end == '=') {
            if (!in_quotes)
                break;
        } else if (*end == '"') {
            in_quotes = !in_quotes;
        }
    }
    if (in_quotes)
        return "unbalanced '\"'";
    for (cp = end; isspace((unsigned char)*cp); cp++)
        ;
    if (*cp != '=')
        return "missing '=' after attribute name";
    *end = 0;
    for (cp++; isspace((unsigned char)*cp); cp++)
        ;
    *value = trim_blanks(cp);
    return NULL;
}

/* Parses the entries of SPEC (the text inside the outer braces) into DICT. */
static const char *
dict_inline_parse(struct dict *dict, char *spec, struct vstring *why, int *count)
{
    struct vstring *folded = vstring_alloc(64);
    const char *err = NULL;
    char *entry;
    char *key;
    char *value;

    while (err == NULL && (entry = mystrtokq(&spec, INLINE_SEP, "{}")) != NULL) {
        if (entry[0] == '{' && (err = extpar(&entry, "{}", EXTPAR_FLAG_STRIP, why)) != NULL)
            break;
        if ((err = dict_inline_split(entry, &key, &value)) != NULL)
            break;
        if (dict->flags & DICT_FLAG_FOLD_FIX)
            key = lowercase(vstring_str(vstring_strcpy(folded, key)));
        dict_mem_enter(dict, key, value);
        *count += 1;
    }
    vstring_free(folded);
    return err;
}

struct dict *
dict_inline_open(const char *name, int open_flags, int dict_flags)
{
    struct vstring *why = vstring_alloc(100);
    char *copy = mystrdup(name);
    char *spec = copy;
    const char *err = NULL;
    struct dict *dict = NULL;
    int count = 0;
    size_t len;

    if ((open_flags & O_ACCMODE) != O_RDONLY) {
        dict = dict_surrogate("inline", name, open_flags, dict_flags,
                              "inline:%s map requires O_RDONLY access mode", name);
    } else if ((len = balpar(spec, "{}")) == 0 || spec[len] != 0 || len == 2) {
        err = "bad syntax";
    } else {
        (void)extpar(&spec, "{}", EXTPAR_FLAG_STRIP, why);
        dict = dict_mem_create("inline", name, dict_flags | DICT_FLAG_DUP_REPLACE);
        if ((err = dict_inline_parse(dict, spec, why, &count)) == NULL && count == 0)
            err = "empty table";
        if (err != NULL) {
            dict_close(dict);
            dict = NULL;
        }
    }
    if (err != NULL)
        dict = dict_surrogate("inline", name, open_flags, dict_flags,
                              "%s: \"inline:%s\"; need \"inline:{name=value...}\"", err, name);
    myfree(copy);
    vstring_free(why);
    return dict;
}
