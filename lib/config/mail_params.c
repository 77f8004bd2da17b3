/*
 * mail_params - parameter table lookup and run-time defaults; see
 * mail_params.h.
 *
 * mail_param_find() binary-searches the generated, name-sorted table.
 * mail_param_default() returns the static default text, or computes a
 * dynamic one: myhostname from gethostname() (with ".$mydomain" or
 * ".localdomain" appended when the name has no dot), mydomain from
 * myhostname minus its first label ("localdomain" when there is none),
 * mynetworks from the interface addresses (mail_conf_mynetworks.c),
 * process_id and process_name from the running process.
 *
 * Computed values are cached until the configuration changes (the
 * generation number of mail_conf). myhostname and mydomain depend on each
 * other's explicit settings; a guard breaks a cycle such as
 * "mydomain = $myhostname" with both left to their defaults.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "config/mail_params.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/vstring.h"

#define MAIL_PARAM_DEF_DOMAIN "localdomain"

const struct mail_param_suffix mail_param_service_suffixes[] = {
    {"_time_limit", "command_time_limit", "$command_time_limit", 1},
    {"_recipient_limit", "default_recipient_limit", "$default_recipient_limit", 0},
    {"_extra_recipient_limit", "default_extra_recipient_limit", "$default_extra_recipient_limit",
     0},
    {"_recipient_refill_limit", "default_recipient_refill_limit", "$default_recipient_refill_limit",
     0},
    {"_recipient_refill_delay", "default_recipient_refill_delay", "$default_recipient_refill_delay",
     0},
    {"_delivery_slot_cost", "default_delivery_slot_cost", "$default_delivery_slot_cost", 0},
    {"_delivery_slot_loan", "default_delivery_slot_loan", "$default_delivery_slot_loan", 0},
    {"_delivery_slot_discount", "default_delivery_slot_discount", "$default_delivery_slot_discount",
     0},
    {"_minimum_delivery_slots", "default_minimum_delivery_slots", "$default_minimum_delivery_slots",
     0},
    {"_initial_destination_concurrency", "initial_destination_concurrency",
     "$initial_destination_concurrency", 0},
    {"_destination_concurrency_limit", "default_destination_concurrency_limit",
     "$default_destination_concurrency_limit", 0},
    {"_destination_recipient_limit", "default_destination_recipient_limit",
     "$default_destination_recipient_limit", 0},
    {"_destination_concurrency_positive_feedback",
     "default_destination_concurrency_positive_feedback",
     "$default_destination_concurrency_positive_feedback", 0},
    {"_destination_concurrency_negative_feedback",
     "default_destination_concurrency_negative_feedback",
     "$default_destination_concurrency_negative_feedback", 0},
    {"_destination_concurrency_failed_cohort_limit",
     "default_destination_concurrency_failed_cohort_limit",
     "$default_destination_concurrency_failed_cohort_limit", 0},
    {"_destination_rate_delay", "default_destination_rate_delay", "$default_destination_rate_delay",
     0},
    {"_transport_rate_delay", "default_transport_rate_delay", "$default_transport_rate_delay", 0},
    {NULL, NULL, NULL, 0},
};

/* One cached dynamic value. */
struct mail_param_cache {
    unsigned generation;
    char *value;
};

static int
mail_param_compare(const void *key, const void *entry)
{
    return strcmp((const char *)key, ((const struct mail_param *)entry)->name);
}

const struct mail_param *
mail_param_find(const char *name)
{
    return bsearch(name, mail_param_table, mail_param_count, sizeof(mail_param_table[0]),
                   mail_param_compare);
}

/*
 * Resolves a parameter name: a table entry, or a service parameter
 * (SERVICE_suffix) whose type and range come from its base parameter.
 * *base_name receives the service default ("$base") or NULL.
 */
