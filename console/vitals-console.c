/*
 * vitals-console: the nursing-station view of every chair.
 *
 * On a terminal it is a full screen: a row per bed (vitals, port, phase,
 * dose, audio pause), the active alarms coloured by priority, and keys to
 * acknowledge, pause the audio and set the infusion phase. It joins late
 * through a snapshot and resynchronises whenever seq or the daemon's
 * instance says messages were missed (the rules live in the console model,
 * daemon/console_model.c, where they are tested without a terminal); and
 * like any remote alarm display must, it shows CONNECTION LOST across the
 * whole screen when the heartbeats stop. Nothing here blocks: one zmq_poll
 * waits on the subscription, the keyboard and the control requests, with a
 * timeout that also drives the clocks.
 *
 * With --plain (or when stdout is not a terminal) it prints one line per
 * event, for logs, pipes and the demo.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <curses.h>
#include <zmq.h>

#include "vitals/base/sample.h"
#include "vitals/base/timefmt.h"
#include "vitals/base/version.h"
#include "vitals/console/client.h"
#include "vitals/console/history.h"
#include "vitals/console/layout.h"
#include "vitals/console/model.h"
#include "vitals/console/views.h"
#include "vitals/io/curve.h"

/* How long `s` pauses a bed's audio. */
#define S_SILENCE "2m"
/* The rate offered when an infusion starts without one: the low-dose protocol's. */
#define S_DEFAULT_RATE 0.5
/* Messages taken from the subscription per turn, so keys are never starved. */
#define S_DRAIN_MAX 2000
/*
 * The terminal bell while an alarm is neither acknowledged nor paused,
 * after IEC 60601-1-8's pattern of repeating the signal more often the
 * more urgent it is: high every 2 s, medium every 8 s, low once when it
 * starts. Lost contact with the daemon sounds every 5 s (alarms may be
 * going unseen), whatever the alarms on the screen say.
 */
#define S_SOUND_LOST (VT_CONSOLE_HIGH + 1)
static const int64_t s_repeat_ms[] = {[VT_CONSOLE_LOW] = 0, [VT_CONSOLE_MEDIUM] = 8000,
                                      [VT_CONSOLE_HIGH] = 2000, [S_SOUND_LOST] = 5000};

static volatile sig_atomic_t stop;

static void
s_on_signal(int sig)
{
	stop = 1;
}

/* The exit status for a failed zmq_connect: a malformed endpoint is a usage error. */
static int
s_connect_status(int e)
{
	return e == EINVAL || e == EPROTONOSUPPORT || e == ENOCOMPATPROTO ? EX_USAGE : EX_UNAVAILABLE;
}

/* ---- plain mode: one line per event ------------------------------------------ */

/* "10:14:03" in local time, from an RFC 3339 string. */
static const char *
s_clock(const char *rfc3339, char *buf, size_t len)
{
	int64_t ms;
	if (rfc3339 == NULL || vt_time_parse(rfc3339, &ms) != 0)
		return "--:--:--";
	return vt_client_clock(ms, buf, len);
}

static void
s_print_vitals(json_t *o, const char *when)
{
	printf("%s %-10s vitals ", when, json_string_value(json_object_get(o, "bed")));
	const char *key;
	json_t *v;
	json_object_foreach(json_object_get(o, "values"), key, v)
	{
		if (json_is_null(v))
			printf(" %s=---", key);
		else
			printf(" %s=%g", key, json_number_value(v));
	}
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(o, "flags"), i, f) printf(" [%s]", json_string_value(f));
	printf("\n");
}

static void
s_print_alert(json_t *o, const char *when)
{
	const char *event = json_string_value(json_object_get(o, "event"));
	const char *kind = json_string_value(json_object_get(o, "kind"));
	const char *prio = json_string_value(json_object_get(o, "priority"));
	char up[16];
	snprintf(up, sizeof(up), "%s", event ? event : "?");
	for (char *p = up; *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	printf("%s %-10s ALARM %-12s %-6s %s%s  [%s]\n", when,
	       json_string_value(json_object_get(o, "bed")), up, prio ? prio : "?",
	       kind && strcmp(kind, "technical") == 0 ? "(technical) " : "",
	       json_string_value(json_object_get(o, "text")),
	       json_string_value(json_object_get(o, "id")));
}

/* CURVE keys when --server-key/--key (or their environment) were given. */
static struct vt_curve_keys s_keys;
static bool s_curve;

/* Make `sock` a CURVE client if keys were given. */
static int
s_secure(void *sock)
{
	if (!s_curve)
		return 0;
	return vt_curve_client(sock, s_keys.server, s_keys.pub, s_keys.sec);
}

static int
s_plain(const char *endpoint)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	void *ctx = zmq_ctx_new();
	void *sub = zmq_socket(ctx, ZMQ_SUB);
	int linger = 0;
	zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
	if (s_secure(sub) != 0 || zmq_connect(sub, endpoint) != 0) {
		int e = errno;
		fprintf(stderr, "vitals-console: cannot connect to %s: %s\n", endpoint, zmq_strerror(e));
		zmq_close(sub);
		zmq_ctx_term(ctx);
		return s_connect_status(e);
	}
	printf("vitals-console: listening to %s\n", endpoint);
	/* Each daemon's stream (several behind vitals-hub): its instance and last seq. */
	struct {
		char instance[64];
		json_int_t seq;
	} streams[VT_CONSOLE_MAX_SOURCES] = {{"", 0}};
	size_t n_streams = 0;
	long interval_ms = 1000;
	bool lost = false;
	int code = 0;
	while (!stop) {
		/* Output that failed (a closed terminal, a full disk) has no reader
		 * left: stop rather than go on printing into the void. */
		if (ferror(stdout)) {
			code = EX_IOERR;
			break;
		}
		zmq_pollitem_t item = {.socket = sub, .events = ZMQ_POLLIN};
		int rc = zmq_poll(&item, 1, 3 * interval_ms);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (rc == 0) {
			if (!lost)
				printf("*** CONNECTION LOST: no heartbeat from %s for %ld s ***\n", endpoint,
				       3 * interval_ms / 1000);
			lost = true;
			continue;
		}
		char topic[256], body[65536];
		int tn = zmq_recv(sub, topic, sizeof(topic) - 1, 0);
		int more = 0;
		size_t ml = sizeof(more);
		zmq_getsockopt(sub, ZMQ_RCVMORE, &more, &ml);
		if (tn < 0 || !more)
			continue;
		int bn = zmq_recv(sub, body, sizeof(body) - 1, 0);
		if (bn < 0 || bn >= (int)sizeof(body))
			continue;
		body[bn] = '\0';
		if (lost) {
			printf("*** connection restored ***\n");
			lost = false;
		}
		json_t *o = json_loads(body, 0, NULL);
		if (o == NULL)
			continue;
		const char *instance = json_string_value(json_object_get(o, "instance"));
		json_int_t seq = json_integer_value(json_object_get(o, "seq"));
		size_t k = 0;
		while (instance && k < n_streams && strcmp(streams[k].instance, instance) != 0)
			k++;
		if (instance && k == n_streams) {
			/* A new instance: the daemon restarted, or another daemon behind a hub. */
			if (n_streams > 0)
				printf("*** daemon instance %.8s started (a restart, or another daemon behind "
				       "a hub) ***\n", instance);
			if (n_streams < VT_CONSOLE_MAX_SOURCES)
				n_streams++;
			else
				k = 0; /* the oldest is forgotten */
			snprintf(streams[k].instance, sizeof(streams[k].instance), "%s", instance);
			streams[k].seq = 0;
		} else if (instance && streams[k].seq && seq != streams[k].seq + 1) {
			printf("*** missed %lld messages ***\n", (long long)(seq - streams[k].seq - 1));
		}
		if (instance)
			streams[k].seq = seq;
		char when[16];
		s_clock(json_string_value(json_object_get(o, "time")), when, sizeof(when));
		const char *type = json_string_value(json_object_get(o, "type"));
		if (type == NULL) {
		} else if (strcmp(type, "vitals") == 0) {
			s_print_vitals(o, when);
		} else if (strcmp(type, "alert") == 0) {
			s_print_alert(o, when);
		} else if (strcmp(type, "status") == 0) {
			const char *detail = json_string_value(json_object_get(o, "detail"));
			printf("%s %-10s port %s%s%s\n", when, json_string_value(json_object_get(o, "bed")),
			       json_string_value(json_object_get(o, "state")), detail ? ": " : "",
			       detail ? detail : "");
		} else if (strcmp(type, "heartbeat") == 0) {
			json_int_t iv = json_integer_value(json_object_get(o, "interval_ms"));
			if (iv > 0)
				interval_ms = (long)iv;
		}
		json_decref(o);
	}
	zmq_close(sub);
	zmq_ctx_term(ctx);
	return code;
}

