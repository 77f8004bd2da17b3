/*
 * test_log_delay - the delay values of delivery log lines
 * (lib/mail/log_delay): whole seconds from 100 s, two significant digits
 * below, at most the resolution's decimals, no trailing zeros.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "mail/log_delay.h"
#include "util/vstring.h"

static void
test_values(void **state)
{
    static const struct {
        int64_t us;
        int resolution;
        const char *want;
    } cases[] = {
        {0, 2, "0"},           {50, 2, "0"},          {50, 6, "0.00005"},
        {1234, 6, "0.0012"},   {10000, 2, "0.01"},    {320000, 2, "0.32"},
        {326000, 2, "0.33"},   {1500000, 2, "1.5"},   {12000000, 2, "12"},
        {12600000, 2, "13"},   {100400000, 2, "100"}, {3600000000LL, 2, "3600"},
        {-5, 2, "0"},          {999, 3, "0.001"},     {100000, 0, "0"},
    };
    struct vstring *buf = vstring_alloc(10);

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vstring_truncate(buf, 0);
        log_delay_append(buf, cases[i].us, cases[i].resolution);
        if (strcmp(vstring_str(buf), cases[i].want) != 0)
            fail_msg("%lld us, resolution %d: got %s, want %s", (long long)cases[i].us,
                     cases[i].resolution, vstring_str(buf), cases[i].want);
    }
    assert_true(log_delay_now() > 1600000000LL * 1000000);
    vstring_free(buf);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
