/*
 * sendmail_modes - the sendmail modes that do not submit a message.
 *
 *   sendmail_run_postqueue(&args)
 *       mailq / -bp: "postqueue -p"; -q: "postqueue -f"; -qRsite:
 *       "postqueue -s site"; -qIid: "postqueue -i id". Executes
 *       $command_directory/postqueue in place of this process, so its
 *       output and exit status are the command's. Without postqueue the
 *       command fails with EX_UNAVAILABLE and says so.
 *   sendmail_newaliases(&args)
 *       newaliases / -bi / -I: rebuilds every table in alias_database
 *       (or the one -oA names) with lib/mail/alias_db, as postalias does.
 *   sendmail_smtp()
 *       -bs needs the smtpd(8) daemon, which Tern does not have yet:
 *       fatal, EX_UNAVAILABLE.
 *   sendmail_daemon()
 *       -bd, -bl: executes "$command_directory/postfix start".
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "mail/alias_db.h"
#include "sendmail.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/stringops.h"
#include "util/vstring.h"

/* Executes $command_directory/NAME with argv; never returns. */
static void
sendmail_exec_command(const char *name, char **argv)
{
    struct vstring *path = vstring_alloc(100);

    vstring_sprintf(path, "%s/%s", mail_conf_get("command_directory"), name);
    argv[0] = vstring_str(path);
    if (access(argv[0], X_OK) < 0)
        sendmail_fatal(EX_UNAVAILABLE, "cannot execute %s: %m", argv[0]);
    execv(argv[0], argv);
    sendmail_fatal(EX_UNAVAILABLE, "execute %s: %m", argv[0]);
}

void
sendmail_run_postqueue(const struct sendmail_args *args)
{
    char *argv[5] = {NULL, NULL, NULL, NULL, NULL};

    switch (args->mode) {
    case SM_MODE_MAILQ:
        argv[1] = "-p";
        break;
    case SM_MODE_FLUSHQ:
        argv[1] = "-f";
        break;
    case SM_MODE_FLUSH_SITE:
        argv[1] = "-s";
        argv[2] = (char *)args->site;
        break;
    case SM_MODE_FLUSH_ID:
        argv[1] = "-i";
        argv[2] = (char *)args->site;
        break;
    default:
        msg_panic("sendmail_run_postqueue: mode %d", args->mode);
    }
    sendmail_exec_command("postqueue", argv);
    msg_panic("sendmail_run_postqueue: exec returned");
}

int
sendmail_newaliases(const struct sendmail_args *args)
{
    char *copy;
    char *path;
    const char *type;

    if (args->alias_db == NULL) {
        (void)alias_db_rebuild(alias_db_dict_flags(), ALIAS_DB_BUILD_FLAGS);
        return 0;
    }
    copy = mystrdup(args->alias_db);
    if ((path = strchr(copy, ':')) != NULL && path != copy) {
        *path++ = 0;
        type = copy;
    } else {
        path = copy;
        type = mail_conf_get("default_database_type");
    }
    alias_db_build(type, path, O_RDWR | O_CREAT | O_TRUNC, alias_db_dict_flags(),
                   ALIAS_DB_BUILD_FLAGS);
    myfree(copy);
    return 0;
}

void
sendmail_smtp(void)
{
    sendmail_fatal(EX_UNAVAILABLE,
                   "-bs (stand-alone SMTP server mode) needs the smtpd daemon, which this "
                   "version does not have");
}

void
sendmail_daemon(void)
{
    char *argv[3] = {NULL, "start", NULL};

    sendmail_exec_command("postfix", argv);
    msg_panic("sendmail_daemon: exec returned");
}
