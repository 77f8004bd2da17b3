/*
 * postqueue.h - what the parts of the postqueue command share.
 *
 *   postqueue_show(mode)    postqueue_show.c: -p (POSTQUEUE_SHOW_TEXT) and
 *                           -j (POSTQUEUE_SHOW_JSON): the showq listing
 *   postqueue_showq_open()  postqueue_show.c: a stream to the showq
 *                           service, or to a stand-alone showq when the
 *                           mail system is down and the caller is root
 *
 * Every fatal error exits with EX_UNAVAILABLE (69), as Postfix's postqueue.
 */
#ifndef TERN_POSTQUEUE_H
#define TERN_POSTQUEUE_H

#include <sysexits.h>

#define POSTQUEUE_SHOW_TEXT 1
#define POSTQUEUE_SHOW_JSON 2


void postqueue_show(int mode);

#endif
