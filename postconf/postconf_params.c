/*
 * postconf_params - postconf's parameter name space and main.cf output.
 *
 * Entry points: pcf_register_builtin (the parameter table), pcf_param_enter
 * and pcf_param_find (service and user names are added by postconf_user.c),
 * pcf_apply_overrides (-o name=value), pcf_show_parameters.
 *
 * Output rules, as Postfix's postconf:
 *   - no names: every known parameter of the selected classes, sorted;
 *     with names: those, in command-line order, and "NAME: unknown
 *     parameter" warnings for the rest (the exit status stays 0);
 *   - the value is the main.cf (or -o) setting, else the default; with -n
 *     a parameter without a setting is skipped; with -d the default is
 *     shown and main.cf is not read at all;
 *   - with -x the value is expanded, except raw parameters (those that
 *     Postfix's daemons never expand); a bad expression is fatal
 *     ("macro processing error") after its warning;
 *   - "name = value", the value alone with -h, the name alone with -H;
 *     white space is normalized and lines folded with -f
 *     (pcf_print_line).
 */
#include <stdlib.h>
#include <string.h>

#include "config/mail_conf.h"
#include "config/mail_params.h"
#include "util/mac_expand.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/vstream.h"
#include "util/vstring.h"

#include "postconf.h"

struct htable *pcf_params;
const char *pcf_config_dir;

struct pcf_param *
pcf_param_find(const char *name)
{
    return htable_find(pcf_params, name);
}

struct pcf_param *
pcf_param_enter(const char *name, int class, const char *defval)
{
    struct pcf_param *pp;

    if ((pp = htable_find(pcf_params, name)) != NULL)
        return pp;
    pp = mycalloc(1, sizeof(*pp));
    pp->class = class;
    pp->param = mail_param_find(name);
    pp->defval = defval ? mystrdup(defval) : NULL;
    htable_enter(pcf_params, name, pp);
    return pp;
}

void
pcf_register_builtin(void)
{
    const struct mail_param *param;

    pcf_params = htable_create(2048);
    for (size_t i = 0; i < mail_param_count; i++) {
        param = mail_param_table + i;
        pcf_param_enter(
            param->name,
            (param->flags & MAIL_PARAM_FLAG_LEGACY) ? PCF_CLASS_LEGACY : PCF_CLASS_BUILTIN, NULL);
    }
}

void
pcf_apply_overrides(char **overrides)
{
    const char *err;
    char *copy;
    char *name;
    char *value;

    for (; overrides && *overrides; overrides++) {
        copy = mystrdup(*overrides);
        if ((err = mail_conf_split_nameval(copy, &name, &value)) != NULL)
            msg_fatal("invalid parameter override: %s: %s", *overrides, err);
        mail_conf_set(name, value);
        myfree(copy);
    }
}

/* The text to show for a parameter, or NULL to show nothing. */
static const char *
pcf_value(int mode, const char *name, const struct pcf_param *pp)
{
    const char *value;

    if ((mode & PCF_SHOW_DEFS) == 0 && (value = mail_conf_lookup(name)) != NULL)
        return value;
    if (mode & PCF_SHOW_NONDEF)
        return NULL;
    if (pp->param)
        return mail_param_default(pp->param);
    return pp->defval ? pp->defval : "";
}

static void
pcf_print_parameter(struct vstream *out, int mode, const char *name, const struct pcf_param *pp)
{
    static struct vstring *line;
    static struct vstring *expanded;
    const char *value;

    if ((value = pcf_value(mode, name, pp)) == NULL)
        return;
    if (line == NULL) {
        line = vstring_alloc(100);
        expanded = vstring_alloc(100);
    }
    if ((mode & PCF_SHOW_EVAL) && !(pp->param && (pp->param->flags & MAIL_PARAM_FLAG_RAW))) {
        if (mail_conf_eval(value, expanded) & MAC_PARSE_ERROR)
            msg_fatal("macro processing error");
        value = vstring_str(expanded);
    }
    if (mode & PCF_HIDE_NAME)
        vstring_strcpy(line, value);
    else if (mode & PCF_HIDE_VALUE)
        vstring_strcpy(line, name);
    else
        vstring_sprintf(line, "%s = %s", name, value);
    pcf_print_line(out, mode, vstring_str(line));
}

static int
pcf_compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void
pcf_show_parameters(int mode, int class_mask, char **names)
{
    struct vstream *out = vstream_stdout();
    struct htable_entry *ht;
    struct pcf_param *pp;
    const char **list;
    size_t count = 0;

    if (names[0] == NULL) {
        list = mymalloc(sizeof(*list) * (pcf_params->used + 1));
        for (ht = htable_first(pcf_params); ht; ht = htable_next(ht))
            if (((struct pcf_param *)ht->value)->class & class_mask)
                list[count++] = ht->key;
        qsort(list, count, sizeof(*list), pcf_compare_names);
        for (size_t i = 0; i < count; i++)
            pcf_print_parameter(out, mode, list[i], pcf_param_find(list[i]));
        myfree(list);
    } else {
        for (; *names; names++) {
            if ((pp = pcf_param_find(*names)) == NULL) {
                vstream_flush(out);
                msg_warn("%s: unknown parameter", *names);
            } else {
                pcf_print_parameter(out, mode, *names, pp);
            }
        }
    }
    vstream_flush(out);
}
