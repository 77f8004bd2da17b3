/*
 * test_addr_find - unit tests for the partial-key search (lib/mail/
 * addr_find): the exact key sequence of each search (recorded by a table
 * that logs every key it is asked), which partial key wins when several
 * are present (a table where each key maps to a distinct value and the
 * more specific keys are removed one by one), pattern tables seeing only
 * whole strings, errors stopping the search, and the extension rules.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/addr_find.h"
#include "util/msg.h"
#include "util/mymalloc.h"

/* A table that records the keys it is asked and never matches. */
struct recorder {
    struct dict dict;
    char log[2048];
    const char *fail_key; /* this key fails with DICT_ERR_RETRY */
};

static const char *
recorder_lookup(struct dict *dict, const char *key)
{
    struct recorder *rp = (struct recorder *)dict;
    size_t len = strlen(rp->log);

    snprintf(rp->log + len, sizeof(rp->log) - len, "%s|", key);
    if (rp->fail_key && strcmp(key, rp->fail_key) == 0)
        dict->error = DICT_ERR_RETRY;
    return NULL;
}

/* A maps of two recorders: [0] a pattern table, [1] a fixed-key table. */
static struct maps *
recorder_maps(struct recorder **pattern, struct recorder **fixed)
{
    struct maps *maps = maps_create("test_maps", "static:a, static:b", 0);
    int i;

    for (i = 0; i < 2; i++) {
        struct recorder *rp = (struct recorder *)dict_alloc("recorder", "x", sizeof(*rp));

        rp->dict.lookup = recorder_lookup;
        rp->dict.flags = i == 0 ? DICT_FLAG_PATTERN : DICT_FLAG_FIXED;
        dict_close(maps->dicts[i]);
        maps->dicts[i] = &rp->dict;
        if (i == 0)
            *pattern = rp;
        else
            *fixed = rp;
    }
    return maps;
}

static int
always_local(const char *domain, void *context)
{
    (void)context;
    return strcmp(domain, "example.com") == 0;
}

static int
local_error(const char *domain, void *context)
{
    (void)domain;
    (void)context;
    return -1;
}

static const struct addr_find_opts dot_style = {"+", 0, NULL, always_local, NULL, 1};
static const struct addr_find_opts parent_style = {"+", 1, NULL, always_local, NULL, 1};

static void
test_search_order_keys(void **state)
{
    struct recorder *pat;
    struct recorder *fix;
    struct maps *maps = recorder_maps(&pat, &fix);
    char *ext;

    (void)state;
    assert_null(addr_find_access(maps, "user+ext@mail.example.com", &dot_style));
    assert_string_equal(pat->log, "user+ext@mail.example.com|");
    assert_string_equal(fix->log, "user+ext@mail.example.com|user@mail.example.com|"
                                  "mail.example.com|.example.com|.com|user+ext@|user@|");

    pat->log[0] = fix->log[0] = 0;
    assert_null(addr_find_access(maps, "user@mail.example.com", &parent_style));
    assert_string_equal(fix->log, "user@mail.example.com|mail.example.com|example.com|com|user@|");

    pat->log[0] = fix->log[0] = 0;
    assert_null(addr_find_mail(maps, "user+ext@example.com", &dot_style, &ext));
    assert_null(ext);
    assert_string_equal(pat->log, "user+ext@example.com|");
    assert_string_equal(fix->log, "user+ext@example.com|user@example.com|user+ext|user|"
                                  "@example.com|");

    pat->log[0] = fix->log[0] = 0;
    assert_null(addr_find_mail(maps, "user+ext@elsewhere.org", &dot_style, &ext));
    assert_string_equal(fix->log, "user+ext@elsewhere.org|user@elsewhere.org|@elsewhere.org|");

    pat->log[0] = fix->log[0] = 0;
    assert_null(addr_find_transport(maps, "user+ext@mail.example.com", &dot_style));
    assert_string_equal(pat->log, "user+ext@mail.example.com|");
    assert_string_equal(fix->log, "user+ext@mail.example.com|user@mail.example.com|"
                                  "mail.example.com|.example.com|.com|*|");

    pat->log[0] = fix->log[0] = 0;
    assert_null(addr_find_domain(maps, "mail.example.com", &dot_style));
    assert_string_equal(pat->log, "mail.example.com|");
    assert_string_equal(fix->log, "mail.example.com|.example.com|.com|");

    pat->log[0] = fix->log[0] = 0;
    assert_null(addr_find_ip(maps, "192.0.2.10"));
    assert_string_equal(pat->log, "192.0.2.10|");
    assert_string_equal(fix->log, "192.0.2.10|192.0.2|192.0|192|");

    pat->log[0] = fix->log[0] = 0;
    assert_null(addr_find_ip(maps, "2001:db8::1"));
    assert_string_equal(fix->log, "2001:db8::1|2001:db8:|2001:db8|2001|");

    pat->log[0] = fix->log[0] = 0;
    assert_null(addr_find_client(maps, "host.example.com", "192.0.2.10", &parent_style));
    assert_string_equal(pat->log, "host.example.com|192.0.2.10|");
    assert_string_equal(fix->log, "host.example.com|example.com|com|192.0.2.10|192.0.2|192.0|192|");

    pat->log[0] = fix->log[0] = 0;
    assert_null(addr_find_access(maps, "<>", &dot_style)); /* no @: whole key only */
    assert_string_equal(fix->log, "<>|");
    maps_free(maps);
}

