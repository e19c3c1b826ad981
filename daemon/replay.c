/*
 * Offline replay: the same core as the live daemon, fed from files in
 * virtual time. Each bed is a source that yields timestamped items
 * (readings and port state changes); the sources are merged in time order
 * (ties in command-line order) and every message the core publishes is
 * written as one JSON line.
 *
 * Sources:
 *  - numerics CSV, bypassing the driver; t=0 is the clock start;
 *  - raw byte captures (*.bin, *.dat, *.data) fed through the bed's driver a byte
 *    at a time, each byte stamped when the line would have delivered it at
 *    the configured baud rate (10 bits a byte: start, 8 data, stop);
 *  - session files written by the recorder, fed through the driver with
 *    their recorded chunking and timing (a bed's several files, as the
 *    recorder rotated them, one after another), port events included, and the
 *    station's commands (phase, ack, silence) carried out when they were,
 *    so they reproduce the live run's alert stream. Their times are
 *    absolute; --clock-start moves the session's start to the given instant.
 *
 * Drivers of polled devices run here exactly as live: connect() when the
 * port opens, tick() at the times wake() names (in virtual time), replies
 * from feed(). What they queue for the device goes nowhere: the recording
 * already holds the device's answers to what the live run sent (its
 * `sent` lines are skipped), and a replay must not depend on a device.
 *
 * Input is validated completely before the first line is written, so a bad
 * recording never produces half an output.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "vitals/core.h"
#include "vitals/drivers/sniff.h"
#include "vitals/replay.h"
#include "vitals/wire/control_request.h"
#include "vitals/wire/csv.h"
#include "vitals/wire/session.h"
#include "vitals/wire/zfile.h"

enum source_kind { SRC_CSV, SRC_RAW, SRC_SESSION };

/* One thing that happens to a bed at a time. */
struct item {
	bool is_control;         /* a recorded station command rather than a reading */
	struct vt_control_req req; /* is_control: the command */
	bool is_port;            /* a port state change rather than a reading */
	bool is_line;            /* the line's counters after a feed, rather than a reading */
	bool undecoded;          /* is_line: bytes rejected, none decoded */
	bool is_alarm;           /* an alarm the monitor raised or ended, rather than a reading */
	struct vt_device_alarm da; /* is_alarm: the alarm */
	struct vt_line_stats line; /* is_line and is_port: the line's counters then */
	int64_t t;
	struct vt_reading r;     /* the reading */
	enum vt_port_state st;   /* the new port state */
	char detail[128];        /* why, for port changes */
};

struct source {
	int bed;                   /* monitor index */
	const char *path;          /* recording */
	enum source_kind kind;
	int64_t origin;            /* virtual time of the recording's t=0 */
	struct vt_csv_file *csv;   /* SRC_CSV */
	uint8_t *bytes;            /* SRC_RAW: the whole capture */
	size_t len, pos;           /* its length and the next byte to feed */
	struct vt_session_reader *session; /* SRC_SESSION */
	const char **more;         /* SRC_SESSION: the bed's later files, played after this one */
	size_t n_more, next_more;  /* how many, and the next to open */
	int64_t begins, ends;      /* SRC_SESSION: the start of its (last) file and its last event */
	bool merged;               /* played as one of another source's `more` */
	const struct vt_driver *driver;
	void *state;               /* driver state */
	struct vt_line line;       /* the driver with the line diagnostics, as live */
	const struct vt_driver_opts *opts; /* the bed's driver options */
	int baud;                  /* raw captures: the bed's line speed, which times the bytes */
	bool port_up;              /* the driver's port is open: its timer runs */
	struct vt_tx tx;           /* what the driver would send; discarded */
	void *scratch;             /* for recognising another protocol */
	int64_t feed_t;            /* time stamped on readings fed right now */
	struct item *queue;        /* items decoded but not yet delivered */
	size_t q_head, q_len, q_cap;
	bool started;              /* first item delivered */
	bool has_next;             /* `next` holds the upcoming item */
	struct item next;
	bool done;                 /* exhausted and stopped */
	bool port_open;            /* last port state delivered was connected */
	int64_t last_t;            /* time of the last item delivered */
};

