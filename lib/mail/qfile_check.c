/*
 * qfile_check - the rules of the queue file format, applied one record at
 * a time (see qfile_private.h and docs/queue-format.md).
 *
 *   qfile_check_payload(type, data, len, why)   one payload's shape
 *   qfile_check_record(check, type, data, len, why)
 *       the payload, plus where the record may stand and how often, the
 *       running checksum and counts; at the end record, the comparison of
 *       everything the header claims with what was seen
 *   qfile_check_type_at(info, offset, type, why)
 *       may a record of this type start at this offset of a file whose
 *       header is info? (the reader's check after a seek)
 *   qfile_check_decode_header / qfile_check_make_header / qfile_check_final_crc
 *
 * Reasons are short phrases without offsets; callers add "offset N: ".
 * Nothing here reads, writes or logs.
 */
#include <stdint.h>
#include <string.h>

#include "mail/qfile_private.h"
#include "util/msg.h"

/* Once-only record types. */
#define QFILE_SEEN_TIME (1 << 0)
#define QFILE_SEEN_SENDER (1 << 1)
#define QFILE_SEEN_WARN (1 << 2)
#define QFILE_SEEN_ENVID (1 << 3)
#define QFILE_SEEN_RET (1 << 4)
#define QFILE_SEEN_RRTO (1 << 5)
#define QFILE_SEEN_ERTO (1 << 6)

#define QFILE_ATTR_NAME_MAX 64

static const char *const qfile_section_names[] = {"header", "envelope", "content", "extracted",
                                                  "end"};

void
qfile_check_init(struct qfile_check *check, int section, uint64_t offset)
{
    memset(check, 0, sizeof(*check));
    check->section = section;
    check->offset = offset;
}

static int
qfile_no_nul(const unsigned char *data, size_t len)
{
    return memchr(data, 0, len) == NULL;
}

static int
qfile_check_attr(const unsigned char *data, size_t len, struct vstring *why)
{
    const unsigned char *eq = memchr(data, '=', len);
    size_t name_len;

    if (eq == NULL || eq == data) {
        vstring_strcpy(why, eq ? "attribute without a name" : "attribute without '='");
        return -1;
    }
    if ((name_len = (size_t)(eq - data)) > QFILE_ATTR_NAME_MAX) {
        vstring_sprintf(why, "attribute name longer than %d bytes", QFILE_ATTR_NAME_MAX);
        return -1;
    }
    for (size_t i = 0; i < name_len; i++) {
        int ch = data[i];

        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '.' || ch == '-')) {
            vstring_strcpy(why, "bad character in attribute name");
            return -1;
        }
    }
    if (!qfile_no_nul(eq + 1, len - name_len - 1)) {
        vstring_strcpy(why, "NUL byte in attribute value");
        return -1;
    }
    return 0;
}

static int
qfile_check_rcpt(const unsigned char *data, size_t len, struct vstring *why)
{
    static const char *const field_names[] = {"address", "original recipient", "ORCPT"};
    size_t pos = 2;
    uint32_t field_len;

    if (len < REC_RCPT_MIN_LEN) {
        vstring_sprintf(why, "recipient record too short (%zu bytes)", len);
        return -1;
    }
    if (data[0] != REC_RCPT_PENDING && data[0] != REC_RCPT_DONE) {
        vstring_sprintf(why, "bad recipient status %u", data[0]);
        return -1;
    }
    if ((data[1] & ~REC_NOTIFY_ALL) != 0 ||
        ((data[1] & REC_NOTIFY_NEVER) && data[1] != REC_NOTIFY_NEVER)) {
        vstring_sprintf(why, "bad recipient NOTIFY flags 0x%02x", data[1]);
        return -1;
    }
    for (int i = 0; i < 3; i++) {
        if (len - pos < 4) {
            vstring_sprintf(why, "recipient %s length missing", field_names[i]);
            return -1;
        }
        field_len = record_get_u32(data + pos);
        pos += 4;
        if (field_len > len - pos) {
            vstring_sprintf(why, "recipient %s longer than the record", field_names[i]);
            return -1;
        }
        if (!qfile_no_nul(data + pos, field_len)) {
            vstring_sprintf(why, "NUL byte in recipient %s", field_names[i]);
            return -1;
        }
        if (i == 0 && field_len == 0) {
            vstring_strcpy(why, "empty recipient address");
            return -1;
        }
        pos += field_len;
    }
    if (pos != len) {
        vstring_sprintf(why, "%zu extra bytes after the recipient fields", len - pos);
        return -1;
    }
    return 0;
}

