/*
 * log_delay - the delay numbers of Postfix's delivery log lines
 * ("delay=0.32, delays=0.01/0.02/0/0.29"), written the same way by the
 * delivery agents (deliver_request) and qmgr.
 *
 *   log_delay_append(buf, us, resolution)
 *       appends a delay of US microseconds in seconds: values of 100 s
 *       and more rounded to whole seconds; smaller ones with as many
 *       decimals as needed for two significant digits, at most
 *       RESOLUTION (delay_logging_resolution_limit), without trailing
 *       zeros ("0.32", "1.5", "12", "0"). A negative delay (a clock that
 *       went back) is written as 0.
 *   log_delay_now()   the current time in microseconds since the epoch
 */
#ifndef TERN_LOG_DELAY_H
#define TERN_LOG_DELAY_H

#include <stdint.h>

#include "util/vstring.h"

void log_delay_append(struct vstring *buf, int64_t us, int resolution);
int64_t log_delay_now(void);

#endif
