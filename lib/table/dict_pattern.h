/*
 * dict_pattern - what the regular-expression tables (pcre, regexp) have in
 * common, written once: the rule syntax, IF/ENDIF nesting, flag letters,
 * "$N" result substitution and the first-match lookup. Each table type
 * only supplies its regular expression engine (struct dict_regex_ops).
 *
 * Table syntax (pcre_table(5), regexp_table(5)):
 *   /regex/flags result      a rule; any non-alphanumeric delimiter
 *   !/regex/flags result     applies when the regex does NOT match
 *   if /regex/flags ... endif, if !/regex/flags ... endif   (nest freely)
 * Each '!' (white space may follow) toggles the sense. Types with
 * second_pattern (regexp) also accept the old two-regex form
 *   /re1/flags!/re2/flags result  (re1 matches and re2 does not; "!!/re2/":
 *                                  re2 matches too; $N refers to re1)
 * where '!' right after the first regex's flags starts the second. Inside the regex a
 * backslash protects the next byte (it stays in the regex). Flag letters
 * toggle engine options; "i" (case-insensitive) is on by default. The
 * result may use $1..$N, ${N}, $(N) for captured text ("" when the group
 * did not take part) and $$ for '$'. "if"/"endif" are case-insensitive and
 * must be followed by a non-alphanumeric byte.
 *
 * Bad rules are skipped with "TYPE map FILE, line N: ..." warnings worded
 * as Postfix words them; unbalanced ENDIF is ignored, an IF left open at
 * end of file covers the rest of the file. A regex that fails at lookup
 * time (e.g. a PCRE match limit) is logged and that rule or IF block is
 * skipped, as Postfix does; the lookup goes on with the next rule.
 *
 * The IF/ENDIF stack (struct dict_ifstack) is shared with dict_cidr.
 */
#ifndef TERN_DICT_PATTERN_H
#define TERN_DICT_PATTERN_H

#include <ctype.h>
#include <stddef.h>

#include "table/dict.h"

/* A regular expression engine, as seen by the shared code. */
struct dict_regex_ops {
    const char *type;      /* "pcre" or "regexp": messages and dict type */
    const char *unclosed;  /* verb after "no closing regexp delimiter" */
    const char *low_index; /* wording for $0: "out of range" ... */
    int backslash_closes;  /* a trailing backslash ends the regex (regexp quirk) */
    int second_pattern;    /* "/re1/!/re2/ result" form; '!' ends the flags (regexp) */
    int default_flags;     /* engine flags before any flag letter */
    /* Toggles flag letter ch in *flags: 1, or 0 for an unknown letter. May warn. */
    int (*flag)(const char *map, int lineno, int ch, int *flags);
    /*
     * Compiles regex; want_groups says whether captured text will be used.
     * Returns the engine's handle and the number of capture groups, or NULL
     * after a warning.
     */
    void *(*compile)(const char *map, int lineno, const char *regex, int flags, int want_groups,
                     size_t *group_count);
    /* 1: match, 0: no match, -1: error (already logged). */
    int (*exec)(const char *map, int lineno, void *re, const char *key);
    /* After a match: offsets of group n in the key; 0 if it took no part. */
    int (*group)(void *re, size_t n, size_t *start, size_t *end);
    void (*free)(void *re);
};

struct dict *dict_pattern_open(const struct dict_regex_ops *ops, const char *name, int open_flags,
                               int dict_flags);

/* IF..ENDIF bookkeeping: which rules are open IFs, and on what lines. */
struct dict_ifstack {
    size_t *rule; /* index of each open IF rule, innermost last */
    int *lineno;  /* the line of each */
    size_t depth;
    size_t size;
};

void dict_ifstack_init(struct dict_ifstack *ifs);
void dict_ifstack_push(struct dict_ifstack *ifs, size_t rule, int lineno);
int dict_ifstack_pop(struct dict_ifstack *ifs, size_t *rule, int *lineno);
void dict_ifstack_free(struct dict_ifstack *ifs);

/* ASCII-only character classes, as table syntax is defined on bytes. */
#define DICT_ISALNUM(c) ((unsigned char)(c) < 128 && isalnum((unsigned char)(c)))
#define DICT_ISSPACE(c) ((unsigned char)(c) < 128 && isspace((unsigned char)(c)))

/* True when line starts with keyword (case-insensitive) not followed by alnum. */
int dict_pattern_keyword(const char *line, const char *keyword);

#endif
