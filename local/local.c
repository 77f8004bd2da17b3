/*
 * local - the local(8) delivery agent: delivers each recipient of a
 * deliver_v1 request (docs/ipc.md) through aliases, .forward files,
 * :include: files, commands, files, mailboxes and maildirs, as Postfix's
 * local(8) does (man 8 local is the specification).
 *
 * Runs as root (master.cf "local unix - n n - - local", no chroot) and
 * acts as the recipient for every file it writes and every command it
 * runs (set_eugid in the process for files, a child with set_ugid for
 * commands). Single-style server: one request per connection.
 *
 * Per queue recipient the walk (recipient.c) records "leaves", one per
 * final delivery (a mailbox, a command, a file, a forwarded address, a
 * bounce). Each leaf gets a delivery log line of its own with its address
 * in to=<...>; the reply to qmgr for the queue recipient is the worst
 * leaf: deferred if any leaf was deferred (the next attempt delivers to
 * all of them again, as in Postfix), else bounced if any bounced, else
 * sent. For sendmail -bv (DEL_REQ_FLAG_EXPAND) every leaf also goes back
 * to qmgr as an expansion of the recipient (docs/ipc.md), so the report
 * lists each; for an alias or .forward, the "expanded" record of DSN
 * NOTIFY=SUCCESS and the bounced members go back the same way
 * (local_report_expanded), so that notices name them as Postfix's do.
 *
 * A process whose alias table changed exits before it takes the next
 * connection ("table ... has changed -- restarting"), as Postfix's does.
 *
 * Bad input: a request that cannot be read is dropped (deliver_request
 * logs why); a queue file that cannot be opened defers every recipient.
 * Configuration errors (an unknown mailbox_delivery_lock or
 * allow_mail_to_* class, an unknown default_privs user) are fatal at
 * start-up.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "local.h"
#include "mail/mbox_open.h"
#include "master/mail_server.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/stringops.h"

struct local_config local_config;

/* Parses a list of class names into bits; fatal on an unknown name. */
static int
local_class_mask(const char *param, const char *const *names, const int *bits)
{
    struct argv *words = argv_split(mail_conf_get(param), CHARS_COMMA_SP);
    int mask = 0;
    int i;

    for (size_t w = 0; w < words->argc; w++) {
        for (i = 0; names[i] != NULL; i++)
            if (strcasecmp(words->argv[w], names[i]) == 0)
                break;
        if (names[i] == NULL)
            msg_fatal("parameter %s: unknown value: %s", param, words->argv[w]);
        mask |= bits[i];
    }
    argv_free(words);
    return mask;
}

static void
local_read_privs(void)
{
    const char *name = mail_conf_get("default_privs");
    struct local_user *user = local_user_lookup(name);

    if (user == NULL)
        msg_fatal("unknown %s user: %s", "default_privs", name);
    if (user->uid == 0)
        msg_fatal("%s: user %s has privileged user ID", "default_privs", name);
    local_config.default_uid = user->uid;
    local_config.default_gid = user->gid;
    local_user_free(user);
}

/* The tables of a *_maps parameter, or NULL when it is empty. */
static struct maps *
local_maps_open(const char *param)
{
    const char *value = mail_conf_get(param);

    return *value ? maps_create(param, value, DICT_FLAG_DEFAULT | DICT_FLAG_NO_REGSUB) : NULL;
}

/*
 * Looks KEY up in MAPS (may be NULL): 1 found (*value), 0 not found, -1
 * when a table failed (the recipient is then deferred here).
 */
int
local_maps_find(struct local_state *state, struct maps *maps, const char *key, const char **value)
{
    if (maps == NULL)
        return 0;
    if ((*value = maps_find(maps, key, 0)) != NULL)
        return 1;
    if (maps->error == DICT_ERR_NONE)
        return 0;
    local_leaf(state, DEL_RCPT_DEFER, "4.3.0", "delayed", "table lookup failure");
    return -1;
}

