/*
 * cleanup_addr - what cleanup does to addresses, in Postfix's order:
 *
 *   cleanup_addr_rewrite(state, rule, addr, result)
 *       trivial-rewrite's "local" or "remote" rule (rewrite_clnt)
 *   cleanup_addr_sender(state, addr, result)
 *       envelope sender: rewrite by rewrite_context, then
 *       sender_canonical_maps, canonical_maps, masquerading (each only
 *       when its *_classes has envelope_sender and the request allows
 *       mapping, CLEANUP_FLAG_MAP_OK). The null sender stays null.
 *   cleanup_addr_recipient(state, rcpt)
 *       envelope recipient: rewrite, recipient_canonical_maps,
 *       canonical_maps, masquerading, then virtual_alias_maps expansion
 *       (recursive, bounded by virtual_alias_recursion_limit and
 *       virtual_alias_expansion_limit); each result that was not written
 *       yet becomes a pending recipient record (duplicates, the same
 *       address with the same original recipient and NOTIFY, are dropped;
 *       at most duplicate_filter_limit addresses are remembered for that).
 *       The original recipient is kept unless enable_original_recipient
 *       is off. A recipient without a DSN ORCPT gets "rfc822;" and its
 *       address as rewritten (before canonical and virtual mapping), as
 *       Postfix records it, so notices name the address the client meant.
 *   cleanup_addr_bcc(state, maps, addr)
 *       sender_bcc_maps / recipient_bcc_maps: remembers the blind copy
 *       recipients for the end of the message (CLEANUP_FLAG_BCC_OK).
 *   cleanup_addr_header(state, class, addr, result)
 *       an address in a header: the same steps for header_sender or
 *       header_recipient (no virtual aliasing). Mail from a remote
 *       client (rewrite_context remote) has its headers rewritten only
 *       when remote_header_rewrite_domain is set (cleanup_header.c), with
 *       trivial-rewrite's "remote" rule, which appends that domain.
 *
 * All addresses are in internal (unquoted) form. A table lookup error
 * makes the message fail with CLEANUP_STAT_DEFER (try again later), as
 * do unreasonable alias nesting and expansion sizes, with Postfix's
 * warnings.
 */
#include <ctype.h>
#include <string.h>

#include "cleanup.h"
#include "mail/addr_parse.h"
#include "mail/quote_addr.h"
#include "mail/rewrite_clnt.h"
#include "util/msg.h"
#include "util/mymalloc.h"

#define CLEANUP_MAP11_MAX 10 /* canonical lookups chained for one address */

void
cleanup_addr_rewrite(struct cleanup_state *state, const char *rule, const char *addr,
                     struct vstring *result)
{
    if (*addr == 0) {
        vstring_reset(result);
        return;
    }
    if (rewrite_clnt(rule, addr, result) < 0) {
        vstring_strcpy(result, addr);
        cleanup_fail(state, CLEANUP_STAT_DEFER, "4.3.0 address rewriting service unavailable");
    }
}

static void
cleanup_lookup_failed(struct cleanup_state *state, struct maps *maps)
{
    cleanup_fail(state, CLEANUP_STAT_DEFER, "4.3.0 %s lookup failure", maps->title);
}

/* Puts EXT ("+ext") into ADDR before its '@' (or at its end). */
static void
cleanup_add_extension(struct vstring *addr, const char *ext)
{
    char *at = strrchr(vstring_str(addr), '@');
    char *domain = at ? mystrdup(at) : NULL;

    if (at)
        vstring_truncate(addr, (size_t)(at - vstring_str(addr)));
    vstring_strcat(addr, ext);
    if (domain) {
        vstring_strcat(addr, domain);
        myfree(domain);
    }
}

/* One-to-one mapping (canonical): rewrites ADDR in place. */
static void
cleanup_map11(struct cleanup_state *state, struct maps *maps, int propagate, struct vstring *addr)
{
    struct vstring *next = vstring_alloc(100);
    const char *value;
    char *ext;

    for (int count = 0; count < CLEANUP_MAP11_MAX; count++) {
        ext = NULL;
        value = addr_find_mail(maps, vstring_str(addr), &cleanup_cf.find_opts, &ext);
        if (value == NULL) {
            if (maps->error != DICT_ERR_NONE)
                cleanup_lookup_failed(state, maps);
            break;
        }
        unquote_822_local(next, value);
        if (ext && propagate)
            cleanup_add_extension(next, ext);
        myfree(ext);
        if (strcmp(vstring_str(next), vstring_str(addr)) == 0)
            break;
        vstring_strcpy(addr, vstring_str(next));
        if (count == CLEANUP_MAP11_MAX - 1) {
            msg_warn("%s: unreasonable %s map nesting for \"%s\"", state->queue_id, maps->title,
                     vstring_str(addr));
            cleanup_fail(state, CLEANUP_STAT_DEFER, "4.6.0 %s map nesting error", maps->title);
        }
    }
    vstring_free(next);
}

