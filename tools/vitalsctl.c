/*
 * vitalsctl: one request to the daemon's control socket, for administrators
 * and scripts. It never hangs (every request has a deadline), prints the
 * reply for people or, with --json, exactly as the daemon sent it, and says
 * by its exit status what happened: 0 done, 1 refused by the daemon, 64 a
 * usage error, 69 no daemon answered.
 */
#include <getopt.h>
#include <signal.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include <zmq.h>

#include "vitals/base/timefmt.h"
#include "vitals/base/version.h"
#include "vitals/base/vocab.h"
#include "vitals/console/client.h"
#include "vitals/console/model.h"
#include "vitals/io/curve.h"
#include "vitals/tools/watch_print.h"

#define S_DEFAULT_ENDPOINT "tcp://127.0.0.1:5557"

/* What the command line asked for. */
struct s_args {
	const char *endpoint;
	bool json;
	int64_t timeout_ms;
	const char *by;       /* NULL: $USER@host */
	const char *weight;   /* phase --weight, as typed */
	const char *dose;     /* phase --dose, as typed */
	char *const *words;   /* COMMAND ARGS */
	int n_words;
	const char *server_key; /* --server-key: the daemon's .pub file or Z85 key */
	const char *key;        /* --key: this client's .key file */
	int64_t watch_for_ms;   /* watch --for: stop after this long (0: at Ctrl-C) */
	long watch_count;       /* watch --count: stop after this many pieces (0: no limit) */
};

/* One command: its name, its arguments, and which options it takes. */
struct s_command {
	const char *name;
	int n_args;
	const char *synopsis;
	bool takes_by;
	bool takes_phase_options;
};

static const struct s_command s_commands[] = {
    {"ping", 0, "ping", false, false},
    {"snapshot", 0, "snapshot", false, false},
    {"lines", 0, "lines", false, false},
    {"watch", 1, "watch BED [--for DURATION] [--count N]", false, false},
    {"ack", 1, "ack ID|BED [--by NAME]", true, false},
    {"silence", 2, "silence BED DURATION [--by NAME]", true, false},
    {"phase", 2, "phase BED PHASE [--weight KG] [--dose MG_PER_KG_H] [--by NAME]", true, true},
    {"reload", 0, "reload [--by NAME]", true, false},
    {"keygen", 1, "keygen NAME", false, false},
};
#define S_N_COMMANDS (sizeof(s_commands) / sizeof(s_commands[0]))

static void
s_usage(FILE *out)
{
	fputs("usage: vitalsctl [--connect ENDPOINT] [--json] [--timeout SECONDS] COMMAND [ARGS]\n"
	      "\n"
	      "commands:\n"
	      "  ping                      is the daemon there? its version and uptime\n"
	      "  snapshot                  every bed (vitals, port, phase, dose) and active alert\n"
	      "  lines                     what each port carried: bytes, frames, discarded,\n"
	      "                            dropped, checksum failures, last valid frame\n"
	      "  watch BED                 BED's line as its driver sees it, live: each frame\n"
	      "                            beside what was decoded, each rejected piece and why\n"
	      "                            (--for DURATION, --count N; otherwise until Ctrl-C)\n"
	      "  ack ID                    acknowledge the alert ID (such as chair-1/spo2-low/3)\n"
	      "  ack BED                   acknowledge every alert of BED (a name without /)\n"
	      "  silence BED DURATION      pause BED's audio for DURATION (such as 2m; at most 1h)\n"
	      "  phase BED PHASE           baseline, infusion, recovery or ended;\n"
	      "                            --weight KG and --dose MG_PER_KG_H for the infusion\n"
	      "  reload                    reload the configuration, as SIGHUP does\n"
	      "  keygen NAME               make a CURVE key pair: NAME.key (secret, 0600) and\n"
	      "                            NAME.pub (give it to the other side); no daemon needed\n"
	      "\n"
	      "options:\n"
	      "  --connect ENDPOINT  the daemon's control endpoint (default " S_DEFAULT_ENDPOINT ")\n"
	      "  --json              print the daemon's reply as it came, one JSON object\n"
	      "  --timeout SECONDS   how long to wait for the reply (default 5; 500ms, 2s also)\n"
	      "  --by NAME           who acknowledges, pauses or changes phase (default $USER@host)\n"
	      "  --server-key KEY    CURVE: the daemon's public key (its .pub file, or the key)\n"
	      "  --key FILE          CURVE: this client's .key file (defaults for both:\n"
	      "                      $VITALS_SERVER_KEY, $VITALS_KEY)\n"
	      "  -h, --help          this summary;  -V, --version  the version\n"
	      "\n"
	      "exit status: 0 done, 1 the daemon refused (its error is printed),\n"
	      "             64 usage error, 69 no reply from the daemon\n",
	      out);
}

