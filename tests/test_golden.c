/*
 * Golden replay tests: the shipped scenarios (as numerics, or as an
 * emulated monitor sends them, through its driver), and real recordings
 * and device captures where they are, through `vitalsd --replay` must give,
 * byte for byte, the JSON Lines checked in beside the case list
 * (tests/golden/cases.txt). A difference is reported at its first line so
 * it can be judged; if the change is intended, `make goldens` rewrites the
 * files for review.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/support.h"

#define MAX_ARGS 64
#define DATA_VAR "$VITALS_DATA/"
#define CAPTURES_VAR "$VITALS_CAPTURES/"
/* The clock every case starts at; a monitor's session starts there too. */
#define CLOCK_START "2026-11-21T09:00:00Z"

/* Where a case's recordings come from: the tree, $VITALS_DATA or $VITALS_CAPTURES. */
enum source { SRC_TREE, SRC_DATA, SRC_CAPTURES };

/* Print the first differing line of two outputs. */
static void
s_first_difference(const char *name, const char *want, const char *got)
{
	int line = 1;
	const char *w = want, *g = got;
	while (*w && *g) {
		const char *we = strchr(w, '\n'), *ge = strchr(g, '\n');
		size_t wl = we ? (size_t)(we - w) : strlen(w), gl = ge ? (size_t)(ge - g) : strlen(g);
		if (wl != gl || memcmp(w, g, wl) != 0) {
			cr_log_error("%s: first difference at line %d\n  want: %.*s\n  got:  %.*s", name,
			             line, (int)wl, w, (int)gl, g);
			return;
		}
		w += wl + (we != NULL);
		g += gl + (ge != NULL);
		line++;
	}
	cr_log_error("%s: outputs differ in length after line %d", name, line);
}

/* Arguments built for one case; the strings they point into live here too. */
struct args {
	char *v[MAX_ARGS + 1];
	int n;
	char *owned[MAX_ARGS];
	int n_owned;
};

static void
s_add(struct args *a, char *arg, bool owned)
{
	cr_assert_lt(a->n, MAX_ARGS, "too many arguments in a case");
	a->v[a->n++] = arg;
	a->v[a->n] = NULL;
	if (owned)
		a->owned[a->n_owned++] = arg;
}

/*
 * One BED=RECORDING argument: a scenario becomes its CSV and its phase
 * marks, PROTOCOL:SCENARIO a session recording of that monitor playing it
 * and the marks, $VITALS_DATA/ the folder of real recordings and
 * $VITALS_CAPTURES/ that of device captures (skipping the test where they
 * are not).
 */
static void
s_spec(struct args *a, const char *spec)
{
	const char *eq = strchr(spec, '=');
	const char *dot = strrchr(spec, '.');
	char *arg;
	if (eq != NULL && strncmp(eq + 1, DATA_VAR, strlen(DATA_VAR)) == 0) {
		cr_assert_neq(asprintf(&arg, "%.*s=%s", (int)(eq - spec), spec,
		                       vt_rig_recording(eq + 1 + strlen(DATA_VAR))), -1);
		s_add(a, arg, true);
		return;
	}
	if (eq != NULL && strncmp(eq + 1, CAPTURES_VAR, strlen(CAPTURES_VAR)) == 0) {
		cr_assert_neq(asprintf(&arg, "%.*s=%s", (int)(eq - spec), spec,
		                       vt_rig_capture(eq + 1 + strlen(CAPTURES_VAR))), -1);
		s_add(a, arg, true);
		return;
	}
	if (eq == NULL || dot == NULL || strcmp(dot, ".yaml") != 0) {
		s_add(a, (char *)spec, false);
		return;
	}
	char *bed = strndup(spec, (size_t)(eq - spec));
	const char *scenario = eq + 1, *colon = strchr(scenario, ':');
	char *protocol = colon != NULL ? strndup(scenario, (size_t)(colon - scenario)) : NULL;
	if (colon != NULL)
		scenario = colon + 1;
	cr_assert_neq(asprintf(&arg, "%s=%s", bed,
	                       protocol != NULL
	                               ? vt_rig_scenario_session(scenario, protocol, CLOCK_START)
	                               : vt_rig_scenario_csv(scenario)),
	              -1);
	s_add(a, arg, true);
	free(protocol);
	char *argv[] = {(char *)vt_rig_build("vitals-emulate"), "--scenario", (char *)scenario,
	                "--phases", bed, NULL};
	struct vt_rig_output r;
	vt_rig_run(argv, &r);
	cr_assert_eq(r.status, 0, "%s: --phases: %s", spec, r.err);
	/* One "--phase BED@T=PHASE..." a line: two arguments each. */
	char *save = NULL;
	for (char *w = strtok_r(r.out, " \n", &save); w; w = strtok_r(NULL, " \n", &save))
		s_add(a, strdup(w), true);
	vt_rig_output_free(&r);
	free(bed);
}

/* Where the recordings of a case line come from. */
static enum source
s_source(const char *line)
{
	if (strstr(line, CAPTURES_VAR) != NULL)
		return SRC_CAPTURES;
	return strstr(line, DATA_VAR) != NULL ? SRC_DATA : SRC_TREE;
}

/* Run every case whose recordings come from `from`; at least `least` of them. */
static void
s_cases(enum source from, int least)
{
	size_t len;
	char *cases = vt_rig_slurp(vt_rig_root("tests/golden/cases.txt"), &len);
	cr_assert_not_null(cases, "cannot read tests/golden/cases.txt");
	int n_cases = 0;
	char *save = NULL;
	for (char *line = strtok_r(cases, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || line[strspn(line, " \t")] == '\0')
			continue;
		if (s_source(line) != from)
			continue;
		struct args a = {.n = 0};
		char *tok_save = NULL;
		char *name = strtok_r(line, " \t", &tok_save);
		char *config = strtok_r(NULL, " \t", &tok_save);
		cr_assert_not_null(config, "bad case line");
		s_add(&a, (char *)vt_rig_build("vitalsd"), false);
		s_add(&a, "-c", false);
		s_add(&a, config, false);
		s_add(&a, "--clock-start", false);
		s_add(&a, CLOCK_START, false);
		s_add(&a, "--replay", false);
		for (char *spec; (spec = strtok_r(NULL, " \t", &tok_save)) != NULL;)
			s_spec(&a, spec);

		char golden[512];
		snprintf(golden, sizeof(golden), "tests/golden/%s.jsonl", name);
		size_t want_len;
		char *want = vt_rig_slurp(vt_rig_root(golden), &want_len);
		cr_assert_not_null(want, "%s is missing; run `make goldens` and review it", golden);
		struct vt_rig_output r;
		vt_rig_run(a.v, &r);
		cr_expect_eq(r.status, 0, "%s: exit %d: %s", name, r.status, r.err);
		bool same = r.out_len == want_len && memcmp(r.out, want, want_len) == 0;
		if (!same)
			s_first_difference(name, want, r.out);
		cr_expect(same, "%s: output differs from %s", name, golden);
		vt_rig_output_free(&r);
		free(want);
		for (int i = 0; i < a.n_owned; i++)
			free(a.owned[i]);
		n_cases++;
	}
	cr_expect_geq(n_cases, least, "the case list is unexpectedly short");
	free(cases);
}

Test(golden, scenarios_match_their_files)
{
	s_cases(SRC_TREE, 7);
}

Test(golden, real_recordings_match_their_files)
{
	s_cases(SRC_DATA, 5);
}

Test(golden, device_captures_match_their_files)
{
	s_cases(SRC_CAPTURES, 1);
}
