/*
 * postfix_check - "postfix check", and the checks "postfix start" runs
 * first.
 *
 *   postfix_check_fatal(ctx)
 *       the checks that stop a start: creates missing queue directories
 *       (postfix-files "c" entries), requires master.cf to exist and parse,
 *       requires a postlog service when maillog_file is set, and runs
 *       postsuper's queue check when postsuper is installed. Logs a
 *       "fatal:" record and returns -1 on the first failure, else 0.
 *   postfix_check_warn(ctx)
 *       warnings, worded as Postfix's postfix-script words them: root-owned
 *       directories (queue top and pid/, the configuration, daemon and meta
 *       directories) not owned by root or group/other writable, symbolic
 *       links that leave those directories, data_directory and the queue
 *       subdirectories not owned by mail_owner, public/, maildrop/,
 *       postqueue and postdrop not in setgid_group, postqueue and postdrop
 *       not set-gid, chroot copies (bin etc lib sbin usr in the queue
 *       directory) that are not root-owned or differ from the system's,
 *       damaged messages in corrupt/, different /usr/lib/sendmail and
 *       /usr/sbin/sendmail. Tern adds one: each master.cf service whose
 *       program is not in daemon_directory.
 *   postfix_check(ctx, argc, argv)
 *       the command: fatal checks (exit 1), then warnings (exit 0).
 *
 * Paths are reported as find(1) reports them in postfix-script ("DIR/." for
 * a tree's top), so log watchers see the same lines.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "config/master_cf.h"
#include "postfix.h"
#include "postfix_walk.h"
#include "util/argv.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/vstring.h"

/* Queue directories owned by mail_owner, checked with everything below. */
static const char *postfix_owner_dirs[] = {
    "saved", "incoming", "active", "defer",   "deferred", "bounce", "hold",
    "trace", "corrupt",  "public", "private", "flush",    NULL,
};

/* Directories a chroot setup copies from the system. */
static const char *postfix_chroot_dirs[] = {"bin", "etc", "lib", "sbin", "usr", NULL};

struct postfix_want {
    const struct postfix_ctx *ctx;
    int root_ok; /* personal instance: root-owned is fine too */
    uid_t uid;
    const char *name;  /* the owner's name, for "not owned by NAME" */
    const char *label; /* path prefix for chroot copies, or NULL */
};

/* A "fatal:" record without exiting: the caller decides. */
static void __attribute__((format(printf, 1, 2))) postfix_check_fail(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_vlog("fatal", fmt, ap);
    va_end(ap);
}

static int
postfix_check_postsuper(const struct postfix_ctx *ctx)
{
    struct vstring *path = vstring_alloc(100);
    char *cmd[2];
    int status = 0;

    vstring_sprintf(path, "%s/postsuper", ctx->command_directory);
    if (access(vstring_str(path), X_OK) == 0) {
        cmd[0] = vstring_str(path);
        cmd[1] = NULL;
        status = postfix_run(cmd, 0) == 0 ? 0 : -1;
    }
    vstring_free(path);
    return status;
}

int
postfix_check_fatal(const struct postfix_ctx *ctx)
{
    struct vstring *path = vstring_alloc(100);
    struct vstring *why = vstring_alloc(100);
    struct master_cf *table = NULL;
    int status = -1;

    vstring_sprintf(path, "%s/master.cf", ctx->config_directory);
    if (postfix_files_apply(ctx, POSTFIX_FILES_CREATE) < 0)
        postfix_check_fail("unable to create missing queue directories");
    else if (access(vstring_str(path), F_OK) < 0)
        postfix_check_fail("no %s file found", vstring_str(path));
    else if ((table = master_cf_read(vstring_str(path), why)) == NULL)
        postfix_check_fail("%s", vstring_str(why));
    else if (*mail_conf_get("maillog_file") &&
             master_cf_find(table, mail_conf_get("postlog_service_name"), "unix-dgram") == NULL)
        postfix_check_fail("missing '%s' service in master.cf - maillog_file needs a line "
                           "\"%s unix-dgram n - n - 1 postlogd\"",
                           mail_conf_get("postlog_service_name"),
                           mail_conf_get("postlog_service_name"));
    else
        status = postfix_check_postsuper(ctx);
    if (table)
        master_cf_free(table);
    vstring_free(path);
    vstring_free(why);
    return status;
}

static void
postfix_warn_not_owned(const char *path, const struct stat *st, void *context)
{
    const struct postfix_want *want = context;

    if (st->st_uid != want->uid && !(want->root_ok && st->st_uid == 0))
        msg_warn("not owned by %s: %s%s", want->name, want->label ? want->label : "", path);
}

