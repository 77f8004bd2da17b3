/*
 * master_conf - the master's configuration: main.cf parameters, the
 * checks of mail_owner and setgid_group, the children's environment,
 * master.cf at start-up, and the reload on SIGHUP.
 *
 *   master_conf_init(dir)  reads main.cf (dir, else $MAIL_CONFIG, else the
 *                          default) into master_params; fatal on a problem.
 *   master_conf_start()    reads master.cf and starts every service; a
 *                          broken file or a listener that cannot be opened
 *                          is fatal (nothing runs yet).
 *   master_conf_reload()   SIGHUP: re-reads both files. A main.cf with a
 *                          bad line, a master.cf that does not parse, or a
 *                          bad mail_owner/setgid_group refuses the reload
 *                          with a warning: the old table keeps running.
 *                          Otherwise a new generation begins: a service
 *                          whose type and endpoint are gone is stopped (its
 *                          listeners closed, its children sent SIGTERM); a
 *                          service that is still there keeps its listeners
 *                          open (no client sees a refused connection) and
 *                          takes the new settings, its old children told to
 *                          finish (status pipe closed); a new service is
 *                          started (one whose listener fails is skipped
 *                          with a warning).
 *
 * inet_interfaces, inet_protocols and queue_directory are fixed for the
 * life of the master, as in Postfix: a change is reported and ignored.
 *
 * Identity checks: lib/config/mail_ids.h (Postfix's wording); a master
 * started by a user other than root is a personal instance, where only
 * mail_owner and setgid_group are resolved and checked for id 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "config/mail_ids.h"
#include "config/mail_params.h"
#include "config/master_cf.h"
#include "master.h"
#include "util/msg.h"
#include "util/set_ugid.h"
#include "util/mymalloc.h"
#include "util/readlline.h"
#include "util/stringops.h"
#include "util/vstream.h"
#include "util/vstring.h"

struct master_params master_params;
struct master_serv *master_head;
unsigned master_generation = 1;

extern char **environ;

/* mail_owner and setgid_group (lib/config/mail_ids.h); -1 with the reason in why. */
static int
master_conf_ids(struct master_params *p, struct vstring *why)
{
    struct mail_ids ids;

    if (mail_ids_check(&ids, !running_as_root(), why) < 0)
        return -1;
    p->owner_uid = ids.owner_uid;
    p->owner_gid = ids.owner_gid;
    p->setgid_gid = ids.setgid_gid;
    p->mail_owner = mystrdup(mail_conf_get("mail_owner"));
    return 0;
}

/*
 * The children's environment: import_environment ("NAME" copies our
 * value if we have one, "NAME=value" sets it), then MAIL_CONFIG and, with
 * -v, MAIL_VERBOSE. GENERATION is added per child (master_spawn.c).
 */
/*
 * Passed on besides import_environment when set: a sanitizer build's
 * settings ("make asan", tests/run.py) must reach the children, as the
 * postfix command passes them to the master. Absent in production.
 */
static const char *master_sanitizer_env[] = {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS",
                                             NULL};

static struct argv *
master_conf_env(const char *config_dir, int verbose)
{
    struct argv *env = argv_alloc(10);
    char *list = mystrdup(mail_conf_get("import_environment"));
    char *cp = list;
    char *item;
    const char *value;
    struct vstring *buf = vstring_alloc(100);
    size_t len;

    while ((item = mystrtok(&cp, CHARS_COMMA_SP)) != NULL) {
        len = strcspn(item, "=");
        if (strncmp(item, "MAIL_CONFIG", len) == 0 && len == strlen("MAIL_CONFIG"))
            continue;
        if (item[len] == '=') {
            argv_add(env, item);
        } else if ((value = getenv(item)) != NULL) {
            vstring_sprintf(buf, "%s=%s", item, value);
            argv_add(env, vstring_str(buf));
        }
    }
    for (const char **name = master_sanitizer_env; *name; name++) {
        if ((value = getenv(*name)) != NULL) {
            vstring_sprintf(buf, "%s=%s", *name, value);
            argv_add(env, vstring_str(buf));
        }
    }
    vstring_sprintf(buf, "MAIL_CONFIG=%s", config_dir);
    argv_add(env, vstring_str(buf));
    if (verbose)
        argv_add(env, "MAIL_VERBOSE=1");
    vstring_free(buf);
    myfree(list);
    return env;
}

