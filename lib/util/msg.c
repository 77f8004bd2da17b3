/*
 * msg - diagnostics to stderr and to the log (postlogd, maillog_file or
 * syslog); see msg.h.
 *
 * Records are formatted once into a fixed buffer (long records are cut,
 * never overflowed) and handed over with one write() or one datagram per
 * sink, so lines from concurrent processes do not interleave within a line.
 * The datagram client is msg_postlog.c; the file writer is logwriter.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "util/logwriter.h"
#include "util/msg.h"
#include "util/msg_postlog.h"
#include "util/mymalloc.h"
#include "util/valid_utf8.h"
#include "util/vstring.h"

#define MSG_LINE_MAX 4096
#define MSG_ERROR_BOUND 13

int msg_verbose;

static char msg_prog[64] = "tern";   /* base name, for syslog */
static char msg_argv0[256] = "tern"; /* as invoked, for stderr (as Postfix) */
static char msg_syslog_ident[128] = "postfix/tern";
static int msg_sink_mask = MSG_STDERR;
static int msg_facility = LOG_MAIL;
static int msg_syslog_open;
static char *msg_logfile;
static mode_t msg_logfile_mode = 0644;
static char *msg_postlog_path;
static int msg_postlog_flags;
static char msg_host[256];
static void (*msg_writer)(const char *record, size_t len);
static void (*msg_cleanup_hook)(void);
static int msg_errors;
static int msg_depth;                   /* > 0 while a record is being logged */
static struct vstring *msg_logfile_why; /* set when the fallback failed */

static const struct {
    const char *name;
    int code;
} msg_facilities[] = {
    {"auth", LOG_AUTH},     {"authpriv", LOG_AUTHPRIV}, {"cron", LOG_CRON},
    {"daemon", LOG_DAEMON}, {"ftp", LOG_FTP},           {"kern", LOG_KERN},
    {"lpr", LOG_LPR},       {"mail", LOG_MAIL},         {"news", LOG_NEWS},
    {"syslog", LOG_SYSLOG}, {"user", LOG_USER},         {"uucp", LOG_UUCP},
    {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1},     {"local2", LOG_LOCAL2},
    {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4},     {"local5", LOG_LOCAL5},
    {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
};

int
msg_facility_code(const char *name)
{
    for (size_t i = 0; i < sizeof(msg_facilities) / sizeof(msg_facilities[0]); i++)
        if (strcasecmp(msg_facilities[i].name, name) == 0)
            return msg_facilities[i].code;
    return -1;
}

void
msg_init(const char *progname, int sinks)
{
    const char *slash = strrchr(progname, '/');

    snprintf(msg_prog, sizeof(msg_prog), "%s", slash ? slash + 1 : progname);
    snprintf(msg_argv0, sizeof(msg_argv0), "%s", progname);
    snprintf(msg_syslog_ident, sizeof(msg_syslog_ident), "postfix/%s", msg_prog);
    msg_sink_mask = sinks;
}

void
msg_set_sinks(int sinks)
{
    msg_sink_mask = sinks;
}

int
msg_sinks(void)
{
    return msg_sink_mask;
}

const char *
msg_progname(void)
{
    return msg_prog;
}

/*
 * The record tag is "SYSLOG_NAME/PROGRAM", as in Postfix: with
 * syslog_name = postfix/submission, smtpd logs as postfix/submission/smtpd.
 */
void
msg_set_syslog(const char *syslog_name, const char *facility)
{
    int code;

    if (syslog_name && *syslog_name)
        snprintf(msg_syslog_ident, sizeof(msg_syslog_ident), "%s/%s", syslog_name, msg_prog);
    if (facility && *facility) {
        if ((code = msg_facility_code(facility)) < 0)
            msg_warn("unknown syslog_facility: %s", facility);
        else
            msg_facility = code;
    }
    if (msg_syslog_open) {
        closelog();
        msg_syslog_open = 0;
    }
}

void
msg_set_logfile(const char *path)
{
    char *old = msg_logfile;

    msg_logfile = (path && *path) ? mystrdup(path) : NULL;
    myfree(old);
}

void
msg_set_logfile_mode(mode_t mode)
{
    msg_logfile_mode = mode;
}

/* Connects at once, so that a process keeps its connection in a chroot jail. */
void
msg_set_postlog(const char *service_path, int flags)
{
    char *old = msg_postlog_path;

    msg_postlog_path = (service_path && *service_path) ? mystrdup(service_path) : NULL;
    msg_postlog_flags = flags;
    myfree(old);
    msg_postlog_close();
    if (msg_postlog_path)
        (void)msg_postlog_connect(msg_postlog_path);
}

/* Keeps the first label only, as Postfix's records show it. */
void
msg_set_hostname(const char *name)
{
    snprintf(msg_host, sizeof(msg_host), "%s", name ? name : "");
    msg_host[strcspn(msg_host, ".")] = 0;
}

void
msg_set_ident(const char *ident)
{
    snprintf(msg_syslog_ident, sizeof(msg_syslog_ident), "%s", ident);
    if (msg_syslog_open) {
        closelog();
        msg_syslog_open = 0;
    }
}

void
msg_set_writer(void (*writer)(const char *record, size_t len))
{
    msg_writer = writer;
}

void
msg_set_cleanup(void (*cleanup)(void))
{
    msg_cleanup_hook = cleanup;
}

int
msg_error_count(void)
{
    return msg_errors;
}

static void
msg_write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        buf += n;
        len -= (size_t)n;
    }
}

