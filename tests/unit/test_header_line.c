/*
 * test_header_line - unit tests for lib/mail/header_line.c.
 *
 * Header recognition (names with obsolete spaces before ':', leading
 * white space, controls, 8-bit bytes, "From " lines), name and value,
 * unfolding (CRLF, LF, CR, NUL bytes kept), folding of an address list
 * the way cleanup folds it, and the bounded reader: a normal message
 * with CRLF line ends, a header section without an empty line, a header
 * larger than header_size_limit (the excess is read and dropped; the
 * next header is intact), a 1 MB header line, physical lines longer than
 * line_length_limit (joined for a header, reported incomplete for the
 * first body line), end of input inside a header, empty input, a leading
 * continuation line, and a read timeout.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mail/header_line.h"
#include "mail/tok822.h"
#include "util/mymalloc.h"
#include "util/vstream.h"
#include "util/vstring.h"

static void
test_name_len(void **state)
{
    static const struct {
        const char *text;
        size_t len;
    } cases[] = {
        {"Subject: x", 7},   {"Subject : x", 7},
        {"Subject\t:x", 7},  {"X-Y_z.1:", 7},
        {"A:", 1},           {"Subject", 0},
        {": x", 0},          {" Subject: x", 0},
        {"\tSubject: x", 0}, {"Sub ject: x", 0},
        {"Subj\001: x", 0},  {"X-\303\266: y", 0},
        {"From a@b Mon", 0}, {"", 0},
        {"Subject\n: x", 0},
    };
    size_t n;

    (void)state;
    for (n = 0; n < sizeof(cases) / sizeof(*cases); n++)
        if (header_line_name_len(cases[n].text, strlen(cases[n].text)) != cases[n].len)
            fail_msg("[%s]: want %zu", cases[n].text, cases[n].len);
    assert_int_equal(header_line_name_len("Subject: x", 7), 0);
    assert_int_equal(header_line_name_len("Subject: x", 8), 7);
    assert_true(header_line_is_continuation(" x"));
    assert_true(header_line_is_continuation("\tx"));
    assert_false(header_line_is_continuation("x"));
    assert_false(header_line_is_continuation(""));
}

static void
test_name_value(void **state)
{
    struct vstring *buf = vstring_alloc(16);

    (void)state;
    assert_string_equal(vstring_str(header_line_name(buf, "Subject :  hello ")), "Subject");
    assert_string_equal(vstring_str(header_line_name(buf, "not a header")), "");
    assert_string_equal(header_line_value("Subject:   hello "), "hello ");
    assert_string_equal(header_line_value("To:\n\tjoe@x"), "joe@x");
    assert_string_equal(header_line_value("X: a: b"), "a: b");
    assert_string_equal(header_line_value("Subject:"), "");
    assert_null(header_line_value("not a header"));
    vstring_free(buf);
}

static void
test_unfold(void **state)
{
    struct vstring *buf = vstring_alloc(16);
    static const char with_nul[] = "X: a\0b\n c";

    (void)state;
    header_line_unfold(buf, "Subject: a\r\n b\n\tc\r d", 20);
    assert_string_equal(vstring_str(buf), "Subject: a b\tc d");
    header_line_unfold(buf, "X: a\r\nb\nc\n", 10);
    assert_string_equal(vstring_str(buf), "X: a\r\nb\nc\n");
    header_line_unfold(buf, "X: a\n\n b", 8);
    assert_string_equal(vstring_str(buf), "X: a\n b");
    header_line_unfold(buf, with_nul, sizeof(with_nul) - 1);
    assert_int_equal(vstring_len(buf), 8);
    assert_memory_equal(vstring_str(buf), "X: a\0b c", 8);
    vstring_free(buf);
}

static void
test_fold(void **state)
{
    struct vstring *buf = vstring_alloc(16);
    struct vstring *out = vstring_alloc(16);
    struct tok822 *tree = tok822_parse("aaaaaaaaaa@example.com, bbbbbbbbbb@example.com, "
                                       "cccccccccc@example.com, dddddddddd@example.com",
                                       0, NULL);

    (void)state;
    vstring_strcpy(buf, "To: ");
    tok822_externalize(buf, tree, TOK822_STR_HEAD);
    header_line_fold(out, vstring_str(buf), HEADER_LINE_FOLD_WIDTH);
    assert_string_equal(vstring_str(out), "To: aaaaaaaaaa@example.com, bbbbbbbbbb@example.com,\n"
                                          "\tcccccccccc@example.com, dddddddddd@example.com");
    tok822_free_tree(tree);
    header_line_fold(out, "To: a,\nb", HEADER_LINE_FOLD_WIDTH);
    assert_string_equal(vstring_str(out), "To: a, b");
    header_line_fold(out, "a\n b\nc", 1);
    assert_string_equal(vstring_str(out), "a\n b\n\tc");
    header_line_fold(out, "", HEADER_LINE_FOLD_WIDTH);
    assert_string_equal(vstring_str(out), "");
    vstring_free(buf);
    vstring_free(out);
}

/* A stream that reads LEN bytes of TEXT and then sees the end of input. */
static struct vstream *
text_stream(const char *text, size_t len)
{
    int fd = memfd_create("test_header_line", 0);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    return vstream_fdopen(fd, "test");
}

