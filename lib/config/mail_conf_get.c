/*
 * mail_conf_get - parameter values: raw, expanded, and typed.
 *
 * mail_conf_raw(name) is the explicit setting, else the table default
 * (computed for dynamic parameters), else for a service parameter such as
 * relay_destination_concurrency_limit the text "$default_...", else NULL.
 *
 * mail_conf_get(name) expands the raw value recursively with mac_expand:
 * unknown names expand to nothing, relational expressions are evaluated
 * (with the "level" comparison of compatibility levels). Parameters with
 * MAIL_PARAM_FLAG_RAW are returned unexpanded, as Postfix's daemons read
 * them. Results are cached per name until the configuration changes; a
 * returned pointer stays valid until then. A syntax error or a nesting
 * too deep is fatal after mac_expand's warning: "FILE: parameter NAME:
 * macro processing error".
 *
 * Typed getters convert and range-check with Postfix's wording:
 *   bad boolean configuration: NAME = VALUE
 *   bad numerical configuration: NAME = VALUE
 *   invalid NAME parameter value VALUE < MIN   (and > MAX)
 *   parameter NAME: bad time value or unit: VALUE
 *   invalid NAME: SECONDS (min MIN)             (and (max MAX))
 * A bound of zero is not checked. A time without unit takes the
 * parameter's default unit. Asking for a name that is neither in the
 * table, nor a service parameter, nor set in main.cf is a programming
 * error (msg_panic).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/mail_conf.h"
#include "config/mail_params.h"
#include "util/htable.h"
#include "util/mac_expand.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/vstring.h"

struct mail_conf_cached {
    unsigned generation;
    char *value;
};

static struct htable *mail_conf_cache;

const char *
mail_conf_raw(const char *name)
{
    const struct mail_param *param;
    const char *value;
    const char *service_default;

    if ((value = mail_conf_lookup(name)) != NULL)
        return value;
    if ((param = mail_param_service(name, &service_default)) == NULL)
        return NULL;
    if (service_default != NULL)
        return service_default;
    return mail_param_default(param);
}

static const char *
mail_conf_expand_lookup(const char *name, int mode, void *context)
{
    (void)mode;
    (void)context;
    return mail_conf_raw(name);
}

int
mail_conf_eval(const char *text, struct vstring *result)
{
    mail_conf_relops_init();
    return mac_expand(result, text, MAC_EXP_FLAG_RECURSE, mail_conf_expand_lookup, NULL);
}

char *
mail_conf_expand(const char *text)
{
    struct vstring *buf = vstring_alloc(100);

    if (mail_conf_eval(text, buf) & MAC_PARSE_ERROR)
        msg_fatal("macro processing error in \"%s\"", text);
    return vstring_export(buf);
}

static void
mail_conf_cached_free(void *ptr)
{
    struct mail_conf_cached *cached = ptr;

    myfree(cached->value);
    myfree(cached);
}

/* Returns the cache slot for name, creating it. */
static struct mail_conf_cached *
mail_conf_cache_slot(const char *name)
{
    struct mail_conf_cached *cached;

    if (mail_conf_cache == NULL)
        mail_conf_cache = htable_create(256);
    if ((cached = htable_find(mail_conf_cache, name)) == NULL) {
        cached = mycalloc(1, sizeof(*cached));
        htable_enter(mail_conf_cache, name, cached);
    }
    return cached;
}

const char *
mail_conf_get(const char *name)
{
    const struct mail_param *param;
    struct mail_conf_cached *cached;
    struct vstring *buf;
    const char *raw;

    if ((raw = mail_conf_raw(name)) == NULL)
        return NULL;
    if ((param = mail_param_find(name)) != NULL && (param->flags & MAIL_PARAM_FLAG_RAW))
        return raw;
    cached = mail_conf_cache_slot(name);
    if (cached->value != NULL && cached->generation == mail_conf_generation())
        return cached->value;
    buf = vstring_alloc(100);
    if (mail_conf_eval(raw, buf) & MAC_PARSE_ERROR)
        msg_fatal("%s: parameter %s: macro processing error",
                  mail_conf_path() ? mail_conf_path() : "main.cf", name);
    myfree(cached->value);
    cached->value = vstring_export(buf);
    cached->generation = mail_conf_generation();
    return cached->value;
}