/* ---- full screen --------------------------------------------------------------- */

enum s_pair { P_HIGH = 1, P_MEDIUM, P_LOW, P_BANNER, P_NOTICE, P_ERROR };

/* What the cursor is on: a bed row or an alarm row, by identity, not by row
 * number, so that alarms coming and going never move it onto another one. */
enum s_sel { SEL_NONE, SEL_BED, SEL_ALERT };

/* What the keyboard is doing: commands, or one of the phase prompts. */
enum s_input { IN_KEYS, IN_PHASE, IN_WEIGHT, IN_DOSE, IN_QUIT, IN_HELP };

struct s_ui {
	const char *pub_endpoint;
	void *sub;                     /* SUB to the publish endpoint */
	struct vt_client *snap;        /* snapshot requests */
	struct vt_client *cmd;         /* the nurse's commands */
	struct vt_console *model;
	char by[64];                   /* who acts, in every command */
	bool color;
	bool keyboard;                 /* stdin is a terminal: keys can come */
	bool bell;                     /* ring the terminal bell (not with --no-bell) */
	int sounding;                  /* what is sounding: a priority, S_SOUND_LOST, or -1 */
	size_t n_sounding;             /* alerts sounding */
	int64_t next_bell;             /* monotonic ms of the next repeat */

	enum s_sel sel;
	char sel_id[160];              /* SEL_ALERT: its id */
	char sel_bed[128];             /* SEL_BED: the bed; SEL_ALERT: the alert's bed */

	enum s_input input;
	char prompt_bed[128];          /* the bed whose phase is being set */
	char edit[32];                 /* the line being typed */
	char edit_default[32];         /* what Enter on an empty line means */
	double weight;                 /* typed weight (NAN: none) */

	bool utf8;                     /* the terminal takes UTF-8 (sparklines in blocks) */
	bool history;                  /* the alarm history is shown instead of beds and alarms */
	size_t history_top;            /* the first history entry shown (0: the newest) */

	char cmd_label[200];           /* the command in flight, for its reply */
	char cmd_bed[128];             /* silence: whose pause the reply sets */
	bool cmd_silence;
	char status[300];              /* the latest command outcome */
	bool status_error;
	char snap_problem[200];        /* why the last snapshot request failed */
};

/* Rows the status line takes: two when its text is longer than the screen is wide. */
static int
s_status_rows(const struct s_ui *ui)
{
	struct vt_console_span sp[2];
	return ui->status[0] && vt_console_wrap(ui->status, (size_t)(COLS - 2), sp, 2) > 1 ? 2 : 1;
}

/* Text at (y, x), cut at the right edge; returns the column after it. */
static int
s_put(int y, int x, int attr, const char *fmt, ...)
{
	if (y < 0 || y >= LINES || x >= COLS)
		return x;
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	attrset(attr);
	mvaddnstr(y, x, buf, COLS - x);
	attrset(A_NORMAL);
	int end = x + (int)strlen(buf);
	return end < COLS ? end : COLS;
}

/* UTF-8 text `width` columns wide at (y, x), cut at the right edge; the column after it. */
static int
s_put_w(int y, int x, int attr, const char *text, int width)
{
	if (y < 0 || y >= LINES || x >= COLS)
		return x;
	attrset(attr);
	move(y, x);
	/* Whole characters while they fit: a multibyte one takes one column. */
	int col = x;
	for (const char *p = text; *p && col < COLS; col++) {
		int n = (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : (*p & 0xF8) == 0xF0 ? 4 : 1;
		addnstr(p, n);
		p += n;
	}
	attrset(A_NORMAL);
	return x + width < COLS ? x + width : COLS;
}

/* A whole row in one attribute (banners, bars). */
static void
s_fill(int y, int attr)
{
	if (y < 0 || y >= LINES)
		return;
	attrset(attr);
	mvhline(y, 0, ' ', COLS);
	attrset(A_NORMAL);
}

static int
s_prio_attr(const struct s_ui *ui, enum vt_console_priority p)
{
	if (!ui->color)
		return p == VT_CONSOLE_HIGH ? A_BOLD | A_UNDERLINE : A_BOLD;
	return COLOR_PAIR(p == VT_CONSOLE_HIGH ? P_HIGH : p == VT_CONSOLE_MEDIUM ? P_MEDIUM : P_LOW);
}

static void
s_status(struct s_ui *ui, bool error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ui->status, sizeof(ui->status), fmt, ap);
	va_end(ap);
	ui->status_error = error;
}

/* ---- selection ----------------------------------------------------------------- */

/* Rows the cursor moves over: every bed, then every alarm. */
static size_t
s_rows(const struct s_ui *ui)
{
	return vt_console_bed_count(ui->model) + vt_console_alert_count(ui->model);
}

static void
s_select_row(struct s_ui *ui, size_t row)
{
	size_t nb = vt_console_bed_count(ui->model);
	if (row < nb) {
		ui->sel = SEL_BED;
		snprintf(ui->sel_bed, sizeof(ui->sel_bed), "%s", vt_console_bed_at(ui->model, row)->name);
	} else if (row - nb < vt_console_alert_count(ui->model)) {
		const struct vt_console_alert *a = vt_console_alert_at(ui->model, row - nb);
		ui->sel = SEL_ALERT;
		snprintf(ui->sel_id, sizeof(ui->sel_id), "%s", a->id);
		snprintf(ui->sel_bed, sizeof(ui->sel_bed), "%s", a->bed);
	}
}

/* The selected row, or -1. */
static long
s_selected_row(const struct s_ui *ui)
{
	size_t nb = vt_console_bed_count(ui->model);
	if (ui->sel == SEL_BED) {
		for (size_t i = 0; i < nb; i++)
			if (strcmp(vt_console_bed_at(ui->model, i)->name, ui->sel_bed) == 0)
				return (long)i;
	} else if (ui->sel == SEL_ALERT) {
		for (size_t i = 0; i < vt_console_alert_count(ui->model); i++)
			if (strcmp(vt_console_alert_at(ui->model, i)->id, ui->sel_id) == 0)
				return (long)(nb + i);
	}
	return -1;
}

/*
 * Keep the selection meaningful: an alarm that cleared leaves the cursor on
 * its bed; with nothing selected yet, the most urgent alarm is taken (and
 * then kept: a newer alarm never takes the cursor from under a finger).
 */
static void
s_fix_selection(struct s_ui *ui)
{
	if (ui->sel == SEL_ALERT && vt_console_alert_by_id(ui->model, ui->sel_id) == NULL)
		ui->sel = SEL_BED;
	if (ui->sel == SEL_BED && vt_console_bed_named(ui->model, ui->sel_bed) == NULL)
		ui->sel = SEL_NONE;
	if (ui->sel == SEL_NONE && vt_console_alert_count(ui->model) > 0)
		s_select_row(ui, vt_console_bed_count(ui->model));
}

static void
s_move(struct s_ui *ui, long delta)
{
	size_t n = s_rows(ui);
	if (n == 0)
		return;
	long row = s_selected_row(ui);
	row = row < 0 ? 0 : row + delta;
	if (row < 0)
		row = 0;
	if (row >= (long)n)
		row = (long)n - 1;
	s_select_row(ui, (size_t)row);
}

/* ---- commands ------------------------------------------------------------------ */

