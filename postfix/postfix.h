/*
 * postfix.h - what the parts of the postfix(1) command share.
 *
 * postfix.c reads main.cf and fills a struct postfix_ctx (the instance's
 * directories and accounts, resolved once); every subcommand then works
 * from that context. The parts:
 *
 *   postfix_owner.c     mail_owner, setgid_group and default_privs sanity
 *                       (fatal, worded as Postfix's configuration checks)
 *   postfix_files.c     the postfix-files list: create missing directories,
 *                       set-permissions
 *   postfix_check.c     "postfix check": the fatal checks, then the warnings
 *   postfix_walk.c      the directory-tree walker and file comparison the
 *                       checks use
 *   postfix_master.c    running the master (-t, -w, -s, -i), reading its pid,
 *                       signalling it; start, stop, abort, reload, status
 *   postfix_logrotate.c "postfix logrotate"
 *
 * Diagnostics: before the subcommand runs, msg(3) is switched to the tag
 * "SYSLOG_NAME/postfix-script" (Postfix's postfix-script logs through
 * postlog with that tag); records go to syslog or maillog_file, and to
 * standard error only when it is a terminal, as with Postfix.
 *
 * In a personal instance (the command run by a user other than root, with
 * mail_owner that user), "root" in ownership rules means the invoking user,
 * since every process of the instance runs as that user (the checks accept
 * files that really are root's too).
 */
#ifndef TERN_POSTFIX_H
#define TERN_POSTFIX_H

#include <sys/types.h>

#include "util/argv.h"

struct postfix_ctx {
    char *main_cf;          /* the main.cf file read, for diagnostics */
    char *config_directory; /* each directory: expanded value */
    char *command_directory;
    char *daemon_directory;
    char *queue_directory;
    char *data_directory;
    char *meta_directory;
    char *shlib_directory; /* "no" when unused */
    char *mail_owner;
    char *setgid_group;
    uid_t owner_uid; /* mail_owner */
    gid_t owner_gid;
    gid_t sgid_gid;     /* setgid_group */
    uid_t root_uid;     /* 0, or the invoking user of a personal instance */
    char *root_name;    /* "root", or that user's name */
    int personal;       /* not run by root: a personal instance */
    int multi_instance; /* multi_instance_directories is not empty */
};

/* postfix.c */
void postfix_ctx_load(struct postfix_ctx *ctx);

/* postfix_owner.c */
void postfix_owner_check(struct postfix_ctx *ctx);
uid_t postfix_owner_uid(const struct postfix_ctx *ctx, const char *user, int *ok);
gid_t postfix_owner_gid(const char *group, int *ok);

/* postfix_files.c */
#define POSTFIX_FILES_CREATE (1 << 0) /* create missing "c" directories */
#define POSTFIX_FILES_SET (1 << 1)    /* set owner/group/mode of every entry */
int postfix_files_apply(const struct postfix_ctx *ctx, int how);
int postfix_set_permissions(struct postfix_ctx *ctx, int argc, char **argv);

/* postfix_check.c */
int postfix_check_fatal(const struct postfix_ctx *ctx);
void postfix_check_warn(const struct postfix_ctx *ctx);
int postfix_check(struct postfix_ctx *ctx, int argc, char **argv);

/* postfix_master.c */
#define POSTFIX_RUN_QUIET (1 << 0) /* standard error to /dev/null */
int postfix_run(char *const *argv, int flags);
int postfix_master_running(const struct postfix_ctx *ctx);
pid_t postfix_master_pid(const struct postfix_ctx *ctx);
int postfix_master_signal(const struct postfix_ctx *ctx, int sig);
int postfix_start(struct postfix_ctx *ctx, int argc, char **argv);
int postfix_start_fg(struct postfix_ctx *ctx, int argc, char **argv);
int postfix_stop(struct postfix_ctx *ctx, int argc, char **argv);
int postfix_abort(struct postfix_ctx *ctx, int argc, char **argv);
int postfix_reload(struct postfix_ctx *ctx, int argc, char **argv);
int postfix_status(struct postfix_ctx *ctx, int argc, char **argv);
int postfix_flush(struct postfix_ctx *ctx, int argc, char **argv);

/* postfix_logrotate.c */
int postfix_logrotate(struct postfix_ctx *ctx, int argc, char **argv);

#endif
