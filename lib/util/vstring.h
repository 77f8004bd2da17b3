/*
 * vstring - growable, length-carrying, always NUL-terminated byte strings.
 *
 * The one string/buffer type of Tern. Contents may hold NUL bytes (the
 * length is authoritative); vstring_str() is always NUL-terminated so text
 * can be passed to C string functions. Growth is checked (mymalloc); there
 * is no fixed limit here: callers bound input with their own parameters.
 *
 *   struct vstring *buf = vstring_alloc(100);
 *   vstring_sprintf(buf, "%s=%d", name, value);
 *   ... vstring_str(buf), vstring_len(buf) ...
 *   vstring_free(buf);
 */
#ifndef TERN_VSTRING_H
#define TERN_VSTRING_H

#include <stdarg.h>
#include <stddef.h>

struct vstring {
    char *data;  /* contents, NUL-terminated */
    size_t len;  /* bytes used, excluding the terminator */
    size_t size; /* bytes allocated, including room for the terminator */
};

struct vstring *vstring_alloc(size_t initial);
void vstring_free(struct vstring *vp);
void vstring_reserve(struct vstring *vp, size_t extra);
struct vstring *vstring_strcpy(struct vstring *vp, const char *str);
struct vstring *vstring_strncpy(struct vstring *vp, const char *str, size_t len);
struct vstring *vstring_strcat(struct vstring *vp, const char *str);
struct vstring *vstring_memcpy(struct vstring *vp, const void *data, size_t len);
struct vstring *vstring_memcat(struct vstring *vp, const void *data, size_t len);
struct vstring *vstring_addch(struct vstring *vp, int ch);
struct vstring *vstring_sprintf(struct vstring *vp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
struct vstring *vstring_sprintf_append(struct vstring *vp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
struct vstring *vstring_vsprintf_append(struct vstring *vp, const char *fmt, va_list ap);
void vstring_truncate(struct vstring *vp, size_t len);
char *vstring_export(struct vstring *vp);

#define vstring_str(vp) ((vp)->data)
#define vstring_len(vp) ((vp)->len)
#define vstring_reset(vp) vstring_truncate((vp), 0)
#define vstring_end(vp) ((vp)->data + (vp)->len)

#endif
