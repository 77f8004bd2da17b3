/*
 * argv - growable, NULL-terminated string vectors.
 *
 * argv_split(str, delim) breaks a string at any of the delimiter bytes,
 * dropping empty fields. argv_add copies its arguments. argv_free frees the
 * vector and every string in it.
 */
#ifndef TERN_ARGV_H
#define TERN_ARGV_H

#include <stddef.h>

struct argv {
    char **argv; /* NULL-terminated */
    size_t argc;
    size_t size;
};

struct argv *argv_alloc(size_t initial);
void argv_free(struct argv *ap);
void argv_add(struct argv *ap, const char *str);
void argv_addn(struct argv *ap, const char *str, size_t len);
void argv_truncate(struct argv *ap, size_t argc);
struct argv *argv_split(const char *str, const char *delim);

#endif