/* A usage error: say what, point at --help, exit 64. */
static int
s_bad_usage(const char *fmt, const char *arg)
{
	fputs("vitalsctl: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\n(vitalsctl --help lists the commands and options)\n", stderr);
	return EX_USAGE;
}

/* "5", "2.5" (seconds) or a duration with a unit ("500ms", "2s"). */
static int
s_parse_timeout(const char *s, int64_t *ms)
{
	char *end;
	double secs = strtod(s, &end);
	if (end != s && *end == '\0') {
		if (!isfinite(secs) || secs <= 0 || secs > 86400)
			return -1;
		*ms = (int64_t)ceil(secs * 1000);
		return 0;
	}
	const char *why;
	if (vt_duration_parse(s, ms, &why) != 0 || *ms <= 0 || *ms > 86400000)
		return -1;
	return 0;
}

/* A number from the command line, for --weight / --dose. */
static int
s_parse_number(const char *s, double *v)
{
	char *end;
	*v = strtod(s, &end);
	return end != s && *end == '\0' && isfinite(*v) ? 0 : -1;
}

/* ---- tables ---------------------------------------------------------------- */

#define S_MAX_COLS 24

struct s_table {
	int n_cols;
	size_t n_rows;
	char *(*cells)[S_MAX_COLS]; /* malloc'd strings */
};

static void
s_table_add(struct s_table *t, const char *const *cells, int n)
{
	void *v = realloc(t->cells, (t->n_rows + 1) * sizeof(*t->cells));
	if (v == NULL)
		return;
	t->cells = v;
	for (int c = 0; c < S_MAX_COLS; c++)
		t->cells[t->n_rows][c] = c < n ? strdup(cells[c] ? cells[c] : "") : NULL;
	t->n_rows++;
	if (n > t->n_cols)
		t->n_cols = n;
}

/* Print with every column as wide as its widest cell; then free. */
static void
s_table_print(struct s_table *t)
{
	size_t width[S_MAX_COLS] = {0};
	for (size_t r = 0; r < t->n_rows; r++)
		for (int c = 0; c < t->n_cols; c++)
			if (t->cells[r][c] && strlen(t->cells[r][c]) > width[c])
				width[c] = strlen(t->cells[r][c]);
	for (size_t r = 0; r < t->n_rows; r++) {
		char line[4096];
		size_t used = 0;
		for (int c = 0; c < t->n_cols && used < sizeof(line); c++)
			used += (size_t)snprintf(line + used, sizeof(line) - used, "%-*s%s", (int)width[c],
			                         t->cells[r][c] ? t->cells[r][c] : "",
			                         c + 1 < t->n_cols ? "  " : "");
		while (used > 0 && used < sizeof(line) && line[used - 1] == ' ')
			line[--used] = '\0';
		puts(line);
		for (int c = 0; c < S_MAX_COLS; c++)
			free(t->cells[r][c]);
	}
	free(t->cells);
	t->cells = NULL;
	t->n_rows = 0;
}

/* ---- human output ---------------------------------------------------------- */

