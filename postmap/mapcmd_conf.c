/*
 * mapcmd_conf - main.cf access for postmap and postalias; see
 * mapcmd_conf.h. A parameter is "known" when mail_conf_raw() has a value
 * for it (set in main.cf or defaulted by the parameter table).
 */
#include <stdlib.h>
#include <string.h>

#include "config/mail_conf.h"
#include "mapcmd_conf.h"
#include "util/argv.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/stringops.h"

const char *
mapcmd_conf_str(const char *name, const char *fallback)
{
    const char *value;

    if (mail_conf_raw(name) == NULL || (value = mail_conf_get(name)) == NULL)
        return fallback;
    return value;
}

long
mapcmd_conf_int(const char *name, long fallback)
{
    if (mail_conf_raw(name) == NULL)
        return fallback;
    return mail_conf_get_int(name);
}

int
mapcmd_conf_bool(const char *name, int fallback)
{
    if (mail_conf_raw(name) == NULL)
        return fallback;
    return mail_conf_get_bool(name);
}

void
mapcmd_conf_import_environment(void)
{
    const char *list = mapcmd_conf_str("import_environment", "");
    struct argv *elems = argv_split(list, CHARS_COMMA_SP);
    char *value;
    size_t n;

    for (n = 0; n < elems->argc; n++) {
        if ((value = split_at(elems->argv[n], '=')) != NULL && *elems->argv[n] != 0 &&
            setenv(elems->argv[n], value, 1) < 0)
            msg_fatal("setenv %s: %m", elems->argv[n]);
    }
    argv_free(elems);
}
