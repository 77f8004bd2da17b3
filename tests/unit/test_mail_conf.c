/*
 * test_mail_conf - unit tests for lib/config: main.cf parsing (logical
 * lines, comments, later-wins, malformed lines), the parameter table and
 * run-time defaults, lazy expansion with compatibility-level expressions,
 * the recursion limit, raw and service parameters, and the typed getters
 * with their range errors.
 *
 * Fatal paths run in a forked child; the parent checks the exit status
 * and the child's standard error.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "config/mail_params.h"
#include "config/mail_version.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/vstream.h"
#include "util/vstring.h"

static char test_dir[] = "/tmp/test_mail_conf.XXXXXX";

/* Writes DIR/main.cf with the given text. */
static void
write_main_cf(const char *text)
{
    char path[256];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/main.cf", test_dir);
    assert_non_null(fp = fopen(path, "w"));
    fputs(text, fp);
    fclose(fp);
}

static void
load(const char *text)
{
    write_main_cf(text);
    mail_conf_load(test_dir);
}

/*
 * Runs fn(arg) in a child with stderr captured. Returns the child's
 * output; *how is the exit status, or 128+signal.
 */
static char *
run_child(void (*fn)(const char *), const char *arg, int *how)
{
    char path[] = "/tmp/test_mail_conf_err.XXXXXX";
    int fd = mkstemp(path);
    char *text = mycalloc(1, 8192);
    ssize_t len;
    pid_t pid;
    int status;

    assert_true(fd >= 0);
    unlink(path);
    fflush(stdout);
    if ((pid = fork()) == 0) {
        dup2(fd, 2);
        signal(SIGABRT, SIG_DFL);
        fn(arg);
        _exit(0);
    }
    assert_true(waitpid(pid, &status, 0) == pid);
    *how = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    lseek(fd, 0, SEEK_SET);
    len = read(fd, text, 8191);
    text[len > 0 ? len : 0] = 0;
    close(fd);
    return text;
}

