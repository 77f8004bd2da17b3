/*
 * mac_expand - expand $name references in a string, with conditional and
 * relational forms, through a caller-supplied lookup function.
 *
 * This is the generic engine behind main.cf (and master.cf, table and
 * command) $name expansion; it knows nothing about mail: the caller's
 * lookup function decides what a name means.
 *
 * Forms (the $(...) spelling is equivalent to ${...}):
 *   $name ${name}             the value of name (empty if undefined)
 *   ${name?text}              text when name's value is non-empty
 *   ${name:text}              text when name's value is empty or undefined
 *   ${name?{text1}:{text2}}   text1 when non-empty, else text2
 *   ${{a} == {b} ? {t} : {f}} relational: ==, !=, <, <=, >, >= compare
 *                             numbers when both sides are all digits,
 *                             else strings; a registered suffix selects
 *                             another comparison (e.g. "<level")
 *   ${{a} == {b}}             "true" or "" (the value of the relation)
 *   $$                        a literal $
 * Text inside {...} and results of ?/: are expanded again. With
 * MAC_EXP_FLAG_RECURSE, looked-up values are expanded too.
 *
 * Bad input never crashes: a syntax error, an unbalanced brace, a
 * nesting deeper than MAC_EXP_MAX_DEPTH, more than MAC_EXP_MAX_WORK
 * references or a result over MAC_EXP_MAX_RESULT bytes is reported with msg_warn (the
 * wording of Postfix) and MAC_PARSE_ERROR is set in the result; the
 * output is then incomplete and the caller decides whether that is fatal.
 * MAC_PARSE_UNDEF is set when an unconditional $name was undefined.
 *
 * With MAC_EXP_FLAG_SCAN nothing is written: every name in every branch
 * is passed to the lookup function (postconf uses this to find which
 * parameters are referenced), and relations are not evaluated.
 */
#ifndef TERN_MAC_EXPAND_H
#define TERN_MAC_EXPAND_H

#include "util/vstring.h"

#define MAC_EXP_FLAG_NONE 0
#define MAC_EXP_FLAG_RECURSE (1 << 0) /* expand looked-up values */
#define MAC_EXP_FLAG_APPEND (1 << 1)  /* append to result, do not reset */
#define MAC_EXP_FLAG_SCAN (1 << 2)    /* only report names to lookup */

#define MAC_EXP_MODE_TEST 0 /* lookup for ${name?..} / ${name:..} */
#define MAC_EXP_MODE_USE 1  /* lookup for $name */

#define MAC_PARSE_ERROR (1 << 0)
#define MAC_PARSE_UNDEF (1 << 1)

#define MAC_EXP_MAX_DEPTH 100                 /* nesting of references */
#define MAC_EXP_MAX_WORK 1000000L             /* references per mac_expand call */
#define MAC_EXP_MAX_RESULT (16 * 1024 * 1024) /* bytes of result */

/* Relational operators, for mac_expand_add_relop callbacks. */
#define MAC_EXP_OP_EQ 1
#define MAC_EXP_OP_NE 2
#define MAC_EXP_OP_LT 3
#define MAC_EXP_OP_LE 4
#define MAC_EXP_OP_GE 5
#define MAC_EXP_OP_GT 6

/* Relational callback results. */
#define MAC_EXP_RES_FALSE 0
#define MAC_EXP_RES_TRUE 1
#define MAC_EXP_RES_ERROR (-1) /* the callback has warned */

/* Returns the value of name, or NULL when name is undefined. */
typedef const char *(*mac_expand_lookup_fn)(const char *name, int mode, void *context);
typedef int (*mac_expand_relop_fn)(const char *left, int op, const char *right);

int mac_expand(struct vstring *result, const char *pattern, int flags, mac_expand_lookup_fn lookup,
               void *context);

/*
 * Registers comparison operators "==SUFFIX", "!=SUFFIX", "<SUFFIX", ...
 * evaluated by fn. SUFFIX is alphanumeric. Registering the same suffix
 * again is a no-op.
 */
void mac_expand_add_relop(const char *suffix, mac_expand_relop_fn fn);

/*
 * For relop callbacks: the truth (MAC_EXP_RES_TRUE or _FALSE) of operator
 * op given how left compares to right: delta < 0, == 0 or > 0, as from
 * strcmp. An unknown op panics.
 */
int mac_expand_op_result(long delta, int op);

#endif
