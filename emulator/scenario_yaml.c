/*
 * Reading a scenario file (docs/scenarios.md) into a struct vt_scenario.
 * The file is described by key tables and walked with the configuration's
 * YAML walker, so a scenario author gets what an administrator gets: every
 * error in the file at once, each as FILE:LINE:COLUMN with what was
 * expected. Defaults go through the same handlers as written values. What
 * needs more than one key (a ramp's target relative to the baseline, marks
 * in time order, artefacts inside the scenario) is checked at the end.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/base/timefmt.h"
#include "vitals/config/yaml.h"
#include "vitals/emulator/scenario.h"

/* Stored through vt_cy_enum_value, which writes an int. */
_Static_assert(sizeof(enum vt_scn_artefact_kind) == sizeof(int), "artefact kinds are int-sized");
_Static_assert(sizeof(enum vt_phase) == sizeof(int), "phases are int-sized");

/* A segment's target as written: a value, a change from the baseline, or the baseline. */
enum s_target_kind { S_ABSOLUTE, S_DELTA, S_PERCENT, S_BASELINE };
struct s_target {
	enum s_target_kind kind;
	double v; /* the value, the change, or the percentage */
};

/* One item of a trend's list as written, before it becomes a segment. */
struct s_item {
	int64_t hold, over, period, for_ms;
	struct s_target ramp, step;
	double oscillate;
};

/* A target resolved once the baseline is known (it may come later in the file). */
struct s_pending {
	enum vt_param p;
	size_t segment;
	struct s_target target;
	const yaml_node_t *at;
	char path[VT_CY_PATH_MAX];
};

/* The walk's own state (c->user). */
struct s_state {
	struct s_pending *pending; /* VT_PARAM_COUNT * VT_SCN_MAX_SEGMENTS of them */
	size_t n_pending;
	const yaml_node_t *artefact_at[VT_SCN_MAX_ARTEFACTS]; /* each artefact's `at`, or NULL */
	const yaml_node_t *mark_at[VT_SCN_MAX_MARKS];         /* each mark's `at`, or NULL */
};

/* A list of mappings in the scenario: its table, where it goes, and the check of one. */
struct s_list {
	const char *what;                /* one entry, for "expected WHAT, got ..." */
	const struct vt_cy_key *keys;    /* an entry's keys */
	size_t size, max;                /* of an entry; how many at most */
	size_t items, count;             /* offsets of the array and its count in the scenario */
	void (*finish)(struct vt_cy *c, const char *path, const yaml_node_t *n, struct vt_scenario *s,
	               size_t i, const struct vt_cy_seen *seen);
};

static const char *const s_artefact_names[VT_SCN_ARTEFACT_COUNT] = {
	[VT_SCN_PROBE_OFF] = "probe-off",         [VT_SCN_MOTION] = "motion",
	[VT_SCN_LOW_PERFUSION] = "low-perfusion", [VT_SCN_CUFF_FAILURE] = "cuff-failure",
	[VT_SCN_LEADS_OFF] = "leads-off",
};

const char *
vt_scn_artefact_name(enum vt_scn_artefact_kind k)
{
	return (unsigned)k < VT_SCN_ARTEFACT_COUNT ? s_artefact_names[k] : "unknown";
}

static const struct vt_cy_enum s_artefact_kinds[] = {
	{"probe-off", VT_SCN_PROBE_OFF},         {"motion", VT_SCN_MOTION},
	{"low-perfusion", VT_SCN_LOW_PERFUSION}, {"cuff-failure", VT_SCN_CUFF_FAILURE},
	{"leads-off", VT_SCN_LEADS_OFF},         {NULL, 0}};
static const struct vt_cy_enum s_phases[] = {
	{"baseline", VT_PHASE_BASELINE}, {"infusion", VT_PHASE_INFUSION},
	{"recovery", VT_PHASE_RECOVERY}, {"ended", VT_PHASE_ENDED},       {NULL, 0}};

/* ---- single values -------------------------------------------------------- */

/* A duration within k->data's {min, max} milliseconds. */
static bool
s_duration_in(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
              void *obj)
{
	const int64_t *range = k->data;
	int64_t ms;
	if (!vt_cy_duration(c, path, n, &(struct vt_cy_key){.offset = 0}, &ms))
		return false;
	if (ms < range[0] || ms > range[1]) {
		char q[VT_CY_QUOTE_MAX], lo[32], hi[32];
		vt_cy_error(c, n, "%s: expected a duration from %s to %s, got %s", path,
		            vt_duration_format(range[0], lo, sizeof(lo)),
		            vt_duration_format(range[1], hi, sizeof(hi)),
		            vt_cy_quote(vt_cy_text(n), q, sizeof(q)));
		return false;
	}
	memcpy((char *)obj + k->offset, &ms, sizeof(ms));
	return true;
}