static void
s_print_snapshot(const char *reply)
{
	struct vt_console *m = vt_console_new(0);
	char err[256];
	if (m == NULL || vt_console_snapshot(m, reply, strlen(reply), 0, err, sizeof(err)) != 0) {
		vt_console_free(&m);
		puts(reply);
		return;
	}
	int64_t now = vt_console_daemon_time(m, 0);
	if (now == 0)
		now = vt_client_wall_ms();

	const char *params[VT_PARAM_COUNT];
	size_t n_params = vt_console_param_columns(m, params);
	struct s_table t = {0};
	const char *head[S_MAX_COLS] = {"BED", "PORT"};
	int n = 2;
	for (size_t p = 0; p < n_params; p++)
		head[n++] = vt_param_info((enum vt_param)vt_param_by_name(params[p]))->label;
	head[n++] = "PHASE";
	head[n++] = "IN PHASE";
	head[n++] = "DOSE";
	head[n++] = "AUDIO";
	head[n++] = "FLAGS";
	s_table_add(&t, head, n);
	for (size_t b = 0; b < vt_console_bed_count(m); b++) {
		const struct vt_console_bed *bed = vt_console_bed_at(m, b);
		char vals[VT_PARAM_COUNT][24], since[24], dose[32], audio[48], hhmmss[16];
		const char *row[S_MAX_COLS] = {bed->name, bed->port[0] ? bed->port : "?"};
		n = 2;
		for (size_t p = 0; p < n_params; p++) {
			snprintf(vals[p], sizeof(vals[p]), "%s", "");
			for (size_t v = 0; v < bed->n_values; v++)
				if (strcmp(bed->values[v].name, params[p]) == 0)
					vt_console_format_value(&bed->values[v], vals[p], sizeof(vals[p]));
			row[n++] = vals[p];
		}
		row[n++] = bed->phase[0] ? bed->phase : "-";
		row[n++] = bed->phase[0] && bed->phase_since > 0
		               ? vt_console_format_elapsed(now - bed->phase_since, since, sizeof(since))
		               : "-";
		double d = vt_console_dose(bed, now);
		if (isnan(d))
			snprintf(dose, sizeof(dose), "-");
		else
			snprintf(dose, sizeof(dose), "%.1f mg", d);
		row[n++] = dose;
		if (bed->silenced_until > now)
			snprintf(audio, sizeof(audio), "paused until %s",
			         vt_client_clock(bed->silenced_until, hhmmss, sizeof(hhmmss)));
		else
			snprintf(audio, sizeof(audio), "on");
		row[n++] = audio;
		row[n++] = bed->flags[0] ? bed->flags : "-";
		s_table_add(&t, row, n);
	}
	if (vt_console_bed_count(m) == 0)
		puts("no beds configured");
	else
		s_table_print(&t);

	size_t na = vt_console_alert_count(m);
	printf("\n%zu active alert%s (seq %llu)\n", na, na == 1 ? "" : "s",
	       (unsigned long long)vt_console_seq(m));
	if (na > 0) {
		const char *ahead[] = {"PRIORITY", "KIND", "ID", "STATE", "SINCE", "TEXT"};
		s_table_add(&t, ahead, 6);
	}
	for (size_t i = 0; i < na; i++) {
		const struct vt_console_alert *a = vt_console_alert_at(m, i);
		char state[160], onset[16], until[16];
		if (a->acknowledged)
			snprintf(state, sizeof(state), "acknowledged%s%s", a->by[0] ? " by " : "", a->by);
		else
			snprintf(state, sizeof(state), "active");
		if (a->silenced_until > now) {
			size_t l = strlen(state);
			snprintf(state + l, sizeof(state) - l, ", paused until %s",
			         vt_client_clock(a->silenced_until, until, sizeof(until)));
		}
		const char *row[] = {vt_console_priority_name(a->priority), a->technical ? "TECH" : "",
		                     a->id, state, vt_client_clock(a->onset, onset, sizeof(onset)), a->text};
		s_table_add(&t, row, 6);
	}
	s_table_print(&t);
	vt_console_free(&m);
}

static const char *
s_or(const char *s, const char *otherwise)
{
	return s != NULL ? s : otherwise;
}