static void
local_read_config(const char *service)
{
    static const char *const ctx_names[] = {"alias", "forward", "include", NULL};
    static const int ctx_bits[] = {LOCAL_CTX_ALIAS, LOCAL_CTX_FORWARD, LOCAL_CTX_INCLUDE};
    static const char *const hdr_names[] = {"command", "file", "forward", NULL};
    static const int hdr_bits[] = {LOCAL_HDR_COMMAND, LOCAL_HDR_FILE, LOCAL_HDR_FORWARD};
    struct local_config *c = &local_config;

    c->service = service;
    c->alias_maps = maps_create("alias_maps", mail_conf_get("alias_maps"),
                                DICT_FLAG_DEFAULT | DICT_FLAG_NO_REGSUB);
    c->mailbox_transport_maps = local_maps_open("mailbox_transport_maps");
    c->mailbox_command_maps = local_maps_open("mailbox_command_maps");
    c->fallback_transport_maps = local_maps_open("fallback_transport_maps");
    c->biff = mail_conf_get_bool("biff");
    c->forward_path = mail_conf_raw("forward_path");
    c->allow_commands = local_class_mask("allow_mail_to_commands", ctx_names, ctx_bits);
    c->allow_files = local_class_mask("allow_mail_to_files", ctx_names, ctx_bits);
    c->hdr_mask = local_class_mask("prepend_delivered_header", hdr_names, hdr_bits);
    if ((c->lock_mask = mbox_lock_mask(mail_conf_get("mailbox_delivery_lock"))) < 0)
        msg_fatal("parameter %s: unknown lock method: %s", "mailbox_delivery_lock",
                  mail_conf_get("mailbox_delivery_lock"));
    c->mail_spool_directory = mail_conf_get("mail_spool_directory");
    c->home_mailbox = mail_conf_get("home_mailbox");
    c->mailbox_command = mail_conf_raw("mailbox_command");
    c->mailbox_transport = mail_conf_get("mailbox_transport");
    c->fallback_transport = mail_conf_get("fallback_transport");
    c->luser_relay = mail_conf_raw("luser_relay");
    c->recipient_delimiter = mail_conf_get("recipient_delimiter");
    c->command_execution_directory = mail_conf_raw("command_execution_directory");
    c->forward_expansion_filter = mail_conf_get("forward_expansion_filter");
    c->command_expansion_filter = mail_conf_get("command_expansion_filter");
    c->execution_directory_expansion_filter = mail_conf_get("execution_directory_expansion_filter");
    c->local_command_shell = mail_conf_get("local_command_shell");
    c->export_environment = mail_conf_get("export_environment");
    c->cleanup_service_name = mail_conf_get("cleanup_service_name");
    c->command_time_limit = (int)mail_conf_get_time("command_time_limit");
    c->duplicate_filter_limit = (int)mail_conf_get_int("duplicate_filter_limit");
    c->owner_request_special = mail_conf_get_bool("owner_request_special");
    c->expand_owner_alias = mail_conf_get_bool("expand_owner_alias");
    c->reset_owner_alias = mail_conf_get_bool("reset_owner_alias");
    c->strict_mailbox_ownership = mail_conf_get_bool("strict_mailbox_ownership");
    c->require_home_directory = mail_conf_get_bool("require_home_directory");
    c->frozen_delivered_to = mail_conf_get_bool("frozen_delivered_to");
    c->line_length_limit = (int)mail_conf_get_int("line_length_limit");
    local_read_privs();
}

/*
 * Notes that STATE's address was expanded (LIST: through an owner- alias).
 * Only the queue recipient's own expansion counts: for DSN NOTIFY=SUCCESS
 * it is reported "expanded" (a mailing list "delivered") with "alias
 * expanded", and its members' notices go no further (forward.c).
 */
void
local_expanded(struct local_state *state, int list)
{
    if (state->level == 0 && !state->lr->expanded) {
        state->lr->expanded = 1;
        state->lr->expanded_list = list;
    }
}

