/*
 * test_util - unit tests for lib/util: vstring, argv, htable, stringops,
 * vstream (buffering, bounded lines, timeouts, seek and tell) and readlline.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/argv.h"
#include "util/htable.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/readlline.h"
#include "util/stringops.h"
#include "util/vstream.h"
#include "util/vstring.h"

static void
test_vstring_grow_and_format(void **state)
{
    struct vstring *vp = vstring_alloc(1);

    (void)state;
    for (int i = 0; i < 1000; i++)
        vstring_addch(vp, 'a' + i % 26);
    assert_int_equal(vstring_len(vp), 1000);
    assert_int_equal(strlen(vstring_str(vp)), 1000);
    vstring_sprintf(vp, "%s=%d", "limit", 42);
    assert_string_equal(vstring_str(vp), "limit=42");
    vstring_sprintf_append(vp, " %0500d", 7);
    assert_int_equal(vstring_len(vp), 8 + 501);
    vstring_memcpy(vp, vstring_str(vp) + 1, 3); /* overlapping copy */
    assert_string_equal(vstring_str(vp), "imi");
    vstring_memcat(vp, "\0x", 2);
    assert_int_equal(vstring_len(vp), 5);
    vstring_truncate(vp, 2);
    assert_string_equal(vstring_str(vp), "im");
    vstring_free(vp);
}

static void
test_argv_split(void **state)
{
    struct argv *ap = argv_split("  a, b,,c\td  ", ", \t");

    (void)state;
    assert_int_equal(ap->argc, 4);
    assert_string_equal(ap->argv[0], "a");
    assert_string_equal(ap->argv[3], "d");
    assert_null(ap->argv[4]);
    argv_truncate(ap, 1);
    assert_int_equal(ap->argc, 1);
    assert_null(ap->argv[1]);
    argv_free(ap);
    ap = argv_split("", ",");
    assert_int_equal(ap->argc, 0);
    argv_free(ap);
}

static void
test_htable_order_and_delete(void **state)
{
    struct htable *table = htable_create(1);
    char key[32];
    struct htable_entry *ep;
    int n = 0;

    (void)state;
    for (long i = 0; i < 500; i++) {
        snprintf(key, sizeof(key), "k%ld", i);
        htable_enter(table, key, (void *)(i + 1));
    }
    assert_int_equal(table->used, 500);
    assert_ptr_equal(htable_find(table, "k499"), (void *)500);
    assert_true(htable_delete(table, "k0", NULL));
    assert_true(htable_delete(table, "k499", NULL));
    assert_false(htable_delete(table, "nope", NULL));
    assert_null(htable_find(table, "k0"));
    ep = htable_first(table);
    assert_string_equal(ep->key, "k1");
    for (; ep; ep = htable_next(ep))
        n++;
    assert_int_equal(n, 498);
    htable_free(table, NULL);
}

static void
test_stringops(void **state)
{
    char buf[64];
    char *cp;
    char *rest;

    (void)state;
    strcpy(buf, "  Hello World \t\n");
    assert_string_equal(trim_blanks(buf), "Hello World");
    assert_string_equal(lowercase(buf), "hello world");
    rest = split_at(buf, ' ');
    assert_string_equal(buf, "hello");
    assert_string_equal(rest, "world");
    strcpy(buf, "a@b@c");
    assert_string_equal(split_at_right(buf, '@'), "c");
    strcpy(buf, " x, y ");
    cp = buf;
    assert_string_equal(mystrtok(&cp, CHARS_COMMA_SP), "x");
    assert_string_equal(mystrtok(&cp, CHARS_COMMA_SP), "y");
    assert_null(mystrtok(&cp, CHARS_COMMA_SP));
    assert_true(alldig("0123"));
    assert_false(alldig(""));
    assert_false(alldig("12a"));
    assert_true(ends_with("table.db", ".db"));
}

static struct vstream *
stream_from_text(const char *text)
{
    int fds[2];

    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], text, strlen(text)), (ssize_t)strlen(text));
    close(fds[1]);
    return vstream_fdopen(fds[0], "test.cf");
}

static void
test_vstream_bounded_lines(void **state)
{
    struct vstream *sp = stream_from_text("short\nabcdefghij\nlast");
    struct vstring *buf = vstring_alloc(10);

    (void)state;
    assert_int_equal(vstream_get_line(sp, buf, 100), '\n');
    assert_string_equal(vstring_str(buf), "short\n");
    assert_int_equal(vstream_get_line(sp, buf, 4), 'd'); /* cut at the limit */
    assert_string_equal(vstring_str(buf), "abcd");
    assert_int_equal(vstream_get_line(sp, buf, 100), '\n');
    assert_string_equal(vstring_str(buf), "efghij\n");
    assert_int_equal(vstream_get_line(sp, buf, 100), 't'); /* no newline at EOF */
    assert_string_equal(vstring_str(buf), "last");
    assert_int_equal(vstream_get_line(sp, buf, 100), VSTREAM_EOF);
    assert_true(vstream_eof(sp));
    vstring_free(buf);
    vstream_close(sp);
}

