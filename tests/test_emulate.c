/*
 * Tests for the monitor emulator. The pure pieces (line pacing, fault
 * lists, the player's timeline) are checked directly; the program itself
 * is run as a user runs it, on a pty in a temporary directory or on a TCP
 * port of 127.0.0.1, and what comes out is decoded by the real drivers and
 * held against the fixture's rows. Every wait is a poll() with a generous
 * deadline on an event (bytes, a hang-up, a line on the emulator's
 * standard output, its exit), never a fixed sleep.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/support.h"
#include "vitals/base/timefmt.h"
#include "vitals/drivers/driver.h"
#include "vitals/emulator/emulate.h"
#include "vitals/io/recorder.h"
#include "vitals/wire/csv.h"
#include "vitals/wire/session.h"

#define DEADLINE_MS 10000
#define MS INT64_C(1000000)
#define SEC INT64_C(1000000000)

/* ---- line pacing ---- */

Test(emulate_line, bytes_leave_at_the_line_speed)
{
	struct vt_emu_line l;
	cr_assert_eq(vt_emu_line_init(&l, 9600, 1.0, 64), 0);
	uint8_t b[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
	cr_assert_eq(vt_emu_line_next(&l), INT64_MAX);
	cr_assert_eq(vt_emu_line_push(&l, b, 10, 1000 * MS), 0);
	/* 9600 baud, 10 bits a byte: one byte every 1.0417 ms. */
	cr_assert_eq(vt_emu_line_due(&l, 999 * MS), 0);
	cr_assert_eq(vt_emu_line_next(&l), 1000 * MS);
	cr_assert_eq(vt_emu_line_due(&l, 1000 * MS), 1);
	cr_assert_eq(vt_emu_line_due(&l, 1005 * MS), 5); /* bytes due at 0, 1.04 .. 4.17 ms */
	vt_emu_line_consume(&l, 5);
	cr_assert_eq(l.buf[0], 5);
	cr_assert_eq(vt_emu_line_next(&l), 1000 * MS + 5208333);
	cr_assert_eq(vt_emu_line_due(&l, 2000 * MS), 5);
	vt_emu_line_consume(&l, 5);
	cr_assert_eq(vt_emu_line_next(&l), INT64_MAX);
	/* Idle, then new bytes: a new burst starts when they come. */
	vt_emu_line_push(&l, b, 2, 3000 * MS);
	cr_assert_eq(vt_emu_line_due(&l, 3000 * MS), 1);
	vt_emu_line_free(&l);
}

Test(emulate_line, a_busy_line_queues_and_noise_cuts_in)
{
	struct vt_emu_line l;
	cr_assert_eq(vt_emu_line_init(&l, 9600, 10.0, 8), 0); /* 10x: 104.17 us a byte */
	uint8_t a[6] = {1, 1, 1, 1, 1, 1}, b[4] = {2, 2, 2, 2}, n[2] = {9, 9};
	vt_emu_line_push(&l, a, 6, 0);
	cr_assert_eq(vt_emu_line_due(&l, 0), 1);
	vt_emu_line_consume(&l, 1);
	/* Still sending: the next bytes wait their turn, whatever time they came. */
	cr_assert_eq(vt_emu_line_push(&l, b, 4, 10000), 1, "one byte does not fit");
	cr_assert_eq(vt_emu_line_next(&l), 104167);
	cr_assert_eq(vt_emu_line_inject(&l, n, 2, 20000), 2, "full: the noise is lost");
	vt_emu_line_consume(&l, 2);
	cr_assert_eq(vt_emu_line_inject(&l, n, 2, 20000), 0);
	cr_assert_eq(l.buf[0], 9);
	cr_assert_eq(l.buf[1], 9);
	cr_assert_eq(l.buf[2], 1);
	vt_emu_line_free(&l);
}

/* ---- fault lists ---- */

Test(emulate_faults, lists_units_and_pairing)
{
	int64_t *at = NULL, *dur = NULL, *bytes = NULL;
	size_t n_at = 0, n_dur = 0, n_bytes = 0;
	char err[128];
	cr_assert_eq(vt_emu_parse_list("10,40.5", false, &at, &n_at, err, sizeof(err)), 0);
	cr_assert_eq(vt_emu_parse_list("90", false, &at, &n_at, err, sizeof(err)), 0);
	cr_assert_eq(n_at, 3);
	cr_assert_eq(at[0], 10 * SEC);
	cr_assert_eq(at[1], 40 * SEC + 500 * MS);
	cr_assert_eq(at[2], 90 * SEC);
	cr_assert_eq(vt_emu_parse_list("250ms,2s", false, &dur, &n_dur, err, sizeof(err)), 0);
	cr_assert_eq(dur[0], 250 * MS);
	cr_assert_eq(dur[1], 2 * SEC);
	cr_assert_neq(vt_emu_parse_list("x", false, &dur, &n_dur, err, sizeof(err)), 0);
	cr_assert_neq(vt_emu_parse_list("1,,2", false, &dur, &n_dur, err, sizeof(err)), 0);
	cr_assert_neq(vt_emu_parse_list("-1", false, &dur, &n_dur, err, sizeof(err)), 0);
	cr_assert_neq(vt_emu_parse_list("1.5", true, &bytes, &n_bytes, err, sizeof(err)), 0);
	cr_assert_eq(vt_emu_parse_list("64", true, &bytes, &n_bytes, err, sizeof(err)), 0);

	struct vt_emu_faults f = {0};
	/* Three unplugs, two durations: the third lasts as long as the second. */
	cr_assert_eq(vt_emu_faults_add(&f, VT_EMU_UNPLUG, at, 3, dur, 2, 5 * SEC, err, sizeof(err)), 0);
	cr_assert_eq(vt_emu_faults_add(&f, VT_EMU_NOISE, at, 1, NULL, 0, 16, err, sizeof(err)), 0);
	cr_assert_eq(vt_emu_faults_add(&f, VT_EMU_SENSOR_OFF, at + 1, 1, NULL, 0, 10 * SEC, err,
	                               sizeof(err)), 0);
	cr_assert_eq(f.n, 9);
	for (size_t i = 1; i < f.n; i++)
		cr_assert_leq(f.ev[i - 1].t_ns, f.ev[i].t_ns, "sorted");
	cr_assert_eq(f.ev[0].fault, VT_EMU_UNPLUG);
	cr_assert_eq(f.ev[1].fault, VT_EMU_NOISE);
	cr_assert_eq(f.ev[1].bytes, 16);
	cr_assert_eq(f.ev[2].fault, VT_EMU_REPLUG);
	cr_assert_eq(f.ev[2].t_ns, 10 * SEC + 250 * MS);
	cr_assert_eq(f.ev[f.n - 1].fault, VT_EMU_REPLUG);
	cr_assert_eq(f.ev[f.n - 1].t_ns, 92 * SEC);
	cr_assert(!vt_emu_faults_sensor_off(&f, 40 * SEC));
	cr_assert(vt_emu_faults_sensor_off(&f, 40 * SEC + 500 * MS));
	cr_assert(vt_emu_faults_sensor_off(&f, 50 * SEC));
	cr_assert(!vt_emu_faults_sensor_off(&f, 50 * SEC + 500 * MS));
	/* More durations than times is a mistake worth saying. */
	cr_assert_neq(vt_emu_faults_add(&f, VT_EMU_UNPLUG, at, 1, dur, 2, 0, err, sizeof(err)), 0);
	vt_emu_faults_free(&f);
	free(at);
	free(dur);
	free(bytes);
}

/* ---- player ---- */

static struct vt_emu_recording
small_recording(void)
{
	static struct vt_emu_row rows[3];
	memset(rows, 0, sizeof(rows));
	for (int i = 0; i < 3; i++) {
		rows[i].t_ms = 100000 + i * 1000; /* a recording that starts at t = 100 s */
		vt_reading_set(&rows[i].r, VT_SPO2, 90 + i);
		vt_reading_set(&rows[i].r, VT_PR, 60 + i);
	}
	return (struct vt_emu_recording){.kind = VT_EMU_CSV, .rows = rows, .n_rows = 3};
}

Test(emulate_player, nonin_packets_every_third_of_a_second_and_looping)
{
	struct vt_emu_recording rec = small_recording();
	struct vt_emu_player *p = malloc(sizeof(*p));
	vt_emu_player_init(p, &rec, vt_encoder_find("nonin-df7"), NULL, true, 0, 0);
	uint8_t out[VT_ENCODE_MAX];
	for (int k = 0; k < 12; k++) {
		int64_t t = vt_emu_player_time(p);
		cr_assert_eq(t, 100 * SEC + k * SEC / 3, "period %d at %lld", k, (long long)t);
		cr_assert_eq(vt_emu_player_next(p, false, out), 125);
		/* Rows 0, 1, 2, then again from 0 (time keeps going). */
		cr_assert_eq(out[2 * 5 + 3], 90 + (k / 3) % 3, "period %d SpO2", k);
	}
	/* Without --loop, the recording ends after its last row's second. */
	vt_emu_player_init(p, &rec, vt_encoder_find("masimo-ascii"), NULL, false, 0, 0);
	for (int k = 0; k < 3; k++)
		cr_assert_gt(vt_emu_player_next(p, k == 1, out), 0);
	cr_assert_eq(vt_emu_player_time(p), INT64_MAX);
	cr_assert_eq(vt_emu_player_next(p, false, out), 0);
	free(p);
}

Test(emulate_player, sensor_off_as_the_device_says_it)
{
	struct vt_reading r;
	memset(&r, 0, sizeof(r));
	vt_reading_set(&r, VT_SPO2, 97);
	vt_reading_set(&r, VT_PR, 70);
	vt_reading_set(&r, VT_HR, 71);
	vt_reading_set(&r, VT_RR, 14);
	vt_emu_sensor_off(&r);
	cr_assert_eq(r.valid, VT_PARAM_BIT(VT_HR) | VT_PARAM_BIT(VT_RR), "the ECG goes on");
	cr_assert(r.reported & VT_PARAM_BIT(VT_SPO2));
	cr_assert_eq(r.flags, VT_FLAG_SENSOR_OFF);
}

/*
 * A CSV's nibp_time through the player: every period that shows a cuff
 * measurement gives it the time the CSV says it was taken (the rows'
 * times, not the periods'), a repeat in a later row keeps it, and the same
 * pressures measured again are a new measurement with their own time.
 */
Test(emulate_player, a_cuff_measurement_keeps_the_time_its_csv_gives)
{
	char dir[64], path[160];
	cr_assert_eq(vt_rig_tmpdir(dir, sizeof(dir), "emu-cuff"), 0);
	cr_assert_eq(vt_rig_write_file(dir, "cuff.csv",
	                               "t,hr,nibp_sys,nibp_dia,nibp_map,nibp_time\n"
	                               "100,70,121,75,90,98\n"
	                               "102.5,70,121,75,90,98\n"
	                               "110,70,121,75,90,110\n"
	                               "116,70,,,,\n",
	                               path, sizeof(path)),
	             0);
	struct vt_emu_recording rec;
	struct vt_diag diag = {0};
	cr_assert_eq(vt_emu_recording_load(&rec, path, &diag), 0);
	vt_diag_clear(&diag);
	struct vt_emu_player *p = malloc(sizeof(*p));
	int64_t wall0;
	cr_assert_eq(vt_time_parse("2026-11-21T10:00:00Z", &wall0), 0);
	vt_emu_player_init(p, &rec, vt_encoder_find("hl7-mllp"), NULL, false, wall0, 0);
	/* Periods of 5 s at 100, 105, 110 and 115 s of the recording. */
	static const char *const taken[] = {"20261121095958", "20261121095958", "20261121100010",
	                                    "20261121100010"};
	uint8_t out[VT_ENCODE_MAX + 1];
	for (int k = 0; k < 4; k++) {
		size_t n = vt_emu_player_next(p, false, out);
		cr_assert_gt(n, 0);
		out[n] = '\0';
		const char *obx = strstr((char *)out, "MDC_PRESS_BLD_NONINV_SYS");
		cr_assert_not_null(obx, "period %d: %s", k, out);
		char want[40];
		snprintf(want, sizeof(want), "|R|||%s+0000|||^APERIODIC", taken[k]);
		cr_expect(strstr(obx, want) != NULL, "period %d: want %s in %s", k, want, obx);
	}
	free(p);
	vt_emu_recording_free(&rec);
	vt_rig_rmtree(dir);
}

/* ---- the program ---- */

/* The fixture: 40 s of a desaturation, looping (tests/data/scenarios/emulator.yaml). */
#define FIXTURE "tests/data/scenarios/emulator.yaml"

static void
fixture_path(char *dst, size_t len)
{
	snprintf(dst, len, "%s", vt_rig_scenario_csv(FIXTURE));
}

/* A running emulator, with a temporary directory for its link and its log. */
struct emu {
	struct vt_rig_child p;
	char dir[64];
	char link[128];
};

/* Start vitals-emulate with `args` (NULL-terminated); "@LINK" stands for the link. */
static void
emu_start(struct emu *e, const char *const *args)
{
	memset(e, 0, sizeof(*e));
	cr_assert_eq(vt_rig_tmpdir(e->dir, sizeof(e->dir), "emulate"), 0);
	snprintf(e->link, sizeof(e->link), "%s/monitor", e->dir);
	char log[128];
	snprintf(log, sizeof(log), "%s/stderr", e->dir);
	const char *argv[40];
	int argc = 0;
	for (size_t i = 0; args[i] != NULL && argc < 39; i++)
		argv[argc++] = strcmp(args[i], "@LINK") == 0 ? e->link : args[i];
	argv[argc] = NULL;
	cr_assert_eq(vt_rig_emulate(&e->p, log, argv, 0), 0);
}

/* How many lines of the emulator's log contain `what`. */
static int
emu_log_count(const struct emu *e, const char *what)
{
	FILE *fp = fopen(e->p.log, "r");
	if (fp == NULL)
		return 0;
	char line[512];
	int n = 0;
	while (fgets(line, sizeof(line), fp))
		n += strstr(line, what) != NULL;
	fclose(fp);
	return n;
}

/* Wait until a line of the emulator's log contains `what` (inotify: no polling loop). */
static bool
emu_wait_log(const struct emu *e, const char *what, int timeout_ms)
{
	int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	cr_assert_geq(in, 0);
	cr_assert_geq(inotify_add_watch(in, e->p.log, IN_MODIFY), 0);
	int64_t end = vt_rig_now_ms() + timeout_ms;
	bool found;
	while (!(found = emu_log_count(e, what) > 0)) {
		int64_t left = end - vt_rig_now_ms();
		if (left <= 0)
			break;
		struct pollfd pfd = {.fd = in, .events = POLLIN};
		if (poll(&pfd, 1, (int)left) > 0) {
			char ev[4096];
			while (read(in, ev, sizeof(ev)) > 0)
				;
		}
	}
	close(in);
	return found;
}

/* Stop it (SIGTERM, and SIGKILL only if it will not go) and clean up. */
static void
emu_stop(struct emu *e)
{
	vt_rig_child_stop(&e->p, SIGTERM, DEADLINE_MS);
	vt_rig_rmtree(e->dir);
}

/* A driver reading a descriptor. */
struct rx {
	int fd;
	const struct vt_driver *d;
	void *state;
	struct vt_reading r[2048];
	size_t n;
	bool hangup;
};

static void
rx_on_reading(void *ctx, const struct vt_reading *r)
{
	struct rx *x = ctx;
	if (x->n < sizeof(x->r) / sizeof(x->r[0]))
		x->r[x->n++] = *r;
}

static void
rx_init(struct rx *x, const char *protocol, int fd)
{
	memset(x, 0, sizeof(*x));
	x->fd = fd;
	x->d = vt_driver_find(protocol);
	cr_assert_not_null(x->d);
	x->state = calloc(1, x->d->state_size + 64);
	x->d->reset(x->state, NULL);
}

/*
 * Read and decode until `want` readings (counted from now) or a hang-up
 * (read returns 0 or fails with EIO, poll says POLLHUP). True if the wanted
 * thing happened before the deadline.
 */
static bool
rx_until(struct rx *x, size_t want, bool until_hangup, int timeout_ms)
{
	struct vt_driver_sink sink = {.reading = rx_on_reading, .ctx = x};
	size_t goal = x->n + want;
	int64_t end = vt_rig_now_ms() + timeout_ms;
	while (until_hangup ? !x->hangup : x->n < goal) {
		if (x->hangup)
			return false;
		int64_t left = end - vt_rig_now_ms();
		if (left <= 0)
			return false;
		struct pollfd pfd = {.fd = x->fd, .events = POLLIN};
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		uint8_t buf[4096];
		ssize_t r = read(x->fd, buf, sizeof(buf));
		if (r > 0) {
			x->d->feed(x->state, buf, (size_t)r, &sink);
		} else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
			x->hangup = true;
		} else if (pfd.revents & POLLHUP) {
			x->hangup = true;
		}
	}
	return true;
}

