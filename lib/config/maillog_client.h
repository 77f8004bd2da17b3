/*
 * maillog_client - route a program's log records as main.cf says: to
 * syslog when maillog_file is empty, else to the postlogd(8) service.
 *
 *   maillog_client_init(flags)
 *       with maillog_file set: checks it against maillog_file_prefixes
 *       (fatal, with Postfix's wording, when no prefix matches), then
 *       sends every later log record to the unix-dgram socket
 *       $queue_directory/public/$postlog_service_name, with the host
 *       name taken from myhostname. MAILLOG_CLIENT_FALLBACK: when that
 *       service cannot be reached, append the record to maillog_file
 *       directly (creating it with maillog_file_permissions, default
 *       0600; 0640 and 0644 may be chosen); a file that cannot be opened
 *       then is fatal. With maillog_file empty, routing is switched off.
 *       Standard error is never touched.
 *   maillog_client_setup()
 *       everything main.cf says about logging, for a program whose
 *       main.cf is loaded: syslog_facility (fatal when unknown: "file
 *       FILE: parameter syslog_facility: unrecognized value: VALUE"),
 *       syslog_name, then maillog_client_init(maillog_client_flags(the
 *       name given to msg_init)). A program that must check something
 *       before its records may go to the file (postfix refuses other
 *       users first) calls mail_conf_load(), checks, then this.
 *   maillog_client_file_mode()
 *       the mode for a new maillog_file: maillog_file_permissions, one of
 *       0600 (default), 0640, 0644; any other value is fatal.
 *   maillog_client_flags(progname)
 *       the flags Postfix gives a program: MAILLOG_CLIENT_FALLBACK for
 *       the programs that may have to log while postlogd is not there
 *       (master, postfix, postsuper, postmulti, postlog), 0 for every other.
 *
 * mail_conf_read() calls maillog_client_init(maillog_client_flags(the
 * program name given to msg_init)) after main.cf is read; a daemon may
 * call it again after its -o overrides. postconf does not log to the
 * service (mail_conf_load), as in Postfix.
 */
#ifndef TERN_MAILLOG_CLIENT_H
#define TERN_MAILLOG_CLIENT_H

#include <sys/types.h>

#define MAILLOG_CLIENT_FALLBACK (1 << 0)

void maillog_client_init(int flags);
void maillog_client_setup(void);
mode_t maillog_client_file_mode(void);
int maillog_client_flags(const char *progname);

#endif
