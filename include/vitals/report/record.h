/*
 * The infusion record: what the chart needs of one bed over one stretch of
 * time, gathered from its recordings. The values come from replaying the
 * recorded bytes through the bed's driver (what the alarm engine judged);
 * what happened at the station (phases with weight and dose, alarms and
 * who acknowledged them, back to baseline, the configuration) comes from
 * the station events the daemon recorded beside the bytes (format 2), or,
 * for an older recording, from the replay's own alarms.
 *
 * Pure: everything is handed in with its time; nothing here reads a file
 * or a clock. The drawing (draw.h) and the CSV read it.
 */
#ifndef VITALS_REPORT_RECORD_H
#define VITALS_REPORT_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vitals/base/sample.h"
#include "vitals/base/vocab.h"
#include "vitals/wire/session.h"

/* Samples kept per parameter: about eleven days at one a second (16 MB). */
#define VT_RECORD_MAX_SAMPLES 1000000
/* Alarms and phase changes kept; more are counted and left out. */
#define VT_RECORD_MAX_ALARMS 2000
#define VT_RECORD_MAX_PHASES 200

/* One sample of a parameter; a NAN value is no value, where a trend breaks. */
struct vt_record_point {
	int64_t t;
	double v;
};

struct vt_record_series {
	struct vt_record_point *p; /* in time order */
	size_t n, cap;
};

/* A phase set at the station. */
struct vt_record_phase {
	int64_t t;
	enum vt_phase phase;
	char by[64];
	double weight_kg;          /* NAN: not given with this change */
	double dose_mg_per_kg_h;   /* NAN: not given with this change */
};

/* One alarm instance, from raised to cleared. */
struct vt_record_alarm {
	char instance[40];         /* the daemon run (ids start again when it restarts) */
	char id[160];              /* BED/RULE/N */
	char rule[64];
	int param;                 /* enum vt_param, or -1 */
	bool technical;
	enum vt_priority priority; /* the highest it reached */
	char text[160];            /* as raised */
	char end_text[160];        /* as cleared */
	int64_t onset, raised;     /* daemon times (ms) */
	int64_t acked;             /* 0: never acknowledged */
	char acked_by[64];
	int64_t silenced;          /* the first audio pause it had; 0: none */
	char silenced_by[64];
	int64_t cleared;           /* 0: still active when the record ends */
	bool has_limit;
	double limit;
	bool has_peak;
	double peak;               /* the worst value (physiological) */
};

struct vt_record {
	char bed[128];
	char port[256], protocol[32];
	char version[32];          /* the vitalsd that recorded (of the first file) */
	char config_path[256];     /* the configuration recorded, "" unknown */
	char config_sha256[65];
	int config_changes;        /* reloads to another configuration within the record */
	int format;                /* the lowest format of the files read */
	int64_t from, to;          /* the stretch reported (ms) */
	int64_t gap_ms;            /* samples further apart than this are a gap (stale_after) */

	struct vt_record_series series[VT_PARAM_COUNT];
	vt_param_mask present;     /* parameters with at least one value */
	size_t dropped;            /* samples beyond VT_RECORD_MAX_SAMPLES */
	int64_t seen[VT_PARAM_COUNT]; /* episodic: when the current measurement was last repeated */
	int64_t stamp[VT_PARAM_COUNT]; /* episodic: the device's stamp of the last one drawn */
	vt_param_mask stamped;     /* ... for the parameters whose last point had one */

	struct vt_record_phase phases[VT_RECORD_MAX_PHASES];
	size_t n_phases;
	struct vt_record_alarm *alarms; /* in the order raised */
	size_t n_alarms, cap_alarms;
	size_t alarms_dropped;
	bool alarms_replayed;      /* the alarms are the replay's (a format-1 recording) */

	double baseline[VT_PARAM_COUNT]; /* the patient's baseline; NAN where none */
	int64_t back_to_baseline;  /* when the daemon said so; 0: it did not */
	double dose_mg;            /* the dose given, as the daemon last said; NAN unknown */
	int64_t dose_time;         /* when it said so */
	double dose_mg_per_h;      /* the rate then (weight x rate in the infusion phase, else 0) */
};

