/*
 * test_mail_connect - unit tests for lib/mail/mail_connect.c.
 *
 * Each test builds a throw-away queue directory (private/, public/) under
 * /tmp with real AF_UNIX listeners and FIFOs, then checks: a connect and a
 * full request/reply with a forked server that announces its protocol; the
 * errors for a missing socket, a socket nobody listens on, an invalid
 * service name and a full backlog (bounded by the timeout); triggers
 * delivered to a UNIX-domain listener and to a FIFO, and the errors for a
 * FIFO with no reader and a missing service.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mail/attr.h"
#include "mail/mail_connect.h"
#include "util/msg.h"
#include "util/vstream.h"
#include "util/vstring.h"

static char queue_dir[] = "/tmp/test_mail_connect.XXXXXX";
static char saved_cwd[4096];

static void
path_of(char *buf, size_t size, const char *class, const char *service)
{
    snprintf(buf, size, "%s/%s/%s", queue_dir, class, service);
}

/* Opens a listening socket at QUEUE_DIR/CLASS/SERVICE. */
static int
listen_at(const char *class, const char *service, int backlog)
{
    struct sockaddr_un sun;
    int fd;

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    path_of(sun.sun_path, sizeof(sun.sun_path), class, service);
    unlink(sun.sun_path);
    assert_true((fd = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
    assert_int_equal(listen(fd, backlog), 0);
    return fd;
}

/* A one-shot server: announce, read "text", reply with its length. */
static void
serve_one(int listen_fd)
{
    struct vstring *text = vstring_alloc(10);
    struct vstream *fp;
    int fd;

    if ((fd = accept(listen_fd, NULL, NULL)) < 0)
        _exit(2);
    fp = vstream_fdopen(fd, "server");
    vstream_set_timeout(fp, 5);
    if (attr_announce_protocol(fp, "echo_v1") < 0 ||
        attr_scan(fp, ATTR_FLAG_NONE, ATTR_RECV_STR("text", text), ATTR_TYPE_END) != 1 ||
        attr_print(fp, ATTR_FLAG_NONE, ATTR_SEND_STR("text", vstring_str(text)),
                   ATTR_SEND_INT("length", (int)vstring_len(text)), ATTR_TYPE_END) < 0)
        _exit(1);
    vstream_close(fp);
    _exit(0);
}

static void
test_connect_and_exchange(void **state)
{
    struct vstring *why = vstring_alloc(10);
    struct vstring *text = vstring_alloc(10);
    struct vstream *fp;
    int listen_fd = listen_at("private", "echo", 10);
    int length = 0;
    int status;
    pid_t pid;

    (void)state;
    if ((pid = fork()) == 0)
        serve_one(listen_fd);
    close(listen_fd);
    fp = mail_connect(queue_dir, MAIL_CLASS_PRIVATE, "echo", 5, why);
    assert_non_null(fp);
    assert_string_equal(vstream_path(fp), "private/echo");
    assert_int_equal(fp->timeout, 5);
    assert_int_equal(attr_expect_protocol(fp, "echo_v1"), 0);
    assert_int_equal(attr_print(fp, ATTR_FLAG_NONE, ATTR_SEND_STR("text", "hello"), ATTR_TYPE_END),
                     0);
    assert_int_equal(attr_scan(fp, ATTR_FLAG_NONE, ATTR_RECV_STR("text", text),
                               ATTR_RECV_INT("length", &length), ATTR_TYPE_END),
                     2);
    assert_string_equal(vstring_str(text), "hello");
    assert_int_equal(length, 5);
    vstream_close(fp);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    vstring_free(why);
    vstring_free(text);
}

static void
test_connect_relative_to_cwd(void **state)
{
    struct vstring *why = vstring_alloc(10);
    struct vstream *fp;
    int listen_fd = listen_at("public", "showq", 10);

    (void)state;
    assert_int_equal(chdir(queue_dir), 0);
    fp = mail_connect(NULL, MAIL_CLASS_PUBLIC, "showq", 5, why);
    assert_int_equal(chdir(saved_cwd), 0);
    assert_non_null(fp);
    assert_string_equal(vstream_path(fp), "public/showq");
    vstream_close(fp);
    close(listen_fd);
    vstring_free(why);
}

static void
test_connect_errors(void **state)
{
    struct vstring *why = vstring_alloc(10);
    char want[4200];
    char path[4200];
    int fd;

    (void)state;
    /* No such socket. */
    assert_null(mail_connect(queue_dir, MAIL_CLASS_PRIVATE, "nosuch", 1, why));
    assert_int_equal(errno, ENOENT);
    snprintf(want, sizeof(want), "connect to %s/private/nosuch: No such file or directory",
             queue_dir);
    assert_string_equal(vstring_str(why), want);
    /* A socket whose listener is gone. */
    close(listen_at("private", "dead", 1));
    assert_null(mail_connect(queue_dir, MAIL_CLASS_PRIVATE, "dead", 1, why));
    assert_int_equal(errno, ECONNREFUSED);
    /* A plain file where a socket should be. */
    path_of(path, sizeof(path), "private", "file");
    assert_true((fd = open(path, O_CREAT | O_WRONLY, 0600)) >= 0);
    close(fd);
    assert_null(mail_connect(queue_dir, MAIL_CLASS_PRIVATE, "file", 1, NULL));
    assert_int_equal(errno, ECONNREFUSED);
    /* A service name that would escape the class directory. */
    assert_null(mail_connect(queue_dir, MAIL_CLASS_PRIVATE, "../public/x", 1, why));
    assert_int_equal(errno, EINVAL);
    assert_string_equal(vstring_str(why), "connect to private/../public/x: invalid service name");
    assert_null(mail_connect(queue_dir, MAIL_CLASS_PUBLIC, "", 1, why));
    assert_int_equal(errno, EINVAL);
    vstring_free(why);
}

/* A listener that never accepts: once its backlog is full, connect times out. */
static void
test_connect_timeout_full_backlog(void **state)
{
    struct vstream *fps[16];
    struct vstring *why = vstring_alloc(10);
    int listen_fd = listen_at("private", "busy", 0);
    time_t start = 0;
    int n = 0;
    int timed_out = 0;

    (void)state;
    while (n < 16) {
        start = time(NULL);
        fps[n] = mail_connect(queue_dir, MAIL_CLASS_PRIVATE, "busy", 1, why);
        if (fps[n] == NULL) {
            timed_out = (errno == ETIMEDOUT);
            break;
        }
        n++;
    }
    assert_true(timed_out);
    assert_true(time(NULL) - start >= 1 && time(NULL) - start <= 3);
    assert_true(strstr(vstring_str(why), "private/busy: Connection timed out") != NULL);
    while (n > 0)
        vstream_close(fps[--n]);
    close(listen_fd);
    vstring_free(why);
}

static void
test_trigger_unix(void **state)
{
    int listen_fd = listen_at("public", "pickup", 10);
    char buf[16];
    int fd;

    (void)state;
    assert_int_equal(chdir(queue_dir), 0);
    assert_int_equal(mail_trigger(MAIL_CLASS_PUBLIC, "pickup", "W", 1), 0);
    assert_int_equal(chdir(saved_cwd), 0);
    assert_true((fd = accept(listen_fd, NULL, NULL)) >= 0);
    assert_int_equal(read(fd, buf, sizeof(buf)), 1);
    assert_int_equal(buf[0], 'W');
    assert_int_equal(read(fd, buf, sizeof(buf)), 0); /* the client closed */
    close(fd);
    close(listen_fd);
}

static void
test_trigger_fifo(void **state)
{
    char path[4200];
    char buf[16];
    char big[1024];
    int fd;

    (void)state;
    path_of(path, sizeof(path), "public", "qmgr");
    assert_int_equal(mkfifo(path, 0622), 0);
    assert_int_equal(chdir(queue_dir), 0);
    /* No reader yet: the trigger cannot be delivered. */
    assert_int_equal(mail_trigger(MAIL_CLASS_PUBLIC, "qmgr", "A", 1), -1);
    assert_int_equal(errno, ENXIO);
    assert_true((fd = open(path, O_RDONLY | O_NONBLOCK)) >= 0);
    assert_int_equal(mail_trigger(MAIL_CLASS_PUBLIC, "qmgr", "AW", 2), 0);
    /* A full FIFO already holds a wake-up: still success. */
    memset(big, 'W', sizeof(big));
    for (int i = 0; i < 100; i++)
        if (mail_trigger(MAIL_CLASS_PUBLIC, "qmgr", big, sizeof(big)) != 0)
            fail_msg("trigger %d to a full FIFO failed: %s", i, strerror(errno));
    /* A missing service. */
    assert_int_equal(mail_trigger(MAIL_CLASS_PUBLIC, "nosuch", "W", 1), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(chdir(saved_cwd), 0);
    assert_int_equal(read(fd, buf, 2), 2);
    assert_memory_equal(buf, "AW", 2);
    close(fd);
}

static int
setup(void **state)
{
    char path[4200];

    (void)state;
    if (getcwd(saved_cwd, sizeof(saved_cwd)) == NULL || mkdtemp(queue_dir) == NULL)
        return -1;
    snprintf(path, sizeof(path), "%s/private", queue_dir);
    if (mkdir(path, 0700) < 0)
        return -1;
    snprintf(path, sizeof(path), "%s/public", queue_dir);
    return mkdir(path, 0710);
}

static int
teardown(void **state)
{
    char cmd[4300];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", queue_dir);
    return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connect_and_exchange),
        cmocka_unit_test(test_connect_relative_to_cwd),
        cmocka_unit_test(test_connect_errors),
        cmocka_unit_test(test_connect_timeout_full_backlog),
        cmocka_unit_test(test_trigger_unix),
        cmocka_unit_test(test_trigger_fifo),
    };

    msg_init("test_mail_connect", MSG_STDERR);
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, setup, teardown);
}
