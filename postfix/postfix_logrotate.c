/*
 * postfix_logrotate - "postfix logrotate": rotate maillog_file.
 *
 *   postfix_logrotate(ctx, argc, argv)
 *       renames $maillog_file to "$maillog_file.SUFFIX", SUFFIX being the
 *       current local time formatted with strftime(3) and
 *       $maillog_file_rotate_suffix; signals a running master to reload (so
 *       that processes holding the old file let go of it); waits a second
 *       for writers already under way; then runs "$maillog_file_compressor
 *       $maillog_file.SUFFIX". The next log record creates a new file.
 *
 * Refusals, worded as Postfix's: arguments ("usage postfix logrotate (no
 * arguments)"), an empty maillog_file, maillog_file_compressor or
 * maillog_file_rotate_suffix ("empty 'NAME' parameter value - logfile
 * rotation failed"), a file under /dev ("not rotating '/dev/stdout'").
 * Any failure after that is "logfile 'FILE' rotation failed: REASON", where
 * REASON is our own message or the compressor's standard error. Exit 1 on
 * failure, 0 on success.
 *
 * This lives in the postfix command because no shared rotation helper
 * exists in lib/ yet; postlog or postlogd could share it later.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "postfix.h"
#include "util/msg.h"
#include "util/spawn_command.h"
#include "util/stringops.h"
#include "util/vstring.h"

#define POSTFIX_LOGROTATE_ERR_MAX 2000

static const char *
postfix_logrotate_param(const char *name)
{
    const char *value = mail_conf_get(name);

    if (*value == 0)
        msg_fatal("empty '%s' parameter value - logfile rotation failed", name);
    return value;
}

/* Runs the compressor; on failure, why gets its standard error or status. */
static int
postfix_logrotate_compress(const char *compressor, const char *path, struct vstring *why)
{
    struct spawn_request req;
    struct spawn_proc proc;
    struct spawn_result res;
    char *argv[3] = {(char *)compressor, (char *)path, NULL};
    char buf[512];
    ssize_t len;
    int pipefd[2];

    if (pipe(pipefd) < 0)
        msg_fatal("pipe: %m");
    spawn_request_init(&req);
    req.argv = argv;
    req.stderr_fd = pipefd[1];
    if (spawn_command_start(&req, &proc, why) < 0) {
        close(pipefd[0]);
        close(pipefd[1]);
        return -1;
    }
    close(pipefd[1]);
    vstring_reset(why);
    while ((len = read(pipefd[0], buf, sizeof(buf))) != 0) {
        if (len < 0 && errno == EINTR)
            continue;
        if (len < 0)
            break;
        if (vstring_len(why) < POSTFIX_LOGROTATE_ERR_MAX)
            vstring_memcat(why, buf, (size_t)len);
    }
    close(pipefd[0]);
    spawn_command_wait(&proc, &res);
    if (res.exit_status == 0)
        return 0;
    trim_blanks(vstring_str(why));
    if (*vstring_str(why) == 0) {
        if (res.signal)
            vstring_sprintf(why, "%s: killed by signal %d", compressor, res.signal);
        else
            vstring_sprintf(why, "%s: exit status %d", compressor, res.exit_status);
    }
    return -1;
}

static int
postfix_logrotate_file(const struct postfix_ctx *ctx, const char *file, struct vstring *why)
{
    const char *compressor = postfix_logrotate_param("maillog_file_compressor");
    const char *format = postfix_logrotate_param("maillog_file_rotate_suffix");
    struct vstring *rotated = vstring_alloc(100);
    char suffix[256];
    time_t now = time(NULL);
    struct tm tm;
    int status = -1;

    localtime_r(&now, &tm);
    if (strftime(suffix, sizeof(suffix), format, &tm) == 0)
        vstring_sprintf(why, "bad maillog_file_rotate_suffix: '%s'", format);
    else if (rename(file, vstring_str(vstring_sprintf(rotated, "%s.%s", file, suffix))) < 0)
        vstring_sprintf(why, "rename %s to %s: %m", file, vstring_str(rotated));
    else if (postfix_master_running(ctx) && postfix_master_signal(ctx, SIGHUP) < 0)
        vstring_sprintf(why, "cannot signal the master to reload");
    else if (sleep(1), postfix_logrotate_compress(compressor, vstring_str(rotated), why) == 0)
        status = 0;
    vstring_free(rotated);
    return status;
}

int
postfix_logrotate(struct postfix_ctx *ctx, int argc, char **argv)
{
    struct vstring *why = vstring_alloc(100);
    const char *file;

    (void)argv;
    if (argc != 1)
        msg_fatal("usage postfix %s (no arguments)", argv[0]);
    file = postfix_logrotate_param("maillog_file");
    (void)postfix_logrotate_param("maillog_file_compressor");
    (void)postfix_logrotate_param("maillog_file_rotate_suffix");
    if (strncmp(file, "/dev/", 5) == 0)
        msg_fatal("not rotating '%s'", file);
    if (postfix_logrotate_file(ctx, file, why) < 0)
        msg_fatal("logfile '%s' rotation failed: %s", file, vstring_str(why));
    vstring_free(why);
    return 0;
}
