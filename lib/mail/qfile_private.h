/*
 * qfile_private - what qfile.c (reading, updating), qfile_write.c
 * (creating, committing) and qfile_check.c (the rules) share. Not for
 * other modules: they use qfile.h.
 *
 * struct qfile_check follows a queue file record by record and applies
 * every rule of docs/queue-format.md: which record may come where and how
 * often, each payload's shape, the running checksum, and, at the end
 * record, that the header's offsets, sizes and counts and the checksum
 * match what was seen. The writer runs its own records through the same
 * checker, so it cannot write a file the reader would refuse.
 */
#ifndef TERN_QFILE_PRIVATE_H
#define TERN_QFILE_PRIVATE_H

#include <stdint.h>
#include <sys/types.h>

#include "mail/mail_queue.h"
#include "mail/qfile.h"
#include "mail/rec_type.h"
#include "mail/record.h"
#include "util/vstream.h"
#include "util/vstring.h"

enum qfile_section {
    QFILE_SECT_HEADER,
    QFILE_SECT_ENVELOPE,
    QFILE_SECT_CONTENT,
    QFILE_SECT_EXTRACTED,
    QFILE_SECT_DONE,
};

#define QFILE_HEADER_SIZE (RECORD_HDR_LEN + REC_HEADER_LEN) /* the whole header record */
#define QFILE_END_SIZE (RECORD_HDR_LEN + REC_END_LEN)       /* the whole end record */

struct qfile_check {
    int section;               /* enum qfile_section */
    uint64_t offset;           /* of the next record */
    unsigned seen;             /* once-only types seen (QFILE_SEEN_*) */
    int partial;               /* the last content record was a line piece */
    uint64_t content_size;     /* message bytes, a newline per line */
    uint64_t line_len;         /* bytes of the content line being read so far */
    uint64_t log_size;         /* the size Postfix would log (qfile_log_size) */
    uint32_t rcpt_count;       /* recipient records */
    uint64_t content_offset;   /* where the content marker was, 0 before */
    uint64_t extracted_offset; /* where the extracted marker was, 0 before */
    uint32_t crc;              /* over the records after the header */
    int have_header;           /* a header record was seen (reader), not (writer) */
    struct qfile_info header;  /* what the header record claims */
    unsigned char header_bytes[QFILE_HEADER_SIZE];
};

/* The open file: reader, updater or writer. */
struct qfile {
    char *name; /* queue id, or the path when opened by path */
    char *path; /* for diagnostics */
    int fd;
    int flags; /* QFILE_OPEN_* */
    struct vstream *fp;
    uint64_t offset;             /* of the next record to read or write */
    struct qfile_info info;      /* the header (reader) */
    struct vstring *buf;         /* the last payload */
    struct vstring *field[3];    /* decoded strings: name or address, orig, orcpt */
    struct vstring *reason;      /* scratch for the checks' reasons */
    struct qfile_check check;    /* writer: the rules; reader: validation pass */
    struct mail_queue_file *mqf; /* writer: the file being made */
    struct vstring *error;       /* writer: the first failure, sticky */
};

struct qfile *qfile_alloc(const char *name, const char *path, int fd, int flags);
void qfile_free(struct qfile *qf);
int qfile_reposition(struct qfile *qf, uint64_t offset);

void qfile_check_init(struct qfile_check *check, int section, uint64_t offset);
int qfile_check_record(struct qfile_check *check, int type, const unsigned char *data, size_t len,
                       struct vstring *why);
int qfile_check_payload(int type, const unsigned char *data, size_t len, struct vstring *why);
int qfile_check_decode_header(const unsigned char *data, size_t len, struct qfile_info *info,
                              struct vstring *why);
void qfile_check_make_header(const struct qfile_check *check, uint64_t end_offset,
                             unsigned char out[QFILE_HEADER_SIZE]);
uint32_t qfile_check_final_crc(const struct qfile_check *check,
                               const unsigned char header[QFILE_HEADER_SIZE]);
int qfile_check_type_at(const struct qfile_info *info, uint64_t offset, int type,
                        struct vstring *why);

#endif