static void
test_vstream_timeout(void **state)
{
    int fds[2];
    struct vstream *sp;

    (void)state;
    assert_int_equal(pipe(fds), 0);
    sp = vstream_fdopen(fds[0], "pipe");
    vstream_set_timeout(sp, 1);
    assert_int_equal(vstream_getc(sp), VSTREAM_EOF);
    assert_true(vstream_timed_out(sp));
    assert_true(vstream_error(sp));
    vstream_close(sp);
    close(fds[1]);
}

static void
test_vstream_write_roundtrip(void **state)
{
    char path[] = "/tmp/tern-test-XXXXXX";
    int fd = mkstemp(path);
    struct vstream *sp;
    char buf[200000];
    size_t n;

    (void)state;
    assert_true(fd >= 0);
    sp = vstream_fdopen(fd, path);
    for (int i = 0; i < 20000; i++)
        assert_int_equal(vstream_printf(sp, "%04d|\n", i % 10000), 0);
    assert_int_equal(vstream_close(sp), 0);
    sp = vstream_fopen(path, O_RDONLY, 0);
    assert_non_null(sp);
    n = vstream_read(sp, buf, sizeof(buf));
    assert_int_equal(n, 20000 * 6);
    assert_memory_equal(buf + 6 * 12345, "2345|\n", 6);
    vstream_close(sp);
    unlink(path);
}

/* Seeks on a read stream: the read-ahead buffer never shows through. */
static void
test_vstream_seek_read(void **state)
{
    char path[] = "/tmp/tern-test-XXXXXX";
    int fd = mkstemp(path);
    struct vstream *sp;
    struct vstring *buf = vstring_alloc(10);
    int pipe_fds[2];

    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "0123456789\nabcdef\n", 18), 18);
    sp = vstream_fdopen(fd, path);
    assert_int_equal(vstream_seek(sp, 0, SEEK_SET), 0);
    assert_int_equal(vstream_getc(sp), '0');
    assert_int_equal(vstream_tell(sp), 1);              /* not the 18 the descriptor read ahead */
    assert_int_equal(vstream_seek(sp, 2, SEEK_CUR), 3); /* from the caller's place */
    assert_int_equal(vstream_getc(sp), '3');
    assert_int_equal(vstream_seek(sp, -3, SEEK_END), 15);
    assert_int_equal(vstream_get_line(sp, buf, 100), '\n');
    assert_string_equal(vstring_str(buf), "ef\n");
    assert_int_equal(vstream_getc(sp), VSTREAM_EOF);
    assert_true(vstream_eof(sp));
    assert_int_equal(vstream_seek(sp, 11, SEEK_SET), 11); /* clears EOF */
    assert_false(vstream_eof(sp));
    assert_int_equal(vstream_get_line(sp, buf, 100), '\n');
    assert_string_equal(vstring_str(buf), "abcdef\n");
    assert_int_equal(vstream_tell(sp), 18);
    /* A failed seek leaves the stream where it was. */
    assert_int_equal(vstream_seek(sp, 1, SEEK_SET), 1);
    assert_int_equal(vstream_getc(sp), '1');
    assert_int_equal(vstream_seek(sp, -100, SEEK_CUR), -1);
    assert_int_equal(vstream_getc(sp), '2');
    vstream_close(sp);
    unlink(path);
    vstring_free(buf);

    assert_int_equal(pipe(pipe_fds), 0);
    sp = vstream_fdopen(pipe_fds[0], "pipe");
    assert_int_equal(vstream_seek(sp, 0, SEEK_SET), -1);
    assert_int_equal(errno, ESPIPE);
    vstream_close(sp);
    close(pipe_fds[1]);
}