/* A number within k->data's {min, max}, stored as a double (or an int with k->arg). */
static bool
s_number_in(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
            void *obj)
{
	const double *range = k->data;
	const char *s = vt_cy_text(n);
	double v;
	char q[VT_CY_QUOTE_MAX];
	if (vt_cy_parse_number(s, &v) != 0 || v < range[0] || v > range[1] ||
	    (k->arg && v != floor(v))) {
		vt_cy_error(c, n, "%s: expected %s from %g to %g, got %s", path,
		            k->arg ? "a whole number" : "a number", range[0], range[1],
		            vt_cy_quote(s, q, sizeof(q)));
		return false;
	}
	if (k->arg) {
		int i = (int)v;
		memcpy((char *)obj + k->offset, &i, sizeof(i));
	} else {
		memcpy((char *)obj + k->offset, &v, sizeof(v));
	}
	return true;
}

/* The seed: a whole number that fits 64 bits. */
static bool
s_seed(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
       void *obj)
{
	const char *s = vt_cy_text(n);
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0) {
		char q[VT_CY_QUOTE_MAX];
		vt_cy_error(c, n, "%s: expected %s, got %s", path, k->what, vt_cy_quote(s, q, sizeof(q)));
		return false;
	}
	((struct vt_scenario *)obj)->seed = (uint64_t)v;
	return true;
}

/* A baseline value: a number the parameter k->arg can take. */
static bool
s_baseline(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
           void *obj)
{
	const struct vt_param_info *pi = vt_param_info((enum vt_param)k->arg);
	const char *s = vt_cy_text(n);
	double v;
	if (vt_cy_parse_number(s, &v) != 0 || v < pi->min || v > pi->max) {
		char q[VT_CY_QUOTE_MAX];
		vt_cy_error(c, n, "%s: expected a value of %s from %g to %g %s, got %s", path, pi->name,
		            pi->min, pi->max, pi->unit, vt_cy_quote(s, q, sizeof(q)));
		return false;
	}
	((struct vt_scenario *)obj)->baseline[k->arg] = v;
	return true;
}

/* pr and nibp_map: measured from what the scenario describes, never described. */
static bool
s_derived(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
          void *obj)
{
	vt_cy_error(c, n, "%s: %s", path, (const char *)k->data);
	return false;
}

/* "N" or "N%": an amount, or a percentage of something. */
static bool
s_amount(const char *s, double max_percent, double *v, bool *percent)
{
	size_t len = strlen(s);
	char num[64];
	*percent = len > 0 && s[len - 1] == '%';
	if (len - *percent == 0 || len - *percent >= sizeof(num))
		return false;
	memcpy(num, s, len - *percent);
	num[len - *percent] = '\0';
	return num[0] != '+' && num[0] != '-' && vt_cy_parse_number(num, v) == 0 && *v >= 0 &&
	       (!*percent || *v <= max_percent);
}

/* A parameter's variability: a standard deviation in its unit, or "N%" of its value. */
static bool
s_variability(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
              void *obj)
{
	struct vt_scn_variability *v = &((struct vt_scenario *)obj)->variability[k->arg];
	double span = vt_param_info((enum vt_param)k->arg)->max - vt_param_info((enum vt_param)k->arg)->min;
	if (!s_amount(vt_cy_text(n), 50, &v->amount, &v->percent) ||
	    (!v->percent && v->amount > span / 4)) {
		char q[VT_CY_QUOTE_MAX];
		vt_cy_error(c, n, "%s: expected a standard deviation from 0 to %g %s, or a percentage "
		            "of the value from 0%% to 50%%, got %s", path, span / 4,
		            vt_param_info((enum vt_param)k->arg)->unit,
		            vt_cy_quote(vt_cy_text(n), q, sizeof(q)));
		return false;
	}
	return true;
}

/* beat, breath: the spread of a cycle's length, "N%" from 0 to 30 %. */
static bool
s_cycle_variability(struct vt_cy *c, const char *path, const yaml_node_t *n,
                    const struct vt_cy_key *k, void *obj)
{
	double v;
	bool percent;
	if (!s_amount(vt_cy_text(n), 30, &v, &percent) || !percent) {
		char q[VT_CY_QUOTE_MAX];
		vt_cy_error(c, n, "%s: expected %s, got %s", path, k->what,
		            vt_cy_quote(vt_cy_text(n), q, sizeof(q)));
		return false;
	}
	memcpy((char *)obj + k->offset, &v, sizeof(v));
	return true;
}

