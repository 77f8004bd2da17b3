/*
 * domain_list - host and domain name lists of main.cf; see domain_list.h
 * for the pattern syntax, the subdomain rules and the error contract.
 *
 * Invariant: patterns->argc entries, and dicts[i] is the open table of
 * patterns[i] when that pattern is "type:table" or "!type:table", else
 * NULL. Files are expanded into their patterns at creation time.
 */
#include <ctype.h>
#include <fcntl.h>
#include <string.h>

#include "mail/domain_list.h"
#include "util/extpar.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/stringops.h"
#include "util/vstream.h"
#include "util/vstring.h"

#define DOMAIN_LIST_SEP ", \t\r\n"
#define DOMAIN_LIST_DEPTH 10        /* nested /file/name expansions */
#define DOMAIN_LIST_LINE_MAX 100000 /* bytes in one line of a pattern file */

/* Flags for the tables of a list: read-only, keys folded to lower case. */
#define DOMAIN_LIST_DICT_FLAGS (DICT_FLAG_DUP_WARN | DICT_FLAG_FOLD_FIX)

static void domain_list_parse(struct domain_list *list, const char *value, int depth);

/* Is PATTERN (after any '!') a "type:table"? "[ip]:port" forms are not. */
static int
domain_list_is_table(const char *pattern)
{
    return pattern[0] != '[' && strchr(pattern, ':') != NULL;
}

/* Appends the patterns of FILE; a file that cannot be read is fatal. */
static void
domain_list_read_file(struct domain_list *list, const char *path, int negate, int depth)
{
    struct vstream *fp;
    struct vstring *line = vstring_alloc(100);
    const char *cp;

    if (negate)
        msg_fatal("%s: negated file patterns are not supported: !%s", list->title, path);
    if ((fp = vstream_fopen(path, O_RDONLY, 0)) == NULL)
        msg_fatal("%s: open file %s: %m", list->title, path);
    while (vstream_get_line(fp, line, DOMAIN_LIST_LINE_MAX) != VSTREAM_EOF) {
        for (cp = vstring_str(line); isspace((unsigned char)*cp); cp++)
            continue;
        if (*cp != '#')
            domain_list_parse(list, cp, depth + 1);
    }
    if (vstream_error(fp))
        msg_fatal("%s: read file %s: %m", list->title, path);
    vstream_close(fp);
    vstring_free(line);
}

/* Adds one pattern: a name, a table or a file, each optionally negated. */
static void
domain_list_add(struct domain_list *list, char *pattern, int depth)
{
    const char *bare = pattern[0] == '!' ? pattern + 1 : pattern;
    struct dict *dict = NULL;

    if (*bare == '/') {
        domain_list_read_file(list, bare, bare != pattern, depth);
        return;
    }
    if (*bare == 0) {
        msg_warn("%s: ignoring empty pattern \"%s\"", list->title, pattern);
        return;
    }
    if (domain_list_is_table(bare))
        dict = dict_open(bare, O_RDONLY, DOMAIN_LIST_DICT_FLAGS);
    else
        lowercase(pattern);
    argv_add(list->patterns, pattern);
    list->dicts = myrealloc(list->dicts, sizeof(*list->dicts) * (list->patterns->argc + 1));
    list->dicts[list->patterns->argc - 1] = dict;
}

static void
domain_list_parse(struct domain_list *list, const char *value, int depth)
{
    char *copy = mystrdup(value);
    char *cp = copy;
    char *pattern;

    if (depth > DOMAIN_LIST_DEPTH)
        msg_fatal("%s: files nested more than %d deep", list->title, DOMAIN_LIST_DEPTH);
    while ((pattern = mystrtokq(&cp, DOMAIN_LIST_SEP, "{}")) != NULL)
        domain_list_add(list, pattern, depth);
    myfree(copy);
}

struct domain_list *
domain_list_create(const char *title, const char *value, int flags)
{
    struct domain_list *list = mymalloc(sizeof(*list));

    list->title = mystrdup(title);
    list->flags = flags;
    list->patterns = argv_alloc(4);
    list->dicts = mycalloc(1, sizeof(*list->dicts));
    list->error = DICT_ERR_NONE;
    domain_list_parse(list, value, 0);
    return list;
}

/* Does literal PATTERN match NAME (both lower case)? */
static int
domain_list_match_name(const struct domain_list *list, const char *name, const char *pattern)
{
    size_t name_len = strlen(name);
    size_t pat_len = strlen(pattern);
    const char *tail;

    if (strcmp(name, pattern) == 0)
        return 1;
    if (!(list->flags & DOMAIN_LIST_SUBDOMAINS) || pat_len >= name_len || pat_len == 0)
        return 0;
    tail = name + name_len - pat_len;
    if (list->flags & DOMAIN_LIST_PARENT) /* as Postfix: ".domain" then never matches */
        return tail[-1] == '.' && strcmp(tail, pattern) == 0;
    return pattern[0] == '.' && strcmp(tail, pattern) == 0;
}

/*
 * Is NAME (or, with subdomain matching and a fixed-key table, a parent
 * domain) a key of DICT? 1, 0, or -1 with list->error set.
 */
static int
domain_list_match_table(struct domain_list *list, struct dict *dict, const char *name)
{
    const char *key = name;
    const char *next;

    for (;;) {
        if (dict_get(dict, key) != NULL)
            return 1;
        if (dict->error != DICT_ERR_NONE) {
            list->error = dict->error;
            msg_warn("%s: %s:%s lookup error for \"%s\"", list->title, dict->type, dict->name, key);
            return -1;
        }
        if (!(list->flags & DOMAIN_LIST_SUBDOMAINS) || !(dict->flags & DICT_FLAG_FIXED))
            return 0;
        if ((next = strchr(key + 1, '.')) == NULL)
            return 0;
        key = (list->flags & DOMAIN_LIST_PARENT) ? next + 1 : next;
        if (*key == 0)
            return 0;
    }
}

int
domain_list_match(struct domain_list *list, const char *name)
{
    char *folded;
    const char *pattern;
    int negate;
    int found = 0;
    size_t i;

    list->error = DICT_ERR_NONE;
    if (*name == 0)
        return 0;
    folded = lowercase(mystrdup(name));
    for (i = 0; i < list->patterns->argc; i++) {
        pattern = list->patterns->argv[i];
        if ((negate = (pattern[0] == '!')) != 0)
            pattern++;
        found = list->dicts[i] ? domain_list_match_table(list, list->dicts[i], folded)
                               : domain_list_match_name(list, folded, pattern);
        if (found < 0)
            break;
        if (found > 0) {
            found = !negate;
            break;
        }
    }
    myfree(folded);
    return found;
}

int
domain_list_changed(struct domain_list *list)
{
    size_t i;

    for (i = 0; i < list->patterns->argc; i++)
        if (list->dicts[i] != NULL && dict_changed(list->dicts[i]))
            return 1;
    return 0;
}

void
domain_list_free(struct domain_list *list)
{
    size_t i;

    for (i = 0; i < list->patterns->argc; i++)
        if (list->dicts[i] != NULL)
            dict_close(list->dicts[i]);
    myfree(list->dicts);
    argv_free(list->patterns);
    myfree(list->title);
    myfree(list);
}