/* Seeks on a write stream flush first; tell counts the unwritten bytes. */
static void
test_vstream_seek_write(void **state)
{
    char path[] = "/tmp/tern-test-XXXXXX";
    int fd = mkstemp(path);
    struct vstream *sp;
    char data[32];

    (void)state;
    assert_true(fd >= 0);
    sp = vstream_fdopen(fd, path);
    assert_int_equal(vstream_puts(sp, "hello world"), 0);
    assert_int_equal(vstream_tell(sp), 11);
    assert_int_equal(pread(fd, data, sizeof(data), 0), 0); /* still buffered */
    assert_int_equal(vstream_seek(sp, 0, SEEK_SET), 0);
    assert_int_equal(pread(fd, data, sizeof(data), 0), 11); /* flushed by the seek */
    assert_int_equal(vstream_puts(sp, "J"), 0);
    assert_int_equal(vstream_seek(sp, 0, SEEK_END), 11);
    assert_int_equal(vstream_puts(sp, "!"), 0);
    assert_int_equal(vstream_close(sp), 0);
    sp = vstream_fopen(path, O_RDONLY, 0);
    assert_non_null(sp);
    assert_int_equal(vstream_read(sp, data, sizeof(data)), 12);
    assert_memory_equal(data, "Jello world!", 12);
    vstream_close(sp);
    unlink(path);
}

static void
test_readlline_syntax(void **state)
{
    struct vstream *sp = stream_from_text("  leading = skipped\n"
                                          "    with its continuation\n"
                                          "# comment\n"
                                          "\n"
                                          "a = 1\n"
                                          "b = 2,\n"
                                          "    3  \n"
                                          "  # indented comment inside a value\n"
                                          "# column-0 comment does not end it\n"
                                          "\n"
                                          "\t4\n"
                                          "   \n"
                                          "c = x   \n");
    struct vstring *buf = vstring_alloc(10);
    int lineno = 0;
    int first = 0;

    (void)state;
    assert_non_null(readlline(buf, sp, &lineno, &first));
    assert_string_equal(vstring_str(buf), "a = 1");
    assert_int_equal(first, 5);
    assert_non_null(readlline(buf, sp, &lineno, &first));
    assert_string_equal(vstring_str(buf), "b = 2,    3  \t4");
    assert_int_equal(first, 6);
    assert_int_equal(lineno, 12); /* the blank line 12 was read as a continuation */
    assert_non_null(readlline(buf, sp, &lineno, &first));
    assert_string_equal(vstring_str(buf), "c = x");
    assert_int_equal(first, 13);
    assert_null(readlline(buf, sp, &lineno, &first));
    vstring_free(buf);
    vstream_close(sp);
}

static void
test_readlline_nul_is_not_noise(void **state)
{
    int fds[2];
    static const char text[] = "\0key v\nnext v\n";
    struct vstream *sp;
    struct vstring *buf = vstring_alloc(10);
    int lineno = 0;

    (void)state;
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
    close(fds[1]);
    sp = vstream_fdopen(fds[0], "nul.cf");
    assert_non_null(readlline(buf, sp, &lineno, NULL));
    assert_int_equal(vstring_len(buf), 6);
    assert_string_equal(vstring_str(buf), ""); /* C-string callers see it empty */
    assert_non_null(readlline(buf, sp, &lineno, NULL));
    assert_string_equal(vstring_str(buf), "next v");
    assert_int_equal(lineno, 2);
    vstring_free(buf);
    vstream_close(sp);
}

static void
test_readlline_long_line_skipped(void **state)
{
    size_t big = READLLINE_LIMIT + 1000;
    char *text = mymalloc(big + 32);
    struct vstream *sp;
    struct vstring *buf = vstring_alloc(10);
    int lineno = 0;

    (void)state;
    memset(text, 'x', big);
    strcpy(text + big, "\nnext = 1\n");
    {
        /* A pipe cannot hold this much: use a file. */
        char path[] = "/tmp/tern-test-XXXXXX";
        int fd = mkstemp(path);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        lseek(fd, 0, SEEK_SET);
        sp = vstream_fdopen(fd, path);
        unlink(path);
    }
    assert_non_null(readlline(buf, sp, &lineno, NULL));
    assert_string_equal(vstring_str(buf), "next = 1");
    assert_int_equal(lineno, 2);
    vstring_free(buf);
    vstream_close(sp);
    myfree(text);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vstring_grow_and_format),
        cmocka_unit_test(test_argv_split),
        cmocka_unit_test(test_htable_order_and_delete),
        cmocka_unit_test(test_stringops),
        cmocka_unit_test(test_vstream_bounded_lines),
        cmocka_unit_test(test_vstream_timeout),
        cmocka_unit_test(test_vstream_write_roundtrip),
        cmocka_unit_test(test_vstream_seek_read),
        cmocka_unit_test(test_vstream_seek_write),
        cmocka_unit_test(test_readlline_syntax),
        cmocka_unit_test(test_readlline_nul_is_not_noise),
        cmocka_unit_test(test_readlline_long_line_skipped),
    };

    msg_init("test_util", MSG_STDERR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
