/*
 * postfix_walk - walk a directory tree for "postfix check" and
 * "postfix set-permissions", and compare two files.
 *
 *   postfix_walk(path, descend, visit, context)
 *       calls visit(path, lstat info, context) for path and, when descend is
 *       set and path is a directory (not a symbolic link to one), for
 *       everything below it, each directory's entries in name order. Names
 *       are built as "path/name", so a walk from "DIR/." reports "DIR/./x"
 *       as find(1) does. Entries that vanish or cannot be read are skipped
 *       silently: the checks report what exists. Symbolic links are never
 *       followed.
 *   postfix_same_content(a, b)
 *       1 when both files can be read and hold the same bytes, else 0.
 *   postfix_walk_path_stat(path, &st)
 *       stat(2), falling back to lstat(2) for a dangling link, as find -L.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "postfix_walk.h"
#include "util/mymalloc.h"
#include "util/vstring.h"

static int
postfix_walk_keep_name(const struct dirent *entry)
{
    const char *name = entry->d_name;

    return !(name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0)));
}

void
postfix_walk(const char *path, int descend, postfix_walk_fn visit, void *context)
{
    struct dirent **names;
    struct vstring *child;
    struct stat st;
    int count;
    int n;

    if (lstat(path, &st) < 0)
        return;
    visit(path, &st, context);
    if (!descend || !S_ISDIR(st.st_mode))
        return;
    if ((count = scandir(path, &names, postfix_walk_keep_name, alphasort)) < 0)
        return;
    child = vstring_alloc(100);
    for (n = 0; n < count; n++) {
        vstring_sprintf(child, "%s/%s", path, names[n]->d_name);
        postfix_walk(vstring_str(child), descend, visit, context);
        free(names[n]);
    }
    free(names);
    vstring_free(child);
}

int
postfix_walk_path_stat(const char *path, struct stat *st)
{
    if (stat(path, st) == 0)
        return 0;
    return lstat(path, st);
}

static int
postfix_read_block(int fd, char *buf, size_t len)
{
    size_t done = 0;
    ssize_t got;

    while (done < len && (got = read(fd, buf + done, len - done)) != 0) {
        if (got < 0)
            return -1;
        done += (size_t)got;
    }
    return (int)done;
}

int
postfix_same_content(const char *a, const char *b)
{
    char buf_a[8192];
    char buf_b[8192];
    int fd_a = open(a, O_RDONLY | O_CLOEXEC);
    int fd_b = open(b, O_RDONLY | O_CLOEXEC);
    int len_a;
    int len_b;
    int same = 0;

    if (fd_a >= 0 && fd_b >= 0) {
        for (;;) {
            len_a = postfix_read_block(fd_a, buf_a, sizeof(buf_a));
            len_b = postfix_read_block(fd_b, buf_b, sizeof(buf_b));
            if (len_a < 0 || len_a != len_b || memcmp(buf_a, buf_b, (size_t)len_a) != 0)
                break;
            if (len_a == 0) {
                same = 1;
                break;
            }
        }
    }
    if (fd_a >= 0)
        close(fd_a);
    if (fd_b >= 0)
        close(fd_b);
    return same;
}
