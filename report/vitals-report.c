/*
 * vitals-report: the infusion record of one bed, for the patient's chart
 * and for the review of an incident (docs/report.md). From the bed's
 * recordings (every file under record_dir, or the files given) it picks
 * one infusion session as the station marked it with `phase`, or a time
 * range, and writes a PDF (A4 or Letter), PNG pages and the vitals table
 * as CSV: the header a chart needs, the trends, the table of interval
 * medians and the alarm log with who acknowledged what.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "vitals/base/timefmt.h"
#include "vitals/base/version.h"
#include "vitals/config/config.h"
#include "vitals/report/collect.h"
#include "vitals/report/doc.h"
#include "vitals/report/find.h"
#include "vitals/report/output.h"

#define S_DEFAULT_CONFIG "/etc/vitalsd/vitalsd.yaml"

struct opts {
	const char *config;      /* NULL: the default, if it is there */
	const char *bed;
	const char *record_dir;
	const char *session;     /* "last" or a number from --list */
	const char *from, *to;
	const char *pdf, *png, *csv;
	enum vt_paper paper;
	int64_t interval_ms;
	double dpi;
	bool list, utc;
	char *const *files;
	size_t n_files;
};

static void
s_usage(FILE *out)
{
	fputs("usage: vitals-report [options] (--bed BED | RECORDING...)\n"
	      "The infusion record of one bed from its recordings: a PDF, PNG pages, a CSV.\n"
	      "\n"
	      "What to report on:\n"
	      "  --bed BED             every recording of BED under the record_dir of the\n"
	      "                        configuration (or --record-dir)\n"
	      "  RECORDING...          these session files (of one bed)\n"
	      "  --session N|last      the N-th infusion session --list shows (default: last)\n"
	      "  --from TIME --to TIME a time range instead: RFC 3339, or local\n"
	      "                        \"YYYY-MM-DD HH:MM[:SS]\"; either may be left out\n"
	      "  --list                list the infusion sessions and exit\n"
	      "\n"
	      "Output (without any of the three: the PDF, named after the session):\n"
	      "  -o, --output FILE     the PDF\n"
	      "  --png PREFIX          every page as PREFIX-1.png, PREFIX-2.png, ...\n"
	      "  --csv FILE            the vitals table for spreadsheets (- for stdout)\n"
	      "  --paper a4|letter     paper size (default a4)\n"
	      "  --interval DURATION   the vitals table's interval (default 5m)\n"
	      "  --dpi N               resolution of the PNG pages (default 100)\n"
	      "  --utc                 times in UTC rather than local time\n"
	      "\n"
	      "  -c, --config FILE     the daemon's configuration: record_dir, the bed's driver\n"
	      "                        and the alarm limits drawn (default " S_DEFAULT_CONFIG ")\n"
	      "  --record-dir DIR      where the recordings are (default: the configuration's)\n"
	      "  -h, --help, -V, --version\n",
	      out);
}

/* RFC 3339, or local "YYYY-MM-DD HH:MM[:SS]". 0 or -1. */
static int
s_parse_time(const char *s, int64_t *ms)
{
	if (vt_time_parse(s, ms) == 0)
		return 0;
	struct tm tm = {0};
	const char *end = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
	if (end == NULL || *end != '\0') {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%d %H:%M", &tm);
	}
	if (end == NULL || *end != '\0')
		return -1;
	tm.tm_isdst = -1;
	time_t t = mktime(&tm);
	if (t == (time_t)-1)
		return -1;
	*ms = (int64_t)t * 1000;
	return 0;
}

