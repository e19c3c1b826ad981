/*
 * The live daemon: one thread, one zmq_poll. The poll set holds a signalfd
 * (SIGTERM, SIGINT, SIGHUP), a timerfd armed for the nearest deadline, and
 * every open port (the connected ones through one epoll set, so that a
 * wake-up costs the ports that are ready, not all of them); nothing sleeps
 * and nothing spins. An idle daemon wakes
 * only for its own deadlines (heartbeat, vitals refresh, alarm clocks,
 * reopening a lost port, the systemd watchdog).
 *
 * Time: the loop stamps everything with a wall clock derived from
 * CLOCK_MONOTONIC (wall time at start + monotonic elapsed), so message times
 * are real UTC and yet never jump when the system clock is stepped.
 *
 * Ports that fail or vanish are reopened with exponential backoff capped at
 * VT_REOPEN_MAX_MS; the core turns silence into comm-lost on its own clock.
 *
 * Drivers of polled devices say what to send (driver.h): on connect, in
 * reply to what they read, and on their own timer, whose next time is one
 * more deadline of the loop. What they queue goes to the port's bounded
 * output buffer and out without blocking (port.h).
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "vitals/base/timefmt.h"
#include "vitals/base/version.h"
#include "vitals/alarm/infusion.h"
#include "vitals/core.h"
#include "vitals/drivers/sniff.h"
#include "vitals/io/conns.h"
#include "vitals/io/control.h"
#include "vitals/io/crossing.h"
#include "vitals/io/curve.h"
#include "vitals/io/log.h"
#include "vitals/io/notify.h"
#include "vitals/io/port.h"
#include "vitals/io/publisher.h"
#include "vitals/io/recorder.h"
#include "vitals/io/statefile.h"
#include "vitals/live.h"
#include "vitals/reload.h"
#include "vitals/wire/control_request.h"
#include "vitals/wire/watch.h"

#define VT_REOPEN_MIN_MS 100
#define VT_REOPEN_MAX_MS 2000
/* A recorder that failed is retried this often (each retry logs). */
#define VT_RECORDER_RETRY_MS 10000
/* A state file that could not be written is tried again this often. */
#define VT_STATE_RETRY_MS 5000
#define VT_READ_CHUNK 4096

struct live_bed {
	struct live *live;                 /* back pointer for the driver sink */
	int index;                         /* monitor index in the config */
	const struct vt_monitor_config *mon;
	struct vt_port *port;
	struct vt_line *line;              /* the driver, its state and the line diagnostics */
	bool junk_logged;                  /* undecodable bytes were logged since the last frame */
	int64_t line_logged;               /* last line summary at -v */
	int64_t line_connected;            /* when the port last connected */
	struct vt_watch *watch;            /* someone watches the line (vitalsctl watch), or NULL */
	int64_t watch_until;               /* the watch ends then unless asked about again */
	struct vt_device_info info;        /* what the device last said about itself */
	struct vt_recorder *rec;           /* NULL when not recording */
	int64_t rec_retry_at;              /* when to retry a failed recorder */
	char rec_failed[256];              /* a station event's write failure the core is yet to hear */
	struct vt_crossing rec_dropped;    /* reads over the recording bounds, not kept */
	char rec_dropped_name[96];         /* its name: the bed's, which a reload may move */
	uint64_t rec_dropped_bytes;        /* ... and their bytes, for ping */
	bool was_connected;                /* ever connected (for log wording) */
	enum vt_port_state state;          /* last state told to the core */
	char detail[256];                  /* detail of the last state told to the core */
	char logged[256];                  /* last open failure logged, to log each one once */
	int64_t reopen_at;                 /* INT64_MAX while open */
	int64_t backoff_ms;                /* next reopen delay */
	int64_t now;                       /* stamp for readings fed right now */
	int epolled;                       /* its fd as registered in live.efd, or -1 */
	short epoll_events;                /* the events it is registered for */
	bool out_full;                     /* the port's output buffer overflowed; logged */
	uint64_t out_dropped;              /* the port's drop count when that began */
	bool tx_bug_logged;                /* the driver queued more than a call can hold */
};

struct live {
	struct vt_config *cfg;
	const char *config_path;           /* for reloads */
	void *zctx;
	struct vt_publisher *pub;
	struct vt_control *ctl;            /* NULL without a control endpoint */
	struct vt_zap *zap;                /* CURVE client check; NULL without CURVE */
	int64_t started;                   /* for uptime */
	struct vt_reload *reloader;        /* reads a reload's files off the loop */
	bool reload_wanted;                /* SIGHUP seen: reload as soon as the rate allows */
	int64_t reload_last;               /* when the last reload began; INT64_MIN: never */
	struct vt_control_later *reload_reply; /* the client waiting for the reload it asked */
	bool reload_reply_started;         /* ... and that reload is being read */
	struct vt_crossing reload_refused; /* requests beyond limits.reload_interval */
	char *state_path;                  /* where the state is kept across restarts; NULL: nowhere */
	struct vt_crossing state_failed;   /* writes of it that failed */
	int64_t state_retry_at;            /* after a failed write, the next try */
	struct vt_core *core;
	struct live_bed *beds;
	void *sniff_scratch;               /* shared by every bed's line (one loop, one at a time) */
	int sfd;                           /* signalfd */
	int tfd;                           /* timerfd, CLOCK_MONOTONIC */
	int efd;                           /* epoll set of the connected ports; -1: none */
	int64_t wall0, mono0;              /* clocks at start */
	struct vt_tx tx;                   /* what the driver being called queues */
	int64_t watchdog_ms;               /* 0: none */
	int64_t next_watchdog;
	bool stop;
	char instance[33];
};

static int64_t
s_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
s_now(const struct live *l)
{
	return l->wall0 + (s_mono_ms() - l->mono0);
}

static void s_record_station(struct live *l, int bed, int64_t now, enum vt_rec_event ev,
                             const char *json);
static int64_t s_now(const struct live *l);

/*
 * When a message happened: its own "time" (the sample's, or the deadline's),
 * never later than the bytes the loop is about to record at its turn's
 * time, so that a station event never pushes the next data line later.
 */
static int64_t
s_msg_time(const struct live *l, const char *json)
{
	const char *at = strstr(json, "\"time\":\"");
	char buf[VT_TIME_BUFSZ];
	int64_t t;
	if (at != NULL && sscanf(at + 8, "%40[^\"]", buf) == 1 && vt_time_parse(buf, &t) == 0)
		return t;
	return s_now(l);
}

/*
 * Every message goes out; what the station saw of a bed also goes into
 * the bed's recording (docs/recording.md, format 2): its alert events but
 * `updated` (the value it carries is in the data; `cleared` has the
 * worst), and its session events but the periodic `update`. The JSON is
 * our own compact encoding, so the event member is matched as written.
 */
static void
s_publish(void *ctx, const char *topic, const char *json, size_t len)
{
	struct live *l = ctx;
	vt_publisher_send(l->pub, topic, json, len);
	if (l->cfg->record_dir == NULL)
		return;
	enum vt_rec_event ev;
	if (strncmp(topic, "alert.", 6) == 0 && strstr(json, "\"event\":\"updated\"") == NULL)
		ev = VT_REC_ALERT;
	else if (strncmp(topic, "session.", 8) == 0 && strstr(json, "\"event\":\"update\"") == NULL)
		ev = VT_REC_SESSION;
	else
		return;
	int bed = vt_config_bed_index(l->cfg, strchr(topic, '.') + 1);
	if (bed >= 0)
		s_record_station(l, bed, s_msg_time(l, json), ev, json);
}

static void
s_on_reading(void *ctx, const struct vt_reading *r)
{
	struct live_bed *b = ctx;
	vt_core_reading(b->live->core, b->index, b->now, r);
}

static void
s_on_device_alarm(void *ctx, const struct vt_device_alarm *da)
{
	struct live_bed *b = ctx;
	vt_core_device_alarm(b->live->core, b->index, b->now, da);
}

static void
s_on_info(void *ctx, const struct vt_device_info *info)
{
	struct live_bed *b = ctx;
	/* Devices repeat their heading every minute or so: say it when it changes. */
	if (memcmp(&b->info, info, sizeof(*info)) != 0)
		vt_info("%s: device %s %s, mode %s%s%s", b->mon->bed, info->model[0] ? info->model : "?",
		        info->version, info->mode[0] ? info->mode : "?", info->serial[0] ? ", serial " : "",
		        info->serial);
	b->info = *info;
	vt_core_device_info(b->live->core, b->index, b->now, info);
}

/* A bed's line for its monitor's driver: the line, the driver's state after it. NULL: no memory. */
static struct vt_line *
s_line_new(struct live *l, const struct vt_monitor_config *mon)
{
	const struct vt_driver *driver = mon->driver;
	if (l->sniff_scratch == NULL)
		l->sniff_scratch = calloc(1, vt_driver_sniff_scratch_size());
	struct vt_line *line = calloc(1, sizeof(*line));
	void *state = calloc(1, driver->state_size ? driver->state_size : 1);
	if (line == NULL || state == NULL) {
		free(line);
		free(state);
		return NULL;
	}
	vt_line_init(line, driver, &mon->opts, state, l->sniff_scratch);
	return line;
}

