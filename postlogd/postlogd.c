/*
 * postlogd - the log server: appends the records that Tern programs send
 * to the postlog service (master.cf: "postlog unix-dgram n - n - 1
 * postlogd") to $maillog_file, one line per datagram.
 *
 * A trigger-style daemon (mail_server.h) on a unix-dgram listener: each
 * datagram is one record, already formatted by the sender's msg(3)
 * ("Mon DD HH:MM:SS HOST NAME/PROGRAM[PID]: text"). postlogd adds the
 * newline; it does not parse or re-stamp the record.
 *
 * Start-up: pre_init (still root, before the user change that "-u" asks
 * for) opens maillog_file with logwriter: created with
 * maillog_file_permissions (default 0600), refused when it is a symbolic
 * link or has several hard links ("fatal: open logfile 'FILE': REASON").
 * "/dev/stdout" is written as the descriptor 1 that the master passed
 * ("postfix start-fg"). postlogd's own messages go straight into the
 * same file. With maillog_file empty, the records go to syslog instead.
 * postlogd_watchdog_timeout (at least 10s: "fatal: invalid
 * postlogd_watchdog_timeout: N (min 10)") replaces daemon_timeout for
 * the skeleton's watchdog.
 *
 * Rotation: before each record postlogd checks whether maillog_file
 * still names the open file. When it was renamed or removed (logrotate,
 * "postfix logrotate"), postlogd opens the path again; when it no longer
 * has the privileges for that, it writes the record to the old file and
 * exits, and the master starts a fresh postlogd that opens the new file
 * as root (silently: that is the normal case for a postlogd that became
 * mail_owner; other reopen errors are logged). A "postfix reload"
 * restarts postlogd too.
 *
 * Bad input: a datagram is untrusted. An empty one is ignored; one longer
 * than POSTLOGD_RECORD_MAX bytes is cut there; control bytes (NUL and
 * newlines included) become '?', and 8-bit bytes too unless the record is
 * valid UTF-8, so one datagram is always exactly one line. A write error
 * is reported (on standard error, as the file is what failed) and the
 * record is lost; postlogd goes on.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "config/maillog_client.h"
#include "master/mail_server.h"
#include "util/logwriter.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/vstring.h"

#define POSTLOGD_RECORD_MAX LOGWRITER_RECORD_MAX
#define POSTLOGD_WATCHDOG_MIN 10

static struct logwriter *postlogd_file;
static const char *postlogd_path;

/* postlogd's own log records: into the file it holds. */
static void
postlogd_self_log(const char *record, size_t len)
{
    if (postlogd_file)
        (void)logwriter_write(postlogd_file, record, len);
}

/*
 * Opens a rotated file again. Returns 0 when postlogd may go on, -1 when
 * it must hand over to a fresh process. Lacking the privilege to create
 * the file is the normal case for a postlogd that became mail_owner, and
 * is not worth a warning; any other failure is.
 */
static int
postlogd_follow_rotation(void)
{
    struct vstring *why;
    int status = 0;

    if (!logwriter_rotated(postlogd_file))
        return 0;
    why = vstring_alloc(100);
    if (logwriter_reopen(postlogd_file, why) < 0) {
        if (errno != EACCES && errno != EPERM)
            msg_warn("reopen logfile '%s': %s", postlogd_path, vstring_str(why));
        else if (msg_verbose)
            msg_info("reopen logfile '%s': %s -- handing over", postlogd_path, vstring_str(why));
        status = -1;
    }
    vstring_free(why);
    return status;
}

static void
postlogd_service(char *buf, ssize_t len, const char *service, char **args)
{
    int restart;

    (void)service;
    (void)args;
    if (len <= 0)
        return;
    if ((size_t)len > POSTLOGD_RECORD_MAX)
        len = POSTLOGD_RECORD_MAX;
    if (postlogd_file == NULL) {
        len = (ssize_t)logwriter_clean(buf, (size_t)len);
        buf[len] = 0;
        msg_info("%s", buf);
        return;
    }
    restart = postlogd_follow_rotation() < 0;
    if (logwriter_write(postlogd_file, buf, (size_t)len) < 0) {
        int sinks = msg_sinks();

        msg_set_sinks(sinks & MSG_STDERR);
        msg_set_writer(NULL);
        msg_warn("write logfile '%s': %m", postlogd_path);
        msg_set_writer(postlogd_self_log);
        msg_set_sinks(sinks);
    }
    if (restart)
        exit(0);
}

static void
postlogd_pre_init(const char *service, char **args)
{
    struct vstring *why;

    (void)service;
    (void)args;
    if (mail_conf_get_time("postlogd_watchdog_timeout") < POSTLOGD_WATCHDOG_MIN)
        msg_fatal("invalid postlogd_watchdog_timeout: %ld (min %d)",
                  mail_conf_get_time("postlogd_watchdog_timeout"), POSTLOGD_WATCHDOG_MIN);
    postlogd_path = mail_conf_get("maillog_file");
    if (*postlogd_path == 0)
        return;
    why = vstring_alloc(100);
    if ((postlogd_file = logwriter_open(postlogd_path, maillog_client_file_mode(), why)) == NULL)
        msg_fatal("open logfile '%s': %s", postlogd_path, vstring_str(why));
    vstring_free(why);
    /* Never send to ourselves: a failing write would feed itself. */
    msg_set_postlog(NULL, 0);
    msg_set_logfile(NULL);
    msg_set_hostname(mail_conf_get("myhostname"));
    msg_set_writer(postlogd_self_log);
}

/*
 * The skeleton arms its watchdog with daemon_timeout; postlogd's limit is
 * postlogd_watchdog_timeout. A leading "-o" says so (a master.cf "-o
 * daemon_timeout=..." that follows still wins).
 */
static char **
postlogd_argv(int argc, char **argv)
{
    char **args = mymalloc((size_t)(argc + 3) * sizeof(*args));

    args[0] = argv[0];
    args[1] = "-o";
    args[2] = "daemon_timeout=$postlogd_watchdog_timeout";
    for (int i = 1; i <= argc; i++)
        args[i + 2] = argv[i];
    return args;
}

int
main(int argc, char **argv)
{
    static const struct mail_server server = {
        .trigger = postlogd_service,
        .pre_init = postlogd_pre_init,
        .trigger_size = POSTLOGD_RECORD_MAX,
        .unlimited = 1,
    };

    trigger_server_main(argc + 2, postlogd_argv(argc, argv), &server);
}
