/*
 * stringops - small in-place string helpers; see stringops.h.
 */
#include <ctype.h>
#include <string.h>

#include "util/stringops.h"

char *
lowercase(char *str)
{
    for (char *cp = str; *cp; cp++)
        if (*cp >= 'A' && *cp <= 'Z')
            *cp = (char) (*cp + ('a' - 'A'));
    return str;
}

char *
uppercase(char *str)
{
    for (char *cp = str; *cp; cp++)
        if (*cp >= 'a' && *cp <= 'z')
            *cp = (char) (*cp - ('a' - 'A'));
    return str;
}

char *
trim_blanks(char *str)
{
    char *start = str;
    size_t len;

    while (*start && isspace((unsigned char) *start))
        start++;
    len = strlen(start);
    while (len > 0 && isspace((unsigned char) start[len - 1]))
        len--;
    memmove(str, start, len);
    str[len] = 0;
    return str;
}

char *
split_at(char *str, int ch)
{
    char *cp = strchr(str, ch);

    if (cp == NULL)
        return NULL;
    *cp++ = 0;
    return cp;
}

char *
split_at_right(char *str, int ch)
{
    char *cp = strrchr(str, ch);

    if (cp == NULL)
        return NULL;
    *cp++ = 0;
    return cp;
}

char *
mystrtok(char **cpp, const char *sep)
{
    char *start = *cpp + strspn(*cpp, sep);
    char *end;

    if (*start == 0) {
        *cpp = start;
        return NULL;
    }
    end = start + strcspn(start, sep);
    if (*end)
        *end++ = 0;
    *cpp = end;
    return start;
}

int
alldig(const char *str)
{
    if (*str == 0)
        return 0;
    for (; *str; str++)
        if (!isdigit((unsigned char) *str))
            return 0;
    return 1;
}

int
allprint(const char *str)
{
    for (; *str; str++)
        if (!isprint((unsigned char) *str))
            return 0;
    return 1;
}

char *
printable(char *str, int replacement)
{
    for (char *cp = str; *cp; cp++)
        if (!isprint((unsigned char) *cp))
            *cp = (char) replacement;
    return str;
}

int
ends_with(const char *str, const char *suffix)
{
    size_t len = strlen(str);
    size_t slen = strlen(suffix);

    return len >= slen && strcmp(str + len - slen, suffix) == 0;
}
