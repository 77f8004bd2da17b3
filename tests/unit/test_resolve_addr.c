/*
 * test_resolve_addr - table-driven tests of lib/mail/resolve_addr (and
 * through it domain_list, own_inet_addr and valid_hostname): each case is
 * main.cf settings, a request kind, a sender and a recipient, and the
 * expected flags, transport, nexthop and recipient. The expected values
 * follow trivial-rewrite(8), transport(5), relocated(5) and postconf(5)
 * for every parameter the resolver reads, and were checked against
 * Postfix 3.7's trivial-rewrite on the same settings (see the differential
 * test in tests/integration/test_trivial_rewrite.py).
 *
 * Tables are texthash files in a temporary directory that main.cf reaches
 * as $config_directory. Interface addresses are pinned with
 * inet_interfaces = 127.0.0.1 so that results do not depend on the host.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/mail_conf.h"
#include "config/mail_params.h"
#include "mail/domain_list.h"
#include "mail/own_inet_addr.h"
#include "mail/resolve_addr.h"
#include "mail/valid_hostname.h"
#include "util/mymalloc.h"
#include "util/vstring.h"
#include "conf_test_helpers.h"

#define BASE                                                                                       \
    "myhostname=host.example.com|mydomain=example.com|compatibility_level=3.6|"                    \
    "inet_interfaces=127.0.0.1"

/* Address classes and their transports. */
#define CLASSES                                                                                    \
    BASE "|relay_domains=example.net, .relay.org, both.test"                                       \
         "|parent_domain_matches_subdomains="                                                      \
         "|virtual_alias_domains=valias.test, both.test|virtual_mailbox_domains=vmbox.test"
#define RELAYHOST CLASSES "|relayhost=[gw.example.com]:587"
#define TRANSPORT                                                                                  \
    RELAYHOST "|transport_maps=texthash:$config_directory/transport|recipient_delimiter=+"
#define SENDERDEP                                                                                  \
    RELAYHOST "|sender_dependent_relayhost_maps=texthash:$config_directory/sdrelay"                \
              "|sender_dependent_default_transport_maps=texthash:$config_directory/sdtransport"
#define VERIFY                                                                                     \
    SENDERDEP "|address_verify_relayhost=[probe.host]|address_verify_default_transport=vsmtp"      \
              "|address_verify_local_transport=vlocal|address_verify_virtual_transport=vvirt"      \
              "|address_verify_relay_transport=vrelay"                                             \
              "|address_verify_transport_maps=texthash:$config_directory/vtransport"

#define LOCAL RESOLVE_CLASS_LOCAL
#define ALIAS RESOLVE_CLASS_ALIAS
#define VIRTUAL RESOLVE_CLASS_VIRTUAL
#define RELAY RESOLVE_CLASS_RELAY
#define DEFAULT RESOLVE_CLASS_DEFAULT
#define ROUTED RESOLVE_FLAG_ROUTED
#define ERROR RESOLVE_FLAG_ERROR
#define FAIL RESOLVE_FLAG_FAIL

struct resolve_case {
    const char *settings; /* name=value|name=value... */
    int kind;
    const char *sender;
    const char *addr;
    int flags;
    const char *transport; /* not compared when NULL */
    const char *nexthop;
    const char *recipient;
};

#define REG RESOLVE_REGULAR
#define VFY RESOLVE_VERIFY

