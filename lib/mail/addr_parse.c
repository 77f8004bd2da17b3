/*
 * addr_parse - header addresses, SMTP paths and address parts on top of
 * tok822; see addr_parse.h for the contracts.
 *
 * The SMTP word splitter keeps the words in external form (quotes and
 * backslashes stay), so that tok822 sees the path exactly as sent. A
 * word that opens '<' or '"' and never closes it is an error.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "mail/addr_parse.h"
#include "mail/tok822.h"
#include "util/mymalloc.h"

/* ------------------------------------------------------------- headers */

int
addr_parse_header(const char *value, size_t token_limit, struct argv *addrs, int *problems)
{
    struct tok822 *tree = tok822_parse(value, token_limit, problems);
    struct vstring *buf = vstring_alloc(100);
    struct tok822 *tp;
    int count = 0;

    for (tp = tree; tp != NULL; tp = tp->next) {
        if (tp->type != TOK822_ADDR)
            continue;
        tok822_internalize(buf, tp->head, TOK822_STR_WIPE);
        argv_addn(addrs, vstring_str(buf), vstring_len(buf));
        count++;
    }
    vstring_free(buf);
    tok822_free_tree(tree);
    return count;
}

/* ----------------------------------------------------------- SMTP paths */

struct addr_path *
addr_path_alloc(void)
{
    struct addr_path *path = mycalloc(1, sizeof(*path));

    path->address = vstring_alloc(100);
    path->external = vstring_alloc(100);
    path->params = argv_alloc(4);
    return path;
}

void
addr_path_free(struct addr_path *path)
{
    vstring_free(path->address);
    vstring_free(path->external);
    argv_free(path->params);
    myfree(path);
}

const char *
addr_smtp_keyword(const char *args, const char *keyword)
{
    size_t len = strlen(keyword);

    while (isspace((unsigned char)*args))
        args++;
    if (strncasecmp(args, keyword, len) != 0 || args[len] != ':')
        return NULL;
    return args + len + 1;
}

/*
 * Copies a <...> or "..." section that starts at CP (its opening byte)
 * into WORD; '<' nests inside '<', quotes take precedence. Returns the
 * input after the closing byte, or NULL when it never closes.
 */
static const char *
addr_smtp_section(struct vstring *word, const char *cp)
{
    struct vstring *stack = vstring_alloc(8);
    int wanted = *cp == '<' ? '>' : '"';
    int ch;

    vstring_addch(stack, wanted);
    vstring_addch(word, *cp++);
    while ((ch = *(const unsigned char *)cp++) != 0) {
        vstring_addch(word, ch);
        if (ch == '\\') {
            if (*cp == 0)
                break;
            vstring_addch(word, *cp++);
        } else if (ch == wanted) {
            vstring_truncate(stack, vstring_len(stack) - 1);
            if (vstring_len(stack) == 0) {
                vstring_free(stack);
                return cp;
            }
            wanted = vstring_end(stack)[-1];
        } else if (ch == '"') {
            vstring_addch(stack, wanted = '"');
        } else if (ch == '<' && wanted == '>') {
            vstring_addch(stack, wanted = '>');
        }
    }
    vstring_free(stack);
    return NULL;
}

/*
 * The next white-space separated word of *CPP into WORD. Returns 1 for a
 * word, 0 at the end of input, -1 for an unterminated section.
 */
static int
addr_smtp_word(struct vstring *word, const char **cpp)
{
    const char *cp = *cpp;
    int ch;

    vstring_reset(word);
    while (isspace((unsigned char)*cp))
        cp++;
    while ((ch = *(const unsigned char *)cp) != 0 && !isspace(ch)) {
        if (ch == '<' || ch == '"') {
            if ((cp = addr_smtp_section(word, cp)) == NULL) {
                *cpp = *cpp + strlen(*cpp);
                return -1;
            }
            continue;
        }
        vstring_addch(word, ch);
        cp++;
        if (ch == '\\' && *cp != 0)
            vstring_addch(word, *cp++);
    }
    *cpp = cp;
    return vstring_len(word) > 0;
}

/* Sets the reason and returns ADDR_PATH_BAD. */
static int
addr_path_bad(struct addr_path *path, const char *reason)
{
    path->reason = reason;
    return ADDR_PATH_BAD;
}

