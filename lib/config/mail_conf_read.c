/*
 * mail_conf_read - load main.cf into the configuration dictionary.
 *
 * Entry points: mail_conf_read (main.cf, then the logging settings:
 * syslog_name, syslog_facility and the maillog_file routing of
 * maillog_client.h, with the flags Postfix gives the program),
 * mail_conf_load (main.cf only), mail_conf_parse (any stream),
 * mail_conf_set / mail_conf_unset / mail_conf_reset (explicit settings),
 * mail_conf_lookup / mail_conf_walk (read them back), mail_conf_path,
 * mail_conf_generation, mail_conf_split_nameval.
 *
 * Syntax, as Postfix: logical lines (readlline: comments, blank lines,
 * continuation lines that start with white space); each is
 * "name = value" with optional white space around "=" and the value
 * trimmed. A later setting replaces an earlier one, with the warning
 * "FILE, line N: overriding earlier entry: name=old". A line that is not
 * name = value is fatal ("FILE, line N: missing '=' after attribute
 * name: "text"") exactly as Postfix, or a warning with MAIL_CONF_PARSE_WARN.
 *
 * The dictionary keeps settings in first-seen order. Every change bumps a
 * generation number so that expansion caches know when to recompute.
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "config/mail_conf.h"
#include "config/mail_params.h"
#include "config/maillog_client.h"
#include "util/htable.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/readlline.h"
#include "util/vstream.h"
#include "util/vstring.h"

struct mail_conf_entry {
    char *value;
    int lineno; /* 0 when not from a file */
};

static struct htable *mail_conf_table;
static unsigned mail_conf_gen = 1;
static char *mail_conf_main_cf;

static void
mail_conf_entry_free(void *ptr)
{
    struct mail_conf_entry *entry = ptr;

    myfree(entry->value);
    myfree(entry);
}

static struct htable *
mail_conf_dict(void)
{
    if (mail_conf_table == NULL)
        mail_conf_table = htable_create(256);
    return mail_conf_table;
}

unsigned
mail_conf_generation(void)
{
    return mail_conf_gen;
}

void
mail_conf_reset(void)
{
    if (mail_conf_table)
        htable_free(mail_conf_table, mail_conf_entry_free);
    mail_conf_table = NULL;
    myfree(mail_conf_main_cf);
    mail_conf_main_cf = NULL;
    mail_conf_flush_cache();
    mail_conf_gen++;
}

/* Stores name = value; returns the replaced entry's old value or NULL. */
static char *
mail_conf_store(const char *name, const char *value, int lineno)
{
    struct mail_conf_entry *entry;
    char *old = NULL;

    if ((entry = htable_find(mail_conf_dict(), name)) != NULL) {
        old = entry->value;
    } else {
        entry = mymalloc(sizeof(*entry));
        htable_enter(mail_conf_table, name, entry);
    }
    entry->value = mystrdup(value);
    entry->lineno = lineno;
    mail_conf_gen++;
    return old;
}

void
mail_conf_set(const char *name, const char *value)
{
    myfree(mail_conf_store(name, value, 0));
}

int
mail_conf_unset(const char *name)
{
    if (mail_conf_table == NULL || htable_find(mail_conf_table, name) == NULL)
        return 0;
    htable_delete(mail_conf_table, name, mail_conf_entry_free);
    mail_conf_gen++;
    return 1;
}

const char *
mail_conf_lookup(const char *name)
{
    struct mail_conf_entry *entry;

    if (mail_conf_table == NULL || (entry = htable_find(mail_conf_table, name)) == NULL)
        return NULL;
    return entry->value;
}

int
mail_conf_lookup_line(const char *name)
{
    struct mail_conf_entry *entry;

    if (mail_conf_table == NULL || (entry = htable_find(mail_conf_table, name)) == NULL)
        return 0;
    return entry->lineno;
}

void
mail_conf_walk(void (*fn)(const char *name, const char *value, void *context), void *context)
{
    struct htable_entry *ht;
    struct htable_entry *next;

    if (mail_conf_table == NULL)
        return;
    for (ht = htable_first(mail_conf_table); ht; ht = next) {
        next = htable_next(ht);
        fn(ht->key, ((struct mail_conf_entry *)ht->value)->value, context);
    }
}

const char *
mail_conf_path(void)
{
    return mail_conf_main_cf;
}

/*
 * Splits "name = value" in place, as Postfix's split_nameval: white space
 * around the name and the value is dropped. Returns NULL, or an error text
 * without touching buf.
 */
const char *
mail_conf_split_nameval(char *buf, char **name, char **value)
{
    char *np = buf;
    char *ep;
    char *cp;
    char *vp;
    size_t len;

    while (*np && isspace((unsigned char)*np))
        np++;
    if (*np == 0 || *np == '=')
        return "missing attribute name";
    for (ep = np; *ep && !isspace((unsigned char)*ep) && *ep != '='; ep++)
        ;
    for (cp = ep; *cp && isspace((unsigned char)*cp); cp++)
        ;
    if (*cp != '=')
        return "missing '=' after attribute name";
    *ep = 0;
    for (vp = cp + 1; *vp && isspace((unsigned char)*vp); vp++)
        ;
    for (len = strlen(vp); len > 0 && isspace((unsigned char)vp[len - 1]); len--)
        ;
    vp[len] = 0;
    *name = np;
    *value = vp;
    return NULL;
}

int
mail_conf_parse(struct vstream *fp, const char *path, int flags)
{
    struct vstring *buf = vstring_alloc(256);
    const char *err;
    char *name;
    char *value;
    char *old;
    int lineno = 0;
    int first = 0;
    int bad = 0;

    while (readlline(buf, fp, &lineno, &first) != NULL) {
        if ((err = mail_conf_split_nameval(vstring_str(buf), &name, &value)) != NULL) {
            if ((flags & MAIL_CONF_PARSE_WARN) == 0)
                msg_fatal("%s, line %d: %s: \"%s\"", path, first, err, vstring_str(buf));
            msg_warn("%s, line %d: %s: \"%s\"", path, first, err, vstring_str(buf));
            bad++;
            continue;
        }
        if ((old = mail_conf_store(name, value, first)) != NULL) {
            msg_warn("%s, line %d: overriding earlier entry: %s=%s", path, first, name, old);
            myfree(old);
        }
    }
    vstring_free(buf);
    return bad;
}

void
mail_conf_load(const char *config_dir)
{
    struct vstream *fp;
    struct vstring *path = vstring_alloc(100);

    if (config_dir == NULL && (config_dir = getenv("MAIL_CONFIG")) == NULL)
        config_dir = DEF_CONFIG_DIR;
    mail_conf_reset();
    mail_conf_set("config_directory", config_dir);
    vstring_sprintf(path, "%s/main.cf", config_dir);
    if ((fp = vstream_fopen(vstring_str(path), O_RDONLY, 0)) == NULL)
        msg_fatal("open %s: %m", vstring_str(path));
    mail_conf_parse(fp, vstring_str(path), 0);
    if (vstream_error(fp))
        msg_fatal("read %s: %m", vstring_str(path));
    vstream_close(fp);
    mail_conf_main_cf = vstring_export(path);
}

void
mail_conf_read(const char *config_dir)
{
    mail_conf_load(config_dir);
    maillog_client_setup();
}