/* Send one command (json is consumed); its reply lands in the status line. */
static void
s_command(struct s_ui *ui, json_t *req, const char *label)
{
	if (vt_client_deadline(ui->cmd) != INT64_MAX) {
		json_decref(req);
		s_status(ui, true, "still waiting for the reply to: %s", ui->cmd_label);
		return;
	}
	json_object_set_new(req, "by", json_string(ui->by));
	char *body = json_dumps(req, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(req);
	if (body == NULL || vt_client_start(ui->cmd, body, vt_client_now() + VT_CLIENT_TIMEOUT_MS) != 0) {
		free(body);
		s_status(ui, true, "%s: out of memory", label);
		return;
	}
	free(body);
	snprintf(ui->cmd_label, sizeof(ui->cmd_label), "%s", label);
	s_status(ui, false, "%s: sent, waiting for the daemon...", label);
}

static void
s_cmd_reply(struct s_ui *ui, enum vt_client_status st, char *reply)
{
	if (st == VT_CLIENT_UNREACHABLE || st == VT_CLIENT_TIMEOUT) {
		s_status(ui, true, "%s: FAILED, %s %s within %d s; not done", ui->cmd_label,
		         st == VT_CLIENT_UNREACHABLE ? "cannot reach the daemon's control socket"
		                                     : "no reply from",
		         vt_client_endpoint(ui->cmd), VT_CLIENT_TIMEOUT_MS / 1000);
		ui->cmd_silence = false;
		return;
	}
	json_t *o = json_loads(reply, 0, NULL);
	if (json_is_true(json_object_get(o, "ok"))) {
		int64_t until;
		const char *u = json_string_value(json_object_get(o, "silenced_until"));
		char hhmmss[16];
		const char *warning = json_string_value(json_object_get(o, "warning"));
		json_t *acked = json_object_get(o, "acknowledged");
		if (ui->cmd_silence && u != NULL && vt_time_parse(u, &until) == 0) {
			vt_console_set_silenced(ui->model, ui->cmd_bed, until);
			s_status(ui, false, "%s: done, audio paused until %s", ui->cmd_label,
			         vt_client_clock(until, hhmmss, sizeof(hhmmss)));
		} else if (warning != NULL) {
			/* Done, but the daemon says what it means: shown as a warning. */
			s_status(ui, true, "%s: done; WARNING: %s", ui->cmd_label, warning);
		} else if (json_is_array(acked)) {
			size_t n = json_array_size(acked);
			s_status(ui, false, "%s: done, %zu alarm%s acknowledged", ui->cmd_label, n,
			         n == 1 ? "" : "s");
		} else {
			s_status(ui, false, "%s: done", ui->cmd_label);
		}
	} else {
		const char *e = json_string_value(json_object_get(o, "error"));
		s_status(ui, true, "%s: REFUSED: %s", ui->cmd_label, e ? e : "no reason given");
	}
	ui->cmd_silence = false;
	json_decref(o);
}

static void
s_ack(struct s_ui *ui)
{
	if (ui->sel != SEL_ALERT) {
		s_status(ui, true, "select an alarm (arrow keys) to acknowledge it");
		return;
	}
	char label[200];
	snprintf(label, sizeof(label), "acknowledge %s", ui->sel_id);
	s_command(ui, json_pack("{s:s,s:s}", "cmd", "ack", "id", ui->sel_id), label);
}

/* Every alarm of the selected bed (or of the selected alarm's bed), with one key. */
static void
s_ack_bed(struct s_ui *ui)
{
	if (ui->sel == SEL_NONE) {
		s_status(ui, true, "select a bed or an alarm (arrow keys) to acknowledge its alarms");
		return;
	}
	char label[200];
	snprintf(label, sizeof(label), "acknowledge every alarm of %s", ui->sel_bed);
	s_command(ui, json_pack("{s:s,s:s}", "cmd", "ack", "bed", ui->sel_bed), label);
}

static void
s_silence(struct s_ui *ui)
{
	if (ui->sel == SEL_NONE) {
		s_status(ui, true, "select a bed or an alarm (arrow keys) to pause its audio");
		return;
	}
	char label[200];
	snprintf(label, sizeof(label), "pause audio of %s for %s", ui->sel_bed, S_SILENCE);
	s_command(ui, json_pack("{s:s,s:s,s:s}", "cmd", "silence", "bed", ui->sel_bed, "for", S_SILENCE),
	          label);
	if (vt_client_deadline(ui->cmd) != INT64_MAX) {
		ui->cmd_silence = true;
		snprintf(ui->cmd_bed, sizeof(ui->cmd_bed), "%s", ui->sel_bed);
	}
}

static const char *const s_phases[] = {"baseline", "infusion", "recovery", "ended"};

/* The phase after `phase` in the usual order ("" → baseline, ended → baseline). */
static const char *
s_next_phase(const char *phase)
{
	for (size_t i = 0; i < 3; i++)
		if (strcmp(phase, s_phases[i]) == 0)
			return s_phases[i + 1];
	return s_phases[0];
}

static void
s_send_phase(struct s_ui *ui, const char *phase, double weight, double rate)
{
	char label[200];
	size_t n = (size_t)snprintf(label, sizeof(label), "set %s to %s", ui->prompt_bed, phase);
	json_t *req = json_pack("{s:s,s:s,s:s}", "cmd", "phase", "bed", ui->prompt_bed, "phase", phase);
	if (!isnan(weight)) {
		json_object_set_new(req, "weight_kg", json_real(weight));
		n += (size_t)snprintf(label + n, sizeof(label) - n, ", %g kg", weight);
	}
	if (!isnan(rate) && n < sizeof(label)) {
		json_object_set_new(req, "dose_mg_per_kg_h", json_real(rate));
		snprintf(label + n, sizeof(label) - n, ", %g mg/kg/h", rate);
	}
	s_command(ui, req, label);
}

static void
s_start_phase(struct s_ui *ui)
{
	if (ui->sel == SEL_NONE) {
		s_status(ui, true, "select a bed (arrow keys) to set its phase");
		return;
	}
	snprintf(ui->prompt_bed, sizeof(ui->prompt_bed), "%s", ui->sel_bed);
	ui->input = IN_PHASE;
	s_status(ui, false, "phase of %s: a key below, Esc cancels", ui->prompt_bed);
}

/* A phase was chosen: infusion asks for weight and rate first. */
static void
s_phase_chosen(struct s_ui *ui, const char *phase)
{
	if (strcmp(phase, "infusion") != 0) {
		ui->input = IN_KEYS;
		s_send_phase(ui, phase, NAN, NAN);
		return;
	}
	const struct vt_console_bed *b = vt_console_bed_named(ui->model, ui->prompt_bed);
	ui->edit[0] = '\0';
	ui->edit_default[0] = '\0';
	if (b != NULL && !isnan(b->weight_kg))
		snprintf(ui->edit_default, sizeof(ui->edit_default), "%g", b->weight_kg);
	ui->input = IN_WEIGHT;
	/* Said before the infusion begins, while the nurse can still cancel. */
	if (b == NULL || !vt_console_has_baseline(b))
		s_status(ui, true, "WARNING: %s has no baseline yet: alarms relative to the baseline "
		         "cannot sound. Esc cancels", ui->prompt_bed);
}

/* Enter in a number prompt; false if what was typed is not a number in range. */
static bool
s_prompt_number(struct s_ui *ui, double lo, double hi, double *out)
{
	const char *s = ui->edit[0] ? ui->edit : ui->edit_default;
	*out = NAN;
	if (*s == '\0')
		return true; /* not given: the daemon keeps what it had */
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end != '\0' || !isfinite(v) || v < lo || v > hi) {
		s_status(ui, true, "\"%s\" is not a number from %g to %g", s, lo, hi);
		return false;
	}
	*out = v;
	return true;
}

static void
s_key_prompt(struct s_ui *ui, int ch)
{
	if (ch == 27) { /* Esc */
		ui->input = IN_KEYS;
		s_status(ui, false, "phase change cancelled");
		return;
	}
	if (ui->input == IN_PHASE) {
		const struct vt_console_bed *b = vt_console_bed_named(ui->model, ui->prompt_bed);
		const char *next = s_next_phase(b ? b->phase : "");
		switch (ch) {
		case 'b': s_phase_chosen(ui, "baseline"); break;
		case 'i': s_phase_chosen(ui, "infusion"); break;
		case 'r': s_phase_chosen(ui, "recovery"); break;
		case 'e': s_phase_chosen(ui, "ended"); break;
		case '\n': case '\r': case KEY_ENTER: case 'p': s_phase_chosen(ui, next); break;
		default: break;
		}
		return;
	}
	size_t len = strlen(ui->edit);
	if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
		if (len > 0)
			ui->edit[len - 1] = '\0';
	} else if ((ch >= '0' && ch <= '9') || ch == '.') {
		if (len + 1 < sizeof(ui->edit)) {
			ui->edit[len] = (char)ch;
			ui->edit[len + 1] = '\0';
		}
	} else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		double v;
		if (ui->input == IN_WEIGHT) {
			if (!s_prompt_number(ui, 1, 500, &v))
				return;
			ui->weight = v;
			const struct vt_console_bed *b = vt_console_bed_named(ui->model, ui->prompt_bed);
			snprintf(ui->edit_default, sizeof(ui->edit_default), "%g",
			         b != NULL && !isnan(b->rate_mg_per_kg_h) ? b->rate_mg_per_kg_h
			                                                  : S_DEFAULT_RATE);
			ui->edit[0] = '\0';
			ui->input = IN_DOSE;
		} else {
			if (!s_prompt_number(ui, 0, 20, &v))
				return;
			ui->input = IN_KEYS;
			s_send_phase(ui, "infusion", ui->weight, v);
		}
	}
}

