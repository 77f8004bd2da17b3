/*
 * fuzz_header_line - libFuzzer target for the bounded header reader and
 * the header line helpers (lib/mail/header_line.c).
 *
 * Input: two control bytes, then the message text. The first control
 * byte is line_length_limit (1 + its value), the second header_size_limit
 * (its value; 0 means no limit). The text is read through a memfd.
 *
 * Checks (abort on failure): each field is at most header_size_limit
 * bytes; each newline in a field is followed by a space, a TAB or the
 * end; a field that was not truncated starts with a header name; the reader ends with END or EOF
 * within (input size + 2) calls and then keeps returning EOF; unfolding
 * leaves no newline followed by white space.
 * Must not crash, leak or hang on any input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mail/header_line.h"
#include "util/vstream.h"
#include "util/vstring.h"

#define FUZZ_INPUT_MAX 8192

static void
fuzz_check_field(const struct vstring *field, size_t size_limit, int truncated, struct vstring *tmp)
{
    const char *cp = vstring_str(field);
    size_t len = vstring_len(field);
    size_t n;

    if (size_limit > 0 && len > size_limit)
        abort();
    for (n = 0; n < len; n++)
        if (cp[n] == '\n' && n + 1 < len && cp[n + 1] != ' ' && cp[n + 1] != '\t')
            abort();
    if (!truncated && header_line_name_len(cp, len) == 0)
        abort();
    header_line_unfold(tmp, cp, len);
    for (n = 0; n + 1 < vstring_len(tmp); n++)
        if (vstring_str(tmp)[n] == '\n' &&
            (vstring_str(tmp)[n + 1] == ' ' || vstring_str(tmp)[n + 1] == '\t'))
            abort();
    (void)header_line_value(cp);
    header_line_name(tmp, cp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vstring *field;
    struct vstring *tmp;
    struct vstream *stream;
    struct header_reader *hr;
    size_t line_limit;
    size_t size_limit;
    size_t calls;
    int status;
    int fd;

    if (size < 2 || size > FUZZ_INPUT_MAX)
        return 0;
    line_limit = 1 + (size_t)data[0];
    size_limit = data[1];
    if ((fd = memfd_create("fuzz_header_line", 0)) < 0)
        return 0;
    if (write(fd, data + 2, size - 2) != (ssize_t)(size - 2) || lseek(fd, 0, SEEK_SET) != 0) {
        close(fd);
        return 0;
    }
    stream = vstream_fdopen(fd, "fuzz");
    hr = header_reader_create(stream, line_limit, size_limit);
    field = vstring_alloc(16);
    tmp = vstring_alloc(16);
    for (calls = 0; (status = header_reader_next(hr, field)) == HEADER_READER_FIELD; calls++) {
        if (calls > size)
            abort();
        fuzz_check_field(field, size_limit, header_reader_flags(hr) & HEADER_READER_TRUNCATED, tmp);
    }
    if (status != HEADER_READER_END && status != HEADER_READER_EOF)
        abort();
    if (header_reader_next(hr, field) != HEADER_READER_EOF)
        abort();
    header_reader_free(hr);
    vstream_close(stream);
    vstring_free(field);
    vstring_free(tmp);
    return 0;
}
