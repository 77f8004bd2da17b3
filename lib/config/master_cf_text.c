/*
 * master_cf_text - the lexical helpers of master.cf and its text view, the
 * form postconf shows and edits; see master_cf.h.
 *
 * A text entry keeps columns 0-7 exactly as written. The arguments after
 * the command are normalized the way postconf(1) does it, so that -M, -F
 * and -P print what Postfix prints:
 *   - daemon options are the arguments up to the first one that does not
 *     start with "-" (or is "--"); an option whose letter is "o" (and, as
 *     in Postfix, a lone "-") takes the next argument as its value;
 *   - an option cluster with an "o" after its first letter is cut there
 *     ("-vo" becomes "-v" "-o"), and "-oVALUE" becomes "-o" "VALUE";
 *   - a braced option value loses its braces and, after -o, the white
 *     space around its name and "=" ("{ a = b c }" becomes "a=b c");
 *   - a braced non-option argument loses its braces.
 * Problems found while normalizing are warnings ("master.cf: missing '}'
 * in ..."), as in Postfix; the entry is still used.
 *
 * params maps each "-o name=value" of the daemon options to its value (a
 * later setting of a name wins); it is rebuilt after every change.
 */
#include <stdlib.h>
#include <string.h>

#include "config/master_cf.h"
#include "util/extpar.h"
#include "util/msg.h"
#include "util/mymalloc.h"

static const char *const master_cf_field_names[MASTER_CF_FIELDS] = {
    "service", "type", "private", "unprivileged", "chroot", "wakeup", "process_limit", "command",
};

static const char *const master_cf_type_names[] = {
    "", "inet", "unix", "unix-dgram", "fifo", "pass", NULL,
};

struct argv *
master_cf_split(const char *line)
{
    char *copy = mystrdup(line);
    char *cp = copy;
    char *token;
    struct argv *fields = argv_alloc(16);

    while ((token = mystrtokq(&cp, MASTER_CF_BLANKS, MASTER_CF_BRACES)) != NULL)
        argv_add(fields, token);
    myfree(copy);
    return fields;
}

const char *
master_cf_nameval(char *buf, char **name, char **value)
{
    char *np = buf + strspn(buf, MASTER_CF_BLANKS);
    char *ep = np + strcspn(np, MASTER_CF_BLANKS "=");
    char *cp = ep + strspn(ep, MASTER_CF_BLANKS);
    char *vp;
    char *end;

    if (ep == np)
        return "missing attribute name";
    if (*cp != '=')
        return "missing '=' after attribute name";
    *ep = 0;
    vp = cp + 1;
    vp += strspn(vp, MASTER_CF_BLANKS);
    for (end = vp + strlen(vp); end > vp && strchr(MASTER_CF_BLANKS, end[-1]) != NULL; end--)
        ;
    *end = 0;
    *name = np;
    *value = vp;
    return NULL;
}

int
master_cf_type_code(const char *type)
{
    int code;

    for (code = 1; master_cf_type_names[code] != NULL; code++)
        if (strcmp(type, master_cf_type_names[code]) == 0)
            return code;
    return 0;
}

const char *
master_cf_field_name(int field)
{
    if (field < 0 || field >= MASTER_CF_FIELDS)
        msg_panic("master_cf_field_name: bad field %d", field);
    return master_cf_field_names[field];
}

int
master_cf_field_code(const char *name)
{
    int field;

    for (field = 0; field < MASTER_CF_FIELDS; field++)
        if (strcmp(name, master_cf_field_names[field]) == 0)
            return field;
    return -1;
}

/* Vector surgery: the argv module only appends. */

static void
text_argv_insert(struct argv *ap, size_t where, const char *str)
{
    size_t i;

    argv_add(ap, str);
    for (i = ap->argc - 1; i > where; i--) {
        char *tmp = ap->argv[i];

        ap->argv[i] = ap->argv[i - 1];
        ap->argv[i - 1] = tmp;
    }
}

static void
text_argv_replace(struct argv *ap, size_t where, const char *str)
{
    char *copy = mystrdup(str);

    myfree(ap->argv[where]);
    ap->argv[where] = copy;
}

static void
text_argv_delete(struct argv *ap, size_t where, size_t count)
{
    size_t i;

    for (i = where; i < where + count; i++)
        myfree(ap->argv[i]);
    memmove(ap->argv + where, ap->argv + where + count,
            (ap->argc - where - count + 1) * sizeof(ap->argv[0]));
    ap->argc -= count;
}

/* Does this daemon option take the next argument as its value? */
static int
text_option_has_value(const char *arg)
{
    return arg[1] == 'o' || arg[1] == 0;
}

static int
text_is_option(const char *arg)
{
    return arg[0] == '-' && strcmp(arg, "--") != 0;
}

