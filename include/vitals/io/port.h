/*
 * A monitor's port: a serial device (through libserialport), a
 * pseudo-terminal (through termios, because libserialport refuses ptys),
 * a serial device server at tcp://HOST:PORT (non-blocking connect), an
 * HL7 listener at mllp://HOST:PORT that monitors connect to (port_mllp.c),
 * or a monitor on a LAN at udp://HOST[:PORT] that speaks in datagrams
 * (port_udp.c). The
 * event loop polls vt_port_fd() for vt_port_events() and calls
 * vt_port_handle() when it fires. Nothing here blocks and nothing retries:
 * reopening with backoff is the loop's decision.
 *
 * Event bits are poll(2)'s (POLLIN, POLLOUT, POLLHUP, POLLERR, POLLNVAL).
 * With zmq_poll, translate both ways: ZMQ_POLLOUT is not POLLOUT, and
 * zmq_poll reports a hang-up as ZMQ_POLLERR (pass it on as POLLERR).
 *
 * The descriptor can change inside vt_port_handle (a TCP connect that
 * fails moves on to the host's next address), so read vt_port_fd() and
 * vt_port_events() again after every call.
 */
#ifndef VITALS_PORT_H
#define VITALS_PORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vitals/drivers/driver.h"

enum vt_port_kind { VT_PORT_SERIAL, VT_PORT_PTY, VT_PORT_TCP, VT_PORT_MLLP, VT_PORT_UDP };

/* An mllp:// listener (docs/drivers.md, hl7-mllp): connections it keeps at most. */
#define VT_MLLP_CONNECTIONS 8

enum vt_port_io {
	VT_IO_NOTHING,   /* spurious wake-up; nothing to do */
	VT_IO_DATA,      /* *n bytes were read into the buffer */
	VT_IO_CONNECTED, /* the TCP connection completed, or (udp://) the monitor announced
	                  * itself, its announcement in the buffer; the port is open now */
	VT_IO_LOST       /* the port is gone (EOF, EIO, hang-up, reset); it is closed now */
};

struct vt_port;

/* A port for `spec` (device path, pty path, tcp:// or mllp://); not opened yet. */
struct vt_port *vt_port_new(const char *spec, int baud, enum vt_flow flow);
/*
 * mllp:// only: the bed takes the messages of this HL7 sender alone (an
 * hl7_id; NULL: all), and the listener closes a connection silent for
 * idle_ms. 0, or -1 (not an mllp:// port, or out of memory).
 */
int vt_port_set_hl7(struct vt_port *p, const char *hl7_id, int64_t idle_ms);
/* mllp:// only (else nothing): a new idle_ms for an open port's listener (a reload). */
void vt_port_set_hl7_idle(struct vt_port *p, int64_t idle_ms);
/* How often the mllp:// listeners' bounds were crossed since the start (for ping). */
struct vt_mllp_totals {
	uint64_t refused;  /* connections beyond VT_MLLP_CONNECTIONS */
	uint64_t too_long; /* messages longer than VT_MLLP_MAX, answered AE */
	uint64_t busy;     /* messages answered AE because a bed's queue was full */
};
void vt_port_mllp_totals(struct vt_mllp_totals *t);
void vt_port_free(struct vt_port **p);
/* The parity of a serial line (default none), from the next open on. */
void vt_port_set_parity(struct vt_port *p, enum vt_parity parity);
/* udp://: where the monitor's announcement is listened for, "HOST:PORT"
 * (NULL: 0.0.0.0:24005), from the next open on. 0, or -1 out of memory. */
int vt_port_set_announce(struct vt_port *p, const char *announce);

/* What kind of port `spec` names: tcp:// is TCP, udp:// UDP; a path that resolves to
 * /dev/pts/N or to a pty slave device is a pty; anything else is serial. */
enum vt_port_kind vt_port_kind_of(const char *spec);

/*
 * Start opening (closing first if open). 0: open (serial, pty:
 * vt_port_is_open() is already true) or connecting (TCP: wait for POLLOUT,
 * then vt_port_handle returns VT_IO_CONNECTED, or VT_IO_LOST if the
 * connection failed; UDP: wait for POLLIN, the monitor's announcement);
 * -1: failed, with a reason in err. The kind is
 * decided again at each open, so a pty link may appear after start-up.
 * A TCP host name is resolved here with the system resolver (which can
 * block); numeric addresses never wait.
 */
int vt_port_open(struct vt_port *p, char *err, size_t errlen);

/* The descriptor to poll, or -1 while closed. */
int vt_port_fd(const struct vt_port *p);
/* The poll events to wait for: POLLIN, plus POLLOUT while output waits;
 * POLLOUT alone while a TCP connect is under way, POLLIN while a UDP port
 * waits for its monitor. */
short vt_port_events(const struct vt_port *p);
/* Whether the port is open and delivering bytes. */
int vt_port_is_open(const struct vt_port *p);

/*
 * Act on poll results `revents`: on POLLOUT, write what waits; then read at
 * most `cap` bytes into buf (one read; call again on the next wake-up for
 * more; a udp:// port reads one datagram, with its 2-byte length in front,
 * driver.h). On VT_IO_LOST the port
 * has been closed (its fd is -1, it asks for no events) and err says why:
 * end of file, EIO, hang-up, reset, or a failed TCP connect.
 */
enum vt_port_io vt_port_handle(struct vt_port *p, short revents, uint8_t *buf, size_t cap,
                               size_t *n, char *err, size_t errlen);

/* Bytes waiting for the device, at most: a few hundred polls' worth. */
#define VT_PORT_OUT_MAX 4096

/*
 * Send bytes (what a driver queued: one call's messages, kept whole).
 * Written at once as far as the line takes them; the rest waits in the
 * port's output buffer and goes out when the descriptor polls writable
 * (vt_port_events asks for POLLOUT meanwhile, and vt_port_handle writes).
 * Never blocks. 0: sent or queued; 1: the buffer cannot take them all, so
 * none are queued (dropped and counted, err says so); -1 with err: the
 * port is not open, or the write failed and the port is closed now (lost).
 */
int vt_port_write(struct vt_port *p, const uint8_t *bytes, size_t len, char *err, size_t errlen);
/* Bytes waiting in the output buffer. */
size_t vt_port_pending(const struct vt_port *p);
/* Writes dropped whole because the output buffer was full, since the port was made. */
uint64_t vt_port_dropped(const struct vt_port *p);

/* Close if open. */
void vt_port_close(struct vt_port *p);

#endif
