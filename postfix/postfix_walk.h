/*
 * postfix_walk.h - directory-tree walking and file comparison for the
 * postfix command's checks; see postfix_walk.c.
 */
#ifndef TERN_POSTFIX_WALK_H
#define TERN_POSTFIX_WALK_H

#include <sys/stat.h>

typedef void (*postfix_walk_fn)(const char *path, const struct stat *st, void *context);

void postfix_walk(const char *path, int descend, postfix_walk_fn visit, void *context);
int postfix_walk_path_stat(const char *path, struct stat *st);
int postfix_same_content(const char *a, const char *b);

#endif
