/*
 * record - typed, length-prefixed records on a stream: the bytes of every
 * queue file and of the record streams between programs.
 *
 * A record is:
 *
 *   type     1 byte, not 0 (the REC_TYPE_* of rec_type.h)
 *   length   4 bytes, unsigned big-endian, at most RECORD_LEN_MAX
 *   payload  length bytes
 *
 *   record_put(fp, type, data, len)
 *       writes one record (buffered); 0, or -1 on a write error. A type of
 *       0 or a length above RECORD_LEN_MAX is a programming error (panic).
 *   record_get(fp, buf, limit, why)
 *       reads one record; the payload replaces buf's contents. Returns the
 *       type (1..255), RECORD_EOF when the input ended cleanly before the
 *       first byte of a record, or RECORD_ERROR with the reason in why:
 *       "truncated record header (N of 5 bytes)", "record type 0",
 *       "record length N exceeds limit L", "truncated record payload (N of
 *       M bytes)", a read error or a timeout. The length is checked against
 *       limit (at most RECORD_LEN_MAX) before any payload byte is stored,
 *       and buf grows only with bytes actually read. record_get does not
 *       judge types: callers do (qfile, postdrop, cleanup).
 *
 * Byte helpers for fixed-width payload fields (big-endian):
 *   record_put_u32/u64(dst, value), record_get_u32/u64(src)
 *
 * Checksum: record_crc32(crc, data, len) continues a CRC-32 (the IEEE
 * polynomial, as zlib's crc32 and Python's zlib.crc32; start from 0).
 *
 * rec_type_name and rec_type_ok (rec_type.h) live here as well.
 */
#ifndef TERN_RECORD_H
#define TERN_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "util/vstream.h"
#include "util/vstring.h"

#define RECORD_HDR_LEN 5
#define RECORD_LEN_MAX (1024 * 1024) /* the format's bound on one payload */

#define RECORD_EOF 0
#define RECORD_ERROR (-1)

int record_put(struct vstream *fp, int type, const void *data, size_t len);
int record_get(struct vstream *fp, struct vstring *buf, size_t limit, struct vstring *why);
uint32_t record_crc32(uint32_t crc, const void *data, size_t len);

static inline void
record_put_u32(unsigned char *dst, uint32_t value)
{
    dst[0] = (unsigned char)(value >> 24);
    dst[1] = (unsigned char)(value >> 16);
    dst[2] = (unsigned char)(value >> 8);
    dst[3] = (unsigned char)value;
}

static inline void
record_put_u64(unsigned char *dst, uint64_t value)
{
    record_put_u32(dst, (uint32_t)(value >> 32));
    record_put_u32(dst + 4, (uint32_t)value);
}

static inline uint32_t
record_get_u32(const unsigned char *src)
{
    return ((uint32_t)src[0] << 24) | ((uint32_t)src[1] << 16) | ((uint32_t)src[2] << 8) |
           (uint32_t)src[3];
}

static inline uint64_t
record_get_u64(const unsigned char *src)
{
    return ((uint64_t)record_get_u32(src) << 32) | record_get_u32(src + 4);
}

#endif
