/*
 * spawn_command - run an external command with a chosen environment,
 * identity, standard descriptors and time limit, and report how it ended.
 * For local(8) "|command" deliveries, mailbox_command, and the like.
 *
 *   struct spawn_request req;
 *   struct spawn_result res;
 *
 *   spawn_request_init(&req);          (every field at its "leave it" value)
 *   req.command = "procmail -a $EXTENSION";   or req.argv = argv
 *   req.env = envp; req.uid = uid; req.gid = gid;
 *   req.stdin_fd = fd; req.time_limit = 1000;
 *   if (spawn_command(&req, &res, why) < 0) ... could not run: why ...
 *   else if (res.timed_out) ... else if (res.signal) ... else res.exit_status
 *
 * The command is either argv (argv[0] is looked up in the child's PATH) or
 * a command line. A command line with shell metacharacters (quotes, $, `,
 * \, |, &, ;, <, >, parentheses, brackets, braces, *, ?, ~, !, #, =, or a
 * newline) runs as "SHELL -c command" (SHELL defaults to /bin/sh); one
 * without is split at blanks and run directly, saving a shell.
 *
 * The child runs in a new session and process group, with every signal
 * at its default action and none blocked, descriptors 0, 1 and 2 from
 * stdin_fd, stdout_fd and stderr_fd (-1: /dev/null), and no other
 * descriptor of the parent. With uid/gid set it drops to them for good
 * (set_ugid) before changing to cwd, so the directory is entered with the
 * user's rights. env, when not NULL, is the complete environment
 * ("NAME=value" strings; also used for the PATH search); NULL inherits ours.
 *
 * When time_limit (seconds) passes, the whole process group is killed with
 * SIGKILL and the result says timed_out. spawn_command returns 0 when the
 * command ran (however it ended) and -1 with why and errno set when it could
 * not be started (fork failed, bad directory or ids, program not found:
 * "execvp NAME: No such file or directory"); then there is no result.
 *
 * spawn_command_start and spawn_command_wait split the call in two, for a
 * caller that must feed the command's input or read its output meanwhile
 * (spawn_command_time_left gives the milliseconds left for those waits).
 * The caller must not reap children with waitpid(-1) while a command runs.
 */
#ifndef TERN_SPAWN_COMMAND_H
#define TERN_SPAWN_COMMAND_H

#include <sys/types.h>

#include "util/vstring.h"

struct spawn_request {
    char *const *argv;   /* program and arguments, or NULL */
    const char *command; /* command line, used when argv is NULL */
    const char *shell;   /* shell for command lines; NULL: /bin/sh */
    char *const *env;    /* complete environment; NULL: inherit */
    const char *cwd;     /* working directory; NULL: unchanged */
    uid_t uid;           /* (uid_t) -1: unchanged */
    gid_t gid;           /* used when uid is set */
    int stdin_fd;        /* -1: /dev/null */
    int stdout_fd;       /* -1: /dev/null */
    int stderr_fd;       /* -1: /dev/null */
    int time_limit;      /* seconds; 0: none */
};

struct spawn_result {
    int wait_status; /* as from waitpid(2) */
    int exit_status; /* exit code, or -1 when a signal ended the command */
    int signal;      /* the signal that ended it, or 0 */
    int timed_out;   /* killed because time_limit passed */
};

struct spawn_proc {
    pid_t pid;          /* the command (and its process group) */
    int pidfd;          /* pidfd_open descriptor, or -1 */
    long long deadline; /* monotonic ms, or -1 without time limit */
};

void spawn_request_init(struct spawn_request *req);
int spawn_command(const struct spawn_request *req, struct spawn_result *res, struct vstring *why);
int spawn_command_start(const struct spawn_request *req, struct spawn_proc *proc,
                        struct vstring *why);
int spawn_command_wait(struct spawn_proc *proc, struct spawn_result *res);
int spawn_command_time_left(const struct spawn_proc *proc);

#endif