/* A segment's target: 88, +12, -5, +30%, -10% or baseline. */
static bool
s_target(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
         void *obj)
{
	struct s_target *t = (struct s_target *)((char *)obj + k->offset);
	const char *s = vt_cy_text(n);
	size_t len = strlen(s);
	bool ok;
	if (strcmp(s, "baseline") == 0) {
		t->kind = S_BASELINE;
		ok = true;
	} else if (s[0] == '+' || s[0] == '-') {
		bool percent;
		ok = s_amount(s + 1, 1000, &t->v, &percent);
		t->kind = percent ? S_PERCENT : S_DELTA;
		t->v = s[0] == '-' ? -t->v : t->v;
	} else {
		t->kind = S_ABSOLUTE;
		ok = len > 0 && s[len - 1] != '%' && vt_cy_parse_number(s, &t->v) == 0;
	}
	if (!ok) {
		char q[VT_CY_QUOTE_MAX];
		vt_cy_error(c, n, "%s: expected %s, got %s", path, k->what, vt_cy_quote(s, q, sizeof(q)));
	}
	return ok;
}

/* ---- the tables ----------------------------------------------------------- */

#define SCN(f) offsetof(struct vt_scenario, f)
#define DEV(f) offsetof(struct vt_scenario, device.f)
#define ITEM(f) offsetof(struct s_item, f)
#define ART(f) offsetof(struct vt_scn_artefact, f)
#define MARK(f) offsetof(struct vt_scn_mark, f)
#define SCALAR(n, w) .name = n, .shape = VT_CY_SCALAR, .what = w
#define LIST(n, w) .name = n, .shape = VT_CY_LIST, .what = w
#define SECTION(n, w) .name = n, .shape = VT_CY_MAPPING, .what = w

static const int64_t s_duration_range[2] = {1000, VT_SCN_MAX_DURATION_MS};
static const int64_t s_any_time[2] = {0, VT_SCN_MAX_DURATION_MS};
static const int64_t s_some_time[2] = {1, VT_SCN_MAX_DURATION_MS};

static const char s_pr_why[] = "pr is the pulse the oximeter counts from the heart's beats: "
                               "describe the heart rate as hr";
static const char s_map_why[] = "nibp_map is what the cuff computes from nibp_sys and nibp_dia: "
                                "describe those";

/*
 * The rows of the per-parameter tables run in any order (each names its
 * parameter in .arg); pr and nibp_map have rows of their own only to say
 * why they cannot be described.
 */
#define DERIVED(n, why)                                                                 \
	{.name = n, .shape = VT_CY_SCALAR_OR_LIST, .what = "nothing", .handler = s_derived,   \
	 .data = why}

/* Baselines: a healthy adult at rest unless the file says otherwise. */
#define VALUE(p, n, d) {SCALAR(n, "a number"), .handler = s_baseline, .arg = p, .dflt = d}
static const struct vt_cy_key s_baseline_keys[] = {
	VALUE(VT_SPO2, "spo2", "98"),           VALUE(VT_HR, "hr", "72"),
	VALUE(VT_PI, "pi", "3"),                VALUE(VT_RR, "rr", "14"),
	VALUE(VT_ETCO2, "etco2", "38"),         VALUE(VT_NIBP_SYS, "nibp_sys", "120"),
	VALUE(VT_NIBP_DIA, "nibp_dia", "78"),   VALUE(VT_TEMP, "temp", "36.8"),
	DERIVED("pr", s_pr_why),
	DERIVED("nibp_map", s_map_why),         {.name = NULL},
};
#undef VALUE

static vt_cy_handler s_trend;
#define TREND(p, n) {LIST(n, "a list of segments"), .handler = s_trend, .arg = p}
static const struct vt_cy_key s_trend_keys[] = {
	TREND(VT_SPO2, "spo2"),         TREND(VT_HR, "hr"),
	TREND(VT_PI, "pi"),             TREND(VT_RR, "rr"),
	TREND(VT_ETCO2, "etco2"),       TREND(VT_NIBP_SYS, "nibp_sys"),
	TREND(VT_NIBP_DIA, "nibp_dia"), TREND(VT_TEMP, "temp"),
	DERIVED("pr", s_pr_why),
	DERIVED("nibp_map", s_map_why), {.name = NULL},
};
#undef TREND

#define SPREAD(p, n, d)                                                                   \
	{SCALAR(n, "a standard deviation such as 2, or a percentage such as 10%"),        \
	 .handler = s_variability, .arg = p, .dflt = d}
