/*
 * test_maps - unit tests for lib/mail/maps: search order over a list of
 * tables, "type:name" splitting with {...} groups, the fixed-table-only
 * flag, error propagation (failed and missing tables stop the search with
 * maps->error set), empty results and keys, folding and maps_changed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail/maps.h"
#include "util/msg.h"

#include "stderr_capture.h"

static char test_dir[] = "/tmp/test_maps.XXXXXX";

static void
capture_start(void)
{
    stderr_capture_start(test_dir);
}

static const char *
capture_end(void)
{
    return stderr_capture_end();
}

static void
test_maps_order(void **state)
{
    struct maps *maps;

    (void)state;
    maps = maps_create("virtual_alias_maps",
                       "inline:{a=first}, inline:{ a=second, b=two }\tinline:{c=three}", 0);
    assert_int_equal(maps->names->argc, 3);
    assert_string_equal(maps->names->argv[1], "inline:{ a=second, b=two }");
    assert_string_equal(maps_find(maps, "a", 0), "first");
    assert_string_equal(maps_find(maps, "b", 0), "two");
    assert_string_equal(maps_find(maps, "c", 0), "three");
    assert_null(maps_find(maps, "d", 0));
    assert_int_equal(maps->error, DICT_ERR_NONE);
    assert_null(maps_find(maps, "", 0)); /* empty key: never looked up */
    assert_int_equal(maps->error, DICT_ERR_NONE);
    maps_free(maps);

    maps = maps_create("empty", "", 0);
    assert_null(maps_find(maps, "a", 0));
    assert_int_equal(maps->error, DICT_ERR_NONE);
    maps_free(maps);
}

static void
test_maps_error_stops_search(void **state)
{
    struct maps *maps;
    const char *out;

    (void)state;
    maps = maps_create("transport_maps", "inline:{a=1}, fail:broken, inline:{b=2}", 0);
    assert_string_equal(maps_find(maps, "a", 0), "1");
    capture_start();
    assert_null(maps_find(maps, "b", 0));
    out = capture_end();
    assert_int_equal(maps->error, DICT_ERR_RETRY);
    assert_non_null(strstr(out, "warning: fail:broken lookup error for \"b\"\n"));
    /* A partial-key search asks fixed-key tables only: fail: is skipped. */
    assert_string_equal(maps_find(maps, "b", DICT_FLAG_FIXED), "2");
    assert_int_equal(maps->error, DICT_ERR_NONE);
    maps_free(maps);

    /* A table that cannot be opened fails every search that reaches it. */
    capture_start();
    maps = maps_create("access", "inline:{a=1}, hash:/nonexistent/table, inline:{b=2}",
                       DICT_FLAG_DEFAULT);
    assert_string_equal(maps_find(maps, "a", 0), "1");
    assert_null(maps_find(maps, "b", DICT_FLAG_FIXED));
    assert_int_equal(maps->error, DICT_ERR_CONFIG);
    maps_free(maps);
    out = capture_end();
    assert_non_null(strstr(out, "open database /nonexistent/table.db: No such file or directory"));
    assert_non_null(strstr(out, "hash:/nonexistent/table lookup error for \"b\""));
}

static void
test_maps_empty_value_and_fold(void **state)
{
    struct maps *maps;
    const char *out;

    (void)state;
    maps =
        maps_create("canonical_maps", "inline:{a=}, inline:{a=later, MiXed=m}", DICT_FLAG_DEFAULT);
    capture_start();
    assert_null(maps_find(maps, "a", 0));
    out = capture_end();
    assert_int_equal(maps->error, DICT_ERR_CONFIG);
    assert_non_null(strstr(out, "canonical_maps lookup of a returns an empty string result"));
    assert_non_null(strstr(out, "canonical_maps should return NO RESULT in case of NOT FOUND"));
    assert_string_equal(maps_find(maps, "MIXED", 0), "m");
    maps_free(maps);

    maps = maps_create("canonical_maps", "inline:{MiXed=m}", 0);
    assert_null(maps_find(maps, "mixed", 0));
    assert_string_equal(maps_find(maps, "MiXed", 0), "m");
    maps_free(maps);
}

static void
test_maps_changed(void **state)
{
    char path[400];
    char spec[450];
    struct maps *maps;
    struct timespec times[2];
    FILE *fp;

    (void)state;
    snprintf(path, sizeof(path), "%s/text", test_dir);
    fp = fopen(path, "w");
    fputs("k v\n", fp);
    fclose(fp);
    times[0].tv_sec = times[1].tv_sec = 1000000000;
    times[0].tv_nsec = times[1].tv_nsec = 0;
    utimensat(AT_FDCWD, path, times, 0);
    snprintf(spec, sizeof(spec), "inline:{a=b}, texthash:%s", path);
    maps = maps_create("test", spec, DICT_FLAG_DEFAULT);
    assert_string_equal(maps_find(maps, "k", 0), "v");
    assert_false(maps_changed(maps));
    fp = fopen(path, "a");
    fputs("k2 v2\n", fp);
    fclose(fp);
    assert_true(maps_changed(maps));
    maps_free(maps);
}

static int
setup(void **state)
{
    (void)state;
    msg_init("test_maps", MSG_STDERR);
    return mkdtemp(test_dir) ? 0 : -1;
}

static int
teardown(void **state)
{
    char cmd[400];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", test_dir);
    return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_maps_order),
        cmocka_unit_test(test_maps_error_stops_search),
        cmocka_unit_test(test_maps_empty_value_and_fold),
        cmocka_unit_test(test_maps_changed),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
