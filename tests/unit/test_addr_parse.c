/*
 * test_addr_parse - unit tests for lib/mail/addr_parse.c.
 *
 * Header extraction: a table of To:/Cc:/Bcc:/From: values with the
 * addresses that sendmail -t and cleanup get (groups, empty groups,
 * comments, phrases, quoted local parts, folding, missing commas) and the
 * problems reported. SMTP paths: a table of MAIL FROM / RCPT TO arguments
 * with options (null sender allowed, strict_rfc821_envelopes), result,
 * internal address, flags and parameters: brackets, the null sender,
 * source routes, quoted local parts, comments, two addresses, missing and
 * unbalanced brackets, nested brackets, ESMTP parameters, a phrase. The
 * "FROM:" keyword. Address parts: local part, domain, and the
 * recipient_delimiter split with its exceptions (postmaster,
 * mailer-daemon, double-bounce, owner-/-request, a leading delimiter,
 * several delimiters).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "mail/addr_parse.h"
#include "mail/tok822.h"
#include "util/argv.h"
#include "util/vstring.h"

struct header_case {
    const char *value;
    const char *addrs; /* joined by '|' */
    int problems;
};

static const struct header_case header_cases[] = {
    {"jane@example.com", "jane@example.com", 0},
    {"Jane Doe <jane@example.com>, \"Smith, Bob\" <bob@example.org>",
     "jane@example.com|bob@example.org", 0},
    {"friends: a@x, b@y;, c@z", "a@x|b@y|c@z", 0},
    {"undisclosed-recipients:;", "", 0},
    {"(just a comment)", "", 0},
    {"bob (Bob Smith) , (Ann) ann@x.test", "bob|ann@x.test", 0},
    {"\"bob smith\"@example.com", "bob smith@example.com", 0},
    {"a@x,\n\tb@y,\r\n c@z", "a@x|b@y|c@z", 0},
    {"root postmaster", "root|postmaster", 0},
    {"<@relay.test:user@example.com>", "@relay.test:user@example.com", 0},
    {"Joe <joe@x", "Joe<joe@x", TOK822_ERR_ANGLE},
    {"\"unterminated@x", "unterminated@x", TOK822_ERR_QUOTE},
    {"", "", 0},
    {"\"\"", "", 0},
};

static void
test_header_table(void **state)
{
    struct vstring *joined = vstring_alloc(64);
    const struct header_case *hc;
    struct argv *addrs;
    int problems;
    int count;
    size_t n;

    (void)state;
    for (hc = header_cases; hc < header_cases + sizeof(header_cases) / sizeof(*hc); hc++) {
        addrs = argv_alloc(2);
        argv_add(addrs, "kept");
        problems = 0;
        count = addr_parse_header(hc->value, 0, addrs, &problems);
        assert_int_equal((size_t)count + 1, addrs->argc);
        assert_string_equal(addrs->argv[0], "kept");
        vstring_reset(joined);
        for (n = 1; n < addrs->argc; n++) {
            if (n > 1)
                vstring_addch(joined, '|');
            vstring_strcat(joined, addrs->argv[n]);
        }
        if (strcmp(vstring_str(joined), hc->addrs) != 0 || problems != hc->problems)
            fail_msg("[%s]: got {%s} %d, want {%s} %d", hc->value, vstring_str(joined), problems,
                     hc->addrs, hc->problems);
        argv_free(addrs);
    }
    vstring_free(joined);
}

/* "" (one empty address) and no address at all are told apart by the count. */
static void
test_header_empty_address(void **state)
{
    struct argv *addrs = argv_alloc(2);

    (void)state;
    assert_int_equal(addr_parse_header("\"\"", 0, addrs, NULL), 1);
    assert_string_equal(addrs->argv[0], "");
    assert_int_equal(addr_parse_header("a, b, c", 2, addrs, NULL), 1);
    assert_string_equal(addrs->argv[1], "a");
    argv_free(addrs);
}

struct path_case {
    const char *text;
    int options;
    int status;
    const char *address;
    int flags;
    size_t nparams;
};

#define ALLOW ADDR_PATH_ALLOW_EMPTY
#define STRICT ADDR_PATH_STRICT
#define NUL ADDR_PATH_FLAG_NULL
#define BR ADDR_PATH_FLAG_BRACKETS
#define RT ADDR_PATH_FLAG_ROUTE

