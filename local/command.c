/*
 * command - delivery to an external command (man 8 local, EXTERNAL
 * COMMAND DELIVERY): "|command" items and mailbox_command.
 *
 * The message (with a From_ line, Return-Path:, X-Original-To: and,
 * per prepend_delivered_header "command", Delivered-To:; no quoting) is
 * written to an anonymous memory file that becomes the command's standard
 * input, so a command that reads slowly or not at all cannot block
 * local. Standard output and error go to a second memory file, of which
 * the first COMMAND_OUTPUT_MAX bytes are reported (non-printable bytes,
 * newlines included, as spaces, as Postfix) in "Command output: ...". The command runs through
 * spawn_command: its own session, the given user and group (never root:
 * default_privs instead), command_execution_directory when set, killed
 * after command_time_limit, with the environment of man 8 local (values
 * through command_expansion_filter) plus export_environment and a fixed
 * PATH. Memory files count against mailbox_size_limit (RLIMIT_FSIZE).
 *
 * Results: exit 0 "delivered to command: CMD"; a <sysexits.h> status
 * gives its code and text (4.X.X defers); any other status bounces with
 * 5.3.0 'Command died with status N: "CMD"'; a signal defers with 4.3.0;
 * the time limit bounces with 5.3.0 'Command time limit exceeded: "CMD"'.
 * Output that starts with an enhanced status code overrides the status.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "local.h"
#include "mail/mail_copy.h"
#include "mail/sys_exits.h"
#include "util/mymalloc.h"
#include "util/spawn_command.h"
#include "util/stringops.h"

#define COMMAND_OUTPUT_MAX 1024
#define COMMAND_PATH "PATH=/usr/bin:/bin"

/* Adds NAME=VALUE through the filter; VALUE may be NULL (skipped). */
static void
local_env_add(struct argv *env, const char *name, const char *value)
{
    struct vstring *buf;
    size_t start;

    if (value == NULL)
        return;
    buf = vstring_alloc(64);
    vstring_sprintf(buf, "%s=", name);
    start = vstring_len(buf);
    vstring_strcat(buf, value);
    local_filter(vstring_str(buf) + start, local_config.command_expansion_filter);
    argv_add(env, vstring_str(buf));
    vstring_free(buf);
}

/* The first non-empty request attribute of two names. */
static const char *
local_attr(const struct local_state *state, const char *name, const char *alt)
{
    const char *value = htable_find(state->lr->req->attrs, name);

    if ((value == NULL || *value == 0) && alt)
        value = htable_find(state->lr->req->attrs, alt);
    return value && *value ? value : NULL;
}

static struct argv *
local_command_env(const struct local_state *state, const struct local_user *user)
{
    struct argv *env = argv_alloc(20);
    struct argv *names = argv_split(local_config.export_environment, CHARS_COMMA_SP);
    struct vstring *local_part = vstring_alloc(64), *ext = vstring_alloc(16);
    struct vstring *domain = vstring_alloc(64), *buf = vstring_alloc(64);
    int delim;

    for (size_t i = 0; i < names->argc; i++)
        if (getenv(names->argv[i]) != NULL) {
            vstring_sprintf(buf, "%s=%s", names->argv[i], getenv(names->argv[i]));
            argv_add(env, vstring_str(buf));
        }
    argv_add(env, COMMAND_PATH);
    local_split_address(state->address, local_part, ext, domain, &delim);
    if (user != NULL) {
        local_env_add(env, "SHELL", user->shell);
        local_env_add(env, "HOME", user->home);
    }
    /* Without an account (an alias's command) these are the bare name. */
    local_env_add(env, "USER", user ? user->name : vstring_str(local_part));
    local_env_add(env, "LOGNAME", user ? user->name : vstring_str(local_part));
    vstring_strcpy(buf, state->address);
    if (strrchr(vstring_str(buf), '@'))
        vstring_truncate(buf, (size_t)(strrchr(vstring_str(buf), '@') - vstring_str(buf)));
    local_env_add(env, "LOCAL", lowercase(vstring_str(buf)));
    if (vstring_len(ext))
        local_env_add(env, "EXTENSION", vstring_str(ext));
    local_env_add(env, "DOMAIN", vstring_str(domain));
    local_env_add(env, "RECIPIENT", state->address);
    local_env_add(env, "ORIGINAL_RECIPIENT", local_orig_rcpt(state));
    local_env_add(env, "SENDER", state->sender);
    local_env_add(env, "CLIENT_HOSTNAME", local_attr(state, "client_name", "log_client_name"));
    local_env_add(env, "CLIENT_ADDRESS", local_attr(state, "client_address", "log_client_address"));
    local_env_add(env, "CLIENT_HELO", local_attr(state, "helo_name", "log_helo_name"));
    local_env_add(env, "CLIENT_PROTOCOL", local_attr(state, "protocol_name", "log_protocol_name"));
    local_env_add(env, "SASL_METHOD", local_attr(state, "sasl_method", NULL));
    local_env_add(env, "SASL_SENDER", local_attr(state, "sasl_sender", NULL));
    local_env_add(env, "SASL_USERNAME", local_attr(state, "sasl_username", NULL));
    argv_free(names);
    vstring_free(local_part);
    vstring_free(ext);
    vstring_free(domain);
    vstring_free(buf);
    return env;
}

