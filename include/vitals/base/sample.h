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
	VT_TEMP,     /* body temperature, degrees Celsius */
	VT_SPCO,     /* carboxyhaemoglobin (Masimo rainbow), % */
	VT_SPMET,    /* methaemoglobin (Masimo rainbow), % */
	VT_PVI,      /* pleth variability index (Masimo), % */
	VT_PARAM_COUNT
};

/* A set of parameters, one bit per enum vt_param. */
typedef uint32_t vt_param_mask;
#define VT_PARAM_BIT(p) ((vt_param_mask)1u << (p))
/* What a pulse oximeter's sensor measures: an oximeter's sensor-off takes these away. */
#define VT_PARAMS_OXIMETRY                                                          \
	(VT_PARAM_BIT(VT_SPO2) | VT_PARAM_BIT(VT_PR) | VT_PARAM_BIT(VT_PI) |         \
	 VT_PARAM_BIT(VT_SPCO) | VT_PARAM_BIT(VT_SPMET) | VT_PARAM_BIT(VT_PVI))
/* What every pulse oximeter measures. */
#define VT_PARAMS_PULSE_OXIMETER (VT_PARAM_BIT(VT_SPO2) | VT_PARAM_BIT(VT_PR))
/* A blood-pressure cuff's measurement. */
#define VT_PARAMS_NIBP                                                              \
	(VT_PARAM_BIT(VT_NIBP_SYS) | VT_PARAM_BIT(VT_NIBP_DIA) | VT_PARAM_BIT(VT_NIBP_MAP))
/* What a multiparameter bedside monitor can show with every module fitted:
 * oximetry, ECG heart rate, respiration, blood pressure, capnography, temperature. */
#define VT_PARAMS_BEDSIDE                                                           \
	(VT_PARAMS_PULSE_OXIMETER | VT_PARAM_BIT(VT_HR) | VT_PARAM_BIT(VT_RR) |      \
	 VT_PARAMS_NIBP | VT_PARAM_BIT(VT_ETCO2) | VT_PARAM_BIT(VT_TEMP))
/* Every parameter. */
#define VT_PARAMS_ALL ((vt_param_mask)((1u << VT_PARAM_COUNT) - 1))

struct vt_param_info {
	const char *name;  /* as written in configuration and messages: "spo2" */
	const char *label; /* as a nurse reads it: "SpO2" */
	const char *unit;  /* "%", "bpm", "/min", "mmHg" */
	const char *mdc;   /* IEEE 11073-10101 reference id, or NULL if none */
	uint32_t mdc_code; /* its numeric code (partition << 16 | term code), 0 if none */
	/* The values it can take, in its unit: a limit outside them is a typing
	 * mistake, and a driver that reported one would be wrong. */
	double min, max;
	/* A spot measurement (a blood-pressure cuff): one value every few
	 * minutes, each with its own measurement time, current until the next
	 * measurement or until the monitor's nibp_stale_after. */
	bool episodic;
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
	VT_FLAG_DEVICE_SILENCED = 1u << 11, /* the device's own audio alarm is silenced or off */
	VT_FLAG_LEADS_OFF = 1u << 12,       /* ECG leads off: no heart rate from the ECG */
	VT_FLAG_NIBP_FAILED = 1u << 13,     /* the last cuff measurement failed or was cancelled */
	VT_FLAG_CUFF_OVERPRESSURE = 1u << 14, /* the cuff went over pressure; measurement stopped */
	VT_FLAG_CO2_OCCLUSION = 1u << 15,   /* the CO2 sample line is occluded: no EtCO2 */
	VT_FLAG_DEMO_DATA = 1u << 16        /* the monitor is in demo mode: no value is the patient's */
};
#define VT_FLAG_COUNT 17

/* Flags that mean "the sensor is not reading this patient". */
#define VT_FLAGS_SENSOR_OFF (VT_FLAG_SENSOR_OFF | VT_FLAG_NO_SENSOR | VT_FLAG_SENSOR_FAULT)
/* Flags that mean "the reading is of doubtful quality". */
#define VT_FLAGS_SIGNAL_QUALITY                                                     \
	(VT_FLAG_LOW_PERFUSION | VT_FLAG_LOW_SIGNAL_IQ | VT_FLAG_ARTIFACT |         \
	 VT_FLAG_PULSE_SEARCH | VT_FLAG_AMBIENT_LIGHT | VT_FLAG_LOSS_OF_PULSE)

