/*
 * postmap_file - file contents as table values; see postmap_file.h.
 *
 * Files are read whole into memory (they are the invoking user's own
 * files, named in a table source the user asked to build).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "postmap_file.h"
#include "util/argv.h"
#include "util/base64_code.h"
#include "util/stringops.h"
#include "util/vstream.h"

/* Appends the contents of PATH to BUF; 0, or -1 with why set. */
static int
postmap_file_append(const char *path, struct vstring *buf, struct vstring *why)
{
    struct vstream *fp;
    char chunk[8192];
    size_t got;

    if ((fp = vstream_fopen(path, O_RDONLY, 0)) == NULL) {
        vstring_sprintf(why, "open %s: %m", path);
        return -1;
    }
    while ((got = vstream_read(fp, chunk, sizeof(chunk))) > 0)
        vstring_memcat(buf, chunk, got);
    if (vstream_error(fp)) {
        vstring_sprintf(why, "read %s: %m", path);
        (void)vstream_close(fp);
        return -1;
    }
    (void)vstream_close(fp);
    return 0;
}

struct vstring *
postmap_file_to_b64(const char *pathnames, struct vstring *result, struct vstring *why)
{
    struct argv *names = argv_split(pathnames, CHARS_COMMA_SP);
    struct vstring *contents = vstring_alloc(1024);
    struct vstring *status = result;
    size_t n;

    if (names->argc == 0) {
        vstring_sprintf(why, "empty pathname list: >>%s<<'", pathnames);
        status = NULL;
    }
    for (n = 0; status != NULL && n < names->argc; n++) {
        if (postmap_file_append(names->argv[n], contents, why) < 0)
            status = NULL;
        else if (n + 1 < names->argc)
            vstring_addch(contents, '\n');
    }
    if (status != NULL)
        base64_encode(result, vstring_str(contents), vstring_len(contents));
    vstring_free(contents);
    argv_free(names);
    return status;
}

struct vstring *
postmap_file_from_b64(const char *value, struct vstring *result, struct vstring *why)
{
    if (base64_decode(result, value, strlen(value)) == NULL) {
        vstring_sprintf(why, "malformed BASE64 value: %.30s", value);
        return NULL;
    }
    return result;
}
