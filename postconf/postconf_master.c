/*
 * postconf_master - postconf's master.cf modes: -M, -F, -P (show) and
 * -Me/-MX/-M#, -Fe, -Pe/-PX (edit). See postconf_master.h and postconf(1).
 *
 * Entry points: postconf_master_show(), postconf_master_edit().
 *
 * The file is CONFIG_DIR/master.cf, where CONFIG_DIR is the -c argument,
 * else $MAIL_CONFIG, else the compiled-in config directory. Entries are
 * read and printed through the text view of lib/config/master_cf.h, so
 * the output is Postfix 3.7's, byte for byte: -M column layout, -F
 * "name/type/field = value", -P "name/type/param = value" sorted by
 * parameter name, and folding with -f.
 *
 * Patterns name services as name, name/type (-M) or name/type/field and
 * name/type/parameter (-F, -P); an omitted trailing part, or "*" as a whole
 * part, matches anything. Output follows file order; an entry matched by
 * two patterns is printed twice; a pattern that matches nothing is a
 * warning ("unmatched request").
 *
 * Editing copies master.cf line by line to a temporary file
 * (postconf_replace.h: master.cf is locked, so two postconf runs do not
 * interleave), changes only the entries named on the command line, then
 * fsyncs it, renames it into place and fsyncs the directory. Untouched lines,
 * comments and layout are copied byte for byte. A changed entry is
 * rewritten in the folded -M layout; comments and blank lines inside it
 * move in front of it, as with Postfix. On any error the original file
 * is left alone and the temporary file is removed.
 *
 * Showing reads master.cf quietly: postconf's main has already read the
 * file once (for its parameter checks) and reported its warnings (a line
 * that starts with white space, "{...}" syntax), which Postfix prints only
 * once. Fatal errors are still reported. Editing reports everything.
 *
 * Errors are printed as "fatal: ..." with Postfix's wording (an error in
 * a master.cf entry also names file and line, where Postfix does so only
 * for a bad field count) and the functions return 1 (postconf's exit
 * status); they do not exit.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/master_cf.h"
#include "util/argv.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/readlline.h"
#include "util/stringops.h"
#include "util/vstream.h"
#include "util/vstring.h"

#include "postconf_master.h"
#include "postconf_replace.h"

#define PCM_WILD "*"

/* Prints "fatal: ..." without exiting; returns postconf's exit status. */
static int __attribute__((format(printf, 1, 2))) pcm_fail(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_vlog("fatal", fmt, ap);
    va_end(ap);
    return 1;
}

/* CONFIG_DIR/master.cf; the caller frees the result. */
static char *
pcm_master_path(const char *config_dir)
{
    struct vstring *buf = vstring_alloc(100);

    if (config_dir == NULL && (config_dir = getenv("MAIL_CONFIG")) == NULL)
        config_dir = DEF_CONFIG_DIR;
    vstring_sprintf(buf, "%s/master.cf", config_dir);
    return vstring_export(buf);
}

/*
 * Patterns.
 */

/* Splits "a/b/c" into min..max parts, filling missing ones with "*"; NULL if bad. */
static struct argv *
pcm_parse_pattern(const char *pattern, size_t min, size_t max)
{
    struct argv *parts;
    size_t i;

    if (*pattern == '/')
        return NULL;
    parts = argv_split(pattern, "/");
    if (parts->argc < min || parts->argc > max) {
        argv_free(parts);
        return NULL;
    }
    for (i = 0; i < parts->argc; i++) {
        if (strcmp(parts->argv[i], PCM_WILD) != 0 && strchr(parts->argv[i], '*') != NULL) {
            argv_free(parts);
            return NULL;
        }
    }
    while (parts->argc < max)
        argv_add(parts, PCM_WILD);
    return parts;
}

static int
pcm_match_part(const char *pattern, const char *value)
{
    return strcmp(pattern, PCM_WILD) == 0 || strcmp(pattern, value) == 0;
}

static int
pcm_match_service(char **pattern, const char *name, const char *type)
{
    return pcm_match_part(pattern[0], name) && pcm_match_part(pattern[1], type);
}

/* -1 for "*"; -2 (after a fatal message) for an unknown name. */
static int
pcm_parse_field(const char *name)
{
    int field;

    if (strcmp(name, PCM_WILD) == 0)
        return -1;
    if ((field = master_cf_field_code(name)) < 0) {
        pcm_fail("invalid service attribute name: \"%s\"", name);
        return -2;
    }
    return field;
}

