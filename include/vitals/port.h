/*
 * A monitor's port: a serial device (through libserialport), a
 * pseudo-terminal (through termios, because libserialport refuses ptys),
 * or a serial device server at tcp://HOST:PORT (non-blocking connect). The
 * event loop polls vt_port_fd() for vt_port_events() and calls
 * vt_port_handle() when it fires. Nothing here blocks and nothing retries:
 * reopening with backoff is the loop's decision.
 */
#ifndef VITALS_PORT_H
#define VITALS_PORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vitals/driver.h"

enum vt_port_kind { VT_PORT_SERIAL, VT_PORT_PTY, VT_PORT_TCP };

enum vt_port_io {
	VT_IO_NOTHING,   /* spurious wake-up; nothing to do */
	VT_IO_DATA,      /* *n bytes were read into the buffer */
	VT_IO_CONNECTED, /* the TCP connection completed (or the port just opened) */
	VT_IO_LOST       /* the port is gone (EOF, EIO, hang-up, reset); it is closed now */
};

struct vt_port;

/* A port for `spec` (device path, pty path or tcp://HOST:PORT); not opened yet. */
struct vt_port *vt_port_new(const char *spec, int baud, enum vt_flow flow);
void vt_port_free(struct vt_port **p);

/* What kind of port `spec` names. */
enum vt_port_kind vt_port_kind_of(const char *spec);

/*
 * Start opening. 0: open (serial, pty) or connecting (TCP: wait for
 * POLLOUT, then vt_port_handle returns VT_IO_CONNECTED); -1: failed, with
 * a reason in err.
 */
int vt_port_open(struct vt_port *p, char *err, size_t errlen);

/* The descriptor to poll, or -1 while closed. */
int vt_port_fd(const struct vt_port *p);
/* The poll events to wait for (POLLIN, or POLLOUT while connecting). */
short vt_port_events(const struct vt_port *p);
/* Whether the port is open and delivering bytes. */
int vt_port_is_open(const struct vt_port *p);

/*
 * Act on poll results `revents`. Reads at most `cap` bytes into buf.
 * On VT_IO_LOST the port has been closed and err says why.
 */
enum vt_port_io vt_port_handle(struct vt_port *p, short revents, uint8_t *buf, size_t cap,
                               size_t *n, char *err, size_t errlen);

/* Write bytes (a driver's open_bytes). 0, or -1 with err. */
int vt_port_write(struct vt_port *p, const uint8_t *bytes, size_t len, char *err, size_t errlen);

/* Close if open. */
void vt_port_close(struct vt_port *p);

#endif
