/*
 * fuzz_cidr_table - libFuzzer target: arbitrary bytes as a cidr: table
 * source (a file, or inline "{...}" text), then a few lookups. See
 * fuzz_pattern_table.h.
 */
#include "fuzz_pattern_table.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_pattern_table(dict_cidr_open, data, size);
}