/*
 * Reading master.cf for -M, -F and -P.
 */
struct pcm_table {
    struct master_cf_text **entries;
    size_t count;
};

static void
pcm_table_free(struct pcm_table *table)
{
    size_t i;

    for (i = 0; i < table->count; i++)
        master_cf_text_free(table->entries[i]);
    myfree(table->entries);
}

/* Reads every entry; returns 0, or 1 after a fatal message. */
static int
pcm_table_read(struct pcm_table *table, const char *path)
{
    struct vstream *fp;
    struct vstring *buf = vstring_alloc(200);
    struct vstring *why = vstring_alloc(100);
    struct master_cf_text *text;
    int lineno = 0;
    int first = 0;
    int status = 0;
    int sinks;
    int failed = 0;

    table->entries = NULL;
    table->count = 0;
    if ((fp = vstream_fopen(path, O_RDONLY, 0)) == NULL) {
        status = pcm_fail("open %s: %m", path);
    } else {
        sinks = msg_sinks();
        msg_set_sinks(0); /* postconf's main has reported readlline's warnings */
        while (readlline(buf, fp, &lineno, &first) != NULL) {
            if ((text = master_cf_text_parse_quiet(vstring_str(buf), first, why)) == NULL) {
                failed = 1;
                break;
            }
            table->entries = myrealloc(table->entries, (table->count + 1) * sizeof(text));
            table->entries[table->count++] = text;
        }
        msg_set_sinks(sinks);
        /*
         * Postfix names the file and line only for "bad field count"; Tern
         * names them for every error in the file (the same text follows).
         */
        if (failed)
            status = pcm_fail("file %s: line %d: %s", path, first, vstring_str(why));
        vstream_close(fp);
    }
    vstring_free(buf);
    vstring_free(why);
    if (status != 0)
        pcm_table_free(table);
    return status;
}

/*
 * Showing.
 */
struct pcm_request {
    const char *raw;    /* the command-line argument */
    struct argv *parts; /* name, type[, field or parameter] */
    int field;          /* -F: column, or -1 for all */
    int matches;
};

static void
pcm_put(struct vstream *out, struct vstring *line)
{
    vstring_addch(line, '\n');
    vstream_write(out, vstring_str(line), vstring_len(line));
    vstring_reset(line);
}

static void
pcm_show_param(struct vstream *out, const struct master_cf_text *text, const char *name, int flags,
               struct vstring *line)
{
    struct vstring *raw = vstring_alloc(100);
    const char *value = htable_find(text->params, name);

    if (flags & PCM_HIDE_NAME)
        vstring_strcpy(raw, value);
    else
        vstring_sprintf(raw, "%s/%s/%s = %s", text->argv->argv[MASTER_CF_FLD_SERVICE],
                        text->argv->argv[MASTER_CF_FLD_TYPE], name, value);
    master_cf_format_words(line, vstring_str(raw), (flags & PCM_FOLD) ? MASTER_CF_FMT_FOLD : 0);
    pcm_put(out, line);
    vstring_free(raw);
}

static void
pcm_show_params(struct vstream *out, const struct master_cf_text *text, const char *pattern,
                int flags, struct vstring *line, int *matches)
{
    struct argv *names;
    size_t i;

    if (text->params->used == 0)
        return;
    if (strcmp(pattern, PCM_WILD) != 0) {
        if (htable_find(text->params, pattern) != NULL) {
            pcm_show_param(out, text, pattern, flags, line);
            *matches += 1;
        }
        return;
    }
    names = master_cf_text_param_names(text);
    for (i = 0; i < names->argc; i++)
        pcm_show_param(out, text, names->argv[i], flags, line);
    argv_free(names);
    *matches += 1;
}

static void
pcm_show_fields(struct vstream *out, const struct master_cf_text *text, int field, int flags,
                struct vstring *line)
{
    int fmt = ((flags & PCM_FOLD) ? MASTER_CF_FMT_FOLD : 0) |
              ((flags & PCM_HIDE_NAME) ? MASTER_CF_FMT_HIDE_NAME : 0);
    int f;

    for (f = 0; f < MASTER_CF_FIELDS; f++) {
        if (field < 0 || f == field) {
            master_cf_format_field(line, text, f, fmt);
            pcm_put(out, line);
        }
    }
}

/* Shows one entry for one request (or for no request at all: req NULL). */
static void
pcm_show_entry(struct vstream *out, int mode, int flags, const struct master_cf_text *text,
               struct pcm_request *req, struct vstring *line)
{
    int fold = (flags & PCM_FOLD) ? MASTER_CF_FMT_FOLD : 0;
    int dummy = 0;

