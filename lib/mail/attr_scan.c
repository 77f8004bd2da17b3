/*
 * attr_scan - read an attribute list from a stream (see attr.h, docs/ipc.md).
 *
 * Entry points: attr_scan, attr_scan_bounded, attr_vscan.
 *
 * The caller's (type, name, destination) groups are first collected into a
 * request table; then items are read one at a time until the end marker
 * (or, with ATTR_FLAG_MORE, until every request is filled). Each item is
 * checked before its value is stored: a known type byte, a name within
 * name_max and of valid characters, a requested name (unless
 * ATTR_FLAG_EXTRA), no duplicate, the requested type, the requested order
 * (ATTR_FLAG_STRICT), a value length within value_max and the list within
 * count_max and list_max bytes. Memory grows only with bytes received,
 * never with a length the peer merely claims.
 *
 * Any failure returns -1 with a reason and kind recorded for
 * attr_error_reason/attr_error_kind. Destinations may then hold partial
 * values; the caller drops the connection. A bad request from the caller
 * (unknown type, NULL destination, too many requests) panics.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>

#include "mail/attr.h"
#include "mail/attr_private.h"
#include "util/msg.h"
#include "util/mymalloc.h"

#define ATTR_READ_CHUNK 65536 /* bytes stored per read of a long value */

/* One attribute the caller asked for. */
struct attr_request {
    int type;
    const char *name;
    void *dest;
    int seen;
};

/* The state of one attr_vscan call. */
struct attr_reader {
    struct vstream *fp;
    const struct attr_limits *lim;
    int flags;
    struct attr_request req[ATTR_REQUEST_MAX];
    size_t nreq;
    size_t next;             /* ATTR_FLAG_STRICT: first request not yet passed */
    size_t stored;           /* requests filled */
    size_t count;            /* items read, skipped ones included */
    size_t bytes;            /* name and value bytes read */
    int started;             /* some byte of this call was read */
    struct vstring *name;    /* the current item's name */
    struct vstring *scratch; /* skipped values and table keys */
    struct htable *skipped;  /* names of skipped items, for duplicate checks */
};

/* Records why a read came up short; returns -1. */
static int
attr_read_failed(struct attr_reader *rd)
{
    int err = errno;

    if (vstream_timed_out(rd->fp))
        attr_error_set(ATTR_ERR_TIMEOUT, "timeout after %d seconds reading attribute list",
                       rd->fp->timeout);
    else if (vstream_error(rd->fp))
        attr_error_set(ATTR_ERR_IO, "read error in attribute list: %s", strerror(err));
    else if (!rd->started)
        attr_error_set(ATTR_ERR_EOF, "end of input before attribute list");
    else
        attr_error_set(ATTR_ERR_TRUNCATED, "premature end of input in attribute list");
    return -1;
}

static int
attr_read_exact(struct attr_reader *rd, void *buf, size_t len)
{
    return vstream_read(rd->fp, buf, len) == len ? 0 : attr_read_failed(rd);
}

static int
attr_read_u32(struct attr_reader *rd, uint32_t *value)
{
    unsigned char buf[ATTR_WIRE_LEN_SIZE];

    if (attr_read_exact(rd, buf, sizeof(buf)) < 0)
        return -1;
    *value = ((uint32_t)buf[0] << 24) | ((uint32_t)buf[1] << 16) | ((uint32_t)buf[2] << 8) |
             (uint32_t)buf[3];
    return 0;
}

/* Appends len bytes to buf, growing it only as bytes arrive. */
static int
attr_read_append(struct attr_reader *rd, struct vstring *buf, size_t len)
{
    size_t chunk;
    size_t got;

    while (len > 0) {
        chunk = len < ATTR_READ_CHUNK ? len : ATTR_READ_CHUNK;
        vstring_reserve(buf, chunk);
        got = vstream_read(rd->fp, vstring_end(buf), chunk);
        buf->len += got;
        buf->data[buf->len] = 0;
        if (got < chunk)
            return attr_read_failed(rd);
        len -= chunk;
    }
    return 0;
}

/* Counts len more bytes against list_max. */
static int
attr_charge(struct attr_reader *rd, size_t len)
{
    if (len > rd->lim->list_max - rd->bytes) {
        attr_error_set(ATTR_ERR_MALFORMED,
                       "malformed attribute list: more than %zu bytes of names and values",
                       rd->lim->list_max);
        return -1;
    }
    rd->bytes += len;
    return 0;
}