static const struct resolve_case cases[] = {
    /* mydestination, myhostname, local_transport ("local:$myhostname") */
    {BASE, REG, "", "user", LOCAL, "local", "host.example.com", "user@host.example.com"},
    {BASE, REG, "", "user@localhost", LOCAL, "local", "host.example.com", "user@localhost"},
    {BASE, REG, "", "USER@LOCALHOST", LOCAL, "local", "host.example.com", "USER@LOCALHOST"},
    {BASE, REG, "", "user@host.example.com.", LOCAL, "local", "host.example.com",
     "user@host.example.com"},
    {BASE, REG, "", "user@localhost.example.com", LOCAL, "local", "host.example.com",
     "user@localhost.example.com"},
    {BASE "|local_transport=local", REG, "", "user@localhost", LOCAL, "local", "localhost",
     "user@localhost"},
    {BASE "|mydestination=localhost", REG, "", "user", DEFAULT, "smtp", "host.example.com",
     "user@host.example.com"},
    {BASE "|mydestination=$myhostname, !neg.example.com, .example.com", REG, "",
     "u@sub.example.com", DEFAULT, "smtp", "sub.example.com", "u@sub.example.com"},
    {BASE "|mydestination=$config_directory/dest", REG, "", "u@file.test", LOCAL, "local",
     "host.example.com", "u@file.test"},
    {BASE "|mydestination=$config_directory/dest", REG, "", "u@other.file.test", LOCAL, "local",
     "host.example.com", "u@other.file.test"},
    {BASE "|mydestination=texthash:$config_directory/dest", REG, "", "u@table.test", LOCAL, "local",
     "host.example.com", "u@table.test"},
    {BASE "|mydestination=texthash:$config_directory/missing", REG, "", "u@x.test", FAIL, NULL,
     NULL, NULL},
    /* inet_interfaces, proxy_interfaces: user@[address] is local */
    {BASE, REG, "", "user@[127.0.0.1]", LOCAL, "local", "host.example.com", "user@[127.0.0.1]"},
    {BASE, REG, "", "user@[1.2.3.4]", DEFAULT, "smtp", "[1.2.3.4]", "user@[1.2.3.4]"},
    {BASE "|proxy_interfaces=192.0.2.1", REG, "", "u@[192.0.2.1]", LOCAL, "local",
     "host.example.com", "u@[192.0.2.1]"},
    {BASE "|inet_interfaces=127.0.0.1, [::1]", REG, "", "u@[IPv6:::1]", LOCAL, "local",
     "host.example.com", "u@[IPv6:::1]"},
    {BASE "|inet_interfaces=127.0.0.1, [::1]", REG, "", "u@[ipv6:0::1]", LOCAL, "local",
     "host.example.com", "u@[ipv6:0::1]"},
    {BASE, REG, "", "user@[300.1.1.1]", DEFAULT | ERROR, "", "", "user@[300.1.1.1]"},
    /* resolve_numeric_domain */
    {BASE, REG, "", "user@127.0.0.1", DEFAULT | ERROR, "", "", "user@127.0.0.1"},
    {BASE "|resolve_numeric_domain=yes", REG, "", "user@127.0.0.1", LOCAL, "local",
     "host.example.com", "user@[127.0.0.1]"},
    {BASE "|resolve_numeric_domain=yes", REG, "", "user@192.0.2.7", DEFAULT, "smtp", "[192.0.2.7]",
     "user@[192.0.2.7]"},
    /* resolve_null_domain */
    {BASE, REG, "", "user@", DEFAULT | ERROR, "", "", "user@"},
    {BASE "|resolve_null_domain=yes", REG, "", "user@", LOCAL, "local", "host.example.com",
     "user@host.example.com"},
    /* empty_address_recipient */
    {BASE, REG, "", "", LOCAL, "local", "host.example.com", "MAILER-DAEMON@host.example.com"},
    {BASE, REG, "", "@localhost", LOCAL, "local", "host.example.com", "MAILER-DAEMON@localhost"},
    {BASE "|empty_address_recipient=postmaster", REG, "", "", LOCAL, "local", "host.example.com",
     "postmaster@host.example.com"},
    {BASE, REG, "", "@", DEFAULT | ERROR, "", "", "MAILER-DAEMON@"},
    /* allow_min_user */
    {BASE, REG, "", "-user", LOCAL | ERROR, "local", "host.example.com", "-user@host.example.com"},
    {BASE "|allow_min_user=yes", REG, "", "-user", LOCAL, "local", "host.example.com",
     "-user@host.example.com"},
    /* routing in local parts: allow_percent_hack, swap_bangpath, resolve_dequoted_address */
    {BASE, REG, "", "u%remote.org@localhost", DEFAULT, "smtp", "remote.org", "u@remote.org"},
    {BASE, REG, "", "remote.org!u@localhost", DEFAULT, "smtp", "remote.org", "u@remote.org"},
    {BASE, REG, "", "u%v", DEFAULT, "smtp", "v", "u@v"},
    {BASE, REG, "", "u!v", DEFAULT, "smtp", "u", "v@u"},
    {BASE "|allow_percent_hack=no", REG, "", "u%remote.org@localhost", LOCAL | ROUTED, "local",
     "host.example.com", "u%remote.org@localhost"},
    {BASE "|swap_bangpath=no", REG, "", "remote.org!u@localhost", LOCAL | ROUTED, "local",
     "host.example.com", "remote.org!u@localhost"},
    {BASE, REG, "", "user@remote@localhost", DEFAULT, "smtp", "remote", "user@remote"},
    {BASE, REG, "", "a b%remote@localhost", DEFAULT, "smtp", "remote", "a b@remote"},
    {BASE, REG, "", "a b%c%remote@localhost", DEFAULT | ROUTED, "smtp", "remote", "a b%c@remote"},
    {BASE, REG, "", "a b!c%d@localhost", DEFAULT | ROUTED, "smtp", "d", "a b!c@d"},
    {BASE "|append_dot_mydomain=yes", REG, "", "user@remote@localhost", DEFAULT, "smtp",
     "remote.example.com", "user@remote.example.com"},
    {BASE "|resolve_dequoted_address=no", REG, "", "user@remote@localhost", LOCAL | ROUTED, "local",
     "host.example.com", "user@remote@localhost"},
    {BASE, REG, "", "a@b@remote", DEFAULT | ROUTED, "smtp", "remote", "a@b@remote"},
    {BASE, REG, "", "u%d@remote.org", DEFAULT | ROUTED, "smtp", "remote.org", "u%d@remote.org"},
    /* bad domain syntax */
    {BASE, REG, "", "user@localhost..", DEFAULT | ERROR, "", "", "user@localhost.."},
    {BASE, REG, "", "user@a..b", DEFAULT | ERROR, "", "", "user@a..b"},
    {BASE, REG, "", "user@-a.b", DEFAULT | ERROR, "", "", "user@-a.b"},
    {BASE, REG, "", "user@123", DEFAULT | ERROR, "", "", "user@123"},
    {BASE, REG, "", "user@a_b.c", DEFAULT, "smtp", "a_b.c", "user@a_b.c"},
    {BASE, REG, "", "user@1.2.3.4a", DEFAULT, "smtp", "1.2.3.4a", "user@1.2.3.4a"},
    {BASE, REG, "",
     "u@b\xc3\xbc"
     "cher.de",
     DEFAULT, "smtp",
     "b\xc3\xbc"
     "cher.de",
     "u@b\xc3\xbc"
     "cher.de"},
    {BASE "|smtputf8_enable=no", REG, "",
     "u@b\xc3\xbc"
     "cher.de",
     DEFAULT | ERROR, "", "",
     "u@b\xc3\xbc"
     "cher.de"},
    /* address classes */
    {CLASSES, REG, "", "u@valias.test", ALIAS, "error", "5.1.1 User unknown in virtual alias table",
     "u@valias.test"},
    {CLASSES "|show_user_unknown_table_name=no", REG, "", "u@valias.test", ALIAS, "error",
     "5.1.1 User unknown", "u@valias.test"},
    {CLASSES, REG, "", "u@both.test", ALIAS, "error", "5.1.1 User unknown in virtual alias table",
     "u@both.test"},
    {CLASSES, REG, "", "u@vmbox.test", VIRTUAL, "virtual", "vmbox.test", "u@vmbox.test"},
    {CLASSES "|virtual_transport=virtual:vhost", REG, "", "u@vmbox.test", VIRTUAL, "virtual",
     "vhost", "u@vmbox.test"},
    {CLASSES, REG, "", "u@example.net", RELAY, "relay", "example.net", "u@example.net"},
    {CLASSES, REG, "", "u@sub.example.net", DEFAULT, "smtp", "sub.example.net",
     "u@sub.example.net"},
    {CLASSES, REG, "", "u@a.relay.org", RELAY, "relay", "a.relay.org", "u@a.relay.org"},
    {CLASSES, REG, "", "u@relay.org", DEFAULT, "smtp", "relay.org", "u@relay.org"},
    {CLASSES "|parent_domain_matches_subdomains=relay_domains", REG, "", "u@sub.example.net", RELAY,
     "relay", "sub.example.net", "u@sub.example.net"},
    {CLASSES "|parent_domain_matches_subdomains=relay_domains", REG, "", "u@a.relay.org", DEFAULT,
     "smtp", "a.relay.org", "u@a.relay.org"},
    {CLASSES "|relay_transport=relay:[relay.gw]", REG, "", "u@example.net", RELAY, "relay",
     "[relay.gw]", "u@example.net"},
    {CLASSES, REG, "", "u@other.com", DEFAULT, "smtp", "other.com", "u@other.com"},
    {CLASSES "|default_transport=uucp:gateway", REG, "", "u@other.com", DEFAULT, "uucp", "gateway",
     "u@other.com"},
    {CLASSES "|virtual_alias_maps=texthash:$config_directory/valias|virtual_alias_domains="
             "$virtual_alias_maps",
     REG, "", "x@va2.test", ALIAS, "error", "5.1.1 User unknown in virtual alias table",
     "x@va2.test"},
    /* relayhost */
    {RELAYHOST, REG, "", "u@other.com", DEFAULT, "smtp", "[gw.example.com]:587", "u@other.com"},
    {RELAYHOST, REG, "", "u@example.net", RELAY, "relay", "[gw.example.com]:587", "u@example.net"},
    {RELAYHOST, REG, "", "u@vmbox.test", VIRTUAL, "virtual", "vmbox.test", "u@vmbox.test"},
    {RELAYHOST, REG, "", "u@localhost", LOCAL, "local", "host.example.com", "u@localhost"},
    {RELAYHOST "|relay_transport=relay:[relay.gw]", REG, "", "u@example.net", RELAY, "relay",
     "[relay.gw]", "u@example.net"},
    /* transport_maps: search order, null fields, error and retry */
    {TRANSPORT, REG, "", "special@other.com", DEFAULT, "slow", "[special.host]",
     "special@other.com"},
    {TRANSPORT, REG, "", "special+x@other.com", DEFAULT, "slow", "[special.host]",
     "special+x@other.com"},
    {TRANSPORT, REG, "", "u@other.com", DEFAULT, "fast", "other.com", "u@other.com"},
    {TRANSPORT, REG, "", "u@sub.other.com", DEFAULT, "smtp", "[gw.example.com]:587",
     "u@sub.other.com"},
    {TRANSPORT, REG, "", "u@x.deep.test", DEFAULT, "deep", "x.deep.test", "u@x.deep.test"},
    {TRANSPORT, REG, "", "u@deep.test", DEFAULT, "smtp", "[gw.example.com]:587", "u@deep.test"},
    {TRANSPORT "|parent_domain_matches_subdomains=transport_maps", REG, "", "u@sub.other.com",
     DEFAULT, "fast", "sub.other.com", "u@sub.other.com"},
    {TRANSPORT, REG, "", "u@err.test", DEFAULT, "error", "5.1.2 Bad destination", "u@err.test"},
    {TRANSPORT, REG, "", "u@retry.test", DEFAULT, "retry", "Address is undeliverable",
     "u@retry.test"},
    {TRANSPORT, REG, "", "u@colon.test", DEFAULT, "smtp", "[gw.example.com]:587", "u@colon.test"},
    {TRANSPORT, REG, "", "u@hostonly.test", DEFAULT, "smtp", "[h.only]:25", "u@hostonly.test"},
    {TRANSPORT, REG, "", "u@valias.test", ALIAS, "error",
     "5.1.1 User unknown in virtual alias table", "u@valias.test"},
    {TRANSPORT, REG, "", "u@localhost", LOCAL, "local", "host.example.com", "u@localhost"},
    {TRANSPORT "|transport_maps=texthash:$config_directory/wild", REG, "", "u@localhost", LOCAL,
     "local", "host.example.com", "u@localhost"},
    {TRANSPORT "|transport_maps=texthash:$config_directory/wild", REG, "", "u@other.com", DEFAULT,
     "wild", "[wild.host]", "u@other.com"},
    {TRANSPORT "|transport_maps=texthash:$config_directory/wild", REG, "", "u@example.net", RELAY,
     "wild", "[wild.host]", "u@example.net"},
    {TRANSPORT "|transport_maps=texthash:$config_directory/missing", REG, "", "u@other.com",
     DEFAULT | FAIL, NULL, NULL, NULL},
    {TRANSPORT "|transport_maps=inline:{u@other.com=:}", REG, "", "u@other.com", DEFAULT, "smtp",
     "[gw.example.com]:587", "u@other.com"},
    {TRANSPORT "|transport_maps=inline:{*=smtp:}", REG, "", "u@other.com", DEFAULT, "smtp",
     "other.com", "u@other.com"},
    /* sender_dependent_relayhost_maps, sender_dependent_default_transport_maps */
    {SENDERDEP, REG, "s@sender.test", "u@other.com", DEFAULT, "smtp", "[sdr.host]", "u@other.com"},
    {SENDERDEP, REG, "x@relay-sender.test", "u@example.net", RELAY, "relay", "[rs.host]",
     "u@example.net"},
    {SENDERDEP, REG, "dunno@sender.test", "u@other.com", DEFAULT, "smtp", "[gw.example.com]:587",
     "u@other.com"},
    {SENDERDEP, REG, "", "u@other.com", DEFAULT, "smtp", "[null.host]", "u@other.com"},
    {SENDERDEP "|empty_address_relayhost_maps_lookup_key=nobody", REG, "", "u@other.com", DEFAULT,
     "smtp", "[gw.example.com]:587", "u@other.com"},
    {SENDERDEP, REG, "a@other.test", "u@other.com", DEFAULT, "special", "[sdt.host]",
     "u@other.com"},
    {SENDERDEP, REG, "a@other.test", "u@example.net", RELAY, "relay", "[gw.example.com]:587",
     "u@example.net"},
    {SENDERDEP, REG, "b@relay-sender.test", "u@other.com", DEFAULT, "smtp", "[rs.host]",
     "u@other.com"},
    {SENDERDEP, REG, "s@sender.test", "u@localhost", LOCAL, "local", "host.example.com",
     "u@localhost"},
    /* relocated_maps */
    {CLASSES "|relocated_maps=texthash:$config_directory/relocated", REG, "", "moved@other.com",
     DEFAULT, "error", "5.1.6 User has moved to new@place.test", "moved@other.com"},
    {CLASSES "|relocated_maps=texthash:$config_directory/relocated", REG, "", "u@moveddom.test",
     DEFAULT, "error", "5.1.6 User has moved to elsewhere", "u@moveddom.test"},
    {CLASSES "|relocated_maps=texthash:$config_directory/relocated", REG, "", "moved", LOCAL,
     "error", "5.1.6 User has moved to localmoved", "moved@host.example.com"},
    {CLASSES "|relocated_maps=texthash:$config_directory/relocated", REG, "", "moved@example.net",
     RELAY, "relay", "example.net", "moved@example.net"},
    /* verify: the address_verify_* parameters */
    {VERIFY, VFY, "", "u@other.com", DEFAULT, "vsmtp", "[null.host]", "u@other.com"},
    {VERIFY, VFY, "dunno@sender.test", "u@other.com", DEFAULT, "vsmtp", "[probe.host]",
     "u@other.com"},
    {VERIFY, VFY, "", "u@localhost", LOCAL, "vlocal", "localhost", "u@localhost"},
    {VERIFY, VFY, "", "u@vmbox.test", VIRTUAL, "vvirt", "vmbox.test", "u@vmbox.test"},
    {VERIFY, VFY, "dunno@sender.test", "u@example.net", RELAY, "vrelay", "[probe.host]",
     "u@example.net"},
    {VERIFY, VFY, "", "u@vt.test", DEFAULT, "vfast", "[vhost]", "u@vt.test"},
    {VERIFY, REG, "dunno@sender.test", "u@other.com", DEFAULT, "smtp", "[gw.example.com]:587",
     "u@other.com"},
    /* a null transport is a configuration error (the class is still reported) */
    {BASE "|local_transport=:foo", REG, "", "u@localhost", LOCAL | FAIL, NULL, NULL, NULL},
    {BASE "|default_transport=:", REG, "", "u@other.com", DEFAULT | FAIL, NULL, NULL, NULL},
};

