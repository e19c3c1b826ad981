/*
 * vitals-evaluate: how well a configuration's alarms serve the patients of
 * real recordings. Each recording is replayed through the daemon's own
 * replay (vt_replay_run_sink: the same drivers, engine and messages as
 * `vitalsd --replay`), so the verdict is the daemon's behaviour, not a
 * model of it. The readings the engine judged and the alert events it
 * published go to the grading in evaluate.c; this file is the command
 * line, the table for people, --json for scripts, and the targets whose
 * miss makes the exit status 1 (make check uses them).
 */
#include <dirent.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "vitals/base/diag.h"
#include "vitals/base/timefmt.h"
#include "vitals/base/version.h"
#include "vitals/config/config.h"
#include "vitals/replay.h"
#include "vitals/tools/evaluate.h"

/* Recordings one run takes at most (a folder's files included). */
#define S_MAX_RECORDINGS 4096

/* An upper bound the result must meet; unset targets are not checked. */
enum s_target {
	T_MISSED, T_MEDIAN, T_P90, T_MAX, T_FALSE, T_DUPLICATES, T_PER_HOUR, T_COUNT
};

static const struct {
	const char *option; /* --max-... */
	const char *label;  /* as the table names it */
	bool duration;      /* the value is a duration (else a number) */
} s_targets[T_COUNT] = {
    [T_MISSED] = {"max-missed", "missed events", false},
    [T_MEDIAN] = {"max-median-delay", "median delay", true},
    [T_P90] = {"max-p90-delay", "90th percentile delay", true},
    [T_MAX] = {"max-delay", "longest delay", true},
    [T_FALSE] = {"max-false", "alarms without an event", false},
    [T_DUPLICATES] = {"max-duplicates", "duplicate alarms", false},
    [T_PER_HOUR] = {"max-per-hour", "alarms per hour", false},
};

/* What the command line asked for. */
struct s_args {
	const char *config;
	const char *bed;             /* NULL: the first monitor */
	struct vt_eval_def defs[VT_EVAL_MAX_DEFS];
	size_t n_defs;
	bool json, list;
	bool target_set[T_COUNT];
	double target[T_COUNT];      /* durations in ms; T_FALSE a count or, with */
	bool false_percent;          /* this, a percentage of the alarms */
	char **paths;                /* recordings and folders as given */
	size_t n_paths;
};

static void
s_usage(FILE *out)
{
	fputs("usage: vitals-evaluate -c FILE [--bed NAME] [--event SPEC ...] [--json] [--list]\n"
	      "                       [TARGETS] RECORDING|FOLDER ...\n"
	      "\n"
	      "Replays each recording (a folder: its *.csv and *.vsr files) through the daemon\n"
	      "with the configuration FILE and grades its alarms against the sustained events\n"
	      "in the readings: events alarmed, delay from onset, alarms per hour, alarms\n"
	      "without an event (false), second alarms for one episode (duplicate), and the\n"
	      "alarms a bare threshold would raise.\n"
	      "\n"
	      "  -c, --config FILE        the configuration whose rules are graded\n"
	      "      --bed NAME           the monitor each recording is replayed on (default: the\n"
	      "                           first one in FILE)\n"
	      "      --event SPEC         a sustained event, PARAMETER<LIMIT/DURATION or\n"
	      "                           PARAMETER>LIMIT/DURATION; repeatable; the default is\n"
	      "                           spo2<90/30s pr>120/30s pr<50/30s\n"
	      "      --json               one JSON object instead of the table\n"
	      "      --list               every event and every alarm as well\n"
	      "\n"
	      "targets (upper bounds over all events; exit 1 if one is missed):\n"
	      "      --max-missed N       events without an alarm\n"
	      "      --max-median-delay D, --max-p90-delay D, --max-delay D\n"
	      "                           delay from an event's onset to its alarm (15s, 2m)\n"
	      "      --max-false N|P%     alarms without an event, a count or a share\n"
	      "      --max-duplicates N   second alarms for an episode already alarming\n"
	      "      --max-per-hour X     alarms per monitored hour\n"
	      "\n"
	      "exit status: 0 every target met, 1 a target missed, 64 usage, 65/66 a bad or\n"
	      "missing recording, 78 a bad configuration.\n",
	      out);
}

