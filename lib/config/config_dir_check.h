/*
 * config_dir_check - may the caller of a set-gid program (postdrop,
 * postqueue) name this configuration directory (-c, MAIL_CONFIG)?
 *
 *   config_dir_check(dir, status)
 *       returns when DIR is NULL, the default configuration directory, or
 *       the real user is root, or when the default main.cf lists DIR in
 *       alternate_config_directories or multi_instance_directories.
 *       Otherwise it logs "error: unauthorized configuration directory
 *       name: DIR" and ends the program with "fatal: specify
 *       "alternate_config_directories = DIR" or "multi_instance_directories
 *       = DIR" in DEFAULT/main.cf" (Postfix's wording), exit STATUS.
 *
 * It reads the default main.cf (mail_conf_load), so call it before
 * reading the chosen one.
 */
#ifndef TERN_CONFIG_DIR_CHECK_H
#define TERN_CONFIG_DIR_CHECK_H

void config_dir_check(const char *dir, int status);

#endif
