/*
 * test_mail_queue - unit tests for the queue directories
 * (lib/mail/mail_queue*.c).
 *
 * Each test runs in a fresh temporary queue directory. Covered: queue and
 * temporary names, path hashing (defaults, other names and depths, short
 * and long ids, padding), mail_queue_enter/commit/abandon (id made from the
 * file's own inode and time, unique over many files, hashed subdirectories
 * made on demand), moves that never replace another file but finish an
 * interrupted one, removal, quarantine with its warning line (and a name
 * collision), the queue scan, and the removal of stale temporary files.
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
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <utime.h>

#include "mail/mail_queue.h"
#include "mail/queue_id.h"
#include "util/htable.h"
#include "util/msg.h"
#include "util/vstring.h"
#include "util_test_helpers.h"

static int
queue_setup(void **state)
{
    static const char *const dirs[] = {"incoming", "active", "deferred", "corrupt", NULL};

    if (test_queue_enter(state, dirs) < 0)
        return -1;
    mail_queue_set_hash("deferred, defer", 1);
    return 0;
}

static int
queue_teardown(void **state)
{
    return test_queue_leave(state);
}

static void
make_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");

    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
}

static const char *
file_text(const char *path)
{
    static char buf[256];

    return test_read_file(path, buf, sizeof(buf));
}

static void
test_names(void **state)
{
    int n = 0;

    (void)state;
    for (const char *const *np = mail_queue_names; *np; np++, n++)
        assert_true(mail_queue_name_ok(*np));
    assert_int_equal(n, 11);
    assert_true(mail_queue_name_ok("maildrop"));
    assert_true(mail_queue_name_ok("saved"));
    assert_false(mail_queue_name_ok("bogus"));
    assert_false(mail_queue_name_ok("../incoming"));
    assert_true(mail_queue_temp_name_ok(".tmpAbC123"));
    assert_false(mail_queue_temp_name_ok(".tmp"));
    assert_false(mail_queue_temp_name_ok(".tmpAbC1234"));
    assert_false(mail_queue_temp_name_ok("3F1A21C0B5E"));
}

static void
test_default_hashing(void **state)
{
    struct vstring *buf = vstring_alloc(10);

    (void)state;
    assert_true(mail_queue_hashed("deferred"));
    assert_true(mail_queue_hashed("defer"));
    assert_false(mail_queue_hashed("incoming"));
    assert_string_equal(mail_queue_path(buf, "deferred", "3F1A21C0B5E"), "deferred/3/3F1A21C0B5E");
    assert_string_equal(mail_queue_path(buf, "defer", "3F1A21C0B5E"), "defer/3/3F1A21C0B5E");
    assert_string_equal(mail_queue_path(buf, "incoming", "3F1A21C0B5E"), "incoming/3F1A21C0B5E");
    assert_string_equal(mail_queue_dir(buf, "deferred", "3F1A21C0B5E"), "deferred/3");
    /* A long id hashes by its microseconds in hex: 353025 = 0x56301. */
    assert_string_equal(mail_queue_path(buf, "deferred", "3Pt2mN2VXxznjll"),
                        "deferred/5/3Pt2mN2VXxznjll");
    vstring_free(buf);
}

static void
test_other_hashing(void **state)
{
    struct vstring *buf = vstring_alloc(10);

    (void)state;
    mail_queue_set_hash("incoming,active hold", 3);
    assert_true(mail_queue_hashed("active"));
    assert_true(mail_queue_hashed("hold"));
    assert_false(mail_queue_hashed("deferred"));
    assert_string_equal(mail_queue_path(buf, "incoming", "3F1A21C0B5E"),
                        "incoming/3/F/1/3F1A21C0B5E");
    assert_string_equal(mail_queue_path(buf, "active", "3Pt2mN2VXxznjll"),
                        "active/5/6/3/3Pt2mN2VXxznjll");
    assert_string_equal(mail_queue_path(buf, "hold", "AB"), "hold/A/B/_/AB");
    assert_string_equal(mail_queue_path(buf, "deferred", "AB"), "deferred/AB");
    vstring_free(buf);
}

