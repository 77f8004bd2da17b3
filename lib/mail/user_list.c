/*
 * user_list - local users against a main.cf user list; see user_list.h.
 */
#include <pwd.h>

#include "config/mail_conf.h"
#include "mail/domain_list.h"
#include "mail/user_list.h"

int
user_list_match(const char *param, uid_t uid, struct vstring *name_buf)
{
    struct passwd *pw = getpwuid(uid);
    struct domain_list *list;
    int match;

    vstring_strcpy(name_buf, pw ? pw->pw_name : "unknown");
    list = domain_list_create(param, mail_conf_get(param), 0);
    match = domain_list_match(list, vstring_str(name_buf));
    domain_list_free(list);
    return match;
}
