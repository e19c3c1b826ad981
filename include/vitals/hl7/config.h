/*
 * The HL7 bridge's configuration (vitals-hl7(8), docs/integration.md): the
 * daemon (or hub) it follows, the interface engine it sends to, the queue
 * on disk, the message header's names, and per bed the reporting interval,
 * the location and the device. Read with the daemon's own YAML walker, so
 * that the file is checked the way vitalsd.yaml is: unknown keys refused,
 * every error at once as FILE:LINE:COLUMN.
 */
#ifndef VITALS_HL7_CONFIG_H
#define VITALS_HL7_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "vitals/base/diag.h"

/* Beds given settings of their own. */
#define VT_BRIDGE_MAX_BEDS 256
/* A name in MSH-3 to MSH-6, a location, a device: characters. */
#define VT_BRIDGE_NAME_MAX 120

struct vt_bridge_bed {
	char *bed;        /* the bed's name in vitalsd */
	char *location;   /* PV1-3, components joined by '^'; NULL: ^^BED */
	char *device;     /* OBX-18's entity identifier; NULL: the bed's name */
	int64_t interval_ms; /* R01 interval; -1: the file's `interval` */
};

struct vt_bridge_config {
	char *path;                 /* the file, for messages */
	char *publish;              /* the daemon's or hub's PUB endpoint */
	char *control;              /* its control endpoint */
	char *server_key;           /* CURVE: the daemon's public key file; NULL: no CURVE */
	char *key;                  /* CURVE: the bridge's key pair file */
	char *engine_host;          /* the interface engine */
	char *engine_port;
	int64_t ack_timeout_ms;     /* an acknowledgement is waited for this long */
	int64_t retry_ms;           /* the first wait after a failure, doubled up to: */
	int64_t retry_max_ms;
	int64_t reject_after;       /* refusals of one message before it is set aside; 0 never */
	char *queue_dir;            /* the queue on disk */
	int64_t queue_max;          /* messages it holds */
	int64_t interval_ms;        /* R01 interval of every bed; 0: none */
	char *sending_application;  /* MSH-3 */
	char *sending_facility;     /* MSH-4 */
	char *receiving_application; /* MSH-5 */
	char *receiving_facility;   /* MSH-6 */
	char *processing_id;        /* MSH-11: P, T or D */
	struct vt_bridge_bed *beds;
	size_t n_beds;
};

/* Read and check the file; every error into diag. NULL on any error. */
struct vt_bridge_config *vt_bridge_config_load(const char *path, struct vt_diag *diag);
/* The same from text (tests, fuzzing). */
struct vt_bridge_config *vt_bridge_config_parse(const char *name, const char *text, size_t len,
                                                struct vt_diag *diag);
void vt_bridge_config_free(struct vt_bridge_config **cfg);

/* The settings of `bed`, or NULL for a bed the file does not name. */
const struct vt_bridge_bed *vt_bridge_config_bed(const struct vt_bridge_config *cfg,
                                                 const char *bed);

#endif
