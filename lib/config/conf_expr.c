/*
 * conf_expr - the "level" comparison of main.cf relational expressions.
 *
 * Postfix 3.x defaults compare compatibility levels, for example
 *   ${{$compatibility_level} <level {2} ? {subnet} : {host}}
 * A level is "major", "major.minor" or "major.minor.patch"; missing parts
 * are zero, and parts compare as numbers, so 3.10 > 3.9 > 3 > 2.
 * mail_conf_relops_init() registers ==level, !=level, <level, <=level,
 * >level and >=level with mac_expand (once). A malformed level is
 * reported ("malformed compatibility level syntax: "x"") and makes the
 * expansion fail.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

#include "config/mail_params.h"
#include "util/mac_expand.h"
#include "util/msg.h"

#define CONF_LEVEL_PARTS 3
#define CONF_LEVEL_MAX 1023L /* minor and patch, as Postfix */

/* Parses one level into parts[]; returns 0 on bad syntax. */
static int
conf_expr_parse_level(const char *text, long parts[CONF_LEVEL_PARTS])
{
    const char *cp = text;
    char *end;
    int n;

    for (n = 0; n < CONF_LEVEL_PARTS; n++)
        parts[n] = 0;
    for (n = 0; n < CONF_LEVEL_PARTS; n++) {
        if (!isdigit((unsigned char)*cp))
            return 0;
        errno = 0;
        parts[n] = strtol(cp, &end, 10);
        if (errno == ERANGE || (n > 0 && parts[n] > CONF_LEVEL_MAX))
            return 0;
        if (*end == 0)
            return 1;
        if (*end != '.')
            return 0;
        cp = end + 1;
    }
    return 0;
}

static int
conf_expr_level_relop(const char *left, int op, const char *right)
{
    long lparts[CONF_LEVEL_PARTS];
    long rparts[CONF_LEVEL_PARTS];
    int delta = 0;

    if (!conf_expr_parse_level(left, lparts)) {
        msg_warn("malformed compatibility level syntax: \"%s\"", left);
        return MAC_EXP_RES_ERROR;
    }
    if (!conf_expr_parse_level(right, rparts)) {
        msg_warn("malformed compatibility level syntax: \"%s\"", right);
        return MAC_EXP_RES_ERROR;
    }
    for (int i = 0; i < CONF_LEVEL_PARTS && delta == 0; i++)
        delta = (lparts[i] > rparts[i]) - (lparts[i] < rparts[i]);
    return mac_expand_op_result(delta, op);
}

void
mail_conf_relops_init(void)
{
    static int done;

    if (!done) {
        mac_expand_add_relop("level", conf_expr_level_relop);
        done = 1;
    }
}
