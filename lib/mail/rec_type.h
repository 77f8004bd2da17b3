/*
 * rec_type - the record types of Tern's queue files and record streams,
 * and the fixed encodings inside their payloads.
 *
 * A record is one type byte, a 4-byte big-endian payload length, and the
 * payload (lib/mail/record.h). docs/queue-format.md is the reference for
 * each type: which section of a queue file may hold it, how often, and
 * what its payload holds. The same types travel in record streams between
 * programs (sendmail to postdrop, pickup to cleanup).
 *
 * rec_type_name(type) (record.c) gives the lower-case name used in
 * diagnostics and by postcat; rec_type_ok(type) says whether a byte is a
 * known type.
 */
#ifndef TERN_REC_TYPE_H
#define TERN_REC_TYPE_H

#define REC_TYPE_HEADER 'H'    /* first record: magic, version, offsets, sizes */
#define REC_TYPE_TIME 'T'      /* envelope: arrival time */
#define REC_TYPE_WARN 'W'      /* envelope: when to send a delay warning (updated in place) */
#define REC_TYPE_ATTR 'A'      /* envelope/extracted: name=value attribute */
#define REC_TYPE_SENDER 'S'    /* envelope: envelope sender, empty for <> */
#define REC_TYPE_DSN_ENVID 'I' /* envelope: DSN ENVID */
#define REC_TYPE_DSN_RET 'Y'   /* envelope: DSN RET (REC_RET_*) */
#define REC_TYPE_RCPT 'R'      /* envelope/extracted: a recipient with its done-marker */
#define REC_TYPE_RRTO 'P'      /* extracted: Return-Receipt-To: address */
#define REC_TYPE_ERTO 'K'      /* extracted: Errors-To: address */
#define REC_TYPE_MESG 'M'      /* start of the message content */
#define REC_TYPE_NORM 'N'      /* content: a line, or the last piece of one */
#define REC_TYPE_CONT 'L'      /* content: a piece of a line that goes on */
#define REC_TYPE_XTRA 'X'      /* start of the extracted information */
#define REC_TYPE_END 'E'       /* last record: checksum */

/* Fixed payload lengths. */
#define REC_HEADER_LEN 48
#define REC_TIME_LEN 12
#define REC_WARN_LEN 8
#define REC_DSN_RET_LEN 1
#define REC_END_LEN 4
#define REC_RCPT_MIN_LEN 14 /* status, notify, three empty counted strings */

/* The header record. */
#define REC_HEADER_MAGIC "Tern"
#define REC_HEADER_VERSION 1

/* Byte 0 of a recipient record: the done-marker. */
#define REC_RCPT_PENDING 0
#define REC_RCPT_DONE 1

/* Byte 1 of a recipient record: DSN NOTIFY (0: not given). */
#define REC_NOTIFY_NEVER (1 << 0)
#define REC_NOTIFY_SUCCESS (1 << 1)
#define REC_NOTIFY_FAILURE (1 << 2)
#define REC_NOTIFY_DELAY (1 << 3)
#define REC_NOTIFY_ALL                                                                             \
    (REC_NOTIFY_NEVER | REC_NOTIFY_SUCCESS | REC_NOTIFY_FAILURE | REC_NOTIFY_DELAY)

/* The DSN RET record's one byte. */
#define REC_RET_FULL 1
#define REC_RET_HDRS 2

const char *rec_type_name(int type);
int rec_type_ok(int type);

#endif