static char conf_dir[] = "/tmp/test_resolve_addr.XXXXXX";

static void
write_file(const char *name, const char *text)
{
    char path[256];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", conf_dir, name);
    if ((fp = fopen(path, "w")) == NULL || fputs(text, fp) < 0 || fclose(fp) != 0)
        fail_msg("write %s", path);
}

static int
setup(void **state)
{
    (void)state;
    if (mkdtemp(conf_dir) == NULL)
        return -1;
    write_file("transport", "special@other.com slow:[special.host]\n"
                            "err.test error:5.1.2 Bad destination\n"
                            "retry.test retry:\n"
                            "colon.test :\n"
                            "hostonly.test :[h.only]:25\n"
                            ".deep.test deep:\n"
                            "other.com fast\n");
    write_file("wild", "localhost :\n* wild:[wild.host]\n");
    write_file("vtransport", "vt.test vfast:[vhost]\n");
    write_file("sdrelay", "s@sender.test [sdr.host]\ndunno@sender.test DUNNO\n"
                          "@relay-sender.test [rs.host]\n<> [null.host]\n");
    write_file("sdtransport", "a@other.test special:[sdt.host]\n@relay-sender.test dunno\n");
    write_file("relocated", "moved@other.com new@place.test\n@moveddom.test elsewhere\n"
                            "moved localmoved\n");
    write_file("dest", "host.example.com\n# comment\nfile.test, other.file.test\ntable.test x\n");
    write_file("valias", "va2.test whatever\nx@va2.test y@elsewhere\n");
    return 0;
}

