/*
 * vitals-emulate --session OUT: a monitor's side of a session recording
 * (docs/recording.md), written at once rather than played out of a port.
 * It is what vitalsd's recorder would keep of a live run against the
 * emulator on a perfect line: each device period's bytes as one read at
 * the period's time. `vitalsd --replay BED=OUT` then puts the bytes through
 * the bed's driver with the device's own timing, deterministically, which
 * is how the drivers get golden files (tests/golden/cases.txt) from the
 * shipped scenarios.
 *
 * The faults that are the device's or the cable's are kept, at their
 * recording time: an unplug is `lost` then `open`, noise is random bytes
 * (the same as the live emulator's for a seed) between two periods, a mute
 * is periods not sent, sensor off and a failed cuff measurement are in
 * the bytes. A polled monitor is refused: what it sends depends on what
 * the host asks, which only a live run has.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "vitals/base/version.h"
#include "vitals/base/xorshift.h"
#include "vitals/emulator/emulate.h"
#include "vitals/wire/session.h"

#define NS_PER_MS INT64_C(1000000)

struct s_out {
	FILE *fp;
	const struct vt_emu_player *p;
	int unplugs; /* unplugs begun and not yet ended */
	int mutes;   /* mutes begun and not yet ended */
	uint64_t rng;
};

/* Milliseconds from the recording's start to recording time t. */
static long long
s_off(const struct s_out *w, int64_t t_ns)
{
	return (long long)((t_ns - w->p->t0_ns) / NS_PER_MS);
}

/* Bytes as one read: `data` lines of VT_SESSION_BYTES_PER_LINE at one offset. */
static void
s_data(struct s_out *w, int64_t t_ns, const uint8_t *b, size_t n)
{
	char hex[VT_SESSION_HEX_MAX];
	for (size_t at = 0; at < n; at += VT_SESSION_BYTES_PER_LINE) {
		size_t k = n - at < VT_SESSION_BYTES_PER_LINE ? n - at : VT_SESSION_BYTES_PER_LINE;
		vt_session_hex(hex, b + at, k);
		fprintf(w->fp, "%lld data%s\n", s_off(w, t_ns), hex);
	}
}

static void
s_fault(struct s_out *w, const struct vt_emu_event *ev, struct vt_emu_player *p)
{
	switch (ev->fault) {
	case VT_EMU_UNPLUG:
		if (w->unplugs++ == 0)
			fprintf(w->fp, "%lld lost cable pulled (vitals-emulate --unplug-at)\n",
			        s_off(w, ev->t_ns));
		break;
	case VT_EMU_REPLUG:
		if (w->unplugs > 0 && --w->unplugs == 0)
			fprintf(w->fp, "%lld open\n", s_off(w, ev->t_ns));
		break;
	case VT_EMU_NOISE: {
		uint8_t noise[256];
		for (uint32_t done = 0; done < ev->bytes;) {
			size_t k = ev->bytes - done < sizeof noise ? ev->bytes - done : sizeof noise;
			for (size_t i = 0; i < k; i++)
				noise[i] = (uint8_t)(vt_xorshift64s(&w->rng) >> 56);
			if (w->unplugs == 0)
				s_data(w, ev->t_ns, noise, k);
			done += (uint32_t)k;
		}
		break;
	}
	case VT_EMU_MUTE:
		w->mutes++;
		break;
	case VT_EMU_UNMUTE:
		if (w->mutes > 0)
			w->mutes--;
		break;
	case VT_EMU_CUFF_FAIL:
		p->cuff_fail++;
		break;
	default: /* sensor off and on are read per period; the rest were refused */
		break;
	}
}

/* Every fault and period, in recording-time order (faults first on a tie, as live). */
static void
s_play(struct s_out *w, struct vt_emu_player *p, const struct vt_emu_faults *f, bool csv)
{
	size_t next = 0;
	for (;;) {
		int64_t tp = vt_emu_player_time(p);
		int64_t te = next < f->n && f->ev[next].t_ns <= p->t0_ns + p->span_ns ? f->ev[next].t_ns
		                                                                       : INT64_MAX;
		if (te == INT64_MAX && tp == INT64_MAX)
			return;
		if (te <= tp) {
			s_fault(w, &f->ev[next++], p);
			continue;
		}
		uint8_t buf[VT_ENCODE_MAX];
		size_t n = vt_emu_player_next(p, csv && vt_emu_faults_sensor_off(f, tp), buf);
		if (w->unplugs == 0 && w->mutes == 0)
			s_data(w, tp, buf, n);
	}
}

int
vt_emu_write_session(const struct vt_emu_options *o, FILE *log)
{
	if (o->enc == NULL) {
		fprintf(log, "vitals-emulate: --session needs --protocol: the recording names the "
		             "driver that reads it\n");
		return EX_USAGE;
	}
	if (o->enc->respond != NULL) {
		fprintf(log, "vitals-emulate: --session: %s sends what its host asks for; record a live "
		             "run instead (record_dir)\n", o->enc->name);
		return EX_USAGE;
	}
	struct vt_emu_recording rec;
	memset(&rec, 0, sizeof rec);
	bool owned;
	int status = vt_emu_recording_get(o, &rec, &owned, log);
	if (status != 0)
		return status;
	for (size_t i = 0; i < o->faults.n && status == 0; i++) {
		const char *why = vt_emu_fault_refused(o, &rec, o->faults.ev[i].fault);
		if (why != NULL) {
			fprintf(log, "vitals-emulate: %s\n", why);
			status = EX_USAGE;
		}
	}
	FILE *fp = status == 0 ? fopen(o->session, "w") : NULL;
	if (status == 0 && fp == NULL) {
		fprintf(log, "vitals-emulate: --session %s: %s\n", o->session, strerror(errno));
		status = EX_CANTCREAT;
	}
	if (status == 0) {
		int baud = o->baud > 0 ? o->baud : o->enc->default_baud;
		struct vt_emu_player p;
		vt_emu_player_init(&p, &rec, o->enc, &o->device, false, o->start_wall_ms, baud);
		const struct vt_rec_info info = {.bed = "vitals-emulate", .port = "vitals-emulate --session",
		                                 .protocol = o->enc->name, .baud = baud,
		                                 .version = VT_VERSION};
		char header[1024];
		vt_session_format_header(header, sizeof header, &info, o->start_wall_ms);
		fprintf(fp, "%s# playing: %s\n0 open\n", header, o->recording);
		struct s_out w = {fp, &p, 0, 0, o->seed ? o->seed : UINT64_C(0x9E3779B97F4A7C15)};
		s_play(&w, &p, &o->faults, rec.kind == VT_EMU_CSV);
		if (fflush(fp) != 0 || ferror(fp)) {
			fprintf(log, "vitals-emulate: --session %s: %s\n", o->session, strerror(errno));
			status = EX_IOERR;
		}
	}
	if (fp != NULL && fclose(fp) != 0 && status == 0) {
		fprintf(log, "vitals-emulate: --session %s: %s\n", o->session, strerror(errno));
		status = EX_IOERR;
	}
	if (owned)
		vt_emu_recording_free(&rec);
	return status;
}
