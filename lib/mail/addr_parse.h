/*
 * addr_parse - what callers need from the address parser (tok822) without
 * handling token trees: the addresses of a header, the address of an SMTP
 * MAIL FROM / RCPT TO command, and the parts of an address.
 *
 * Headers (cleanup's recipient extraction, sendmail -t):
 *   n = addr_parse_header(value, token_limit, addrs, &problems);
 * appends to ADDRS the internal form of every address in the header value
 * (the text after "To:", "Cc:", "Bcc:", "From:", ..., unfolded or not),
 * in order, group members included, and returns how many it appended.
 * Phrases, comments, group names and empty groups give no address; an
 * address may come out empty (`""`), which the caller judges. TOKEN_LIMIT
 * is header_address_token_limit (0: none). *problems (may be NULL) gets
 * the TOK822_ERR_* mask; tok822_problem() names it. Never fails.
 *
 * SMTP paths (smtpd):
 *   struct addr_path *path = addr_path_alloc();
 *   if ((text = addr_smtp_keyword(args, "FROM")) == NULL) -> 501 syntax
 *   status = addr_parse_smtp_path(path, text, ADDR_PATH_ALLOW_EMPTY | strict);
 * addr_smtp_keyword skips white space and a case-insensitive "KEYWORD:"
 * and returns the text after the colon (NULL when absent).
 * addr_parse_smtp_path splits TEXT as Postfix's SMTP server does: white
 * space separates words, except inside <...> (which nests) and "..." and
 * after a backslash. The first word is the path; the others are the ESMTP
 * parameters (path->params, as sent; addr_path_param() finds one by
 * keyword). The path is then parsed as one RFC 5322 address: outer <> are
 * removed, then a source route "@a,@b:" (path->flags ADDR_PATH_FLAG_ROUTE),
 * and what remains must hold at most one address; '<', '>' and other text
 * around it are tolerated unless ADDR_PATH_STRICT (strict_rfc821_envelopes)
 * is given, which also requires the <> and refuses comments, phrases and
 * an address that starts with '@'. The null path <> gives the empty
 * address (ADDR_PATH_FLAG_NULL); it is accepted only with
 * ADDR_PATH_ALLOW_EMPTY (MAIL FROM). Results:
 *   ADDR_PATH_OK       path->address holds the internal form
 *   ADDR_PATH_MISSING  no path at all (reply "501 5.5.4 Syntax: ...")
 *   ADDR_PATH_BAD      bad address syntax (reply "501 5.1.7"/"5.1.3");
 *                      path->address holds what could be extracted
 * path->reason names the trouble (static text) or is NULL;
 * path->external is the path word as sent.
 *
 * Address parts:
 *   addr_parts_split(parts, addr, opts)
 * splits an internal-form address at its last '@' into local part and
 * domain, and (when opts and opts->recipient_delimiter are non-empty) the
 * local part at the first of the delimiter characters into local part
 * and extension. Not split: postmaster, mailer-daemon and the
 * double-bounce sender (any case); owner-* and *-request when '-' is a
 * delimiter and owner_request_special is set; a local part that starts
 * with a delimiter. parts->delimiter is the delimiter byte found (0 when
 * none), parts->extension the text after it. addr_extension_offset() is
 * the same decision on a bare local part.
 */
#ifndef TERN_ADDR_PARSE_H
#define TERN_ADDR_PARSE_H

#include <stddef.h>
#include <sys/types.h>

#include "util/argv.h"
#include "util/vstring.h"

int addr_parse_header(const char *value, size_t token_limit, struct argv *addrs, int *problems);

/* Options of addr_parse_smtp_path. */
#define ADDR_PATH_ALLOW_EMPTY (1 << 0)
#define ADDR_PATH_STRICT (1 << 1)

/* path->flags */
#define ADDR_PATH_FLAG_NULL (1 << 0)
#define ADDR_PATH_FLAG_ROUTE (1 << 1)
#define ADDR_PATH_FLAG_BRACKETS (1 << 2)

/* Results of addr_parse_smtp_path. */
#define ADDR_PATH_OK 0
#define ADDR_PATH_MISSING (-1)
#define ADDR_PATH_BAD (-2)

struct addr_path {
    struct vstring *address;  /* internal form; "" for <> */
    struct vstring *external; /* the path word as sent */
    struct argv *params;      /* ESMTP parameters as sent */
    int flags;                /* ADDR_PATH_FLAG_* */
    const char *reason;       /* static text, or NULL */
};

struct addr_path *addr_path_alloc(void);
void addr_path_free(struct addr_path *path);
const char *addr_smtp_keyword(const char *args, const char *keyword);
int addr_parse_smtp_path(struct addr_path *path, const char *text, int options);
const char *addr_path_param(const struct addr_path *path, const char *keyword);

struct addr_ext_opts {
    const char *recipient_delimiter;  /* delimiter characters; NULL or "": none */
    int owner_request_special;        /* owner_request_special */
    const char *double_bounce_sender; /* NULL: "double-bounce" */
};

struct addr_parts {
    struct vstring *local;     /* local part without extension */
    struct vstring *extension; /* extension without delimiter; "" when none */
    int delimiter;             /* the delimiter byte, or 0 */
    struct vstring *domain;    /* text after the last '@'; "" when none */
    int has_domain;            /* the address had an '@' */
};

struct addr_parts *addr_parts_alloc(void);
void addr_parts_free(struct addr_parts *parts);
void addr_parts_split(struct addr_parts *parts, const char *addr, const struct addr_ext_opts *opts);
ssize_t addr_extension_offset(const char *local, size_t len, const struct addr_ext_opts *opts);

#endif