/* Keys of the alarm history: scroll, or back. Others act as on the main screen. */
static bool
s_key_history(struct s_ui *ui, int ch)
{
	size_t n = vt_history_count(vt_console_history(ui->model));
	switch (ch) {
	case KEY_UP:
	case 'k':
		if (ui->history_top > 0)
			ui->history_top--;
		return true;
	case KEY_DOWN:
	case 'j':
		if (ui->history_top + 1 < n)
			ui->history_top++;
		return true;
	case KEY_HOME:
		ui->history_top = 0;
		return true;
	case 'h':
	case 27: /* Esc */
		ui->history = false;
		return true;
	default:
		return false;
	}
}

static void
s_key(struct s_ui *ui, int ch)
{
	if (ui->input == IN_HELP) {
		ui->input = IN_KEYS; /* any key closes the help */
		return;
	}
	if (ui->input == IN_QUIT) {
		ui->input = IN_KEYS;
		if (ch == 'y' || ch == 'Y')
			stop = 1;
		else
			s_status(ui, false, "still here");
		return;
	}
	if (ui->input != IN_KEYS) {
		s_key_prompt(ui, ch);
		return;
	}
	if (ui->history && s_key_history(ui, ch))
		return;
	switch (ch) {
	case 'q':
	case 'Q':
		/* Nobody may be watching these beds once this station is gone: ask. */
		if (vt_console_alert_count(ui->model) > 0)
			ui->input = IN_QUIT;
		else
			stop = 1;
		break;
	case '?':
		ui->input = IN_HELP;
		break;
	case 'h':
		ui->history = true;
		ui->history_top = 0;
		break;
	case 'A':
		s_ack_bed(ui);
		break;
	case KEY_UP:
	case 'k':
		s_move(ui, -1);
		break;
	case KEY_DOWN:
	case 'j':
		s_move(ui, 1);
		break;
	case KEY_HOME:
		s_move(ui, -(long)s_rows(ui));
		break;
	case KEY_END:
		s_move(ui, (long)s_rows(ui));
		break;
	case 'a':
		s_ack(ui);
		break;
	case 's':
		s_silence(ui);
		break;
	case 'p':
		s_start_phase(ui);
		break;
	case 12: /* Ctrl-L */
		clearok(curscr, TRUE);
		break;
	default:
		break;
	}
}

/* ---- drawing ------------------------------------------------------------------- */

/* The most urgent alarm of a bed that is not acknowledged, or NULL. */
static const struct vt_console_alert *
s_bed_alarm(const struct vt_console *m, const char *bed)
{
	for (size_t i = 0; i < vt_console_alert_count(m); i++) {
		const struct vt_console_alert *a = vt_console_alert_at(m, i);
		if (strcmp(a->bed, bed) == 0 && !a->acknowledged)
			return a; /* the list is sorted most urgent first */
	}
	return NULL;
}

/* Top rows: title, then the contact banner or the sync line. Returns the next row. */
static int
s_draw_top(struct s_ui *ui, int64_t mono, int64_t wall)
{
	char hhmmss[16];
	s_fill(0, A_REVERSE);
	s_put(0, 1, A_REVERSE | A_BOLD, "vitals-console");
	s_put(0, 17, A_REVERSE, "%s", ui->pub_endpoint);
	s_put(0, COLS > 10 ? COLS - 9 : 0, A_REVERSE, "%s", vt_client_clock(wall, hhmmss, sizeof(hhmmss)));
	int row = 1;
	if (vt_console_lost(ui->model)) {
		int attr = ui->color ? COLOR_PAIR(P_BANNER) | A_BOLD : A_REVERSE | A_BOLD;
		char secs[32];
		vt_duration_format(vt_console_silence_ms(ui->model, mono) / 1000 * 1000, secs,
		                   sizeof(secs));
		s_fill(row, attr);
		s_fill(row + 1, attr);
		s_fill(row + 2, attr);
		/* Its words over its three rows, never cut, however narrow the screen. */
		char msg[256];
		snprintf(msg, sizeof(msg), "CONNECTION LOST  no message from the daemon for %s: alarms "
		         "are NOT being received; what is shown below is old", secs);
		struct vt_console_span sp[3];
		size_t lines = vt_console_wrap(msg, (size_t)(COLS - 2), sp, 3);
		int first = lines >= 3 ? row : row + 1;
		for (size_t i = 0; i < lines && i < 3; i++)
			s_put(first + (int)i, 1, attr, "%.*s", (int)sp[i].len, msg + sp[i].off);
		return row + 4;
	}
	size_t na = vt_console_alert_count(ui->model);
	switch (vt_console_sync_state(ui->model)) {
	case VT_CONSOLE_SYNCED:
		s_put(row, 1, A_DIM, "synchronised, seq %llu; %zu bed%s, %zu active alarm%s",
		      (unsigned long long)vt_console_seq(ui->model), vt_console_bed_count(ui->model),
		      vt_console_bed_count(ui->model) == 1 ? "" : "s", na, na == 1 ? "" : "s");
		break;
	default: {
		int attr = ui->color ? COLOR_PAIR(P_NOTICE) : A_REVERSE;
		s_fill(row, attr);
		if (ui->snap_problem[0])
			s_put(row, 1, attr, "NOT SYNCHRONISED (%s): %s; showing live messages only, "
			                    "alarms raised earlier may be missing",
			      vt_console_sync_reason(ui->model), ui->snap_problem);
		else
			s_put(row, 1, attr, "NOT SYNCHRONISED (%s): asking the daemon for its state...",
			      vt_console_sync_reason(ui->model));
		break;
	}
	}
	return row + 2;
}

/* One piece of a bed's second and third rows: its text, how wide, how drawn. */
struct s_chip {
	char text[400];
	int width;
	int attr;
	bool keep; /* never dropped for want of room (the flags) */
};

static void
s_chip(struct s_chip *chips, size_t *n, int attr, bool keep, int width, const char *text)
{
	struct s_chip *c = &chips[(*n)++];
	snprintf(c->text, sizeof(c->text), "%s", text);
	c->width = width >= 0 ? width : (int)strlen(c->text);
	c->attr = attr;
	c->keep = keep;
}

/* The bed's values, audio and flags on its first row; the rest as chips. */
struct s_bed_layout {
	const char *params[VT_PARAM_COUNT]; /* the value columns (not the cuff's: a chip) */
	size_t n_params;
	int name_w;
};

/* Where the first row's flags begin (after name, port, values and audio). */
static int
s_flags_x(const struct s_bed_layout *L)
{
	return 1 + L->name_w + 11 + 6 * (int)L->n_params + 2 + 13;
}

/* Whether no bed has a value of `name` now (every one shows ---). */
static bool
s_column_empty(const struct vt_console *m, const char *name)
{
	for (size_t b = 0; b < vt_console_bed_count(m); b++) {
		const struct vt_console_bed *bed = vt_console_bed_at(m, b);
		for (size_t v = 0; v < bed->n_values; v++)
			if (bed->values[v].valid && strcmp(bed->values[v].name, name) == 0)
				return false;
	}
	return true;
}

/*
 * The first row's columns. A pulse oximeter without Masimo's rainbow option
 * still reports SpCO, SpMet and PVI, as no value: where the row would not
 * fit the screen with its audio state whole (an oximeter beside a
 * multiparameter monitor at 80 columns), those columns go while no bed has
 * a value in them. Every other column stays, with or without a value.
 */
static void
s_bed_layout(const struct vt_console *m, struct s_bed_layout *L)
{
	const char *all[VT_PARAM_COUNT];
	size_t n = vt_console_param_columns(m, all);
	L->n_params = 0;
	for (size_t i = 0; i < n; i++)
		if (!vt_param_info((enum vt_param)vt_param_by_name(all[i]))->episodic)
			L->params[L->n_params++] = all[i];
	L->name_w = 8;
	for (size_t b = 0; b < vt_console_bed_count(m); b++)
		if ((int)strlen(vt_console_bed_at(m, b)->name) > L->name_w)
			L->name_w = (int)strlen(vt_console_bed_at(m, b)->name);
	if (L->name_w > 24)
		L->name_w = 24;
	static const enum vt_param optional[] = {VT_PVI, VT_SPMET, VT_SPCO};
	for (size_t k = 0; k < sizeof optional / sizeof optional[0] && s_flags_x(L) - 1 > COLS; k++) {
		const char *name = vt_param_info(optional[k])->name;
		for (size_t i = 0; i < L->n_params; i++) {
			if (strcmp(L->params[i], name) != 0 || !s_column_empty(m, name))
				continue;
			memmove(&L->params[i], &L->params[i + 1],
			        (L->n_params - i - 1) * sizeof(L->params[0]));
			L->n_params--;
			break;
		}
	}
}