static const struct vt_cy_key s_variability_keys[] = {
	SPREAD(VT_SPO2, "spo2", "0.5"),       SPREAD(VT_HR, "hr", "2"),
	SPREAD(VT_PI, "pi", "10%"),           SPREAD(VT_RR, "rr", "1"),
	SPREAD(VT_ETCO2, "etco2", "1"),       SPREAD(VT_NIBP_SYS, "nibp_sys", "4"),
	SPREAD(VT_NIBP_DIA, "nibp_dia", "3"), SPREAD(VT_TEMP, "temp", "0.05"),
	DERIVED("pr", s_pr_why),
	DERIVED("nibp_map", s_map_why),
	{SCALAR("beat", "a percentage of the beat interval from 0% to 30%"),
	 .handler = s_cycle_variability, .offset = SCN(beat_variability), .dflt = "3%"},
	{SCALAR("breath", "a percentage of the breath interval from 0% to 30%"),
	 .handler = s_cycle_variability, .offset = SCN(breath_variability), .dflt = "10%"},
	{.name = NULL},
};
#undef SPREAD
#undef DERIVED

static const int64_t s_averaging_range[2] = {1000, 30000};
static const double s_beats_range[2] = {1, 32};
static const double s_breaths_range[2] = {1, 16};
static const int64_t s_nibp_every_range[2] = {0, VT_SCN_MAX_DURATION_MS};
static const int64_t s_nibp_takes_range[2] = {10000, 300000};
static const int64_t s_apnea_range[2] = {5000, 120000};
static const struct vt_cy_key s_device_keys[] = {
	{SCALAR("spo2_averaging", VT_CY_DURATION), .handler = s_duration_in,
	 .offset = DEV(spo2_averaging_ms), .data = s_averaging_range, .dflt = "8s"},
	{SCALAR("hr_averaging", "a number of beats"), .handler = s_number_in,
	 .offset = DEV(hr_averaging), .arg = 1, .data = s_beats_range, .dflt = "8"},
	{SCALAR("rr_averaging", "a number of breaths"), .handler = s_number_in,
	 .offset = DEV(rr_averaging), .arg = 1, .data = s_breaths_range, .dflt = "4"},
	{SCALAR("nibp_every", VT_CY_DURATION), .handler = s_duration_in,
	 .offset = DEV(nibp_every_ms), .data = s_nibp_every_range, .dflt = "5m"},
	{SCALAR("nibp_first", VT_CY_DURATION), .handler = s_duration_in,
	 .offset = DEV(nibp_first_ms), .data = s_any_time, .dflt = "1m"},
	{SCALAR("nibp_takes", VT_CY_DURATION), .handler = s_duration_in,
	 .offset = DEV(nibp_takes_ms), .data = s_nibp_takes_range, .dflt = "40s"},
	{SCALAR("apnea_after", VT_CY_DURATION), .handler = s_duration_in,
	 .offset = DEV(apnea_after_ms), .data = s_apnea_range, .dflt = "20s"},
	{.name = NULL},
};

static const double s_amplitude_range[2] = {0, 1000};
enum { I_HOLD, I_RAMP, I_STEP, I_OSCILLATE, I_OVER, I_PERIOD, I_FOR, I_COUNT };
#define I_KINDS "hold, ramp, step or oscillate"
static const struct vt_cy_key s_item_keys[I_COUNT + 1] = {
	[I_HOLD] = {SCALAR("hold", VT_CY_DURATION), .handler = s_duration_in, .offset = ITEM(hold),
	            .data = s_some_time},
	[I_RAMP] = {SCALAR("ramp", "a value such as 88, a change such as +12, -5 or +30%, or baseline"),
	            .handler = s_target, .offset = ITEM(ramp)},
	[I_STEP] = {SCALAR("step", "a value such as 88, a change such as +12, -5 or +30%, or baseline"),
	            .handler = s_target, .offset = ITEM(step)},
	[I_OSCILLATE] = {SCALAR("oscillate", "an amplitude such as 3"), .handler = s_number_in,
	                 .offset = ITEM(oscillate), .data = s_amplitude_range},
	[I_OVER] = {SCALAR("over", VT_CY_DURATION), .handler = s_duration_in, .offset = ITEM(over),
	            .data = s_some_time},
	[I_PERIOD] = {SCALAR("period", VT_CY_DURATION), .handler = s_duration_in,
	              .offset = ITEM(period), .data = s_some_time},
	[I_FOR] = {SCALAR("for", VT_CY_DURATION), .handler = s_duration_in, .offset = ITEM(for_ms),
	           .data = s_some_time},
};