/* The command's output, non-printable bytes (newlines too) as spaces. */
static void
local_command_output(int fd, struct vstring *out)
{
    char buf[COMMAND_OUTPUT_MAX + 1];
    ssize_t n = pread(fd, buf, COMMAND_OUTPUT_MAX, 0);

    vstring_reset(out);
    for (ssize_t i = 0; i < n; i++)
        vstring_addch(out, isprint((unsigned char)buf[i]) ? buf[i] : ' ');
}

/* Does TEXT start with an enhanced status code "4.X.X " or "5.X.X "? Its length, else 0. */
static size_t
local_dsn_prefix(const char *text)
{
    const char *cp = text;

    if ((*cp != '4' && *cp != '5') || cp[1] != '.')
        return 0;
    cp += 2;
    for (int part = 0; part < 2; part++) {
        if (!isdigit((unsigned char)*cp))
            return 0;
        while (isdigit((unsigned char)*cp))
            cp++;
        if (part == 0 && *cp++ != '.')
            return 0;
    }
    return (*cp == 0 || *cp == ' ') ? (size_t)(cp - text) : 0;
}

/* Turns how the command ended into a leaf. */
static void
local_command_result(struct local_state *state, const char *command, const char *ok_text,
                     const struct spawn_result *res, const char *output)
{
    const struct sys_exits_detail *detail;
    size_t dsn_len = local_dsn_prefix(output);
    char dsn[32];
    const char *sep = *output ? ". Command output: " : "";

    if (!res->timed_out && res->signal == 0 && res->exit_status == 0) {
        if (ok_text)
            local_leaf(state, DEL_RCPT_OK, "2.0.0", "delivered", "%s", ok_text);
        else
            local_leaf(state, DEL_RCPT_OK, "2.0.0", "delivered", "delivered to command: %s",
                       command);
    } else if (res->timed_out) {
        local_leaf(state, DEL_RCPT_BOUNCE, "5.3.0", "failed",
                   "Command time limit exceeded: \"%s\"%s%s", command, sep, output);
    } else if (dsn_len > 0 && dsn_len < sizeof(dsn)) {
        memcpy(dsn, output, dsn_len);
        dsn[dsn_len] = 0;
        local_leaf(state, dsn[0] == '4' ? DEL_RCPT_DEFER : DEL_RCPT_BOUNCE, dsn,
                   dsn[0] == '4' ? "delayed" : "failed", "%s",
                   output[dsn_len] ? output + dsn_len + 1 : output);
    } else if (res->signal) {
        local_leaf(state, DEL_RCPT_DEFER, "4.3.0", "delayed",
                   "Command died with signal %d: \"%s\"%s%s", res->signal, command, sep, output);
    } else if ((detail = sys_exits_detail(res->exit_status)) != NULL) {
        local_leaf(state, detail->dsn[0] == '4' ? DEL_RCPT_DEFER : DEL_RCPT_BOUNCE, detail->dsn,
                   detail->dsn[0] == '4' ? "delayed" : "failed", "%s%s%s", detail->text, sep,
                   output);
    } else {
        local_leaf(state, DEL_RCPT_BOUNCE, "5.3.0", "failed",
                   "Command died with status %d: \"%s\"%s%s", res->exit_status, command, sep,
                   output);
    }
}

