/*
 * postconf_user - parameter names that come from the configuration
 * itself, and the warnings about names nobody uses.
 *
 * Entry points:
 *   pcf_read_services           master.cf entries (name, command, -o);
 *                               a missing file is a warning or fatal
 *   pcf_register_service_params NAME_destination_concurrency_limit etc.
 *                               for each delivery service (local, error,
 *                               virtual, smtp, lmtp, pipe) and
 *                               NAME_time_limit for pipe and spawn
 *   pcf_register_user_params    names defined in main.cf or with -o that
 *                               are used: referenced as $name anywhere (a
 *                               main.cf value, a default value, a master.cf
 *                               -o value), listed in
 *                               smtpd_restriction_classes, or prefixed by
 *                               a legacy ldap/mysql/pgsql/sqlite/memcache/
 *                               mongodb table name (name_suffix)
 *   pcf_flag_unused             "DIR/main.cf: unused parameter: n=v" (when
 *                               asked) and the same for master.cf -o
 *                               settings
 *
 * Along the way, as Postfix: "$name" of a name that is neither known nor
 * defined warns "DIR/FILE: undefined parameter: name"; assigning
 * process_id or process_name warns "read-only parameter assignment" and
 * drops the setting; every explicit value (except raw parameters) is
 * expanded once, and a malformed one is fatal ("macro processing
 * error"), so postconf fails on a broken main.cf whatever it is asked.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "config/mail_conf.h"
#include "config/mail_params.h"
#include "config/master_cf.h"
#include "util/argv.h"
#include "util/mac_expand.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/readlline.h"
#include "util/stringops.h"
#include "util/vstream.h"
#include "util/vstring.h"

#include "postconf.h"

#define PCF_MAIN_CF "main.cf"
#define PCF_MASTER_CF "master.cf"

static struct pcf_service *pcf_services;
static size_t pcf_service_count;
static struct htable *pcf_rest_classes; /* global smtpd_restriction_classes */
static struct argv *pcf_dbms_prefixes;  /* legacy table name prefixes */

static void
pcf_add_service(struct master_cf_text *text)
{
    struct pcf_service *svc;

    pcf_services = myrealloc(pcf_services, sizeof(*pcf_services) * (pcf_service_count + 1));
    svc = pcf_services + pcf_service_count++;
    svc->name = mystrdup(text->argv->argv[MASTER_CF_FLD_SERVICE]);
    svc->command = mystrdup(text->argv->argv[MASTER_CF_FLD_COMMAND]);
    svc->params = text->params;
    svc->valid = htable_create(10);
    text->params = NULL;
    master_cf_text_free(text);
}

void
pcf_read_services(int fail_on_open_error)
{
    struct vstring *path = vstring_alloc(100);
    struct vstring *buf = vstring_alloc(100);
    struct vstring *why = vstring_alloc(100);
    struct master_cf_text *text;
    struct vstream *fp;
    int lineno = 0;
    int first = 0;

    vstring_sprintf(path, "%s/%s", pcf_config_dir, PCF_MASTER_CF);
    if ((fp = vstream_fopen(vstring_str(path), O_RDONLY, 0)) == NULL) {
        if (fail_on_open_error)
            msg_fatal("open %s: %m", vstring_str(path));
        msg_warn("open %s: %m", vstring_str(path));
    } else {
        while (readlline(buf, fp, &lineno, &first) != NULL) {
            /* Every master.cf error names file and line (Postfix: field count only). */
            if ((text = master_cf_text_parse(vstring_str(buf), first, why)) == NULL)
                msg_fatal("file %s: line %d: %s", vstring_str(path), first, vstring_str(why));
            pcf_add_service(text);
        }
        vstream_close(fp);
    }
    vstring_free(path);
    vstring_free(buf);
    vstring_free(why);
}

/* Does the service run one of the programs named in list? */
static int
pcf_runs(const struct pcf_service *svc, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(svc->command, *list) == 0)
            return 1;
    return 0;
}

void
pcf_register_service_params(void)
{
    static const char *const agents[] = {"local", "error", "virtual", "smtp", "lmtp", "pipe", NULL};
    static const char *const commands[] = {"pipe", "spawn", NULL};
    const struct mail_param_suffix *sp;
    struct vstring *name = vstring_alloc(100);
    struct pcf_param *pp;

    for (size_t i = 0; i < pcf_service_count; i++) {
        for (sp = mail_param_service_suffixes; sp->suffix; sp++) {
            if (!pcf_runs(pcf_services + i, sp->commands_only ? commands : agents))
                continue;
            vstring_sprintf(name, "%s%s", pcf_services[i].name, sp->suffix);
            if ((pp = pcf_param_find(vstring_str(name))) != NULL)
                pp->class = PCF_CLASS_SERVICE;
            else
                pcf_param_enter(vstring_str(name), PCF_CLASS_SERVICE, sp->defval);
        }
    }
    vstring_free(name);
}