static int
teardown(void **state)
{
    char path[256];
    static const char *names[] = {"transport",   "wild",      "vtransport", "sdrelay",
                                  "sdtransport", "relocated", "dest",       "valias"};

    (void)state;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", conf_dir, names[i]);
        unlink(path);
    }
    return rmdir(conf_dir);
}

/* Applies SETTINGS on top of an empty configuration; reopens everything. */
static void
apply_settings(const char *settings)
{
    test_conf_apply(settings);
    mail_conf_set("config_directory", conf_dir);
    resolve_addr_init();
}

/* Compares one field; prints and counts a difference. */
static int
field_differs(size_t i, const char *name, const char *got, const char *want)
{
    if (want == NULL || strcmp(got, want) == 0)
        return 0;
    print_error("case %zu (%s): %s \"%s\", want \"%s\"\n", i, cases[i].addr, name, got, want);
    return 1;
}

static void
test_resolve_cases(void **state)
{
    struct resolve_reply *reply = resolve_reply_alloc();
    const struct resolve_case *tc;
    int failures = 0;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tc = cases + i;
        apply_settings(tc->settings);
        resolve_addr(tc->kind, tc->sender, tc->addr, reply);
        if (reply->flags != tc->flags) {
            print_error("case %zu (%s) [%s]: flags 0x%x, want 0x%x\n", i, tc->addr, tc->settings,
                        (unsigned)reply->flags, (unsigned)tc->flags);
            failures++;
        }
        failures += field_differs(i, "transport", vstring_str(reply->transport), tc->transport);
        failures += field_differs(i, "nexthop", vstring_str(reply->nexthop), tc->nexthop);
        failures += field_differs(i, "recipient", vstring_str(reply->recipient), tc->recipient);
    }
    assert_int_equal(failures, 0);
    resolve_reply_free(reply);
}