/* The rest of the stream, for checking what the reader left unread. */
static const char *
stream_rest(struct vstream *stream, struct vstring *buf)
{
    struct vstring *line = vstring_alloc(64);

    vstring_reset(buf);
    while (vstream_get_line(stream, line, 0) != VSTREAM_EOF)
        vstring_strcat(buf, vstring_str(line));
    vstring_free(line);
    return vstring_str(buf);
}

struct read_step {
    int status;
    int flags;
    const char *field;
};

struct read_case {
    const char *text;
    size_t line_limit;
    size_t size_limit;
    struct read_step steps[6]; /* until EOF */
    const char *rest;
};

static const struct read_case read_cases[] = {
    {"From: a@b\r\nTo: c@d,\r\n e@f\r\nSubject: hi\r\n\r\nbody\r\n",
     0,
     0,
     {{HEADER_READER_FIELD, 0, "From: a@b"},
      {HEADER_READER_FIELD, 0, "To: c@d,\n e@f"},
      {HEADER_READER_FIELD, 0, "Subject: hi"},
      {HEADER_READER_END, HEADER_READER_BLANK, ""},
      {HEADER_READER_EOF, 0, ""}},
     "body\r\n"},
    {"Subject: x\nnot a header\nmore",
     0,
     0,
     {{HEADER_READER_FIELD, 0, "Subject: x"},
      {HEADER_READER_END, HEADER_READER_BODY, "not a header"},
      {HEADER_READER_EOF, 0, ""}},
     "more"},
    {"To: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n\tbbb\nX: y\n\n",
     0,
     20,
     {{HEADER_READER_FIELD, HEADER_READER_TRUNCATED, "To: aaaaaaaaaaaaaaaa"},
      {HEADER_READER_FIELD, 0, "X: y"},
      {HEADER_READER_END, HEADER_READER_BLANK, ""},
      {HEADER_READER_EOF, 0, ""}},
     ""},
    {"Subject: 0123456789abcdef0123456789\r\n\tcont\nX: 1\n\n",
     8,
     0,
     {{HEADER_READER_FIELD, 0, "Subject: 0123456789abcdef0123456789\n\tcont"},
      {HEADER_READER_FIELD, 0, "X: 1"},
      {HEADER_READER_END, HEADER_READER_BLANK, ""},
      {HEADER_READER_EOF, 0, ""}},
     ""},
    {"X: 1\n0123456789abcdef\nnext\n",
     8,
     0,
     {{HEADER_READER_FIELD, 0, "X: 1"},
      {HEADER_READER_END, HEADER_READER_BODY | HEADER_READER_INCOMPLETE, "01234567"},
      {HEADER_READER_EOF, 0, ""}},
     "89abcdef\nnext\n"},
    {"X: a\n b", 0, 0, {{HEADER_READER_FIELD, 0, "X: a\n b"}, {HEADER_READER_EOF, 0, ""}}, ""},
    {"", 0, 0, {{HEADER_READER_EOF, 0, ""}, {HEADER_READER_EOF, 0, ""}}, ""},
    {" leading\nX: y\n",
     0,
     0,
     {{HEADER_READER_END, HEADER_READER_BODY, " leading"}, {HEADER_READER_EOF, 0, ""}},
     "X: y\n"},
    {"Subject : a\rb\n \n\n",
     0,
     0,
     {{HEADER_READER_FIELD, 0, "Subject : a\rb\n "},
      {HEADER_READER_END, HEADER_READER_BLANK, ""},
      {HEADER_READER_EOF, 0, ""}},
     ""},
    {"X: 12345\r\n\r\n",
     9,
     0,
     {{HEADER_READER_FIELD, 0, "X: 12345"},
      {HEADER_READER_END, HEADER_READER_BLANK, ""},
      {HEADER_READER_EOF, 0, ""}},
     ""},
};

