/*
 * cleanup - the message canonicalization daemon: a single-style service
 * on private/$cleanup_service_name that takes one new message per
 * connection (protocol cleanup_v1, docs/ipc.md), completes and checks it,
 * writes it as a queue file in incoming (or hold), commits it, wakes
 * qmgr, and only then answers with status 0.
 *
 *   cleanup [daemon skeleton options]
 *
 * The conversation: announce cleanup_v1; read flags; create the queue
 * file and send its queue_id; read the record stream (envelope, M,
 * content, X, extracted, empty E) and handle each record as it arrives
 * (cleanup_envelope.c, cleanup_message.c); then cleanup_done commits or
 * gives up and sends status and reason.
 *
 * Tables (canonical, virtual alias, header/body checks) are opened in
 * pre_init, before the chroot. A table that changed makes the process
 * exit after the message at hand, so the master starts a fresh one.
 *
 * Bad input: a malformed record stream (a bad record, a record out of
 * place, a stream cut short) gets a warning, CLEANUP_STAT_BAD if the
 * client can still read it, and no queue file is left.
 */
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "config/mail_conf.h"
#include "mail/attr.h"
#include "mail/mail_queue.h"
#include "mail/record.h"
#include "mail/resolve_addr.h"
#include "master/mail_server.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/stringops.h"

struct cleanup_config cleanup_cf;

static void
cleanup_state_free(struct cleanup_state *state)
{
    if (state->qf)
        qfile_abort(state->qf);
    myfree(state->queue_id);
    myfree(state->sender);
    myfree(state->last_rcpt);
    argv_free(state->bounce_rcpts);
    myfree(state->filter);
    myfree(state->redirect);
    htable_free(state->attrs, myfree);
    htable_free(state->dups, NULL);
    argv_free(state->extracted);
    argv_free(state->boundaries);
    argv_free(state->extracted_resent);
    argv_free(state->bcc);
    myfree(state->rrto);
    myfree(state->erto);
    vstring_free(state->reason);
    vstring_free(state->header);
    vstring_free(state->line);
    vstring_free(state->scratch);
    myfree(state);
}

static struct cleanup_state *
cleanup_state_alloc(struct vstream *client, int flags, struct qfile *qf)
{
    struct cleanup_state *state = mycalloc(1, sizeof(*state));

    state->client = client;
    state->flags = flags;
    state->qf = qf;
    state->queue_id = mystrdup(qfile_id(qf));
    state->attrs = htable_create(13);
    state->dups = htable_create(13);
    state->extracted = argv_alloc(4);
    state->boundaries = argv_alloc(2);
    state->extracted_resent = argv_alloc(2);
    state->bcc = argv_alloc(2);
    state->bounce_rcpts = argv_alloc(2);
    state->reason = vstring_alloc(100);
    state->header = vstring_alloc(200);
    state->line = vstring_alloc(200);
    state->scratch = vstring_alloc(200);
    state->in_header = CLEANUP_IN_PRIMARY;
    state->local_context = 1;
    return state;
}

/* Gives up on a stream that breaks the protocol. */
static void
cleanup_bad_stream(struct cleanup_state *state, const char *why)
{
    msg_warn("%s: %s socket: %s", state->queue_id, vstream_path(state->client), why);
    cleanup_fail(state, CLEANUP_STAT_BAD, "4.3.0 malformed record stream");
}

/* Reads records until the end record or an error; 0 at the end, -1 on a bad stream. */
static int
cleanup_read_stream(struct cleanup_state *state)
{
    struct vstring *buf = vstring_alloc(1024);
    struct vstring *why = vstring_alloc(100);
    int type, status = -1;
    const char *data;
    size_t len;

    for (;;) {
        type = record_get(state->client, buf, RECORD_LEN_MAX, why);
        if (type == RECORD_EOF) {
            cleanup_bad_stream(state, "end of input before the end record");
            break;
        }
        if (type == RECORD_ERROR) {
            cleanup_bad_stream(state, vstring_str(why));
            break;
        }
        data = vstring_str(buf);
        len = vstring_len(buf);
        if (type == REC_TYPE_END) {
            if (len != 0 || state->section == CLEANUP_SECT_ENVELOPE) {
                cleanup_bad_stream(state, len ? "end record with a payload"
                                              : "end record before the message content");
                break;
            }
            if (state->section == CLEANUP_SECT_CONTENT)
                cleanup_message_end(state);
            status = 0;
            break;
        }
        if (state->section == CLEANUP_SECT_ENVELOPE)
            status = cleanup_envelope_record(state, type, data, len);
        else if (state->section == CLEANUP_SECT_CONTENT)
            status = cleanup_message_record(state, type, data, len);
        else
            status = cleanup_extracted_record(state, type, data, len);
        if (status < 0) {
            cleanup_bad_stream(state, vstring_str(state->scratch));
            break;
        }
        status = -1;
    }
    vstring_free(buf);
    vstring_free(why);
    return status;
}