static void
test_resolve_local(void **state)
{
    (void)state;
    apply_settings(BASE "|proxy_interfaces=192.0.2.1");
    assert_int_equal(resolve_local("host.example.com"), 1);
    assert_int_equal(resolve_local("HOST.example.com."), 1);
    assert_int_equal(resolve_local("host.example.com.."), 0);
    assert_int_equal(resolve_local("localhost"), 1);
    assert_int_equal(resolve_local("[127.0.0.1]"), 1);
    assert_int_equal(resolve_local("[192.0.2.1]"), 1);
    assert_int_equal(resolve_local("[192.0.2.2]"), 0);
    assert_int_equal(resolve_local("127.0.0.1"), 0);
    assert_int_equal(resolve_local("[127.0.0.1"), 0);
    assert_int_equal(resolve_local(""), 0);
    assert_int_equal(resolve_local("."), 0);
    assert_int_equal(resolve_local("example.com"), 0);
}

/* A table that changes on disk is reported, so that the daemon restarts. */
static void
test_resolve_changed(void **state)
{
    char path[256];

    (void)state;
    apply_settings(TRANSPORT);
    assert_null(resolve_addr_changed());
    snprintf(path, sizeof(path), "%s/transport", conf_dir);
    sleep(1);
    write_file("transport", "other.com slower\n");
    assert_non_null(resolve_addr_changed());
    assert_non_null(strstr(resolve_addr_changed(), "transport"));
    apply_settings(TRANSPORT);
    assert_null(resolve_addr_changed());
}

