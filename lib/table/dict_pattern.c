/*
 * dict_pattern - the shared half of the pcre and regexp tables: parsing
 * rules, IF/ENDIF nesting, "$N" substitution and lookup; see
 * dict_pattern.h for the syntax and the behaviour on bad input.
 *
 * Representation: one array of rules in file order. A match rule holds
 * the compiled regex, its sense (match or !match) and either a literal
 * result or a result template with $N references (checked at open time, so
 * expansion at lookup cannot fail). An IF rule holds the index of the rule
 * that follows its ENDIF; ENDIF lines themselves leave no rule. Lookup
 * walks the array once and jumps over an IF block whose condition fails.
 *
 * Memory: the dict owns its rules, the compiled regexes (freed through
 * ops->free) and the result buffer; a lookup result stays valid until the
 * next lookup on the same dict.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "table/dict_pattern.h"
#include "table/dict_stream.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/readlline.h"
#include "util/stringops.h"

struct dict_pattern_rule {
    int is_if;      /* IF rule, else match rule */
    int match;      /* 1: applies on match; 0: applies on no match */
    int lineno;     /* first line of the rule, for messages */
    void *re;       /* compiled by ops->compile */
    void *re2;      /* "/re/!/re2/" form (regexp only): second regex, or NULL */
    int match2;     /* 1: applies when re2 matches too; 0: when it does not */
    char *value;    /* result template with $N, or NULL */
    char *literal;  /* result without substitution, or NULL */
    size_t skip_to; /* IF rule: index of the rule after its ENDIF */
};

struct dict_pattern {
    struct dict dict;
    const struct dict_regex_ops *ops;
    struct dict_pattern_rule *rules;
    size_t count;
    size_t size;
    struct vstring *result;   /* lookup result */
    struct vstring *scan_buf; /* scratch for dict_pattern_scan */
};

/* Parsed head of a rule: sense, regex text and flags. */
struct dict_pattern_head {
    int match;
    char *regex;
    int flags;
    int second; /* a second regex follows at once ("/re1/!/re2/") */
};

/* dict_pattern_scan callback kinds. */
#define SCAN_LITERAL 1
#define SCAN_NAME 2

typedef int (*dict_scan_fn)(int kind, const char *text, void *context);

/* State of the open-time check of a result template. */
struct dict_prescan {
    struct dict_pattern *dp;
    int lineno;
    int max_sub;
};

/* State of result expansion. */
struct dict_expand {
    struct dict_pattern *dp;
    struct dict_pattern_rule *rule;
    const char *key;
};

/* IF/ENDIF stack. */

void
dict_ifstack_init(struct dict_ifstack *ifs)
{
    memset(ifs, 0, sizeof(*ifs));
}

void
dict_ifstack_push(struct dict_ifstack *ifs, size_t rule, int lineno)
{
    if (ifs->depth == ifs->size) {
        ifs->size = ifs->size ? 2 * ifs->size : 8;
        ifs->rule = myrealloc(ifs->rule, ifs->size * sizeof(*ifs->rule));
        ifs->lineno = myrealloc(ifs->lineno, ifs->size * sizeof(*ifs->lineno));
    }
    ifs->rule[ifs->depth] = rule;
    ifs->lineno[ifs->depth] = lineno;
    ifs->depth++;
}

/* Pops the innermost open IF: 1, or 0 when none is open. */
int
dict_ifstack_pop(struct dict_ifstack *ifs, size_t *rule, int *lineno)
{
    if (ifs->depth == 0)
        return 0;
    ifs->depth--;
    *rule = ifs->rule[ifs->depth];
    *lineno = ifs->lineno[ifs->depth];
    return 1;
}

void
dict_ifstack_free(struct dict_ifstack *ifs)
{
    myfree(ifs->rule);
    myfree(ifs->lineno);
    memset(ifs, 0, sizeof(*ifs));
}

int
dict_pattern_keyword(const char *line, const char *keyword)
{
    size_t len = strlen(keyword);

    return strncasecmp(line, keyword, len) == 0 && !DICT_ISALNUM(line[len]);
}