/* Exits after this message when a table has changed. */
static void
cleanup_check_tables(void)
{
    struct maps *all[] = {cleanup_cf.canonical_maps,
                          cleanup_cf.sender_canonical_maps,
                          cleanup_cf.recipient_canonical_maps,
                          cleanup_cf.virtual_alias_maps,
                          cleanup_cf.header_checks,
                          cleanup_cf.mime_header_checks,
                          cleanup_cf.nested_header_checks,
                          cleanup_cf.body_checks,
                          cleanup_cf.sender_bcc_maps,
                          cleanup_cf.recipient_bcc_maps};

    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        if (all[i] && maps_changed(all[i])) {
            msg_info("table %s has changed -- restarting", all[i]->title);
            exit(0);
        }
    }
}

static void
cleanup_serve(struct vstream *client, const char *service, char **args)
{
    struct cleanup_state *state;
    struct qfile *qf;
    struct vstring *why = vstring_alloc(100);
    int flags = 0;

    (void)service;
    (void)args;
    vstream_set_timeout(client, (int)mail_conf_get_time("ipc_timeout"));
    if (attr_announce_protocol(client, CLEANUP_PROTOCOL) < 0 ||
        attr_scan(client, ATTR_FLAG_NONE, ATTR_RECV_INT("flags", &flags), ATTR_TYPE_END) != 1) {
        if (attr_error_kind() != ATTR_ERR_EOF)
            msg_warn("%s socket: %s", vstream_path(client), attr_error_reason());
        vstring_free(why);
        return;
    }
    qf = qfile_create((flags & CLEANUP_FLAG_HOLD) ? MAIL_QUEUE_HOLD : MAIL_QUEUE_INCOMING,
                      cleanup_cf.enable_long_queue_ids, 0600, why);
    if (qf == NULL) {
        msg_warn("%s", vstring_str(why));
        (void)attr_print(client, ATTR_FLAG_NONE, ATTR_SEND_STR("queue_id", ""), ATTR_TYPE_END);
        (void)attr_print(client, ATTR_FLAG_NONE, ATTR_SEND_INT("status", CLEANUP_STAT_WRITE),
                         ATTR_SEND_STR("reason", "4.3.0 queue file write error"), ATTR_TYPE_END);
        vstring_free(why);
        return;
    }
    state = cleanup_state_alloc(client, flags, qf);
    state->hold = (flags & CLEANUP_FLAG_HOLD) != 0;
    if (attr_print(client, ATTR_FLAG_NONE, ATTR_SEND_STR("queue_id", state->queue_id),
                   ATTR_TYPE_END) < 0) {
        msg_warn("%s: %s socket: %s", state->queue_id, vstream_path(client), attr_error_reason());
    } else {
        (void)cleanup_read_stream(state);
        cleanup_done(state);
    }
    cleanup_state_free(state);
    vstring_free(why);
    cleanup_check_tables();
}

/* The CLEANUP_CLASS_* bits of a *_classes parameter. */
static int
cleanup_classes(const char *name)
{
    static const struct {
        const char *word;
        int bit;
    } words[] = {{"envelope_sender", CLEANUP_CLASS_ENV_FROM},
                 {"envelope_recipient", CLEANUP_CLASS_ENV_RCPT},
                 {"header_sender", CLEANUP_CLASS_HDR_FROM},
                 {"header_recipient", CLEANUP_CLASS_HDR_RCPT}};
    char *copy = mystrdup(mail_conf_get(name)), *cp = copy, *word;
    int bits = 0, found;

    while ((word = mystrtok(&cp, ", \t\r\n")) != NULL) {
        found = 0;
        for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
            if (strcasecmp(word, words[i].word) == 0) {
                bits |= words[i].bit;
                found = 1;
            }
        }
        if (!found)
            msg_fatal("%s: unknown %s value \"%s\"",
                      mail_conf_path() ? mail_conf_path() : "main.cf", name, word);
    }
    myfree(copy);
    return bits;
}

/* A maps list, or NULL when the parameter is empty. */
static struct maps *
cleanup_maps(const char *name, int flags)
{
    const char *value = mail_conf_get(name);

    return value && *value ? maps_create(name, value, flags) : NULL;
}

static int
cleanup_list_has(const char *name, const char *word)
{
    char *copy = mystrdup(mail_conf_get(name)), *cp = copy, *item;
    int found = 0;

    while (!found && (item = mystrtok(&cp, ", \t\r\n")) != NULL)
        found = strcasecmp(item, word) == 0;
    myfree(copy);
    return found;
}

static int
cleanup_domain_is_local(const char *domain, void *context)
{
    (void)context;
    if (strcasecmp(domain, cleanup_cf.myorigin) == 0)
        return 1;
    return resolve_local(domain);
}