/* Runs the command with its input in IN and output to OUT; -1 with why. */
static int
local_command_run(struct local_state *state, const char *command, uid_t uid, gid_t gid,
                  const struct local_user *user, int in, int out, struct spawn_result *res,
                  struct vstring *why)
{
    struct local_expand ctx = {state, user, local_config.execution_directory_expansion_filter};
    struct vstring *cwd = vstring_alloc(100);
    struct argv *env = local_command_env(state, user);
    struct spawn_request req;
    int status;

    spawn_request_init(&req);
    req.command = command;
    req.shell = *local_config.local_command_shell ? local_config.local_command_shell : NULL;
    req.env = env->argv;
    if (*local_config.command_execution_directory) {
        local_expand(cwd, local_config.command_execution_directory, &ctx);
        req.cwd = vstring_str(cwd);
    }
    req.uid = uid;
    req.gid = gid;
    req.stdin_fd = in;
    req.stdout_fd = out;
    req.stderr_fd = out;
    req.time_limit = local_config.command_time_limit;
    status = spawn_command(&req, res, why);
    argv_free(env);
    vstring_free(cwd);
    return status;
}

void
local_command(struct local_state *state, const char *command, uid_t uid, gid_t gid,
              const struct local_user *user, const char *ok_text)
{
    struct mail_copy_info info = {state->sender, local_orig_rcpt(state), state->delivered};
    struct vstring *key = vstring_alloc(100), *dsn = vstring_alloc(10);
    struct vstring *why = vstring_alloc(100), *output = vstring_alloc(100);
    int flags = MAIL_COPY_FROM | MAIL_COPY_RETURN_PATH | MAIL_COPY_ORIG_RCPT;
    struct spawn_result res;
    int in = -1, out = -1;

    if (uid == 0) {
        uid = local_config.default_uid;
        gid = local_config.default_gid;
    }
    if (getuid() != 0) { /* a personal instance: everything runs as its owner */
        uid = getuid();
        gid = getgid();
    }
    if (local_config.hdr_mask & LOCAL_HDR_COMMAND)
        flags |= MAIL_COPY_DELIVERED;
    vstring_sprintf(key, "%ld %s", (long)uid, command);
    if (local_dup_seen(state->lr, "command", vstring_str(key))) {
        /* already delivered for this recipient */
    } else if (state->lr->verify) {
        local_leaf(state, DEL_RCPT_OK, "2.0.0", "deliverable", "delivers to command: %s", command);
    } else if ((in = memfd_create("local-message", MFD_CLOEXEC)) < 0 ||
               (out = memfd_create("local-output", MFD_CLOEXEC)) < 0) {
        local_leaf(state, DEL_RCPT_DEFER, "4.3.0", "delayed", "cannot create pipe: %s",
                   strerror(errno));
    } else if (mail_copy(state->lr->qf, in, flags, &info, dsn, why) != 0 ||
               lseek(in, 0, SEEK_SET) < 0) {
        local_leaf(state, DEL_RCPT_DEFER, "4.3.0", "delayed", "%s", vstring_str(why));
    } else if (local_command_run(state, command, uid, gid, user, in, out, &res, why) < 0) {
        local_leaf(state, DEL_RCPT_DEFER, "4.3.0", "delayed", "%s", vstring_str(why));
    } else {
        local_command_output(out, output);
        local_command_result(state, command, ok_text, &res, vstring_str(output));
    }
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    vstring_free(key);
    vstring_free(dsn);
    vstring_free(why);
    vstring_free(output);
}
