/*
 * postconf - show and edit Tern's (Postfix-compatible) configuration.
 *
 * Usage and behaviour follow Postfix 3.7's postconf(1); see
 * man/man1/postconf.1. This file parses the command line, refuses
 * conflicting options with Postfix's messages ("specify one of -d -n",
 * "with option -a, do not specify -x"), and dispatches:
 *   -m -l -a -A        listings (postconf_other.c)
 *   -M -F -P           master.cf, shown or edited by postconf_master.c
 *   -e -X -# name=value  main.cf editing (postconf_edit.c)
 *   otherwise          main.cf parameters (postconf_params.c), after
 *                      registering service and user-defined names and
 *                      before flagging unused ones (postconf_user.c)
 *
 * -c DIR selects the configuration directory (also exported as
 * MAIL_CONFIG). -b, -t (bounce templates) and -T (TLS library details)
 * are not supported by this version and fail with a message.
 *
 * Exit status: 0, or 1 after a fatal error; unknown parameter names are
 * warnings and leave the status at 0, as in Postfix.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>

#include "config/mail_conf.h"
#include "config/mail_params.h"
#include "util/argv.h"
#include "util/msg.h"
#include "util/mymalloc.h"
#include "util/stringops.h"
#include "util/vstring.h"

#include "postconf.h"
#include "postconf_master.h"

#define PCF_MAJOR_MODES                                                                            \
    (PCF_SHOW_SASL_SERV | PCF_SHOW_SASL_CLNT | PCF_EXP_DSN_TEMPL | PCF_SHOW_LOCKS |                \
     PCF_SHOW_MAPS | PCF_DUMP_DSN_TEMPL | PCF_MAIN_PARAM | PCF_MASTER_ENTRY | PCF_MASTER_FLD |     \
     PCF_MASTER_PARAM | PCF_SHOW_TLS)
#define PCF_MASTER_MODES (PCF_MASTER_ENTRY | PCF_MASTER_FLD | PCF_MASTER_PARAM)
#define PCF_EDIT_MODES (PCF_EDIT_CONF | PCF_EDIT_EXCL | PCF_COMMENT_OUT)

/* Option letters in the order postconf lists them in diagnostics. */
static const char pcf_option_letters[] = "aAbCdefFhHlmMnopPtTxX#";

/* Groups of options of which at most one may be given. */
static const int pcf_incompat[] = {
    PCF_MAJOR_MODES,
    PCF_SHOW_DEFS | PCF_EDIT_CONF | PCF_SHOW_NONDEF | PCF_COMMENT_OUT | PCF_EDIT_EXCL,
    PCF_FOLD_LINE | PCF_EDIT_MODES,
    PCF_SHOW_EVAL | PCF_EDIT_MODES,
    PCF_MAIN_OVER | PCF_SHOW_DEFS | PCF_EDIT_MODES,
    PCF_HIDE_NAME | PCF_EDIT_MODES | PCF_HIDE_VALUE,
    0,
};

/* Each major mode and the modifiers it accepts. */
static const int pcf_compat[][2] = {
    {PCF_SHOW_SASL_SERV, 0},
    {PCF_SHOW_SASL_CLNT, 0},
    {PCF_EXP_DSN_TEMPL, 0},
    {PCF_SHOW_LOCKS, 0},
    {PCF_SHOW_MAPS, 0},
    {PCF_SHOW_TLS, 0},
    {PCF_DUMP_DSN_TEMPL, 0},
    {PCF_MAIN_PARAM, PCF_EDIT_MODES | PCF_FOLD_LINE | PCF_HIDE_NAME | PCF_PARAM_CLASS |
                         PCF_SHOW_EVAL | PCF_SHOW_DEFS | PCF_SHOW_NONDEF | PCF_MAIN_OVER |
                         PCF_HIDE_VALUE},
    {PCF_MASTER_ENTRY, PCF_EDIT_MODES | PCF_FOLD_LINE | PCF_MAIN_OVER | PCF_SHOW_EVAL},
    {PCF_MASTER_FLD, PCF_EDIT_CONF | PCF_FOLD_LINE | PCF_HIDE_NAME | PCF_MAIN_OVER | PCF_SHOW_EVAL |
                         PCF_HIDE_VALUE},
    {PCF_MASTER_PARAM, PCF_EDIT_CONF | PCF_EDIT_EXCL | PCF_FOLD_LINE | PCF_HIDE_NAME |
                           PCF_MAIN_OVER | PCF_SHOW_EVAL | PCF_HIDE_VALUE},
    {0, 0},
};

