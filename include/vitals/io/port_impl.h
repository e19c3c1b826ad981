/*
 * Private to the port module (port.c, port_serial.c, port_tcp.c); nothing
 * else includes this. port.c owns the state machine and the read/loss
 * rules; the two other files each know one way of getting a descriptor, so
 * libserialport and the socket calls stay out of the common code.
 */
#ifndef VITALS_PORT_IMPL_H
#define VITALS_PORT_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "vitals/drivers/driver.h"

struct sp_port;
struct addrinfo;

/* ---- port_serial.c ---- */

/*
 * Open a serial device through libserialport at `baud`, 8N1, `flow`. On
 * success returns a non-blocking descriptor owned by *sp (close it with
 * vt_serial_close). If libserialport does not recognise the device but it
 * is a terminal, it is opened as with vt_tty_open and *sp stays NULL.
 * -1 with a message naming the path.
 */
int vt_serial_open(const char *path, int baud, enum vt_flow flow, struct sp_port **sp,
                   char *err, size_t errlen);

/* Close a port opened by vt_serial_open (its descriptor with it). */
void vt_serial_close(struct sp_port **sp);

/*
 * Open a terminal (a pty slave, typically) with termios: raw, 8N1, `baud`,
 * `flow`, CLOCAL|CREAD, non-blocking. A descriptor, or -1 with a message.
 */
int vt_tty_open(const char *path, int baud, enum vt_flow flow, char *err, size_t errlen);

/* Whether `path` is (or links to) a pseudo-terminal slave. */
bool vt_tty_is_pty(const char *path);

/* ---- port_tcp.c ---- */

/*
 * Parse "tcp://HOST:PORT" (HOST may be [v6]) and resolve it. Numeric
 * addresses never touch the resolver; a name is looked up here, which can
 * take as long as the system resolver does. 0 and *out, or -1 with a message.
 */
int vt_tcp_resolve(const char *spec, struct addrinfo **out, char *err, size_t errlen);

/*
 * Start a non-blocking connect to *cursor, or to the addresses after it if
 * one fails at once; *cursor advances past the address tried. Returns the
 * socket (connected or in progress, keepalive on), or -1 when no address
 * is left; *last_errno keeps the latest failure for the message.
 */
int vt_tcp_connect_next(struct addrinfo **cursor, int *last_errno);

/* The outcome of a connect once the socket polled writable: 0 or an errno. */
int vt_tcp_connect_result(int fd);

#endif