/*
 * dict_pattern_scan - split a result into literal text and $name
 * references ($name, ${name}, $(name); $$ is a literal '$'), calling fn
 * for each. Returns 0, or -1 when the syntax is bad (logged) or fn
 * returned -1 for some part.
 *
 * Error recovery follows Postfix so that the same warnings appear: after
 * fn refuses a name, plain $name references are still passed to fn, but
 * scanning stops at the next ${...} or $(...) reference; an unterminated
 * reference or an empty name always stops it.
 */
static int
dict_pattern_scan(const char *value, struct vstring *buf, dict_scan_fn fn, void *context)
{
    const char *cp = value;
    const char *name;
    const char *end;
    int status = 0;
    int open;
    int close;
    int level;

    vstring_reset(buf);
    while (*cp) {
        if (*cp != '$' || cp[1] == '$') {
            vstring_addch(buf, *cp);
            cp += (*cp == '$') ? 2 : 1;
            continue;
        }
        if (vstring_len(buf) > 0 && fn(SCAN_LITERAL, vstring_str(buf), context) < 0)
            status = -1;
        vstring_reset(buf);
        cp++;
        if (*cp == '{' || *cp == '(') {
            open = *cp;
            close = (open == '{') ? '}' : ')';
            name = ++cp;
            for (level = 1, end = cp; /* void */; end++) {
                if (*end == 0) {
                    msg_warn("truncated macro reference: \"%s\"", value);
                    return -1;
                }
                if (*end == open)
                    level++;
                else if (*end == close && --level == 0)
                    break;
            }
            if (status < 0)
                return -1;
            cp = end + 1;
        } else {
            for (name = end = cp; DICT_ISALNUM(*end) || *end == '_'; end++)
                ;
            cp = end;
        }
        if (end == name) {
            msg_warn("empty macro name: \"%s\"", value);
            return -1;
        }
        vstring_strncpy(buf, name, (size_t)(end - name));
        if (fn(SCAN_NAME, vstring_str(buf), context) < 0)
            status = -1;
        vstring_reset(buf);
    }
    if (status == 0 && vstring_len(buf) > 0 && fn(SCAN_LITERAL, vstring_str(buf), context) < 0)
        status = -1;
    return status;
}

/* Decimal digits to int, saturating at INT_MAX. */
static int
dict_pattern_index(const char *digits)
{
    long value = 0;

    for (; *digits; digits++)
        if ((value = value * 10 + (*digits - '0')) > INT_MAX)
            return INT_MAX;
    return (int)value;
}

/* Open-time check of one $name reference in a result. */
static int
dict_pattern_prescan(int kind, const char *text, void *context)
{
    struct dict_prescan *ps = context;
    struct dict_pattern *dp = ps->dp;
    int n;

    if (kind != SCAN_NAME)
        return 0;
    if (!alldig(text)) {
        msg_warn("%s map %s, line %d: non-numeric replacement index \"%s\"", dp->ops->type,
                 dp->dict.name, ps->lineno, text);
        return -1;
    }
    if ((n = dict_pattern_index(text)) < 1) {
        msg_warn("%s map %s, line %d: %s replacement index \"%s\"", dp->ops->type, dp->dict.name,
                 ps->lineno, dp->ops->low_index, text);
        return -1;
    }
    if (n > ps->max_sub)
        ps->max_sub = n;
    return 0;
}

/* Lookup-time expansion: literal text, or the text of group N of the key. */
static int
dict_pattern_expand(int kind, const char *text, void *context)
{
    struct dict_expand *ex = context;
    size_t start;
    size_t end;

    if (kind == SCAN_LITERAL) {
        vstring_strcat(ex->dp->result, text);
    } else if (ex->rule != NULL &&
               ex->dp->ops->group(ex->rule->re, (size_t)dict_pattern_index(text), &start, &end) &&
               end > start) {
        vstring_memcat(ex->dp->result, ex->key + start, end - start);
    }
    return 0;
}

/* Appends a rule and returns it, zeroed. */
static struct dict_pattern_rule *
dict_pattern_add(struct dict_pattern *dp)
{
    if (dp->count == dp->size) {
        dp->size = dp->size ? 2 * dp->size : 16;
        dp->rules = myrealloc(dp->rules, dp->size * sizeof(*dp->rules));
    }
    memset(dp->rules + dp->count, 0, sizeof(*dp->rules));
    return dp->rules + dp->count++;
}

