/*
 * mapcmd - the command driver shared by postmap and postalias; see
 * mapcmd.h.
 *
 * Flow: sane standard descriptors and umask, options, main.cf (-c DIR or
 * $MAIL_CONFIG), import_environment, then one of: delete (-d), query (-q),
 * list (-s), or build every table argument. Queries from standard input
 * may be plain keys (one per line) or, with -h/-b, the header and body
 * lines of a message (postmap_mime).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "mail/map_build.h"
#include "mapcmd.h"
#include "mapcmd_conf.h"
#include "postmap_file.h"
#include "postmap_mime.h"
#include "table/dict.h"
#include "table/dict_db.h"
#include "util/argv.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/readlline.h"
#include "util/stringops.h"
#include "util/vstream.h"

/* What the command line asks for. */
struct mapcmd_request {
    const struct mapcmd_spec *spec;
    const char *progname; /* argv[0] without its directory */
    struct mapcmd_opts opts;
    int key_flags;       /* POSTMAP_MIME_* from -h, -b, -m */
    int force_utf8;      /* -U */
    int file_values;     /* -F */
    const char *query;   /* -q */
    const char *delkey;  /* -d */
    int sequence;        /* -s */
    const char *db_type; /* default_database_type */
};

/* Tables named on the command line, opened as they are needed. */
struct mapcmd_tables {
    char **args; /* "type:name" or "name" */
    int count;
    struct dict **dicts; /* NULL until opened */
};

static void
mapcmd_usage(const struct mapcmd_request *req)
{
    msg_fatal("usage: %s %s", req->progname, req->spec->usage);
}

/* Opens table argument ARG ("type:name" or "name") with the given flags. */
static struct dict *
mapcmd_open(const struct mapcmd_request *req, const char *arg, int open_flags, int dict_flags)
{
    char *copy = mystrdup(arg);
    char *name = split_at(copy, ':');
    struct dict *dict;

    if (name != NULL)
        dict = dict_open3_strict(copy, name, open_flags, dict_flags);
    else
        dict = dict_open3_strict(req->db_type, copy, open_flags, dict_flags);
    myfree(copy);
    return dict;
}

/*
 * The table's name as Postfix prints it in "table TYPE:NAME: ..." errors:
 * for a file-based type, the file NAME.db.
 */
static const char *
mapcmd_label(struct dict *dict, struct vstring *buf)
{
    const struct dict_type *dt = dict_type_find(dict->type);

    vstring_sprintf(buf, "%s:%s%s", dict->type, dict->name, dt && dt->needs_file ? ".db" : "");
    return vstring_str(buf);
}

/*
 * The reason for a table error: errno's text, or "Application error" when
 * the table failed without a system error (Postfix's wording for errno 0).
 */
static const char *
mapcmd_errtext(void)
{
    return errno != 0 ? strerror(errno) : "Application error";
}

/* Ends the program after a failed table operation OP ("query", ...). */
static void
mapcmd_table_fatal(struct dict *dict, const char *op)
{
    const char *why = mapcmd_errtext();
    struct vstring *label = vstring_alloc(100);

    msg_fatal("table %s: %s error: %s", mapcmd_label(dict, label), op, why);
}

/* Warns about an empty result, as Postfix does for every query. */
static void
mapcmd_warn_empty(const char *type, const char *name, const char *key)
{
    msg_warn("table %s:%s: key %s: empty string result is not allowed", type, name, key);
    msg_warn("table %s:%s should return NO RESULT in case of NOT FOUND", type, name);
}

/*
 * One lookup, with -F decoding. Returns the value or NULL; fatal on a
 * lookup error.
 */