/*
 * Lay out (and with `draw`, draw from `row`) one bed at `detail`: 2 its
 * phase, flags, back at baseline, blood pressure and the half-hour
 * sparklines over up to two more rows; 1 one more row, sparklines only if
 * they fit; 0 the first row alone, unless its flags need one. The flags are
 * never dropped. Returns the rows it takes.
 */
static int
s_bed(struct s_ui *ui, const struct s_bed_layout *L, const struct vt_console_bed *bed,
      int64_t now, int detail, bool draw, int row, int base)
{
	const struct vt_console *m = ui->model;
	int x = 0;
	if (bed->lost && !vt_console_lost(m)) {
		/* Behind a hub: this bed's daemon is silent while the others are heard. What it
		 * showed last is not shown as if it were live: one row says so instead. */
		if (draw) {
			int attr = ui->color ? COLOR_PAIR(P_BANNER) | A_BOLD : A_REVERSE | A_BOLD;
			x = s_put(row, 1, base | A_BOLD, "%-*.*s", L->name_w, L->name_w, bed->name);
			s_put(row, x, attr, " CONNECTION LOST: daemon silent, alarms NOT received");
		}
		return 1;
	}
	if (draw) {
		const struct vt_console_alert *al = s_bed_alarm(m, bed->name);
		int name_attr = base | (al ? s_prio_attr(ui, al->priority) | A_BOLD : 0);
		bool port_bad = bed->lost || (bed->port[0] && strcmp(bed->port, "connected") != 0);
		x = s_put(row, 1, name_attr, "%-*.*s", L->name_w, L->name_w, bed->name);
		x = s_put(row, x, base | (port_bad ? s_prio_attr(ui, VT_CONSOLE_MEDIUM) : 0), " %-10s",
		          bed->port[0] ? bed->port : "?");
		for (size_t p = 0; p < L->n_params; p++) {
			char v[24] = "";
			for (size_t i = 0; i < bed->n_values; i++)
				if (strcmp(bed->values[i].name, L->params[p]) == 0)
					vt_console_format_value(&bed->values[i], v, sizeof(v));
			x = s_put(row, x, base | A_BOLD, "%6s", v);
		}
		char audio[40] = "on", left[24];
		if (bed->silenced_until > now)
			snprintf(audio, sizeof(audio), "paused %s",
			         vt_console_format_elapsed(bed->silenced_until - now, left, sizeof(left)));
		s_put(row, x, base | (bed->silenced_until > now ? A_BOLD : 0), "  %-12s", audio);
	}
	/* The flags: on the first row if they fit there whole. */
	bool flags_first = bed->flags[0] && s_flags_x(L) + 1 + (int)strlen(bed->flags) <= COLS;
	if (draw && flags_first)
		s_put(row, s_flags_x(L) + 1, base | s_prio_attr(ui, VT_CONSOLE_MEDIUM), "%s", bed->flags);

	struct s_chip chips[10];
	size_t n = 0;
	char text[400], since[24], dose[32] = "";
	if (detail > 0) {
		if (bed->phase[0]) {
			double d = vt_console_dose(bed, now);
			if (!isnan(d))
				snprintf(dose, sizeof(dose), "  %.1f mg", d);
			snprintf(text, sizeof(text), "%s %s%s", bed->phase,
			         bed->phase_since > 0 ? vt_console_format_elapsed(now - bed->phase_since, since,
			                                                          sizeof(since))
			                          : "",
			         dose);
		} else {
			snprintf(text, sizeof(text), "no infusion session");
		}
		s_chip(chips, &n, base | A_DIM, false, -1, text);
		if (bed->phase[0] && bed->restored > 0)
			s_chip(chips, &n, base | A_BOLD, false, -1, "session restored after a restart");
	}
	if (bed->flags[0] && !flags_first) {
		snprintf(text, sizeof(text), "flags: %s", bed->flags);
		s_chip(chips, &n, base | s_prio_attr(ui, VT_CONSOLE_MEDIUM), true, -1, text);
	}
	if (detail > 0) {
		if (vt_console_baseline_text(bed, text, sizeof(text))[0])
			s_chip(chips, &n, base | A_BOLD, false, -1, text);
		if (vt_console_spot_text(bed, now, text, sizeof(text))[0])
			s_chip(chips, &n, base | A_BOLD, false, -1, text);
		const struct vt_trend *t = vt_console_trend(m, bed->name);
		/* Room for the phase and both sparklines on one row at 80 columns. */
		int spark_w = (COLS - 44) / 2;
		spark_w = spark_w < 8 ? 8 : spark_w > 30 ? 30 : spark_w;
		static const enum vt_param trends[] = {VT_SPO2, VT_PR, VT_HR};
		bool has_pr = false;
		for (size_t k = 0; k < 3; k++) {
			enum vt_param p = trends[k];
			bool has = false;
			for (size_t i = 0; i < bed->n_values; i++)
				has = has || strcmp(bed->values[i].name, vt_param_info(p)->name) == 0;
			if (!has || (p == VT_HR && has_pr))
				continue; /* one pulse: the oximeter's, or the ECG's without one */
			has_pr = has_pr || p == VT_PR;
			char spark[VT_CONSOLE_SPARK_BYTES(30)];
			vt_console_sparkline(t, p, now, VT_TREND_WINDOW_MS, (size_t)spark_w, !ui->utf8, spark,
			                     sizeof(spark));
			snprintf(text, sizeof(text), "%s [%s]", vt_param_info(p)->label, spark);
			s_chip(chips, &n, base, false, (int)strlen(vt_param_info(p)->label) + 3 + spark_w,
			       text);
		}
	}
	/* The chips in order, each on the first row with room for it, as many
	 * rows as the detail allows; the flags come before anything that could
	 * take their place, and are never left out. */
	int rows = 1, most = detail >= 2 ? 3 : 2, cx[4] = {0, 3, 3, 3};
	for (size_t i = 0; i < n; i++) {
		int w = chips[i].width, r = 1;
		while (r < rows && cx[r] + w > COLS - 1)
			r++;
		if (r == rows) {
			if (rows == most && !chips[i].keep)
				continue; /* no room: left out */
			r = rows < 3 ? rows++ : rows - 1;
		}
		if (draw)
			s_put_w(row + r, cx[r], chips[i].attr, chips[i].text, w);
		cx[r] += w + 3;
	}
	return rows;
}

static int
s_draw_beds(struct s_ui *ui, int row, int64_t now, int dim, int room)
{
	const struct vt_console *m = ui->model;
	struct s_bed_layout L;
	s_bed_layout(m, &L);
	int x = s_put(row, 1, A_BOLD, "%-*s %-10s", L.name_w, "BED", "PORT");
	for (size_t p = 0; p < L.n_params; p++)
		x = s_put(row, x, A_BOLD, "%6s",
		          vt_param_info((enum vt_param)vt_param_by_name(L.params[p]))->label);
	/* FLAGS heads the flags that fit on a bed's first row; where none can
	 * (a wide table), they go below with their name, and so does this. */
	if (s_flags_x(&L) + 5 <= COLS)
		s_put(row, x, A_BOLD, "  %-12s FLAGS", "AUDIO");
	else
		s_put(row, x, A_BOLD, "  AUDIO");
	row++;
	room--;
	/* As much of each bed as the screen has room for, the alarms below kept in view. */
	size_t nb = vt_console_bed_count(m);
	int detail = 2;
	for (; detail > 0; detail--) {
		int need = 0;
		for (size_t b = 0; b < nb; b++)
			need += s_bed(ui, &L, vt_console_bed_at(m, b), now, detail, false, 0, 0);
		if (need <= room)
			break;
	}
	long sel = s_selected_row(ui);
	for (size_t b = 0; b < nb && room > 0; b++) {
		const struct vt_console_bed *bed = vt_console_bed_at(m, b);
		int h = s_bed(ui, &L, bed, now, detail, false, 0, 0);
		if (h > room)
			h = room;
		int base = dim | (sel == (long)b ? A_REVERSE : 0);
		for (int r = 0; sel == (long)b && r < h; r++)
			s_fill(row + r, A_REVERSE);
		s_bed(ui, &L, bed, now, detail, true, row, base);
		row += h;
		room -= h;
	}
	if (nb == 0)
		s_put(row++, 1, A_DIM, "(no beds yet)");
	return row + 1;
}

