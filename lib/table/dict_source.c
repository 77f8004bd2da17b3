/*
 * dict_source - the reader of lookup table source files; see dict_source.h
 * for the syntax, the warnings and the call-back contract.
 *
 * One logical line at a time (readlline bounds its length); nothing of a
 * line survives the call-back, so memory use does not grow with the file.
 */
#include <errno.h>
#include <string.h>

#include "table/dict_source.h"
#include "util/msg.h"
#include "util/readlline.h"
#include "util/stringops.h"

#define SOURCE_SPACE " \t\r\n\v\f"

/*
 * Splits a table-syntax line in place. Returns 1 with *key and *value set,
 * or 0 after a warning for a line that has no value.
 */
static int
dict_source_split(struct vstream *fp, int flags, char *line, int lineno, char **key, char **value)
{
    char *cp;
    size_t len;

    *key = line;
    cp = line + strcspn(line, SOURCE_SPACE);
    if (*cp)
        *cp++ = 0;
    cp += strspn(cp, SOURCE_SPACE);
    len = strlen(cp);
    while (len > 0 && strchr(SOURCE_SPACE, cp[len - 1]) != NULL)
        cp[--len] = 0;
    *value = cp;
    if (**key == 0 || **value == 0) {
        msg_warn("%s, line %d: expected format: key whitespace value%s", vstream_path(fp), lineno,
                 (flags & DICT_SOURCE_FLAG_IGNORING) ? " -- ignoring this line" : "");
        return 0;
    }
    len = strlen(*key);
    if ((*key)[len - 1] == ':')
        msg_warn("%s, line %d: record is in \"key: value\" format; is this an alias file?",
                 vstream_path(fp), lineno);
    return 1;
}

int
dict_source_read(struct vstream *fp, int flags,
                 int (*action)(void *context, const char *key, const char *value, int lineno),
                 void *context)
{
    struct vstring *line = vstring_alloc(100);
    struct vstring *key_buf = vstring_alloc(100);
    struct vstring *value_buf = vstring_alloc(100);
    int lineno = 0;
    int first;
    int status = 0;
    char *key;
    char *value;
    const char *why;

    while (status == 0 && readlline(line, fp, &lineno, &first) != NULL) {
        if (flags & DICT_SOURCE_FLAG_ALIAS) {
            if (dict_source_alias_split(vstring_str(line), key_buf, value_buf, &why) < 0) {
                msg_warn("%s, line %d: %s", vstream_path(fp), first, why);
                continue;
            }
            key = vstring_str(key_buf);
            value = vstring_str(value_buf);
        } else if (!dict_source_split(fp, flags, vstring_str(line), first, &key, &value)) {
            continue;
        }
        if (flags & DICT_SOURCE_FLAG_FOLD)
            lowercase(key);
        status = action(context, key, value, first);
    }
    if (status == 0 && vstream_error(fp))
        status = -1;
    vstring_free(line);
    vstring_free(key_buf);
    vstring_free(value_buf);
    return status;
}