int
qfile_check_decode_header(const unsigned char *data, size_t len, struct qfile_info *info,
                          struct vstring *why)
{
    if (len != REC_HEADER_LEN) {
        vstring_sprintf(why, "header record length %zu, expected %d", len, REC_HEADER_LEN);
        return -1;
    }
    if (memcmp(data, REC_HEADER_MAGIC, 4) != 0) {
        vstring_strcpy(why, "not a queue file (bad magic in header record)");
        return -1;
    }
    info->version = record_get_u32(data + 4);
    info->content_offset = record_get_u64(data + 8);
    info->extracted_offset = record_get_u64(data + 16);
    info->end_offset = record_get_u64(data + 24);
    info->content_size = record_get_u64(data + 32);
    info->rcpt_count = record_get_u32(data + 40);
    info->log_size = record_get_u32(data + 44);
    if (info->version != REC_HEADER_VERSION) {
        vstring_sprintf(why, "unsupported queue file version %u", (unsigned)info->version);
        return -1;
    }
    if (info->content_offset < QFILE_HEADER_SIZE ||
        info->extracted_offset < info->content_offset + RECORD_HDR_LEN ||
        info->end_offset < info->extracted_offset + RECORD_HDR_LEN ||
        info->end_offset > (uint64_t)INT64_MAX - QFILE_END_SIZE) {
        vstring_strcpy(why, "header offsets out of order");
        return -1;
    }
    return 0;
}

/* Checks a payload whose length must be exactly want. */
static int
qfile_check_len(int type, size_t len, size_t want, struct vstring *why)
{
    if (len == want)
        return 0;
    vstring_sprintf(why, "%s record length %zu, expected %zu", rec_type_name(type), len, want);
    return -1;
}

static int
qfile_check_text(int type, const unsigned char *data, size_t len, int empty_ok, struct vstring *why)
{
    if (!empty_ok && len == 0) {
        vstring_sprintf(why, "empty %s record", rec_type_name(type));
        return -1;
    }
    if (!qfile_no_nul(data, len)) {
        vstring_sprintf(why, "NUL byte in %s record", rec_type_name(type));
        return -1;
    }
    return 0;
}

int
qfile_check_payload(int type, const unsigned char *data, size_t len, struct vstring *why)
{
    struct qfile_info info;

    switch (type) {
    case REC_TYPE_HEADER:
        return qfile_check_decode_header(data, len, &info, why);
    case REC_TYPE_TIME:
        if (qfile_check_len(type, len, REC_TIME_LEN, why) < 0)
            return -1;
        if (record_get_u64(data) > (uint64_t)INT64_MAX || record_get_u32(data + 8) >= 1000000) {
            vstring_strcpy(why, "time record out of range");
            return -1;
        }
        return 0;
    case REC_TYPE_WARN:
        if (qfile_check_len(type, len, REC_WARN_LEN, why) < 0)
            return -1;
        if (record_get_u64(data) > (uint64_t)INT64_MAX) {
            vstring_strcpy(why, "warn record out of range");
            return -1;
        }
        return 0;
    case REC_TYPE_ATTR:
        return qfile_check_attr(data, len, why);
    case REC_TYPE_SENDER:
        return qfile_check_text(type, data, len, 1, why);
    case REC_TYPE_DSN_ENVID:
    case REC_TYPE_RRTO:
    case REC_TYPE_ERTO:
        return qfile_check_text(type, data, len, 0, why);
    case REC_TYPE_DSN_RET:
        if (qfile_check_len(type, len, REC_DSN_RET_LEN, why) < 0)
            return -1;
        if (data[0] != REC_RET_FULL && data[0] != REC_RET_HDRS) {
            vstring_sprintf(why, "bad DSN RET value %u", data[0]);
            return -1;
        }
        return 0;
    case REC_TYPE_RCPT:
        return qfile_check_rcpt(data, len, why);
    case REC_TYPE_MESG:
    case REC_TYPE_XTRA:
        return qfile_check_len(type, len, 0, why);
    case REC_TYPE_NORM:
    case REC_TYPE_CONT:
        if (memchr(data, '\n', len) != NULL) {
            vstring_sprintf(why, "newline inside %s record", rec_type_name(type));
            return -1;
        }
        return 0;
    case REC_TYPE_END:
        return qfile_check_len(type, len, REC_END_LEN, why);
    default:
        vstring_sprintf(why, "unknown record type 0x%02x", (unsigned)type & 0xff);
        return -1;
    }
}

