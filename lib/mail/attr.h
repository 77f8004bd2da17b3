/*
 * attr - the IPC codec: attribute lists of named, typed values on a stream.
 *
 * Every request and reply between Tern daemons and commands is one
 * attribute list: a sequence of (type, name, value) items closed by an end
 * marker. docs/ipc.md describes the bytes on the wire. Types:
 *
 *   ATTR_TYPE_INT    32-bit signed integer         (C: int)
 *   ATTR_TYPE_LONG   64-bit signed integer         (C: long)
 *   ATTR_TYPE_STR    text without NUL bytes        (C: const char *, received in a vstring)
 *   ATTR_TYPE_DATA   arbitrary bytes               (C: pointer + size_t, received in a vstring)
 *   ATTR_TYPE_TABLE  name -> string table          (C: struct htable of char *)
 *
 * Writing:
 *
 *   attr_print(fp, ATTR_FLAG_NONE,
 *              ATTR_SEND_STR("queue_id", id), ATTR_SEND_INT("status", 0), ATTR_TYPE_END);
 *
 * writes the items and the end marker, then flushes the stream. With
 * ATTR_FLAG_MORE it writes neither end marker nor flush: the list goes on
 * with the next attr_print call. Returns 0, or -1 on a write error or
 * timeout (see attr_error_reason). An invalid attribute name, a NULL value
 * or an unknown type is a programming error and panics.
 *
 * Reading:
 *
 *   n = attr_scan(fp, ATTR_FLAG_NONE,
 *                 ATTR_RECV_STR("queue_id", id_buf), ATTR_RECV_INT("status", &status),
 *                 ATTR_TYPE_END);
 *
 * reads one list and stores each requested attribute where asked. It
 * returns the number of requested attributes stored, or -1. By default the
 * list must hold exactly the requested attributes, in any order, each once,
 * with the requested type, then the end marker. Flags relax this:
 *
 *   ATTR_FLAG_OPTIONAL  requested attributes may be absent (the count says
 *                       how many were stored; absent destinations are untouched)
 *   ATTR_FLAG_EXTRA     attributes that were not requested are read, checked
 *                       and skipped instead of rejected
 *   ATTR_FLAG_STRICT    requested attributes must arrive in the requested order
 *   ATTR_FLAG_MORE      return as soon as every requested attribute is stored,
 *                       leaving the rest of the list (and its end marker) for a
 *                       following attr_scan call; the end marker, if met first,
 *                       is consumed and ends the list as usual (duplicates are
 *                       detected within one call only)
 *
 * Received strings and data replace the vstring's contents. A received
 * table adds mystrdup'ed values to the caller's table (free them with
 * htable_free(table, myfree)); a key already in the table is a duplicate.
 *
 * Invariants on input (never trust, never crash): every length is checked
 * against struct attr_limits before any byte of the value is stored, and
 * memory grows only with bytes actually received; every read waits at
 * most the stream's timeout (vstream_set_timeout; 0 means forever, so
 * servers must set one). The timeout applies to each read, not to the
 * whole list: a peer that trickles bytes is bounded by list_max. On bad input attr_scan returns -1 and records a
 * reason (attr_error_reason) and a kind (attr_error_kind) that stay valid
 * until the next attr_* call; the caller logs it as a warning naming the
 * stream and drops the connection, e.g.
 *
 *   msg_warn("%s socket: %s", vstream_path(fp), attr_error_reason());
 *
 * Destinations may hold partial values after a failure. The reason never
 * quotes peer bytes except a sanitized, truncated protocol name.
 *
 * Protocol announcement: a server's first message on every connection is
 * attr_announce_protocol(fp, "cleanup_v1"); the client calls
 * attr_expect_protocol(fp, "cleanup_v1"), which fails with
 * "unexpected protocol: got X, want Y" on a mismatch.
 *
 * Processes are single-threaded: the last-error record is per process,
 * like errno.
 */
#ifndef TERN_ATTR_H
#define TERN_ATTR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "util/htable.h"
#include "util/vstream.h"
#include "util/vstring.h"

/* Attribute types; the end marker closes every variadic argument list. */
enum attr_type {
    ATTR_TYPE_END = 0,
    ATTR_TYPE_INT,
    ATTR_TYPE_LONG,
    ATTR_TYPE_STR,
    ATTR_TYPE_DATA,
    ATTR_TYPE_TABLE,
};

/* Flags for attr_print and attr_scan. */
#define ATTR_FLAG_NONE 0
#define ATTR_FLAG_MORE (1 << 0)     /* the list continues after this call */
#define ATTR_FLAG_OPTIONAL (1 << 1) /* requested attributes may be absent */
#define ATTR_FLAG_EXTRA (1 << 2)    /* skip attributes that were not requested */
#define ATTR_FLAG_STRICT (1 << 3)   /* requested attributes arrive in order */

/*
 * Bounds on what attr_scan accepts from a peer. The defaults below suit
 * every Tern protocol; a caller with other needs passes its own limits to
 * attr_scan_bounded.
 */
