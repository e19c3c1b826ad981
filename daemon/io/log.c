/*
 * stderr logging with sd-daemon priority prefixes. systemd's journal reads
 * the "<N>" prefix as the priority, which is all a modern daemon needs:
 * no syslog socket, no log files to rotate. Every line is escaped
 * (base/escape.h) on its way out.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vitals/base/escape.h"
#include "vitals/io/log.h"

static bool verbose;

void
vt_log_set_verbose(bool v)
{
	verbose = v;
}

bool
vt_log_verbose(void)
{
	return verbose;
}

static void
s_vlog(enum vt_log_level level, const char *suffix, const char *fmt, va_list ap)
{
	if (level == VT_LOG_DEBUG && !verbose)
		return;
	char line[1024], safe[VT_ESCAPE_SIZE(1024)];
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	/* What went into the line may have come from a device or a client:
	 * escaped here, once for every caller, it cannot start a forged line
	 * (a newline, then "<0>...") or steer a terminal. */
	vt_escape(safe, sizeof(safe), line, n < 0 ? 0 : strnlen(line, sizeof(line)));
	/* One fprintf per line keeps lines whole when several processes share stderr. */
	if (suffix)
		fprintf(stderr, "<%d>%s: %s\n", (int)level, safe, suffix);
	else
		fprintf(stderr, "<%d>%s\n", (int)level, safe);
}

void
vt_log(enum vt_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	s_vlog(level, NULL, fmt, ap);
	va_end(ap);
}

void
vt_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	s_vlog(VT_LOG_WARNING, strerror(saved), fmt, ap);
	va_end(ap);
	errno = saved;
}
