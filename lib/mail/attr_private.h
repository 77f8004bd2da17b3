/*
 * attr_private - wire constants and shared helpers of the attr codec.
 *
 * For lib/mail/attr*.c only; everyone else includes attr.h. The byte
 * layout these constants describe is documented in docs/ipc.md:
 *
 *   item  = type-byte name-length name value      (lengths: 4 bytes, big-endian)
 *   end   = 'E'
 *
 * attr_error_set records the reason and kind that attr_error_reason and
 * attr_error_kind report; attr_error_clear resets them at the start of a
 * call.
 */
#ifndef TERN_ATTR_PRIVATE_H
#define TERN_ATTR_PRIVATE_H

#include <stdint.h>

#include "mail/attr.h"

#define ATTR_WIRE_END 'E'
#define ATTR_WIRE_INT 'I'
#define ATTR_WIRE_LONG 'L'
#define ATTR_WIRE_STR 'S'
#define ATTR_WIRE_DATA 'D'
#define ATTR_WIRE_TABLE 'T'

#define ATTR_WIRE_LEN_SIZE 4         /* bytes in a length or an int */
#define ATTR_WIRE_LONG_SIZE 8        /* bytes in a long */
#define ATTR_WIRE_LEN_MAX UINT32_MAX /* largest length the format can carry */

int attr_wire_type(int type);
int attr_api_type(int wire_type);

void attr_error_clear(void);
void attr_error_set(enum attr_error kind, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