static void
assert_child(void (*fn)(const char *), const char *arg, int expect_how, const char *expect_text)
{
    int how;
    char *text = run_child(fn, arg, &how);

    if (strstr(text, expect_text) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", expect_text, text);
    assert_int_equal(how, expect_how);
    myfree(text);
}

static void
test_parse_syntax(void **state)
{
    (void)state;
    load("# comment\n"
         "\n"
         "myorigin=example.com\n"
         "relayhost   =   [mail.example.com]:587   \n"
         "mydestination = a,\n"
         "    b,\n"
         "  # comment inside a continued value\n"
         "\tc\n"
         "empty_thing =\n"
         "myorigin = later.example.com\n");
    assert_string_equal(mail_conf_raw("myorigin"), "later.example.com");
    assert_string_equal(mail_conf_raw("relayhost"), "[mail.example.com]:587");
    assert_string_equal(mail_conf_lookup("mydestination"), "a,    b,\tc");
    assert_string_equal(mail_conf_lookup("empty_thing"), "");
    assert_int_equal(mail_conf_lookup_line("mydestination"), 5);
    assert_string_equal(mail_conf_lookup("config_directory"), test_dir);
    assert_non_null(mail_conf_path());
    assert_non_null(strstr(mail_conf_path(), "/main.cf"));
    assert_null(mail_conf_lookup("relay_domains")); /* not set: default only */
    assert_non_null(mail_conf_raw("relay_domains"));
}

static void
child_load(const char *text)
{
    load(text);
}

static void
child_load_missing(const char *dir)
{
    mail_conf_load(dir);
}

static void
test_parse_errors(void **state)
{
    char expect[512];

    (void)state;
    snprintf(expect, sizeof(expect),
             "fatal: %s/main.cf, line 2: missing '=' after attribute name: \"bad name = 3\"",
             test_dir);
    assert_child(child_load, "a = 1\nbad name = 3\n", 1, expect);
    snprintf(expect, sizeof(expect), "fatal: %s/main.cf, line 1: missing attribute name: \"= 3\"",
             test_dir);
    assert_child(child_load, "= 3\n", 1, expect);
    snprintf(expect, sizeof(expect),
             "warning: %s/main.cf, line 3: overriding earlier entry: myorigin=one", test_dir);
    assert_child(child_load, "myorigin = one\n\nmyorigin = two\n", 0, expect);
    assert_child(child_load_missing, "/nonexistent/tern", 1,
                 "fatal: open /nonexistent/tern/main.cf: No such file or directory");
}

static void
test_parse_warn_mode(void **state)
{
    char path[256];
    struct vstream *fp;

    (void)state;
    write_main_cf("good = 1\nno equals sign\n= x\nlater = 2\n");
    snprintf(path, sizeof(path), "%s/main.cf", test_dir);
    mail_conf_reset();
    assert_non_null(fp = vstream_fopen(path, O_RDONLY, 0));
    assert_int_equal(mail_conf_parse(fp, path, MAIL_CONF_PARSE_WARN), 2);
    vstream_close(fp);
    assert_string_equal(mail_conf_lookup("good"), "1");
    assert_string_equal(mail_conf_lookup("later"), "2");
}

static void
test_mail_config_env(void **state)
{
    (void)state;
    write_main_cf("myorigin = from-env.example\n");
    setenv("MAIL_CONFIG", test_dir, 1);
    mail_conf_load(NULL);
    unsetenv("MAIL_CONFIG");
    assert_string_equal(mail_conf_get("myorigin"), "from-env.example");
    assert_string_equal(mail_conf_get("config_directory"), test_dir);
}

static void
test_table(void **state)
{
    const struct mail_param *param;
    struct vstring *banner;

    (void)state;
    assert_true(mail_param_count > 800);
    for (size_t i = 1; i < mail_param_count; i++)
        assert_true(strcmp(mail_param_table[i - 1].name, mail_param_table[i].name) < 0);
    assert_non_null(param = mail_param_find("smtpd_timeout"));
    assert_int_equal(param->type, MAIL_PARAM_TIME);
    assert_int_equal(param->unit, 's');
    assert_int_equal(param->min, 1);
    assert_non_null(param = mail_param_find("biff"));
    assert_int_equal(param->type, MAIL_PARAM_BOOL);
    assert_non_null(param = mail_param_find("message_size_limit"));
    assert_int_equal(param->type, MAIL_PARAM_SIZE);
    assert_non_null(param = mail_param_find("default_rbl_reply"));
    assert_true(param->flags & MAIL_PARAM_FLAG_RAW);
    assert_null(mail_param_find("no_such_parameter"));
    mail_conf_reset();
    assert_string_equal(mail_conf_get("mail_name"), MAIL_NAME);
    assert_string_equal(mail_conf_get("mail_version"), MAIL_VERSION_NUMBER);
    assert_string_equal(mail_conf_get("command_directory"), DEF_COMMAND_DIR);
    assert_string_equal(mail_conf_get("queue_directory"), DEF_QUEUE_DIR);
    assert_string_equal(mail_conf_get("html_directory"), "no");
    banner = vstring_sprintf(vstring_alloc(100), "%s ESMTP %s", mail_conf_get("myhostname"),
                             MAIL_NAME);
    assert_string_equal(mail_conf_get("smtpd_banner"), vstring_str(banner));
    vstring_free(banner);
}

static void
test_dynamic_defaults(void **state)
{
    const char *host;
    char pid[32];

    (void)state;
    mail_conf_reset();
    host = mail_conf_get("myhostname");
    assert_non_null(strchr(host, '.'));
    assert_string_equal(mail_conf_get("mydomain"), strchr(host, '.') + 1);
    load("myhostname = mail.example.com\n");
    assert_string_equal(mail_conf_get("mydomain"), "example.com");
    assert_string_equal(mail_conf_get("myorigin"), "mail.example.com");
    load("myhostname = nodots\n");
    assert_string_equal(mail_conf_get("mydomain"), "localdomain");
    load("mydomain = example.net\n");
    if (strchr(mail_conf_get("myhostname"), '.') == NULL)
        fail();
    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    assert_string_equal(mail_conf_get("process_id"), pid);
    assert_string_equal(mail_conf_get("process_name"), "test_mail_conf");
    load("mynetworks_style = host\ninet_interfaces = loopback-only\ninet_protocols = ipv4\n");
    assert_string_equal(mail_conf_get("mynetworks"), "127.0.0.1/32");
    load("mynetworks_style = subnet\ninet_interfaces = 127.0.0.1\ninet_protocols = ipv4\n");
    assert_string_equal(mail_conf_get("mynetworks"), "127.0.0.0/8");
    load("mynetworks_style = class\ninet_interfaces = loopback-only\ninet_protocols = ipv4\n");
    assert_string_equal(mail_conf_get("mynetworks"), "127.0.0.0/8");
}

static void
test_expansion(void **state)
{
    char *text;

    (void)state;
    load("myhostname = mx.example.org\n"
         "myorigin = $mydomain\n"
         "relayhost = ${nothing_here}[$(myorigin)]${mydomain?:25}${nothing_here:x}\n"
         "foo = $$literal\n"
         "smtpd_reject_footer = $raw_stays\n");
    assert_string_equal(mail_conf_get("myorigin"), "example.org");
    assert_string_equal(mail_conf_get("relayhost"), "[example.org]:25x");
    assert_string_equal(mail_conf_get("foo"), "$literal");
    assert_string_equal(mail_conf_get("smtpd_reject_footer"), "$raw_stays");
    assert_null(mail_conf_get("no_such_parameter"));
    assert_null(mail_conf_raw("no_such_parameter"));
    text = mail_conf_expand("<$myorigin ${myorigin?{set}:{unset}}>");
    assert_string_equal(text, "<example.org set>");
    myfree(text);
    mail_conf_set("myorigin", "changed");
    assert_string_equal(mail_conf_get("myorigin"), "changed");
    assert_int_equal(mail_conf_unset("myorigin"), 1);
    assert_string_equal(mail_conf_get("myorigin"), "mx.example.org");
}

static void
test_compat_level(void **state)
{
    char *text;

    (void)state;
    load("");
    assert_string_equal(mail_conf_get("compatibility_level"), "0");
    assert_string_equal(mail_conf_get("mynetworks_style"), "subnet");
    assert_string_equal(mail_conf_get("append_dot_mydomain"), "yes");
    assert_string_equal(mail_conf_get("smtpd_tls_fingerprint_digest"), "md5");
    load("compatibility_level = 3.6\n");
    assert_string_equal(mail_conf_get("mynetworks_style"), "host");
    assert_string_equal(mail_conf_get("append_dot_mydomain"), "no");
    assert_string_equal(mail_conf_get("relay_domains"), "");
    assert_string_equal(mail_conf_get("smtpd_tls_fingerprint_digest"), "sha256");
    assert_string_equal(mail_conf_get("smtpd_relay_restrictions"),
                        "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination");
    text = mail_conf_expand("${{3.10} >level {3.9} ? {a} : {b}}${{2} <level {3.6}?{c}}"
                            "${{3} ==level {3.0.0}?{d}}${{3.6.1} <=level {3.6}?{x}:{e}}");
    assert_string_equal(text, "acde");
    myfree(text);
}

static void
child_get(const char *name)
{
    (void)mail_conf_get(name);
}

static void
test_recursion_limit(void **state)
{
    char expect[512];

    (void)state;
    load("myorigin = $mydestination\nmydestination = $myorigin\n");
    snprintf(expect, sizeof(expect), "%s/main.cf: parameter myorigin: macro processing error",
             test_dir);
    assert_child(child_get, "myorigin", 1, "warning: unreasonable macro call nesting");
    assert_child(child_get, "myorigin", 1, expect);
    load("myorigin = ${{x} <level {3}}\n");
    assert_child(child_get, "myorigin", 1, "malformed compatibility level syntax: \"x\"");
    load("myorigin = ${oops\n");
    assert_child(child_get, "myorigin", 1, "truncated macro reference: \"${oops\"");
}

static void
test_service_parameters(void **state)
{
    (void)state;
    load("default_destination_concurrency_limit = 7\n");
    assert_string_equal(mail_conf_raw("relay_destination_concurrency_limit"),
                        "$default_destination_concurrency_limit");
    assert_int_equal(mail_conf_get_int("relay_destination_concurrency_limit"), 7);
    assert_string_equal(mail_conf_raw("mypipe_time_limit"), "$command_time_limit");
    assert_int_equal(mail_conf_get_time("mypipe_time_limit"), 1000);
    assert_string_equal(mail_conf_raw("x_destination_recipient_limit"),
                        "$default_destination_recipient_limit");
    /* A table entry wins over the service pattern. */
    assert_string_equal(mail_conf_raw("local_destination_concurrency_limit"), "2");
}

static void
test_getters(void **state)
{
    (void)state;
    load("biff = No\n"
         "soft_bounce = YES\n"
         "smtpd_recipient_limit = 250\n"
         "minimal_backoff_time = 10m\n"
         "postscreen_dnsbl_max_ttl = 5\n"
         "maximal_queue_lifetime = 2w\n"
         "message_size_limit = 123456789012\n"
         "user_number = 17\n");
    assert_int_equal(mail_conf_get_bool("biff"), 0);
    assert_int_equal(mail_conf_get_bool("soft_bounce"), 1);
    assert_int_equal(mail_conf_get_int("smtpd_recipient_limit"), 250);
    assert_int_equal(mail_conf_get_int("user_number"), 17);
    assert_int_equal(mail_conf_get_time("minimal_backoff_time"), 600);
    assert_int_equal(mail_conf_get_time("postscreen_dnsbl_max_ttl"), 5 * 3600);
    assert_int_equal(mail_conf_get_time("maximal_queue_lifetime"), 14 * 86400);
    assert_int_equal(mail_conf_get_time("smtpd_timeout"), 300);
    assert_int_equal(mail_conf_get_time("delay_warning_time"), 0);
    assert_true(mail_conf_get_size("message_size_limit") == 123456789012L);
    assert_int_equal(mail_conf_get_size("mailbox_size_limit"), 51200000);
    assert_int_equal(mail_conf_get_int("smtpd_hard_error_limit"), 20);
}

static void
child_bool(const char *text)
{
    load(text);
    (void)mail_conf_get_bool("biff");
}

static void
child_int(const char *text)
{
    load(text);
    (void)mail_conf_get_int(strtok(mystrdup(text), " "));
}

static void
child_time(const char *text)
{
    load(text);
    (void)mail_conf_get_time(strtok(mystrdup(text), " "));
}

static void
child_unknown(const char *name)
{
    mail_conf_reset();
    (void)mail_conf_get_int(name);
}

static void
test_getter_errors(void **state)
{
    (void)state;
    assert_child(child_bool, "biff = maybe\n", 1, "fatal: bad boolean configuration: biff = maybe");
    assert_child(child_int, "smtpd_recipient_limit = 12x\n", 1,
                 "fatal: bad numerical configuration: smtpd_recipient_limit = 12x");
    assert_child(child_int, "smtpd_recipient_limit = 0\n", 1,
                 "fatal: invalid smtpd_recipient_limit parameter value 0 < 1");
    assert_child(child_int, "unverified_sender_reject_code = 600\n", 1,
                 "fatal: invalid unverified_sender_reject_code parameter value 600 > 599");
    assert_child(child_int, "hopcount_limit = 99999999999\n", 1,
                 "fatal: bad numerical configuration: hopcount_limit = 99999999999");
    assert_child(child_time, "smtpd_timeout = 5x\n", 1,
                 "fatal: parameter smtpd_timeout: bad time value or unit: 5x");
    assert_child(child_time, "smtpd_timeout = -5\n", 1,
                 "fatal: parameter smtpd_timeout: bad time value or unit: -5");
    assert_child(child_time, "smtpd_timeout = 0\n", 1, "fatal: invalid smtpd_timeout: 0 (min 1)");
    assert_child(child_time, "maximal_queue_lifetime = 200d\n", 1,
                 "fatal: invalid maximal_queue_lifetime: 17280000 (max 8640000)");
    assert_child(child_time, "minimal_backoff_time = 99999999w\n", 1,
                 "bad time value or unit: 99999999w");
    assert_child(child_unknown, "no_such_parameter", 128 + SIGABRT,
                 "panic: mail_conf_get_int: unknown parameter: no_such_parameter");
}

/* Every default value converts with the getter of its parameter's type. */
static void
child_all_defaults(const char *unused)
{
    const struct mail_param *param;

    (void)unused;
    mail_conf_reset();
    for (size_t i = 0; i < mail_param_count; i++) {
        param = mail_param_table + i;
        if (param->flags & (MAIL_PARAM_FLAG_LEGACY | MAIL_PARAM_FLAG_RAW))
            continue;
        switch (param->type) {
        case MAIL_PARAM_BOOL:
            (void)mail_conf_get_bool(param->name);
            break;
        case MAIL_PARAM_INT:
        case MAIL_PARAM_LONG:
            (void)mail_conf_get_int(param->name);
            break;
        case MAIL_PARAM_SIZE:
            (void)mail_conf_get_size(param->name);
            break;
        case MAIL_PARAM_TIME:
            (void)mail_conf_get_time(param->name);
            break;
        default:
            (void)mail_conf_get(param->name);
            break;
        }
    }
    fputs("all defaults converted\n", stderr);
}

static void
test_all_defaults_convert(void **state)
{
    (void)state;
    assert_child(child_all_defaults, "", 0, "all defaults converted");
}

static void
child_read(const char *text)
{
    load(text);
    mail_conf_read(test_dir);
    msg_info("logged to the file");
}

/*
 * mail_conf_read applies syslog_name and the maillog_file routing: a
 * record goes as one datagram to $queue_directory/public/postlog (bound
 * here, standing in for postlogd); a maillog_file outside
 * maillog_file_prefixes is fatal.
 */
static void
test_read_logging(void **state)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    char text[1200];
    char buf[4096];
    ssize_t len;
    int sock;
    int how;
    char *err;

    (void)state;
    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/public/postlog", test_dir);
    snprintf(buf, sizeof(buf), "%s/public", test_dir);
    assert_int_equal(mkdir(buf, 0755), 0);
    assert_true((sock = socket(AF_UNIX, SOCK_DGRAM, 0)) >= 0);
    assert_int_equal(bind(sock, (struct sockaddr *)&sun, sizeof(sun)), 0);
    snprintf(text, sizeof(text),
             "queue_directory = %s\nmaillog_file = %s/maillog\nmaillog_file_prefixes = %s\n"
             "syslog_name = tern-test\nmyhostname = mx9.example.com\n",
             test_dir, test_dir, test_dir);
    err = run_child(child_read, text, &how);
    assert_int_equal(how, 0);
    myfree(err);
    len = recv(sock, buf, sizeof(buf) - 1, MSG_DONTWAIT);
    assert_true(len > 0);
    buf[len] = 0;
    assert_non_null(strstr(buf, " mx9 tern-test/test_mail_conf["));
    assert_non_null(strstr(buf, "]: logged to the file"));
    close(sock);
    unlink(sun.sun_path);
    snprintf(buf, sizeof(buf), "%s/public", test_dir);
    rmdir(buf);
    snprintf(text, sizeof(text), "queue_directory = %s\nmaillog_file = %s/maillog\n", test_dir,
             test_dir);
    assert_child(child_read, text, 1, "does not match any prefix in maillog_file_prefixes");
    snprintf(buf, sizeof(buf), "%s/maillog", test_dir);
    assert_int_equal(access(buf, F_OK), -1);
    assert_child(child_read, "syslog_facility = nosuch\n", 1,
                 "parameter syslog_facility: unrecognized value: nosuch");
}

static int
setup(void **state)
{
    (void)state;
    return mkdtemp(test_dir) ? 0 : -1;
}

static int
teardown(void **state)
{
    char path[300];

    (void)state;
    snprintf(path, sizeof(path), "%s/main.cf", test_dir);
    unlink(path);
    return rmdir(test_dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_syntax),    cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_warn_mode), cmocka_unit_test(test_mail_config_env),
        cmocka_unit_test(test_table),           cmocka_unit_test(test_dynamic_defaults),
        cmocka_unit_test(test_expansion),       cmocka_unit_test(test_compat_level),
        cmocka_unit_test(test_recursion_limit), cmocka_unit_test(test_service_parameters),
        cmocka_unit_test(test_getters),         cmocka_unit_test(test_getter_errors),
        cmocka_unit_test(test_read_logging),    cmocka_unit_test(test_all_defaults_convert),
    };

    msg_init("test_mail_conf", MSG_STDERR);
    return cmocka_run_group_tests(tests, setup, teardown);
}