static void
test_search_stops_on_error(void **state)
{
    struct recorder *pat;
    struct recorder *fix;
    struct maps *maps = recorder_maps(&pat, &fix);
    struct addr_find_opts opts = dot_style;
    char *ext;

    (void)state;
    fix->fail_key = ".example.com";
    assert_null(addr_find_access(maps, "user@mail.example.com", &dot_style));
    assert_int_equal(maps->error, DICT_ERR_RETRY);
    assert_string_equal(fix->log, "user@mail.example.com|mail.example.com|.example.com|");

    fix->log[0] = 0;
    fix->fail_key = NULL;
    opts.domain_is_local = local_error;
    assert_null(addr_find_mail(maps, "user@example.com", &opts, &ext));
    assert_int_equal(maps->error, DICT_ERR_RETRY);
    assert_string_equal(fix->log, "user@example.com|"); /* no @domain after the error */
    maps_free(maps);
}

/*
 * Builds inline:{k1=v1, ...} from KEYS[from..] where each key maps to "vN"
 * (its position), and returns the value the search finds.
 */
static char *
find_with_keys(const char *const *keys, int from, const char *address,
               const char *(*search)(struct maps *, const char *, const struct addr_find_opts *),
               const struct addr_find_opts *opts)
{
    char spec[2048] = "inline:{";
    struct maps *maps;
    const char *value;
    char *result;
    int i;

    for (i = from; keys[i]; i++)
        snprintf(spec + strlen(spec), sizeof(spec) - strlen(spec), "{%s=v%d}, ", keys[i], i);
    strcat(spec, "{unrelated=x}}");
    maps = maps_create("test", spec, DICT_FLAG_DEFAULT);
    value = search(maps, address, opts);
    result = mystrdup(value ? value : "(none)");
    assert_int_equal(maps->error, DICT_ERR_NONE);
    maps_free(maps);
    return result;
}

static void
assert_precedence(const char *const *keys, const char *address,
                  const char *(*search)(struct maps *, const char *, const struct addr_find_opts *),
                  const struct addr_find_opts *opts)
{
    char expect[16];
    char *got;
    int i;

    for (i = 0; keys[i]; i++) {
        snprintf(expect, sizeof(expect), "v%d", i);
        got = find_with_keys(keys, i, address, search, opts);
        if (strcmp(got, expect) != 0)
            fail_msg("%s with keys from \"%s\": got %s, want %s", address, keys[i], got, expect);
        myfree(got);
    }
    got = find_with_keys(keys, i, address, search, opts);
    assert_string_equal(got, "(none)");
    myfree(got);
}

static const char *
search_mail(struct maps *maps, const char *address, const struct addr_find_opts *opts)
{
    char *ext;
    const char *value = addr_find_mail(maps, address, opts, &ext);

    myfree(ext);
    return value;
}

static void
test_precedence_with_real_tables(void **state)
{
    static const char *const access_keys[] = {"User+Ext@Mail.Example.COM",
                                              "user@mail.example.com",
                                              "mail.example.com",
                                              ".example.com",
                                              ".com",
                                              "user+ext@",
                                              "user@",
                                              NULL};
    static const char *const access_parent_keys[] = {"user+ext@mail.example.com",
                                                     "user@mail.example.com",
                                                     "mail.example.com",
                                                     "example.com",
                                                     "com",
                                                     "user+ext@",
                                                     "user@",
                                                     NULL};
    static const char *const mail_keys[] = {
        "user+ext@example.com", "user@example.com", "user+ext", "user", "@example.com", NULL};
    static const char *const transport_keys[] = {"user+ext@mail.example.com",
                                                 "user@mail.example.com",
                                                 "mail.example.com",
                                                 ".example.com",
                                                 ".com",
                                                 "*",
                                                 NULL};

    (void)state;
    assert_precedence(access_keys, "user+ext@mail.example.com", addr_find_access, &dot_style);
    assert_precedence(access_keys, "USER+EXT@MAIL.EXAMPLE.COM", addr_find_access, &dot_style);
    assert_precedence(access_parent_keys, "user+ext@mail.example.com", addr_find_access,
                      &parent_style);
    assert_precedence(mail_keys, "user+ext@example.com", search_mail, &dot_style);
    assert_precedence(transport_keys, "user+ext@mail.example.com", addr_find_transport, &dot_style);
}

static void
test_extension_returned(void **state)
{
    struct maps *maps =
        maps_create("virtual_alias_maps", "inline:{user@example.com=full, other=local}", 0);
    const char *value;
    char *ext;

    (void)state;
    value = addr_find_mail(maps, "user+box@example.com", &dot_style, &ext);
    assert_string_equal(value, "full");
    assert_string_equal(ext, "+box");
    myfree(ext);
    value = addr_find_mail(maps, "other+x@example.com", &dot_style, &ext);
    assert_string_equal(value, "local");
    assert_string_equal(ext, "+x");
    myfree(ext);
    value = addr_find_mail(maps, "user@example.com", &dot_style, &ext);
    assert_string_equal(value, "full");
    assert_null(ext);
    maps_free(maps);
}

