/*
 * Playing a scenario (docs/scenarios.md): the patient, then the monitor
 * measuring the patient, one row a second.
 *
 * The patient: each parameter follows its course (baseline and segments)
 * plus a wander of its own (an Ornstein-Uhlenbeck process: it strays by
 * the scenario's standard deviation and drifts back within a time typical
 * of that parameter). The heart beats and the lungs breathe as events, at
 * the current rate, each cycle a little longer or shorter than the last.
 *
 * The monitor: the oximeter averages SpO2 over its averaging time and
 * shows whole percent, its pulse rate from the beats in that time; the ECG
 * shows the rate of its last beats; the capnograph shows each breath's
 * end-tidal CO2 until the next breath, and its rate from the last breaths;
 * the cuff reports only when a measurement completes; a thermometer reads
 * the temperature. Artefacts act on the measurement, never on the patient,
 * and set the device conditions (flags) a monitor reports with them.
 *
 * Pure and deterministic: the scenario and a seed in, rows out. Every
 * purpose draws from a random stream of its own, so changing one
 * parameter's variability leaves the others' numbers as they were.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/base/xorshift.h"
#include "vitals/emulator/scenario.h"

/* Seconds played before t = 0, so that every average is full at the start. */
#define S_PREROLL 60
/* Beats or breaths remembered (more than any averaging takes). */
#define S_RING 32
/* Seconds without a beat after which a monitor shows a rate of 0. */
#define S_HEART_GIVE_UP 10.0
/* An oximeter shows nothing for this many seconds (or its averaging time, if shorter) after
 * the probe goes back on. */
#define S_ACQUIRE 4
/* The sway of the pulse rate an oximeter shows during motion, bpm (SD). */
#define S_MOTION_PR_SD 12.0
/* The extra scatter of SpO2 at low perfusion, % (SD). */
#define S_LOW_PERFUSION_SPO2_SD 1.5
/* How far a cuff measurement may be from the true pressure, mmHg (SD). */
#define S_CUFF_SD 2.0
/* The least pulse pressure a cuff reports, mmHg. */
#define S_PULSE_PRESSURE_MIN 10.0

/* The random streams. */
enum { S_BEATS, S_BREATHS, S_CUFF, S_MOTION, S_PERFUSION, S_WANDER };

/* How long each parameter's own wander takes to drift back, s. */
static double
s_wander_tau(enum vt_param p)
{
	switch (p) {
	case VT_SPO2: return 20;
	case VT_HR: return 30;
	case VT_ETCO2: return 8;
	case VT_NIBP_SYS:
	case VT_NIBP_DIA:
	case VT_TEMP: return 600;
	default: return 60;
	}
}

/* ---- random numbers --------------------------------------------------------- */

/* splitmix64 (Vigna): turns a seed and a stream number into a well-mixed state. */
static uint64_t
s_mix(uint64_t x)
{
	x += UINT64_C(0x9E3779B97F4A7C15);
	x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
	return x ^ (x >> 31);
}

static uint64_t
s_stream(uint64_t seed, unsigned stream)
{
	uint64_t st = s_mix(seed ^ s_mix(stream));
	return st ? st : 1; /* xorshift's state must not be 0 */
}

/* Uniform in (0, 1]. */
static double
s_uniform(uint64_t *st)
{
	return (double)((vt_xorshift64s(st) >> 11) + 1) * 0x1.0p-53;
}