/* Reads a length-prefixed string of at most max bytes, without NUL. */
static int
attr_read_text(struct attr_reader *rd, struct vstring *buf, size_t max, const char *what)
{
    uint32_t len;

    if (attr_read_u32(rd, &len) < 0)
        return -1;
    if (len > max) {
        attr_error_set(ATTR_ERR_MALFORMED,
                       "malformed attribute \"%s\": %s length %lu exceeds limit %zu",
                       vstring_str(rd->name), what, (unsigned long)len, max);
        return -1;
    }
    if (attr_charge(rd, len) < 0)
        return -1;
    vstring_reset(buf);
    if (attr_read_append(rd, buf, len) < 0)
        return -1;
    if (memchr(vstring_str(buf), 0, len) != NULL) {
        attr_error_set(ATTR_ERR_MALFORMED, "malformed attribute \"%s\": NUL byte in %s",
                       vstring_str(rd->name), what);
        return -1;
    }
    return 0;
}

/* Reads the current item's name into rd->name and checks it. */
static int
attr_read_name(struct attr_reader *rd)
{
    uint32_t len;
    size_t i;

    if (attr_read_u32(rd, &len) < 0)
        return -1;
    if (len == 0 || len > rd->lim->name_max) {
        attr_error_set(ATTR_ERR_MALFORMED,
                       "malformed attribute: name length %lu (allowed: 1 to %zu)",
                       (unsigned long)len, rd->lim->name_max);
        return -1;
    }
    vstring_reset(rd->name);
    if (attr_charge(rd, len) < 0 || attr_read_append(rd, rd->name, len) < 0)
        return -1;
    if (!attr_name_valid(vstring_str(rd->name), len)) {
        for (i = 0; i < len && attr_name_valid(vstring_str(rd->name) + i, 1); i++)
            /* find the offending byte */;
        attr_error_set(ATTR_ERR_MALFORMED, "malformed attribute: bad byte 0x%02x in name",
                       i < len ? (unsigned char)vstring_str(rd->name)[i] : 0);
        return -1;
    }
    return 0;
}

/* Reads one table entry (key, value) and adds it to table. */
static int
attr_read_entry(struct attr_reader *rd, struct htable *table, struct vstring *value, size_t *budget)
{
    if (attr_read_text(rd, rd->scratch, *budget, "table key") < 0)
        return -1;
    *budget -= vstring_len(rd->scratch);
    if (attr_read_text(rd, value, *budget, "table value") < 0)
        return -1;
    *budget -= vstring_len(value);
    if (htable_locate(table, vstring_str(rd->scratch)) != NULL) {
        attr_error_set(ATTR_ERR_MALFORMED, "malformed attribute \"%s\": duplicate table key",
                       vstring_str(rd->name));
        return -1;
    }
    htable_enter(table, vstring_str(rd->scratch), mystrdup(vstring_str(value)));
    return 0;
}

/*
 * Reads a table value and adds its entries to table. All keys and values
 * together are bounded by value_max.
 */
static int
attr_read_table(struct attr_reader *rd, struct htable *table)
{
    struct vstring *value;
    size_t budget = rd->lim->value_max;
    uint32_t n;
    int status = 0;

    if (attr_read_u32(rd, &n) < 0)
        return -1;
    if (n > rd->lim->table_max) {
        attr_error_set(ATTR_ERR_MALFORMED,
                       "malformed attribute \"%s\": table size %lu exceeds limit %zu",
                       vstring_str(rd->name), (unsigned long)n, rd->lim->table_max);
        return -1;
    }
    value = vstring_alloc(64);
    for (; status == 0 && n > 0; n--)
        status = attr_read_entry(rd, table, value, &budget);
    vstring_free(value);
    return status;
}

static int
attr_read_int(struct attr_reader *rd, int *dest)
{
    uint32_t u32;

    if (attr_charge(rd, ATTR_WIRE_LEN_SIZE) < 0 || attr_read_u32(rd, &u32) < 0)
        return -1;
    if (dest)
        *dest = (int)(int32_t)u32;
    return 0;
}

static int
attr_read_long(struct attr_reader *rd, long *dest)
{
    unsigned char buf[ATTR_WIRE_LONG_SIZE];
    uint64_t u64 = 0;
    size_t i;

    if (attr_charge(rd, sizeof(buf)) < 0 || attr_read_exact(rd, buf, sizeof(buf)) < 0)
        return -1;
    for (i = 0; i < sizeof(buf); i++)
        u64 = (u64 << 8) | buf[i];
#if LONG_MAX < INT64_MAX
    if ((int64_t)u64 > LONG_MAX || (int64_t)u64 < LONG_MIN) {
        attr_error_set(ATTR_ERR_MALFORMED, "malformed attribute \"%s\": long out of range",
                       vstring_str(rd->name));
        return -1;
    }
#endif
    if (dest)
        *dest = (long)(int64_t)u64;
    return 0;
}

