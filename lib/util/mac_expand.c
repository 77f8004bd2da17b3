/*
 * mac_expand - $name expansion engine; see mac_expand.h.
 *
 * The pattern is scanned left to right. Literal text is copied; each
 * $name, ${...} or $(...) reference is handed to mac_exp_reference() on a
 * private, writable copy of its text, which may split it in place. Nested
 * expansion (branch texts, relational operands, recursive values) calls
 * mac_exp_parse() again with the same state, so one depth counter bounds
 * every kind of recursion, including a parameter that refers to itself
 * through a relational operand.
 *
 * Looked-up values are copied before they are expanded further, because a
 * lookup function may hand out storage that a later lookup overwrites.
 *
 * Besides the depth, one call is bounded in work (MAC_EXP_MAX_WORK
 * references, which stops "a = $b$b, b = $c$c, ..." doubling chains) and
 * in result size (MAC_EXP_MAX_RESULT bytes); both are reported as errors.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/mac_expand.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/stringops.h"

#define MAC_EXP_SPACE " \t\r\n"
#define MAC_EXP_OPCHARS "<>!=?+-*/~&|%"
#define MAC_EXP_OP_ANY "\"==\" or \"!=\"\" or \"<\"\" or \"<=\"\" or \">=\"\" or \">\""
#define MAC_EXP_TRUE "true"
#define MAC_EXP_MAX_RELOPS 8

struct mac_exp {
    struct vstring *result; /* NULL only in scan mode */
    int flags;
    mac_expand_lookup_fn lookup;
    void *context;
    int status;
    int depth;
    long work; /* references evaluated so far */
};

static struct {
    char suffix[32];
    mac_expand_relop_fn fn;
} mac_exp_relops[MAC_EXP_MAX_RELOPS];
static int mac_exp_relop_count;

static char mac_exp_empty[] = "";

static void mac_exp_parse(struct mac_exp *mc, const char *pattern);

/* Reports a syntax problem and marks the expansion as failed. */
static void __attribute__((format(printf, 2, 3)))
mac_exp_error(struct mac_exp *mc, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_vlog("warning", fmt, ap);
    va_end(ap);
    mc->status |= MAC_PARSE_ERROR;
}

static void
mac_exp_append(struct mac_exp *mc, const char *text, size_t len)
{
    if (mc->flags & MAC_EXP_FLAG_SCAN)
        return;
    if (vstring_len(mc->result) + len > MAC_EXP_MAX_RESULT) {
        mac_exp_error(mc, "macro expansion result longer than %d bytes", MAC_EXP_MAX_RESULT);
        return;
    }
    vstring_memcat(mc->result, text, len);
}

void
mac_expand_add_relop(const char *suffix, mac_expand_relop_fn fn)
{
    size_t len = strlen(suffix);

    if (len == 0 || len >= sizeof(mac_exp_relops[0].suffix))
        msg_panic("mac_expand_add_relop: bad operator suffix: \"%s\"", suffix);
    for (const char *cp = suffix; *cp; cp++)
        if (!isalnum((unsigned char)*cp))
            msg_panic("mac_expand_add_relop: bad operator suffix: \"%s\"", suffix);
    for (int i = 0; i < mac_exp_relop_count; i++)
        if (strcmp(mac_exp_relops[i].suffix, suffix) == 0)
            return;
    if (mac_exp_relop_count >= MAC_EXP_MAX_RELOPS)
        msg_panic("mac_expand_add_relop: too many operator suffixes");
    memcpy(mac_exp_relops[mac_exp_relop_count].suffix, suffix, len + 1);
    mac_exp_relops[mac_exp_relop_count++].fn = fn;
}

static mac_expand_relop_fn
mac_exp_find_relop(const char *suffix, size_t len)
{
    for (int i = 0; i < mac_exp_relop_count; i++)
        if (strlen(mac_exp_relops[i].suffix) == len &&
            strncmp(mac_exp_relops[i].suffix, suffix, len) == 0)
            return mac_exp_relops[i].fn;
    return NULL;
}