static struct item *
s_push(struct source *s)
{
	if (s->q_len == 0)
		s->q_head = 0;
	if (s->q_head + s->q_len == s->q_cap) {
		if (s->q_head > 0) {
			memmove(s->queue, s->queue + s->q_head, s->q_len * sizeof(*s->queue));
			s->q_head = 0;
		} else {
			size_t cap = s->q_cap ? s->q_cap * 2 : 8;
			struct item *q = realloc(s->queue, cap * sizeof(*q));
			if (q == NULL)
				return NULL;
			s->queue = q;
			s->q_cap = cap;
		}
	}
	struct item *it = &s->queue[s->q_head + s->q_len++];
	memset(it, 0, sizeof(*it));
	return it;
}

/* Driver sink: queue a reading stamped with the current feed time. */
static void
s_queue_reading(void *ctx, const struct vt_reading *r)
{
	struct source *s = ctx;
	struct item *it = s_push(s);
	if (it == NULL)
		return;
	it->t = s->feed_t;
	it->r = *r;
}

/* Driver sink: queue a monitor's alarm stamped with the current feed time. */
static void
s_queue_alarm(void *ctx, const struct vt_device_alarm *da)
{
	struct source *s = ctx;
	struct item *it = s_push(s);
	if (it == NULL)
		return;
	it->t = s->feed_t;
	it->is_alarm = true;
	it->da = *da;
}

static void
s_queue_port(struct source *s, int64_t t, enum vt_port_state st, const char *detail)
{
	struct item *it = s_push(s);
	if (it == NULL)
		return;
	it->is_port = true;
	it->t = t;
	it->st = st;
	it->line = s->line.stats;
	snprintf(it->detail, sizeof(it->detail), "%s", detail ? detail : "");
}

/* Feed bytes as live does, and queue the line's counters when they matter. */
static void
s_feed(struct source *s, const uint8_t *bytes, size_t len, const struct vt_driver_sink *sink)
{
	uint64_t frames = s->line.stats.frames;
	bool junk = vt_line_feed(&s->line, s->feed_t, bytes, len, sink);
	if (!junk && frames == s->line.stats.frames)
		return;
	struct item *it = s_push(s);
	if (it == NULL)
		return;
	it->is_line = true;
	it->undecoded = junk;
	it->t = s->feed_t;
	it->line = s->line.stats;
}

/* A sink for a driver call at t; what the driver sends is thrown away. */
static struct vt_driver_sink
s_sink(struct source *s, int64_t t)
{
	s->feed_t = t;
	s->tx.len = 0;
	return (struct vt_driver_sink){.reading = s_queue_reading, .device_alarm = s_queue_alarm,
	                               .ctx = s, .now = t, .tx = &s->tx};
}

/* The port opened at t: a fresh driver and line, and the driver's connect(). */
static void
s_driver_open(struct source *s, int64_t t)
{
	vt_line_reset(&s->line);
	s->port_up = true;
	if (s->driver->connect != NULL) {
		const struct vt_driver_sink sink = s_sink(s, t);
		s->driver->connect(s->state, NULL, 0, &sink);
	}
}

/* The driver's timer, in virtual time: every tick due before t. */
static void
s_driver_ticks(struct source *s, int64_t t)
{
	if (!s->port_up || s->driver->tick == NULL || s->driver->wake == NULL)
		return;
	/* Bounded: a driver whose wake() does not move on must not hang replay. */
	for (int i = 0; i < 1000; i++) {
		int64_t wake = s->driver->wake(s->state);
		if (wake >= t)
			return;
		const struct vt_driver_sink sink = s_sink(s, wake);
		s->driver->tick(s->state, &sink);
	}
}