static int
s_parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},  {"bed", required_argument, NULL, 'b'},
	    {"record-dir", required_argument, NULL, 'd'}, {"session", required_argument, NULL, 's'},
	    {"from", required_argument, NULL, 'f'},    {"to", required_argument, NULL, 't'},
	    {"output", required_argument, NULL, 'o'},  {"png", required_argument, NULL, 'P'},
	    {"csv", required_argument, NULL, 'C'},     {"paper", required_argument, NULL, 'p'},
	    {"interval", required_argument, NULL, 'i'}, {"dpi", required_argument, NULL, 'D'},
	    {"list", no_argument, NULL, 'l'},          {"utc", no_argument, NULL, 'u'},
	    {"help", no_argument, NULL, 'h'},          {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0}};
	int opt;
	const char *why;
	while ((opt = getopt_long(argc, argv, "c:o:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': o->config = optarg; break;
		case 'b': o->bed = optarg; break;
		case 'd': o->record_dir = optarg; break;
		case 's': o->session = optarg; break;
		case 'f': o->from = optarg; break;
		case 't': o->to = optarg; break;
		case 'o': o->pdf = optarg; break;
		case 'P': o->png = optarg; break;
		case 'C': o->csv = optarg; break;
		case 'l': o->list = true; break;
		case 'u': o->utc = true; break;
		case 'p': {
			int p = vt_page_paper_by_name(optarg);
			if (p < 0) {
				fprintf(stderr, "vitals-report: --paper %s: a4 or letter\n", optarg);
				return EX_USAGE;
			}
			o->paper = (enum vt_paper)p;
			break;
		}
		case 'i':
			if (vt_duration_parse(optarg, &o->interval_ms, &why) != 0 || o->interval_ms < 10000 ||
			    o->interval_ms > 86400000) {
				fprintf(stderr, "vitals-report: --interval %s: a duration from 10s to 24h, such "
				        "as 5m\n", optarg);
				return EX_USAGE;
			}
			break;
		case 'D': {
			char *end;
			o->dpi = strtod(optarg, &end);
			if (*end != '\0' || !(o->dpi >= 36 && o->dpi <= 600)) {
				fprintf(stderr, "vitals-report: --dpi %s: a number from 36 to 600\n", optarg);
				return EX_USAGE;
			}
			break;
		}
		case 'h': s_usage(stdout); exit(0);
		case 'V': printf("vitals-report %s\n", VT_VERSION); exit(0);
		default: s_usage(stderr); return EX_USAGE;
		}
	}
	o->files = argv + optind;
	o->n_files = (size_t)(argc - optind);
	if ((o->bed == NULL) == (o->n_files == 0)) {
		fprintf(stderr, "vitals-report: give either --bed BED or recordings (not both)\n");
		s_usage(stderr);
		return EX_USAGE;
	}
	if (o->session != NULL && (o->from || o->to)) {
		fprintf(stderr, "vitals-report: --session and --from/--to choose the same thing; give "
		        "one\n");
		return EX_USAGE;
	}
	return 0;
}

static void
s_print_sessions(const struct vt_find *f)
{
	if (f->n_sessions == 0) {
		printf("no infusion session marked with phase\n");
		return;
	}
	for (size_t i = 0; i < f->n_sessions; i++) {
		const struct vt_find_session *s = &f->sessions[i];
		char a[40], b[40];
		printf("%3zu  %s  to %s%s", i + 1, vt_page_datetime(s->from, a, sizeof(a)),
		       vt_page_datetime(s->to, b, sizeof(b)), s->ended ? "" : " (not ended)");
		for (int p = 0; p < VT_PHASE_COUNT; p++)
			if (s->phase_t[p])
				printf("  %s %s", vt_phase_name((enum vt_phase)p),
				       vt_page_clock(s->phase_t[p], a, sizeof(a)));
		printf("\n");
	}
}