/* The once-only bit of a type, 0 for types that may repeat. */
static unsigned
qfile_once_bit(int type)
{
    switch (type) {
    case REC_TYPE_TIME:
        return QFILE_SEEN_TIME;
    case REC_TYPE_SENDER:
        return QFILE_SEEN_SENDER;
    case REC_TYPE_WARN:
        return QFILE_SEEN_WARN;
    case REC_TYPE_DSN_ENVID:
        return QFILE_SEEN_ENVID;
    case REC_TYPE_DSN_RET:
        return QFILE_SEEN_RET;
    case REC_TYPE_RRTO:
        return QFILE_SEEN_RRTO;
    case REC_TYPE_ERTO:
        return QFILE_SEEN_ERTO;
    default:
        return 0;
    }
}

/* Which section a type belongs to; the markers open theirs. */
static int
qfile_type_section(int type)
{
    switch (type) {
    case REC_TYPE_HEADER:
        return QFILE_SECT_HEADER;
    case REC_TYPE_TIME:
    case REC_TYPE_WARN:
    case REC_TYPE_SENDER:
    case REC_TYPE_DSN_ENVID:
    case REC_TYPE_DSN_RET:
        return QFILE_SECT_ENVELOPE;
    case REC_TYPE_MESG:
    case REC_TYPE_NORM:
    case REC_TYPE_CONT:
        return QFILE_SECT_CONTENT;
    case REC_TYPE_XTRA:
    case REC_TYPE_RRTO:
    case REC_TYPE_ERTO:
        return QFILE_SECT_EXTRACTED;
    case REC_TYPE_END:
        return QFILE_SECT_DONE;
    default:
        return -1; /* ATTR and RCPT: envelope or extracted */
    }
}

/* May a record of this type come next? Moves to the next section on a marker. */
static int
qfile_check_place(struct qfile_check *check, int type, struct vstring *why)
{
    int want = qfile_type_section(type);
    int opens = (type == REC_TYPE_MESG || type == REC_TYPE_XTRA || type == REC_TYPE_END);
    int section = check->section;

    if (want < 0 && (section == QFILE_SECT_ENVELOPE || section == QFILE_SECT_EXTRACTED))
        want = section;
    if (opens ? want != section + 1 : want != section) {
        vstring_sprintf(why, "%s record in %s section", rec_type_name(type),
                        qfile_section_names[section]);
        return -1;
    }
    if (type == REC_TYPE_MESG && (check->seen & (QFILE_SEEN_TIME | QFILE_SEEN_SENDER)) !=
                                     (QFILE_SEEN_TIME | QFILE_SEEN_SENDER)) {
        vstring_sprintf(why, "missing %s record in envelope",
                        (check->seen & QFILE_SEEN_TIME) ? "sender" : "time");
        return -1;
    }
    if (type == REC_TYPE_RCPT && section == QFILE_SECT_ENVELOPE &&
        !(check->seen & QFILE_SEEN_SENDER)) {
        vstring_strcpy(why, "recipient record before sender record");
        return -1;
    }
    if (type == REC_TYPE_XTRA && check->partial) {
        vstring_strcpy(why, "line_piece record not followed by a line record");
        return -1;
    }
    if (check->seen & qfile_once_bit(type)) {
        vstring_sprintf(why, "duplicate %s record", rec_type_name(type));
        return -1;
    }
    check->seen |= qfile_once_bit(type);
    if (opens)
        check->section = section + 1;
    return 0;
}

