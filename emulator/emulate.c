/*
 * The emulator's event loop: one thread, one ppoll(). Each turn it does
 * whatever is due (fault events and device periods, in recording-time
 * order), writes the bytes the line has ready, and sleeps until the next
 * deadline. Deadlines are absolute on CLOCK_MONOTONIC, computed from the
 * period number, so a late wake-up never shifts what follows and long runs
 * do not drift. Signal handlers only set flags; signals are blocked except
 * inside ppoll(), so none is missed between a check and the sleep.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "vitals/base/xorshift.h"
#include "vitals/emulator/emulate.h"

/* Pending bytes at most: a minute of DF#7 at full line speed. */
#define LINE_CAP (64 * 1024)
/* Batch writes at this granularity, like a USB-serial adapter's latency timer. */
#define TICK_NS INT64_C(2000000)
/* Retry a replug that failed (port taken meanwhile) after this long. */
#define RETRY_NS INT64_C(1000000000)
/* With nobody at the pty's slave, look for a host's bytes this often (the
 * master polls as hung up meanwhile, so it cannot be waited on). */
#define PTY_LOOK_NS INT64_C(50000000)

static volatile sig_atomic_t s_stop_sig, s_unplug_req, s_replug_req;

static void
s_on_signal(int sig)
{
	switch (sig) {
	case SIGUSR1:
		s_unplug_req = 1;
		break;
	case SIGUSR2:
		s_replug_req = 1;
		break;
	default:
		s_stop_sig = sig;
		break;
	}
}

struct s_emu {
	const struct vt_emu_options *o;
	FILE *out, *log;
	struct vt_emu_recording rec;
	struct vt_emu_player player;
	struct vt_emu_line line;
	struct vt_emu_pty pty;
	struct vt_emu_tcp tcp;
	struct vt_emu_udp udp;
	int baud;
	bool plugged;        /* the device is connected */
	bool manual;         /* unplugged by SIGUSR1: only SIGUSR2 plugs back */
	int unplugs;         /* scheduled unplugs begun and not yet ended */
	bool sensor_off;     /* as last logged */
	bool reader;         /* pty: someone reads, as last logged */
	bool losing;         /* the reader is not keeping up */
	uint64_t lost;       /* bytes lost since `losing` began */
	int64_t mono0;       /* CLOCK_MONOTONIC at the recording's start */
	int64_t retry_ns;    /* when to retry a failed plug, or INT64_MAX */
	int64_t last_write;  /* when bytes last went to the line */
	size_t next_event;   /* first fault not yet done */
	uint64_t rng;        /* xorshift64* state for noise */
	int mutes;           /* mute faults begun and not yet ended: the device sends nothing */
	int64_t pty_look_ns; /* when to look at the pty for a host's bytes again */
};

int64_t
vt_emu_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
vt_emu_mono_of(const struct vt_emu_player *p, int64_t mono0, double speed, int64_t t)
{
	if (t == INT64_MAX)
		return INT64_MAX;
	return mono0 + (int64_t)((double)(t - p->t0_ns) / speed);
}

/* Real time at which recording time `t` comes. */
static int64_t
s_mono_of(const struct s_emu *e, int64_t t)
{
	return vt_emu_mono_of(&e->player, e->mono0, e->o->speed, t);
}

/*
 * Real time at which a recording played once has ended: its last row has
 * lasted its time (a second of quiet for a session). Not before: a pty
 * hung up right after the last bytes were written can lose them before
 * the reader gets them. INT64_MAX while periods remain.
 */
static int64_t
s_end_mono(const struct s_emu *e)
{
	if (vt_emu_player_time(&e->player) != INT64_MAX)
		return INT64_MAX;
	return s_mono_of(e, e->player.t0_ns + e->player.span_ns);
}

/* Recording time now, for the log. */
static double
s_rec_seconds(const struct s_emu *e, int64_t now)
{
	return ((double)e->player.t0_ns + (double)(now - e->mono0) * e->o->speed) / 1e9;
}

