/*
 * The Debian packages (debian/, docs/operations.md "Debian packages"): the
 * programs this build made are packaged as they are (`make deb-quick`,
 * seconds; `make deb` builds from source with dpkg-buildpackage and runs
 * lintian, a step of its own in CI), their contents are checked with
 * dpkg-deb, they are installed with `dpkg --root` into an empty root whose
 * maintainer scripts create the users and enable the services there, and the
 * units, as the packages installed them, pass `systemd-analyze verify`.
 */
#include <criterion/criterion.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/support.h"

/* Run a shell command line; its exit status, its output in *r. */
static int
s_sh(struct vt_rig_output *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int
s_sh(struct vt_rig_output *r, const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	char *argv[] = {"/bin/sh", "-c", cmd, NULL};
	cr_assert_geq(vt_rig_run(argv, r), 0, "cannot run /bin/sh");
	return r->status;
}

/* The programs of this tree (vitals*.c in emulator/, console/, tools/). */
static size_t
s_programs(char names[][64], size_t max)
{
	size_t n = 0;
	glob_t g;
	if (glob(vt_rig_root("*/vitals*.c"), 0, NULL, &g) != 0)
		return 0;
	for (size_t i = 0; i < g.gl_pathc && n < max; i++) {
		if (strstr(g.gl_pathv[i], "/tests/") || strstr(g.gl_pathv[i], "/daemon/"))
			continue;
		const char *base = strrchr(g.gl_pathv[i], '/') + 1;
		snprintf(names[n++], 64, "%.*s", (int)(strlen(base) - 2), base);
	}
	globfree(&g);
	return n;
}

static bool
s_has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)) != NULL; p += n)
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

