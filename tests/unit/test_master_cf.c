/*
 * test_master_cf - unit tests for lib/config/master_cf: the service view
 * (defaults, wake-up "?", -o overrides, inet names, continuation lines,
 * every error with its line number, duplicates, $name expansion) and the
 * text view that postconf prints (normalization, -M/-F/-P layout, edits).
 * Runs from the top of the tree (tests/run.py does), so conf/master.cf is
 * at hand; it has the services of Debian's stock master.cf.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "config/master_cf.h"
#include "util/msg.h"
#include "util/mymalloc.h"

static struct master_cf *
parse(const char *text, struct vstring *why)
{
    return master_cf_parse("test.cf", text, strlen(text), why);
}

/* Parses text that must fail, and checks the error message. */
static void
expect_error(const char *text, const char *message)
{
    struct vstring *why = vstring_alloc(100);
    struct master_cf *table = parse(text, why);

    assert_null(table);
    assert_string_equal(vstring_str(why), message);
    vstring_free(why);
}

static const struct master_cf_entry *
find(const struct master_cf *table, const char *name, const char *type)
{
    const struct master_cf_entry *ep = master_cf_find(table, name, type);

    assert_non_null(ep);
    return ep;
}

static void
test_default_master_cf(void **state)
{
    struct vstring *why = vstring_alloc(100);
    struct master_cf *table = master_cf_read("conf/master.cf", why);
    const struct master_cf_entry *ep;

    (void)state;
    assert_non_null(table);
    assert_int_equal(table->count, 31);
    ep = find(table, "smtp", "inet");
    assert_int_equal(ep->type_code, MASTER_CF_TYPE_INET);
    assert_int_equal(ep->private_, 0);
    assert_int_equal(ep->unpriv, 1);
    assert_int_equal(ep->chroot, 1);
    assert_int_equal(ep->maxproc, -1);
    assert_string_equal(ep->host, "");
    assert_string_equal(ep->port, "smtp");
    assert_string_equal(ep->endpoint, "25");
    assert_string_equal(ep->args->argv[0], "smtpd");
    ep = find(table, "pickup", "unix");
    assert_string_equal(ep->endpoint, "public/pickup");
    assert_int_equal(ep->wakeup, 60);
    assert_int_equal(ep->wakeup_conditional, 0);
    assert_int_equal(ep->maxproc, 1);
    ep = find(table, "tlsmgr", "unix");
    assert_string_equal(ep->endpoint, "private/tlsmgr");
    assert_int_equal(ep->wakeup, 1000);
    assert_int_equal(ep->wakeup_conditional, 1);
    ep = find(table, "relay", "unix");
    assert_int_equal(ep->overrides->argc, 1);
    assert_string_equal(ep->overrides->argv[0], "syslog_name=postfix/$service_name");
    ep = find(table, "local", "unix");
    assert_int_equal(ep->unpriv, 0);
    assert_int_equal(ep->chroot, 0);
    assert_int_equal(find(table, "postlog", "unix-dgram")->type_code, MASTER_CF_TYPE_UNIX_DGRAM);
    ep = find(table, "maildrop", "unix");
    assert_int_equal(ep->lineno, 96);
    assert_int_equal(ep->args->argc, 6);
    assert_string_equal(ep->args->argv[1], "flags=DRXhu");
    assert_string_equal(ep->args->argv[5], "${recipient}");
    assert_string_equal(find(table, "scalemail-backend", "unix")->args->argv[0], "pipe");
    assert_null(master_cf_find(table, "submission", "inet"));
    master_cf_free(table);
    vstring_free(why);
}

static void
test_missing_file(void **state)
{
    struct vstring *why = vstring_alloc(100);

    (void)state;
    assert_null(master_cf_read("/nonexistent/master.cf", why));
    assert_string_equal(vstring_str(why), "open /nonexistent/master.cf: No such file or directory");
    vstring_free(why);
}