/* Continues the checksum over one record, with its mutable bytes as zero. */
static uint32_t
qfile_check_crc(uint32_t crc, int type, const unsigned char *data, size_t len)
{
    unsigned char hdr[RECORD_HDR_LEN];
    static const unsigned char zeros[REC_WARN_LEN];
    size_t masked = 0;

    hdr[0] = (unsigned char)type;
    record_put_u32(hdr + 1, (uint32_t)len);
    crc = record_crc32(crc, hdr, sizeof(hdr));
    if (type == REC_TYPE_RCPT)
        masked = 1;
    else if (type == REC_TYPE_WARN)
        masked = REC_WARN_LEN;
    crc = record_crc32(crc, zeros, masked);
    return record_crc32(crc, data + masked, len - masked);
}

#define QFILE_LOG_PIECE 2048 /* Postfix's line pieces: line_length_limit's default */

/*
 * Postfix's queue file bytes for one content line of LEN bytes
 * (qfile_log_size): full pieces while LEN is at least a piece, then the
 * rest, which may be empty (a line of exactly 2048 bytes is a full piece
 * and an empty one).
 */
static uint64_t
qfile_check_piece_log_size(uint64_t piece)
{
    uint64_t total = 2 + piece; /* type byte, first length byte, the bytes */

    for (uint64_t n = piece; n >= 128; n >>= 7)
        total++; /* 7 bits of length per byte */
    return total;
}

static uint64_t
qfile_check_line_log_size(uint64_t len)
{
    uint64_t total = 0;

    for (; len >= QFILE_LOG_PIECE; len -= QFILE_LOG_PIECE)
        total += qfile_check_piece_log_size(QFILE_LOG_PIECE);
    return total + qfile_check_piece_log_size(len);
}

/* The log size as the header stores it: saturated to 32 bits (0 only for no content). */
static uint32_t
qfile_check_log_size32(const struct qfile_check *check)
{
    return check->log_size >= UINT32_MAX ? UINT32_MAX : (uint32_t)check->log_size;
}

uint64_t
qfile_log_size(const struct qfile_info *info)
{
    return info->log_size ? info->log_size : info->content_size;
}

/* At a marker or the end record: does the header agree? */
static int
qfile_check_offset(const struct qfile_check *check, const char *what, uint64_t claimed,
                   struct vstring *why)
{
    if (!check->have_header || claimed == check->offset)
        return 0;
    vstring_sprintf(why, "%s at offset %llu, header says %llu", what,
                    (unsigned long long)check->offset, (unsigned long long)claimed);
    return -1;
}

static int
qfile_check_end(struct qfile_check *check, const unsigned char *data, struct vstring *why)
{
    const struct qfile_info *hp = &check->header;
    uint32_t crc;

    if (qfile_check_offset(check, "end record", hp->end_offset, why) < 0)
        return -1;
    if (hp->content_size != check->content_size) {
        vstring_sprintf(why, "message size %llu, header says %llu",
                        (unsigned long long)check->content_size,
                        (unsigned long long)hp->content_size);
        return -1;
    }
    if (hp->log_size != 0 && hp->log_size != qfile_check_log_size32(check)) {
        vstring_sprintf(why, "log size %u, header says %u", (unsigned)qfile_check_log_size32(check),
                        (unsigned)hp->log_size);
        return -1;
    }
    if (hp->rcpt_count != check->rcpt_count) {
        vstring_sprintf(why, "%u recipient records, header says %u", (unsigned)check->rcpt_count,
                        (unsigned)hp->rcpt_count);
        return -1;
    }
    if ((crc = qfile_check_final_crc(check, check->header_bytes)) != record_get_u32(data)) {
        vstring_sprintf(why, "checksum mismatch (computed %08x, end record says %08x)",
                        (unsigned)crc, (unsigned)record_get_u32(data));
        return -1;
    }
    return 0;
}

