/*
 * stderr_capture - capture what a unit under test writes to standard error
 * (warnings, fatal messages), for the tests that check diagnostics.
 *
 *   stderr_capture_start(dir)   redirect fd 2 into DIR/stderr (truncated)
 *   text = stderr_capture_end() restore fd 2; returns what was written,
 *                               NUL-terminated, in a static buffer (16 KB,
 *                               the rest is cut off)
 *
 * Include after <cmocka.h>. Captures do not nest.
 */
#ifndef TERN_STDERR_CAPTURE_H
#define TERN_STDERR_CAPTURE_H

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static int stderr_capture_saved = -1;
static char stderr_capture_path[512];

static inline void
stderr_capture_start(const char *dir)
{
    int fd;

    snprintf(stderr_capture_path, sizeof(stderr_capture_path), "%s/stderr", dir);
    fd = open(stderr_capture_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    stderr_capture_saved = dup(2);
    assert_true(stderr_capture_saved >= 0);
    assert_true(dup2(fd, 2) == 2);
    close(fd);
}

static inline const char *
stderr_capture_end(void)
{
    static char text[16384];
    ssize_t len;
    int fd;

    assert_true(dup2(stderr_capture_saved, 2) == 2);
    close(stderr_capture_saved);
    stderr_capture_saved = -1;
    fd = open(stderr_capture_path, O_RDONLY);
    assert_true(fd >= 0);
    len = read(fd, text, sizeof(text) - 1);
    close(fd);
    text[len > 0 ? len : 0] = 0;
    return text;
}

#endif