/* The line diagnostics of every port, from a snapshot reply. */
static void
s_print_lines(json_t *o)
{
	json_t *lines = json_object_get(o, "lines"), *ports = json_object_get(o, "ports");
	struct s_table t = {0};
	const char *head[] = {"BED",     "STATE",    "BYTES", "FRAMES",     "DISCARDED",
	                      "DROPPED", "CHECKSUM", "LAST FRAME", "NOTE"};
	s_table_add(&t, head, 9);
	const char *bed;
	json_t *l;
	json_object_foreach(lines, bed, l) {
		char num[5][24], last[16], note[160];
		static const char *const keys[] = {"bytes", "frames", "discarded", "dropped",
		                                   "checksum_failures"};
		for (int i = 0; i < 5; i++)
			snprintf(num[i], sizeof(num[i]), "%lld",
			         (long long)json_integer_value(json_object_get(l, keys[i])));
		int64_t lf = 0;
		const char *lfs = json_string_value(json_object_get(l, "last_frame"));
		if (lfs == NULL || vt_time_parse(lfs, &lf) != 0)
			snprintf(last, sizeof(last), "never");
		else
			vt_client_clock(lf, last, sizeof(last));
		const char *like = json_string_value(json_object_get(l, "looks_like"));
		const char *why = json_string_value(json_object_get(l, "why"));
		if (like != NULL)
			snprintf(note, sizeof(note), "looks like %s", like);
		else if (why != NULL)
			snprintf(note, sizeof(note), "last rejected: %s", why);
		else
			snprintf(note, sizeof(note), "-");
		const char *row[] = {bed, s_or(json_string_value(json_object_get(ports, bed)), "?"),
		                     num[0], num[1], num[2], num[3], num[4], last, note};
		s_table_add(&t, row, 9);
	}
	if (json_object_size(lines) == 0)
		puts("no beds configured");
	else
		s_table_print(&t);
}

/* Print a successful reply for people. */
static void
s_print_ok(const struct s_command *cmd, json_t *o, const char *reply, char *const *args)
{
	char buf[16], up[32];
	const char *name = cmd->name;
	if (strcmp(name, "ping") == 0) {
		json_int_t s = json_integer_value(json_object_get(o, "uptime_s"));
		printf("vitalsd %s is up (for %s), instance %s\n",
		       s_or(json_string_value(json_object_get(o, "version")), "?"),
		       vt_console_format_elapsed((int64_t)s * 1000, up, sizeof(up)),
		       s_or(json_string_value(json_object_get(o, "instance")), "?"));
		/* The bounds and how often they were crossed (docs/reliability.md). */
		const char *key;
		json_t *v;
		size_t i = 0;
		json_object_foreach(json_object_get(o, "limits"), key, v)
		    printf("%s%s %lld", i++ ? ", " : "limits: ", key, (long long)json_integer_value(v));
		if (i > 0)
			putchar('\n');
	} else if (strcmp(name, "snapshot") == 0) {
		s_print_snapshot(reply);
	} else if (strcmp(name, "lines") == 0) {
		s_print_lines(o);
	} else if (strcmp(name, "ack") == 0 && json_is_array(json_object_get(o, "acknowledged"))) {
		json_t *ids = json_object_get(o, "acknowledged");
		printf("%s: %zu alert%s acknowledged", args[0], json_array_size(ids),
		       json_array_size(ids) == 1 ? "" : "s");
		size_t i;
		json_t *id;
		json_array_foreach(ids, i, id) printf("%s%s", i ? ", " : ": ", json_string_value(id));
		printf("\n");
	} else if (strcmp(name, "ack") == 0) {
		printf("%s acknowledged\n", args[0]);
	} else if (strcmp(name, "silence") == 0) {
		int64_t until = 0;
		const char *s = json_string_value(json_object_get(o, "silenced_until"));
		if (s != NULL)
			vt_time_parse(s, &until);
		printf("%s: audio paused until %s\n", args[0], vt_client_clock(until, buf, sizeof(buf)));
	} else if (strcmp(name, "phase") == 0) {
		printf("%s: phase %s\n", args[0],
		       s_or(json_string_value(json_object_get(o, "phase")), args[1]));
		const char *warning = json_string_value(json_object_get(o, "warning"));
		if (warning != NULL)
			fprintf(stderr, "vitalsctl: warning: %s\n", warning);
	} else if (strcmp(name, "reload") == 0) {
		puts("configuration reloaded");
	}
}

/* ---- requests -------------------------------------------------------------- */

/* Set a string member; -1 if `value` is not UTF-8 (JSON cannot carry it). */
static int
s_set(json_t *o, const char *key, const char *value)
{
	json_t *v = json_string(value);
	if (v == NULL) {
		fprintf(stderr, "vitalsctl: \"%s\" is not valid UTF-8\n", key);
		return -1;
	}
	return json_object_set_new(o, key, v);
}