static int
attr_read_data(struct attr_reader *rd, struct vstring *dest)
{
    uint32_t len;

    if (attr_read_u32(rd, &len) < 0)
        return -1;
    if (len > rd->lim->value_max) {
        attr_error_set(ATTR_ERR_MALFORMED,
                       "malformed attribute \"%s\": value length %lu exceeds limit %zu",
                       vstring_str(rd->name), (unsigned long)len, rd->lim->value_max);
        return -1;
    }
    if (attr_charge(rd, len) < 0)
        return -1;
    vstring_reset(dest);
    return attr_read_append(rd, dest, len);
}

/* Reads a value of the given type into dest (NULL: read, check, discard). */
static int
attr_read_value(struct attr_reader *rd, int type, void *dest)
{
    struct htable *tmp;
    int status;

    switch (type) {
    case ATTR_TYPE_INT:
        return attr_read_int(rd, dest);
    case ATTR_TYPE_LONG:
        return attr_read_long(rd, dest);
    case ATTR_TYPE_STR:
        return attr_read_text(rd, dest ? dest : rd->scratch, rd->lim->value_max, "value");
    case ATTR_TYPE_DATA:
        return attr_read_data(rd, dest ? dest : rd->scratch);
    case ATTR_TYPE_TABLE:
        if (dest)
            return attr_read_table(rd, dest);
        tmp = htable_create(16);
        status = attr_read_table(rd, tmp);
        htable_free(tmp, myfree);
        return status;
    default:
        msg_panic("attr_read_value: unknown type %d", type);
    }
}

/* Finds the request for the current name, or returns -1. */
static int
attr_find_request(struct attr_reader *rd)
{
    size_t i;

    for (i = 0; i < rd->nreq; i++)
        if (strcmp(rd->req[i].name, vstring_str(rd->name)) == 0)
            return (int)i;
    return -1;
}

/* Reads and discards an item that was not requested. */
static int
attr_skip_item(struct attr_reader *rd, int type)
{
    const char *name = vstring_str(rd->name);

    if ((rd->flags & ATTR_FLAG_EXTRA) == 0) {
        attr_error_set(ATTR_ERR_MALFORMED, "malformed attribute list: unexpected attribute \"%s\"",
                       name);
        return -1;
    }
    if (rd->skipped == NULL)
        rd->skipped = htable_create(16);
    if (htable_locate(rd->skipped, name) != NULL) {
        attr_error_set(ATTR_ERR_MALFORMED, "malformed attribute list: duplicate attribute \"%s\"",
                       name);
        return -1;
    }
    htable_enter(rd->skipped, name, NULL);
    return attr_read_value(rd, type, NULL);
}

/* Checks the order, uniqueness and type of a requested item, then stores it. */
static int
attr_store_item(struct attr_reader *rd, size_t idx, int type)
{
    struct attr_request *rp = rd->req + idx;

    if (rp->seen) {
        attr_error_set(ATTR_ERR_MALFORMED, "malformed attribute list: duplicate attribute \"%s\"",
                       rp->name);
        return -1;
    }
    if ((rd->flags & ATTR_FLAG_STRICT) && idx < rd->next) {
        attr_error_set(ATTR_ERR_MALFORMED,
                       "malformed attribute list: attribute \"%s\" out of order", rp->name);
        return -1;
    }
    if ((rd->flags & (ATTR_FLAG_STRICT | ATTR_FLAG_OPTIONAL)) == ATTR_FLAG_STRICT &&
        idx > rd->next) {
        attr_error_set(ATTR_ERR_MALFORMED,
                       "malformed attribute list: attribute \"%s\" out of order (expected \"%s\")",
                       rp->name, rd->req[rd->next].name);
        return -1;
    }
    if (type != rp->type) {
        attr_error_set(ATTR_ERR_MALFORMED, "malformed attribute \"%s\": type %s, want %s", rp->name,
                       attr_type_name(type), attr_type_name(rp->type));
        return -1;
    }
    if (attr_read_value(rd, type, rp->dest) < 0)
        return -1;
    rp->seen = 1;
    rd->next = idx + 1;
    rd->stored++;
    return 0;
}

/*
 * Reads one item. Returns 1 for an item, 0 for the end marker, -1 on
 * failure.
 */
