/*
 * Control requests (docs/protocol.md), strictly parsed: every malformed,
 * oversized or unknown request becomes an error reply, and nothing a client
 * sends can stop the daemon. Pure: the transport is io/control.h.
 */
#ifndef VITALS_WIRE_CONTROL_REQUEST_H
#define VITALS_WIRE_CONTROL_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "vitals/base/vocab.h"

/* Requests larger than this get an error reply. */
#define VT_CONTROL_MAX_REQUEST 4096

enum vt_control_cmd {
	VT_CMD_PING,
	VT_CMD_SNAPSHOT,
	VT_CMD_ACK,
	VT_CMD_SILENCE,
	VT_CMD_PHASE,
	VT_CMD_RELOAD,
	VT_CMD_WATCH   /* the raw line of one port (vitalsctl watch) */
};

struct vt_control_req {
	enum vt_control_cmd cmd;
	char id[160];          /* ack: alert id ("" when acking a bed) */
	char bed[128];         /* silence, phase; ack: every alert of the bed */
	char by[64];           /* who: "station-2" ("" if not given) */
	int64_t duration_ms;   /* silence: for */
	enum vt_phase phase;   /* phase */
	double weight_kg;      /* phase: NAN if not given */
	double dose_mg_per_kg_h; /* phase: NAN if not given */
	uint64_t after;        /* watch: the pieces after this number (0: all kept) */
};

/*
 * Parse one request body. 0 on success; -1 with a message for the client
 * in err. Pure.
 */
int vt_control_parse(const char *body, size_t len, struct vt_control_req *req, char *err,
                     size_t errlen);

/* {"ok":false,"error":"..."} as a malloc'd string. */
char *vt_control_error_reply(const char *message);

#endif
