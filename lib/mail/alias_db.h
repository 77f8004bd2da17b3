/*
 * alias_db - build alias databases from aliases(5) files: the work of
 * "postalias FILE" and of newaliases ("sendmail -bi", "postalias" with no
 * file argument).
 *
 *   alias_db_build(type, path, open_flags, dict_flags, build_flags)
 *       builds TYPE:PATH from the source file PATH (or, without O_TRUNC
 *       in open_flags, adds entries read from standard input to the
 *       existing table). Keys are alias names in internal form, folded to
 *       lower case unless dict_flags lacks DICT_FLAG_FOLD_FIX; values are
 *       the right-hand sides in external (quoted) form. After the entries
 *       come the signatures Postfix and Sendmail write: "@" -> "@" (the
 *       table is complete), then, stored without a terminating NUL and not
 *       case-folded, YP_LAST_MODIFIED (the time, ten digits) and
 *       YP_MASTER_NAME ($myhostname). With DICT_FLAG_UTF8_REQUEST, entries
 *       that are not valid UTF-8 are skipped with a warning.
 *   alias_db_rebuild(dict_flags, build_flags)
 *       builds every entry of alias_database ("type:name", or "name" of
 *       default_database_type), in order. Returns the number of tables
 *       built (0 when alias_database is empty).
 *   alias_db_dict_flags()
 *       the dict flags a plain "newaliases" uses: duplicate warnings, key
 *       folding, and UTF-8 checks when smtputf8_enable is on.
 *   ALIAS_DB_BUILD_FLAGS
 *       the matching map_build flags (write as the source owner, inherit
 *       read permissions).
 *
 * Errors are fatal with Postfix's messages (see map_build.h); bad lines
 * are warnings with file and line ("need name:value pair", "name must be
 * local") and are skipped. The caller must have read main.cf.
 */
#ifndef TERN_ALIAS_DB_H
#define TERN_ALIAS_DB_H

#include "mail/map_build.h"

#define ALIAS_DB_BUILD_FLAGS (MAP_BUILD_AS_OWNER | MAP_BUILD_SAVE_PERM)

void alias_db_build(const char *type, const char *path, int open_flags, int dict_flags,
                    int build_flags);
int alias_db_rebuild(int dict_flags, int build_flags);
int alias_db_dict_flags(void);

#endif
