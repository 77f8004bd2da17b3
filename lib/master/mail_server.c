/*
 * mail_server - the start-up that every daemon style shares (mail_server.h
 * steps 1-6): command line, main.cf and -o overrides, logging names,
 * standard descriptors and signals, the pre-jail hook, the jail and the
 * user change, the post-jail hook.
 *
 * Entry points: mail_server_start() (for single_server.c, multi_server.c and
 * trigger_server.c), mail_server_service(), mail_server_type().
 *
 * Order matters in two places. Descriptors 0, 1 and 2 are made sane before
 * anything else (even before step 1), so that no file opened later can land
 * on them and receive stray log output. And the -o overrides go in after
 * main.cf is read and before anything looks at a parameter, so that a
 * master.cf "-o max_idle=10" or "-o syslog_name=..." counts everywhere.
 *
 * Logging: records go to syslog, or to the postlogd service when main.cf
 * (after the -o overrides) sets maillog_file (lib/config/maillog_client.h),
 * with the tag SYSLOG_NAME/PROGRAM, and also to standard error, which the
 * master points at /dev/null; a daemon started by hand (or by a test) thus
 * shows its early fatal errors on stderr.
 *
 * Bad input: every bad option, a missing listener or status pipe, a bad
 * GENERATION and an unusable mail_owner are fatal, with Postfix's wording
 * where Postfix has one. A process that is not root skips the jail and the
 * user change (a personal instance runs everything as its own user).
 *
 * Memory: a daemon serves one request after another with the same working
 * set (a 64 KB read buffer, a queue file's records), so freed memory is
 * kept rather than given back: without that, glibc shrinks the heap after
 * nearly every request and grows it again for the next one, a brk pair,
 * fresh zeroed pages and a TLB flush per message (bench/README.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "config/maillog_client.h"
#include "config/mail_params.h"
#include "mail/mail_queue.h"
#include "master/mail_server_private.h"
#include "master/master_proto.h"
#include "util/argv.h"
#include "util/iostuff.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/set_ugid.h"
#include "util/stringops.h"

struct mail_server_state mail_server_state;

const char *
mail_server_service(void)
{
    return mail_server_state.service ? mail_server_state.service : "";
}

const char *
mail_server_type(void)
{
    return mail_server_state.type ? mail_server_state.type : "";
}

static int
mail_server_type_ok(const char *type, const char *types)
{
    struct argv *list = argv_split(types, " ");
    int found = 0;

    for (size_t i = 0; i < list->argc && !found; i++)
        found = strcmp(list->argv[i], type) == 0;
    argv_free(list);
    return found;
}

/* Step 1: the command line. Overrides are collected for step 2. */
static void
mail_server_options(int argc, char **argv, struct argv *overrides)
{
    struct mail_server_state *st = &mail_server_state;
    const char *slash;
    int ch;

    st->listen_count = 1;
    opterr = 0;
    while ((ch = getopt(argc, argv, "+:cln:o:s:St:uv")) != -1) {
        switch (ch) {
        case 'c':
            st->chroot = 1;
            break;
        case 'l':
            st->solitary = 1;
            break;
        case 'n':
            st->service = optarg;
            break;
        case 'o':
            argv_add(overrides, optarg);
            break;
        case 's':
            if (!alldig(optarg) || (st->listen_count = atoi(optarg)) <= 0 ||
                st->listen_count > 1000)
                msg_fatal("invalid socket_count: %s", optarg);
            break;
        case 'S':
            st->standalone = 1;
            break;
        case 't':
            st->type = optarg;
            break;
        case 'u':
            st->unprivileged = 1;
            break;
        case 'v':
            msg_verbose++;
            break;
        case ':':
            msg_fatal("option -%c requires an argument", optopt);
        default:
            msg_fatal("invalid option: %c", optopt > 32 && optopt < 127 ? optopt : '?');
        }
    }
    st->args = argv + optind;
    if (st->service == NULL)
        st->service = (slash = strrchr(argv[0], '/')) ? slash + 1 : argv[0];
    if (st->standalone)
        st->listen_count = 0;
}

/* Step 2: main.cf, the -o overrides, the logging names. */
static void
mail_server_config(struct argv *overrides)
{
    const char *dir;

    mail_conf_read(NULL);
    for (size_t i = 0; i < overrides->argc; i++) {
        char *copy = mystrdup(overrides->argv[i]);
        char *name;
        char *value;
        const char *err;

        if ((err = mail_conf_split_nameval(copy, &name, &value)) != NULL)
            msg_fatal("invalid \"-o %s\" option value: %s", overrides->argv[i], err);
        mail_conf_set(name, value);
        myfree(copy);
    }
    maillog_client_setup(); /* again: -o may change syslog_name or maillog_file */
    mail_queue_configure();
    if (getenv("MAIL_VERBOSE") != NULL)
        msg_verbose++;
    mail_server_state.max_use = mail_conf_get_int("max_use");
    mail_server_state.max_idle = mail_conf_get_time("max_idle");
    mail_server_state.daemon_timeout = mail_conf_get_time("daemon_timeout");
    dir = mail_conf_get("queue_directory");
    if (chdir(dir) < 0)
        msg_fatal("chdir(\"%s\"): %m", dir);
}