static const double s_depth_range[2] = {0, 100};
enum { A_KIND, A_AT, A_FOR, A_DEPTH, A_COUNT };
static const struct vt_cy_key s_artefact_keys[A_COUNT + 1] = {
	[A_KIND] = {SCALAR("kind", "probe-off, motion, low-perfusion, cuff-failure or leads-off"),
	            .handler = vt_cy_enum_value, .offset = ART(kind), .data = s_artefact_kinds,
	            .required = true},
	[A_AT] = {SCALAR("at", VT_CY_DURATION), .handler = s_duration_in, .offset = ART(at_ms),
	          .data = s_any_time, .required = true},
	[A_FOR] = {SCALAR("for", VT_CY_DURATION), .handler = s_duration_in, .offset = ART(for_ms),
	           .data = s_any_time},
	[A_DEPTH] = {SCALAR("depth", "a number"), .handler = s_number_in, .offset = ART(depth),
	             .data = s_depth_range},
};

static const double s_weight_range[2] = {1, 500};
static const double s_dose_range[2] = {0.001, 100};
enum { K_AT, K_PHASE, K_WEIGHT, K_DOSE, K_COUNT };
static const struct vt_cy_key s_mark_keys[K_COUNT + 1] = {
	[K_AT] = {SCALAR("at", VT_CY_DURATION), .handler = s_duration_in, .offset = MARK(at_ms),
	          .data = s_any_time, .required = true},
	[K_PHASE] = {SCALAR("phase", "baseline, infusion, recovery or ended"),
	             .handler = vt_cy_enum_value, .offset = MARK(phase), .data = s_phases,
	             .required = true},
	[K_WEIGHT] = {SCALAR("weight_kg", "a weight in kg"), .handler = s_number_in,
	              .offset = MARK(weight_kg), .data = s_weight_range},
	[K_DOSE] = {SCALAR("dose_mg_per_kg_h", "a dose rate in mg/kg/h"), .handler = s_number_in,
	            .offset = MARK(dose_mg_per_kg_h), .data = s_dose_range},
};

static vt_cy_handler s_section, s_list;
static const struct s_list s_artefact_list, s_mark_list;
enum { T_DURATION, T_SEED, T_BASELINE, T_TRENDS, T_VARIABILITY, T_DEVICE, T_ARTEFACTS, T_PHASES,
       T_COUNT };
static const struct vt_cy_key s_top_keys[T_COUNT + 1] = {
	[T_DURATION] = {SCALAR("duration", VT_CY_DURATION), .handler = s_duration_in,
	                .offset = SCN(duration_ms), .data = s_duration_range, .required = true},
	[T_SEED] = {SCALAR("seed", "a whole number such as 7"), .handler = s_seed, .dflt = "1"},
	[T_BASELINE] = {SECTION("baseline", "a mapping of parameters to values (spo2: 97, ...)"),
	                .handler = s_section, .data = s_baseline_keys},
	[T_TRENDS] = {SECTION("trends", "a mapping of parameters to lists of segments"),
	              .handler = s_section, .data = s_trend_keys},
	[T_VARIABILITY] = {SECTION("variability", "a mapping of parameters to standard deviations"),
	                   .handler = s_section, .data = s_variability_keys},
	[T_DEVICE] = {SECTION("device", "a mapping of monitor settings (spo2_averaging, ...)"),
	              .handler = s_section, .data = s_device_keys},
	[T_ARTEFACTS] = {LIST("artefacts", "a list of artefacts"), .handler = s_list,
	                 .data = &s_artefact_list},
	[T_PHASES] = {LIST("phases", "a list of phase marks"), .handler = s_list, .data = &s_mark_list},
};

_Static_assert(I_COUNT <= VT_CY_MAX_KEYS && A_COUNT <= VT_CY_MAX_KEYS &&
               T_COUNT <= VT_CY_MAX_KEYS && K_COUNT <= VT_CY_MAX_KEYS &&
               sizeof(s_variability_keys) / sizeof(s_variability_keys[0]) <= VT_CY_MAX_KEYS + 1,
               "a key table outgrew VT_CY_MAX_KEYS");

/* ---- what needs more than one key ------------------------------------------ */

static bool
s_section(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
          void *obj)
{
	struct vt_cy_seen seen[VT_CY_MAX_KEYS];
	return vt_cy_mapping(c, path, n, k->what, k->data, obj, seen);
}

