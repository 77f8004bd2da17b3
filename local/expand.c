/*
 * expand - $name expansion of forward_path, mailbox_command, luser_relay
 * and command_execution_directory (man 8 local): $user, $home, $shell,
 * $recipient, $extension, $domain, $local, $recipient_delimiter, with the
 * ${name?value} and ${name:value} forms of mac_expand. Each value is
 * passed through the parameter's filter (forward_expansion_filter, ...):
 * a byte not in the filter becomes '_', so a recipient address cannot
 * smuggle shell or path syntax into a command or a file name.
 *
 * Names of the user are empty (undefined) when there is no user.
 * Returns mac_expand's status (MAC_PARSE_ERROR on bad syntax, reported).
 */
#include <string.h>

#include "local.h"
#include "util/mac_expand.h"
#include "util/mymalloc.h"

struct local_expand_ctx {
    const struct local_expand *in;
    struct vstring *local;
    struct vstring *ext;
    struct vstring *domain;
    char delim[2];
    struct vstring *value;
};

char *
local_filter(char *value, const char *filter)
{
    if (filter == NULL)
        return value;
    for (char *cp = value; *cp; cp++)
        if (strchr(filter, *cp) == NULL)
            *cp = '_';
    return value;
}

static const char *
local_expand_raw(const char *name, struct local_expand_ctx *ctx)
{
    const struct local_user *user = ctx->in->user;

    if (strcmp(name, "user") == 0)
        return user ? user->name : NULL;
    if (strcmp(name, "home") == 0)
        return user ? user->home : NULL;
    if (strcmp(name, "shell") == 0)
        return user ? user->shell : NULL;
    if (strcmp(name, "recipient") == 0)
        return ctx->in->state->address;
    if (strcmp(name, "extension") == 0)
        return vstring_len(ctx->ext) ? vstring_str(ctx->ext) : NULL;
    if (strcmp(name, "domain") == 0)
        return vstring_len(ctx->domain) ? vstring_str(ctx->domain) : NULL;
    if (strcmp(name, "local") == 0)
        return vstring_str(ctx->local);
    if (strcmp(name, "recipient_delimiter") == 0)
        return ctx->delim[0] ? ctx->delim : NULL;
    return NULL;
}

static const char *
local_expand_lookup(const char *name, int mode, void *context)
{
    struct local_expand_ctx *ctx = context;
    const char *raw = local_expand_raw(name, ctx);

    (void)mode;
    if (raw == NULL || *raw == 0)
        return NULL;
    vstring_strcpy(ctx->value, raw);
    return local_filter(vstring_str(ctx->value), ctx->in->filter);
}

int
local_expand(struct vstring *result, const char *pattern, const struct local_expand *in)
{
    struct local_expand_ctx ctx;
    struct vstring *bare = vstring_alloc(64);
    int delim = 0;
    int status;

    ctx.in = in;
    ctx.local = vstring_alloc(64);
    ctx.ext = vstring_alloc(16);
    ctx.domain = vstring_alloc(64);
    ctx.value = vstring_alloc(64);
    local_split_address(in->state->address, bare, ctx.ext, ctx.domain, &delim);
    /* $local is the whole local part, extension included. */
    vstring_strcpy(ctx.local, in->state->address);
    if (strrchr(vstring_str(ctx.local), '@') != NULL)
        vstring_truncate(ctx.local,
                         (size_t)(strrchr(vstring_str(ctx.local), '@') - vstring_str(ctx.local)));
    ctx.delim[0] = (char)delim;
    ctx.delim[1] = 0;
    status = mac_expand(result, pattern, MAC_EXP_FLAG_NONE, local_expand_lookup, &ctx);
    vstring_free(bare);
    vstring_free(ctx.local);
    vstring_free(ctx.ext);
    vstring_free(ctx.domain);
    vstring_free(ctx.value);
    return status;
}
