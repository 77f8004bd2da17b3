/*
 * pickup.h - what the files of the pickup daemon share.
 *
 *   pickup.c        main, the scan of maildrop on each wake-up
 *   pickup_file.c   one maildrop file: open, validate, feed to cleanup,
 *                   remove (pickup_file)
 *
 * pickup_file(id) returns PICKUP_DONE when the file was handled (sent and
 * removed, refused and removed, quarantined, or gone), PICKUP_RETRY when a
 * temporary failure (cleanup unreachable, a write error, a deferral)
 * leaves it for the next scan.
 */
#ifndef TERN_PICKUP_H
#define TERN_PICKUP_H

#include <sys/types.h>

#define PICKUP_DONE 0
#define PICKUP_RETRY 1

struct pickup_config {
    uid_t mail_owner_uid;
    char *cleanup_service_name;
    int ipc_timeout;
};

extern struct pickup_config pickup_cf;

int pickup_file(const char *id);

#endif