/* Every parameter the master uses, from the main.cf just read. */
static int
master_conf_params(struct master_params *p, struct vstring *why)
{
    if (master_conf_ids(p, why) < 0)
        return -1;
    p->config_dir = mystrdup(mail_conf_get("config_directory"));
    p->master_cf = mymalloc(strlen(p->config_dir) + sizeof("/master.cf"));
    snprintf(p->master_cf, strlen(p->config_dir) + sizeof("/master.cf"), "%s/master.cf",
             p->config_dir);
    p->queue_directory = mystrdup(mail_conf_get("queue_directory"));
    p->daemon_directory = mystrdup(mail_conf_get("daemon_directory"));
    p->data_directory = mystrdup(mail_conf_get("data_directory"));
    p->inet_interfaces = mystrdup(mail_conf_get("inet_interfaces"));
    p->inet_protocols = mystrdup(mail_conf_get("inet_protocols"));
    p->proc_limit = (int)mail_conf_get_int("default_process_limit");
    p->throttle_time = (int)mail_conf_get_time("service_throttle_time");
    if (p->throttle_time <= 0)
        p->throttle_time = 1;
    p->child_env = master_conf_env(p->config_dir, p->verbose);
    p->root = geteuid() == 0;
    return 0;
}

static void
master_conf_params_free(struct master_params *p)
{
    myfree(p->config_dir);
    myfree(p->master_cf);
    myfree(p->queue_directory);
    myfree(p->daemon_directory);
    myfree(p->data_directory);
    myfree(p->mail_owner);
    myfree(p->inet_interfaces);
    myfree(p->inet_protocols);
    if (p->child_env)
        argv_free(p->child_env);
}

void
master_conf_init(const char *config_dir)
{
    struct vstring *why = vstring_alloc(100);

    mail_conf_read(config_dir);
    if (master_conf_params(&master_params, why) < 0)
        msg_fatal("%s", vstring_str(why));
    vstring_free(why);
}

/* Is the entry switched off by master_service_disable ("type" or "name/type")? */
static int
master_conf_disabled(const struct master_cf_entry *entry)
{
    char *list = mystrdup(mail_conf_get("master_service_disable"));
    char *cp = list;
    char *item;
    char *slash;
    int off = 0;

    while (!off && (item = mystrtok(&cp, CHARS_COMMA_SP)) != NULL) {
        if ((slash = strrchr(item, '/')) == NULL)
            off = strcasecmp(item, entry->type) == 0;
        else
            off = strcasecmp(slash + 1, entry->type) == 0 &&
                  (size_t)(slash - item) == strlen(entry->name) &&
                  strncasecmp(item, entry->name, (size_t)(slash - item)) == 0;
    }
    myfree(list);
    return off;
}

/* The services of a master.cf table, in file order, not yet started. */
static struct master_serv *
master_conf_services(const struct master_cf *table)
{
    struct master_serv *head = NULL;
    struct master_serv **tail = &head;

    for (size_t i = 0; i < table->count; i++) {
        if (master_conf_disabled(table->entries[i]))
            continue;
        *tail = master_serv_create(table->entries[i]);
        tail = &(*tail)->next;
    }
    return head;
}

void
master_conf_start(void)
{
    struct vstring *why = vstring_alloc(100);
    struct master_cf *table;

    if ((table = master_cf_read(master_params.master_cf, why)) == NULL)
        msg_fatal("%s", vstring_str(why));
    master_head = master_conf_services(table);
    master_cf_free(table);
    for (struct master_serv *serv = master_head; serv; serv = serv->next)
        master_serv_start(serv, 1);
    vstring_free(why);
}

