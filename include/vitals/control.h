/*
 * The control socket (docs/protocol.md): a ZeroMQ ROUTER that REQ and DEALER
 * clients talk to with one JSON object per request and per reply. The
 * request parser is pure and strict: every malformed, oversized or unknown
 * request becomes an error reply, and nothing a client sends can stop the
 * daemon. The socket half only moves frames; the live loop executes.
 */
#ifndef VITALS_CONTROL_H
#define VITALS_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include "vitals/config.h"

/* Requests larger than this get an error reply. */
#define VT_CONTROL_MAX_REQUEST 4096

enum vt_control_cmd {
	VT_CMD_PING,
	VT_CMD_SNAPSHOT,
	VT_CMD_ACK,
	VT_CMD_SILENCE,
	VT_CMD_PHASE,
	VT_CMD_RELOAD
};

struct vt_control_req {
	enum vt_control_cmd cmd;
	char id[160];          /* ack: alert id */
	char bed[128];         /* silence, phase */
	char by[64];           /* who: "station-2" ("" if not given) */
	int64_t duration_ms;   /* silence: for */
	enum vt_phase phase;   /* phase */
	double weight_kg;      /* phase: NAN if not given */
	double dose_mg_per_kg_h; /* phase: NAN if not given */
};

/*
 * Parse one request body. 0 on success; -1 with a message for the client
 * in err. Pure.
 */
int vt_control_parse(const char *body, size_t len, struct vt_control_req *req, char *err,
                     size_t errlen);

/* {"ok":false,"error":"..."} as a malloc'd string. */
char *vt_control_error_reply(const char *message);

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
