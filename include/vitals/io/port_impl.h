/*
 * Private to the port module (port.c, port_serial.c, port_tcp.c,
 * port_mllp.c, port_udp.c); nothing else includes this. port.c owns the
 * state machine and the read/loss rules; the other files each know one way
 * of getting a descriptor, so libserialport and the socket calls stay out
 * of the common code.
 */
#ifndef VITALS_PORT_IMPL_H
#define VITALS_PORT_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "vitals/drivers/driver.h"
#include "vitals/io/port.h"

#include <sys/socket.h>

struct sp_port;
struct addrinfo;

/* ---- port_serial.c ---- */

/*
 * Open a serial device through libserialport at `baud`, 8 data bits,
 * `parity`, 1 stop bit, `flow`. On
 * success returns a non-blocking descriptor owned by *sp (close it with
 * vt_serial_close). If libserialport does not recognise the device but it
 * is a terminal, it is opened as with vt_tty_open and *sp stays NULL.
 * -1 with a message naming the path.
 */
int vt_serial_open(const char *path, int baud, enum vt_flow flow, enum vt_parity parity,
                   struct sp_port **sp,
                   char *err, size_t errlen);

/* Close a port opened by vt_serial_open (its descriptor with it). */
void vt_serial_close(struct sp_port **sp);

/*
 * Open a terminal (a pty slave, typically) with termios: raw, 8 bits with
 * `parity`, 1 stop bit, `baud`,
 * `flow`, CLOCAL|CREAD, non-blocking. A descriptor, or -1 with a message.
 */
int vt_tty_open(const char *path, int baud, enum vt_flow flow, enum vt_parity parity, char *err,
                size_t errlen);

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

/* ---- port_mllp.c ---- */

/* One bed's view of the HL7 listener on an mllp://HOST:PORT endpoint. */
struct vt_mllp_view;

/*
 * A view of `spec` for the messages of `sender` (an hl7_id; NULL: all). Not
 * open yet. idle_ms > 0 sets how long a connection of the listener may stay
 * silent (default VT_MLLP_IDLE_MS).
 */
#define VT_MLLP_IDLE_MS (5 * 60 * 1000)
struct vt_mllp_view *vt_mllp_view_new(const char *spec, const char *sender, int64_t idle_ms);
/* idle_ms > 0: the listener's new idle timeout, from its next check on. */
void vt_mllp_view_set_idle(struct vt_mllp_view *v, int64_t idle_ms);
/* Forget it; the listener closes with its last view. */
void vt_mllp_view_free(struct vt_mllp_view **v);
/* Listen (if nobody listens there yet) and start polling: its descriptor, or -1 with err. */
int vt_mllp_view_open(struct vt_mllp_view *v, char *err, size_t errlen);
/* Stop polling; frames for the bed keep waiting until it opens again. */
void vt_mllp_view_close(struct vt_mllp_view *v);
/*
 * After a wake-up: VT_IO_CONNECTED at the first frame, then VT_IO_DATA with
 * a frame (or the next piece of one longer than cap) in buf, VT_IO_LOST
 * (closed) when the connection it came on has closed, else VT_IO_NOTHING.
 */
enum vt_port_io vt_mllp_view_handle(struct vt_mllp_view *v, uint8_t *buf, size_t cap, size_t *n,
                                    char *err, size_t errlen);
/* Reply on the connection of the last frame handed out: 0, or 1 (dropped: its buffer is full). */
int vt_mllp_view_write(struct vt_mllp_view *v, const uint8_t *bytes, size_t len, char *err,
                       size_t errlen);
/* Bytes waiting for the connection replies go to. */
size_t vt_mllp_view_pending(const struct vt_mllp_view *v);

/* ---- port_udp.c ---- */

/* An IntelliVue's data export port, and where monitors announce themselves. */
#define VT_UDP_DATA_PORT "24105"
#define VT_UDP_ANNOUNCE_PORT "24005"
#define VT_UDP_ANNOUNCE_DEFAULT "0.0.0.0:24005"

/* The monitor's address of "udp://HOST[:PORT]" (PORT 24105 if not given). 0, or -1 with err. */
int vt_udp_resolve(const char *spec, struct sockaddr_storage *addr, socklen_t *len, char *err,
                   size_t errlen);
/*
 * A non-blocking socket bound to `announce` ("HOST:PORT"; shared with
 * other beds), in the monitors' multicast group when bound to every
 * interface. -1 with err.
 */
int vt_udp_listen(const char *announce, char *err, size_t errlen);
/* Whether two addresses are the same host (the ports aside). */
bool vt_udp_same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b);
/* A non-blocking socket connected to the monitor's data port. -1 with err. */
int vt_udp_connect(const struct sockaddr_storage *addr, socklen_t len, char *err, size_t errlen);

#endif
