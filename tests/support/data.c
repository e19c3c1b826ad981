/*
 * The tests' data (data.h): real recordings from outside the tree, and the
 * project's scenarios played into CSV. Also the line that names a skipped
 * test: Criterion says nothing about skipped tests at its default
 * verbosity, and a test skipped for want of data must not pass unseen.
 */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <criterion/options.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data.h"
#include "run.h"

/* $VAR, or `dflt` beside the checkout; a relative one is from the checkout. */
static const char *
s_outside(const char *var, const char *dflt, char *buf, size_t len)
{
	const char *v = getenv(var);
	if (v != NULL && v[0] == '/')
		snprintf(buf, len, "%s", v);
	else
		snprintf(buf, len, "%s", vt_rig_root(v && *v ? v : dflt));
	return buf;
}

/* Skip the calling test for want of what $VAR names. */
static void
s_skip(const char *var, const char *dflt, const char *what, const char *sets)
{
	const char *v = getenv(var);
	if (v != NULL && *v != '\0')
		cr_skip_test("no %s at %s=%s: set %s to the folder of the %s (README.md says where they "
		             "come from)", what, var, v, var, sets);
	cr_skip_test("no %s (no %s beside the checkout): set %s to the folder of the %s (README.md "
	             "says where they come from)", what, dflt, var, sets);
}

const char *
vt_rig_data_dir(void)
{
	static char dir[3072];
	struct stat st;
	s_outside("VITALS_DATA", "../shared/data", dir, sizeof(dir));
	return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) ? dir : NULL;
}

const char *
vt_rig_recording(const char *rel)
{
	static char bufs[8][4096];
	static int next;
	const char *dir = vt_rig_data_dir();
	if (dir == NULL)
		s_skip("VITALS_DATA", "../shared/data", "real recordings", "public data sets");
	char *buf = bufs[next++ % 8];
	snprintf(buf, sizeof(bufs[0]), "%s/%s", dir, rel);
	return buf;
}

const char *
vt_rig_capture(const char *name)
{
	static char bufs[8][4096];
	static int next;
	char dir[3072];
	char *buf = bufs[next++ % 8];
	snprintf(buf, sizeof(bufs[0]), "%s/%s",
	         s_outside("VITALS_CAPTURES", "../shared/captures", dir, sizeof(dir)), name);
	if (access(buf, R_OK) != 0)
		s_skip("VITALS_CAPTURES", "../shared/captures", "device captures", "device captures");
	return buf;
}

/*
 * The scenario at `rel` played by vitals-emulate into $VT_BUILD/scenarios/:
 * a numerics CSV, or with `protocol` a session recording of that monitor
 * whose clock starts at `start`. Its path, in a static buffer rotated among
 * 8 callers.
 */
static const char *
s_scenario_file(const char *rel, const char *protocol, const char *start)
{
	static char bufs[8][4096];
	static int next;
	char *path = bufs[next++ % 8], tmp[4200], dir[2048];
	snprintf(dir, sizeof(dir), "%s", vt_rig_build("scenarios"));
	cr_assert(mkdir(dir, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", dir, strerror(errno));
	/* tests/data/scenarios/live.yaml -> tests_data_scenarios_live.csv
	 * (tests_data_scenarios_live.ivy-ansarb.vsr for a session) */
	char name[1024];
	snprintf(name, sizeof(name), "%s", rel);
	for (char *p = name; *p; p++)
		*p = *p == '/' ? '_' : *p;
	char *dot = strrchr(name, '.');
	if (dot != NULL)
		*dot = '\0';
	if (protocol != NULL)
		snprintf(path, sizeof(bufs[0]), "%s/%s.%s.vsr", dir, name, protocol);
	else
		snprintf(path, sizeof(bufs[0]), "%s/%s.csv", dir, name);
	/* Tests run side by side: each writes its own file and renames it into place. */
	snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
	char *emulate = (char *)vt_rig_build("vitals-emulate");
	char *csv[] = {emulate, "--scenario", (char *)rel, "--csv", tmp, NULL};
	char *session[] = {emulate,       "--scenario",   (char *)rel, "--protocol", (char *)protocol,
	                   "--start-time", (char *)start, "--session", tmp,          NULL};
	struct vt_rig_output r;
	vt_rig_run(protocol != NULL ? session : csv, &r);
	cr_assert_eq(r.status, 0, "vitals-emulate --scenario %s: exit %d: %s", rel, r.status, r.err);
	vt_rig_output_free(&r);
	cr_assert_eq(rename(tmp, path), 0, "rename %s: %s", tmp, strerror(errno));
	return path;
}

const char *
vt_rig_scenario_csv(const char *rel)
{
	return s_scenario_file(rel, NULL, NULL);
}

const char *
vt_rig_scenario_session(const char *rel, const char *protocol, const char *start)
{
	return s_scenario_file(rel, protocol, start);
}

/* A skipped test, by name and why, when Criterion itself would not say. */
ReportHook(POST_TEST)(struct criterion_test_stats *stats)
{
	if (stats->test_status != CR_STATUS_SKIPPED || criterion_options.logging_threshold <= CRITERION_INFO)
		return;
	fprintf(stderr, "[SKIP] %s::%s: %s\n", stats->test->category, stats->test->name,
	        stats->message ? stats->message : "skipped");
}

size_t
vt_rig_hexdump(const char *path, uint8_t *b, size_t cap)
{
	size_t len = 0;
	char *text = vt_rig_slurp(path, &len);
	cr_assert_not_null(text, "%s", path);
	size_t n = 0;
	for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		char *p = line;
		/* "00f0   00 02 ...": a 4-digit offset then spaces. */
		if (strlen(p) > 6 && strspn(p, "0123456789abcdef") == 4 && p[4] == ' ' && p[5] == ' ')
			p += 4;
		for (;;) {
			while (*p == ' ')
				p++;
			unsigned v;
			int used;
			if (sscanf(p, "%2x%n", &v, &used) != 1 || used != 2 ||
			    (p[2] != ' ' && p[2] != '\0' && p[2] != '\r'))
				break;
			cr_assert_lt(n, cap, "%s: more than %zu bytes", path, cap);
			b[n++] = (uint8_t)v;
			p += 2;
		}
	}
	free(text);
	return n;
}
