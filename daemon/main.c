/*
 * vitalsd: the entry point. It reads the command line, loads the
 * configuration, and hands over to one of three modes: check the
 * configuration (-n), replay recordings offline (--replay), or run live.
 * It stays small on purpose; each mode lives in its own module.
 */
#include <getopt.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "vitals/base/diag.h"
#include "vitals/base/timefmt.h"
#include "vitals/base/version.h"
#include "git_id.h" /* generated: the build's git commit (Makefile) */
#include "vitals/config/config.h"
#include "vitals/io/log.h"
#include "vitals/io/preflight.h"
#include "vitals/live.h"
#include "vitals/replay.h"

static void
s_usage(FILE *out)
{
	fputs("usage: vitalsd -c FILE [-n] [-v]\n"
	      "       vitalsd -c FILE --replay BED=RECORDING [BED=RECORDING ...]\n"
	      "               [--clock-start RFC3339] [--phase BED@SECONDS=PHASE[:KG[:MG_PER_KG_H]] ...]\n"
	      "\n"
	      "  -c, --config FILE     configuration file (YAML)\n"
	      "  -n, --check           check the configuration and exit (0 OK, 78 errors)\n"
	      "  -v, --verbose         log debug messages\n"
	      "      --replay SPEC     replay recordings offline; JSON Lines on stdout\n"
	      "      --clock-start T   virtual time of the replay's start (default 1970-01-01T00:00:00Z)\n"
	      "      --phase SPEC      change a bed's infusion phase at SECONDS into the replay,\n"
	      "                        e.g. chair-1@600=infusion:72:0.5 (weight kg, dose mg/kg/h)\n"
	      "  -V, --version         print the version\n"
	      "  -h, --help            this text\n"
	      "\n"
	      "A RECORDING is a numerics CSV (t,spo2,pr,...), a session file written by the\n"
	      "recorder, or a raw capture (*.bin, *.dat) played through the bed's driver at\n"
	      "its line speed.\n",
	      out);
}

/* What the command line asked for. */
struct args {
	const char *config_path;
	bool check, verbose, replay;
	char **specs;            /* BED=RECORDING */
	size_t n_specs;
	char **phases;           /* --phase arguments */
	size_t n_phases;
	bool clock_start_set;
	int64_t clock_start;
};

/* Parse argv into a; -1 to exit with *code (0 for --help/--version). */
static int
s_parse_args(int argc, char **argv, struct args *a, int *code)
{
	enum { OPT_REPLAY = 256, OPT_CLOCK_START, OPT_PHASE };
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"check", no_argument, NULL, 'n'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"replay", required_argument, NULL, OPT_REPLAY},
	    {"clock-start", required_argument, NULL, OPT_CLOCK_START},
	    {"phase", required_argument, NULL, OPT_PHASE},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int opt;
	*code = EX_USAGE;
	while ((opt = getopt_long(argc, argv, "c:nvVh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			a->config_path = optarg;
			break;
		case 'n':
			a->check = true;
			break;
		case 'v':
			a->verbose = true;
			break;
		case OPT_REPLAY:
			a->replay = true;
			a->specs[a->n_specs++] = optarg;
			break;
		case OPT_PHASE:
			a->phases[a->n_phases++] = optarg;
			break;
		case OPT_CLOCK_START:
			if (vt_time_parse(optarg, &a->clock_start) != 0) {
				fprintf(stderr, "vitalsd: --clock-start %s: expected RFC 3339, "
				                "e.g. 2026-11-21T10:00:00Z\n", optarg);
				return -1;
			}
			a->clock_start_set = true;
			break;
		case 'V':
			printf("vitalsd %s (git %s)\n", VT_VERSION, VT_GIT_ID);
			*code = 0;
			return -1;
		case 'h':
			s_usage(stdout);
			*code = 0;
			return -1;
		default:
			s_usage(stderr);
			return -1;
		}
	}
	/* `--replay A=x B=y`: the recordings after the first are plain arguments. */
	for (int i = optind; i < argc; i++) {
		if (!a->replay) {
			fprintf(stderr, "vitalsd: unexpected argument \"%s\"\n", argv[i]);
			return -1;
		}
		a->specs[a->n_specs++] = argv[i];
	}
	if (a->config_path == NULL) {
		fprintf(stderr, "vitalsd: no configuration file; use -c FILE\n");
		s_usage(stderr);
		return -1;
	}
	if (a->n_phases > 0 && !a->replay) {
		fprintf(stderr, "vitalsd: --phase only applies to --replay\n");
		return -1;
	}
	return 0;
}

/*
 * What -n can tell beyond the file itself: what will not work when the
 * daemon runs. A serial port that is not there is a warning only (the
 * monitor may be unplugged; the daemon retries it). Returns the count.
 */
