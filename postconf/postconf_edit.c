/*
 * postconf_edit - edit main.cf in place: postconf -e (and bare
 * name=value), -X (remove) and -# (comment out).
 *
 * Entry point: pcf_edit_main(mode, args).
 *
 * main.cf is copied line by line to a temporary file (postconf_replace.h:
 * main.cf.tmpXXXXXX, mode 0644 less the umask, as Postfix's main.cf.tmp).
 * A line that starts a
 * logical line with a requested name is replaced by "name = value" (-e),
 * dropped (-X) or prefixed with "#" (-#); its continuation lines are
 * dropped, or commented out with -#. Comments and blank lines are always
 * copied, so is everything else, byte for byte (a final line without
 * newline stays so, unless -e appends after it). Names that -e did not
 * find are appended in sorted order.
 * main.cf itself is locked while it is read and replaced (after the lock,
 * a main.cf that another postconf has meanwhile replaced is opened again),
 * so concurrent postconf runs serialize and none loses another's edit.
 * safe_replace_commit fsyncs the temporary file, renames it over main.cf
 * and fsyncs the directory; on any error the temporary file is removed
 * and main.cf is left alone.
 *
 * Errors and warnings use Postfix's wording: "-e, -X, or -# accepts no
 * multi-line input", "missing '=' after attribute name: "arg"",
 * "ignoring earlier request: 'name = value'", "FILE: multiple entries
 * for "name"", "open FILE.tmp: ..." (naming Postfix's temporary file,
 * whatever the unique name), "open FILE for reading: ...".
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/mail_params.h"
#include "util/htable.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/sane_fs.h"
#include "util/stringops.h"
#include "util/vstream.h"
#include "util/vstring.h"

#include "postconf.h"
#include "postconf_replace.h"

struct pcf_edit_req {
    char *value; /* NULL for -X and -# */
    int found;
};

static void
pcf_edit_req_free(void *ptr)
{
    struct pcf_edit_req *req = ptr;

    myfree(req->value);
    myfree(req);
}

/* Parses the command-line requests into a table name -> request. */
static struct htable *
pcf_edit_requests(int mode, char **args)
{
    struct htable *table = htable_create(10);
    struct pcf_edit_req *req;
    const char *err;
    char *copy;
    char *cp;
    char *name;
    char *value = NULL;

    for (; *args; args++) {
        if (strchr(*args, '\n') != NULL)
            msg_fatal("-e, -X, or -# accepts no multi-line input");
        copy = mystrdup(*args);
        for (cp = copy; isspace((unsigned char)*cp); cp++)
            ;
        if (*cp == '#')
            msg_fatal("-e, -X, or -# accepts no comment input");
        if (mode & PCF_EDIT_CONF) {
            if ((err = mail_conf_split_nameval(cp, &name, &value)) != NULL)
                msg_fatal("%s: \"%s\"", err, cp);
        } else {
            if (*cp == 0)
                msg_fatal("-X or -# requires non-blank parameter names");
            if (strchr(cp, '=') != NULL)
                msg_fatal("-X or -# requires parameter names without value");
            name = trim_blanks(cp);
            value = NULL;
        }
        if ((req = htable_find(table, name)) != NULL) {
            msg_warn("ignoring earlier request: '%s = %s'", name,
                     req->value ? req->value : "(null)");
            htable_delete(table, name, pcf_edit_req_free);
        }
        req = mycalloc(1, sizeof(*req));
        req->value = value ? mystrdup(value) : NULL;
        htable_enter(table, name, req);
        myfree(copy);
    }
    return table;
}

static void
pcf_edit_put(struct vstream *dst, const char *prefix, struct vstring *line)
{
    vstream_puts(dst, prefix);
    vstream_write(dst, vstring_str(line), vstring_len(line));
}

/*
 * Copies or rewrites one physical line; *interesting tracks the entry.
 * Returns 1 when the line was written as it was read (possibly "#"-ed).
 */
static int
pcf_edit_line(int mode, struct htable *reqs, const char *path, struct vstring *line,
              struct vstream *dst, int *interesting)
{
    const char *cp = vstring_str(line);
    struct pcf_edit_req *req;
    char *key;

    int copied = 1;

    while (isspace((unsigned char)*cp))
        cp++;
    if (*cp == '#' || *cp == 0) {
        pcf_edit_put(dst, "", line);
    } else if (cp > vstring_str(line)) {
        if (!*interesting)
            pcf_edit_put(dst, "", line);
        else if (mode & PCF_COMMENT_OUT)
            pcf_edit_put(dst, "#", line);
        else
            copied = 0;
    } else {
        key = mystrndup(cp, strcspn(cp, CHARS_SPACE "="));
        if ((req = htable_find(reqs, key)) == NULL) {
            *interesting = 0;
            pcf_edit_put(dst, "", line);
        } else {
            *interesting = 1;
            if (req->found++ == 1)
                msg_warn("%s: multiple entries for \"%s\"", path, key);
            if (mode & PCF_COMMENT_OUT)
                pcf_edit_put(dst, "#", line);
            else
                copied = 0;
            if (mode & PCF_EDIT_CONF)
                vstream_printf(dst, "%s = %s\n", key, req->value);
        }
        myfree(key);
    }
    return copied;
}

static int
pcf_edit_compare(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* -e: appends the names that were not found, sorted. */
static void
pcf_edit_append(struct htable *reqs, struct vstream *dst, int unterminated)
{
    struct htable_entry *ht;
    const char **names = mymalloc(sizeof(*names) * (reqs->used + 1));
    size_t count = 0;

    for (ht = htable_first(reqs); ht; ht = htable_next(ht))
        if (((struct pcf_edit_req *)ht->value)->found == 0)
            names[count++] = ht->key;
    qsort(names, count, sizeof(*names), pcf_edit_compare);
    if (count > 0 && unterminated)
        vstream_putc(dst, '\n');
    for (size_t i = 0; i < count; i++)
        vstream_printf(dst, "%s = %s\n", names[i],
                       ((struct pcf_edit_req *)htable_find(reqs, names[i]))->value);
    myfree(names);
}

void
pcf_edit_main(int mode, char **args)
{
    struct htable *reqs = pcf_edit_requests(mode, args);
    struct vstring *path = vstring_alloc(100);
    struct vstring *line = vstring_alloc(100);
    struct vstring *why = vstring_alloc(100);
    struct pcf_replace *rp;
    int interesting = 0;
    int unterminated = 0;

    vstring_sprintf(path, "%s/main.cf", pcf_config_dir);
    if ((rp = pcf_replace_open(vstring_str(path), why)) == NULL)
        msg_fatal("%s", vstring_str(why));
    while (vstream_get_line(rp->src, line, 0) != VSTREAM_EOF) {
        unterminated = pcf_edit_line(mode, reqs, vstring_str(path), line, rp->dst, &interesting) &&
                       vstring_end(line)[-1] != '\n';
    }
    if (vstream_error(rp->src))
        msg_fatal("read %s: %m", vstring_str(path));
    if (mode & PCF_EDIT_CONF)
        pcf_edit_append(reqs, rp->dst, unterminated);
    if (pcf_replace_commit(rp, why) != 0)
        msg_fatal("%s", vstring_str(why));
    htable_free(reqs, pcf_edit_req_free);
    vstring_free(path);
    vstring_free(why);
    vstring_free(line);
}