/* An empty record of `bed` for [from, to]; samples gap after gap_ms. */
void vt_record_init(struct vt_record *r, const char *bed, int64_t from, int64_t to,
                    int64_t gap_ms);
void vt_record_release(struct vt_record *r);

/* A reading of the bed's device at t (outside [from, to] it is ignored). */
void vt_record_reading(struct vt_record *r, int64_t t, const struct vt_reading *rd);
/* The bed's port went away (or the recording paused) at t: every trend breaks. */
void vt_record_gap(struct vt_record *r, int64_t t);

/*
 * A station event recorded at t (control, alert, session or config; the
 * JSON of the recording line). Objects that do not say what is needed are
 * ignored. 0, or -1 when the event is not a station event.
 */
int vt_record_station(struct vt_record *r, enum vt_rec_event ev, int64_t t, const char *json,
                      size_t len);

/*
 * A message the replay published (JSON with its topic member): its alerts
 * make the alarms when the record has no recorded ones (alarms_replayed);
 * its session messages give the baseline, the dose and back-to-baseline
 * when the recording did not say them.
 */
void vt_record_replayed(struct vt_record *r, const char *json, size_t len);

/*
 * The dose given by t (NAN unknown): the daemon's count in its last session
 * message, and the rate it counted at since. It records phase changes, not
 * its minute's updates, so a record that ends in the infusion phase is
 * counted on to its end rather than left at the dose when the phase began.
 */
double vt_record_dose_at(const struct vt_record *r, int64_t t);

/* The phase in force at t, or -1 before the first. */
int vt_record_phase_at(const struct vt_record *r, int64_t t);
/* When the first change to `phase` happened within the record, or 0. */
int64_t vt_record_phase_start(const struct vt_record *r, enum vt_phase phase);

/*
 * Keep what concerns [from, to]: the alarms active in it, and the phases
 * in it with the one in force at `from`. Call once everything is in.
 */
void vt_record_trim(struct vt_record *r);

/* One row of the vitals table: the values a nurse charts for an interval. */
struct vt_record_row {
	int64_t t;                 /* the interval's start */
	int phase;                 /* in force at its start, or -1 */
	vt_param_mask has;         /* parameters with a value in it */
	double median[VT_PARAM_COUNT]; /* the median of the interval's values */
	double spo2_min;           /* the lowest SpO2 in it */
};

/*
 * The table at `interval_ms`, intervals aligned to multiples of it since
 * the epoch (so 5 minutes start at :00, :05, ...), from the one holding
 * `from` to the one holding `to`. Episodic parameters (blood pressure)
 * count each measurement once. malloc'd rows into *rows; how many.
 */
size_t vt_record_table(const struct vt_record *r, int64_t interval_ms, struct vt_record_row **rows);

/* What the summary says; times 0 when unknown. */
struct vt_record_summary {
	bool has_spo2;
	double spo2_min;
	int64_t spo2_min_t;
	int64_t below90_ms;        /* time with SpO2 below 90 % */
	int pulse_param;           /* VT_PR, VT_HR, or -1 without either */
	double pulse_max;
	int64_t pulse_max_t;
	bool has_bp;
	double sys_max, dia_at_sys_max; /* the highest systolic pressure and its diastolic */
	int64_t bp_t;
	int64_t recovery_t;        /* when recovery began; 0 if it did not */
	int64_t back_ms;           /* from then to back at baseline; -1: not said */
	size_t alarms[3];          /* physiological alarms by priority */
	size_t technical;          /* technical alarms */
};

void vt_record_summarise(const struct vt_record *r, struct vt_record_summary *s);

/*
 * The parameters of the record in the order a chart lists them (SpO2,
 * pulse, heart rate, blood pressure, respiration, EtCO2, then the rest)
 * into out (room for VT_PARAM_COUNT); how many.
 */
size_t vt_record_columns(const struct vt_record *r, int *out);

/* Whether `p` is a spot measurement (a blood-pressure cuff): drawn as points. */
bool vt_record_episodic(enum vt_param p);

/*
 * A value as the chart shows it: whole numbers, but one decimal for the
 * parameters a device gives in tenths (PI, SpCO, SpMet); "-" for NAN.
 */
const char *vt_record_format(enum vt_param p, double v, char *buf, size_t len);

#endif
