/*
 * Golden transcripts of the monitors that speak when spoken to (philips-mib
 * on its serial line and on a LAN, ge-dri): a scripted session between the
 * driver and the emulated monitor on a virtual clock (driver_talk.h), every
 * burst of bytes either side sent and every reading the driver made of
 * them, held against tests/golden/drivers/NAME.txt.
 *
 *  - what the driver transmits (association request, polls, answers to the
 *    monitor's events, the retries, the release) must be the file's bytes:
 *    the whole session is run again and compared line for line;
 *  - what it decodes: the monitor's bytes of the file (known frames, read
 *    from the file, not made again) are fed to a fresh driver, which must
 *    give the file's readings, device names and dropped frames.
 *
 * A change meant to alter either rewrites the files on purpose: `make
 * goldens` (VT_GOLDEN_WRITE=1 on this program); review the diff.
 *
 * Line format (times in ms from the session's start):
 *   > T hex...    bytes the driver sent
 *   < T hex...    bytes the monitor sent
 *   = T reading   a reading: parameter=value, - for no value, @age for a
 *                 measurement's age, flags by name
 *   i T model=... what the monitor said it is
 *   ! T why       a frame dropped, and why
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/support.h"
#include "vitals/drivers/driver.h"

#define T0 INT64_C(1748000000000) /* 2025-05-23T11:33:20Z */

/* ---- the transcript ------------------------------------------------------------- */

struct s_text {
	char *b;
	size_t n, cap;
};

static void
s_put(struct s_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
s_put(struct s_text *t, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(t->b ? t->b + t->n : NULL, t->b ? t->cap - t->n : 0, fmt, ap);
		va_end(ap);
		cr_assert_geq(n, 0);
		if (t->b != NULL && (size_t)n < t->cap - t->n) {
			t->n += (size_t)n;
			return;
		}
		t->cap = t->cap ? t->cap * 2 + (size_t)n : 4096 + (size_t)n;
		t->b = realloc(t->b, t->cap);
		cr_assert_not_null(t->b);
	}
}

/* What the driver has delivered since it was last looked at. */
struct s_seen {
	size_t readings, infos;
	uint64_t dropped;
};

static void
s_reading_line(struct s_text *out, int64_t at, const struct vt_reading *r)
{
	s_put(out, "= %lld", (long long)at);
	for (int p = 0; p < VT_PARAM_COUNT; p++) {
		if (!(r->reported & VT_PARAM_BIT(p)))
			continue;
		s_put(out, " %s=", vt_param_info((enum vt_param)p)->name);
		if (!(r->valid & VT_PARAM_BIT(p)))
			s_put(out, "-");
		else
			s_put(out, "%.6g", r->value[p]);
		if (r->timed & VT_PARAM_BIT(p))
			s_put(out, "@%lld", (long long)r->age_ms[p]);
	}
	s_put(out, " flags=");
	const char *sep = "";
	for (int f = 0; f < VT_FLAG_COUNT; f++)
		if (r->flags & (1u << f)) {
			s_put(out, "%s%s", sep, vt_flag_name(1u << f));
			sep = ",";
		}
	s_put(out, "%s\n", *sep ? "" : "none");
}

/* Lines for what the driver delivered since `seen`, stamped `at`. */
static void
s_delivered(struct s_text *out, int64_t at, const struct vt_driver *d, const void *state,
            const struct vt_rig_collect *c, struct s_seen *seen)
{
	for (; seen->infos < c->ninfo; seen->infos++) {
		const struct vt_device_info *i = &c->infos[seen->infos];
		s_put(out, "i %lld model=%s serial=%s version=%s\n", (long long)at, i->model, i->serial,
		      i->version);
	}
	struct vt_driver_stats st;
	d->stats(state, &st);
	if (st.dropped > seen->dropped)
		s_put(out, "! %lld %llu dropped: %s\n", (long long)at,
		      (unsigned long long)(st.dropped - seen->dropped), st.why ? st.why : "?");
	seen->dropped = st.dropped;
	for (; seen->readings < c->count; seen->readings++)
		s_reading_line(out, at, &c->readings[seen->readings]);
}

static void
s_hex(struct s_text *out, char dir, int64_t at, const uint8_t *b, size_t n)
{
	s_put(out, "%c %lld", dir, (long long)at);
	for (size_t i = 0; i < n; i++)
		s_put(out, " %02x", b[i]);
	s_put(out, "\n");
}

