/*
 * postfix_files - the postfix-files list: what Tern's files and
 * directories are, who owns them and with what mode.
 *
 *   postfix_files_apply(ctx, POSTFIX_FILES_CREATE [| POSTFIX_FILES_SET])
 *       reads $meta_directory/postfix-files, then every file in
 *       $meta_directory/postfix-files.d in name order. With CREATE, a missing
 *       directory whose entry has the "c" flag is made and given its owner,
 *       group and mode (what "postfix start" and "postfix check" do); with
 *       SET, every entry gets them (set-permissions). Returns 0, or -1 after
 *       a warning that says what failed.
 *   postfix_set_permissions(ctx, argc, argv)
 *       the "set-permissions [name=value ...]" command: the settings replace
 *       installation parameters (mail_owner, setgid_group, the directories)
 *       and are saved in main.cf with "postconf -e", then SET is applied.
 *
 * Format, as Postfix's postfix-files: one entry per line,
 * "name:type:owner:group:mode:flags", fields separated by ":", "-" for an
 * empty field, missing trailing fields allowed; only lines that start with
 * "$" are entries. name, owner, group and flags expand $parameter names.
 * Types: d directory, f file, h hard link and l symbolic link (the latter
 * two are skipped). Flags: c create if missing, r apply owner and group to
 * the whole tree (and mode to its directories only: a queue file's mode is
 * its state), o obsolete (skipped), 1 or i optional in a non-default
 * instance, u and p (meaningful to installers only). A name of "no" (an
 * unused directory, such as shlib_directory) is skipped.
 *
 * Differences from Postfix, on purpose: a listed file that does not exist
 * (a program not built yet) is skipped (logged with -v), not an error;
 * "postfix check" reports the missing programs that master.cf needs. Recursion never
 * follows symbolic links (lchown, and mode changes through descriptors
 * opened with O_NOFOLLOW), so a link planted in the queue cannot turn
 * set-permissions against another file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "postfix.h"
#include "postfix_walk.h"
#include "util/argv.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/stringops.h"
#include "util/vstream.h"
#include "util/vstring.h"

#define POSTFIX_FILES_LINE_MAX 4096

struct postfix_file {
    char *path;
    int type;
    char *owner; /* "" for none */
    char *group; /* "" for none */
    char *mode;  /* octal text */
    char *flags;
};

struct postfix_perm {
    uid_t uid;
    gid_t gid; /* (gid_t) -1: leave */
    mode_t mode;
    int failed;
};

/* "$name..." expanded, "-" as empty, other text as is; caller frees. */
static char *
postfix_files_field(const char *text)
{
    if (strcmp(text, "-") == 0)
        return mystrdup("");
    if (*text == '$')
        return mail_conf_expand(text);
    return mystrdup(text);
}

static void
postfix_files_free(struct postfix_file *entry)
{
    myfree(entry->path);
    myfree(entry->owner);
    myfree(entry->group);
    myfree(entry->mode);
    myfree(entry->flags);
}

/* Splits one "name:type:owner:group:mode:flags" line. */
static void
postfix_files_parse(char *line, struct postfix_file *entry)
{
    char *fields[6] = {"", "", "", "", "", ""};
    char *cp = line;
    int n;

    for (n = 0; n < 6 && cp != NULL; n++) { /* text after a sixth ":" is ignored */
        fields[n] = cp;
        cp = split_at(cp, ':');
    }
    entry->path = postfix_files_field(fields[0]);
    entry->type = fields[1][0];
    entry->owner = postfix_files_field(fields[2]);
    entry->group = postfix_files_field(fields[3]);
    entry->mode = mystrdup(fields[4]);
    entry->flags = postfix_files_field(fields[5]);
}

static void
postfix_files_chown_tree(const char *path, const struct stat *st, void *context)
{
    struct postfix_perm *perm = context;
    int fd;

    if (perm->failed)
        return;
    if (lchown(path, perm->uid, perm->gid) < 0) {
        msg_warn("change ownership of %s: %m", path);
        perm->failed = 1;
        return;
    }
    if (!S_ISDIR(st->st_mode))
        return;
    if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
        fchmod(fd, perm->mode) < 0) {
        msg_warn("change mode of %s: %m", path);
        perm->failed = 1;
    }
    if (fd >= 0)
        close(fd);
}

