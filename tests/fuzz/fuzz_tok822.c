/*
 * fuzz_tok822 - libFuzzer target for the address parser (tok822) and the
 * address quoting (quote_addr), with arbitrary bytes as a header value.
 *
 * Input: one control byte, then the header value (it ends at its first
 * NUL, as a C string does). Control bit 0 selects a small token limit
 * (1 + bits 1-4), so the limit is reached often.
 *
 * Checks (abort on failure):
 *   - the externalized text is at most 6 * input + 16 bytes;
 *   - parsing the externalized text again gives the same addresses and
 *     the same externalized text (a fixed point after one round);
 *   - folding the TOK822_STR_LINE form gives text that parses to the same
 *     addresses;
 *   - for each address: unquote(quote_822(a)) == a, unquote(quote_821(a))
 *     == a, and tok822_addr_set(a) reads back as a;
 *   - addr_parse_header finds as many addresses as tok822_grep.
 * Must not crash, leak or hang on any input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/addr_parse.h"
#include "mail/header_line.h"
#include "mail/quote_addr.h"
#include "mail/tok822.h"
#include "util/argv.h"
#include "util/mymalloc.h"
#include "util/vstring.h"

#define FUZZ_INPUT_MAX 8192

/* The internal forms of the top-level addresses of TREE. */
static struct argv *
fuzz_addresses(struct tok822 *tree)
{
    struct argv *result = argv_alloc(4);
    struct vstring *buf = vstring_alloc(64);
    struct tok822 *tp;

    for (tp = tree; tp != NULL; tp = tp->next) {
        if (tp->type == TOK822_ADDR) {
            tok822_internalize(buf, tp->head, TOK822_STR_WIPE);
            argv_add(result, vstring_str(buf));
        }
    }
    vstring_free(buf);
    return result;
}

static void
fuzz_same_list(const struct argv *a, const struct argv *b)
{
    size_t n;

    if (a->argc != b->argc)
        abort();
    for (n = 0; n < a->argc; n++)
        if (strcmp(a->argv[n], b->argv[n]) != 0)
            abort();
}

/* Parses TEXT and returns its addresses; *ext gets the externalized form. */
static struct argv *
fuzz_parse(const char *text, size_t limit, struct vstring *ext, int flags)
{
    struct tok822 *tree = tok822_parse(text, limit, NULL);
    struct argv *addrs = fuzz_addresses(tree);

    tok822_externalize(ext, tree, TOK822_STR_WIPE | flags);
    tok822_free_tree(tree);
    return addrs;
}

/* The quoting round trips of one internal address. */
static void
fuzz_quote(const char *addr)
{
    struct vstring *quoted = vstring_alloc(64);
    struct vstring *plain = vstring_alloc(64);
    struct tok822 *node = tok822_alloc(TOK822_ADDR, NULL);

    unquote_822_local(plain, vstring_str(quote_822_local(quoted, addr, QUOTE_FLAG_DEFAULT)));
    if (strcmp(vstring_str(plain), addr) != 0)
        abort();
    unquote_822_local(plain, vstring_str(quote_821_local(quoted, addr, 0)));
    if (strcmp(vstring_str(plain), addr) != 0)
        abort();
    tok822_addr_set(node, addr);
    tok822_internalize(plain, node->head, TOK822_STR_WIPE);
    if (strcmp(vstring_str(plain), addr) != 0)
        abort();
    tok822_free_tree(node);
    vstring_free(quoted);
    vstring_free(plain);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text;
    size_t limit;
    size_t n;
    struct vstring *ext1 = vstring_alloc(64);
    struct vstring *ext2 = vstring_alloc(64);
    struct vstring *folded = vstring_alloc(64);
    struct argv *addrs1;
    struct argv *addrs2;
    struct argv *addrs3;
    struct argv *found = argv_alloc(4);

    if (size < 1 || size > FUZZ_INPUT_MAX)
        goto done;
    limit = (data[0] & 1) ? 1 + ((data[0] >> 1) & 15) : 0;
    text = mystrndup((const char *)data + 1, size - 1);

    addrs1 = fuzz_parse(text, limit, ext1, 0);
    if (vstring_len(ext1) > 6 * size + 16)
        abort();
    addrs2 = fuzz_parse(vstring_str(ext1), 0, ext2, 0);
    fuzz_same_list(addrs1, addrs2);
    if (strcmp(vstring_str(ext1), vstring_str(ext2)) != 0)
        abort();
    argv_free(addrs2);

    addrs2 = fuzz_parse(text, limit, ext2, TOK822_STR_LINE);
    header_line_fold(folded, vstring_str(ext2), HEADER_LINE_FOLD_WIDTH);
    addrs3 = fuzz_parse(vstring_str(folded), 0, ext2, 0);
    fuzz_same_list(addrs1, addrs3);
    argv_free(addrs2);
    argv_free(addrs3);

    if ((size_t)addr_parse_header(text, limit, found, NULL) != addrs1->argc)
        abort();
    fuzz_same_list(addrs1, found);
    for (n = 0; n < addrs1->argc; n++)
        fuzz_quote(addrs1->argv[n]);
    argv_free(addrs1);
    myfree(text);
done:
    argv_free(found);
    vstring_free(ext1);
    vstring_free(ext2);
    vstring_free(folded);
    return 0;
}
