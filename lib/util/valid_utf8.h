/*
 * valid_utf8 - is a byte string well-formed UTF-8?
 *
 *   valid_utf8_string(str, len)  1 when the len bytes are well-formed
 *                                UTF-8 (RFC 3629: no overlong forms, no
 *                                surrogates, nothing above U+10FFFF), else 0
 *   allascii(str)                1 when the C string has only 7-bit bytes
 *
 * Used where main.cf's smtputf8_enable asks for UTF-8 checks of table
 * sources and lookup keys. Never reads past len.
 */
#ifndef TERN_VALID_UTF8_H
#define TERN_VALID_UTF8_H

#include <stddef.h>

int valid_utf8_string(const char *str, size_t len);
int allascii(const char *str);

#endif
