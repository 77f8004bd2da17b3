/*
 * dict_cidr - cidr: tables (cidr_table(5)): IPv4 and IPv6 network
 * patterns, first match wins.
 *
 * Entry point: dict_cidr_open(name, O_RDONLY, dict_flags). NAME is a file,
 * or inline rules "{ {rule}, ... }" (dict_stream.h).
 *
 * Table syntax, one rule per logical line:
 *   pattern result          pattern is ADDR, ADDR/LEN, [ADDR], [ADDR]/LEN
 *   !pattern result         applies to addresses outside the network
 *   if pattern / if !pattern ... endif   nested blocks
 * Each '!' (white space may follow) toggles the sense. "if"/"endif" are
 * case-insensitive and must not be followed by a letter or digit; after
 * "if" the whole rest of the line is the pattern. The address forms are
 * parsed by util/cidr_match.
 *
 * Lookup: the key must be a plain IPv4 or IPv6 address (anything else is
 * "not found"). A rule or IF of the other address family never applies,
 * negated or not.
 *
 * Bad input: each bad rule is skipped with "cidr map FILE, line N: REASON:
 * skipping this rule" (bad address or mask, host bits set, no result,
 * ENDIF without IF, text after ENDIF); an IF left open at end of file is
 * reported and covers the rest of the file. A file that cannot be opened
 * or read gives a surrogate table (dict_surrogate).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "table/dict_pattern.h"
#include "table/dict_stream.h"
#include "table/dict_types.h"
#include "util/cidr_match.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/readlline.h"

struct dict_cidr_rule {
    struct cidr_match net;
    int is_if;      /* IF rule, else match rule */
    int match;      /* 1: applies inside the network; 0: outside */
    char *value;    /* match rule: the result */
    size_t skip_to; /* IF rule: index of the rule after its ENDIF */
};

struct dict_cidr {
    struct dict dict;
    struct dict_cidr_rule *rules;
    size_t count;
    size_t size;
};

/* Parser state while loading. */
struct dict_cidr_load {
    struct dict_cidr *dc;
    struct dict_ifstack ifs;
    struct vstring *why;
};

static void
dict_cidr_skip(struct dict_cidr_load *ld, int lineno, const char *reason)
{
    msg_warn("cidr map %s, line %d: %s: skipping this rule", ld->dc->dict.name, lineno, reason);
}

static struct dict_cidr_rule *
dict_cidr_add(struct dict_cidr *dc)
{
    if (dc->count == dc->size) {
        dc->size = dc->size ? 2 * dc->size : 16;
        dc->rules = myrealloc(dc->rules, dc->size * sizeof(*dc->rules));
    }
    memset(dc->rules + dc->count, 0, sizeof(*dc->rules));
    return dc->rules + dc->count++;
}

/* "endif": text after it, or no open IF, makes it a bad rule. */
static void
dict_cidr_parse_endif(struct dict_cidr_load *ld, int lineno, char *p)
{
    size_t if_rule;
    int if_line;

    for (p += 5; DICT_ISSPACE(*p); p++)
        ;
    if (*p != 0)
        dict_cidr_skip(ld, lineno, "garbage after ENDIF");
    else if (!dict_ifstack_pop(&ld->ifs, &if_rule, &if_line))
        dict_cidr_skip(ld, lineno, "ENDIF without IF");
    else
        ld->dc->rules[if_rule].skip_to = ld->dc->count;
}

static void
dict_cidr_parse_line(struct dict_cidr_load *ld, int lineno, char *p)
{
    struct dict_cidr_rule rule;
    char *value = NULL;

    memset(&rule, 0, sizeof(rule));
    if (dict_pattern_keyword(p, "endif")) {
        dict_cidr_parse_endif(ld, lineno, p);
        return;
    }
    if (dict_pattern_keyword(p, "if")) {
        rule.is_if = 1;
        p += 2;
    }
    for (rule.match = 1; *p == '!' || DICT_ISSPACE(*p); p++)
        if (*p == '!')
            rule.match = !rule.match;
    if (*p == 0) {
        dict_cidr_skip(ld, lineno, "no address pattern");
        return;
    }
    if (!rule.is_if) {
        for (value = p; *value && !DICT_ISSPACE(*value); value++)
            ;
        if (*value)
            *value++ = 0;
        while (DICT_ISSPACE(*value))
            value++;
    }
    if (cidr_match_parse(&rule.net, p, ld->why) < 0) {
        dict_cidr_skip(ld, lineno, vstring_str(ld->why));
        return;
    }
    if (!rule.is_if && *value == 0) {
        dict_cidr_skip(ld, lineno, "no lookup result");
        return;
    }
    if (!rule.is_if)
        rule.value = mystrdup(value);
    *dict_cidr_add(ld->dc) = rule;
    if (rule.is_if)
        dict_ifstack_push(&ld->ifs, ld->dc->count - 1, lineno);
}