/* The session's transcript as it is made. */
struct s_trace {
	struct s_text text;
	struct s_seen seen;
	int64_t rx_at; /* when the monitor's latest bytes came: what they gave is of then */
};

static void
s_on_bytes(struct vt_rig_talk *t, bool from_host, const uint8_t *b, size_t n)
{
	struct s_trace *tr = t->trace_ctx;
	s_delivered(&tr->text, tr->rx_at, t->driver, t->dstate, &t->c, &tr->seen);
	if (!from_host)
		tr->rx_at = t->now - T0;
	s_hex(&tr->text, from_host ? '>' : '<', t->now - T0, b, n);
}

/* ---- the scripted sessions -------------------------------------------------------- */

struct s_case {
	const char *file;     /* under tests/golden/drivers/ */
	const char *protocol;
	const char *what;     /* the file's first line */
	struct vt_driver_opts opts;
	bool datagram;        /* the monitor on a LAN */
	void (*script)(struct vt_rig_talk *t);
};

static void
s_cuff(struct vt_reading *r, double sys, double dia, double map)
{
	vt_reading_set(r, VT_NIBP_SYS, sys);
	vt_reading_set(r, VT_NIBP_DIA, dia);
	vt_reading_set(r, VT_NIBP_MAP, map);
}

static void
s_no_cuff(struct vt_reading *r)
{
	vt_param_mask bp =
	    VT_PARAM_BIT(VT_NIBP_SYS) | VT_PARAM_BIT(VT_NIBP_DIA) | VT_PARAM_BIT(VT_NIBP_MAP);
	r->reported &= ~bp;
	r->valid &= ~bp;
}

/*
 * A Philips monitor, polled every second: the association, a cuff
 * measurement, the ECG leads off (no heart rate), a spoiled FCS, demo
 * mode, then the monitor drops the association and ignores the first
 * request that follows; the release at the end.
 */
static void
s_philips_serial(struct vt_rig_talk *t)
{
	vt_rig_talk_patient(&t->shown);
	vt_rig_talk_run(t, T0 + 2500);
	s_cuff(&t->shown, 131, 82, 98);
	vt_rig_talk_run(t, T0 + 3500);
	s_no_cuff(&t->shown);
	t->shown.flags = VT_FLAG_LEADS_OFF;
	vt_reading_set_missing(&t->shown, VT_HR);
	vt_rig_talk_run(t, T0 + 4500);
	t->shown.flags = 0;
	vt_reading_set(&t->shown, VT_HR, 75);
	vt_rig_talk_misbehave(t, VT_ENCODE_BAD_CHECK);
	vt_rig_talk_run(t, T0 + 5500);
	t->shown.flags = VT_FLAG_DEMO_DATA;
	vt_rig_talk_run(t, T0 + 6500);
	t->shown.flags = 0;
	vt_rig_talk_misbehave(t, VT_ENCODE_DEAF);
	vt_rig_talk_misbehave(t, VT_ENCODE_DROP);
	vt_rig_talk_run(t, T0 + 9000);
	vt_rig_talk_misbehave(t, VT_ENCODE_HEARING);
	vt_rig_talk_run(t, T0 + 15500);
	vt_rig_talk_stop(t);
}

/* The same monitor on a LAN, polled every 2 s: its Connect Indication, a
 * cuff measurement, a datagram cut short, a CO2 occlusion, the release. */
static void
s_philips_lan(struct vt_rig_talk *t)
{
	vt_rig_talk_patient(&t->shown);
	vt_rig_talk_run(t, T0 + 2500);
	s_cuff(&t->shown, 122, 76, 91);
	vt_rig_talk_run(t, T0 + 3500);
	s_no_cuff(&t->shown);
	vt_rig_talk_misbehave(t, VT_ENCODE_BAD_CHECK);
	vt_rig_talk_run(t, T0 + 6500);
	t->shown.flags = VT_FLAG_CO2_OCCLUSION;
	vt_reading_set_missing(&t->shown, VT_ETCO2);
	vt_rig_talk_run(t, T0 + 8500);
	vt_rig_talk_stop(t);
}

/*
 * A GE S/5 monitor asked for a record every second: a cuff measurement,
 * leads off and an occluded CO2 line, a spoiled checksum, the monitor
 * forgetting the request and ignoring the next one, asked again until it
 * answers; the stop request at the end.
 */