/* The original recipient of a delivery: none below an owner- alias (a mailing list). */
const char *
local_orig_rcpt(const struct local_state *state)
{
    return state->owner_alias ? "" : state->lr->orig_rcpt;
}

/* Records one final result of the current queue recipient. */
void
local_leaf_relay(struct local_state *state, const char *relay, int status, const char *dsn,
                 const char *action, const char *reason)
{
    struct local_request *lr = state->lr;
    struct local_leaf *leaf;

    lr->leaves = myrealloc(lr->leaves, sizeof(*lr->leaves) * (size_t)(lr->leaf_count + 1));
    leaf = lr->leaves + lr->leaf_count++;
    leaf->address = mystrdup(state->address);
    leaf->orig_rcpt = mystrdup(local_orig_rcpt(state));
    leaf->status = status;
    leaf->dsn = mystrdup(dsn);
    if (lr->verify)
        action = status == DEL_RCPT_OK ? "deliverable" : "undeliverable";
    leaf->action = mystrdup(action);
    leaf->reason = mystrdup(reason);
    leaf->relay = mystrdup(relay);
}

void
local_leaf(struct local_state *state, int status, const char *dsn, const char *action,
           const char *fmt, ...)
{
    struct vstring *reason = vstring_alloc(100);
    va_list ap;

    va_start(ap, fmt);
    vstring_vsprintf_append(reason, fmt, ap);
    va_end(ap);
    local_leaf_relay(state, "local", status, dsn, action, vstring_str(reason));
    vstring_free(reason);
}

/* 1 when KIND KEY was seen before for this queue recipient; else remembers it. */
int
local_dup_seen(struct local_request *lr, const char *kind, const char *key)
{
    struct vstring *buf = vstring_alloc(100);
    int seen;

    vstring_sprintf(buf, "%s %s", kind, key);
    if ((seen = htable_find(lr->dup_filter, vstring_str(buf)) != NULL) == 0 &&
        (local_config.duplicate_filter_limit <= 0 ||
         (int)lr->dup_filter->used < local_config.duplicate_filter_limit))
        htable_enter(lr->dup_filter, vstring_str(buf), (void *)1);
    vstring_free(buf);
    return seen;
}

/* Logs a leaf that is not the one reported to qmgr, through a one-recipient view of req. */
static void
local_log_leaf(struct local_request *lr, const struct local_leaf *leaf)
{
    struct deliver_request view = *lr->req;
    struct deliver_rcpt rcpt = lr->req->rcpt[lr->index];
    struct deliver_result res;

    memset(&res, 0, sizeof(res));
    rcpt.address = leaf->address;
    rcpt.orig_rcpt = leaf->orig_rcpt;
    view.rcpt_count = 1;
    view.rcpt = &rcpt;
    view.result = &res;
    deliver_result(&view, 0, leaf->status, leaf->dsn, leaf->action, leaf->relay, "%s",
                   leaf->reason);
    myfree(res.dsn_status);
    myfree(res.dsn_action);
    myfree(res.relay);
    myfree(res.reason);
}

/* The leaf whose status becomes the queue recipient's: first defer, else first bounce, else last.
 */
static int
local_primary_leaf(const struct local_request *lr)
{
    for (int want = DEL_RCPT_DEFER; want <= DEL_RCPT_BOUNCE; want++)
        for (int i = 0; i < lr->leaf_count; i++)
            if (lr->leaves[i].status == want)
                return i;
    return lr->leaf_count - 1;
}

/* Sends LEAF back to qmgr as a leaf of the recipient's expansion. */
static void
local_report_leaf(struct local_request *lr, const struct local_leaf *leaf)
{
    struct deliver_expansion e;

    e.status = leaf->status;
    e.address = leaf->address;
    e.orig_rcpt = leaf->orig_rcpt;
    e.dsn_status = leaf->dsn;
    e.dsn_action = leaf->action;
    e.reason = leaf->reason;
    e.relay = leaf->relay;
    deliver_result_expansion(lr->req, lr->index, &e);
}