static void
s_log(const struct s_emu *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One line per event: recording time, then what happened. */
static void
s_log(const struct s_emu *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(e->log, "vitals-emulate: t=%.3f s: ", s_rec_seconds(e, vt_emu_mono_ns()));
	vfprintf(e->log, fmt, ap);
	fputc('\n', e->log);
	fflush(e->log);
	va_end(ap);
}

/* Where a LAN monitor announces itself. */
static const char *
s_announce(const struct vt_emu_options *o)
{
	return o->announce != NULL ? o->announce : "127.0.0.1:24005";
}

/* Connect the device: a new pty and link, the listener, or the LAN socket. */
static int
s_plug(struct s_emu *e)
{
	char err[512];
	int rc;
	if (e->o->pty_link != NULL) {
		rc = vt_emu_pty_open(&e->pty, e->o->pty_link, e->baud, err, sizeof(err));
		if (rc == 0) {
			s_log(e, "plugged in: %s -> %s", e->o->pty_link, e->pty.slave);
			fprintf(e->out, "%s\n", e->pty.slave);
		}
	} else if (e->o->udp != NULL) {
		rc = vt_emu_udp_open(&e->udp, e->o->udp, s_announce(e->o), err, sizeof(err));
		if (rc == 0) {
			s_log(e, "plugged in: on %s, announcing to %s", e->udp.name, s_announce(e->o));
			fprintf(e->out, "%s\n", e->udp.name);
		}
	} else {
		rc = e->tcp.addrlen == 0
		             ? vt_emu_tcp_listen(&e->tcp, e->o->tcp, err, sizeof(err))
		             : vt_emu_tcp_relisten(&e->tcp, err, sizeof(err));
		if (rc == 0) {
			s_log(e, "plugged in: listening on %s", e->tcp.name);
			fprintf(e->out, "%s\n", e->tcp.name);
		}
	}
	fflush(e->out);
	if (rc != 0) {
		s_log(e, "cannot plug in: %s", err);
		return -1;
	}
	e->plugged = true;
	e->reader = false;
	e->losing = false;
	e->retry_ns = INT64_MAX;
	return 0;
}

/*
 * The log line is written before the line goes down (and, above, before
 * the new path is printed) so that whoever sees the change can already
 * read why in the log.
 */
static void
s_unplug(struct s_emu *e, const char *why)
{
	if (why != NULL)
		s_log(e, "unplugged (%s)", why);
	if (e->o->pty_link != NULL)
		vt_emu_pty_close(&e->pty);
	else if (e->o->udp != NULL)
		vt_emu_udp_close(&e->udp);
	else
		vt_emu_tcp_close(&e->tcp);
	e->plugged = false;
	e->retry_ns = INT64_MAX;
}

static void
s_replug(struct s_emu *e, int64_t now)
{
	if (e->plugged)
		return;
	if (s_plug(e) != 0)
		e->retry_ns = now + RETRY_NS;
}

static uint8_t
s_random_byte(struct s_emu *e)
{
	return (uint8_t)(vt_xorshift64s(&e->rng) >> 56);
}

/* The device's answer (or what a misbehaviour sends) goes on the line now. */
static void
s_say(struct s_emu *e, const uint8_t *b, size_t n, int64_t now)
{
	if (n == 0 || e->mutes > 0)
		return;
	if (e->o->udp != NULL)
		vt_emu_udp_send(&e->udp, b, n, false);
	else
		vt_emu_line_push(&e->line, b, n, now);
}

/* A misbehaviour of a device that talks with its host (checked at start-up). */
static void
s_misbehave(struct s_emu *e, enum vt_encode_fault f, int64_t t_ns, const char *what)
{
	const struct vt_encoder *enc = e->player.enc;
	if (enc == NULL || enc->misbehave == NULL)
		return;
	uint8_t out[VT_ENCODE_MAX];
	size_t n = enc->misbehave(e->player.state, f, vt_emu_player_wall(&e->player, t_ns), out,
	                          sizeof out);
	s_log(e, "%s", what);
	s_say(e, out, n, s_mono_of(e, t_ns));
}

/* The host sent `n` bytes: the device answers, if it is one that does. */
static void
s_hear(struct s_emu *e, const uint8_t *b, size_t n, int64_t now)
{
	const struct vt_encoder *enc = e->player.enc;
	if (enc == NULL || enc->respond == NULL || n == 0)
		return;
	int64_t t = e->player.t0_ns + (int64_t)((double)(now - e->mono0) * e->o->speed);
	static uint8_t out[VT_ENCODE_REPLY_MAX];
	size_t k = enc->respond(e->player.state, b, n, vt_emu_player_wall(&e->player, t), out,
	                        sizeof out);
	s_say(e, out, k, now);
}

/* Whether the device listens to its host at all. */
static bool
s_listens(const struct s_emu *e)
{
	return e->player.enc != NULL && e->player.enc->respond != NULL;
}

/* Read what the host wrote to the pty's slave. */
static void
s_read_pty(struct s_emu *e, short revents, int64_t now)
{
	uint8_t buf[512];
	for (int i = 0; i < 16; i++) {
		ssize_t n = vt_emu_pty_read(&e->pty, buf, sizeof buf);
		if (n < 0 || (n == 0 && (revents & POLLHUP))) {
			e->pty_look_ns = now + PTY_LOOK_NS; /* nobody there: look again later */
			return;
		}
		if (n == 0)
			return;
		s_hear(e, buf, (size_t)n, now);
	}
}

static void
s_fault(struct s_emu *e, const struct vt_emu_event *ev, int64_t now)
{
	switch (ev->fault) {
	case VT_EMU_UNPLUG:
		e->unplugs++;
		if (e->plugged) {
			s_unplug(e, "scheduled");
		}
		break;
	case VT_EMU_REPLUG:
		/* Overlapping unplugs: plugged back when the last one ends. */
		if (e->unplugs > 0)
			e->unplugs--;
		if (!e->plugged && !e->manual && e->unplugs == 0)
			s_replug(e, now);
		break;
	case VT_EMU_NOISE: {
		uint8_t *noise = malloc(ev->bytes);
		if (noise == NULL) {
			s_log(e, "noise: out of memory for %u bytes", ev->bytes);
			break;
		}
		for (uint32_t i = 0; i < ev->bytes; i++)
			noise[i] = s_random_byte(e);
		size_t lost = vt_emu_line_inject(&e->line, noise, ev->bytes, s_mono_of(e, ev->t_ns));
		free(noise);
		s_log(e, "noise: %u random bytes on the line%s", ev->bytes,
		      lost ? " (some did not fit and were dropped)" : "");
		break;
	}
	case VT_EMU_MUTE:
		if (e->mutes++ == 0)
			s_log(e, "muted: the device hears the host and sends nothing");
		break;
	case VT_EMU_UNMUTE:
		if (e->mutes > 0 && --e->mutes == 0)
			s_log(e, "talking again");
		break;
	case VT_EMU_DEAF:
		s_misbehave(e, VT_ENCODE_DEAF, ev->t_ns, "association requests go unanswered");
		break;
	case VT_EMU_HEARING:
		s_misbehave(e, VT_ENCODE_HEARING, ev->t_ns, "association requests are answered again");
		break;
	case VT_EMU_BAD_CHECK:
		s_misbehave(e, VT_ENCODE_BAD_CHECK, ev->t_ns, "the next frame has a wrong check");
		break;
	case VT_EMU_DROP:
		s_misbehave(e, VT_ENCODE_DROP, ev->t_ns, "association dropped");
		break;
	case VT_EMU_CUFF_FAIL:
		e->player.cuff_fail++;
		s_log(e, "the next cuff measurement fails");
		break;
	case VT_EMU_SENSOR_OFF:
	case VT_EMU_SENSOR_ON: {
		bool off = vt_emu_faults_sensor_off(&e->o->faults, ev->t_ns);
		if (off != e->sensor_off)
			s_log(e, off ? "sensor off" : "sensor back on");
		e->sensor_off = off;
		break;
	}
	}
}

/* Do every fault and period due by `now`, in recording-time order. */
static void
s_produce(struct s_emu *e, int64_t now)
{
	const struct vt_emu_faults *f = &e->o->faults;
	for (;;) {
		int64_t tp = vt_emu_player_time(&e->player);
		int64_t te = e->next_event < f->n ? f->ev[e->next_event].t_ns : INT64_MAX;
		if (te <= tp && te != INT64_MAX && s_mono_of(e, te) <= now) {
			s_fault(e, &f->ev[e->next_event++], now);
		} else if (tp != INT64_MAX && s_mono_of(e, tp) <= now) {
			uint8_t buf[VT_ENCODE_MAX];
			bool off = e->rec.kind == VT_EMU_CSV && vt_emu_faults_sensor_off(f, tp);
			size_t n = vt_emu_player_next(&e->player, off, buf);
			if (e->mutes == 0 && e->o->udp != NULL)
				vt_emu_udp_send(&e->udp, buf, n, true); /* its announcements */
			else if (e->mutes == 0)
				vt_emu_line_push(&e->line, buf, n, s_mono_of(e, tp));
		} else {
			return;
		}
	}
}

/* Send the bytes that are due; what cannot be delivered is lost. */
static void
s_send(struct s_emu *e, int64_t now)
{
	size_t n = vt_emu_line_due(&e->line, now);
	if (n == 0)
		return;
	size_t w = 0;
	bool reader = false;
	if (e->plugged && e->o->pty_link != NULL) {
		w = vt_emu_pty_write(&e->pty, e->line.buf, n);
		reader = e->pty.reader;
		if (reader != e->reader)
			s_log(e, reader ? "reader attached" : "reader detached");
		e->reader = reader;
	} else if (e->plugged) {
		bool gone = false;
		reader = e->tcp.client_fd >= 0;
		w = vt_emu_tcp_write(&e->tcp, e->line.buf, n, &gone);
		if (gone)
			s_log(e, "client %s gone", e->tcp.peer);
	}
	if (reader && w < n) {
		if (!e->losing)
			s_log(e, "reader is not keeping up: bytes are lost");
		e->losing = true;
		e->lost += n - w;
	} else if (reader && e->losing) {
		s_log(e, "reader caught up; %llu bytes were lost", (unsigned long long)e->lost);
		e->losing = false;
		e->lost = 0;
	}
	vt_emu_line_consume(&e->line, n);
	e->last_write = now;
}

/* Act on SIGUSR1 / SIGUSR2. */
static void
s_requests(struct s_emu *e, int64_t now)
{
	if (s_unplug_req) {
		s_unplug_req = 0;
		e->manual = true;
		if (e->plugged) {
			s_unplug(e, "SIGUSR1");
		}
	}
	if (s_replug_req) {
		s_replug_req = 0;
		e->manual = false;
		e->unplugs = 0; /* ends a scheduled unplug too */
		if (!e->plugged)
			s_replug(e, now);
	}
}

/* The next real time anything is due; INT64_MAX if nothing ever is. */
static int64_t
s_next_wake(const struct s_emu *e)
{
	const struct vt_emu_faults *f = &e->o->faults;
	int64_t wake = s_mono_of(e, vt_emu_player_time(&e->player));
	int64_t end = s_end_mono(e);
	wake = end < wake ? end : wake;
	if (e->next_event < f->n) {
		int64_t t = s_mono_of(e, f->ev[e->next_event].t_ns);
		wake = t < wake ? t : wake;
	}
	int64_t line = vt_emu_line_next(&e->line);
	if (line != INT64_MAX) {
		if (line < e->last_write + TICK_NS)
			line = e->last_write + TICK_NS;
		wake = line < wake ? line : wake;
	}
	if (s_listens(e) && e->o->pty_link != NULL && e->plugged && e->pty_look_ns > vt_emu_mono_ns() &&
	    e->pty_look_ns < wake)
		wake = e->pty_look_ns;
	return e->retry_ns < wake ? e->retry_ns : wake;
}

static void
s_handle_tcp(struct s_emu *e, short revents)
{
	switch (vt_emu_tcp_handle(&e->tcp, revents)) {
	case VT_EMU_TCP_ACCEPTED:
		s_log(e, "client %s connected", e->tcp.peer);
		e->losing = false;
		break;
	case VT_EMU_TCP_GONE:
		s_log(e, "client %s gone", e->tcp.peer);
		break;
	case VT_EMU_TCP_RECEIVED:
		s_hear(e, e->tcp.rx, e->tcp.rx_len, vt_emu_mono_ns());
		break;
	case VT_EMU_TCP_NOTHING:
		break;
	}
}

static void
s_loop(struct s_emu *e, const sigset_t *waitmask)
{
	for (;;) {
		int64_t now = vt_emu_mono_ns();
		if (s_stop_sig) {
			s_log(e, "stopping on signal %d", (int)s_stop_sig);
			return;
		}
		s_requests(e, now);
		if (e->retry_ns <= now)
			s_replug(e, now);
		s_produce(e, now);
		s_send(e, now);
		if (e->line.len == 0 && now >= s_end_mono(e)) {
			s_log(e, "end of recording");
			return;
		}

		int64_t wake = s_next_wake(e);
		struct timespec ts, *tsp = NULL;
		if (wake != INT64_MAX) {
			int64_t d = wake - vt_emu_mono_ns();
			if (d < 0)
				d = 0;
			ts.tv_sec = (time_t)(d / 1000000000);
			ts.tv_nsec = (long)(d % 1000000000);
			tsp = &ts;
		}
		struct pollfd pfd = {.fd = -1, .events = POLLIN};
		bool pty = false;
		if (e->o->tcp != NULL && e->plugged) {
			pfd.fd = vt_emu_tcp_fd(&e->tcp);
		} else if (e->o->udp != NULL && e->plugged) {
			pfd.fd = e->udp.fd;
		} else if (e->plugged && s_listens(e) && vt_emu_mono_ns() >= e->pty_look_ns) {
			pfd.fd = e->pty.master;
			pty = true;
		}
		int rc = ppoll(&pfd, 1, tsp, waitmask);
		if (rc > 0 && pfd.fd >= 0 && pfd.revents) {
			if (pty)
				s_read_pty(e, pfd.revents, vt_emu_mono_ns());
			else if (e->o->udp != NULL)
				for (int i = 0; i < 16 && vt_emu_udp_recv(&e->udp); i++)
					s_hear(e, e->udp.rx, e->udp.rx_len, vt_emu_mono_ns());
			else
				s_handle_tcp(e, pfd.revents);
		}
	}
}

/* The recording, unless the caller loaded it (and frees it). */
static void
s_rec_free(struct s_emu *e)
{
	if (e->o->rec == NULL)
		vt_emu_recording_free(&e->rec);
}

const char *
vt_emu_fault_refused(const struct vt_emu_options *o, const struct vt_emu_recording *rec,
                     enum vt_emu_fault f)
{
	unsigned knows = o->enc != NULL && rec->kind == VT_EMU_CSV ? o->enc->faults : 0;
	switch (f) {
	case VT_EMU_SENSOR_OFF:
	case VT_EMU_CUFF_FAIL:
		if (rec->kind != VT_EMU_CSV)
			return f == VT_EMU_SENSOR_OFF
			               ? "--sensor-off-at needs a numerics CSV: the bytes of a raw capture or "
			                 "a session are played as they are"
			               : "--cuff-fail-at needs a numerics CSV or a scenario";
		return NULL;
	case VT_EMU_DEAF:
		return knows & 1u << VT_ENCODE_DEAF ? NULL
		                                    : "--ignore-association-at: this device has no "
		                                      "association to ignore (philips-mib, ge-dri have)";
	case VT_EMU_BAD_CHECK:
		return knows & 1u << VT_ENCODE_BAD_CHECK ? NULL
		                                         : "--bad-check-at: only the polled monitors "
		                                           "(philips-mib, ge-dri) spoil a check; use "
		                                           "--noise-at";
	case VT_EMU_DROP:
		return knows & 1u << VT_ENCODE_DROP ? NULL
		                                    : "--drop-at: this device has no association to "
		                                      "drop (philips-mib, ge-dri have)";
	default:
		return NULL;
	}
}

int
vt_emu_run(const struct vt_emu_options *o, FILE *out, FILE *log)
{
	struct s_emu e;
	memset(&e, 0, sizeof(e));
	e.o = o;
	e.out = out;
	e.log = log;
	e.pty.master = -1;
	vt_emu_tcp_init(&e.tcp);
	vt_emu_udp_init(&e.udp);
	e.retry_ns = INT64_MAX;
	e.rng = o->seed ? o->seed : UINT64_C(0x9E3779B97F4A7C15);
	e.baud = o->baud > 0 ? o->baud : o->enc != NULL ? o->enc->default_baud : 9600;

	bool owned;
	int got = vt_emu_recording_get(o, &e.rec, &owned, log);
	if (got != 0)
		return got;
	for (size_t i = 0; i < o->faults.n; i++) {
		const char *why = vt_emu_fault_refused(o, &e.rec, o->faults.ev[i].fault);
		if (why != NULL) {
			fprintf(log, "vitals-emulate: %s\n", why);
			s_rec_free(&e);
			return EX_USAGE;
		}
	}
	if (vt_emu_line_init(&e.line, e.baud, o->speed, LINE_CAP) != 0) {
		fprintf(log, "vitals-emulate: out of memory\n");
		s_rec_free(&e);
		return EX_OSERR;
	}

	/* Handlers only set flags; the signals are let in only inside ppoll. */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = s_on_signal;
	sigemptyset(&sa.sa_mask);
	sigset_t block, waitmask;
	sigemptyset(&block);
	const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2};
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigaction(sigs[i], &sa, NULL);
		sigaddset(&block, sigs[i]);
	}
	signal(SIGPIPE, SIG_IGN);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigdelset(&waitmask, sigs[i]);
	s_stop_sig = s_unplug_req = s_replug_req = 0;

	e.mono0 = vt_emu_mono_ns();
	int status = 0;
	if (s_plug(&e) != 0) {
		status = EX_OSERR;
	} else {
		/* A LAN monitor announces the port it is on. */
		struct vt_encode_config dev = o->device;
		dev.datagram = o->udp != NULL;
		dev.data_port = o->udp != NULL ? vt_emu_udp_port(&e.udp) : 0;
		vt_emu_player_init(&e.player, &e.rec, o->enc, &dev, o->loop, o->start_wall_ms, e.baud);
		s_log(&e, "playing %s as %s at %g x", o->recording,
		      o->enc != NULL ? o->enc->name : "raw bytes", o->speed);
		s_loop(&e, &waitmask);
		if (e.plugged)
			s_unplug(&e, NULL); /* on the way out: no fault to report */
	}
	free(e.pty.link);
	vt_emu_line_free(&e.line);
	s_rec_free(&e);
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	return status;
}