static void
cleanup_pre_init(const char *service, char **args)
{
    struct cleanup_config *cf = &cleanup_cf;
    int map_flags = DICT_FLAG_DEFAULT | DICT_FLAG_NO_REGSUB;
    int check_flags = DICT_FLAG_DEFAULT | DICT_FLAG_FOLD_MUL;

    (void)service;
    (void)args;
    cf->canonical_maps = cleanup_maps("canonical_maps", map_flags);
    cf->sender_canonical_maps = cleanup_maps("sender_canonical_maps", map_flags);
    cf->recipient_canonical_maps = cleanup_maps("recipient_canonical_maps", map_flags);
    cf->virtual_alias_maps = cleanup_maps("virtual_alias_maps", map_flags);
    cf->header_checks = cleanup_maps("header_checks", check_flags);
    if (strcmp(mail_conf_get("mime_header_checks"), mail_conf_get("header_checks")) == 0)
        cf->mime_header_checks = cf->header_checks;
    else
        cf->mime_header_checks = cleanup_maps("mime_header_checks", check_flags);
    if (strcmp(mail_conf_get("nested_header_checks"), mail_conf_get("header_checks")) == 0)
        cf->nested_header_checks = cf->header_checks;
    else if (strcmp(mail_conf_get("nested_header_checks"), mail_conf_get("mime_header_checks")) ==
             0)
        cf->nested_header_checks = cf->mime_header_checks;
    else
        cf->nested_header_checks = cleanup_maps("nested_header_checks", check_flags);
    cf->body_checks = cleanup_maps("body_checks", check_flags);
    cf->sender_bcc_maps = cleanup_maps("sender_bcc_maps", map_flags);
    cf->recipient_bcc_maps = cleanup_maps("recipient_bcc_maps", map_flags);
    cf->always_bcc = mystrdup(mail_conf_get("always_bcc"));
    cf->canonical_classes = cleanup_classes("canonical_classes");
    cf->sender_canonical_classes = cleanup_classes("sender_canonical_classes");
    cf->recipient_canonical_classes = cleanup_classes("recipient_canonical_classes");
    cf->masquerade_classes = cleanup_classes("masquerade_classes");
    cf->masquerade_domains = argv_split(mail_conf_get("masquerade_domains"), ", \t\r\n");
    cf->masquerade_exceptions = argv_split(mail_conf_get("masquerade_exceptions"), ", \t\r\n");
    cf->message_drop_headers = argv_split(mail_conf_get("message_drop_headers"), ", \t\r\n");
    cf->propagate_canonical = cleanup_list_has("propagate_unmatched_extensions", "canonical");
    cf->propagate_virtual = cleanup_list_has("propagate_unmatched_extensions", "virtual");
    cf->message_size_limit = mail_conf_get_size("message_size_limit");
    cf->header_size_limit = mail_conf_get_size("header_size_limit");
    cf->line_length_limit = mail_conf_get_int("line_length_limit");
    cf->hopcount_limit = mail_conf_get_int("hopcount_limit");
    cf->delay_warning_time = mail_conf_get_time("delay_warning_time");
    cf->virtual_alias_recursion_limit = mail_conf_get_int("virtual_alias_recursion_limit");
    cf->virtual_alias_expansion_limit = mail_conf_get_int("virtual_alias_expansion_limit");
    cf->body_checks_size_limit = mail_conf_get_size("body_checks_size_limit");
    cf->duplicate_filter_limit = mail_conf_get_int("duplicate_filter_limit");
    cf->mime_nesting_limit = mail_conf_get_int("mime_nesting_limit");
    cf->header_address_token_limit = mail_conf_get_int("header_address_token_limit");
    cf->log_resolution = mail_conf_get_int("delay_logging_resolution_limit");
    cf->enable_original_recipient = mail_conf_get_bool("enable_original_recipient");
    cf->disable_mime_input = mail_conf_get_bool("disable_mime_input_processing");
    cf->always_add_missing_headers = mail_conf_get_bool("always_add_missing_headers");
    cf->enable_long_queue_ids = mail_conf_get_bool("enable_long_queue_ids");
    cf->myhostname = mystrdup(mail_conf_get("myhostname"));
    cf->myorigin = mystrdup(mail_conf_get("myorigin"));
    cf->remote_header_domain = mystrdup(mail_conf_get("remote_header_rewrite_domain"));
    cf->mail_name = mystrdup(mail_conf_get("mail_name"));
    cf->header_from_format = mystrdup(mail_conf_get("header_from_format"));
    cf->undisclosed_recipients_header = mystrdup(mail_conf_get("undisclosed_recipients_header"));
    cf->content_filter = mystrdup(mail_conf_get("content_filter"));
    cf->queue_service_name = mystrdup(mail_conf_get("queue_service_name"));
    cf->find_opts.recipient_delimiter = mystrdup(mail_conf_get("recipient_delimiter"));
    cf->find_opts.owner_request_special = mail_conf_get_bool("owner_request_special");
    cf->find_opts.domain_is_local = cleanup_domain_is_local;
    cf->find_opts.double_bounce_sender = mystrdup(mail_conf_get("double_bounce_sender"));
    cf->find_opts.parent_matches_subdomains = 0;
    resolve_addr_init();
}

int
main(int argc, char **argv)
{
    static const struct mail_server server = {
        .serve = cleanup_serve,
        .pre_init = cleanup_pre_init,
    };

    single_server_main(argc, argv, &server);
}