    if (mode == 'M') {
        master_cf_format_entry(line, text, fold);
        pcm_put(out, line);
        if (req)
            req->matches++;
    } else if (mode == 'F') {
        pcm_show_fields(out, text, req ? req->field : -1, flags, line);
        if (req)
            req->matches++;
    } else {
        pcm_show_params(out, text, req ? req->parts->argv[2] : PCM_WILD, flags, line,
                        req ? &req->matches : &dummy);
    }
}

/* Parses the show patterns; returns 0, or 1 after a fatal message. */
static int
pcm_show_requests(int mode, char **args, struct pcm_request *reqs, size_t count)
{
    size_t i;
    size_t max = (mode == 'M') ? 2 : 3;

    for (i = 0; i < count; i++) {
        reqs[i].raw = args[i];
        reqs[i].field = -1;
        reqs[i].matches = 0;
        if ((reqs[i].parts = pcm_parse_pattern(args[i], 1, max)) == NULL) {
            if (mode == 'M')
                return pcm_fail("-M option requires service_name[/type]");
            if (mode == 'F')
                return pcm_fail("-F option requires service_name[/type[/field]]");
            return pcm_fail("-P option requires service_name[/type[/parameter]]");
        }
        if (mode == 'F' && (reqs[i].field = pcm_parse_field(reqs[i].parts->argv[2])) == -2)
            return 1;
    }
    return 0;
}

static int
pcm_check_show_flags(int mode, int flags)
{
    if (mode != 'M' && mode != 'F' && mode != 'P')
        msg_panic("postconf_master_show: bad mode '%c'", mode);
    if (flags & PCM_SHOW_DEFS)
        return pcm_fail("with option -%c, do not specify -d", mode);
    if (mode == 'M' && (flags & PCM_HIDE_NAME))
        return pcm_fail("with option -M, do not specify -h");
    return 0;
}

int
postconf_master_show(const char *config_dir, int mode, int flags, char **args)
{
    char *path = pcm_master_path(config_dir);
    struct pcm_table table;
    struct pcm_request *reqs;
    size_t nreqs = 0;
    size_t e;
    size_t r;
    struct vstring *line;
    struct vstream *out = vstream_stdout();
    int status;

    if ((status = pcm_check_show_flags(mode, flags)) != 0 ||
        (status = pcm_table_read(&table, path)) != 0) {
        myfree(path);
        return status;
    }
    while (args && args[nreqs])
        nreqs++;
    reqs = mycalloc(nreqs + 1, sizeof(*reqs));
    if ((status = pcm_show_requests(mode, args, reqs, nreqs)) == 0) {
        line = vstring_alloc(200);
        for (e = 0; e < table.count; e++) {
            if (nreqs == 0)
                pcm_show_entry(out, mode, flags, table.entries[e], NULL, line);
            for (r = 0; r < nreqs; r++) {
                const struct argv *ap = table.entries[e]->argv;

                if (pcm_match_service(reqs[r].parts->argv, ap->argv[0], ap->argv[1]))
                    pcm_show_entry(out, mode, flags, table.entries[e], reqs + r, line);
            }
        }
        vstring_free(line);
        if (vstream_flush(out) != 0)
            status = pcm_fail("write error on standard output: %m");
        for (r = 0; status == 0 && r < nreqs; r++)
            if (reqs[r].matches == 0)
                msg_warn("unmatched request: \"%s\"", reqs[r].raw);
    }
    for (r = 0; r < nreqs; r++)
        argv_free(reqs[r].parts);
    myfree(reqs);
    pcm_table_free(&table);
    myfree(path);
    return status;
}

/*
 * Editing.
 */
#define PCM_EDIT_OPTS "-Me, -Fe, -Pe, -X, or -#"

struct pcm_edit_req {
    const char *raw;    /* the command-line argument */
    char *parsed;       /* writable copy that pattern and value point into */
    char *value;        /* -e: the new value; NULL otherwise */
    struct argv *parts; /* name, type[, field or parameter] */
    int field;          /* -F: the column */
    int matches;
};

struct pcm_edit {
    int mode;         /* 'M', 'F' or 'P' */
    int action;       /* 'e', 'X' or '#' */
    const char *path; /* master.cf */
    struct pcf_replace *replace;
    struct vstream *src; /* replace->src */
    struct vstream *dst; /* replace->dst */
    struct pcm_edit_req *reqs;
    size_t nreqs;
    int lineno;
    struct vstring *why;
};

