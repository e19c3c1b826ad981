/*
 * The HL7 v2 messages a hospital's interface engine takes from bedside
 * monitors, written from what vitalsd publishes: IHE PCD-01 ORU^R01 (a
 * bed's observations, with MDC codes and units, the device hierarchy in
 * OBX-4 and the equipment in OBX-18) and IHE PCD-04 ORU^R40 (one alarm
 * event). docs/integration.md shows each message and maps every field.
 *
 * Pure: text in, text out, no clock (every time is an argument) and no
 * I/O. A message is its segments separated by CR, without MLLP framing;
 * every piece of text that came from outside is escaped, so nothing a
 * daemon says can add a field or a segment.
 */
#ifndef VITALS_HL7_PCD_H
#define VITALS_HL7_PCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vitals/base/sample.h"
#include "vitals/base/vocab.h"

/* Room for any message encoded here (13 parameters, a 159-byte alarm text, long names). */
#define VT_PCD_MAX 8192

/* Who sends to whom: MSH-3 to MSH-6 and MSH-11. Plain text; escaped here. */
struct vt_pcd_sender {
	const char *application;       /* MSH-3 namespace, and OBX-18's namespace: "VITALSD" */
	const char *facility;          /* MSH-4, may be "" */
	const char *receiver;          /* MSH-5, may be "" */
	const char *receiver_facility; /* MSH-6, may be "" */
	char processing;               /* MSH-11: 'P' production, 'T' training, 'D' debugging */
};

/* Where a bed is and what measures it. */
struct vt_pcd_bed {
	const char *name;     /* the bed's name in vitalsd */
	const char *location; /* PV1-3 as components joined by '^' ("INF^2^chair-1"); NULL: "^^BED" */
	const char *device;   /* OBX-18's entity identifier; NULL: the bed's name */
};

/* A message's identity, fixed when it is made and kept across every resend. */
struct vt_pcd_id {
	const char *control_id; /* MSH-10 */
	uint64_t sequence;      /* MSH-13, the HL7 sequence number protocol's number */
	int64_t created;        /* MSH-7, ms since the epoch */
};

/* One bed's values for an ORU^R01. */
struct vt_pcd_obs {
	int64_t time;                     /* when they were current (the vitals message's time) */
	vt_param_mask valid;              /* the parameters that have a value */
	double value[VT_PARAM_COUNT];
	int64_t measured[VT_PARAM_COUNT]; /* a spot measurement's own time; 0 for continuous values */
};

/* The event phase of an ORU^R40 (MDC_ATTR_EVENT_PHASE). */
enum vt_pcd_phase { VT_PCD_START, VT_PCD_UPDATE, VT_PCD_ESCALATE, VT_PCD_DEESCALATE, VT_PCD_END };

/* One alarm event for an ORU^R40. */
struct vt_pcd_alarm {
	const char *uid;           /* OBR-3: the alarm, unique across daemon runs */
	enum vt_pcd_phase phase;
	int64_t time;              /* the event's time */
	bool technical;            /* alert type ST rather than SP */
	enum vt_priority priority;
	int parameter;             /* enum vt_param, or -1 */
	bool has_value, has_limit;
	double value, limit;
	int direction;             /* -1 the value fell below the limit, +1 rose above, 0 neither */
	bool acknowledged;         /* inactivation state alert-acknowledged */
	bool silenced;             /* inactivation state audio-paused */
	const char *text;          /* what the alarm says, for people */
};

/* Name of a phase as MDC_ATTR_EVENT_PHASE writes it ("start", ...). */
const char *vt_pcd_phase_name(enum vt_pcd_phase p);

/*
 * An ORU^R01 for `bed` into buf (NUL-terminated). Parameters without a
 * value are left out. Its length, or 0 if it does not fit in `cap` or
 * there is no value to report.
 */
size_t vt_pcd_r01(char *buf, size_t cap, const struct vt_pcd_sender *s, const struct vt_pcd_bed *bed,
                  const struct vt_pcd_id *id, const struct vt_pcd_obs *obs);

/* An ORU^R40 for one alarm event into buf (NUL-terminated). Its length, or 0 if it does not fit. */
size_t vt_pcd_r40(char *buf, size_t cap, const struct vt_pcd_sender *s, const struct vt_pcd_bed *bed,
                  const struct vt_pcd_id *id, const struct vt_pcd_alarm *a);

/* `ms` as an HL7 time in UTC: "20261121101403.120+0000" (buf of at least 32). */
char *vt_pcd_time(int64_t ms, char *buf, size_t len);

/*
 * Whether `s` can stand in a field as it is (PV1-3 components, a name):
 * no separator but '^' where `components`, no escape and no control byte.
 */
bool vt_pcd_plain(const char *s, bool components);

#endif
