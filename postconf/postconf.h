/*
 * postconf - shared declarations of the postconf command's files.
 *
 *   postconf.c          command line, option compatibility, dispatch
 *   postconf_params.c   the parameter name space and printing (-n -d -x
 *                       -h -H -f -C)
 *   postconf_user.c     service and user-defined parameters from main.cf
 *                       and master.cf, undefined/unused/read-only warnings
 *   postconf_edit.c     main.cf editing (-e, name=value, -X, -#)
 *   postconf_other.c    -m, -l, -a, -A and line printing
 *   postconf_master.c   master.cf modes (its own header)
 *
 * Mode bits follow the order in which postconf names options in its
 * diagnostics ("specify one of -d -n").
 */
#ifndef TERN_POSTCONF_H
#define TERN_POSTCONF_H

#include "util/htable.h"
#include "util/vstream.h"

#define PCF_SHOW_SASL_SERV (1 << 0)  /* -a */
#define PCF_SHOW_SASL_CLNT (1 << 1)  /* -A */
#define PCF_EXP_DSN_TEMPL (1 << 2)   /* -b */
#define PCF_PARAM_CLASS (1 << 3)     /* -C */
#define PCF_SHOW_DEFS (1 << 4)       /* -d */
#define PCF_EDIT_CONF (1 << 5)       /* -e */
#define PCF_FOLD_LINE (1 << 6)       /* -f */
#define PCF_MASTER_FLD (1 << 7)      /* -F */
#define PCF_HIDE_NAME (1 << 8)       /* -h */
#define PCF_HIDE_VALUE (1 << 9)      /* -H */
#define PCF_SHOW_LOCKS (1 << 10)     /* -l */
#define PCF_SHOW_MAPS (1 << 11)      /* -m */
#define PCF_MASTER_ENTRY (1 << 12)   /* -M */
#define PCF_SHOW_NONDEF (1 << 13)    /* -n */
#define PCF_MAIN_OVER (1 << 14)      /* -o */
#define PCF_MAIN_PARAM (1 << 15)     /* -p */
#define PCF_MASTER_PARAM (1 << 16)   /* -P */
#define PCF_DUMP_DSN_TEMPL (1 << 17) /* -t */
#define PCF_SHOW_TLS (1 << 18)       /* -T */
#define PCF_SHOW_EVAL (1 << 19)      /* -x */
#define PCF_EDIT_EXCL (1 << 20)      /* -X */
#define PCF_COMMENT_OUT (1 << 21)    /* -# */

/* Parameter classes (postconf -C). */
#define PCF_CLASS_BUILTIN (1 << 0)
#define PCF_CLASS_SERVICE (1 << 1)
#define PCF_CLASS_USER (1 << 2)
#define PCF_CLASS_LEGACY (1 << 3) /* shown only once set (then USER) */
#define PCF_CLASS_ALL (PCF_CLASS_BUILTIN | PCF_CLASS_SERVICE | PCF_CLASS_USER)

struct mail_param;

/* One known parameter name. */
struct pcf_param {
    int class;                      /* PCF_CLASS_* */
    const struct mail_param *param; /* table entry, or NULL */
    char *defval;                   /* service default "$base"; NULL otherwise */
};

/* One master.cf service, as far as parameters are concerned. */
struct pcf_service {
    char *name;            /* service name column */
    char *command;         /* command column */
    struct htable *params; /* -o name -> value (char *) */
    struct htable *valid;  /* -o names validated in this service */
};

/* postconf_params.c */
extern struct htable *pcf_params;
extern const char *pcf_config_dir;
void pcf_register_builtin(void);
struct pcf_param *pcf_param_enter(const char *name, int class, const char *defval);
struct pcf_param *pcf_param_find(const char *name);
void pcf_apply_overrides(char **overrides);
void pcf_show_parameters(int mode, int class_mask, char **names);

/* postconf_user.c */
void pcf_read_services(int fail_on_open_error);
void pcf_register_service_params(void);
void pcf_register_user_params(void);
void pcf_flag_unused(int include_main);

/* postconf_edit.c */
void pcf_edit_main(int mode, char **args);

/* postconf_other.c */
void pcf_print_line(struct vstream *out, int mode, const char *text);
void pcf_show_maps(void);
void pcf_show_locks(void);
void pcf_show_sasl(int mode);

#endif