/* Odd input never crashes, and always gets a recipient with a domain. */
static void
test_resolve_odd_input(void **state)
{
    static const char *odd[] = {
        "<u@x>",     "u@x,v@y", "\"",  "(",   "[", "\\", "@@@",     ":::",     "!!!",
        "%%%",       "a@b:c@d", "@:",  "@a,", ".", "..", "u@h.(c)", "a b!c d", "!a b@localhost",
        "\"\"@\"\"", "@[",      "u@[", "u@]"};
    struct resolve_reply *reply = resolve_reply_alloc();
    size_t i;

    (void)state;
    apply_settings(BASE "|resolve_numeric_domain=yes|resolve_null_domain=yes");
    for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
        resolve_addr(RESOLVE_REGULAR, "", odd[i], reply);
        assert_non_null(strchr(vstring_str(reply->recipient), '@'));
        assert_true(reply->flags & RESOLVE_CLASS_MASK);
    }
    resolve_reply_free(reply);
}

static void
test_domain_list(void **state)
{
    struct domain_list *list;

    (void)state;
    mail_conf_reset();
    list =
        domain_list_create("t", "Example.COM, !bad.example.net .example.net inline:{k.test=1}", 0);
    assert_int_equal(domain_list_match(list, "example.com"), 1);
    assert_int_equal(domain_list_match(list, "EXAMPLE.com"), 1);
    assert_int_equal(domain_list_match(list, "sub.example.com"), 0);
    assert_int_equal(domain_list_match(list, "x.example.net"), 0); /* no subdomains here */
    assert_int_equal(domain_list_match(list, "k.test"), 1);
    assert_int_equal(domain_list_match(list, "K.TEST"), 1);
    assert_int_equal(domain_list_match(list, ""), 0);
    domain_list_free(list);

    list = domain_list_create("t", "!bad.example.net .example.net inline:{.tab.test=1}",
                              DOMAIN_LIST_SUBDOMAINS);
    assert_int_equal(domain_list_match(list, "x.example.net"), 1);
    assert_int_equal(domain_list_match(list, "bad.example.net"), 0);
    assert_int_equal(domain_list_match(list, "example.net"), 0);
    assert_int_equal(domain_list_match(list, "a.b.tab.test"), 1);
    assert_int_equal(domain_list_match(list, "tab.test"), 0);
    domain_list_free(list);

    list = domain_list_create("t", "example.org .dot.test inline:{tab.test=1}",
                              DOMAIN_LIST_SUBDOMAINS | DOMAIN_LIST_PARENT);
    assert_int_equal(domain_list_match(list, "a.b.example.org"), 1);
    assert_int_equal(domain_list_match(list, "xexample.org"), 0);
    assert_int_equal(domain_list_match(list, "a.dot.test"), 0); /* as Postfix */
    assert_int_equal(domain_list_match(list, "a.tab.test"), 1);
    domain_list_free(list);

    list = domain_list_create("t", "fail:x", 0);
    assert_int_equal(domain_list_match(list, "a.test"), -1);
    assert_int_not_equal(list->error, DICT_ERR_NONE);
    domain_list_free(list);
}