static void
test_reader_table(void **state)
{
    struct vstring *field = vstring_alloc(16);
    struct vstring *rest = vstring_alloc(16);
    const struct read_case *rc;
    const struct read_step *step;
    struct vstream *stream;
    struct header_reader *hr;
    int status;

    (void)state;
    for (rc = read_cases; rc < read_cases + sizeof(read_cases) / sizeof(*rc); rc++) {
        stream = text_stream(rc->text, strlen(rc->text));
        hr = header_reader_create(stream, rc->line_limit, rc->size_limit);
        for (step = rc->steps; /* void */; step++) {
            status = header_reader_next(hr, field);
            if (status != step->status || header_reader_flags(hr) != step->flags ||
                strcmp(vstring_str(field), step->field) != 0)
                fail_msg("[%s] step %d: got %d %#x [%s], want %d %#x [%s]", rc->text,
                         (int)(step - rc->steps), status, header_reader_flags(hr),
                         vstring_str(field), step->status, step->flags, step->field);
            if (status == HEADER_READER_EOF)
                break;
        }
        assert_string_equal(stream_rest(stream, rest), rc->rest);
        header_reader_free(hr);
        vstream_close(stream);
    }
    vstring_free(field);
    vstring_free(rest);
}

/* A 1 MB header line costs header_size_limit, and the next header is intact. */
static void
test_reader_huge_line(void **state)
{
    size_t big = 1024 * 1024;
    char *text = mymalloc(big + 64);
    struct vstring *field = vstring_alloc(16);
    struct vstream *stream;
    struct header_reader *hr;

    (void)state;
    memcpy(text, "X-Big: ", 7);
    memset(text + 7, 'x', big);
    memcpy(text + 7 + big, "\n\tmore\nTo: a@b\n\nbody\n", 21);
    stream = text_stream(text, 7 + big + 21);
    hr = header_reader_create(stream, 2048, 102400);
    assert_int_equal(header_reader_next(hr, field), HEADER_READER_FIELD);
    assert_int_equal(vstring_len(field), 102400);
    assert_true(field->size <= 2 * 102400 + 2048);
    assert_int_equal(header_reader_flags(hr), HEADER_READER_TRUNCATED);
    assert_int_equal(header_reader_next(hr, field), HEADER_READER_FIELD);
    assert_string_equal(vstring_str(field), "To: a@b");
    assert_int_equal(header_reader_next(hr, field), HEADER_READER_END);
    assert_int_equal(header_reader_next(hr, field), HEADER_READER_EOF);
    header_reader_free(hr);
    vstream_close(stream);
    vstring_free(field);
    myfree(text);
}

/* A silent peer: the reader reports an error after the timeout. */
static void
test_reader_timeout(void **state)
{
    int sv[2];
    struct vstring *field = vstring_alloc(16);
    struct vstream *stream;
    struct header_reader *hr;

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(write(sv[1], "X: 1\n", 5), 5);
    stream = vstream_fdopen(sv[0], "test");
    vstream_set_timeout(stream, 1);
    hr = header_reader_create(stream, 0, 0);
    assert_int_equal(header_reader_next(hr, field), HEADER_READER_FIELD);
    assert_string_equal(vstring_str(field), "X: 1");
    assert_int_equal(header_reader_next(hr, field), HEADER_READER_ERROR);
    header_reader_free(hr);
    vstream_close(stream);
    close(sv[1]);
    vstring_free(field);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_len),       cmocka_unit_test(test_name_value),
        cmocka_unit_test(test_unfold),         cmocka_unit_test(test_fold),
        cmocka_unit_test(test_reader_table),   cmocka_unit_test(test_reader_huge_line),
        cmocka_unit_test(test_reader_timeout),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
