/*
 * vitalsd: the entry point. It reads the command line, loads the
 * configuration, and hands over to one of three modes: check the
 * configuration (-n), replay recordings offline (--replay), or run live.
 * It stays small on purpose; each mode lives in its own module.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "vitals/config.h"
#include "vitals/live.h"
#include "vitals/replay.h"
#include "vitals/timefmt.h"
#include "vitals/version.h"

static void
s_usage(FILE *out)
{
	fputs("usage: vitalsd -c FILE [-n] [-v]\n"
	      "       vitalsd -c FILE --replay BED=RECORDING [BED=RECORDING ...]\n"
	      "               [--clock-start RFC3339]\n"
	      "\n"
	      "  -c, --config FILE     configuration file (YAML)\n"
	      "  -n, --check           check the configuration and exit (0 OK, 78 errors)\n"
	      "  -v, --verbose         log debug messages\n"
	      "      --replay SPEC     replay recordings offline; JSON Lines on stdout\n"
	      "      --clock-start T   virtual time of the replay's start (default 1970-01-01T00:00:00Z)\n"
	      "  -V, --version         print the version\n"
	      "  -h, --help            this text\n"
	      "\n"
	      "A RECORDING is a numerics CSV (t,spo2,pr,...), a session file written by the\n"
	      "recorder, or a raw capture (*.bin, *.dat) played through the bed's driver at\n"
	      "its line speed.\n",
	      out);
}

int
main(int argc, char **argv)
{
	enum { OPT_REPLAY = 256, OPT_CLOCK_START };
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"check", no_argument, NULL, 'n'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"replay", required_argument, NULL, OPT_REPLAY},
	    {"clock-start", required_argument, NULL, OPT_CLOCK_START},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *config_path = NULL;
	bool check = false, verbose = false;
	char **specs = calloc((size_t)argc + 1, sizeof(*specs));
	size_t n_specs = 0;
	bool replay = false;
	int64_t clock_start = 0;
	bool clock_start_set = false;
	int opt;

	if (specs == NULL)
		return EX_OSERR;
	while ((opt = getopt_long(argc, argv, "c:nvVh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'n':
			check = true;
			break;
		case 'v':
			verbose = true;
			break;
		case OPT_REPLAY:
			replay = true;
			specs[n_specs++] = optarg;
			break;
		case OPT_CLOCK_START:
			if (vt_time_parse(optarg, &clock_start) != 0) {
				fprintf(stderr, "vitalsd: --clock-start %s: expected RFC 3339, "
				                "e.g. 2026-11-21T10:00:00Z\n", optarg);
				free(specs);
				return EX_USAGE;
			}
			clock_start_set = true;
			break;
		case 'V':
			printf("vitalsd %s\n", VT_VERSION);
			free(specs);
			return 0;
		case 'h':
			s_usage(stdout);
			free(specs);
			return 0;
		default:
			s_usage(stderr);
			free(specs);
			return EX_USAGE;
		}
	}
	/* `--replay A=x B=y`: the recordings after the first are plain arguments. */
	for (int i = optind; i < argc; i++) {
		if (!replay) {
			fprintf(stderr, "vitalsd: unexpected argument \"%s\"\n", argv[i]);
			free(specs);
			return EX_USAGE;
		}
		specs[n_specs++] = argv[i];
	}
	if (config_path == NULL) {
		fprintf(stderr, "vitalsd: no configuration file; use -c FILE\n");
		s_usage(stderr);
		free(specs);
		return EX_USAGE;
	}

	struct vt_diag diag = {0};
	struct vt_config *cfg = vt_config_load(config_path, &diag);
	if (cfg == NULL) {
		vt_diag_print(&diag, stderr);
		vt_diag_clear(&diag);
		free(specs);
		return EX_CONFIG;
	}
	int code;
	if (check) {
		printf("configuration OK\n");
		code = 0;
	} else if (replay) {
		code = vt_replay_run(cfg, specs, n_specs, clock_start_set ? &clock_start : NULL,
		                     stdout, stderr);
	} else {
		code = vt_live_run(config_path, cfg, verbose);
		cfg = NULL; /* the live loop owns (and may replace) the configuration */
	}
	vt_config_free(&cfg);
	free(specs);
	return code;
}