/* Removes the braces around argument WHERE, warning about bad syntax. */
static void
text_extract_braces(struct argv *ap, size_t where, int quiet)
{
    struct vstring *why = vstring_alloc(100);
    char *copy = mystrdup(ap->argv[where]);
    char *cp = copy;

    if (extpar(&cp, MASTER_CF_BRACES, EXTPAR_FLAG_STRIP, why) != NULL && !quiet)
        msg_warn("master.cf: %s", vstring_str(why));
    text_argv_replace(ap, where, cp);
    myfree(copy);
    vstring_free(why);
}

/* Rewrites "  name = value " as "name=value", warning when it is not one. */
static void
text_normalize_nameval(struct argv *ap, size_t where, int quiet)
{
    char *copy = mystrdup(ap->argv[where]);
    char *name;
    char *value;
    const char *err;
    struct vstring *buf;

    if ((err = master_cf_nameval(copy, &name, &value)) != NULL) {
        if (!quiet)
            msg_warn("master.cf: %s: \"%s\"", err, ap->argv[where]);
    } else {
        buf = vstring_alloc(100);
        vstring_sprintf(buf, "%s=%s", name, value);
        text_argv_replace(ap, where, vstring_str(buf));
        vstring_free(buf);
    }
    myfree(copy);
}

/* Cuts "-vo..." into "-v" "-o...": an "o" after the first letter starts a new option. */
static void
text_split_cluster(struct argv *ap, size_t where)
{
    char *arg = ap->argv[where];
    char *cp;
    struct vstring *buf;

    for (cp = arg + 1; *cp; cp++) {
        if (*cp == 'o' && cp > arg + 1) {
            buf = vstring_alloc(100);
            vstring_sprintf(buf, "-%s", cp);
            text_argv_insert(ap, where + 1, vstring_str(buf));
            vstring_free(buf);
            *cp = 0;
            return;
        }
    }
}

static void
text_normalize(struct argv *ap, int quiet)
{
    size_t i;
    char *arg;
    int extract;

    for (i = MASTER_CF_FIELDS; i < ap->argc; i++) {
        if (!text_is_option(ap->argv[i]))
            break;
        text_split_cluster(ap, i);
        arg = ap->argv[i];
        if (!text_option_has_value(arg))
            continue;
        if (arg[1] != 0 && arg[2] != 0) {
            text_argv_insert(ap, i + 1, arg + 2);
            ap->argv[i][2] = 0;
            i += 1;
            extract = (ap->argv[i][0] == '{');
        } else if (i + 1 < ap->argc) {
            i += 1;
            extract = (ap->argv[i][0] == '{');
        } else {
            extract = 0;
        }
        if (extract) {
            text_extract_braces(ap, i, quiet);
            if (ap->argv[i - 1][1] == 'o')
                text_normalize_nameval(ap, i, quiet);
        }
    }
    for (; i < ap->argc; i++)
        if (ap->argv[i][0] == '{')
            text_extract_braces(ap, i, quiet);
}

/* Collects the -o name=value settings of the daemon options. */
static void
text_update_params(struct master_cf_text *text)
{
    struct argv *ap = text->argv;
    size_t i;
    char *copy;
    char *name;
    char *value;
    struct htable_entry *ent;

    if (text->params)
        htable_free(text->params, myfree);
    text->params = htable_create(10);
    for (i = MASTER_CF_FIELDS; i < ap->argc && text_is_option(ap->argv[i]); i++) {
        if (!text_option_has_value(ap->argv[i]) || i + 1 >= ap->argc)
            continue;
        if (strcmp(ap->argv[i], "-o") == 0) {
            copy = mystrdup(ap->argv[i + 1]);
            if (master_cf_nameval(copy, &name, &value) == NULL) {
                if ((ent = htable_locate(text->params, name)) != NULL) {
                    myfree(ent->value);
                    ent->value = mystrdup(value);
                } else {
                    htable_enter(text->params, name, mystrdup(value));
                }
            }
            myfree(copy);
        }
        i += 1;
    }
}

static int
text_bad_field(struct vstring *why, int field, const char *value, const char *context)
{
    char *cp;

    vstring_sprintf(why, "invalid %s field \"%s\" in \"%s\"", master_cf_field_names[field], value,
                    context);
    for (cp = vstring_str(why); *cp; cp++)
        if (*cp == '\n')
            *cp = ' ';
    return -1;
}

