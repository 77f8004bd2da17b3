/*
 * tok822_tree - operators on token lists and trees of the address parser:
 * grep, free, and the list operators declared in tok822.h (append,
 * prepend, cut, unlink, sub_append, sub_keep_after, find_type,
 * rfind_type). None of them recurses deeper than the two levels of a
 * parse tree, and none of them fails; freeing is iterative.
 */
#include "mail/tok822.h"
#include "util/mymalloc.h"

struct tok822 **
tok822_grep(struct tok822 *list, int type, size_t *countp)
{
    struct tok822 **result;
    struct tok822 *tp;
    size_t count = 0;

    for (tp = list; tp != NULL; tp = tp->next)
        if (type == 0 || tp->type == type)
            count++;
    result = mymalloc(sizeof(*result) * (count + 1));
    count = 0;
    for (tp = list; tp != NULL; tp = tp->next)
        if (type == 0 || tp->type == type)
            result[count++] = tp;
    result[count] = NULL;
    if (countp)
        *countp = count;
    return result;
}

struct tok822 *
tok822_free_tree(struct tok822 *tp)
{
    struct tok822 *next;
    struct tok822 *last;

    while (tp != NULL) {
        next = tp->next;
        if (tp->head != NULL) {
            for (last = tp->head; last->next != NULL; last = last->next)
                continue;
            last->next = next;
            next = tp->head;
        }
        tok822_free(tp);
        tp = next;
    }
    return NULL;
}

/* The last token of list TP; sets every token's owner to OWNER. */
static struct tok822 *
tok822_adopt(struct tok822 *tp, struct tok822 *owner)
{
    tp->owner = owner;
    while (tp->next != NULL) {
        tp = tp->next;
        tp->owner = owner;
    }
    return tp;
}

struct tok822 *
tok822_append(struct tok822 *t1, struct tok822 *t2)
{
    struct tok822 *next = t1->next;
    struct tok822 *last = tok822_adopt(t2, t1->owner);

    t1->next = t2;
    t2->prev = t1;
    last->next = next;
    if (next)
        next->prev = last;
    return last;
}

struct tok822 *
tok822_prepend(struct tok822 *t1, struct tok822 *t2)
{
    struct tok822 *prev = t1->prev;
    struct tok822 *last = tok822_adopt(t2, t1->owner);

    if (prev)
        prev->next = t2;
    t2->prev = prev;
    last->next = t1;
    t1->prev = last;
    return last;
}

struct tok822 *
tok822_cut_before(struct tok822 *tp)
{
    struct tok822 *prev = tp->prev;

    if (prev) {
        prev->next = NULL;
        tp->prev = NULL;
    }
    return prev;
}

struct tok822 *
tok822_cut_after(struct tok822 *tp)
{
    struct tok822 *next = tp->next;

    if (next) {
        next->prev = NULL;
        tp->next = NULL;
    }
    return next;
}

struct tok822 *
tok822_unlink(struct tok822 *tp)
{
    struct tok822 *prev = tp->prev;
    struct tok822 *next = tp->next;

    if (prev)
        prev->next = next;
    if (next)
        next->prev = prev;
    tp->prev = tp->next = NULL;
    return prev;
}

struct tok822 *
tok822_sub_append(struct tok822 *t1, struct tok822 *t2)
{
    if (t1->head != NULL)
        return t1->tail = tok822_append(t1->tail, t2);
    t1->head = t2;
    t2->prev = NULL;
    return t1->tail = tok822_adopt(t2, t1);
}

struct tok822 *
tok822_sub_keep_after(struct tok822 *t1, struct tok822 *tp)
{
    struct tok822 *head = t1->head;

    if ((t1->head = tok822_cut_after(tp)) == NULL)
        t1->tail = NULL;
    if (head)
        tok822_adopt(head, NULL);
    return head;
}

struct tok822 *
tok822_find_type(struct tok822 *list, int type)
{
    while (list != NULL && list->type != type)
        list = list->next;
    return list;
}

struct tok822 *
tok822_rfind_type(struct tok822 *tp, int type)
{
    while (tp != NULL && tp->type != type)
        tp = tp->prev;
    return tp;
}
