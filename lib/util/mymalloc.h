/*
 * mymalloc - checked memory allocation.
 *
 * Every allocation in Tern goes through these functions. They never return
 * NULL: running out of memory is fatal (msg_fatal), since no caller can do
 * anything sensible about it. mystrdup and friends return memory the caller
 * frees with myfree. myfree(NULL) is allowed.
 */
#ifndef TERN_MYMALLOC_H
#define TERN_MYMALLOC_H

#include <stddef.h>

void *mymalloc(size_t len);
void *mycalloc(size_t count, size_t len);
void *myrealloc(void *ptr, size_t len);
void myfree(void *ptr);
char *mystrdup(const char *str);
char *mystrndup(const char *str, size_t len);
void *mymemdup(const void *ptr, size_t len);

#endif