/* A target's value from its option argument; -1 with a message if bad. */
static int
s_parse_target(struct s_args *a, enum s_target t, const char *arg)
{
	double v;
	char *end;
	if (s_targets[t].duration) {
		int64_t ms;
		const char *why;
		if (vt_duration_parse(arg, &ms, &why) != 0) {
			fprintf(stderr, "vitals-evaluate: --%s %s: %s\n", s_targets[t].option, arg, why);
			return -1;
		}
		v = (double)ms;
	} else {
		v = strtod(arg, &end);
		bool percent = t == T_FALSE && *end == '%';
		if (end == arg || (*end != '\0' && !(percent && end[1] == '\0')) || !(v >= 0) ||
		    !isfinite(v)) {
			fprintf(stderr, "vitals-evaluate: --%s %s: expected a number%s\n",
			        s_targets[t].option, arg, t == T_FALSE ? " or a percentage" : "");
			return -1;
		}
		if (t == T_FALSE)
			a->false_percent = percent;
	}
	a->target[t] = v;
	a->target_set[t] = true;
	return 0;
}

/* Parse argv into a; -1 to exit with *code (0 for --help/--version). */
static int
s_parse_args(int argc, char **argv, struct s_args *a, int *code)
{
	enum { OPT_BED = 256, OPT_EVENT, OPT_JSON, OPT_LIST, OPT_TARGET };
	struct option longopts[8 + T_COUNT + 1] = {
	    {"config", required_argument, NULL, 'c'}, {"bed", required_argument, NULL, OPT_BED},
	    {"event", required_argument, NULL, OPT_EVENT}, {"json", no_argument, NULL, OPT_JSON},
	    {"list", no_argument, NULL, OPT_LIST},     {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	};
	for (int t = 0; t < T_COUNT; t++)
		longopts[7 + t] = (struct option){s_targets[t].option, required_argument, NULL,
		                                  OPT_TARGET + t};
	*code = EX_USAGE;
	int opt;
	while ((opt = getopt_long(argc, argv, "c:hV", longopts, NULL)) != -1) {
		char err[256];
		switch (opt) {
		case 'c':
			a->config = optarg;
			break;
		case OPT_BED:
			a->bed = optarg;
			break;
		case OPT_EVENT:
			if (a->n_defs == VT_EVAL_MAX_DEFS) {
				fprintf(stderr, "vitals-evaluate: at most %d --event definitions\n",
				        VT_EVAL_MAX_DEFS);
				return -1;
			}
			if (vt_eval_def_parse(optarg, &a->defs[a->n_defs], err, sizeof(err)) != 0) {
				fprintf(stderr, "vitals-evaluate: --event %s\n", err);
				return -1;
			}
			a->n_defs++;
			break;
		case OPT_JSON:
			a->json = true;
			break;
		case OPT_LIST:
			a->list = true;
			break;
		case 'V':
			printf("vitals-evaluate %s\n", VT_VERSION);
			*code = 0;
			return -1;
		case 'h':
			s_usage(stdout);
			*code = 0;
			return -1;
		default:
			if (opt >= OPT_TARGET && opt < OPT_TARGET + T_COUNT) {
				if (s_parse_target(a, (enum s_target)(opt - OPT_TARGET), optarg) != 0)
					return -1;
				break;
			}
			s_usage(stderr);
			return -1;
		}
	}
	if (a->config == NULL) {
		fprintf(stderr, "vitals-evaluate: no configuration; use -c FILE\n");
		return -1;
	}
	if (optind == argc) {
		fprintf(stderr, "vitals-evaluate: no recordings; name files or folders\n");
		return -1;
	}
	a->paths = argv + optind;
	a->n_paths = (size_t)(argc - optind);
	if (a->n_defs == 0) {
		memcpy(a->defs, vt_eval_default_defs, sizeof(vt_eval_default_defs));
		a->n_defs = sizeof(vt_eval_default_defs) / sizeof(vt_eval_default_defs[0]);
	}
	return 0;
}

/* ---- the recordings ------------------------------------------------------- */

struct s_list {
	char **v;
	size_t n;
};

static int
s_add(struct s_list *l, char *path)
{
	if (path == NULL)
		return EX_OSERR;
	if (l->n == S_MAX_RECORDINGS) {
		fprintf(stderr, "vitals-evaluate: more than %d recordings\n", S_MAX_RECORDINGS);
		free(path);
		return EX_USAGE;
	}
	char **v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (v == NULL) {
		free(path);
		return EX_OSERR;
	}
	l->v = v;
	l->v[l->n++] = path;
	return 0;
}

/* A folder's recordings: numerics CSV and the recorder's session files. */
static int
s_recording_name(const struct dirent *d)
{
	size_t n = strlen(d->d_name);
	return d->d_name[0] != '.' && n > 4 &&
	       (strcmp(d->d_name + n - 4, ".csv") == 0 || strcmp(d->d_name + n - 4, ".vsr") == 0);
}

/* The recordings the paths name: files as given, a folder's recordings sorted by name. */
static int
s_collect(const struct s_args *a, struct s_list *l)
{
	for (size_t i = 0; i < a->n_paths; i++) {
		struct stat st;
		if (stat(a->paths[i], &st) != 0) {
			fprintf(stderr, "vitals-evaluate: %s: no such file or folder\n", a->paths[i]);
			return EX_NOINPUT;
		}
		if (!S_ISDIR(st.st_mode)) {
			int rc = s_add(l, strdup(a->paths[i]));
			if (rc != 0)
				return rc;
			continue;
		}
		struct dirent **names;
		int n = scandir(a->paths[i], &names, s_recording_name, alphasort);
		if (n < 0) {
			fprintf(stderr, "vitals-evaluate: %s: cannot read the folder\n", a->paths[i]);
			return EX_NOINPUT;
		}
		int rc = 0;
		for (int k = 0; k < n; k++) {
			char *p = NULL;
			if (rc == 0 && asprintf(&p, "%s/%s", a->paths[i], names[k]->d_name) < 0)
				p = NULL;
			if (rc == 0)
				rc = s_add(l, p);
			free(names[k]);
		}
		free(names);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* ---- replay into the grading ------------------------------------------------ */

static void
s_on_message(void *ctx, const char *topic, const char *json, size_t len)
{
	if (strncmp(topic, "alert.", 6) != 0)
		return;
	json_t *o = json_loadb(json, len, 0, NULL);
	const char *id = json_string_value(json_object_get(o, "id"));
	const char *rule = json_string_value(json_object_get(o, "rule"));
	const char *event = json_string_value(json_object_get(o, "event"));
	const char *time = json_string_value(json_object_get(o, "time"));
	int64_t t;
	if (id && rule && event && time && vt_time_parse(time, &t) == 0)
		vt_eval_alert(ctx, id, rule, event, t);
	json_decref(o);
}

static void
s_on_reading(void *ctx, int bed, int64_t t, const struct vt_reading *r)
{
	vt_eval_reading(ctx, t, r);
}

/* Replay every recording on bed `bed` into e. 0, or replay's exit code. */
static int
s_run(const struct vt_config *cfg, const char *bed, const struct s_list *l, struct vt_eval *e)
{
	const struct vt_replay_sink sink = {.message = s_on_message, .reading = s_on_reading, .ctx = e};
	for (size_t i = 0; i < l->n; i++) {
		char *spec;
		if (asprintf(&spec, "%s=%s", bed, l->v[i]) < 0)
			return EX_OSERR;
		vt_eval_begin(e);
		char *specs[] = {spec};
		int rc = vt_replay_run_sink(cfg, specs, 1, NULL, 0, NULL, &sink, stderr);
		free(spec);
		if (rc != 0)
			return rc;
		vt_eval_end(e);
	}
	return vt_eval_failed(e) ? EX_OSERR : 0;
}

/* ---- the result ------------------------------------------------------------- */

/* A delay for the table: "7 s", "7.5 s", or "-" when there is none. */
static const char *
s_secs(int64_t ms, char *buf, size_t len)
{
	if (ms < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.*f s", ms % 1000 ? 1 : 0, (double)ms / 1000.0);
	return buf;
}

/* The value a target is checked against, from the overall figures. */
static double
s_value(const struct s_args *a, enum s_target t, const struct vt_eval_summary *s)
{
	switch (t) {
	case T_MISSED:
		return (double)(s->events - s->alarmed);
	case T_MEDIAN:
		return (double)s->median_ms;
	case T_P90:
		return (double)s->p90_ms;
	case T_MAX:
		return (double)s->max_ms;
	case T_FALSE:
		if (!a->false_percent)
			return (double)s->false_alarms;
		return s->alarms ? 100.0 * (double)s->false_alarms / (double)s->alarms : 0;
	case T_DUPLICATES:
		return (double)s->duplicates;
	case T_PER_HOUR:
		return s->hours > 0 ? (double)s->alarms / s->hours : 0;
	case T_COUNT:
		break;
	}
	return 0;
}

/* A target's value (or limit) as the table shows it. */
static const char *
s_target_text(const struct s_args *a, enum s_target t, double v, char *buf, size_t len)
{
	if (s_targets[t].duration)
		return s_secs((int64_t)v, buf, len);
	if (t == T_FALSE && a->false_percent)
		snprintf(buf, len, "%.1f %%", v);
	else if (t == T_PER_HOUR)
		snprintf(buf, len, "%.2f", v);
	else
		snprintf(buf, len, "%g", v);
	return buf;
}

static double
s_per_hour(const struct vt_eval_summary *s)
{
	return s->hours > 0 ? (double)s->alarms / s->hours : 0;
}

static void
s_table_row(const char *name, const struct vt_eval_summary *s)
{
	char med[16], p90[16], max[16];
	printf("%-16s %6zu %7zu %7s %7s %7s %6zu %6.2f %5zu %4zu %5zu\n", name, s->events,
	       s->alarmed, s_secs(s->median_ms, med, sizeof(med)),
	       s_secs(s->p90_ms, p90, sizeof(p90)), s_secs(s->max_ms, max, sizeof(max)), s->alarms,
	       s_per_hour(s), s->false_alarms, s->duplicates, s->bare);
}

static void
s_print_table(const struct s_args *a, const struct vt_config *cfg, const char *bed,
              const struct s_list *l, const struct vt_eval *e, const bool *met)
{
	struct vt_eval_summary all;
	vt_eval_summarise(e, -1, &all);
	printf("%s on bed %s: %zu recording%s, %.2f h monitored\n\n", cfg->path, bed, l->n,
	       l->n == 1 ? "" : "s", all.hours);
	printf("%-16s %6s %7s %7s %7s %7s %6s %6s %5s %4s %5s\n", "event", "events", "alarmed",
	       "median", "p90", "max", "alarms", "/hour", "false", "dup", "bare");
	for (size_t d = 0; d < a->n_defs; d++) {
		struct vt_eval_summary s;
		char name[64];
		vt_eval_summarise(e, (long)d, &s);
		s_table_row(vt_eval_def_format(&a->defs[d], name, sizeof(name)), &s);
	}
	s_table_row("all", &all);

	printf("\n%-24s %6s %6s %5s %4s %6s\n", "rule", "graded", "alarms", "false", "dup", "first");
	for (size_t r = 0; r < cfg->n_rules; r++) {
		struct vt_eval_rule_summary rs;
		vt_eval_rule(e, r, &rs);
		printf("%-24s %6s %6zu %5zu %4zu %6zu\n", cfg->rules[r].name, rs.graded ? "yes" : "no",
		       rs.alarms, rs.false_alarms, rs.duplicates, rs.first);
	}

	bool any = false;
	for (int t = 0; t < T_COUNT; t++) {
		if (!a->target_set[t])
			continue;
		if (!any)
			printf("\n%-24s %10s %10s\n", "target", "at most", "result");
		any = true;
		char lim[32], val[32];
		printf("%-24s %10s %10s  %s\n", s_targets[t].label,
		       s_target_text(a, (enum s_target)t, a->target[t], lim, sizeof(lim)),
		       s_target_text(a, (enum s_target)t, s_value(a, (enum s_target)t, &all), val,
		                     sizeof(val)),
		       met[t] ? "met" : "MISSED");
	}
	if (!a->list)
		return;
	printf("\n%-28s %-12s %8s %8s %6s %8s  %s\n", "recording", "event", "onset", "end", "worst",
	       "delay", "alarm");
	for (size_t i = 0; i < vt_eval_event_count(e); i++) {
		const struct vt_eval_event *ev = vt_eval_event_at(e, i);
		char name[64], delay[16];
		const char *base = strrchr(l->v[ev->recording], '/');
		printf("%-28s %-12s %7.0fs %7.0fs %6g %8s  %s\n", base ? base + 1 : l->v[ev->recording],
		       vt_eval_def_format(&a->defs[ev->def], name, sizeof(name)),
		       (double)ev->onset_ms / 1000, (double)ev->end_ms / 1000, ev->worst,
		       ev->alarmed ? s_secs(ev->delay_ms, delay, sizeof(delay)) : "MISSED",
		       ev->alarmed ? ev->alarm_id : "");
	}
	printf("\n%-28s %-28s %8s %8s  %s\n", "recording", "alarm", "raised", "cleared", "grade");
	for (size_t i = 0; i < vt_eval_alarm_count(e); i++) {
		const struct vt_eval_alarm *al = vt_eval_alarm_at(e, i);
		const char *base = strrchr(l->v[al->recording], '/');
		char cleared[32];
		if (al->cleared_ms == INT64_MAX)
			snprintf(cleared, sizeof(cleared), "-");
		else
			snprintf(cleared, sizeof(cleared), "%.0fs", (double)al->cleared_ms / 1000);
		printf("%-28s %-28s %7.0fs %8s  %s\n", base ? base + 1 : l->v[al->recording], al->id,
		       (double)al->raised_ms / 1000, cleared,
		       !al->graded         ? "not graded"
		       : al->duplicate     ? (al->false_alarm ? "duplicate, false" : "duplicate")
		       : al->false_alarm   ? "false"
		                           : "true");
	}
}

static json_t *
s_json_delay(int64_t ms)
{
	return ms < 0 ? json_null() : json_real((double)ms / 1000.0);
}

/* The figures of one row; `event` names its definition (NULL: all of them). */
static json_t *
s_json_summary(const char *event, const struct vt_eval_summary *s)
{
	json_t *o = json_object();
	if (event != NULL)
		json_object_set_new(o, "event", json_string(event));
	json_object_set_new(o, "events", json_integer((json_int_t)s->events));
	json_object_set_new(o, "alarmed", json_integer((json_int_t)s->alarmed));
	json_object_set_new(o, "missed", json_integer((json_int_t)(s->events - s->alarmed)));
	json_object_set_new(o, "delay_median_s", s_json_delay(s->median_ms));
	json_object_set_new(o, "delay_p90_s", s_json_delay(s->p90_ms));
	json_object_set_new(o, "delay_max_s", s_json_delay(s->max_ms));
	json_object_set_new(o, "alarms", json_integer((json_int_t)s->alarms));
	json_object_set_new(o, "alarms_per_hour", json_real(s_per_hour(s)));
	json_object_set_new(o, "false", json_integer((json_int_t)s->false_alarms));
	json_object_set_new(o, "duplicate", json_integer((json_int_t)s->duplicates));
	json_object_set_new(o, "bare", json_integer((json_int_t)s->bare));
	return o;
}

static void
s_print_json(const struct s_args *a, const struct vt_config *cfg, const char *bed,
             const struct s_list *l, const struct vt_eval *e, const bool *met, bool passed)
{
	struct vt_eval_summary all;
	vt_eval_summarise(e, -1, &all);
	json_t *o = json_object();
	json_object_set_new(o, "config", json_string(cfg->path));
	json_object_set_new(o, "bed", json_string(bed));
	json_object_set_new(o, "recordings", json_integer((json_int_t)l->n));
	json_object_set_new(o, "hours", json_real(all.hours));
	json_t *defs = json_array();
	for (size_t d = 0; d < a->n_defs; d++) {
		struct vt_eval_summary s;
		char name[64];
		vt_eval_summarise(e, (long)d, &s);
		json_array_append_new(
		    defs, s_json_summary(vt_eval_def_format(&a->defs[d], name, sizeof(name)), &s));
	}
	json_object_set_new(o, "by_event", defs);
	json_object_set_new(o, "all", s_json_summary(NULL, &all));
	json_t *rules = json_array();
	for (size_t r = 0; r < cfg->n_rules; r++) {
		struct vt_eval_rule_summary rs;
		vt_eval_rule(e, r, &rs);
		json_t *row = json_object();
		json_object_set_new(row, "rule", json_string(cfg->rules[r].name));
		json_object_set_new(row, "graded", json_boolean(rs.graded));
		json_object_set_new(row, "alarms", json_integer((json_int_t)rs.alarms));
		json_object_set_new(row, "false", json_integer((json_int_t)rs.false_alarms));
		json_object_set_new(row, "duplicate", json_integer((json_int_t)rs.duplicates));
		json_object_set_new(row, "first", json_integer((json_int_t)rs.first));
		json_array_append_new(rules, row);
	}
	json_object_set_new(o, "rules", rules);
	json_t *targets = json_array();
	for (int t = 0; t < T_COUNT; t++) {
		if (!a->target_set[t])
			continue;
		bool dur = s_targets[t].duration;
		double v = s_value(a, (enum s_target)t, &all);
		json_t *row = json_object();
		json_object_set_new(row, "target", json_string(s_targets[t].option + 4));
		json_object_set_new(row, "at_most", json_real(dur ? a->target[t] / 1000 : a->target[t]));
		json_object_set_new(row, "unit", json_string(dur ? "s"
		                                             : t == T_FALSE && a->false_percent ? "%"
		                                                                                : ""));
		json_object_set_new(row, "value", dur && v < 0 ? json_null()
		                                                : json_real(dur ? v / 1000 : v));
		json_object_set_new(row, "met", json_boolean(met[t]));
		json_array_append_new(targets, row);
	}
	json_object_set_new(o, "targets", targets);
	json_object_set_new(o, "passed", json_boolean(passed));
	if (a->list) {
		json_t *evs = json_array(), *als = json_array();
		for (size_t i = 0; i < vt_eval_event_count(e); i++) {
			const struct vt_eval_event *ev = vt_eval_event_at(e, i);
			char name[64];
			json_t *row = json_object();
			json_object_set_new(row, "recording", json_string(l->v[ev->recording]));
			json_object_set_new(row, "event", json_string(vt_eval_def_format(
			                                      &a->defs[ev->def], name, sizeof(name))));
			json_object_set_new(row, "onset_s", json_real((double)ev->onset_ms / 1000));
			json_object_set_new(row, "end_s", json_real((double)ev->end_ms / 1000));
			json_object_set_new(row, "worst", json_real(ev->worst));
			json_object_set_new(row, "delay_s", ev->alarmed ? s_json_delay(ev->delay_ms)
			                                                : json_null());
			json_object_set_new(row, "alarm", ev->alarmed ? json_string(ev->alarm_id)
			                                              : json_null());
			json_array_append_new(evs, row);
		}
		for (size_t i = 0; i < vt_eval_alarm_count(e); i++) {
			const struct vt_eval_alarm *al = vt_eval_alarm_at(e, i);
			json_t *row = json_object();
			json_object_set_new(row, "recording", json_string(l->v[al->recording]));
			json_object_set_new(row, "id", json_string(al->id));
			json_object_set_new(row, "raised_s", json_real((double)al->raised_ms / 1000));
			json_object_set_new(row, "cleared_s",
			                    al->cleared_ms == INT64_MAX
			                        ? json_null()
			                        : json_real((double)al->cleared_ms / 1000));
			json_object_set_new(row, "graded", json_boolean(al->graded));
			json_object_set_new(row, "false", json_boolean(al->false_alarm));
			json_object_set_new(row, "duplicate", json_boolean(al->duplicate));
			json_array_append_new(als, row);
		}
		json_object_set_new(o, "events", evs);
		json_object_set_new(o, "alarm_list", als);
	}
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	if (s != NULL)
		printf("%s\n", s);
	free(s);
	json_decref(o);
}

int
main(int argc, char **argv)
{
	struct s_args a = {0};
	int code;
	if (s_parse_args(argc, argv, &a, &code) != 0)
		return code;

	struct vt_diag diag = {0};
	struct vt_config *cfg = vt_config_load(a.config, &diag);
	if (cfg == NULL) {
		vt_diag_print(&diag, stderr);
		vt_diag_clear(&diag);
		return EX_CONFIG;
	}
	const char *bed = a.bed;
	if (bed == NULL && cfg->n_monitors > 0)
		bed = cfg->monitors[0].bed;
	if (bed == NULL || vt_config_bed_index(cfg, bed) < 0) {
		fprintf(stderr, "vitals-evaluate: %s has no monitor%s%s%s to replay on\n", cfg->path,
		        bed ? " for bed \"" : "", bed ? bed : "", bed ? "\"" : "");
		vt_config_free(&cfg);
		return EX_USAGE;
	}

	struct s_list l = {0};
	struct vt_eval *e = vt_eval_new(cfg, a.defs, a.n_defs);
	code = e == NULL ? EX_OSERR : s_collect(&a, &l);
	if (code == 0)
		code = s_run(cfg, bed, &l, e);
	if (code == 0) {
		struct vt_eval_summary all;
		vt_eval_summarise(e, -1, &all);
		bool met[T_COUNT], passed = true;
		for (int t = 0; t < T_COUNT; t++) {
			double v = s_value(&a, (enum s_target)t, &all);
			met[t] = !a.target_set[t] || v <= a.target[t];
			passed &= met[t];
		}
		if (a.json)
			s_print_json(&a, cfg, bed, &l, e, met, passed);
		else
			s_print_table(&a, cfg, bed, &l, e, met);
		code = passed ? 0 : 1;
		if (fflush(stdout) != 0)
			code = EX_IOERR;
	}
	for (size_t i = 0; i < l.n; i++)
		free(l.v[i]);
	free(l.v);
	vt_eval_free(&e);
	vt_config_free(&cfg);
	return code;
}