static int
attr_read_item(struct attr_reader *rd)
{
    int ch;
    int type;
    int idx;

    if ((ch = vstream_getc(rd->fp)) == VSTREAM_EOF)
        return attr_read_failed(rd);
    rd->started = 1;
    if ((type = attr_api_type(ch)) < 0) {
        attr_error_set(ATTR_ERR_MALFORMED, "malformed attribute list: bad type byte 0x%02x", ch);
        return -1;
    }
    if (type == ATTR_TYPE_END)
        return 0;
    if (++rd->count > rd->lim->count_max) {
        attr_error_set(ATTR_ERR_MALFORMED,
                       "malformed attribute list: no end marker after %zu attributes",
                       rd->lim->count_max);
        return -1;
    }
    if (attr_read_name(rd) < 0)
        return -1;
    if ((idx = attr_find_request(rd)) < 0)
        return attr_skip_item(rd, type) < 0 ? -1 : 1;
    return attr_store_item(rd, (size_t)idx, type) < 0 ? -1 : 1;
}

/* After the end marker: every request must be filled unless optional. */
static int
attr_check_missing(struct attr_reader *rd)
{
    size_t i;

    if (rd->flags & ATTR_FLAG_OPTIONAL)
        return 0;
    for (i = 0; i < rd->nreq; i++) {
        if (!rd->req[i].seen) {
            attr_error_set(ATTR_ERR_MALFORMED, "malformed attribute list: missing attribute \"%s\"",
                           rd->req[i].name);
            return -1;
        }
    }
    return 0;
}

/* Collects the caller's (type, name, destination) groups; panics on misuse. */
static void
attr_collect_requests(struct attr_reader *rd, va_list ap)
{
    struct attr_request *rp;
    va_list cp;
    int type;
    size_t i;

    va_copy(cp, ap);
    while ((type = va_arg(cp, int)) != ATTR_TYPE_END) {
        if (rd->nreq >= ATTR_REQUEST_MAX)
            msg_panic("attr_scan: more than %d requested attributes", ATTR_REQUEST_MAX);
        rp = rd->req + rd->nreq++;
        rp->type = type;
        rp->name = va_arg(cp, const char *);
        rp->dest = va_arg(cp, void *);
        rp->seen = 0;
        if (type < ATTR_TYPE_INT || type > ATTR_TYPE_TABLE)
            msg_panic("attr_scan: unknown attribute type %d", type);
        if (rp->name == NULL || !attr_name_valid(rp->name, strlen(rp->name)))
            msg_panic("attr_scan: invalid attribute name \"%s\"", rp->name ? rp->name : "(null)");
        if (rp->dest == NULL)
            msg_panic("attr_scan: attribute %s: null destination", rp->name);
        for (i = 0; i + 1 < rd->nreq; i++)
            if (strcmp(rd->req[i].name, rp->name) == 0)
                msg_panic("attr_scan: attribute %s requested twice", rp->name);
    }
    va_end(cp);
}

/* True when ATTR_FLAG_MORE lets the scan stop before the end marker. */
static int
attr_scan_done(struct attr_reader *rd)
{
    return (rd->flags & ATTR_FLAG_MORE) && rd->stored == rd->nreq;
}

int
attr_vscan(struct vstream *fp, int flags, const struct attr_limits *limits, va_list ap)
{
    struct attr_reader rd;
    int status;

    attr_error_clear();
    if (flags & ~(ATTR_FLAG_MORE | ATTR_FLAG_OPTIONAL | ATTR_FLAG_EXTRA | ATTR_FLAG_STRICT))
        msg_panic("attr_scan: bad flags 0x%x", flags);
    memset(&rd, 0, sizeof(rd));
    rd.fp = fp;
    rd.flags = flags;
    rd.lim = limits ? limits : &attr_limits_default;
    attr_collect_requests(&rd, ap);
    rd.name = vstring_alloc(ATTR_NAME_MAX);
    rd.scratch = vstring_alloc(64);
    status = 1;
    while (status > 0 && !attr_scan_done(&rd))
        status = attr_read_item(&rd);
    if (status == 0)
        status = attr_check_missing(&rd);
    vstring_free(rd.name);
    vstring_free(rd.scratch);
    htable_free(rd.skipped, NULL);
    return status < 0 ? -1 : (int)rd.stored;
}

int
attr_scan(struct vstream *fp, int flags, ...)
{
    va_list ap;
    int status;

    va_start(ap, flags);
    status = attr_vscan(fp, flags, NULL, ap);
    va_end(ap);
    return status;
}

int
attr_scan_bounded(struct vstream *fp, int flags, const struct attr_limits *limits, ...)
{
    va_list ap;
    int status;

    va_start(ap, limits);
    status = attr_vscan(fp, flags, limits, ap);
    va_end(ap);
    return status;
}
