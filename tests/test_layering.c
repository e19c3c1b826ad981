/*
 * The include-direction check (scripts/layering.py): the tree follows the
 * layers that docs/architecture.md states, and the checker really fails a
 * tree that includes upwards, names an unknown part, or includes in a
 * circle. The failing trees are made in a temporary directory with the
 * real layers block, so the rule being tested is the shipped one.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/support.h"

static char s_tmp[64];

/* Write `text` to s_tmp/rel, making the folders on the way. */
static void
s_write(const char *rel, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", s_tmp, rel);
	for (char *p = path + strlen(s_tmp) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "cannot write %s", path);
	fputs(text, f);
	fclose(f);
}

/* A scratch tree with the shipped docs/architecture.md (or `layers` instead). */
static void
s_tree(const char *layers)
{
	snprintf(s_tmp, sizeof(s_tmp), "/tmp/vt-layering-XXXXXX");
	cr_assert_not_null(mkdtemp(s_tmp));
	if (layers != NULL) {
		s_write("docs/architecture.md", layers);
		return;
	}
	size_t len;
	char *doc = vt_rig_slurp(vt_rig_root("docs/architecture.md"), &len);
	cr_assert_not_null(doc);
	s_write("docs/architecture.md", doc);
	free(doc);
}

static void
s_cleanup(void)
{
	if (s_tmp[0] != '\0') {
		char *argv[] = {"/bin/rm", "-rf", s_tmp, NULL};
		struct vt_rig_output r;
		vt_rig_run(argv, &r);
		vt_rig_output_free(&r);
	}
}

/* Run the checker on `root`; its exit status, stderr in r. */
static int
s_check(const char *root, struct vt_rig_output *r)
{
	char *argv[] = {"/usr/bin/python3", (char *)vt_rig_root("scripts/layering.py"), "--root",
	                (char *)root, NULL};
	cr_assert_neq(vt_rig_run(argv, r), -1, "cannot run scripts/layering.py");
	return r->status;
}

Test(layering, the_tree_follows_the_documented_layers)
{
	struct vt_rig_output r;
	char root[4096];
	cr_assert_not_null(realpath(vt_rig_root("."), root));
	cr_expect_eq(s_check(root, &r), 0, "layering failed:\n%s", r.err);
	vt_rig_output_free(&r);
}

Test(layering, a_lower_part_including_a_higher_one_fails, .fini = s_cleanup)
{
	s_tree(NULL);
	s_write("include/vitals/base/sample.h", "#include \"vitals/alarm/alarm.h\"\n");
	s_write("include/vitals/alarm/alarm.h", "#include \"vitals/base/sample.h\"\n");
	struct vt_rig_output r;
	cr_assert_eq(s_check(s_tmp, &r), 1);
	cr_expect(strstr(r.err, "include/vitals/base/sample.h:1: base may not include "
	                        "vitals/alarm/alarm.h (alarm)") != NULL,
	          "%s", r.err);
	vt_rig_output_free(&r);
}

Test(layering, a_source_file_of_a_part_is_checked_too, .fini = s_cleanup)
{
	s_tree(NULL);
	s_write("daemon/drivers/masimo.c", "#include <stdio.h>\n\n#include \"vitals/io/port.h\"\n");
	s_write("emulator/emulate.c", "#include \"vitals/core.h\"\n");
	struct vt_rig_output r;
	cr_assert_eq(s_check(s_tmp, &r), 1);
	cr_expect(strstr(r.err, "daemon/drivers/masimo.c:3: drivers may not include") != NULL,
	          "%s", r.err);
	cr_expect(strstr(r.err, "emulator/emulate.c:1: emulator may not include vitals/core.h "
	                        "(daemon)") != NULL,
	          "%s", r.err);
	vt_rig_output_free(&r);
}

Test(layering, a_part_the_layers_do_not_name_fails, .fini = s_cleanup)
{
	s_tree(NULL);
	s_write("daemon/gadgets/thing.c", "#include \"vitals/base/sample.h\"\n");
	struct vt_rig_output r;
	cr_assert_eq(s_check(s_tmp, &r), 1);
	cr_expect(strstr(r.err, "its part 'gadgets' is not in the layers") != NULL, "%s", r.err);
	vt_rig_output_free(&r);
}

Test(layering, headers_in_a_cycle_fail, .fini = s_cleanup)
{
	s_tree(NULL);
	s_write("include/vitals/wire/a.h", "#include \"vitals/wire/b.h\"\n");
	s_write("include/vitals/wire/b.h", "#include \"vitals/wire/a.h\"\n");
	struct vt_rig_output r;
	cr_assert_eq(s_check(s_tmp, &r), 1);
	cr_expect(strstr(r.err, "cycle: vitals/wire/a.h -> vitals/wire/b.h -> vitals/wire/a.h") !=
	                  NULL,
	          "%s", r.err);
	vt_rig_output_free(&r);
}

Test(layering, layers_in_a_cycle_fail, .fini = s_cleanup)
{
	s_tree("```layers\nbase: io\nio: base\n```\n");
	struct vt_rig_output r;
	cr_assert_eq(s_check(s_tmp, &r), 1);
	cr_expect(strstr(r.err, "the layers form a cycle: base -> io -> base") != NULL, "%s",
	          r.err);
	vt_rig_output_free(&r);
}

/* Defined (code or data) symbols of an archive or a program, one per line,
 * sorted, with a newline first so that every name can be found as "\nNAME\n". */
static char *
s_defined(const char *file)
{
	char *argv[] = {"/bin/sh", "-c",
	                "echo; nm --defined-only \"$0\" 2>/dev/null | awk 'NF == 3 && $2 ~ /[TDRB]/ "
	                "{ print $3 }' | sort -u",
	                (char *)file, NULL};
	struct vt_rig_output r;
	cr_assert_eq(vt_rig_run(argv, &r), 0, "nm %s: %s", file, r.err);
	free(r.err);
	return r.out;
}

/* vitalsd links the daemon's library alone: not one symbol of the emulator
 * or the station side may reach it. */
Test(layering, vitalsd_links_no_emulator_or_console_code)
{
	char *daemon = s_defined(vt_rig_build("vitalsd"));
	cr_assert(strstr(daemon, "\nvt_core_new\n") != NULL, "nm sees no vitalsd symbols");
	const char *libs[] = {"libvitals-emulator.a", "libvitals-console.a"};
	for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
		char *lib = s_defined(vt_rig_build(libs[i]));
		size_t n = 0;
		for (char *line = lib + 1; *line != '\0';) {
			char *end = strchr(line, '\n');
			*end = '\0';
			char needle[256];
			snprintf(needle, sizeof(needle), "\n%s\n", line);
			cr_expect(strstr(daemon, needle) == NULL, "vitalsd links %s from %s", line,
			          libs[i]);
			n++;
			line = end + 1;
		}
		cr_expect_gt(n, 10, "nm found only %zu symbols in %s", n, libs[i]);
		free(lib);
	}
	free(daemon);
}
