/*
 * How fast the whole pipeline runs: a day of a full infusion suite through
 * `vitalsd --replay`. Sixteen beds, 24 h of 1 Hz numerics each (a random
 * walk around plausible adult values, with desaturations, tachycardias,
 * bradypnoeas and probe-off gaps now and then), infusion sessions every
 * three hours so that baseline rules have baselines, and 32 rules of every
 * kind. The replay writes its JSON Lines to /dev/null; the figure is
 * parameter values (samples) per second of wall time. Beside it, in the
 * same run, the bare cost of reading the same files with the CSV reader,
 * which is the floor any replay stands on.
 *
 * The input is generated here, in a temporary directory, from a fixed
 * seed: every run measures the same bytes, and nothing big is committed.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vitals/base/xorshift.h"
#include "vitals/wire/csv.h"

#include "../tests/support/support.h"

#define BEDS 16
#define SECONDS (24 * 3600)
#define SESSION_EVERY (3 * 3600)   /* a new patient in each chair every 3 h */
#define TARGET_SAMPLES_PER_S 1e6

/* The same patients on every machine (vitals/xorshift.h). */
static uint64_t s_rng = 0x9E3779B97F4A7C15ull;

static double
s_uniform(void)
{
	return (double)(vt_xorshift64s(&s_rng) >> 11) / 9007199254740992.0;
}

/* Roughly normal, mean 0, sd 1 (sum of uniforms). */
static double
s_gauss(void)
{
	return s_uniform() + s_uniform() + s_uniform() + s_uniform() - 2.0;
}

/* One parameter's walk: drifts back towards `home`, follows an excursion target. */
struct walk {
	double v, home, sd, lo, hi;
	double target;       /* where an excursion pulls; NAN: none */
	int left;            /* seconds of excursion left */
};

static double
s_step(struct walk *w)
{
	double pull = isnan(w->target) ? w->home : w->target;
	w->v += (pull - w->v) * (isnan(w->target) ? 0.02 : 0.08) + s_gauss() * w->sd;
	if (w->v < w->lo)
		w->v = w->lo;
	if (w->v > w->hi)
		w->v = w->hi;
	if (w->left > 0 && --w->left == 0)
		w->target = NAN;
	return w->v;
}

/* Start an excursion with probability `p` a second. */
static void
s_maybe_excursion(struct walk *w, double p, double lo, double hi, int min_s, int max_s)
{
	if (w->left > 0 || s_uniform() >= p)
		return;
	w->target = lo + (hi - lo) * s_uniform();
	w->left = min_s + (int)((max_s - min_s) * s_uniform());
}

