/*
 * The alarm vocabulary that configuration, the alarm engine, the message
 * encoder and the consoles all speak: priorities, infusion phases, the kinds
 * of alarm and the built-in technical alarms. It lives below all of them so
 * that the configuration can name a technical alarm or a phase without
 * depending on the engine that raises it.
 */
#ifndef VITALS_BASE_VOCAB_H
#define VITALS_BASE_VOCAB_H

/* Alarm priorities (IEC 60601-1-8): the order is the order of urgency. */
enum vt_priority { VT_PRIO_LOW, VT_PRIO_MEDIUM, VT_PRIO_HIGH };

/* Name of a priority ("low", "medium", "high"; "unknown" out of range). */
const char *vt_priority_name(enum vt_priority p);

/* Infusion phases of a bed. */
enum vt_phase { VT_PHASE_BASELINE, VT_PHASE_INFUSION, VT_PHASE_RECOVERY, VT_PHASE_ENDED };
#define VT_PHASE_COUNT 4
#define VT_PHASE_BIT(p) (1u << (p))

/* Name of a phase ("baseline", ...); vt_phase_by_name returns -1 if unknown. */
const char *vt_phase_name(enum vt_phase p);
int vt_phase_by_name(const char *name);

/* Where an alarm comes from: a rule about the patient, or the equipment. */
enum vt_alert_kind { VT_KIND_PHYSIOLOGICAL, VT_KIND_TECHNICAL };

/* The built-in technical alarms. */
enum vt_technical {
	VT_TECH_COMM_LOST,
	VT_TECH_SENSOR_OFF,
	VT_TECH_NO_DATA,
	VT_TECH_SIGNAL_QUALITY,
	VT_TECH_RECORDING_FAILED, /* the bed's session recording cannot be written */
	VT_TECH_UNDECODABLE,      /* bytes arrive, but no valid frame (wrong protocol or baud?) */
	VT_TECH_LEADS_OFF,        /* the ECG leads are off the patient */
	VT_TECH_CUFF_ERROR,       /* a blood-pressure measurement failed, was cancelled or overpressured */
	VT_TECH_CO2_OCCLUSION,    /* the capnograph's sample line is occluded */
	VT_TECH_DEMO_DATA,        /* the monitor is in demo mode: its values are not the patient's */
	VT_TECH_COUNT
};

/* The rule name a technical alarm carries ("comm-lost", ...). */
const char *vt_technical_name(enum vt_technical t);

#endif