static void
postfix_warn_writable(const char *path, const struct stat *lst, void *context)
{
    int follow = context != NULL;
    struct stat st;

    if (follow ? postfix_walk_path_stat(path, &st) < 0 : (st = *lst, 0))
        return;
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        msg_warn("group or other writable: %s", path);
}

static void
postfix_warn_symlink(const char *path, const struct stat *st, void *context)
{
    char target[4096];
    ssize_t len;

    (void)context;
    if (!S_ISLNK(st->st_mode) || strcmp(path, "/etc/postfix/./makedefs.out") == 0)
        return;
    if ((len = readlink(path, target, sizeof(target) - 1)) < 0)
        return;
    target[len] = 0;
    if (strchr(target, '/') != NULL)
        msg_warn("symlink leaves directory: %s", path);
}

static void
postfix_warn_queue_owner(const char *path, const struct stat *st, void *context)
{
    if (!S_ISFIFO(st->st_mode) && !S_ISSOCK(st->st_mode))
        postfix_warn_not_owned(path, st, context);
}

static void
postfix_warn_damaged(const char *path, const struct stat *st, void *context)
{
    (void)context;
    if (S_ISREG(st->st_mode))
        msg_warn("damaged message: %s", path);
}

static void
postfix_warn_chroot_copy(const char *path, const struct stat *st, void *context)
{
    const struct postfix_want *want = context;
    struct vstring *system = vstring_alloc(100);
    struct stat sys_st;

    postfix_warn_not_owned(path, st, context);
    vstring_sprintf(system, "/%s", path);
    if (S_ISREG(st->st_mode) && stat(vstring_str(system), &sys_st) == 0 &&
        S_ISREG(sys_st.st_mode) && !postfix_same_content(path, vstring_str(system)))
        msg_warn("%s%s and %s differ", want->label, path, vstring_str(system));
    vstring_free(system);
}

static int
postfix_check_cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The root-owned trees, sorted and without duplicates, as "DIR/.". */
static struct argv *
postfix_root_trees(const struct postfix_ctx *ctx)
{
    struct argv *all = argv_alloc(4);
    struct argv *trees = argv_alloc(4);
    struct vstring *buf = vstring_alloc(100);
    const char *dirs[4];
    size_t n;

    dirs[0] = ctx->config_directory;
    dirs[1] = ctx->daemon_directory;
    dirs[2] = ctx->meta_directory;
    dirs[3] = strcmp(ctx->shlib_directory, "no") != 0 ? ctx->shlib_directory : NULL;
    for (n = 0; n < 4; n++)
        if (dirs[n] != NULL)
            argv_add(all, vstring_str(vstring_sprintf(buf, "%s/.", dirs[n])));
    qsort(all->argv, all->argc, sizeof(char *), postfix_check_cmp_names);
    for (n = 0; n < all->argc; n++)
        if (n == 0 || strcmp(all->argv[n], all->argv[n - 1]) != 0)
            argv_add(trees, all->argv[n]);
    argv_free(all);
    vstring_free(buf);
    return trees;
}

static void
postfix_check_root_owned(const struct postfix_ctx *ctx, struct postfix_want *root)
{
    struct vstring *path = vstring_alloc(100);
    struct argv *trees;
    size_t n;

    vstring_sprintf(path, "%s/.", ctx->queue_directory);
    postfix_walk(vstring_str(path), 0, postfix_warn_not_owned, root);
    vstring_sprintf(path, "%s/pid", ctx->queue_directory);
    postfix_walk(vstring_str(path), 0, postfix_warn_not_owned, root);
    vstring_sprintf(path, "%s/.", ctx->queue_directory);
    postfix_walk(vstring_str(path), 0, postfix_warn_writable, NULL);
    vstring_sprintf(path, "%s/pid", ctx->queue_directory);
    postfix_walk(vstring_str(path), 0, postfix_warn_writable, NULL);
    trees = postfix_root_trees(ctx);
    for (n = 0; n < trees->argc; n++)
        postfix_walk(trees->argv[n], 1, postfix_warn_not_owned, root);
    for (n = 0; n < trees->argc; n++)
        postfix_walk(trees->argv[n], 1, postfix_warn_writable, (void *)ctx);
    for (n = 0; n < trees->argc; n++)
        postfix_walk(trees->argv[n], 1, postfix_warn_symlink, NULL);
    argv_free(trees);
    vstring_free(path);
}