static void __attribute__((noreturn)) pcf_usage(const char *progname)
{
    msg_fatal("usage: %s [-a (server SASL types)] [-A (client SASL types)] [-b (bounce templates)]"
              " [-c config_dir] [-C param_class] [-d (parameter defaults)]"
              " [-e (edit configuration)] [-f (fold lines)] [-F (master.cf fields)]"
              " [-h (no names)] [-H (no values)] [-l (lock types)] [-m (map types)]"
              " [-M (master.cf)] [-n (non-default parameters)]"
              " [-o name=value (override parameter value)] [-p (main.cf, default)]"
              " [-P (master.cf parameters)] [-t (bounce templates)]"
              " [-T compile-version|run-version|public-key-algorithms] [-v (verbose)]"
              " [-x (expand parameter values)] [-X (exclude)] [-# (comment-out)] [name...]",
              progname);
}

/* "-d -n": the option names of the bits in mask, in postconf's order. */
static const char *
pcf_option_names(struct vstring *buf, int mask)
{
    vstring_reset(buf);
    for (int i = 0; pcf_option_letters[i]; i++)
        if (mask & (1 << i))
            vstring_sprintf_append(buf, "%s-%c", vstring_len(buf) ? " " : "",
                                   pcf_option_letters[i]);
    return vstring_str(buf);
}

static void
pcf_check_options(int mode)
{
    struct vstring *buf1 = vstring_alloc(20);
    struct vstring *buf2 = vstring_alloc(20);
    int bits;
    int excess;

    for (const int *op = pcf_incompat; *op; op++) {
        bits = mode & *op;
        if ((bits & (bits - 1)) != 0)
            msg_fatal("specify one of %s", pcf_option_names(buf1, bits));
    }
    for (int i = 0; pcf_compat[i][0]; i++)
        if ((mode & pcf_compat[i][0]) &&
            (excess = mode & ~(pcf_compat[i][0] | pcf_compat[i][1])) != 0)
            msg_fatal("with option %s, do not specify %s", pcf_option_names(buf1, pcf_compat[i][0]),
                      pcf_option_names(buf2, excess));
    vstring_free(buf1);
    vstring_free(buf2);
}

static int
pcf_parse_class(const char *arg)
{
    static const struct {
        const char *name;
        int mask;
    } classes[] = {
        {"builtin", PCF_CLASS_BUILTIN},
        {"service", PCF_CLASS_SERVICE},
        {"user", PCF_CLASS_USER},
        {"all", PCF_CLASS_ALL},
    };
    char *copy = mystrdup(arg);
    char *cp = copy;
    char *word;
    int mask = 0;
    size_t i;

    while ((word = mystrtok(&cp, CHARS_COMMA_SP)) != NULL) {
        for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
            if (strcasecmp(word, classes[i].name) == 0)
                break;
        if (i == sizeof(classes) / sizeof(classes[0]))
            msg_fatal("unknown -C option value \"%s\" in \"%s\"", word, arg);
        mask |= classes[i].mask;
    }
    myfree(copy);
    return mask;
}

/* Shows main.cf parameters: the default mode of postconf. */
static void
pcf_main_params(int mode, int class_mask, char **overrides, char **names)
{
    mail_conf_reset();
    if ((mode & PCF_SHOW_DEFS) == 0) {
        mail_conf_load(pcf_config_dir);
        pcf_apply_overrides(overrides);
    }
    pcf_register_builtin();
    pcf_read_services(0);
    pcf_register_service_params();
    if ((mode & PCF_SHOW_DEFS) == 0)
        pcf_register_user_params();
    pcf_show_parameters(mode, class_mask, names);
    if ((mode & PCF_SHOW_DEFS) == 0)
        pcf_flag_unused(1);
}

static int
pcf_master_mode(int mode)
{
    return (mode & PCF_MASTER_ENTRY) ? 'M' : (mode & PCF_MASTER_FLD) ? 'F' : 'P';
}

/*
 * Shows master.cf entries. As Postfix, main.cf is read too (with -o
 * overrides) so that master.cf -o settings nobody uses can be flagged.
 */