/* sendmail -bv: every leaf goes back to qmgr as a recipient of the report. */
static void
local_report_expansion(struct local_request *lr)
{
    for (int i = 0; i < lr->leaf_count; i++)
        local_report_leaf(lr, lr->leaves + i);
}

/*
 * An alias or .forward of the queue recipient, not deferred: what qmgr
 * records instead of the recipient's own result, as Postfix - for
 * NOTIFY=SUCCESS the recipient "expanded" (a mailing list: "delivered")
 * with "alias expanded", and each bounced member under its own address.
 * Nothing when neither applies.
 */
static void
local_report_expanded(struct local_request *lr)
{
    const struct deliver_rcpt *rcpt = lr->req->rcpt + lr->index;
    struct deliver_expansion e;

    if (rcpt->notify & REC_NOTIFY_SUCCESS) {
        e.status = DEL_RCPT_OK;
        e.address = rcpt->address;
        e.orig_rcpt = (char *)lr->orig_rcpt;
        e.dsn_status = "2.0.0";
        e.dsn_action = lr->expanded_list ? "delivered" : "expanded";
        e.reason = "alias expanded";
        e.relay = "local";
        deliver_result_expansion(lr->req, lr->index, &e);
    }
    for (int i = 0; i < lr->leaf_count; i++)
        if (lr->leaves[i].status == DEL_RCPT_BOUNCE)
            local_report_leaf(lr, lr->leaves + i);
}

/* Logs every leaf and records the queue recipient's result (and, for -bv, the leaves). */
static void
local_report(struct local_request *lr)
{
    struct deliver_rcpt *rcpt = lr->req->rcpt + lr->index;
    char *saved_addr = rcpt->address;
    char *saved_orig = rcpt->orig_rcpt;
    const struct local_leaf *leaf;
    int primary;

    if (lr->leaf_count == 0) {
        deliver_result(lr->req, lr->index, DEL_RCPT_OK, "2.0.0", "delivered", "local",
                       "delivered to duplicate destinations");
        return;
    }
    /* Lines in the order of the deliveries; the primary one is the reply. */
    primary = local_primary_leaf(lr);
    for (int i = 0; i < lr->leaf_count; i++) {
        if (i != primary) {
            local_log_leaf(lr, lr->leaves + i);
            continue;
        }
        leaf = lr->leaves + primary;
        rcpt->address = leaf->address;
        rcpt->orig_rcpt = leaf->orig_rcpt;
        deliver_result(lr->req, lr->index, leaf->status, leaf->dsn, leaf->action, leaf->relay, "%s",
                       leaf->reason);
        rcpt->address = saved_addr;
        rcpt->orig_rcpt = saved_orig;
    }
    if (lr->req->flags & DEL_REQ_FLAG_EXPAND)
        local_report_expansion(lr);
    else if (!lr->verify && lr->expanded && lr->leaves[primary].status != DEL_RCPT_DEFER)
        local_report_expanded(lr);
}

/* Collects the Delivered-To: header values of the message (lower case). */
static struct argv *
local_delivered_headers(struct qfile *qf)
{
    struct argv *values = argv_alloc(4);
    struct vstring *why = vstring_alloc(100);
    struct qfile_rec rec;
    int type, at_start = 1;
    char *value;

    if (qfile_seek_content(qf, why) < 0) {
        vstring_free(why);
        return values;
    }
    while ((type = qfile_read(qf, &rec, why)) > 0 && type != REC_TYPE_XTRA) {
        if (at_start && type == REC_TYPE_NORM && rec.len == 0)
            break;
        if (at_start && strncasecmp(rec.data, "Delivered-To:", 13) == 0) {
            value = mystrdup(rec.data + 13);
            argv_add(values, lowercase(trim_blanks(value)));
            myfree(value);
        }
        at_start = (type == REC_TYPE_NORM);
    }
    vstring_free(why);
    return values;
}

