/*
 * postlog - Postfix-compatible logging command, for shell scripts.
 *
 *   postlog [-iv] [-c config_dir] [-p priority] [-t tag] [text...]
 *
 * Logs the text arguments, joined by single spaces, as one record; with
 * no text, logs each line of standard input as one record. The records go
 * where every Tern program's go (msg(3) after main.cf: syslog, or the
 * postlogd service when maillog_file is set, see maillog_client.h; as in
 * Postfix, postlog writes maillog_file itself when postlogd cannot be
 * reached). When standard error is a terminal each record is shown there
 * too.
 *
 * Options, as Postfix's postlog(1): -c sets MAIL_CONFIG; -i is accepted
 * and ignored; -p takes info, warn, warning, err, error, crit, fatal or
 * panic in any case (fatal and crit log "fatal: ", and like panic make
 * postlog pause one second before it exits, with status 0); -t replaces
 * the tag "$syslog_name/postlog" (the stderr prefix too); -v is verbose.
 * Options end at the first text argument.
 *
 * Errors, worded as Postfix's: an unknown option or a missing argument
 * ("fatal: usage: postlog [-c config_dir] [-i] [-p priority] [-t tag] [-v]
 * [text]"), an unknown priority ("fatal: bad severity: "NAME""), and a
 * main.cf that cannot be read; each exits 1. These early errors carry the
 * default tag "postfix/postlog", as main.cf has not been read yet. An
 * input line longer than POSTLOG_LINE_MAX bytes is cut there (the log
 * record holds fewer bytes anyway).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "config/maillog_client.h"
#include "util/iostuff.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/vstream.h"
#include "util/vstring.h"

#define POSTLOG_LINE_MAX 4096
#define POSTLOG_DEF_TAG "postfix/postlog"
#define POSTLOG_USAGE "usage: %s [-c config_dir] [-i] [-p priority] [-t tag] [-v] [text]"

static const struct {
    const char *name;
    const char *severity; /* NULL: info */
} postlog_priorities[] = {
    {"info", NULL},   {"warn", "warning"}, {"warning", "warning"}, {"error", "error"},
    {"err", "error"}, {"fatal", "fatal"},  {"crit", "fatal"},      {"panic", "panic"},
};

/* The severity word for a -p value; fatal when there is none. */
static const char *
postlog_severity(const char *name, int *pause)
{
    for (size_t i = 0; i < sizeof(postlog_priorities) / sizeof(postlog_priorities[0]); i++) {
        if (strcasecmp(name, postlog_priorities[i].name) == 0) {
            const char *severity = postlog_priorities[i].severity;

            *pause = severity && (strcmp(severity, "fatal") == 0 || strcmp(severity, "panic") == 0);
            return severity;
        }
    }
    msg_fatal("bad severity: \"%s\"", name);
}

static void
postlog_one(const char *severity, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_vlog(severity, fmt, ap);
    va_end(ap);
}

/* Logs each line of standard input; overlong lines are cut. */
static void
postlog_stdin(const char *severity)
{
    struct vstream *in = vstream_stdin();
    struct vstring *line = vstring_alloc(256);
    struct vstring *rest = vstring_alloc(256);
    int last;

    while ((last = vstream_get_line(in, line, POSTLOG_LINE_MAX)) != VSTREAM_EOF) {
        if (last == '\n')
            vstring_truncate(line, vstring_len(line) - 1);
        else
            while (vstream_get_line(in, rest, POSTLOG_LINE_MAX) != VSTREAM_EOF &&
                   vstring_str(rest)[vstring_len(rest) - 1] != '\n')
                continue;
        postlog_one(severity, "%s", vstring_str(line));
    }
    vstring_free(line);
    vstring_free(rest);
}

/* Joins the text arguments with single spaces into one record. */
static void
postlog_args(const char *severity, char **args)
{
    struct vstring *text = vstring_alloc(256);

    for (int i = 0; args[i]; i++) {
        if (i > 0)
            vstring_strcat(text, " ");
        vstring_strcat(text, args[i]);
    }
    postlog_one(severity, "%s", vstring_str(text));
    vstring_free(text);
}

int
main(int argc, char **argv)
{
    const char *severity = NULL;
    const char *tag = NULL;
    struct vstring *def_tag;
    char *slash;
    int sinks;
    int pause = 0;
    int ch;

    sane_stdio();
    if ((slash = strrchr(argv[0], '/')) != NULL && slash[1])
        argv[0] = slash + 1;
    sinks = MSG_SYSLOG | (isatty(STDERR_FILENO) ? MSG_STDERR : 0);
    msg_init(POSTLOG_DEF_TAG, sinks);
    while ((ch = getopt(argc, argv, "+c:ip:t:v")) > 0) {
        switch (ch) {
        case 'c':
            if (setenv("MAIL_CONFIG", optarg, 1) < 0)
                msg_fatal("out of memory");
            break;
        case 'i':
            break;
        case 'p':
            severity = postlog_severity(optarg, &pause);
            break;
        case 't':
            tag = optarg;
            break;
        case 'v':
            msg_verbose++;
            break;
        default:
            msg_fatal(POSTLOG_USAGE, argv[0]);
        }
    }
    mail_conf_read(NULL);
    maillog_client_init(MAILLOG_CLIENT_FALLBACK);
    def_tag = vstring_alloc(50);
    if (tag == NULL)
        tag = vstring_str(vstring_sprintf(def_tag, "%s/postlog", mail_conf_get("syslog_name")));
    msg_init(tag, sinks);
    msg_set_ident(tag);
    if (optind < argc)
        postlog_args(severity, argv + optind);
    else
        postlog_stdin(severity);
    if (pause)
        sleep(1);
    vstring_free(def_tag);
    return 0;
}