/* The items of a list, at most `max` of them (the rest reported); how many to read. */
static size_t
s_items(struct vt_cy *c, const char *path, const yaml_node_t *n, size_t max)
{
	size_t total = vt_cy_count(n);
	if (total > max) {
		vt_cy_error(c, n, "%s: %zu entries; at most %zu are supported", path, total, max);
		total = max;
	}
	return total;
}

/* One item of a trend into segment `seg` of parameter `p`. */
static void
s_segment(struct vt_cy *c, const char *path, const yaml_node_t *n, enum vt_param p,
          struct vt_scn_segment *seg, size_t index)
{
	struct s_state *st = c->user;
	struct s_item it;
	struct vt_cy_seen seen[VT_CY_MAX_KEYS];
	memset(&it, 0, sizeof(it));
	if (!vt_cy_mapping(c, path, n, "a segment (a mapping with one of " I_KINDS ")", s_item_keys,
	                   &it, seen))
		return;
	int kind = -1;
	for (int i = I_HOLD; i <= I_OSCILLATE; i++) {
		if (seen[i].key == NULL)
			continue;
		if (kind >= 0)
			vt_cy_error(c, seen[i].key, "%s.%s: a segment is one of %s; this one is already "
			            "a %s", path, s_item_keys[i].name, I_KINDS, s_item_keys[kind].name);
		else
			kind = i;
	}
	if (kind < 0) {
		vt_cy_error(c, n, "%s: a segment needs one of %s", path, I_KINDS);
		return;
	}
	/* over goes with ramp; period and for with oscillate. */
	static const struct {
		int key, owner;
	} needs[] = {{I_OVER, I_RAMP}, {I_PERIOD, I_OSCILLATE}, {I_FOR, I_OSCILLATE}};
	for (size_t i = 0; i < sizeof(needs) / sizeof(needs[0]); i++) {
		const char *key = s_item_keys[needs[i].key].name, *owner = s_item_keys[needs[i].owner].name;
		if (kind == needs[i].owner && seen[needs[i].key].key == NULL)
			vt_cy_error(c, n, "%s: a segment with %s needs \"%s\"", path, owner, key);
		else if (kind != needs[i].owner && seen[needs[i].key].key != NULL)
			vt_cy_error(c, seen[needs[i].key].key, "%s.%s: only a segment with %s takes %s", path,
			            key, owner, key);
	}
	seg->kind = (enum vt_scn_segment_kind)(kind - I_HOLD);
	seg->ms = kind == I_HOLD ? it.hold : kind == I_RAMP ? it.over : kind == I_OSCILLATE ? it.for_ms : 0;
	seg->amplitude = it.oscillate;
	seg->period_ms = it.period;
	if (kind == I_OSCILLATE && seen[I_OSCILLATE].ok) {
		const struct vt_param_info *pi = vt_param_info(p);
		if (it.oscillate > (pi->max - pi->min) / 2)
			vt_cy_error(c, seen[I_OSCILLATE].value, "%s.oscillate: %g is more than half the "
			            "range of %s (%g to %g %s)", path, it.oscillate, pi->name, pi->min,
			            pi->max, pi->unit);
	}
	if ((kind == I_RAMP || kind == I_STEP) && seen[kind].ok) {
		struct s_pending *pd = &st->pending[st->n_pending++];
		pd->p = p;
		pd->segment = index;
		pd->target = kind == I_RAMP ? it.ramp : it.step;
		pd->at = seen[kind].value;
		vt_cy_path(pd->path, sizeof(pd->path), path, s_item_keys[kind].name);
	}
}

static bool
s_trend(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
        void *obj)
{
	struct vt_scn_trend *t = &((struct vt_scenario *)obj)->trend[k->arg];
	size_t total = s_items(c, path, n, VT_SCN_MAX_SEGMENTS);
	t->segments = vt_cy_calloc(c, total, sizeof(*t->segments));
	if (t->segments == NULL)
		return false;
	t->n = total;
	for (size_t i = 0; i < total; i++) {
		char ipath[VT_CY_PATH_MAX];
		const yaml_node_t *item = vt_cy_item(c, n, i);
		if (item != NULL)
			s_segment(c, vt_cy_path_index(ipath, sizeof(ipath), path, i), item,
			          (enum vt_param)k->arg, &t->segments[i], i);
	}
	return true;
}

