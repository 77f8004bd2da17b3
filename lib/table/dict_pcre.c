/*
 * dict_pcre - pcre: tables (pcre_table(5)): Perl-compatible regular
 * expressions with PCRE2, on top of the shared rule code in dict_pattern.
 *
 * Entry point: dict_pcre_open(name, O_RDONLY, dict_flags); see
 * dict_pattern.h for the table syntax.
 *
 * Flags (each letter toggles): i caseless (default on), m multiline, s
 * dot matches newline (default on), x extended, A anchored, E dollar at
 * end only, U ungreedy; X is accepted with an "obsolete" warning (PCRE2
 * has no such option).
 *
 * Bad input: a regex that does not compile is logged with its offset and
 * PCRE2's reason, and the rule is skipped. Every match runs under a match
 * limit (PCRE2's usual 10,000,000 steps) and a heap limit, so a
 * pathological pattern fails with "match limit exceeded" instead of
 * hanging: the failure is logged and the rule is passed over, as Postfix
 * does.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "table/dict_pattern.h"
#include "table/dict_types.h"
#include "util/msg.h"
#include "util/mymalloc.h"

#define DICT_PCRE_MATCH_LIMIT 10000000 /* steps; PCRE2's default, made explicit */
#define DICT_PCRE_HEAP_LIMIT 65536     /* KiB of backtracking memory per match */

struct dict_pcre_re {
    pcre2_code *code;
    pcre2_match_data *match_data;
    int status; /* result of the last pcre2_match */
};

/* The one match context (limits); made on first use, kept for the process. */
static pcre2_match_context *
dict_pcre_context(void)
{
    static pcre2_match_context *context;

    if (context == NULL) {
        if ((context = pcre2_match_context_create(NULL)) == NULL)
            msg_fatal("dict_pcre: out of memory for the match context");
        pcre2_set_match_limit(context, DICT_PCRE_MATCH_LIMIT);
        pcre2_set_heap_limit(context, DICT_PCRE_HEAP_LIMIT);
    }
    return context;
}

static int
dict_pcre_flag(const char *map, int lineno, int ch, int *flags)
{
    switch (ch) {
    case 'i':
        *flags ^= PCRE2_CASELESS;
        return 1;
    case 'm':
        *flags ^= PCRE2_MULTILINE;
        return 1;
    case 's':
        *flags ^= PCRE2_DOTALL;
        return 1;
    case 'x':
        *flags ^= PCRE2_EXTENDED;
        return 1;
    case 'A':
        *flags ^= PCRE2_ANCHORED;
        return 1;
    case 'E':
        *flags ^= PCRE2_DOLLAR_ENDONLY;
        return 1;
    case 'U':
        *flags ^= PCRE2_UNGREEDY;
        return 1;
    case 'X':
        msg_warn("pcre map %s, line %d: ignoring obsolete regexp option \"%c\"", map, lineno, ch);
        return 1;
    default:
        return 0;
    }
}

static void *
dict_pcre_compile(const char *map, int lineno, const char *regex, int flags, int want_groups,
                  size_t *group_count)
{
    struct dict_pcre_re *re;
    PCRE2_UCHAR reason[256];
    PCRE2_SIZE offset;
    pcre2_code *code;
    uint32_t count;
    int error;

    (void)want_groups;
    code = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED, (uint32_t)flags, &error, &offset,
                         NULL);
    if (code == NULL) {
        pcre2_get_error_message(error, reason, sizeof(reason));
        msg_warn("pcre map %s, line %d: error in regex at offset %lu: %s", map, lineno,
                 (unsigned long)offset, (char *)reason);
        return NULL;
    }
    if (pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &count) != 0) {
        msg_warn("pcre map %s, line %d: pcre2_pattern_info failed", map, lineno);
        pcre2_code_free(code);
        return NULL;
    }
    re = mycalloc(1, sizeof(*re));
    re->code = code;
    if ((re->match_data = pcre2_match_data_create_from_pattern(code, NULL)) == NULL)
        msg_fatal("dict_pcre: out of memory for match data");
    *group_count = count;
    return re;
}

static int
dict_pcre_exec(const char *map, int lineno, void *handle, const char *key)
{
    struct dict_pcre_re *re = handle;
    PCRE2_UCHAR reason[256];

    re->status = pcre2_match(re->code, (PCRE2_SPTR)key, PCRE2_ZERO_TERMINATED, 0, 0, re->match_data,
                             dict_pcre_context());
    if (re->status >= 0)
        return 1;
    if (re->status == PCRE2_ERROR_NOMATCH)
        return 0;
    pcre2_get_error_message(re->status, reason, sizeof(reason));
    msg_warn("pcre map %s, line %d: %s", map, lineno, (char *)reason);
    return -1;
}

static int
dict_pcre_group(void *handle, size_t n, size_t *start, size_t *end)
{
    struct dict_pcre_re *re = handle;
    PCRE2_SIZE *ovector;

    if (re->status <= 0 || n >= (size_t)re->status || n >= pcre2_get_ovector_count(re->match_data))
        return 0;
    ovector = pcre2_get_ovector_pointer(re->match_data);
    if (ovector[2 * n] == PCRE2_UNSET)
        return 0;
    *start = ovector[2 * n];
    *end = ovector[2 * n + 1];
    return 1;
}

static void
dict_pcre_free(void *handle)
{
    struct dict_pcre_re *re = handle;

    pcre2_match_data_free(re->match_data);
    pcre2_code_free(re->code);
    myfree(re);
}

static const struct dict_regex_ops dict_pcre_ops = {
    .type = "pcre",
    .unclosed = "ignoring",
    .low_index = "out of range",
    .backslash_closes = 0,
    .second_pattern = 0,
    .default_flags = PCRE2_CASELESS | PCRE2_DOTALL,
    .flag = dict_pcre_flag,
    .compile = dict_pcre_compile,
    .exec = dict_pcre_exec,
    .group = dict_pcre_group,
    .free = dict_pcre_free,
};

struct dict *
dict_pcre_open(const char *name, int open_flags, int dict_flags)
{
    return dict_pattern_open(&dict_pcre_ops, name, open_flags, dict_flags);
}