static int
postfix_files_set(const struct postfix_ctx *ctx, const struct postfix_file *entry)
{
    struct postfix_perm perm;
    char *end;
    int ok;

    perm.failed = 0;
    perm.uid = postfix_owner_uid(ctx, entry->owner, &ok);
    if (!ok || *entry->owner == 0) {
        msg_warn("%s: unknown owner \"%s\"", entry->path, entry->owner);
        return -1;
    }
    perm.gid = (gid_t)-1;
    if (*entry->group && (perm.gid = postfix_owner_gid(entry->group, &ok), !ok)) {
        msg_warn("%s: unknown group \"%s\"", entry->path, entry->group);
        return -1;
    }
    perm.mode = (mode_t)strtoul(entry->mode, &end, 8);
    if (*entry->mode == 0 || *end != 0 || perm.mode > 07777) {
        msg_warn("%s: bad mode \"%s\"", entry->path, entry->mode);
        return -1;
    }
    if (strchr(entry->flags, 'r') != NULL && entry->type == 'd') {
        postfix_walk(entry->path, 1, postfix_files_chown_tree, &perm);
        return perm.failed ? -1 : 0;
    }
    if (chown(entry->path, perm.uid, perm.gid) < 0) {
        msg_warn("change ownership of %s: %m", entry->path);
        return -1;
    }
    if (chmod(entry->path, perm.mode) < 0) {
        msg_warn("change mode of %s: %m", entry->path);
        return -1;
    }
    return 0;
}

/* One entry: skip, create, set. Returns -1 on failure. */
static int
postfix_files_entry(const struct postfix_ctx *ctx, const struct postfix_file *entry,
                    const char *origin, int how)
{
    struct stat st;
    int exists = lstat(entry->path, &st) == 0;

    if (strcmp(entry->path, "no") == 0 || strncmp(entry->path, "no/", 3) == 0)
        return 0;
    if (entry->type == 'h' || entry->type == 'l')
        return 0;
    if (entry->type != 'd' && entry->type != 'f') {
        msg_warn("unknown type %c for %s in %s", entry->type ? entry->type : '-', entry->path,
                 origin);
        return -1;
    }
    if (strpbrk(entry->flags, "1i") && access(entry->path, R_OK) < 0 &&
        strcmp(ctx->config_directory, DEF_CONFIG_DIR) != 0)
        return 0;
    if (strchr(entry->flags, 'o') != NULL)
        return 0;
    if ((how & POSTFIX_FILES_CREATE) && entry->type == 'd' && strchr(entry->flags, 'c') &&
        !(exists && S_ISDIR(st.st_mode))) {
        if (mkdir(entry->path, 0700) < 0) {
            msg_warn("create directory %s: %m", entry->path);
            return -1;
        }
        return postfix_files_set(ctx, entry);
    }
    if (!(how & POSTFIX_FILES_SET))
        return 0;
    if (!exists) {
        if (msg_verbose)
            msg_info("%s: not installed, skipped", entry->path);
        return 0;
    }
    return postfix_files_set(ctx, entry);
}

static int
postfix_files_read(const struct postfix_ctx *ctx, const char *path, int how)
{
    struct vstream *fp;
    struct vstring *line = vstring_alloc(200);
    struct postfix_file entry;
    int status = 0;
    char *text;

    if ((fp = vstream_fopen(path, O_RDONLY, 0)) == NULL) {
        msg_warn("open %s: %m", path);
        vstring_free(line);
        return -1;
    }
    while (status == 0 && vstream_get_line(fp, line, POSTFIX_FILES_LINE_MAX) != VSTREAM_EOF) {
        text = vstring_str(line);
        text[strcspn(text, "\r\n")] = 0;
        if (*text != '$')
            continue;
        postfix_files_parse(text, &entry);
        status = postfix_files_entry(ctx, &entry, path, how);
        postfix_files_free(&entry);
    }
    if (vstream_error(fp)) {
        msg_warn("read %s: %m", path);
        status = -1;
    }
    vstream_close(fp);
    vstring_free(line);
    return status;
}