static const char *
mapcmd_lookup(const struct mapcmd_request *req, struct dict *dict, const char *key)
{
    static struct vstring *decoded;
    static struct vstring *why;
    static struct vstring *label;
    const char *value;

    errno = 0;
    value = dict_get(dict, key);
    if (value != NULL && req->file_values) {
        if (decoded == NULL) {
            decoded = vstring_alloc(100);
            why = vstring_alloc(100);
            label = vstring_alloc(100);
        }
        if (postmap_file_from_b64(value, decoded, why) == NULL) {
            msg_warn("table %s: key %s: %s", mapcmd_label(dict, label), key, vstring_str(why));
            dict->error = DICT_ERR_CONFIG;
            value = NULL;
        } else {
            value = vstring_str(decoded);
        }
    }
    if (value == NULL && dict->error == DICT_ERR_CONFIG) {
        label = label ? label : vstring_alloc(100);
        msg_fatal("table %s: query error", mapcmd_label(dict, label));
    }
    if (value == NULL && dict->error != DICT_ERR_NONE)
        mapcmd_table_fatal(dict, "query");
    return value;
}

/* -q KEY: the first table that has KEY wins. */
static int
mapcmd_query(const struct mapcmd_request *req, char **args, int count)
{
    struct vstream *out = vstream_stdout();
    struct dict *dict;
    const char *value;
    int n;

    for (n = 0; n < count; n++) {
        dict = mapcmd_open(req, args[n], O_RDONLY, req->opts.dict_flags | DICT_FLAG_LOCK);
        if ((value = mapcmd_lookup(req, dict, req->query)) != NULL) {
            if (*value == 0)
                mapcmd_warn_empty(dict->type, dict->name, req->query);
            vstream_printf(out, "%s\n", value);
            if (vstream_flush(out) < 0)
                msg_fatal("write to standard output: %m");
            dict_close(dict);
            return 0;
        }
        dict_close(dict);
    }
    return 1;
}

/* Looks KEY up in each table in turn; prints "key<sep>value" when found. */
static int
mapcmd_query_one(const struct mapcmd_request *req, struct mapcmd_tables *tables, const char *key)
{
    const char *value;
    int n;

    for (n = 0; n < tables->count; n++) {
        if (tables->dicts[n] == NULL)
            tables->dicts[n] =
                mapcmd_open(req, tables->args[n], O_RDONLY, req->opts.dict_flags | DICT_FLAG_LOCK);
        if ((value = mapcmd_lookup(req, tables->dicts[n], key)) != NULL) {
            if (*value == 0)
                mapcmd_warn_empty(tables->dicts[n]->type, tables->dicts[n]->name, key);
            vstream_printf(vstream_stdout(), "%s%s%s\n", key, req->spec->separator, value);
            return 1;
        }
    }
    return 0;
}

/*
 * Reads one line of standard input without its newline into buf. Lines
 * longer than READLLINE_LIMIT are skipped with a warning. Returns 0 at end
 * of input.
 */
static int
mapcmd_get_line(struct vstream *in, struct vstring *buf, int *lineno)
{
    int last;

    for (;;) {
        if ((last = vstream_get_line(in, buf, READLLINE_LIMIT + 1)) == VSTREAM_EOF)
            return 0;
        ++*lineno;
        if (last == '\n') {
            vstring_truncate(buf, vstring_len(buf) - 1);
            return 1;
        }
        if (vstring_len(buf) <= READLLINE_LIMIT)
            return 1;
        while ((last = vstream_get_line(in, buf, READLLINE_LIMIT)) != VSTREAM_EOF && last != '\n')
            ;
        msg_warn("%s, line %d: line longer than %d bytes, ignored", vstream_path(in), *lineno,
                 READLLINE_LIMIT);
    }
}

struct mapcmd_key_state {
    const struct mapcmd_request *req;
    struct mapcmd_tables *tables;
    int found;
};

static void
mapcmd_message_key(void *context, const char *key)
{
    struct mapcmd_key_state *state = context;

    state->found |= mapcmd_query_one(state->req, state->tables, key);
}

/* The mime parser's limits, from main.cf. */
static void
mapcmd_mime_limits(struct postmap_mime_limits *limits)
{
    limits->header_limit = (size_t)mapcmd_conf_int("header_size_limit", 102400);
    limits->boundary_limit = (size_t)mapcmd_conf_int("mime_boundary_length_limit", 2048);
    limits->nesting_limit = (int)mapcmd_conf_int("mime_nesting_limit", 100);
}

