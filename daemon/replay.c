/*
 * Offline replay: the same core as the live daemon, fed from files in
 * virtual time. Each bed is a source that yields timestamped readings; the
 * sources are merged in time order (ties in command-line order) and every
 * message the core publishes is written as one JSON line.
 *
 * Sources:
 *  - numerics CSV (bypasses the driver);
 *  - raw byte captures (*.bin, *.dat) fed through the bed's driver, a byte
 *    at a time, each byte arriving when the line would have delivered it at
 *    the configured baud rate (10 bits a byte: start, 8 data, stop).
 *
 * Input is validated completely before the first line is written, so a bad
 * recording never produces half an output.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "vitals/core.h"
#include "vitals/csv.h"
#include "vitals/replay.h"

enum source_kind { SRC_CSV, SRC_RAW };

struct source {
	int bed;                   /* monitor index */
	const char *path;          /* recording */
	enum source_kind kind;
	struct vt_csv_file *csv;   /* SRC_CSV */
	uint8_t *bytes;            /* SRC_RAW: the whole capture */
	size_t len, pos;           /* its length and the next byte to feed */
	const struct vt_driver *driver;
	void *state;               /* driver state */
	int64_t byte_t;            /* arrival time of the byte being fed */
	struct vt_reading *queue;  /* readings decoded but not yet delivered */
	int64_t *queue_t;
	size_t q_head, q_len, q_cap;
	bool started;              /* first reading delivered */
	bool has_next;             /* next/next_t hold the upcoming reading */
	struct vt_reading next;
	int64_t next_t;
	bool done;                 /* exhausted and stopped */
	int64_t last_t;            /* time of the last reading delivered */
};

/* Driver sink: queue a reading stamped with the current byte's arrival. */
static void
s_queue_reading(void *ctx, const struct vt_reading *r)
{
	struct source *s = ctx;
	if (s->q_len == s->q_cap) {
		size_t cap = s->q_cap ? s->q_cap * 2 : 8;
		struct vt_reading *q = realloc(s->queue, cap * sizeof(*q));
		int64_t *qt = realloc(s->queue_t, cap * sizeof(*qt));
		if (q)
			s->queue = q;
		if (qt)
			s->queue_t = qt;
		if (q == NULL || qt == NULL)
			return;
		s->q_cap = cap;
	}
	if (s->q_head > 0) {
		memmove(s->queue, s->queue + s->q_head, s->q_len * sizeof(*s->queue));
		memmove(s->queue_t, s->queue_t + s->q_head, s->q_len * sizeof(*s->queue_t));
		s->q_head = 0;
	}
	s->queue[s->q_len] = *r;
	s->queue_t[s->q_len] = s->byte_t;
	s->q_len++;
}

/* Load the upcoming reading into s->next; false at the end. */
static int
s_pull(struct source *s, int64_t clock_start, struct vt_diag *diag)
{
	s->has_next = false;
	if (s->kind == SRC_CSV) {
		int64_t t;
		int rc = vt_csv_file_next(s->csv, &t, &s->next, diag);
		if (rc <= 0)
			return rc;
		s->next_t = clock_start + t;
		s->has_next = true;
		return 1;
	}
	const struct vt_driver_sink sink = {.reading = s_queue_reading, .ctx = s};
	int baud = s->driver->default_baud;
	while (s->q_len == 0 && s->pos < s->len) {
		/* Integer arithmetic keeps the byte clock exact over long captures. */
		s->byte_t = clock_start + (int64_t)(s->pos + 1) * 10000 / baud;
		s->driver->feed(s->state, &s->bytes[s->pos], 1, &sink);
		s->pos++;
	}
	if (s->q_len == 0)
		return 0;
	s->next = s->queue[s->q_head];
	s->next_t = s->queue_t[s->q_head];
	s->q_head++;
	s->q_len--;
	s->has_next = true;
	return 1;
}

static bool
s_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int
s_read_all(const char *path, uint8_t **out, size_t *len, FILE *err)
{
	FILE *fp = fopen(path, "rb");
	if (fp == NULL) {
		fprintf(err, "%s: cannot read: %s\n", path, strerror(errno));
		return EX_NOINPUT;
	}
	size_t cap = 65536, n = 0;
	uint8_t *buf = malloc(cap);
	for (;;) {
		if (buf == NULL) {
			fclose(fp);
			fprintf(err, "%s: out of memory\n", path);
			return EX_OSERR;
		}
		n += fread(buf + n, 1, cap - n, fp);
		if (n < cap)
			break;
		cap *= 2;
		uint8_t *nb = realloc(buf, cap);
		if (nb == NULL)
			free(buf);
		buf = nb;
	}
	bool bad = ferror(fp);
	fclose(fp);
	if (bad) {
		free(buf);
		fprintf(err, "%s: read error\n", path);
		return EX_IOERR;
	}
	*out = buf;
	*len = n;
	return 0;
}

/* Read a CSV recording once to the end, so errors surface before output. */
static int
s_validate_csv(const char *path, FILE *err)
{
	struct vt_diag diag = {0};
	struct vt_csv_file *f = vt_csv_file_open(path, &diag);
	int rc = 0;
	if (f != NULL) {
		struct vt_reading r;
		int64_t t;
		while ((rc = vt_csv_file_next(f, &t, &r, &diag)) > 0)
			;
		vt_csv_file_close(&f);
	}
	int code = 0;
	if (diag.count > 0) {
		vt_diag_print(&diag, err);
		code = f == NULL && rc == 0 && errno == ENOENT ? EX_NOINPUT : EX_DATAERR;
	}
	vt_diag_clear(&diag);
	return code;
}

