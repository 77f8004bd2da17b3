/*
 * stringops - small in-place string helpers shared by every parser.
 *
 *   lowercase(s)         folds ASCII letters to lower case, in place
 *   trim_blanks(s)       strips leading and trailing white space, in place
 *   split_at(s, ch)      cuts s at the first ch, returns what follows or NULL
 *   split_at_right(s,ch) the same at the last ch
 *   mystrtok(&cp, sep)   next token of *cp (skipping separators), or NULL
 *   alldig(s)            non-empty and only digits
 *   allprint(s)          only printable ASCII
 *   printable(s, repl)   replaces non-printable bytes with repl, in place
 */
#ifndef TERN_STRINGOPS_H
#define TERN_STRINGOPS_H

#include <stddef.h>

#define CHARS_SPACE " \t\r\n"
#define CHARS_COMMA_SP ", \t\r\n"

char *lowercase(char *str);
char *uppercase(char *str);
char *trim_blanks(char *str);
char *split_at(char *str, int ch);
char *split_at_right(char *str, int ch);
char *mystrtok(char **cpp, const char *sep);
int alldig(const char *str);
int allprint(const char *str);
char *printable(char *str, int replacement);
int ends_with(const char *str, const char *suffix);

#endif
