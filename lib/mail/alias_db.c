/*
 * alias_db - aliases(5) files into alias databases; see alias_db.h.
 *
 * The source is read with dict_source_read in alias mode (the one parser
 * of aliases(5) syntax); this module adds the UTF-8 check, writes the
 * entries through map_build, and appends the signature entries.
 */
#include <fcntl.h>
#include <string.h>
#include <time.h>

#include "config/mail_conf.h"
#include "mail/alias_db.h"
#include "table/dict_source.h"
#include "util/argv.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/stringops.h"
#include "util/valid_utf8.h"

struct alias_db_state {
    struct map_build *mb;
    int utf8; /* skip entries that are not UTF-8 */
};

/* A main.cf value, or FALLBACK for a parameter the table does not know. */
static const char *
alias_db_conf(const char *name, const char *fallback)
{
    const char *value;

    if (mail_conf_raw(name) == NULL || (value = mail_conf_get(name)) == NULL)
        return fallback;
    return value;
}

static int
alias_db_is_utf8(const char *text)
{
    return allascii(text) || valid_utf8_string(text, strlen(text));
}

static int
alias_db_entry(void *context, const char *key, const char *value, int lineno)
{
    struct alias_db_state *state = context;
    struct vstring *line;

    if (state->utf8 && (!alias_db_is_utf8(key) || !alias_db_is_utf8(value))) {
        line = vstring_alloc(100);
        vstring_sprintf(line, "%s: %s", key, value);
        msg_warn("%s, line %d: non-UTF-8 input \"%s\" -- ignoring this line",
                 vstream_path(state->mb->source), lineno, printable(vstring_str(line), '?'));
        vstring_free(line);
        return 0;
    }
    map_build_put(state->mb, key, value);
    return 0;
}

void
alias_db_build(const char *type, const char *path, int open_flags, int dict_flags, int build_flags)
{
    struct alias_db_state state;
    struct vstring *stamp;
    struct dict *dict;

    state.mb = map_build_open(type, path, open_flags, dict_flags, build_flags);
    state.utf8 = (dict_flags & DICT_FLAG_UTF8_REQUEST) != 0;
    if (dict_source_read(state.mb->source, DICT_SOURCE_FLAG_ALIAS, alias_db_entry, &state) < 0)
        msg_fatal("read %s: %m", vstream_path(state.mb->source));

    /* Signatures. In incremental mode they replace the old ones. */
    dict = state.mb->dict;
    if ((open_flags & O_TRUNC) == 0)
        dict->flags |= DICT_FLAG_DUP_REPLACE;
    map_build_put(state.mb, "@", "@");
    dict->flags &= ~(DICT_FLAG_TRY1NULL | DICT_FLAG_FOLD_FIX);
    dict->flags |= DICT_FLAG_TRY0NULL;
    stamp = vstring_alloc(20);
    vstring_sprintf(stamp, "%010ld", (long)time(NULL));
    map_build_put(state.mb, "YP_LAST_MODIFIED", vstring_str(stamp));
    map_build_put(state.mb, "YP_MASTER_NAME", alias_db_conf("myhostname", "localhost"));
    vstring_free(stamp);
    map_build_close(state.mb);
}

int
alias_db_rebuild(int dict_flags, int build_flags)
{
    struct argv *maps = argv_split(alias_db_conf("alias_database", ""), CHARS_COMMA_SP);
    const char *db_type = alias_db_conf("default_database_type", "hash");
    char *name;
    size_t n;

    for (n = 0; n < maps->argc; n++) {
        if ((name = split_at(maps->argv[n], ':')) != NULL)
            alias_db_build(maps->argv[n], name, O_RDWR | O_CREAT | O_TRUNC, dict_flags,
                           build_flags);
        else
            alias_db_build(db_type, maps->argv[n], O_RDWR | O_CREAT | O_TRUNC, dict_flags,
                           build_flags);
    }
    n = maps->argc;
    argv_free(maps);
    return (int)n;
}

int
alias_db_dict_flags(void)
{
    int flags = DICT_FLAG_DUP_WARN | DICT_FLAG_FOLD_FIX;

    if (mail_conf_raw("smtputf8_enable") != NULL && mail_conf_get_bool("smtputf8_enable"))
        flags |= DICT_FLAG_UTF8_REQUEST;
    return flags;
}