int
master_cf_text_check(const struct argv *ap, const char *context, struct vstring *why)
{
    const char *cp;
    size_t len;
    int field;

    cp = ap->argv[MASTER_CF_FLD_TYPE];
    if (master_cf_type_code(cp) == 0)
        return text_bad_field(why, MASTER_CF_FLD_TYPE, cp, context);
    for (field = MASTER_CF_FLD_PRIVATE; field <= MASTER_CF_FLD_CHROOT; field++) {
        cp = ap->argv[field];
        if (cp[0] != 0 && (cp[1] != 0 || strchr("yn-", cp[0]) == NULL))
            return text_bad_field(why, field, cp, context);
    }
    cp = ap->argv[MASTER_CF_FLD_WAKEUP];
    len = strlen(cp);
    if (len > 0 && cp[len - 1] == '?')
        len--;
    if (!(cp[0] == '-' && len == 1) && strspn(cp, "0123456789") != len)
        return text_bad_field(why, MASTER_CF_FLD_WAKEUP, cp, context);
    cp = ap->argv[MASTER_CF_FLD_MAXPROC];
    if (strcmp(cp, "-") != 0 && cp[strspn(cp, "0123456789")] != 0)
        return text_bad_field(why, MASTER_CF_FLD_MAXPROC, cp, context);
    return 0;
}

static struct master_cf_text *
text_parse(const char *line, int lineno, int quiet, struct vstring *why)
{
    struct argv *ap = master_cf_split(line);
    struct master_cf_text *text;

    if (ap->argc < MASTER_CF_FIELDS) {
        vstring_strcpy(why, "bad field count");
        argv_free(ap);
        return NULL;
    }
    if (master_cf_text_check(ap, line, why) != 0) {
        argv_free(ap);
        return NULL;
    }
    text_normalize(ap, quiet);
    text = mymalloc(sizeof(*text));
    text->argv = ap;
    text->params = NULL;
    text->lineno = lineno;
    text_update_params(text);
    return text;
}

struct master_cf_text *
master_cf_text_parse(const char *line, int lineno, struct vstring *why)
{
    return text_parse(line, lineno, 0, why);
}

struct master_cf_text *
master_cf_text_parse_quiet(const char *line, int lineno, struct vstring *why)
{
    return text_parse(line, lineno, 1, why);
}

void
master_cf_text_free(struct master_cf_text *text)
{
    if (text == NULL)
        return;
    argv_free(text->argv);
    if (text->params)
        htable_free(text->params, myfree);
    myfree(text);
}

int
master_cf_text_set_field(struct master_cf_text *text, int field, const char *value,
                         struct vstring *why)
{
    struct argv *ap = text->argv;
    struct argv *words;
    size_t i;

    if (field < 0 || field >= MASTER_CF_FIELDS)
        msg_panic("master_cf_text_set_field: bad field %d", field);
    if (field == MASTER_CF_FLD_COMMAND) {
        words = master_cf_split(value);
        if (words->argc == 0) {
            argv_free(words);
            vstring_strcpy(why, "bad field count");
            return -1;
        }
        argv_truncate(ap, MASTER_CF_FLD_COMMAND);
        for (i = 0; i < words->argc; i++)
            argv_add(ap, words->argv[i]);
        argv_free(words);
        text_normalize(ap, 0);
    } else {
        text_argv_replace(ap, field, value);
    }
    text_update_params(text);
    return master_cf_text_check(ap, value, why);
}

/* Adds, replaces (value != NULL) or removes (value == NULL) "-o name=value". */
static void
text_edit_param(struct master_cf_text *text, const char *name, const char *value)
{
    struct argv *ap = text->argv;
    size_t len = strlen(name);
    struct vstring *buf = vstring_alloc(100);
    int matched = 0;
    size_t i = MASTER_CF_FIELDS;
    const char *arg;

    if (value)
        vstring_sprintf(buf, "%s=%s", name, value);
    while (i < ap->argc && text_is_option(arg = ap->argv[i])) {
        if (!text_option_has_value(arg) || i + 1 >= ap->argc) {
            i += 1;
            continue;
        }
        if (strcmp(arg, "-o") == 0 && strncmp(ap->argv[i + 1], name, len) == 0 &&
            ap->argv[i + 1][len] == '=') {
            matched = 1;
            if (value == NULL) {
                text_argv_delete(ap, i, 2);
                continue;
            }
            text_argv_replace(ap, i + 1, vstring_str(buf));
        }
        i += 2;
    }
    if (value != NULL && !matched) {
        text_argv_insert(ap, i, "-o");
        text_argv_insert(ap, i + 1, vstring_str(buf));
    }
    vstring_free(buf);
    text_update_params(text);
}

void
master_cf_text_set_param(struct master_cf_text *text, const char *name, const char *value)
{
    text_edit_param(text, name, value);
}

void
master_cf_text_del_param(struct master_cf_text *text, const char *name)
{
    text_edit_param(text, name, NULL);
}

static int
text_compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

struct argv *
master_cf_text_param_names(const struct master_cf_text *text)
{
    struct argv *names = argv_alloc(text->params->used + 1);
    struct htable_entry *ent;

    for (ent = htable_first(text->params); ent != NULL; ent = htable_next(ent))
        argv_add(names, ent->key);
    qsort(names->argv, names->argc, sizeof(names->argv[0]), text_compare_names);
    return names;
}
