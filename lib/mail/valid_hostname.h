/*
 * valid_hostname - syntax checks for host names and address literals as
 * they appear in mail addresses and SMTP commands. No DNS is involved.
 *
 *   valid_hostname(name, utf8)
 *       1 when NAME is a sound host or domain name: at most 255 bytes;
 *       labels of 1 to 63 bytes separated by single dots (no leading or
 *       trailing dot); label bytes letters, digits, '-' (not first or
 *       last in a label) and '_'; and not all-numeric ("123", "1.2.3.4"
 *       are refused: those are addresses, not names). With UTF8 non-zero,
 *       bytes above 127 are accepted as letters when the whole name is
 *       well-formed UTF-8 (smtputf8_enable).
 *   valid_hostaddr(text)
 *       1 when TEXT is a numeric IPv4 address (dotted quad) or IPv6
 *       address, without brackets.
 *   valid_mailhost_literal(text)
 *       1 when TEXT is an address literal "[a.b.c.d]" or "[IPv6:...]"
 *       (the "IPv6:" tag in any case) holding a valid address.
 *   mailhost_literal_addr(text)
 *       for a valid literal, a pointer to the address inside it and its
 *       length through *len (no tag, no brackets); NULL otherwise.
 *
 * All accept any NUL-terminated input and never log.
 */
#ifndef TERN_VALID_HOSTNAME_H
#define TERN_VALID_HOSTNAME_H

#include <stddef.h>

#define VALID_HOSTNAME_LEN 255
#define VALID_LABEL_LEN 63

int valid_hostname(const char *name, int utf8);
int valid_hostaddr(const char *text);
int valid_mailhost_literal(const char *text);
const char *mailhost_literal_addr(const char *text, size_t *len);

#endif