/* Standard normal (Box-Muller, one of the pair). */
static double
s_gauss(uint64_t *st)
{
	double u = s_uniform(st), v = s_uniform(st);
	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/* ---- the course ------------------------------------------------------------- */

static double
s_clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static double
s_course(const struct vt_scenario *s, enum vt_param p, int64_t t_ms)
{
	const struct vt_scn_trend *tr = &s->trend[p];
	double v = s->baseline[p];
	int64_t t0 = 0;
	for (size_t i = 0; i < tr->n; i++) {
		const struct vt_scn_segment *g = &tr->segments[i];
		if (t_ms < t0 + g->ms) {
			double into = (double)(t_ms - t0);
			if (g->kind == VT_SCN_RAMP)
				return v + (g->to - v) * into / (double)g->ms;
			if (g->kind == VT_SCN_OSCILLATE)
				return v + g->amplitude * sin(2 * M_PI * into / (double)g->period_ms);
			return v;
		}
		if (g->kind == VT_SCN_RAMP || g->kind == VT_SCN_STEP)
			v = g->to;
		t0 += g->ms;
	}
	return v;
}

double
vt_scn_course(const struct vt_scenario *s, enum vt_param p, int64_t t_ms)
{
	if (p == VT_PR)
		p = VT_HR;
	if (p == VT_NIBP_MAP) {
		double sys = vt_scn_course(s, VT_NIBP_SYS, t_ms), dia = vt_scn_course(s, VT_NIBP_DIA, t_ms);
		return dia + (sys - dia) / 3;
	}
	if (!(VT_SCN_DESCRIBED & VT_PARAM_BIT(p)))
		return NAN;
	const struct vt_param_info *pi = vt_param_info(p);
	return s_clamp(s_course(s, p, t_ms < 0 ? 0 : t_ms), pi->min, pi->max);
}

/* ---- beats and breaths ------------------------------------------------------ */

/* A run of cycles (heart beats or breaths) and the latest intervals between them. */
struct s_cycles {
	double phase;        /* progress through the current cycle, in cycles */
	double need;         /* how many cycles the current one lasts (1, give or take) */
	double last;         /* when the last cycle ended, s */
	double iv[S_RING];   /* the latest intervals, s; the newest at head - 1 */
	double end[S_RING];  /* when each of them ended, s */
	unsigned n, head;    /* intervals kept; where the next goes */
	double jitter;       /* SD of a cycle's length, a fraction */
	uint64_t rng;
};

static void
s_cycles_init(struct s_cycles *c, double jitter_percent, uint64_t rng)
{
	memset(c, 0, sizeof(*c));
	c->jitter = jitter_percent / 100;
	c->rng = rng;
	c->need = 1;
	c->last = NAN;
}

/* Run the cycles from t0 to t1 at `per_min` a minute; how many ended. */
static int
s_cycles_run(struct s_cycles *c, double per_min, double t0, double t1)
{
	double f = per_min / 60, t = t0;
	int ended = 0;
	if (!(f > 0))
		return 0;
	while (c->phase + f * (t1 - t) >= c->need) {
		t += (c->need - c->phase) / f;
		if (!isnan(c->last)) {
			c->iv[c->head] = t - c->last;
			c->end[c->head] = t;
			c->head = (c->head + 1) % S_RING;
			c->n += c->n < S_RING;
		}
		c->last = t;
		c->phase = 0;
		/* A cycle lasts at least half and at most one and a half of the current one. */
		c->need = 1 + s_clamp(c->jitter * s_gauss(&c->rng), -0.5, 0.5);
		ended++;
	}
	c->phase += f * (t1 - t);
	return ended;
}

/* How many of the latest intervals ended within `window` s before `now` (at least 2). */
static unsigned
s_cycles_within(const struct s_cycles *c, double now, double window)
{
	unsigned k = 0;
	while (k < c->n && c->end[(c->head + S_RING - 1 - k) % S_RING] > now - window)
		k++;
	return k < 2 ? 2 : k;
}

/*
 * The rate a monitor shows from the latest `count` intervals: it falls as
 * the cycles stop coming, and shows 0 after `give_up` s without one. -1
 * before there is an interval to go by.
 */
static double
s_cycles_rate(const struct s_cycles *c, unsigned count, double now, double give_up)
{
	if (c->n == 0)
		return -1;
	if (count > c->n)
		count = c->n;
	double sum = 0;
	for (unsigned k = 0; k < count; k++)
		sum += c->iv[(c->head + S_RING - 1 - k) % S_RING];
	double since = now - c->last;
	if (since >= give_up)
		return 0;
	return 60 / fmax(sum / count, since);
}

/* ---- artefacts ---------------------------------------------------------------- */

/* Which artefacts are on at t_ms: a bit per kind, and the one deciding each kind's depth. */
struct s_active {
	unsigned kinds;
	const struct vt_scn_artefact *of[VT_SCN_ARTEFACT_COUNT];
};

static void
s_active_at(const struct vt_scenario *s, int64_t t_ms, struct s_active *a)
{
	memset(a, 0, sizeof(*a));
	for (size_t i = 0; i < s->n_artefacts; i++) {
		const struct vt_scn_artefact *x = &s->artefacts[i];
		if (x->kind != VT_SCN_CUFF_FAILURE && t_ms >= x->at_ms && t_ms < x->at_ms + x->for_ms) {
			a->kinds |= 1u << x->kind;
			a->of[x->kind] = x;
		}
	}
}

/* Whether the cuff measurement completing at c_ms fails. */
static bool
s_cuff_fails(const struct vt_scenario *s, int64_t c_ms)
{
	const struct vt_scn_device *d = &s->device;
	for (size_t i = 0; i < s->n_artefacts; i++) {
		const struct vt_scn_artefact *x = &s->artefacts[i];
		if (x->kind != VT_SCN_CUFF_FAILURE || c_ms < x->at_ms)
			continue;
		/* A window takes every measurement in it; an instant, the next one. */
		if (x->for_ms > 0 ? c_ms <= x->at_ms + x->for_ms
		                  : c_ms == d->nibp_first_ms || c_ms - d->nibp_every_ms < x->at_ms)
			return true;
	}
	return false;
}

/* ---- playing ---------------------------------------------------------------------- */

struct s_play {
	const struct vt_scenario *s;
	double wander[VT_PARAM_COUNT];      /* each parameter's own stray, in SDs */
	uint64_t wander_rng[VT_PARAM_COUNT];
	double truth[VT_PARAM_COUNT];       /* the patient now */
	struct s_cycles beats, breaths;
	double breath_etco2;                /* end-tidal CO2 of the last breath */
	double spo2[S_RING];                /* the patient's SpO2, one a second; newest at head - 1 */
	unsigned spo2_n, spo2_head;         /* seconds kept since the probe went on */
	int64_t next_cuff_ms;               /* when the next cuff measurement completes */
	double cuff[2];                     /* the pressures it measures (sys, dia), once read */
	bool cuff_read;                     /* halfway through, it has read them */
	bool cuff_failed;                   /* the last measurement failed (until one succeeds) */
	uint64_t cuff_rng, motion_rng, perfusion_rng;
};

/* The patient at t_ms (course and wander), then the wander one second on. */
static void
s_patient(struct s_play *pl, int64_t t_ms)
{
	const struct vt_scenario *s = pl->s;
	for (int p = 0; p < VT_PARAM_COUNT; p++) {
		if (!(VT_SCN_DESCRIBED & VT_PARAM_BIT(p)))
			continue;
		const struct vt_param_info *pi = vt_param_info((enum vt_param)p);
		double v = vt_scn_course(s, (enum vt_param)p, t_ms);
		const struct vt_scn_variability *var = &s->variability[p];
		double sd = var->percent ? v * var->amount / 100 : var->amount;
		pl->truth[p] = s_clamp(v + sd * pl->wander[p], pi->min, pi->max);
		double a = exp(-1.0 / s_wander_tau((enum vt_param)p));
		pl->wander[p] = a * pl->wander[p] + sqrt(1 - a * a) * s_gauss(&pl->wander_rng[p]);
	}
}

static void
s_set(struct vt_reading *r, enum vt_param p, double v, double scale)
{
	vt_reading_set(r, p, round(v * scale) / scale);
}

/* What the oximeter shows: SpO2, pulse rate and PI, with their flags. */
static void
s_oximeter(struct s_play *pl, double now, const struct s_active *a, struct vt_reading *r)
{
	const struct vt_scenario *s = pl->s;
	unsigned window = (unsigned)((s->device.spo2_averaging_ms + 999) / 1000);
	if (a->kinds & (1u << VT_SCN_PROBE_OFF)) {
		pl->spo2_n = 0;
		r->flags |= VT_FLAG_SENSOR_OFF;
	} else {
		pl->spo2[pl->spo2_head] = pl->truth[VT_SPO2];
		pl->spo2_head = (pl->spo2_head + 1) % S_RING;
		pl->spo2_n += pl->spo2_n < S_RING;
	}
	if (pl->spo2_n <= (window < S_ACQUIRE ? window : S_ACQUIRE)) {
		/* Probe off, or back on and looking for the pulse: nothing to show. */
		if (!(a->kinds & (1u << VT_SCN_PROBE_OFF)))
			r->flags |= VT_FLAG_PULSE_SEARCH;
		vt_reading_set_missing(r, VT_SPO2);
		vt_reading_set_missing(r, VT_PR);
		vt_reading_set_missing(r, VT_PI);
		return;
	}
	unsigned k = pl->spo2_n < window ? pl->spo2_n : window;
	double sum = 0;
	for (unsigned i = 0; i < k; i++)
		sum += pl->spo2[(pl->spo2_head + S_RING - 1 - i) % S_RING];
	double spo2 = sum / k, pi = pl->truth[VT_PI];
	double pr = s_cycles_rate(&pl->beats, s_cycles_within(&pl->beats, now, window), now,
	                          S_HEART_GIVE_UP);
	if (a->kinds & (1u << VT_SCN_MOTION)) {
		const struct vt_scn_artefact *m = a->of[VT_SCN_MOTION];
		double u = (now * 1000 - (double)m->at_ms) / (double)m->for_ms;
		spo2 -= m->depth * sin(M_PI * u);
		if (pr > 0)
			pr = fmax(pr + S_MOTION_PR_SD * s_gauss(&pl->motion_rng), 20);
		r->flags |= VT_FLAG_ARTIFACT;
	}
	if (a->kinds & (1u << VT_SCN_LOW_PERFUSION)) {
		spo2 += S_LOW_PERFUSION_SPO2_SD * s_gauss(&pl->perfusion_rng);
		pi = a->of[VT_SCN_LOW_PERFUSION]->depth;
		r->flags |= VT_FLAG_LOW_PERFUSION;
	}
	s_set(r, VT_SPO2, s_clamp(spo2, 0, 100), 1);
	if (pr >= 0)
		s_set(r, VT_PR, pr, 1);
	else
		vt_reading_set_missing(r, VT_PR);
	s_set(r, VT_PI, s_clamp(pi, 0, 100), 100);
}

/*
 * The cuff in the second ending at t_ms: halfway through a measurement it
 * has the pressures (a measurement takes a while, so what it reports lags
 * the patient by half of that), and when the measurement completes it
 * reports them, or that it failed.
 */
static void
s_cuff(struct s_play *pl, int64_t t_ms, struct vt_reading *r)
{
	const struct vt_scn_device *d = &pl->s->device;
	if (d->nibp_every_ms <= 0)
		return;
	if (!pl->cuff_read && t_ms >= pl->next_cuff_ms - d->nibp_takes_ms / 2) {
		/* Drawn even for a measurement that will fail, so the next ones stay as they were. */
		pl->cuff[0] = pl->truth[VT_NIBP_SYS] + S_CUFF_SD * s_gauss(&pl->cuff_rng);
		pl->cuff[1] = pl->truth[VT_NIBP_DIA] + S_CUFF_SD * s_gauss(&pl->cuff_rng);
		pl->cuff_read = true;
	}
	if (r == NULL || pl->next_cuff_ms > t_ms)
		return;
	int64_t c_ms = pl->next_cuff_ms;
	while (pl->next_cuff_ms <= t_ms)
		pl->next_cuff_ms += d->nibp_every_ms;
	pl->cuff_read = false;
	double sys = pl->cuff[0], dia = pl->cuff[1];
	pl->cuff_failed = s_cuff_fails(pl->s, c_ms);
	if (pl->cuff_failed) {
		vt_reading_set_missing(r, VT_NIBP_SYS);
		vt_reading_set_missing(r, VT_NIBP_DIA);
		vt_reading_set_missing(r, VT_NIBP_MAP);
		return;
	}
	sys = s_clamp(sys, S_PULSE_PRESSURE_MIN, 350);
	dia = s_clamp(dia, 0, sys - S_PULSE_PRESSURE_MIN);
	s_set(r, VT_NIBP_SYS, sys, 1);
	s_set(r, VT_NIBP_DIA, dia, 1);
	s_set(r, VT_NIBP_MAP, dia + (sys - dia) / 3, 1);
	/* Stamped, as a monitor stamps it: two equal measurements stay two. */
	static const enum vt_param bp[] = {VT_NIBP_SYS, VT_NIBP_DIA, VT_NIBP_MAP};
	for (size_t i = 0; i < sizeof bp / sizeof bp[0]; i++)
		vt_reading_set_age(r, bp[i], t_ms - c_ms, c_ms);
}

/* The row the monitor shows at the end of second `k`. */
static void
s_row(struct s_play *pl, int64_t k, struct vt_emu_row *row)
{
	const struct vt_scenario *s = pl->s;
	int64_t t_ms = k * 1000;
	double now = (double)k, apnea = (double)s->device.apnea_after_ms / 1000;
	struct vt_reading *r = &row->r;
	struct s_active a;
	s_active_at(s, t_ms, &a);
	memset(row, 0, sizeof(*row));
	row->t_ms = t_ms;
	r->has_status = true;
	s_oximeter(pl, now, &a, r);
	double hr = s_cycles_rate(&pl->beats, (unsigned)s->device.hr_averaging, now, S_HEART_GIVE_UP);
	if (a.kinds & (1u << VT_SCN_LEADS_OFF))
		r->flags |= VT_FLAG_LEADS_OFF;
	if (hr >= 0 && !(a.kinds & (1u << VT_SCN_LEADS_OFF)))
		s_set(r, VT_HR, hr, 1);
	else
		vt_reading_set_missing(r, VT_HR);
	double rr = s_cycles_rate(&pl->breaths, (unsigned)s->device.rr_averaging, now, apnea);
	if (rr >= 0)
		s_set(r, VT_RR, rr, 1);
	else
		vt_reading_set_missing(r, VT_RR);
	/* The last breath's EtCO2 stands until the next; with none for the apnea time, none. */
	if (!isnan(pl->breaths.last) && now - pl->breaths.last < apnea)
		s_set(r, VT_ETCO2, pl->breath_etco2, 1);
	else
		vt_reading_set_missing(r, VT_ETCO2);
	/* A thermometer probe: the patient's temperature to a tenth of a degree. */
	s_set(r, VT_TEMP, pl->truth[VT_TEMP], 10);
	s_cuff(pl, t_ms, r);
	if (pl->cuff_failed)
		r->flags |= VT_FLAG_NIBP_FAILED;
}

int
vt_scn_play(const struct vt_scenario *s, uint64_t seed, struct vt_emu_row **rows, size_t *n)
{
	size_t total = (size_t)((s->duration_ms + 999) / 1000);
	*rows = NULL;
	*n = 0;
	struct vt_emu_row *out = calloc(total ? total : 1, sizeof(*out));
	struct s_play *pl = calloc(1, sizeof(*pl));
	if (out == NULL || pl == NULL) {
		free(out);
		free(pl);
		return -1;
	}
	pl->s = s;
	for (int p = 0; p < VT_PARAM_COUNT; p++) {
		pl->wander_rng[p] = s_stream(seed, S_WANDER + (unsigned)p);
		pl->wander[p] = s_gauss(&pl->wander_rng[p]); /* already strayed, as a patient is */
	}
	s_cycles_init(&pl->beats, s->beat_variability, s_stream(seed, S_BEATS));
	s_cycles_init(&pl->breaths, s->breath_variability, s_stream(seed, S_BREATHS));
	pl->cuff_rng = s_stream(seed, S_CUFF);
	pl->motion_rng = s_stream(seed, S_MOTION);
	pl->perfusion_rng = s_stream(seed, S_PERFUSION);
	pl->next_cuff_ms = s->device.nibp_first_ms;
	for (int64_t k = -S_PREROLL; k < (int64_t)total; k++) {
		s_patient(pl, k * 1000);
		s_cycles_run(&pl->beats, pl->truth[VT_HR], (double)k - 1, (double)k);
		if (s_cycles_run(&pl->breaths, pl->truth[VT_RR], (double)k - 1, (double)k) > 0)
			pl->breath_etco2 = pl->truth[VT_ETCO2];
		if (k >= 0) {
			s_row(pl, k, &out[k]);
		} else {
			s_oximeter(pl, (double)k, &(struct s_active){0}, &(struct vt_reading){0});
			s_cuff(pl, k * 1000, NULL);
		}
	}
	free(pl);
	*rows = out;
	*n = total;
	return 0;
}
