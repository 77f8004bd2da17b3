/*
 * fuzz_qfile - libFuzzer target for the queue file reader and validator
 * (lib/mail/qfile*.c).
 *
 * Input: the bytes of a queue file, put in a memory file (memfd). Two
 * passes:
 *   1. qfile_fdopen with validation, for update. When the file is
 *      accepted, every record must read back without error up to the end
 *      record, content must be reachable with qfile_seek_content, and after
 *      every recipient is marked done in place the file must still
 *      validate (the done-marker is outside the checksum). Any failure of
 *      these promises aborts.
 *   2. qfile_fdopen without validation: records are read until the first
 *      error, recipients found on the way are marked done, and the result
 *      is validated once more, all without crashing.
 *
 * Must not crash, leak or hang on any input. Seeds: tests/data/queue's
 * small files (tests/fuzz/corpus/fuzz_qfile).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mail/qfile.h"
#include "util/msg.h"
#include "util/vstring.h"

#define FUZZ_RCPT_MAX 64

/* Reads every record; returns the last qfile_read result (0 after the end). */
static int
fuzz_read_all(struct qfile *qf, uint64_t *rcpt, int *nrcpt, struct vstring *why)
{
    struct qfile_rec rec;
    int type;

    while ((type = qfile_read(qf, &rec, why)) > 0) {
        if (type == REC_TYPE_RCPT && *nrcpt < FUZZ_RCPT_MAX)
            rcpt[(*nrcpt)++] = rec.offset;
    }
    return type;
}

static void
fuzz_validated(int fd, struct vstring *why)
{
    uint64_t rcpt[FUZZ_RCPT_MAX];
    struct qfile_rec rec;
    struct qfile *qf;
    int nrcpt = 0;
    int type;

    if (qfile_fdopen(fd, "fuzz", QFILE_OPEN_UPDATE, &qf, why) != QFILE_OK)
        return;
    if (fuzz_read_all(qf, rcpt, &nrcpt, why) != 0)
        msg_panic("valid file fails to read: %s", vstring_str(why));
    if (qfile_seek_content(qf, why) < 0)
        msg_panic("valid file: seek content: %s", vstring_str(why));
    while ((type = qfile_read(qf, &rec, why)) == REC_TYPE_NORM || type == REC_TYPE_CONT)
        continue;
    if (type != REC_TYPE_XTRA)
        msg_panic("valid file: content not followed by extracted section: %d", type);
    for (int i = 0; i < nrcpt; i++)
        if (qfile_rcpt_done(qf, rcpt[i], why) < 0)
            msg_panic("valid file: mark done: %s", vstring_str(why));
    if (qfile_validate(qf, why) != QFILE_OK)
        msg_panic("valid file invalid after done-marking: %s", vstring_str(why));
    qfile_close(qf);
}

static void
fuzz_unvalidated(int fd, struct vstring *why)
{
    uint64_t rcpt[FUZZ_RCPT_MAX];
    struct qfile *qf;
    int nrcpt = 0;

    if (qfile_fdopen(fd, "fuzz", QFILE_OPEN_UPDATE | QFILE_OPEN_NOVALIDATE, &qf, why) != QFILE_OK)
        return;
    (void)fuzz_read_all(qf, rcpt, &nrcpt, why);
    for (int i = 0; i < nrcpt; i++)
        (void)qfile_rcpt_done(qf, rcpt[i], why);
    (void)qfile_validate(qf, why);
    qfile_close(qf);
}

/* A memory file holding the input, positioned at its start. */
static int
fuzz_file(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz_qfile", MFD_CLOEXEC);

    if (fd < 0)
        msg_fatal("memfd_create: %m");
    if (size > 0 && write(fd, data, size) != (ssize_t)size)
        msg_fatal("write memfd: %m");
    if (lseek(fd, 0, SEEK_SET) < 0)
        msg_fatal("lseek memfd: %m");
    return fd;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vstring *why = vstring_alloc(100);

    fuzz_validated(fuzz_file(data, size), why);
    fuzz_unvalidated(fuzz_file(data, size), why);
    vstring_free(why);
    return 0;
}
