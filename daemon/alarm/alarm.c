/*
 * The alarm engine. It turns readings into alarm events by the rules of
 * docs/alarms.md, and it is deliberately small and pure: no I/O, no clock, no
 * logging. Time is an argument, so a replayed session raises and clears at
 * the same sample times as the live run that recorded it.
 *
 * Three families live here:
 *  - physiological limit rules (runs, `for` delay, hysteresis, latching);
 *  - technical alarms driven by readings (sensor-off, signal-quality);
 *  - technical alarms driven by time (comm-lost, no-data), which fire at
 *    their deadline, so the shell must call vt_alarms_advance() when
 *    vt_alarms_next_deadline() says so;
 *  - recording-failed, which the shell reports from its recorder;
 *  - undecodable-data, which takes comm-lost's place when bytes keep
 *    arriving but none decodes (docs/alarms.md, technical alarms).
 *
 * Decisions (written down in docs/alarms.md):
 *  - while the device says it is not measuring a parameter on the patient
 *    (sensor off, leads off, sample line occluded, demo mode:
 *    vt_flags_blind), the samples of that parameter count as having no
 *    value: they neither raise nor clear, and they break runs;
 *  - no-data is not raised while comm-lost or such a condition already
 *    explains the silence; when that explanation ends the parameter gets a
 *    fresh stale_after to show a value (an oximeter needs time to acquire);
 *  - a spot measurement (NIBP) is a value for nibp_stale_after from when it
 *    was measured, so its no-data clock is that long and starts then;
 *  - a bed's rules and no-data concern only what its monitor measures: a
 *    rule on a parameter its driver cannot give is inactive there, and a
 *    parameter that only some devices of the protocol give (a module, an
 *    option) is awaited only once it has shown a value since the port
 *    connected (a capnograph never fitted raises nothing; one unplugged
 *    mid-infusion raises no-data);
 *  - a latching alarm whose condition returns before it was acknowledged
 *    needs its clear condition met again.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/alarm/alarm.h"
#include "vitals/alarm/trigger.h"
#include "vitals/base/timefmt.h"

/* Samples a rate rule remembers per bed; a longer window is shortened. */
#define VT_RATE_WINDOW 4096

/* One sample in a rate rule's window. */
struct win_sample {
	int64_t t;             /* its time */
	double v;              /* its value */
	uint32_t n;            /* its number, for the VT_RATE_WINDOW bound */
};

/* State of one rule on one bed. */
struct rule_bed {
	bool applies;          /* the rule watches this bed */
	bool in_run;           /* the condition held on the last sample */
	int64_t run_start;     /* time of the run's first sample */
	double run_first;      /* the value of the run's first sample */
	double run_worst;      /* the most extreme value of the run so far */
	struct vt_alert *alert; /* the active instance, or NULL */
	uint32_t count;        /* instances raised so far (the N of ids) */
	/* Rules with an area or tiers (trigger.c): each level's run, area and
	 * tier in force, and the previous sample, whose distance in time is
	 * what the next one stands for. */
	struct vt_trigger trig[VT_TRIGGER_LEVELS];
	uint32_t run_n;        /* samples in the run (spot measurements: `for` counts them) */
	/* Apnea rules: the capnograph has shown a value since the clock last
	 * stopped (so a monitor without one raises nothing), and when the last
	 * breath was. */
	bool armed;
	int64_t last_breath;
	bool sampled;          /* a sample of the parameter came since the port connected */
	int64_t last_sample;   /* its time */
	/*
	 * Rate rules: the window's samples that can still be its extreme (each
	 * is beaten by no later one), oldest first, as a ring. The extreme is
	 * then always the first, and each sample costs O(1) amortised instead
	 * of a scan of the whole window (a monotonic deque).
	 */
	struct win_sample *w;
	size_t w_head, w_len;
	uint32_t w_count;      /* samples pushed so far (wraps): numbers them */
};


/* One of the alarms a monitor raised itself, while it is active. */
struct monitor_alarm {
	struct vt_alert *al;   /* the alert, or NULL: the slot is free */
	char code[48];         /* the monitor's code and source: what its updates and end name */
	char source[48];
};

/* State of one bed's technical alarms. */
struct bed {
	const char *name;
	int64_t stale_ms;                   /* the monitor's stale_after */
	bool monitoring;                    /* comm clock running */
	int64_t last_reading;               /* time of the last decoded reading */
	int64_t last_junk;                  /* last time the driver rejected bytes; INT64_MIN: never */
	int64_t junk_since;                 /* start of the current run of rejected bytes */
	uint64_t junk_bytes;                /* bytes received since the last decoded reading */
	const char *looks_like;             /* the protocol the bytes look like, or NULL */
	bool connected;                     /* no-data clocks running */
	vt_param_mask measures;             /* the monitor gives these from the moment it connects */
	vt_param_mask may_measure;          /* and these once it has shown a value (modules, options) */
	vt_param_mask shown;                /* those of may_measure shown since the port connected */
	vt_param_mask watched;              /* parameters some active rule of this bed watches */
	int64_t valid_since[VT_PARAM_COUNT]; /* last valid value (or clock restart) */
	vt_param_mask blind;                /* the device says it is not measuring these */
	vt_param_mask spot;                 /* parameters seen as spot measurements */
	int64_t spot_stale_ms;              /* the monitor's nibp_stale_after */
	struct vt_alert *tech[VT_TECH_COUNT];          /* comm-lost, sensor-off, signal-quality,
	                                                  recording-failed */
	struct vt_alert *no_data[VT_PARAM_COUNT];      /* one no-data alarm per parameter */
	uint32_t tech_count[VT_TECH_COUNT];            /* instances raised per technical alarm */
	int64_t silenced_until;             /* audio pause ends; 0: no pause */
	int phase;                          /* enum vt_phase, or -1 without a session */
	double baseline[VT_PARAM_COUNT];    /* NAN where no baseline is known */
	enum vt_priority silence_level;     /* alerts up to this priority stay quiet */
	struct monitor_alarm monitor[VT_MONITOR_ALARMS_MAX]; /* the monitor's own, active */
	uint32_t monitor_count;             /* the monitor's alarms raised so far (the N of ids) */
	/* alarms acknowledged before a restart: the next raise of each, before
	 * `until`, starts acknowledged (vt_alarms_restore_ack) */
	struct { char rule[64]; int64_t until; } restored[VT_ALARMS_RESTORED_MAX];
	size_t n_restored;
};

struct vt_alarms {
	const struct vt_config *cfg;
	size_t n_beds;
	struct bed *beds;
	struct rule_bed *rb;       /* n_rules x n_beds, rule-major */
	struct vt_alert **active;  /* active alerts in raising order */
	size_t n_active;
	size_t cap_active;
	bool has_apnea;            /* some rule is an apnea rule (its clocks cost a loop) */
};

static const char *const event_names[] = {"raised",    "cleared", "acknowledged", "silenced",
                                          "escalated", "updated", "deescalated"};
static const char *const tech_cleared_text[VT_TECH_COUNT] = {
    "Communication restored", "Sensor back on the patient", "Values again",
    "Signal quality restored", "Recording again", "Valid data again", "ECG leads back on",
    "Blood pressure measured again", "CO2 sample line clear", "Demo mode ended"};
/* Default priorities of the technical alarms. Losing sight of a patient is
 * as urgent as most physiological alarms; doubtful signal quality is not. A
 * recording that fails loses the record of the session, not the patient:
 * medium, so that someone fixes the disk before an incident needs it. */
static const enum vt_priority tech_priority[VT_TECH_COUNT] = {
    VT_PRIO_MEDIUM, VT_PRIO_MEDIUM, VT_PRIO_MEDIUM, VT_PRIO_LOW, VT_PRIO_MEDIUM, VT_PRIO_MEDIUM,
    /* Leads off and an occluded CO2 line blind a parameter as a sensor off
     * does. A failed cuff measurement leaves the last blood pressure shown
     * (until nibp_stale_after), and the next cycle usually succeeds: low. A
     * monitor in demo mode shows nothing of the patient: as comm-lost. */
    VT_PRIO_MEDIUM, VT_PRIO_LOW, VT_PRIO_MEDIUM, VT_PRIO_MEDIUM};