/* Maps "==", "!=", ... to MAC_EXP_OP_*, or 0. */
static int
mac_exp_op_code(const char *op, size_t len)
{
    static const struct {
        const char *name;
        int code;
    } ops[] = {
        {"==", MAC_EXP_OP_EQ}, {"!=", MAC_EXP_OP_NE}, {"<", MAC_EXP_OP_LT},
        {"<=", MAC_EXP_OP_LE}, {">=", MAC_EXP_OP_GE}, {">", MAC_EXP_OP_GT},
    };

    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (strlen(ops[i].name) == len && strncmp(ops[i].name, op, len) == 0)
            return ops[i].code;
    return 0;
}

int
mac_expand_op_result(long delta, int op)
{
    switch (op) {
    case MAC_EXP_OP_EQ:
        return delta == 0;
    case MAC_EXP_OP_NE:
        return delta != 0;
    case MAC_EXP_OP_LT:
        return delta < 0;
    case MAC_EXP_OP_LE:
        return delta <= 0;
    case MAC_EXP_OP_GE:
        return delta >= 0;
    case MAC_EXP_OP_GT:
        return delta > 0;
    default:
        msg_panic("mac_expand_op_result: unknown operator %d", op);
    }
}

/* The built-in comparison: numeric when both sides are digits only. */
static int
mac_exp_default_relop(const char *left, int op, const char *right)
{
    long lval;
    long rval;

    if (alldig(left) && alldig(right)) {
        errno = 0;
        lval = strtol(left, NULL, 10);
        rval = strtol(right, NULL, 10);
        if (errno == ERANGE) {
            msg_warn("mac_exp_eval: bad conversion: %s %s", left, right);
            return MAC_EXP_RES_ERROR;
        }
        return mac_expand_op_result(lval < rval ? -1 : lval > rval, op);
    }
    return mac_expand_op_result(strcmp(left, right), op);
}

/*
 * Extracts the text of a {...} group that starts at *cpp, balancing
 * braces. Terminates it in place, moves *cpp past the '}' and any white
 * space. Returns NULL after a warning when the braces do not balance.
 */
static char *
mac_exp_curly(struct mac_exp *mc, char **cpp)
{
    char *start = *cpp;
    char *cp;
    int level = 1;

    for (cp = start + 1; level > 0; cp++) {
        if (*cp == 0) {
            mac_exp_error(mc, "unbalanced {} in attribute expression: \"%s\"", start);
            return NULL;
        }
        if (*cp == '{')
            level++;
        else if (*cp == '}')
            level--;
    }
    cp[-1] = 0;
    *cpp = cp + strspn(cp, MAC_EXP_SPACE);
    return start + 1;
}

/* Expands text into buf with the state of mc (depth included). */
static void
mac_exp_into(struct mac_exp *mc, const char *text, struct vstring *buf)
{
    struct vstring *saved = mc->result;

    mc->result = buf;
    mac_exp_parse(mc, text);
    mc->result = saved;
}

/*
 * Parses and evaluates "{left} OP[suffix] {right}" at *cpp. On success
 * sets *value to "true" or "" ("" and NULL in scan mode) and moves *cpp
 * past the right operand. Returns -1 after a warning.
 */