static void
s_source_free(struct source *s)
{
	vt_csv_file_close(&s->csv);
	free(s->bytes);
	free(s->state);
	free(s->queue);
	free(s->queue_t);
}

/* Parse BED=RECORDING and prepare the source. A sysexits code on error. */
static int
s_source_open(struct source *s, const struct vt_config *cfg, const char *spec, FILE *err)
{
	const char *eq = strchr(spec, '=');
	if (eq == NULL || eq == spec || eq[1] == '\0') {
		fprintf(err, "--replay %s: expected BED=RECORDING\n", spec);
		return EX_USAGE;
	}
	char bed[128];
	size_t bl = (size_t)(eq - spec);
	if (bl >= sizeof(bed)) {
		fprintf(err, "--replay %s: bed name too long\n", spec);
		return EX_USAGE;
	}
	memcpy(bed, spec, bl);
	bed[bl] = '\0';
	s->bed = vt_config_bed_index(cfg, bed);
	if (s->bed < 0) {
		fprintf(err, "--replay %s: no monitor for bed \"%s\" in %s\n", spec, bed, cfg->path);
		return EX_USAGE;
	}
	s->path = eq + 1;
	if (s_has_suffix(s->path, ".bin") || s_has_suffix(s->path, ".dat")) {
		s->kind = SRC_RAW;
		s->driver = cfg->monitors[s->bed].driver;
		int rc = s_read_all(s->path, &s->bytes, &s->len, err);
		if (rc != 0)
			return rc;
		s->state = calloc(1, s->driver->state_size ? s->driver->state_size : 1);
		if (s->state == NULL)
			return EX_OSERR;
		s->driver->reset(s->state);
		return 0;
	}
	s->kind = SRC_CSV;
	if (access(s->path, R_OK) != 0) {
		fprintf(err, "%s: cannot read: %s\n", s->path, strerror(errno));
		return EX_NOINPUT;
	}
	int rc = s_validate_csv(s->path, err);
	if (rc != 0)
		return rc;
	struct vt_diag diag = {0};
	s->csv = vt_csv_file_open(s->path, &diag);
	vt_diag_clear(&diag);
	return s->csv ? 0 : EX_NOINPUT;
}

struct out_ctx {
	FILE *out;
	bool failed;
};

static void
s_write_line(void *ctx, const char *topic, const char *json, size_t len)
{
	struct out_ctx *o = ctx;
	if (fwrite(json, 1, len, o->out) != len || fputc('\n', o->out) == EOF)
		o->failed = true;
}

int
vt_replay_run(const struct vt_config *cfg, char *const *specs, size_t n_specs,
              int64_t clock_start, FILE *out, FILE *err)
{
	struct source *src = calloc(n_specs ? n_specs : 1, sizeof(*src));
	if (src == NULL)
		return EX_OSERR;
	int code = 0;
	for (size_t i = 0; i < n_specs && code == 0; i++) {
		code = s_source_open(&src[i], cfg, specs[i], err);
		for (size_t j = 0; j < i && code == 0; j++)
			if (src[j].bed == src[i].bed) {
				fprintf(err, "--replay: bed \"%s\" is listed twice\n",
				        cfg->monitors[src[i].bed].bed);
				code = EX_USAGE;
			}
	}

	struct out_ctx oc = {.out = out};
	struct vt_core_options opt = {
	    .instance = "replay", .embed_topic = true, .publish = s_write_line, .ctx = &oc};
	struct vt_core *core = code == 0 ? vt_core_new(cfg, &opt) : NULL;
	if (code == 0 && core == NULL)
		code = EX_OSERR;

	struct vt_diag diag = {0};
	if (code == 0) {
		vt_core_start(core, clock_start);
		for (size_t i = 0; i < n_specs; i++)
			if (s_pull(&src[i], clock_start, &diag) < 0)
				code = EX_DATAERR;
	}
	while (code == 0 && !oc.failed) {
		/* Earliest event: a reading, or the end of an exhausted source
		 * (which sorts after readings at the same instant). */
		int pick = -1;
		bool pick_end = false;
		int64_t best = INT64_MAX;
		for (size_t i = 0; i < n_specs; i++) {
			struct source *s = &src[i];
			if (s->done)
				continue;
			bool end = !s->has_next;
			int64_t t = end ? s->last_t : s->next_t;
			if (t < best || (t == best && pick_end && !end)) {
				best = t;
				pick = (int)i;
				pick_end = end;
			}
		}
		if (pick < 0)
			break;
		struct source *s = &src[pick];
		if (pick_end) {
			vt_core_advance(core, s->last_t);
			if (s->started) {
				vt_core_port_state(core, s->bed, s->last_t, VT_PORT_CLOSED,
				                   "end of recording");
				vt_core_stop_bed(core, s->bed);
			}
			s->done = true;
			continue;
		}
		vt_core_advance(core, s->next_t - 1);
		if (!s->started) {
			s->started = true;
			vt_core_port_state(core, s->bed, s->next_t, VT_PORT_CONNECTED, NULL);
			vt_core_watch_bed(core, s->bed, s->next_t);
		}
		vt_core_reading(core, s->bed, s->next_t, &s->next);
		s->last_t = s->next_t;
		if (s_pull(s, clock_start, &diag) < 0)
			code = EX_DATAERR;
	}
	if (diag.count > 0)
		vt_diag_print(&diag, err);
	vt_diag_clear(&diag);
	vt_core_free(&core);
	for (size_t i = 0; i < n_specs; i++)
		s_source_free(&src[i]);
	free(src);
	if (code == 0 && (oc.failed || fflush(out) != 0)) {
		fprintf(err, "replay: cannot write output: %s\n", strerror(errno));
		code = EX_IOERR;
	}
	return code;
}
