/*
 * msg - diagnostics: msg_info, msg_warn, msg_error, msg_fatal, msg_panic.
 *
 * One call logs one line to every sink that is enabled:
 *   - standard error, as "PROGRAM: warning: text" (commands, foreground use);
 *   - syslog, with ident "SYSLOG_NAME/PROGRAM" and the pid, as Postfix does
 *     ("postfix/postconf[123]: warning: text");
 *   - a plain file (maillog_file), one line per record with a time stamp,
 *     the host name and the same "postfix/PROGRAM[PID]: " prefix.
 *
 * msg_fatal exits with status 1 (msg_fatal_status chooses the status);
 * msg_panic aborts. Both run the cleanup hook first. msg_error counts, and
 * the 13th error is fatal, as in Postfix. Severity words are "warning",
 * "error", "fatal" and "panic"; info lines have none. As in Postfix, the
 * stderr prefix is the program name as invoked (argv[0]), control bytes
 * print as '?' (and 8-bit bytes too unless the line is valid UTF-8), and
 * "%m" with errno 0 prints "Application error".
 */
#ifndef TERN_MSG_H
#define TERN_MSG_H

#include <stdarg.h>

#define MSG_STDERR  (1 << 0) /* log to standard error */
#define MSG_SYSLOG  (1 << 1) /* log to syslog */

extern int msg_verbose;

void msg_init(const char *progname, int sinks);
void msg_set_sinks(int sinks);
int msg_sinks(void);
const char *msg_progname(void);
void msg_set_syslog(const char *syslog_name, const char *facility);
void msg_set_logfile(const char *path);
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
