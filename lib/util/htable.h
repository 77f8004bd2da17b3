/*
 * htable - string-keyed hash table with chaining.
 *
 * Keys are copied; values are opaque pointers owned by the caller (pass a
 * free function to htable_free to release them). htable_enter replaces the
 * value of an existing key and returns the old one through *old_value if
 * given. Iteration order is insertion order (htable_list), which keeps
 * output such as "postconf -n" stable.
 */
#ifndef TERN_HTABLE_H
#define TERN_HTABLE_H

#include <stddef.h>

struct htable_entry {
    char *key;
    void *value;
    struct htable_entry *next;    /* hash chain */
    struct htable_entry *ordered; /* insertion order */
};

struct htable {
    size_t size;  /* buckets */
    size_t used;  /* entries */
    struct htable_entry **buckets;
    struct htable_entry *first; /* insertion order list */
    struct htable_entry *last;
};

struct htable *htable_create(size_t size);
void htable_free(struct htable *table, void (*free_fn)(void *));
void *htable_find(const struct htable *table, const char *key);
struct htable_entry *htable_locate(const struct htable *table, const char *key);
struct htable_entry *htable_enter(struct htable *table, const char *key, void *value);
int htable_delete(struct htable *table, const char *key, void (*free_fn)(void *));
size_t htable_hash(const char *key, size_t size);

#define htable_first(table) ((table)->first)
#define htable_next(entry) ((entry)->ordered)

#endif
