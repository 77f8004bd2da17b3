/*
 * master_cf - master.cf, the service table, in the two views Tern needs.
 *
 * Syntax (see master(5)): logical lines as read by readlline (comments,
 * continuation lines that start with white space); each logical line holds
 * eight fields separated by white space - service, type, private, unpriv,
 * chroot, wakeup, maxproc, command - then the command's arguments. "{" and
 * "}" group a field that contains white space ("-o { name = value }",
 * "{ argument with spaces }").
 *
 * Lexical helpers, shared by both views:
 *   master_cf_split(line)        fields of one logical line, brace groups kept
 *                                whole and still braced; caller frees (argv_free)
 *   master_cf_nameval(buf, &n, &v) splits "name = value" in place; returns NULL
 *                                or "missing attribute name" / "missing '='
 *                                after attribute name"
 *   master_cf_type_code(type)    MASTER_CF_TYPE_* or 0 for an unknown type
 *   master_cf_field_name(field)  postconf's name of a column ("process_limit")
 *   master_cf_field_code(name)   the reverse; -1 for an unknown name
 *
 * Text view (master_cf_text.c, master_cf_print.c): what postconf shows and
 * edits. Fields stay as written ("-" stays "-"); daemon options are
 * normalized as postconf does ("-oname=value" becomes "-o" "name=value",
 * "{ name = value }" after -o becomes "name=value", other "{...}" arguments
 * lose their braces; normalization problems are warnings, which
 * master_cf_text_parse_quiet leaves out for a second reading of a file
 * already reported). master_cf_text_parse returns NULL on error with the
 * reason in why: exactly "bad field count" (fewer than eight fields; the
 * caller adds file and line), or "invalid TYPE field \"VALUE\" in \"LINE\""
 * for a bad type, y/n flag, wakeup or process limit. Formatting appends to a
 * vstring, without the final newline, in postconf's layout (-M columns,
 * folding at 80 columns with a four-space indent).
 *
 * Service view (master_cf.c): what the master daemon runs. Defaults are
 * applied (private y, unpriv y, chroot n, wakeup 0, maxproc -1 meaning
 * $default_process_limit), inet names are split into host and port, and
 * "-o" overrides are collected. master_cf_read/master_cf_parse return NULL
 * on a broken file with "FILE: line N: reason" in why, worded as Postfix's
 * master does, so that a running master can refuse a bad reload and keep
 * its old table. A service defined twice is a warning; the later entry
 * replaces the earlier one. Nothing here calls msg_fatal.
 */
#ifndef TERN_MASTER_CF_H
#define TERN_MASTER_CF_H

#include <stddef.h>

#include "util/argv.h"
#include "util/htable.h"
#include "util/vstring.h"

/* Column indexes of a master.cf entry. */
#define MASTER_CF_FLD_SERVICE 0
#define MASTER_CF_FLD_TYPE 1
#define MASTER_CF_FLD_PRIVATE 2
#define MASTER_CF_FLD_UNPRIV 3
#define MASTER_CF_FLD_CHROOT 4
#define MASTER_CF_FLD_WAKEUP 5
#define MASTER_CF_FLD_MAXPROC 6
#define MASTER_CF_FLD_COMMAND 7
#define MASTER_CF_FIELDS 8 /* columns up to and including the command */

/* Service types. */
#define MASTER_CF_TYPE_INET 1
#define MASTER_CF_TYPE_UNIX 2
#define MASTER_CF_TYPE_UNIX_DGRAM 3
#define MASTER_CF_TYPE_FIFO 4
#define MASTER_CF_TYPE_PASS 5

#define MASTER_CF_BLANKS " \t\r\n"
#define MASTER_CF_BRACES "{}"

struct argv *master_cf_split(const char *line);
const char *master_cf_nameval(char *buf, char **name, char **value);
int master_cf_type_code(const char *type);
const char *master_cf_field_name(int field);
int master_cf_field_code(const char *name);

/*
 * Text view.
 */
struct master_cf_text {
    struct argv *argv;     /* columns 0-7 as written, then normalized args */
    struct htable *params; /* -o name -> value (char *), later ones win */
    int lineno;            /* first line in the file, 0 if not from a file */
};

#define MASTER_CF_FMT_FOLD (1 << 0)      /* fold lines longer than 80 columns */
#define MASTER_CF_FMT_HIDE_NAME (1 << 1) /* value only, no "name = " */

struct master_cf_text *master_cf_text_parse(const char *line, int lineno, struct vstring *why);
struct master_cf_text *master_cf_text_parse_quiet(const char *line, int lineno,
                                                  struct vstring *why);
void master_cf_text_free(struct master_cf_text *text);
int master_cf_text_check(const struct argv *argv, const char *context, struct vstring *why);
int master_cf_text_set_field(struct master_cf_text *text, int field, const char *value,
                             struct vstring *why);
void master_cf_text_set_param(struct master_cf_text *text, const char *name, const char *value);
void master_cf_text_del_param(struct master_cf_text *text, const char *name);
struct argv *master_cf_text_param_names(const struct master_cf_text *text);

void master_cf_format_entry(struct vstring *out, const struct master_cf_text *text, int flags);
void master_cf_format_field(struct vstring *out, const struct master_cf_text *text, int field,
                            int flags);
void master_cf_format_words(struct vstring *out, const char *text, int flags);

/*
 * Service view.
 */
struct master_cf_entry {
    char *name;             /* service name as written */
    char *type;             /* service type as written */
    int type_code;          /* MASTER_CF_TYPE_* */
    int private_;           /* 1: private/ socket, 0: public/ (inet: 0) */
    int unpriv;             /* 1: run as mail_owner */
    int chroot;             /* 1: chroot to the queue directory */
    int wakeup;             /* seconds between wake-ups, 0 for none */
    int wakeup_conditional; /* "?" suffix: not before first use */
    int maxproc;            /* process limit; 0 none; -1 $default_process_limit */
    char *host;             /* inet: host part, "" for every interface */
    char *port;             /* inet: port or service name */
    char *endpoint;         /* identity: "private/NAME", "public/NAME", inet name */
    struct argv *args;      /* command and its arguments, braces removed */
    struct argv *overrides; /* "name=value" of each leading -o option */
    int lineno;             /* first line of the entry */
};

struct master_cf {
    char *path;                       /* file name, for diagnostics */
    struct master_cf_entry **entries; /* in file order */
    size_t count;
};

struct master_cf *master_cf_read(const char *path, struct vstring *why);
struct master_cf *master_cf_parse(const char *origin, const char *data, size_t len,
                                  struct vstring *why);
void master_cf_free(struct master_cf *table);
const struct master_cf_entry *master_cf_find(const struct master_cf *table, const char *name,
                                             const char *type);
struct argv *master_cf_expand_args(const struct master_cf_entry *entry,
                                   char *(*expand)(const char *text, void *context), void *context);

#endif
