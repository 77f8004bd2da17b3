/*
 * base64_code - RFC 4648 base64 encoding and decoding (standard alphabet,
 * "=" padding, no line breaks).
 *
 *   base64_encode(result, data, len)  replaces result with the encoding
 *   base64_decode(result, text, len)  replaces result with the decoded
 *                                     bytes; NULL when text is not valid
 *                                     base64 (bad character, bad padding,
 *                                     length not a multiple of four)
 *
 * Both return result (decoded data may contain NUL bytes; use its length).
 */
#ifndef TERN_BASE64_CODE_H
#define TERN_BASE64_CODE_H

#include <stddef.h>

#include "util/vstring.h"

struct vstring *base64_encode(struct vstring *result, const char *data, size_t len);
struct vstring *base64_decode(struct vstring *result, const char *text, size_t len);

#endif
