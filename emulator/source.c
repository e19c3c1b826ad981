/*
 * What the emulator plays: a recording loaded whole (so that every error in
 * it is reported before the first byte goes out, and --loop is a matter of
 * going back to row 0), and the player that turns recording time into the
 * bytes of each device period. The player is pure: the event loop decides
 * when a period is due; the player only says what it contains.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "vitals/emulator/emulate.h"
#include "vitals/wire/csv.h"
#include "vitals/wire/session.h"

/* Stop collecting CSV errors after this many: the user has enough to fix. */
#define MAX_ERRORS 20

static bool
s_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	if (n < m)
		return false;
	for (size_t i = 0; i < m; i++)
		if (tolower((unsigned char)s[n - m + i]) != suffix[i])
			return false;
	return true;
}

static int
s_load_raw(struct vt_emu_recording *rec, const char *path, struct vt_diag *diag)
{
	FILE *fp = fopen(path, "rb");
	if (fp == NULL) {
		vt_diag_add(diag, path, 0, 0, NULL, "cannot read: %s", strerror(errno));
		return -1;
	}
	size_t cap = 0, len = 0;
	uint8_t *buf = NULL;
	for (;;) {
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			uint8_t *nb = realloc(buf, ncap);
			if (nb == NULL) {
				vt_diag_add(diag, path, 0, 0, NULL, "out of memory");
				free(buf);
				fclose(fp);
				return -1;
			}
			buf = nb;
			cap = ncap;
		}
		size_t n = fread(buf + len, 1, cap - len, fp);
		len += n;
		if (n == 0)
			break;
	}
	int failed = ferror(fp);
	fclose(fp);
	if (failed || len == 0) {
		vt_diag_add(diag, path, 0, 0, NULL, failed ? "read error" : "empty capture: nothing to play");
		free(buf);
		return -1;
	}
	rec->kind = VT_EMU_RAW;
	rec->bytes = buf;
	rec->n_bytes = len;
	return 0;
}

static int
s_load_csv(struct vt_emu_recording *rec, const char *path, struct vt_diag *diag)
{
	struct vt_csv_file *f = vt_csv_file_open(path, diag);
	if (f == NULL)
		return -1;
	size_t cap = 0, errors = 0;
	for (;;) {
		struct vt_emu_row row;
		memset(&row, 0, sizeof(row));
		int rc = vt_csv_file_next(f, &row.t_ms, &row.r, diag);
		if (rc == 0)
			break;
		if (rc < 0) {
			if (++errors >= MAX_ERRORS)
				break;
			continue;
		}
		if (rec->n_rows == cap) {
			size_t ncap = cap ? cap * 2 : 1024;
			struct vt_emu_row *nr = realloc(rec->rows, ncap * sizeof(*nr));
			if (nr == NULL) {
				vt_diag_add(diag, path, 0, 0, NULL, "out of memory");
				errors++;
				break;
			}
			rec->rows = nr;
			cap = ncap;
		}
		rec->rows[rec->n_rows++] = row;
	}
	vt_csv_file_close(&f);
	if (errors == 0 && rec->n_rows == 0) {
		vt_diag_add(diag, path, 0, 0, NULL, "no rows: nothing to play");
		errors++;
	}
	if (errors > 0) {
		free(rec->rows);
		rec->rows = NULL;
		rec->n_rows = 0;
		return -1;
	}
	rec->kind = VT_EMU_CSV;
	return 0;
}

/*
 * A session recording: its data events, at the times the daemon received
 * them. Port events (open, lost) are not replayed: the emulator's own
 * --unplug-at faults stand for them.
 */
static int
s_load_session(struct vt_emu_recording *rec, const char *path, struct vt_diag *diag)
{
	struct vt_session_reader *sr = vt_session_open(path, diag);
	if (sr == NULL)
		return -1;
	int64_t start = vt_session_start(sr), t;
	enum vt_rec_event ev;
	const uint8_t *data;
	size_t len, cap_bytes = 0, cap_chunks = 0;
	int rc;
	while ((rc = vt_session_next(sr, &t, &ev, &data, &len, diag)) > 0) {
		if (ev != VT_REC_DATA || len == 0)
			continue;
		while (rec->n_bytes + len > cap_bytes)
			cap_bytes = cap_bytes ? cap_bytes * 2 : 65536;
		if (rec->n_chunks == cap_chunks)
			cap_chunks = cap_chunks ? cap_chunks * 2 : 1024;
		uint8_t *nb = realloc(rec->bytes, cap_bytes);
		if (nb)
			rec->bytes = nb;
		struct vt_emu_chunk *nc = realloc(rec->chunks, cap_chunks * sizeof(*nc));
		if (nc)
			rec->chunks = nc;
		if (nb == NULL || nc == NULL) {
			vt_diag_add(diag, path, 0, 0, NULL, "out of memory");
			rc = -1;
			break;
		}
		memcpy(rec->bytes + rec->n_bytes, data, len);
		rec->chunks[rec->n_chunks++] = (struct vt_emu_chunk){t - start, rec->n_bytes, len};
		rec->n_bytes += len;
	}
	vt_session_close(&sr);
	if (rc == 0 && rec->n_chunks == 0) {
		vt_diag_add(diag, path, 0, 0, NULL, "no data in the session: nothing to play");
		rc = -1;
	}
	if (rc < 0) {
		vt_emu_recording_free(rec);
		return -1;
	}
	rec->kind = VT_EMU_SESSION;
	return 0;
}