/*
 * Marks a $name (or class name) as used. A name with a setting in the
 * service's -o list, in main.cf, or (for main.cf references) in any
 * service's -o list becomes valid there; otherwise an unknown name is
 * "undefined".
 */
static void
pcf_flag_name(const char *name, struct pcf_service *local)
{
    int supplied = 0;

    if (local && htable_locate(local->params, name)) {
        supplied = 1;
        if (!htable_locate(local->valid, name))
            htable_enter(local->valid, name, NULL);
    } else if (mail_conf_lookup(name)) {
        supplied = 1;
        pcf_param_enter(name, PCF_CLASS_USER, NULL);
    }
    for (size_t i = 0; local == NULL && i < pcf_service_count; i++) {
        if (htable_locate(pcf_services[i].params, name)) {
            supplied = 1;
            if (!htable_locate(pcf_services[i].valid, name))
                htable_enter(pcf_services[i].valid, name, NULL);
        }
    }
    if (!supplied && pcf_param_find(name) == NULL)
        msg_warn("%s/%s: undefined parameter: %s", pcf_config_dir,
                 local ? PCF_MASTER_CF : PCF_MAIN_CF, name);
}

static const char *
pcf_scan_lookup(const char *name, int mode, void *context)
{
    (void)mode;
    pcf_flag_name(name, context);
    return NULL;
}

static void
pcf_scan_value(const char *value, struct pcf_service *local)
{
    mail_conf_relops_init();
    (void)mac_expand(NULL, value, MAC_EXP_FLAG_SCAN, pcf_scan_lookup, local);
}

/* Remembers ldap:name style prefixes of legacy database configuration. */
static void
pcf_note_dbms(const char *expanded)
{
    static const char *const types[] = {"ldap",     "mysql",   "pgsql", "sqlite",
                                        "memcache", "mongodb", NULL};
    char *copy = mystrdup(expanded);
    char *cp = copy;
    char *word;
    char *rest;

    while ((word = mystrtok(&cp, CHARS_COMMA_SP "{}")) != NULL) {
        while ((rest = split_at(word, ':')) != NULL && strcmp(word, "proxy") == 0)
            word = rest;
        if (rest == NULL || *rest == 0 || *rest == '/' || *rest == '.')
            continue;
        for (const char *const *tp = types; *tp; tp++)
            if (strcmp(word, *tp) == 0)
                argv_add(pcf_dbms_prefixes, rest);
    }
    myfree(copy);
}

/* Expands a value once; a malformed value is fatal, as in Postfix. */
static void
pcf_check_value(const char *value)
{
    struct vstring *buf = vstring_alloc(100);

    if (mail_conf_eval(value, buf) & MAC_PARSE_ERROR)
        msg_fatal("macro processing error");
    pcf_note_dbms(vstring_str(buf));
    vstring_free(buf);
}

/* Handles one name = value of a name space; returns 0 if it was dropped. */
static int
pcf_scan_setting(const char *name, const char *value, struct pcf_service *local)
{
    struct pcf_param *pp = pcf_param_find(name);
    const char *source = local ? PCF_MASTER_CF : PCF_MAIN_CF;

    if (local && !htable_locate(local->valid, name) && htable_locate(pcf_rest_classes, name))
        htable_enter(local->valid, name, NULL);
    if (pp && pp->param) {
        if (pp->param->flags & MAIL_PARAM_FLAG_READONLY) {
            msg_warn("%s/%s: read-only parameter assignment: %s=%s", pcf_config_dir, source, name,
                     value);
            return 0;
        }
        if (pp->class & PCF_CLASS_LEGACY)
            pp->class = PCF_CLASS_USER;
        if (pp->param->flags & MAIL_PARAM_FLAG_RAW)
            return 1;
    }
    pcf_scan_value(value, local);
    pcf_check_value(value);
    return 1;
}