/* The request for the command, or NULL after printing a usage error in *rc. */
static json_t *
s_request(const struct s_command *cmd, const struct s_args *a, int *rc)
{
	char *const *args = a->words + 1;
	/* lines is the snapshot, shown another way. */
	json_t *o = json_pack("{s:s}", "cmd", strcmp(cmd->name, "lines") == 0 ? "snapshot" : cmd->name);
	if (strcmp(cmd->name, "ack") == 0) {
		/* An alert id is BED/RULE/N; a name without a slash is a bed. */
		if (s_set(o, strchr(args[0], '/') ? "id" : "bed", args[0]) != 0)
			goto usage;
	} else if (strcmp(cmd->name, "silence") == 0) {
		int64_t ms;
		const char *why;
		if (vt_duration_parse(args[1], &ms, &why) != 0 || ms <= 0) {
			*rc = s_bad_usage("silence: \"%s\" is not a duration such as 2m, 90s or 1h", args[1]);
			json_decref(o);
			return NULL;
		}
		if (s_set(o, "bed", args[0]) != 0 || s_set(o, "for", args[1]) != 0)
			goto usage;
	} else if (strcmp(cmd->name, "phase") == 0) {
		if (vt_phase_by_name(args[1]) < 0) {
			*rc = s_bad_usage("phase: unknown phase \"%s\" (baseline, infusion, recovery, ended)",
			                  args[1]);
			json_decref(o);
			return NULL;
		}
		if (s_set(o, "bed", args[0]) != 0 || s_set(o, "phase", args[1]) != 0)
			goto usage;
		double v;
		if (a->weight != NULL) {
			if (s_parse_number(a->weight, &v) != 0) {
				*rc = s_bad_usage("--weight: \"%s\" is not a number of kilograms", a->weight);
				json_decref(o);
				return NULL;
			}
			json_object_set_new(o, "weight_kg", json_real(v));
		}
		if (a->dose != NULL) {
			if (s_parse_number(a->dose, &v) != 0) {
				*rc = s_bad_usage("--dose: \"%s\" is not a rate in mg/kg/h", a->dose);
				json_decref(o);
				return NULL;
			}
			json_object_set_new(o, "dose_mg_per_kg_h", json_real(v));
		}
	}
	if (cmd->takes_by) {
		char by[64];
		if (a->by != NULL)
			snprintf(by, sizeof(by), "%s", a->by);
		else
			vt_client_default_by(by, sizeof(by));
		if (s_set(o, "by", a->by != NULL ? a->by : by) != 0)
			goto usage;
	}
	return o;
usage:
	*rc = EX_USAGE;
	json_decref(o);
	return NULL;
}

static volatile sig_atomic_t s_interrupted;

static int64_t
s_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
s_on_sigint(int sig)
{
	s_interrupted = 1;
}

/*
 * vitalsctl watch: ask the daemon for the port's new pieces a few times a
 * second and print them, until --for, --count or Ctrl-C. Each request also
 * keeps the daemon's watch going (it ends 10 s after the last one).
 */