static void
s_ge(struct vt_rig_talk *t)
{
	vt_rig_talk_patient(&t->shown);
	vt_rig_talk_run(t, T0 + 1500);
	s_cuff(&t->shown, 128, 79, 95);
	vt_rig_talk_run(t, T0 + 2500);
	s_no_cuff(&t->shown);
	t->shown.flags = VT_FLAG_LEADS_OFF | VT_FLAG_CO2_OCCLUSION;
	vt_reading_set_missing(&t->shown, VT_HR);
	vt_reading_set_missing(&t->shown, VT_ETCO2);
	vt_rig_talk_run(t, T0 + 3500);
	t->shown.flags = 0;
	vt_rig_talk_patient(&t->shown);
	vt_rig_talk_misbehave(t, VT_ENCODE_BAD_CHECK);
	vt_rig_talk_run(t, T0 + 5500);
	vt_rig_talk_misbehave(t, VT_ENCODE_DEAF);
	vt_rig_talk_misbehave(t, VT_ENCODE_DROP);
	vt_rig_talk_run(t, T0 + 16000);
	vt_rig_talk_misbehave(t, VT_ENCODE_HEARING);
	vt_rig_talk_run(t, T0 + 27500);
	vt_rig_talk_stop(t);
}

static const struct s_case s_cases[] = {
    {"philips-mib-serial.txt", "philips-mib",
     "philips-mib on the MIB RS-232 port, polled every second", {.poll_ms = 1000}, false,
     s_philips_serial},
    {"philips-mib-lan.txt", "philips-mib",
     "philips-mib on a LAN (udp://, each datagram after its 2-byte length), polled every 2 s",
     {.poll_ms = 2000, .datagram = true}, true, s_philips_lan},
    {"ge-dri.txt", "ge-dri", "ge-dri, a record asked for every second", {.poll_ms = 1000}, false,
     s_ge},
};

/* The transcript of case `c`, made now. */
static void
s_transcript(const struct s_case *c, struct s_text *out)
{
	struct vt_encode_config cfg;
	vt_encode_config_default(&cfg);
	cfg.datagram = c->datagram;
	cfg.data_port = 24105;
	struct s_trace tr = {0};
	s_put(&tr.text,
	      "# %s: the driver and the emulated monitor, tests/test_driver_golden.c.\n"
	      "# Rewritten only on purpose (make goldens); review the diff.\n"
	      "# > sent by the driver, < by the monitor, = a reading, i the monitor's name,\n"
	      "# ! a dropped frame; times in ms from the start.\n",
	      c->what);
	struct vt_rig_talk t;
	cr_assert_eq(vt_rig_talk_start_traced(&t, c->protocol, &c->opts, &cfg, T0, s_on_bytes, &tr),
	             0);
	c->script(&t);
	s_delivered(&tr.text, tr.rx_at, t.driver, t.dstate, &t.c, &tr.seen);
	vt_rig_talk_free(&t);
	*out = tr.text;
}

/* Where case c's file is. */
static void
s_golden_path(const struct s_case *c, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", vt_rig_root("tests/golden/drivers"), c->file);
}

/* The committed file's text, or NULL if it is not there. */
static char *
s_golden(const struct s_case *c, char *path, size_t len)
{
	s_golden_path(c, path, len);
	return vt_rig_slurp(path, NULL);
}

/* The first line where a and b differ (1-based), 0 if none; each line from
 * a little before the first byte that differs, into got and want. */
static int
s_first_difference(const char *a, const char *b, char *got, char *want, size_t cap)
{
	for (int line = 1;; line++) {
		size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
		if (la != lb || memcmp(a, b, la) != 0 || (a[la] == '\0') != (b[lb] == '\0')) {
			size_t at = 0;
			while (at < la && at < lb && a[at] == b[at])
				at++;
			at = at > 60 ? at - 60 : 0;
			snprintf(got, cap, "%s%.*s", at ? "..." : "", (int)(la - at < 120 ? la - at : 120),
			         a + at);
			snprintf(want, cap, "%s%.*s", at ? "..." : "", (int)(lb - at < 120 ? lb - at : 120),
			         b + at);
			return line;
		}
		if (a[la] == '\0')
			return 0;
		a += la + 1;
		b += lb + 1;
	}
}

/* ---- what the driver transmits ------------------------------------------------------ */

