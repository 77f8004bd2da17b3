/*
 * queue_id - queue ids in Postfix's short and long forms; see queue_id.h.
 *
 * The long form's alphabet is the 52 ASCII digits and consonants, in
 * ASCII order: 0-9, then the upper-case consonants, then the lower-case
 * ones. Digits are written most significant first.
 */
#include <stdint.h>
#include <string.h>

#include "mail/queue_id.h"
#include "util/msg.h"

static const char queue_id_alphabet[] = "0123456789"
                                        "BCDFGHJKLMNPQRSTVWXYZ"
                                        "bcdfghjklmnpqrstvwxyz";

#define QUEUE_ID_SEC_BASE 52
#define QUEUE_ID_USEC_BASE 52
#define QUEUE_ID_INODE_BASE 51

/* Appends value in base (<= 52), at least width digits, zero-padded. */
static void
queue_id_append_base(struct vstring *buf, unsigned long long value, unsigned base, int width)
{
    char digits[64];
    int n = 0;

    do {
        digits[n++] = queue_id_alphabet[value % base];
        value /= base;
    } while (value > 0);
    while (n < width)
        digits[n++] = '0';
    while (n > 0)
        vstring_addch(buf, digits[--n]);
}

const char *
queue_id_make(struct vstring *buf, const struct timeval *tv, ino_t inode, int long_form)
{
    if (tv->tv_usec < 0 || tv->tv_usec >= 1000000 || tv->tv_sec < 0)
        msg_panic("queue_id_make: bad time %lld.%06ld", (long long)tv->tv_sec, (long)tv->tv_usec);
    vstring_reset(buf);
    if (!long_form) {
        vstring_sprintf(buf, "%05lX%llX", (unsigned long)tv->tv_usec, (unsigned long long)inode);
    } else {
        queue_id_append_base(buf, (unsigned long long)tv->tv_sec, QUEUE_ID_SEC_BASE,
                             QUEUE_ID_LONG_SEC_MIN);
        queue_id_append_base(buf, (unsigned long long)tv->tv_usec, QUEUE_ID_USEC_BASE,
                             QUEUE_ID_LONG_USEC_DIGITS);
        vstring_addch(buf, QUEUE_ID_LONG_SEPARATOR);
        queue_id_append_base(buf, (unsigned long long)inode, QUEUE_ID_INODE_BASE, 1);
    }
    return vstring_str(buf);
}

int
queue_id_ok(const char *id)
{
    size_t len = 0;

    for (; id[len]; len++) {
        unsigned char ch = (unsigned char)id[len];

        if (len >= QUEUE_ID_MAX)
            return 0;
        if (!((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z')))
            return 0;
    }
    return len > 0;
}

/* The value of one digit in the long form's alphabet, or -1. */
static int
queue_id_digit(int ch)
{
    const char *cp;

    if (ch == 0 || (cp = strchr(queue_id_alphabet, ch)) == NULL)
        return -1;
    return (int)(cp - queue_id_alphabet);
}

/* Decodes len digits of text in base; -1 on a bad digit or overflow. */
static int
queue_id_decode(const char *text, size_t len, unsigned base, unsigned long long *value)
{
    unsigned long long result = 0;
    int digit;

    for (size_t i = 0; i < len; i++) {
        if ((digit = queue_id_digit(text[i])) < 0 || (unsigned)digit >= base)
            return -1;
        if (result > (~0ULL - (unsigned)digit) / base)
            return -1;
        result = result * base + (unsigned)digit;
    }
    *value = result;
    return 0;
}

/* Splits a long id; returns the separator's position or -1. */
static long
queue_id_long_split(const char *id, unsigned long long *sec, unsigned long long *usec)
{
    const char *sep;
    size_t time_len;
    unsigned long long inode;

    if (!queue_id_ok(id) || (sep = strrchr(id, QUEUE_ID_LONG_SEPARATOR)) == NULL)
        return -1;
    time_len = (size_t)(sep - id);
    if (time_len < QUEUE_ID_LONG_SEC_MIN + QUEUE_ID_LONG_USEC_DIGITS || sep[1] == 0)
        return -1;
    if (queue_id_decode(id, time_len - QUEUE_ID_LONG_USEC_DIGITS, QUEUE_ID_SEC_BASE, sec) < 0 ||
        queue_id_decode(sep - QUEUE_ID_LONG_USEC_DIGITS, QUEUE_ID_LONG_USEC_DIGITS,
                        QUEUE_ID_USEC_BASE, usec) < 0 ||
        *usec >= 1000000 ||
        queue_id_decode(sep + 1, strlen(sep + 1), QUEUE_ID_INODE_BASE, &inode) < 0)
        return -1;
    return (long)time_len;
}

int
queue_id_is_long(const char *id)
{
    unsigned long long sec;
    unsigned long long usec;

    return queue_id_long_split(id, &sec, &usec) >= 0;
}

int
queue_id_usec(const char *id, long *usec)
{
    unsigned long long sec;
    unsigned long long lusec;
    long value = 0;

    if (queue_id_long_split(id, &sec, &lusec) >= 0) {
        *usec = (long)lusec;
        return 0;
    }
    if (!queue_id_ok(id) || strlen(id) <= QUEUE_ID_SHORT_USEC_DIGITS)
        return -1;
    for (const char *cp = id; *cp; cp++)
        if (!((*cp >= '0' && *cp <= '9') || (*cp >= 'A' && *cp <= 'F')))
            return -1;
    for (int i = 0; i < QUEUE_ID_SHORT_USEC_DIGITS; i++)
        value = value * 16 + (id[i] <= '9' ? id[i] - '0' : id[i] - 'A' + 10);
    if (value >= 1000000)
        return -1;
    *usec = value;
    return 0;
}

int
queue_id_time(const char *id, struct timeval *tv)
{
    unsigned long long sec;
    unsigned long long usec;

    if (queue_id_long_split(id, &sec, &usec) < 0 || sec > (unsigned long long)INT64_MAX)
        return -1;
    tv->tv_sec = (time_t)sec;
    tv->tv_usec = (suseconds_t)usec;
    return 0;
}