/* The device conditions that are technical alarms, by the flags that say so. */
static const struct {
	enum vt_technical tech;
	uint32_t flags;
	const char *text;
} s_conditions[] = {
    {VT_TECH_SENSOR_OFF, VT_FLAGS_SENSOR_OFF, "Sensor off: the monitor is not reading the patient"},
    {VT_TECH_LEADS_OFF, VT_FLAG_LEADS_OFF, "ECG leads off: no heart rate from the ECG"},
    {VT_TECH_CUFF_ERROR, VT_FLAGS_CUFF, "NIBP measurement failed or cancelled: no new blood "
                                        "pressure"},
    {VT_TECH_CO2_OCCLUSION, VT_FLAG_CO2_OCCLUSION, "CO2 sample line occluded: no EtCO2"},
    {VT_TECH_DEMO_DATA, VT_FLAG_DEMO_DATA, "Monitor in demo mode: its values are not the "
                                           "patient's"},
};

const char *
vt_alert_event_name(enum vt_alert_event_type t)
{
	return event_names[t];
}

static struct rule_bed *
s_rb(struct vt_alarms *a, size_t rule, size_t bed)
{
	return &a->rb[rule * a->n_beds + bed];
}

/* Index of the rule whose instance `al` is, or -1 for technical alarms. */
static long
s_owner(struct vt_alarms *a, const struct vt_alert *al)
{
	for (size_t r = 0; r < a->cfg->n_rules; r++)
		if (s_rb(a, r, (size_t)al->bed)->alert == al)
			return (long)r;
	return -1;
}

struct vt_alarms *
vt_alarms_new(const struct vt_config *cfg)
{
	struct vt_alarms *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	a->cfg = cfg;
	for (size_t r = 0; r < cfg->n_rules; r++)
		a->has_apnea |= cfg->rules[r].kind == VT_RULE_APNEA;
	a->n_beds = cfg->n_monitors;
	a->beds = calloc(a->n_beds ? a->n_beds : 1, sizeof(*a->beds));
	a->rb = calloc(cfg->n_rules * a->n_beds + 1, sizeof(*a->rb));
	if (a->beds == NULL || a->rb == NULL) {
		vt_alarms_free(&a);
		return NULL;
	}
	for (size_t b = 0; b < a->n_beds; b++) {
		a->beds[b].name = cfg->monitors[b].bed;
		a->beds[b].stale_ms = cfg->monitors[b].stale_after_ms;
		a->beds[b].spot_stale_ms = cfg->monitors[b].nibp_stale_after_ms;
		a->beds[b].phase = -1;
		for (int p = 0; p < VT_PARAM_COUNT; p++)
			a->beds[b].baseline[p] = NAN;
	}
	for (size_t r = 0; r < cfg->n_rules; r++) {
		for (size_t b = 0; b < a->n_beds; b++) {
			if (cfg->rules[r].kind != VT_RULE_RATE ||
			    !vt_rule_applies_to_bed(cfg, &cfg->rules[r], b))
				continue;
			/* Allocated for every bed the rule names, so that a bed whose
			 * measures change (vt_alarms_bed_measures) finds it there. */
			s_rb(a, r, b)->w = calloc(VT_RATE_WINDOW, sizeof(*s_rb(a, r, b)->w));
			if (s_rb(a, r, b)->w == NULL) {
				vt_alarms_free(&a);
				return NULL;
			}
		}
	}
	for (size_t b = 0; b < a->n_beds; b++) {
		/* A configuration built by hand may name no driver: it measures everything. */
		const struct vt_driver *d = cfg->monitors[b].driver;
		vt_alarms_bed_measures(a, (int)b, d ? d->params : VT_PARAMS_ALL,
		                       d ? d->params_optional : 0);
	}
	return a;
}

void
vt_alarms_bed_measures(struct vt_alarms *a, int bed, vt_param_mask measures,
                       vt_param_mask may_measure)
{
	struct bed *bd = &a->beds[bed];
	bd->measures = measures;
	bd->may_measure = may_measure & ~measures;
	bd->shown &= bd->may_measure;
	bd->watched = 0;
	for (size_t r = 0; r < a->cfg->n_rules; r++) {
		const struct vt_rule_config *rc = &a->cfg->rules[r];
		struct rule_bed *st = s_rb(a, r, (size_t)bed);
		st->applies = vt_rule_applies_to_bed(a->cfg, rc, (size_t)bed) &&
		              ((measures | may_measure) & VT_PARAM_BIT(rc->param));
		if (st->applies)
			bd->watched |= VT_PARAM_BIT(rc->param);
	}
}

void
vt_alarms_free(struct vt_alarms **ap)
{
	if (ap == NULL || *ap == NULL)
		return;
	struct vt_alarms *a = *ap;
	for (size_t i = 0; i < a->n_active; i++)
		free(a->active[i]);
	free(a->active);
	for (size_t i = 0; a->rb && i < a->cfg->n_rules * a->n_beds; i++)
		free(a->rb[i].w);
	free(a->rb);
	free(a->beds);
	free(a);
	*ap = NULL;
}

/* Numbers in alert texts: as the device shows them, without trailing zeros. */
static void
s_num(char *buf, size_t len, double v)
{
	snprintf(buf, len, "%.10g", v);
}

/* Set an alert's text; a long one is cut, which is fine for a display line. */
static void __attribute__((format(printf, 2, 3)))
s_text(struct vt_alert *al, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(al->text, sizeof(al->text), fmt, ap);
	va_end(ap);
}

static void
s_emit(vt_alert_fn fn, void *ctx, enum vt_alert_event_type type, const struct vt_alert *al,
       int64_t t, const char *by)
{
	if (fn == NULL)
		return;
	struct vt_alert_event ev = {.type = type, .alert = al, .time_ms = t, .by = by};
	fn(ctx, &ev);
}

/* A new active alert with its id; NULL if memory ran out. */
static struct vt_alert *
s_alert_new(struct vt_alarms *a, size_t bed, const char *rule, uint32_t n)
{
	if (a->n_active == a->cap_active) {
		size_t cap = a->cap_active ? a->cap_active * 2 : 16;
		struct vt_alert **v = realloc(a->active, cap * sizeof(*v));
		if (v == NULL)
			return NULL;
		a->active = v;
		a->cap_active = cap;
	}
	struct vt_alert *al = calloc(1, sizeof(*al));
	if (al == NULL)
		return NULL;
	snprintf(al->id, sizeof(al->id), "%s/%s/%" PRIu32, a->beds[bed].name, rule, n);
	al->bed = (int)bed;
	al->bed_name = a->beds[bed].name;
	al->rule = rule;
	al->param = -1;
	al->worst = al->onset_value = NAN;
	a->active[a->n_active++] = al;
	return al;
}

/* End the audio pause of `bed` at t: every paused alert hears of it. */
static void
s_end_silence(struct vt_alarms *a, size_t bed, int64_t t, vt_alert_fn fn, void *ctx)
{
	a->beds[bed].silenced_until = 0;
	for (size_t i = 0; i < a->n_active; i++) {
		struct vt_alert *al = a->active[i];
		if ((size_t)al->bed != bed || al->silenced_until == 0)
			continue;
		al->silenced_until = 0;
		s_emit(fn, ctx, VT_EV_SILENCED, al, t, NULL);
	}
}

/* Whether `al` continues an alarm acknowledged before a restart (and use that up). */
static bool
s_take_restored_ack(struct bed *bd, const struct vt_alert *al, int64_t t)
{
	for (size_t i = 0; i < bd->n_restored; i++) {
		if (strcmp(bd->restored[i].rule, al->rule) != 0)
			continue;
		bool in_time = t <= bd->restored[i].until;
		bd->restored[i] = bd->restored[--bd->n_restored];
		return in_time;
	}
	return false;
}

void
vt_alarms_restore_ack(struct vt_alarms *a, int bed, const char *rule, int64_t until)
{
	struct bed *bd = &a->beds[bed];
	if (bd->n_restored == VT_ALARMS_RESTORED_MAX || strlen(rule) >= sizeof(bd->restored[0].rule))
		return;
	snprintf(bd->restored[bd->n_restored].rule, sizeof(bd->restored[0].rule), "%s", rule);
	bd->restored[bd->n_restored++].until = until;
}

/* Announce a new alert: it joins an audio pause or breaks through it. */
static void
s_announce(struct vt_alarms *a, struct vt_alert *al, int64_t t, int64_t escalate_after,
           vt_alert_fn fn, void *ctx)
{
	struct bed *bd = &a->beds[al->bed];
	/* A nurse acknowledged this one before the daemon restarted: no new signal. */
	if (s_take_restored_ack(bd, al, t)) {
		al->acknowledged = true;
		escalate_after = 0;
	}
	al->escalate_at =
	    escalate_after > 0 && al->priority < VT_PRIO_HIGH ? t + escalate_after : INT64_MAX;
	if (bd->silenced_until > t) {
		if (al->priority <= bd->silence_level)
			al->silenced_until = bd->silenced_until;
		else
			s_end_silence(a, (size_t)al->bed, t, fn, ctx);
	}
	s_emit(fn, ctx, VT_EV_RAISED, al, t, NULL);
}

