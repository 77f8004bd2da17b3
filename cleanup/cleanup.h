/*
 * cleanup.h - what the files of the cleanup daemon share: the state of
 * the one message a cleanup process is working on, the settings read at
 * start-up, and the functions of each file.
 *
 *   cleanup.c           main, start-up, the cleanup_v1 conversation
 *   cleanup_envelope.c  envelope and extracted records from the client
 *   cleanup_message.c   the content: headers, added headers, the body
 *   cleanup_header.c    one header: checks, address rewriting, extraction
 *   cleanup_mime.c      multipart boundaries, headers of body parts
 *   cleanup_addr.c      address rewriting, canonical, virtual alias,
 *                       masquerading, recipient output with duplicates removed
 *   cleanup_checks.c    header_checks/body_checks actions and their log lines
 *   cleanup_finish.c    the end: errors, hold, discard, commit, reply text
 *
 * Every error from the client's data sets a CLEANUP_STAT_* bit in
 * state->errs and text in state->reason (the first reason wins); the
 * conversation goes on until the end record so that the client reads a
 * reply, except for a malformed stream (CLEANUP_STAT_BAD), which ends it.
 */
#ifndef TERN_CLEANUP_H
#define TERN_CLEANUP_H

#include <sys/time.h>
#include <time.h>

#include "mail/addr_find.h"
#include "mail/cleanup_clnt.h"
#include "mail/maps.h"
#include "mail/qfile.h"
#include "util/argv.h"
#include "util/htable.h"
#include "util/vstream.h"
#include "util/vstring.h"

/* Address classes of canonical_classes and masquerade_classes. */
#define CLEANUP_CLASS_ENV_FROM (1 << 0)
#define CLEANUP_CLASS_ENV_RCPT (1 << 1)
#define CLEANUP_CLASS_HDR_FROM (1 << 2)
#define CLEANUP_CLASS_HDR_RCPT (1 << 3)

/* Settings and tables, read once in pre_init. */
struct cleanup_config {
    struct maps *canonical_maps;
    struct maps *sender_canonical_maps;
    struct maps *recipient_canonical_maps;
    struct maps *virtual_alias_maps;
    struct maps *header_checks;
    struct maps *mime_header_checks;
    struct maps *nested_header_checks;
    struct maps *body_checks;
    struct maps *sender_bcc_maps;
    struct maps *recipient_bcc_maps;
    const char *always_bcc;
    int canonical_classes;
    int sender_canonical_classes;
    int recipient_canonical_classes;
    int masquerade_classes;
    struct argv *masquerade_domains;
    struct argv *masquerade_exceptions;
    struct addr_find_opts find_opts;
    int propagate_canonical;
    int propagate_virtual;
    long message_size_limit;
    long header_size_limit;
    long line_length_limit;
    long hopcount_limit;
    long delay_warning_time; /* seconds; 0: no delay warnings */
    long virtual_alias_recursion_limit;
    long virtual_alias_expansion_limit;
    long body_checks_size_limit;
    long duplicate_filter_limit;
    long mime_nesting_limit;
    long header_address_token_limit;
    int log_resolution; /* delay_logging_resolution_limit */
    int enable_original_recipient;
    int disable_mime_input; /* disable_mime_input_processing */
    int always_add_missing_headers;
    int enable_long_queue_ids;
    const char *myhostname;
    const char *myorigin;
    const char *remote_header_domain; /* remote_header_rewrite_domain */
    const char *mail_name;
    const char *header_from_format;
    const char *undisclosed_recipients_header;
    struct argv *message_drop_headers; /* header names removed from every message */
    const char *content_filter;
    const char *queue_service_name;
};

extern struct cleanup_config cleanup_cf;

/* Where the input is. */
enum cleanup_section {
    CLEANUP_SECT_ENVELOPE,
    CLEANUP_SECT_CONTENT,
    CLEANUP_SECT_EXTRACTED,
    CLEANUP_SECT_DONE,
};

/* Where the content is (state->in_header). */
#define CLEANUP_IN_BODY 0
#define CLEANUP_IN_PRIMARY 1 /* the primary header section */
#define CLEANUP_IN_PART 2    /* the headers of a multipart body part */
#define CLEANUP_IN_NESTED 3  /* the headers of an attached message/rfc822 */

