/*
 * postsuper - queue maintenance for the superuser, as Postfix's
 * postsuper(1).
 *
 *   postsuper [-psSv] [-c config_dir] [-d queue_id] [-e queue_id]
 *             [-f queue_id] [-h queue_id] [-H queue_id] [-r queue_id]
 *             [queue...]
 *
 * Order of work: the checks (not set-uid, -c absolute, known queue
 * names), main.cf, the caller (root; or, for a personal instance, the
 * user who is its mail_owner), chdir to queue_directory, then the
 * privileges of mail_owner for everything else. Then -s/-S and -p (both when no
 * operation at all is given, as "postfix start" runs it), then the -d,
 * -e, -f, -h, -H and -r requests in command-line order (postsuper_ops.c),
 * then one count per kind of request that was made, in Postfix's order
 * and words: "Requeued: N messages", "Deleted: ...", "Force-expired:
 * ...", "Placed on hold: ...", "Released from hold: ...".
 *
 * When -s renamed message files, their ids changed: "Renamed to match
 * inode number: N messages" and a warning; if requests for ids were made
 * too, they are not carried out (the ids may name other messages now):
 * an error, a fatal "CHECK YOUR QUEUE IDS AND RE-ISSUE THE COMMAND" and
 * exit status 1. Any fatal error after the queue work started is followed
 * by "warning: OPERATION INCOMPLETE -- RERUN COMMAND TO FIX THE QUEUE
 * FIRST". Messages go to standard error and the mail log.
 */
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "config/mail_params.h"
#include "config/maillog_client.h"
#include "mail/mail_queue.h"
#include "postsuper.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/set_ugid.h"

/* Queue names accepted on the command line (Postfix's list). */
static const char *const postsuper_queue_names[] = {
    MAIL_QUEUE_MAILDROP, MAIL_QUEUE_INCOMING,
    MAIL_QUEUE_ACTIVE,   MAIL_QUEUE_DEFERRED,
    MAIL_QUEUE_HOLD,     MAIL_QUEUE_BOUNCE,
    MAIL_QUEUE_DEFER,    MAIL_QUEUE_TRACE,
    MAIL_QUEUE_FLUSH,    NULL,
};

struct postsuper_request {
    int op;          /* POSTSUPER_OP_* */
    const char *arg; /* queue id, "ALL" or "-" */
};

struct postsuper_args {
    struct postsuper_request *requests;
    int count;
    int structure; /* -s: 1, -S: 2 */
    int purge;     /* -p */
    int seen[256]; /* which request letters were given */
};

static void
postsuper_usage(const char *progname)
{
    msg_fatal("usage: %s [-c config_dir] [-d queue_id (delete)] [-e queue_id (expire)] "
              "[-f queue_id (expire and/or un-hold)] [-h queue_id (hold)] "
              "[-H queue_id (un-hold)] [-p (purge temporary files)] [-r queue_id (requeue)] "
              "[-s (structure fix)] [-S (redundant structure fix)] [-v (verbose)] [queue...]",
              progname);
}

static void
postsuper_incomplete(void)
{
    msg_warn("OPERATION INCOMPLETE -- RERUN COMMAND TO FIX THE QUEUE FIRST");
}

static void
postsuper_parse(int argc, char **argv, struct postsuper_args *args)
{
    int ch;

    args->requests = mycalloc((size_t)argc, sizeof(*args->requests));
    while ((ch = getopt(argc, argv, "+c:d:e:f:h:H:pr:sSv")) > 0) {
        switch (ch) {
        case 'c':
            if (*optarg != '/')
                msg_fatal("-c requires absolute pathname");
            if (setenv("MAIL_CONFIG", optarg, 1) < 0)
                msg_fatal("setenv: %m");
            break;
        case 'd':
        case 'e':
        case 'f':
        case 'h':
        case 'H':
        case 'r':
            args->requests[args->count].op = ch;
            args->requests[args->count++].arg = optarg;
            args->seen[ch] = 1;
            break;
        case 'p':
            args->purge = 1;
            break;
        case 's':
            args->structure = args->structure ? args->structure : 1;
            break;
        case 'S':
            args->structure = 2;
            break;
        case 'v':
            msg_verbose++;
            break;
        default:
            postsuper_usage(argv[0]);
        }
    }
    if (args->count == 0 && !args->structure && !args->purge) {
        args->structure = 1;
        args->purge = 1;
    }
}