static void
local_request_free(struct local_request *lr)
{
    for (int i = 0; i < lr->leaf_count; i++) {
        myfree(lr->leaves[i].address);
        myfree(lr->leaves[i].orig_rcpt);
        myfree(lr->leaves[i].dsn);
        myfree(lr->leaves[i].action);
        myfree(lr->leaves[i].reason);
        myfree(lr->leaves[i].relay);
    }
    myfree(lr->leaves);
    htable_free(lr->dup_filter, NULL);
    argv_free(lr->fwd_addrs);
    argv_free(lr->fwd_senders);
    argv_free(lr->fwd_delivered);
    argv_free(lr->fwd_orig);
}

/* Delivers queue recipient INDEX. */
static void
local_deliver_one(struct deliver_request *req, struct qfile *qf, struct argv *delivered, int index)
{
    struct local_request lr;
    struct local_state state;
    const char *address = req->rcpt[index].address;

    memset(&lr, 0, sizeof(lr));
    lr.req = req;
    lr.index = index;
    lr.verify = (req->flags & (DEL_REQ_FLAG_VERIFY | DEL_REQ_FLAG_EXPAND)) != 0;
    lr.qf = qf;
    lr.orig_rcpt = *req->rcpt[index].orig_rcpt ? req->rcpt[index].orig_rcpt : address;
    lr.dup_filter = htable_create(16);
    lr.delivered_hdrs = delivered;
    lr.fwd_addrs = argv_alloc(2);
    lr.fwd_senders = argv_alloc(2);
    lr.fwd_delivered = argv_alloc(2);
    lr.fwd_orig = argv_alloc(2);
    memset(&state, 0, sizeof(state));
    state.lr = &lr;
    state.address = address;
    state.sender = req->sender;
    state.delivered = address;
    state.uid = local_config.default_uid;
    state.gid = local_config.default_gid;
    local_deliver_recipient(state);
    local_forward_flush(&lr);
    local_report(&lr);
    local_request_free(&lr);
}

static void
local_serve(struct vstream *client, const char *service, char **args)
{
    struct vstring *why = vstring_alloc(100);
    struct deliver_request *req;
    struct argv *delivered;
    struct qfile *qf;

    (void)service;
    (void)args;
    if ((req = deliver_request_read(client)) == NULL) {
        vstring_free(why);
        return;
    }
    if ((qf = deliver_request_content(req, why)) == NULL) {
        for (int i = 0; i < req->rcpt_count; i++)
            deliver_result(req, i, DEL_RCPT_DEFER, "4.3.0", "delayed", "local",
                           "cannot open queue file: %s", vstring_str(why));
    } else {
        delivered = local_delivered_headers(qf);
        for (int i = 0; i < req->rcpt_count; i++)
            local_deliver_one(req, qf, delivered, i);
        argv_free(delivered);
        qfile_close(qf);
    }
    deliver_request_done(req, 0, "");
    vstring_free(why);
}

/* A changed alias table: exit so that the master starts a fresh process (Postfix's wording). */
static void
local_pre_accept(const char *service, char **args)
{
    struct maps *maps = local_config.alias_maps;

    (void)service;
    (void)args;
    for (size_t i = 0; i < maps->names->argc; i++) {
        if (dict_changed(maps->dicts[i])) {
            msg_info("table %s has changed -- restarting", maps->names->argv[i]);
            exit(0);
        }
    }
}

static void
local_pre_init(const char *service, char **args)
{
    long limit;
    struct rlimit rl;

    (void)args;
    local_read_config(service);
    if ((limit = mail_conf_get_size("mailbox_size_limit")) > 0) {
        rl.rlim_cur = rl.rlim_max = (rlim_t)limit;
        if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
            msg_fatal("set file size limit %ld: %m", limit);
    }
    signal(SIGXFSZ, SIG_IGN);
}

int
main(int argc, char **argv)
{
    static const struct mail_server server = {
        .serve = local_serve,
        .pre_init = local_pre_init,
        .pre_accept = local_pre_accept,
    };

    single_server_main(argc, argv, &server);
}