static void
rx_free(struct rx *x)
{
	free(x->state);
	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
}

static int
open_pty(const char *link)
{
	int fd = open(link, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	cr_assert_geq(fd, 0, "open %s: %s", link, strerror(errno));
	return fd;
}

/* The fixture's values as each period of `protocol` shows them, in order. */
static size_t
expected(const char *protocol, struct vt_reading *want, size_t max)
{
	char path[1024];
	fixture_path(path, sizeof(path));
	struct vt_diag diag = {0};
	struct vt_csv_file *f = vt_csv_file_open(path, &diag);
	cr_assert_not_null(f);
	struct vt_reading rows[64];
	int64_t t;
	size_t n = 0;
	while (n < 64 && vt_csv_file_next(f, &t, &rows[n], &diag) == 1)
		n++;
	vt_csv_file_close(&f);
	cr_assert_eq(n, 40);
	const struct vt_encoder *e = vt_encoder_find(protocol);
	/* Periods per second as a fraction: 3/1 for DF#7, 1/2 for Nellcor. */
	size_t m = 0;
	for (uint64_t k = 0;; k++) {
		uint64_t ms = k * (uint64_t)e->period_num_ms / (uint64_t)e->period_den;
		if (ms >= 40000)
			break;
		cr_assert_lt(m, max);
		want[m++] = rows[ms / 1000];
	}
	return m;
}

static int
shown(const struct vt_reading *r, enum vt_param p)
{
	return (r->valid & VT_PARAM_BIT(p)) ? (int)lround(r->value[p]) : -1;
}

static bool
same(const struct vt_reading *a, const struct vt_reading *b)
{
	return shown(a, VT_SPO2) == shown(b, VT_SPO2) && shown(a, VT_PR) == shown(b, VT_PR);
}

/*
 * Every decoded reading is the fixture's next period (cyclically, as
 * --loop plays it). A test reader that falls behind may lose bytes as a
 * real one would; that may happen at most twice, and every reading must
 * still be one the fixture holds.
 */
static void
check_sequence(const struct rx *x, size_t from, const char *protocol)
{
	static struct vt_reading want[200];
	size_t m = expected(protocol, want, 200);
	long pos = -1;
	int slips = 0;
	for (size_t k = from; k < x->n; k++) {
		if (pos >= 0 && same(&x->r[k], &want[(size_t)(pos + 1) % m])) {
			pos = (pos + 1) % (long)m;
			continue;
		}
		/* Find where it is: the start of the longest agreeing run. */
		long best = -1;
		size_t best_len = 0;
		for (size_t j = 0; j < m; j++) {
			size_t len = 0;
			while (k + len < x->n && len < m && same(&x->r[k + len], &want[(j + len) % m]))
				len++;
			if (len > best_len) {
				best_len = len;
				best = (long)j;
			}
		}
		cr_assert_geq(best, 0, "%s reading %zu (SpO2 %d, PR %d) is not in the fixture", protocol,
		              k, shown(&x->r[k], VT_SPO2), shown(&x->r[k], VT_PR));
		if (pos >= 0)
			slips++;
		pos = best;
	}
	cr_assert_leq(slips, 2, "%s: readings out of order %d times", protocol, slips);
}

struct proto_case {
	const char *name;
	const char *speed;
	size_t readings; /* more than one pass of the fixture */
};

static void
pty_protocol(const struct proto_case *c)
{
	char fixture[1024];
	fixture_path(fixture, sizeof(fixture));
	const char *args[] = {"--protocol", c->name, "--pty", "@LINK", "--speed", c->speed, "--loop",
	                      "--start-time", "2026-11-21T10:00:00Z", fixture, NULL};
	struct emu e;
	emu_start(&e, args);
	cr_assert(vt_rig_child_line(&e.p, DEADLINE_MS), "no slave path printed");
	cr_assert(strncmp(e.p.line, "/dev/pts/", 9) == 0, "printed %s", e.p.line);
	char target[128] = "";
	cr_assert_gt(readlink(e.link, target, sizeof(target) - 1), 0);
	cr_assert_str_eq(target, e.p.line);
	struct rx x;
	rx_init(&x, c->name, open_pty(e.link));
	cr_assert(rx_until(&x, c->readings, false, 3 * DEADLINE_MS), "%s: %zu readings", c->name, x.n);
	check_sequence(&x, 0, c->name);
	/* No device conditions, but for the Nellcor's own limit alarms
	 * (its 85 % low limit; the fixture stays at 80-84 %). */
	for (size_t k = 0; k < x.n; k++)
		cr_assert_eq(x.r[k].flags & ~(uint32_t)VT_FLAG_DEVICE_ALARM, 0,
		             "%s reading %zu flags %#x", c->name, k, x.r[k].flags);
	rx_free(&x);
	emu_stop(&e);
	cr_assert_eq(e.p.status, 0);
	struct stat st;
	cr_assert_neq(lstat(e.link, &st), 0, "the link is removed on exit");
}

Test(emulate_pty, masimo_values_arrive_in_order, .timeout = 60)
{
	pty_protocol(&(struct proto_case){"masimo-ascii", "20", 50});
}

Test(emulate_pty, nonin_df7_values_arrive_in_order, .timeout = 60)
{
	pty_protocol(&(struct proto_case){"nonin-df7", "20", 150});
}

Test(emulate_pty, nonin_df2_values_arrive_in_order, .timeout = 60)
{
	pty_protocol(&(struct proto_case){"nonin-df2", "20", 150});
}

Test(emulate_pty, nonin_df8_values_arrive_in_order, .timeout = 60)
{
	pty_protocol(&(struct proto_case){"nonin-df8", "20", 50});
}

Test(emulate_pty, nellcor_values_arrive_in_order, .timeout = 60)
{
	pty_protocol(&(struct proto_case){"nellcor-ascii", "40", 25});
}

/* A scenario played directly sends what its CSV holds. */
Test(emulate_pty, a_scenario_plays_as_its_csv, .timeout = 60)
{
	const char *args[] = {"--protocol", "masimo-ascii", "--pty", "@LINK", "--speed", "20", "--loop",
	                      "--scenario", FIXTURE, NULL};
	struct emu e;
	emu_start(&e, args);
	cr_assert(vt_rig_child_line(&e.p, DEADLINE_MS), "no slave path printed");
	struct rx x;
	rx_init(&x, "masimo-ascii", open_pty(e.link));
	cr_assert(rx_until(&x, 50, false, 3 * DEADLINE_MS), "%zu readings", x.n);
	check_sequence(&x, 0, "masimo-ascii"); /* against the CSV of the same scenario */
	for (size_t k = 0; k < x.n; k++)
		cr_assert_eq(x.r[k].flags, 0, "reading %zu flags %#x", k, x.r[k].flags);
	rx_free(&x);
	emu_stop(&e);
	cr_assert_eq(e.p.status, 0);
}

Test(emulate_pty, sigusr1_unplugs_and_sigusr2_replugs, .timeout = 60)
{
	char fixture[1024];
	fixture_path(fixture, sizeof(fixture));
	const char *args[] = {"--protocol", "masimo-ascii", "--pty", "@LINK", "--speed", "10",
	                      "--loop", fixture, NULL};
	struct emu e;
	emu_start(&e, args);
	cr_assert(vt_rig_child_line(&e.p, DEADLINE_MS));
	char first[512];
	strcpy(first, e.p.line);
	struct rx x;
	rx_init(&x, "masimo-ascii", open_pty(e.link));
	cr_assert(rx_until(&x, 2, false, DEADLINE_MS));

	kill(e.p.pid, SIGUSR1);
	cr_assert(rx_until(&x, 0, true, DEADLINE_MS), "the reader sees the hang-up");
	struct stat st;
	cr_assert_neq(lstat(e.link, &st), 0, "unplugged: the link is gone");
	rx_free(&x);

	kill(e.p.pid, SIGUSR2);
	cr_assert(vt_rig_child_line(&e.p, DEADLINE_MS), "a new slave path is printed");
	cr_assert(strncmp(e.p.line, "/dev/pts/", 9) == 0);
	char target[128] = "";
	cr_assert_gt(readlink(e.link, target, sizeof(target) - 1), 0);
	cr_assert_str_eq(target, e.p.line, "the link points at the new pty");
	rx_init(&x, "masimo-ascii", open_pty(e.link));
	cr_assert(rx_until(&x, 3, false, DEADLINE_MS), "the new pty works");
	check_sequence(&x, 0, "masimo-ascii");
	rx_free(&x);
	cr_assert_eq(emu_log_count(&e, "unplugged (SIGUSR1)"), 1);
	cr_assert_eq(emu_log_count(&e, "plugged in"), 2);
	emu_stop(&e);
	cr_assert_eq(e.p.status, 0);
}

Test(emulate_pty, scheduled_unplug_and_replug, .timeout = 60)
{
	char fixture[1024];
	fixture_path(fixture, sizeof(fixture));
	/* At 10x, recording second 35 comes 3.5 s after the start: time for a busy machine to open it. */
	const char *args[] = {"--protocol", "nonin-df8", "--pty", "@LINK", "--speed", "10", "--loop",
	                      "--unplug-at", "35", "--unplug-for", "3", fixture, NULL};
	struct emu e;
	emu_start(&e, args);
	cr_assert(vt_rig_child_line(&e.p, DEADLINE_MS));
	struct rx x;
	rx_init(&x, "nonin-df8", open_pty(e.link));
	cr_assert(rx_until(&x, 0, true, DEADLINE_MS), "hang-up at t=35");
	rx_free(&x);
	cr_assert(vt_rig_child_line(&e.p, DEADLINE_MS), "replugged at t=38");
	rx_init(&x, "nonin-df8", open_pty(e.link));
	cr_assert(rx_until(&x, 3, false, DEADLINE_MS));
	rx_free(&x);
	cr_assert_eq(emu_log_count(&e, "unplugged (scheduled)"), 1);
	cr_assert_eq(emu_log_count(&e, "plugged in"), 2);
	emu_stop(&e);
}

/* The recording time of the last log line that contains `what`, or -1. */
static double
emu_log_time(const struct emu *e, const char *what)
{
	FILE *fp = fopen(e->p.log, "r");
	if (fp == NULL)
		return -1;
	char line[512];
	double t = -1;
	while (fgets(line, sizeof(line), fp))
		if (strstr(line, what) != NULL)
			sscanf(line, "vitals-emulate: t=%lf", &t);
	fclose(fp);
	return t;
}

Test(emulate_pty, overlapping_unplugs_replug_when_the_last_ends, .timeout = 60)
{
	char fixture[1024];
	fixture_path(fixture, sizeof(fixture));
	/* Unplugged 10-20 and 12-14: one unplug, one replug at 20. */
	const char *args[] = {"--protocol", "masimo-ascii", "--pty", "@LINK", "--speed", "20",
	                      "--unplug-at", "10,12", "--unplug-for", "10s,2s", fixture, NULL};
	struct emu e;
	emu_start(&e, args);
	cr_assert_eq(vt_rig_child_wait(&e.p, DEADLINE_MS), 0, "plays to the end");
	cr_assert_eq(emu_log_count(&e, "unplugged (scheduled)"), 1);
	cr_assert_eq(emu_log_count(&e, "plugged in"), 2);
	double t = emu_log_time(&e, "plugged in");
	cr_assert(t >= 19.9 && t < 40, "replugged at t=%.3f, not at 14", t);
	emu_stop(&e);
}

Test(emulate_pty, sensor_off_and_noise, .timeout = 60)
{
	char fixture[1024];
	fixture_path(fixture, sizeof(fixture));
	const char *args[] = {"--protocol", "masimo-ascii", "--pty", "@LINK", "--speed", "10",
	                      "--noise-at", "15", "--noise-bytes", "300",
	                      "--sensor-off-at", "20", "--sensor-off-for", "5", fixture, NULL};
	struct emu e;
	emu_start(&e, args);
	cr_assert(vt_rig_child_line(&e.p, DEADLINE_MS));
	struct rx x;
	rx_init(&x, "masimo-ascii", open_pty(e.link));
	/* Without --loop the recording ends at t=40 and the emulator goes away. */
	cr_assert(rx_until(&x, 0, true, 3 * DEADLINE_MS), "end of recording");
	int off = 0, after = 0;
	for (size_t k = 0; k < x.n; k++) {
		if (x.r[k].flags & VT_FLAG_SENSOR_OFF) {
			cr_assert_eq(shown(&x.r[k], VT_SPO2), -1, "sensor off: no SpO2");
			cr_assert_eq(shown(&x.r[k], VT_PR), -1);
			cr_assert_eq(shown(&x.r[k], VT_PI), -1);
			off++;
		} else if (off > 0) {
			cr_assert_geq(shown(&x.r[k], VT_SPO2), 80, "values come back");
			after++;
		}
	}
	cr_assert_eq(off, 5, "t = 20 .. 24");
	cr_assert_gt(after, 10);
	struct vt_driver_stats st;
	x.d->stats(x.state, &st);
	cr_assert_gt(st.dropped + st.discarded, 0, "the noise was seen");
	rx_free(&x);
	cr_assert_eq(vt_rig_child_wait(&e.p, DEADLINE_MS), 0);
	cr_assert_eq(emu_log_count(&e, "noise: 300 random bytes"), 1);
	cr_assert_eq(emu_log_count(&e, "sensor off"), 1);
	cr_assert_eq(emu_log_count(&e, "sensor back on"), 1);
	cr_assert_eq(emu_log_count(&e, "end of recording"), 1);
	emu_stop(&e);
}

Test(emulate_pty, a_reader_that_stops_reading_does_not_wedge_it, .timeout = 60)
{
	char fixture[1024];
	fixture_path(fixture, sizeof(fixture));
	const char *args[] = {"--protocol", "nonin-df7", "--pty", "@LINK", "--speed", "40", "--loop",
	                      fixture, NULL};
	struct emu e;
	emu_start(&e, args);
	cr_assert(vt_rig_child_line(&e.p, DEADLINE_MS));
	int fd = open_pty(e.link);
	/* Read nothing until the emulator says it is losing bytes: the pty
	 * buffer is full and it has gone on without us. */
	cr_assert(emu_wait_log(&e, "not keeping up", DEADLINE_MS));
	/* Then it still answers at once, and fresh packets follow the stale ones. */
	struct rx x;
	rx_init(&x, "nonin-df7", fd);
	cr_assert(rx_until(&x, 60, false, DEADLINE_MS));
	rx_free(&x);
	kill(e.p.pid, SIGTERM);
	cr_assert_eq(vt_rig_child_wait(&e.p, DEADLINE_MS), 0, "stops promptly on SIGTERM");
	struct stat st;
	cr_assert_neq(lstat(e.link, &st), 0);
	emu_stop(&e);
}

Test(emulate_pty, raw_capture_is_played_byte_for_byte, .timeout = 60)
{
	/* A capture made with the encoder, played back as raw bytes. */
	char dir[64];
	cr_assert_eq(vt_rig_tmpdir(dir, sizeof(dir), "raw"), 0);
	char path[128];
	snprintf(path, sizeof(path), "%s/capture.bin", dir);
	static struct vt_reading want[64];
	size_t m = expected("masimo-ascii", want, 64);
	const struct vt_encoder *enc = vt_encoder_find("masimo-ascii");
	_Alignas(max_align_t) unsigned char state[VT_ENCODE_STATE_MAX];
	enc->reset(state, NULL);
	FILE *fp = fopen(path, "wb");
	for (size_t i = 0; i < m; i++) {
		uint8_t out[VT_ENCODE_MAX];
		size_t n = enc->encode(state, &want[i], (int64_t)i * 1000, out, sizeof(out));
		fwrite(out, 1, n, fp);
	}
	fclose(fp);
	const char *args[] = {"--pty", "@LINK", "--speed", "10", "--baud", "9600", "--loop", path,
	                      NULL};
	struct emu e;
	emu_start(&e, args);
	cr_assert(vt_rig_child_line(&e.p, DEADLINE_MS));
	struct rx x;
	rx_init(&x, "masimo-ascii", open_pty(e.link));
	/* 127-byte lines at 960 bytes/s x 10: about 75 a second. */
	cr_assert(rx_until(&x, 50, false, DEADLINE_MS));
	check_sequence(&x, 0, "masimo-ascii");
	rx_free(&x);
	emu_stop(&e);
	cr_assert_eq(e.p.status, 0);
	unlink(path);
	rmdir(dir);
}

Test(emulate_pty, session_recording_is_played_with_its_timing, .timeout = 60)
{
	/* A session written by the daemon's recorder, one Masimo line a second. */
	char dir[64];
	cr_assert_eq(vt_rig_tmpdir(dir, sizeof(dir), "session"), 0);
	static struct vt_reading want[64];
	size_t m = expected("masimo-ascii", want, 64);
	const struct vt_encoder *enc = vt_encoder_find("masimo-ascii");
	_Alignas(max_align_t) unsigned char state[VT_ENCODE_STATE_MAX];
	enc->reset(state, NULL);
	struct vt_rec_info info = {.bed = "chair-1", .port = "/dev/ttyUSB0",
	                           .protocol = "masimo-ascii", .baud = 9600};
	char err[256];
	int64_t t0 = 1795000000000;
	struct vt_recorder *rec = vt_recorder_open(dir, &info, t0, err, sizeof(err));
	cr_assert_not_null(rec, "%s", err);
	cr_assert_eq(vt_recorder_event(rec, t0, VT_REC_OPEN, NULL, 0, NULL, err, sizeof(err)), 0);
	for (size_t i = 0; i < m; i++) {
		uint8_t out[VT_ENCODE_MAX];
		size_t n = enc->encode(state, &want[i], t0 + (int64_t)i * 1000, out, sizeof(out));
		cr_assert_eq(vt_recorder_event(rec, t0 + 5 + (int64_t)i * 1000, VT_REC_DATA, out, n, NULL,
		                               err, sizeof(err)),
		             0, "%s", err);
	}
	char path[256];
	snprintf(path, sizeof(path), "%s", vt_recorder_path(rec));
	vt_recorder_close(&rec);
	const char *args[] = {"--pty", "@LINK", "--speed", "20", "--loop", path, NULL};
	struct emu e;
	emu_start(&e, args);
	cr_assert(vt_rig_child_line(&e.p, DEADLINE_MS));
	struct rx x;
	rx_init(&x, "masimo-ascii", open_pty(e.link));
	cr_assert(rx_until(&x, 20, false, DEADLINE_MS));
	check_sequence(&x, 0, "masimo-ascii");
	rx_free(&x);
	emu_stop(&e);
	cr_assert_eq(e.p.status, 0);
	unlink(path);
	char sub[160];
	snprintf(sub, sizeof(sub), "%s/chair-1", dir);
	rmdir(sub);
	rmdir(dir);
}

/* ---- TCP ---- */

static int
tcp_connect(const char *hostport, bool expect_refused)
{
	const char *colon = strrchr(hostport, ':');
	cr_assert_not_null(colon);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	int rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (expect_refused) {
		cr_assert(rc != 0 && errno == ECONNREFUSED, "connect while unplugged: %s",
		          rc == 0 ? "accepted" : strerror(errno));
		close(fd);
		return -1;
	}
	cr_assert_eq(rc, 0, "connect %s: %s", hostport, strerror(errno));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

Test(emulate_tcp, streams_to_a_client_and_unplugs, .timeout = 60)
{
	char fixture[1024];
	fixture_path(fixture, sizeof(fixture));
	const char *args[] = {"--protocol", "nellcor-ascii", "--tcp", "127.0.0.1:0", "--speed", "40",
	                      "--loop", fixture, NULL};
	struct emu e;
	emu_start(&e, args);
	cr_assert(vt_rig_child_line(&e.p, DEADLINE_MS), "the bound address is printed");
	cr_assert(strncmp(e.p.line, "127.0.0.1:", 10) == 0, "printed %s", e.p.line);
	cr_assert_neq(atoi(e.p.line + 10), 0, "an ephemeral port was chosen");
	char addr[sizeof(e.p.line)];
	snprintf(addr, sizeof(addr), "%s", e.p.line);

	struct rx x;
	rx_init(&x, "nellcor-ascii", tcp_connect(addr, false));
	cr_assert(rx_until(&x, 25, false, DEADLINE_MS));
	check_sequence(&x, 0, "nellcor-ascii");

	kill(e.p.pid, SIGUSR1);
	cr_assert(rx_until(&x, 0, true, DEADLINE_MS), "the connection ends");
	rx_free(&x);
	/* The listener closed before the connection: reconnects are refused. */
	tcp_connect(addr, true);
	cr_assert_eq(emu_log_count(&e, "unplugged (SIGUSR1)"), 1);

	kill(e.p.pid, SIGUSR2);
	cr_assert(vt_rig_child_line(&e.p, DEADLINE_MS));
	cr_assert_str_eq(e.p.line, addr, "the same port again");
	rx_init(&x, "nellcor-ascii", tcp_connect(addr, false));
	cr_assert(rx_until(&x, 5, false, DEADLINE_MS));
	check_sequence(&x, 0, "nellcor-ascii");
	rx_free(&x);
	emu_stop(&e);
	cr_assert_eq(e.p.status, 0);
}

/* ---- the command line ---- */

static int
run_to_end(const char *const *args, struct emu *e)
{
	emu_start(e, args);
	return vt_rig_child_wait(&e->p, DEADLINE_MS);
}

Test(emulate_cli, help_and_usage_errors)
{
	struct emu e;
	const char *help[] = {"--help", NULL};
	cr_assert_eq(run_to_end(help, &e), 0);
	emu_stop(&e);

	char fixture[1024];
	fixture_path(fixture, sizeof(fixture));
	const char *no_port[] = {"--protocol", "masimo-ascii", fixture, NULL};
	cr_assert_eq(run_to_end(no_port, &e), 64);
	cr_assert_eq(emu_log_count(&e, "--pty LINK, --tcp HOST:PORT, --udp HOST:PORT, --mllp HOST:PORT "
	                               "or --session OUT"), 1);
	emu_stop(&e);

	const char *bad_proto[] = {"--protocol", "philips", "--pty", "@LINK", fixture, NULL};
	cr_assert_eq(run_to_end(bad_proto, &e), 64);
	cr_assert_eq(emu_log_count(&e, "nellcor-ascii"), 1, "lists the protocols");
	emu_stop(&e);

	const char *bad_list[] = {"--protocol", "masimo-ascii", "--pty", "@LINK",
	                          "--unplug-at", "10,x", fixture, NULL};
	cr_assert_eq(run_to_end(bad_list, &e), 64);
	emu_stop(&e);

	const char *missing[] = {"--protocol", "masimo-ascii", "--pty", "@LINK", "/nonexistent.csv",
	                         NULL};
	cr_assert_eq(run_to_end(missing, &e), 66);
	emu_stop(&e);

	/* Only a monitor that speaks on a LAN gets --udp; --announce goes with it. */
	const char *not_lan[] = {"--protocol", "masimo-ascii", "--udp", "127.0.0.1:0", fixture, NULL};
	cr_assert_eq(run_to_end(not_lan, &e), 64);
	cr_assert_eq(emu_log_count(&e, "masimo-ascii does not speak on a LAN"), 1);
	emu_stop(&e);
	const char *lone[] = {"--protocol", "philips-mib", "--pty", "@LINK", "--announce",
	                      "127.0.0.1:24005", fixture, NULL};
	cr_assert_eq(run_to_end(lone, &e), 64);
	emu_stop(&e);

	/* A device that talks by itself has no association to drop nor checks to spoil. */
	const char *no_assoc[] = {"--protocol", "masimo-ascii", "--pty", "@LINK", "--drop-at", "5",
	                          fixture, NULL};
	cr_assert_eq(run_to_end(no_assoc, &e), 64);
	cr_assert_eq(emu_log_count(&e, "--drop-at: this device has no association"), 1);
	emu_stop(&e);
	const char *no_check[] = {"--protocol", "nonin-df7", "--pty", "@LINK", "--bad-check-at", "5",
	                          fixture, NULL};
	cr_assert_eq(run_to_end(no_check, &e), 64);
	cr_assert_eq(emu_log_count(&e, "use --noise-at"), 1);
	emu_stop(&e);
}

Test(emulate_cli, a_bad_recording_is_refused_with_file_and_line)
{
	char dir[64];
	cr_assert_eq(vt_rig_tmpdir(dir, sizeof(dir), "bad"), 0);
	char path[128];
	snprintf(path, sizeof(path), "%s/bad.csv", dir);
	FILE *fp = fopen(path, "w");
	fputs("t,spo2,pr\n0,97,60\n1,abc,60\n", fp);
	fclose(fp);
	const char *args[] = {"--protocol", "masimo-ascii", "--pty", "@LINK", path, NULL};
	struct emu e;
	cr_assert_eq(run_to_end(args, &e), 65);
	char where[160];
	snprintf(where, sizeof(where), "%s:3:", path);
	cr_assert_eq(emu_log_count(&e, where), 1, "FILE:LINE:COLUMN");
	struct stat st;
	cr_assert_neq(lstat(e.link, &st), 0, "no link made");
	emu_stop(&e);
	unlink(path);
	rmdir(dir);
}

/* ---- a session recording of the monitor (--session) ---- */

/* One event of a session file, and the readings its bytes gave the driver. */
struct sev {
	long long off;
	enum vt_rec_event ev;
	size_t bytes;
	size_t first, n; /* its readings in the collector */
};

/*
 * The events of session file `path` into out (how many), the bytes of its
 * reads fed to `protocol`'s driver, the readings into `got`.
 */
static size_t
sev_read(const char *path, const char *protocol, struct sev *out, size_t cap,
         struct vt_rig_collect *got)
{
	struct vt_diag diag = {0};
	struct vt_session_reader *sr = vt_session_open(path, &diag);
	cr_assert_not_null(sr, "%s does not read as a session recording", path);
	cr_assert_str_eq(vt_session_info(sr)->protocol, protocol);
	const struct vt_driver *d = vt_driver_find(protocol);
	void *state = calloc(1, d->state_size);
	d->reset(state, NULL);
	struct vt_driver_sink sink = vt_rig_collect_sink(got);
	int64_t start = vt_session_start(sr), t;
	enum vt_rec_event ev;
	const uint8_t *data;
	size_t len, n = 0;
	int rc;
	while ((rc = vt_session_next(sr, &t, &ev, &data, &len, &diag)) > 0) {
		/* The lines of one read share an offset: one event here. */
		bool more = n > 0 && ev == VT_REC_DATA && out[n - 1].ev == VT_REC_DATA &&
		            out[n - 1].off == t - start;
		if (!more) {
			cr_assert_lt(n, cap);
			out[n++] = (struct sev){.off = t - start, .ev = ev, .first = got->count};
		}
		if (ev == VT_REC_DATA) {
			out[n - 1].bytes += len;
			d->feed(state, data, len, &sink);
			out[n - 1].n = got->count - out[n - 1].first;
		}
	}
	cr_assert_eq(rc, 0, "%s: %s", path, diag.count ? diag.entries[0].message : "");
	vt_session_close(&sr);
	free(state);
	return n;
}

Test(emulate_session, the_monitor_bytes_at_their_times_with_the_faults)
{
	char dir[64], csv[128], out[128];
	cr_assert_eq(vt_rig_tmpdir(dir, sizeof(dir), "session"), 0);
	snprintf(csv, sizeof(csv), "%s/rows.csv", dir);
	snprintf(out, sizeof(out), "%s/ivy.vsr", dir);
	FILE *fp = fopen(csv, "w");
	cr_assert_not_null(fp);
	fprintf(fp, "t,spo2,pr,hr,rr\n");
	for (int t = 0; t < 20; t++)
		fprintf(fp, "%d,97,%d,%d,14\n", t, 60 + t, 60 + t);
	fclose(fp);
	/* Unplugged from 5 s to 8 s, noise at 12.5 s, mute from 15 s to 17 s. */
	const char *args[] = {"--protocol", "ivy-ansarb", "--start-time", "2026-11-21T10:00:00Z",
	                      "--session", out, "--unplug-at", "5", "--unplug-for", "3",
	                      "--noise-at", "12.5", "--noise-bytes", "40", "--mute-at", "15",
	                      "--mute-for", "2", csv, NULL};
	struct emu e;
	cr_assert_eq(run_to_end(args, &e), 0);
	emu_stop(&e);

	struct sev ev[64];
	struct vt_rig_collect got = {0};
	size_t n = sev_read(out, "ivy-ansarb", ev, 64, &got);
	struct vt_diag diag = {0};
	struct vt_session_reader *sr = vt_session_open(out, &diag);
	char when[VT_TIME_BUFSZ];
	cr_assert_str_eq(vt_time_format(vt_session_start(sr), when), "2026-11-21T10:00:00.000Z");
	cr_expect_eq(vt_session_info(sr)->baud, 9600);
	vt_session_close(&sr);

	/* What must be there, in order: each second's message with that second's
	 * row, but for the unplug and the mute, and the noise between two. */
	static const struct {
		long long off;
		enum vt_rec_event ev;
	} want[] = {{0, VT_REC_OPEN},      {0, VT_REC_DATA},     {1000, VT_REC_DATA},
	            {2000, VT_REC_DATA},   {3000, VT_REC_DATA},  {4000, VT_REC_DATA},
	            {5000, VT_REC_LOST},   {8000, VT_REC_OPEN},  {8000, VT_REC_DATA},
	            {9000, VT_REC_DATA},   {10000, VT_REC_DATA}, {11000, VT_REC_DATA},
	            {12000, VT_REC_DATA},  {12500, VT_REC_DATA}, {13000, VT_REC_DATA},
	            {14000, VT_REC_DATA},  {17000, VT_REC_DATA}, {18000, VT_REC_DATA},
	            {19000, VT_REC_DATA}};
	size_t nwant = sizeof(want) / sizeof(want[0]);
	for (size_t i = 0; i < n; i++)
		cr_log_info("event %zu: %lld %s, %zu bytes, %zu readings", i, ev[i].off,
		            vt_rec_event_name(ev[i].ev), ev[i].bytes, ev[i].n);
	cr_assert_eq(n, nwant, "%zu events", n);
	for (size_t i = 0; i < nwant; i++) {
		cr_assert_eq(ev[i].off, want[i].off, "event %zu at %lld", i, ev[i].off);
		cr_assert_eq(ev[i].ev, want[i].ev, "event %zu is %s", i, vt_rec_event_name(ev[i].ev));
		if (ev[i].ev != VT_REC_DATA)
			continue;
		if (ev[i].off == 12500) {
			cr_expect_eq(ev[i].bytes, 40, "the noise");
			cr_expect_eq(ev[i].n, 0, "noise decoded as a reading");
			continue;
		}
		cr_assert_eq(ev[i].n, 1, "%lld ms: one message, one reading", ev[i].off);
		const struct vt_reading *r = &got.readings[ev[i].first];
		double hr = 60 + (double)ev[i].off / 1000;
		cr_expect_eq(r->value[VT_HR], hr, "%lld ms: HR %g", ev[i].off, r->value[VT_HR]);
		cr_expect_eq(r->value[VT_PR], hr);
	}
	vt_rig_collect_free(&got);
	vt_rig_rmtree(dir);
}

Test(emulate_session, refused_where_it_cannot_be_written)
{
	char fixture[1024];
	fixture_path(fixture, sizeof(fixture));
	struct emu e;
	/* A polled monitor sends what its host asks: no host here. */
	const char *polled[] = {"--protocol", "philips-mib", "--session", "/dev/null", fixture, NULL};
	cr_assert_eq(run_to_end(polled, &e), 64);
	cr_assert_eq(emu_log_count(&e, "philips-mib sends what its host asks for"), 1);
	emu_stop(&e);
	const char *forever[] = {"--protocol", "ivy-ansarb", "--session", "/dev/null", "--loop",
	                         fixture, NULL};
	cr_assert_eq(run_to_end(forever, &e), 64);
	cr_assert_eq(emu_log_count(&e, "--loop would never end"), 1);
	emu_stop(&e);
	const char *nowhere[] = {"--protocol", "ivy-ansarb", "--session", "/nonexistent/x.vsr",
	                         fixture, NULL};
	cr_assert_eq(run_to_end(nowhere, &e), 73);
	emu_stop(&e);
}

/* ---- an HL7 monitor (--mllp) ---- */

/* A listener on 127.0.0.1 standing in for vitalsd; its port into *port. */
static int
mllp_listener(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(fd, 2), 0);
	socklen_t len = sizeof(sa);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

Test(emulate_mllp, each_message_waits_for_its_acknowledgement, .timeout = 60)
{
	int port, lfd = mllp_listener(&port);
	char to[32], fixture[1024];
	snprintf(to, sizeof(to), "127.0.0.1:%d", port);
	fixture_path(fixture, sizeof(fixture));
	/* A message every 5 s of recording: every 0.25 s at 20x. */
	const char *args[] = {"--protocol", "hl7-mllp", "--mllp", to, "--speed", "20", "--loop",
	                      "--ack-timeout", "1s", "--hl7-bed", "HDU^507^3", fixture, NULL};
	struct emu e;
	emu_start(&e, args);
	struct pollfd pfd = {.fd = lfd, .events = POLLIN};
	cr_assert_eq(poll(&pfd, 1, DEADLINE_MS), 1, "the emulator did not connect");
	int c = accept(lfd, NULL, NULL);
	char frame[4096];
	cr_assert_gt(vt_rig_mllp_read(c, frame, sizeof(frame), DEADLINE_MS), 0);
	cr_assert(strstr(frame, "MSH|^~\\&|VITALS_EMULATE") == frame, "%s", frame);
	cr_assert(strstr(frame, "|ORU^R01^ORU_R01|1|") != NULL, "%s", frame);
	cr_assert(strstr(frame, "\rPV1||I|HDU^507^3\r") != NULL, "%s", frame);
	/* Unanswered: nothing more until the timeout (1 s), then the next message. */
	int64_t t0 = vt_rig_now_ms();
	cr_assert_gt(vt_rig_mllp_read(c, frame, sizeof(frame), DEADLINE_MS), 0);
	cr_expect_geq(vt_rig_now_ms() - t0, 800, "the next message did not wait for the acknowledgement");
	cr_assert(emu_wait_log(&e, "no acknowledgement for 1 within 1000 ms", DEADLINE_MS));
	/* Answered: the next one follows soon. */
	static const char ack[] = "\x0bMSH|^~\\&|VITALSD||||20261121100000||ACK^R01^ACK|A1|P|2.6\r"
	                          "MSA|AA|2\r\x1c\r";
	cr_assert_eq(write(c, ack, sizeof(ack) - 1), (ssize_t)sizeof(ack) - 1);
	cr_assert(emu_wait_log(&e, "ack AA for 2", DEADLINE_MS));
	cr_assert_gt(vt_rig_mllp_read(c, frame, sizeof(frame), DEADLINE_MS), 0);
	cr_assert(strstr(frame, "|ORU^R01^ORU_R01|3|") != NULL, "%s", frame);
	close(c);
	emu_stop(&e);
	close(lfd);
}

Test(emulate_mllp, hl7_options_need_mllp)
{
	struct emu e;
	char fixture[1024];
	fixture_path(fixture, sizeof(fixture));
	const char *args[] = {"--protocol", "masimo-ascii", "--pty", "@LINK", "--partial", fixture,
	                      NULL};
	cr_assert_eq(run_to_end(args, &e), 64);
	cr_assert_eq(emu_log_count(&e, "are for --mllp"), 1);
	emu_stop(&e);
	const char *wrong[] = {"--protocol", "masimo-ascii", "--mllp", "127.0.0.1:9", fixture, NULL};
	cr_assert_eq(run_to_end(wrong, &e), 64);
	cr_assert_eq(emu_log_count(&e, "give --protocol hl7-mllp"), 1);
	emu_stop(&e);
}