static void
test_defaults_and_wakeup(void **state)
{
    struct vstring *why = vstring_alloc(100);
    struct master_cf *table = parse("a unix - - - - - cmd\n"
                                    "b fifo n n y 60? 0 cmd\n"
                                    "c pass y y n 0? 7 cmd\n",
                                    why);
    const struct master_cf_entry *ep;

    (void)state;
    assert_non_null(table);
    ep = find(table, "a", "unix");
    assert_int_equal(ep->private_, 1);
    assert_int_equal(ep->unpriv, 1);
    assert_int_equal(ep->chroot, 0);
    assert_int_equal(ep->wakeup, 0);
    assert_int_equal(ep->wakeup_conditional, 0);
    assert_int_equal(ep->maxproc, -1);
    assert_null(ep->host);
    ep = find(table, "b", "fifo");
    assert_int_equal(ep->private_ + ep->unpriv + ep->chroot, 1);
    assert_int_equal(ep->wakeup, 60);
    assert_int_equal(ep->wakeup_conditional, 1);
    assert_int_equal(ep->maxproc, 0);
    ep = find(table, "c", "pass");
    assert_int_equal(ep->wakeup_conditional, 0); /* "0?" means no wake-up at all */
    assert_int_equal(ep->maxproc, 7);
    master_cf_free(table);
    vstring_free(why);
}

static void
test_overrides_and_braces(void **state)
{
    struct vstring *why = vstring_alloc(100);
    struct master_cf *table =
        parse("a unix - - - - - smtpd -v -o a=b -o { c = d  e } -ofoo=bar -vo x=y -o { }\n"
              "   -o syslog_name=$service_name plain { arg with space } -o after=1\n",
              why);
    const struct master_cf_entry *ep;

    (void)state;
    assert_non_null(table);
    ep = find(table, "a", "unix");
    assert_int_equal(ep->overrides->argc, 5);
    assert_string_equal(ep->overrides->argv[0], "a=b");
    assert_string_equal(ep->overrides->argv[1], "c=d  e");
    assert_string_equal(ep->overrides->argv[2], "foo=bar");
    assert_string_equal(ep->overrides->argv[3], "x=y");
    assert_string_equal(ep->overrides->argv[4], "syslog_name=$service_name");
    assert_string_equal(ep->args->argv[5], "c = d  e");
    assert_string_equal(ep->args->argv[10], "");
    assert_string_equal(ep->args->argv[14], "arg with space");
    assert_string_equal(ep->args->argv[16], "after=1");
    assert_int_equal(ep->args->argc, 17);
    master_cf_free(table);
    vstring_free(why);
}

static void
test_inet_names(void **state)
{
    struct vstring *why = vstring_alloc(100);
    struct master_cf *table = parse("127.0.0.1:smtp inet n - - - - smtpd\n"
                                    "[::1]:2525 inet n - - - - smtpd\n"
                                    "[ipv6:::1]:submission inet n - - - - smtpd\n"
                                    "2526 inet n - - - - smtpd\n"
                                    "::1:10025 inet n - - - - smtpd\n"
                                    "mail.example.com:587 inet n - - - - smtpd\n",
                                    why);
    const struct master_cf_entry *ep;

    (void)state;
    assert_non_null(table);
    ep = find(table, "127.0.0.1:smtp", "inet");
    assert_string_equal(ep->host, "127.0.0.1");
    assert_string_equal(ep->port, "smtp");
    assert_string_equal(ep->endpoint, "[127.0.0.1]:25");
    ep = find(table, "[::1]:2525", "inet");
    assert_string_equal(ep->host, "::1");
    assert_string_equal(ep->endpoint, "[::1]:2525");
    assert_string_equal(find(table, "[ipv6:::1]:submission", "inet")->endpoint, "[::1]:587");
    ep = find(table, "2526", "inet");
    assert_string_equal(ep->host, "");
    assert_string_equal(ep->endpoint, "2526");
    assert_string_equal(find(table, "::1:10025", "inet")->host, "::1");
    assert_string_equal(find(table, "mail.example.com:587", "inet")->endpoint,
                        "[mail.example.com]:587");
    master_cf_free(table);
    expect_error("\n[::1 inet n - - - - smtpd\n", "test.cf: line 2: missing \"]\" in \"[::1\"");
    expect_error("[::1]x inet n - - - - smtpd\n",
                 "test.cf: line 1: garbage after \"]\" in \"[::1]x\"");
    expect_error("[ipv6:1.2.3.4]:25 inet n - - - - smtpd\n",
                 "test.cf: line 1: malformed IPv6 address in \"[ipv6:1.2.3.4]:25\"");
    expect_error("host: inet n - - - - smtpd\n",
                 "test.cf: line 1: missing service information in \"host:\"");
    expect_error("b@d:25 inet n - - - - smtpd\n",
                 "test.cf: line 1: valid hostname or network address required in \"b@d:25\"");
    expect_error("25x inet n - - - - smtpd\n",
                 "test.cf: line 1: garbage after numerical service in \"25x\"");
    expect_error("smtp inet - - - - - smtpd\n", "test.cf: line 1: inet service cannot be private");
    vstring_free(why);
}

