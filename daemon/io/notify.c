/*
 * The sd_notify protocol through libsystemd. Kept in one place so the rest
 * of the daemon never needs to know whether systemd is there.
 */
#include <stdarg.h>
#include <stdio.h>

#include <systemd/sd-daemon.h>

#include "vitals/io/notify.h"

void
vt_notify(const char *state)
{
	sd_notify(0, state);
}

void
vt_notify_status(const char *fmt, ...)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "STATUS=");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	sd_notify(0, buf);
}

int64_t
vt_notify_watchdog_ms(void)
{
	uint64_t usec = 0;
	if (sd_watchdog_enabled(0, &usec) <= 0)
		return 0;
	return (int64_t)(usec / 1000);
}
