/*
 * vitals-hl7: the bridge from vitalsd (or vitals-hub) to a hospital's HL7
 * interface engine. It subscribes to the daemon's publish socket, keeps in
 * step through snapshots from its control socket, and sends IHE PCD-01
 * observations and PCD-04 alarm reports over MLLP, each kept on disk until
 * the engine acknowledges it (docs/integration.md, vitals-hl7(8)).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sysexits.h>
#include <unistd.h>

#include "vitals/base/version.h"
#include "vitals/hl7/bridge.h"
#include "vitals/hl7/config.h"
#include "vitals/io/log.h"

static void
s_usage(FILE *out)
{
	fputs("usage: vitals-hl7 -c FILE [-n] [-v]\n"
	      "       vitals-hl7 [-c FILE] --replay MESSAGES\n"
	      "  -c, --config FILE   the bridge's configuration (/etc/vitalsd/vitals-hl7.yaml)\n"
	      "  -n, --check         check the file, print \"configuration OK\" or every error, exit\n"
	      "  --replay MESSAGES   print the HL7 messages the bridge would send for a daemon's\n"
	      "                      published messages (JSON Lines as vitalsd --replay writes\n"
	      "                      them; - for standard input), segments one a line\n"
	      "  -v, --verbose       debug logging\n"
	      "  -V, --version       print the version\n",
	      out);
}

int
main(int argc, char **argv)
{
	enum { O_REPLAY = 256 };
	static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
	                                         {"replay", required_argument, NULL, O_REPLAY},
	                                         {"check", no_argument, NULL, 'n'},
	                                         {"verbose", no_argument, NULL, 'v'},
	                                         {"version", no_argument, NULL, 'V'},
	                                         {"help", no_argument, NULL, 'h'},
	                                         {NULL, 0, NULL, 0}};
	const char *path = NULL, *replay = NULL;
	bool check = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "c:nvVh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case O_REPLAY: replay = optarg; break;
		case 'n': check = true; break;
		case 'v': vt_log_set_verbose(true); break;
		case 'V': printf("vitals-hl7 %s\n", VT_VERSION); return 0;
		case 'h': s_usage(stdout); return 0;
		default: s_usage(stderr); return EX_USAGE;
		}
	}
	if ((path == NULL && replay == NULL) || optind < argc) {
		s_usage(stderr);
		return EX_USAGE;
	}
	struct vt_diag diag = {0};
	static const char defaults[] = "publish: tcp://127.0.0.1:5556\ncontrol: tcp://127.0.0.1:5557\n"
	                               "engine: 127.0.0.1:2575\n";
	struct vt_bridge_config *cfg =
	    path != NULL ? vt_bridge_config_load(path, &diag)
	                 : vt_bridge_config_parse("(defaults)", defaults, strlen(defaults), &diag);
	if (cfg == NULL) {
		vt_diag_print(&diag, stderr);
		vt_diag_clear(&diag);
		return EX_CONFIG;
	}
	if (check) {
		printf("configuration OK\n");
		vt_bridge_config_free(&cfg);
		return 0;
	}
	if (replay != NULL) {
		FILE *in = strcmp(replay, "-") == 0 ? stdin : fopen(replay, "re");
		char err[256];
		int rc = in == NULL ? -1 : vt_bridge_replay(cfg, in, stdout, err, sizeof(err));
		if (in == NULL)
			fprintf(stderr, "vitals-hl7: %s: %s\n", replay, strerror(errno));
		else if (rc != 0)
			fprintf(stderr, "vitals-hl7: %s: %s\n", replay, err);
		if (in != NULL && in != stdin)
			fclose(in);
		vt_bridge_config_free(&cfg);
		return in == NULL ? EX_NOINPUT : rc != 0 ? EX_DATAERR : 0;
	}
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP); /* nothing to reload: the file is read at start */
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	char err[1024];
	struct vt_bridge *b = vt_bridge_new(cfg, err, sizeof(err));
	if (b == NULL) {
		vt_err("vitals-hl7: %s", err);
		vt_bridge_config_free(&cfg);
		close(sfd);
		return EX_UNAVAILABLE;
	}
	int rc = vt_bridge_run(b, sfd);
	vt_bridge_free(&b);
	vt_bridge_config_free(&cfg);
	close(sfd);
	return rc == 0 ? 0 : EX_SOFTWARE;
}
