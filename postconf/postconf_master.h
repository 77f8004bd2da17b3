/*
 * postconf_master - postconf's master.cf operations.
 *
 * postconf's main (postconf.c) parses the command line and calls these for
 * the master.cf modes; everything about master.cf lives behind them.
 *
 *   mode   'M' services (-M), 'F' fields (-F), 'P' per-service parameters (-P)
 *   flags  PCM_FOLD (-f), PCM_HIDE_NAME (-h), PCM_SHOW_DEFS (-d)
 *   args   the remaining command-line arguments (NULL-terminated; may be empty)
 *
 * postconf_master_show prints matching entries (-M, -Mf, -F, -P with optional
 * name/type[/field|/param] patterns). postconf_master_edit changes master.cf
 * in place, keeping comments and layout: action 'e' (-Me, -Fe, -Pe: set),
 * 'X' (-MX, -PX: remove), '#' (-M#: comment out). Both return the exit
 * status for postconf (0 success; errors are reported with msg_* and give
 * 1, as Postfix's postconf does).
 */
#ifndef TERN_POSTCONF_MASTER_H
#define TERN_POSTCONF_MASTER_H

#define PCM_FOLD      (1 << 0)
#define PCM_HIDE_NAME (1 << 1)
#define PCM_SHOW_DEFS (1 << 2)

int postconf_master_show(const char *config_dir, int mode, int flags, char **args);
int postconf_master_edit(const char *config_dir, int mode, int action, char **args);

#endif