/* Emit `cleared` for `al`, then forget it. */
static void
s_clear(struct vt_alarms *a, struct vt_alert *al, int64_t t, vt_alert_fn fn, void *ctx)
{
	s_emit(fn, ctx, VT_EV_CLEARED, al, t, NULL);
	for (size_t i = 0; i < a->n_active; i++) {
		if (a->active[i] == al) {
			memmove(&a->active[i], &a->active[i + 1],
			        (a->n_active - i - 1) * sizeof(a->active[0]));
			a->n_active--;
			break;
		}
	}
	free(al);
}

/* ---- technical alarms --------------------------------------------------- */

static struct vt_alert *
s_tech_raise(struct vt_alarms *a, size_t bed, enum vt_technical tech, int param, int64_t t,
             const char *text, vt_alert_fn fn, void *ctx)
{
	struct bed *bd = &a->beds[bed];
	struct vt_alert *al = s_alert_new(a, bed, vt_technical_name(tech), ++bd->tech_count[tech]);
	if (al == NULL)
		return NULL;
	al->kind = VT_KIND_TECHNICAL;
	al->priority = tech_priority[tech];
	al->param = param;
	al->onset_ms = al->raised_ms = t;
	s_text(al, "%s", text);
	s_announce(a, al, t, 0, fn, ctx);
	return al;
}

/* Restart the no-data clocks of the parameters `m` of `bd` at t where they are older. */
static void
s_restart_no_data(struct bed *bd, vt_param_mask m, int64_t t)
{
	for (int p = 0; p < VT_PARAM_COUNT; p++)
		if ((m & VT_PARAM_BIT(p)) && bd->valid_since[p] < t)
			bd->valid_since[p] = t;
}

/* Whether no-data may be raised on `bd` now: comm-lost does not explain silence. */
static bool
s_no_data_armed(const struct bed *bd)
{
	return bd->connected && bd->tech[VT_TECH_COMM_LOST] == NULL &&
	       bd->tech[VT_TECH_UNDECODABLE] == NULL;
}

/* Whether the bed's link is down, one way or the other. */
static bool
s_link_alarm(const struct bed *bd)
{
	return bd->tech[VT_TECH_COMM_LOST] != NULL || bd->tech[VT_TECH_UNDECODABLE] != NULL;
}

/* The watched parameters whose silence is no-data on `bd`: those its monitor
 * always measures, and those of its modules that have shown a value since
 * the port connected. */
static vt_param_mask
s_no_data_params(const struct bed *bd)
{
	return bd->watched & (bd->measures | bd->shown);
}

/* When no-data of `p` falls due on `bd`: a spot measurement lasts longer. */
static int64_t
s_no_data_due(const struct bed *bd, int p)
{
	bool spot = vt_param_info(p)->episodic || (bd->spot & VT_PARAM_BIT(p));
	int64_t stale = spot ? bd->spot_stale_ms : bd->stale_ms;
	return bd->valid_since[p] + stale;
}

void
vt_alarms_monitor_start(struct vt_alarms *a, int bed, int64_t t)
{
	struct bed *bd = &a->beds[bed];
	bd->monitoring = true;
	bd->last_reading = t;
	bd->last_junk = INT64_MIN;
}

void
vt_alarms_monitor_stop(struct vt_alarms *a, int bed)
{
	a->beds[bed].monitoring = false;
	a->beds[bed].connected = false;
}

void
vt_alarms_port_connected(struct vt_alarms *a, int bed, int64_t t)
{
	struct bed *bd = &a->beds[bed];
	if (bd->connected)
		return;
	bd->connected = true;
	s_restart_no_data(bd, VT_PARAMS_ALL, t);
	/* A module counts again from its first value: what is plugged in now
	 * may not be what was before. */
	bd->shown = 0;
	/* A sample after a reconnection stands for no time before it; an apnea
	 * clock waits for the capnograph's first value. */
	for (size_t r = 0; r < a->cfg->n_rules; r++) {
		s_rb(a, r, (size_t)bed)->sampled = false;
		s_rb(a, r, (size_t)bed)->armed = false;
	}
}

void
vt_alarms_port_disconnected(struct vt_alarms *a, int bed, int64_t t)
{
	a->beds[bed].connected = false;
}

/* Raise or clear a reading-driven technical alarm to match `present`. */
static void
s_tech_track(struct vt_alarms *a, size_t bed, enum vt_technical tech, bool present, int64_t t,
             const char *text, vt_alert_fn fn, void *ctx)
{
	struct bed *bd = &a->beds[bed];
	if (present && bd->tech[tech] == NULL)
		bd->tech[tech] = s_tech_raise(a, bed, tech, -1, t, text, fn, ctx);
	else if (!present && bd->tech[tech] != NULL) {
		struct vt_alert *al = bd->tech[tech];
		bd->tech[tech] = NULL;
		s_text(al, "%s", tech_cleared_text[tech]);
		s_clear(a, al, t, fn, ctx);
	}
}

void
vt_alarms_recording(struct vt_alarms *a, int bed, bool ok, int64_t t, const char *why,
                    vt_alert_fn fn, void *ctx)
{
	struct bed *bd = &a->beds[bed];
	if (ok == (bd->tech[VT_TECH_RECORDING_FAILED] == NULL))
		return; /* nothing changes: the common case, once per read */
	char text[160];
	snprintf(text, sizeof(text), "Recording failed%s%.100s; monitoring continues",
	         why && why[0] ? ": " : "", why ? why : "");
	s_tech_track(a, (size_t)bed, VT_TECH_RECORDING_FAILED, !ok, t, text, fn, ctx);
}

/* Raise undecodable-data at t, naming what arrived; comm-lost gives way to it. */
static void
s_raise_undecodable(struct vt_alarms *a, size_t bed, int64_t t, vt_alert_fn fn, void *ctx)
{
	struct bed *bd = &a->beds[bed];
	char text[192], dur[32];
	snprintf(text, sizeof(text),
	         "Receiving data that cannot be decoded (wrong protocol or baud rate?): %llu bytes, "
	         "no valid frame for %.16s%s%.24s",
	         (unsigned long long)bd->junk_bytes,
	         vt_duration_format(bd->stale_ms, dur, sizeof(dur)),
	         bd->looks_like ? "; it looks like " : "", bd->looks_like ? bd->looks_like : "");
	if (bd->tech[VT_TECH_COMM_LOST] != NULL) {
		struct vt_alert *al = bd->tech[VT_TECH_COMM_LOST];
		bd->tech[VT_TECH_COMM_LOST] = NULL;
		s_text(al, "Data arriving again, but it cannot be decoded");
		s_clear(a, al, t, fn, ctx);
	}
	bd->tech[VT_TECH_UNDECODABLE] = s_tech_raise(a, bed, VT_TECH_UNDECODABLE, -1, t, text, fn, ctx);
}

void
vt_alarms_undecoded(struct vt_alarms *a, int bed, int64_t t, uint64_t bytes,
                    const char *looks_like, vt_alert_fn fn, void *ctx)
{
	struct bed *bd = &a->beds[bed];
	/* A run of rejected bytes starts afresh after a quiet stale_after. */
	if (bd->last_junk == INT64_MIN || bd->last_junk <= bd->last_reading ||
	    t - bd->last_junk >= bd->stale_ms)
		bd->junk_since = t;
	bd->last_junk = t;
	bd->junk_bytes = bytes;
	bd->looks_like = looks_like;
	/* Silent line, then bytes that never decode for stale_after: say so. */
	if (bd->monitoring && bd->tech[VT_TECH_COMM_LOST] != NULL &&
	    t - bd->junk_since >= bd->stale_ms)
		s_raise_undecodable(a, (size_t)bed, t, fn, ctx);
}

/* ---- physiological rules ------------------------------------------------ */

/*
 * What one sample means for one rule: whether it can be judged at all
 * (`has`), whether the condition holds, whether the clear condition holds,
 * and the limit in force. Limit, baseline and rate rules differ only here;
 * runs, delays, latching and clearing are shared.
 */