/* Enters and commits one empty file; returns its id (static). */
static const char *
enter_commit(const char *queue, int long_ids)
{
    static char id[QUEUE_ID_MAX + 1];
    struct vstring *why = vstring_alloc(10);
    struct vstring *want = vstring_alloc(10);
    struct mail_queue_file *mqf;
    struct timeval tv;
    struct stat st;
    char *path;
    int fd;

    if (mail_queue_enter(queue, long_ids, 0640, &mqf, why) < 0)
        fail_msg("enter: %s", vstring_str(why));
    assert_true(mail_queue_temp_name_ok(strrchr(mqf->temp_path, '/') + 1));
    assert_int_equal(access(mqf->path, F_OK), -1);
    assert_int_equal(write(mqf->fd, "data", 4), 4);
    assert_int_equal(fstat(mqf->fd, &st), 0);
    tv = mqf->time;
    queue_id_make(want, &tv, st.st_ino, long_ids); /* the id names this very file */
    assert_string_equal(mqf->id, vstring_str(want));
    snprintf(id, sizeof(id), "%s", mqf->id);
    path = strdup(mqf->path);
    fd = mqf->fd;
    if (mail_queue_commit(mqf, why) < 0)
        fail_msg("commit: %s", vstring_str(why));
    close(fd);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    assert_string_equal(file_text(path), "data");
    free(path);
    vstring_free(why);
    vstring_free(want);
    return id;
}

static void
test_enter_commit(void **state)
{
    struct vstring *path = vstring_alloc(10);
    const char *id;

    (void)state;
    id = enter_commit("incoming", 0);
    assert_false(queue_id_is_long(id));
    assert_int_equal(access(mail_queue_path(path, "incoming", id), F_OK), 0);
    id = enter_commit("deferred", 1); /* hash directory made on demand */
    assert_true(queue_id_is_long(id));
    assert_int_equal(access(mail_queue_path(path, "deferred", id), F_OK), 0);
    vstring_free(path);
}

/*
 * A writer that may write the queue directory but not read it (postdrop in
 * maildrop, mode 1730, group postdrop) still commits: the directory cannot
 * be opened for fsync, so the file is synced again after the rename.
 * Needs root to make such a writer (a child as nobody:nogroup).
 */
static void
test_commit_in_unreadable_directory(void **state)
{
    struct vstring *why = vstring_alloc(10);
    struct mail_queue_file *mqf;
    struct stat st;
    pid_t pid;

    (void)state;
    if (geteuid() != 0)
        skip();
    assert_int_equal(mkdir("maildrop", 0), 0);
    assert_int_equal(chown("maildrop", 0, 65534), 0);
    assert_int_equal(chmod("maildrop", 01730), 0);
    assert_int_equal(chmod(".", 0755), 0);
    assert_int_equal(chmod(test_dir, 0755), 0);
    if ((pid = fork()) == 0) {
        int ok = setgid(65534) == 0 && setuid(65534) == 0 &&
                 mail_queue_enter("maildrop", 0, 0644, &mqf, why) == 0 &&
                 mail_queue_commit(mqf, why) == 0;

        if (!ok)
            fprintf(stderr, "commit failed: %s\n", vstring_str(why));
        _exit(ok ? 0 : 1);
    }
    assert_int_equal(test_wait_child(pid, 5000), 0);
    assert_int_equal(chmod("maildrop", 0700), 0);
    assert_int_equal(stat("maildrop", &st), 0);
    vstring_free(why);
}

static void
test_enter_many_unique(void **state)
{
    static char mark[] = "x";
    struct htable *seen = htable_create(1000);
    const char *id;

    (void)state;
    for (int i = 0; i < 400; i++) {
        id = enter_commit(i % 2 ? "incoming" : "deferred", i % 3 == 0);
        if (htable_find(seen, id))
            fail_msg("duplicate id %s", id);
        htable_enter(seen, id, mark);
    }
    htable_free(seen, NULL);
}

static void
test_abandon(void **state)
{
    struct vstring *why = vstring_alloc(10);
    struct mail_queue_file *mqf;
    char *temp;
    int fd;

    (void)state;
    assert_int_equal(mail_queue_enter("incoming", 0, 0600, &mqf, why), 0);
    temp = strdup(mqf->temp_path);
    fd = mqf->fd;
    assert_int_equal(access(temp, F_OK), 0);
    mail_queue_abandon(mqf);
    close(fd);
    assert_int_equal(access(temp, F_OK), -1);
    free(temp);
    vstring_free(why);
}

