/*
 * attr - shared parts of the IPC codec: default limits, the last-error
 * record, attribute-name syntax, type names and the protocol announcement.
 *
 * Entry points: attr_error_reason, attr_error_kind, attr_name_valid,
 * attr_type_name, attr_announce_protocol, attr_expect_protocol (see
 * attr.h); attr_error_set/attr_error_clear and the wire-type mapping for
 * attr_print.c and attr_scan.c (see attr_private.h).
 *
 * A valid attribute name is 1 to ATTR_NAME_MAX bytes of ASCII letters,
 * digits, '_', '-' and '.'. A protocol name received from a peer is shown
 * in a reason only after printable() and truncation, so a log line never
 * carries raw peer bytes.
 */
#include <stdarg.h>
#include <string.h>

#include "mail/attr.h"
#include "mail/attr_private.h"
#include "util/msg.h"
#include "util/stringops.h"
#include "util/vstring.h"

#define ATTR_PROTOCOL_SHOW_MAX 100 /* bytes of a peer's protocol name in a reason */

const struct attr_limits attr_limits_default = {
    .name_max = ATTR_NAME_MAX,
    .value_max = ATTR_VALUE_MAX,
    .count_max = ATTR_COUNT_MAX,
    .table_max = ATTR_TABLE_MAX,
    .list_max = ATTR_LIST_MAX,
};

static struct vstring *attr_reason;
static enum attr_error attr_kind;

void
attr_error_clear(void)
{
    attr_kind = ATTR_ERR_NONE;
    if (attr_reason)
        vstring_reset(attr_reason);
}

void
attr_error_set(enum attr_error kind, const char *fmt, ...)
{
    va_list ap;

    if (attr_reason == NULL)
        attr_reason = vstring_alloc(100);
    vstring_reset(attr_reason);
    va_start(ap, fmt);
    vstring_vsprintf_append(attr_reason, fmt, ap);
    va_end(ap);
    attr_kind = kind;
}

/* The reason for the last failure, or "" after a success. */
const char *
attr_error_reason(void)
{
    return attr_reason ? vstring_str(attr_reason) : "";
}

enum attr_error
attr_error_kind(void)
{
    return attr_kind;
}

/* Returns 1 when the len bytes at name form a valid attribute name. */
int
attr_name_valid(const char *name, size_t len)
{
    size_t i;
    unsigned char ch;

    if (len == 0 || len > ATTR_NAME_MAX)
        return 0;
    for (i = 0; i < len; i++) {
        ch = (unsigned char)name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-' || ch == '.'))
            return 0;
    }
    return 1;
}

const char *
attr_type_name(int type)
{
    switch (type) {
    case ATTR_TYPE_END:
        return "end";
    case ATTR_TYPE_INT:
        return "int";
    case ATTR_TYPE_LONG:
        return "long";
    case ATTR_TYPE_STR:
        return "string";
    case ATTR_TYPE_DATA:
        return "data";
    case ATTR_TYPE_TABLE:
        return "table";
    default:
        return "unknown";
    }
}

/* Maps an API type to its wire byte; panics on an unknown type. */
int
attr_wire_type(int type)
{
    switch (type) {
    case ATTR_TYPE_END:
        return ATTR_WIRE_END;
    case ATTR_TYPE_INT:
        return ATTR_WIRE_INT;
    case ATTR_TYPE_LONG:
        return ATTR_WIRE_LONG;
    case ATTR_TYPE_STR:
        return ATTR_WIRE_STR;
    case ATTR_TYPE_DATA:
        return ATTR_WIRE_DATA;
    case ATTR_TYPE_TABLE:
        return ATTR_WIRE_TABLE;
    default:
        msg_panic("attr_wire_type: unknown attribute type %d", type);
    }
}

/* Maps a wire byte to its API type, or -1 for a byte that is no type. */
int
attr_api_type(int wire_type)
{
    switch (wire_type) {
    case ATTR_WIRE_END:
        return ATTR_TYPE_END;
    case ATTR_WIRE_INT:
        return ATTR_TYPE_INT;
    case ATTR_WIRE_LONG:
        return ATTR_TYPE_LONG;
    case ATTR_WIRE_STR:
        return ATTR_TYPE_STR;
    case ATTR_WIRE_DATA:
        return ATTR_TYPE_DATA;
    case ATTR_WIRE_TABLE:
        return ATTR_TYPE_TABLE;
    default:
        return -1;
    }
}

/* Sends the server's protocol announcement: one list, flushed. */
int
attr_announce_protocol(struct vstream *fp, const char *protocol)
{
    return attr_print(fp, ATTR_FLAG_NONE, ATTR_SEND_STR(ATTR_NAME_PROTOCOL, protocol),
                      ATTR_TYPE_END);
}

/*
 * Reads the server's announcement and checks its protocol name. Other
 * attributes in the announcement are skipped, so a server may add some.
 * Returns 0, or -1 with the reason recorded.
 */
int
attr_expect_protocol(struct vstream *fp, const char *protocol)
{
    struct vstring *got = vstring_alloc(32);
    int status = 0;

    if (attr_scan(fp, ATTR_FLAG_EXTRA, ATTR_RECV_STR(ATTR_NAME_PROTOCOL, got), ATTR_TYPE_END) !=
        1) {
        status = -1;
    } else if (strcmp(vstring_str(got), protocol) != 0) {
        if (vstring_len(got) > ATTR_PROTOCOL_SHOW_MAX)
            vstring_truncate(got, ATTR_PROTOCOL_SHOW_MAX);
        printable(vstring_str(got), '?');
        attr_error_set(ATTR_ERR_PROTOCOL, "unexpected protocol: got %s, want %s", vstring_str(got),
                       protocol);
        status = -1;
    }
    vstring_free(got);
    return status;
}
