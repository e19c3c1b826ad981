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

#include "vitals/config/config.h"

struct vt_control;
struct vt_conns;

/*
 * Bind a ROUTER on every endpoint (a CURVE server with `curve_secret`), at
 * most limits->control_connections per endpoint. NULL with err.
 */
struct vt_control *vt_control_new(void *zctx, char *const *endpoints, size_t n,
                                  const char *curve_secret, const struct vt_limits *limits,
                                  char *err, size_t errlen);
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

/* The CURVE key (Z85) the pending request's client authenticated with, or NULL. */
const char *vt_control_key(struct vt_control *c);

/*
 * Keep the pending request's envelope to answer it later (a reload, which
 * reads its files off the loop first). NULL if memory ran out (the request
 * is then still pending).
 */
struct vt_control_later;
struct vt_control_later *vt_control_defer(struct vt_control *c);
/* Answer a kept request with `json` and free it (*later set to NULL). */
void vt_control_reply_later(struct vt_control *c, struct vt_control_later **later,
                            const char *json);

/* Its connections (io/conns.h). */
struct vt_conns *vt_control_conns(struct vt_control *c);

#endif