/* Checks one request and splits it into pattern and value. */
static int
pcm_edit_request(struct pcm_edit *ed, struct pcm_edit_req *req, const char *raw)
{
    char *cp;
    char *pattern;
    const char *err;

    req->raw = raw;
    cp = req->parsed = mystrdup(raw);
    if (strchr(cp, '\n') != NULL)
        return pcm_fail("%s accept no multi-line input", PCM_EDIT_OPTS);
    while (isspace((unsigned char)*cp))
        cp++;
    if (*cp == '#')
        return pcm_fail("%s accept no comment input", PCM_EDIT_OPTS);
    if (ed->action == 'e') {
        if ((err = master_cf_nameval(cp, &pattern, &req->value)) != NULL)
            return pcm_fail("%s: \"%s\"", err, raw);
    } else {
        if (strchr(cp, '=') != NULL)
            return pcm_fail("-X or -# requires names without value");
        pattern = trim_blanks(cp);
    }
    if (ed->mode == 'M') {
        if ((req->parts = pcm_parse_pattern(pattern, 2, 2)) == NULL)
            return pcm_fail("-Me, -MX or -M# requires service_name/type");
    } else if (ed->mode == 'F') {
        if ((req->parts = pcm_parse_pattern(pattern, 3, 3)) == NULL)
            return pcm_fail("-Fe or -FX requires service_name/type/field_name");
        if ((req->field = pcm_parse_field(req->parts->argv[2])) == -2)
            return 1;
        if (req->field == -1)
            return pcm_fail("-Fe does not accept wild-card field name");
        if (req->field < MASTER_CF_FLD_COMMAND && req->value[strcspn(req->value, MASTER_CF_BLANKS)])
            return pcm_fail("-Fe does not accept whitespace in non-command field");
    } else {
        if ((req->parts = pcm_parse_pattern(pattern, 3, 3)) == NULL)
            return pcm_fail("-Pe or -PX requires service_name/type/parameter");
        if (strcmp(req->parts->argv[2], PCM_WILD) == 0)
            return pcm_fail("-Pe does not accept wild-card parameter name");
        if (req->value && req->value[strcspn(req->value, MASTER_CF_BLANKS)])
            return pcm_fail("-Pe does not accept whitespace in parameter value");
    }
    return 0;
}

/* Parses an entry given on the command line (-Me); NULL after a fatal message. */
static struct master_cf_text *
pcm_edit_new_entry(struct pcm_edit *ed, struct pcm_edit_req *req)
{
    struct master_cf_text *text;

    if ((text = master_cf_text_parse(req->value, 0, ed->why)) == NULL) {
        if (strcmp(vstring_str(ed->why), "bad field count") == 0)
            pcm_fail("%s: \"%s\"", vstring_str(ed->why), req->raw);
        else
            pcm_fail("%s", vstring_str(ed->why));
    }
    return text;
}

/* Reads one physical line, newline included; 0 at end of file. */
static int
pcm_edit_get(struct pcm_edit *ed, struct vstring *buf)
{
    return vstream_get_line(ed->src, buf, 0) != VSTREAM_EOF;
}

/* Copies comments and blank lines; returns the text of a content line or NULL. */
static const char *
pcm_edit_content(struct pcm_edit *ed, struct vstring *buf)
{
    const char *cp = vstring_str(buf);

    while (isspace((unsigned char)*cp))
        cp++;
    if (*cp == '#' || *cp == 0) {
        vstream_write(ed->dst, vstring_str(buf), vstring_len(buf));
        return NULL;
    }
    return cp;
}

/* The next content line, passing other lines through; NULL at end of file. */
static const char *
pcm_edit_next(struct pcm_edit *ed, struct vstring *buf)
{
    const char *cp;

    while (pcm_edit_get(ed, buf)) {
        ed->lineno += 1;
        if ((cp = pcm_edit_content(ed, buf)) != NULL)
            return cp;
    }
    return NULL;
}

/*
 * Collects the continuation lines of the entry that starts in entry.
 * Comment and blank lines met on the way are copied out at once, so they
 * end up before the rewritten entry. As in Postfix, the lines read here
 * are not counted in ed->lineno.
 */