struct verdict {
	bool has;      /* the sample can be judged (a value, a baseline, ...) */
	bool beyond;   /* the alarm condition holds */
	bool back;     /* the clear condition holds */
	double limit;  /* the threshold in force */
	double ref;    /* rate rules: the window's extreme the change is measured from */
};

/*
 * Remember a valid sample in the rule's window and return the window's
 * extreme, the sample included: the highest value for a fall (direction
 * < 0), the lowest for a rise. The window is the samples of the last
 * `within`, at most VT_RATE_WINDOW of them (a longer one is shortened,
 * never overrun).
 */
static double
s_window_push(struct rule_bed *st, int64_t within, int direction, int64_t t, double v)
{
	uint32_t n = st->w_count++;
	while (st->w_len > 0 && (st->w[st->w_head].t < t - within ||
	                         n - st->w[st->w_head].n >= VT_RATE_WINDOW)) {
		st->w_head = (st->w_head + 1) % VT_RATE_WINDOW;
		st->w_len--;
	}
	/* A sample the new one equals or beats can never be the extreme again. */
	while (st->w_len > 0) {
		const struct win_sample *last = &st->w[(st->w_head + st->w_len - 1) % VT_RATE_WINDOW];
		if (direction < 0 ? last->v > v : last->v < v)
			break;
		st->w_len--;
	}
	st->w[(st->w_head + st->w_len) % VT_RATE_WINDOW] = (struct win_sample){t, v, n};
	st->w_len++;
	return st->w[st->w_head].v;
}

/* A baseline-relative limit: `delta` (a percentage of it, or units) beyond `base`. */
static double
s_baseline_limit(double base, int direction, double delta, bool percent)
{
	return percent ? base * (1.0 + direction * delta / 100.0) : base + direction * delta;
}

static struct verdict
s_judge(struct vt_alarms *a, const struct vt_rule_config *rc, struct rule_bed *st, size_t bed,
        bool has, double v, int64_t t)
{
	struct verdict vd = {.has = has};
	if (!has)
		return vd;
	double base;
	switch (rc->kind) {
	case VT_RULE_LIMIT:
		vd.limit = rc->limit;
		vd.beyond = rc->direction < 0 ? v < rc->limit : v > rc->limit;
		vd.back = rc->direction < 0 ? v >= rc->clear_at : v <= rc->clear_at;
		break;
	case VT_RULE_BASELINE:
		base = a->beds[bed].baseline[rc->param];
		if (isnan(base)) {
			vd.has = false; /* no baseline yet: nothing to compare with */
			break;
		}
		vd.ref = base;
		vd.limit = s_baseline_limit(base, rc->direction, rc->delta, rc->delta_percent);
		/* "20% or 25": the limit nearer the baseline is crossed first. */
		if (rc->delta_or > 0) {
			double other = s_baseline_limit(base, rc->direction, rc->delta_or,
			                                 rc->delta_or_percent);
			vd.limit = rc->direction > 0 ? fmin(vd.limit, other) : fmax(vd.limit, other);
		}
		vd.beyond = rc->direction < 0 ? v < vd.limit : v > vd.limit;
		vd.back = !vd.beyond;
		break;
	case VT_RULE_RATE:
		vd.ref = s_window_push(st, rc->within_ms, rc->direction, t, v);
		vd.limit = vd.ref + rc->direction * rc->delta;
		vd.beyond = rc->direction < 0 ? vd.ref - v >= rc->delta : v - vd.ref >= rc->delta;
		/* Hysteresis: a slow, steady fall must not raise and clear every few
		 * seconds; the change must shrink to half before the alarm clears. */
		vd.back = fabs(v - vd.ref) < rc->delta / 2;
		break;
	case VT_RULE_APNEA:
		/* Judged by time, not by samples (s_apnea_sample, s_apnea_due). */
		vd.limit = rc->floor;
		vd.beyond = v < rc->floor;
		vd.back = !vd.beyond;
		break;
	}
	return vd;
}

static void
s_raise_text(struct vt_alert *al, const struct vt_rule_config *rc, const struct verdict *vd,
             double v)
{
	const struct vt_param_info *pi = vt_param_info(rc->param);
	char val[32], lim[32], ref[32], dur[32], tail[48] = "";
	const char *dir = rc->direction < 0 ? "below" : "above";
	s_num(val, sizeof(val), v);
	s_num(lim, sizeof(lim), vd->limit);
	s_num(ref, sizeof(ref), vd->ref);
	/* An area or a tier may raise before `for`: no "for" then. */
	if (rc->for_ms > 0 && !vt_trigger_applies(rc))
		snprintf(tail, sizeof(tail), " for %s", vt_duration_format(rc->for_ms, dur, sizeof(dur)));
	if (rc->for_count > 1)
		snprintf(tail, sizeof(tail), " in %d measurements", rc->for_count);
	switch (rc->kind) {
	case VT_RULE_LIMIT:
		s_text(al, "%s %s %s %s %s %s%s", pi->label, val, pi->unit,
		         dir, lim, pi->unit, tail);
		break;
	case VT_RULE_BASELINE:
		s_text(al, "%s %s %s %s %s %s (baseline %s %s)%s", pi->label,
		         val, pi->unit, dir, lim, pi->unit, ref, pi->unit, tail);
		break;
	case VT_RULE_RATE: {
		char delta[32];
		s_num(delta, sizeof(delta), fabs(v - vd->ref));
		s_text(al, "%s %s by %s %s to %s %s within %s%s", pi->label,
		         rc->direction < 0 ? "fell" : "rose", delta, pi->unit, val, pi->unit,
		         vt_duration_format(rc->within_ms, dur, sizeof(dur)), tail);
		break;
	}
	case VT_RULE_APNEA:
		s_text(al, "Apnea: no breath for %s (%s below %s %s)",
		       vt_duration_format(rc->no_breath_ms, dur, sizeof(dur)), pi->label, lim, pi->unit);
		break;
	}
}

/* The more extreme of two values for a rule: lower for below/falls, higher for above/rises. */
static double
s_worse(const struct vt_rule_config *rc, double a, double b)
{
	if (isnan(a))
		return b;
	return rc->direction < 0 ? fmin(a, b) : fmax(a, b);
}

/* ", worst 79 %" after the text, when the worst is not the value it shows. */
static void
s_worst_tail(struct vt_alert *al, const struct vt_rule_config *rc)
{
	if (isnan(al->worst) || al->worst == al->value)
		return;
	const struct vt_param_info *pi = vt_param_info(rc->param);
	char w[32];
	size_t used = strlen(al->text);
	s_num(w, sizeof(w), al->worst);
	snprintf(al->text + used, sizeof(al->text) - used, ", worst %s %s", w, pi->unit);
}

static void
s_clear_text(struct vt_alert *al, const struct vt_rule_config *rc, double v)
{
	const struct vt_param_info *pi = vt_param_info(rc->param);
	char val[32], lim[32];
	s_num(val, sizeof(val), v);
	s_num(lim, sizeof(lim), rc->clear_at);
	if (rc->kind == VT_RULE_LIMIT)
		s_text(al, "%s back to %s %s (clears at %s %s)", pi->label,
		         val, pi->unit, lim, pi->unit);
	else if (rc->kind == VT_RULE_APNEA)
		s_text(al, "Breathing again: %s %s %s", pi->label, val, pi->unit);
	else
		s_text(al, "%s back to %s %s", pi->label, val, pi->unit);
}

/*
 * The text of an active alarm after a new sample, so that whoever reads
 * only the text (a console line, a pager) sees the value now: beyond the
 * limit, between the limit and clear_at, or back but latched.
 */
static void
s_update_text(struct vt_alert *al, const struct vt_rule_config *rc, const struct verdict *vd,
              double v)
{
	if (al->clear_met) {
		s_clear_text(al, rc, v);
		size_t used = strlen(al->text);
		snprintf(al->text + used, sizeof(al->text) - used, "; latched until acknowledged");
	} else if (vd->beyond || rc->kind != VT_RULE_LIMIT) {
		s_raise_text(al, rc, vd, v);
	} else {
		const struct vt_param_info *pi = vt_param_info(rc->param);
		char val[32], at[32];
		s_num(val, sizeof(val), v);
		s_num(at, sizeof(at), rc->clear_at);
		s_text(al, "%s %s %s, not yet back to %s %s", pi->label, val, pi->unit, at, pi->unit);
	}
	s_worst_tail(al, rc);
}

