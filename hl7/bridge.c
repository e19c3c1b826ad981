/*
 * The loop of vitals-hl7 (vitals/hl7/bridge.h). The order within a turn
 * is what keeps the promises of docs/integration.md: messages from the
 * daemon are turned into queued files and the state written before the
 * link may send any of them, and a message leaves the queue only once the
 * engine has acknowledged it.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <zmq.h>

#include "vitals/base/version.h"
#include "vitals/console/client.h"
#include "vitals/hl7/bridge.h"
#include "vitals/hl7/follow.h"
#include "vitals/hl7/link.h"
#include "vitals/hl7/pcd.h"
#include "vitals/hl7/queue.h"
#include "vitals/io/curve.h"
#include "vitals/io/log.h"
#include "vitals/io/notify.h"

/* STATUS= lines for systemctl status, this often. */
#define S_STATUS_MS 10000
/* Published messages taken per turn, so that a flood cannot starve the engine's side. */
#define S_DRAIN_MAX 1000

struct vt_bridge {
	const struct vt_bridge_config *cfg;
	void *zctx;
	void *sub;
	struct vt_client *snap;
	struct vt_follow *follow;
	struct vt_queue *queue;
	struct vt_link *link;
	int64_t wall0, mono0;    /* the bridge's clock: wall time at start plus monotonic time */
	bool dirty;              /* messages queued since the state was written */
	bool engine_down;        /* a failure was logged; its end will be */
	unsigned refusals;       /* of the oldest message, in a row */
	uint64_t refused_number; /* which message they are of */
	char problem[256];       /* why the last snapshot failed, logged once */
};

/* The bridge's time in ms since the epoch: it never jumps with the wall clock. */
static int64_t
s_now(const struct vt_bridge *b, int64_t mono)
{
	return b->wall0 + (mono - b->mono0);
}

struct vt_pcd_sender
vt_bridge_sender(const struct vt_bridge_config *cfg)
{
	return (struct vt_pcd_sender){
	    .application = cfg->sending_application ? cfg->sending_application : "VITALSD",
	    .facility = cfg->sending_facility ? cfg->sending_facility : "",
	    .receiver = cfg->receiving_application ? cfg->receiving_application : "",
	    .receiver_facility = cfg->receiving_facility ? cfg->receiving_facility : "",
	    .processing = cfg->processing_id ? cfg->processing_id[0] : 'P'};
}

size_t
vt_bridge_encode(const struct vt_bridge_config *cfg, const struct vt_follow_out *out,
                 const struct vt_pcd_id *id, char *buf, size_t cap)
{
	const struct vt_bridge_bed *conf = vt_bridge_config_bed(cfg, out->bed);
	struct vt_pcd_bed bed = {.name = out->bed, .location = conf ? conf->location : NULL,
	                         .device = conf ? conf->device : NULL};
	struct vt_pcd_sender sender = vt_bridge_sender(cfg);
	return out->alarm ? vt_pcd_r40(buf, cap, &sender, &bed, id, out->event)
	                  : vt_pcd_r01(buf, cap, &sender, &bed, id, out->obs);
}

/* A message from the follower: encoded with its identity, then queued. */
static void
s_emit(void *ctx, const struct vt_follow_out *out)
{
	struct vt_bridge *b = ctx;
	char control_id[VT_QUEUE_ID_MAX];
	uint64_t number = vt_queue_next_number(b->queue);
	vt_queue_control_id(b->queue, number, control_id, sizeof(control_id));
	struct vt_pcd_id id = {.control_id = control_id, .sequence = number,
	                       .created = s_now(b, vt_client_now())};
	static char msg[VT_PCD_MAX];
	size_t len = vt_bridge_encode(b->cfg, out, &id, msg, sizeof(msg));
	if (len == 0) {
		vt_err("HL7: the %s of bed %s does not fit in %d bytes; not sent",
		       out->alarm ? "alarm report" : "observations", out->bed, VT_PCD_MAX);
		return;
	}
	int rc = vt_queue_push(b->queue, msg, len, out->record, out->alarm);
	if (rc < 0)
		vt_warn("HL7 queue %s: cannot write message %" PRIu64 " (%s of %s); it is lost",
		        vt_queue_dir(b->queue), number, out->alarm ? "an alarm report" : "observations",
		        out->bed);
	if (rc == 0) {
		b->dirty = true;
		if (out->alarm)
			vt_info("HL7: %s %s of %s queued as %s", vt_pcd_phase_name(out->event->phase),
			        out->event->uid, out->bed, control_id);
	}
}