static void
s_line_free(struct vt_line **line)
{
	if (*line == NULL)
		return;
	free((*line)->state);
	free(*line);
	*line = NULL;
}

/*
 * The line diagnostics in the log: once when bytes have arrived for
 * stale_after and none decoded (with the count, and what they look like),
 * and at -v a summary of the counters a minute apart.
 */
static void
s_log_line(struct live_bed *b, int64_t now, bool junk)
{
	const struct vt_line_stats *s = &b->line->stats;
	int64_t since = s->last_frame > 0 ? s->last_frame : b->line_connected;
	if (!junk && s->undecoded == 0)
		b->junk_logged = false;
	else if (junk && !b->junk_logged && now - since >= b->mon->stale_after_ms) {
		b->junk_logged = true;
		vt_warnx("%s: %llu bytes received and none decoded as %s (wrong protocol or baud "
		         "rate?)%s%s%s%s",
		         b->mon->bed, (unsigned long long)s->undecoded, b->mon->driver->name,
		         s->why ? "; latest rejected: " : "", s->why ? s->why : "",
		         s->looks_like ? "; it looks like " : "", s->looks_like ? s->looks_like : "");
	}
	if (vt_log_verbose() && now - b->line_logged >= 60000) {
		b->line_logged = now;
		char last[VT_TIME_BUFSZ];
		vt_debug("%s: line: %llu bytes, %llu frames, %llu bytes discarded, %llu dropped, %llu "
		         "checksum failures, last frame %s", b->mon->bed, (unsigned long long)s->bytes,
		         (unsigned long long)s->frames, (unsigned long long)s->discarded,
		         (unsigned long long)s->dropped, (unsigned long long)s->checksum,
		         s->last_frame > 0 ? vt_time_format(s->last_frame, last) : "never");
	}
}

/* What a bed's counters are called in the log (set again when a reload moves the bed). */
static void
s_bed_names(struct live_bed *b)
{
	snprintf(b->rec_dropped_name, sizeof(b->rec_dropped_name), "%s: reads not recorded (over a "
	         "recording bound)", b->mon->bed);
	b->rec_dropped.name = b->rec_dropped_name;
}

/* The recording bounds of the configuration, for a recorder. */
static struct vt_rec_limits
s_rec_limits(const struct vt_config *cfg)
{
	return (struct vt_rec_limits){.bytes_per_second = cfg->limits.record_bytes_per_second,
	                              .bytes_per_day = cfg->limits.record_bytes_per_day,
	                              .file_size = cfg->limits.record_file_size};
}

/*
 * Write one event into the bed's recording, starting a file when there is
 * none (not before rec_retry_at after a failure). It logs a failure but
 * tells the core nothing, so that it can run inside a publish callback.
 * 1 written, 2 data over a recording bound (not kept, counted), 0 held
 * back until the retry time, -1 failed (err says why).
 */
static int
s_rec_write(struct live *l, struct live_bed *b, int64_t now, enum vt_rec_event ev,
            const uint8_t *data, size_t len, const char *reason, char *err, size_t errlen)
{
	if (b->rec == NULL) {
		if (now < b->rec_retry_at)
			return 0;
		struct vt_rec_info info = {
		    .bed = b->mon->bed,
		    .port = b->mon->port,
		    .protocol = b->mon->driver->name,
		    .baud = b->mon->baud,
		    .config = l->cfg->path,
		    .config_sha256 = l->cfg->sha256,
		};
		b->rec = vt_recorder_open(l->cfg->record_dir, &info, now, err, errlen);
		if (b->rec == NULL) {
			vt_warnx("%s: cannot record: %s", b->mon->bed, err);
			b->rec_retry_at = now + VT_RECORDER_RETRY_MS;
			return -1;
		}
		struct vt_rec_limits limits = s_rec_limits(l->cfg);
		vt_recorder_set_limits(b->rec, &limits);
		/* A recorder opened mid-session starts with the port's state. */
		if (ev != VT_REC_OPEN && vt_port_is_open(b->port))
			vt_recorder_event(b->rec, now, VT_REC_OPEN, NULL, 0, NULL, err, errlen);
	}
	int rc = vt_recorder_event(b->rec, now, ev, data, len, reason, err, errlen);
	if (rc < 0) {
		vt_warnx("%s: recording stopped: %s", b->mon->bed, err);
		vt_recorder_close(&b->rec);
		b->rec_retry_at = now + VT_RECORDER_RETRY_MS;
		return -1;
	}
	return rc == 1 ? 2 : 1;
}

/*
 * Bytes over a recording bound were not kept: counted, logged once per
 * burst, and recording-failed stands (the record is incomplete) until the
 * bound has held for VT_RECORDER_LIMITED_MS.
 */
static void
s_record_limited(struct live *l, struct live_bed *b, int64_t now, size_t len)
{
	const char *why = "over a recording bound";
	vt_recorder_limited(b->rec, now, &why);
	b->rec_dropped_bytes += len;
	vt_crossing_hit(&b->rec_dropped, now, "%s: the port delivers more than the recording may "
	                "keep (%s); what is not kept is counted, and marked in the file as a gap",
	                b->mon->bed, why);
	char text[128];
	snprintf(text, sizeof(text), "%s, %llu bytes not kept", why,
	         (unsigned long long)b->rec_dropped_bytes);
	vt_core_recording(l->core, b->index, now, false, text);
}

/* The sink for a driver call on `b` at `now`, with the transmit buffer emptied. */
static struct vt_driver_sink
s_sink(struct live *l, struct live_bed *b, int64_t now)
{
	l->tx.len = 0;
	l->tx.dropped = 0;
	b->now = now;
	return (struct vt_driver_sink){
	    .reading = s_on_reading, .info = s_on_info, .device_alarm = s_on_device_alarm, .ctx = b,
	    .now = now, .tx = &l->tx};
}

static void s_record(struct live *l, struct live_bed *b, int64_t now, enum vt_rec_event ev,
                     const uint8_t *data, size_t len, const char *reason);
static void s_port_lost(struct live *l, struct live_bed *b, int64_t now, const char *why);

/*
 * Send what the driver queued in the call just made. A full output buffer
 * (the device stopped reading) is logged once per episode and counted by
 * the port; a write error means the device is gone.
 */
static void
s_transmit(struct live *l, struct live_bed *b, int64_t now)
{
	char err[256];
	if (l->tx.dropped > 0 && !b->tx_bug_logged) {
		vt_err("%s: the %s driver queued more than %d bytes in one call; %u messages not sent",
		       b->mon->bed, b->mon->driver->name, VT_TX_MAX, l->tx.dropped);
		b->tx_bug_logged = true;
	}
	if (l->tx.len == 0 || !vt_port_is_open(b->port))
		return;
	int rc = vt_port_write(b->port, l->tx.buf, l->tx.len, err, sizeof(err));
	if (rc < 0) {
		s_port_lost(l, b, now, err);
		return;
	}
	if (rc > 0) {
		if (!b->out_full)
			vt_warnx("%s: %s; the device is not reading what is sent", b->mon->bed, err);
		if (!b->out_full)
			b->out_dropped = vt_port_dropped(b->port) - 1;
		b->out_full = true;
		return;
	}
	if (b->out_full) {
		vt_notice("%s: the device reads again; %" PRIu64 " writes were dropped meanwhile",
		          b->mon->bed, vt_port_dropped(b->port) - b->out_dropped);
		b->out_full = false;
	}
	s_record(l, b, now, VT_REC_SENT, l->tx.buf, l->tx.len, NULL);
}

/* Record one port event; on failure, log once, raise recording-failed and retry later. */
static void
s_record(struct live *l, struct live_bed *b, int64_t now, enum vt_rec_event ev,
         const uint8_t *data, size_t len, const char *reason)
{
	if (l->cfg->record_dir == NULL) {
		/* Recording switched off (by a reload): nothing can be failing. */
		vt_core_recording(l->core, b->index, now, true, NULL);
		return;
	}
	char err[256];
	int rc = s_rec_write(l, b, now, ev, data, len, reason, err, sizeof(err));
	if (rc == 2)
		s_record_limited(l, b, now, len);
	else if (rc < 0 || (rc == 1 && !vt_recorder_limited(b->rec, now, NULL)))
		vt_core_recording(l->core, b->index, now, rc > 0, rc > 0 ? NULL : err);
}

/*
 * Record what happened at the station about bed `bed` (a command, an
 * alert or session message, a new configuration). This may run inside
 * the core's publish callback, where the alarm engine must not be entered
 * again: a failure is kept for the loop to tell the core (s_rec_failed).
 */
static void
s_record_station(struct live *l, int bed, int64_t now, enum vt_rec_event ev, const char *json)
{
	struct live_bed *b = l->beds != NULL && bed >= 0 ? &l->beds[bed] : NULL;
	if (l->cfg->record_dir == NULL || b == NULL || b->live == NULL)
		return;
	char err[256];
	if (s_rec_write(l, b, now, ev, NULL, 0, json, err, sizeof(err)) < 0)
		snprintf(b->rec_failed, sizeof(b->rec_failed), "%s", err);
}

/* Tell the core of a station event's recording failure, outside any callback. */
static void
s_rec_failed(struct live *l, struct live_bed *b, int64_t now)
{
	if (b->rec_failed[0] == '\0')
		return;
	vt_core_recording(l->core, b->index, now, false, b->rec_failed);
	b->rec_failed[0] = '\0';
}