static void
test_continuation_lines(void **state)
{
    struct vstring *why = vstring_alloc(100);
    struct master_cf *table = parse("# comment\n"
                                    "\n"
                                    "a unix - - - - - smtpd\n"
                                    "  -o a=b\n"
                                    "#  -o commented=out\n"
                                    "\n"
                                    "\t-o c=d\n"
                                    "b unix\n"
                                    "  - - - - - cmd\r\n",
                                    why);
    const struct master_cf_entry *ep;

    (void)state;
    assert_non_null(table);
    assert_int_equal(table->count, 2);
    ep = find(table, "a", "unix");
    assert_int_equal(ep->lineno, 3);
    assert_int_equal(ep->overrides->argc, 2);
    assert_string_equal(ep->overrides->argv[1], "c=d");
    ep = find(table, "b", "unix");
    assert_int_equal(ep->lineno, 8);
    assert_string_equal(ep->args->argv[0], "cmd");
    assert_int_equal(ep->args->argc, 1);
    master_cf_free(table);
    vstring_free(why);
}

static void
test_errors_name_file_and_line(void **state)
{
    (void)state;
    expect_error("a unix - - - - - x\n\nb unix - -\n", "test.cf: line 3: missing \"chroot\" field");
    expect_error("a\n", "test.cf: line 1: missing \"transport type\" field");
    expect_error("a - - - - - - x\n",
                 "test.cf: line 1: field \"transport type\" has no default value");
    expect_error("a unix - - - - -\n", "test.cf: line 1: missing \"command\" field");
    expect_error("a unix - - - - - -\n", "test.cf: line 1: field \"command\" has no default value");
    expect_error("# x\na bogus - - - - - x\n", "test.cf: line 2: bad transport type: bogus");
    expect_error("a UNIX - - - - - x\n", "test.cf: line 1: bad transport type: UNIX");
    expect_error("a unix yes - - - - x\n",
                 "test.cf: line 1: field \"private\": bad value: \"yes\"");
    expect_error("a unix - Y - - - x\n",
                 "test.cf: line 1: field \"unprivileged\": bad value: \"Y\"");
    expect_error("a unix - -\n  x - - - x\n",
                 "test.cf: line 1: field \"chroot\": bad value: \"x\"");
    expect_error("a unix - - - 10x - x\n",
                 "test.cf: line 1: field \"wakeup_time\": bad value: \"10x\"");
    expect_error("a unix - - - 5?? - x\n",
                 "test.cf: line 1: field \"wakeup_time\": bad value: \"5??\"");
    expect_error("a unix - - - ? - x\n",
                 "test.cf: line 1: field \"wakeup_time\": bad value: \"?\"");
    expect_error("a unix - - - 9999999999 - x\n",
                 "test.cf: line 1: field \"wakeup_time\": bad value: \"9999999999\"");
    expect_error("a unix - - - - -1 x\n", "test.cf: line 1: field \"max_proc\": bad value: \"-1\"");
    expect_error("a unix - - - - 1? x\n", "test.cf: line 1: field \"max_proc\": bad value: \"1?\"");
    expect_error("a unix - - - - - x {y\n", "test.cf: line 1: missing '}' in \"{y\"");
    expect_error("a unix - - - - - x {y}z\n",
                 "test.cf: line 1: syntax error after '}' in \"{y}z\"");
}

static void
test_duplicate_service_last_wins(void **state)
{
    struct vstring *why = vstring_alloc(100);
    struct master_cf *table = parse("a unix - - - - - first\n"
                                    "b unix - - - - - other\n"
                                    "a unix n - - - - public\n"
                                    "a unix - - - - - last\n"
                                    "25 inet n - - - - x\n"
                                    "smtp inet n - - - - y\n",
                                    why);

    (void)state;
    assert_non_null(table);
    assert_int_equal(table->count, 4);
    assert_string_equal(table->entries[0]->args->argv[0], "other");
    assert_string_equal(table->entries[1]->args->argv[0], "public");
    assert_string_equal(table->entries[2]->args->argv[0], "last");
    assert_string_equal(table->entries[3]->args->argv[0], "y");
    master_cf_free(table);
    vstring_free(why);
}