/* One artefact, checked as a whole. */
static void
s_artefact_finish(struct vt_cy *c, const char *path, const yaml_node_t *n, struct vt_scenario *s,
                  size_t i, const struct vt_cy_seen *seen)
{
	struct vt_scn_artefact *a = &s->artefacts[i];
	((struct s_state *)c->user)->artefact_at[i] = seen[A_AT].ok ? seen[A_AT].value : NULL;
	if (!seen[A_KIND].ok)
		return;
	const char *name = vt_scn_artefact_name(a->kind);
	/* A failed cuff is an event; the others last a while. */
	if (a->kind != VT_SCN_CUFF_FAILURE && seen[A_FOR].key == NULL)
		vt_cy_error(c, n, "%s: %s needs \"for\" (how long it lasts)", path, name);
	else if (a->kind != VT_SCN_CUFF_FAILURE && seen[A_FOR].ok && a->for_ms == 0)
		vt_cy_error(c, seen[A_FOR].value, "%s.for: %s must last a while, got 0", path, name);
	bool deep = a->kind == VT_SCN_MOTION || a->kind == VT_SCN_LOW_PERFUSION;
	if (!deep && seen[A_DEPTH].key != NULL) {
		vt_cy_error(c, seen[A_DEPTH].key, "%s.depth: only motion (the SpO2 dip) and "
		            "low-perfusion (the PI reached) take a depth", path);
	} else if (seen[A_DEPTH].key == NULL) {
		a->depth = a->kind == VT_SCN_MOTION ? 8 : 0.2;
	} else if (seen[A_DEPTH].ok && a->kind == VT_SCN_MOTION && (a->depth <= 0 || a->depth > 50)) {
		vt_cy_error(c, seen[A_DEPTH].value, "%s.depth: expected a dip of SpO2 above 0 and up "
		            "to 50 %%, got %g", path, a->depth);
	} else if (seen[A_DEPTH].ok && a->kind == VT_SCN_LOW_PERFUSION && a->depth >= 1) {
		vt_cy_error(c, seen[A_DEPTH].value, "%s.depth: expected the low PI reached, below 1 %%, "
		            "got %g", path, a->depth);
	}
}

/* One phase mark, checked as a whole and against the one before. */
static void
s_mark_finish(struct vt_cy *c, const char *path, const yaml_node_t *n, struct vt_scenario *s,
              size_t i, const struct vt_cy_seen *seen)
{
	struct s_state *st = c->user;
	if (seen[K_DOSE].key != NULL && seen[K_WEIGHT].key == NULL)
		vt_cy_error(c, seen[K_DOSE].key, "%s.dose_mg_per_kg_h: a dose needs the patient's "
		            "weight_kg beside it", path);
	if (!seen[K_AT].ok)
		return;
	st->mark_at[i] = seen[K_AT].value;
	for (size_t j = i; j-- > 0;) {
		if (st->mark_at[j] == NULL)
			continue;
		if (s->marks[j].at_ms >= s->marks[i].at_ms)
			vt_cy_error(c, seen[K_AT].value, "%s.at: marks go in time order; this one is not "
			            "after phases[%zu]", path, j);
		break;
	}
}

static const struct s_list s_artefact_list = {
	"an artefact (a mapping with kind, at and for)", s_artefact_keys,
	sizeof(struct vt_scn_artefact), VT_SCN_MAX_ARTEFACTS, SCN(artefacts), SCN(n_artefacts),
	s_artefact_finish};
static const struct s_list s_mark_list = {
	"a phase mark (a mapping with at and phase)", s_mark_keys, sizeof(struct vt_scn_mark),
	VT_SCN_MAX_MARKS, SCN(marks), SCN(n_marks), s_mark_finish};

/* artefacts, phases: k->data says which. */
static bool
s_list(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
       void *obj)
{
	const struct s_list *l = k->data;
	size_t total = s_items(c, path, n, l->max);
	char *items = vt_cy_calloc(c, total, l->size);
	if (items == NULL)
		return false;
	memcpy((char *)obj + l->items, &items, sizeof(items));
	memcpy((char *)obj + l->count, &total, sizeof(total));
	for (size_t i = 0; i < total; i++) {
		char ipath[VT_CY_PATH_MAX];
		struct vt_cy_seen seen[VT_CY_MAX_KEYS];
		const yaml_node_t *item = vt_cy_item(c, n, i);
		vt_cy_path_index(ipath, sizeof(ipath), path, i);
		if (item != NULL &&
		    vt_cy_mapping(c, ipath, item, l->what, l->keys, items + i * l->size, seen))
			l->finish(c, ipath, item, obj, i, seen);
	}
	return true;
}