int
vt_emu_recording_load(struct vt_emu_recording *rec, const char *path, struct vt_diag *diag)
{
	memset(rec, 0, sizeof(*rec));
	if (s_has_suffix(path, ".bin") || s_has_suffix(path, ".dat") || s_has_suffix(path, ".data"))
		return s_load_raw(rec, path, diag);
	if (vt_session_detect(path) == 1)
		return s_load_session(rec, path, diag);
	return s_load_csv(rec, path, diag);
}

int
vt_emu_recording_get(const struct vt_emu_options *o, struct vt_emu_recording *rec, bool *owned,
                     FILE *log)
{
	*owned = o->rec == NULL;
	if (o->rec != NULL) {
		*rec = *o->rec;
	} else if (access(o->recording, R_OK) != 0) {
		fprintf(log, "vitals-emulate: %s: %s\n", o->recording, strerror(errno));
		return EX_NOINPUT;
	} else {
		struct vt_diag diag = {0};
		int rc = vt_emu_recording_load(rec, o->recording, &diag);
		vt_diag_print(&diag, log);
		vt_diag_clear(&diag);
		if (rc != 0)
			return EX_DATAERR;
	}
	if (rec->kind == VT_EMU_CSV && o->enc == NULL) {
		fprintf(log, "vitals-emulate: %s: --protocol is required to send its readings as a "
		             "device does\n", o->recording);
		if (*owned)
			vt_emu_recording_free(rec);
		return EX_USAGE;
	}
	return 0;
}

void
vt_emu_recording_free(struct vt_emu_recording *rec)
{
	free(rec->rows);
	free(rec->bytes);
	free(rec->chunks);
	memset(rec, 0, sizeof(*rec));
}

/* ---- player ---- */

#define NS_PER_MS INT64_C(1000000)

/* Bytes a raw capture plays per period: a tenth of a second of line time. */
static size_t
s_raw_chunk(int baud)
{
	return baud >= 100 ? (size_t)baud / 100 : 1;
}

void
vt_emu_player_init(struct vt_emu_player *p, const struct vt_emu_recording *rec,
                   const struct vt_encoder *enc, const struct vt_encode_config *cfg, bool loop,
                   int64_t wall0_ms, int baud)
{
	memset(p, 0, sizeof(*p));
	p->rec = rec;
	p->loop = loop;
	p->wall0_ms = wall0_ms;
	p->baud = baud > 0 ? baud : 9600;
	if (rec->kind == VT_EMU_RAW) {
		p->t0_ns = 0;
		p->span_ns = (int64_t)((double)rec->n_bytes * 10.0 * 1e9 / p->baud);
		return;
	}
	if (rec->kind == VT_EMU_SESSION) {
		/* One pass lasts until the last chunk, plus a second of quiet. */
		p->t0_ns = rec->chunks[0].t_ms * NS_PER_MS;
		p->span_ns = (rec->chunks[rec->n_chunks - 1].t_ms - rec->chunks[0].t_ms + 1000) * NS_PER_MS;
		return;
	}
	p->enc = enc;
	enc->reset(p->state, cfg);
	const struct vt_emu_row *first = &rec->rows[0], *last = &rec->rows[rec->n_rows - 1];
	/* The last row lasts as long as the interval before it (1 s if unknown). */
	int64_t step = rec->n_rows >= 2 ? last->t_ms - rec->rows[rec->n_rows - 2].t_ms : 0;
	if (step <= 0)
		step = 1000;
	p->t0_ns = first->t_ms * NS_PER_MS;
	p->span_ns = (last->t_ms - first->t_ms + step) * NS_PER_MS;
}

/* Recording time of CSV period `k`, from the period's exact fraction. */
static int64_t
s_period_ns(const struct vt_emu_player *p, uint64_t k)
{
	return p->t0_ns + (int64_t)(k * (uint64_t)p->enc->period_num_ms * (uint64_t)NS_PER_MS /
	                            (uint64_t)p->enc->period_den);
}

int64_t
vt_emu_player_time(const struct vt_emu_player *p)
{
	int64_t t;
	if (p->rec->kind == VT_EMU_RAW)
		t = p->t0_ns + (int64_t)((double)p->offset * 10.0 * 1e9 / p->baud);
	else if (p->rec->kind == VT_EMU_SESSION)
		t = (int64_t)(p->offset / p->rec->n_chunks) * p->span_ns +
		    p->rec->chunks[p->offset % p->rec->n_chunks].t_ms * NS_PER_MS;
	else
		t = s_period_ns(p, p->period);
	if (!p->loop && t - p->t0_ns >= p->span_ns)
		return INT64_MAX;
	return t;
}