/*
 * Parses "[!...]<d>regex<d>flags" at *pp (the regex is cut out in place)
 * and leaves *pp after the white space that follows. Returns 1, or 0 after
 * a warning.
 */
static int
dict_pattern_head(struct dict_pattern *dp, int lineno, char **pp, struct dict_pattern_head *head)
{
    const struct dict_regex_ops *ops = dp->ops;
    char *p = *pp;
    int delim;
    int closed;

    for (head->match = 1; *p == '!' || DICT_ISSPACE(*p); p++)
        if (*p == '!')
            head->match = !head->match;
    if (*p == 0) {
        msg_warn("%s map %s, line %d: no regexp: skipping this rule", ops->type, dp->dict.name,
                 lineno);
        return 0;
    }
    delim = *p++;
    head->regex = p;
    for (closed = 0; *p; p++) {
        if (*p == '\\') {
            if (p[1] == 0) {
                closed = ops->backslash_closes;
                break;
            }
            p++;
        } else if (*p == delim) {
            closed = 1;
            break;
        }
    }
    if (!closed) {
        msg_warn("%s map %s, line %d: no closing regexp delimiter \"%c\": %s this rule", ops->type,
                 dp->dict.name, lineno, delim, ops->unclosed);
        return 0;
    }
    *p++ = 0;
    for (head->flags = ops->default_flags; *p && !DICT_ISSPACE(*p); p++) {
        if (*p == '!' && ops->second_pattern)
            break;
        if (!ops->flag(dp->dict.name, lineno, (unsigned char)*p, &head->flags)) {
            msg_warn("%s map %s, line %d: unknown regexp option \"%c\": skipping this rule",
                     ops->type, dp->dict.name, lineno, *p);
            return 0;
        }
    }
    head->second = (*p == '!' && ops->second_pattern);
    while (DICT_ISSPACE(*p))
        p++;
    *pp = p;
    return 1;
}

/* Checks a result template; returns the largest $N (0 if none), or -1. */
static int
dict_pattern_check_result(struct dict_pattern *dp, int lineno, const char *value,
                          const struct dict_pattern_head *head)
{
    const char *type = dp->ops->type;
    struct dict_prescan ps = {dp, lineno, 0};

    if (dict_pattern_scan(value, dp->scan_buf, dict_pattern_prescan, &ps) < 0) {
        msg_warn("%s map %s, line %d: bad replacement syntax: skipping this rule", type,
                 dp->dict.name, lineno);
        return -1;
    }
    if (ps.max_sub > 0 && !head->match) {
        msg_warn("%s map %s, line %d: $number found in negative match replacement text: "
                 "skipping this rule",
                 type, dp->dict.name, lineno);
        return -1;
    }
    if (ps.max_sub > 0 && (dp->dict.flags & DICT_FLAG_NO_REGSUB)) {
        msg_warn("%s map %s, line %d: regular expression substitution is not allowed: "
                 "skipping this rule",
                 type, dp->dict.name, lineno);
        return -1;
    }
    return ps.max_sub;
}

