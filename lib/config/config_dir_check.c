/*
 * config_dir_check - authorization of a non-default configuration
 * directory for set-gid programs; see config_dir_check.h.
 */
#include <string.h>
#include <unistd.h>

#include "config/config_dir_check.h"
#include "config/mail_conf.h"
#include "config/mail_params.h"
#include "util/argv.h"
#include "util/msg.h"

/* Is DIR listed in the loaded main.cf's parameter NAME? */
static int
config_dir_listed(const char *name, const char *dir)
{
    const char *value = mail_conf_get(name);
    struct argv *list = argv_split(value ? value : "", ", \t\r\n");
    int found = 0;

    for (size_t i = 0; i < list->argc && !found; i++)
        found = strcmp(list->argv[i], dir) == 0;
    argv_free(list);
    return found;
}

void
config_dir_check(const char *dir, int status)
{
    if (dir == NULL || strcmp(dir, DEF_CONFIG_DIR) == 0 || getuid() == 0)
        return;
    mail_conf_load(DEF_CONFIG_DIR);
    if (config_dir_listed("alternate_config_directories", dir) ||
        config_dir_listed("multi_instance_directories", dir))
        return;
    msg_error("unauthorized configuration directory name: %s", dir);
    msg_fatal_status(status,
                     "specify \"alternate_config_directories = %s\" or "
                     "\"multi_instance_directories = %s\" in %s/main.cf",
                     dir, dir, DEF_CONFIG_DIR);
}
