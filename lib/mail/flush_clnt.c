/*
 * flush_clnt - the client side of protocol flush_v1 (docs/ipc.md; see
 * flush_clnt.h for the entry points).
 *
 * One request per connection: connect to public/$flush_service_name,
 * check the announcement, send one list (request and its arguments), read
 * one list (status), close. Every step is bounded by ipc_timeout
 * (mail_connect sets it on the stream). A failure to connect or a broken
 * reply is logged as a warning ("connect to public/flush: Connection
 * refused", as Postfix's client says) and returned as FLUSH_STAT_FAIL; a
 * status the server sends is returned as it is, so a caller can tell an
 * unexpected one (postqueue: "Unknown flush server reply status N").
 */
#include <string.h>

#include "config/mail_conf.h"
#include "mail/attr.h"
#include "mail/domain_list.h"
#include "mail/flush_clnt.h"
#include "mail/mail_connect.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/stringops.h"
#include "util/vstream.h"
#include "util/vstring.h"

static struct domain_list *flush_domains;

/* Is fast_flush_domains listed in parent_domain_matches_subdomains? */
static int
flush_parent_style(void)
{
    char *copy = mystrdup(mail_conf_get("parent_domain_matches_subdomains"));
    char *cp = copy;
    char *item;
    int found = 0;

    while (!found && (item = mystrtok(&cp, CHARS_COMMA_SP)) != NULL)
        found = strcmp(item, "fast_flush_domains") == 0;
    myfree(copy);
    return found;
}

void
flush_init(void)
{
    int flags = DOMAIN_LIST_SUBDOMAINS;

    if (flush_domains != NULL)
        return;
    if (flush_parent_style())
        flags |= DOMAIN_LIST_PARENT;
    flush_domains =
        domain_list_create("fast_flush_domains", mail_conf_get("fast_flush_domains"), flags);
}

int
flush_site_eligible(const char *site)
{
    flush_init();
    return domain_list_match(flush_domains, site);
}

/* Sends one request list; SITE and QUEUE_ID are sent when not NULL. */
static int
flush_send_request(struct vstream *fp, const char *request, const char *site, const char *queue_id)
{
    int more = site != NULL || queue_id != NULL;

    if (attr_print(fp, more ? ATTR_FLAG_MORE : ATTR_FLAG_NONE,
                   ATTR_SEND_STR(FLUSH_ATTR_REQUEST, request), ATTR_TYPE_END) < 0)
        return -1;
    if (site != NULL && attr_print(fp, queue_id != NULL ? ATTR_FLAG_MORE : ATTR_FLAG_NONE,
                                   ATTR_SEND_STR(FLUSH_ATTR_SITE, site), ATTR_TYPE_END) < 0)
        return -1;
    if (queue_id != NULL &&
        attr_print(fp, ATTR_FLAG_NONE, ATTR_SEND_STR(FLUSH_ATTR_QUEUE_ID, queue_id),
                   ATTR_TYPE_END) < 0)
        return -1;
    return 0;
}

/* One request, one reply; the server's status or FLUSH_STAT_FAIL. */
static int
flush_request(const char *request, const char *site, const char *queue_id)
{
    const char *service = mail_conf_get("flush_service_name");
    struct vstring *why = vstring_alloc(100);
    struct vstream *fp;
    int status = FLUSH_STAT_FAIL;

    fp =
        mail_connect(NULL, MAIL_CLASS_PUBLIC, service, (int)mail_conf_get_time("ipc_timeout"), why);
    if (fp == NULL) {
        msg_warn("%s", vstring_str(why));
    } else {
        if (attr_expect_protocol(fp, FLUSH_PROTOCOL) < 0 ||
            flush_send_request(fp, request, site, queue_id) < 0 ||
            attr_scan(fp, ATTR_FLAG_NONE, ATTR_RECV_INT(FLUSH_ATTR_STATUS, &status),
                      ATTR_TYPE_END) != 1) {
            msg_warn("%s socket: %s", vstream_path(fp), attr_error_reason());
            status = FLUSH_STAT_FAIL;
        }
        vstream_close(fp);
    }
    vstring_free(why);
    return status;
}

/* The local eligibility check of add and send_site. */
static int
flush_site_request(const char *request, const char *site, const char *queue_id)
{
    switch (flush_site_eligible(site)) {
    case 1:
        return flush_request(request, site, queue_id);
    case 0:
        return FLUSH_STAT_DENY;
    default:
        msg_warn("fast_flush_domains: table lookup error for \"%s\"", site);
        return FLUSH_STAT_FAIL;
    }
}

static void
flush_check_arg(const char *func, const char *value)
{
    if (value == NULL || *value == 0)
        msg_panic("%s: missing argument", func);
}

int
flush_add(const char *site, const char *queue_id)
{
    flush_check_arg("flush_add", site);
    flush_check_arg("flush_add", queue_id);
    return flush_site_request(FLUSH_REQ_ADD, site, queue_id);
}

int
flush_send_site(const char *site)
{
    flush_check_arg("flush_send_site", site);
    return flush_site_request(FLUSH_REQ_SEND_SITE, site, NULL);
}

int
flush_send_file(const char *queue_id)
{
    flush_check_arg("flush_send_file", queue_id);
    return flush_request(FLUSH_REQ_SEND_FILE, NULL, queue_id);
}

int
flush_refresh(void)
{
    return flush_request(FLUSH_REQ_REFRESH, NULL, NULL);
}

int
flush_purge(void)
{
    return flush_request(FLUSH_REQ_PURGE, NULL, NULL);
}
