/*
 * postfix - the Tern control program: start, stop, check and maintain the
 * mail system, as Postfix's postfix(1) with its postfix-script.
 *
 *   postfix [-Dv] [-c config_dir] command [arguments]
 *
 * Commands: start, start-fg, stop, abort, reload, status, check, flush,
 * set-permissions [name=value ...], logrotate. upgrade-configuration,
 * post-install and tls are refused as not supported.
 *
 * Sequence, as Postfix: refuse to run set-uid; parse options (-c must be
 * absolute and is exported as MAIL_CONFIG, -v as MAIL_VERBOSE, -D as
 * MAIL_DEBUG); read main.cf; require root, or a personal instance whose
 * mail_owner is the invoking user; check the accounts; hand a
 * multi-instance configuration to multi_instance_wrapper; clean the
 * environment down to import_environment and export the directory
 * parameters; check that the directories and the master program exist; run
 * the command from the queue directory.
 *
 * Errors before the command runs are "postfix: fatal: ..."; the command's own
 * messages carry the "postfix/postfix-script" tag. Exit status 0 on success,
 * 1 on any failure (status: 1 when the mail system is not running).
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "config/mail_params.h"
#include "config/maillog_client.h"
#include "postfix.h"
#include "util/argv.h"
#include "util/iostuff.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/set_ugid.h"
#include "util/stringops.h"
#include "util/vstring.h"

#define POSTFIX_USAGE "usage: postfix [-c config_dir] [-Dv] command"
#define POSTFIX_ROOT_PATH "/bin:/usr/bin:/sbin:/usr/sbin"

/* main.cf parameters exported to the environment, as Postfix does. */
static const char *postfix_exported[] = {
    "config_directory",  "command_directory",   "daemon_directory",
    "html_directory",    "mail_owner",          "mailq_path",
    "manpage_directory", "newaliases_path",     "queue_directory",
    "readme_directory",  "sendmail_path",       "setgid_group",
    "data_directory",    "compatibility_level", "meta_directory",
    "shlib_directory",   "openssl_path",        NULL,
};

/*
 * Kept through the environment clean-up besides import_environment: a
 * sanitizer build's settings (tests/run.py sets them for "make asan") must
 * reach the master and its children. They are absent in production.
 */
static const char *postfix_sanitizer_env[] = {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS",
                                              NULL};

static int postfix_unsupported(struct postfix_ctx *ctx, int argc, char **argv);

static const struct postfix_command {
    const char *name;
    int (*action)(struct postfix_ctx *ctx, int argc, char **argv);
} postfix_commands[] = {
    {"start", postfix_start},
    {"start-fg", postfix_start_fg},
    {"stop", postfix_stop},
    {"abort", postfix_abort},
    {"reload", postfix_reload},
    {"status", postfix_status},
    {"check", postfix_check},
    {"flush", postfix_flush},
    {"set-permissions", postfix_set_permissions},
    {"logrotate", postfix_logrotate},
    {"upgrade-configuration", postfix_unsupported},
    {"post-install", postfix_unsupported},
    {"tls", postfix_unsupported},
    {NULL, NULL},
};

static int
postfix_unsupported(struct postfix_ctx *ctx, int argc, char **argv)
{
    (void)ctx;
    (void)argc;
    msg_fatal("'%s' is not supported by this mail system (Tern): "
              "it has no configuration upgrades or add-on scripts to run",
              argv[0]);
}

static char *
postfix_param(const char *name)
{
    const char *value = mail_conf_get(name);

    if (value == NULL)
        msg_panic("postfix_param: unknown parameter %s", name);
    return mystrdup(value);
}

void
postfix_ctx_load(struct postfix_ctx *ctx)
{
    struct passwd *pw;

    ctx->main_cf = mystrdup(mail_conf_path() ? mail_conf_path() : "main.cf");
    ctx->config_directory = postfix_param("config_directory");
    ctx->command_directory = postfix_param("command_directory");
    ctx->daemon_directory = postfix_param("daemon_directory");
    ctx->queue_directory = postfix_param("queue_directory");
    ctx->data_directory = postfix_param("data_directory");
    ctx->meta_directory = postfix_param("meta_directory");
    ctx->shlib_directory = postfix_param("shlib_directory");
    ctx->mail_owner = postfix_param("mail_owner");
    ctx->setgid_group = postfix_param("setgid_group");
    ctx->multi_instance = *mail_conf_get("multi_instance_directories") != 0;
    ctx->personal = !running_as_root();
    ctx->root_uid = ctx->personal ? getuid() : 0;
    if ((pw = getpwuid(ctx->root_uid)) != NULL)
        ctx->root_name = mystrdup(pw->pw_name);
    else
        ctx->root_name = mystrdup(ctx->personal ? "(unknown user)" : "root");
}