/* The message being made. */
struct cleanup_state {
    struct vstream *client;
    int flags;        /* CLEANUP_FLAG_* of the request */
    struct qfile *qf; /* the queue file; NULL once given up */
    char *queue_id;
    int section; /* enum cleanup_section */
    int seen_time;
    int seen_sender;
    struct timeval arrival;
    char *sender;              /* after rewriting, internal form */
    struct htable *attrs;      /* envelope attributes from the client: name -> value */
    struct htable *dups;       /* recipients already written */
    long rcpt_count;           /* recipients written */
    long dup_count;            /* entries in dups */
    char *last_rcpt;           /* latest recipient written (reject: log line) */
    struct argv *bounce_rcpts; /* BOUNCE flag: address, orig, ... */
    int errs;                  /* CLEANUP_STAT_* bits */
    struct vstring *reason;    /* why, with the enhanced status code first */
    int local_context;         /* rewrite_context is local: headers are rewritten */
    /* Content. */
    int in_header;          /* 1 while in the primary header section */
    int header_done;        /* missing headers were added */
    struct vstring *header; /* the logical header being collected */
    int header_pending;     /* header holds a header */
    struct vstring *line;   /* the physical line being collected */
    int line_partial;       /* line has pieces and waits for the rest */
    int pieces_out;         /* pieces of the current line were written */
    long size;              /* content bytes so far, a newline per line */
    long body_checked;      /* body bytes given to body_checks */
    int size_exceeded;
    int hop_count;
    int seen_from, seen_date, seen_msgid, seen_rcpt_header;
    int resent; /* the message has Resent- headers (RFC 5322 3.6.6) */
    int seen_resent_from, seen_resent_date, seen_resent_msgid;
    int nested_next;               /* the headers being read announce an attached message */
    struct argv *extracted;        /* recipients from To/Cc/Bcc (extract_recipients) */
    struct argv *extracted_resent; /* from Resent-To/Cc/Bcc: used when not empty */
    struct argv *boundaries;       /* of the open multiparts, outermost first */
    struct argv *bcc;              /* always_bcc, sender_bcc_maps, recipient_bcc_maps results */
    char *rrto;                    /* Return-Receipt-To: address */
    char *erto;                    /* Errors-To: address */
    /* Actions. */
    char *filter;
    char *redirect;
    int hold;
    int discard;
    struct vstring *scratch;
};

/* cleanup_envelope.c */
int cleanup_envelope_record(struct cleanup_state *state, int type, const char *data, size_t len);
int cleanup_extracted_record(struct cleanup_state *state, int type, const char *data, size_t len);
const char *cleanup_attr(struct cleanup_state *state, const char *name);

/* cleanup_message.c */
void cleanup_message_begin(struct cleanup_state *state);
int cleanup_message_record(struct cleanup_state *state, int type, const char *data, size_t len);
void cleanup_message_end(struct cleanup_state *state);
void cleanup_out_line(struct cleanup_state *state, const char *text, size_t len);
void cleanup_out_text(struct cleanup_state *state, const char *text);
const char *cleanup_mail_date(struct vstring *buf, time_t when);

/* cleanup_header.c */
void cleanup_header(struct cleanup_state *state, struct vstring *header);
void cleanup_header_done(struct cleanup_state *state);

/* cleanup_addr.c */
void cleanup_addr_sender(struct cleanup_state *state, const char *addr, struct vstring *result);
void cleanup_addr_recipient(struct cleanup_state *state, const struct qfile_rcpt *rcpt);
void cleanup_addr_header(struct cleanup_state *state, int class, const char *addr,
                         struct vstring *result);
void cleanup_addr_rewrite(struct cleanup_state *state, const char *rule, const char *addr,
                          struct vstring *result);
void cleanup_addr_bcc(struct cleanup_state *state, struct maps *maps, const char *addr);

/* cleanup_mime.c */
void cleanup_mime_type(struct cleanup_state *state, struct vstring *header);
int cleanup_mime_boundary(struct cleanup_state *state, const char *text, size_t len);
void cleanup_mime_part_header(struct cleanup_state *state, struct vstring *header);
int cleanup_mime_is_header(const char *name);

/* cleanup_checks.c */
#define CLEANUP_CHECK_KEEP 0 /* output the text as it is (or replaced) */
#define CLEANUP_CHECK_DROP 1 /* do not output it */
int cleanup_checks(struct cleanup_state *state, struct maps *maps, const char *class,
                   struct vstring *text);
void cleanup_log_action(struct cleanup_state *state, const char *action, const char *class,
                        const char *content, const char *text);

/* cleanup_finish.c */
void cleanup_fail(struct cleanup_state *state, int stat, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cleanup_done(struct cleanup_state *state);

#endif
