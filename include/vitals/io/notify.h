/*
 * All contact with systemd goes through here: READY=1, STATUS=, WATCHDOG=1
 * and STOPPING=1 over the sd_notify protocol. Outside systemd (no
 * NOTIFY_SOCKET) every call does nothing.
 */
#ifndef VITALS_NOTIFY_H
#define VITALS_NOTIFY_H

#include <stdint.h>

/* Send a notification line such as "READY=1". */
void vt_notify(const char *state);
/* Send "STATUS=..." formatted. */
void vt_notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The watchdog interval in ms (0 if systemd asked for none). */
int64_t vt_notify_watchdog_ms(void);

#endif