static int
mac_exp_relational(struct mac_exp *mc, char **cpp, const char **value)
{
    mac_expand_relop_fn fn = mac_exp_default_relop;
    struct vstring *lbuf;
    struct vstring *rbuf;
    char *cp = *cpp;
    char *left;
    char *right;
    char *op_pos;
    size_t op_len;
    size_t len;
    int op;
    int res = MAC_EXP_RES_FALSE;

    if ((left = mac_exp_curly(mc, &cp)) == NULL)
        return -1;
    op_pos = cp;
    op_len = strspn(cp, MAC_EXP_OPCHARS);
    if ((op = mac_exp_op_code(op_pos, op_len)) == 0) {
        mac_exp_error(mc, "%s expected at: \"...%s}>>>%.20s\"", MAC_EXP_OP_ANY, left, cp);
        return -1;
    }
    cp += op_len;
    if (mac_exp_relop_count > 0 && isalnum((unsigned char)*cp)) {
        for (len = 1; isalnum((unsigned char)cp[len]); len++)
            ;
        if ((fn = mac_exp_find_relop(cp, len)) == NULL) {
            mac_exp_error(mc, "bad operator suffix at: \"...%.*s>>>%.*s\"", (int)op_len, op_pos,
                          (int)len, cp);
            return -1;
        }
        cp += len;
    }
    len = strspn(cp, MAC_EXP_SPACE);
    if (cp[len] != '{') {
        mac_exp_error(mc, "\"{expression}\" expected at: \"...{%s} %.*s>>>%.20s\"", left,
                      (int)op_len, op_pos, cp);
        return -1;
    }
    cp += len;
    if ((right = mac_exp_curly(mc, &cp)) == NULL)
        return -1;
    lbuf = vstring_alloc(64);
    rbuf = vstring_alloc(64);
    mac_exp_into(mc, left, lbuf);
    mac_exp_into(mc, right, rbuf);
    if ((mc->status & MAC_PARSE_ERROR) == 0 && (mc->flags & MAC_EXP_FLAG_SCAN) == 0 &&
        (res = fn(vstring_str(lbuf), op, vstring_str(rbuf))) == MAC_EXP_RES_ERROR)
        mc->status |= MAC_PARSE_ERROR;
    vstring_free(lbuf);
    vstring_free(rbuf);
    if (mc->status & MAC_PARSE_ERROR)
        return -1;
    if (mc->flags & MAC_EXP_FLAG_SCAN)
        *value = NULL;
    else
        *value = (res == MAC_EXP_RES_TRUE) ? MAC_EXP_TRUE : "";
    *cpp = cp;
    return 0;
}

/*
 * Splits "name", "name?rest" or "name:rest" in place. Sets *cpp to the
 * text after the operator and returns the operator ('?', ':' or 0), or
 * -1 after a warning about a bad name.
 */
static int
mac_exp_name(struct mac_exp *mc, char *text, char **name, char **cpp)
{
    char *cp = text + strspn(text, MAC_EXP_SPACE);
    size_t ws;
    int ch;

    *name = cp;
    for (;;) {
        ws = strspn(cp, MAC_EXP_SPACE);
        ch = cp[ws];
        if (ch == 0) {
            *cp = 0;
            *cpp = cp;
            return 0;
        }
        if (ch == '?' || ch == ':') {
            *cp = 0;
            *cpp = cp + ws + 1;
            return ch;
        }
        if (!isalnum((unsigned char)*cp) && *cp != '_') {
            mac_exp_error(mc, "attribute name syntax error at: \"...%.*s>>>%.20s\"",
                          (int)(cp - text), text, cp);
            return -1;
        }
        cp++;
    }
}

/* Extracts a branch: a {...} group, or the rest of the text. */
static char *
mac_exp_branch(struct mac_exp *mc, char **cpp)
{
    char *cp = *cpp;
    char *text;
    size_t ws = strspn(cp, MAC_EXP_SPACE);

    if (cp[ws] == '{') {
        cp += ws;
        if ((text = mac_exp_curly(mc, &cp)) == NULL)
            return NULL;
        *cpp = cp;
        return text;
    }
    *cpp = mac_exp_empty;
    return cp;
}

/* Handles the ?/: branches once the condition value is known. */
static void
mac_exp_conditional(struct mac_exp *mc, int op, char *cp, int nonempty)
{
    int scan = (mc->flags & MAC_EXP_FLAG_SCAN) != 0;
    char *text;

    if (op == '?') {
        if ((text = mac_exp_branch(mc, &cp)) == NULL)
            return;
        if (nonempty || scan)
            mac_exp_parse(mc, text);
        if (*cp == 0)
            return;
        if (*cp != ':') {
            mac_exp_error(mc, "\":\" expected at: \"...%s}>>>%.20s\"", text, cp);
            return;
        }
        cp++;
    }
    if ((text = mac_exp_branch(mc, &cp)) == NULL)
        return;
    if (!nonempty || scan)
        mac_exp_parse(mc, text);
    if (*cp != 0)
        mac_exp_error(mc, "unexpected input at: \"...%s}>>>%.20s\"", text, cp);
}

/* Emits the value of an unconditional reference. */
static void
mac_exp_value(struct mac_exp *mc, const char *value)
{
    char *copy;

    if (value == NULL) {
        mc->status |= MAC_PARSE_UNDEF;
    } else if (*value == 0 || (mc->flags & MAC_EXP_FLAG_SCAN)) {
        /* nothing to emit */
    } else if (mc->flags & MAC_EXP_FLAG_RECURSE) {
        copy = mystrdup(value);
        mac_exp_parse(mc, copy);
        myfree(copy);
    } else {
        mac_exp_append(mc, value, strlen(value));
    }
}