/* Decode more of a raw capture or session until something is queued. */
static int
s_fill(struct source *s, struct vt_diag *diag)
{
	while (s->q_len == 0) {
		if (s->kind == SRC_RAW) {
			if (s->pos >= s->len)
				return 0;
			/* Integer arithmetic keeps the byte clock exact over long captures. */
			int64_t t = s->origin + (int64_t)(s->pos + 1) * 10000 / s->baud;
			if (!s->port_up)
				s_driver_open(s, s->origin);
			s_driver_ticks(s, t);
			const struct vt_driver_sink sink = s_sink(s, t);
			s_feed(s, &s->bytes[s->pos], 1, &sink);
			s->pos++;
			continue;
		}
		int64_t t;
		enum vt_rec_event ev;
		const uint8_t *data;
		size_t len;
		int rc = vt_session_next(s->session, &t, &ev, &data, &len, diag);
		if (rc == 0 && s->next_more < s->n_more) {
			/* The bed's next file (checked before the replay began). */
			vt_session_close(&s->session);
			s->session = vt_session_open(s->more[s->next_more++], diag);
			if (s->session == NULL)
				return -1;
			continue;
		}
		if (rc <= 0)
			return rc;
		t += s->origin;
		s_driver_ticks(s, t);
		switch (ev) {
		case VT_REC_OPEN:
			s_driver_open(s, t);
			s_queue_port(s, t, VT_PORT_CONNECTED, NULL);
			break;
		case VT_REC_DATA: {
			const struct vt_driver_sink sink = s_sink(s, t);
			s_feed(s, data, len, &sink);
			break;
		}
		case VT_REC_SENT:
			break; /* the live run's own messages: this run makes its own */
		case VT_REC_LOST: {
			char why[128];
			snprintf(why, sizeof(why), "%.*s", (int)(len < sizeof(why) ? len : sizeof(why) - 1),
			         data ? (const char *)data : "");
			s_queue_port(s, t, VT_PORT_LOST, why[0] ? why : "port lost");
			s->port_up = false;
			break;
		}
		case VT_REC_CLOSE:
			s_queue_port(s, t, VT_PORT_CLOSED, "recording closed");
			s->port_up = false;
			break;
		case VT_REC_CONTROL: {
			/* Checked by s_validate before the replay began. */
			struct item *it = s_push(s);
			char why[256];
			if (it == NULL || vt_control_parse((const char *)data, len, &it->req, why,
			                                   sizeof(why)) != 0) {
				if (it != NULL)
					s->q_len--;
				break;
			}
			it->is_control = true;
			it->t = t;
			break;
		}
		case VT_REC_ALERT:   /* what the live run published: the replay makes its own */
		case VT_REC_SESSION:
		case VT_REC_CONFIG:
		case VT_REC_EVENT_COUNT:
			break;
		case VT_REC_GAP:
			/* Bytes are missing here: what follows does not continue a frame. */
			vt_line_reset(&s->line);
			break;
		}
	}
	return 1;
}

/* Load the upcoming item into s->next; 0 at the end, -1 on a bad recording. */
static int
s_pull(struct source *s, struct vt_diag *diag)
{
	s->has_next = false;
	if (s->kind == SRC_CSV) {
		int64_t t;
		memset(&s->next, 0, sizeof(s->next));
		int rc = vt_csv_file_next(s->csv, &t, &s->next.r, diag);
		if (rc <= 0)
			return rc;
		s->next.t = s->origin + t;
	} else {
		int rc = s_fill(s, diag);
		if (rc <= 0)
			return rc;
		s->next = s->queue[s->q_head++];
		s->q_len--;
		if (s->q_len == 0)
			s->q_head = 0;
	}
	s->has_next = true;
	return 1;
}

static bool
s_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/*
 * A recording, read once into memory, at most `max` bytes of it: a device
 * (/dev/zero), a pipe that never ends or a file that grows as fast as it is
 * read is refused at the bound instead of filling memory (so is a small
 * gzip file that decompresses to more). Replay then works on this copy, so
 * what it validates is what it plays.
 */
