/*
 * vitals-hub: one station for several vitalsd daemons. Consoles, vitalsctl
 * and vitals-web connect to the hub as they would to one daemon; the hub
 * forwards every daemon's published messages (ZeroMQ's proxy) and routes
 * control requests to the daemon that serves the bed. This file reads the
 * command line and the configuration; hub.c runs.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>

#include "vitals/base/diag.h"
#include "vitals/base/version.h"
#include "vitals/hub/config.h"
#include "vitals/hub/hub.h"
#include "vitals/io/log.h"

static void
s_usage(FILE *out)
{
	fputs("usage: vitals-hub -c FILE [-n] [-v]\n"
	      "\n"
	      "  -c, --config FILE   the hub's configuration (YAML; vitals-hub(1))\n"
	      "  -n, --check         check the configuration and exit (0 OK, 78 errors)\n"
	      "  -v, --verbose       log debug messages\n"
	      "  -V, --version       print the version\n"
	      "  -h, --help          this text\n",
	      out);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'}, {"check", no_argument, NULL, 'n'},
	    {"verbose", no_argument, NULL, 'v'},      {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
	};
	const char *path = NULL;
	bool check = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "c:nvVh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 'n': check = true; break;
		case 'v': vt_log_set_verbose(true); break;
		case 'V': printf("vitals-hub %s\n", VT_VERSION); return 0;
		case 'h': s_usage(stdout); return 0;
		default: s_usage(stderr); return EX_USAGE;
		}
	}
	if (path == NULL || optind != argc) {
		s_usage(stderr);
		return EX_USAGE;
	}
	struct vt_diag diag = {0};
	struct vt_hub_config *cfg = vt_hub_config_load(path, &diag);
	if (cfg == NULL) {
		if (check) {
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
		return EX_CONFIG;
	}
	int code = 0;
	if (check)
		printf("configuration OK\n");
	else
		code = vt_hub_run(cfg);
	vt_hub_config_free(&cfg);
	return code;
}
