/*
 * vitals-archive: compress the recordings vitalsd has closed and delete
 * the old ones, as record_retention in the configuration says
 * (docs/recording.md). The daemon's loop never waits for a disk: this runs
 * beside it, from vitalsd-archive.timer, as the vitalsd user.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "vitals/base/diag.h"
#include "vitals/base/version.h"
#include "vitals/config/config.h"
#include "vitals/tools/archive.h"

static void
s_usage(FILE *out)
{
	fputs("usage: vitals-archive [-c FILE] [-n]\n"
	      "\n"
	      "Compress the session recordings vitalsd has closed (gzip) and delete those\n"
	      "older than record_retention.max_age_days, then the oldest while all of them\n"
	      "take more than max_total_mb. Files vitalsd is writing are never touched.\n"
	      "\n"
	      "  -c, --config FILE  the daemon's configuration (default /etc/vitalsd/vitalsd.yaml)\n"
	      "  -n, --dry-run      say what the policy is and what is there; change nothing\n"
	      "  -V, --version      the version;  -h, --help  this text\n",
	      out);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
	                                         {"dry-run", no_argument, NULL, 'n'},
	                                         {"version", no_argument, NULL, 'V'},
	                                         {"help", no_argument, NULL, 'h'},
	                                         {NULL, 0, NULL, 0}};
	const char *path = "/etc/vitalsd/vitalsd.yaml";
	bool dry = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "c:nVh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'n':
			dry = true;
			break;
		case 'V':
			printf("vitals-archive %s\n", VT_VERSION);
			return 0;
		case 'h':
			s_usage(stdout);
			return 0;
		default:
			s_usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		s_usage(stderr);
		return EX_USAGE;
	}
	struct vt_diag diag = {0};
	struct vt_config *cfg = vt_config_load(path, &diag);
	if (cfg == NULL) {
		vt_diag_print(&diag, stderr);
		vt_diag_clear(&diag);
		return EX_CONFIG;
	}
	if (cfg->record_dir == NULL) {
		printf("%s: no record_dir: nothing is recorded, nothing to do\n", path);
		vt_config_free(&cfg);
		return 0;
	}
	struct vt_archive_policy p = {
	    .compress = cfg->record_compress && !dry,
	    .max_age_ms = dry ? 0 : cfg->record_max_age_days * 86400000,
	    .max_total = dry ? 0 : (uint64_t)cfg->record_max_total_mb * 1000000,
	};
	printf("%s: compress closed files %s; keep %s%lld days; at most %s%lld MB\n",
	       cfg->record_dir, cfg->record_compress ? "yes" : "no",
	       cfg->record_max_age_days ? "" : "(no limit) ", (long long)cfg->record_max_age_days,
	       cfg->record_max_total_mb ? "" : "(no limit) ", (long long)cfg->record_max_total_mb);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct vt_archive_report r;
	int rc = vt_archive_run(cfg->record_dir, &p, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000,
	                        &r, stdout);
	if (rc == 0)
		printf("%u compressed, %u deleted, %u being written, %u failed; %.1f MB before, %.1f MB "
		       "after\n",
		       r.compressed, r.deleted, r.open, r.failed, (double)r.bytes_before / 1e6,
		       (double)r.bytes_after / 1e6);
	vt_config_free(&cfg);
	return rc != 0 ? EX_NOINPUT : r.failed ? 1 : 0;
}