static void
s_replay(void *ctx, const char *record)
{
	struct vt_bridge *b = ctx;
	char err[160];
	if (vt_follow_replay(b->follow, record, err, sizeof(err)) != 0)
		vt_warnx("HL7 queue %s: a queued message's alarm record: %s", vt_queue_dir(b->queue), err);
}

/* Write the state: the alarms reported, and the next number. */
static void
s_save(struct vt_bridge *b)
{
	char *alarms = vt_follow_alarms(b->follow);
	if (alarms == NULL || vt_queue_save(b->queue, alarms) != 0)
		vt_warn("HL7 queue %s: cannot write state.json", vt_queue_dir(b->queue));
	else
		b->dirty = false;
	free(alarms);
}

struct vt_bridge *
vt_bridge_new(const struct vt_bridge_config *cfg, char *err, size_t errlen)
{
	struct vt_bridge *b = calloc(1, sizeof(*b));
	if (b == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	b->cfg = cfg;
	b->wall0 = vt_client_wall_ms();
	b->mono0 = vt_client_now();
	struct vt_curve_keys keys, *kp = NULL;
	if (cfg->server_key != NULL) {
		if (vt_curve_client_keys(&keys, cfg->server_key, cfg->key, err, errlen) != 1)
			goto fail;
		kp = &keys;
	}
	b->queue = vt_queue_open(cfg->queue_dir, (size_t)cfg->queue_max, err, errlen);
	b->follow = vt_follow_new(cfg->interval_ms, s_emit, b);
	if (b->queue == NULL || b->follow == NULL) {
		if (b->follow == NULL)
			snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < cfg->n_beds; i++)
		if (cfg->beds[i].interval_ms >= 0)
			vt_follow_bed_interval(b->follow, cfg->beds[i].bed, cfg->beds[i].interval_ms);
	/* What was reported before a restart: the state, then what was queued after it. */
	const char *saved = vt_queue_saved_alarms(b->queue);
	if (saved != NULL && vt_follow_restore(b->follow, saved, err, errlen) != 0)
		goto fail;
	vt_queue_pending(b->queue, s_replay, b);
	b->link = vt_link_new(cfg->engine_host, cfg->engine_port, cfg->ack_timeout_ms, cfg->retry_ms,
	                      cfg->retry_max_ms);
	b->zctx = zmq_ctx_new();
	if (b->link == NULL || b->zctx == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	int bad;
	b->sub = vt_client_subscribe(b->zctx, cfg->publish, kp, err, errlen);
	if (b->sub == NULL)
		goto fail;
	b->snap = vt_client_new(b->zctx, cfg->control, kp, &bad, err, errlen);
	if (b->snap == NULL)
		goto fail;
	memset(&keys, 0, sizeof(keys));
	return b;
fail:
	memset(&keys, 0, sizeof(keys));
	vt_bridge_free(&b);
	return NULL;
}

void
vt_bridge_free(struct vt_bridge **pb)
{
	struct vt_bridge *b = *pb;
	if (b == NULL)
		return;
	if (b->follow != NULL && b->queue != NULL && b->dirty)
		s_save(b);
	if (b->sub != NULL)
		zmq_close(b->sub);
	vt_client_free(&b->snap);
	if (b->zctx != NULL)
		zmq_ctx_term(b->zctx);
	vt_link_free(&b->link);
	vt_follow_free(&b->follow);
	vt_queue_free(&b->queue);
	free(b);
	*pb = NULL;
}

/* What the daemon published since the last turn. */
static void
s_drain(struct vt_bridge *b, int64_t now)
{
	for (size_t taken = 0; taken < S_DRAIN_MAX; taken++) {
		zmq_msg_t topic, body;
		zmq_msg_init(&topic);
		if (zmq_msg_recv(&topic, b->sub, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&topic);
			return;
		}
		bool more = zmq_msg_more(&topic);
		zmq_msg_close(&topic);
		if (!more)
			continue;
		zmq_msg_init(&body);
		if (zmq_msg_recv(&body, b->sub, 0) >= 0)
			vt_follow_message(b->follow, zmq_msg_data(&body), zmq_msg_size(&body), now);
		while (zmq_msg_more(&body)) { /* not the protocol's: a third frame */
			zmq_msg_close(&body);
			zmq_msg_init(&body);
			if (zmq_msg_recv(&body, b->sub, 0) < 0)
				break;
		}
		zmq_msg_close(&body);
	}
}

/* Ask for a snapshot when the follower wants one; take the reply. */
static void
s_sync(struct vt_bridge *b, int64_t mono, int64_t now)
{
	if (vt_follow_wants_snapshot(b->follow, now) && vt_client_deadline(b->snap) == INT64_MAX &&
	    vt_client_start(b->snap, "{\"cmd\":\"snapshot\"}", mono + VT_CLIENT_TIMEOUT_MS) == 0)
		vt_follow_snapshot_sent(b->follow, now);
	char *reply = NULL, err[256];
	enum vt_client_status st = vt_client_progress(b->snap, mono, &reply);
	if (st == VT_CLIENT_REPLY) {
		if (vt_follow_snapshot(b->follow, reply, strlen(reply), now, err, sizeof(err)) != 0) {
			if (strcmp(b->problem, err) != 0)
				vt_warnx("HL7: the snapshot from %s: %s; asked again", b->cfg->control, err);
			snprintf(b->problem, sizeof(b->problem), "%s", err);
		} else {
			if (b->problem[0] != '\0')
				vt_notice("HL7: %s answers again", b->cfg->control);
			b->problem[0] = '\0';
		}
	} else if (st == VT_CLIENT_UNREACHABLE || st == VT_CLIENT_TIMEOUT) {
		vt_follow_snapshot_failed(b->follow, now);
		snprintf(err, sizeof(err), "no answer");
		if (strcmp(b->problem, err) != 0)
			vt_warnx("HL7: %s does not answer a snapshot request; asked again every %d s",
			         b->cfg->control, VT_FOLLOW_RETRY_MS / 1000);
		snprintf(b->problem, sizeof(b->problem), "%s", err);
	}
	free(reply);
}

/* What became of the message in flight. */
static void
s_result(struct vt_bridge *b, enum vt_link_result r, const struct vt_ack *ack, const char *why)
{
	const char *msg, *control_id;
	size_t len;
	uint64_t number;
	if (r == VT_LINK_ACCEPTED) {
		if (b->engine_down)
			vt_notice("HL7: the engine at %s:%s acknowledges again; %zu messages to send",
			          b->cfg->engine_host, b->cfg->engine_port, vt_queue_length(b->queue) - 1);
		b->engine_down = false;
		b->refusals = 0;
		if (vt_log_verbose() && vt_queue_head(b->queue, &msg, &len, &number, &control_id) == 0)
			vt_debug("HL7: %s accepted (%s)", control_id, ack->code_text);
		vt_queue_pop(b->queue);
	} else if (r == VT_LINK_REFUSED) {
		if (vt_queue_head(b->queue, &msg, &len, &number, &control_id) != 0)
			return;
		b->refusals = b->refused_number == number ? b->refusals + 1 : 1;
		b->refused_number = number;
		vt_warnx("HL7: the engine refused %s (%s%s%s), %u time%s", control_id, ack->code_text,
		         ack->text[0] ? ": " : "", ack->text, b->refusals, b->refusals == 1 ? "" : "s");
		if (b->cfg->reject_after > 0 && b->refusals >= b->cfg->reject_after) {
			vt_err("HL7: %s set aside in %s/rejected/ after %u refusals; the next message goes on",
			       control_id, vt_queue_dir(b->queue), b->refusals);
			vt_queue_reject(b->queue);
			b->refusals = 0;
		}
	} else if (r == VT_LINK_FAILED) {
		if (!b->engine_down)
			vt_warnx("HL7: %s; messages are kept in %s (%zu) and sent once the engine answers",
			         why, vt_queue_dir(b->queue), vt_queue_length(b->queue));
		else
			vt_debug("HL7: %s", why);
		b->engine_down = true;
	}
}

/* The engine's side: what became of the message in flight, then the next one, at once. */
static void
s_engine(struct vt_bridge *b, int64_t mono)
{
	struct vt_ack ack;
	char why[256];
	const char *msg, *control_id;
	size_t len;
	uint64_t number;
	for (int turn = 0; turn < 2; turn++) {
		s_result(b, vt_link_run(b->link, mono, &ack, why, sizeof(why)), &ack, why);
		if (!vt_link_ready(b->link, mono) ||
		    vt_queue_head(b->queue, &msg, &len, &number, &control_id) != 0 ||
		    vt_link_send(b->link, msg, len, control_id, mono) != 0)
			return;
		vt_debug("HL7: sending %s", control_id);
		/* The second turn connects, or writes, at once. */
	}
}

static void
s_status(struct vt_bridge *b)
{
	const struct vt_queue_counts *qc = vt_queue_counts(b->queue);
	vt_notify_status("%s; %zu alarms active; engine %s:%s %s; %zu queued, %" PRIu64 " sent%s",
	                 vt_follow_synced(b->follow) ? "following the daemon" : "synchronising",
	                 vt_follow_active(b->follow), b->cfg->engine_host, b->cfg->engine_port,
	                 b->engine_down ? "not answering" : vt_link_connected(b->link) ? "connected"
	                                                                              : "idle",
	                 vt_queue_length(b->queue), qc->sent,
	                 qc->dropped_obs + qc->dropped_alarms > 0 ? "; messages dropped (queue full)" : "");
}

int
vt_bridge_run(struct vt_bridge *b, int sfd)
{
	vt_notice("vitals-hl7 %s following %s (control %s), sending to %s:%s; %zu messages queued in %s",
	          VT_VERSION, b->cfg->publish, b->cfg->control, b->cfg->engine_host,
	          b->cfg->engine_port, vt_queue_length(b->queue), vt_queue_dir(b->queue));
	vt_notify("READY=1");
	int64_t watchdog = vt_notify_watchdog_ms();
	int64_t next_ping = 0, next_status = 0;
	bool stop = false;
	int rc = 0;
	while (!stop) {
		int64_t mono = vt_client_now();
		zmq_pollitem_t items[4] = {
		    {.socket = b->sub, .events = ZMQ_POLLIN},
		    {.socket = vt_client_socket(b->snap), .events = vt_client_events(b->snap)},
		    {.fd = sfd, .events = ZMQ_POLLIN},
		    {.fd = vt_link_fd(b->link), .events = vt_link_events(b->link)}};
		int n = vt_link_fd(b->link) >= 0 ? 4 : 3;
		int64_t next = vt_link_deadline(b->link, vt_queue_length(b->queue) > 0);
		int64_t f = vt_follow_next(b->follow);
		if (f != INT64_MAX && f - (s_now(b, mono) - mono) < next)
			next = f - (s_now(b, mono) - mono);
		if (vt_client_deadline(b->snap) < next)
			next = vt_client_deadline(b->snap);
		if (watchdog > 0 && next_ping < next)
			next = next_ping;
		if (next_status < next)
			next = next_status;
		long timeout = next > mono ? (long)(next - mono) : 0;
		if (zmq_poll(items, n, timeout) < 0 && errno != EINTR) {
			vt_err("vitals-hl7: zmq_poll: %s", zmq_strerror(errno));
			rc = -1;
			break;
		}
		struct signalfd_siginfo si;
		while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
			if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
				stop = true;
		mono = vt_client_now();
		int64_t now = s_now(b, mono);
		s_drain(b, now);
		s_sync(b, mono, now);
		vt_follow_tick(b->follow, now);
		/* Queued messages and their alarms are on disk before any can be sent. */
		if (b->dirty)
			s_save(b);
		s_engine(b, mono);
		if (watchdog > 0 && mono >= next_ping) {
			vt_notify("WATCHDOG=1");
			next_ping = mono + watchdog / 2;
		}
		if (mono >= next_status) {
			s_status(b);
			next_status = mono + S_STATUS_MS;
		}
	}
	vt_notify("STOPPING=1");
	const struct vt_queue_counts *qc = vt_queue_counts(b->queue);
	vt_notice("vitals-hl7 stopping: %zu messages stay queued in %s for the next start; %" PRIu64
	          " sent, %" PRIu64 " observations and %" PRIu64 " alarm reports dropped (queue full), "
	          "%" PRIu64 " set aside", vt_queue_length(b->queue), vt_queue_dir(b->queue), qc->sent,
	          qc->dropped_obs, qc->dropped_alarms, qc->rejected);
	return rc;
}
