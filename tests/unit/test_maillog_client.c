/*
 * test_maillog_client - lib/config/maillog_client: main.cf's maillog_file
 * sends records to $queue_directory/public/$postlog_service_name with the
 * first label of myhostname; maillog_file_prefixes and
 * maillog_file_permissions are checked with Postfix's wording; only the
 * programs Postfix names fall back to writing the file; an empty
 * maillog_file switches the routing off.
 *
 * Fatal paths run in a forked child whose stderr goes to a file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "config/mail_params.h"
#include "config/maillog_client.h"
#include "util/iostuff.h"
#include "util/msg.h"
#include "util/stringops.h"
#include "util_test_helpers.h"
#include "fake_server.h"

static void
configure(const char *extra)
{
    char text[2048];

    mkdir(test_path("queue"), 0755);
    mkdir(test_path("queue/public"), 0755);
    snprintf(text, sizeof(text),
             "queue_directory = %s\nmaillog_file = %s\nmaillog_file_prefixes = /var, %s\n"
             "myhostname = relay7.example.org\n%s",
             test_path("queue"), test_path("maillog"), test_dir, extra);
    test_write_file(test_path("main.cf"), text, 0644);
    mail_conf_load(test_dir);
}

static int
teardown(void **state)
{
    msg_set_postlog(NULL, 0);
    msg_set_logfile(NULL);
    return test_dir_teardown(state);
}

static void
test_routes_to_the_service(void **state)
{
    char buf[4096];
    ssize_t n;
    int sock;

    (void)state;
    configure("postlog_service_name = mylog\n");
    sock = fake_listen(test_path("queue/public/mylog"), SOCK_DGRAM);
    maillog_client_init(0);
    msg_info("routed");
    assert_int_equal(poll_fd_ms(sock, POLLIN, 2000), 0);
    n = recv(sock, buf, sizeof(buf) - 1, 0);
    assert_true(n > 0);
    buf[n] = 0;
    assert_non_null(strstr(buf, " relay7 postfix/test_maillog_client["));
    assert_non_null(strstr(buf, "]: routed"));
    close(sock);
    /* Without the service and without the fallback flag nothing is written. */
    msg_info("dropped");
    assert_int_equal(access(test_path("maillog"), F_OK), -1);
}

static void
test_fallback_and_permissions(void **state)
{
    char buf[512];
    struct stat st;

    (void)state;
    configure("maillog_file_permissions = 0640\n");
    maillog_client_init(MAILLOG_CLIENT_FALLBACK);
    msg_warn("direct");
    assert_non_null(strstr(test_read_file(test_path("maillog"), buf, sizeof(buf)),
                           " relay7 postfix/test_maillog_client["));
    assert_non_null(strstr(buf, "]: warning: direct\n"));
    assert_int_equal(stat(test_path("maillog"), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    /* An empty maillog_file switches the routing off. */
    mail_conf_set("maillog_file", "");
    maillog_client_init(MAILLOG_CLIENT_FALLBACK);
    unlink(test_path("maillog"));
    msg_info("to syslog");
    assert_int_equal(access(test_path("maillog"), F_OK), -1);
}

static void
test_flags_by_program(void **state)
{
    (void)state;
    assert_int_equal(maillog_client_flags("master"), MAILLOG_CLIENT_FALLBACK);
    assert_int_equal(maillog_client_flags("postfix"), MAILLOG_CLIENT_FALLBACK);
    assert_int_equal(maillog_client_flags("postsuper"), MAILLOG_CLIENT_FALLBACK);
    assert_int_equal(maillog_client_flags("postmulti"), MAILLOG_CLIENT_FALLBACK);
    assert_int_equal(maillog_client_flags("postlog"), MAILLOG_CLIENT_FALLBACK);
    assert_int_equal(maillog_client_flags("postmap"), 0);
    assert_int_equal(maillog_client_flags("smtpd"), 0);
    assert_int_equal(maillog_client_flags("postfix-script"), 0);
}

/* Runs maillog_client_init in a child; returns its exit status, stderr in buf. */
static int
init_in_child(const char *extra, char *buf, size_t size)
{
    char err_path[600];
    int status;
    pid_t pid;

    snprintf(err_path, sizeof(err_path), "%s", test_path("stderr"));
    if ((pid = fork()) == 0) {
        int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

        dup2(fd, 2);
        msg_set_sinks(MSG_STDERR);
        configure(extra);
        maillog_client_init(MAILLOG_CLIENT_FALLBACK);
        _exit(0);
    }
    status = test_wait_child(pid, 5000);
    test_read_file(err_path, buf, size);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void
test_refusals(void **state)
{
    char buf[1024];
    char want[700];

    (void)state;
    assert_int_equal(
        init_in_child("maillog_file_prefixes = /var/log, /dev/stdout\n", buf, sizeof(buf)), 1);
    snprintf(want, sizeof(want),
             "test_maillog_client: fatal: maillog_file value '%s' does not match any prefix in "
             "maillog_file_prefixes\n",
             test_path("maillog"));
    assert_true(ends_with(buf, want)); /* after main.cf's "overriding earlier entry" */
    assert_int_equal(access(test_path("maillog"), F_OK), -1);
    assert_int_equal(init_in_child("maillog_file_permissions = 0666\n", buf, sizeof(buf)), 1);
    assert_non_null(strstr(buf, "fatal: invalid maillog_file_permissions parameter value: '0666'"));
    assert_int_equal(init_in_child("", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_routes_to_the_service, test_dir_setup, teardown),
        cmocka_unit_test_setup_teardown(test_fallback_and_permissions, test_dir_setup, teardown),
        cmocka_unit_test(test_flags_by_program),
        cmocka_unit_test_setup_teardown(test_refusals, test_dir_setup, teardown),
    };

    msg_init("test_maillog_client", 0);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
