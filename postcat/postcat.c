/*
 * postcat - show the contents of queue files, as Postfix's postcat(1).
 *
 *   postcat [-bdehoqrv] [-c config_dir] [-s offset] [files...]
 *
 * Prints each named file (standard input when there are none; "-q": the
 * names are queue ids, looked up in maildrop, incoming, active, deferred,
 * hold, saved and then corrupt, in that order) in the layout of
 * postcat_print.c. -e, -h and -b choose the envelope, the message header
 * and the message body (all three by default); -o and -d prefix each line
 * with the record's offset and decimal type; -s starts the output at the
 * record at that offset. -r ("do not follow pointer records") is accepted
 * and changes nothing: Tern's queue files have no pointer records, so
 * records are always shown in file order.
 *
 * Every file is checked in full (qfile_validate) before it is shown. A
 * valid file is shown whole. A damaged one is shown as far as its records
 * can be read, then reported on standard error ("warning: NAME: REASON",
 * the validator's reason); a file that is not a queue file at all is
 * reported as Postfix does ("NAME: input is not a valid queue file").
 * Either way postcat goes on with the next file and exits with status 1
 * at the end (Postfix exits 0 after such warnings). A missing file, a bad
 * queue id, an unusable option and a write error on standard output are
 * fatal (status 1), as in Postfix. Standard input that is not a regular
 * file (a pipe) is copied to an unnamed temporary file first.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "mail/mail_queue.h"
#include "mail/queue_id.h"
#include "postcat.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/vstring.h"

/* Where -q looks, in this order: Postfix's list, then the corrupt queue. */
static const char *const postcat_queues[] = {
    MAIL_QUEUE_MAILDROP, MAIL_QUEUE_INCOMING, MAIL_QUEUE_ACTIVE,  MAIL_QUEUE_DEFERRED,
    MAIL_QUEUE_HOLD,     MAIL_QUEUE_SAVED,    MAIL_QUEUE_CORRUPT, NULL,
};

static void
postcat_usage(const char *progname)
{
    msg_fatal("usage: %s [-b (body text)] [-c config_dir] [-d (decimal record type)] "
              "[-e (envelope records)] [-h (header text)] [-o (record offsets)] "
              "[-q (access queue)] [-r (records in file order)] [-s offset] [-v] [file(s)...]",
              progname);
}

/* Postfix's commands make sure that descriptors 0, 1 and 2 are open. */
static void
postcat_sane_fds(void)
{
    struct stat st;
    int fd;

    for (fd = 0; fd < 3; fd++)
        if (fstat(fd, &st) < 0 && (close(fd), open("/dev/null", O_RDWR, 0)) != fd)
            msg_fatal("open /dev/null: %m");
}

/* Copies a non-seekable standard input into an unnamed temporary file. */
static int
postcat_stdin_copy(void)
{
    const char *dir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char buf[8192];
    ssize_t n;
    int fd;

    if ((fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) < 0)
        msg_fatal("create temporary file in %s: %m", dir);
    while ((n = read(STDIN_FILENO, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            msg_fatal("read standard input: %m");
        if (write(fd, buf, (size_t)n) != n)
            msg_fatal("write temporary file in %s: %m", dir);
    }
    if (lseek(fd, 0, SEEK_SET) < 0)
        msg_fatal("seek temporary file: %m");
    return fd;
}

static int
postcat_stdin_fd(void)
{
    struct stat st;
    int fd;

    if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode)) {
        if ((fd = dup(STDIN_FILENO)) < 0)
            msg_fatal("dup standard input: %m");
        return fd;
    }
    return postcat_stdin_copy();
}

