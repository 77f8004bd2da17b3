/*
 * domain_list - match a host or domain name against a main.cf list of
 * names, "/file/name" and "type:table" patterns, as mydestination,
 * virtual_alias_domains, virtual_mailbox_domains and relay_domains
 * are written.
 *
 *   list = domain_list_create("relay_domains", value, DOMAIN_LIST_SUBDOMAINS);
 *   switch (domain_list_match(list, "mail.example.com")) { 1, 0 or -1 }
 *   domain_list_changed(list)      has a table of the list changed?
 *   domain_list_free(list)
 *
 * Patterns are separated by commas and/or white space; a {...} group
 * (inline:{ a, b }) is one pattern. They are tried in order and the first
 * that matches decides:
 *   name         the name itself, case-insensitively;
 *   !pattern     a match of PATTERN means "no match" (and ends the search);
 *   /file/name   the patterns in that file (white space or comma
 *                separated, '#' comments), read when the list is created;
 *   type:table   (a ':' in a pattern that does not start with '['): the
 *                name is a lookup key of the table; the value is ignored.
 * Flags select how subdomains match:
 *   0                       only the whole name (Postfix's "string list":
 *                           mydestination, virtual_*_domains)
 *   DOMAIN_LIST_SUBDOMAINS  a ".example.com" pattern matches every
 *                           subdomain of example.com, and fixed-key tables
 *                           are also asked for ".parent" keys
 *                           (relay_domains)
 *   DOMAIN_LIST_SUBDOMAINS | DOMAIN_LIST_PARENT
 *                           a plain "example.com" matches itself and its
 *                           subdomains, and fixed-key tables are asked for
 *                           "parent" keys without the dot (the list's name
 *                           is in parent_domain_matches_subdomains). As in
 *                           Postfix, a ".example.com" pattern then matches
 *                           nothing (Postfix 3.7 behaves so; tested
 *                           against it)
 *
 * Names are folded to lower case before matching; patterns too (tables
 * fold their keys themselves). An empty name never matches.
 *
 * Errors: a table lookup that fails makes domain_list_match return -1
 * with list->error set to the table's DICT_ERR_* (the caller defers, it
 * never treats a failure as "no match"). A table that cannot be opened
 * fails every lookup this way (dict_open's surrogate). A "/file/name"
 * that cannot be read, or files nested more than a few levels deep, is a
 * configuration error: fatal, naming the parameter.
 */
#ifndef TERN_DOMAIN_LIST_H
#define TERN_DOMAIN_LIST_H

#include "table/dict.h"
#include "util/argv.h"

#define DOMAIN_LIST_SUBDOMAINS (1 << 0)
#define DOMAIN_LIST_PARENT (1 << 1)

struct domain_list {
    char *title;           /* parameter name, for messages */
    int flags;             /* DOMAIN_LIST_* */
    struct argv *patterns; /* lower-cased, files expanded; "!" kept */
    struct dict **dicts;   /* parallel to patterns: the table, or NULL */
    int error;             /* DICT_ERR_* of the last match */
};

struct domain_list *domain_list_create(const char *title, const char *value, int flags);
int domain_list_match(struct domain_list *list, const char *name);
int domain_list_changed(struct domain_list *list);
void domain_list_free(struct domain_list *list);

#endif
