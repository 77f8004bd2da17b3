/*
 * iostuff - small descriptor helpers: blocking mode, close-on-exec, waiting
 * for readiness with a time limit, and reads and writes that cannot hang.
 *
 *   non_blocking(fd, on)       set or clear O_NONBLOCK; returns the old state
 *   sane_stdio()               open /dev/null on whichever of 0, 1, 2 is closed, so
 *                              no later file lands there; _exit(1) if impossible
 *   close_on_exec(fd, on)      set or clear FD_CLOEXEC; returns the old state
 *   read_wait(fd, timeout)     wait until fd is readable (data, EOF or error)
 *   write_wait(fd, timeout)    wait until fd is writable
 *   readable(fd)               is fd readable right now? 1, 0 or -1
 *   timed_read(fd, buf, len, timeout)    one read(2) after read_wait
 *   timed_write(fd, buf, len, timeout)   one write(2) after write_wait
 *   write_all(fd, buf, len, timeout)     write every byte, or fail
 *
 * Timeouts are in seconds. A timeout > 0 is an upper bound on the wait; 0
 * means "do not wait, only look"; < 0 means wait without limit. Waits
 * survive signals (EINTR restarts the wait with the time that is left).
 * On expiry the call fails with errno ETIMEDOUT. For write_all the timeout
 * bounds the whole transfer, not each write.
 *
 * All functions work on blocking and non-blocking descriptors alike; a
 * spurious wake-up (EAGAIN after poll said ready) is retried. They return
 * -1 with errno set on error and never log: the caller knows what the
 * descriptor is and words the message. A write to a closed pipe fails with
 * EPIPE only if the caller ignores SIGPIPE (daemons do).
 */
#ifndef TERN_IOSTUFF_H
#define TERN_IOSTUFF_H

#include <stddef.h>
#include <sys/types.h>

#define BLOCKING 0
#define NON_BLOCKING 1

#define PASS_ON_EXEC 0
#define CLOSE_ON_EXEC 1

void sane_stdio(void);
int non_blocking(int fd, int on);
int close_on_exec(int fd, int on);

int read_wait(int fd, int timeout);
int write_wait(int fd, int timeout);
int readable(int fd);

ssize_t timed_read(int fd, void *buf, size_t len, int timeout);
ssize_t timed_write(int fd, const void *buf, size_t len, int timeout);
int write_all(int fd, const void *buf, size_t len, int timeout);

/* The same waits with a limit in milliseconds (< 0: no limit). */
int poll_fd_ms(int fd, int events, int timeout_ms);

/* Milliseconds on the monotonic clock, for deadlines. */
long long monotonic_ms(void);

#endif