static void
test_rename(void **state)
{
    (void)state;
    make_file("incoming/3F1A21C0B5E", "one");
    assert_int_equal(mail_queue_rename("3F1A21C0B5E", "incoming", "active", 0), 0);
    assert_string_equal(file_text("active/3F1A21C0B5E"), "one");
    assert_int_equal(access("incoming/3F1A21C0B5E", F_OK), -1);
    /* Into a hashed queue whose subdirectory does not exist yet, synced. */
    assert_int_equal(mail_queue_rename("3F1A21C0B5E", "active", "deferred", MAIL_QUEUE_SYNC), 0);
    assert_string_equal(file_text("deferred/3/3F1A21C0B5E"), "one");
    /* Never replaces another file. */
    make_file("incoming/3F1A21C0B5E", "two");
    assert_int_equal(mail_queue_rename("3F1A21C0B5E", "incoming", "deferred", 0), -1);
    assert_int_equal(errno, EEXIST);
    assert_string_equal(file_text("deferred/3/3F1A21C0B5E"), "one");
    assert_string_equal(file_text("incoming/3F1A21C0B5E"), "two");
    /* A move interrupted after link(2): two names, one file. */
    assert_int_equal(unlink("incoming/3F1A21C0B5E"), 0);
    assert_int_equal(link("deferred/3/3F1A21C0B5E", "active/3F1A21C0B5E"), 0);
    assert_int_equal(mail_queue_rename("3F1A21C0B5E", "deferred", "active", 0), 0);
    assert_int_equal(access("deferred/3/3F1A21C0B5E", F_OK), -1);
    assert_string_equal(file_text("active/3F1A21C0B5E"), "one");
    /* A missing file. */
    assert_int_equal(mail_queue_rename("ABCDEF", "incoming", "active", 0), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(mail_queue_remove("active", "3F1A21C0B5E"), 0);
    assert_int_equal(mail_queue_remove("active", "3F1A21C0B5E"), -1);
    assert_int_equal(errno, ENOENT);
}

/* Runs mail_queue_quarantine with stderr captured into log. */
static int
quarantine_logged(const char *queue, const char *id, const char *reason, char *log, size_t size)
{
    int saved = dup(2);
    int fd = open("stderr.log", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int ret;

    dup2(fd, 2);
    ret = mail_queue_quarantine(queue, id, reason);
    dup2(saved, 2);
    close(saved);
    close(fd);
    test_read_file("stderr.log", log, size);
    return ret;
}

static void
test_quarantine(void **state)
{
    char log[512];

    (void)state;
    make_file("active/ABC123", "bad");
    assert_int_equal(
        quarantine_logged("active", "ABC123", "truncated: empty file", log, sizeof(log)), 0);
    assert_string_equal(log, "test_mail_queue: warning: ABC123: corrupt queue file in active "
                             "queue moved to corrupt queue: truncated: empty file\n");
    assert_string_equal(file_text("corrupt/ABC123"), "bad");
    assert_int_equal(access("active/ABC123", F_OK), -1);
    /* The name is taken in corrupt/: both files are kept. */
    make_file("active/ABC123", "worse");
    assert_int_equal(quarantine_logged("active", "ABC123", "bad magic", log, sizeof(log)), 0);
    assert_non_null(strstr(log, "moved to corrupt queue as ABC123Q1: bad magic"));
    assert_string_equal(file_text("corrupt/ABC123"), "bad");
    assert_string_equal(file_text("corrupt/ABC123Q1"), "worse");
    /* Nothing to move. */
    assert_int_equal(quarantine_logged("active", "ABC123", "gone", log, sizeof(log)), -1);
    assert_non_null(strstr(log, "warning: ABC123: cannot move corrupt queue file from active "
                                "queue to corrupt queue: No such file or directory (gone)"));
}

static void
test_scan(void **state)
{
    struct mail_queue_scan *scan;
    struct vstring *got = vstring_alloc(100);
    const char *id;
    int n = 0;

    (void)state;
    assert_int_equal(mkdir("deferred/A", 0700), 0);
    assert_int_equal(mkdir("deferred/B", 0700), 0);
    assert_int_equal(mkdir("deferred/B/C", 0700), 0);
    assert_int_equal(mkdir("deferred/long", 0700), 0);
    make_file("deferred/A/ABC2", "");
    make_file("deferred/B/C/ABC3", "");
    make_file("deferred/ABC4", "");
    make_file("deferred/.tmpAbC123", "");
    make_file("deferred/not.an.id", "");
    make_file("deferred/long/ABC5", "");
    assert_int_equal(symlink("/etc", "deferred/Z"), 0);
    scan = mail_queue_scan_open("deferred");
    assert_non_null(scan);
    while ((id = mail_queue_scan_next(scan)) != NULL) {
        n++;
        if (strcmp(id, "ABC3") == 0)
            assert_string_equal(mail_queue_scan_path(scan), "deferred/B/C/ABC3");
        if (strcmp(id, "ABC2") == 0)
            assert_string_equal(mail_queue_scan_path(scan), "deferred/A/ABC2");
        vstring_sprintf_append(got, "%s ", id);
    }
    mail_queue_scan_close(scan);
    /*
     * "long" (a directory, but not a hash level) and "Z" (a symbolic link)
     * have names like ids: listed, not entered, so a reader refuses them.
     */
    assert_int_equal(n, 5);
    assert_non_null(strstr(vstring_str(got), "Z "));
    assert_non_null(strstr(vstring_str(got), "ABC2 "));
    assert_non_null(strstr(vstring_str(got), "ABC3 "));
    assert_non_null(strstr(vstring_str(got), "ABC4 "));
    assert_non_null(strstr(vstring_str(got), "long "));
    assert_null(mail_queue_scan_open("hold"));
    vstring_free(got);
}

static void
test_remove_stale(void **state)
{
    struct vstring *why = vstring_alloc(10);
    struct utimbuf old = {1000000000, 1000000000};
    struct mail_queue_file *mqf;
    char *live;
    int fd;

    (void)state;
    assert_int_equal(mail_queue_enter("incoming", 0, 0600, &mqf, why), 0);
    live = strdup(mqf->temp_path);
    assert_int_equal(utime(live, &old), 0);
    make_file("incoming/.tmpDead01", "dead");
    assert_int_equal(utime("incoming/.tmpDead01", &old), 0);
    make_file("incoming/.tmpYoung1", "young");
    make_file("incoming/ABCDEF", "a message, not a temporary file");
    assert_int_equal(utime("incoming/ABCDEF", &old), 0);
    assert_int_equal(mail_queue_remove_stale("incoming", 3600), 1);
    assert_int_equal(access("incoming/.tmpDead01", F_OK), -1);
    assert_int_equal(access("incoming/.tmpYoung1", F_OK), 0);
    assert_int_equal(access(live, F_OK), 0); /* its writer holds the lock */
    assert_int_equal(access("incoming/ABCDEF", F_OK), 0);
    fd = mqf->fd;
    mail_queue_abandon(mqf);
    close(fd);
    assert_int_equal(mail_queue_remove_stale("incoming", 0), 1);
    assert_int_equal(access("incoming/.tmpYoung1", F_OK), -1);
    free(live);
    vstring_free(why);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_names, queue_setup, queue_teardown),
        cmocka_unit_test_setup_teardown(test_default_hashing, queue_setup, queue_teardown),
        cmocka_unit_test_setup_teardown(test_commit_in_unreadable_directory, queue_setup,
                                        queue_teardown),
        cmocka_unit_test_setup_teardown(test_other_hashing, queue_setup, queue_teardown),
        cmocka_unit_test_setup_teardown(test_enter_commit, queue_setup, queue_teardown),
        cmocka_unit_test_setup_teardown(test_enter_many_unique, queue_setup, queue_teardown),
        cmocka_unit_test_setup_teardown(test_abandon, queue_setup, queue_teardown),
        cmocka_unit_test_setup_teardown(test_rename, queue_setup, queue_teardown),
        cmocka_unit_test_setup_teardown(test_quarantine, queue_setup, queue_teardown),
        cmocka_unit_test_setup_teardown(test_scan, queue_setup, queue_teardown),
        cmocka_unit_test_setup_teardown(test_remove_stale, queue_setup, queue_teardown),
    };

    msg_init("test_mail_queue", MSG_STDERR);
    if (getcwd(test_start_dir, sizeof(test_start_dir)) == NULL)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