static const struct path_case path_cases[] = {
    {"<user@example.com>", 0, ADDR_PATH_OK, "user@example.com", BR, 0},
    {"  <user@example.com>  ", STRICT, ADDR_PATH_OK, "user@example.com", BR, 0},
    {"<>", ALLOW, ADDR_PATH_OK, "", NUL | BR, 0},
    {"<>", ALLOW | STRICT, ADDR_PATH_OK, "", NUL | BR, 0},
    {"<>", 0, ADDR_PATH_BAD, "", NUL | BR, 0},
    {"", ALLOW, ADDR_PATH_MISSING, "", 0, 0},
    {"   ", ALLOW, ADDR_PATH_MISSING, "", 0, 0},
    {"<a@b> SIZE=100 BODY=8BITMIME", 0, ADDR_PATH_OK, "a@b", BR, 2},
    {"user@example.com", 0, ADDR_PATH_OK, "user@example.com", 0, 0},
    {"user@example.com", STRICT, ADDR_PATH_BAD, "user@example.com", 0, 0},
    {"<@r1,@r2:user@d>", STRICT, ADDR_PATH_OK, "user@d", BR | RT, 0},
    {"<\"a b\"@x>", 0, ADDR_PATH_OK, "a b@x", BR, 0},
    {"<\"a>b\"@x> NOTIFY=NEVER", 0, ADDR_PATH_OK, "a>b@x", BR, 1},
    {"<a\\ b@x>", 0, ADDR_PATH_OK, "a b@x", BR, 0},
    {"<user@example.com (comment)>", 0, ADDR_PATH_OK, "user@example.com", BR, 0},
    {"<user@example.com (comment)>", STRICT, ADDR_PATH_BAD, "user@example.com", BR, 0},
    {"<a@b c@d>", 0, ADDR_PATH_BAD, "c@d", BR, 0},
    {"<a@b>x", 0, ADDR_PATH_BAD, "x", 0, 0},
    {"<a@b", 0, ADDR_PATH_BAD, "", 0, 0},
    {"<\"a@b>", 0, ADDR_PATH_BAD, "", 0, 0},
    {"<<a@b>>", 0, ADDR_PATH_OK, "a@b", BR, 0},
    {"<@x>", 0, ADDR_PATH_OK, "@x", BR, 0},
    {"<@x>", STRICT, ADDR_PATH_BAD, "@x", BR, 0},
    {">", ALLOW, ADDR_PATH_OK, "", NUL, 0},
    {"Joe <joe@x>", 0, ADDR_PATH_OK, "Joe", 0, 1},
    {"<user+ext@example.com>", 0, ADDR_PATH_OK, "user+ext@example.com", BR, 0},
    {"<j\303\266@example.com>", 0, ADDR_PATH_OK, "j\303\266@example.com", BR, 0},
};

static void
test_path_table(void **state)
{
    struct addr_path *path = addr_path_alloc();
    const struct path_case *pc;
    int status;

    (void)state;
    for (pc = path_cases; pc < path_cases + sizeof(path_cases) / sizeof(*pc); pc++) {
        status = addr_parse_smtp_path(path, pc->text, pc->options);
        if (status != pc->status || strcmp(vstring_str(path->address), pc->address) != 0 ||
            path->flags != pc->flags || path->params->argc != pc->nparams)
            fail_msg("[%s] %d: got %d [%s] %#x %zu, want %d [%s] %#x %zu", pc->text, pc->options,
                     status, vstring_str(path->address), path->flags, path->params->argc,
                     pc->status, pc->address, pc->flags, pc->nparams);
        if ((status == ADDR_PATH_OK) != (path->reason == NULL))
            fail_msg("[%s]: reason %s", pc->text, path->reason ? path->reason : "(none)");
    }
    addr_path_free(path);
}

static void
test_path_details(void **state)
{
    struct addr_path *path = addr_path_alloc();

    (void)state;
    assert_int_equal(addr_parse_smtp_path(path, " <a@b>  SIZE=100 body=8BITMIME SMTPUTF8", 0),
                     ADDR_PATH_OK);
    assert_string_equal(vstring_str(path->external), "<a@b>");
    assert_string_equal(addr_path_param(path, "SIZE"), "100");
    assert_string_equal(addr_path_param(path, "BODY"), "8BITMIME");
    assert_string_equal(addr_path_param(path, "smtputf8"), "");
    assert_null(addr_path_param(path, "RET"));
    assert_null(addr_path_param(path, "SIZ"));

    assert_int_equal(addr_parse_smtp_path(path, "<a@b c@d>", 0), ADDR_PATH_BAD);
    assert_string_equal(path->reason, "more than one address");
    assert_int_equal(addr_parse_smtp_path(path, "<a@b", 0), ADDR_PATH_BAD);
    assert_string_equal(path->reason, "unbalanced '<' or '\"'");
    assert_int_equal(addr_parse_smtp_path(path, "a@b", STRICT), ADDR_PATH_BAD);
    assert_string_equal(path->reason, "address not enclosed in <>");
    assert_int_equal(addr_parse_smtp_path(path, "<>", 0), ADDR_PATH_BAD);
    assert_string_equal(path->reason, "empty address");
    assert_int_equal(addr_parse_smtp_path(path, "", 0), ADDR_PATH_MISSING);
    assert_string_equal(path->reason, "missing address");

    /* A reused path forgets the previous command. */
    assert_int_equal(addr_parse_smtp_path(path, "<x@y>", 0), ADDR_PATH_OK);
    assert_int_equal(path->params->argc, 0);
    assert_null(path->reason);
    addr_path_free(path);
}