static void
postsuper_queue_args(struct postsuper_ctx *ctx, int argc, char **argv)
{
    const char *const *qp;

    for (; optind < argc; optind++) {
        for (qp = postsuper_queue_names; *qp && strcmp(*qp, argv[optind]) != 0; qp++)
            ;
        if (*qp == NULL)
            msg_fatal("invalid directory name: %s", argv[optind]);
        argv_add(ctx->queues, argv[optind]);
    }
}

/*
 * main.cf, the caller (root, or the mail_owner of a personal instance, as
 * the postfix command allows), the queue directory, and mail_owner's
 * privileges.
 */
static void
postsuper_configure(struct postsuper_ctx *ctx)
{
    const char *main_cf;
    const char *queue_directory;
    const char *owner;
    struct passwd *pw;

    mail_conf_load(NULL); /* as Postfix: refuse other users before logging to the file */
    main_cf = mail_conf_path() ? mail_conf_path() : "main.cf";
    owner = mail_conf_get("mail_owner");
    pw = getpwnam(owner);
    if (!running_as_root() && (pw == NULL || pw->pw_uid != getuid()))
        msg_fatal("use of this command is reserved for the superuser");
    maillog_client_setup();
    if (pw == NULL)
        msg_fatal("file %s: parameter mail_owner: unknown user name value: %s", main_cf, owner);
    if (pw->pw_uid == 0)
        msg_fatal("file %s: parameter mail_owner: user %s has privileged user ID", main_cf, owner);
    if (pw->pw_gid == 0)
        msg_fatal("file %s: parameter mail_owner: user %s has privileged group ID", main_cf, owner);
    mail_queue_configure();
    ctx->long_ids = mail_conf_get_bool("enable_long_queue_ids");
    queue_directory = mail_conf_get("queue_directory");
    if (chdir(queue_directory) < 0)
        msg_fatal("chdir %s: %m", queue_directory);
    set_ugid(pw->pw_uid, pw->pw_gid);
}

static void
postsuper_count(const char *what, int count)
{
    msg_info("%s: %d message%s", what, count, count == 1 ? "" : "s");
}

static void
postsuper_report(const struct postsuper_args *args, const struct postsuper_counts *counts)
{
    if (args->seen[POSTSUPER_OP_REQUEUE])
        postsuper_count("Requeued", counts->requeued);
    if (args->seen[POSTSUPER_OP_DELETE])
        postsuper_count("Deleted", counts->deleted);
    if (args->seen[POSTSUPER_OP_EXPIRE] || args->seen[POSTSUPER_OP_EXPIRE_RELEASE])
        postsuper_count("Force-expired", counts->expired);
    if (args->seen[POSTSUPER_OP_HOLD])
        postsuper_count("Placed on hold", counts->held);
    if (args->seen[POSTSUPER_OP_RELEASE] || args->seen[POSTSUPER_OP_EXPIRE_RELEASE])
        postsuper_count("Released from hold", counts->released);
}

int
main(int argc, char **argv)
{
    struct postsuper_args args;
    struct postsuper_ctx ctx;
    int renamed = 0;

    if (argc > 0 && strrchr(argv[0], '/') != NULL && strrchr(argv[0], '/')[1])
        argv[0] = strrchr(argv[0], '/') + 1; /* getopt's messages, as Postfix */
    msg_init("postsuper", MSG_STDERR | MSG_SYSLOG);
    if (running_set_ugid())
        msg_fatal("this postfix command must not run as a set-uid process");
    memset(&args, 0, sizeof(args));
    memset(&ctx, 0, sizeof(ctx));
    ctx.queues = argv_alloc(4);
    postsuper_parse(argc, argv, &args);
    postsuper_queue_args(&ctx, argc, argv);
    postsuper_configure(&ctx);
    msg_set_cleanup(postsuper_incomplete);
    if (args.structure)
        renamed = postsuper_structure(&ctx, args.structure == 2);
    if (args.purge)
        postsuper_purge(&ctx);
    if (renamed > 0) {
        if (args.count > 0) {
            msg_error("QUEUE FILE NAMES WERE CHANGED TO MATCH INODE NUMBERS");
            msg_fatal("CHECK YOUR QUEUE IDS AND RE-ISSUE THE COMMAND");
        }
        postsuper_count("Renamed to match inode number", renamed);
        msg_warn("QUEUE FILE NAMES WERE CHANGED TO MATCH INODE NUMBERS");
    }
    for (int i = 0; i < args.count; i++)
        postsuper_op(&ctx, args.requests[i].op, args.requests[i].arg);
    postsuper_report(&args, &ctx.counts);
    msg_set_cleanup(NULL);
    myfree(args.requests);
    argv_free(ctx.queues);
    return 0;
}
