/*
 * record - typed, length-prefixed records on a stream; see record.h.
 *
 * record_get reads the payload in pieces of at most RECORD_CHUNK bytes, so
 * a claimed length costs memory only as the bytes arrive.
 */
#include <errno.h>
#include <string.h>

#include "mail/rec_type.h"
#include "mail/record.h"
#include "util/msg.h"

#define RECORD_CHUNK 8192

int
record_put(struct vstream *fp, int type, const void *data, size_t len)
{
    unsigned char hdr[RECORD_HDR_LEN];

    if (type <= 0 || type > 255)
        msg_panic("record_put: bad record type %d", type);
    if (len > RECORD_LEN_MAX)
        msg_panic("record_put: %s record length %zu exceeds %d", rec_type_name(type), len,
                  RECORD_LEN_MAX);
    hdr[0] = (unsigned char)type;
    record_put_u32(hdr + 1, (uint32_t)len);
    if (vstream_write(fp, hdr, sizeof(hdr)) < 0)
        return -1;
    if (len > 0 && vstream_write(fp, data, len) < 0)
        return -1;
    return 0;
}

/* Says why a short read happened: timeout, error or end of input. */
static void
record_short_read(struct vstream *fp, struct vstring *why, const char *what, size_t got,
                  size_t want)
{
    if (vstream_timed_out(fp))
        vstring_sprintf(why, "timeout while reading %s", what);
    else if (vstream_error(fp))
        vstring_sprintf(why, "error while reading %s: %m", what);
    else
        vstring_sprintf(why, "truncated %s (%zu of %zu bytes)", what, got, want);
}

int
record_get(struct vstream *fp, struct vstring *buf, size_t limit, struct vstring *why)
{
    unsigned char hdr[RECORD_HDR_LEN];
    char piece[RECORD_CHUNK];
    size_t got;
    size_t len;
    size_t chunk;

    vstring_reset(buf);
    if (limit > RECORD_LEN_MAX)
        limit = RECORD_LEN_MAX;
    if ((got = vstream_read(fp, hdr, sizeof(hdr))) != sizeof(hdr)) {
        if (got == 0 && !vstream_error(fp))
            return RECORD_EOF;
        record_short_read(fp, why, "record header", got, sizeof(hdr));
        return RECORD_ERROR;
    }
    if (hdr[0] == 0) {
        vstring_strcpy(why, "record type 0");
        return RECORD_ERROR;
    }
    len = record_get_u32(hdr + 1);
    if (len > limit) {
        vstring_sprintf(why, "%s record length %zu exceeds limit %zu", rec_type_name(hdr[0]), len,
                        limit);
        return RECORD_ERROR;
    }
    while (vstring_len(buf) < len) {
        chunk = len - vstring_len(buf);
        if (chunk > sizeof(piece))
            chunk = sizeof(piece);
        got = vstream_read(fp, piece, chunk);
        vstring_memcat(buf, piece, got);
        if (got != chunk) {
            record_short_read(fp, why, "record payload", vstring_len(buf), len);
            return RECORD_ERROR;
        }
    }
    return hdr[0];
}

static uint32_t record_crc_table[256];
static int record_crc_ready;

static void
record_crc_init(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;

        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320U ^ (c >> 1) : c >> 1;
        record_crc_table[n] = c;
    }
    record_crc_ready = 1;
}

uint32_t
record_crc32(uint32_t crc, const void *data, size_t len)
{
    const unsigned char *cp = data;

    if (!record_crc_ready)
        record_crc_init();
    crc = ~crc;
    while (len-- > 0)
        crc = record_crc_table[(crc ^ *cp++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static const struct {
    int type;
    const char *name;
} rec_type_names[] = {
    {REC_TYPE_HEADER, "header"},
    {REC_TYPE_TIME, "time"},
    {REC_TYPE_WARN, "warn"},
    {REC_TYPE_ATTR, "attr"},
    {REC_TYPE_SENDER, "sender"},
    {REC_TYPE_DSN_ENVID, "dsn_envid"},
    {REC_TYPE_DSN_RET, "dsn_ret"},
    {REC_TYPE_RCPT, "recipient"},
    {REC_TYPE_RRTO, "return_receipt"},
    {REC_TYPE_ERTO, "errors_to"},
    {REC_TYPE_MESG, "message_content"},
    {REC_TYPE_NORM, "line"},
    {REC_TYPE_CONT, "line_piece"},
    {REC_TYPE_XTRA, "extracted"},
    {REC_TYPE_END, "end"},
};

const char *
rec_type_name(int type)
{
    for (size_t i = 0; i < sizeof(rec_type_names) / sizeof(rec_type_names[0]); i++)
        if (rec_type_names[i].type == type)
            return rec_type_names[i].name;
    return "unknown";
}

int
rec_type_ok(int type)
{
    return strcmp(rec_type_name(type), "unknown") != 0;
}
