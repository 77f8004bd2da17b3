/*
 * addr_find - the partial-key search orders; see addr_find.h for the
 * orders, the options and the error contract.
 *
 * Each search is a sequence of addr_find_try() calls that stops as soon as
 * a key matched or a table failed (maps->error set).
 */
#include <string.h>

#include "mail/addr_find.h"
#include "mail/addr_parse.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/stringops.h"

#define FIND_FULL 0                  /* ask every table */
#define FIND_PARTIAL DICT_FLAG_FIXED /* ask fixed-key tables only */

/* One lookup; sets *stop when the search is over (match or failure). */
static const char *
addr_find_try(struct maps *maps, const char *key, int flags, int *stop)
{
    const char *value = maps_find(maps, key, flags);

    if (msg_verbose)
        msg_info("addr_find: %s: %s%s: %s", maps->title, key, flags ? " (partial)" : "",
                 value         ? value
                 : maps->error ? "lookup error"
                               : "not found");
    if (value != NULL || maps->error != DICT_ERR_NONE)
        *stop = 1;
    return value;
}

/* The split of the local part is addr_parse's: one rule for every caller. */
char *
addr_strip_extension(const char *address, const struct addr_find_opts *opts, char **extension)
{
    const struct addr_ext_opts ext_opts = {opts->recipient_delimiter, opts->owner_request_special,
                                           opts->double_bounce_sender};
    const char *at = strrchr(address, '@');
    size_t local_len = at ? (size_t)(at - address) : strlen(address);
    size_t rest_len = strlen(address + local_len);
    ssize_t ext_at;
    char *stripped;

    if (extension)
        *extension = NULL;
    if ((ext_at = addr_extension_offset(address, local_len, &ext_opts)) < 0)
        return NULL;
    stripped = mymalloc((size_t)ext_at + rest_len + 1);
    memcpy(stripped, address, (size_t)ext_at);
    memcpy(stripped + ext_at, address + local_len, rest_len + 1);
    if (extension)
        *extension = mystrndup(address + ext_at, local_len - (size_t)ext_at);
    return stripped;
}

/* The domain, then its parents as ".parent" or "parent". */
static const char *
addr_find_parents(struct maps *maps, const char *domain, int flags,
                  const struct addr_find_opts *opts, int *stop)
{
    const char *name;
    const char *next;
    const char *value;

    for (name = domain; *name != 0; name = next) {
        if ((value = addr_find_try(maps, name, flags, stop)) != NULL || *stop)
            return value;
        if ((next = strchr(name + 1, '.')) == NULL)
            break;
        if (opts->parent_matches_subdomains)
            next++;
        flags = FIND_PARTIAL;
    }
    return NULL;
}

/* "local@" (with the '@') of ADDRESS up to its last '@'. */
static const char *
addr_find_local_at(struct maps *maps, const char *address, int with_at, int *stop)
{
    const char *at = strrchr(address, '@');
    char *key = mystrndup(address, (size_t)(at - address) + (with_at ? 1 : 0));
    const char *value = addr_find_try(maps, key, FIND_PARTIAL, stop);

    myfree(key);
    return value;
}

const char *
addr_find_access(struct maps *maps, const char *address, const struct addr_find_opts *opts)
{
    char *bare = addr_strip_extension(address, opts, NULL);
    const char *at = strrchr(address, '@');
    const char *value;
    int stop = 0;

    value = addr_find_try(maps, address, FIND_FULL, &stop);
    if (!stop && at != NULL) {
        if (bare != NULL)
            value = addr_find_try(maps, bare, FIND_PARTIAL, &stop);
        if (!stop)
            value = addr_find_parents(maps, at + 1, FIND_PARTIAL, opts, &stop);
        if (!stop)
            value = addr_find_local_at(maps, address, 1, &stop);
        if (!stop && bare != NULL)
            value = addr_find_local_at(maps, bare, 1, &stop);
    }
    myfree(bare);
    return value;
}

/* The local-part lookups of addr_find_mail, for a local domain. */
static const char *
addr_find_mail_local(struct maps *maps, const char *address, const char *bare, char **ext,
                     char **extension, int *stop)
{
    const char *value;

    if ((value = addr_find_local_at(maps, address, 0, stop)) != NULL || *stop)
        return value;
    if (bare != NULL && (value = addr_find_local_at(maps, bare, 0, stop)) != NULL &&
        extension != NULL) {
        *extension = *ext;
        *ext = NULL;
    }
    return value;
}

const char *
addr_find_mail(struct maps *maps, const char *address, const struct addr_find_opts *opts,
               char **extension)
{
    char *ext = NULL;
    char *bare = addr_strip_extension(address, opts, &ext);
    const char *at = strrchr(address, '@');
    const char *value;
    int stop = 0;
    int local;

    if (extension)
        *extension = NULL;
    value = addr_find_try(maps, address, FIND_FULL, &stop);
    if (!stop && bare != NULL && at != NULL &&
        (value = addr_find_try(maps, bare, FIND_PARTIAL, &stop)) != NULL && extension) {
        *extension = ext;
        ext = NULL;
    }
    if (!stop && at != NULL && opts->domain_is_local != NULL) {
        if ((local = opts->domain_is_local(at + 1, opts->context)) < 0) {
            maps->error = DICT_ERR_RETRY;
            stop = 1;
        } else if (local > 0) {
            value = addr_find_mail_local(maps, address, bare, &ext, extension, &stop);
        }
    }
    if (!stop && at != NULL)
        value = addr_find_try(maps, at, FIND_PARTIAL, &stop);
    myfree(bare);
    myfree(ext);
    return value;
}

const char *
addr_find_transport(struct maps *maps, const char *address, const struct addr_find_opts *opts)
{
    char *bare = addr_strip_extension(address, opts, NULL);
    const char *at = strrchr(address, '@');
    const char *value;
    int stop = 0;

    value = addr_find_try(maps, address, FIND_FULL, &stop);
    if (!stop && bare != NULL && at != NULL)
        value = addr_find_try(maps, bare, FIND_PARTIAL, &stop);
    if (!stop && at != NULL)
        value = addr_find_parents(maps, at + 1, FIND_PARTIAL, opts, &stop);
    if (!stop)
        value = addr_find_try(maps, "*", FIND_PARTIAL, &stop);
    myfree(bare);
    return value;
}

const char *
addr_find_domain(struct maps *maps, const char *domain, const struct addr_find_opts *opts)
{
    int stop = 0;

    return addr_find_parents(maps, domain, FIND_FULL, opts, &stop);
}

const char *
addr_find_ip(struct maps *maps, const char *address)
{
    char *copy = mystrdup(address);
    int delim = strchr(copy, ':') ? ':' : '.';
    int flags = FIND_FULL;
    const char *value = NULL;
    int stop = 0;

    do {
        value = addr_find_try(maps, copy, flags, &stop);
        flags = FIND_PARTIAL;
    } while (!stop && split_at_right(copy, delim) != NULL);
    myfree(copy);
    return value;
}

const char *
addr_find_client(struct maps *maps, const char *hostname, const char *address,
                 const struct addr_find_opts *opts)
{
    const char *value;

    if (hostname != NULL) {
        if ((value = addr_find_domain(maps, hostname, opts)) != NULL ||
            maps->error != DICT_ERR_NONE)
            return value;
    }
    return addr_find_ip(maps, address);
}