/* A priority as the alarm list shows it. */
static const char *
s_prio_label(enum vt_console_priority p)
{
	return p == VT_CONSOLE_HIGH ? "HIGH" : p == VT_CONSOLE_MEDIUM ? "MEDIUM" : "LOW";
}

/* One alarm as the list lays it out: its state and its text wrapped. */
struct s_alarm_rows {
	char state[120];
	struct vt_console_span spans[VT_CONSOLE_WRAP_MAX];
	size_t lines; /* rows the whole text needs; above VT_CONSOLE_WRAP_MAX it is cut */
};

/* Whether the alarm is acknowledged (and by whom) and how long its audio is paused. */
static void
s_alarm_state(const struct vt_console_alert *a, int64_t now, char *buf, size_t len)
{
	char left[24];
	if (a->acknowledged)
		snprintf(buf, len, "ACK%s%.60s", a->by[0] ? " by " : "", a->by);
	else
		snprintf(buf, len, "UNACKNOWLEDGED");
	if (a->silenced_until > now) {
		size_t l = strlen(buf);
		snprintf(buf + l, len - l, ", paused %s",
		         vt_console_format_elapsed(a->silenced_until - now, left, sizeof(left)));
	}
}

/*
 * The alarm list. When every text fits on one row beside its onset and
 * state, it is a table (text, since, state, id). When one does not, each
 * alarm's text wraps onto as many rows as it needs below the first
 * (vitals/console_layout.h), with its state, onset and id on a row of their
 * own: on a narrow terminal a nurse still reads the whole alarm.
 */
static int
s_draw_alarms(struct s_ui *ui, int row, int64_t now, int dim)
{
	const struct vt_console *m = ui->model;
	size_t n = vt_console_alert_count(m), nb = vt_console_bed_count(m);
	int head_end = s_put(row, 1, A_BOLD, "ALARMS (%zu active)", n);
	if (ui->sounding >= 0 && ui->sounding <= VT_CONSOLE_HIGH)
		s_put(row, head_end + 2, s_prio_attr(ui, (enum vt_console_priority)ui->sounding) | A_BOLD,
		      "SOUNDING: %s%s", s_prio_label((enum vt_console_priority)ui->sounding),
		      ui->bell ? "" : " (bell off)");
	else if (ui->sounding == S_SOUND_LOST)
		s_put(row, head_end + 2, A_BOLD, "SOUNDING: CONNECTION LOST%s", ui->bell ? "" : " (bell off)");
	else if (n > 0)
		s_put(row, head_end + 2, A_DIM, "quiet: every alarm acknowledged or paused");
	row++;
	if (n == 0) {
		s_put(row, 3, A_DIM, "none");
		return row + 1;
	}
	int bottom = LINES - 1 - s_status_rows(ui); /* below: the status and the keys */
	int room = bottom - row;
	if (room < 1)
		return row;
	size_t bed_w = 8;
	for (size_t i = 0; i < n; i++)
		if (strlen(vt_console_alert_at(m, i)->bed) > bed_w)
			bed_w = strlen(vt_console_alert_at(m, i)->bed);
	if (bed_w > 24)
		bed_w = 24;
	int text_x = 16 + (int)bed_w; /* after marker, priority, TECH and bed */
	int wrap_w = COLS - text_x - 1;
	if (wrap_w < 10) { /* a narrow screen: a shorter bed column, not a useless text one */
		bed_w = bed_w > 8 ? 8 : bed_w;
		text_x = 16 + (int)bed_w;
		wrap_w = COLS - text_x - 1 > 4 ? COLS - text_x - 1 : 4;
	}
	/* Each alarm laid out once: its state, its text wrapped, then its height. */
	struct s_alarm_rows *rows = malloc(n * sizeof(*rows));
	int *heights = malloc(n * sizeof(*heights));
	if (rows == NULL || heights == NULL) {
		free(rows);
		free(heights);
		return row;
	}
	int text_w = 0, tail_w = 0;
	for (size_t i = 0; i < n; i++) {
		const struct vt_console_alert *a = vt_console_alert_at(m, i);
		s_alarm_state(a, now, rows[i].state, sizeof(rows[i].state));
		rows[i].lines = vt_console_wrap(a->text, (size_t)wrap_w, rows[i].spans, VT_CONSOLE_WRAP_MAX);
		if ((int)strlen(a->text) > text_w)
			text_w = (int)strlen(a->text);
		if ((int)strlen(rows[i].state) > tail_w)
			tail_w = (int)strlen(rows[i].state);
	}
	/* "since HH:MM:SS (m:ss)" */
	bool table = text_x + text_w + 1 + 22 + 2 + tail_w <= COLS;
	int total = 0;
	for (size_t i = 0; i < n; i++) {
		size_t shown = rows[i].lines < VT_CONSOLE_WRAP_MAX ? rows[i].lines : VT_CONSOLE_WRAP_MAX;
		heights[i] = table ? 1 : (int)shown + 1;
		total += heights[i];
	}
	/* Scroll so that the selected alarm is whole on the screen, keeping a row
	 * for "... more" when they do not all fit. */
	long sel = s_selected_row(ui);
	int list_room = total <= room ? room : room - 1;
	size_t first = vt_console_scroll_first(heights, n, sel >= (long)nb ? (size_t)(sel - (long)nb) : n,
	                                       list_room);
	for (size_t i = first; i < n; i++) {
		if (heights[i] > list_room && i != first) { /* the first is drawn as far as it goes */
			s_put(row, 3, A_BOLD, "... %zu more (arrow down)", n - i);
			break;
		}
		list_room -= heights[i];
		const struct vt_console_alert *a = vt_console_alert_at(m, i);
		bool selected = sel == (long)(nb + i);
		int base = dim | (selected ? A_REVERSE : 0);
		for (int r = 0; selected && r < heights[i] && row + r < bottom; r++)
			s_fill(row + r, A_REVERSE);
		int pattr = base | s_prio_attr(ui, a->priority) | (a->acknowledged ? 0 : A_BOLD);
		int sattr = base | (a->acknowledged ? 0 : A_BOLD);
		const char *state = rows[i].state;
		char onset[16], active[24];
		vt_client_clock(a->onset, onset, sizeof(onset));
		/* How long it has been going on, beside when it began. */
		vt_console_format_elapsed(a->onset > 0 ? now - a->onset : -1, active, sizeof(active));
		s_put(row, 1, base, "%s", selected ? ">" : " ");
		s_put(row, 3, pattr, "%s", s_prio_label(a->priority));
		s_put(row, 10, pattr, "%-4s", a->technical ? "TECH" : "");
		s_put(row, 15, pattr, "%-*.*s", (int)bed_w, (int)bed_w, a->bed);
		if (table) {
			int x = s_put(row, text_x, pattr, "%-*s", text_w, a->text);
			x = s_put(row, x + 1, base, "since %s (%s)", onset, active);
			x = s_put(row, x + 2, sattr, "%s", state);
			s_put(row, x + 2, base | A_DIM, "%s", a->id);
			row++;
			continue;
		}
		const struct vt_console_span *spans = rows[i].spans;
		size_t lines = rows[i].lines;
		for (size_t l = 0; l < lines && l < VT_CONSOLE_WRAP_MAX && row < bottom; l++) {
			bool cut = l + 1 == VT_CONSOLE_WRAP_MAX && lines > VT_CONSOLE_WRAP_MAX;
			int shown = (int)spans[l].len;
			if (cut && shown > wrap_w - 3)
				shown = wrap_w - 3;
			s_put(row++, text_x, pattr, "%.*s%s", shown, a->text + spans[l].off, cut ? "..." : "");
		}
		if (row >= bottom)
			break;
		int x = s_put(row, text_x, sattr, "%s", state);
		x = s_put(row, x + 2, base, "since %s (%s)", onset, active);
		s_put(row, x + 2, base | A_DIM, "%s", a->id);
		row++;
	}
	free(rows);
	free(heights);
	return row + 1;
}

/*
 * The alarm history: every alarm this station heard of, newest first, with
 * how long it lasted, who acknowledged it and how it ended (the review
 * lines of vitals/console/views.h). What is sounding stays said above it.
 */