static void
test_strip_extension_rules(void **state)
{
    struct addr_find_opts opts = {"+-", 0, NULL, NULL, NULL, 1};
    char *ext;
    char *bare;

    (void)state;
    bare = addr_strip_extension("a-b+c@d", &opts, &ext);
    assert_string_equal(bare, "a@d");
    assert_string_equal(ext, "-b+c");
    myfree(bare);
    myfree(ext);
    bare = addr_strip_extension("postmaster+x@d", &opts, &ext); /* only the exact names */
    assert_string_equal(bare, "postmaster@d");
    myfree(bare);
    myfree(ext);
    assert_null(addr_strip_extension("MAILER-DAEMON@d", &opts, NULL));
    assert_null(addr_strip_extension("double-bounce@d", &opts, NULL));
    assert_null(addr_strip_extension("owner-list@d", &opts, NULL));
    assert_null(addr_strip_extension("list-request@d", &opts, NULL));
    assert_null(addr_strip_extension("+abc@d", &opts, NULL));
    assert_null(addr_strip_extension("plain@d", &opts, NULL));
    bare = addr_strip_extension("user+@d", &opts, &ext);
    assert_string_equal(bare, "user@d");
    assert_string_equal(ext, "+");
    myfree(bare);
    myfree(ext);
    bare = addr_strip_extension("a+b@c@d", &opts, NULL); /* the last @ ends the local part */
    assert_string_equal(bare, "a@d");
    myfree(bare);
    opts.owner_request_special = 0; /* owner-* and *-request split like any name */
    bare = addr_strip_extension("owner-list@d", &opts, &ext);
    assert_string_equal(bare, "owner@d");
    assert_string_equal(ext, "-list");
    myfree(bare);
    myfree(ext);
    bare = addr_strip_extension("list-request@d", &opts, NULL);
    assert_string_equal(bare, "list@d");
    myfree(bare);
    opts.owner_request_special = 1;
    opts.recipient_delimiter = "+";
    bare = addr_strip_extension("owner-list+x@d", &opts, NULL);
    assert_string_equal(bare, "owner-list@d");
    myfree(bare);
    opts.recipient_delimiter = "";
    assert_null(addr_strip_extension("a+b@d", &opts, NULL));
}

/* Real pattern tables (regexp, cidr) see only the whole string. */
static void
test_pattern_tables_see_whole_strings(void **state)
{
    char dir[] = "/tmp/test_addr_find.XXXXXX";
    char path[300];
    char spec[700];
    struct maps *maps;
    FILE *fp;
    char *ext;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/re", dir);
    fp = fopen(path, "w");
    fputs("/^user@example\\.com$/ bare\n/^example\\.com$/ domain\n/^user\\+ext@/ full\n", fp);
    fclose(fp);
    snprintf(spec, sizeof(spec), "regexp:%s", path);
    maps = maps_create("test", spec, DICT_FLAG_DEFAULT);
    /* Partial keys user@example.com and example.com would match: never asked. */
    assert_null(addr_find_access(maps, "user+other@example.com", &dot_style));
    assert_int_equal(maps->error, DICT_ERR_NONE);
    assert_null(addr_find_mail(maps, "user+other@example.com", &dot_style, &ext));
    assert_string_equal(addr_find_access(maps, "user+ext@example.com", &dot_style), "full");
    assert_string_equal(addr_find_domain(maps, "example.com", &dot_style), "domain");
    maps_free(maps);

    snprintf(path, sizeof(path), "%s/cidr", dir);
    fp = fopen(path, "w");
    fputs("192.0.2.0/24 net\n2001:db8::/32 net6\n", fp);
    fclose(fp);
    snprintf(spec, sizeof(spec), "cidr:%s, inline:{192.0.3=octets}", path);
    maps = maps_create("test", spec, DICT_FLAG_DEFAULT);
    assert_string_equal(addr_find_ip(maps, "192.0.2.77"), "net");
    assert_string_equal(addr_find_ip(maps, "2001:db8::1"), "net6");
    assert_string_equal(addr_find_ip(maps, "192.0.3.1"), "octets");
    assert_null(addr_find_ip(maps, "198.51.100.1"));
    assert_int_equal(maps->error, DICT_ERR_NONE);
    maps_free(maps);
    snprintf(spec, sizeof(spec), "rm -rf %s", dir);
    assert_int_equal(system(spec), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_search_order_keys),
        cmocka_unit_test(test_search_stops_on_error),
        cmocka_unit_test(test_precedence_with_real_tables),
        cmocka_unit_test(test_extension_returned),
        cmocka_unit_test(test_strip_extension_rules),
        cmocka_unit_test(test_pattern_tables_see_whole_strings),
    };

    msg_init("test_addr_find", MSG_STDERR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