/* Finds the table entry that governs name; panics on an unknown name. */
static const struct mail_param *
mail_conf_param(const char *caller, const char *name)
{
    const struct mail_param *param = mail_param_service(name, NULL);

    if (param == NULL && mail_conf_lookup(name) == NULL)
        msg_panic("%s: unknown parameter: %s", caller, name);
    return param;
}

void
mail_conf_flush_cache(void)
{
    if (mail_conf_cache)
        htable_free(mail_conf_cache, mail_conf_cached_free);
    mail_conf_cache = NULL;
}

int
mail_conf_get_bool(const char *name)
{
    const char *value;

    (void)mail_conf_param("mail_conf_get_bool", name);
    value = mail_conf_get(name);
    if (strcasecmp(value, "yes") == 0)
        return 1;
    if (strcasecmp(value, "no") == 0)
        return 0;
    msg_fatal("bad boolean configuration: %s = %s", name, value);
}

static void
mail_conf_check_range(const char *name, long value, const struct mail_param *param)
{
    if (param == NULL)
        return;
    if (param->min && value < param->min)
        msg_fatal("invalid %s parameter value %ld < %ld", name, value, param->min);
    if (param->max && value > param->max)
        msg_fatal("invalid %s parameter value %ld > %ld", name, value, param->max);
}

/* Converts a decimal number; int_only limits it to the range of int. */
static long
mail_conf_number(const char *name, const char *value, int int_only)
{
    char *end;
    long result;

    errno = 0;
    result = strtol(value, &end, 10);
    if (*value == 0 || *end != 0 || errno == ERANGE ||
        (int_only && (result > INT_MAX || result < INT_MIN)))
        msg_fatal("bad numerical configuration: %s = %s", name, value);
    return result;
}

long
mail_conf_get_int(const char *name)
{
    const struct mail_param *param = mail_conf_param("mail_conf_get_int", name);
    int int_only = (param == NULL || param->type == MAIL_PARAM_INT);
    long value = mail_conf_number(name, mail_conf_get(name), int_only);

    mail_conf_check_range(name, value, param);
    return value;
}

long
mail_conf_get_size(const char *name)
{
    const struct mail_param *param = mail_conf_param("mail_conf_get_size", name);
    long value = mail_conf_number(name, mail_conf_get(name), 0);

    mail_conf_check_range(name, value, param);
    return value;
}

/* Converts "N" or "N<unit>" to seconds; returns 0 on bad syntax or overflow. */
static int
mail_conf_conv_time(const char *text, int def_unit, long *seconds)
{
    char *end;
    long value;
    long scale;

    errno = 0;
    value = strtol(text, &end, 10);
    if (*text == 0 || end == text || errno == ERANGE || value < 0 || value > INT_MAX ||
        (*end != 0 && end[1] != 0))
        return 0;
    switch (*end ? *end : def_unit) {
    case 'w':
        scale = 7 * 24 * 3600;
        break;
    case 'd':
        scale = 24 * 3600;
        break;
    case 'h':
        scale = 3600;
        break;
    case 'm':
        scale = 60;
        break;
    case 's':
        *seconds = value;
        return 1;
    default:
        return 0;
    }
    if (value >= INT_MAX / scale)
        return 0;
    *seconds = value * scale;
    return 1;
}

long
mail_conf_get_time(const char *name)
{
    const struct mail_param *param = mail_conf_param("mail_conf_get_time", name);
    const char *value = mail_conf_get(name);
    int unit = (param && param->unit) ? param->unit : 's';
    long seconds;

    if (!mail_conf_conv_time(value, unit, &seconds))
        msg_fatal("parameter %s: bad time value or unit: %s", name, value);
    if (param && param->min && seconds < param->min)
        msg_fatal("invalid %s: %ld (min %ld)", name, seconds, param->min);
    if (param && param->max && seconds > param->max)
        msg_fatal("invalid %s: %ld (max %ld)", name, seconds, param->max);
    return seconds;
}
