/*
 * Golden replay tests: real recordings through `vitalsd --replay` must
 * give, byte for byte, the JSON Lines checked in beside the case list.
 * A difference is reported at its first line so it can be judged; if the
 * change is intended, `make goldens` rewrites the files for review.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/support.h"

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

Test(golden, every_case_matches_its_file)
{
	size_t len;
	char *cases = vt_rig_slurp(vt_rig_root("tests/golden/cases.txt"), &len);
	cr_assert_not_null(cases, "cannot read tests/golden/cases.txt");
	int n_cases = 0;
	char *save = NULL;
	for (char *line = strtok_r(cases, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || line[strspn(line, " \t")] == '\0')
			continue;
		char *argv[32];
		int n = 0;
		char *tok_save = NULL;
		char *name = strtok_r(line, " \t", &tok_save);
		char *config = strtok_r(NULL, " \t", &tok_save);
		cr_assert_not_null(config, "bad case line");
		argv[n++] = (char *)vt_rig_build("vitalsd");
		argv[n++] = "-c";
		argv[n++] = config;
		argv[n++] = "--clock-start";
		argv[n++] = "2026-11-21T09:00:00Z";
		argv[n++] = "--replay";
		for (char *spec; n < 31 && (spec = strtok_r(NULL, " \t", &tok_save)) != NULL;)
			argv[n++] = spec;
		argv[n] = NULL;

		char golden[512];
		snprintf(golden, sizeof(golden), "tests/golden/%s.jsonl", name);
		size_t want_len;
		char *want = vt_rig_slurp(vt_rig_root(golden), &want_len);
		cr_assert_not_null(want, "%s is missing; run `make goldens` and review it", golden);
		struct vt_rig_output r;
		vt_rig_run(argv, &r);
		cr_expect_eq(r.status, 0, "%s: exit %d: %s", name, r.status, r.err);
		bool same = r.out_len == want_len && memcmp(r.out, want, want_len) == 0;
		if (!same)
			s_first_difference(name, want, r.out);
		cr_expect(same, "%s: output differs from %s", name, golden);
		vt_rig_output_free(&r);
		free(want);
		n_cases++;
	}
	cr_expect_geq(n_cases, 5, "the case list is unexpectedly short");
	free(cases);
}