Test(package, builds_installs_into_a_root_and_verifies, .timeout = 300)
{
	char build[4096];
	cr_assert_not_null(realpath(vt_rig_build(""), build));
	unsetenv("MAKEFLAGS"), unsetenv("MFLAGS"), unsetenv("MAKELEVEL");
	struct vt_rig_output r;
	cr_assert_eq(s_sh(&r, "cd '%s' && make --no-print-directory deb-quick BUILD='%s' 2>&1",
	                  vt_rig_root(""), build), 0, "make deb-quick:\n%s", r.out);
	vt_rig_output_free(&r);

	/* What each package holds. */
	char names[32][64];
	size_t n = s_programs(names, 32);
	cr_assert_geq(n, 3);
	enum { NPKG = 4 };
	char *deb[NPKG];
	static const char *const pkgs[NPKG] = {"vitalsd", "vitals-station", "vitals-emulator",
	                                       "vitals-web"};
	static char contents[NPKG][65536];
	for (int i = 0; i < NPKG; i++) {
		cr_assert_eq(asprintf(&deb[i], "%s/deb-quick/%s_0.1.0_amd64.deb", build, pkgs[i]) > 0, 1);
		cr_assert_eq(s_sh(&r, "dpkg-deb -c '%s' | awk '{print $6}'", deb[i]), 0, "%s", r.err);
		snprintf(contents[i], sizeof(contents[i]), "%s", r.out);
		vt_rig_output_free(&r);
	}
	static const char *const daemon_files[] = {
	    "./usr/sbin/vitalsd", "./lib/systemd/system/vitalsd.service", "./etc/default/vitalsd",
	    "./etc/vitalsd/vitalsd.yaml", "./usr/lib/sysusers.d/vitalsd.conf",
	    "./usr/lib/tmpfiles.d/vitalsd.conf", "./usr/lib/udev/rules.d/99-vitalsd-monitors.rules",
	    "./usr/share/doc/vitalsd/copyright", "./usr/share/doc/vitalsd/operations.md.gz",
	    "./usr/share/man/man8/vitalsd.8.gz", "./usr/share/man/man5/vitalsd.yaml.5.gz",
	    "./lib/systemd/system/vitalsd-archive.service", "./lib/systemd/system/vitalsd-archive.timer",
	    "./lib/systemd/system/vitals-hl7.service",
	    "./usr/share/doc/vitalsd/examples/vitals-hl7.yaml",
	    "./usr/share/doc/vitalsd/integration.md.gz"};
	for (size_t i = 0; i < sizeof(daemon_files) / sizeof(daemon_files[0]); i++)
		cr_expect(s_has_line(contents[0], daemon_files[i]), "vitalsd lacks %s", daemon_files[i]);
	/* The web station: a server with its own account, unit and options. */
	static const char *const web_files[] = {
	    "./lib/systemd/system/vitals-web.service", "./usr/lib/sysusers.d/vitals-web.conf",
	    "./etc/default/vitals-web", "./usr/share/doc/vitals-web/web.md.gz"};
	for (size_t i = 0; i < sizeof(web_files) / sizeof(web_files[0]); i++) {
		cr_expect(s_has_line(contents[3], web_files[i]), "vitals-web lacks %s", web_files[i]);
		for (int other = 0; other < 3; other++)
			cr_expect(!s_has_line(contents[other], web_files[i]), "%s also in %s", web_files[i],
			          pkgs[other]);
	}
	/* Every other program is a station tool, with its man page, but the emulator,
	 * the web station, and what runs beside the daemons on their server: vitals-archive,
	 * vitals-hub and vitals-hl7. */
	for (size_t i = 0; i < n; i++) {
		bool server = strcmp(names[i], "vitals-archive") == 0 || strcmp(names[i], "vitals-hub") == 0 ||
		              strcmp(names[i], "vitals-hl7") == 0;
		int in = strcmp(names[i], "vitals-emulate") == 0 ? 2
		         : strcmp(names[i], "vitals-web") == 0   ? 3
		         : server                                ? 0
		                                                 : 1;
		char bin[128], man[128];
		snprintf(bin, sizeof(bin), "./usr/bin/%.63s", names[i]);
		snprintf(man, sizeof(man), "./usr/share/man/man1/%.63s.1.gz", names[i]);
		cr_expect(s_has_line(contents[in], bin), "%s lacks %s", pkgs[in], bin);
		cr_expect(s_has_line(contents[in], man), "%s lacks %s", pkgs[in], man);
		for (int other = 0; other < NPKG; other++)
			cr_expect(other == in || !s_has_line(contents[other], bin), "%s also in %s", bin,
			          pkgs[other]);
	}
	cr_assert_eq(s_sh(&r, "dpkg-deb -I '%s' conffiles", deb[0]), 0, "%s", r.err);
	cr_expect(s_has_line(r.out, "/etc/vitalsd/vitalsd.yaml"), "conffiles:\n%s", r.out);
	cr_expect(s_has_line(r.out, "/etc/default/vitalsd"), "conffiles:\n%s", r.out);
	vt_rig_output_free(&r);
	cr_assert_eq(s_sh(&r, "dpkg-deb -I '%s' conffiles", deb[3]), 0, "%s", r.err);
	cr_expect(s_has_line(r.out, "/etc/default/vitals-web"), "vitals-web conffiles:\n%s", r.out);
	vt_rig_output_free(&r);

	/* Installed into an empty root: the maintainer scripts run there. */
	char root[128];
	cr_assert_eq(vt_rig_tmpdir(root, sizeof(root), "package"), 0);
	cr_assert_eq(s_sh(&r, "R='%s'; mkdir -p $R/var/lib/dpkg/info $R/var/lib/dpkg/updates $R/etc && "
	                      ": >$R/var/lib/dpkg/status && DPKG_ROOT=$R dpkg --root=$R --log=/dev/null "
	                      "--force-depends --force-script-chrootless --force-not-root -i '%s' '%s' "
	                      "'%s' '%s' 2>&1", root, deb[0], deb[1], deb[2], deb[3]), 0,
	             "dpkg -i:\n%s", r.out);
	vt_rig_output_free(&r);
	char path[512];
	snprintf(path, sizeof(path), "%s/etc/passwd", root);
	char *passwd = vt_rig_slurp(path, NULL);
	const char *user = passwd ? strstr(passwd, "vitalsd:x:") : NULL;
	cr_expect(user && (user == passwd || user[-1] == '\n') &&
	              strstr(user, ":vitalsd vital-signs acquisition:/var/lib/vitalsd:/usr/sbin/nologin\n"),
	          "the postinst created no vitalsd user:\n%s", passwd ? passwd : "(no /etc/passwd)");
	user = passwd ? strstr(passwd, "vitals-web:x:") : NULL;
	cr_expect(user && (user == passwd || user[-1] == '\n') &&
	              strstr(user, ":vitals-web central station:/:/usr/sbin/nologin\n"),
	          "the postinst created no vitals-web user:\n%s", passwd ? passwd : "(no /etc/passwd)");
	free(passwd);
	snprintf(path, sizeof(path), "%s/etc/group", root);
	char *group = vt_rig_slurp(path, NULL);
	cr_expect(group && strstr(group, "dialout:x:") && strstr(group, ":vitalsd\n"),
	          "vitalsd is not in dialout:\n%s", group ? group : "(no /etc/group)");
	free(group);
	struct stat st;
	snprintf(path, sizeof(path), "%s/etc/systemd/system/multi-user.target.wants/vitalsd.service",
	         root);
	cr_expect_eq(lstat(path, &st), 0, "the postinst did not enable the service");
	snprintf(path, sizeof(path), "%s/etc/systemd/system/timers.target.wants/vitalsd-archive.timer",
	         root);
	cr_expect_eq(lstat(path, &st), 0, "the postinst did not enable the archive timer");
	snprintf(path, sizeof(path), "%s/etc/systemd/system/multi-user.target.wants/vitals-hl7.service",
	         root);
	cr_expect_eq(lstat(path, &st), 0, "the postinst did not enable the HL7 bridge (it starts "
	             "once its file exists)");
	snprintf(path, sizeof(path), "%s/etc/systemd/system/multi-user.target.wants/vitals-web.service",
	         root);
	cr_expect_eq(lstat(path, &st), 0, "the postinst did not enable the web station (it starts "
	             "once its users file exists)");
	snprintf(path, sizeof(path), "%s/etc/vitalsd", root);
	cr_expect(stat(path, &st) == 0 && S_ISDIR(st.st_mode), "no /etc/vitalsd for the users file");
	cr_expect_eq(s_sh(&r, "R='%s'; $R/usr/bin/vitals-hl7 -c "
	                      "$R/usr/share/doc/vitalsd/examples/vitals-hl7.yaml -n 2>&1", root), 0,
	             "the packaged example of vitals-hl7.yaml does not check:\n%s", r.out);
	vt_rig_output_free(&r);
	snprintf(path, sizeof(path), "%s/var/lib/vitalsd", root);
	cr_expect(stat(path, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0750,
	          "no /var/lib/vitalsd 0750 from the tmpfiles snippet");
	cr_expect_eq(s_sh(&r, "R='%s'; $R/usr/sbin/vitalsd -c $R/etc/vitalsd/vitalsd.yaml -n 2>/dev/null",
	                  root), 0, "the packaged configuration does not check");
	cr_expect_str_eq(r.out, "configuration OK\n");
	vt_rig_output_free(&r);
	cr_expect_eq(s_sh(&r, "'%s/usr/sbin/vitalsd' -V", root), 0);
	cr_expect_eq(strncmp(r.out, "vitalsd 0.1.0 (git ", 19), 0, "%s", r.out);
	vt_rig_output_free(&r);

	/* The unit as the package installed it, with systemd's own units beside it. */
	cr_assert_eq(s_sh(&r, "R='%s'; mkdir -p $R/bin && cp /usr/bin/kill $R/bin/kill && "
	                      "cp -an /lib/systemd/system/. $R/lib/systemd/system/", root), 0, "%s",
	             r.err);
	vt_rig_output_free(&r);
	cr_expect_eq(s_sh(&r, "systemd-analyze verify --man=no --root='%s' vitalsd.service "
	                      "vitalsd-archive.service vitalsd-archive.timer vitals-hl7.service "
	                      "vitals-hub.service vitals-web.service 2>&1",
	                      root),
	             0, "systemd-analyze verify:\n%s", r.out);
	cr_expect_str_eq(r.out, "", "systemd-analyze verify has something to say");
	vt_rig_output_free(&r);
	/* It is that unit it verified: without the daemon it complains. */
	cr_assert_eq(s_sh(&r, "R='%s'; mv $R/usr/sbin/vitalsd $R/usr/sbin/vitalsd.away && "
	                      "systemd-analyze verify --man=no --root=$R vitalsd.service 2>&1; "
	                      "mv $R/usr/sbin/vitalsd.away $R/usr/sbin/vitalsd", root), 0);
	cr_expect(strstr(r.out, "/usr/sbin/vitalsd is not executable") != NULL, "%s", r.out);
	vt_rig_output_free(&r);
	cr_assert_eq(s_sh(&r, "R='%s'; mv $R/usr/bin/vitals-web $R/usr/bin/vitals-web.away && "
	                      "systemd-analyze verify --man=no --root=$R vitals-web.service 2>&1; "
	                      "mv $R/usr/bin/vitals-web.away $R/usr/bin/vitals-web", root), 0);
	cr_expect(strstr(r.out, "/usr/bin/vitals-web is not executable") != NULL, "%s", r.out);
	vt_rig_output_free(&r);
	for (int i = 0; i < NPKG; i++)
		free(deb[i]);
	vt_rig_rmtree(root);
}