/* "/regex/flags result": a match rule. */
static void
dict_pattern_parse_match(struct dict_pattern *dp, int lineno, char *p)
{
    struct dict_pattern_head head;
    struct dict_pattern_head head2 = {1, NULL, 0, 0};
    struct dict_pattern_rule *rule;
    struct dict_expand ex = {dp, NULL, ""};
    size_t group_count;
    int max_sub;
    void *re2 = NULL;
    void *re;

    if (!dict_pattern_head(dp, lineno, &p, &head))
        return;
    if (head.second && !dict_pattern_head(dp, lineno, &p, &head2))
        return;
    if (*p == 0)
        msg_warn("%s map %s, line %d: no replacement text: using empty string", dp->ops->type,
                 dp->dict.name, lineno);
    if ((max_sub = dict_pattern_check_result(dp, lineno, p, &head)) < 0)
        return;
    re = dp->ops->compile(dp->dict.name, lineno, head.regex, head.flags, max_sub > 0, &group_count);
    if (re == NULL)
        return;
    if ((size_t)max_sub > group_count) {
        msg_warn("%s map %s, line %d: out of range replacement index \"%d\": skipping this rule",
                 dp->ops->type, dp->dict.name, lineno, max_sub);
        dp->ops->free(re);
        return;
    }
    if (head.second && (re2 = dp->ops->compile(dp->dict.name, lineno, head2.regex, head2.flags, 0,
                                               &group_count)) == NULL) {
        dp->ops->free(re);
        return;
    }
    rule = dict_pattern_add(dp);
    rule->match = head.match;
    rule->lineno = lineno;
    rule->re = re;
    rule->re2 = re2;
    rule->match2 = head2.match;
    if (max_sub > 0) {
        rule->value = mystrdup(p);
    } else {
        vstring_reset(dp->result);
        dict_pattern_scan(p, dp->scan_buf, dict_pattern_expand, &ex);
        rule->literal = mystrdup(vstring_str(dp->result));
    }
}

/* "if /regex/flags": opens a block. */
static void
dict_pattern_parse_if(struct dict_pattern *dp, int lineno, char *p, struct dict_ifstack *ifs)
{
    struct dict_pattern_head head;
    struct dict_pattern_rule *rule;
    size_t group_count;
    void *re;

    for (p += 2; DICT_ISSPACE(*p); p++)
        ;
    if (!dict_pattern_head(dp, lineno, &p, &head))
        return;
    if (*p != 0) {
        msg_warn("%s map %s, line %d: ignoring extra text after IF statement: \"%s\"",
                 dp->ops->type, dp->dict.name, lineno, p);
        msg_warn("%s map %s, line %d: do not prepend whitespace to statements between IF and "
                 "ENDIF",
                 dp->ops->type, dp->dict.name, lineno);
    }
    if ((re = dp->ops->compile(dp->dict.name, lineno, head.regex, head.flags, 0, &group_count)) ==
        NULL)
        return;
    rule = dict_pattern_add(dp);
    rule->is_if = 1;
    rule->match = head.match;
    rule->lineno = lineno;
    rule->re = re;
    dict_ifstack_push(ifs, dp->count - 1, lineno);
}

/* "endif": closes the innermost block. */
static void
dict_pattern_parse_endif(struct dict_pattern *dp, int lineno, char *p, struct dict_ifstack *ifs)
{
    size_t if_rule;
    int if_line;

    for (p += 5; DICT_ISSPACE(*p); p++)
        ;
    if (!dict_ifstack_pop(ifs, &if_rule, &if_line)) {
        msg_warn("%s map %s, line %d: ignoring ENDIF without matching IF", dp->ops->type,
                 dp->dict.name, lineno);
        return;
    }
    if (*p != 0)
        msg_warn("%s map %s, line %d: ignoring extra text after ENDIF", dp->ops->type,
                 dp->dict.name, lineno);
    dp->rules[if_rule].skip_to = dp->count;
}

static void
dict_pattern_parse_line(struct dict_pattern *dp, int lineno, char *line, struct dict_ifstack *ifs)
{
    if (!DICT_ISALNUM(*line))
        dict_pattern_parse_match(dp, lineno, line);
    else if (dict_pattern_keyword(line, "if"))
        dict_pattern_parse_if(dp, lineno, line, ifs);
    else if (dict_pattern_keyword(line, "endif"))
        dict_pattern_parse_endif(dp, lineno, line, ifs);
    else
        msg_warn("%s map %s, line %d: ignoring unrecognized request", dp->ops->type, dp->dict.name,
                 lineno);
}

