/*
 * What bedside monitors say in HL7 v2, as IHE PCD profiles it: observation
 * messages (PCD-01, ORU^R01) become readings, alarm messages (PCD-04,
 * ORU^R40) become the monitor's own alarms, and every message is answered
 * with an acknowledgement. The rules, their sources and the decisions taken
 * where the profile or the vendors leave room are in docs/drivers.md
 * (hl7-mllp). Pure: no I/O, no clock (the time is an argument), no logging.
 */
#ifndef VITALS_DRIVERS_HL7_PCD_H
#define VITALS_DRIVERS_HL7_PCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vitals/base/device_alarm.h"
#include "vitals/base/sample.h"
#include "vitals/drivers/hl7.h"

/* The kinds of message a monitor sends. */
enum vt_hl7_kind {
	VT_HL7_OTHER,        /* any other message: acknowledged, not read */
	VT_HL7_OBSERVATIONS, /* ORU^R01 (PCD-01) */
	VT_HL7_ALARMS        /* ORU^R40 (PCD-04) */
};

/* The kind of message `m` is (MSH-9). */
enum vt_hl7_kind vt_hl7_kind(const struct vt_hl7_msg *m);

/* Rows of an observation message that could not be used, by reason. */
struct vt_hl7_skips {
	uint32_t code;  /* an OBX-3 vitalsd has no parameter for (waveforms, private codes) */
	uint32_t unit;  /* a unit that is missing where it must be said, or unknown */
	uint32_t value; /* a value that is not a number or out of the parameter's range */
	uint32_t demo;  /* a value the monitor marks as demo data */
};

/*
 * The observations of an ORU^R01 into `r` (cleared first): one value per
 * parameter, the preferred code where several carry it; missing where the
 * value is empty, not a number or impossible; spot measurements (OBX-17
 * APERIODIC, or a blood pressure) timed by OBX-14 (or OBR-7) against
 * MSH-7; a value with OBX-8 DEMO never a value, and VT_FLAG_DEMO_DATA set.
 * Returns how many parameters it reported.
 */
int vt_hl7_observations(const struct vt_hl7_msg *m, struct vt_reading *r,
                        struct vt_hl7_skips *skips);

/*
 * The alarms of an ORU^R40 into out[0..max): one per alarm the message
 * reports (normally one). Alarms of priority "none" (keep-alives) are left
 * out. Returns how many.
 */
size_t vt_hl7_alarms(const struct vt_hl7_msg *m, struct vt_device_alarm *out, size_t max);

/* The vital sign a coded field ("147842^MDC_ECG_HEART_RATE^MDC") names, or -1. */
int vt_hl7_param_of(const struct vt_hl7_msg *m, struct vt_hl7_str code);

/*
 * Whether `m` comes from the sender called `id` in the configuration: the
 * whole PV1-3 (location, "HDU^507^3", trailing empty components ignored),
 * the EUI-64 of MSH-3 (its second component), or the equipment id of any
 * OBX-18 (its first component).
 */
bool vt_hl7_from(const struct vt_hl7_msg *m, const char *id);

/* The most bytes an acknowledgement takes, framed. */
#define VT_HL7_ACK_MAX 1280

/*
 * The acknowledgement of `m` (NULL: a frame that is not a message at all):
 * MSH and MSA with `code` ("AA", "AE") and MSH-10 of m, and for an error an
 * ERR segment with `text`. `now` goes into MSH-7 (UTC), `seq` into our
 * MSH-10. Written into out, MLLP-framed; returns its length (0 if cap is
 * too small).
 */
size_t vt_hl7_ack(const struct vt_hl7_msg *m, const char *code, const char *text, int64_t now,
                  uint32_t seq, uint8_t *out, size_t cap);

#endif
