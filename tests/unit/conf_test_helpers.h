/*
 * conf_test_helpers - main.cf settings for table-driven unit tests:
 * test_conf_apply("name=value|name=value") resets the configuration
 * (mail_conf_reset) and sets each pair with mail_conf_set. A pair without
 * '=' fails the test. Include after <cmocka.h>; everything is static.
 */
#ifndef TERN_CONF_TEST_HELPERS_H
#define TERN_CONF_TEST_HELPERS_H

#include <string.h>

#include "config/mail_conf.h"
#include "config/mail_params.h"
#include "util/mymalloc.h"

static inline void
test_conf_apply(const char *settings)
{
    char *copy = mystrdup(settings);
    char *item = copy;
    char *next;
    char *eq;

    mail_conf_reset();
    for (; item != NULL; item = next) {
        if ((next = strchr(item, '|')) != NULL)
            *next++ = 0;
        if ((eq = strchr(item, '=')) == NULL)
            fail_msg("bad setting \"%s\"", item);
        *eq = 0;
        mail_conf_set(item, eq + 1);
    }
    myfree(copy);
}

#endif