int
qfile_check_record(struct qfile_check *check, int type, const unsigned char *data, size_t len,
                   struct vstring *why)
{
    if (check->section == QFILE_SECT_DONE) {
        vstring_strcpy(why, "data after the end record");
        return -1;
    }
    if (check->section == QFILE_SECT_HEADER && type != REC_TYPE_HEADER) {
        vstring_sprintf(why, "not a queue file (first record type 0x%02x)", (unsigned)type & 0xff);
        return -1;
    }
    if (!rec_type_ok(type)) {
        vstring_sprintf(why, "unknown record type 0x%02x", (unsigned)type & 0xff);
        return -1;
    }
    if (qfile_check_place(check, type, why) < 0 || qfile_check_payload(type, data, len, why) < 0)
        return -1;
    switch (type) {
    case REC_TYPE_HEADER:
        (void)qfile_check_decode_header(data, len, &check->header, why);
        check->have_header = 1;
        check->section = QFILE_SECT_ENVELOPE;
        check->header_bytes[0] = REC_TYPE_HEADER;
        record_put_u32(check->header_bytes + 1, (uint32_t)len);
        memcpy(check->header_bytes + RECORD_HDR_LEN, data, len);
        break;
    case REC_TYPE_MESG:
        if (qfile_check_offset(check, "message content", check->header.content_offset, why) < 0)
            return -1;
        check->content_offset = check->offset;
        break;
    case REC_TYPE_XTRA:
        if (qfile_check_offset(check, "extracted section", check->header.extracted_offset, why) < 0)
            return -1;
        check->extracted_offset = check->offset;
        break;
    case REC_TYPE_END:
        if (qfile_check_end(check, data, why) < 0)
            return -1;
        break;
    case REC_TYPE_RCPT:
        if (check->rcpt_count == UINT32_MAX) {
            vstring_strcpy(why, "too many recipient records");
            return -1;
        }
        check->rcpt_count++;
        break;
    case REC_TYPE_NORM:
    case REC_TYPE_CONT:
        check->content_size += len + (type == REC_TYPE_NORM);
        check->line_len += len;
        if (type == REC_TYPE_NORM) {
            check->log_size += qfile_check_line_log_size(check->line_len);
            check->line_len = 0;
        }
        check->partial = (type == REC_TYPE_CONT);
        break;
    }
    if (type != REC_TYPE_HEADER && type != REC_TYPE_END)
        check->crc = qfile_check_crc(check->crc, type, data, len);
    check->offset += RECORD_HDR_LEN + len;
    return 0;
}

void
qfile_check_make_header(const struct qfile_check *check, uint64_t end_offset,
                        unsigned char out[QFILE_HEADER_SIZE])
{
    unsigned char *pp = out + RECORD_HDR_LEN;

    out[0] = REC_TYPE_HEADER;
    record_put_u32(out + 1, REC_HEADER_LEN);
    memcpy(pp, REC_HEADER_MAGIC, 4);
    record_put_u32(pp + 4, REC_HEADER_VERSION);
    record_put_u64(pp + 8, check->content_offset);
    record_put_u64(pp + 16, check->extracted_offset);
    record_put_u64(pp + 24, end_offset);
    record_put_u64(pp + 32, check->content_size);
    record_put_u32(pp + 40, check->rcpt_count);
    record_put_u32(pp + 44, qfile_check_log_size32(check));
}

uint32_t
qfile_check_final_crc(const struct qfile_check *check,
                      const unsigned char header[QFILE_HEADER_SIZE])
{
    return record_crc32(check->crc, header, QFILE_HEADER_SIZE);
}

int
qfile_check_type_at(const struct qfile_info *info, uint64_t offset, int type, struct vstring *why)
{
    int section;
    int want = qfile_type_section(type);

    if (offset == 0)
        section = QFILE_SECT_HEADER;
    else if (offset < info->content_offset)
        section = QFILE_SECT_ENVELOPE;
    else if (offset < info->extracted_offset)
        section = offset == info->content_offset ? -REC_TYPE_MESG : QFILE_SECT_CONTENT;
    else if (offset < info->end_offset)
        section = offset == info->extracted_offset ? -REC_TYPE_XTRA : QFILE_SECT_EXTRACTED;
    else
        section = offset == info->end_offset ? -REC_TYPE_END : QFILE_SECT_DONE;
    if (section < 0 ? type == -section
                    : (type != REC_TYPE_MESG && type != REC_TYPE_XTRA && type != REC_TYPE_END &&
                       (want == section || (want < 0 && (section == QFILE_SECT_ENVELOPE ||
                                                         section == QFILE_SECT_EXTRACTED)))))
        return 0;
    vstring_sprintf(why, "%s record where the header puts the %s", rec_type_name(type),
                    section == -REC_TYPE_MESG   ? "message content"
                    : section == -REC_TYPE_XTRA ? "extracted section"
                    : section == -REC_TYPE_END  ? "end record"
                                                : qfile_section_names[section]);
    return -1;
}
