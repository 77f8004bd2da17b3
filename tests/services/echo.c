/*
 * tern-test-echo - a test daemon for the daemon skeleton and the master.
 * Never installed.
 *
 *   tern-test-echo [skeleton options] [single|multi|trigger] [FILE] [fail-init]
 *
 * The first non-option argument picks the style (single by default). With
 * "fail-init" anywhere among the arguments, pre_init fails with
 * "test: startup failure requested".
 *
 * single, multi: a client first gets
 *     hello pid=PID uid=UID gid=GID service=NAME type=TYPE
 * and then one answer line per command line:
 *     echo TEXT   -> TEXT
 *     sleep N     -> "slept" after N seconds (a signal does not cut the
 *                    sleep short; the watchdog is not patted meanwhile)
 *     exit N      -> the process ends at once with _exit(N)
 *     param NAME  -> the expanded main.cf value (after -o), or "(unknown)"
 *     quit        -> "bye", then the connection ends
 *     other       -> "error"
 * In multi style each call of the service function answers one command,
 * and since the skeleton calls it only when a client has sent something,
 * the greeting comes just before the first answer.
 *
 * trigger: FILE (absolute) is opened for appending in pre_init, before the
 * jail and the user change; each trigger appends
 *     trigger pid=PID len=N: BYTES
 * with bytes outside printable ASCII shown as '?'.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "master/mail_server.h"
#include "util/iostuff.h"
#include "util/msg.h"
#include "util/vstream.h"
#include "util/vstring.h"

#define ECHO_LINE_MAX 4096
#define ECHO_TIMEOUT 3600

static int echo_trigger_fd = -1;

/* Sleeps the whole time, whatever signals (the watchdog's) interrupt it. */
static void
echo_sleep(long seconds)
{
    struct timespec left = {.tv_sec = seconds, .tv_nsec = 0};

    while (nanosleep(&left, &left) < 0 && errno == EINTR)
        continue;
}

static void
echo_hello(struct vstream *client)
{
    vstream_printf(client, "hello pid=%ld uid=%ld gid=%ld service=%s type=%s\n", (long)getpid(),
                   (long)getuid(), (long)getgid(), mail_server_service(), mail_server_type());
}

/* Answers one command; returns 0 when the connection should end. */
static int
echo_command(struct vstream *client, char *line)
{
    const char *value;

    if (strncmp(line, "echo ", 5) == 0) {
        vstream_printf(client, "%s\n", line + 5);
    } else if (strncmp(line, "sleep ", 6) == 0) {
        echo_sleep(atol(line + 6));
        vstream_puts(client, "slept\n");
    } else if (strncmp(line, "exit ", 5) == 0) {
        _exit(atoi(line + 5));
    } else if (strncmp(line, "param ", 6) == 0) {
        value = mail_conf_get(line + 6);
        vstream_printf(client, "%s\n", value ? value : "(unknown)");
    } else if (strcmp(line, "quit") == 0) {
        vstream_puts(client, "bye\n");
        return 0;
    } else {
        vstream_puts(client, "error\n");
    }
    return 1;
}

/* Reads one command line; returns NULL at end of input. */
static char *
echo_read(struct vstream *client, struct vstring *buf)
{
    if (vstream_get_line(client, buf, ECHO_LINE_MAX) == VSTREAM_EOF)
        return NULL;
    while (vstring_len(buf) > 0 && (vstring_str(buf)[vstring_len(buf) - 1] == '\n' ||
                                    vstring_str(buf)[vstring_len(buf) - 1] == '\r'))
        vstring_truncate(buf, vstring_len(buf) - 1);
    return vstring_str(buf);
}

static void
echo_serve_single(struct vstream *client, const char *service, char **args)
{
    struct vstring *buf = vstring_alloc(100);
    char *line;
    int more = 1;

    (void)service;
    (void)args;
    vstream_set_timeout(client, ECHO_TIMEOUT);
    echo_hello(client);
    while (more && vstream_flush(client) == 0 && (line = echo_read(client, buf)) != NULL)
        more = echo_command(client, line);
    vstream_flush(client);
    vstring_free(buf);
}

static void
echo_serve_multi(struct vstream *client, const char *service, char **args)
{
    struct vstring *buf = vstring_alloc(100);
    char *line;

    (void)service;
    (void)args;
    vstream_set_timeout(client, ECHO_TIMEOUT);
    if (client->rbuf == NULL) /* nothing read yet: a new connection */
        echo_hello(client);
    if ((line = echo_read(client, buf)) != NULL && echo_command(client, line) == 0) {
        vstream_flush(client);
        multi_server_disconnect(client);
    } else {
        vstream_flush(client);
    }
    vstring_free(buf);
}

static void
echo_trigger(char *data, ssize_t len, const char *service, char **args)
{
    struct vstring *line = vstring_alloc(100);

    (void)service;
    (void)args;
    vstring_sprintf(line, "trigger pid=%ld len=%ld: ", (long)getpid(), (long)len);
    for (ssize_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)data[i];

        vstring_addch(line, ch >= 0x20 && ch < 0x7f ? ch : '?');
    }
    vstring_addch(line, '\n');
    if (write_all(echo_trigger_fd, vstring_str(line), vstring_len(line), 10) < 0)
        msg_fatal("test: write trigger log: %m");
    vstring_free(line);
}

static void
echo_pre_init(const char *service, char **args)
{
    (void)service;
    for (char **cpp = args; *cpp; cpp++)
        if (strcmp(*cpp, "fail-init") == 0)
            msg_fatal("test: startup failure requested");
    if (args[0] == NULL || strcmp(args[0], "trigger") != 0)
        return;
    if (args[1] == NULL || args[1][0] != '/')
        msg_fatal("test: trigger style needs an absolute file name");
    if ((echo_trigger_fd = open(args[1], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) < 0)
        msg_fatal("test: open %s: %m", args[1]);
}

/* The first non-option argument, skipping the skeleton's options. */
static const char *
echo_style(int argc, char **argv)
{
    int i = 1;

    while (i < argc && argv[i][0] == '-' && argv[i][1] != 0) {
        if (strcmp(argv[i], "--") == 0)
            return i + 1 < argc ? argv[i + 1] : "single";
        if (argv[i][2] == 0 && strchr("ntso", argv[i][1]) != NULL)
            i += 2;
        else
            i += 1;
    }
    return i < argc ? argv[i] : "single";
}

int
main(int argc, char **argv)
{
    const char *style = echo_style(argc, argv);
    struct mail_server server = {
        .serve = echo_serve_single,
        .trigger = echo_trigger,
        .pre_init = echo_pre_init,
    };

    if (strcmp(style, "multi") == 0) {
        server.serve = echo_serve_multi;
        multi_server_main(argc, argv, &server);
    }
    if (strcmp(style, "trigger") == 0)
        trigger_server_main(argc, argv, &server);
    single_server_main(argc, argv, &server);
}
