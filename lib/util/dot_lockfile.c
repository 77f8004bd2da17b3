/*
 * dot_lockfile - create and remove "path.lock" files; see dot_lockfile.h.
 *
 * Waiting: between counted attempts the process watches the lock's
 * directory with inotify and tries again as soon as a name is removed
 * there, instead of sleeping the whole pause while the holder (often
 * another local(8) delivering to the same mailbox) let go a millisecond
 * after our attempt. The pauses, and so the total patience of tries x
 * delay_ms, are unchanged; only the wake-up is earlier.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
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

/* The random pause between counted attempts: delay_ms/2 .. 3*delay_ms/2. */
static long
dot_lock_pause_ms(int delay_ms)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return delay_ms > 1 ? delay_ms / 2 + (long)((unsigned long)ts.tv_nsec % (unsigned)delay_ms)
                        : delay_ms;
}

static void
dot_lock_sleep(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    if (ms <= 0)
        return;
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        continue;
}

/* A watch on the lock file's directory for its removal; -1 when none can be had. */
static int
dot_lock_watch(const char *lock_path)
{
    char *slash = strrchr(lock_path, '/');
    char *dir = slash == NULL ? mystrdup(".")
                : slash == lock_path ? mystrdup("/")
                                     : mystrndup(lock_path, (size_t)(slash - lock_path));
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

    if (fd >= 0 && inotify_add_watch(fd, dir, IN_DELETE | IN_MOVED_FROM | IN_ONLYDIR) < 0) {
        (void)close(fd);
        fd = -1;
    }
    myfree(dir);
    return fd;
}

/*
 * Waits for one pause (counted as one attempt by the caller) and tries
 * again each time a name leaves the lock's directory before the pause is
 * over: 0 when the lock became ours, 1 when the pause ran out, -1 with
 * errno on another failure. Without inotify it simply sleeps.
 */
static int
dot_lock_wait(const char *lock_path, int delay_ms)
{
    long long deadline = monotonic_ms() + dot_lock_pause_ms(delay_ms);
    char events[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    struct stat st;
    long long left;
    int status = 1;
    int fd;

    if ((fd = dot_lock_watch(lock_path)) < 0) {
        dot_lock_sleep(deadline - monotonic_ms());
        return 1;
    }
    /* Gone between our failed attempt and the watch: try at once. */
    int now = lstat(lock_path, &st) < 0 && errno == ENOENT;
    while (now || (left = deadline - monotonic_ms()) > 0) {
        if (!now) {
            if (poll_fd_ms(fd, POLLIN, (int)left) < 0) {
                if (errno != ETIMEDOUT) /* cannot happen; never spin */
                    dot_lock_sleep(deadline - monotonic_ms());
                continue; /* the loop condition ends the pause */
            }
            while (read(fd, events, sizeof(events)) > 0)
                continue;
        }
        now = 0;
        if (dot_lock_create(lock_path) == 0) {
            status = 0;
            break;
        }
        if (errno != EEXIST) {
            status = -1;
            break;
        }
    }
    int saved_errno = errno;
    (void)close(fd);
    errno = saved_errno;
    return status;
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
        if (broken == 0 && (status = dot_lock_wait(lock_path, delay_ms)) <= 0)
            break;
        status = -1;
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
