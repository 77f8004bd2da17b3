/*
 * dict_regexp - regexp: tables (regexp_table(5)): POSIX regular
 * expressions (regcomp/regexec), on top of the shared rule code in
 * dict_pattern.
 *
 * Entry point: dict_regexp_open(name, O_RDONLY, dict_flags); see
 * dict_pattern.h for the table syntax.
 *
 * Flags (each letter toggles): i case-insensitive (default on), x
 * extended syntax (default on), m newline-sensitive matching. As in
 * Postfix, a rule may also be "/re1/!/re2/ result": re1 must match and
 * re2 must not.
 *
 * Bad input: a regex that does not compile is logged with the C library's
 * reason and skipped. Before compiling, the repetition bounds are weighed:
 * the C library expands "x{m,n}" into copies, so a rule such as
 * "/a{1,32767}/" would cost seconds and gigabytes; a regex whose expanded
 * size exceeds DICT_REGEXP_COST_LIMIT is refused with a warning instead
 * (Postfix has no such guard). A failure inside regexec is logged and the
 * rule passed over.
 */
#include <regex.h>
#include <string.h>

#include "table/dict_pattern.h"
#include "table/dict_types.h"
#include "util/msg.h"
#include "util/mymalloc.h"

#define DICT_REGEXP_COST_LIMIT 2000UL /* atoms after expanding bounds */
#define DICT_REGEXP_NEST_MAX 64       /* deeper groups are weighed as atoms */

struct dict_regexp_re {
    regex_t re;
    regmatch_t *pmatch; /* NULL when groups are not used */
    size_t nmatch;
    int status; /* result of the last regexec */
};

/* Weight of a regex: sums per group level, the last atom's weight. */
struct dict_regexp_cost {
    unsigned long sum[DICT_REGEXP_NEST_MAX];
    unsigned long last[DICT_REGEXP_NEST_MAX];
    int depth;
};

static unsigned long
dict_regexp_cap(unsigned long value)
{
    return value > DICT_REGEXP_COST_LIMIT ? DICT_REGEXP_COST_LIMIT + 1 : value;
}

static void
dict_regexp_atom(struct dict_regexp_cost *cost, unsigned long weight)
{
    cost->sum[cost->depth] = dict_regexp_cap(cost->sum[cost->depth] + weight);
    cost->last[cost->depth] = weight;
}

static void
dict_regexp_repeat(struct dict_regexp_cost *cost, unsigned long factor)
{
    unsigned long last = cost->last[cost->depth];
    unsigned long grown = dict_regexp_cap(last * (factor ? factor : 1));

    cost->sum[cost->depth] = dict_regexp_cap(cost->sum[cost->depth] - last + grown);
    cost->last[cost->depth] = grown;
}

/* Skips a bracket expression starting at '['; returns what follows. */
static const char *
dict_regexp_skip_bracket(const char *cp)
{
    cp++;
    if (*cp == '^')
        cp++;
    if (*cp == ']')
        cp++;
    while (*cp && *cp != ']') {
        if (*cp == '[' && (cp[1] == ':' || cp[1] == '.' || cp[1] == '=')) {
            const char *end = strchr(cp + 2, cp[1]);

            cp = (end != NULL && end[1] == ']') ? end + 2 : cp + 1;
        } else {
            cp++;
        }
    }
    return *cp ? cp + 1 : cp;
}

/*
 * Reads a bound "m}", "m,}" or "m,n}" (after the opening brace; close is
 * "}" or "\}"). Returns what follows and the largest count, or NULL.
 */
static const char *
dict_regexp_bound(const char *cp, const char *close, unsigned long *factor)
{
    unsigned long low = 0;
    unsigned long high = 0;
    int comma = 0;
    int high_digits = 0;

    if (*cp < '0' || *cp > '9')
        return NULL;
    for (; *cp >= '0' && *cp <= '9'; cp++)
        low = dict_regexp_cap(low * 10 + (unsigned long)(*cp - '0'));
    if (*cp == ',') {
        comma = 1;
        for (cp++; *cp >= '0' && *cp <= '9'; cp++, high_digits++)
            high = dict_regexp_cap(high * 10 + (unsigned long)(*cp - '0'));
    }
    if (strncmp(cp, close, strlen(close)) != 0)
        return NULL;
    *factor = high_digits ? high : comma ? low + 1 : low;
    if (*factor < low)
        *factor = low;
    return cp + strlen(close);
}