/* The master's generation, hexadecimal; absent means 0. */
static void
mail_server_generation(void)
{
    const char *gen = getenv(MASTER_GEN_NAME);
    char *end;
    unsigned long value;

    if (gen == NULL)
        return;
    errno = 0;
    value = strtoul(gen, &end, 16);
    if (*gen == 0 || *end != 0 || errno != 0 || value > 0xffffffffUL || *gen == '-')
        msg_fatal("bad generation: %s", gen);
    mail_server_state.generation = (unsigned)value;
}

/* Fatal unless fd is open and is what the service type needs. */
static void
mail_server_check_listener(int fd, const char *type)
{
    struct stat sb;
    int sock_type = 0;
    socklen_t len = sizeof(sock_type);
    int want_fifo = strcmp(type, "fifo") == 0;
    int want_dgram = strcmp(type, "unix-dgram") == 0;

    if (fstat(fd, &sb) < 0)
        msg_fatal("no %s listener at descriptor %d: %m", type, fd);
    if (want_fifo ? !S_ISFIFO(sb.st_mode) : !S_ISSOCK(sb.st_mode))
        msg_fatal("descriptor %d is not a %s listener", fd, type);
    if (!want_fifo) {
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &sock_type, &len) < 0)
            msg_fatal("getsockopt descriptor %d: %m", fd);
        if ((sock_type == SOCK_DGRAM) != want_dgram)
            msg_fatal("descriptor %d is not a %s listener", fd, type);
    }
    close_on_exec(fd, CLOSE_ON_EXEC);
    non_blocking(fd, NON_BLOCKING);
}

/* The descriptors the master must have passed; fatal when one is missing. */
static void
mail_server_check_master(const char *types)
{
    struct mail_server_state *st = &mail_server_state;

    if (st->standalone)
        return;
    if (st->type == NULL)
        msg_fatal("no transport type specified");
    if (!mail_server_type_ok(st->type, types))
        msg_fatal("unsupported transport type: %s", st->type);
    if (fcntl(MASTER_STATUS_FD, F_GETFD) < 0)
        msg_fatal("status descriptor %d is not open: not started by the master"
                  " (use -S to run stand-alone)",
                  MASTER_STATUS_FD);
    close_on_exec(MASTER_STATUS_FD, CLOSE_ON_EXEC);
    for (int i = 0; i < st->listen_count; i++)
        mail_server_check_listener(MASTER_LISTEN_FD + i, st->type);
}

/* Step 5: the jail and the user change, for a process that runs as root. */
static void
mail_server_drop_privileges(void)
{
    struct mail_server_state *st = &mail_server_state;
    const char *owner = NULL;
    const char *jail = NULL;
    struct passwd *pwd;

    if (!st->unprivileged && !st->chroot)
        return;
    if (geteuid() != 0) {
        if (msg_verbose)
            msg_info("not running as root: no jail, no user change");
        return;
    }
    if (st->unprivileged) {
        owner = mail_conf_get("mail_owner");
        if ((pwd = getpwnam(owner)) == NULL)
            msg_fatal("file %s: parameter mail_owner: unknown user name value: %s",
                      mail_conf_path(), owner);
        if (pwd->pw_uid == 0)
            msg_fatal("file %s: parameter mail_owner: user %s has privileged user ID",
                      mail_conf_path(), owner);
        if (pwd->pw_gid == 0)
            msg_fatal("file %s: parameter mail_owner: user %s has privileged group ID",
                      mail_conf_path(), owner);
    }
    if (st->chroot)
        jail = mail_conf_get("queue_directory");
    chroot_uid(jail, owner);
}

/* Keeps freed heap memory for the next request (see the header comment). */
static void
mail_server_keep_memory(void)
{
    (void)mallopt(M_TRIM_THRESHOLD, 8 * 1024 * 1024);
    (void)mallopt(M_TOP_PAD, 256 * 1024);
    (void)mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
}

void
mail_server_start(int argc, char **argv, const struct mail_server *server, const char *types)
{
    struct argv *overrides = argv_alloc(4);

    sane_stdio();
    mail_server_keep_memory();
    msg_init(argc > 0 ? argv[0] : "mail_server", MSG_STDERR | MSG_SYSLOG);
    mail_server_state.server = server;
    mail_server_options(argc, argv, overrides);
    mail_server_config(overrides);
    argv_free(overrides);
    mail_server_generation();
    mail_server_check_master(types);
    if (server->solitary && !mail_server_state.solitary && !mail_server_state.standalone)
        msg_fatal("service %s requires a process limit of 1", mail_server_state.service);
    signal(SIGPIPE, SIG_IGN);
    mail_server_catch_sigterm();
    if (msg_verbose)
        msg_info("daemon started -- service %s type %s", mail_server_service(),
                 *mail_server_type() ? mail_server_type() : "(stand-alone)");
    if (server->pre_init)
        server->pre_init(mail_server_state.service, mail_server_state.args);
    mail_server_drop_privileges();
    if (server->post_init)
        server->post_init(mail_server_state.service, mail_server_state.args);
}