static void
test_valid_hostname(void **state)
{
    size_t len;

    (void)state;
    assert_true(valid_hostname("a.example.com", 0));
    assert_true(valid_hostname("a_b-c.d", 0));
    assert_true(valid_hostname("1.2.3.4a", 0));
    assert_false(valid_hostname("", 0));
    assert_false(valid_hostname("1.2.3.4", 0));
    assert_false(valid_hostname("123", 0));
    assert_false(valid_hostname("a..b", 0));
    assert_false(valid_hostname(".a", 0));
    assert_false(valid_hostname("a.", 0));
    assert_false(valid_hostname("-a.b", 0));
    assert_false(valid_hostname("a-.b", 0));
    assert_false(valid_hostname("a b", 0));
    assert_false(valid_hostname("b\xc3\xbc"
                                "cher.de",
                                0));
    assert_true(valid_hostname("b\xc3\xbc"
                               "cher.de",
                               1));
    assert_false(valid_hostname("b\xff.de", 1));
    assert_true(
        valid_hostname("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.b", 0));
    assert_false(
        valid_hostname("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.b", 0));
    assert_true(valid_mailhost_literal("[1.2.3.4]"));
    assert_true(valid_mailhost_literal("[IPv6:::1]"));
    assert_true(valid_mailhost_literal("[ipv6:2001:db8::1]"));
    assert_false(valid_mailhost_literal("[::1]"));
    assert_false(valid_mailhost_literal("[IPv6:1.2.3.4]"));
    assert_false(valid_mailhost_literal("[1.2.3]"));
    assert_false(valid_mailhost_literal("[300.1.1.1]"));
    assert_false(valid_mailhost_literal("1.2.3.4"));
    assert_false(valid_mailhost_literal("[]"));
    assert_string_equal(mailhost_literal_addr("[IPv6:::1]", &len), "::1]");
    assert_int_equal(len, 3);
    assert_true(valid_hostaddr("::1"));
    assert_true(valid_hostaddr("10.0.0.1"));
    assert_false(valid_hostaddr("10.0.0"));
}

