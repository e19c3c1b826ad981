/*
 * The sample model: which vital signs vitalsd knows, and the record a driver
 * hands to the core. Every other module speaks in these terms, so a new
 * parameter is one enum value and one row in sample.c.
 *
 * A value a device marks as missing is *no value* (its bit in `valid` is
 * clear), never zero: a rule must not fire on a number the device never
 * measured.
 */
#ifndef VITALS_SAMPLE_H
#define VITALS_SAMPLE_H

#include <stdbool.h>
#include <stdint.h>

enum vt_param {
	VT_SPO2,     /* functional oxygen saturation, % */
	VT_PR,       /* pulse rate from the oximeter, bpm */
	VT_HR,       /* heart rate from the ECG, bpm */
	VT_PI,       /* perfusion index, % */
	VT_RR,       /* respiratory rate, /min */
	VT_NIBP_SYS, /* non-invasive blood pressure, systolic, mmHg */
	VT_NIBP_DIA, /* diastolic, mmHg */
	VT_NIBP_MAP, /* mean, mmHg */
	VT_ETCO2,    /* end-tidal CO2, mmHg */
	VT_SPCO,     /* carboxyhaemoglobin (Masimo rainbow), % */
	VT_SPMET,    /* methaemoglobin (Masimo rainbow), % */
	VT_PVI,      /* pleth variability index (Masimo), % */
	VT_PARAM_COUNT
};

/* A set of parameters, one bit per enum vt_param. */
typedef uint32_t vt_param_mask;
#define VT_PARAM_BIT(p) ((vt_param_mask)1u << (p))

struct vt_param_info {
	const char *name;  /* as written in configuration and messages: "spo2" */
	const char *label; /* as a nurse reads it: "SpO2" */
	const char *unit;  /* "%", "bpm", "/min", "mmHg" */
	const char *mdc;   /* IEEE 11073-10101 reference id, or NULL if none */
	/* The values it can take, in its unit: a limit outside them is a typing
	 * mistake, and a driver that reported one would be wrong. */
	double min, max;
};

/* Row for `p`; `p` must be a valid parameter. */
const struct vt_param_info *vt_param_info(enum vt_param p);
/* The parameter called `name`, or -1. */
int vt_param_by_name(const char *name);

/*
 * Device conditions. Drivers set the fine-grained bits; the core groups them
 * into the technical alarms `sensor-off` and `signal-quality`.
 */
enum vt_flag {
	VT_FLAG_SENSOR_OFF = 1u << 0,      /* sensor off the patient */
	VT_FLAG_NO_SENSOR = 1u << 1,       /* no sensor, sensor or cable disconnected */
	VT_FLAG_SENSOR_FAULT = 1u << 2,    /* defective, unrecognised or incompatible sensor/cable */
	VT_FLAG_LOW_PERFUSION = 1u << 3,   /* low perfusion / weak pulse signal */
	VT_FLAG_LOW_SIGNAL_IQ = 1u << 4,   /* low signal quality (Masimo SIQ, Nonin red/yellow) */
	VT_FLAG_ARTIFACT = 1u << 5,        /* artifact, motion, interference */
	VT_FLAG_PULSE_SEARCH = 1u << 6,    /* pulse search, out of track */
	VT_FLAG_AMBIENT_LIGHT = 1u << 7,   /* too much ambient light */
	VT_FLAG_LOSS_OF_PULSE = 1u << 8,   /* loss of pulse (Nellcor LP, LM) */
	VT_FLAG_LOW_BATTERY = 1u << 9,     /* the device runs on a low battery */
	VT_FLAG_DEVICE_ALARM = 1u << 10,   /* the device is alarming on its own limits */
	VT_FLAG_DEVICE_SILENCED = 1u << 11 /* the device's own audio alarm is silenced or off */
};
#define VT_FLAG_COUNT 12

/* Flags that mean "the sensor is not reading this patient". */
#define VT_FLAGS_SENSOR_OFF (VT_FLAG_SENSOR_OFF | VT_FLAG_NO_SENSOR | VT_FLAG_SENSOR_FAULT)
/* Flags that mean "the reading is of doubtful quality". */
#define VT_FLAGS_SIGNAL_QUALITY                                                     \
	(VT_FLAG_LOW_PERFUSION | VT_FLAG_LOW_SIGNAL_IQ | VT_FLAG_ARTIFACT |         \
	 VT_FLAG_PULSE_SEARCH | VT_FLAG_AMBIENT_LIGHT | VT_FLAG_LOSS_OF_PULSE)

/* Name of a single flag bit ("sensor-off", "low-perfusion", ...), or NULL. */
const char *vt_flag_name(uint32_t flag);

/*
 * One record from a device: the values it carried and the conditions it
 * reported. Time is not here: the shell stamps a reading when its last byte
 * arrived (live) or from the recording (replay).
 */
struct vt_reading {
	vt_param_mask reported;       /* parameters this record speaks of */
	vt_param_mask valid;          /* subset of `reported` that carry a value */
	double value[VT_PARAM_COUNT]; /* meaningful only where `valid` */
	uint32_t flags;               /* enum vt_flag bits the device reported */
	bool has_status;              /* the record carries device status at all */
};

/* Set `p` to `v` (a value) in `r`. */
void vt_reading_set(struct vt_reading *r, enum vt_param p, double v);
/* Mark `p` as reported with no value in `r`. */
void vt_reading_set_missing(struct vt_reading *r, enum vt_param p);

#endif