static void
test_smtp_keyword(void **state)
{
    (void)state;
    assert_string_equal(addr_smtp_keyword("FROM:<a@b>", "FROM"), "<a@b>");
    assert_string_equal(addr_smtp_keyword(" from: <a@b>", "FROM"), " <a@b>");
    assert_string_equal(addr_smtp_keyword("To:<a@b>", "TO"), "<a@b>");
    assert_null(addr_smtp_keyword("FROM :<a@b>", "FROM"));
    assert_null(addr_smtp_keyword("FROMX:<a@b>", "FROM"));
    assert_null(addr_smtp_keyword("TO:<a@b>", "FROM"));
    assert_null(addr_smtp_keyword("", "FROM"));
}

struct parts_case {
    const char *addr;
    const char *delims;
    int owner_request_special;
    const char *local;
    int delimiter;
    const char *extension;
    const char *domain;
    int has_domain;
};

static const struct parts_case parts_cases[] = {
    {"user+ext@example.com", "+", 1, "user", '+', "ext", "example.com", 1},
    {"user@example.com", "+", 1, "user", 0, "", "example.com", 1},
    {"user+ext@example.com", NULL, 1, "user+ext", 0, "", "example.com", 1},
    {"user+ext@example.com", "", 1, "user+ext", 0, "", "example.com", 1},
    {"user+ext", "+", 1, "user", '+', "ext", "", 0},
    {"user+@x", "+", 1, "user", '+', "", "x", 1},
    {"+ext@x", "+", 1, "+ext", 0, "", "x", 1},
    {"user+a+b@x", "+", 1, "user", '+', "a+b", "x", 1},
    {"a-b+c@x", "+-", 1, "a", '-', "b+c", "x", 1},
    {"PostMaster@x", "+", 1, "PostMaster", 0, "", "x", 1},
    {"postmaster+x@y", "+", 1, "postmaster", '+', "x", "y", 1},
    {"MAILER-DAEMON@x", "-", 1, "MAILER-DAEMON", 0, "", "x", 1},
    {"double-bounce@x", "-", 1, "double-bounce", 0, "", "x", 1},
    {"owner-list@x", "-", 1, "owner-list", 0, "", "x", 1},
    {"owner-list@x", "-", 0, "owner", '-', "list", "x", 1},
    {"owner+list@x", "+", 1, "owner", '+', "list", "x", 1},
    {"list-request@x", "-", 1, "list-request", 0, "", "x", 1},
    {"list-request@x", "+-", 0, "list", '-', "request", "x", 1},
    {"a+b@c@d", "+", 1, "a", '+', "b@c", "d", 1},
    {"@x", "+", 1, "", 0, "", "x", 1},
    {"", "+", 1, "", 0, "", "", 0},
};

static void
test_parts_table(void **state)
{
    struct addr_parts *parts = addr_parts_alloc();
    struct addr_ext_opts opts = {NULL, 0, NULL};
    const struct parts_case *pc;

    (void)state;
    for (pc = parts_cases; pc < parts_cases + sizeof(parts_cases) / sizeof(*pc); pc++) {
        opts.recipient_delimiter = pc->delims;
        opts.owner_request_special = pc->owner_request_special;
        addr_parts_split(parts, pc->addr, &opts);
        if (strcmp(vstring_str(parts->local), pc->local) != 0 ||
            parts->delimiter != pc->delimiter ||
            strcmp(vstring_str(parts->extension), pc->extension) != 0 ||
            strcmp(vstring_str(parts->domain), pc->domain) != 0 ||
            parts->has_domain != pc->has_domain)
            fail_msg("[%s]: got [%s] %c [%s] [%s] %d", pc->addr, vstring_str(parts->local),
                     parts->delimiter ? parts->delimiter : '0', vstring_str(parts->extension),
                     vstring_str(parts->domain), parts->has_domain);
    }
    addr_parts_split(parts, "user+ext@x", NULL);
    assert_string_equal(vstring_str(parts->local), "user+ext");
    addr_parts_free(parts);
}

static void
test_extension_offset(void **state)
{
    struct addr_ext_opts opts = {"+", 1, "bounce-me"};

    (void)state;
    assert_int_equal(addr_extension_offset("user+ext", 8, &opts), 4);
    assert_int_equal(addr_extension_offset("user+ext", 4, &opts), -1);
    assert_int_equal(addr_extension_offset("bounce-me", 9, &opts), -1);
    opts.recipient_delimiter = "-";
    assert_int_equal(addr_extension_offset("bounce-me", 9, &opts), -1);
    assert_int_equal(addr_extension_offset("double-bounce", 13, &opts), 6);
    assert_int_equal(addr_extension_offset("x", 1, NULL), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_table),     cmocka_unit_test(test_header_empty_address),
        cmocka_unit_test(test_path_table),       cmocka_unit_test(test_path_details),
        cmocka_unit_test(test_smtp_keyword),     cmocka_unit_test(test_parts_table),
        cmocka_unit_test(test_extension_offset),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