static void
postfix_check_owner_owned(const struct postfix_ctx *ctx, struct postfix_want *owner)
{
    struct vstring *path = vstring_alloc(100);
    struct stat st;
    int n;

    vstring_sprintf(path, "%s/.", ctx->data_directory);
    postfix_walk(vstring_str(path), 1, postfix_warn_not_owned, owner);
    postfix_walk(vstring_str(path), 1, postfix_warn_writable, NULL);
    for (n = 0; postfix_owner_dirs[n]; n++) {
        vstring_sprintf(path, "%s/%s", ctx->queue_directory, postfix_owner_dirs[n]);
        postfix_walk(vstring_str(path), 1, postfix_warn_queue_owner, owner);
    }
    vstring_sprintf(path, "%s/maildrop", ctx->queue_directory);
    if (lstat(vstring_str(path), &st) == 0)
        postfix_warn_not_owned(vstring_str(path), &st, owner);
    vstring_free(path);
}

static void
postfix_check_setgid(const struct postfix_ctx *ctx)
{
    static const char *programs[] = {"postqueue", "postdrop"};
    struct vstring *path = vstring_alloc(100);
    struct stat st;
    int n;

    for (n = 0; n < 4; n++) {
        if (n < 2)
            vstring_sprintf(path, "%s/%s", ctx->command_directory, programs[n]);
        else
            vstring_sprintf(path, "%s/%s", ctx->queue_directory, n == 2 ? "public" : "maildrop");
        if (lstat(vstring_str(path), &st) == 0 && st.st_gid != ctx->sgid_gid)
            msg_warn("not owned by group %s: %s", ctx->setgid_group, vstring_str(path));
    }
    for (n = 0; n < 2; n++) {
        vstring_sprintf(path, "%s/%s", ctx->command_directory, programs[n]);
        if (lstat(vstring_str(path), &st) == 0 && (st.st_mode & 02111) != 02111)
            msg_warn("not set-gid or not owner+group+world executable: %s", vstring_str(path));
    }
    vstring_free(path);
}

/* Runs in the queue directory: the chroot copies and corrupt/ are relative. */
static void
postfix_check_queue_content(const struct postfix_ctx *ctx, struct postfix_want *root)
{
    struct vstring *label = vstring_alloc(100);
    struct postfix_want copy = *root;
    int n;

    copy.label = vstring_str(vstring_sprintf(label, "%s/", ctx->queue_directory));
    for (n = 0; postfix_chroot_dirs[n]; n++)
        postfix_walk(postfix_chroot_dirs[n], 1, postfix_warn_chroot_copy, &copy);
    postfix_walk("corrupt", 1, postfix_warn_damaged, NULL);
    vstring_free(label);
}

static void
postfix_check_sendmail(void)
{
    struct stat a;
    struct stat b;

    if (stat("/usr/sbin/sendmail", &a) == 0 && S_ISREG(a.st_mode) &&
        stat("/usr/lib/sendmail", &b) == 0 && S_ISREG(b.st_mode) &&
        !postfix_same_content("/usr/sbin/sendmail", "/usr/lib/sendmail")) {
        msg_warn("/usr/lib/sendmail and /usr/sbin/sendmail differ");
        msg_warn("Replace one by a symbolic link to the other");
    }
}

/* Tern's own check: every service's program must be installed. */
static void
postfix_check_programs(const struct postfix_ctx *ctx)
{
    struct vstring *path = vstring_alloc(100);
    struct vstring *why = vstring_alloc(100);
    const struct master_cf_entry *entry;
    struct master_cf *table;
    struct stat st;
    size_t n;

    vstring_sprintf(path, "%s/master.cf", ctx->config_directory);
    if ((table = master_cf_read(vstring_str(path), why)) != NULL) {
        for (n = 0; n < table->count; n++) {
            entry = table->entries[n];
            if (entry->args->argc == 0)
                continue;
            if (entry->args->argv[0][0] == '/')
                vstring_strcpy(path, entry->args->argv[0]);
            else
                vstring_sprintf(path, "%s/%s", ctx->daemon_directory, entry->args->argv[0]);
            if (stat(vstring_str(path), &st) < 0 || !S_ISREG(st.st_mode))
                msg_warn("%s: line %d: service %s/%s: daemon program %s is not installed",
                         table->path, entry->lineno, entry->name, entry->type, vstring_str(path));
        }
        master_cf_free(table);
    }
    vstring_free(path);
    vstring_free(why);
}

void
postfix_check_warn(const struct postfix_ctx *ctx)
{
    struct postfix_want root = {ctx, ctx->personal, ctx->root_uid, ctx->root_name, NULL};
    struct postfix_want owner = {ctx, 0, ctx->owner_uid, ctx->mail_owner, NULL};

    postfix_check_root_owned(ctx, &root);
    postfix_check_owner_owned(ctx, &owner);
    postfix_check_setgid(ctx);
    postfix_check_queue_content(ctx, &root);
    postfix_check_sendmail();
    postfix_check_programs(ctx);
}

int
postfix_check(struct postfix_ctx *ctx, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    if (postfix_check_fatal(ctx) < 0)
        return 1;
    postfix_check_warn(ctx);
    return 0;
}