/* The expanded size of regex, capped just above the limit. */
static unsigned long
dict_regexp_weigh(const char *regex, int extended)
{
    struct dict_regexp_cost cost;
    const char *cp = regex;
    const char *next;
    unsigned long factor;
    unsigned long inner;

    memset(&cost, 0, sizeof(cost));
    while (*cp) {
        if (*cp == '[') {
            cp = dict_regexp_skip_bracket(cp);
            dict_regexp_atom(&cost, 1);
        } else if (extended ? *cp == '{' : (cp[0] == '\\' && cp[1] == '{')) {
            next = dict_regexp_bound(cp + (extended ? 1 : 2), extended ? "}" : "\\}", &factor);
            if (next != NULL) {
                dict_regexp_repeat(&cost, factor);
                cp = next;
            } else {
                dict_regexp_atom(&cost, 1);
                cp += extended ? 1 : 2;
            }
        } else if ((extended ? *cp == '(' : (cp[0] == '\\' && cp[1] == '(')) &&
                   cost.depth + 1 < DICT_REGEXP_NEST_MAX) {
            cost.depth++;
            cost.sum[cost.depth] = cost.last[cost.depth] = 0;
            cp += extended ? 1 : 2;
        } else if ((extended ? *cp == ')' : (cp[0] == '\\' && cp[1] == ')')) && cost.depth > 0) {
            inner = cost.sum[cost.depth--];
            dict_regexp_atom(&cost, inner);
            cp += extended ? 1 : 2;
        } else if (extended && *cp == '+') {
            dict_regexp_repeat(&cost, 2);
            cp++;
        } else if (*cp == '*' || (extended && (*cp == '?' || *cp == '|'))) {
            cp++;
        } else {
            dict_regexp_atom(&cost, 1);
            cp += (cp[0] == '\\' && cp[1] != 0) ? 2 : 1;
        }
    }
    while (cost.depth > 0) {
        inner = cost.sum[cost.depth--];
        dict_regexp_atom(&cost, inner);
    }
    return cost.sum[0];
}

static int
dict_regexp_flag(const char *map, int lineno, int ch, int *flags)
{
    (void)map;
    (void)lineno;
    switch (ch) {
    case 'i':
        *flags ^= REG_ICASE;
        return 1;
    case 'x':
        *flags ^= REG_EXTENDED;
        return 1;
    case 'm':
        *flags ^= REG_NEWLINE;
        return 1;
    default:
        return 0;
    }
}

static void *
dict_regexp_compile(const char *map, int lineno, const char *regex, int flags, int want_groups,
                    size_t *group_count)
{
    struct dict_regexp_re *re;
    char reason[256];
    int error;

    if (dict_regexp_weigh(regex, flags & REG_EXTENDED) > DICT_REGEXP_COST_LIMIT) {
        msg_warn("regexp map %s, line %d: regular expression is too complex "
                 "(repetition counts too large): skipping this rule",
                 map, lineno);
        return NULL;
    }
    re = mycalloc(1, sizeof(*re));
    if ((error = regcomp(&re->re, regex, flags | (want_groups ? 0 : REG_NOSUB))) != 0) {
        regerror(error, &re->re, reason, sizeof(reason));
        msg_warn("regexp map %s, line %d: %s", map, lineno, reason);
        myfree(re);
        return NULL;
    }
    *group_count = re->re.re_nsub;
    if (want_groups) {
        re->nmatch = re->re.re_nsub + 1;
        re->pmatch = mymalloc(re->nmatch * sizeof(*re->pmatch));
    }
    return re;
}

static int
dict_regexp_exec(const char *map, int lineno, void *handle, const char *key)
{
    struct dict_regexp_re *re = handle;
    char reason[256];

    re->status = regexec(&re->re, key, re->nmatch, re->pmatch, 0);
    if (re->status == 0)
        return 1;
    if (re->status == REG_NOMATCH)
        return 0;
    regerror(re->status, &re->re, reason, sizeof(reason));
    msg_warn("regexp map %s, line %d: %s", map, lineno, reason);
    return -1;
}

static int
dict_regexp_group(void *handle, size_t n, size_t *start, size_t *end)
{
    struct dict_regexp_re *re = handle;

    if (re->status != 0 || n >= re->nmatch || re->pmatch[n].rm_so < 0)
        return 0;
    *start = (size_t)re->pmatch[n].rm_so;
    *end = (size_t)re->pmatch[n].rm_eo;
    return 1;
}

static void
dict_regexp_free(void *handle)
{
    struct dict_regexp_re *re = handle;

    regfree(&re->re);
    myfree(re->pmatch);
    myfree(re);
}

static const struct dict_regex_ops dict_regexp_ops = {
    .type = "regexp",
    .unclosed = "skipping",
    .low_index = "out-of-range",
    .backslash_closes = 1,
    .second_pattern = 1,
    .default_flags = REG_EXTENDED | REG_ICASE,
    .flag = dict_regexp_flag,
    .compile = dict_regexp_compile,
    .exec = dict_regexp_exec,
    .group = dict_regexp_group,
    .free = dict_regexp_free,
};

struct dict *
dict_regexp_open(const char *name, int open_flags, int dict_flags)
{
    return dict_pattern_open(&dict_regexp_ops, name, open_flags, dict_flags);
}