/* Parses the path word (path->external) into path->address. */
static int
addr_path_extract(struct addr_path *path, int options)
{
    const char *word = vstring_str(path->external);
    size_t len = vstring_len(path->external);
    char *text = mystrndup(word, len);
    const char *start = text;
    const char *colon;
    struct tok822 *tree;
    struct tok822 *tp;
    struct tok822 *addr = NULL;
    int naddr = 0;
    int other = 0;

    if (len >= 2 && word[0] == '<' && word[len - 1] == '>') {
        path->flags |= ADDR_PATH_FLAG_BRACKETS;
        text[len - 1] = 0;
        start = text + 1;
    }
    if (*start == '@' && (colon = strchr(start, ':')) != NULL) {
        path->flags |= ADDR_PATH_FLAG_ROUTE;
        start = colon + 1;
    }
    tree = tok822_parse(start, 0, NULL);
    myfree(text);
    for (tp = tree; tp != NULL; tp = tp->next) {
        if (tp->type == TOK822_ADDR) {
            addr = tp;
            naddr++;
        } else if (tp->type != '<' && tp->type != '>') {
            other++;
        }
    }
    if (addr != NULL)
        tok822_internalize(path->address, addr->head, TOK822_STR_WIPE);
    tok822_free_tree(tree);
    if (vstring_len(path->address) == 0)
        path->flags |= ADDR_PATH_FLAG_NULL;
    if (naddr > 1)
        return addr_path_bad(path, "more than one address");
    if ((options & ADDR_PATH_STRICT) && word[0] != '<')
        return addr_path_bad(path, "address not enclosed in <>");
    if ((options & ADDR_PATH_STRICT) && other > 0)
        return addr_path_bad(path, "text other than the address");
    if (vstring_len(path->address) == 0 && (options & ADDR_PATH_ALLOW_EMPTY) == 0)
        return addr_path_bad(path, "empty address");
    if ((options & ADDR_PATH_STRICT) && vstring_str(path->address)[0] == '@')
        return addr_path_bad(path, "address starts with '@'");
    return ADDR_PATH_OK;
}

int
addr_parse_smtp_path(struct addr_path *path, const char *text, int options)
{
    struct vstring *word = vstring_alloc(64);
    const char *cp = text;
    int status;

    vstring_reset(path->address);
    vstring_reset(path->external);
    argv_truncate(path->params, 0);
    path->flags = 0;
    path->reason = NULL;
    status = addr_smtp_word(path->external, &cp);
    if (status == 0) {
        path->reason = "missing address";
        vstring_free(word);
        return ADDR_PATH_MISSING;
    }
    while (addr_smtp_word(word, &cp) != 0)
        argv_addn(path->params, vstring_str(word), vstring_len(word));
    vstring_free(word);
    if (status < 0)
        return addr_path_bad(path, "unbalanced '<' or '\"'");
    return addr_path_extract(path, options);
}

const char *
addr_path_param(const struct addr_path *path, const char *keyword)
{
    size_t len = strlen(keyword);
    size_t n;
    const char *param;

    for (n = 0; n < path->params->argc; n++) {
        param = path->params->argv[n];
        if (strncasecmp(param, keyword, len) == 0 && (param[len] == 0 || param[len] == '='))
            return param[len] ? param + len + 1 : param + len;
    }
    return NULL;
}

/* ------------------------------------------------------- address parts */

struct addr_parts *
addr_parts_alloc(void)
{
    struct addr_parts *parts = mycalloc(1, sizeof(*parts));

    parts->local = vstring_alloc(64);
    parts->extension = vstring_alloc(16);
    parts->domain = vstring_alloc(64);
    return parts;
}

void
addr_parts_free(struct addr_parts *parts)
{
    vstring_free(parts->local);
    vstring_free(parts->extension);
    vstring_free(parts->domain);
    myfree(parts);
}

/* Is LOCAL[0..len) equal to WORD, ignoring case? */
static int
addr_local_is(const char *local, size_t len, const char *word)
{
    return strlen(word) == len && strncasecmp(local, word, len) == 0;
}

ssize_t
addr_extension_offset(const char *local, size_t len, const struct addr_ext_opts *opts)
{
    const char *delims;
    const char *bounce;
    size_t at;

    if (opts == NULL || (delims = opts->recipient_delimiter) == NULL || *delims == 0)
        return -1;
    bounce = opts->double_bounce_sender ? opts->double_bounce_sender : "double-bounce";
    if (addr_local_is(local, len, "postmaster") || addr_local_is(local, len, "mailer-daemon") ||
        addr_local_is(local, len, bounce))
        return -1;
    if (strchr(delims, '-') != NULL && opts->owner_request_special) {
        if (len >= 6 && strncasecmp(local, "owner-", 6) == 0)
            return -1;
        if (len > 8 && strncasecmp(local + len - 8, "-request", 8) == 0)
            return -1;
    }
    for (at = 0; at < len; at++)
        if (local[at] != 0 && strchr(delims, local[at]) != NULL)
            break;
    if (at == 0 || at == len)
        return -1;
    return (ssize_t)at;
}

void
addr_parts_split(struct addr_parts *parts, const char *addr, const struct addr_ext_opts *opts)
{
    const char *at = strrchr(addr, '@');
    size_t local_len = at ? (size_t)(at - addr) : strlen(addr);
    ssize_t ext;

    parts->has_domain = at != NULL;
    vstring_strcpy(parts->domain, at ? at + 1 : "");
    vstring_reset(parts->extension);
    parts->delimiter = 0;
    if ((ext = addr_extension_offset(addr, local_len, opts)) < 0) {
        vstring_strncpy(parts->local, addr, local_len);
        return;
    }
    vstring_strncpy(parts->local, addr, (size_t)ext);
    parts->delimiter = (unsigned char)addr[ext];
    vstring_strncpy(parts->extension, addr + ext + 1, local_len - (size_t)ext - 1);
}
