/*
 * postcat - what postcat.c (the command: options, finding and opening
 * the files, deciding whether each is valid) and postcat_print.c (turning
 * records into Postfix's postcat lines) share.
 *
 *   postcat_print(qf, name, opts, why)
 *       prints the records of an open queue file, from the record after
 *       the header on (where qfile_open and qfile_fdopen leave the
 *       reader), in the sections opts->flags asks for. Returns 0 after
 *       the end record, -1 with the reason in why when a record cannot be
 *       read (a damaged file) or when -s named an offset where no record
 *       starts. Output goes to standard output; nothing is logged.
 */
#ifndef TERN_POSTCAT_H
#define TERN_POSTCAT_H

#include <stdint.h>

#include "mail/qfile.h"
#include "util/vstring.h"

#define POSTCAT_ENVELOPE (1 << 0) /* -e: envelope and extracted records, markers */
#define POSTCAT_HEADER (1 << 1)   /* -h: the primary message header */
#define POSTCAT_BODY (1 << 2)     /* -b: the rest of the message */
#define POSTCAT_OFFSET (1 << 3)   /* -o: each record's offset */
#define POSTCAT_DECIMAL (1 << 4)  /* -d: each record's type, in decimal */

struct postcat_opts {
    int flags;     /* POSTCAT_* */
    uint64_t skip; /* -s: the offset of the first record to show; 0: all */
};

int postcat_print(struct qfile *qf, const char *name, const struct postcat_opts *opts,
                  struct vstring *why);

#endif