/* Tell the core about a state change, once. */
static void
s_set_state(struct live *l, struct live_bed *b, int64_t now, enum vt_port_state s,
            const char *detail)
{
	if (b->state == s && strcmp(b->detail, detail ? detail : "") == 0)
		return;
	b->state = s;
	snprintf(b->detail, sizeof(b->detail), "%s", detail ? detail : "");
	vt_core_port_state(l->core, b->index, now, s, detail);
}

/* The port opened; `hello` is what a datagram device announced itself with (or NULL). */
static void
s_port_connected(struct live *l, struct live_bed *b, int64_t now, const uint8_t *hello,
                 size_t hello_len)
{
	const struct vt_driver *d = b->mon->driver;
	b->reopen_at = INT64_MAX;
	b->out_full = false;
	vt_line_reset(b->line);
	b->junk_logged = false;
	b->line_connected = now;
	if (b->watch != NULL)
		vt_watch_note(b->watch, now, "connected");
	vt_notice("%s: %s %s on %s", b->mon->bed, b->was_connected ? "reconnected" : "connected",
	          d->name, b->mon->port);
	b->was_connected = true;
	b->logged[0] = '\0';
	s_record(l, b, now, VT_REC_OPEN, NULL, 0, NULL);
	s_set_state(l, b, now, VT_PORT_CONNECTED, NULL);
	if (d->connect != NULL) {
		const struct vt_driver_sink sink = s_sink(l, b, now);
		d->connect(b->line->state, hello, hello_len, &sink);
		s_transmit(l, b, now);
	}
}

/* The driver's goodbye (a release request) before the port is closed on purpose. */
static void
s_port_goodbye(struct live *l, struct live_bed *b, int64_t now)
{
	if (b->port == NULL || b->line == NULL || !vt_port_is_open(b->port) ||
	    b->mon->driver->disconnect == NULL)
		return;
	const struct vt_driver_sink sink = s_sink(l, b, now);
	b->mon->driver->disconnect(b->line->state, &sink);
	s_transmit(l, b, now);
}

/* When the driver of b's open port wants its tick; INT64_MAX: never. */
static int64_t
s_driver_wake(const struct live_bed *b)
{
	if (b->mon->driver->wake == NULL || b->mon->driver->tick == NULL || b->line == NULL ||
	    b->port == NULL || !vt_port_is_open(b->port))
		return INT64_MAX;
	return b->mon->driver->wake(b->line->state);
}

static void
s_port_lost(struct live *l, struct live_bed *b, int64_t now, const char *why)
{
	if (b->state == VT_PORT_CONNECTED) {
		vt_warnx("%s: lost %s: %s", b->mon->bed, b->mon->port, why);
		s_record(l, b, now, VT_REC_LOST, NULL, 0, why);
	} else if (strcmp(b->logged, why) != 0) {
		vt_warnx("%s: cannot open %s: %s", b->mon->bed, b->mon->port, why);
	}
	if (b->watch != NULL && b->state == VT_PORT_CONNECTED) {
		char note[300];
		snprintf(note, sizeof(note), "lost: %.250s", why);
		vt_watch_note(b->watch, now, note);
	}
	snprintf(b->logged, sizeof(b->logged), "%s", why);
	vt_port_close(b->port);
	b->epolled = -1; /* closing took it out of the epoll set */
	b->reopen_at = now + b->backoff_ms;
	b->backoff_ms = b->backoff_ms * 2 > VT_REOPEN_MAX_MS ? VT_REOPEN_MAX_MS : b->backoff_ms * 2;
	s_set_state(l, b, now, VT_PORT_LOST, why);
}

static void
s_try_open(struct live *l, struct live_bed *b, int64_t now)
{
	char err[256];
	b->epolled = -1; /* opening closes the old descriptor first */
	if (vt_port_open(b->port, err, sizeof(err)) != 0) {
		s_port_lost(l, b, now, err);
		return;
	}
	b->reopen_at = INT64_MAX;
	if (!vt_port_is_open(b->port)) {
		/* TCP connect under way, or a LAN monitor not heard from yet. A
		 * retry after a failure stays "lost" until it succeeds, so a
		 * device server that is down does not make every console see
		 * lost/connecting every two seconds. */
		if (b->state != VT_PORT_LOST)
			s_set_state(l, b, now, VT_PORT_CONNECTING, NULL);
	} else
		s_port_connected(l, b, now, NULL, 0);
}

static void
s_port_ready(struct live *l, struct live_bed *b, short revents)
{
	uint8_t buf[VT_READ_CHUNK];
	char err[256];
	/* Drain what is there, but bounded, so one chatty port cannot starve the rest. */
	for (int round = 0; round < 16; round++) {
		size_t n = 0;
		int64_t now = s_now(l);
		/* What fell due before now happens first, as in replay: a comm-lost
		 * deadline passed while the loop was busy is raised at its time
		 * before these bytes can clear it (the timer may be ready too). */
		vt_core_advance(l->core, now - 1);
		enum vt_port_io io = vt_port_handle(b->port, revents, buf, sizeof(buf), &n, err,
		                                    sizeof(err));
		switch (io) {
		case VT_IO_NOTHING:
			return;
		case VT_IO_CONNECTED:
			s_port_connected(l, b, now, n > 0 ? buf : NULL, n);
			return;
		case VT_IO_LOST:
			s_port_lost(l, b, now, err);
			return;
		case VT_IO_DATA: {
			b->backoff_ms = VT_REOPEN_MIN_MS;
			s_record(l, b, now, VT_REC_DATA, buf, n, NULL);
			const struct vt_driver_sink sink = s_sink(l, b, now);
			if (b->watch != NULL && now > b->watch_until)
				vt_watch_free(&b->watch); /* nobody asked for a while */
			bool junk = b->watch ? vt_watch_feed(b->watch, b->line, now, buf, n, &sink)
			                     : vt_line_feed(b->line, now, buf, n, &sink);
			vt_core_line(l->core, b->index, now, &b->line->stats, junk);
			s_log_line(b, now, junk);
			s_transmit(l, b, now);
			if (!vt_port_is_open(b->port))
				return; /* a reply could not be written: lost */
			if (n < sizeof(buf))
				return;
			revents = POLLIN;
			break;
		}
		}
	}
}

/* The driver's timer is due: let it queue its poll or keep-alive. */
static void
s_tick(struct live *l, struct live_bed *b, int64_t now)
{
	const struct vt_driver_sink sink = s_sink(l, b, now);
	b->mon->driver->tick(b->line->state, &sink);
	s_transmit(l, b, now);
}

