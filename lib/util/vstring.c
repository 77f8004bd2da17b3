/*
 * vstring - growable byte strings; see vstring.h.
 *
 * Invariant: data[len] == 0 and len < size, always.
 */
#include <stdio.h>
#include <string.h>
#include <stdint.h>

#include "util/vstring.h"
#include "util/mymalloc.h"
#include "util/msg.h"

struct vstring *
vstring_alloc(size_t initial)
{
    struct vstring *vp = mymalloc(sizeof(*vp));

    vp->size = initial < 16 ? 16 : initial + 1;
    vp->data = mymalloc(vp->size);
    vp->data[0] = 0;
    vp->len = 0;
    return vp;
}

void
vstring_free(struct vstring *vp)
{
    if (vp) {
        myfree(vp->data);
        myfree(vp);
    }
}

void
vstring_reserve(struct vstring *vp, size_t extra)
{
    size_t need;

    if (extra > SIZE_MAX / 2 - vp->len)
        msg_fatal("vstring_reserve: length overflow");
    need = vp->len + extra + 1;
    if (need <= vp->size)
        return;
    while (vp->size < need)
        vp->size *= 2;
    vp->data = myrealloc(vp->data, vp->size);
}

struct vstring *
vstring_memcat(struct vstring *vp, const void *data, size_t len)
{
    vstring_reserve(vp, len);
    memmove(vp->data + vp->len, data, len);
    vp->len += len;
    vp->data[vp->len] = 0;
    return vp;
}

struct vstring *
vstring_memcpy(struct vstring *vp, const void *data, size_t len)
{
    if (data >= (const void *) vp->data && data < (const void *) (vp->data + vp->size)) {
        memmove(vp->data, data, len);
        vp->len = len;
        vp->data[len] = 0;
        return vp;
    }
    vp->len = 0;
    return vstring_memcat(vp, data, len);
}

struct vstring *
vstring_strcpy(struct vstring *vp, const char *str)
{
    return vstring_memcpy(vp, str, strlen(str));
}

struct vstring *
vstring_strncpy(struct vstring *vp, const char *str, size_t len)
{
    return vstring_memcpy(vp, str, strnlen(str, len));
}

struct vstring *
vstring_strcat(struct vstring *vp, const char *str)
{
    return vstring_memcat(vp, str, strlen(str));
}

struct vstring *
vstring_addch(struct vstring *vp, int ch)
{
    char c = (char) ch;

    return vstring_memcat(vp, &c, 1);
}

struct vstring *
vstring_vsprintf_append(struct vstring *vp, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;

    va_copy(ap2, ap);
    n = vsnprintf(vp->data + vp->len, vp->size - vp->len, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        msg_panic("vstring_vsprintf_append: bad format: %s", fmt);
    if ((size_t) n >= vp->size - vp->len) {
        vstring_reserve(vp, (size_t) n);
        vsnprintf(vp->data + vp->len, vp->size - vp->len, fmt, ap);
    }
    vp->len += (size_t) n;
    return vp;
}

struct vstring *
vstring_sprintf_append(struct vstring *vp, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vstring_vsprintf_append(vp, fmt, ap);
    va_end(ap);
    return vp;
}

struct vstring *
vstring_sprintf(struct vstring *vp, const char *fmt, ...)
{
    va_list ap;

    vstring_truncate(vp, 0);
    va_start(ap, fmt);
    vstring_vsprintf_append(vp, fmt, ap);
    va_end(ap);
    return vp;
}

void
vstring_truncate(struct vstring *vp, size_t len)
{
    if (len < vp->len) {
        vp->len = len;
        vp->data[len] = 0;
    }
}

/* Returns the contents as a string the caller frees, and frees the vstring. */
char *
vstring_export(struct vstring *vp)
{
    char *data = vp->data;

    myfree(vp);
    return data;
}
