/*
 * queue_id - queue ids (queue file names) in Postfix's short and long forms.
 *
 * A queue id names one message for its whole life: it is the name of its
 * queue file in every queue, of its defer/bounce/trace logs, and the
 * "QUEUEID:" of every log line about it. It is made from the time the
 * queue file was created and the file's inode number, so two files that
 * exist at the same time never share an id (the file system never gives
 * two live files one inode).
 *
 *   short form (enable_long_queue_ids = no), e.g. "3F1A21C0B5E":
 *       the microseconds of the creation time as 5 upper-case hex digits,
 *       then the inode number in upper-case hex (no padding)
 *   long form (enable_long_queue_ids = yes), e.g. "3Pt2mN2VXxznjll":
 *       the seconds in base 52 (6 or more digits, zero-padded), the
 *       microseconds in base 52 (exactly 4 digits), the separator 'z', then
 *       the inode number in base 51. The base-52 digits are
 *       0-9, B-Z and b-z without vowels; base 51 drops the last digit, 'z',
 *       so the last 'z' of a long id is always the separator.
 *
 * Entry points:
 *   queue_id_make(buf, tv, inode, long_form)   the id for a file; returns the text
 *   queue_id_ok(id)          a name that may be a queue id: 1..QUEUE_ID_MAX
 *                            ASCII letters and digits (what Postfix accepts;
 *                            anything else, e.g. "../x" or a temporary
 *                            file's name, is not a queue id)
 *   queue_id_is_long(id)     has the long form's shape (time part in the
 *                            alphabet, 'z', inode part)
 *   queue_id_usec(id, &usec) the microseconds the id was made from: the hex
 *                            digits of a short id, the decoded field of a long
 *                            one; -1 when the id has neither shape
 *   queue_id_time(id, &tv)   a long id's whole creation time; -1 for others
 *
 * None of these functions logs or fails on bad input: the checks return 0
 * or -1.
 */
#ifndef TERN_QUEUE_ID_H
#define TERN_QUEUE_ID_H

#include <sys/time.h>
#include <sys/types.h>

#include "util/vstring.h"

#define QUEUE_ID_MAX 32 /* longest name queue_id_ok accepts */

#define QUEUE_ID_SHORT_USEC_DIGITS 5 /* hex digits of microseconds, short form */
#define QUEUE_ID_LONG_SEC_MIN 6      /* minimal base-52 digits of seconds */
#define QUEUE_ID_LONG_USEC_DIGITS 4  /* exact base-52 digits of microseconds */
#define QUEUE_ID_LONG_SEPARATOR 'z'

const char *queue_id_make(struct vstring *buf, const struct timeval *tv, ino_t inode,
                          int long_form);
int queue_id_ok(const char *id);
int queue_id_is_long(const char *id);
int queue_id_usec(const char *id, long *usec);
int queue_id_time(const char *id, struct timeval *tv);

#endif