/* Write one bed's day; the number of parameter values written. */
static long
s_gen_csv(const char *path)
{
	FILE *fp = fopen(path, "w");
	if (fp == NULL) {
		fprintf(stderr, "bench_replay: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	static char buf[1 << 16];
	setvbuf(fp, buf, _IOFBF, sizeof(buf));
	struct walk spo2 = {.v = 97, .home = 96 + s_uniform() * 3, .sd = 0.5, .lo = 60, .hi = 100,
	                    .target = NAN};
	struct walk pr = {.v = 75, .home = 60 + s_uniform() * 30, .sd = 1.2, .lo = 30, .hi = 200,
	                  .target = NAN};
	struct walk pi = {.v = 3, .home = 1 + s_uniform() * 6, .sd = 0.08, .lo = 0.1, .hi = 20,
	                  .target = NAN};
	struct walk rr = {.v = 14, .home = 12 + s_uniform() * 6, .sd = 0.5, .lo = 2, .hi = 50,
	                  .target = NAN};
	long values = 0;
	int probe_off = 0, no_ecg = 0;
	fputs("t,spo2,pr,hr,pi,rr\n", fp);
	for (int t = 0; t < SECONDS; t++) {
		/* Excursions: a few desaturations, tachy- and bradycardias, breathing changes a day. */
		s_maybe_excursion(&spo2, 1.0 / 4000, 78, 91, 20, 240);
		s_maybe_excursion(&pr, 1.0 / 5000, 120, 150, 30, 300);
		s_maybe_excursion(&pr, 1.0 / 20000, 38, 50, 20, 120);
		s_maybe_excursion(&rr, 1.0 / 6000, 4, 9, 30, 180);
		s_maybe_excursion(&rr, 1.0 / 8000, 26, 38, 30, 180);
		double vs = s_step(&spo2), vp = s_step(&pr), vi = s_step(&pi), vr = s_step(&rr);
		double vh = vp + s_gauss();
		if (probe_off == 0 && s_uniform() < 1.0 / 7000)
			probe_off = 5 + (int)(60 * s_uniform());
		if (no_ecg == 0 && s_uniform() < 1.0 / 9000)
			no_ecg = 10 + (int)(120 * s_uniform());
		if (probe_off > 0) {
			probe_off--;
			fprintf(fp, "%d,,,%.0f,,%.0f\n", t, vh, vr);
			values += 2;
		} else if (no_ecg > 0) {
			no_ecg--;
			fprintf(fp, "%d,%.0f,%.0f,,%.1f,%.0f\n", t, vs, vp, vi, vr);
			values += 4;
		} else {
			fprintf(fp, "%d,%.0f,%.0f,%.0f,%.1f,%.0f\n", t, vs, vp, vh, vi, vr);
			values += 5;
		}
	}
	if (fclose(fp) != 0) {
		fprintf(stderr, "bench_replay: %s: write failed\n", path);
		exit(1);
	}
	return values;
}

/* 32 rules: 16 limit, 8 baseline, 8 rate, over spo2, pr, hr and rr. */
static const char s_rules[] =
    "  - {name: spo2-low, parameter: spo2, below: 90, for: 15s, clear_at: 92, priority: high}\n"
    "  - {name: spo2-critical, parameter: spo2, below: 85, for: 5s, priority: high}\n"
    "  - {name: spo2-warn, parameter: spo2, below: 93, for: 30s, clear_at: 94, priority: low}\n"
    "  - {name: spo2-dip, parameter: spo2, below: 88, clear_at: 90}\n"
    "  - {name: pr-high, parameter: pr, above: 120, for: 10s, clear_at: 115}\n"
    "  - {name: pr-low, parameter: pr, below: 50, for: 10s, clear_at: 55}\n"
    "  - {name: pr-very-high, parameter: pr, above: 140, for: 5s, priority: high}\n"
    "  - {name: pr-very-low, parameter: pr, below: 40, for: 5s, priority: high}\n"
    "  - {name: hr-high, parameter: hr, above: 120, for: 10s, clear_at: 115}\n"
    "  - {name: hr-low, parameter: hr, below: 50, for: 10s, clear_at: 55}\n"
    "  - {name: hr-very-high, parameter: hr, above: 150, priority: high}\n"
    "  - {name: hr-very-low, parameter: hr, below: 35, priority: high}\n"
    "  - {name: rr-high, parameter: rr, above: 28, for: 30s, clear_at: 25}\n"
    "  - {name: rr-low, parameter: rr, below: 8, for: 30s, clear_at: 10, priority: high}\n"
    "  - {name: rr-very-high, parameter: rr, above: 35, for: 10s}\n"
    "  - {name: rr-very-low, parameter: rr, below: 5, for: 10s, escalate_after: 1m}\n"
    "  - {name: pr-above-baseline, parameter: pr, above_baseline: 30%, for: 30s,"
    " phases: [infusion, recovery]}\n"
    "  - {name: pr-below-baseline, parameter: pr, below_baseline: 25%, for: 30s,"
    " phases: [infusion, recovery]}\n"
    "  - {name: hr-above-baseline, parameter: hr, above_baseline: 30%, for: 30s}\n"
    "  - {name: hr-below-baseline, parameter: hr, below_baseline: 25%, for: 30s}\n"
    "  - {name: spo2-below-baseline, parameter: spo2, below_baseline: 4, for: 30s,"
    " latching: true}\n"
    "  - {name: spo2-below-baseline-fast, parameter: spo2, below_baseline: 6, for: 5s,"
    " priority: high}\n"
    "  - {name: rr-above-baseline, parameter: rr, above_baseline: 50%, for: 60s}\n"
    "  - {name: rr-below-baseline, parameter: rr, below_baseline: 40%, for: 60s,"
    " phases: infusion}\n"
    "  - {name: spo2-falling, parameter: spo2, falls_by: 4, within: 60s}\n"
    "  - {name: spo2-falling-fast, parameter: spo2, falls_by: 3, within: 10s, priority: high}\n"
    "  - {name: pr-rising, parameter: pr, rises_by: 25, within: 60s}\n"
    "  - {name: pr-falling, parameter: pr, falls_by: 25, within: 60s}\n"
    "  - {name: hr-rising, parameter: hr, rises_by: 25, within: 60s, escalate_after: 2m}\n"
    "  - {name: hr-falling, parameter: hr, falls_by: 25, within: 60s}\n"
    "  - {name: rr-rising, parameter: rr, rises_by: 10, within: 60s, priority: low}\n"
    "  - {name: rr-falling, parameter: rr, falls_by: 8, within: 60s}\n";

static double
s_seconds(int64_t ns)
{
	return (double)ns / 1e9;
}

/* Read every file once with the CSV reader; rows and values seen. */
static double
s_bare_parse(char paths[][320], long *rows, long *values)
{
	*rows = *values = 0;
	int64_t t0 = vt_rig_now_ns();
	for (int b = 0; b < BEDS; b++) {
		struct vt_diag diag = {0};
		struct vt_csv_file *f = vt_csv_file_open(paths[b], &diag);
		if (f == NULL) {
			vt_diag_print(&diag, stderr);
			exit(1);
		}
		struct vt_reading r;
		int64_t t;
		int rc;
		while ((rc = vt_csv_file_next(f, &t, &r, &diag)) > 0) {
			(*rows)++;
			*values += __builtin_popcount(r.valid);
		}
		if (rc < 0) {
			vt_diag_print(&diag, stderr);
			exit(1);
		}
		vt_csv_file_close(&f);
		vt_diag_clear(&diag);
	}
	return s_seconds(vt_rig_now_ns() - t0);
}

int
main(int argc, char **argv)
{
	char dir[128];
	if (vt_rig_tmpdir(dir, sizeof(dir), "bench-replay") != 0) {
		perror("bench_replay: mkdtemp");
		return 1;
	}
	static char paths[BEDS][320];
	long values = 0;
	char monitors[BEDS * 160] = "";
	size_t used = 0;
	for (int b = 0; b < BEDS; b++) {
		snprintf(paths[b], sizeof(paths[b]), "%s/chair-%02d.csv", dir, b + 1);
		values += s_gen_csv(paths[b]);
		used += (size_t)snprintf(monitors + used, sizeof(monitors) - used,
		                         "  - {bed: chair-%02d, port: /dev/vitals/chair-%02d,"
		                         " protocol: masimo-ascii}\n",
		                         b + 1, b + 1);
	}
	char cfg[320];
	snprintf(cfg, sizeof(cfg), "%s/vitalsd.yaml", dir);
	if (vt_rig_config(cfg, 5556, 5557, NULL, monitors, s_rules) != 0) {
		perror("bench_replay: config");
		return 1;
	}

	/* vitalsd -c CFG --replay chair-NN=FILE ... --phase chair-NN@S=PHASE ... */
	enum { PHASES_PER_DAY = 4 * (SECONDS / SESSION_EVERY) };
	static char specs[BEDS][360], phases[BEDS][PHASES_PER_DAY][64];
	char *args[8 + BEDS * (2 + 2 * PHASES_PER_DAY)];
	int n = 0;
	args[n++] = (char *)vt_rig_build("vitalsd");
	args[n++] = "-c";
	args[n++] = cfg;
	for (int b = 0; b < BEDS; b++) {
		snprintf(specs[b], sizeof(specs[b]), "chair-%02d=%.300s", b + 1, paths[b]);
		args[n++] = "--replay";
		args[n++] = specs[b];
	}
	/* Each session: 15 min baseline, 40 min infusion, 20 min recovery, ended. */
	static const struct { int at; const char *phase; } plan[4] = {
	    {0, "baseline"}, {900, "infusion:72:0.5"}, {900 + 2400, "recovery"},
	    {900 + 2400 + 1200, "ended"}};
	for (int b = 0; b < BEDS; b++)
		for (int s = 0; s < SECONDS / SESSION_EVERY; s++)
			for (int k = 0; k < 4; k++) {
				/* Chairs start their sessions a few minutes apart, as in a clinic. */
				int at = s * SESSION_EVERY + b * 300 + plan[k].at;
				snprintf(phases[b][s * 4 + k], sizeof(phases[b][0]), "chair-%02d@%d=%s", b + 1,
				         at, plan[k].phase);
				args[n++] = "--phase";
				args[n++] = phases[b][s * 4 + k];
			}
	args[n] = NULL;

	long rows, bare_values;
	double bare_best = 1e30;
	for (int i = 0; i < 3; i++) {
		double t = s_bare_parse(paths, &rows, &bare_values);
		if (t < bare_best)
			bare_best = t;
	}
	if (bare_values != values) {
		fprintf(stderr, "bench_replay: generated %ld values, read back %ld\n", values,
		        bare_values);
		return 1;
	}

	/* Count the output once (not timed), then time runs into /dev/null. */
	char out[400];
	snprintf(out, sizeof(out), "%s/out.jsonl", dir);
	pid_t pid = vt_rig_spawn(args, out, NULL);
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "bench_replay: vitalsd --replay failed\n");
		return 1;
	}
	long lines = 0, alerts = 0;
	{
		FILE *fp = fopen(out, "r");
		char line[8192];
		while (fp != NULL && fgets(line, sizeof(line), fp) != NULL) {
			lines++;
			alerts += strncmp(line, "{\"topic\":\"alert.", 16) == 0;
		}
		if (fp)
			fclose(fp);
		unlink(out);
	}

	int runs = argc > 1 ? atoi(argv[1]) : 3;
	double best = 1e30, best_cpu = 0;
	for (int i = 0; i < runs; i++) {
		int64_t t0 = vt_rig_now_ns();
		pid = vt_rig_spawn(args, NULL, NULL);
		struct rusage ru;
		if (pid < 0 || wait4(pid, &st, 0, &ru) != pid || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0) {
			fprintf(stderr, "bench_replay: vitalsd --replay failed\n");
			return 1;
		}
		double t = s_seconds(vt_rig_now_ns() - t0);
		if (t < best) {
			best = t;
			best_cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
			           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
		}
	}
	if (getenv("VT_BENCH_KEEP") != NULL) {
		/* For profiling: the input stays, with the command that replays it. */
		char sh[400];
		snprintf(sh, sizeof(sh), "%s/replay.sh", dir);
		FILE *fp = fopen(sh, "w");
		for (int i = 0; fp != NULL && i < n; i++)
			fprintf(fp, "%s%s", args[i], i + 1 < n ? " " : " >/dev/null\n");
		if (fp != NULL)
			fclose(fp);
		printf("kept %s (command in %s)\n", dir, sh);
	} else {
		vt_rig_rmtree(dir);
	}

	printf("machine: %s\n", vt_rig_machine());
	printf("input: %d beds x 24 h at 1 Hz = %ld rows, %ld samples (parameter values); 32 rules;"
	       " %d phase changes\n",
	       BEDS, rows, values, (n - 3 - 2 * BEDS) / 2);
	printf("output: %ld messages (%ld alert events)\n", lines, alerts);
	printf("%-30s %10s %14s %10s\n", "", "wall s", "samples/s", "cpu s");
	printf("%-30s %10.3f %14.0f %10.3f\n", "vitalsd --replay (best of N)", best,
	       (double)values / best, best_cpu);
	printf("%-30s %10.3f %14.0f %10s\n", "baseline: bare CSV read", bare_best,
	       (double)values / bare_best, "-");
	printf("replay / bare: %.1fx; target >= %.0f samples/s: %s\n", best / bare_best,
	       TARGET_SAMPLES_PER_S, (double)values / best >= TARGET_SAMPLES_PER_S ? "met" : "MISSED");
	return 0;
}
