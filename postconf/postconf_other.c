/*
 * postconf_other - postconf's line printer and its small listing modes.
 *
 *   pcf_print_line   prints text with white space runs collapsed to one
 *                    space; with -f it folds before a word that would
 *                    reach column 80, continuing with four spaces
 *   pcf_show_maps    -m: the lookup table types this build supports,
 *                    sorted (from lib/table's type registry)
 *   pcf_show_locks   -l: mailbox locking methods (flock, fcntl, dotlock)
 *   pcf_show_sasl    -a: server SASL types (cyrus, dovecot);
 *                    -A: client SASL types (cyrus)
 */
#include <stdlib.h>
#include <string.h>

#include "table/dict.h"
#include "util/mymalloc.h"
#include "util/vstream.h"

#include "postconf.h"

#define PCF_LINE_LIMIT 80
#define PCF_INDENT "    "
#define PCF_SEPARATORS " \t\r\n"

void
pcf_print_line(struct vstream *out, int mode, const char *text)
{
    const char *word = text;
    size_t word_len;
    size_t line_len = 0;

    while (*(word += strspn(word, PCF_SEPARATORS)) != 0) {
        word_len = strcspn(word, PCF_SEPARATORS);
        if (line_len > 0) {
            if ((mode & PCF_FOLD_LINE) == 0 || line_len + word_len < PCF_LINE_LIMIT) {
                vstream_putc(out, ' ');
                line_len += 1;
            } else {
                vstream_puts(out, "\n" PCF_INDENT);
                line_len = strlen(PCF_INDENT);
            }
        }
        vstream_write(out, word, word_len);
        line_len += word_len;
        word += word_len;
    }
    vstream_putc(out, '\n');
}

static void
pcf_print_list(const char *const *names)
{
    struct vstream *out = vstream_stdout();

    for (; *names; names++)
        vstream_printf(out, "%s\n", *names);
    vstream_flush(out);
}

static int
pcf_compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void
pcf_show_maps(void)
{
    const struct dict_type *types = dict_type_list();
    const char **names;
    size_t count = 0;

    while (types[count].type != NULL)
        count++;
    names = mymalloc(sizeof(*names) * (count + 1));
    for (size_t i = 0; i < count; i++)
        names[i] = types[i].type;
    qsort(names, count, sizeof(*names), pcf_compare_strings);
    names[count] = NULL;
    pcf_print_list(names);
    myfree(names);
}

void
pcf_show_locks(void)
{
    static const char *const locks[] = {"flock", "fcntl", "dotlock", NULL};

    pcf_print_list(locks);
}

void
pcf_show_sasl(int mode)
{
    static const char *const server[] = {"cyrus", "dovecot", NULL};
    static const char *const client[] = {"cyrus", NULL};

    pcf_print_list((mode & PCF_SHOW_SASL_SERV) ? server : client);
}