/* -q -: keys (or a message, with -h/-b) from standard input. */
static int
mapcmd_queries(const struct mapcmd_request *req, char **args, int count)
{
    struct mapcmd_tables tables = {args, count, mycalloc((size_t)count, sizeof(struct dict *))};
    struct mapcmd_key_state state = {req, &tables, 0};
    struct vstream *in = vstream_stdin();
    struct vstring *line = vstring_alloc(100);
    struct postmap_mime *mime = NULL;
    struct postmap_mime_limits limits;
    int lineno = 0;
    int n;

    if (req->key_flags & (POSTMAP_MIME_HEADER | POSTMAP_MIME_BODY)) {
        mapcmd_mime_limits(&limits);
        mime = postmap_mime_create(req->key_flags, &limits, mapcmd_message_key, &state);
    }
    while (mapcmd_get_line(in, line, &lineno)) {
        if (mime == NULL)
            state.found |= mapcmd_query_one(req, &tables, vstring_str(line));
        else if (postmap_mime_update(mime, vstring_str(line), vstring_len(line)))
            break;
    }
    if (mime != NULL) {
        postmap_mime_end(mime);
        postmap_mime_free(mime);
    }
    if (vstream_flush(vstream_stdout()) < 0)
        msg_fatal("write to standard output: %m");
    for (n = 0; n < count; n++)
        if (tables.dicts[n] != NULL)
            dict_close(tables.dicts[n]);
    myfree(tables.dicts);
    vstring_free(line);
    return state.found ? 0 : 1;
}

/* Deletes KEY from DICT; 1 when it was there. */
static int
mapcmd_delete_key(struct dict *dict, const char *key)
{
    int status;

    errno = 0;
    status = dict_del(dict, key);
    if (dict->error)
        mapcmd_table_fatal(dict, "delete");
    return status == DICT_STAT_SUCCESS;
}

/* -d KEY: remove one entry from each table; -d -: keys from stdin. */
static int
mapcmd_delete(const struct mapcmd_request *req, char **args, int count)
{
    struct dict **dicts = mycalloc((size_t)count, sizeof(*dicts));
    struct vstring *line = vstring_alloc(100);
    int dict_flags = req->opts.dict_flags | DICT_FLAG_LOCK;
    int lineno = 0;
    int found = 0;
    int n;

    if (strcmp(req->delkey, "-") == 0) {
        for (n = 0; n < count; n++)
            dicts[n] = mapcmd_open(req, args[n], O_RDWR, dict_flags);
        while (mapcmd_get_line(vstream_stdin(), line, &lineno))
            for (n = 0; n < count; n++)
                found |= mapcmd_delete_key(dicts[n], vstring_str(line));
        for (n = 0; n < count; n++)
            dict_close(dicts[n]);
    } else {
        for (n = 0; n < count; n++) {
            dicts[n] = mapcmd_open(req, args[n], O_RDWR, dict_flags);
            found |= mapcmd_delete_key(dicts[n], req->delkey);
            dict_close(dicts[n]);
        }
    }
    myfree(dicts);
    vstring_free(line);
    return found ? 0 : 1;
}

