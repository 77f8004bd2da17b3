/*
 * extpar - brace-grouped parameters; see extpar.h.
 */
#include <ctype.h>
#include <string.h>

#include "util/extpar.h"
#include "util/msg.h"

size_t
balpar(const char *str, const char *parens)
{
    const char *cp;
    int level = 1;

    if (*str != parens[0])
        return 0;
    for (cp = str + 1; *cp; cp++) {
        if (*cp == parens[1]) {
            if (--level == 0)
                return (size_t)(cp - str) + 1;
        } else if (*cp == parens[0]) {
            level++;
        }
    }
    return 0;
}

const char *
extpar(char **cpp, const char *parens, int flags, struct vstring *why)
{
    char *cp = *cpp;
    const char *err = NULL;
    size_t len;
    char *end;

    if (cp[0] != parens[0])
        msg_panic("extpar: no '%c' at start of \"%s\"", parens[0], cp);
    if ((len = balpar(cp, parens)) == 0) {
        vstring_sprintf(why, "missing '%c' in \"%s\"", parens[1], cp);
        err = vstring_str(why);
        cp += 1;
    } else {
        if (cp[len] != 0) {
            vstring_sprintf(why, "syntax error after '%c' in \"%s\"", parens[1], cp);
            err = vstring_str(why);
        }
        cp[len - 1] = 0;
        cp += 1;
    }
    if (flags & EXTPAR_FLAG_STRIP) {
        while (isspace((unsigned char)*cp))
            cp++;
        for (end = cp + strlen(cp); end > cp && isspace((unsigned char)end[-1]); end--)
            ;
        *end = 0;
    }
    *cpp = cp;
    return err;
}

char *
mystrtokq(char **cpp, const char *sep, const char *parens)
{
    char *start = *cpp + strspn(*cpp, sep);
    char *cp;
    int level = 0;

    if (*start == 0) {
        *cpp = start;
        return NULL;
    }
    for (cp = start; *cp; cp++) {
        if (*cp == parens[0]) {
            level++;
        } else if (level > 0 && *cp == parens[1]) {
            level--;
        } else if (level == 0 && strchr(sep, *cp) != NULL) {
            *cp++ = 0;
            break;
        }
    }
    *cpp = cp;
    return start;
}
