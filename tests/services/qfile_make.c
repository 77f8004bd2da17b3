/*
 * tern-test-qfile - a test-only program that writes one Tern queue file
 * through the qfile API (qfile_create ... qfile_commit), so integration
 * tests of postcat, postsuper and the daemons get real queue files
 * without an encoder of their own. Never installed.
 *
 *   tern-test-qfile [-C queue_directory] [-q queue] [-L] [-m mode]
 *                   [-H hash_queue_names] [-D hash_queue_depth]
 *                   [-t sec[.usec]] [-w warn_time] [-s sender]
 *                   [-a name=value]... [-i envid] [-y ret]
 *                   [-r recipient]... [-X name=value]... [-x recipient]...
 *                   [-P return_receipt] [-K errors_to] [-n] < message
 *
 * The message (headers and body) comes from standard input, one content
 * line per input line (a last line without a newline counts too); -n
 * writes no content at all. A recipient is "address|original|orcpt|
 * notify|done" where everything after the address is optional: notify is
 * the decimal REC_NOTIFY_* mask, done is 1 for a recipient marked done
 * (written as done from the start, as qmgr would leave it). -a, -s, -i,
 * -y and -r go into the envelope; -X, -x, -P and -K into the extracted
 * section. The queue id is printed on standard output.
 *
 * Any refusal by the qfile layer (a record that breaks the format's
 * rules) is fatal with the qfile_error() reason, exit status 1.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "mail/mail_queue.h"
#include "mail/qfile.h"
#include "util/argv.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/stringops.h"
#include "util/vstream.h"
#include "util/vstring.h"

struct make_spec {
    const char *queue;
    int long_ids;
    mode_t mode;
    struct timeval arrival;
    time_t warn;
    int have_warn;
    const char *sender;
    const char *envid;
    int ret;
    const char *rrto;
    const char *erto;
    int no_content;
    struct argv *attrs;  /* envelope name=value */
    struct argv *rcpts;  /* envelope recipients */
    struct argv *xattrs; /* extracted name=value */
    struct argv *xrcpts; /* extracted recipients */
};

static void
make_usage(void)
{
    msg_fatal("usage: tern-test-qfile [-C dir] [-q queue] [-L] [-m mode] [-H names] [-D depth] "
              "[-t sec[.usec]] [-w time] [-s sender] [-a name=value] [-i envid] [-y ret] "
              "[-r rcpt] [-X name=value] [-x rcpt] [-P rrto] [-K erto] [-n] < message");
}

/* Fails the program with the writer's reason. */
static void
make_check(struct qfile *qf, int status, const char *what)
{
    if (status < 0)
        msg_fatal("%s: %s", what, qfile_error(qf) ? qfile_error(qf) : "unknown error");
}

/* "address|orig|orcpt|notify|done" -> one recipient record. */
static void
make_put_rcpt(struct qfile *qf, const char *spec)
{
    char *copy = mystrdup(spec);
    char *field[5] = {copy, "", "", "0", "0"};
    char *cp = copy;
    struct qfile_rcpt rcpt;

    for (int n = 1; n < 5 && (cp = split_at(cp, '|')) != NULL; n++)
        field[n] = cp;
    rcpt.address = field[0];
    rcpt.orig_rcpt = field[1];
    rcpt.dsn_orcpt = field[2];
    rcpt.notify = atoi(field[3]);
    rcpt.status = atoi(field[4]) ? REC_RCPT_DONE : REC_RCPT_PENDING;
    make_check(qf, qfile_put_rcpt(qf, &rcpt), "recipient");
    myfree(copy);
}

static void
make_put_attr(struct qfile *qf, const char *spec)
{
    char *copy = mystrdup(spec);
    char *value = split_at(copy, '=');

    if (value == NULL)
        msg_fatal("attribute without '=': %s", spec);
    make_check(qf, qfile_put_attr(qf, copy, value), "attribute");
    myfree(copy);
}

/* Standard input, line by line, into content records. */
static void
make_put_content(struct qfile *qf)
{
    struct vstring *buf = vstring_alloc(8192);
    char chunk[8192];
    const char *start;
    const char *nl;
    ssize_t n;

    while ((n = read(STDIN_FILENO, chunk, sizeof(chunk))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            msg_fatal("read standard input: %m");
        }
        vstring_memcat(buf, chunk, (size_t)n);
    }
    start = vstring_str(buf);
    while ((nl = memchr(start, '\n', vstring_str(buf) + vstring_len(buf) - start)) != NULL) {
        make_check(qf, qfile_put_line(qf, start, (size_t)(nl - start)), "line");
        start = nl + 1;
    }
    if (start < vstring_str(buf) + vstring_len(buf))
        make_check(qf,
                   qfile_put_line(qf, start, (size_t)(vstring_str(buf) + vstring_len(buf) - start)),
                   "line");
    vstring_free(buf);
}