void
vt_emu_sensor_off(struct vt_reading *r)
{
	static const enum vt_param oximeter[] = {VT_SPO2, VT_PR, VT_PI, VT_SPCO, VT_SPMET, VT_PVI};
	for (size_t i = 0; i < sizeof(oximeter) / sizeof(oximeter[0]); i++) {
		enum vt_param q = oximeter[i];
		/* SpO2 and pulse rate are on every oximeter's display. */
		if (q == VT_SPO2 || q == VT_PR || (r->reported & VT_PARAM_BIT(q)))
			vt_reading_set_missing(r, q);
	}
	r->flags |= VT_FLAG_SENSOR_OFF;
	r->has_status = true;
}

int64_t
vt_emu_player_wall(const struct vt_emu_player *p, int64_t t_ns)
{
	return p->wall0_ms + (t_ns - p->t0_ns) / NS_PER_MS;
}

/*
 * A cuff measurement set to fail (--cuff-fail-at): the row that completes
 * it shows no pressures, and the monitor says the measurement failed
 * until one succeeds. A row shown again (periods shorter than the rows)
 * is the same measurement.
 */
static void
s_cuff(struct vt_emu_player *p, struct vt_reading *r)
{
	const vt_param_mask bp = VT_PARAM_BIT(VT_NIBP_SYS) | VT_PARAM_BIT(VT_NIBP_DIA);
	bool measured = (r->valid & bp) == bp;
	bool new_row = p->period == 0 || p->row != p->shown_row || p->pass != p->shown_pass;
	p->shown_row = p->row;
	p->shown_pass = p->pass;
	if (measured && new_row) {
		p->cuff_failed = p->cuff_fail > 0;
		if (p->cuff_fail > 0)
			p->cuff_fail--;
	}
	if (!p->cuff_failed)
		return;
	if (measured) {
		vt_reading_set_missing(r, VT_NIBP_SYS);
		vt_reading_set_missing(r, VT_NIBP_DIA);
		vt_reading_set_missing(r, VT_NIBP_MAP);
	}
	r->flags |= VT_FLAG_NIBP_FAILED;
	r->has_status = true;
}

static size_t
s_next_raw(struct vt_emu_player *p, uint8_t *out)
{
	const struct vt_emu_recording *rec = p->rec;
	size_t pos = (size_t)(p->offset % rec->n_bytes);
	size_t n = s_raw_chunk(p->baud);
	if (n > rec->n_bytes - pos)
		n = rec->n_bytes - pos; /* a pass ends on its own last byte */
	if (n > VT_ENCODE_MAX)
		n = VT_ENCODE_MAX;
	memcpy(out, rec->bytes + pos, n);
	p->offset += n;
	return n;
}

size_t
vt_emu_player_next(struct vt_emu_player *p, bool sensor_off, uint8_t *out)
{
	int64_t t = vt_emu_player_time(p);
	if (t == INT64_MAX) {
		p->done = true;
		return 0;
	}
	if (p->rec->kind == VT_EMU_RAW)
		return s_next_raw(p, out);
	if (p->rec->kind == VT_EMU_SESSION) {
		const struct vt_emu_chunk *c = &p->rec->chunks[p->offset % p->rec->n_chunks];
		size_t n = c->len < VT_ENCODE_MAX ? c->len : VT_ENCODE_MAX; /* data lines are short */
		memcpy(out, p->rec->bytes + c->off, n);
		p->offset++;
		return n;
	}

	const struct vt_emu_recording *rec = p->rec;
	/* Where this period falls within its pass. */
	int64_t into = t - p->t0_ns - (int64_t)p->pass * p->span_ns;
	while (into >= p->span_ns) {
		p->pass++;
		p->row = 0;
		into -= p->span_ns;
	}
	/* The device shows the latest row at or before this moment. */
	int64_t base = rec->rows[0].t_ms;
	while (p->row + 1 < rec->n_rows && (rec->rows[p->row + 1].t_ms - base) * NS_PER_MS <= into)
		p->row++;
	struct vt_reading r = rec->rows[p->row].r;
	int64_t wall = vt_emu_player_wall(p, t);
	if (r.timed != 0) {
		/* A timed value ages while its row is shown: as old at this period as
		 * its row says plus the time since the row, so that every period
		 * showing it gives it one and the same measurement time. */
		int64_t row_ns = p->t0_ns + (int64_t)p->pass * p->span_ns +
		                 (rec->rows[p->row].t_ms - base) * NS_PER_MS;
		int64_t since = wall - vt_emu_player_wall(p, row_ns);
		for (int q = 0; q < VT_PARAM_COUNT; q++)
			if (r.timed & VT_PARAM_BIT(q))
				r.age_ms[q] += since;
	}
	if (sensor_off)
		vt_emu_sensor_off(&r);
	s_cuff(p, &r);
	p->period++;
	return p->enc->encode(p->state, &r, wall, out, VT_ENCODE_MAX);
}