static void
s_check_session(const struct s_case *c)
{
	struct s_text made;
	s_transcript(c, &made);
	char path[512];
	if (getenv("VT_GOLDEN_WRITE") != NULL) {
		s_golden_path(c, path, sizeof path);
		FILE *fp = fopen(path, "w");
		cr_assert_not_null(fp, "%s", path);
		cr_assert_eq(fwrite(made.b, 1, made.n, fp), made.n);
		cr_assert_eq(fclose(fp), 0);
		printf("wrote %s\n", path);
		free(made.b);
		return;
	}
	char *want = s_golden(c, path, sizeof path);
	cr_assert_not_null(want, "%s is missing (make goldens writes it)", path);
	char got_line[200], want_line[200];
	int line = s_first_difference(made.b, want, got_line, want_line, sizeof got_line);
	cr_expect_eq(line, 0,
	             "%s:%d: the session differs from the golden transcript\n  made: %s\n  file: %s\n"
	             "(a change meant to alter it: make goldens, and review the diff)",
	             path, line, got_line, want_line);
	free(want);
	free(made.b);
}

Test(driver_golden, philips_mib_serial_session_is_the_golden_one)
{
	s_check_session(&s_cases[0]);
}

Test(driver_golden, philips_mib_lan_session_is_the_golden_one)
{
	s_check_session(&s_cases[1]);
}

Test(driver_golden, ge_dri_session_is_the_golden_one)
{
	s_check_session(&s_cases[2]);
}

/* ---- what the driver decodes from the file's frames ------------------------------------ */

/* The bytes of a "< T hex..." line into b; how many. */
static size_t
s_unhex(const char *p, uint8_t *b, size_t cap)
{
	size_t n = 0;
	for (;;) {
		unsigned v;
		int used;
		if (sscanf(p, " %2x%n", &v, &used) != 1)
			return n;
		cr_assert_lt(n, cap, "a line longer than %zu bytes", cap);
		b[n++] = (uint8_t)v;
		p += used;
	}
}

static void
s_check_decoding(const struct s_case *c)
{
	if (getenv("VT_GOLDEN_WRITE") != NULL)
		cr_skip_test("writing the golden files");
	char path[512];
	char *text = s_golden(c, path, sizeof path);
	cr_assert_not_null(text, "%s is missing (make goldens writes it)", path);
	const struct vt_driver *d = vt_driver_find(c->protocol);
	cr_assert_not_null(d);
	void *state = calloc(1, d->state_size);
	cr_assert_not_null(state);
	d->reset(state, &c->opts);
	struct vt_rig_collect col = {0};
	struct vt_driver_sink sink = vt_rig_collect_sink(&col);
	sink.now = T0;
	d->connect(state, NULL, 0, &sink);
	struct s_text made = {0}, want = {0};
	struct s_seen seen = {0};
	static uint8_t bytes[1 << 16];
	int frames = 0;
	for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		if (strchr("=i!", line[0]) != NULL && line[1] == ' ') {
			s_put(&want, "%s\n", line);
			continue;
		}
		if (line[0] != '<')
			continue;
		char *end;
		long long at = strtoll(line + 2, &end, 10);
		size_t n = s_unhex(end, bytes, sizeof bytes);
		cr_assert_gt(n, 0, "%s: a monitor line without bytes", path);
		sink.now = T0 + at;
		d->feed(state, bytes, n, &sink);
		s_delivered(&made, at, d, state, &col, &seen);
		frames++;
	}
	cr_assert_gt(frames, 0, "%s: no monitor bytes", path);
	cr_assert_gt(seen.readings, 3, "%s: %zu readings", path, seen.readings);
	cr_assert_not_null(want.b, "%s: no reading in the file", path);
	char got_line[200], want_line[200];
	int line = s_first_difference(made.b, want.b, got_line, want_line, sizeof got_line);
	cr_expect_eq(line, 0,
	             "%s: the file's frames decode differently, at result line %d\n"
	             "  decoded: %s\n  file:    %s",
	             path, line, got_line, want_line);
	free(made.b);
	free(want.b);
	free(text);
	free(state);
	vt_rig_collect_free(&col);
}

Test(driver_golden, philips_mib_serial_frames_decode_to_the_golden_readings)
{
	s_check_decoding(&s_cases[0]);
}

Test(driver_golden, philips_mib_lan_datagrams_decode_to_the_golden_readings)
{
	s_check_decoding(&s_cases[1]);
}

Test(driver_golden, ge_dri_frames_decode_to_the_golden_readings)
{
	s_check_decoding(&s_cases[2]);
}