/* Forget an active instance without a sample (its rule no longer applies). */
static void
s_rule_drop(struct vt_alarms *a, size_t rule, size_t bed, int64_t t, const char *why,
            vt_alert_fn fn, void *ctx)
{
	struct rule_bed *st = s_rb(a, rule, bed);
	st->in_run = false;
	st->sampled = false;
	vt_trigger_reset(st->trig);
	st->w_len = 0;
	if (st->alert == NULL)
		return;
	struct vt_alert *al = st->alert;
	st->alert = NULL;
	s_text(al, "%s", why);
	s_clear(a, al, t, fn, ctx);
}

/*
 * A tiered alarm's level after a sample: the limit in force follows the
 * deepest tier in force, and a change of priority is an `escalated` or
 * `deescalated` event carrying the new value (so no `updated` follows).
 * Rising above the priority it was acknowledged at, it sounds again (the
 * patient got worse since); rising above a bed's audio pause breaks it.
 * Returns whether an event went out.
 */
static bool
s_set_level(struct vt_alarms *a, struct vt_alert *al, const struct vt_rule_config *rc, int level,
            const struct verdict *vd, double v, int64_t t, vt_alert_fn fn, void *ctx)
{
	enum vt_priority p = vt_trigger_priority(rc, level);
	al->limit = vt_trigger_limit(rc, level);
	if (p == al->priority)
		return false;
	bool up = p > al->priority;
	al->priority = p;
	if (up && al->acknowledged && p > al->acked_at)
		al->acknowledged = false;
	struct bed *bd = &a->beds[al->bed];
	if (up && al->silenced_until > 0 && p > bd->silence_level)
		s_end_silence(a, (size_t)al->bed, t, fn, ctx);
	s_update_text(al, rc, vd, v);
	s_emit(fn, ctx, up ? VT_EV_ESCALATED : VT_EV_DEESCALATED, al, t, NULL);
	return true;
}

static void
s_rule_sample(struct vt_alarms *a, size_t rule, size_t bed, bool has, double v, int64_t t,
              vt_alert_fn fn, void *ctx)
{
	const struct vt_rule_config *rc = &a->cfg->rules[rule];
	struct rule_bed *st = s_rb(a, rule, bed);
	struct vt_alert *al = st->alert;
	struct verdict vd = s_judge(a, rc, st, bed, has, v, t);
	/* Rules with an area or tiers: the triggers decide the raise and the level. */
	bool depth = vt_trigger_applies(rc);
	struct vt_trigger_result trig = {.met = false, .level = 0};
	if (depth)
		trig = vt_trigger_sample(rc, st->trig, vd.has, v, t,
		                         st->sampled ? t - st->last_sample : 0);
	st->sampled = true;
	st->last_sample = t;

	if (al != NULL) {
		/* Samples with no value never clear: the patient is not known to be better. */
		if (!vd.has)
			return;
		/* The alert shows the latest value for as long as it is active,
		 * and says so (`updated`) whenever that value moves. */
		bool moved = !al->has_value || al->value != v;
		al->has_value = true;
		al->value = v;
		al->worst = s_worse(rc, al->worst, v);
		if (vd.back) {
			if (!rc->latching || al->acknowledged) {
				s_clear_text(al, rc, v);
				st->alert = NULL;
				st->in_run = false;
				vt_trigger_reset(st->trig);
				s_clear(a, al, t, fn, ctx);
				return;
			}
			al->clear_met = true;
		} else if (vd.beyond) {
			al->clear_met = false;
		}
		if (depth && s_set_level(a, al, rc, trig.level, &vd, v, t, fn, ctx))
			return;
		if (moved) {
			s_update_text(al, rc, &vd, v);
			s_emit(fn, ctx, VT_EV_UPDATED, al, t, NULL);
		}
		return;
	}

	if (!vd.has || !vd.beyond) {
		st->in_run = false;
		return;
	}
	if (!st->in_run) {
		st->in_run = true;
		st->run_start = t;
		st->run_first = st->run_worst = v;
		st->run_n = 0;
	}
	st->run_n++;
	st->run_worst = s_worse(rc, st->run_worst, v);
	/* A delay in time, or in measurements for a spot value (docs/alarms.md). */
	bool waiting = rc->for_count > 0 ? st->run_n < (uint32_t)rc->for_count
	                                 : t - st->run_start < rc->for_ms;
	if (depth ? !trig.met : waiting)
		return;

	al = s_alert_new(a, bed, rc->name, ++st->count);
	if (al == NULL)
		return;
	al->kind = VT_KIND_PHYSIOLOGICAL;
	al->priority = depth ? vt_trigger_priority(rc, trig.level) : rc->priority;
	al->param = (int)rc->param;
	al->has_limit = true;
	al->limit = depth ? vt_trigger_limit(rc, trig.level) : vd.limit;
	al->onset_ms = st->run_start;
	al->raised_ms = t;
	al->has_value = true;
	al->value = v;
	al->onset_value = st->run_first;
	al->worst = st->run_worst;
	s_raise_text(al, rc, &vd, v);
	s_worst_tail(al, rc);
	st->alert = al;
	s_announce(a, al, t, rc->escalate_after_ms, fn, ctx);
}

/*
 * Runs start afresh (a phase change); an active alarm keeps its tier in
 * force. The rule saw no samples out of force, so the next one stands for
 * no time before it.
 */
static void
s_restart_runs(struct rule_bed *st)
{
	st->in_run = false;
	st->sampled = false;
	st->armed = false; /* apnea: its clock starts again with the next value */
	for (int i = 0; i < VT_TRIGGER_LEVELS; i++)
		st->trig[i].in_run = false;
}

/* Whether rule `rc` is in force on a bed in `phase` (-1: no infusion session). */
static bool
s_in_phase(const struct vt_rule_config *rc, int phase)
{
	return rc->phases == 0 || (phase >= 0 && (rc->phases & VT_PHASE_BIT(phase)));
}

/* ---- apnea ---------------------------------------------------------------- */

/*
 * An apnea rule (no_breath_for) is judged by time: it raises when no breath
 * (an EtCO2 sample at or above the floor) has come for no_breath_for while
 * the capnograph is connected, whether or not samples keep coming (a
 * monitor may show no value at all during an apnea). Its clock starts at
 * the first value the capnograph shows and stops while it cannot be heard:
 * the parameter not reported, blinded (sample line occluded), the link
 * lost, or the rule out of force.
 */
static void
s_apnea_sample(struct vt_alarms *a, size_t rule, size_t bed, const struct vt_reading *r,
               int64_t t, vt_alert_fn fn, void *ctx)
{
	const struct vt_rule_config *rc = &a->cfg->rules[rule];
	struct rule_bed *st = s_rb(a, rule, bed);
	vt_param_mask bit = VT_PARAM_BIT(rc->param);
	if (!(r->reported & bit) || (a->beds[bed].blind & bit)) {
		st->armed = false;
		return;
	}
	if (!(r->valid & bit))
		return; /* no value: the clock runs on if it runs */
	double v = r->value[rc->param];
	struct vt_alert *al = st->alert;
	if (!st->armed || v >= rc->floor) {
		st->armed = true;
		st->last_breath = t;
	}
	if (al == NULL)
		return;
	bool moved = !al->has_value || al->value != v;
	al->has_value = true;
	al->value = v;
	if (v < rc->floor) {
		al->clear_met = false;
		if (moved)
			s_emit(fn, ctx, VT_EV_UPDATED, al, t, NULL);
		return;
	}
	if (rc->latching && !al->acknowledged) {
		al->clear_met = true;
		s_clear_text(al, rc, v);
		s_emit(fn, ctx, VT_EV_UPDATED, al, t, NULL);
		return;
	}
	s_clear_text(al, rc, v);
	st->alert = NULL;
	s_clear(a, al, t, fn, ctx);
}

/* When apnea rule `rule` raises on `bed`, or INT64_MAX. */
static int64_t
s_apnea_due(const struct vt_alarms *a, size_t rule, size_t bed)
{
	const struct vt_rule_config *rc = &a->cfg->rules[rule];
	const struct rule_bed *st = &a->rb[rule * a->n_beds + bed];
	const struct bed *bd = &a->beds[bed];
	if (rc->kind != VT_RULE_APNEA || !st->applies || !st->armed || st->alert != NULL ||
	    !bd->monitoring || !bd->connected || s_link_alarm(bd) ||
	    !(rc->phases == 0 || (bd->phase >= 0 && (rc->phases & VT_PHASE_BIT(bd->phase)))))
		return INT64_MAX;
	return st->last_breath + rc->no_breath_ms;
}

