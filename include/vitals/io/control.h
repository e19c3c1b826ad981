/*
 * The control socket (docs/protocol.md): a ZeroMQ ROUTER that REQ and DEALER
 * clients talk to with one JSON object per request and per reply. This half
 * only moves frames; wire/control_request.h parses what they carry and the
 * live loop executes it.
 */
#ifndef VITALS_IO_CONTROL_H
#define VITALS_IO_CONTROL_H

#include <stddef.h>
#include <stdint.h>

struct vt_control;

/* Bind a ROUTER on every endpoint (a CURVE server with `curve_secret`). NULL with err. */
struct vt_control *vt_control_new(void *zctx, char *const *endpoints, size_t n,
                                  const char *curve_secret, char *err, size_t errlen);
void vt_control_free(struct vt_control **c);

/* The socket, for zmq_poll. */
void *vt_control_socket(struct vt_control *c);

/*
 * Receive one request without blocking. 1: a request is pending and its
 * body is in *body and *len (valid until vt_control_reply); 0: nothing to read;
 * a malformed envelope is answered (or dropped) here and gives 0.
 */
int vt_control_recv(struct vt_control *c, const char **body, size_t *len);

/* Answer the pending request with `json`. */
void vt_control_reply(struct vt_control *c, const char *json);

#endif
