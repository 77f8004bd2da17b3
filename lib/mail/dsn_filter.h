/*
 * dsn_filter - the delivery status filter of postconf(5)
 * default_delivery_status_filter and its per-agent versions: a list of
 * "type:table" names that may replace the enhanced status code and the
 * text of one recipient's delivery result.
 *
 *   dsn_filter_create(title, map_names)
 *       opens MAP_NAMES as a maps list named TITLE (the parameter name,
 *       used in warnings). NULL when MAP_NAMES holds no table.
 *   dsn_filter_lookup(fp, status, reason, new_status, new_reason, quiet)
 *       asks the tables with the key "STATUS REASON" (one space between).
 *       Returns 1 and fills NEW_STATUS and NEW_REASON when the first
 *       table that has the key gives a usable result, else 0 (the caller
 *       keeps its own values). A usable result is "X.Y.Z text": a valid
 *       status code of the same kind as STATUS (success 2.Y.Z for
 *       success, 4.Y.Z or 5.Y.Z for a failure), then end of string or
 *       spaces and the new text. A code without text keeps REASON as the
 *       text. Any other result is logged as "TITLE: bad status code:
 *       RESULT" (unless QUIET) and ignored. A table lookup error is logged
 *       by the maps layer and ignored too. STATUS itself must be a valid
 *       code (dsn_status_valid); otherwise nothing is looked up.
 *   dsn_filter_free(fp)
 *
 *   dsn_status_valid(text)
 *       the length of the status code "D.Y.Z" at the start of TEXT (D is
 *       2, 4 or 5; Y and Z have 1 to 3 digits; a space or the end of the
 *       string follows), or 0 when there is none.
 */
#ifndef TERN_DSN_FILTER_H
#define TERN_DSN_FILTER_H

#include <stddef.h>

#include "mail/maps.h"
#include "util/vstring.h"

struct dsn_filter {
    struct maps *maps;
    struct vstring *key;
};

struct dsn_filter *dsn_filter_create(const char *title, const char *map_names);
int dsn_filter_lookup(struct dsn_filter *fp, const char *status, const char *reason,
                      struct vstring *new_status, struct vstring *new_reason, int quiet);
void dsn_filter_free(struct dsn_filter *fp);
size_t dsn_status_valid(const char *text);

#endif