const struct mail_param *
mail_param_service(const char *name, const char **defval)
{
    const struct mail_param *param;
    const struct mail_param_suffix *best = NULL;
    size_t len = strlen(name);
    size_t slen;

    if (defval)
        *defval = NULL;
    if ((param = mail_param_find(name)) != NULL)
        return param;
    for (const struct mail_param_suffix *sp = mail_param_service_suffixes; sp->suffix; sp++) {
        slen = strlen(sp->suffix);
        if (len > slen && strcmp(name + len - slen, sp->suffix) == 0 &&
            (best == NULL || slen > strlen(best->suffix)))
            best = sp;
    }
    if (best == NULL)
        return NULL;
    if (defval)
        *defval = best->defval;
    return mail_param_find(best->base);
}

static const char *
mail_param_cache_set(struct mail_param_cache *cache, char *value)
{
    myfree(cache->value);
    cache->value = value;
    cache->generation = mail_conf_generation();
    return value;
}

static int
mail_param_cache_valid(const struct mail_param_cache *cache)
{
    return cache->value != NULL && cache->generation == mail_conf_generation();
}

/* Expands an explicit setting of name, or returns NULL. */
static char *
mail_param_explicit(const char *name)
{
    const char *value;

    if ((value = mail_conf_lookup(name)) == NULL)
        return NULL;
    return mail_conf_expand(value);
}

const char *
mail_param_myhostname(void)
{
    static struct mail_param_cache cache;
    static int busy;
    struct vstring *result;
    char host[256];
    char *domain = NULL;

    if (mail_param_cache_valid(&cache))
        return cache.value;
    if (gethostname(host, sizeof(host)) != 0 || host[0] == 0)
        msg_fatal("gethostname: %m");
    host[sizeof(host) - 1] = 0;
    if (strchr(host, '.') != NULL)
        return mail_param_cache_set(&cache, mystrdup(host));
    if (!busy) {
        busy = 1;
        domain = mail_param_explicit("mydomain");
        busy = 0;
    }
    result = vstring_alloc(sizeof(host));
    vstring_sprintf(result, "%s.%s", host, domain && *domain ? domain : MAIL_PARAM_DEF_DOMAIN);
    myfree(domain);
    return mail_param_cache_set(&cache, vstring_export(result));
}

const char *
mail_param_mydomain(void)
{
    static struct mail_param_cache cache;
    static int busy;
    char *host = NULL;
    const char *dot;
    char *result;

    if (mail_param_cache_valid(&cache))
        return cache.value;
    if (!busy) {
        busy = 1;
        host = mail_param_explicit("myhostname");
        busy = 0;
    }
    if (host == NULL)
        host = mystrdup(busy ? MAIL_PARAM_DEF_DOMAIN : mail_param_myhostname());
    if ((dot = strchr(host, '.')) != NULL && dot[1] != 0)
        result = mystrdup(dot + 1);
    else
        result = mystrdup(MAIL_PARAM_DEF_DOMAIN);
    myfree(host);
    return mail_param_cache_set(&cache, result);
}

static const char *
mail_param_dynamic(const struct mail_param *param)
{
    static struct vstring *buf;

    if (strcmp(param->name, "myhostname") == 0)
        return mail_param_myhostname();
    if (strcmp(param->name, "mydomain") == 0)
        return mail_param_mydomain();
    if (strcmp(param->name, "mynetworks") == 0)
        return mail_conf_mynetworks();
    if (strcmp(param->name, "process_id") == 0) {
        if (buf == NULL)
            buf = vstring_alloc(32);
        vstring_sprintf(buf, "%ld", (long)getpid());
        return vstring_str(buf);
    }
    if (strcmp(param->name, "process_name") == 0)
        return msg_progname();
    msg_panic("mail_param_dynamic: no default for %s", param->name);
}

const char *
mail_param_default(const struct mail_param *param)
{
    if (param->flags & MAIL_PARAM_FLAG_DYNAMIC)
        return mail_param_dynamic(param);
    return param->defval;
}
