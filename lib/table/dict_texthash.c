/*
 * dict_texthash - the "texthash" table type: a table source file (the
 * same text postmap reads) loaded into memory when the table is opened,
 * looked up like a hash table without building a .db file.
 *
 * Entry point: dict_texthash_open(path, O_RDONLY, dict_flags).
 *
 * Keys are folded at load time when DICT_FLAG_FOLD_FIX is set (dict_get
 * folds the query the same way). Duplicate keys follow the dict flags:
 * DUP_REPLACE keeps the last, DUP_IGNORE the first silently, DUP_WARN the
 * first with "FILE, line N: duplicate entry: \"key\"" (the key as written),
 * and with none of these a duplicate is fatal. Malformed lines are
 * warned about and skipped by dict_source. A file that cannot be opened or
 * read gives a surrogate ("open database FILE: reason", "read FILE:
 * reason"); so does a request for write access.
 */
#include <errno.h>
#include <sys/stat.h>

#include "table/dict_mem.h"
#include "table/dict_source.h"
#include "table/dict_types.h"
#include "util/msg.h"
#include "util/stringops.h"
#include "util/vstream.h"

struct texthash_load {
    struct dict *dict;
    const char *path;
    struct vstring *folded;
};

static int
dict_texthash_entry(void *context, const char *key, const char *value, int lineno)
{
    struct texthash_load *load = context;
    const char *stored_key = key;

    if (load->dict->flags & DICT_FLAG_FOLD_FIX) {
        vstring_strcpy(load->folded, key);
        stored_key = lowercase(vstring_str(load->folded));
    }
    if (dict_mem_enter(load->dict, stored_key, value) == 0 &&
        (load->dict->flags & (DICT_FLAG_DUP_REPLACE | DICT_FLAG_DUP_IGNORE)) == 0) {
        if (load->dict->flags & DICT_FLAG_DUP_WARN)
            msg_warn("%s, line %d: duplicate entry: \"%s\"", load->path, lineno, key);
        else
            msg_fatal("%s, line %d: duplicate entry: \"%s\"", load->path, lineno, key);
    }
    return 0;
}

struct dict *
dict_texthash_open(const char *path, int open_flags, int dict_flags)
{
    struct texthash_load load;
    struct vstream *fp;
    struct stat st;
    int status;

    if ((open_flags & O_ACCMODE) != O_RDONLY)
        return dict_surrogate("texthash", path, open_flags, dict_flags,
                              "texthash:%s map requires O_RDONLY access mode", path);
    if ((fp = vstream_fopen(path, O_RDONLY, 0)) == NULL)
        return dict_surrogate("texthash", path, open_flags, dict_flags, "open database %s: %m",
                              path);
    load.dict = dict_mem_create("texthash", path, dict_flags);
    load.path = path;
    load.folded = vstring_alloc(100);
    status = dict_source_read(fp, DICT_SOURCE_FLAG_IGNORING, dict_texthash_entry, &load);
    vstring_free(load.folded);
    if (status < 0) {
        int saved_errno = errno;

        (void)vstream_close(fp);
        dict_close(load.dict);
        errno = saved_errno;
        return dict_surrogate("texthash", path, open_flags, dict_flags, "read %s: %m", path);
    }
    if (fstat(vstream_fileno(fp), &st) == 0)
        load.dict->mtime = st.st_mtime;
    (void)vstream_close(fp);
    return load.dict;
}
