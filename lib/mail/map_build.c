/*
 * map_build - open a table for building from its source; see map_build.h.
 *
 * Order of events, as in Postfix: the source is opened (with the caller's
 * rights) before anything else, so "open FILE: reason" is the first
 * complaint; then the umask and the effective ids are set; then the table
 * type is checked and the table opened. The umask is restored right after
 * the open (the file exists by then); the ids at map_build_close.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "mail/map_build.h"
#include "table/dict_db.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/set_ugid.h"

/* Switch the effective ids to UID/GID, remembering the old ones. */
static void
map_build_set_ids(struct map_build *mb, uid_t uid, gid_t gid)
{
    mb->saved_euid = geteuid();
    mb->saved_egid = getegid();
    set_eugid(uid, gid);
    mb->ids_changed = 1;
}

/* Go back to the ids saved by map_build_set_ids. */
static void
map_build_restore_ids(struct map_build *mb)
{
    if (!mb->ids_changed)
        return;
    set_eugid(mb->saved_euid, mb->saved_egid);
    mb->ids_changed = 0;
}

/*
 * Postpones the signals that end a process from the keyboard or from
 * "kill" while the table is written, so an update is never cut short.
 */
static void
map_build_block_signals(struct map_build *mb)
{
    sigset_t block;

    sigemptyset(&block);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGQUIT);
    sigaddset(&block, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &block, &mb->saved_signals) < 0)
        msg_fatal("sigprocmask: %m");
}

/* The Berkeley DB cache for building, from main.cf when it says. */
static void
map_build_cache_size(void)
{
    static const char name[] = "berkeley_db_create_buffer_size";

    if (mail_conf_raw(name) != NULL)
        dict_db_create_buffer_size = (int)mail_conf_get_int(name);
}

/* Fatal unless TYPE is a table type that postmap can build. */
static void
map_build_check_type(const char *type)
{
    const struct dict_type *dt;

    if (strcmp(type, "proxy") == 0)
        msg_fatal("can't create maps via the proxy service");
    if ((dt = dict_type_find(type)) == NULL)
        msg_fatal("unsupported dictionary type: %s. Is the postfix-%s package installed?", type,
                  type);
    if (!dt->needs_file)
        msg_fatal("unsupported dictionary type: %s does not support bulk-mode creation.", type);
}

struct map_build *
map_build_open(const char *type, const char *path, int open_flags, int dict_flags, int build_flags)
{
    struct map_build *mb = mycalloc(1, sizeof(*mb));
    struct stat st;
    mode_t saved_mask = 0;
    int set_mask = 0;

    if ((open_flags & O_TRUNC) == 0) {
        mb->source = vstream_stdin();
    } else {
        if (strcmp(type, "proxy") == 0)
            msg_fatal("can't create maps via the proxy service");
        if ((mb->source = vstream_fopen(path, O_RDONLY, 0)) == NULL)
            msg_fatal("open %s: %m", path);
    }
    if (fstat(vstream_fileno(mb->source), &st) < 0)
        msg_fatal("fstat %s: %m", vstream_path(mb->source));
    if ((build_flags & MAP_BUILD_SAVE_PERM) && S_ISREG(st.st_mode)) {
        saved_mask = umask(022 | (~st.st_mode & 077));
        set_mask = 1;
    }
    if ((build_flags & MAP_BUILD_AS_OWNER) && getuid() == 0 &&
        (st.st_uid != geteuid() || st.st_gid != getegid()))
        map_build_set_ids(mb, st.st_uid, st.st_gid);
    map_build_check_type(type);
    map_build_cache_size();
    map_build_block_signals(mb);
    mb->dict = dict_open3_strict(type, path, open_flags, dict_flags | DICT_FLAG_BULK_UPDATE);
    if (set_mask)
        umask(saved_mask);
    return mb;
}

void
map_build_put(struct map_build *mb, const char *key, const char *value)
{
    errno = 0;
    (void)dict_put(mb->dict, key, value);
    if (mb->dict->error)
        msg_fatal("table %s:%s: write error: %m", mb->dict->type, mb->dict->name);
}

void
map_build_close(struct map_build *mb)
{
    dict_close(mb->dict);
    if (mb->source != vstream_stdin())
        (void)vstream_close(mb->source);
    map_build_restore_ids(mb);
    if (sigprocmask(SIG_SETMASK, &mb->saved_signals, NULL) < 0)
        msg_fatal("sigprocmask: %m");
    myfree(mb);
}
