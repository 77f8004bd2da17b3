/*
 * mapcmd - what postmap and postalias share: command-line options,
 * queries (-q KEY, -q -), deletions (-d KEY, -d -), listing (-s), and the
 * loop over table arguments that builds each one.
 *
 *   int main(int argc, char **argv) { return mapcmd_main(&spec, argc, argv); }
 *
 * The spec says what differs between the two commands: the option letters
 * they accept, the usage text, the separator between key and value in -q -
 * and -s output ("\t" for postmap, ":\t" for postalias), how a table is
 * built from its source, and what to do without table arguments.
 *
 * A table argument is "type:name", or a plain name of the type in
 * default_database_type. -q and -d open tables as they are needed, in the
 * order given; -s lists the first table only. Exit status as Postfix: 0 when
 * a query or deletion found something (or a build or listing worked), 1 when
 * nothing was found, and 1 (msg_fatal) on any error, with Postfix's
 * messages ("table TYPE:NAME: query error", "specify only one of -s -q or
 * -d", "usage: ...").
 */
#ifndef TERN_MAPCMD_H
#define TERN_MAPCMD_H

/* How the options shape a build (or a query). */
struct mapcmd_opts {
    int dict_flags;  /* DICT_FLAG_*; DICT_FLAG_UTF8_REQUEST when UTF-8 checks apply */
    int open_flags;  /* O_RDWR|O_CREAT|O_TRUNC, or without O_TRUNC for -i */
    int build_flags; /* MAP_BUILD_* */
};

struct mapcmd_spec {
    const char *name;      /* "postmap" */
    const char *options;   /* getopt(3) letters */
    const char *usage;     /* "[-bfFhimnNoprsuUvw] [-c config_dir] ..." */
    const char *separator; /* between key and value in -q - and -s output */
    void (*build)(const char *type, const char *path, const struct mapcmd_opts *opts);
    /* Without table arguments: build the default tables (NULL: usage error). */
    int (*build_default)(const struct mapcmd_opts *opts);
};

int mapcmd_main(const struct mapcmd_spec *spec, int argc, char **argv);

#endif
