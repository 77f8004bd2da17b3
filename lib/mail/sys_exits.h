/*
 * sys_exits - what a <sysexits.h> exit status means for mail delivery:
 * the enhanced status code and text Postfix reports when a command
 * (local(8) |command and mailbox_command, pipe(8)) ends with it.
 *
 *   detail = sys_exits_detail(status)   NULL when STATUS is not one of
 *                                       EX_USAGE (64) .. EX_CONFIG (78)
 *   detail->dsn   "4.3.0" for EX_TEMPFAIL and EX_OSERR (try again later),
 *                 a 5.X.X code for the others
 *   detail->text  "temporary failure", "user unknown", ...
 *   sys_exits_softerror(status)  1 for the statuses that mean "later"
 */
#ifndef TERN_SYS_EXITS_H
#define TERN_SYS_EXITS_H

struct sys_exits_detail {
    int status;
    const char *dsn;
    const char *text;
};

const struct sys_exits_detail *sys_exits_detail(int status);
int sys_exits_softerror(int status);

#endif
