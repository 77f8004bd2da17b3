/*
 * error - the delivery agent of master.cf's "error" and "retry" services
 * (error(8)): it delivers nothing, it only reports.
 *
 *   error [daemon skeleton options]      single style, protocol deliver_v1
 *
 * Service "retry" (the -n name, master.cf column 1): every recipient is
 * deferred. Any other name (normally "error"): every recipient is
 * bounced. The reason is the request's next hop, which trivial-rewrite or
 * transport_maps filled in ("error:5.1.1 no such user", "retry:..."): when
 * the text starts with an enhanced status code (4.x.x or 5.x.x) that code
 * is the DSN status and the rest is the reason; otherwise the status is
 * 5.0.0 (error) or 4.0.0 (retry). A 4.x.x code given to "error" defers
 * instead of bouncing, as the code asks. An empty next hop gives the
 * reason "unknown reason". In verification mode the same results are
 * reported (deliver_request logs them as deliverable/undeliverable).
 *
 * Bad input: a malformed request is logged by deliver_request and the
 * connection dropped; qmgr defers those recipients.
 */
#include <ctype.h>
#include <string.h>

#include "mail/deliver_request.h"
#include "master/mail_server.h"
#include "util/msg.h"
#include "util/vstring.h"

/* Does TEXT start with "C.N.N" (C = 4 or 5) followed by a space or end? */
static size_t
error_code_len(const char *text)
{
    const char *cp = text;
    int dots = 0;

    if (*cp != '4' && *cp != '5')
        return 0;
    cp++;
    while (dots < 2) {
        if (*cp++ != '.' || !isdigit((unsigned char)*cp))
            return 0;
        while (isdigit((unsigned char)*cp))
            cp++;
        dots++;
    }
    if (cp - text > 11 || (*cp != 0 && *cp != ' '))
        return 0;
    return (size_t)(cp - text);
}

static void
error_serve(struct vstream *client, const char *service, char **args)
{
    struct deliver_request *req;
    struct vstring *dsn = vstring_alloc(16);
    const char *text;
    size_t len;
    int retry = strcmp(service, "retry") == 0;
    int status;

    (void)args;
    if ((req = deliver_request_read(client)) == NULL) {
        vstring_free(dsn);
        return;
    }
    text = req->nexthop;
    if ((len = error_code_len(text)) > 0) {
        vstring_strncpy(dsn, text, len);
        text += len;
        while (*text == ' ')
            text++;
    } else {
        vstring_strcpy(dsn, retry ? "4.0.0" : "5.0.0");
    }
    if (*text == 0)
        text = "unknown reason";
    status = (retry || vstring_str(dsn)[0] == '4') ? DEL_RCPT_DEFER : DEL_RCPT_BOUNCE;
    for (int i = 0; i < req->rcpt_count; i++)
        deliver_result(req, i, status, vstring_str(dsn),
                       status == DEL_RCPT_DEFER ? "delayed" : "failed", "none", "%s", text);
    deliver_request_done(req, 0, "");
    vstring_free(dsn);
}

int
main(int argc, char **argv)
{
    static const struct mail_server server = {
        .serve = error_serve,
    };

    single_server_main(argc, argv, &server);
}
