/*
 * local - the local(8) delivery agent's shared declarations.
 *
 * One queue recipient is handled by one struct local_request: its
 * duplicate filter, the message's Delivered-To: addresses, the results
 * found so far ("leaves": one per final delivery, each logged as its own
 * delivery line) and the addresses to forward in one new message. The
 * walk through aliases, .forward and :include: files passes a struct
 * local_state by value: a child state is a copy with some fields changed
 * (address, level, context, privileges, sender), so nothing needs undoing
 * on the way back.
 *
 * Files: local.c (daemon, per-recipient results), recipient.c (the
 * delivery order: loop check, aliases, .forward, mailbox, unknown user),
 * alias.c, dotforward.c, include.c, token.c (alias/.forward right-hand
 * sides), mailbox.c (mbox and dispatch), maildir.c, file.c, command.c,
 * forward.c (resubmission through cleanup), pass.c (mailbox_transport,
 * fallback_transport), expand.c ($name expansion with filters), user.c.
 */
#ifndef TERN_LOCAL_H
#define TERN_LOCAL_H

#include <sys/types.h>

#include "mail/deliver_request.h"
#include "mail/maps.h"
#include "mail/qfile.h"
#include "util/argv.h"
#include "util/htable.h"
#include "util/vstring.h"

/* Where an address came from: allow_mail_to_commands/_files classes. */
#define LOCAL_CTX_ALIAS (1 << 0)
#define LOCAL_CTX_FORWARD (1 << 1)
#define LOCAL_CTX_INCLUDE (1 << 2)

/* prepend_delivered_header classes. */
#define LOCAL_HDR_COMMAND (1 << 0)
#define LOCAL_HDR_FILE (1 << 1)
#define LOCAL_HDR_FORWARD (1 << 2)

#define LOCAL_MAX_LEVEL 100 /* nesting of aliases, .forward, :include: */

/* Configuration, read once at start-up (local.c). */
struct local_config {
    struct maps *alias_maps;
    struct maps *mailbox_transport_maps; /* NULL when the parameter is empty */
    struct maps *mailbox_command_maps;
    struct maps *fallback_transport_maps;
    int biff;
    const char *forward_path; /* raw: expanded per recipient */
    int allow_commands;       /* LOCAL_CTX_* bits */
    int allow_files;
    int hdr_mask;  /* LOCAL_HDR_* bits */
    int lock_mask; /* MBOX_*_LOCK */
    const char *mail_spool_directory;
    const char *home_mailbox;
    const char *mailbox_command; /* raw */
    const char *mailbox_transport;
    const char *fallback_transport;
    const char *luser_relay; /* raw */
    const char *recipient_delimiter;
    const char *command_execution_directory; /* raw */
    const char *forward_expansion_filter;
    const char *command_expansion_filter;
    const char *execution_directory_expansion_filter;
    const char *local_command_shell;
    const char *export_environment;
    const char *cleanup_service_name;
    uid_t default_uid; /* default_privs */
    gid_t default_gid;
    int command_time_limit;
    int duplicate_filter_limit;
    int owner_request_special;
    int expand_owner_alias;
    int reset_owner_alias;
    int strict_mailbox_ownership;
    int require_home_directory;
    int frozen_delivered_to;
    int line_length_limit;
    const char *service; /* our master.cf name, e.g. "local" */
};

extern struct local_config local_config;

/* A UNIX account. */
struct local_user {
    char *name;
    uid_t uid;
    gid_t gid;
    char *home;
    char *shell;
};

/* One final result for the log and the reply. */
struct local_leaf {
    char *address; /* to=<...> */
    char *orig_rcpt; /* orig_to=<...>: "" below an owner- alias */
    int status;    /* DEL_RCPT_* */
    char *dsn;
    char *action;
    char *reason;
    char *relay; /* "local", or the agent's relay after a pass */
};