/* -q ID: the first queue that has the file; name gets "queue/[hash/]id". */
static int
postcat_queue_fd(const char *id, struct vstring *name)
{
    int fd;

    if (!queue_id_ok(id))
        msg_fatal("bad mail queue ID: %s", id);
    for (const char *const *qp = postcat_queues; *qp; qp++) {
        mail_queue_path(name, *qp, id);
        fd = open(vstring_str(name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd >= 0)
            return fd;
        if (errno != ENOENT)
            msg_fatal("open queue file %s: %m", vstring_str(name));
    }
    errno = ENOENT;
    msg_fatal("open queue file %s: %m", id);
}

/*
 * Shows one file; fd is taken over. Returns 0, or 1 when the file is not
 * a valid queue file or could not be read.
 */
static int
postcat_file(int fd, const char *name, const struct postcat_opts *opts)
{
    struct vstring *reason = vstring_alloc(100);
    struct vstring *why = vstring_alloc(100);
    struct qfile *qf;
    int valid;
    int dupfd;
    int ret = 0;

    if ((dupfd = dup(fd)) < 0)
        msg_fatal("dup: %m");
    valid = qfile_fdopen(dupfd, name, QFILE_OPEN_READ, &qf, reason);
    if (valid == QFILE_OK) {
        close(fd);
    } else if (valid == QFILE_SYSERR) {
        msg_warn("%s: %s", name, vstring_str(reason));
        close(fd);
        ret = 1;
        goto out;
    } else if (lseek(fd, 0, SEEK_SET) < 0 ||
               qfile_fdopen(fd, name, QFILE_OPEN_NOVALIDATE, &qf, why) != QFILE_OK) {
        msg_warn("%s: input is not a valid queue file", name);
        ret = 1;
        goto out;
    }
    if (postcat_print(qf, name, opts, why) < 0 && valid == QFILE_OK) {
        msg_warn("%s: %s", name, vstring_str(why));
        ret = 1;
    }
    if (valid != QFILE_OK) {
        msg_warn("%s: %s", name, vstring_str(reason));
        ret = 1;
    }
    qfile_close(qf);
out:
    vstring_free(reason);
    vstring_free(why);
    return ret;
}

/* -s OFFSET: decimal digits only. */
static uint64_t
postcat_offset(const char *text)
{
    char *end;
    unsigned long long value;

    errno = 0;
    value = strtoull(text, &end, 10);
    if (*text < '0' || *text > '9' || *end != 0 || errno == ERANGE)
        msg_fatal("bad offset: %s", text);
    return (uint64_t)value;
}

static void
postcat_configure(int by_queue)
{
    const char *queue_directory;

    mail_conf_read(NULL);
    mail_queue_configure();
    if (by_queue) {
        queue_directory = mail_conf_get("queue_directory");
        if (chdir(queue_directory) < 0)
            msg_fatal("chdir %s: %m", queue_directory);
    }
}

int
main(int argc, char **argv)
{
    struct postcat_opts opts = {0, 0};
    struct vstring *name = vstring_alloc(64);
    int by_queue = 0;
    int status = 0;
    int ch;

    postcat_sane_fds();
    msg_init(argv[0], MSG_STDERR);
    while ((ch = getopt(argc, argv, "+bc:dehoqrs:v")) > 0) {
        switch (ch) {
        case 'b':
            opts.flags |= POSTCAT_BODY;
            break;
        case 'c':
            if (setenv("MAIL_CONFIG", optarg, 1) < 0)
                msg_fatal("out of memory");
            break;
        case 'd':
            opts.flags |= POSTCAT_DECIMAL;
            break;
        case 'e':
            opts.flags |= POSTCAT_ENVELOPE;
            break;
        case 'h':
            opts.flags |= POSTCAT_HEADER;
            break;
        case 'o':
            opts.flags |= POSTCAT_OFFSET;
            break;
        case 'q':
            by_queue = 1;
            break;
        case 'r':
            break;
        case 's':
            opts.skip = postcat_offset(optarg);
            break;
        case 'v':
            msg_verbose++;
            break;
        default:
            postcat_usage(argv[0]);
        }
    }
    if ((opts.flags & (POSTCAT_ENVELOPE | POSTCAT_HEADER | POSTCAT_BODY)) == 0)
        opts.flags |= POSTCAT_ENVELOPE | POSTCAT_HEADER | POSTCAT_BODY;
    postcat_configure(by_queue);
    if (optind == argc)
        status |= postcat_file(postcat_stdin_fd(), "stdin", &opts);
    for (; optind < argc; optind++) {
        int fd;

        if (by_queue) {
            fd = postcat_queue_fd(argv[optind], name);
        } else {
            vstring_strcpy(name, argv[optind]);
            if ((fd = open(argv[optind], O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) < 0)
                msg_fatal("open %s: %m", argv[optind]);
        }
        status |= postcat_file(fd, vstring_str(name), &opts);
    }
    vstring_free(name);
    return status;
}