static void
s_apnea_raise(struct vt_alarms *a, size_t rule, size_t bed, int64_t t, vt_alert_fn fn,
              void *ctx)
{
	const struct vt_rule_config *rc = &a->cfg->rules[rule];
	struct rule_bed *st = s_rb(a, rule, bed);
	struct vt_alert *al = s_alert_new(a, bed, rc->name, ++st->count);
	if (al == NULL)
		return;
	al->kind = VT_KIND_PHYSIOLOGICAL;
	al->priority = rc->priority;
	al->param = (int)rc->param;
	al->has_limit = true;
	al->limit = rc->floor;
	al->onset_ms = st->last_breath;
	al->raised_ms = t;
	al->worst = al->onset_value = NAN;
	struct verdict vd = {.limit = rc->floor};
	s_raise_text(al, rc, &vd, NAN);
	st->alert = al;
	s_announce(a, al, t, rc->escalate_after_ms, fn, ctx);
}

/* Stop every apnea clock of `bed` (the link went down or came back). */
static void
s_apnea_stop(struct vt_alarms *a, size_t bed)
{
	for (size_t r = 0; r < a->cfg->n_rules; r++)
		s_rb(a, r, bed)->armed = false;
}

/* ---- entry points ------------------------------------------------------- */

void
vt_alarms_reading(struct vt_alarms *a, int bed, int64_t t, const struct vt_reading *r,
                  vt_alert_fn fn, void *ctx)
{
	struct bed *bd = &a->beds[bed];

	/* Any decoded reading proves the link works. */
	bd->last_reading = t;
	bd->junk_bytes = 0;
	bd->looks_like = NULL;
	if (s_link_alarm(bd)) {
		s_tech_track(a, (size_t)bed, VT_TECH_COMM_LOST, false, t, NULL, fn, ctx);
		s_tech_track(a, (size_t)bed, VT_TECH_UNDECODABLE, false, t, NULL, fn, ctx);
		s_restart_no_data(bd, VT_PARAMS_ALL, t);
		s_apnea_stop(a, (size_t)bed);
	}

	if (r->has_status) {
		vt_param_mask blind = vt_flags_blind(r->flags);
		/* The monitor speaks of a module (its leads are off): it has one, and
		 * the module's value is awaited from now on. */
		vt_param_mask fitted = bd->may_measure & vt_flags_fitted(r->flags) & ~bd->shown;
		bd->shown |= fitted;
		s_restart_no_data(bd, fitted, t);
		s_restart_no_data(bd, bd->blind & ~blind, t); /* measuring again: time to acquire */
		bd->blind = blind;
		for (size_t i = 0; i < sizeof(s_conditions) / sizeof(s_conditions[0]); i++) {
			const char *text = s_conditions[i].text;
			if (s_conditions[i].tech == VT_TECH_CUFF_ERROR &&
			    (r->flags & VT_FLAG_CUFF_OVERPRESSURE))
				text = "NIBP cuff overpressure: measurement stopped";
			s_tech_track(a, (size_t)bed, s_conditions[i].tech,
			             (r->flags & s_conditions[i].flags) != 0, t, text, fn, ctx);
		}
		/* Doubtful quality means nothing while the sensor is off anyway. */
		bool poor = !(r->flags & VT_FLAGS_SENSOR_OFF) && (r->flags & VT_FLAGS_SIGNAL_QUALITY);
		s_tech_track(a, (size_t)bed, VT_TECH_SIGNAL_QUALITY, poor, t,
		             "Signal quality low: readings may be unreliable", fn, ctx);
	}

	for (int p = 0; p < VT_PARAM_COUNT; p++) {
		vt_param_mask bit = VT_PARAM_BIT(p);
		if (!(r->reported & bit))
			continue;
		if (vt_reading_is_spot(r, (enum vt_param)p))
			bd->spot |= bit;
		else
			bd->spot &= ~bit;
		if (!(r->valid & bit) || (bd->blind & bit))
			continue;
		/* A spot value is as fresh as its measurement, not as its report. */
		int64_t at = (r->timed & bit) ? t - r->age_ms[p] : t;
		bd->shown |= bd->may_measure & bit; /* a module's value: from now on it is awaited */
		if (bd->valid_since[p] < at)
			bd->valid_since[p] = at;
		struct vt_alert *nd = bd->no_data[p];
		if (nd != NULL && s_no_data_due(bd, p) > t) {
			bd->no_data[p] = NULL;
			nd->has_value = true;
			nd->value = r->value[p];
			s_text(nd, "%s values again", vt_param_info(p)->label);
			s_clear(a, nd, t, fn, ctx);
		}
	}

	for (size_t rule = 0; rule < a->cfg->n_rules; rule++) {
		const struct vt_rule_config *rc = &a->cfg->rules[rule];
		if (!s_rb(a, rule, (size_t)bed)->applies || !s_in_phase(rc, bd->phase))
			continue;
		if (rc->kind == VT_RULE_APNEA) {
			s_apnea_sample(a, rule, (size_t)bed, r, t, fn, ctx);
			continue;
		}
		if (!(r->reported & VT_PARAM_BIT(rc->param)))
			continue;
		bool has = (r->valid & VT_PARAM_BIT(rc->param)) && !(bd->blind & VT_PARAM_BIT(rc->param));
		s_rule_sample(a, rule, (size_t)bed, has, r->value[rc->param], t, fn, ctx);
	}
}

/* Escalations and ends of audio pauses due at or before t. */
static void
s_advance_alerts(struct vt_alarms *a, int64_t t, vt_alert_fn fn, void *ctx)
{
	for (size_t i = 0; i < a->n_active; i++) {
		struct vt_alert *al = a->active[i];
		if (al->escalate_at > t)
			continue;
		int64_t when = al->escalate_at;
		long rule = s_owner(a, al);
		al->priority++;
		al->escalate_at = al->priority < VT_PRIO_HIGH && rule >= 0
		                      ? when + a->cfg->rules[rule].escalate_after_ms
		                      : INT64_MAX;
		struct bed *bd = &a->beds[al->bed];
		if (al->silenced_until > 0 && al->priority > bd->silence_level)
			s_end_silence(a, (size_t)al->bed, when, fn, ctx);
		s_emit(fn, ctx, VT_EV_ESCALATED, al, when, NULL);
	}
	for (size_t b = 0; b < a->n_beds; b++)
		if (a->beds[b].silenced_until > 0 && a->beds[b].silenced_until <= t)
			s_end_silence(a, b, a->beds[b].silenced_until, fn, ctx);
}

/* ---- alarms the monitor raises itself ------------------------------------ */

/* The active alarm of the monitor of `bd` with the code and source of `da`, or NULL. */
static struct monitor_alarm *
s_monitor_alarm(struct bed *bd, const struct vt_device_alarm *da)
{
	for (size_t k = 0; k < VT_MONITOR_ALARMS_MAX; k++)
		if (bd->monitor[k].al != NULL && strcmp(bd->monitor[k].code, da->code) == 0 &&
		    strcmp(bd->monitor[k].source, da->source) == 0)
			return &bd->monitor[k];
	return NULL;
}

/* Comm-lost: what the monitor's alarms are now is unknown, so they end. */
static void
s_monitor_alarms_end(struct vt_alarms *a, size_t bed, int64_t t, vt_alert_fn fn, void *ctx)
{
	for (size_t k = 0; k < VT_MONITOR_ALARMS_MAX; k++) {
		struct vt_alert *al = a->beds[bed].monitor[k].al;
		if (al == NULL)
			continue;
		a->beds[bed].monitor[k].al = NULL;
		s_text(al, "Monitor alarm state unknown: no data from the monitor");
		s_clear(a, al, t, fn, ctx);
	}
}

