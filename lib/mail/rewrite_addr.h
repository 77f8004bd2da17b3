/*
 * rewrite_addr - trivial-rewrite's "rewrite" operation: bring an address
 * to standard user@domain form, in one of two contexts.
 *
 *   rewrite_addr_init()
 *       reads the parameters below from main.cf; call it again after the
 *       configuration changes (tests). The other functions call it on
 *       first use.
 *   rewrite_addr(rule, addr, result)
 *       ADDR and RESULT are in internal (unquoted) form. RULE is a context
 *       name, "local" or "remote". Returns 0, or -1 for an unknown rule
 *       (RESULT untouched).
 *   rewrite_rule_find(name)
 *       REWRITE_LOCAL, REWRITE_REMOTE, or -1.
 *   rewrite_tree(rule, addr)
 *       the same operation on a parsed address (a TOK822_ADDR node from
 *       tok822_scan_addr of the external form), in place; resolve_addr
 *       uses it.
 *
 * The steps, in order:
 *   1. The empty address stays empty; a lone "@" token (external form;
 *      the internal "@" is an empty local part plus an empty domain)
 *      becomes the empty address.
 *   2. A source route is removed: "@a,@b:user@domain" -> "user@domain".
 *   3. Only when no '@' is left:
 *        swap_bangpath = yes:      "site!user" -> "user@site" (at the
 *                                  first '!'; "a!b!u" -> "b!u@a");
 *        else allow_percent_hack:  "user%domain" -> "user@domain" (at the
 *                                  last '%');
 *        else append_at_myorigin:  "user" -> "user@ORIGIN", when ORIGIN is
 *                                  not empty.
 *   4. append_dot_mydomain = yes: "user@host" -> "user@host.DOMAIN" when the
 *      domain has no '.', is not a [literal] and is not empty, and DOMAIN
 *      is not empty.
 *   5. One trailing dot is removed from the domain ("user@host." ->
 *      "user@host"), but not from "@." or "..".
 * In context "local", ORIGIN is $myorigin and DOMAIN is $mydomain; in
 * context "remote", both are $remote_header_rewrite_domain, so an empty
 * value appends nothing. Quoted text is never looked into: '@', '!' and
 * '%' inside a quoted local part are not operators.
 *
 * Never fails on odd input: an address that does not fit these forms is
 * left as it is. An empty myorigin or mydomain is a configuration error
 * (fatal, as in Postfix); an empty remote_header_rewrite_domain is not.
 */
#ifndef TERN_REWRITE_ADDR_H
#define TERN_REWRITE_ADDR_H

#include "mail/tok822.h"
#include "util/vstring.h"

#define REWRITE_LOCAL 0
#define REWRITE_REMOTE 1

#define REWRITE_RULE_LOCAL "local"
#define REWRITE_RULE_REMOTE "remote"

void rewrite_addr_init(void);
int rewrite_rule_find(const char *name);
int rewrite_addr(const char *rule, const char *addr, struct vstring *result);
void rewrite_tree(int rule, struct tok822 *addr);

#endif