/* Checks that need the whole file: targets against the baseline, times against the duration. */
static void
s_finish(struct vt_cy *c, struct vt_scenario *s, const struct vt_cy_seen *seen)
{
	struct s_state *st = c->user;
	for (size_t i = 0; i < st->n_pending; i++) {
		const struct s_pending *pd = &st->pending[i];
		const struct vt_param_info *pi = vt_param_info(pd->p);
		double base = s->baseline[pd->p], v = pd->target.v;
		if (pd->target.kind == S_DELTA)
			v = base + v;
		else if (pd->target.kind == S_PERCENT)
			v = base * (1 + v / 100);
		else if (pd->target.kind == S_BASELINE)
			v = base;
		s->trend[pd->p].segments[pd->segment].to = v;
		if (v < pi->min || v > pi->max)
			vt_cy_error(c, pd->at, "%s: %g is outside the range of %s (%g to %g %s)%s", pd->path,
			            v, pi->name, pi->min, pi->max, pi->unit,
			            pd->target.kind == S_ABSOLUTE ? "" : " (from the baseline)");
	}
	const struct vt_scn_device *dev = &s->device;
	if (seen[T_DEVICE].ok && dev->nibp_every_ms > 0 && dev->nibp_every_ms < dev->nibp_takes_ms) {
		char every[32], takes[32];
		vt_cy_error(c, seen[T_DEVICE].value, "device: a cuff measurement every %s cannot take "
		            "%s; expected nibp_every of at least nibp_takes, or 0s for none",
		            vt_duration_format(dev->nibp_every_ms, every, sizeof(every)),
		            vt_duration_format(dev->nibp_takes_ms, takes, sizeof(takes)));
	}
	if (!seen[T_DURATION].ok)
		return;
	char d[32];
	vt_duration_format(s->duration_ms, d, sizeof(d));
	for (size_t i = 0; i < s->n_artefacts; i++)
		if (st->artefact_at[i] != NULL && s->artefacts[i].at_ms >= s->duration_ms)
			vt_cy_error(c, st->artefact_at[i], "artefacts[%zu].at: after the end of the "
			            "scenario (duration %s)", i, d);
	for (size_t i = 0; i < s->n_marks; i++)
		if (st->mark_at[i] != NULL && s->marks[i].at_ms >= s->duration_ms)
			vt_cy_error(c, st->mark_at[i], "phases[%zu].at: after the end of the scenario "
			            "(duration %s)", i, d);
}

/* ---- the public interface ---------------------------------------------------- */

struct vt_scenario *
vt_scn_parse(const char *file, const char *text, size_t len, struct vt_diag *diag)
{
	struct vt_diag scratch = {0};
	if (diag == NULL)
		diag = &scratch;
	if (file == NULL)
		file = "-";
	if (len > VT_SCN_MAX_BYTES) {
		vt_diag_add(diag, file, 0, 0, NULL, "too large (%zu bytes); a scenario is at most %d "
		            "bytes", len, VT_SCN_MAX_BYTES);
		vt_diag_clear(&scratch);
		return NULL;
	}
	struct vt_scenario *s = calloc(1, sizeof(*s));
	struct s_state st;
	memset(&st, 0, sizeof(st));
	struct vt_cy c;
	if (vt_cy_open(&c, file, text, len) == 0) {
		c.user = &st;
		st.pending = vt_cy_calloc(&c, VT_PARAM_COUNT * VT_SCN_MAX_SEGMENTS, sizeof(*st.pending));
		struct vt_cy_seen seen[VT_CY_MAX_KEYS];
		if (s == NULL || st.pending == NULL)
			vt_cy_oom(&c);
		else if (vt_cy_document(&c, "a scenario (a mapping with duration, baseline, trends, ...)",
		                        "missing required key \"duration\"", s_top_keys, s, seen))
			s_finish(&c, s, seen);
	}
	bool failed = vt_cy_failed(&c) || s == NULL;
	vt_cy_close(&c, diag);
	free(st.pending);
	if (s == NULL)
		vt_diag_add(diag, file, 0, 0, NULL, "out of memory while reading the scenario");
	if (failed)
		vt_scn_free(&s);
	vt_diag_clear(&scratch);
	return s;
}

struct vt_scenario *
vt_scn_load(const char *path, struct vt_diag *diag)
{
	size_t len = 0;
	char *buf = vt_cy_load(path, VT_SCN_MAX_BYTES, "a scenario", diag, &len);
	if (buf == NULL)
		return NULL;
	struct vt_scenario *s = vt_scn_parse(path, buf, len, diag);
	free(buf);
	return s;
}

void
vt_scn_free(struct vt_scenario **sp)
{
	if (sp == NULL || *sp == NULL)
		return;
	struct vt_scenario *s = *sp;
	for (int p = 0; p < VT_PARAM_COUNT; p++)
		free(s->trend[p].segments);
	free(s->artefacts);
	free(s->marks);
	free(s);
	*sp = NULL;
}