static int
s_read_all(const char *path, size_t max, uint8_t **out, size_t *len, FILE *err)
{
	/* A compressed recording (vitals-archive) is read as what it holds: the
	 * bound counts the bytes after decompression. */
	FILE *fp = vt_zfile_open(path);
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
		size_t want = cap - n;
		size_t got = fread(buf + n, 1, want, fp);
		n += got;
		if (n > max) {
			fclose(fp);
			free(buf);
			fprintf(err, "%s: more than %zu bytes; replay reads at most that much of one "
			        "recording (limits.replay_input_size)\n", path, max);
			return EX_DATAERR;
		}
		if (got < want)
			break;
		cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
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

/* A recorded command must be one a replay can carry out for its bed. */
static void
s_validate_control(const struct vt_session_reader *sr, const char *path, const char *json,
                   size_t len, struct vt_diag *diag)
{
	struct vt_control_req req;
	char why[256];
	if (vt_control_parse(json, len, &req, why, sizeof(why)) != 0)
		vt_diag_add(diag, path, vt_session_line(sr), 0, NULL, "a recorded command: %s", why);
	else if (req.cmd != VT_CMD_ACK && req.cmd != VT_CMD_SILENCE && req.cmd != VT_CMD_PHASE)
		vt_diag_add(diag, path, vt_session_line(sr), 0, NULL,
		            "a recorded command must be ack, silence or phase");
}

/* Read a CSV or session recording once to the end, so errors surface before output. */
static int
s_validate(struct source *s, FILE *err)
{
	struct vt_diag diag = {0};
	int rc = 0;
	if (s->kind == SRC_CSV) {
		struct vt_csv_file *f = vt_csv_file_open_mem(s->path, s->bytes, s->len, &diag);
		if (f != NULL) {
			struct vt_reading r;
			int64_t t;
			while ((rc = vt_csv_file_next(f, &t, &r, &diag)) > 0)
				;
			vt_csv_file_close(&f);
		}
	} else {
		struct vt_session_reader *sr = vt_session_open_mem(s->path, s->bytes, s->len, &diag);
		if (sr != NULL) {
			int64_t t;
			enum vt_rec_event ev;
			const uint8_t *data;
			size_t len;
			s->begins = s->ends = vt_session_start(sr);
			while ((rc = vt_session_next(sr, &t, &ev, &data, &len, &diag)) > 0) {
				s->ends = t;
				if (ev == VT_REC_CONTROL)
					s_validate_control(sr, s->path, (const char *)data, len, &diag);
			}
			vt_session_close(&sr);
		}
	}
	int code = diag.count > 0 ? EX_DATAERR : 0;
	vt_diag_print(&diag, err);
	vt_diag_clear(&diag);
	return code;
}

/*
 * Source `s` is a later file of the bed `first` plays: a recording that
 * rotated into several files. They must be session files, in the order
 * they were written. 0, or a sysexits code.
 */
static int
s_source_merge(struct source *first, struct source *s, const struct vt_config *cfg, FILE *err)
{
	const char *bed = cfg->monitors[s->bed].bed;
	if (first->kind != SRC_SESSION || s->kind != SRC_SESSION) {
		fprintf(err, "--replay: bed \"%s\" is listed twice (only session files of a bed may "
		        "follow one another)\n", bed);
		return EX_USAGE;
	}
	if (s->begins < first->ends) {
		fprintf(err, "--replay: %s begins before %s ends: give bed \"%s\"'s files in the order "
		        "they were written\n", s->path,
		        first->n_more ? first->more[first->n_more - 1] : first->path, bed);
		return EX_USAGE;
	}
	const char **more = realloc(first->more, (first->n_more + 1) * sizeof(*more));
	if (more == NULL)
		return EX_OSERR;
	first->more = more;
	first->more[first->n_more++] = s->path;
	first->ends = s->ends;
	vt_session_close(&s->session);
	s->merged = s->done = true;
	return 0;
}

static void
s_source_free(struct source *s)
{
	free(s->more);
	vt_csv_file_close(&s->csv);
	vt_session_close(&s->session);
	free(s->bytes);
	free(s->state);
	free(s->scratch);
	free(s->queue);
}

/* Parse BED=RECORDING and prepare the source. A sysexits code on error. */
static int
s_source_open(struct source *s, const struct vt_config *cfg, const char *spec,
              const int64_t *clock_start, FILE *err)
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
	s->driver = cfg->monitors[s->bed].driver;
	s->opts = &cfg->monitors[s->bed].opts;
	s->baud = cfg->monitors[s->bed].baud;
	s->origin = clock_start ? *clock_start : 0;
	int rc = s_read_all(s->path, (size_t)cfg->limits.replay_input_size, &s->bytes, &s->len, err);
	if (rc != 0)
		return rc;
	if (vt_session_detect_mem(s->bytes, s->len) == 1)
		s->kind = SRC_SESSION;
	else if (s_has_suffix(s->path, ".bin") || s_has_suffix(s->path, ".dat") ||
	         s_has_suffix(s->path, ".data"))
		s->kind = SRC_RAW;
	else
		s->kind = SRC_CSV;

	if (s->kind != SRC_CSV) {
		s->state = calloc(1, s->driver->state_size ? s->driver->state_size : 1);
		s->scratch = calloc(1, vt_driver_sniff_scratch_size());
		if (s->state == NULL || s->scratch == NULL)
			return EX_OSERR;
		vt_line_init(&s->line, s->driver, s->opts, s->state, s->scratch);
	}
	if (s->kind == SRC_RAW)
		return 0;

	rc = s_validate(s, err);
	if (rc != 0)
		return rc;
	struct vt_diag diag = {0};
	if (s->kind == SRC_CSV) {
		s->csv = vt_csv_file_open_mem(s->path, s->bytes, s->len, &diag);
	} else {
		s->session = vt_session_open_mem(s->path, s->bytes, s->len, &diag);
		if (s->session != NULL) {
			const struct vt_rec_info *info = vt_session_info(s->session);
			if (strcmp(info->protocol, s->driver->name) != 0)
				fprintf(err, "%s: recorded with %s; replaying with bed %s's %s\n", s->path,
				        info->protocol, bed, s->driver->name);
			/* Recorded times are absolute; --clock-start moves the start. */
			s->origin = clock_start ? *clock_start - vt_session_start(s->session) : 0;
		}
	}
	vt_diag_clear(&diag);
	return s->csv || s->session ? 0 : EX_NOINPUT;
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

/* Deliver one item of source s to the core (and to the sink's reading hook). */
static void
s_deliver(struct vt_core *core, struct source *s, const struct vt_replay_sink *sink)
{
	const struct item *it = &s->next;
	vt_core_advance(core, it->t - 1);
	if (!s->started) {
		s->started = true;
		vt_core_watch_bed(core, s->bed, it->t);
		/* A numerics CSV bypasses the bed's driver: what the bed's monitor
		 * always measures is awaited as ever, and any other column counts
		 * once it has shown a value, as a module would (a recording's ECG
		 * heart rate on an oximeter's bed; docs/replay.md). */
		if (s->kind == SRC_CSV)
			vt_core_bed_measures(core, s->bed, s->driver->params, VT_PARAMS_ALL);
		/* CSV and raw captures have no port events: the port is up from the first item. */
		if (s->kind != SRC_SESSION) {
			vt_core_port_state(core, s->bed, it->t, VT_PORT_CONNECTED, NULL);
			s->port_open = true;
		}
	}
	if (it->is_control) {
		/* As live carried it out; an ack of an alarm this configuration did
		 * not raise finds nothing to acknowledge, as live would have. */
		const struct vt_control_req *q = &it->req;
		if (q->cmd == VT_CMD_ACK)
			vt_core_ack(core, q->id, q->by, it->t);
		else if (q->cmd == VT_CMD_SILENCE)
			vt_core_silence(core, s->bed, q->duration_ms, q->by, it->t);
		else if (q->cmd == VT_CMD_PHASE)
			vt_core_phase(core, s->bed, q->phase, q->weight_kg, q->dose_mg_per_kg_h, q->by,
			              it->t);
	} else if (it->is_alarm) {
		vt_core_device_alarm(core, s->bed, it->t, &it->da);
	} else if (it->is_line) {
		vt_core_line(core, s->bed, it->t, &it->line, it->undecoded);
	} else if (it->is_port) {
		if (it->st != VT_PORT_CONNECTED)
			vt_core_line(core, s->bed, it->t, &it->line, false);
		vt_core_port_state(core, s->bed, it->t, it->st, it->detail[0] ? it->detail : NULL);
		s->port_open = it->st == VT_PORT_CONNECTED;
	} else {
		if (sink->reading != NULL)
			sink->reading(sink->ctx, s->bed, it->t, &it->r);
		vt_core_reading(core, s->bed, it->t, &it->r);
	}
	s->last_t = it->t;
}

int
vt_replay_parse_phase(const struct vt_config *cfg, const char *arg, struct vt_replay_phase *out,
                      char *err, size_t errlen)
{
	const char *at = strchr(arg, '@'), *eq = at ? strchr(at, '=') : NULL;
	if (at == NULL || eq == NULL || at == arg) {
		snprintf(err, errlen, "--phase %s: expected BED@SECONDS=PHASE[:KG[:MG_PER_KG_H]]", arg);
		return -1;
	}
	char bed[128], phase[32];
	if ((size_t)(at - arg) >= sizeof(bed)) {
		snprintf(err, errlen, "--phase %s: bed name too long", arg);
		return -1;
	}
	memcpy(bed, arg, (size_t)(at - arg));
	bed[at - arg] = '\0';
	out->bed = vt_config_bed_index(cfg, bed);
	if (out->bed < 0) {
		snprintf(err, errlen, "--phase %s: no monitor for bed \"%s\"", arg, bed);
		return -1;
	}
	char *end;
	double secs = strtod(at + 1, &end);
	if (end != eq || !isfinite(secs) || fabs(secs) > 1e9) {
		snprintf(err, errlen, "--phase %s: expected seconds after @", arg);
		return -1;
	}
	out->t_ms = llround(secs * 1000);
	const char *rest = eq + 1;
	size_t n = strcspn(rest, ":");
	if (n == 0 || n >= sizeof(phase)) {
		snprintf(err, errlen, "--phase %s: expected a phase after =", arg);
		return -1;
	}
	memcpy(phase, rest, n);
	phase[n] = '\0';
	int p = vt_phase_by_name(phase);
	if (p < 0) {
		snprintf(err, errlen, "--phase %s: unknown phase \"%s\" (baseline, infusion, recovery, ended)",
		         arg, phase);
		return -1;
	}
	out->phase = (enum vt_phase)p;
	out->weight_kg = out->dose_mg_per_kg_h = NAN;
	double *fields[2] = {&out->weight_kg, &out->dose_mg_per_kg_h};
	rest += n;
	for (int i = 0; i < 2 && *rest == ':'; i++) {
		*fields[i] = strtod(rest + 1, &end);
		if (end == rest + 1 || !isfinite(*fields[i]) || *fields[i] < 0) {
			snprintf(err, errlen, "--phase %s: expected numbers for weight (kg) and dose (mg/kg/h)",
			         arg);
			return -1;
		}
		rest = end;
	}
	if (*rest != '\0') {
		snprintf(err, errlen, "--phase %s: unexpected \"%s\"", arg, rest);
		return -1;
	}
	return 0;
}

static int
s_cmp_phase(const void *a, const void *b)
{
	const struct vt_replay_phase *x = a, *y = b;
	return (x->t_ms > y->t_ms) - (x->t_ms < y->t_ms);
}

/* The replay itself; it stops early when *stop becomes true (the output failed). */
static int
s_replay(const struct vt_config *cfg, char *const *specs, size_t n_specs,
         const struct vt_replay_phase *phases_in, size_t n_phases, const int64_t *clock_start,
         const struct vt_replay_sink *sink, const bool *stop, FILE *err)
{
	/* Phase changes in time order (stable for equal times: command-line order). */
	struct vt_replay_phase *phases = calloc(n_phases + 1, sizeof(*phases));
	if (phases == NULL)
		return EX_OSERR;
	if (n_phases > 0) /* phases_in may be NULL then */
		if (n_phases > 0) /* phases_in may be NULL then */
		memcpy(phases, phases_in, n_phases * sizeof(*phases));
	for (size_t i = 1; i < n_phases; i++) /* insertion sort keeps ties in order */
		for (size_t j = i; j > 0 && s_cmp_phase(&phases[j - 1], &phases[j]) > 0; j--) {
			struct vt_replay_phase tmp = phases[j];
			phases[j] = phases[j - 1];
			phases[j - 1] = tmp;
		}
	size_t next_phase = 0;
	int64_t phase_origin = clock_start ? *clock_start : 0;

	struct source *src = calloc(n_specs ? n_specs : 1, sizeof(*src));
	if (src == NULL)
		return EX_OSERR;
	int code = 0;
	for (size_t i = 0; i < n_specs && code == 0; i++) {
		code = s_source_open(&src[i], cfg, specs[i], clock_start, err);
		for (size_t j = 0; j < i && code == 0; j++)
			if (src[j].bed == src[i].bed && !src[j].merged) {
				code = s_source_merge(&src[j], &src[i], cfg, err);
				break;
			}
	}

	struct vt_core_options opt = {
	    .instance = "replay", .embed_topic = true, .publish = sink->message, .ctx = sink->ctx};
	struct vt_core *core = code == 0 ? vt_core_new(cfg, &opt) : NULL;
	if (code == 0 && core == NULL)
		code = EX_OSERR;

	struct vt_diag diag = {0};
	int64_t first = INT64_MAX;
	for (size_t i = 0; i < n_specs && code == 0; i++) {
		if (src[i].merged)
			continue;
		if (s_pull(&src[i], &diag) < 0)
			code = EX_DATAERR;
		else if (src[i].has_next && src[i].next.t < first)
			first = src[i].next.t;
	}
	/* Virtual time starts at the clock start; sessions carry real dates, so
	 * without --clock-start their first event starts it. */
	if (code == 0) {
		bool any_session = false;
		for (size_t i = 0; i < n_specs; i++)
			any_session |= src[i].kind == SRC_SESSION;
		int64_t start = clock_start ? *clock_start : 0;
		if ((any_session && !clock_start) || first < start)
			start = first == INT64_MAX ? start : first;
		vt_core_start(core, start);
	}
	while (code == 0 && !*stop) {
		/* Earliest event: an item, or the end of an exhausted source (which
		 * sorts after items at the same instant). */
		int pick = -1;
		bool pick_end = false;
		int64_t best = INT64_MAX;
		for (size_t i = 0; i < n_specs; i++) {
			struct source *s = &src[i];
			if (s->done)
				continue;
			bool end = !s->has_next;
			int64_t t = end ? s->last_t : s->next.t;
			if (t < best || (t == best && pick_end && !end)) {
				best = t;
				pick = (int)i;
				pick_end = end;
			}
		}
		/* A phase change applies before readings at the same instant. */
		if (next_phase < n_phases && (pick < 0 || phase_origin + phases[next_phase].t_ms <= best)) {
			const struct vt_replay_phase *ph = &phases[next_phase++];
			int64_t t = phase_origin + ph->t_ms;
			vt_core_advance(core, t - 1);
			vt_core_phase(core, ph->bed, ph->phase, ph->weight_kg, ph->dose_mg_per_kg_h, "replay",
			              t);
			continue;
		}
		if (pick < 0)
			break;
		struct source *s = &src[pick];
		if (pick_end) {
			vt_core_advance(core, s->last_t);
			if (s->started) {
				if (s->port_open)
					vt_core_port_state(core, s->bed, s->last_t, VT_PORT_CLOSED,
					                   "end of recording");
				vt_core_stop_bed(core, s->bed);
			}
			s->done = true;
			continue;
		}
		s_deliver(core, s, sink);
		if (s_pull(s, &diag) < 0)
			code = EX_DATAERR;
	}
	vt_diag_print(&diag, err);
	vt_diag_clear(&diag);
	vt_core_free(&core);
	for (size_t i = 0; i < n_specs; i++)
		s_source_free(&src[i]);
	free(src);
	free(phases);
	return code;
}

int
vt_replay_run(const struct vt_config *cfg, char *const *specs, size_t n_specs,
              const struct vt_replay_phase *phases, size_t n_phases,
              const int64_t *clock_start, FILE *out, FILE *err)
{
	struct out_ctx oc = {.out = out};
	const struct vt_replay_sink sink = {.message = s_write_line, .ctx = &oc};
	int code = s_replay(cfg, specs, n_specs, phases, n_phases, clock_start, &sink, &oc.failed,
	                    err);
	if (code == 0 && (oc.failed || fflush(out) != 0)) {
		fprintf(err, "replay: cannot write output: %s\n", strerror(errno));
		code = EX_IOERR;
	}
	return code;
}

int
vt_replay_run_sink(const struct vt_config *cfg, char *const *specs, size_t n_specs,
                   const struct vt_replay_phase *phases, size_t n_phases,
                   const int64_t *clock_start, const struct vt_replay_sink *sink, FILE *err)
{
	static const bool never = false;
	return s_replay(cfg, specs, n_specs, phases, n_phases, clock_start, sink, &never, err);
}
