/*
 * msg - diagnostics: msg_info, msg_warn, msg_error, msg_fatal, msg_panic.
 *
 * One call logs one line to standard error and to the log:
 *   - standard error, as "PROGRAM: warning: text" (commands, foreground use);
 *   - the log is, in this order of preference:
 *       a writer function (msg_set_writer: postlogd logs its own records
 *       into the file it holds open);
 *       the postlogd service (msg_set_postlog, when main.cf sets
 *       maillog_file): one datagram per record, never blocking for long;
 *       when the service cannot be reached the record is dropped, or, with
 *       MSG_POSTLOG_FALLBACK (postfix, postsuper, postlog), appended to the
 *       logfile directly; a fallback that cannot open the file is fatal
 *       ("open logfile 'FILE': REASON"), as in Postfix;
 *       a plain file (msg_set_logfile without msg_set_postlog);
 *       syslog (MSG_SYSLOG), with ident "SYSLOG_NAME/PROGRAM" and the pid.
 *     A record for the postlogd service or a file has Postfix's shape:
 *     "Mon DD HH:MM:SS HOST SYSLOG_NAME/PROGRAM[PID]: text", HOST being the
 *     first label of the host name (msg_set_hostname: of myhostname). The
 *     message text in a record is cut at MSG_RECORD_TEXT_MAX bytes.
 *
 * msg_fatal exits with status 1 (msg_fatal_status chooses the status);
 * msg_panic aborts. Both run the cleanup hook first. msg_error counts, and
 * the 13th error is fatal, as in Postfix. Severity words are "warning",
 * "error", "fatal" and "panic"; info lines have none. As in Postfix, the
 * stderr prefix is the program name as invoked (argv[0]), control bytes
 * print as '?' (and 8-bit bytes too unless the line is valid UTF-8), and
 * "%m" with errno 0 prints "Application error". A message logged while
 * another is being logged (an allocation failure inside a sink) goes to
 * standard error only.
 *
 * msg_set_ident replaces the whole record tag ("postfix/smtpd") with the
 * given text (postlog -t); msg_set_syslog sets it from syslog_name again.
 */
#ifndef TERN_MSG_H
#define TERN_MSG_H

#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

#define MSG_STDERR  (1 << 0) /* log to standard error */
#define MSG_SYSLOG  (1 << 1) /* log to syslog */

#define MSG_POSTLOG_FALLBACK (1 << 0) /* msg_set_postlog: write the file when unreachable */
#define MSG_RECORD_TEXT_MAX 2000      /* message bytes in one log record */

extern int msg_verbose;

void msg_init(const char *progname, int sinks);
void msg_set_sinks(int sinks);
int msg_sinks(void);
const char *msg_progname(void);
void msg_set_syslog(const char *syslog_name, const char *facility);
void msg_set_logfile(const char *path);
void msg_set_logfile_mode(mode_t mode); /* for a file msg creates; 0644 */
void msg_set_postlog(const char *service_path, int flags); /* NULL: off */
void msg_set_hostname(const char *name);
void msg_set_ident(const char *ident);
void msg_set_writer(void (*writer)(const char *record, size_t len)); /* NULL: off */
void msg_set_cleanup(void (*cleanup)(void));
int msg_error_count(void);

void msg_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void msg_fatal_status(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
void msg_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void msg_vlog(const char *severity, const char *fmt, va_list ap);

/* Returns the syslog facility code for a name such as "mail", or -1. */
int msg_facility_code(const char *name);

#endif
