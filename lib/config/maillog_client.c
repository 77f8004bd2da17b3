/*
 * maillog_client - log routing from main.cf; see maillog_client.h.
 *
 * Bad configuration is fatal and reported on standard error and syslog
 * only (the routing is not in place yet): a maillog_file outside
 * maillog_file_prefixes ("maillog_file value 'FILE' does not match any
 * prefix in maillog_file_prefixes") and a maillog_file_permissions value
 * other than 0600, 0640 or 0644.
 */
#include <string.h>
#include <sys/stat.h>

#include "config/mail_conf.h"
#include "config/maillog_client.h"
#include "util/argv.h"
#include "util/msg.h"
#include "util/stringops.h"
#include "util/vstring.h"

#define MAILLOG_CLIENT_DEF_MODE "0600"

/* Fatal unless file starts with one of maillog_file_prefixes. */
static void
maillog_client_check_prefix(const char *file)
{
    struct argv *prefixes = argv_split(mail_conf_get("maillog_file_prefixes"), CHARS_COMMA_SP);
    int found = 0;

    for (size_t i = 0; i < prefixes->argc && !found; i++)
        found = strncmp(file, prefixes->argv[i], strlen(prefixes->argv[i])) == 0;
    argv_free(prefixes);
    if (!found)
        msg_fatal("maillog_file value '%s' does not match any prefix in maillog_file_prefixes",
                  file);
}

/* The mode for a logfile that is created; fatal on a value not allowed. */
mode_t
maillog_client_file_mode(void)
{
    const char *value = mail_conf_get("maillog_file_permissions");

    if (value == NULL || *value == 0)
        value = MAILLOG_CLIENT_DEF_MODE;
    if (strcmp(value, "0600") == 0)
        return 0600;
    if (strcmp(value, "0640") == 0)
        return 0640;
    if (strcmp(value, "0644") == 0)
        return 0644;
    msg_fatal("invalid maillog_file_permissions parameter value: '%s'"
              " (specify 0600, 0640 or 0644)",
              value);
}

void
maillog_client_init(int flags)
{
    const char *file = mail_conf_get("maillog_file");
    struct vstring *service;

    msg_set_postlog(NULL, 0);
    msg_set_logfile(NULL);
    if (file == NULL || *file == 0)
        return;
    maillog_client_check_prefix(file);
    msg_set_logfile_mode(maillog_client_file_mode());
    msg_set_hostname(mail_conf_get("myhostname"));
    msg_set_logfile(file);
    service = vstring_alloc(100);
    vstring_sprintf(service, "%s/public/%s", mail_conf_get("queue_directory"),
                    mail_conf_get("postlog_service_name"));
    msg_set_postlog(vstring_str(service),
                    (flags & MAILLOG_CLIENT_FALLBACK) ? MSG_POSTLOG_FALLBACK : 0);
    vstring_free(service);
}

void
maillog_client_setup(void)
{
    const char *facility = mail_conf_get("syslog_facility");

    if (msg_facility_code(facility) < 0)
        msg_fatal("file %s: parameter %s: unrecognized value: %s",
                  mail_conf_path() ? mail_conf_path() : "main.cf", "syslog_facility", facility);
    msg_set_syslog(mail_conf_get("syslog_name"), facility);
    maillog_client_init(maillog_client_flags(msg_progname()));
}

int
maillog_client_flags(const char *progname)
{
    static const char *const fallback[] = {"master", "postfix", "postsuper", "postmulti",
                                           "postlog"};

    for (size_t i = 0; i < sizeof(fallback) / sizeof(fallback[0]); i++)
        if (strcmp(progname, fallback[i]) == 0)
            return MAILLOG_CLIENT_FALLBACK;
    return 0;
}