static void
s_arm_timer(struct live *l, int64_t deadline)
{
	struct itimerspec its = {0};
	if (deadline != INT64_MAX) {
		int64_t mono = deadline - l->wall0 + l->mono0;
		if (mono < 1)
			mono = 1;
		its.it_value.tv_sec = mono / 1000;
		its.it_value.tv_nsec = (mono % 1000) * 1000000;
	}
	timerfd_settime(l->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static int64_t s_guard_deadline(const struct live *l);

static int64_t
s_next_deadline(struct live *l)
{
	int64_t next = vt_core_next_deadline(l->core);
	for (size_t i = 0; i < l->cfg->n_monitors; i++) {
		if (l->beds[i].reopen_at < next)
			next = l->beds[i].reopen_at;
		int64_t wake = s_driver_wake(&l->beds[i]);
		if (wake < next)
			next = wake;
	}
	if (l->watchdog_ms > 0 && l->next_watchdog < next)
		next = l->next_watchdog;
	int64_t guard = s_guard_deadline(l);
	return guard < next ? guard : next;
}

static void
s_handle_signals(struct live *l)
{
	struct signalfd_siginfo si;
	while (read(l->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			vt_notice("received %s; stopping", si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
			l->stop = true;
			break;
		case SIGHUP:
			vt_notice("received SIGHUP; reloading %s", l->config_path);
			l->reload_wanted = true;
			break;
		}
	}
}

static void
s_status_line(struct live *l)
{
	size_t connected = 0;
	for (size_t i = 0; i < l->cfg->n_monitors; i++)
		connected += l->beds[i].state == VT_PORT_CONNECTED;
	vt_notify_status("%zu/%zu monitors connected, %zu active alarms", connected,
	                 l->cfg->n_monitors, vt_alarms_active_count(vt_core_alarms(l->core)));
}

/* ---- control requests ---------------------------------------------------- */

static char *s_reload_request(struct live *l, const char *by, int64_t now);
static json_t *s_counters(struct live *l);

static char *
s_ok(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	json_decref(o);
	return s;
}

/* The bed named in a request, or -1 with an error reply in *reply. */
static int
s_request_bed(struct live *l, const char *bed, char **reply)
{
	int b = vt_config_bed_index(l->cfg, bed);
	if (b < 0) {
		char msg[256];
		snprintf(msg, sizeof(msg), "unknown bed \"%.128s\"", bed);
		*reply = vt_control_error_reply(msg);
	}
	return b;
}

/* The bed of active alert `id`, or -1. */
static int
s_alert_bed(struct live *l, const char *id)
{
	const struct vt_alarms *a = vt_core_alarms(l->core);
	for (size_t i = 0; i < vt_alarms_active_count(a); i++)
		if (strcmp(vt_alarms_active(a, i)->id, id) == 0)
			return vt_alarms_active(a, i)->bed;
	return -1;
}

/*
 * A command for a bed goes into its recording before it is carried out,
 * as the daemon understood it (who, and the values it used): a request
 * vt_control_parse reads back, so that a replay carries it out at the same
 * moment (docs/recording.md).
 */
static void
s_record_command(struct live *l, int bed, int64_t now, const struct vt_control_req *req,
                 const char *by)
{
	json_t *o = NULL;
	char dur[32];
	snprintf(dur, sizeof(dur), "%lldms", (long long)req->duration_ms);
	if (req->cmd == VT_CMD_ACK)
		o = json_pack("{s:s,s:s,s:s}", "cmd", "ack", "id", req->id, "by", by);
	else if (req->cmd == VT_CMD_SILENCE)
		o = json_pack("{s:s,s:s,s:s,s:s}", "cmd", "silence", "bed", req->bed, "for", dur, "by",
		              by);
	else if (req->cmd == VT_CMD_PHASE) {
		o = json_pack("{s:s,s:s,s:s}", "cmd", "phase", "bed", req->bed, "phase",
		              vt_phase_name(req->phase));
		if (o != NULL && !isnan(req->weight_kg))
			json_object_set_new(o, "weight_kg", json_real(req->weight_kg));
		if (o != NULL && !isnan(req->dose_mg_per_kg_h))
			json_object_set_new(o, "dose_mg_per_kg_h", json_real(req->dose_mg_per_kg_h));
		if (o != NULL)
			json_object_set_new(o, "by", json_string(by));
	}
	char *json = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10))
	               : NULL;
	json_decref(o);
	if (json != NULL)
		s_record_station(l, bed, now, VT_REC_CONTROL, json);
	free(json);
}

/* After a reload, each bed's recording says which configuration is now in force. */
static void
s_record_config(struct live *l, int64_t now)
{
	json_t *o = json_pack("{s:s,s:s}", "path", l->cfg->path, "sha256", l->cfg->sha256);
	char *json = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	for (size_t i = 0; json != NULL && i < l->cfg->n_monitors; i++)
		if (l->beds[i].rec != NULL)
			s_record_station(l, (int)i, now, VT_REC_CONFIG, json);
	free(json);
}

/*
 * A watch request: the line's latest pieces. The first request starts the
 * watch (bounded: VT_WATCH_MAX_PORTS at once); each one keeps it going for
 * VT_WATCH_IDLE_MS more.
 */
static char *
s_watch(struct live *l, struct live_bed *b, int64_t now, uint64_t after)
{
	if (b->watch == NULL) {
		size_t watched = 0;
		for (size_t i = 0; i < l->cfg->n_monitors; i++)
			watched += l->beds[i].watch != NULL && l->beds[i].watch_until >= now;
		if (watched >= VT_WATCH_MAX_PORTS)
			return vt_control_error_reply("too many ports watched at once; try again when a "
			                              "watch has ended (10 s after its last request)");
		if ((b->watch = vt_watch_new()) == NULL)
			return vt_control_error_reply("out of memory");
		vt_notice("%s: line watched", b->mon->bed);
		vt_watch_note(b->watch, now, vt_port_is_open(b->port) ? "watch started; the port is open"
		                                                    : "watch started; the port is not open");
	}
	b->watch_until = now + VT_WATCH_IDLE_MS;
	return vt_watch_reply(b->watch, b->mon->bed, b->line, after);
}

/*
 * Acknowledge every unacknowledged alert of req->bed: each one recorded
 * and carried out as its own ack, so a recording and its replay hold the
 * ids. The reply lists them (none is fine: nothing was waiting).
 */
static char *
s_ack_bed(struct live *l, const struct vt_control_req *req, const char *by, int64_t now)
{
	char *reply = NULL;
	int bed = s_request_bed(l, req->bed, &reply);
	if (bed < 0)
		return reply;
	/* The ids first: an acknowledgement may clear a latched alarm and move the rest. */
	const struct vt_alarms *a = vt_core_alarms(l->core);
	size_t n = 0;
	char(*ids)[VT_ALERT_ID_MAX] = calloc(vt_alarms_active_count(a) + 1, sizeof(*ids));
	if (ids == NULL)
		return vt_control_error_reply("out of memory");
	for (size_t i = 0; i < vt_alarms_active_count(a); i++) {
		const struct vt_alert *al = vt_alarms_active(a, i);
		if (al->bed == bed && !al->acknowledged)
			snprintf(ids[n++], VT_ALERT_ID_MAX, "%s", al->id);
	}
	json_t *acked = json_array();
	for (size_t i = 0; i < n; i++) {
		struct vt_control_req one = {.cmd = VT_CMD_ACK};
		snprintf(one.id, sizeof(one.id), "%s", ids[i]);
		s_record_command(l, bed, now, &one, by);
		if (vt_core_ack(l->core, ids[i], by, now) == 0) {
			json_array_append_new(acked, json_string(ids[i]));
			vt_notice("alert %s acknowledged by %s", ids[i], by);
		}
	}
	free(ids);
	return s_ok(json_pack("{s:b,s:s,s:o}", "ok", 1, "bed", req->bed, "acknowledged", acked));
}

/*
 * The reply to `phase`. Infusion begun on a bed whose baseline is not
 * known (no baseline phase, or one without values) is done, and said, so
 * that the nurse knows the baseline-relative alarms cannot sound.
 */
static char *
s_phase_reply(struct live *l, int bed, const struct vt_control_req *req)
{
	json_t *o = json_pack("{s:b,s:s,s:s}", "ok", 1, "bed", req->bed, "phase",
	                      vt_phase_name(req->phase));
	const struct vt_infusion *inf = vt_core_infusion(l->core, bed);
	bool known = false;
	for (int p = 0; p < VT_PARAM_COUNT; p++)
		known = known || !isnan(inf->baseline[p]);
	if (o != NULL && req->phase == VT_PHASE_INFUSION && !known) {
		char warn[320];
		snprintf(warn, sizeof(warn), "%.128s has no baseline yet (no baseline phase with values "
		         "before the infusion): alarms relative to the baseline cannot sound",
		         req->bed);
		json_object_set_new(o, "warning", json_string(warn));
		vt_warnx("%s", warn);
	}
	return s_ok(o);
}

/* Execute one control request; the reply, malloc'd. */
static char *
s_execute(struct live *l, const char *body, size_t len)
{
	struct vt_control_req req;
	char err[512];
	if (vt_control_parse(body, len, &req, err, sizeof(err)) != 0) {
		vt_debug("control: refused a request: %s", err);
		return vt_control_error_reply(err);
	}
	int64_t now = s_now(l);
	const char *by = req.by[0] ? req.by : "an unnamed client";
	char *reply = NULL;
	char buf[VT_TIME_BUFSZ];
	int bed;
	switch (req.cmd) {
	case VT_CMD_PING:
		return s_ok(json_pack("{s:b,s:s,s:s,s:I,s:o}", "ok", 1, "version", VT_VERSION,
		                      "instance", l->instance, "uptime_s",
		                      (json_int_t)((now - l->started) / 1000), "limits", s_counters(l)));
	case VT_CMD_SNAPSHOT:
		return vt_core_snapshot(l->core, now);
	case VT_CMD_ACK:
		if (req.id[0] == '\0')
			return s_ack_bed(l, &req, by, now);
		if ((bed = s_alert_bed(l, req.id)) < 0) {
			snprintf(err, sizeof(err), "no active alert \"%.150s\"", req.id);
			return vt_control_error_reply(err);
		}
		s_record_command(l, bed, now, &req, by);
		vt_core_ack(l->core, req.id, by, now);
		vt_notice("alert %s acknowledged by %s", req.id, by);
		return s_ok(json_pack("{s:b,s:s}", "ok", 1, "id", req.id));
	case VT_CMD_SILENCE: {
		if ((bed = s_request_bed(l, req.bed, &reply)) < 0)
			return reply;
		s_record_command(l, bed, now, &req, by);
		int64_t until = vt_core_silence(l->core, bed, req.duration_ms, by, now);
		vt_notice("%s: audio paused by %s until %s", req.bed, by, vt_time_format(until, buf));
		return s_ok(json_pack("{s:b,s:s,s:s}", "ok", 1, "bed", req.bed, "silenced_until",
		                      vt_time_format(until, buf)));
	}
	case VT_CMD_PHASE:
		if ((bed = s_request_bed(l, req.bed, &reply)) < 0)
			return reply;
		s_record_command(l, bed, now, &req, by);
		vt_core_phase(l->core, bed, req.phase, req.weight_kg, req.dose_mg_per_kg_h, by, now);
		vt_notice("%s: phase %s set by %s", req.bed, vt_phase_name(req.phase), by);
		return s_phase_reply(l, bed, &req);
	case VT_CMD_WATCH:
		if ((bed = s_request_bed(l, req.bed, &reply)) < 0)
			return reply;
		return s_watch(l, &l->beds[bed], now, req.after);
	case VT_CMD_RELOAD:
		return s_reload_request(l, by, now);
	}
	return vt_control_error_reply("unknown command");
}

/* Answer what is waiting on the control socket, a bounded number at a time. */
static void
s_control(struct live *l)
{
	const char *body;
	size_t len;
	for (int i = 0; i < 64 && vt_control_recv(l->ctl, &body, &len) == 1; i++) {
		/* A key revoked by a reload: its connection is being closed, and
		 * nothing it sent meanwhile is acted on. */
		if (l->zap != NULL && !vt_zap_allows(l->zap, vt_control_key(l->ctl))) {
			vt_control_reply(l->ctl, "{\"ok\":false,\"error\":\"this client's key is no longer "
			                         "allowed\"}");
			continue;
		}
		/* A reload is answered when its files have been read: its request
		 * is no longer pending, and the reply below goes nowhere. */
		char *reply = s_execute(l, body, len);
		vt_control_reply(l->ctl, reply ? reply : "{\"ok\":false,\"error\":\"out of memory\"}");
		free(reply);
	}
}

/* ---- reload ---------------------------------------------------------------- */

/* Whether a monitor's port must be reopened after a reload. */
static bool
s_port_changed(const struct vt_monitor_config *a, const struct vt_monitor_config *b)
{
	return strcmp(a->port, b->port) != 0 || a->driver != b->driver || a->baud != b->baud ||
	       a->flow != b->flow || a->parity != b->parity || a->opts.poll_ms != b->opts.poll_ms ||
	       (a->hl7_id == NULL) != (b->hl7_id == NULL) ||
	       (a->hl7_id != NULL && strcmp(a->hl7_id, b->hl7_id) != 0) ||
	       strcmp(a->announce ? a->announce : "", b->announce ? b->announce : "") != 0;
}

/* The port of a monitor as configured; an HL7 listener's takes only its
 * sender's messages. NULL: out of memory. */
static struct vt_port *
s_port_new(const struct vt_config *cfg, const struct vt_monitor_config *mon)
{
	struct vt_port *p = vt_port_new(mon->port, mon->baud, mon->flow);
	if (p == NULL)
		return NULL;
	vt_port_set_parity(p, mon->parity);
	if ((vt_port_kind_of(mon->port) == VT_PORT_MLLP &&
	     vt_port_set_hl7(p, mon->hl7_id, cfg->limits.hl7_idle_ms) != 0) ||
	    vt_port_set_announce(p, mon->announce) != 0)
		vt_port_free(&p);
	return p;
}

static bool
s_same_list(char *const *a, size_t na, char *const *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

/* Stop a bed for good: its recording says so, its port closes. */
static void
s_bed_close(struct live *l, struct live_bed *b, int64_t now, const char *why)
{
	s_port_goodbye(l, b, now);
	if (b->rec != NULL) {
		char err[256];
		vt_recorder_event(b->rec, now, VT_REC_CLOSE, NULL, 0, why, err, sizeof(err));
		vt_recorder_close(&b->rec);
	}
	vt_port_free(&b->port);
	s_line_free(&b->line);
	vt_watch_free(&b->watch);
}

static bool
s_same_string(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/*
 * What `next` changes that only a restart can (the sockets' endpoints,
 * CURVE on or off or its key, where the state is kept), as a list for the
 * refusal; "" when nothing.
 */
static void
s_restart_only(const struct live *l, const struct vt_config *next, char *why, size_t len)
{
	const struct vt_config *cur = l->cfg;
	const char *what[4];
	size_t n = 0;
	if (!s_same_list(cur->publish, cur->n_publish, next->publish, next->n_publish))
		what[n++] = "publish";
	if (!s_same_list(cur->control, cur->n_control, next->control, next->n_control))
		what[n++] = "control";
	if (!s_same_string(cur->curve_secret_key, next->curve_secret_key))
		what[n++] = "curve.secret_key";
	if (!s_same_string(cur->state_file, next->state_file))
		what[n++] = "state_file";
	why[0] = '\0';
	for (size_t i = 0, used = 0; i < n && used < len; i++)
		used += (size_t)snprintf(why + used, len - used, "%s%s", i ? ", " : "", what[i]);
}

static bool
s_key_allowed(void *ctx, const char *key)
{
	return vt_zap_allows(ctx, key);
}

/*
 * The allowed clients of `next`, at once: connections of a key that is no
 * longer allowed are closed (each control connection by its key; every
 * subscriber's, which ZeroMQ cannot tell apart, when any key went: the
 * allowed ones reconnect within a fraction of a second and resynchronise).
 */
static void
s_apply_clients(struct live *l, struct vt_curve_clients *clients)
{
	if (l->zap == NULL)
		return;
	size_t removed = vt_zap_removed(l->zap, clients);
	vt_zap_set_clients(l->zap, clients);
	size_t closed = 0;
	if (l->ctl != NULL)
		closed += vt_conns_revoke(vt_control_conns(l->ctl), s_key_allowed, l->zap, false);
	if (removed > 0)
		closed += vt_conns_revoke(vt_publisher_conns(l->pub), s_key_allowed, l->zap, true);
	vt_notice("%zu allowed clients; %zu keys revoked, %zu connections closed",
	          vt_zap_count(l->zap), removed, closed);
}

/* A new record_dir takes effect now: every open recording ends here, and the next data starts anew there. */
static void
s_apply_record_dir(struct live *l, const struct vt_config *next, int64_t now)
{
	if (s_same_string(l->cfg->record_dir, next->record_dir))
		return;
	vt_notice("recordings now go to %s", next->record_dir ? next->record_dir : "nowhere (off)");
	for (size_t i = 0; i < l->cfg->n_monitors; i++) {
		struct live_bed *b = &l->beds[i];
		b->rec_retry_at = 0;
		if (b->rec == NULL)
			continue;
		char err[256];
		vt_recorder_event(b->rec, now, VT_REC_CLOSE, NULL, 0, "record_dir changed by a reload",
		                  err, sizeof(err));
		vt_recorder_close(&b->rec);
	}
}

/*
 * Switch to the checked configuration `next`. Unchanged ports are not
 * touched (no gap in the data); changed or new monitors are (re)opened;
 * removed ones are closed. Alarms of unchanged rules survive. What only a
 * restart can change refuses the whole reload, with the reason.
 */
/* The rules inactive on beds whose monitors do not measure their parameter
 * (vitalsd -n prints the same notes): once for each configuration. */
static void
s_log_inactive_rules(const struct vt_config *cfg)
{
	struct vt_diag notes = {0};
	vt_config_inactive_rules(cfg, &notes);
	char line[2048];
	for (size_t i = 0; i < notes.count; i++)
		vt_notice("%s", vt_diag_format(&notes.entries[i], line, sizeof(line)));
	vt_diag_clear(&notes);
}

static int
s_apply(struct live *l, struct vt_config *next, struct vt_curve_clients *clients, char *err,
        size_t errlen)
{
	int64_t now = s_now(l);
	char why[256];
	s_restart_only(l, next, why, sizeof(why));
	if (why[0] != '\0') {
		snprintf(err, errlen, "%s change only when the daemon restarts (systemctl restart "
		         "vitalsd); nothing of this reload was applied", why);
		return -1;
	}
	size_t n = next->n_monitors;
	int *map = calloc(n + 1, sizeof(*map));
	struct live_bed *beds = calloc(n + 1, sizeof(*beds));
	struct vt_core_options opt = {.instance = l->instance, .publish = s_publish, .ctx = l};
	struct vt_core *core = vt_core_new(next, &opt);
	if (map == NULL || beds == NULL || core == NULL) {
		free(map);
		free(beds);
		vt_core_free(&core);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	bool *taken = calloc(l->cfg->n_monitors + 1, sizeof(*taken));
	for (size_t i = 0; i < n; i++) {
		map[i] = vt_config_bed_index(l->cfg, next->monitors[i].bed);
		if (map[i] >= 0 && taken)
			taken[map[i]] = true;
	}
	s_apply_clients(l, clients);
	s_apply_record_dir(l, next, now);
	struct vt_rec_limits rec_limits = s_rec_limits(next);
	for (size_t i = 0; i < l->cfg->n_monitors; i++)
		if (l->beds[i].rec != NULL)
			vt_recorder_set_limits(l->beds[i].rec, &rec_limits);
	vt_publisher_set_limits(l->pub, &next->limits);
	if (l->ctl != NULL)
		vt_conns_set_max(vt_control_conns(l->ctl), next->limits.control_connections);

	vt_core_adopt(core, l->core, map, now);
	vt_core_free(&l->core);
	l->core = core;

	for (size_t i = 0; i < n; i++) {
		struct live_bed *b = &beds[i];
		const struct vt_monitor_config *mon = &next->monitors[i];
		if (map[i] >= 0 && !s_port_changed(&l->cfg->monitors[map[i]], mon)) {
			*b = l->beds[map[i]]; /* the same port, open or not: untouched */
			vt_port_set_hl7_idle(b->port, next->limits.hl7_idle_ms);
			l->beds[map[i]].port = NULL;
			l->beds[map[i]].line = NULL;
			l->beds[map[i]].watch = NULL;
			l->beds[map[i]].rec = NULL;
		} else {
			if (map[i] >= 0)
				s_bed_close(l, &l->beds[map[i]], now, "monitor changed by reload");
			b->port = s_port_new(next, mon);
			b->line = s_line_new(l, mon);
			b->state = VT_PORT_CLOSED;
			b->backoff_ms = VT_REOPEN_MIN_MS;
			b->reopen_at = now; /* opened below, after the switch */
			b->epolled = -1;
		}
		b->live = l;
		b->index = (int)i;
		b->mon = mon;
		s_bed_names(b);
	}
	for (size_t i = 0; i < l->cfg->n_monitors; i++)
		if (taken == NULL || !taken[i]) {
			vt_notice("%s: monitor removed by reload", l->cfg->monitors[i].bed);
			s_bed_close(l, &l->beds[i], now, "monitor removed by reload");
		} else if (l->beds[i].port != NULL) {
			s_bed_close(l, &l->beds[i], now, "monitor changed by reload");
		}
	free(taken);
	free(l->beds);
	l->beds = beds;
	vt_config_free(&l->cfg);
	l->cfg = next;
	for (size_t i = 0; i < n; i++) {
		struct live_bed *b = &beds[i];
		if (b->port == NULL || b->line == NULL) {
			vt_err("%s: out of memory; monitor not opened", b->mon->bed);
			continue;
		}
		if (map[i] < 0)
			vt_core_watch_bed(l->core, (int)i, now);
		if (b->reopen_at == now && !vt_port_is_open(b->port))
			s_try_open(l, b, now);
	}
	free(map);
	s_record_config(l, now);
	vt_notice("configuration reloaded: %zu monitors, %zu rules", n, next->n_rules);
	s_log_inactive_rules(next);
	s_status_line(l);
	return 0;
}

/*
 * Reloads: the files are read by a worker (reload.h) while the loop goes
 * on, at most one reload every limits.reload_interval. A SIGHUP that comes
 * sooner waits for the interval (several become one); so does one `reload`
 * request, whose client gets its answer when that reload is done. More
 * requests meanwhile are refused and counted: one client in a loop costs
 * the daemon one reload a second and nothing else.
 */

/* Answer the client waiting for the reload just done (or not begun), if any. */
static void
s_reload_answer(struct live *l, const char *json)
{
	if (l->reload_reply != NULL && l->ctl != NULL)
		vt_control_reply_later(l->ctl, &l->reload_reply, json);
}

/* The same, only if its reload is the one that has just ended. */
static void
s_reload_answer_done(struct live *l, const char *json)
{
	if (l->reload_reply_started)
		s_reload_answer(l, json);
}

/* Start reading now, if nothing is being read and the interval has passed. */
static void
s_reload_begin(struct live *l, int64_t now)
{
	char err[256];
	if (vt_reload_busy(l->reloader) ||
	    (l->reload_last != INT64_MIN && now < l->reload_last + l->cfg->limits.reload_interval_ms))
		return;
	l->reload_wanted = false;
	if (vt_reload_start(l->reloader, l->config_path, now, l->cfg->limits.reload_timeout_ms, err,
	                    sizeof(err)) != 0) {
		vt_err("reload not started: %s", err);
		char *reply = vt_control_error_reply(err);
		s_reload_answer(l, reply ? reply : "{\"ok\":false,\"error\":\"reload not started\"}");
		free(reply);
		return;
	}
	l->reload_last = now;
	l->reload_reply_started = l->reload_reply != NULL;
}

static char *
s_reload_request(struct live *l, const char *by, int64_t now)
{
	if (l->reload_reply != NULL) {
		vt_crossing_hit(&l->reload_refused, now, "reload requested by %s while another request "
		                "waits for its reload (at most one every %lld ms, "
		                "limits.reload_interval); refused",
		                by, (long long)l->cfg->limits.reload_interval_ms);
		return vt_control_error_reply("a reload requested earlier is still waiting or reading "
		                              "its files; try again when it has finished");
	}
	vt_notice("reload requested by %s", by);
	l->reload_reply = vt_control_defer(l->ctl);
	l->reload_reply_started = false;
	l->reload_wanted = true;
	s_reload_begin(l, now);
	return NULL;
}

/* Whether `next` and `clients` are what runs already: the same text, the same keys. */
static bool
s_unchanged(const struct live *l, const struct vt_config *next,
            const struct vt_curve_clients *clients)
{
	if (strcmp(next->sha256, l->cfg->sha256) != 0)
		return false;
	return l->zap == NULL ||
	       (vt_zap_removed(l->zap, clients) == 0 && vt_zap_count(l->zap) == clients->n);
}

/* Take a finished (or overdue) reload and apply it. */
static void
s_reload_finish(struct live *l, int64_t now)
{
	struct vt_config *next = NULL;
	struct vt_curve_clients clients = {0};
	char err[4096];
	enum vt_reload_status st =
	    vt_reload_take(l->reloader, now, &next, &clients, err, sizeof(err));
	if (st == VT_RELOAD_READING)
		return;
	if (st == VT_RELOAD_READY && s_unchanged(l, next, &clients)) {
		/* The same file and the same keys: nothing to switch (a reload in a
		 * loop then costs the loop nothing but this comparison). */
		vt_notice("configuration unchanged (%.12s...); nothing to reload", next->sha256);
		vt_config_free(&next);
		s_reload_answer_done(l, "{\"ok\":true,\"unchanged\":true}");
	} else if (st == VT_RELOAD_READY && s_apply(l, next, &clients, err, sizeof(err)) == 0) {
		s_reload_answer_done(l, "{\"ok\":true}");
	} else {
		if (st == VT_RELOAD_READY)
			vt_config_free(&next);
		/* One error a line, as they were found; the client gets them joined. */
		char joined[sizeof(err) + 256];
		size_t used = 0;
		vt_err("reload failed; the running configuration stays:");
		for (char *save = NULL, *line = strtok_r(err, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			vt_err("  %s", line);
			if (used < sizeof(joined))
				used += (size_t)snprintf(joined + used, sizeof(joined) - used, "%s%s",
				                         used ? "; " : "", line);
		}
		char *reply = vt_control_error_reply(joined);
		s_reload_answer_done(l, reply ? reply : "{\"ok\":false,\"error\":\"reload failed\"}");
		free(reply);
	}
	vt_curve_clients_free(&clients);
}

/* ---- the guards' part of the loop -------------------------------------------- */

/* Poll items for the connection monitors and the reload worker; how many. */
static size_t
s_guard_items(struct live *l, zmq_pollitem_t *items)
{
	size_t n = 0;
	items[n++] = (zmq_pollitem_t){.socket = vt_conns_socket(vt_publisher_conns(l->pub)),
	                              .events = ZMQ_POLLIN};
	if (l->ctl != NULL)
		items[n++] = (zmq_pollitem_t){.socket = vt_conns_socket(vt_control_conns(l->ctl)),
		                              .events = ZMQ_POLLIN};
	if (vt_reload_busy(l->reloader))
		items[n++] = (zmq_pollitem_t){.fd = vt_reload_fd(l->reloader), .events = ZMQ_POLLIN};
	return n;
}

/* What the guards have to do this turn (their items' revents first). */
static void
s_guard_turn(struct live *l, const zmq_pollitem_t *items, int64_t now)
{
	size_t i = 0;
	if (items[i++].revents)
		vt_conns_handle(vt_publisher_conns(l->pub), now);
	if (l->ctl != NULL && items[i++].revents)
		vt_conns_handle(vt_control_conns(l->ctl), now);
	if (vt_reload_busy(l->reloader))
		s_reload_finish(l, now);
	if (l->reload_wanted)
		s_reload_begin(l, now);
	vt_crossing_quiet(vt_conns_refused(vt_publisher_conns(l->pub)), now);
	vt_conns_check_stalled(vt_publisher_conns(l->pub), now);
	if (l->ctl != NULL)
		vt_crossing_quiet(vt_conns_refused(vt_control_conns(l->ctl)), now);
	vt_crossing_quiet(&l->reload_refused, now);
	for (size_t b = 0; b < l->cfg->n_monitors; b++)
		vt_crossing_quiet(&l->beds[b].rec_dropped, now);
}

static int64_t
s_min(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static int64_t
s_guard_deadline(const struct live *l)
{
	int64_t next = vt_reload_deadline(l->reloader);
	if (l->reload_wanted && !vt_reload_busy(l->reloader))
		next = s_min(next, l->reload_last == INT64_MIN
		                       ? 0
		                       : l->reload_last + l->cfg->limits.reload_interval_ms);
	next = s_min(next, vt_crossing_deadline(vt_conns_refused(vt_publisher_conns(l->pub))));
	next = s_min(next, vt_crossing_deadline(vt_conns_stalled(vt_publisher_conns(l->pub))));
	if (l->ctl != NULL)
		next = s_min(next, vt_crossing_deadline(vt_conns_refused(vt_control_conns(l->ctl))));
	for (size_t b = 0; b < l->cfg->n_monitors; b++)
		next = s_min(next, vt_crossing_deadline(&l->beds[b].rec_dropped));
	return s_min(next, vt_crossing_deadline(&l->reload_refused));
}

/* What an operator reads in `vitalsctl ping`: each bound's state and crossings. */
static json_t *
s_counters(struct live *l)
{
	struct vt_conns *pub = vt_publisher_conns(l->pub);
	struct vt_conns *ctl = l->ctl ? vt_control_conns(l->ctl) : NULL;
	uint64_t not_kept = 0;
	for (size_t b = 0; b < l->cfg->n_monitors; b++)
		not_kept += l->beds[b].rec_dropped_bytes;
	struct vt_mllp_totals hl7;
	vt_port_mllp_totals(&hl7);
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "publish_connections",
	                 (json_int_t)vt_conns_open(pub), "publish_connections_refused",
	                 (json_int_t)vt_conns_refused(pub)->total, "publish_peers_stalled",
	                 (json_int_t)vt_conns_stalled(pub)->total, "control_connections",
	                 (json_int_t)(ctl ? vt_conns_open(ctl) : 0), "control_connections_refused",
	                 (json_int_t)(ctl ? vt_conns_refused(ctl)->total : 0), "reloads_refused",
	                 (json_int_t)l->reload_refused.total, "recording_bytes_not_kept",
	                 (json_int_t)not_kept, "hl7_connections_refused", (json_int_t)hl7.refused,
	                 "hl7_messages_too_long", (json_int_t)hl7.too_long, "hl7_messages_busy",
	                 (json_int_t)hl7.busy);
}

long
vt_live_descriptors_needed(const struct vt_config *cfg)
{
	long need = (long)(cfg->n_publish * (size_t)cfg->limits.publish_connections +
	                   cfg->n_control * (size_t)cfg->limits.control_connections +
	                   2 * cfg->n_monitors) + 64;
	for (size_t i = 0; i < cfg->n_monitors; i++) /* a listener's connections, at most */
		if (vt_port_kind_of(cfg->monitors[i].port) == VT_PORT_MLLP)
			need += VT_MLLP_CONNECTIONS + 5;
	return need;
}

/*
 * The descriptors the limits can take against the process's limit, raised
 * to its hard limit when that helps. Said once at start: below it, a flood
 * of connections could starve the monitors.
 */
static void
s_check_descriptors(const struct vt_config *cfg)
{
	long need = vt_live_descriptors_needed(cfg);
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || (rl.rlim_cur != RLIM_INFINITY &&
	                                           (long)rl.rlim_cur >= need))
		return;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || (long)rl.rlim_max > need ? (rlim_t)need
		                                                                       : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY && (long)rl.rlim_cur < need)
		vt_warnx("the descriptor limit (%ld) is below what the limits can take (%ld: "
		         "limits.publish_connections and control_connections per endpoint, and the "
		         "monitors); raise LimitNOFILE or lower the limits", (long)rl.rlim_cur, need);
}

static int
s_setup(struct live *l, char *err, size_t errlen)
{
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	l->sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (l->sfd < 0 || l->tfd < 0) {
		snprintf(err, errlen, "signalfd/timerfd: %s", strerror(errno));
		return -1;
	}
	/* Without it every port is polled directly: slower with many ports, as correct. */
	l->efd = epoll_create1(EPOLL_CLOEXEC);
	if (l->efd < 0)
		vt_warn("epoll_create1; polling every port directly");

	uint8_t rnd[16];
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		memset(rnd, 0, sizeof(rnd));
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(l->instance + 2 * i, 3, "%02x", rnd[i]);

	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	l->wall0 = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	l->mono0 = s_mono_ms();

	l->zctx = zmq_ctx_new();
	/* CURVE: the key check must be in place before the sockets bind. */
	char pub_z85[VT_CURVE_Z85], sec_z85[VT_CURVE_Z85];
	const char *secret = NULL;
	if (l->cfg->curve_secret_key != NULL) {
		if (vt_curve_read(l->cfg->curve_secret_key, pub_z85, sec_z85, err, errlen) != 0)
			return -1;
		l->zap = vt_zap_new(l->zctx, l->cfg->curve_clients, err, errlen);
		if (l->zap == NULL)
			return -1;
		secret = sec_z85;
		vt_notice("CURVE on: server key %s, %zu allowed clients", pub_z85, vt_zap_count(l->zap));
	}
	s_check_descriptors(l->cfg);
	l->reloader = vt_reload_new();
	l->reload_last = INT64_MIN;
	l->reload_refused.name = "reload requests refused";
	if (l->reloader == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	l->pub = vt_publisher_new(l->zctx, l->cfg->publish, l->cfg->n_publish, secret,
	                          &l->cfg->limits, err, errlen);
	if (l->pub == NULL)
		return -1;
	if (l->cfg->n_control > 0) {
		l->ctl = vt_control_new(l->zctx, l->cfg->control, l->cfg->n_control, secret,
		                        &l->cfg->limits, err, errlen);
		if (l->ctl == NULL)
			return -1;
	}
	explicit_bzero(sec_z85, sizeof(sec_z85)); /* the sockets have their copy */
	struct vt_core_options opt = {.instance = l->instance, .publish = s_publish, .ctx = l};
	l->core = vt_core_new(l->cfg, &opt);
	l->beds = calloc(l->cfg->n_monitors ? l->cfg->n_monitors : 1, sizeof(*l->beds));
	if (l->core == NULL || l->beds == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < l->cfg->n_monitors; i++) {
		struct live_bed *b = &l->beds[i];
		b->live = l;
		b->index = (int)i;
		b->mon = &l->cfg->monitors[i];
		s_bed_names(b);
		b->port = s_port_new(l->cfg, b->mon);
		b->line = s_line_new(l, b->mon);
		if (b->port == NULL || b->line == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		b->state = VT_PORT_CLOSED;
		b->backoff_ms = VT_REOPEN_MIN_MS;
		b->reopen_at = INT64_MAX;
		b->epolled = -1;
	}
	return 0;
}

static void s_state_keep(struct live *l, int64_t now);

static void
s_teardown(struct live *l)
{
	int64_t now = l->beds ? s_now(l) : 0;
	if (l->core != NULL && l->started != 0)
		s_state_keep(l, now); /* what a stop leaves is what the next start finds */
	free(l->state_path);
	l->state_path = NULL;
	for (size_t i = 0; l->beds && i < l->cfg->n_monitors; i++) {
		struct live_bed *b = &l->beds[i];
		s_port_goodbye(l, b, now);
		if (b->rec) {
			char err[256];
			vt_recorder_event(b->rec, now, VT_REC_CLOSE, NULL, 0, "daemon stopping", err,
			                  sizeof(err));
			vt_recorder_close(&b->rec);
		}
		vt_port_free(&b->port);
		s_line_free(&b->line);
		vt_watch_free(&b->watch);
	}
	free(l->beds);
	vt_core_free(&l->core);
	s_reload_answer(l, "{\"ok\":false,\"error\":\"the daemon is stopping\"}");
	vt_reload_free(&l->reloader);
	vt_control_free(&l->ctl);
	vt_publisher_free(&l->pub);
	vt_zap_free(&l->zap);
	if (l->zctx)
		zmq_ctx_term(l->zctx);
	if (l->sfd >= 0)
		close(l->sfd);
	if (l->tfd >= 0)
		close(l->tfd);
	if (l->efd >= 0)
		close(l->efd);
	vt_config_free(&l->cfg);
	free(l->sniff_scratch);
}

/* ---- the state kept across restarts ------------------------------------------------ */

/*
 * Where it is kept: state_file, or sessions.json in the first directory of
 * $STATE_DIRECTORY (systemd's StateDirectory=, /var/lib/vitalsd for the
 * unit); NULL when neither is given.
 */
static char *
s_state_path(const struct vt_config *cfg)
{
	if (cfg->state_file != NULL)
		return strdup(cfg->state_file);
	const char *dirs = getenv("STATE_DIRECTORY");
	if (dirs == NULL || dirs[0] != '/')
		return NULL;
	size_t n = strcspn(dirs, ":");
	char *path = NULL;
	if (asprintf(&path, "%.*s/sessions.json", (int)n, dirs) < 0)
		return NULL;
	return path;
}

/*
 * At start: take up the state a previous run left. A file that cannot be
 * used (unreadable, not vitalsd's, damaged, another version) is moved
 * aside and said so; never trusted, never a reason not to start.
 */
static void
s_state_restore(struct live *l, int64_t now)
{
	l->state_failed.name = "writes of the state file that failed";
	l->state_path = s_state_path(l->cfg);
	if (l->state_path == NULL) {
		vt_notice("no state_file (and no $STATE_DIRECTORY from systemd): infusion sessions "
		          "will not survive a restart");
		return;
	}
	char *text = NULL, err[512], err2[512], aside[4200];
	size_t len;
	int64_t written = 0;
	int rc = vt_statefile_read(l->state_path, &text, &len, err, sizeof(err));
	if (rc == 1) {
		vt_notice("infusion sessions are kept in %s (none there yet)", l->state_path);
		return;
	}
	if (rc == 2) {
		/* Not ours to move or write over (a directory of recordings, say). */
		vt_warnx("%s; infusion sessions will not survive a restart", err);
		free(l->state_path);
		l->state_path = NULL;
		return;
	}
	int n = rc == 0 ? vt_core_restore(l->core, text, len, now, &written, err, sizeof(err)) : -1;
	free(text);
	if (n >= 0) {
		char when[VT_TIME_BUFSZ];
		vt_notice("restored %d infusion session%s from %s (written %s)", n, n == 1 ? "" : "s",
		          l->state_path, vt_time_format(written, when));
		return;
	}
	if (vt_statefile_set_aside(l->state_path, now, aside, sizeof(aside), err2, sizeof(err2)) == 0)
		vt_warnx("%s cannot be used (%s); moved aside to %s; starting without infusion "
		         "sessions", l->state_path, err, aside);
	else
		vt_warnx("%s cannot be used (%s), nor moved aside (%s); starting without infusion "
		         "sessions", l->state_path, err, err2);
}

/* Write the state when it has changed: whole, flushed, renamed over the old one. */
static void
s_state_keep(struct live *l, int64_t now)
{
	vt_crossing_quiet(&l->state_failed, now);
	if (l->state_path == NULL || now < l->state_retry_at || !vt_core_state_due(l->core, now))
		return;
	char err[512];
	char *text = vt_core_state(l->core, now);
	if (text != NULL && vt_statefile_write(l->state_path, text, err, sizeof(err)) == 0) {
		vt_core_state_written(l->core, now);
	} else {
		vt_crossing_hit(&l->state_failed, now, "infusion sessions cannot be kept: %s",
		                text ? err : "out of memory");
		l->state_retry_at = now + VT_STATE_RETRY_MS;
	}
	free(text);
}

/*
 * The ports in the epoll set. A poll over every port costs the kernel a
 * look at each of them at every wake-up (most of the daemon's CPU with a
 * hundred monitors); the epoll set, one item of the zmq_poll, costs only
 * the ready ones. Connected ports go in; a port that is connecting (TCP)
 * stays in the zmq_poll, because a failed connect swaps its descriptor
 * for the next address's without telling the loop. A descriptor leaves the
 * set when it is closed, which happens only in s_port_lost, s_try_open and
 * s_bed_close: the first two reset b->epolled, so a reopened port that got
 * the same number back is added again.
 */

/* Put b's connected port in the set if it is not there; whether it is there. */
static bool
s_port_set_add(struct live *l, struct live_bed *b)
{
	int fd = vt_port_fd(b->port);
	if (l->efd < 0 || fd < 0 || !vt_port_is_open(b->port))
		return false;
	/* Writable matters only while output waits (port.h). */
	short want = vt_port_events(b->port);
	if (b->epolled == fd && b->epoll_events == want)
		return true;
	struct epoll_event ev = {.events = EPOLLIN | (want & POLLOUT ? EPOLLOUT : 0), .data.fd = fd};
	int op = b->epolled == fd ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (epoll_ctl(l->efd, op, fd, &ev) != 0 &&
	    (errno != EEXIST || epoll_ctl(l->efd, EPOLL_CTL_MOD, fd, &ev) != 0)) {
		vt_warn("%s: epoll_ctl; polling the port directly", b->mon->bed);
		return false;
	}
	b->epolled = fd;
	b->epoll_events = want;
	return true;
}

/* Read the ports the epoll set says are ready (the rest, if more, next turn). */
static void
s_port_set_ready(struct live *l)
{
	struct epoll_event ev[64];
	int n = epoll_wait(l->efd, ev, 64, 0);
	for (int i = 0; i < n; i++) {
		/* The bed that holds the descriptor now: one read earlier in this
		 * batch may have lost its own port, never reopened one. */
		for (size_t k = 0; k < l->cfg->n_monitors; k++) {
			struct live_bed *b = &l->beds[k];
			if (b->epolled != ev[i].data.fd || vt_port_fd(b->port) != b->epolled)
				continue;
			s_port_ready(l, b,
			             (short)((ev[i].events & EPOLLIN ? POLLIN : 0) |
			                     (ev[i].events & EPOLLOUT ? POLLOUT : 0) |
			                     (ev[i].events & EPOLLHUP ? POLLHUP : 0) |
			                     (ev[i].events & EPOLLERR ? POLLERR : 0)));
			break;
		}
	}
}

int
vt_live_run(const char *config_path, struct vt_config *cfg, bool verbose)
{
	vt_log_set_verbose(verbose);
	struct live l = {.cfg = cfg, .config_path = config_path, .sfd = -1, .tfd = -1, .efd = -1};
	char err[512];
	if (s_setup(&l, err, sizeof(err)) != 0) {
		vt_err("cannot start: %s", err);
		s_teardown(&l);
		return EX_UNAVAILABLE;
	}
	int64_t now = s_now(&l);
	l.started = now;
	s_state_restore(&l, now);
	vt_core_start(l.core, now);
	for (size_t i = 0; i < l.cfg->n_monitors; i++) {
		vt_core_watch_bed(l.core, (int)i, now);
		s_try_open(&l, &l.beds[i], now);
	}
	l.watchdog_ms = vt_notify_watchdog_ms();
	l.next_watchdog = now;
	vt_notice("vitalsd %s started: %zu monitors, %zu rules, instance %s", VT_VERSION,
	          l.cfg->n_monitors, l.cfg->n_rules, l.instance);
	s_log_inactive_rules(l.cfg);
	vt_notify("READY=1");
	s_status_line(&l);

	/* Only SIGTERM/SIGINT end the loop with 0: any other way out is a
	 * failure, so that systemd (Restart=on-failure) starts us again. */
	int code = 0;
	size_t cap = 0;
	zmq_pollitem_t *items = NULL;
	struct live_bed **owner = NULL;
	while (!l.stop && code == 0) {
		if (cap < l.cfg->n_monitors + 8) {
			cap = l.cfg->n_monitors + 8;
			free(items);
			free(owner);
			items = calloc(cap, sizeof(*items));
			owner = calloc(cap, sizeof(*owner));
			if (items == NULL || owner == NULL) {
				vt_err("out of memory");
				code = EX_OSERR;
				break;
			}
		}
		size_t n = 0;
		items[n++] = (zmq_pollitem_t){.fd = l.sfd, .events = ZMQ_POLLIN};
		items[n++] = (zmq_pollitem_t){.fd = l.tfd, .events = ZMQ_POLLIN};
		size_t ctl_item = 0, zap_item = 0;
		if (l.ctl != NULL) {
			ctl_item = n;
			items[n++] = (zmq_pollitem_t){.socket = vt_control_socket(l.ctl), .events = ZMQ_POLLIN};
		}
		if (l.zap != NULL) {
			zap_item = n;
			items[n++] = (zmq_pollitem_t){.socket = vt_zap_socket(l.zap), .events = ZMQ_POLLIN};
		}
		size_t guard_items = n;
		n += s_guard_items(&l, items + n);
		size_t port_set = 0;
		if (l.efd >= 0) {
			port_set = n;
			items[n++] = (zmq_pollitem_t){.fd = l.efd, .events = ZMQ_POLLIN};
		}
		size_t first_port = n;
		for (size_t i = 0; i < l.cfg->n_monitors; i++) {
			int fd = vt_port_fd(l.beds[i].port);
			if (fd < 0 || s_port_set_add(&l, &l.beds[i]))
				continue;
			owner[n] = &l.beds[i];
			short ev = vt_port_events(l.beds[i].port);
			items[n++] = (zmq_pollitem_t){.fd = fd,
			                              .events = (short)((ev & POLLIN ? ZMQ_POLLIN : 0) |
			                                                (ev & POLLOUT ? ZMQ_POLLOUT : 0))};
		}
		s_arm_timer(&l, s_next_deadline(&l));
		if (zmq_poll(items, (int)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			vt_err("zmq_poll: %s", zmq_strerror(errno));
			code = EX_OSERR;
			break;
		}
		if (items[0].revents)
			s_handle_signals(&l);
		if (items[1].revents) {
			uint64_t expirations;
			if (read(l.tfd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
				vt_warn("timerfd");
		}
		if (port_set != 0 && items[port_set].revents)
			s_port_set_ready(&l);
		for (size_t i = first_port; i < n; i++) {
			if (items[i].revents == 0)
				continue;
			short re = (short)((items[i].revents & ZMQ_POLLIN ? POLLIN : 0) |
			                   (items[i].revents & ZMQ_POLLOUT ? POLLOUT : 0) |
			                   (items[i].revents & ZMQ_POLLERR ? POLLERR : 0));
			s_port_ready(&l, owner[i], re);
		}
		/* Control last: a snapshot then reflects everything read this turn. */
		if (ctl_item != 0 && items[ctl_item].revents)
			s_control(&l);
		if (zap_item != 0 && items[zap_item].revents)
			vt_zap_handle(l.zap);
		s_guard_turn(&l, items + guard_items, s_now(&l));
		now = s_now(&l);
		vt_core_advance(l.core, now - 1); /* before port changes at now, as above */
		for (size_t i = 0; i < l.cfg->n_monitors; i++) {
			struct live_bed *b = &l.beds[i];
			s_rec_failed(&l, b, now);
			if (b->reopen_at <= now)
				s_try_open(&l, b, now);
			else if (s_driver_wake(b) <= now)
				s_tick(&l, b, now);
		}
		vt_core_advance(l.core, now);
		s_state_keep(&l, now);
		if (l.watchdog_ms > 0 && now >= l.next_watchdog) {
			vt_notify("WATCHDOG=1");
			s_status_line(&l);
			l.next_watchdog = now + l.watchdog_ms / 2;
		}
	}
	vt_notify("STOPPING=1");
	free(items);
	free(owner);
	s_teardown(&l);
	vt_notice("stopped");
	return code;
}
