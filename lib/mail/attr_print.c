/*
 * attr_print - write an attribute list to a stream (see attr.h, docs/ipc.md).
 *
 * Entry points: attr_print, attr_vprint.
 *
 * The variadic list is (type, name, value...) groups closed by
 * ATTR_TYPE_END; the ATTR_SEND_* macros build the groups with type checks.
 * Each item goes out as its wire type byte, the 4-byte big-endian name
 * length, the name, and the value; the end marker follows unless
 * ATTR_FLAG_MORE is given, and then the stream is flushed.
 *
 * What the caller passes is trusted program state, not peer input: an
 * invalid name, a NULL string or table value, a length the format cannot
 * carry, or an unknown type is a programming error and panics. A write
 * error or timeout returns -1 with the reason recorded (attr_error_reason).
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "mail/attr.h"
#include "mail/attr_private.h"
#include "util/msg.h"

/* Appends a 4-byte big-endian length or int. */
static void
attr_put_u32(struct vstream *fp, uint32_t value)
{
    unsigned char buf[ATTR_WIRE_LEN_SIZE];

    buf[0] = (unsigned char)(value >> 24);
    buf[1] = (unsigned char)(value >> 16);
    buf[2] = (unsigned char)(value >> 8);
    buf[3] = (unsigned char)value;
    vstream_write(fp, buf, sizeof(buf));
}

static void
attr_put_u64(struct vstream *fp, uint64_t value)
{
    attr_put_u32(fp, (uint32_t)(value >> 32));
    attr_put_u32(fp, (uint32_t)value);
}

/* Appends a length-prefixed byte string; what names the value for a panic. */
static void
attr_put_counted(struct vstream *fp, const char *what, const void *data, size_t len)
{
    if (len > ATTR_WIRE_LEN_MAX)
        msg_panic("attr_print: %s: length %zu exceeds the wire format", what, len);
    attr_put_u32(fp, (uint32_t)len);
    if (len > 0)
        vstream_write(fp, data, len);
}

static void
attr_put_table(struct vstream *fp, const char *name, const struct htable *table)
{
    const struct htable_entry *ep;

    if (table == NULL)
        msg_panic("attr_print: attribute %s: null table", name);
    if (table->used > ATTR_WIRE_LEN_MAX)
        msg_panic("attr_print: attribute %s: too many table entries", name);
    attr_put_u32(fp, (uint32_t)table->used);
    for (ep = htable_first(table); ep; ep = htable_next(ep)) {
        if (ep->value == NULL)
            msg_panic("attr_print: attribute %s: null value for key %s", name, ep->key);
        attr_put_counted(fp, name, ep->key, strlen(ep->key));
        attr_put_counted(fp, name, ep->value, strlen((const char *)ep->value));
    }
}

/* Writes the value of one item, taking its arguments from ap. */
static void
attr_put_value(struct vstream *fp, int type, const char *name, va_list *ap)
{
    const char *str;
    const void *data;
    size_t len;

    switch (type) {
    case ATTR_TYPE_INT:
        attr_put_u32(fp, (uint32_t)va_arg(*ap, int));
        break;
    case ATTR_TYPE_LONG:
        attr_put_u64(fp, (uint64_t)(int64_t)va_arg(*ap, long));
        break;
    case ATTR_TYPE_STR:
        if ((str = va_arg(*ap, const char *)) == NULL)
            msg_panic("attr_print: attribute %s: null string", name);
        attr_put_counted(fp, name, str, strlen(str));
        break;
    case ATTR_TYPE_DATA:
        data = va_arg(*ap, const void *);
        len = va_arg(*ap, size_t);
        if (data == NULL && len > 0)
            msg_panic("attr_print: attribute %s: null data", name);
        attr_put_counted(fp, name, data, len);
        break;
    case ATTR_TYPE_TABLE:
        attr_put_table(fp, name, va_arg(*ap, const struct htable *));
        break;
    default:
        msg_panic("attr_print: attribute %s: unknown type %d", name, type);
    }
}

/* Records why the stream failed; returns -1. */
static int
attr_print_failed(struct vstream *fp)
{
    int err = errno;

    if (vstream_timed_out(fp))
        attr_error_set(ATTR_ERR_TIMEOUT, "timeout after %d seconds writing attribute list",
                       fp->timeout);
    else
        attr_error_set(ATTR_ERR_IO, "write error in attribute list: %s", strerror(err));
    return -1;
}

int
attr_vprint(struct vstream *fp, int flags, va_list ap)
{
    va_list cp;
    const char *name;
    int type;

    attr_error_clear();
    if (flags & ~ATTR_FLAG_MORE)
        msg_panic("attr_print: bad flags 0x%x", flags);
    va_copy(cp, ap);
    while ((type = va_arg(cp, int)) != ATTR_TYPE_END) {
        name = va_arg(cp, const char *);
        if (name == NULL || !attr_name_valid(name, strlen(name)))
            msg_panic("attr_print: invalid attribute name \"%s\"", name ? name : "(null)");
        vstream_putc(fp, attr_wire_type(type));
        attr_put_counted(fp, "name", name, strlen(name));
        attr_put_value(fp, type, name, &cp);
    }
    va_end(cp);
    if ((flags & ATTR_FLAG_MORE) == 0) {
        vstream_putc(fp, ATTR_WIRE_END);
        vstream_flush(fp);
    }
    return vstream_error(fp) ? attr_print_failed(fp) : 0;
}

int
attr_print(struct vstream *fp, int flags, ...)
{
    va_list ap;
    int status;

    va_start(ap, flags);
    status = attr_vprint(fp, flags, ap);
    va_end(ap);
    return status;
}
