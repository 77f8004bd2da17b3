/*
 * tern-test-submit - a test-only program that hands one message to a
 * cleanup service through lib/mail/cleanup_clnt, as pickup, bounce and
 * local do. Never installed.
 *
 *   tern-test-submit [-C queue_directory] [-s service] [-t timeout]
 *                    [-f sender] [-F flags] [-a name=value]... [-T sec]
 *                    [-i envid] [-y ret] [-N notify] [-r] [rcpt...] < message
 *
 * The message (headers and body) comes from standard input, one content
 * line per input line. -F is a number (the CLEANUP_FLAG_* bits) or a
 * comma-separated list of names: bounce, filter, hold, discard, bcc_ok,
 * map_ok, external, none (default: external). -T sets the arrival time
 * (default: now). -N gives every recipient that NOTIFY mask. With -r,
 * standard input is instead a raw record stream (type byte, 4-byte
 * big-endian length, payload...), any bytes at all, sent as they are
 * after the flags (the protocol is then spoken by hand, not through
 * cleanup_clnt), for tests of malformed streams; then the reply is read
 * and printed as "status N: REASON" whatever N is.
 *
 * Output: the queue id on standard output and exit 0 when cleanup
 * committed the message; otherwise "status N: REASON" on standard output
 * and exit 1. A failure to connect prints "connect: REASON" and exits 2.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "mail/attr.h"
#include "mail/cleanup_clnt.h"
#include "mail/mail_connect.h"
#include "mail/record.h"
#include "util/argv.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/stringops.h"
#include "util/vstream.h"
#include "util/vstring.h"

struct submit_spec {
    const char *service;
    int timeout;
    const char *sender;
    int flags;
    struct argv *attrs;
    struct timeval arrival;
    const char *envid;
    int ret;
    int notify;
    int raw;
};

static int
submit_parse_flags(const char *text)
{
    static const struct {
        const char *name;
        int flag;
    } names[] = {
        {"none", CLEANUP_FLAG_NONE},       {"bounce", CLEANUP_FLAG_BOUNCE},
        {"filter", CLEANUP_FLAG_FILTER},   {"hold", CLEANUP_FLAG_HOLD},
        {"discard", CLEANUP_FLAG_DISCARD}, {"bcc_ok", CLEANUP_FLAG_BCC_OK},
        {"map_ok", CLEANUP_FLAG_MAP_OK},   {"external", CLEANUP_FLAG_EXTERNAL},
    };
    char *copy, *cp, *word;
    int flags = 0, found;

    if (text[0] >= '0' && text[0] <= '9')
        return (int)strtol(text, NULL, 0);
    cp = copy = mystrdup(text);
    while ((word = mystrtok(&cp, ", ")) != NULL) {
        found = 0;
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            if (strcmp(word, names[i].name) == 0) {
                flags |= names[i].flag;
                found = 1;
            }
        }
        if (!found)
            msg_fatal("unknown flag name: %s", word);
    }
    myfree(copy);
    return flags;
}

/* Sends standard input as message lines. */
static void
submit_content(struct cleanup_clnt *cl)
{
    struct vstream *in = vstream_stdin();
    struct vstring *line = vstring_alloc(1024);
    int ch;

    vstring_reset(line);
    while ((ch = vstream_getc(in)) != VSTREAM_EOF) {
        if (ch == '\n') {
            (void)cleanup_put_line(cl, vstring_str(line), vstring_len(line));
            vstring_reset(line);
        } else {
            vstring_addch(line, ch);
        }
    }
    if (vstring_len(line) > 0)
        (void)cleanup_put_line(cl, vstring_str(line), vstring_len(line));
    vstring_free(line);
}

/*
 * Raw mode: the protocol by hand, so that any bytes (even ones that are
 * not records) reach the server. Returns the reply's status.
 */
static int
submit_raw(const struct submit_spec *spec, struct vstring *reason)
{
    struct vstream *fp, *in = vstream_stdin();
    struct vstring *id = vstring_alloc(32);
    char buf[4096];
    size_t n;
    int status = CLEANUP_STAT_WRITE;

    if ((fp = mail_connect(NULL, MAIL_CLASS_PRIVATE, spec->service, spec->timeout, reason)) ==
            NULL &&
        (fp = mail_connect(NULL, MAIL_CLASS_PUBLIC, spec->service, spec->timeout, reason)) == NULL)
        msg_fatal("%s", vstring_str(reason));
    if (attr_expect_protocol(fp, CLEANUP_PROTOCOL) < 0 ||
        attr_print(fp, ATTR_FLAG_NONE, ATTR_SEND_INT("flags", spec->flags), ATTR_TYPE_END) < 0 ||
        attr_scan(fp, ATTR_FLAG_NONE, ATTR_RECV_STR("queue_id", id), ATTR_TYPE_END) != 1)
        msg_fatal("%s", attr_error_reason());
    while ((n = vstream_read(in, buf, sizeof(buf))) > 0)
        if (vstream_write(fp, buf, n) < 0)
            break;
    (void)vstream_flush(fp);
    (void)shutdown(vstream_fileno(fp), SHUT_WR); /* the server sees the end of input */
    fp->flags &= ~VSTREAM_FLAG_ERR;
    fp->wlen = 0;
    if (attr_scan(fp, ATTR_FLAG_NONE, ATTR_RECV_INT("status", &status),
                  ATTR_RECV_STR("reason", reason), ATTR_TYPE_END) != 2)
        vstring_sprintf(reason, "%s", attr_error_reason());
    (void)vstream_close(fp);
    vstring_free(id);
    return status;
}

