/*
 * master_cf_print - postconf's layout of master.cf text entries; see
 * master_cf.h.
 *
 *   master_cf_format_entry(out, text, flags)       one service, as -M shows it
 *   master_cf_format_field(out, text, field, flags) "name/type/field = value" (-F)
 *   master_cf_format_words(out, text, flags)       white space normalized, as
 *                                                  -P and main.cf values print
 *
 * Columns 0-6 start at fixed positions (0, 11, 17, 25, 33, 41, 49) with
 * the command at 57, always at least one space apart. With
 * MASTER_CF_FMT_FOLD a line is broken, with a four-space indent, before an
 * item that would reach column 80, and every option that takes a value
 * ("-o name=value") goes on a line of its own. An option value with white
 * space is shown in braces, and so is a later argument with white space
 * (not the first argument after the options). These rules, including their quirks (no space
 * is written after a first item of at most four characters), reproduce
 * Postfix 3.7's output byte for byte. Everything is appended to out, with
 * no final newline.
 */
#include <string.h>

#include "config/master_cf.h"

#define PRINT_LINE_LIMIT 80
#define PRINT_INDENT_LEN 4
#define PRINT_INDENT "    "

static const int print_column_goal[MASTER_CF_FIELDS] = {0, 11, 17, 25, 33, 41, 49, 57};

struct print_state {
    struct vstring *out;
    size_t line_len; /* characters on the current output line */
    int fold;
};

static void
print_text(struct print_state *ps, const char *text)
{
    vstring_strcat(ps->out, text);
    ps->line_len += strlen(text);
}

static void
print_newline(struct print_state *ps)
{
    vstring_strcat(ps->out, "\n" PRINT_INDENT);
    ps->line_len = PRINT_INDENT_LEN;
}

static int
print_has_blank(const char *text)
{
    return text[strcspn(text, MASTER_CF_BLANKS)] != 0;
}

/* Appends the command arguments (argv[8] onward) after the command name. */
static void
print_arguments(struct print_state *ps, const struct argv *ap)
{
    size_t i;
    size_t arg_len;
    const char *arg;
    const char *aval;
    int in_options = 1;
    int parens;

    for (i = MASTER_CF_FIELDS; i < ap->argc; i++) {
        arg = ap->argv[i];
        arg_len = strlen(arg);
        aval = NULL;
        parens = 0;
        if (in_options) {
            if (arg[0] != '-' || strcmp(arg, "--") == 0) {
                in_options = 0;
            } else if ((arg[1] == 'o' || arg[1] == 0) && i + 1 < ap->argc) {
                aval = ap->argv[i + 1];
                ps->line_len = PRINT_LINE_LIMIT; /* break before "-o value" */
                parens = print_has_blank(aval);
                arg_len += strlen(aval) + 3 + (parens ? 2 : 0);
            }
        } else {
            parens = print_has_blank(arg); /* not for the first non-option */
        }
        if (ps->line_len > PRINT_INDENT_LEN) {
            if (!ps->fold || ps->line_len + 1 + arg_len < PRINT_LINE_LIMIT)
                print_text(ps, " ");
            else
                print_newline(ps);
        }
        if (aval == NULL && parens)
            print_text(ps, "{");
        print_text(ps, arg);
        if (aval == NULL && parens)
            print_text(ps, "}");
        if (aval) {
            print_text(ps, " ");
            if (parens)
                print_text(ps, "{");
            print_text(ps, aval);
            if (parens)
                print_text(ps, "}");
            i += 1;
            ps->line_len = PRINT_LINE_LIMIT; /* and after it */
        }
    }
}

void
master_cf_format_entry(struct vstring *out, const struct master_cf_text *text, int flags)
{
    struct print_state ps = {out, 0, (flags & MASTER_CF_FMT_FOLD) != 0};
    const struct argv *ap = text->argv;
    int field;

    for (field = 0; field < MASTER_CF_FIELDS; field++) {
        if (field > 0) {
            do {
                print_text(&ps, " ");
            } while (ps.line_len < (size_t)print_column_goal[field]);
        }
        print_text(&ps, ap->argv[field]);
    }
    print_arguments(&ps, ap);
}

void
master_cf_format_field(struct vstring *out, const struct master_cf_text *text, int field, int flags)
{
    struct print_state ps = {out, 0, (flags & MASTER_CF_FMT_FOLD) != 0};
    const struct argv *ap = text->argv;

    if ((flags & MASTER_CF_FMT_HIDE_NAME) == 0) {
        print_text(&ps, ap->argv[MASTER_CF_FLD_SERVICE]);
        print_text(&ps, "/");
        print_text(&ps, ap->argv[MASTER_CF_FLD_TYPE]);
        print_text(&ps, "/");
        print_text(&ps, master_cf_field_name(field));
        print_text(&ps, " = ");
        if (ps.line_len + strlen(ap->argv[field]) > PRINT_LINE_LIMIT)
            print_newline(&ps);
    }
    print_text(&ps, ap->argv[field]);
    if (field == MASTER_CF_FLD_COMMAND)
        print_arguments(&ps, ap);
}

void
master_cf_format_words(struct vstring *out, const char *text, int flags)
{
    size_t line_len = 0;
    size_t word_len;
    const char *cp = text;

    for (;;) {
        cp += strspn(cp, MASTER_CF_BLANKS);
        if (*cp == 0)
            break;
        word_len = strcspn(cp, MASTER_CF_BLANKS);
        if (line_len > 0) {
            if ((flags & MASTER_CF_FMT_FOLD) == 0 || line_len + word_len < PRINT_LINE_LIMIT) {
                vstring_addch(out, ' ');
                line_len += 1;
            } else {
                vstring_strcat(out, "\n" PRINT_INDENT);
                line_len = PRINT_INDENT_LEN;
            }
        }
        vstring_memcat(out, cp, word_len);
        line_len += word_len;
        cp += word_len;
    }
}
