/*
 * postmap_file - table values that are files ("postmap -F").
 *
 *   postmap_file_to_b64(pathnames, result, why)
 *       reads the files named in pathnames (separated by commas and/or
 *       white space), joins their contents with one newline between files,
 *       and stores the base64 encoding in result. Returns result, or NULL
 *       with the reason in why ("open NAME: No such file or directory",
 *       "read NAME: ...").
 *   postmap_file_from_b64(value, result, why)
 *       decodes a stored value. Returns result (a C string: decoded bytes
 *       after a NUL are not seen by callers that print it), or NULL with
 *       why set to "malformed BASE64 value: VALUE" (VALUE cut at 30 bytes).
 */
#ifndef TERN_POSTMAP_FILE_H
#define TERN_POSTMAP_FILE_H

#include "util/vstring.h"

struct vstring *postmap_file_to_b64(const char *pathnames, struct vstring *result,
                                    struct vstring *why);
struct vstring *postmap_file_from_b64(const char *value, struct vstring *result,
                                      struct vstring *why);

#endif