void
vt_alarms_device(struct vt_alarms *a, int bed, int64_t t, const struct vt_device_alarm *da,
                 vt_alert_fn fn, void *ctx)
{
	struct bed *bd = &a->beds[bed];
	struct monitor_alarm *m = s_monitor_alarm(bd, da);
	if (!da->active) {
		if (m == NULL)
			return; /* the end of an alarm that began before we listened */
		struct vt_alert *al = m->al;
		m->al = NULL;
		s_text(al, "Monitor: %s ended", da->text);
		s_clear(a, al, t, fn, ctx);
		return;
	}
	if (m != NULL) {
		struct vt_alert *al = m->al;
		s_text(al, "Monitor: %s", da->text);
		if (da->priority != al->priority) {
			bool up = da->priority > al->priority;
			al->priority = da->priority;
			s_emit(fn, ctx, up ? VT_EV_ESCALATED : VT_EV_DEESCALATED, al, t, NULL);
		}
		return;
	}
	for (size_t k = 0; k < VT_MONITOR_ALARMS_MAX && m == NULL; k++)
		if (bd->monitor[k].al == NULL)
			m = &bd->monitor[k];
	if (m == NULL)
		return; /* bounded: see VT_MONITOR_ALARMS_MAX */
	char rule[sizeof m->al->rule_buf];
	snprintf(rule, sizeof rule, "monitor:%s", da->code);
	struct vt_alert *al = s_alert_new(a, (size_t)bed, rule, ++bd->monitor_count);
	if (al == NULL)
		return;
	memcpy(al->rule_buf, rule, sizeof rule);
	al->rule = al->rule_buf;
	al->monitor = true;
	al->kind = da->kind;
	al->priority = da->priority;
	al->param = da->param;
	al->onset_ms = al->raised_ms = t;
	s_text(al, "Monitor: %s", da->text);
	snprintf(m->code, sizeof m->code, "%s", da->code);
	snprintf(m->source, sizeof m->source, "%s", da->source);
	m->al = al;
	s_announce(a, al, t, 0, fn, ctx);
}

void
vt_alarms_advance(struct vt_alarms *a, int64_t t, vt_alert_fn fn, void *ctx)
{
	s_advance_alerts(a, t, fn, ctx);
	for (size_t b = 0; b < a->n_beds; b++) {
		struct bed *bd = &a->beds[b];
		if (!bd->monitoring)
			continue;
		int64_t due = bd->last_reading + bd->stale_ms;
		/* An apnea that fell due before the link went quiet is raised first. */
		for (size_t r = 0; a->has_apnea && r < a->cfg->n_rules; r++) {
			int64_t apnea = s_apnea_due(a, r, b);
			if (apnea <= t && apnea < due)
				s_apnea_raise(a, r, b, apnea, fn, ctx);
		}
		/* Bytes rejected since the last reading: not silence, but undecodable. */
		if (!s_link_alarm(bd) && due <= t && bd->last_junk > bd->last_reading &&
		    bd->last_junk != INT64_MIN)
			s_raise_undecodable(a, b, due, fn, ctx);
		/* Undecodable bytes that stop for stale_after: now it is silence. */
		int64_t quiet = bd->last_junk + bd->stale_ms;
		if (bd->tech[VT_TECH_UNDECODABLE] != NULL && quiet <= t) {
			struct vt_alert *al = bd->tech[VT_TECH_UNDECODABLE];
			bd->tech[VT_TECH_UNDECODABLE] = NULL;
			s_text(al, "No more data from the monitor");
			s_clear(a, al, quiet, fn, ctx);
			due = quiet;
		}
		if (!s_link_alarm(bd) && due <= t) {
			char text[128], dur[32];
			snprintf(text, sizeof(text), "Communication lost: no data from the monitor for %s",
			         vt_duration_format(bd->stale_ms, dur, sizeof(dur)));
			bd->tech[VT_TECH_COMM_LOST] =
			    s_tech_raise(a, b, VT_TECH_COMM_LOST, -1, due, text, fn, ctx);
			s_monitor_alarms_end(a, b, due, fn, ctx);
		}
		if (!s_no_data_armed(bd))
			continue;
		for (int p = 0; p < VT_PARAM_COUNT; p++) {
			if (!(s_no_data_params(bd) & VT_PARAM_BIT(p)) || bd->no_data[p] != NULL ||
			    (bd->blind & VT_PARAM_BIT(p)))
				continue;
			due = s_no_data_due(bd, p);
			if (due > t)
				continue;
			char text[128], dur[32];
			snprintf(text, sizeof(text), "No valid %s for %s", vt_param_info(p)->label,
			         vt_duration_format(due - bd->valid_since[p], dur, sizeof(dur)));
			bd->no_data[p] = s_tech_raise(a, b, VT_TECH_NO_DATA, p, due, text, fn, ctx);
		}
	}
}

int64_t
vt_alarms_next_deadline(const struct vt_alarms *a)
{
	int64_t next = INT64_MAX;
	for (size_t i = 0; i < a->n_active; i++)
		if (a->active[i]->escalate_at < next)
			next = a->active[i]->escalate_at;
	for (size_t b = 0; b < a->n_beds; b++) {
		const struct bed *bd = &a->beds[b];
		if (bd->silenced_until > 0 && bd->silenced_until < next)
			next = bd->silenced_until;
		if (!bd->monitoring)
			continue;
		if (!s_link_alarm(bd) && bd->last_reading + bd->stale_ms < next)
			next = bd->last_reading + bd->stale_ms;
		if (bd->tech[VT_TECH_UNDECODABLE] != NULL && bd->last_junk + bd->stale_ms < next)
			next = bd->last_junk + bd->stale_ms;
		/* Apnea clocks; a configuration without apnea rules pays nothing here. */
		for (size_t r = 0; a->has_apnea && r < a->cfg->n_rules; r++) {
			int64_t apnea = s_apnea_due(a, r, b);
			if (apnea < next)
				next = apnea;
		}
		if (!s_no_data_armed(bd))
			continue;
		/* Only the watched parameters: this runs before every reading. */
		for (vt_param_mask m = s_no_data_params(bd) & ~bd->blind; m != 0; m &= m - 1) {
			int p = __builtin_ctz(m);
			if (bd->no_data[p] == NULL && s_no_data_due(bd, p) < next)
				next = s_no_data_due(bd, p);
		}
	}
	return next;
}

int
vt_alarms_ack(struct vt_alarms *a, const char *id, const char *by, int64_t t, vt_alert_fn fn,
              void *ctx)
{
	struct vt_alert *al = NULL;
	for (size_t i = 0; i < a->n_active && al == NULL; i++)
		if (strcmp(a->active[i]->id, id) == 0)
			al = a->active[i];
	if (al == NULL)
		return -1;
	if (al->acknowledged)
		return 0;
	al->acknowledged = true;
	al->acked_at = al->priority;
	al->escalate_at = INT64_MAX; /* somebody is on it */
	s_emit(fn, ctx, VT_EV_ACKNOWLEDGED, al, t, by);
	/* A latched alarm whose condition is gone clears at the acknowledgement. */
	if (al->clear_met) {
		long rule = s_owner(a, al);
		if (rule >= 0) {
			struct rule_bed *st = s_rb(a, (size_t)rule, (size_t)al->bed);
			st->alert = NULL;
			st->in_run = false;
			vt_trigger_reset(st->trig);
			s_clear_text(al, &a->cfg->rules[rule], al->value);
		}
		s_clear(a, al, t, fn, ctx);
	}
	return 0;
}

int64_t
vt_alarms_silence(struct vt_alarms *a, int bed, int64_t duration_ms, const char *by, int64_t t,
                  vt_alert_fn fn, void *ctx)
{
	struct bed *bd = &a->beds[bed];
	/* Without an active alarm, the pause covers what a nurse expects while
	 * handling a patient: up to medium (sensor repositioning, brief dips). */
	enum vt_priority level = VT_PRIO_MEDIUM;
	bool any = false;
	for (size_t i = 0; i < a->n_active; i++) {
		const struct vt_alert *al = a->active[i];
		if (al->bed != bed)
			continue;
		level = any && level > al->priority ? level : al->priority;
		any = true;
	}
	if (bd->silenced_until > t && bd->silence_level > level)
		level = bd->silence_level;
	bd->silenced_until = t + duration_ms;
	bd->silence_level = level;
	for (size_t i = 0; i < a->n_active; i++) {
		struct vt_alert *al = a->active[i];
		if (al->bed != bed)
			continue;
		al->silenced_until = bd->silenced_until;
		s_emit(fn, ctx, VT_EV_SILENCED, al, t, by);
	}
	return bd->silenced_until;
}

void
vt_alarms_set_phase(struct vt_alarms *a, int bed, int phase, int64_t t, vt_alert_fn fn, void *ctx)
{
	struct bed *bd = &a->beds[bed];
	if (bd->phase == phase)
		return;
	bd->phase = phase;
	for (size_t r = 0; r < a->cfg->n_rules; r++) {
		const struct vt_rule_config *rc = &a->cfg->rules[r];
		if (!s_rb(a, r, (size_t)bed)->applies || rc->phases == 0)
			continue;
		/* A phase-bound rule starts afresh whenever the phase changes. */
		char why[96];
		snprintf(why, sizeof(why), "Rule %s not in force in phase %s", rc->name,
		         phase >= 0 ? vt_phase_name((enum vt_phase)phase) : "(no session)");
		if (!s_in_phase(rc, phase))
			s_rule_drop(a, r, (size_t)bed, t, why, fn, ctx);
		else
			s_restart_runs(s_rb(a, r, (size_t)bed));
	}
}