static void
make_write(const struct make_spec *spec)
{
    struct vstring *why = vstring_alloc(100);
    struct qfile *qf;
    char *id;
    size_t i;

    if ((qf = qfile_create(spec->queue, spec->long_ids, spec->mode, why)) == NULL)
        msg_fatal("create: %s", vstring_str(why));
    id = mystrdup(qfile_id(qf));
    make_check(qf, qfile_put_time(qf, &spec->arrival), "time");
    if (spec->have_warn)
        make_check(qf, qfile_put_warn(qf, spec->warn), "warn");
    for (i = 0; i < spec->attrs->argc; i++)
        make_put_attr(qf, spec->attrs->argv[i]);
    make_check(qf, qfile_put_sender(qf, spec->sender), "sender");
    if (spec->envid)
        make_check(qf, qfile_put_dsn_envid(qf, spec->envid), "envid");
    if (spec->ret)
        make_check(qf, qfile_put_dsn_ret(qf, spec->ret), "ret");
    for (i = 0; i < spec->rcpts->argc; i++)
        make_put_rcpt(qf, spec->rcpts->argv[i]);
    make_check(qf, qfile_begin_content(qf), "content");
    if (!spec->no_content)
        make_put_content(qf);
    make_check(qf, qfile_begin_extracted(qf), "extracted");
    if (spec->rrto)
        make_check(qf, qfile_put_rrto(qf, spec->rrto), "return_receipt");
    if (spec->erto)
        make_check(qf, qfile_put_erto(qf, spec->erto), "errors_to");
    for (i = 0; i < spec->xattrs->argc; i++)
        make_put_attr(qf, spec->xattrs->argv[i]);
    for (i = 0; i < spec->xrcpts->argc; i++)
        make_put_rcpt(qf, spec->xrcpts->argv[i]);
    if (qfile_commit(qf, why) < 0)
        msg_fatal("commit: %s", vstring_str(why));
    vstream_printf(vstream_stdout(), "%s\n", id);
    if (vstream_flush(vstream_stdout()) < 0)
        msg_fatal("write standard output: %m");
    myfree(id);
    vstring_free(why);
}

/* "sec" or "sec.usec" (usec as six or fewer digits, e.g. "12.5" = 5 us). */
static void
make_parse_time(const char *text, struct timeval *tv)
{
    char *end;

    tv->tv_sec = (time_t)strtoll(text, &end, 10);
    tv->tv_usec = 0;
    if (*end == '.')
        tv->tv_usec = (suseconds_t)strtol(end + 1, &end, 10);
    if (*end != 0 || tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_usec >= 1000000)
        msg_fatal("bad time: %s", text);
}

int
main(int argc, char **argv)
{
    struct make_spec spec = {MAIL_QUEUE_INCOMING,
                             0,
                             0600,
                             {0, 0},
                             0,
                             0,
                             "",
                             NULL,
                             0,
                             NULL,
                             NULL,
                             0,
                             argv_alloc(4),
                             argv_alloc(4),
                             argv_alloc(4),
                             argv_alloc(4)};
    const char *hash_names = "deferred, defer";
    int hash_depth = 1;
    int ch;

    msg_init("tern-test-qfile", MSG_STDERR);
    gettimeofday(&spec.arrival, NULL);
    while ((ch = getopt(argc, argv, "a:C:D:H:i:K:Lm:nP:q:r:s:t:w:X:x:y:")) > 0) {
        switch (ch) {
        case 'a':
            argv_add(spec.attrs, optarg);
            break;
        case 'C':
            if (chdir(optarg) < 0)
                msg_fatal("chdir %s: %m", optarg);
            break;
        case 'D':
            hash_depth = atoi(optarg);
            break;
        case 'H':
            hash_names = optarg;
            break;
        case 'i':
            spec.envid = optarg;
            break;
        case 'K':
            spec.erto = optarg;
            break;
        case 'L':
            spec.long_ids = 1;
            break;
        case 'm':
            spec.mode = (mode_t)strtol(optarg, NULL, 8);
            break;
        case 'n':
            spec.no_content = 1;
            break;
        case 'P':
            spec.rrto = optarg;
            break;
        case 'q':
            spec.queue = optarg;
            break;
        case 'r':
            argv_add(spec.rcpts, optarg);
            break;
        case 's':
            spec.sender = optarg;
            break;
        case 't':
            make_parse_time(optarg, &spec.arrival);
            break;
        case 'w':
            spec.warn = (time_t)strtoll(optarg, NULL, 10);
            spec.have_warn = 1;
            break;
        case 'X':
            argv_add(spec.xattrs, optarg);
            break;
        case 'x':
            argv_add(spec.xrcpts, optarg);
            break;
        case 'y':
            spec.ret = atoi(optarg);
            break;
        default:
            make_usage();
        }
    }
    if (optind != argc || !mail_queue_name_ok(spec.queue))
        make_usage();
    mail_queue_set_hash(hash_names, hash_depth < 1 ? 1 : hash_depth);
    make_write(&spec);
    argv_free(spec.attrs);
    argv_free(spec.rcpts);
    argv_free(spec.xattrs);
    argv_free(spec.xrcpts);
    return 0;
}