/*
 * Formats "Mon DD HH:MM:SS HOST IDENT[PID]: text" into buf; the message
 * part of text (after the severity prefix of off bytes) is cut at
 * MSG_RECORD_TEXT_MAX bytes, or a little less so that no UTF-8 character is
 * split. Returns the length, without a newline.
 */
static size_t
msg_format_record(char *buf, size_t size, const char *text, size_t off)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    size_t text_len = strlen(text);
    int len;

    if (text_len > off + MSG_RECORD_TEXT_MAX) {
        text_len = off + MSG_RECORD_TEXT_MAX;
        /* Do not split a UTF-8 character: the record must stay valid. */
        while (text_len > off && ((unsigned char)text[text_len] & 0xc0) == 0x80)
            text_len--;
    }
    localtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%b %d %H:%M:%S", &tm);
    if (msg_host[0] == 0) {
        char host[sizeof(msg_host)];

        if (gethostname(host, sizeof(host)) != 0 || host[0] == 0)
            snprintf(host, sizeof(host), "localhost");
        host[sizeof(host) - 1] = 0;
        msg_set_hostname(host);
    }
    len = snprintf(buf, size, "%s %s %s[%ld]: %.*s", stamp, msg_host, msg_syslog_ident,
                   (long)getpid(), (int)text_len, text);
    if (len < 0)
        return 0;
    return (size_t)len >= size ? size - 1 : (size_t)len;
}

/* Appends one record to the logfile; on failure, remembers why. */
static void
msg_to_logfile(const char *record, size_t len, int must_work)
{
    struct vstring *why = vstring_alloc(100);

    if (logwriter_one_shot(msg_logfile, msg_logfile_mode, record, len, why) < 0 && must_work &&
        msg_logfile_why == NULL)
        msg_logfile_why = why;
    else
        vstring_free(why);
}

/* Sends one record to the log sink that is configured. */
static void
msg_to_log(const char *text, size_t off)
{
    char record[MSG_LINE_MAX + 512];
    size_t len;

    if (msg_writer == NULL && msg_postlog_path == NULL && msg_logfile == NULL) {
        if (msg_sink_mask & MSG_SYSLOG) {
            if (!msg_syslog_open) {
                openlog(msg_syslog_ident, LOG_PID | LOG_NDELAY, msg_facility);
                msg_syslog_open = 1;
            }
            syslog(LOG_INFO, "%s", text);
        }
        return;
    }
    len = msg_format_record(record, sizeof(record), text, off);
    if (msg_writer)
        msg_writer(record, len);
    else if (msg_postlog_path == NULL)
        msg_to_logfile(record, len, 0);
    else if (msg_postlog_send(msg_postlog_path, record, len) < 0 &&
             (msg_postlog_flags & MSG_POSTLOG_FALLBACK) && msg_logfile)
        msg_to_logfile(record, len, 1);
}

