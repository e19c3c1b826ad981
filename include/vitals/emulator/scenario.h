/*
 * Scenarios: a patient described over time, the way a clinical engineer
 * sets up a patient simulator (docs/scenarios.md). A scenario file says
 * where each vital sign starts (baseline), how it moves (segments: hold,
 * ramp, step, oscillate), how much it wanders on its own (variability),
 * how the monitor reports it (SpO2 averaged and in whole percent, NIBP
 * only when a cuff measurement completes, EtCO2 once a breath), what goes
 * wrong with the equipment (artefacts) and when the infusion phases
 * change (marks).
 *
 * Two halves: scenario_yaml.c reads the file into a struct vt_scenario
 * (every error as FILE:LINE:COLUMN, like the daemon's configuration), and
 * scenario.c plays it. Playing is pure and deterministic: the scenario
 * and a seed in, one reading a second out; the same seed gives the same
 * patient on every machine. The readings are numerics rows, so everything
 * that plays a numerics CSV plays a scenario: the emulator in any
 * protocol (each carrying what it can), and `--csv` for vitalsd --replay.
 */
#ifndef VITALS_EMULATOR_SCENARIO_H
#define VITALS_EMULATOR_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vitals/base/diag.h"
#include "vitals/base/sample.h"
#include "vitals/base/vocab.h"
#include "vitals/emulator/emulate.h"

/* Bounds, so that no file can make the emulator allocate without limit. */
#define VT_SCN_MAX_BYTES (256 * 1024)             /* a scenario file */
#define VT_SCN_MAX_DURATION_MS (INT64_C(86400000)) /* 24 h: one row a second */
#define VT_SCN_MAX_SEGMENTS 64                    /* segments of one parameter */
#define VT_SCN_MAX_ARTEFACTS 256
#define VT_SCN_MAX_MARKS 32

/* The parameters a scenario describes: the patient. `pr` follows `hr` and
 * `nibp_map` follows the cuff's systolic and diastolic readings. */
#define VT_SCN_DESCRIBED                                                                     \
	(VT_PARAM_BIT(VT_SPO2) | VT_PARAM_BIT(VT_HR) | VT_PARAM_BIT(VT_PI) | VT_PARAM_BIT(VT_RR) | \
	 VT_PARAM_BIT(VT_ETCO2) | VT_PARAM_BIT(VT_NIBP_SYS) | VT_PARAM_BIT(VT_NIBP_DIA) |        \
	 VT_PARAM_BIT(VT_TEMP))

/* The parameters a scenario's readings carry. */
#define VT_SCN_REPORTED                                                                     \
	(VT_SCN_DESCRIBED | VT_PARAM_BIT(VT_PR) | VT_PARAM_BIT(VT_NIBP_MAP))

enum vt_scn_segment_kind {
	VT_SCN_HOLD,     /* stay at the current value for `ms` */
	VT_SCN_RAMP,     /* go in a straight line to `to` over `ms` */
	VT_SCN_STEP,     /* jump to `to` at once */
	VT_SCN_OSCILLATE /* swing `amplitude` either side of the current value, for `ms` */
};

struct vt_scn_segment {
	enum vt_scn_segment_kind kind;
	int64_t ms;       /* how long it lasts (0 for a step) */
	double to;        /* ramp, step: the value reached, absolute */
	double amplitude; /* oscillate: the swing, in the parameter's unit */
	int64_t period_ms; /* oscillate: one full swing */
};

/* One parameter's course: its segments, one after the other from t = 0. */
struct vt_scn_trend {
	struct vt_scn_segment *segments;
	size_t n;
};

/* How much a parameter wanders around its course on its own. */
struct vt_scn_variability {
	double amount;  /* the standard deviation */
	bool percent;   /* `amount` is a percentage of the current value */
};

/* How the monitor measures and reports (the device, not the patient). */
struct vt_scn_device {
	int64_t spo2_averaging_ms; /* the oximeter's averaging time (SpO2 and pulse rate) */
	int hr_averaging;          /* beats the ECG heart rate is averaged over */
	int rr_averaging;          /* breaths the respiratory rate is averaged over */
	int64_t nibp_every_ms;     /* cuff interval; 0: no automatic measurements */
	int64_t nibp_first_ms;     /* when the first measurement completes */
	int64_t nibp_takes_ms;     /* how long one measurement takes */
	int64_t apnea_after_ms;    /* no breath this long: RR 0, EtCO2 no value */
};

enum vt_scn_artefact_kind {
	VT_SCN_PROBE_OFF,     /* the oximeter probe is off the finger */
	VT_SCN_MOTION,        /* the patient moves: false SpO2 dip, erratic pulse */
	VT_SCN_LOW_PERFUSION, /* cold hands: PI low, SpO2 unsteady */
	VT_SCN_CUFF_FAILURE,  /* the cuff measurements completing in the window fail */
	VT_SCN_LEADS_OFF,     /* an ECG lead is off: no ECG heart rate */
	VT_SCN_ARTEFACT_COUNT
};

struct vt_scn_artefact {
	enum vt_scn_artefact_kind kind;
	int64_t at_ms;  /* when it begins */
	int64_t for_ms; /* how long it lasts */
	double depth;   /* motion: the SpO2 dip (%); low-perfusion: the PI reached (%) */
};

/* An infusion phase mark, as the nurse would set it on the console. */
struct vt_scn_mark {
	int64_t at_ms;
	enum vt_phase phase;
	double weight_kg;        /* 0: not given */
	double dose_mg_per_kg_h; /* 0: not given */
};

struct vt_scenario {
	int64_t duration_ms;                          /* rows from t = 0 up to this */
	uint64_t seed;                                /* the default seed */
	double baseline[VT_PARAM_COUNT];              /* where each described parameter starts */
	struct vt_scn_trend trend[VT_PARAM_COUNT];    /* and how it moves */
	struct vt_scn_variability variability[VT_PARAM_COUNT];
	double beat_variability;                      /* SD of a beat interval, % */
	double breath_variability;                    /* SD of a breath interval, % */
	struct vt_scn_device device;
	struct vt_scn_artefact *artefacts;            /* in the order written */
	size_t n_artefacts;
	struct vt_scn_mark *marks;                    /* in time order */
	size_t n_marks;
};

/*
 * Read scenario `text` (named `file` in messages). The scenario, or NULL
 * with every problem in `diag` as FILE:LINE:COLUMN.
 */
struct vt_scenario *vt_scn_parse(const char *file, const char *text, size_t len,
                                 struct vt_diag *diag);
/* Read the file at `path` (at most VT_SCN_MAX_BYTES). */
struct vt_scenario *vt_scn_load(const char *path, struct vt_diag *diag);
void vt_scn_free(struct vt_scenario **s);

/* A parameter's course at `t_ms`, variability and artefacts left out. */
double vt_scn_course(const struct vt_scenario *s, enum vt_param p, int64_t t_ms);

/*
 * Play the scenario with `seed`: one row a second from t = 0 to its
 * duration, each the reading the monitor shows then (its values, and its
 * device status in `flags`, with has_status set). NIBP is reported only in
 * the rows where a cuff measurement completes, timed: stamped with when it
 * completed. Pure; 0, or -1 if out of memory. Free *rows with free().
 */
int vt_scn_play(const struct vt_scenario *s, uint64_t seed, struct vt_emu_row **rows,
                size_t *n);

/* The name of an artefact kind as written in files ("probe-off"). */
const char *vt_scn_artefact_name(enum vt_scn_artefact_kind k);

#endif