/* -s: list every entry of the first table. */
static int
mapcmd_sequence(const struct mapcmd_request *req, const char *arg)
{
    char *copy = mystrdup(arg);
    char *name = split_at(copy, ':');
    const char *type = name ? copy : req->db_type;
    struct vstring *decoded = vstring_alloc(100);
    struct vstring *why = vstring_alloc(100);
    struct vstring *label = vstring_alloc(100);
    struct dict *dict;
    const char *key;
    const char *value;
    int func;

    if (name == NULL)
        name = copy;
    if (strcmp(type, "proxy") == 0)
        msg_fatal("can't sequence maps via the proxy service");
    dict = dict_open3_strict(type, name, O_RDONLY, req->opts.dict_flags | DICT_FLAG_LOCK);
    for (func = DICT_SEQ_FUN_FIRST; /* void */; func = DICT_SEQ_FUN_NEXT) {
        errno = 0;
        if (dict_seq(dict, func, &key, &value) != DICT_STAT_SUCCESS)
            break;
        if (*key == 0)
            msg_warn("table %s:%s: empty lookup key value is not allowed", type, name);
        else if (*value == 0)
            mapcmd_warn_empty(type, name, key);
        if (req->file_values) {
            if (postmap_file_from_b64(value, decoded, why) == NULL) {
                msg_warn("table %s: key %s: %s", mapcmd_label(dict, label), key, vstring_str(why));
                continue;
            }
            value = vstring_str(decoded);
        }
        vstream_printf(vstream_stdout(), "%s%s%s\n", key, req->spec->separator, value);
    }
    if (dict->error)
        mapcmd_table_fatal(dict, "sequence");
    if (vstream_flush(vstream_stdout()) < 0)
        msg_fatal("write to standard output: %m");
    dict_close(dict);
    vstring_free(decoded);
    vstring_free(why);
    vstring_free(label);
    myfree(copy);
    return 0;
}

/* Builds each table argument. */
static int
mapcmd_build_all(const struct mapcmd_request *req, char **args, int count)
{
    char *copy;
    char *name;
    int n;

    for (n = 0; n < count; n++) {
        copy = mystrdup(args[n]);
        if ((name = split_at(copy, ':')) != NULL)
            req->spec->build(copy, name, &req->opts);
        else
            req->spec->build(req->db_type, copy, &req->opts);
        myfree(copy);
    }
    return 0;
}

/* Postfix's commands make sure that descriptors 0, 1 and 2 are open. */
static void
mapcmd_sane_fds(void)
{
    struct stat st;
    int fd;

    for (fd = 0; fd < 3; fd++)
        if (fstat(fd, &st) < 0 && (close(fd), open("/dev/null", O_RDWR, 0)) != fd)
            msg_fatal("open /dev/null: %m");
}

/* Handles one option letter. */
static void
mapcmd_option(struct mapcmd_request *req, int ch, const char *arg)
{
    switch (ch) {
    case 'N':
        req->opts.dict_flags |= DICT_FLAG_TRY1NULL;
        req->opts.dict_flags &= ~DICT_FLAG_TRY0NULL;
        break;
    case 'n':
        req->opts.dict_flags |= DICT_FLAG_TRY0NULL;
        req->opts.dict_flags &= ~DICT_FLAG_TRY1NULL;
        break;
    case 'b':
        req->key_flags |= POSTMAP_MIME_BODY;
        break;
    case 'h':
        req->key_flags |= POSTMAP_MIME_HEADER;
        break;
    case 'm':
        req->key_flags |= POSTMAP_MIME_PARSE;
        break;
    case 'c':
        if (setenv("MAIL_CONFIG", arg, 1) < 0)
            msg_fatal("out of memory");
        break;
    case 'd':
        if (req->sequence || req->query || req->delkey)
            msg_fatal("specify only one of -s -q or -d");
        req->delkey = arg;
        break;
    case 'q':
        if (req->sequence || req->query || req->delkey)
            msg_fatal("specify only one of -s -q or -d");
        req->query = arg;
        break;
    case 's':
        if (req->query || req->delkey)
            msg_fatal("specify only one of -s or -q or -d");
        req->sequence = 1;
        break;
    case 'f':
        req->opts.dict_flags &= ~DICT_FLAG_FOLD_FIX;
        break;
    case 'F':
        req->file_values = 1;
        req->opts.dict_flags |= DICT_FLAG_SRC_RHS_IS_FILE;
        break;
    case 'i':
        req->opts.open_flags &= ~O_TRUNC;
        break;
    case 'o':
        req->opts.build_flags &= ~MAP_BUILD_AS_OWNER;
        break;
    case 'p':
        req->opts.build_flags &= ~MAP_BUILD_SAVE_PERM;
        break;
    case 'r':
        req->opts.dict_flags &= ~(DICT_FLAG_DUP_WARN | DICT_FLAG_DUP_IGNORE);
        req->opts.dict_flags |= DICT_FLAG_DUP_REPLACE;
        break;
    case 'w':
        req->opts.dict_flags &= ~(DICT_FLAG_DUP_WARN | DICT_FLAG_DUP_REPLACE);
        req->opts.dict_flags |= DICT_FLAG_DUP_IGNORE;
        break;
    case 'u':
        req->opts.dict_flags &= ~DICT_FLAG_UTF8_REQUEST;
        break;
    case 'U':
        req->force_utf8 = 1;
        break;
    case 'v':
        msg_verbose++;
        break;
    default:
        mapcmd_usage(req);
    }
}

