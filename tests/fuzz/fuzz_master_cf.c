/*
 * fuzz_master_cf - libFuzzer target for the master.cf parser, in both of
 * its views.
 *
 * The input is parsed as a whole master.cf with master_cf_parse (service
 * view: defaults, inet names, overrides, duplicates, $name expansion of
 * the overrides with a trivial expander). Then each line of the input is
 * parsed as one text-view entry, as postconf does, and printed in every
 * layout (-M plain and folded, every -F field, every -P parameter), and
 * edited (-Pe, -PX, -Fe of the command). None of it may crash, hang or
 * leak; warnings are silenced. No host name is ever resolved.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config/master_cf.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/vstring.h"

static char *
fuzz_expand(const char *text, void *context)
{
    (void)context;
    return mystrdup(text);
}

static void
fuzz_service_view(const uint8_t *data, size_t size, struct vstring *why)
{
    struct master_cf *table;
    struct argv *args;
    size_t i;

    if ((table = master_cf_parse("fuzz.cf", (const char *)data, size, why)) == NULL)
        return;
    for (i = 0; i < table->count; i++) {
        args = master_cf_expand_args(table->entries[i], fuzz_expand, NULL);
        argv_free(args);
        (void)master_cf_find(table, table->entries[i]->name, table->entries[i]->type);
    }
    master_cf_free(table);
}

static void
fuzz_text_view(const char *line, struct vstring *why, struct vstring *out)
{
    struct master_cf_text *text;
    struct argv *names;
    size_t i;
    int field;

    if ((text = master_cf_text_parse(line, 1, why)) == NULL)
        return;
    master_cf_format_entry(out, text, 0);
    master_cf_format_entry(out, text, MASTER_CF_FMT_FOLD);
    for (field = 0; field < MASTER_CF_FIELDS; field++)
        master_cf_format_field(out, text, field, MASTER_CF_FMT_FOLD);
    names = master_cf_text_param_names(text);
    for (i = 0; i < names->argc; i++)
        master_cf_format_words(out, htable_find(text->params, names->argv[i]), MASTER_CF_FMT_FOLD);
    if (names->argc > 0)
        master_cf_text_del_param(text, names->argv[0]);
    argv_free(names);
    master_cf_text_set_param(text, "fuzz", "value");
    (void)master_cf_text_set_field(text, MASTER_CF_FLD_COMMAND, line, why);
    master_cf_format_entry(out, text, MASTER_CF_FMT_FOLD);
    master_cf_text_free(text);
    vstring_reset(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct vstring *why;
    static struct vstring *out;
    char *copy;
    char *line;
    char *next;

    if (why == NULL) {
        msg_init("fuzz_master_cf", 0);
        why = vstring_alloc(100);
        out = vstring_alloc(100);
    }
    fuzz_service_view(data, size, why);
    copy = mystrndup((const char *)data, size);
    for (line = copy; line != NULL; line = next) {
        if ((next = strchr(line, '\n')) != NULL)
            *next++ = 0;
        fuzz_text_view(line, why, out);
    }
    myfree(copy);
    return 0;
}