/* The stretch to report: a range, a session, or the whole of the files. A sysexits code. */
static int
s_choose(const struct opts *o, const struct vt_find *f, int64_t *from, int64_t *to)
{
	int64_t first = f->files[0].start, last = f->files[0].end;
	for (size_t i = 0; i < f->n_files; i++)
		last = f->files[i].end > last ? f->files[i].end : last;
	if (o->from || o->to) {
		*from = first;
		*to = last;
		if ((o->from && s_parse_time(o->from, from) != 0) ||
		    (o->to && s_parse_time(o->to, to) != 0)) {
			fprintf(stderr, "vitals-report: --from/--to: RFC 3339 (2026-11-21T10:00:00Z) or "
			        "local \"2026-11-21 10:00\"\n");
			return EX_USAGE;
		}
		if (*to <= *from) {
			fprintf(stderr, "vitals-report: --to must come after --from\n");
			return EX_USAGE;
		}
		return 0;
	}
	if (f->n_sessions == 0) {
		if (o->session == NULL && o->n_files > 0) { /* the files named: all of them */
			*from = first;
			*to = last;
			return 0;
		}
		fprintf(stderr, "vitals-report: no infusion session is marked with phase in the "
		        "recordings of %s; give --from and --to\n", f->files[0].bed);
		return EX_NOINPUT;
	}
	size_t k = f->n_sessions;
	if (o->session != NULL && strcmp(o->session, "last") != 0) {
		char *end;
		long n = strtol(o->session, &end, 10);
		if (*end != '\0' || n < 1 || (size_t)n > f->n_sessions) {
			fprintf(stderr, "vitals-report: --session %s: the recordings hold sessions 1 to %zu "
			        "(--list shows them)\n", o->session, f->n_sessions);
			return EX_USAGE;
		}
		k = (size_t)n;
	}
	*from = f->sessions[k - 1].from;
	*to = f->sessions[k - 1].to;
	return 0;
}

