/*
 * fuzz_attr - libFuzzer target for the IPC codec's reader (attr_scan).
 *
 * Input: one control byte, then up to 4095 bytes of "wire". The control
 * byte picks the scan flags (low four bits: MORE, OPTIONAL, EXTRA, STRICT)
 * and, with bit 4, small limits that make every bound reachable. The wire
 * goes into a socketpair whose writing end is then shut, so the reader
 * sees the bytes and then end of input (never a wait). Lists are scanned
 * until the first failure. Each list that fills all five requested
 * attributes is printed again with attr_print and scanned back: the
 * values must survive unchanged (abort otherwise).
 *
 * Must not crash, leak, hang, or fail the round trip on any input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mail/attr.h"
#include "util/htable.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/vstream.h"
#include "util/vstring.h"

#define FUZZ_WIRE_MAX 4095
#define FUZZ_LISTS_MAX 64

/* The values of one list. */
struct fuzz_values {
    struct vstring *str;
    struct vstring *data;
    struct htable *table;
    int ival;
    long lval;
};

static const struct attr_limits fuzz_small_limits = {
    .name_max = 3, .value_max = 24, .count_max = 4, .table_max = 3, .list_max = 64};

static void
fuzz_values_init(struct fuzz_values *vp)
{
    vp->str = vstring_alloc(16);
    vp->data = vstring_alloc(16);
    vp->table = htable_create(8);
    vp->ival = 0;
    vp->lval = 0;
}

static void
fuzz_values_free(struct fuzz_values *vp)
{
    vstring_free(vp->str);
    vstring_free(vp->data);
    htable_free(vp->table, myfree);
}

static int
fuzz_scan(struct vstream *fp, int flags, const struct attr_limits *limits, struct fuzz_values *vp)
{
    return attr_scan_bounded(fp, flags, limits, ATTR_RECV_STR("a", vp->str),
                             ATTR_RECV_INT("i", &vp->ival), ATTR_RECV_LONG("l", &vp->lval),
                             ATTR_RECV_DATA("d", vp->data), ATTR_RECV_TABLE("t", vp->table),
                             ATTR_TYPE_END);
}

/* Returns a stream that reads len bytes from data, then end of input. */
static struct vstream *
fuzz_stream(const uint8_t *data, size_t len)
{
    struct vstream *fp;
    int sv[2];

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        msg_fatal("socketpair: %m");
    if (len > 0 && write(sv[0], data, len) != (ssize_t)len)
        msg_fatal("write to socketpair: %m");
    close(sv[0]);
    fp = vstream_fdopen(sv[1], "fuzz");
    vstream_set_timeout(fp, 1);
    return fp;
}

static int
fuzz_same_table(const struct htable *a, const struct htable *b)
{
    const struct htable_entry *ep;
    const char *other;

    if (a->used != b->used)
        return 0;
    for (ep = htable_first(a); ep; ep = htable_next(ep))
        if ((other = htable_find(b, ep->key)) == NULL || strcmp(other, ep->value) != 0)
            return 0;
    return 1;
}

/* Prints what was received, scans it back, and checks nothing changed. */
static void
fuzz_round_trip(const struct fuzz_values *vp)
{
    struct fuzz_values back;
    struct vstream *out;
    struct vstream *in;
    int sv[2];

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        msg_fatal("socketpair: %m");
    out = vstream_fdopen(sv[0], "fuzz-out");
    in = vstream_fdopen(sv[1], "fuzz-in");
    vstream_set_timeout(in, 1);
    if (attr_print(out, ATTR_FLAG_NONE, ATTR_SEND_STR("a", vstring_str(vp->str)),
                   ATTR_SEND_INT("i", vp->ival), ATTR_SEND_LONG("l", vp->lval),
                   ATTR_SEND_DATA("d", vstring_str(vp->data), vstring_len(vp->data)),
                   ATTR_SEND_TABLE("t", vp->table), ATTR_TYPE_END) < 0)
        msg_panic("fuzz_round_trip: print: %s", attr_error_reason());
    vstream_close(out);
    fuzz_values_init(&back);
    if (fuzz_scan(in, ATTR_FLAG_STRICT, NULL, &back) != 5)
        msg_panic("fuzz_round_trip: scan: %s", attr_error_reason());
    if (strcmp(vstring_str(back.str), vstring_str(vp->str)) != 0 || back.ival != vp->ival ||
        back.lval != vp->lval || vstring_len(back.data) != vstring_len(vp->data) ||
        memcmp(vstring_str(back.data), vstring_str(vp->data), vstring_len(vp->data)) != 0 ||
        !fuzz_same_table(back.table, vp->table))
        msg_panic("fuzz_round_trip: values changed");
    fuzz_values_free(&back);
    vstream_close(in);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct attr_limits *limits;
    struct fuzz_values values;
    struct vstream *fp;
    int flags;
    int n;

    if (size == 0)
        return 0;
    flags = data[0] & (ATTR_FLAG_MORE | ATTR_FLAG_OPTIONAL | ATTR_FLAG_EXTRA | ATTR_FLAG_STRICT);
    limits = (data[0] & 0x10) ? &fuzz_small_limits : NULL;
    data++;
    size--;
    if (size > FUZZ_WIRE_MAX)
        size = FUZZ_WIRE_MAX;
    fp = fuzz_stream(data, size);
    for (int lists = 0; lists < FUZZ_LISTS_MAX; lists++) {
        fuzz_values_init(&values);
        n = fuzz_scan(fp, flags, limits, &values);
        if (n == 5)
            fuzz_round_trip(&values);
        fuzz_values_free(&values);
        if (n < 0)
            break;
    }
    vstream_close(fp);
    return 0;
}
