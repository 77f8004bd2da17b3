/*
 * log_delay - delay values in Postfix's log format; see log_delay.h.
 */
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "mail/log_delay.h"

/* Decimals for two significant digits of a value below 100 s. */
static int
log_delay_digits(int64_t us)
{
    int digits = 0;

    for (int64_t bound = 10000000; digits < 6 && us < bound; bound /= 10)
        digits++;
    return digits;
}

void
log_delay_append(struct vstring *buf, int64_t us, int resolution)
{
    char tmp[64];
    int digits;
    char *end;

    if (us < 0)
        us = 0;
    if (us >= 100 * 1000000LL) {
        vstring_sprintf_append(buf, "%lld", (long long)((us + 500000) / 1000000));
        return;
    }
    digits = log_delay_digits(us);
    if (digits > resolution)
        digits = resolution;
    snprintf(tmp, sizeof(tmp), "%.*f", digits, (double)us / 1e6);
    if (strchr(tmp, '.') != NULL) {
        end = tmp + strlen(tmp) - 1;
        while (*end == '0')
            *end-- = 0;
        if (*end == '.')
            *end = 0;
    }
    vstring_strcat(buf, tmp);
}

int64_t
log_delay_now(void)
{
    struct timeval tv;

    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}