struct attr_limits {
    size_t name_max;  /* bytes in an attribute name (never above ATTR_NAME_MAX) */
    size_t value_max; /* bytes in one string or data value, or in all keys and
                       * values of one table together */
    size_t count_max; /* attributes in one list, skipped ones included */
    size_t table_max; /* entries in one table */
    size_t list_max;  /* bytes of names and values in one list */
};

#define ATTR_NAME_MAX 64
#define ATTR_VALUE_MAX (1024 * 1024)
#define ATTR_COUNT_MAX 1024
#define ATTR_TABLE_MAX 4096
#define ATTR_LIST_MAX (4 * 1024 * 1024)
#define ATTR_REQUEST_MAX 64 /* requested attributes in one attr_scan call */

extern const struct attr_limits attr_limits_default;

/* The attribute that announces a server's protocol. */
#define ATTR_NAME_PROTOCOL "protocol"

/* What went wrong in the last failed attr_* call. */
enum attr_error {
    ATTR_ERR_NONE = 0,
    ATTR_ERR_EOF,       /* input ended cleanly before a list began */
    ATTR_ERR_TRUNCATED, /* input ended inside a list */
    ATTR_ERR_TIMEOUT,   /* the peer was silent for the stream's timeout */
    ATTR_ERR_IO,        /* read or write error (errno in the reason) */
    ATTR_ERR_MALFORMED, /* bytes that break the format or the limits */
    ATTR_ERR_PROTOCOL,  /* well-formed list with the wrong protocol name */
};

int attr_print(struct vstream *fp, int flags, ...);
int attr_vprint(struct vstream *fp, int flags, va_list ap);
int attr_scan(struct vstream *fp, int flags, ...);
int attr_scan_bounded(struct vstream *fp, int flags, const struct attr_limits *limits, ...);
int attr_vscan(struct vstream *fp, int flags, const struct attr_limits *limits, va_list ap);

int attr_announce_protocol(struct vstream *fp, const char *protocol);
int attr_expect_protocol(struct vstream *fp, const char *protocol);

const char *attr_error_reason(void);
enum attr_error attr_error_kind(void);
int attr_name_valid(const char *name, size_t len);
const char *attr_type_name(int type);

/*
 * Type-checked argument builders. Each expands to the type tag followed by
 * arguments passed through inline functions, so a wrong argument type is a
 * compile-time diagnostic (an error under -Werror) rather than a misread
 * of the variadic list. Use these instead of spelling out the raw form
 * (ATTR_TYPE_INT, "name", value).
 */
static inline const char *
attr_check_name(const char *name)
{
    return name;
}

static inline int
attr_check_int(int value)
{
    return value;
}

static inline long
attr_check_long(long value)
{
    return value;
}

static inline const char *
attr_check_str(const char *value)
{
    return value;
}

static inline const void *
attr_check_data(const void *ptr)
{
    return ptr;
}

static inline size_t
attr_check_size(size_t len)
{
    return len;
}

static inline const struct htable *
attr_check_table(const struct htable *table)
{
    return table;
}

static inline int *
attr_check_int_ptr(int *ptr)
{
    return ptr;
}

static inline long *
attr_check_long_ptr(long *ptr)
{
    return ptr;
}

static inline struct vstring *
attr_check_vstring(struct vstring *buf)
{
    return buf;
}

static inline struct htable *
attr_check_table_ptr(struct htable *table)
{
    return table;
}

#define ATTR_SEND_INT(name, value) ATTR_TYPE_INT, attr_check_name(name), attr_check_int(value)
#define ATTR_SEND_LONG(name, value) ATTR_TYPE_LONG, attr_check_name(name), attr_check_long(value)
#define ATTR_SEND_STR(name, value) ATTR_TYPE_STR, attr_check_name(name), attr_check_str(value)
#define ATTR_SEND_DATA(name, ptr, len)                                                             \
    ATTR_TYPE_DATA, attr_check_name(name), attr_check_data(ptr), attr_check_size(len)
#define ATTR_SEND_TABLE(name, table) ATTR_TYPE_TABLE, attr_check_name(name), attr_check_table(table)

#define ATTR_RECV_INT(name, ptr) ATTR_TYPE_INT, attr_check_name(name), attr_check_int_ptr(ptr)
#define ATTR_RECV_LONG(name, ptr) ATTR_TYPE_LONG, attr_check_name(name), attr_check_long_ptr(ptr)
#define ATTR_RECV_STR(name, buf) ATTR_TYPE_STR, attr_check_name(name), attr_check_vstring(buf)
#define ATTR_RECV_DATA(name, buf) ATTR_TYPE_DATA, attr_check_name(name), attr_check_vstring(buf)
#define ATTR_RECV_TABLE(name, table)                                                               \
    ATTR_TYPE_TABLE, attr_check_name(name), attr_check_table_ptr(table)

#endif
