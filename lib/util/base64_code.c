/*
 * base64_code - base64 encoding and decoding; see base64_code.h.
 *
 * Decoding is strict: every group of four characters must come from the
 * alphabet, "=" may only pad the last group (as "x=" or "=="), and any
 * other input is refused rather than guessed at.
 */
#include <string.h>

#include "util/base64_code.h"

static const char base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

struct vstring *
base64_encode(struct vstring *result, const char *data, size_t len)
{
    const unsigned char *cp = (const unsigned char *)data;
    unsigned long group;
    size_t n;

    vstring_reset(result);
    vstring_reserve(result, (len + 2) / 3 * 4);
    for (n = 0; n + 3 <= len; n += 3) {
        group = ((unsigned long)cp[n] << 16) | ((unsigned long)cp[n + 1] << 8) | cp[n + 2];
        vstring_addch(result, base64_alphabet[(group >> 18) & 077]);
        vstring_addch(result, base64_alphabet[(group >> 12) & 077]);
        vstring_addch(result, base64_alphabet[(group >> 6) & 077]);
        vstring_addch(result, base64_alphabet[group & 077]);
    }
    if (len - n == 1) {
        group = (unsigned long)cp[n] << 16;
        vstring_addch(result, base64_alphabet[(group >> 18) & 077]);
        vstring_addch(result, base64_alphabet[(group >> 12) & 077]);
        vstring_strcat(result, "==");
    } else if (len - n == 2) {
        group = ((unsigned long)cp[n] << 16) | ((unsigned long)cp[n + 1] << 8);
        vstring_addch(result, base64_alphabet[(group >> 18) & 077]);
        vstring_addch(result, base64_alphabet[(group >> 12) & 077]);
        vstring_addch(result, base64_alphabet[(group >> 6) & 077]);
        vstring_addch(result, '=');
    }
    return result;
}

/* The value of one base64 character, or -1. */
static int
base64_value(int ch)
{
    const char *cp;

    if (ch == 0 || (cp = strchr(base64_alphabet, ch)) == NULL)
        return -1;
    return (int)(cp - base64_alphabet);
}

struct vstring *
base64_decode(struct vstring *result, const char *text, size_t len)
{
    const unsigned char *cp = (const unsigned char *)text;
    int v[4];
    size_t n;
    int i;
    int pad;

    vstring_reset(result);
    if (len % 4 != 0)
        return NULL;
    for (n = 0; n < len; n += 4) {
        pad = 0;
        for (i = 0; i < 4; i++) {
            if (cp[n + i] == '=' && n + 4 == len && i >= 2) {
                v[i] = 0;
                pad++;
            } else if (pad > 0 || (v[i] = base64_value(cp[n + i])) < 0) {
                return NULL;
            }
        }
        vstring_addch(result, (v[0] << 2) | (v[1] >> 4));
        if (pad < 2)
            vstring_addch(result, ((v[1] & 017) << 4) | (v[2] >> 2));
        if (pad < 1)
            vstring_addch(result, ((v[2] & 03) << 6) | v[3]);
    }
    return result;
}