void
vt_alarms_set_baseline(struct vt_alarms *a, int bed, int param, double value)
{
	a->beds[bed].baseline[param] = value;
}

int64_t
vt_alarms_silenced_until(const struct vt_alarms *a, int bed)
{
	return a->beds[bed].silenced_until;
}

/* Whether two rules have the same area and tiers. */
static bool
s_same_depth(const struct vt_rule_config *x, const struct vt_rule_config *y)
{
	if (x->area != y->area || x->n_tiers != y->n_tiers)
		return false;
	for (size_t i = 0; i < x->n_tiers; i++) {
		const struct vt_rule_tier *p = &x->tiers[i], *q = &y->tiers[i];
		if (p->limit != q->limit || p->clear_at != q->clear_at || p->for_ms != q->for_ms ||
		    p->area != q->area || p->priority != q->priority)
			return false;
	}
	return true;
}

/* Whether two rules judge samples the same way (their `beds` aside). */
static bool
s_same_rule(const struct vt_rule_config *x, const struct vt_rule_config *y)
{
	return strcmp(x->name, y->name) == 0 && x->param == y->param && x->kind == y->kind &&
	       x->direction == y->direction && x->limit == y->limit && x->clear_at == y->clear_at &&
	       x->delta == y->delta && x->delta_percent == y->delta_percent &&
	       x->within_ms == y->within_ms && x->for_ms == y->for_ms && x->priority == y->priority &&
	       x->latching == y->latching && x->escalate_after_ms == y->escalate_after_ms &&
	       x->phases == y->phases && s_same_depth(x, y) && x->delta_or == y->delta_or &&
	       x->delta_or_percent == y->delta_or_percent && x->for_count == y->for_count &&
	       x->no_breath_ms == y->no_breath_ms && x->floor == y->floor;
}

/* Move `al` from old's active list to a's. */
static void
s_move_alert(struct vt_alarms *a, struct vt_alarms *old, struct vt_alert *al)
{
	for (size_t i = 0; i < old->n_active; i++)
		if (old->active[i] == al) {
			old->active[i] = NULL;
			break;
		}
	if (a->n_active == a->cap_active) {
		size_t cap = a->cap_active ? a->cap_active * 2 : 16;
		struct vt_alert **v = realloc(a->active, cap * sizeof(*v));
		if (v == NULL) {
			free(al); /* cannot keep it: the caller's cleared event already went out */
			return;
		}
		a->active = v;
		a->cap_active = cap;
	}
	a->active[a->n_active++] = al;
}

void
vt_alarms_adopt(struct vt_alarms *a, struct vt_alarms *old, const int *bed_map, int64_t t,
                vt_alert_fn fn, void *ctx)
{
	/* Which alerts survive: those of beds that stay and rules that did not change. */
	bool *keep = calloc(old->n_active + 1, sizeof(*keep));
	struct vt_alert **order = calloc(old->n_active + 1, sizeof(*order));
	if (keep == NULL || order == NULL) {
		free(keep);
		free(order);
		return;
	}
	if (old->n_active > 0) /* old->active is NULL until the first alarm */
		memcpy(order, old->active, old->n_active * sizeof(*order));
	/* Each new rule's namesake among the old ones, found once rather than for every bed
	 * (n_rules: none); a reload of 256 rules on 256 beds would otherwise stall the loop. */
	size_t *old_of = calloc(a->cfg->n_rules + 1, sizeof(*old_of));
	if (old_of == NULL) {
		free(keep);
		free(order);
		return;
	}
	for (size_t r = 0; r < a->cfg->n_rules; r++) {
		old_of[r] = old->cfg->n_rules;
		for (size_t orr = 0; orr < old->cfg->n_rules && old_of[r] == old->cfg->n_rules; orr++)
			if (strcmp(a->cfg->rules[r].name, old->cfg->rules[orr].name) == 0)
				old_of[r] = orr;
	}
	size_t n_order = old->n_active;

	for (size_t b = 0; b < a->n_beds; b++) {
		int ob = bed_map[b];
		if (ob < 0)
			continue;
		struct bed *nb = &a->beds[b], *obd = &old->beds[ob];
		struct bed fresh = *nb;
		*nb = *obd;
		nb->name = fresh.name;
		nb->stale_ms = fresh.stale_ms;
		nb->spot_stale_ms = fresh.spot_stale_ms;
		nb->watched = fresh.watched;
		nb->measures = fresh.measures;
		nb->may_measure = fresh.may_measure;
		nb->shown &= fresh.may_measure;
		for (int p = 0; p < VT_PARAM_COUNT; p++)
			if (!(nb->watched & VT_PARAM_BIT(p)))
				nb->no_data[p] = NULL; /* no longer watched: dropped below */
		for (int k = 0; k < VT_TECH_COUNT; k++)
			if (nb->tech[k] != NULL)
				for (size_t i = 0; i < n_order; i++)
					keep[i] |= order[i] == nb->tech[k];
		for (size_t k = 0; k < VT_MONITOR_ALARMS_MAX; k++)
			for (size_t i = 0; nb->monitor[k].al != NULL && i < n_order; i++)
				keep[i] |= order[i] == nb->monitor[k].al;
		for (int p = 0; p < VT_PARAM_COUNT; p++)
			if (nb->no_data[p] != NULL)
				for (size_t i = 0; i < n_order; i++)
					keep[i] |= order[i] == nb->no_data[p];
		/* Counters go on by rule name, so ids stay unique across reloads. */
		for (size_t r = 0; r < a->cfg->n_rules; r++) {
			struct rule_bed *nst = s_rb(a, r, b);
			for (size_t orr = old_of[r]; orr < old->cfg->n_rules; orr++) {
				if (strcmp(a->cfg->rules[r].name, old->cfg->rules[orr].name) != 0)
					continue;
				struct rule_bed *ost = s_rb(old, orr, (size_t)ob);
				nst->count = ost->count;
				if (!nst->applies || !ost->applies ||
				    !s_same_rule(&a->cfg->rules[r], &old->cfg->rules[orr]))
					break;
				nst->in_run = ost->in_run;
				nst->run_start = ost->run_start;
				nst->run_first = ost->run_first;
				nst->run_worst = ost->run_worst;
				memcpy(nst->trig, ost->trig, sizeof(nst->trig));
				nst->sampled = ost->sampled;
				nst->last_sample = ost->last_sample;
				nst->alert = ost->alert;
				ost->alert = NULL;
				/* Swap the rate windows (both exist: same kind). */
				struct win_sample *w = nst->w;
				nst->w = ost->w;
				ost->w = w;
				nst->w_head = ost->w_head, nst->w_len = ost->w_len;
				nst->w_count = ost->w_count;
				for (size_t i = 0; nst->alert != NULL && i < n_order; i++)
					keep[i] |= order[i] == nst->alert;
				break;
			}
		}
	}

	/* Retire what does not survive, then carry the rest over in raising order. */
	for (size_t i = 0; i < n_order; i++) {
		struct vt_alert *al = order[i];
		if (keep[i])
			continue;
		s_text(al, "Alarm ended by a configuration reload");
		s_emit(fn, ctx, VT_EV_CLEARED, al, t, NULL);
		for (size_t j = 0; j < old->n_active; j++)
			if (old->active[j] == al)
				old->active[j] = NULL;
		free(al);
	}
	for (size_t i = 0; i < n_order; i++) {
		if (!keep[i])
			continue;
		struct vt_alert *al = order[i];
		size_t b = 0;
		while (b < a->n_beds && bed_map[b] != al->bed)
			b++;
		al->bed = (int)b;
		al->bed_name = a->beds[b].name;
		long r = s_owner(a, al);
		if (r >= 0)
			al->rule = a->cfg->rules[r].name;
		s_move_alert(a, old, al);
	}
	/* Old's list now holds only NULLs for what moved or was freed. */
	old->n_active = 0;
	free(keep);
	free(order);
	free(old_of);
}

size_t
vt_alarms_active_count(const struct vt_alarms *a)
{
	return a->n_active;
}

const struct vt_alert *
vt_alarms_active(const struct vt_alarms *a, size_t i)
{
	return i < a->n_active ? a->active[i] : NULL;
}