/* Reads every rule; returns errno as it was when reading stopped. */
static int
dict_cidr_load(struct dict_cidr *dc, struct vstream *fp)
{
    struct dict_cidr_load ld;
    struct vstring *line = vstring_alloc(100);
    size_t if_rule;
    int lineno = 0;
    int first_line;
    int if_line;
    int read_errno;

    ld.dc = dc;
    ld.why = vstring_alloc(100);
    dict_ifstack_init(&ld.ifs);
    while (readlline(line, fp, &lineno, &first_line) != NULL)
        dict_cidr_parse_line(&ld, first_line, vstring_str(line));
    read_errno = errno;
    while (dict_ifstack_pop(&ld.ifs, &if_rule, &if_line)) {
        msg_warn("cidr map %s, line %d: IF has no matching ENDIF", dc->dict.name, if_line);
        dc->rules[if_rule].skip_to = dc->count;
    }
    dict_ifstack_free(&ld.ifs);
    vstring_free(ld.why);
    vstring_free(line);
    return read_errno;
}

static const char *
dict_cidr_lookup(struct dict *dict, const char *key)
{
    struct dict_cidr *dc = (struct dict_cidr *)dict;
    struct dict_cidr_rule *rule;
    struct cidr_addr addr;
    size_t i = 0;
    int applies;

    dict->error = DICT_ERR_NONE;
    if (!cidr_addr_parse(&addr, key))
        return NULL;
    while (i < dc->count) {
        rule = dc->rules + i;
        applies =
            rule->net.family == addr.family && cidr_match_test(&rule->net, &addr) == rule->match;
        if (rule->is_if) {
            i = applies ? i + 1 : rule->skip_to;
            continue;
        }
        if (applies)
            return rule->value;
        i++;
    }
    return NULL;
}

static void
dict_cidr_close(struct dict *dict)
{
    struct dict_cidr *dc = (struct dict_cidr *)dict;

    for (size_t i = 0; i < dc->count; i++)
        myfree(dc->rules[i].value);
    myfree(dc->rules);
    dict_free(dict);
}

struct dict *
dict_cidr_open(const char *name, int open_flags, int dict_flags)
{
    struct dict_cidr *dc;
    struct vstream *fp;
    struct vstring *why;
    struct dict *dict;
    struct stat st;
    int read_errno;

    if ((open_flags & O_ACCMODE) != O_RDONLY)
        return dict_surrogate("cidr", name, open_flags, dict_flags,
                              "cidr:%s map requires O_RDONLY access mode", name);
    why = vstring_alloc(100);
    if ((fp = dict_stream_open("cidr", name, why)) == NULL) {
        dict = dict_surrogate("cidr", name, open_flags, dict_flags, "%s", vstring_str(why));
        vstring_free(why);
        return dict;
    }
    vstring_free(why);
    dc = (struct dict_cidr *)dict_alloc("cidr", name, sizeof(*dc));
    dc->dict.flags = dict_flags | DICT_FLAG_PATTERN;
    dc->dict.open_flags = open_flags;
    dc->dict.lookup = dict_cidr_lookup;
    dc->dict.close = dict_cidr_close;
    if (*name != '{' && fstat(vstream_fileno(fp), &st) == 0)
        dc->dict.mtime = st.st_mtime;
    read_errno = dict_cidr_load(dc, fp);
    if (vstream_error(fp)) {
        vstream_close(fp);
        dict_cidr_close(&dc->dict);
        return dict_surrogate("cidr", name, open_flags, dict_flags, "cidr map %s: read error: %s",
                              name, strerror(read_errno));
    }
    vstream_close(fp);
    return &dc->dict;
}