static int
cleanup_masq_excepted(const char *addr, size_t local_len)
{
    char **cpp;

    for (cpp = cleanup_cf.masquerade_exceptions->argv; *cpp; cpp++)
        if (strlen(*cpp) == local_len && strncasecmp(*cpp, addr, local_len) == 0)
            return 1;
    return 0;
}

/* masquerade_domains: user@host.sub.example.com -> user@example.com. */
static void
cleanup_masquerade(struct vstring *addr)
{
    char *at = strrchr(vstring_str(addr), '@');
    const char *domain, *masq;
    size_t dlen, mlen;
    int except;

    if (at == NULL || cleanup_masq_excepted(vstring_str(addr), (size_t)(at - vstring_str(addr))))
        return;
    domain = at + 1;
    dlen = strlen(domain);
    for (char **cpp = cleanup_cf.masquerade_domains->argv; *cpp; cpp++) {
        except = (*cpp)[0] == '!';
        masq = *cpp + except;
        mlen = strlen(masq);
        if (mlen == 0)
            continue;
        if (dlen == mlen && strcasecmp(domain, masq) == 0)
            return;
        if (dlen > mlen && domain[dlen - mlen - 1] == '.' &&
            strcasecmp(domain + dlen - mlen, masq) == 0) {
            if (!except) {
                char *copy = mystrdup(masq);

                vstring_truncate(addr, (size_t)(domain - vstring_str(addr)));
                vstring_strcat(addr, copy);
                myfree(copy);
            }
            return;
        }
    }
}

/* The mapping steps for one address class. */
static void
cleanup_map_class(struct cleanup_state *state, int class, struct vstring *addr)
{
    const struct cleanup_config *cf = &cleanup_cf;
    int sender = (class & (CLEANUP_CLASS_ENV_FROM | CLEANUP_CLASS_HDR_FROM)) != 0;

    if ((state->flags & CLEANUP_FLAG_MAP_OK) == 0 || vstring_len(addr) == 0)
        return;
    if (sender && cf->sender_canonical_maps && (cf->sender_canonical_classes & class))
        cleanup_map11(state, cf->sender_canonical_maps, cf->propagate_canonical, addr);
    if (!sender && cf->recipient_canonical_maps && (cf->recipient_canonical_classes & class))
        cleanup_map11(state, cf->recipient_canonical_maps, cf->propagate_canonical, addr);
    if (cf->canonical_maps && (cf->canonical_classes & class))
        cleanup_map11(state, cf->canonical_maps, cf->propagate_canonical, addr);
    if (cf->masquerade_domains->argc > 0 && (cf->masquerade_classes & class))
        cleanup_masquerade(addr);
}

void
cleanup_addr_sender(struct cleanup_state *state, const char *addr, struct vstring *result)
{
    cleanup_addr_rewrite(state, state->local_context ? "local" : "remote", addr, result);
    cleanup_map_class(state, CLEANUP_CLASS_ENV_FROM, result);
    if ((state->flags & CLEANUP_FLAG_BCC_OK) && cleanup_cf.sender_bcc_maps)
        cleanup_addr_bcc(state, cleanup_cf.sender_bcc_maps, vstring_str(result));
}

/* Remembers the blind copy addresses that MAPS gives ADDR. */
void
cleanup_addr_bcc(struct cleanup_state *state, struct maps *maps, const char *addr)
{
    const char *value;

    if (*addr == 0)
        return;
    if ((value = addr_find_mail(maps, addr, &cleanup_cf.find_opts, NULL)) != NULL)
        (void)addr_parse_header(value, 0, state->bcc, NULL);
    else if (maps->error != DICT_ERR_NONE)
        cleanup_lookup_failed(state, maps);
}

void
cleanup_addr_header(struct cleanup_state *state, int class, const char *addr,
                    struct vstring *result)
{
    cleanup_addr_rewrite(state, state->local_context ? "local" : "remote", addr, result);
    cleanup_map_class(state, class, result);
}