static int
pcf_master_show(int mode, char **overrides, char **args)
{
    int flags = 0;
    int status;

    pcf_read_services(1);
    mail_conf_load(pcf_config_dir);
    pcf_apply_overrides(overrides);
    pcf_register_builtin();
    pcf_register_service_params();
    pcf_register_user_params();
    if (mode & PCF_FOLD_LINE)
        flags |= PCM_FOLD;
    if (mode & PCF_HIDE_NAME)
        flags |= PCM_HIDE_NAME;
    if (mode & PCF_SHOW_DEFS)
        flags |= PCM_SHOW_DEFS;
    status = postconf_master_show(pcf_config_dir, pcf_master_mode(mode), flags, args);
    pcf_flag_unused(0);
    return status;
}

static int
pcf_master(int mode, char **overrides, char **args)
{
    if (mode & PCF_EDIT_MODES) {
        if (args[0] == NULL)
            msg_fatal("missing service argument");
        return postconf_master_edit(pcf_config_dir, pcf_master_mode(mode),
                                    (mode & PCF_EDIT_CONF)   ? 'e'
                                    : (mode & PCF_EDIT_EXCL) ? 'X'
                                                             : '#',
                                    args);
    }
    return pcf_master_show(mode, overrides, args);
}

static int
pcf_dispatch(int mode, int class_mask, char **overrides, char **args)
{
    if (mode & (PCF_EXP_DSN_TEMPL | PCF_DUMP_DSN_TEMPL))
        msg_fatal("bounce templates (-b, -t) are not supported by this version");
    if (mode & PCF_SHOW_TLS)
        msg_fatal("TLS library information (-T) is not supported by this version");
    if (mode & PCF_SHOW_MAPS) {
        mail_conf_load(pcf_config_dir);
        pcf_show_maps();
    } else if (mode & PCF_SHOW_LOCKS) {
        pcf_show_locks();
    } else if (mode & PCF_MASTER_MODES) {
        return pcf_master(mode, overrides, args);
    } else if (mode & (PCF_SHOW_SASL_SERV | PCF_SHOW_SASL_CLNT)) {
        pcf_show_sasl(mode);
    } else if (mode & PCF_EDIT_MODES) {
        if (args[0] == NULL)
            msg_fatal("missing service argument");
        pcf_edit_main(mode, args);
    } else {
        pcf_main_params(mode, class_mask, overrides, args);
    }
    return 0;
}

int
main(int argc, char **argv)
{
    struct argv *overrides = argv_alloc(2);
    int class_mask = PCF_CLASS_ALL;
    int mode = 0;
    int status;
    int ch;

    umask(022);
    for (int fd = 0; fd < 3; fd++)
        if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
            msg_fatal("open /dev/null: %m");
    msg_init(argv[0], MSG_STDERR);
    while ((ch = getopt(argc, argv, "+aAbc:C:deEfFhHlmMno:pPtT:vxX#")) > 0) {
        switch (ch) {
        case 'c':
            if (setenv("MAIL_CONFIG", optarg, 1) < 0)
                msg_fatal("out of memory");
            break;
        case 'C':
            class_mask = pcf_parse_class(optarg);
            break;
        case 'o':
            mode |= PCF_MAIN_OVER;
            argv_add(overrides, optarg);
            break;
        case 'v':
            msg_verbose++;
            break;
        default:
            if (ch == 'E' || strchr(pcf_option_letters, ch) == NULL)
                pcf_usage(argv[0]);
            mode |= 1 << (strchr(pcf_option_letters, ch) - pcf_option_letters);
            break;
        }
    }
    if ((pcf_config_dir = getenv("MAIL_CONFIG")) == NULL)
        pcf_config_dir = DEF_CONFIG_DIR;
    if ((mode & PCF_MAJOR_MODES) == 0)
        mode |= PCF_MAIN_PARAM;
    if ((mode & (PCF_MAIN_PARAM | PCF_MASTER_MODES)) && argv[optind] && strchr(argv[optind], '='))
        mode |= PCF_EDIT_CONF;
    pcf_check_options(mode);
    if ((mode & PCF_EDIT_CONF) && argv[optind] == NULL)
        msg_fatal("-e requires name=value argument");
    status = pcf_dispatch(mode, class_mask, overrides->argv, argv + optind);
    argv_free(overrides);
    return status;
}
