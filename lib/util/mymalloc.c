/*
 * mymalloc - checked memory allocation; see mymalloc.h.
 *
 * Allocation failure and size overflow are fatal: they are environment
 * errors, not input errors, and no caller can recover from them.
 */
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

#include "util/mymalloc.h"
#include "util/msg.h"

void *
mymalloc(size_t len)
{
    void *ptr = malloc(len ? len : 1);

    if (ptr == NULL)
        msg_fatal("out of memory allocating %zu bytes", len);
    return ptr;
}

void *
mycalloc(size_t count, size_t len)
{
    void *ptr;

    if (len != 0 && count > SIZE_MAX / len)
        msg_fatal("mycalloc: size overflow: %zu * %zu", count, len);
    ptr = calloc(count ? count : 1, len ? len : 1);
    if (ptr == NULL)
        msg_fatal("out of memory allocating %zu * %zu bytes", count, len);
    return ptr;
}

void *
myrealloc(void *ptr, size_t len)
{
    void *new_ptr = realloc(ptr, len ? len : 1);

    if (new_ptr == NULL)
        msg_fatal("out of memory reallocating %zu bytes", len);
    return new_ptr;
}

void
myfree(void *ptr)
{
    free(ptr);
}

char *
mystrdup(const char *str)
{
    return mymemdup(str, strlen(str) + 1);
}

char *
mystrndup(const char *str, size_t len)
{
    size_t n = strnlen(str, len);
    char *copy = mymalloc(n + 1);

    memcpy(copy, str, n);
    copy[n] = 0;
    return copy;
}

void *
mymemdup(const void *ptr, size_t len)
{
    void *copy = mymalloc(len);

    memcpy(copy, ptr, len);
    return copy;
}