static void
s_draw_history(struct s_ui *ui, int row, int64_t now, int dim)
{
	const struct vt_history *h = vt_console_history(ui->model);
	size_t n = vt_history_count(h), na = vt_console_alert_count(ui->model);
	int x = s_put(row, 1, A_BOLD, "ALARM HISTORY (%zu heard by this station)", n);
	if (ui->sounding >= 0 && ui->sounding <= VT_CONSOLE_HIGH)
		s_put(row, x + 2, s_prio_attr(ui, (enum vt_console_priority)ui->sounding) | A_BOLD,
		      "SOUNDING: %s (h: back)", s_prio_label((enum vt_console_priority)ui->sounding));
	else
		s_put(row, x + 2, A_DIM, "%zu active", na);
	row++;
	s_put(row++, 1, A_DIM, "the whole record of a session: vitals-report");
	if (n == 0)
		s_put(row, 3, A_DIM, "none yet");
	int bottom = LINES - 1 - s_status_rows(ui);
	for (size_t k = ui->history_top; k < n && row < bottom; k++) {
		const struct vt_history_entry *e = vt_history_at(h, n - 1 - k);
		struct vt_console_review rv;
		vt_console_review_entry(e, now, &rv);
		int pattr = dim | s_prio_attr(ui, e->priority);
		x = s_put(row, 1, dim, "%s", rv.when);
		x = s_put(row, x + 1, pattr, "%-6s", rv.priority);
		x = s_put(row, x + 1, dim | A_BOLD, "%-8s", e->bed);
		x = s_put(row, x + 1, dim, "%6s", rv.duration);
		x = s_put(row, x + 2, dim | (e->acknowledged ? 0 : A_BOLD), "%s", rv.ack);
		s_put(row, x + 2, dim | A_DIM, "%s", rv.end);
		row++;
		struct vt_console_span sp[VT_CONSOLE_WRAP_MAX];
		size_t lines = vt_console_wrap(rv.text, (size_t)(COLS > 16 ? COLS - 12 : 4), sp,
		                               VT_CONSOLE_WRAP_MAX);
		for (size_t l = 0; l < lines && l < VT_CONSOLE_WRAP_MAX && row < bottom; l++)
			s_put(row++, 10, dim, "%.*s", (int)sp[l].len, rv.text + sp[l].off);
	}
}

/* Every key, over the middle of the screen, until a key is pressed. */
static void
s_draw_help(struct s_ui *ui)
{
	static const char *const lines[] = {
	    "KEYS",
	    "up/down j/k Home/End  move over the beds, then the alarms",
	    "a        acknowledge the alarm under the cursor",
	    "A        acknowledge every alarm of the bed under the cursor",
	    "s        pause the bed's audio for " S_SILENCE,
	    "p        set the bed's phase: b i r e, Enter the next; Esc cancels",
	    "h        the alarm history (h or Esc: back)",
	    "?        this help",
	    "Ctrl-L   redraw the screen",
	    "q        quit (asks first while an alarm is active)",
	    "any key closes this help",
	};
	size_t n = sizeof(lines) / sizeof(lines[0]);
	int w = 0;
	for (size_t i = 0; i < n; i++)
		w = (int)strlen(lines[i]) > w ? (int)strlen(lines[i]) : w;
	w += 4;
	if (w > COLS)
		w = COLS;
	int top = (LINES - (int)n - 2) / 2, left = (COLS - w) / 2;
	for (int r = 0; r < (int)n + 2; r++) {
		move(top + r, left);
		attrset(A_REVERSE);
		for (int c = 0; c < w; c++)
			addch(' ');
	}
	for (size_t i = 0; i < n; i++)
		s_put(top + 1 + (int)i, left + 2, A_REVERSE | (i == 0 ? A_BOLD : 0), "%.*s", w - 3,
		      lines[i]);
	attrset(A_NORMAL);
}

static void
s_draw_bottom(struct s_ui *ui)
{
	int err_attr = ui->color ? COLOR_PAIR(P_ERROR) | A_BOLD : A_BOLD;
	if (ui->status[0]) {
		/* A long one goes on over a second row rather than be cut. */
		struct vt_console_span sp[2];
		int rows = s_status_rows(ui);
		vt_console_wrap(ui->status, (size_t)(COLS - 2), sp, 2);
		for (int r = 0; r < rows; r++)
			s_put(LINES - 1 - rows + r, 1, ui->status_error ? err_attr : (int)A_NORMAL, "%.*s",
			      (int)sp[r].len, ui->status + sp[r].off);
	}
	s_fill(LINES - 1, A_REVERSE);
	switch (ui->input) {
	case IN_KEYS:
		if (ui->history)
			s_put(LINES - 1, 1, A_REVERSE, "h back   j/k scroll   ? help   q quit");
		else
			s_put(LINES - 1, 1, A_REVERSE,
			      "j/k move  a ack  A ack bed  s pause %s  p phase  h history  ? help  q quit",
			      S_SILENCE);
		break;
	case IN_QUIT: {
		size_t n = vt_console_alert_count(ui->model);
		s_put(LINES - 1, 1, A_REVERSE | A_BOLD,
		      "%zu alarm%s active here: quit anyway? y quits, any other key stays", n,
		      n == 1 ? " is" : "s are");
		break;
	}
	case IN_HELP:
		s_put(LINES - 1, 1, A_REVERSE, "any key closes the help");
		break;
	case IN_PHASE: {
		const struct vt_console_bed *b = vt_console_bed_named(ui->model, ui->prompt_bed);
		s_put(LINES - 1, 1, A_REVERSE | A_BOLD,
		      "%s phase: b baseline i infusion r recovery e ended (Enter: %s)", ui->prompt_bed,
		      s_next_phase(b ? b->phase : ""));
		break;
	}
	case IN_WEIGHT:
	case IN_DOSE: {
		bool w = ui->input == IN_WEIGHT;
		int x = s_put(LINES - 1, 1, A_REVERSE | A_BOLD, "%s infusion: %s [%s]: %s", ui->prompt_bed,
		              w ? "patient weight, kg" : "rate, mg/kg/h",
		              ui->edit_default[0] ? ui->edit_default : w ? "none" : "", ui->edit);
		s_put(LINES - 1, x, A_REVERSE | A_BLINK, "_");
		s_put(LINES - 1, x + 2, A_REVERSE, "(Enter: accept, Esc: cancel)");
		break;
	}
	}
}

/* The daemon's clock now (pauses and onsets are in it), or ours before it is known. */
static int64_t
s_daemon_now(const struct s_ui *ui, int64_t mono)
{
	int64_t now = vt_console_daemon_time(ui->model, mono);
	return now != 0 ? now : vt_client_wall_ms();
}

/* Ring the bell when something starts sounding (a new alarm, a pause
 * over, a higher priority) or is due to repeat. */
static void
s_sound(struct s_ui *ui, int64_t mono)
{
	size_t n = 0;
	int level = vt_console_sounding(ui->model, s_daemon_now(ui, mono), &n);
	if (vt_console_lost(ui->model) || vt_console_beds_lost(ui->model) > 0)
		level = S_SOUND_LOST;
	bool started = level > ui->sounding || (level >= 0 && level != S_SOUND_LOST && n > ui->n_sounding);
	ui->n_sounding = n;
	if (level >= 0 && (started || (s_repeat_ms[level] > 0 && mono >= ui->next_bell))) {
		if (ui->bell)
			beep();
		ui->next_bell = s_repeat_ms[level] > 0 ? mono + s_repeat_ms[level] : INT64_MAX;
	}
	ui->sounding = level;
}

static void
s_draw(struct s_ui *ui)
{
	int64_t mono = vt_client_now(), wall = vt_client_wall_ms();
	int64_t now = s_daemon_now(ui, mono);
	erase();
	if (LINES < 8 || COLS < 40) {
		s_put(0, 0, A_BOLD, "window too small");
		if (vt_console_lost(ui->model))
			s_put(1, 0, A_BOLD | A_REVERSE, "CONNECTION LOST");
		refresh();
		return;
	}
	s_fix_selection(ui);
	int dim = vt_console_lost(ui->model) ? A_DIM : 0;
	int row = s_draw_top(ui, mono, wall);
	if (ui->history) {
		s_draw_history(ui, row, now, dim);
	} else {
		/* The beds take what the alarms leave: a few rows are always theirs. */
		size_t na = vt_console_alert_count(ui->model);
		int keep = na == 0 ? 1 : na * 3 < 6 ? (int)na * 3 : 6;
		row = s_draw_beds(ui, row, now, dim, LINES - row - 3 - s_status_rows(ui) - keep);
		s_draw_alarms(ui, row, now, dim);
	}
	if (ui->input == IN_HELP)
		s_draw_help(ui);
	s_draw_bottom(ui);
	refresh();
}

/* ---- the loop ------------------------------------------------------------------ */

