/*
 * mapcmd_conf - the main.cf settings postmap and postalias read, with a
 * fallback for a parameter the parameter table does not (yet) know.
 *
 *   mapcmd_conf_str(name, fallback)   expanded value
 *   mapcmd_conf_int(name, fallback)   integer value (fatal when malformed)
 *   mapcmd_conf_bool(name, fallback)  yes/no value (fatal when malformed)
 *   mapcmd_conf_import_environment()  applies the name=value elements of
 *                                     import_environment to our environment
 */
#ifndef TERN_MAPCMD_CONF_H
#define TERN_MAPCMD_CONF_H

const char *mapcmd_conf_str(const char *name, const char *fallback);
long mapcmd_conf_int(const char *name, long fallback);
int mapcmd_conf_bool(const char *name, int fallback);
void mapcmd_conf_import_environment(void);

#endif