static char *
upper_expand(const char *text, void *context)
{
    char *copy = mystrdup(text);
    char *cp;

    (*(int *)context)++;
    for (cp = copy; *cp; cp++)
        *cp = (char)toupper((unsigned char)*cp);
    return copy;
}

static void
test_expand_args(void **state)
{
    struct vstring *why = vstring_alloc(100);
    struct master_cf *table =
        parse("a unix - - - - - smtpd -o x=$y -ox2=$z -v -o { n = $v w }\n"
              "p unix - n n - - pipe flags=R argv=/bin/x ${recipient} -o no=$expand\n",
              why);
    struct argv *args;
    int calls = 0;

    (void)state;
    assert_non_null(table);
    args = master_cf_expand_args(find(table, "a", "unix"), upper_expand, &calls);
    assert_int_equal(calls, 3);
    assert_string_equal(args->argv[2], "x=$Y");
    assert_string_equal(args->argv[3], "-ox2=$Z");
    assert_string_equal(args->argv[6], "n = $V W");
    argv_free(args);
    args = master_cf_expand_args(find(table, "p", "unix"), upper_expand, &calls);
    assert_int_equal(calls, 3);
    assert_string_equal(args->argv[3], "${recipient}");
    assert_string_equal(args->argv[5], "no=$expand");
    argv_free(args);
    master_cf_free(table);
    vstring_free(why);
}

/*
 * Text view.
 */
static char *
format_entry(const char *line, int flags)
{
    struct vstring *why = vstring_alloc(100);
    struct vstring *out = vstring_alloc(100);
    struct master_cf_text *text = master_cf_text_parse(line, 1, why);

    assert_non_null(text);
    master_cf_format_entry(out, text, flags);
    master_cf_text_free(text);
    vstring_free(why);
    return vstring_export(out);
}

static void
expect_format(const char *line, int flags, const char *expected)
{
    char *got = format_entry(line, flags);

    assert_string_equal(got, expected);
    myfree(got);
}

static void
test_text_layout(void **state)
{
    (void)state;
    expect_format("smtp inet n - y - - smtpd", 0,
                  "smtp       inet  n       -       y       -       -       smtpd");
    expect_format("postlog unix-dgram n - n - 1 postlogd", 0,
                  "postlog    unix-dgram n  -       n       -       1       postlogd");
    expect_format("scalemail-backend unix - n n - 2 pipe", 0,
                  "scalemail-backend unix - n       n       -       2       pipe");
    expect_format("relay unix - - y - - smtp\n -o { a = b  c } -o x=y", MASTER_CF_FMT_FOLD,
                  "relay      unix  -       -       y       -       -       smtp\n"
                  "    -o {a=b  c}\n"
                  "    -o x=y");
    expect_format(
        "a unix - - - - - x -o {y=z} plain { b c } { d e }", 0,
        "a          unix  -       -       -       -       -       x -o y=z plain {b c} {d e}");
    /* ... but not the first argument after the options. */
    expect_format("a unix - - - - - x { b c } { d e }", 0,
                  "a          unix  -       -       -       -       -       x b c {d e}");
    expect_format("a unix - - - - - smtpd -a x -b x -c x -d x -e x", MASTER_CF_FMT_FOLD,
                  "a          unix  -       -       -       -       -       smtpd -a x -b x -c x\n"
                  "    -d x -e x");
    /* Postfix's quirks: "-oname=v" cut at the second "o"; a lone "-" takes a value. */
    expect_format(
        "a unix - - - - - x -osyslog_name=v - y", 0,
        "a          unix  -       -       -       -       -       x -o sysl -o g_name=v - y");
}