static void
s_progress_requests(struct s_ui *ui, int64_t now)
{
	vt_client_sync(ui->snap, ui->model, now, ui->snap_problem, sizeof(ui->snap_problem));
	char *reply = NULL;
	enum vt_client_status st = vt_client_progress(ui->cmd, now, &reply);
	if (st != VT_CLIENT_IDLE && st != VT_CLIENT_WAITING)
		s_cmd_reply(ui, st, reply);
	free(reply);
}

static int64_t
s_min(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static int
s_screen_loop(struct s_ui *ui)
{
	while (!stop) {
		int64_t now = vt_client_now();
		vt_client_sync(ui->snap, ui->model, now, ui->snap_problem, sizeof(ui->snap_problem));
		/* Keys come from a terminal; anything else on stdin (/dev/null) would wake us forever. */
		zmq_pollitem_t items[4] = {
		    {.socket = ui->sub, .events = ZMQ_POLLIN},
		    {.fd = STDIN_FILENO, .events = (short)(ui->keyboard ? ZMQ_POLLIN : 0)},
		    {.socket = vt_client_socket(ui->snap), .events = vt_client_events(ui->snap)},
		    {.socket = vt_client_socket(ui->cmd), .events = vt_client_events(ui->cmd)},
		};
		/* Wake for the next deadline, and at least every second for the clocks. */
		int64_t next = s_min(vt_console_next_deadline(ui->model), now + 1000);
		next = s_min(next, vt_client_deadline(ui->snap));
		next = s_min(next, vt_client_deadline(ui->cmd));
		if (ui->sounding >= 0)
			next = s_min(next, ui->next_bell);
		long timeout = next > now ? (long)(next - now) : 0;
		if (zmq_poll(items, 4, timeout) < 0 && errno != EINTR) {
			endwin();
			fprintf(stderr, "vitals-console: zmq_poll: %s\n", zmq_strerror(errno));
			return EX_OSERR;
		}
		/* A terminal that hung up (its window or tmux session closed) polls
		 * as an error at once and for ever: nobody is there to see or hear
		 * the alarms, and polling it again would spin. */
		bool hangup = (items[1].revents & ZMQ_POLLERR) != 0;
		vt_client_drain(ui->sub, ui->model, S_DRAIN_MAX);
		now = vt_client_now();
		s_progress_requests(ui, now);
		vt_console_tick(ui->model, now);
		int ch;
		while ((ch = getch()) != ERR)
			s_key(ui, ch);
		s_sound(ui, now);
		s_draw(ui);
		/* The same for output: a write to a hung-up terminal fails (EIO),
		 * even an empty one; ncurses itself does not report it. */
		if (hangup || write(STDOUT_FILENO, "", 0) < 0)
			return EX_IOERR;
	}
	return 0;
}

static int
s_screen(const char *pub, const char *control, const char *by, bool bell)
{
	void *zctx = zmq_ctx_new();
	struct s_ui ui = {.pub_endpoint = pub, .weight = NAN, .bell = bell, .sounding = -1,
	                  .next_bell = INT64_MAX};
	if (by != NULL)
		snprintf(ui.by, sizeof(ui.by), "%s", by);
	else
		vt_client_default_by(ui.by, sizeof(ui.by));
	char err[512];
	int bad = 0, rc = 0;
	const struct vt_curve_keys *keys = s_curve ? &s_keys : NULL;
	/* Subscribe first, then ask for the snapshot: nothing falls between them. */
	ui.sub = vt_client_subscribe(zctx, pub, keys, err, sizeof(err));
	if (ui.sub == NULL) {
		int e = errno;
		fprintf(stderr, "vitals-console: %s\n", err);
		rc = s_connect_status(e);
		goto out;
	}
	ui.snap = vt_client_new(zctx, control, keys, &bad, err, sizeof(err));
	ui.cmd = ui.snap ? vt_client_new(zctx, control, keys, &bad, err, sizeof(err)) : NULL;
	ui.model = vt_console_new(vt_client_now());
	if (ui.snap == NULL || ui.cmd == NULL || ui.model == NULL) {
		fprintf(stderr, "vitals-console: control: %s\n", ui.model ? err : "out of memory");
		rc = bad ? EX_USAGE : EX_UNAVAILABLE;
		goto out;
	}
	setlocale(LC_ALL, "");
	ui.utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	if (initscr() == NULL) {
		fprintf(stderr, "vitals-console: cannot use this terminal\n");
		rc = EX_UNAVAILABLE;
		goto out;
	}
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	if (has_colors()) {
		start_color();
		int bg = use_default_colors() == OK ? -1 : COLOR_BLACK;
		init_pair(P_HIGH, COLOR_RED, (short)bg);
		init_pair(P_MEDIUM, COLOR_YELLOW, (short)bg);
		init_pair(P_LOW, COLOR_CYAN, (short)bg);
		init_pair(P_BANNER, COLOR_WHITE, COLOR_RED);
		init_pair(P_NOTICE, COLOR_BLACK, COLOR_YELLOW);
		init_pair(P_ERROR, COLOR_RED, (short)bg);
		ui.color = true;
	}
	ui.keyboard = isatty(STDIN_FILENO);
	rc = s_screen_loop(&ui);
	endwin();
out:
	vt_console_free(&ui.model);
	vt_client_free(&ui.snap);
	vt_client_free(&ui.cmd);
	if (ui.sub)
		zmq_close(ui.sub);
	zmq_ctx_term(zctx);
	return rc;
}

static void
s_usage(FILE *out)
{
	fputs("usage: vitals-console [--plain] [--connect ENDPOINT] [--control ENDPOINT] [--by NAME]\n"
	      "  --connect ENDPOINT  the daemon's PUB endpoint (default tcp://127.0.0.1:5556)\n"
	      "  --control ENDPOINT  its control endpoint, for snapshots and commands\n"
	      "                      (default tcp://127.0.0.1:5557)\n"
	      "  --by NAME           who acknowledges and pauses, as the daemon records it\n"
	      "                      (default $USER@host)\n"
	      "  --plain             one line per event (default when stdout is not a terminal)\n"
	      "  --no-bell           never ring the terminal bell (a second screen beside a\n"
	      "                      sounding one)\n"
	      "  --server-key KEY    CURVE: the daemon's public key (its .pub file, or the key)\n"
	      "  --key FILE          CURVE: this console's .key file (defaults for both:\n"
	      "                      $VITALS_SERVER_KEY, $VITALS_KEY)\n"
	      "keys: up/down or j/k select, a acknowledge, A acknowledge a bed's alarms,\n"
	      "      s pause a bed's audio 2 min, p set a bed's infusion phase, h alarm\n"
	      "      history, ? every key, q quit (asks while an alarm is active)\n",
	      out);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {{"connect", required_argument, NULL, 'c'},
	                                         {"control", required_argument, NULL, 'C'},
	                                         {"by", required_argument, NULL, 'b'},
	                                         {"server-key", required_argument, NULL, 'S'},
	                                         {"key", required_argument, NULL, 'K'},
	                                         {"plain", no_argument, NULL, 'p'},
	                                         {"no-bell", no_argument, NULL, 'B'},
	                                         {"help", no_argument, NULL, 'h'},
	                                         {"version", no_argument, NULL, 'V'},
	                                         {NULL, 0, NULL, 0}};
	const char *endpoint = "tcp://127.0.0.1:5556", *control = "tcp://127.0.0.1:5557";
	const char *by = NULL, *server_key = NULL, *key = NULL;
	bool plain = false, bell = true;
	int opt;
	while ((opt = getopt_long(argc, argv, "c:phV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			endpoint = optarg;
			break;
		case 'C':
			control = optarg;
			break;
		case 'b':
			by = optarg;
			break;
		case 'S':
			server_key = optarg;
			break;
		case 'K':
			key = optarg;
			break;
		case 'p':
			plain = true;
			break;
		case 'B':
			bell = false;
			break;
		case 'V':
			printf("vitals-console %s\n", VT_VERSION);
			return 0;
		case 'h':
			s_usage(stdout);
			return 0;
		default:
			s_usage(stderr);
			return 64;
		}
	}
	if (optind < argc) {
		s_usage(stderr);
		return 64;
	}
	char err[512];
	int curve = vt_curve_client_keys(&s_keys, server_key, key, err, sizeof(err));
	if (curve < 0) {
		fprintf(stderr, "vitals-console: %s\n", err);
		return 64;
	}
	s_curve = curve > 0;
	/* No SA_RESTART: the signal interrupts zmq_poll and the loop ends at once. */
	struct sigaction sa = {.sa_handler = s_on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL); /* the terminal went away */
	if (plain || !isatty(STDOUT_FILENO))
		return s_plain(endpoint);
	return s_screen(endpoint, control, by, bell);
}