/* Virtual alias expansion of ADDR into OUT; -1 when the limits were hit. */
static int
cleanup_virtual(struct cleanup_state *state, const char *addr, long depth, struct argv *out)
{
    struct maps *maps = cleanup_cf.virtual_alias_maps;
    struct argv *list;
    struct vstring *one;
    const char *value;
    char *ext = NULL;
    int status = 0;

    if (depth > cleanup_cf.virtual_alias_recursion_limit) {
        msg_warn("%s: unreasonable virtual_alias_maps map nesting for %s -- "
                 "message not accepted, try again later",
                 state->queue_id, addr);
        cleanup_fail(state, CLEANUP_STAT_DEFER, "4.6.0 alias expansion error");
        return -1;
    }
    if ((value = addr_find_mail(maps, addr, &cleanup_cf.find_opts, &ext)) == NULL) {
        if (maps->error != DICT_ERR_NONE) {
            cleanup_lookup_failed(state, maps);
            return -1;
        }
        argv_add(out, addr);
        return 0;
    }
    list = argv_alloc(4);
    (void)addr_parse_header(value, 0, list, NULL);
    one = vstring_alloc(100);
    for (size_t i = 0; status == 0 && i < list->argc; i++) {
        cleanup_addr_rewrite(state, "local", list->argv[i], one);
        if (ext && cleanup_cf.propagate_virtual)
            cleanup_add_extension(one, ext);
        if (strcasecmp(vstring_str(one), addr) == 0)
            argv_add(out, vstring_str(one));
        else
            status = cleanup_virtual(state, vstring_str(one), depth + 1, out);
        if (status == 0 && (long)out->argc > cleanup_cf.virtual_alias_expansion_limit) {
            msg_warn("%s: unreasonable virtual_alias_maps map expansion size for %s -- "
                     "message not accepted, try again later",
                     state->queue_id, addr);
            cleanup_fail(state, CLEANUP_STAT_DEFER, "4.6.0 alias expansion error");
            status = -1;
        }
    }
    myfree(ext);
    argv_free(list);
    vstring_free(one);
    return status;
}

/* Writes one final recipient unless it was written before. */
static void
cleanup_out_recipient(struct cleanup_state *state, const struct qfile_rcpt *rcpt,
                      const char *address)
{
    struct qfile_rcpt out = *rcpt;
    struct vstring *buf = vstring_alloc(100);
    char *key;

    /* As Postfix: the same address with another original or NOTIFY is kept. */
    vstring_sprintf(buf, "%d\n%s\n%s", rcpt->notify, rcpt->orig_rcpt ? rcpt->orig_rcpt : "",
                    address);
    key = vstring_export(buf);
    if (htable_find(state->dups, key) != NULL) {
        myfree(key);
        return;
    }
    if (cleanup_cf.duplicate_filter_limit <= 0 ||
        state->dup_count < cleanup_cf.duplicate_filter_limit) {
        htable_enter(state->dups, key, (void *)1);
        state->dup_count++;
    }
    myfree(key);
    out.status = REC_RCPT_PENDING;
    out.address = address;
    myfree(state->last_rcpt);
    state->last_rcpt = mystrdup(address);
    if (state->flags & CLEANUP_FLAG_BOUNCE) {
        argv_add(state->bounce_rcpts, address);
        argv_add(state->bounce_rcpts, rcpt->orig_rcpt ? rcpt->orig_rcpt : "");
    }
    state->rcpt_count++;
    if (state->qf && qfile_put_rcpt(state->qf, &out) < 0)
        cleanup_fail(state, CLEANUP_STAT_WRITE, "4.3.0 queue file write error");
}

void
cleanup_addr_recipient(struct cleanup_state *state, const struct qfile_rcpt *rcpt)
{
    struct vstring *addr = vstring_alloc(100);
    struct vstring *orcpt = vstring_alloc(100);
    struct vstring *final_quoted = vstring_alloc(100);
    struct argv *final = argv_alloc(4);
    struct qfile_rcpt copy = *rcpt;
    char *orig = mystrdup(!cleanup_cf.enable_original_recipient ? ""
                          : rcpt->orig_rcpt && *rcpt->orig_rcpt ? rcpt->orig_rcpt
                                                                : rcpt->address);

    copy.orig_rcpt = orig;
    cleanup_addr_rewrite(state, state->local_context ? "local" : "remote", rcpt->address, addr);
    if (rcpt->dsn_orcpt == NULL || *rcpt->dsn_orcpt == 0) {
        vstring_strcpy(orcpt, "rfc822;");
        quote_822_local(final_quoted, vstring_len(addr) ? vstring_str(addr) : rcpt->address,
                        QUOTE_FLAG_DEFAULT);
        vstring_strcat(orcpt, vstring_str(final_quoted));
        copy.dsn_orcpt = vstring_str(orcpt);
    }
    cleanup_map_class(state, CLEANUP_CLASS_ENV_RCPT, addr);
    if (vstring_len(addr) == 0)
        vstring_strcpy(addr, rcpt->address);
    if ((state->flags & CLEANUP_FLAG_BCC_OK) && cleanup_cf.recipient_bcc_maps &&
        rcpt->notify != REC_NOTIFY_NEVER)
        cleanup_addr_bcc(state, cleanup_cf.recipient_bcc_maps, vstring_str(addr));
    if ((state->flags & CLEANUP_FLAG_MAP_OK) && cleanup_cf.virtual_alias_maps) {
        if (cleanup_virtual(state, vstring_str(addr), 0, final) < 0)
            argv_truncate(final, 0);
    } else {
        argv_add(final, vstring_str(addr));
    }
    for (size_t i = 0; i < final->argc; i++)
        cleanup_out_recipient(state, &copy, final->argv[i]);
    myfree(orig);
    argv_free(final);
    vstring_free(addr);
    vstring_free(orcpt);
    vstring_free(final_quoted);
}