int
main(int argc, char **argv)
{
	struct opts o = {.interval_ms = VT_REPORT_INTERVAL_MS, .dpi = VT_REPORT_PNG_DPI};
	int code = s_parse(argc, argv, &o);
	if (code != 0)
		return code;
	vt_page_set_utc(o.utc);
	atexit(vt_page_fonts_release);
	char family[128];
	if (!o.list && !vt_page_fonts_found(family, sizeof(family)))
		fprintf(stderr, "vitals-report: fontconfig has no DejaVu Sans (Debian's "
		        "fonts-dejavu-core); the pages are set in %s\n", family);

	/* The configuration: where the recordings are, the bed's driver, the limits. */
	struct vt_config *cfg = NULL;
	const char *cfg_path = o.config ? o.config : S_DEFAULT_CONFIG;
	if (o.config != NULL || access(cfg_path, R_OK) == 0) {
		struct vt_diag diag = {0};
		cfg = vt_config_load(cfg_path, &diag);
		vt_diag_print(&diag, stderr);
		vt_diag_clear(&diag);
		if (cfg == NULL)
			return EX_CONFIG;
	}
	const char *record_dir = o.record_dir ? o.record_dir : cfg ? cfg->record_dir : NULL;
	if (o.bed != NULL && record_dir == NULL) {
		fprintf(stderr, "vitals-report: where are the recordings? %s has no record_dir; give "
		        "--record-dir\n", cfg ? cfg_path : "there is no configuration and");
		vt_config_free(&cfg);
		return EX_USAGE;
	}

	struct vt_find f;
	struct vt_diag diag = {0};
	int rc = o.bed ? vt_find_bed(&f, record_dir, o.bed, &diag)
	               : vt_find_read(&f, o.files, o.n_files, &diag);
	vt_diag_print(&diag, stderr);
	vt_diag_clear(&diag);
	if (rc != 0 || f.n_files == 0) {
		vt_find_release(&f);
		vt_config_free(&cfg);
		return rc == -1 ? EX_DATAERR : EX_NOINPUT;
	}
	if (o.list) {
		s_print_sessions(&f);
		vt_find_release(&f);
		vt_config_free(&cfg);
		return 0;
	}
	int64_t from, to;
	code = s_choose(&o, &f, &from, &to);
	const struct vt_find_file **files = calloc(f.n_files, sizeof(*files));
	size_t n = code == 0 && files ? vt_find_overlapping(&f, from, to, files) : 0;
	if (code == 0 && n == 0) {
		fprintf(stderr, "vitals-report: no recording of %s covers that time\n", f.files[0].bed);
		code = EX_NOINPUT;
	}

	const char *bed = f.files[0].bed;
	int mon = cfg ? vt_config_bed_index(cfg, bed) : -1;
	struct vt_record rec;
	vt_record_init(&rec, bed, from, to, mon >= 0 ? cfg->monitors[mon].stale_after_ms : 0);
	if (code == 0)
		code = vt_report_collect(&rec, cfg, files, n, stderr);

	/* What the reader of the record must know about where it came from. */
	char notes[4][600];
	struct vt_report_options ro = {.paper = o.paper, .interval_ms = o.interval_ms,
	                               .cfg = mon >= 0 ? cfg : NULL};
	char generator[64];
	snprintf(generator, sizeof(generator), "vitals-report %s", VT_VERSION);
	ro.generator = generator;
	if (cfg == NULL)
		snprintf(notes[ro.n_notes++], sizeof(notes[0]), "No configuration was read (%s is not "
		         "there): the alarm limits are not drawn.", cfg_path);
	else if (mon < 0)
		snprintf(notes[ro.n_notes++], sizeof(notes[0]), "%s has no monitor for %s: its values "
		         "were decoded with the recorded protocol, and no alarm limits are drawn.",
		         cfg_path, bed);
	else if (rec.config_sha256[0] && strcmp(rec.config_sha256, cfg->sha256) != 0)
		snprintf(notes[ro.n_notes++], sizeof(notes[0]), "The alarm limits drawn are those of %s "
		         "(SHA-256 %.16s...), which is not the configuration recorded.", cfg_path,
		         cfg->sha256);
	if (rec.alarms_replayed)
		snprintf(notes[ro.n_notes++], sizeof(notes[0]), "The recording has no station events "
		         "(format 1): the alarms are those of a replay through %s, and phases and "
		         "acknowledgements are not known.", mon >= 0 ? cfg_path : "no rules");
	for (size_t i = 0; i < ro.n_notes; i++)
		ro.notes[i] = notes[i];

	struct vt_report_doc *doc = code == 0 ? vt_report_doc_new(&rec, &ro) : NULL;
	if (code == 0 && doc == NULL)
		code = EX_OSERR;
	char err[4200];
	/* What was written is said on stdout, unless the CSV goes there. */
	FILE *say = o.csv && strcmp(o.csv, "-") == 0 ? stderr : stdout;
	if (code == 0) {
		char pdf[300];
		const char *pdf_path = o.pdf;
		if (!o.pdf && !o.png && !o.csv) {
			snprintf(pdf, sizeof(pdf), "%s.pdf", vt_report_doc_session(doc));
			pdf_path = pdf;
		}
		char title[300];
		snprintf(title, sizeof(title), "Infusion record %s", vt_report_doc_session(doc));
		if (pdf_path && vt_report_pdf(doc, pdf_path, title, err, sizeof(err)) != 0) {
			fprintf(stderr, "vitals-report: cannot write %s\n", err);
			code = EX_CANTCREAT;
		} else if (pdf_path) {
			fprintf(say, "%s: %zu pages\n", pdf_path, vt_report_doc_pages(doc));
		}
		int pages;
		if (code == 0 && o.png &&
		    (pages = vt_report_png(doc, o.png, o.dpi, err, sizeof(err))) < 0) {
			fprintf(stderr, "vitals-report: cannot write %s\n", err);
			code = EX_CANTCREAT;
		} else if (code == 0 && o.png) {
			fprintf(say, "%s-1.png ... %s-%d.png\n", o.png, o.png, pages);
		}
		if (code == 0 && o.csv) {
			FILE *fp = strcmp(o.csv, "-") == 0 ? stdout : fopen(o.csv, "w");
			if (fp == NULL || vt_report_csv(doc, &rec, fp) != 0 ||
			    (fp != stdout && fclose(fp) != 0)) {
				fprintf(stderr, "vitals-report: cannot write %s: %s\n", o.csv, strerror(errno));
				code = EX_CANTCREAT;
			} else if (fp != stdout) {
				fprintf(say, "%s\n", o.csv);
			}
		}
	}
	vt_report_doc_free(&doc);
	vt_record_release(&rec);
	free(files);
	vt_find_release(&f);
	vt_config_free(&cfg);
	return code;
}