/*
 * A program that must write the logfile when postlogd is down (postfix,
 * postlog) and cannot: fatal, as in Postfix, reported without the log.
 */
static void
msg_logfile_failed(void)
{
    struct vstring *why = msg_logfile_why;
    char *path = msg_logfile;

    msg_logfile_why = NULL;
    msg_logfile = NULL;
    myfree(msg_postlog_path);
    msg_postlog_path = NULL;
    msg_fatal("open logfile '%s': %s", path, vstring_str(why));
}

/*
 * Makes a log record safe to print, as Postfix does: control bytes become
 * '?', and so does every 8-bit byte unless the record is valid UTF-8.
 */
static void
msg_printable(char *text)
{
    int utf8 = valid_utf8_string(text, strlen(text));

    for (unsigned char *cp = (unsigned char *)text; *cp; cp++)
        if (*cp < 0x20 || *cp == 0x7f || (*cp >= 0x80 && !utf8))
            *cp = '?';
}

/*
 * With errno 0, "%m" would print "Success"; Postfix prints "Application
 * error". Rewrites the format into buf when that applies.
 */
static const char *
msg_fix_percent_m(const char *fmt, char *buf, size_t size)
{
    size_t len = 0;

    if (errno != 0 || strstr(fmt, "%m") == NULL)
        return fmt;
    for (const char *cp = fmt; *cp && len + 20 < size; cp++) {
        if (cp[0] == '%' && cp[1] == '%') {
            buf[len++] = *cp++;
            buf[len++] = *cp;
        } else if (cp[0] == '%' && cp[1] == 'm') {
            memcpy(buf + len, "Application error", 17);
            len += 17;
            cp++;
        } else {
            buf[len++] = *cp;
        }
    }
    buf[len] = 0;
    return buf;
}

void
msg_vlog(const char *severity, const char *fmt, va_list ap)
{
    char fixed_fmt[1024];
    char text[MSG_LINE_MAX];
    char line[MSG_LINE_MAX + 128];
    int saved_errno = errno;
    int off = 0;
    int len;

    if (severity)
        off = snprintf(text, sizeof(text), "%s: ", severity);
    msg_depth++;
    errno = saved_errno;
    fmt = msg_fix_percent_m(fmt, fixed_fmt, sizeof(fixed_fmt));
    vsnprintf(text + off, sizeof(text) - (size_t)off, fmt, ap);
    msg_printable(text);
    if (msg_sink_mask & MSG_STDERR) {
        len = snprintf(line, sizeof(line), "%s: %s\n", msg_argv0, text);
        if (len > 0)
            msg_write_all(2, line, (size_t)len < sizeof(line) ? (size_t)len : sizeof(line) - 1);
    }
    if (msg_depth == 1)
        msg_to_log(text, (size_t)off);
    msg_depth--;
    if (msg_logfile_why && msg_depth == 0)
        msg_logfile_failed();
    errno = saved_errno;
}

void
msg_info(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_vlog(NULL, fmt, ap);
    va_end(ap);
}

void
msg_warn(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_vlog("warning", fmt, ap);
    va_end(ap);
}

void
msg_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_vlog("error", fmt, ap);
    va_end(ap);
    if (++msg_errors >= MSG_ERROR_BOUND)
        msg_fatal("too many errors - program terminated");
}

static void
msg_run_cleanup(void)
{
    void (*hook)(void) = msg_cleanup_hook;

    msg_cleanup_hook = NULL;
    if (hook)
        hook();
}

void
msg_fatal_status(int status, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_vlog("fatal", fmt, ap);
    va_end(ap);
    msg_run_cleanup();
    exit(status);
}

void
msg_fatal(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_vlog("fatal", fmt, ap);
    va_end(ap);
    msg_run_cleanup();
    exit(1);
}

void
msg_panic(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_vlog("panic", fmt, ap);
    va_end(ap);
    msg_run_cleanup();
    abort();
}