/* One queue recipient. */
struct local_request {
    struct deliver_request *req;
    int index;
    int verify;                  /* DEL_REQ_FLAG_VERIFY or _EXPAND: deliver nothing */
    struct qfile *qf;            /* content, positioned anywhere */
    const char *orig_rcpt;       /* X-Original-To, orig_to= */
    struct htable *dup_filter;   /* "kind key" strings seen */
    struct argv *delivered_hdrs; /* Delivered-To: values, lower case */
    int expanded;                /* the recipient itself was an alias or had a .forward */
    int expanded_list;           /* ... an alias with an owner- alias: a mailing list */
    int leaf_count;
    struct local_leaf *leaves;
    struct argv *fwd_addrs;     /* addresses to forward */
    struct argv *fwd_senders;   /* the sender for each of them */
    struct argv *fwd_delivered; /* the Delivered-To: value for each of them */
    struct argv *fwd_orig;      /* the orig_rcpt for each of them */
};

/* The walk's position. Copied by value into children. */
struct local_state {
    struct local_request *lr;
    int level;
    const char *address;   /* current recipient, internal form */
    const char *sender;    /* envelope sender ("" for <>) */
    const char *delivered; /* Delivered-To: value */
    int context;           /* LOCAL_CTX_* of the expansion source; 0 at the top */
    uid_t uid;             /* rights for files and commands */
    gid_t gid;
    const struct local_user *user; /* the user whose .forward this is, or NULL */
    const char *owner_alias;       /* owner-NAME in effect, or NULL */
    const char *owner;             /* who forwards: owner-NAME, the .forward's user or the
                                      :include: file; a user reached below it is forwarded */
    const char *exp_from;          /* the alias whose expansion this is, or NULL */
};

/* local.c */
void local_expanded(struct local_state *state, int list);
const char *local_orig_rcpt(const struct local_state *state);
int local_maps_find(struct local_state *state, struct maps *maps, const char *key,
                    const char **value);
void local_leaf_relay(struct local_state *state, const char *relay, int status, const char *dsn,
                      const char *action, const char *reason);
void local_leaf(struct local_state *state, int status, const char *dsn, const char *action,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int local_dup_seen(struct local_request *lr, const char *kind, const char *key);

/* recipient.c */
void local_deliver_recipient(struct local_state state);
int local_split_address(const char *address, struct vstring *local_part, struct vstring *ext,
                        struct vstring *domain, int *delim);

/* alias.c */
int local_alias(struct local_state *state, const char *name);

/* dotforward.c */
int local_dotforward(struct local_state *state, const struct local_user *user,
                     const char *extension);

/* dotforward.c: the items of an open .forward or :include: file (closes fd) */
void local_read_items(int fd, const char *path, struct argv *lines);

/* include.c */
void local_include(struct local_state *state, const char *path);

/* token.c */
void local_deliver_list(struct local_state *state, const char *list);
void local_deliver_item(struct local_state *state, const char *item);
void local_deliver_address(struct local_state *state, const char *addr);

/* mailbox.c */
void local_mailbox(struct local_state *state, const struct local_user *user);
void local_mbox_file(struct local_state *state, const char *path, uid_t uid, gid_t gid, int flags,
                     const char *err_prefix, const char *ok_text, const char *biff_user);
#define LOCAL_MBOX_SPOOL (1 << 0)       /* in mail_spool_directory: lock as root when needed */
#define LOCAL_MBOX_CHECK_OWNER (1 << 1) /* strict_mailbox_ownership applies */
void local_become(uid_t uid, gid_t gid);
void local_biff(const char *user, long offset);

/* maildir.c */
void local_maildir(struct local_state *state, const char *path, uid_t uid, gid_t gid,
                   const char *err_prefix);

/* file.c */
void local_file(struct local_state *state, const char *path);

/* command.c */
void local_command(struct local_state *state, const char *command, uid_t uid, gid_t gid,
                   const struct local_user *user, const char *ok_text);

/* forward.c */
void local_forward_add(struct local_state *state, const char *address);
void local_forward_flush(struct local_request *lr);

/* pass.c */
void local_pass(struct local_state *state, const char *transport);

/* expand.c */
struct local_expand {
    const struct local_state *state;
    const struct local_user *user; /* may be NULL */
    const char *filter;            /* characters kept; others become '_' */
};
int local_expand(struct vstring *result, const char *pattern, const struct local_expand *ctx);
char *local_filter(char *value, const char *filter);

/* user.c */
struct local_user *local_user_lookup(const char *name);
void local_user_free(struct local_user *user);
int local_privs_from_owner(uid_t owner, uid_t *uid, gid_t *gid);

#endif
