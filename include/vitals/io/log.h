/*
 * Logging for a service under systemd: one line per message on stderr,
 * prefixed with the sd-daemon priority (<3> error ... <7> debug) so the
 * journal keeps levels. vt_warn appends strerror(errno); vt_warnx does not.
 * Patient values are never logged above debug level.
 */
#ifndef VITALS_LOG_H
#define VITALS_LOG_H

#include <stdbool.h>

enum vt_log_level { VT_LOG_ERR = 3, VT_LOG_WARNING = 4, VT_LOG_NOTICE = 5, VT_LOG_INFO = 6,
                    VT_LOG_DEBUG = 7 };

void vt_log_set_verbose(bool verbose);
/* Whether debug messages are logged (-v): skip work that only feeds them. */
bool vt_log_verbose(void);
void vt_log(enum vt_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define vt_err(...) vt_log(VT_LOG_ERR, __VA_ARGS__)
#define vt_notice(...) vt_log(VT_LOG_NOTICE, __VA_ARGS__)
#define vt_info(...) vt_log(VT_LOG_INFO, __VA_ARGS__)
#define vt_debug(...) vt_log(VT_LOG_DEBUG, __VA_ARGS__)
#define vt_warnx(...) vt_log(VT_LOG_WARNING, __VA_ARGS__)
/* A warning with ": strerror(errno)" appended. */
void vt_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