static void
test_text_fields_and_params(void **state)
{
    struct vstring *why = vstring_alloc(100);
    struct vstring *out = vstring_alloc(100);
    struct master_cf_text *text =
        master_cf_text_parse("relay unix - - y - - smtp -o b=2 -o { a = x   y } arg", 7, why);
    struct argv *names;

    (void)state;
    assert_non_null(text);
    assert_int_equal(text->lineno, 7);
    master_cf_format_field(out, text, MASTER_CF_FLD_MAXPROC, 0);
    assert_string_equal(vstring_str(out), "relay/unix/process_limit = -");
    vstring_reset(out);
    master_cf_format_field(out, text, MASTER_CF_FLD_COMMAND, MASTER_CF_FMT_HIDE_NAME);
    assert_string_equal(vstring_str(out), "smtp -o b=2 -o {a=x   y} arg");
    names = master_cf_text_param_names(text);
    assert_int_equal(names->argc, 2);
    assert_string_equal(names->argv[0], "a");
    assert_string_equal(htable_find(text->params, "a"), "x   y");
    argv_free(names);
    vstring_reset(out);
    master_cf_format_words(out, "relay/unix/a = x   y", 0);
    assert_string_equal(vstring_str(out), "relay/unix/a = x y");

    master_cf_text_set_param(text, "b", "3");
    master_cf_text_set_param(text, "c", "4");
    master_cf_text_del_param(text, "a");
    vstring_reset(out);
    master_cf_format_entry(out, text, 0);
    assert_string_equal(vstring_str(out), "relay      unix  -       -       y       -       -"
                                          "       smtp -o b=3 -o c=4 arg");
    assert_int_equal(master_cf_text_set_field(text, MASTER_CF_FLD_WAKEUP, "10?", why), 0);
    assert_int_equal(master_cf_text_set_field(text, MASTER_CF_FLD_CHROOT, "x", why), -1);
    assert_string_equal(vstring_str(why), "invalid chroot field \"x\" in \"x\"");
    assert_int_equal(master_cf_text_set_field(text, MASTER_CF_FLD_CHROOT, "n", why), 0);
    assert_int_equal(master_cf_text_set_field(text, MASTER_CF_FLD_COMMAND, " ", why), -1);
    assert_string_equal(vstring_str(why), "bad field count");
    assert_int_equal(master_cf_text_set_field(text, MASTER_CF_FLD_COMMAND, "x -ok=v", why), 0);
    assert_string_equal(htable_find(text->params, "k"), "v");
    master_cf_text_free(text);
    vstring_free(out);
    vstring_free(why);
}

static void
test_text_errors(void **state)
{
    struct vstring *why = vstring_alloc(100);
    static const char *const cases[][2] = {
        {"a unix - - - - -", "bad field count"},
        {"a Unix - - - - - x", "invalid type field \"Unix\" in \"a Unix - - - - - x\""},
        {"a unix x - - - - x", "invalid private field \"x\" in \"a unix x - - - - x\""},
        {"a unix - yy - - - x", "invalid unprivileged field \"yy\" in \"a unix - yy - - - x\""},
        {"a unix - - 1 - - x", "invalid chroot field \"1\" in \"a unix - - 1 - - x\""},
        {"a unix - - - 1x - x", "invalid wakeup field \"1x\" in \"a unix - - - 1x - x\""},
        {"a unix - - - - -1 x", "invalid process_limit field \"-1\" in \"a unix - - - - -1 x\""},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_null(master_cf_text_parse(cases[i][0], 1, why));
        assert_string_equal(vstring_str(why), cases[i][1]);
    }
    vstring_free(why);
}

static void
test_garbage_does_not_crash(void **state)
{
    static const char garbage[] = "a\0b unix - - - - - x\n{{{{ }}}} inet\n\xff\xfe - - -\n"
                                  "x unix - - - - - y -o\n  \n-o { \n";
    struct vstring *why = vstring_alloc(100);
    struct master_cf *table = master_cf_parse("garbage", garbage, sizeof(garbage) - 1, why);

    (void)state;
    assert_null(table);
    assert_true(strncmp(vstring_str(why), "garbage: line ", 14) == 0);
    /* A line that starts with a NUL byte holds nothing: skipped. */
    table = master_cf_parse("nul", "\0junk\na unix - - - - - x\n", 25, why);
    assert_non_null(table);
    assert_int_equal(table->count, 1);
    assert_int_equal(table->entries[0]->lineno, 2);
    master_cf_free(table);
    vstring_free(why);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_master_cf),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_defaults_and_wakeup),
        cmocka_unit_test(test_overrides_and_braces),
        cmocka_unit_test(test_inet_names),
        cmocka_unit_test(test_continuation_lines),
        cmocka_unit_test(test_errors_name_file_and_line),
        cmocka_unit_test(test_duplicate_service_last_wins),
        cmocka_unit_test(test_expand_args),
        cmocka_unit_test(test_text_layout),
        cmocka_unit_test(test_text_fields_and_params),
        cmocka_unit_test(test_text_errors),
        cmocka_unit_test(test_garbage_does_not_crash),
    };

    msg_init("test_master_cf", MSG_STDERR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
