/*
 * postmap - create, query and update Postfix-compatible lookup tables.
 *
 *   postmap [-bfFhimnNoprsuUvw] [-c config_dir] [-d key] [-q key]
 *           [file_type:]file_name ...
 *
 * Builds file_type:file_name (hash or btree: file_name.db) from the source
 * file file_name, replacing the old table atomically, or with -i adds
 * entries from standard input to the existing table. The options, queries,
 * deletions and listing are shared with postalias (mapcmd.c); this file
 * holds what is postmap's own: reading "key whitespace value" sources
 * (dict_source_read in table mode) and -F, whose values name files whose
 * contents are stored base64-encoded.
 *
 * Bad source lines are warnings with file and line and are skipped (see
 * dict_source.h); an unreadable source, an unknown type or a type without
 * a file to build is fatal (exit 1), as with Postfix.
 */
#include <string.h>

#include "mail/map_build.h"
#include "mapcmd.h"
#include "postmap_file.h"
#include "table/dict_source.h"
#include "util/msg.h"
#include "util/stringops.h"
#include "util/valid_utf8.h"
#include "util/vstring.h"

struct postmap_state {
    struct map_build *mb;
    int utf8;            /* skip entries that are not UTF-8 */
    int file_values;     /* -F */
    struct vstring *b64; /* -F: the encoded file contents */
    struct vstring *why; /* -F: why the files could not be read */
};

static int
postmap_is_utf8(const char *text)
{
    return allascii(text) || valid_utf8_string(text, strlen(text));
}

static int
postmap_entry(void *context, const char *key, const char *value, int lineno)
{
    struct postmap_state *state = context;
    const char *path = vstream_path(state->mb->source);

    if (state->utf8 && (!postmap_is_utf8(key) || !postmap_is_utf8(value))) {
        vstring_sprintf(state->why, "%s %s", key, value);
        msg_warn("%s, line %d: non-UTF-8 input \"%s\" -- ignoring this line", path, lineno,
                 printable(vstring_str(state->why), '?'));
        return 0;
    }
    if (state->file_values) {
        if (postmap_file_to_b64(value, state->b64, state->why) == NULL) {
            msg_warn("%s, line %d: %s: skipping this entry", path, lineno, vstring_str(state->why));
            return 0;
        }
        value = vstring_str(state->b64);
    }
    map_build_put(state->mb, key, value);
    return 0;
}

static void
postmap_build(const char *type, const char *path, const struct mapcmd_opts *opts)
{
    struct postmap_state state;

    state.mb = map_build_open(type, path, opts->open_flags, opts->dict_flags, opts->build_flags);
    state.utf8 = (opts->dict_flags & DICT_FLAG_UTF8_REQUEST) != 0;
    state.file_values = (opts->dict_flags & DICT_FLAG_SRC_RHS_IS_FILE) != 0;
    state.b64 = vstring_alloc(100);
    state.why = vstring_alloc(100);
    if (dict_source_read(state.mb->source, 0, postmap_entry, &state) < 0)
        msg_fatal("read %s: %m", vstream_path(state.mb->source));
    map_build_close(state.mb);
    vstring_free(state.b64);
    vstring_free(state.why);
}

static const struct mapcmd_spec postmap_spec = {
    "postmap",
    "bc:d:fFhimnNopq:rsuUvw",
    "[-bfFhimnNoprsuUvw] [-c config_dir] [-d key] [-q key] [map_type:]file...",
    "\t",
    postmap_build,
    NULL,
};

int
main(int argc, char **argv)
{
    return mapcmd_main(&postmap_spec, argc, argv);
}
