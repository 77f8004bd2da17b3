/*
 * htable - string-keyed hash table; see htable.h.
 *
 * The table doubles when it is fuller than its bucket count. Deletion
 * unlinks from both the hash chain and the insertion-order list.
 */
#include <string.h>

#include "util/htable.h"
#include "util/mymalloc.h"

size_t
htable_hash(const char *key, size_t size)
{
    size_t h = 2166136261u; /* FNV-1a */

    while (*key) {
        h ^= (unsigned char) *key++;
        h *= 16777619u;
    }
    return h % size;
}

struct htable *
htable_create(size_t size)
{
    struct htable *table = mymalloc(sizeof(*table));

    table->size = size < 13 ? 13 : size;
    table->used = 0;
    table->buckets = mycalloc(table->size, sizeof(*table->buckets));
    table->first = table->last = NULL;
    return table;
}

void
htable_free(struct htable *table, void (*free_fn)(void *))
{
    struct htable_entry *ep;
    struct htable_entry *next;

    if (table == NULL)
        return;
    for (ep = table->first; ep; ep = next) {
        next = ep->ordered;
        if (free_fn)
            free_fn(ep->value);
        myfree(ep->key);
        myfree(ep);
    }
    myfree(table->buckets);
    myfree(table);
}

struct htable_entry *
htable_locate(const struct htable *table, const char *key)
{
    struct htable_entry *ep;

    for (ep = table->buckets[htable_hash(key, table->size)]; ep; ep = ep->next)
        if (strcmp(ep->key, key) == 0)
            return ep;
    return NULL;
}

void *
htable_find(const struct htable *table, const char *key)
{
    struct htable_entry *ep = htable_locate(table, key);

    return ep ? ep->value : NULL;
}

static void
htable_grow(struct htable *table)
{
    size_t new_size = table->size * 2 + 1;
    struct htable_entry **buckets = mycalloc(new_size, sizeof(*buckets));
    struct htable_entry *ep;
    size_t h;

    for (ep = table->first; ep; ep = ep->ordered) {
        h = htable_hash(ep->key, new_size);
        ep->next = buckets[h];
        buckets[h] = ep;
    }
    myfree(table->buckets);
    table->buckets = buckets;
    table->size = new_size;
}

/* Adds or replaces key; a replaced value is not freed: the caller owns it. */
struct htable_entry *
htable_enter(struct htable *table, const char *key, void *value)
{
    struct htable_entry *ep = htable_locate(table, key);
    size_t h;

    if (ep) {
        ep->value = value;
        return ep;
    }
    if (table->used >= table->size)
        htable_grow(table);
    ep = mymalloc(sizeof(*ep));
    ep->key = mystrdup(key);
    ep->value = value;
    ep->ordered = NULL;
    h = htable_hash(key, table->size);
    ep->next = table->buckets[h];
    table->buckets[h] = ep;
    if (table->last)
        table->last->ordered = ep;
    else
        table->first = ep;
    table->last = ep;
    table->used++;
    return ep;
}

int
htable_delete(struct htable *table, const char *key, void (*free_fn)(void *))
{
    size_t h = htable_hash(key, table->size);
    struct htable_entry **pp;
    struct htable_entry *ep;
    struct htable_entry *prev = NULL;

    for (pp = &table->buckets[h]; (ep = *pp) != NULL; pp = &ep->next)
        if (strcmp(ep->key, key) == 0)
            break;
    if (ep == NULL)
        return 0;
    *pp = ep->next;
    if (table->first == ep) {
        table->first = ep->ordered;
    } else {
        for (prev = table->first; prev->ordered != ep; prev = prev->ordered)
            ;
        prev->ordered = ep->ordered;
    }
    if (table->last == ep)
        table->last = prev;
    if (free_fn)
        free_fn(ep->value);
    myfree(ep->key);
    myfree(ep);
    table->used--;
    return 1;
}
