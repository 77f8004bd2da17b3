/*
 * dot_lockfile - create and remove "path.lock" files; see dot_lockfile.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/dot_lockfile.h"
#include "util/iostuff.h"
#include "util/mymalloc.h"

static char *
dot_lock_name(const char *path)
{
    struct vstring *name = vstring_alloc(100);

    vstring_sprintf(name, "%s.lock", path);
    return vstring_export(name);
}

/* One attempt: 0 when the lock is ours, -1 with errno otherwise. */
static int
dot_lock_create(const char *lock_path)
{
    char pid_text[32];
    int len = snprintf(pid_text, sizeof(pid_text), "%ld\n", (long)getpid());
    int fd;

    if ((fd = open(lock_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0)
        return -1;
    /* The pid is a courtesy to other lockers; the lock is the file itself. */
    (void)write_all(fd, pid_text, (size_t)len, 5);
    (void)close(fd);
    return 0;
}

/* Removes the lock file when older than stale_seconds: 1 removed, 0 not, -1 failure. */
static int
dot_lock_break_stale(const char *lock_path, int stale_seconds)
{
    struct stat st;

    if (stale_seconds <= 0 || lstat(lock_path, &st) < 0)
        return 0;
    if (time(NULL) <= st.st_ctime + stale_seconds)
        return 0;
    if (unlink(lock_path) < 0)
        return errno == ENOENT ? 1 : -1;
    return 1;
}

static void
dot_lock_sleep(int delay_ms)
{
    struct timespec ts;
    long ms;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    ms = delay_ms > 1 ? delay_ms / 2 + (long)((unsigned long)ts.tv_nsec % (unsigned)delay_ms)
                      : delay_ms;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        continue;
}

int
dot_lockfile(const char *path, int tries, int delay_ms, int stale_seconds, struct vstring *why)
{
    char *lock_path = dot_lock_name(path);
    int status = -1;
    int broken;
    int saved_errno;

    for (int count = 1;; count++) {
        if (dot_lock_create(lock_path) == 0) {
            status = 0;
            break;
        }
        if (errno != EEXIST || count >= tries)
            break;
        if ((broken = dot_lock_break_stale(lock_path, stale_seconds)) < 0)
            break;
        if (broken == 0)
            dot_lock_sleep(delay_ms);
    }
    saved_errno = errno;
    if (status < 0 && why)
        vstring_sprintf(why, "unable to create lock file %s: %m", lock_path);
    myfree(lock_path);
    errno = saved_errno;
    return status;
}

void
dot_unlockfile(const char *path)
{
    int saved_errno = errno;
    char *lock_path = dot_lock_name(path);

    (void)unlink(lock_path);
    myfree(lock_path);
    errno = saved_errno;
}