static int
postfix_files_regular(const struct dirent *entry)
{
    return entry->d_name[0] != '.';
}

int
postfix_files_apply(const struct postfix_ctx *ctx, int how)
{
    struct vstring *path = vstring_alloc(100);
    struct dirent **names;
    struct stat st;
    int status;
    int count;
    int n;

    vstring_sprintf(path, "%s/postfix-files", ctx->meta_directory);
    if (stat(vstring_str(path), &st) < 0 || !S_ISREG(st.st_mode)) {
        msg_warn("%s is not a file", vstring_str(path));
        vstring_free(path);
        return -1;
    }
    status = postfix_files_read(ctx, vstring_str(path), how);
    vstring_sprintf(path, "%s/postfix-files.d", ctx->meta_directory);
    if (status == 0 &&
        (count = scandir(vstring_str(path), &names, postfix_files_regular, alphasort)) >= 0) {
        for (n = 0; n < count; n++) {
            vstring_sprintf(path, "%s/postfix-files.d/%s", ctx->meta_directory, names[n]->d_name);
            if (status == 0 && stat(vstring_str(path), &st) == 0 && S_ISREG(st.st_mode))
                status = postfix_files_read(ctx, vstring_str(path), how);
            free(names[n]);
        }
        free(names);
    }
    vstring_free(path);
    return status;
}

/* The parameters set-permissions accepts as name=value (post-install's list). */
static const char *postfix_install_params[] = {
    "command_directory", "daemon_directory", "data_directory",    "html_directory",
    "mail_owner",        "mailq_path",       "manpage_directory", "newaliases_path",
    "queue_directory",   "readme_directory", "sample_directory",  "sendmail_path",
    "setgid_group",      "shlib_directory",  "meta_directory",    NULL,
};

static int
postfix_install_param(const char *name)
{
    int n;

    for (n = 0; postfix_install_params[n]; n++)
        if (strcmp(postfix_install_params[n], name) == 0)
            return 1;
    return 0;
}

/* Saves name=value settings in main.cf with postconf -e. */
static void
postfix_files_save(const struct postfix_ctx *ctx, struct argv *settings)
{
    struct argv *cmd = argv_alloc(10);
    struct vstring *postconf = vstring_alloc(100);
    size_t n;

    vstring_sprintf(postconf, "%s/postconf", ctx->command_directory);
    argv_add(cmd, vstring_str(postconf));
    argv_add(cmd, "-c");
    argv_add(cmd, ctx->config_directory);
    argv_add(cmd, "-e");
    for (n = 0; n < settings->argc; n++)
        argv_add(cmd, settings->argv[n]);
    if (postfix_run(cmd->argv, 0) != 0)
        msg_fatal("cannot update %s with %s", ctx->main_cf, vstring_str(postconf));
    argv_free(cmd);
    vstring_free(postconf);
}

int
postfix_set_permissions(struct postfix_ctx *ctx, int argc, char **argv)
{
    struct argv *settings = argv_alloc(4);
    char *name;
    char *value;
    int n;

    for (n = 1; n < argc; n++) {
        if (strpbrk(argv[n], " \t\r\n") != NULL)
            msg_fatal("argument contains whitespace: '%s'", argv[n]);
        name = mystrdup(argv[n]);
        if ((value = split_at(name, '=')) == NULL || !postfix_install_param(name))
            msg_fatal("usage: postfix %s [name=value ...], where name is an installation "
                      "parameter such as mail_owner, setgid_group or queue_directory",
                      argv[0]);
        if (strcmp(mail_conf_get(name), value) != 0)
            argv_add(settings, argv[n]);
        mail_conf_set(name, value);
        myfree(name);
    }
    if (settings->argc > 0) {
        postfix_ctx_load(ctx);
        postfix_owner_check(ctx);
        postfix_files_save(ctx, settings);
    }
    argv_free(settings);
    return postfix_files_apply(ctx, POSTFIX_FILES_CREATE | POSTFIX_FILES_SET) == 0 ? 0 : 1;
}