/* Flags that mean "the last blood-pressure measurement did not give a value". */
#define VT_FLAGS_CUFF (VT_FLAG_NIBP_FAILED | VT_FLAG_CUFF_OVERPRESSURE)

/* Name of a single flag bit ("sensor-off", "low-perfusion", ...), or NULL. */
const char *vt_flag_name(uint32_t flag);

/*
 * The parameters a device is not measuring on the patient while it reports
 * `flags`: the oximetry parameters while the sensor is off, the ECG heart
 * rate while the leads are off, EtCO2 while the sample line is occluded,
 * everything in demo mode. Their values count as no value for the rules.
 */
vt_param_mask vt_flags_blind(uint32_t flags);

/*
 * The parameters whose module a device proves fitted by reporting `flags`
 * (ECG leads off: there is an ECG; a failed cuff measurement: there is a
 * cuff), even before it has shown their first value. Demo mode proves
 * nothing, and an oximeter's sensor off says nothing of its optional
 * parameters (SpCO needs its own sensor).
 */
vt_param_mask vt_flags_fitted(uint32_t flags);

/*
 * One record from a device: the values it carried and the conditions it
 * reported. Time is not here: the shell stamps a reading when its last byte
 * arrived (live) or from the recording (replay).
 *
 * A value may say when it was measured, as an age: how long before this
 * reading the device took it (a blood pressure measured two minutes before
 * the monitor was polled). Drivers compute ages from the device's own
 * clock, so a device clock that is off by hours still gives the right age.
 * Spot measurements (`spot`, and every episodic parameter) are held by the
 * core until the next measurement or until they are too old; a spot value
 * the device repeats in every record is recognised as the same measurement
 * by its stamp, the time the device's clock gave it (`timed`), or, when the
 * device gives none, by its value. The stamp, not the age, says which
 * measurement it is: a clock that runs fast or slow (an emulated monitor
 * ten times faster than real time) ages a repeat by more or less than our
 * clock does, but stamps it the same. A driver whose device gives no time
 * but shows each measurement as a whole (the Ivy's NIBP record) times it
 * itself, by its arrival.
 */
struct vt_reading {
	vt_param_mask reported;       /* parameters this record speaks of */
	vt_param_mask valid;          /* subset of `reported` that carry a value */
	double value[VT_PARAM_COUNT]; /* meaningful only where `valid` */
	uint32_t flags;               /* enum vt_flag bits the device reported */
	bool has_status;              /* the record carries device status at all */
	vt_param_mask spot;           /* values that are spot measurements (beyond the episodic) */
	vt_param_mask timed;          /* values whose measurement time the device gave */
	int64_t age_ms[VT_PARAM_COUNT]; /* timed values: measured this long before the reading */
	int64_t stamp_ms[VT_PARAM_COUNT]; /* timed values: when, on the device's clock (its epoch) */
};

/* Two stamps of one spot value at most this far apart are one measurement (a
 * clock that ticks in seconds, a gateway that rounds); cuff measurements are
 * a minute or more apart. */
#define VT_SPOT_SAME_MS 5000

/* Set `p` to `v` (a value) in `r`. */
void vt_reading_set(struct vt_reading *r, enum vt_param p, double v);
/* Mark `p` as reported with no value in `r`. */
void vt_reading_set_missing(struct vt_reading *r, enum vt_param p);
/* `p` in `r` was measured `age_ms` before the reading (a negative age, from
 * a device clock ahead of its own record, counts as 0), at `stamp_ms` on the
 * device's clock. */
void vt_reading_set_age(struct vt_reading *r, enum vt_param p, int64_t age_ms, int64_t stamp_ms);
/* Whether two timed reports stamped `a` and `b` are of one measurement. */
bool vt_reading_same_stamp(int64_t a, int64_t b);
/* Whether `p` in `r` is a spot measurement (an episodic parameter, or marked spot). */
bool vt_reading_is_spot(const struct vt_reading *r, enum vt_param p);

#endif
