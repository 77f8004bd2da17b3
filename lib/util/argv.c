/*
 * argv - string vectors; see argv.h.
 *
 * Invariant: argv[argc] == NULL and argc < size.
 */
#include <string.h>

#include "util/argv.h"
#include "util/mymalloc.h"

struct argv *
argv_alloc(size_t initial)
{
    struct argv *ap = mymalloc(sizeof(*ap));

    ap->size = initial < 4 ? 4 : initial + 1;
    ap->argv = mymalloc(ap->size * sizeof(char *));
    ap->argc = 0;
    ap->argv[0] = NULL;
    return ap;
}

void
argv_free(struct argv *ap)
{
    if (ap == NULL)
        return;
    for (size_t i = 0; i < ap->argc; i++)
        myfree(ap->argv[i]);
    myfree(ap->argv);
    myfree(ap);
}

static void
argv_grow(struct argv *ap)
{
    if (ap->argc + 1 >= ap->size) {
        ap->size *= 2;
        ap->argv = myrealloc(ap->argv, ap->size * sizeof(char *));
    }
}

void
argv_add(struct argv *ap, const char *str)
{
    argv_grow(ap);
    ap->argv[ap->argc++] = mystrdup(str);
    ap->argv[ap->argc] = NULL;
}

void
argv_addn(struct argv *ap, const char *str, size_t len)
{
    argv_grow(ap);
    ap->argv[ap->argc++] = mystrndup(str, len);
    ap->argv[ap->argc] = NULL;
}

void
argv_truncate(struct argv *ap, size_t argc)
{
    while (ap->argc > argc)
        myfree(ap->argv[--ap->argc]);
    ap->argv[ap->argc] = NULL;
}

struct argv *
argv_split(const char *str, const char *delim)
{
    struct argv *ap = argv_alloc(8);
    size_t len;

    while (*str) {
        str += strspn(str, delim);
        if ((len = strcspn(str, delim)) == 0)
            break;
        argv_addn(ap, str, len);
        str += len;
    }
    return ap;
}