/* main.cf and the settings that follow from it. */
static void
mapcmd_configure(struct mapcmd_request *req)
{
    mail_conf_read(getenv("MAIL_CONFIG"));
    mapcmd_conf_import_environment();
    dict_db_read_buffer_size =
        (int)mapcmd_conf_int("berkeley_db_read_buffer_size", dict_db_read_buffer_size);
    req->db_type = mapcmd_conf_str("default_database_type", "hash");
    if (!mapcmd_conf_bool("smtputf8_enable", 0))
        req->opts.dict_flags &= ~DICT_FLAG_UTF8_REQUEST;
    if (req->key_flags && (req->query == NULL || strcmp(req->query, "-") != 0))
        msg_fatal("specify -b -h or -m only with \"-q -\"");
    if (req->key_flags == POSTMAP_MIME_PARSE)
        msg_warn("ignoring -m option without -b or -h");
    if ((req->key_flags & (POSTMAP_MIME_HEADER | POSTMAP_MIME_BODY)) && !req->force_utf8)
        req->opts.dict_flags &= ~DICT_FLAG_UTF8_REQUEST;
}

int
mapcmd_main(const struct mapcmd_spec *spec, int argc, char **argv)
{
    struct mapcmd_request req;
    struct vstring *options = vstring_alloc(40);
    const char *slash;
    int ch;

    memset(&req, 0, sizeof(req));
    req.spec = spec;
    if (argc > 0 && (slash = strrchr(argv[0], '/')) != NULL && slash[1] != 0)
        argv[0] = (char *)slash + 1;
    req.progname = argc > 0 ? argv[0] : spec->name;
    req.opts.dict_flags = DICT_FLAG_DUP_WARN | DICT_FLAG_FOLD_FIX | DICT_FLAG_UTF8_REQUEST;
    req.opts.open_flags = O_RDWR | O_CREAT | O_TRUNC;
    req.opts.build_flags = MAP_BUILD_AS_OWNER | MAP_BUILD_SAVE_PERM;
    umask(022);
    mapcmd_sane_fds();
    if (getenv("MAIL_VERBOSE") != NULL)
        msg_verbose = 1;
    msg_init(req.progname, MSG_STDERR | MSG_SYSLOG);
    /* "+": options end at the first table argument, as with Postfix. */
    vstring_sprintf(options, "+%s", spec->options);
    while ((ch = getopt(argc, argv, vstring_str(options))) > 0)
        mapcmd_option(&req, ch, optarg);
    vstring_free(options);
    mapcmd_configure(&req);
    argv += optind;
    argc -= optind;
    if (argc < 1 && (req.delkey || req.query || req.sequence || spec->build_default == NULL ||
                     (req.opts.open_flags & O_TRUNC) == 0))
        mapcmd_usage(&req);
    if (req.delkey)
        return mapcmd_delete(&req, argv, argc);
    if (req.query && strcmp(req.query, "-") == 0)
        return mapcmd_queries(&req, argv, argc);
    if (req.query)
        return mapcmd_query(&req, argv, argc);
    if (req.sequence)
        return mapcmd_sequence(&req, argv[0]);
    if (argc < 1)
        return spec->build_default(&req.opts);
    return mapcmd_build_all(&req, argv, argc);
}