/* Evaluates the text of one $... reference (writable, split in place). */
static void
mac_exp_reference(struct mac_exp *mc, char *text)
{
    const char *value = NULL;
    char *name;
    char *cp = text + strspn(text, MAC_EXP_SPACE);
    int op;

    if (mc->depth++ > MAC_EXP_MAX_DEPTH) {
        mac_exp_error(mc, "unreasonable macro call nesting: \"%s\"", text);
        return;
    }
    if (++mc->work > MAC_EXP_MAX_WORK) {
        mac_exp_error(mc, "unreasonable number of macro references: \"%s\"", text);
        return;
    }
    if (*cp == '{') {
        if (mac_exp_relational(mc, &cp, &value) != 0)
            return;
        if ((op = *cp) != 0) {
            if (op != '?' && op != ':') {
                mac_exp_error(mc, "\"?\" or \":\" expected at: \"...}>>>%.20s\"", cp);
                return;
            }
            cp++;
        }
    } else {
        if ((op = mac_exp_name(mc, text, &name, &cp)) < 0)
            return;
        value = mc->lookup(name, op ? MAC_EXP_MODE_TEST : MAC_EXP_MODE_USE, mc->context);
    }
    if (op == 0)
        mac_exp_value(mc, value);
    else
        mac_exp_conditional(mc, op, cp, value != NULL && *value != 0);
    mc->depth--;
}

/*
 * Finds the end of a ${...} or $(...) reference that starts at the
 * opening bracket. Returns a pointer past the closing bracket, or NULL.
 */
static const char *
mac_exp_bracket_end(const char *open)
{
    int close = (*open == '{') ? '}' : ')';
    int level = 1;
    const char *cp;

    for (cp = open + 1; level > 0; cp++) {
        if (*cp == 0)
            return NULL;
        if (*cp == *open)
            level++;
        else if (*cp == close)
            level--;
    }
    return cp;
}

static void
mac_exp_parse(struct mac_exp *mc, const char *pattern)
{
    const char *cp = pattern;
    const char *end;
    char *text;

    while (*cp && (mc->status & MAC_PARSE_ERROR) == 0) {
        if (*cp != '$') {
            end = strchr(cp, '$');
            end = end ? end : cp + strlen(cp);
            mac_exp_append(mc, cp, (size_t)(end - cp));
            cp = end;
        } else if (cp[1] == '$') {
            mac_exp_append(mc, "$", 1);
            cp += 2;
        } else if (cp[1] == '{' || cp[1] == '(') {
            if ((end = mac_exp_bracket_end(cp + 1)) == NULL) {
                mac_exp_error(mc, "truncated macro reference: \"%s\"", pattern);
                return;
            }
            text = mystrndup(cp + 2, (size_t)(end - cp - 3));
            cp = end;
            if (*text == 0)
                mac_exp_error(mc, "empty macro name: \"%s\"", pattern);
            else
                mac_exp_reference(mc, text);
            myfree(text);
        } else {
            for (end = cp + 1; isalnum((unsigned char)*end) || *end == '_'; end++)
                ;
            if (end == cp + 1) {
                mac_exp_error(mc, "empty macro name: \"%s\"", pattern);
                return;
            }
            text = mystrndup(cp + 1, (size_t)(end - cp - 1));
            cp = end;
            mac_exp_reference(mc, text);
            myfree(text);
        }
    }
}

int
mac_expand(struct vstring *result, const char *pattern, int flags, mac_expand_lookup_fn lookup,
           void *context)
{
    struct mac_exp mc;

    mc.result = result;
    mc.flags = flags;
    mc.lookup = lookup;
    mc.context = context;
    mc.status = 0;
    mc.depth = 0;
    mc.work = 0;
    if (result == NULL && (flags & MAC_EXP_FLAG_SCAN) == 0)
        msg_panic("mac_expand: no result buffer");
    if ((flags & (MAC_EXP_FLAG_APPEND | MAC_EXP_FLAG_SCAN)) == 0)
        vstring_reset(result);
    mac_exp_parse(&mc, pattern);
    return mc.status;
}