static void
test_own_inet_addr(void **state)
{
    (void)state;
    mail_conf_reset();
    mail_conf_set("inet_interfaces", "loopback-only");
    mail_conf_set("proxy_interfaces", "[192.0.2.1], 192.0.2.2");
    own_inet_addr_init();
    assert_true(own_inet_addr_match("127.0.0.1"));
    assert_true(own_inet_addr_match("::1"));
    assert_true(own_inet_addr_match("0:0::1"));
    assert_false(own_inet_addr_match("127.0.0.2"));
    assert_false(own_inet_addr_match("localhost"));
    assert_true(proxy_inet_addr_match("192.0.2.1"));
    assert_true(proxy_inet_addr_match("192.0.2.2"));
    assert_false(proxy_inet_addr_match("127.0.0.1"));
    mail_conf_set("inet_protocols", "ipv4");
    own_inet_addr_init();
    assert_false(own_inet_addr_match("::1"));
    mail_conf_set("inet_interfaces", "all");
    own_inet_addr_init();
    assert_true(own_inet_addr_match("127.0.0.1")); /* lo is always up */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resolve_cases),   cmocka_unit_test(test_resolve_local),
        cmocka_unit_test(test_resolve_changed), cmocka_unit_test(test_resolve_odd_input),
        cmocka_unit_test(test_domain_list),     cmocka_unit_test(test_valid_hostname),
        cmocka_unit_test(test_own_inet_addr),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