static void
pcf_scan_classes(const char *classes, struct pcf_service *local)
{
    struct vstring *buf = vstring_alloc(100);
    char *cp;
    char *name;

    if (mail_conf_eval(classes, buf) & MAC_PARSE_ERROR)
        msg_fatal("macro processing error");
    cp = vstring_str(buf);
    while ((name = mystrtok(&cp, CHARS_COMMA_SP)) != NULL) {
        if (local == NULL && !htable_locate(pcf_rest_classes, name))
            htable_enter(pcf_rest_classes, name, NULL);
        pcf_flag_name(name, local);
    }
    vstring_free(buf);
}

static void
pcf_scan_service(struct pcf_service *svc)
{
    struct argv *drop = argv_alloc(2);
    struct htable_entry *ht;
    const char *classes;

    if ((classes = htable_find(svc->params, "smtpd_restriction_classes")) != NULL)
        pcf_scan_classes(classes, svc);
    for (ht = htable_first(svc->params); ht; ht = htable_next(ht))
        if (!pcf_scan_setting(ht->key, ht->value, svc))
            argv_add(drop, ht->key);
    for (size_t i = 0; i < drop->argc; i++)
        htable_delete(svc->params, drop->argv[i], myfree);
    argv_free(drop);
}

static void
pcf_collect_name(const char *name, const char *value, void *context)
{
    (void)value;
    argv_add(context, name);
}

static void
pcf_scan_main(void)
{
    struct argv *names = argv_alloc(50);
    const char *classes;
    const char *value;

    if ((classes = mail_conf_lookup("smtpd_restriction_classes")) != NULL)
        pcf_scan_classes(classes, NULL);
    mail_conf_walk(pcf_collect_name, names);
    for (size_t i = 0; i < names->argc; i++)
        if ((value = mail_conf_lookup(names->argv[i])) != NULL &&
            !pcf_scan_setting(names->argv[i], value, NULL))
            mail_conf_unset(names->argv[i]);
    argv_free(names);
}

/* Scans defaults of parameters left unset: they may name legacy params. */
static void
pcf_scan_defaults(void)
{
    struct htable_entry *ht;
    struct pcf_param *pp;

    for (ht = htable_first(pcf_params); ht; ht = htable_next(ht)) {
        pp = ht->value;
        if (mail_conf_lookup(ht->key) != NULL)
            continue;
        if (pp->param && (pp->param->flags & (MAIL_PARAM_FLAG_RAW | MAIL_PARAM_FLAG_DYNAMIC)))
            continue;
        if (pp->param || pp->defval)
            pcf_scan_value(pp->param ? pp->param->defval : pp->defval, NULL);
    }
}

/* Makes main.cf names with a legacy table prefix (name_...) known. */
static void
pcf_register_dbms(void)
{
    struct argv *names = argv_alloc(50);
    size_t len;

    mail_conf_walk(pcf_collect_name, names);
    for (size_t p = 0; p < pcf_dbms_prefixes->argc; p++) {
        len = strlen(pcf_dbms_prefixes->argv[p]);
        for (size_t i = 0; i < names->argc; i++)
            if (strncmp(names->argv[i], pcf_dbms_prefixes->argv[p], len) == 0 &&
                names->argv[i][len] == '_' && pcf_param_find(names->argv[i]) == NULL)
                pcf_param_enter(names->argv[i], PCF_CLASS_USER, NULL);
    }
    argv_free(names);
}

void
pcf_register_user_params(void)
{
    pcf_rest_classes = htable_create(10);
    pcf_dbms_prefixes = argv_alloc(4);
    for (size_t i = 0; i < pcf_service_count; i++)
        pcf_scan_service(pcf_services + i);
    pcf_scan_defaults();
    pcf_scan_main();
    pcf_register_dbms();
}

static void
pcf_flag_unused_main(const char *name, const char *value, void *context)
{
    (void)context;
    if (pcf_param_find(name) == NULL)
        msg_warn("%s/%s: unused parameter: %s=%s", pcf_config_dir, PCF_MAIN_CF, name, value);
}

void
pcf_flag_unused(int include_main)
{
    struct htable_entry *ht;
    struct pcf_service *svc;

    vstream_flush(vstream_stdout());
    if (include_main)
        mail_conf_walk(pcf_flag_unused_main, NULL);
    for (size_t i = 0; i < pcf_service_count; i++) {
        svc = pcf_services + i;
        for (ht = htable_first(svc->params); ht; ht = htable_next(ht))
            if (pcf_param_find(ht->key) == NULL && !htable_locate(svc->valid, ht->key))
                msg_warn("%s/%s: unused parameter: %s=%s", pcf_config_dir, PCF_MASTER_CF, ht->key,
                         (char *)ht->value);
    }
}
