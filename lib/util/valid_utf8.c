/*
 * valid_utf8 - UTF-8 well-formedness check; see valid_utf8.h.
 *
 * Follows the table of well-formed byte sequences in the Unicode standard
 * (chapter 3, table 3-7): the lead byte fixes the length and the range of
 * the first continuation byte; later continuation bytes are 0x80..0xBF.
 */
#include "util/valid_utf8.h"

int
valid_utf8_string(const char *str, size_t len)
{
    const unsigned char *cp = (const unsigned char *)str;
    const unsigned char *end = cp + len;
    unsigned char lo;
    unsigned char hi;
    int more;

    while (cp < end) {
        if (*cp < 0x80) {
            cp++;
            continue;
        }
        lo = 0x80;
        hi = 0xbf;
        if (*cp >= 0xc2 && *cp <= 0xdf) {
            more = 1;
        } else if (*cp >= 0xe0 && *cp <= 0xef) {
            more = 2;
            if (*cp == 0xe0)
                lo = 0xa0;
            else if (*cp == 0xed)
                hi = 0x9f;
        } else if (*cp >= 0xf0 && *cp <= 0xf4) {
            more = 3;
            if (*cp == 0xf0)
                lo = 0x90;
            else if (*cp == 0xf4)
                hi = 0x8f;
        } else {
            return 0;
        }
        if (end - cp <= more)
            return 0;
        cp++;
        if (*cp < lo || *cp > hi)
            return 0;
        while (--more > 0) {
            cp++;
            if (*cp < 0x80 || *cp > 0xbf)
                return 0;
        }
        cp++;
    }
    return 1;
}

int
allascii(const char *str)
{
    const unsigned char *cp = (const unsigned char *)str;

    for (; *cp; cp++)
        if (*cp >= 0x80)
            return 0;
    return 1;
}