/* Lookup: the first rule that applies, with $N expanded. */
static const char *
dict_pattern_lookup(struct dict *dict, const char *key)
{
    struct dict_pattern *dp = (struct dict_pattern *)dict;
    struct dict_pattern_rule *rule;
    struct dict_expand ex = {dp, NULL, key};
    size_t i = 0;
    int status;

    dict->error = DICT_ERR_NONE;
    while (i < dp->count) {
        rule = dp->rules + i;
        status = dp->ops->exec(dict->name, rule->lineno, rule->re, key);
        if (rule->is_if) {
            i = (status >= 0 && status == rule->match) ? i + 1 : rule->skip_to;
            continue;
        }
        i++;
        if (status < 0 || status != rule->match)
            continue;
        if (rule->re2 != NULL) {
            status = dp->ops->exec(dict->name, rule->lineno, rule->re2, key);
            if (status < 0 || status != rule->match2)
                continue;
        }
        if (rule->literal != NULL)
            return rule->literal;
        ex.rule = rule;
        vstring_reset(dp->result);
        dict_pattern_scan(rule->value, dp->scan_buf, dict_pattern_expand, &ex);
        return vstring_str(dp->result);
    }
    return NULL;
}

static void
dict_pattern_close(struct dict *dict)
{
    struct dict_pattern *dp = (struct dict_pattern *)dict;

    for (size_t i = 0; i < dp->count; i++) {
        dp->ops->free(dp->rules[i].re);
        if (dp->rules[i].re2 != NULL)
            dp->ops->free(dp->rules[i].re2);
        myfree(dp->rules[i].value);
        myfree(dp->rules[i].literal);
    }
    myfree(dp->rules);
    vstring_free(dp->result);
    vstring_free(dp->scan_buf);
    dict_free(dict);
}

/*
 * Reads every rule; IFs still open at the end cover the rest of the file.
 * Returns errno as it was when reading stopped (for read errors).
 */
static int
dict_pattern_load(struct dict_pattern *dp, struct vstream *fp)
{
    struct vstring *line = vstring_alloc(100);
    struct dict_ifstack ifs;
    size_t if_rule;
    int lineno = 0;
    int first_line;
    int if_line;
    int read_errno;

    dict_ifstack_init(&ifs);
    while (readlline(line, fp, &lineno, &first_line) != NULL)
        dict_pattern_parse_line(dp, first_line, vstring_str(line), &ifs);
    read_errno = errno;
    while (dict_ifstack_pop(&ifs, &if_rule, &if_line)) {
        msg_warn("%s map %s, line %d: IF has no matching ENDIF", dp->ops->type, dp->dict.name,
                 if_line);
        dp->rules[if_rule].skip_to = dp->count;
    }
    dict_ifstack_free(&ifs);
    vstring_free(line);
    return read_errno;
}

/*
 * dict_pattern_open - open a pcre or regexp table. Returns the table, or a
 * surrogate when the source cannot be opened or read.
 */
struct dict *
dict_pattern_open(const struct dict_regex_ops *ops, const char *name, int open_flags,
                  int dict_flags)
{
    struct dict_pattern *dp;
    struct vstream *fp;
    struct vstring *why;
    struct dict *dict;
    struct stat st;
    int read_errno;

    if ((open_flags & O_ACCMODE) != O_RDONLY)
        return dict_surrogate(ops->type, name, open_flags, dict_flags,
                              "%s:%s map requires O_RDONLY access mode", ops->type, name);
    why = vstring_alloc(100);
    fp = dict_stream_open(ops->type, name, why);
    if (fp == NULL) {
        dict = dict_surrogate(ops->type, name, open_flags, dict_flags, "%s", vstring_str(why));
        vstring_free(why);
        return dict;
    }
    vstring_free(why);
    dp = (struct dict_pattern *)dict_alloc(ops->type, name, sizeof(*dp));
    dp->dict.flags = dict_flags | DICT_FLAG_PATTERN;
    dp->dict.open_flags = open_flags;
    dp->dict.lookup = dict_pattern_lookup;
    dp->dict.close = dict_pattern_close;
    if (*name != '{' && fstat(vstream_fileno(fp), &st) == 0)
        dp->dict.mtime = st.st_mtime;
    dp->ops = ops;
    dp->result = vstring_alloc(100);
    dp->scan_buf = vstring_alloc(100);
    read_errno = dict_pattern_load(dp, fp);
    if (vstream_error(fp)) {
        vstream_close(fp);
        dict_pattern_close(&dp->dict);
        return dict_surrogate(ops->type, name, open_flags, dict_flags, "%s map %s: read error: %s",
                              ops->type, name, strerror(read_errno));
    }
    vstream_close(fp);
    return &dp->dict;
}
