/*
 * postalias - create, query and update Postfix-compatible alias databases.
 *
 *   postalias [-Nfinoprsuvw] [-c config_dir] [-d key] [-q key]
 *             [file_type:]file_name ...
 *
 * Builds alias databases from aliases(5) files (alias_db.c: alias syntax,
 * the "@" and YP_* signature entries); queries, deletions and listing are
 * shared with postmap (mapcmd.c) and print "key:<TAB>value". Without a
 * file argument (and without -q, -d or -s) it rebuilds every table in
 * alias_database, as newaliases does; with an empty alias_database that is
 * a usage error.
 */
#include "mail/alias_db.h"
#include "mapcmd.h"
#include "util/msg.h"

static void
postalias_build(const char *type, const char *path, const struct mapcmd_opts *opts)
{
    alias_db_build(type, path, opts->open_flags, opts->dict_flags, opts->build_flags);
}

static int
postalias_build_default(const struct mapcmd_opts *opts)
{
    if (alias_db_rebuild(opts->dict_flags, opts->build_flags) == 0)
        msg_fatal("usage: postalias [-Nfinoprsuvw] [-c config_dir] [-d key] [-q key] "
                  "[map_type:]file...");
    return 0;
}

static const struct mapcmd_spec postalias_spec = {
    "postalias",
    "Nc:d:finopq:rsuvw",
    "[-Nfinoprsuvw] [-c config_dir] [-d key] [-q key] [map_type:]file...",
    ":\t",
    postalias_build,
    postalias_build_default,
};

int
main(int argc, char **argv)
{
    return mapcmd_main(&postalias_spec, argc, argv);
}