static void
submit_envelope(struct cleanup_clnt *cl, const struct submit_spec *spec, char **rcpts)
{
    struct qfile_rcpt rcpt;
    char *eq;

    (void)cleanup_put_time(cl, &spec->arrival);
    for (size_t i = 0; i < spec->attrs->argc; i++) {
        eq = strchr(spec->attrs->argv[i], '=');
        if (eq == NULL)
            msg_fatal("bad -a argument (want name=value): %s", spec->attrs->argv[i]);
        *eq = 0;
        (void)cleanup_put_attr(cl, spec->attrs->argv[i], eq + 1);
        *eq = '=';
    }
    (void)cleanup_put_sender(cl, spec->sender);
    if (spec->envid)
        (void)cleanup_put_dsn_envid(cl, spec->envid);
    if (spec->ret)
        (void)cleanup_put_dsn_ret(cl, spec->ret);
    for (; *rcpts; rcpts++) {
        memset(&rcpt, 0, sizeof(rcpt));
        rcpt.address = *rcpts;
        rcpt.orig_rcpt = *rcpts;
        rcpt.notify = spec->notify;
        (void)cleanup_put_rcpt(cl, &rcpt);
    }
    (void)cleanup_begin_content(cl);
}

int
main(int argc, char **argv)
{
    struct submit_spec spec = {"cleanup", 30, "", CLEANUP_FLAG_EXTERNAL, NULL, {0, 0}, NULL,
                               0,         0,  0};
    struct cleanup_clnt *cl;
    struct vstring *why = vstring_alloc(100);
    int ch, status;
    char *id;

    msg_set_ident("tern-test-submit");
    signal(SIGPIPE, SIG_IGN);
    spec.attrs = argv_alloc(4);
    gettimeofday(&spec.arrival, NULL);
    while ((ch = getopt(argc, argv, "C:s:t:f:F:a:T:i:y:N:r")) != -1) {
        switch (ch) {
        case 'C':
            if (chdir(optarg) < 0)
                msg_fatal("chdir %s: %m", optarg);
            break;
        case 's':
            spec.service = optarg;
            break;
        case 't':
            spec.timeout = atoi(optarg);
            break;
        case 'f':
            spec.sender = optarg;
            break;
        case 'F':
            spec.flags = submit_parse_flags(optarg);
            break;
        case 'a':
            argv_add(spec.attrs, optarg);
            break;
        case 'T':
            spec.arrival.tv_sec = atol(optarg);
            spec.arrival.tv_usec = 0;
            break;
        case 'i':
            spec.envid = optarg;
            break;
        case 'y':
            spec.ret = atoi(optarg);
            break;
        case 'N':
            spec.notify = atoi(optarg);
            break;
        case 'r':
            spec.raw = 1;
            break;
        default:
            msg_fatal("usage: %s [options] rcpt... < message", argv[0]);
        }
    }
    if (spec.raw) {
        status = submit_raw(&spec, why);
        vstream_printf(vstream_stdout(), "status %d: %s\n", status, vstring_str(why));
        vstream_flush(vstream_stdout());
        return status == 0 ? 0 : 1;
    }
    if ((cl = cleanup_open(spec.service, spec.flags, spec.timeout, why)) == NULL) {
        vstream_printf(vstream_stdout(), "connect: %s\n", vstring_str(why));
        vstream_flush(vstream_stdout());
        return 2;
    }
    submit_envelope(cl, &spec, argv + optind);
    submit_content(cl);
    id = mystrdup(cleanup_queue_id(cl));
    status = cleanup_finish(cl, why);
    if (status == 0)
        vstream_printf(vstream_stdout(), "%s\n", id);
    else
        vstream_printf(vstream_stdout(), "status %d: %s\n", status, vstring_str(why));
    vstream_flush(vstream_stdout());
    return status == 0 ? 0 : 1;
}