static size_t
s_check_warnings(const struct vt_config *cfg, FILE *out)
{
	size_t n = 0;
	for (size_t i = 0; i < cfg->n_monitors; i++) {
		const struct vt_monitor_config *m = &cfg->monitors[i];
		struct stat st;
		if (m->port[0] != '/' || stat(m->port, &st) == 0)
			continue; /* tcp:// and mllp:// are not files */
		fprintf(out, "%s:%d: warning: monitors[%zu].port: %s does not exist (yet); %s will "
		        "show comm-lost until it appears\n", cfg->path, m->line, i, m->port, m->bed);
		n++;
	}
	return n;
}

/*
 * Before the daemon binds anything: what -n checks beyond the file, errors
 * at error level (78, as a broken file: a restart cannot fix them), and
 * warnings as warnings.
 */
static int
s_preflight_live(const struct vt_config *cfg)
{
	struct vt_diag errors = {0}, warnings = {0};
	vt_preflight(cfg, VT_PREFLIGHT_ALL, true, &errors, &warnings);
	char line[2048];
	for (size_t i = 0; i < warnings.count; i++)
		vt_warnx("%s", vt_diag_format(&warnings.entries[i], line, sizeof(line)));
	for (size_t i = 0; i < errors.count; i++)
		vt_err("%s", vt_diag_format(&errors.entries[i], line, sizeof(line)));
	if (errors.count > 0)
		vt_err("configuration not usable: %zu error%s, not starting", errors.count,
		       errors.count == 1 ? "" : "s");
	int code = errors.count > 0 ? EX_CONFIG : 0;
	vt_diag_clear(&errors);
	vt_diag_clear(&warnings);
	return code;
}

static int
s_replay(const struct vt_config *cfg, const struct args *a)
{
	struct vt_replay_phase *phases = calloc(a->n_phases + 1, sizeof(*phases));
	if (phases == NULL)
		return EX_OSERR;
	int code = 0;
	for (size_t i = 0; i < a->n_phases && code == 0; i++) {
		char err[256];
		if (vt_replay_parse_phase(cfg, a->phases[i], &phases[i], err, sizeof(err)) != 0) {
			fprintf(stderr, "vitalsd: %s\n", err);
			code = EX_USAGE;
		}
	}
	if (code == 0)
		code = vt_replay_run(cfg, a->specs, a->n_specs, phases, a->n_phases,
		                     a->clock_start_set ? &a->clock_start : NULL, stdout, stderr);
	free(phases);
	return code;
}

int
main(int argc, char **argv)
{
	struct args a = {
	    .specs = calloc((size_t)argc + 1, sizeof(char *)),
	    .phases = calloc((size_t)argc + 1, sizeof(char *)),
	};
	int code = EX_OSERR;
	struct vt_config *cfg = NULL;
	if (a.specs == NULL || a.phases == NULL || s_parse_args(argc, argv, &a, &code) != 0)
		goto out;

	struct vt_diag diag = {0};
	cfg = vt_config_load(a.config_path, &diag);
	if (cfg == NULL) {
		/* A person checking a file or replaying reads the line and the
		 * caret; the service's journal wants each error at error level. */
		if (a.check || a.replay) {
			vt_diag_print(&diag, stderr);
		} else {
			for (size_t i = 0; i < diag.count; i++) {
				char line[2048];
				vt_err("%s", vt_diag_format(&diag.entries[i], line, sizeof(line)));
			}
			vt_err("configuration not loaded: %zu error%s, not starting", diag.count,
			       diag.count == 1 ? "" : "s");
		}
		vt_diag_clear(&diag);
		code = EX_CONFIG;
	} else if (a.check) {
		/* What the file names outside itself, so that OK means the daemon starts. */
		struct vt_diag errors = {0}, warnings = {0};
		vt_preflight(cfg, VT_PREFLIGHT_ALL, false, &errors, &warnings);
		vt_diag_print(&warnings, stderr);
		s_check_warnings(cfg, stderr);
		vt_diag_print(&errors, stderr);
		/* Not errors: one rule file serves beds with different monitors. */
		struct vt_diag notes = {0};
		vt_config_inactive_rules(cfg, &notes);
		vt_diag_print(&notes, stderr);
		vt_diag_clear(&notes);
		code = errors.count > 0 ? EX_CONFIG : 0;
		if (code == 0)
			printf("configuration OK\n");
		vt_diag_clear(&errors);
		vt_diag_clear(&warnings);
	} else if (a.replay) {
		code = s_replay(cfg, &a);
	} else if ((code = s_preflight_live(cfg)) == 0) {
		code = vt_live_run(a.config_path, cfg, a.verbose);
		cfg = NULL; /* the live loop owns (and may replace) the configuration */
	}
out:
	vt_config_free(&cfg);
	free(a.specs);
	free(a.phases);
	return code;
}