/* Syntax of main.cf without touching the live configuration; -1 and why on error. */
static int
master_conf_check_main(const char *config_dir, struct vstring *why)
{
    struct vstring *path = vstring_alloc(100);
    struct vstring *line = vstring_alloc(100);
    struct vstream *fp;
    int lineno = 0;
    int first = 0;
    int status = 0;
    char *name;
    char *value;
    const char *err;

    vstring_sprintf(path, "%s/main.cf", config_dir);
    if ((fp = vstream_fopen(vstring_str(path), O_RDONLY, 0)) == NULL) {
        vstring_sprintf(why, "open %s: %m", vstring_str(path));
        status = -1;
    }
    while (status == 0 && readlline(line, fp, &lineno, &first) != NULL) {
        if ((err = mail_conf_split_nameval(vstring_str(line), &name, &value)) != NULL) {
            vstring_sprintf(why, "%s, line %d: %s", vstring_str(path), first, err);
            status = -1;
        }
    }
    if (fp)
        vstream_close(fp);
    vstring_free(line);
    vstring_free(path);
    return status;
}

/* A parameter that only a restart can change: report and keep the old value. */
static void
master_conf_keep(const char *name, char **fresh, const char *old)
{
    if (strcmp(*fresh, old) == 0)
        return;
    msg_warn("ignoring %s parameter value change", name);
    msg_warn("old value: \"%s\", new value: \"%s\"", old, *fresh);
    msg_warn("to change %s, stop and start Postfix", name);
    myfree(*fresh);
    *fresh = mystrdup(old);
    mail_conf_set(name, old);
}

/*
 * Replaces the running table by the services of the new one: first the
 * services that are gone are stopped and freed (and unlinked, so that
 * nothing walks over them), then each new service either takes over a
 * running one with the same type and endpoint or is started.
 */
static void
master_conf_switch(struct master_serv *fresh)
{
    struct master_serv *head = NULL;
    struct master_serv **tail = &head;
    struct master_serv *serv;
    struct master_serv *next;
    struct master_serv *match;
    struct master_serv **link;

    for (serv = master_head; serv; serv = next) {
        next = serv->next;
        for (match = fresh; match && !master_serv_same(serv, match); match = match->next)
            continue;
        if (match != NULL) {
            *tail = serv;
            tail = &serv->next;
        } else {
            master_serv_stop(serv);
            master_serv_free(serv);
        }
    }
    *tail = NULL;
    master_head = head;
    head = NULL;
    tail = &head;
    for (serv = fresh; serv; serv = next) {
        next = serv->next;
        serv->next = NULL;
        for (link = &master_head; *link && !master_serv_same(*link, serv); link = &(*link)->next)
            continue;
        if ((match = *link) != NULL) {
            *link = match->next;
            match->next = NULL;
            master_serv_update(match, serv);
            serv = match;
        } else if (master_serv_start(serv, 0) < 0) {
            master_serv_free(serv);
            continue;
        }
        *tail = serv;
        tail = &serv->next;
    }
    master_head = head;
}

void
master_conf_reload(void)
{
    struct vstring *why = vstring_alloc(100);
    struct master_params fresh;
    struct master_cf *table;

    msg_info("reload -- version %s, configuration %s", mail_conf_get("mail_version"),
             master_params.config_dir);
    if (master_conf_check_main(master_params.config_dir, why) < 0 ||
        (table = master_cf_read(master_params.master_cf, why)) == NULL) {
        msg_warn("%s -- reload refused, keeping the old configuration", vstring_str(why));
        vstring_free(why);
        return;
    }
    mail_conf_read(master_params.config_dir);
    memset(&fresh, 0, sizeof(fresh));
    fresh.verbose = master_params.verbose;
    fresh.keep_stdout = master_params.keep_stdout;
    if (master_conf_params(&fresh, why) < 0) {
        msg_warn("%s -- reload refused, keeping the old configuration", vstring_str(why));
        master_conf_params_free(&fresh);
        master_cf_free(table);
        vstring_free(why);
        return;
    }
    master_conf_keep("inet_interfaces", &fresh.inet_interfaces, master_params.inet_interfaces);
    master_conf_keep("inet_protocols", &fresh.inet_protocols, master_params.inet_protocols);
    master_conf_keep("queue_directory", &fresh.queue_directory, master_params.queue_directory);
    master_conf_params_free(&master_params);
    master_params = fresh;
    master_generation++;
    master_conf_switch(master_conf_services(table));
    master_cf_free(table);
    vstring_free(why);
}