static int
s_watch_loop(struct vt_client *c, const struct s_args *a)
{
	const char *bed = a->words[1];
	uint64_t next = 0;
	long shown = 0;
	int64_t start = s_mono_ms(), pause_ms = 250;
	signal(SIGINT, s_on_sigint);
	signal(SIGTERM, s_on_sigint);
	bool first = true;
	while (!s_interrupted) {
		json_t *req = json_pack("{s:s,s:s,s:I}", "cmd", "watch", "bed", bed, "after",
		                        (json_int_t)next);
		char *body = req ? json_dumps(req, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		json_decref(req);
		if (body == NULL) {
			fprintf(stderr, "vitalsctl: watch: \"%s\" is not a bed name\n", bed);
			return EX_USAGE;
		}
		char *reply = NULL;
		enum vt_client_status st = vt_client_request(c, body, a->timeout_ms, &reply);
		free(body);
		if (st != VT_CLIENT_REPLY) {
			fprintf(stderr, "vitalsctl: no reply from vitalsd at %s\n", a->endpoint);
			return EX_UNAVAILABLE;
		}
		json_t *o = json_loads(reply, 0, NULL);
		if (!json_is_true(json_object_get(o, "ok"))) {
			const char *e = json_string_value(json_object_get(o, "error"));
			fprintf(stderr, "vitalsctl: watch: %s\n", e ? e : "refused");
			json_decref(o);
			free(reply);
			return 1;
		}
		if (first && !a->json) {
			printf("watching %s (%s, shown as %s); Ctrl-C to stop\n", bed,
			       json_string_value(json_object_get(o, "protocol")),
			       json_is_true(json_object_get(o, "text")) ? "text" : "hex, a frame a row");
			first = false;
		}
		json_decref(o);
		int n = vt_watch_print(reply, stdout, a->json, &next);
		free(reply);
		shown += n > 0 ? n : 0;
		if ((a->watch_count > 0 && shown >= a->watch_count) ||
		    (a->watch_for_ms > 0 && s_mono_ms() - start >= a->watch_for_ms))
			break;
		struct timespec ts = {.tv_sec = 0, .tv_nsec = pause_ms * 1000000};
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* Send, wait, print; the exit status. */
static int
s_run(const struct s_command *cmd, const struct s_args *a)
{
	int rc = 0;
	json_t *req = s_request(cmd, a, &rc);
	if (req == NULL)
		return rc;
	char *body = json_dumps(req, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(req);
	if (body == NULL) {
		fprintf(stderr, "vitalsctl: out of memory\n");
		return EX_OSERR;
	}
	char err[512];
	struct vt_curve_keys keys;
	int curve = vt_curve_client_keys(&keys, a->server_key, a->key, err, sizeof(err));
	if (curve < 0) {
		free(body);
		fprintf(stderr, "vitalsctl: %s\n", err);
		return EX_USAGE;
	}
	void *zctx = zmq_ctx_new();
	int bad = 0;
	struct vt_client *c =
	    vt_client_new(zctx, a->endpoint, curve ? &keys : NULL, &bad, err, sizeof(err));
	explicit_bzero(&keys, sizeof(keys));
	if (c == NULL) {
		free(body);
		zmq_ctx_term(zctx);
		if (bad)
			return s_bad_usage("%s (an endpoint looks like tcp://HOST:PORT or ipc:///PATH)", err);
		fprintf(stderr, "vitalsctl: %s\n", err);
		return EX_UNAVAILABLE;
	}
	if (strcmp(cmd->name, "watch") == 0) {
		free(body);
		int wrc = s_watch_loop(c, a);
		vt_client_free(&c);
		zmq_ctx_term(zctx);
		return wrc;
	}
	char *reply = NULL;
	enum vt_client_status st = vt_client_request(c, body, a->timeout_ms, &reply);
	free(body);
	vt_client_free(&c);
	zmq_ctx_term(zctx);

	char secs[32];
	vt_duration_format(a->timeout_ms, secs, sizeof(secs));
	if (st == VT_CLIENT_UNREACHABLE) {
		fprintf(stderr,
		        "vitalsctl: cannot reach vitalsd at %s (no connection within %s): is it running, "
		        "with this control endpoint?\n",
		        a->endpoint, secs);
		return EX_UNAVAILABLE;
	}
	if (st != VT_CLIENT_REPLY) {
		fprintf(stderr, "vitalsctl: no reply from vitalsd at %s within %s\n", a->endpoint, secs);
		return EX_UNAVAILABLE;
	}
	json_t *o = json_loads(reply, 0, NULL);
	json_t *ok = json_object_get(o, "ok");
	if (!json_is_boolean(ok)) {
		fprintf(stderr, "vitalsctl: %s answered, but not as vitalsd does: %.200s\n", a->endpoint,
		        reply);
		rc = EX_UNAVAILABLE;
	} else if (a->json) {
		puts(reply);
		rc = json_is_true(ok) ? 0 : 1;
	} else if (json_is_true(ok)) {
		s_print_ok(cmd, o, reply, a->words + 1);
	} else {
		const char *e = json_string_value(json_object_get(o, "error"));
		fprintf(stderr, "vitalsctl: %s: %s\n", cmd->name, e ? e : "refused (no reason given)");
		rc = 1;
	}
	json_decref(o);
	free(reply);
	return rc;
}

int
main(int argc, char **argv)
{
	enum { O_JSON = 256, O_TIMEOUT, O_BY, O_WEIGHT, O_DOSE, O_SERVER_KEY, O_KEY, O_FOR, O_COUNT };
	static const struct option longopts[] = {
	    {"connect", required_argument, NULL, 'c'},
	    {"json", no_argument, NULL, O_JSON},
	    {"timeout", required_argument, NULL, O_TIMEOUT},
	    {"by", required_argument, NULL, O_BY},
	    {"weight", required_argument, NULL, O_WEIGHT},
	    {"weight-kg", required_argument, NULL, O_WEIGHT},
	    {"dose", required_argument, NULL, O_DOSE},
	    {"dose-mg-per-kg-h", required_argument, NULL, O_DOSE},
	    {"server-key", required_argument, NULL, O_SERVER_KEY},
	    {"key", required_argument, NULL, O_KEY},
	    {"for", required_argument, NULL, O_FOR},
	    {"count", required_argument, NULL, O_COUNT},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0}};
	struct s_args a = {.endpoint = S_DEFAULT_ENDPOINT, .timeout_ms = VT_CLIENT_TIMEOUT_MS};
	int opt;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "c:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			a.endpoint = optarg;
			break;
		case O_JSON:
			a.json = true;
			break;
		case O_TIMEOUT:
			if (s_parse_timeout(optarg, &a.timeout_ms) != 0)
				return s_bad_usage("--timeout: \"%s\" is not a number of seconds (such as 5 "
				                   "or 0.5) nor a duration (500ms)",
				                   optarg);
			break;
		case O_BY:
			a.by = optarg;
			break;
		case O_WEIGHT:
			a.weight = optarg;
			break;
		case O_DOSE:
			a.dose = optarg;
			break;
		case O_SERVER_KEY:
			a.server_key = optarg;
			break;
		case O_KEY:
			a.key = optarg;
			break;
		case O_FOR: {
			const char *why;
			if (vt_duration_parse(optarg, &a.watch_for_ms, &why) != 0 || a.watch_for_ms <= 0)
				return s_bad_usage("--for: \"%s\" is not a duration such as 30s or 5m", optarg);
			break;
		}
		case O_COUNT: {
			char *end;
			a.watch_count = strtol(optarg, &end, 10);
			if (*end != '\0' || a.watch_count <= 0)
				return s_bad_usage("--count: \"%s\" is not a number of pieces", optarg);
			break;
		}
		case 'h':
			s_usage(stdout);
			return 0;
		case 'V':
			printf("vitalsctl %s\n", VT_VERSION);
			return 0;
		default:
			return s_bad_usage("unknown or incomplete option \"%s\"", argv[optind - 1]);
		}
	}
	a.words = argv + optind;
	a.n_words = argc - optind;
	if (a.n_words == 0)
		return s_bad_usage("%s", "no command given");
	const struct s_command *cmd = NULL;
	for (size_t i = 0; i < S_N_COMMANDS; i++)
		if (strcmp(s_commands[i].name, a.words[0]) == 0)
			cmd = &s_commands[i];
	if (cmd == NULL)
		return s_bad_usage("unknown command \"%s\" (ping, snapshot, lines, watch, ack, silence, "
		                   "phase, reload, keygen)",
		                   a.words[0]);
	if (a.n_words - 1 != cmd->n_args)
		return s_bad_usage("usage: vitalsctl %s", cmd->synopsis);
	if (a.by != NULL && !cmd->takes_by)
		return s_bad_usage("--by does not apply to %s", cmd->name);
	if ((a.watch_for_ms > 0 || a.watch_count > 0) && strcmp(cmd->name, "watch") != 0)
		return s_bad_usage("--for and --count apply to watch only, not to %s", cmd->name);
	if ((a.weight != NULL || a.dose != NULL) && !cmd->takes_phase_options)
		return s_bad_usage("--weight and --dose apply to phase only, not to %s", cmd->name);
	if (strcmp(cmd->name, "keygen") == 0) {
		char err[512];
		if (vt_curve_keygen(a.words[1], err, sizeof(err)) != 0) {
			fprintf(stderr, "vitalsctl: keygen: %s\n", err);
			return EX_CANTCREAT;
		}
		printf("wrote %s.key (secret: keep it on this machine) and %s.pub\n", a.words[1],
		       a.words[1]);
		return 0;
	}
	return s_run(cmd, &a);
}
