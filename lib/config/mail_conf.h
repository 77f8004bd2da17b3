/*
 * mail_conf - the main.cf configuration: reading, overriding, expanding,
 * and typed access to parameter values.
 *
 * mail_conf_read() loads DIR/main.cf, where DIR is the argument, else
 * $MAIL_CONFIG, else the compiled-in config_directory. Values are stored
 * raw and expanded lazily on access ($name, ${name}, $(name),
 * ${name?value}, ${name:value}, ${name?{value}:{value}}, and the
 * ${{expr} == {expr} ? {...} : {...}} forms). Parameters not set in
 * main.cf take their default from the parameter table (mail_params.h).
 *
 * Typed getters check syntax and range and are fatal on a bad value, with
 * Postfix's wording, e.g. "fatal: bad numerical configuration: NAME = VALUE"
 * or "fatal: invalid NAME parameter value: VALUE"; they also panic on a name
 * that is not in the parameter table (a programming error).
 *
 * mail_conf_read() also applies syslog_name and syslog_facility to msg.
 */
#ifndef TERN_MAIL_CONF_H
#define TERN_MAIL_CONF_H

void mail_conf_read(const char *config_dir);
void mail_conf_set(const char *name, const char *value);
const char *mail_conf_raw(const char *name);      /* unexpanded; NULL if unknown */
const char *mail_conf_get(const char *name);      /* expanded; NULL if unknown */
char *mail_conf_expand(const char *text);         /* expanded copy; caller frees */
int mail_conf_get_bool(const char *name);
long mail_conf_get_int(const char *name);
long mail_conf_get_time(const char *name);        /* seconds */
long mail_conf_get_size(const char *name);        /* bytes */
const char *mail_conf_path(void);                 /* ".../main.cf" read, or NULL */

#endif