static void
pcm_edit_gobble(struct pcm_edit *ed, struct vstring *entry)
{
    struct vstring *buf = vstring_alloc(200);
    int ch;

    for (;;) {
        if ((ch = vstream_getc(ed->src)) == VSTREAM_EOF)
            break;
        ed->src->rpos--; /* peek only */
        if ((ch != '#' && !isspace(ch)) || !pcm_edit_get(ed, buf))
            break;
        if (pcm_edit_content(ed, buf) != NULL)
            vstring_strcat(entry, vstring_str(buf));
    }
    vstring_free(buf);
}

/* Applies a -Fe, -Pe or -PX request to the entry being rewritten. */
static int
pcm_edit_apply(struct pcm_edit *ed, struct pcm_edit_req *req, struct master_cf_text *text)
{
    if (ed->mode == 'F') {
        if (master_cf_text_set_field(text, req->field, req->value, ed->why) != 0) {
            if (strcmp(vstring_str(ed->why), "bad field count") == 0)
                return pcm_fail("%s: \"%s\"", vstring_str(ed->why), req->raw);
            return pcm_fail("%s", vstring_str(ed->why));
        }
    } else if (req->value) {
        master_cf_text_set_param(text, req->parts->argv[2], req->value);
    } else {
        master_cf_text_del_param(text, req->parts->argv[2]);
    }
    return 0;
}

/*
 * Matches one logical line's service against every request. *entry is
 * the replacement to print, if any. Returns 0, or 1 after a fatal message.
 */
static int
pcm_edit_match(struct pcm_edit *ed, const char *name, const char *type, struct vstring *line,
               struct master_cf_text **entry, int *matched)
{
    struct pcm_edit_req *req;
    struct master_cf_text *tentative;
    int use;

    for (req = ed->reqs; req < ed->reqs + ed->nreqs; req++) {
        tentative = NULL;
        use = 0;
        if (ed->mode == 'M' && ed->action == 'e' &&
            (tentative = pcm_edit_new_entry(ed, req)) == NULL)
            return 1;
        if (pcm_match_service(req->parts->argv, name, type)) {
            *matched = 1;
            req->matches += 1;
            if (ed->mode == 'M') {
                use = (ed->action == 'e' && req->matches == 1);
            } else if (ed->action != '#') {
                if (*entry == NULL) {
                    pcm_edit_gobble(ed, line);
                    if ((*entry = master_cf_text_parse(vstring_str(line), ed->lineno, ed->why)) ==
                        NULL)
                        return pcm_fail("file %s: line %d: %s", ed->path, ed->lineno,
                                        vstring_str(ed->why));
                }
                if (pcm_edit_apply(ed, req, *entry) != 0)
                    return 1;
            }
        } else if (tentative != NULL && pcm_match_service(tentative->argv->argv, name, type)) {
            *matched = 1;
            req->matches += 1;
            use = (req->matches == 1);
        }
        if (use) {
            master_cf_text_free(*entry);
            *entry = tentative;
        } else {
            master_cf_text_free(tentative);
        }
    }
    return 0;
}

static void
pcm_edit_print(struct pcm_edit *ed, const struct master_cf_text *text)
{
    struct vstring *out = vstring_alloc(200);

    master_cf_format_entry(out, text, MASTER_CF_FMT_FOLD);
    vstring_addch(out, '\n');
    vstream_write(ed->dst, vstring_str(out), vstring_len(out));
    vstring_free(out);
}

/* Handles the first line of a logical line. */
static int
pcm_edit_logical(struct pcm_edit *ed, const char *cp, struct vstring *line, int *matched)
{
    char *copy = mystrdup(cp);
    char *bp = copy;
    char *name;
    char *type;
    struct master_cf_text *entry = NULL;
    int status = 0;

    *matched = 0;
    if ((name = mystrtok(&bp, MASTER_CF_BLANKS)) == NULL ||
        (type = mystrtok(&bp, MASTER_CF_BLANKS)) == NULL)
        status = pcm_fail("file %s: line %d: specify service name and type on the same line",
                          ed->path, ed->lineno);
    else if (strchr(name, '=') != NULL)
        status = pcm_fail("file %s: line %d: service name syntax \"%s\" is unsupported with %s",
                          ed->path, ed->lineno, name, PCM_EDIT_OPTS);
    else if (type[strcspn(type, "=/")] != 0)
        status = pcm_fail("file %s: line %d: service type syntax \"%s\" is unsupported with %s",
                          ed->path, ed->lineno, type, PCM_EDIT_OPTS);
    else
        status = pcm_edit_match(ed, name, type, line, &entry, matched);
    if (status == 0) {
        if (entry != NULL)
            pcm_edit_print(ed, entry);
        else if (!*matched)
            vstream_write(ed->dst, vstring_str(line), vstring_len(line));
        else if (ed->action == '#')
            vstream_printf(ed->dst, "#%s", vstring_str(line));
    }
    master_cf_text_free(entry);
    myfree(copy);
    return status;
}