/* Keeps only the import_environment variables, then sets our own. */
static void
postfix_clean_env(const struct postfix_ctx *ctx)
{
    struct argv *import = argv_split(mail_conf_get("import_environment"), CHARS_COMMA_SP);
    struct argv *keep = argv_alloc(10);
    struct vstring *buf = vstring_alloc(100);
    const char *value;
    char *eq;
    size_t n;

    for (n = 0; postfix_sanitizer_env[n]; n++)
        if (getenv(postfix_sanitizer_env[n]) != NULL)
            argv_add(import, postfix_sanitizer_env[n]);
    for (n = 0; n < import->argc; n++) {
        if ((eq = strchr(import->argv[n], '=')) != NULL)
            argv_add(keep, import->argv[n]);
        else if ((value = getenv(import->argv[n])) != NULL) {
            vstring_sprintf(buf, "%s=%s", import->argv[n], value);
            argv_add(keep, vstring_str(buf));
        }
    }
    if (clearenv() != 0)
        msg_fatal("clean up environment: %m");
    for (n = 0; n < keep->argc; n++) {
        eq = strchr(keep->argv[n], '=');
        *eq = 0;
        if (setenv(keep->argv[n], eq + 1, 1) < 0)
            msg_fatal("setenv %s: %m", keep->argv[n]);
    }
    for (n = 0; postfix_exported[n]; n++)
        if (mail_conf_raw(postfix_exported[n]) != NULL &&
            setenv(postfix_exported[n], mail_conf_get(postfix_exported[n]), 1) < 0)
            msg_fatal("setenv %s: %m", postfix_exported[n]);
    if (setenv("PATH", POSTFIX_ROOT_PATH, 1) < 0 ||
        setenv("MAIL_CONFIG", ctx->config_directory, 1) < 0 ||
        setenv("MAIL_LOGTAG", mail_conf_get("syslog_name"), 1) < 0)
        msg_fatal("setenv: %m");
    argv_free(import);
    argv_free(keep);
    vstring_free(buf);
}

/* A configuration with several instances is run by multi_instance_wrapper. */
static void
postfix_multi_instance(int argc, char **argv)
{
    const char *wrapper = mail_conf_get("multi_instance_wrapper");
    struct argv *cmd;
    int n;

    if (*wrapper == 0)
        msg_fatal("multi_instance_directories is set, but multi_instance_wrapper is empty; "
                  "use \"postfix -c config_dir\" to control one instance");
    cmd = argv_split(wrapper, CHARS_SPACE);
    for (n = 0; n < argc; n++)
        argv_add(cmd, argv[n]);
    execvp(cmd->argv[0], cmd->argv);
    msg_fatal("execute %s: %m", cmd->argv[0]);
}

/* From here on, messages are tagged as postfix-script's. */
static void
postfix_script_logging(void)
{
    struct vstring *tag = vstring_alloc(50);
    int sinks = msg_sinks();

    vstring_sprintf(tag, "%s/postfix-script", mail_conf_get("syslog_name"));
    msg_init(vstring_str(tag), sinks);
    msg_set_syslog(mail_conf_get("syslog_name"), NULL);
    vstring_free(tag);
}

static void
postfix_need_dir(const char *what, const char *path)
{
    struct stat st;

    if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode) || access(path, X_OK) < 0)
        msg_fatal("no Postfix %s %s!", what, path);
}

/* The directories every command needs, checked in postfix-script's order. */
static void
postfix_check_dirs(const struct postfix_ctx *ctx)
{
    struct vstring *master = vstring_alloc(100);
    struct stat st;

    postfix_need_dir("command directory", ctx->command_directory);
    postfix_need_dir("daemon directory", ctx->daemon_directory);
    vstring_sprintf(master, "%s/master", ctx->daemon_directory);
    if (stat(vstring_str(master), &st) < 0 || !S_ISREG(st.st_mode))
        msg_fatal("no Postfix master program %s!", vstring_str(master));
    postfix_need_dir("configuration directory", ctx->config_directory);
    if (strcmp(ctx->shlib_directory, "no") != 0)
        postfix_need_dir("shared-library directory", ctx->shlib_directory);
    postfix_need_dir("meta directory", ctx->meta_directory);
    postfix_need_dir("queue directory", ctx->queue_directory);
    if (chdir(ctx->queue_directory) < 0)
        msg_fatal("no Postfix queue directory %s!", ctx->queue_directory);
    vstring_free(master);
}

static int
postfix_dispatch(struct postfix_ctx *ctx, int argc, char **argv)
{
    const struct postfix_command *cmd;

    for (cmd = postfix_commands; cmd->name; cmd++)
        if (strcmp(cmd->name, argv[0]) == 0)
            return cmd->action(ctx, argc, argv);
    msg_fatal("unknown command: '%s'. Usage: postfix start (or stop, reload, abort, flush, "
              "check, status, set-permissions, upgrade-configuration, logrotate)",
              argv[0]);
}

int
main(int argc, char **argv)
{
    struct postfix_ctx ctx;
    int force_single = 0;
    int debug = 0;
    int ch;

    umask(022);
    sane_stdio();
    signal(SIGHUP, SIG_IGN);
    msg_init("postfix", MSG_SYSLOG | (isatty(STDERR_FILENO) ? MSG_STDERR : 0));
    if (running_set_ugid())
        msg_fatal("this postfix command must not run as a set-uid process");
    while ((ch = getopt(argc, argv, "+c:Dv")) > 0) {
        switch (ch) {
        case 'c':
            if (*optarg != '/')
                msg_fatal("-c requires absolute pathname");
            if (setenv("MAIL_CONFIG", optarg, 1) < 0)
                msg_fatal("setenv: %m");
            force_single = 1;
            break;
        case 'D':
            debug = 1;
            break;
        case 'v':
            msg_verbose++;
            break;
        default:
            msg_fatal(POSTFIX_USAGE);
        }
    }
    if (argv[optind] == NULL)
        msg_fatal(POSTFIX_USAGE);
    mail_conf_load(NULL); /* as Postfix: refuse other users before logging to the file */
    postfix_ctx_load(&ctx);
    postfix_owner_check(&ctx);
    maillog_client_setup();
    if (ctx.multi_instance && !force_single)
        postfix_multi_instance(argc - optind, argv + optind);
    postfix_clean_env(&ctx);
    if ((debug && setenv("MAIL_DEBUG", "", 1) < 0) ||
        (msg_verbose && setenv("MAIL_VERBOSE", "", 1) < 0))
        msg_fatal("setenv: %m");
    postfix_script_logging();
    postfix_check_dirs(&ctx);
    return postfix_dispatch(&ctx, argc - optind, argv + optind);
}