/* Copies master.cf to the temporary file, editing on the way. */
static int
pcm_edit_copy(struct pcm_edit *ed)
{
    struct vstring *buf = vstring_alloc(200);
    struct vstring *line = vstring_alloc(200);
    struct pcm_edit_req *req;
    struct master_cf_text *text;
    const char *cp;
    int matched = 0;
    int status = 0;

    while (status == 0 && (cp = pcm_edit_next(ed, buf)) != NULL) {
        vstring_strcpy(line, vstring_str(buf));
        if (cp > vstring_str(buf)) {
            if (!matched)
                vstream_write(ed->dst, vstring_str(line), vstring_len(line));
            else if (ed->action == '#')
                vstream_printf(ed->dst, "#%s", vstring_str(line));
        } else {
            status = pcm_edit_logical(ed, cp, line, &matched);
        }
    }
    for (req = ed->reqs; status == 0 && req < ed->reqs + ed->nreqs; req++) {
        if (req->matches > 0)
            continue;
        if (ed->mode == 'M' && ed->action == 'e') {
            if ((text = pcm_edit_new_entry(ed, req)) == NULL)
                status = 1;
            else
                pcm_edit_print(ed, text);
            master_cf_text_free(text);
        } else if (ed->mode != 'M') {
            msg_warn("unmatched service_name/type: \"%s\"", req->raw);
        }
    }
    if (status == 0 && vstream_error(ed->src))
        status = pcm_fail("read %s: %m", ed->path);
    vstring_free(buf);
    vstring_free(line);
    return status;
}

/* Opens the temporary file and master.cf, locked. */
static int
pcm_edit_open(struct pcm_edit *ed)
{
    if ((ed->replace = pcf_replace_open(ed->path, ed->why)) == NULL)
        return pcm_fail("%s", vstring_str(ed->why));
    ed->src = ed->replace->src;
    ed->dst = ed->replace->dst;
    return 0;
}

/* Makes the temporary file permanent, or removes it; returns 0 or 1 after a fatal message. */
static int
pcm_edit_finish(struct pcm_edit *ed, int status)
{
    if (ed->replace == NULL)
        return status;
    if (status != 0) {
        pcf_replace_abort(ed->replace);
        return status;
    }
    if (pcf_replace_commit(ed->replace, ed->why) != 0)
        return pcm_fail("%s", vstring_str(ed->why));
    return 0;
}

static int
pcm_check_edit_flags(int mode, int action, char **args)
{
    if (mode != 'M' && mode != 'F' && mode != 'P')
        msg_panic("postconf_master_edit: bad mode '%c'", mode);
    if (action != 'e' && action != 'X' && action != '#')
        msg_panic("postconf_master_edit: bad action '%c'", action);
    if ((mode == 'F' && action != 'e') || (mode == 'P' && action == '#'))
        return pcm_fail("with option -%c, do not specify -%c", mode, action);
    if (args == NULL || args[0] == NULL)
        return pcm_fail(action == 'e' ? "-e requires name=value argument"
                                      : "missing service argument");
    return 0;
}

int
postconf_master_edit(const char *config_dir, int mode, int action, char **args)
{
    struct pcm_edit ed;
    char *path;
    size_t i;
    int status;

    if ((status = pcm_check_edit_flags(mode, action, args)) != 0)
        return status;
    memset(&ed, 0, sizeof(ed));
    ed.mode = mode;
    ed.action = action;
    ed.path = path = pcm_master_path(config_dir);
    ed.why = vstring_alloc(100);
    while (args[ed.nreqs])
        ed.nreqs++;
    ed.reqs = mycalloc(ed.nreqs, sizeof(*ed.reqs));
    for (i = 0; status == 0 && i < ed.nreqs; i++)
        status = pcm_edit_request(&ed, ed.reqs + i, args[i]);
    if (status == 0 && (status = pcm_edit_open(&ed)) == 0)
        status = pcm_edit_copy(&ed);
    status = pcm_edit_finish(&ed, status);
    for (i = 0; i < ed.nreqs; i++) {
        myfree(ed.reqs[i].parsed);
        argv_free(ed.reqs[i].parts);
    }
    myfree(ed.reqs);
    vstring_free(ed.why);
    myfree(path);
    return status;
}
