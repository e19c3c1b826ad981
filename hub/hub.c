/*
 * The hub's event loop (hub.h). Two threads and no shared state between
 * them: the proxy thread only runs zmq_proxy_steerable, and this one only
 * talks to it through the steering socket (STATISTICS for a ping, TERMINATE
 * at the end). Published messages cross the hub untouched; nothing here
 * parses them.
 *
 * A request waits in a slot of a fixed table until its daemon (or every
 * daemon) has answered or request_timeout has passed; then the client gets
 * the daemon's own reply, or the merged one, or an error naming the daemon
 * that did not answer. The daemons see the hub as one DEALER client per
 * daemon; each request carries the slot's tag as its envelope, so a late
 * answer to a request already given up is recognised and dropped.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <zmq.h>

#include "vitals/base/version.h"
#include "vitals/hub/hub.h"
#include "vitals/hub/merge.h"
#include "vitals/io/conns.h"
#include "vitals/io/control.h"
#include "vitals/io/crossing.h"
#include "vitals/io/curve.h"
#include "vitals/io/log.h"
#include "vitals/io/notify.h"
#include "vitals/io/publisher.h"
#include "vitals/wire/control_request.h"

/* What the XSUB takes from the daemons before ZeroMQ drops: several daemons' worth. */
#define S_XSUB_HWM 100000

/* One request waiting for daemons. */
struct s_slot {
	bool used;
	uint64_t tag;                               /* sent as the envelope; slot = tag % table */
	enum vt_control_cmd cmd;
	int daemon;                                 /* the daemon asked, or VT_HUB_ALL */
	int64_t deadline;                           /* monotonic ms */
	struct vt_control_later *client;            /* the client's envelope, to answer it */
	size_t waiting;                             /* answers still expected */
	bool asked[VT_HUB_MAX_DAEMONS];             /* the request went to daemon i */
	char *replies[VT_HUB_MAX_DAEMONS];          /* daemon i's answer, malloc'd */
	const char *why[VT_HUB_MAX_DAEMONS];        /* why daemon i has none */
};

struct s_hub {
	const struct vt_hub_config *cfg;
	void *zctx;
	struct vt_control *front;                   /* consoles' requests */
	struct vt_publisher *out;                   /* the consoles' XPUB, as a daemon's PUB */
	void *xsub;                                 /* the daemons' side of the proxy */
	void *steer, *steer_peer;                   /* PAIR: this thread, the proxy's */
	pthread_t proxy;
	bool proxy_running;
	void *dealer[VT_HUB_MAX_DAEMONS];           /* one per daemon */
	struct vt_zap *zap;
	int sfd;
	struct s_slot slots[VT_HUB_MAX_PENDING];
	uint64_t next_tag;
	char instance[33];
	int64_t started;                            /* monotonic ms */
	char why_timeout[64];                       /* "no answer within 2 s" */
	uint64_t late;                              /* answers after their deadline */
	struct vt_crossing busy;                    /* requests refused: too many waiting */
};

static int64_t
s_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
s_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *
s_proxy_main(void *arg)
{
	struct s_hub *h = arg;
	zmq_proxy_steerable(h->xsub, vt_publisher_socket(h->out), NULL, h->steer_peer);
	return NULL;
}

/* ---- set-up ------------------------------------------------------------------- */

static void *
s_socket(struct s_hub *h, int type, const char *what)
{
	void *s = zmq_socket(h->zctx, type);
	int linger = 0;
	if (s == NULL)
		vt_err("%s: zmq_socket: %s", what, zmq_strerror(errno));
	else
		zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	return s;
}

/* The hub's keys as a client of daemon `d`, set before each connect (ZeroMQ copies them then). */
static int
s_client_keys(void *sock, const struct vt_hub_daemon *d, const char *pub, const char *sec)
{
	char server[VT_CURVE_Z85], err[256];
	if (d->server_key == NULL)
		return 0;
	if (vt_curve_read(d->server_key, server, NULL, err, sizeof(err)) != 0) {
		vt_err("daemon %s: %s", d->name, err);
		return -1;
	}
	if (vt_curve_client(sock, server, pub, sec) != 0) {
		vt_err("daemon %s: CURVE: %s", d->name, zmq_strerror(errno));
		return -1;
	}
	return 0;
}

/* 0, or an exit status. */
static int
s_setup(struct s_hub *h)
{
	const struct vt_hub_config *cfg = h->cfg;
	char err[512], pub[VT_CURVE_Z85] = "", sec[VT_CURVE_Z85] = "";
	const char *secret = NULL;
	if (cfg->curve_secret_key != NULL) {
		if (vt_curve_read(cfg->curve_secret_key, pub, sec, err, sizeof(err)) != 0) {
			vt_err("%s", err);
			return 78;
		}
		h->zap = vt_zap_new(h->zctx, cfg->curve_clients, err, sizeof(err));
		if (h->zap == NULL) {
			vt_err("%s", err);
			return 78;
		}
		secret = sec;
		vt_notice("CURVE on: hub key %s, %zu allowed clients", pub, vt_zap_count(h->zap));
	}
	h->front = vt_control_new(h->zctx, cfg->control, cfg->n_control, secret, &cfg->limits, err,
	                          sizeof(err));
	if (h->front == NULL) {
		vt_err("%s", err);
		return 69;
	}
	/* The consoles' side is a daemon's publisher in all but its type: the same queue per
	 * subscriber, heartbeats and connections per endpoint (limits). */
	h->out = vt_publisher_open(h->zctx, ZMQ_XPUB, cfg->publish, cfg->n_publish, secret,
	                           &cfg->limits, err, sizeof(err));
	if (h->out == NULL) {
		vt_err("%s", err);
		return 69;
	}
	h->xsub = s_socket(h, ZMQ_XSUB, "daemons");
	if (h->xsub == NULL)
		return 69;
	int in_hwm = S_XSUB_HWM;
	zmq_setsockopt(h->xsub, ZMQ_RCVHWM, &in_hwm, sizeof(in_hwm));
	int immediate = 1;
	for (size_t i = 0; i < cfg->n_daemons; i++) {
		const struct vt_hub_daemon *d = &cfg->daemons[i];
		if (s_client_keys(h->xsub, d, pub, sec) != 0)
			return 78;
		if (zmq_connect(h->xsub, d->publish) != 0) {
			vt_err("daemon %s: publish %s: %s", d->name, d->publish, zmq_strerror(errno));
			return 69;
		}
		h->dealer[i] = s_socket(h, ZMQ_DEALER, d->name);
		if (h->dealer[i] == NULL)
			return 69;
		/* A request for a daemon that is not connected fails at once instead of waiting. */
		zmq_setsockopt(h->dealer[i], ZMQ_IMMEDIATE, &immediate, sizeof(immediate));
		if (s_client_keys(h->dealer[i], d, pub, sec) != 0)
			return 78;
		if (zmq_connect(h->dealer[i], d->control) != 0) {
			vt_err("daemon %s: control %s: %s", d->name, d->control, zmq_strerror(errno));
			return 69;
		}
	}
	/* The proxy's steering pair; the name is this hub's own. */
	char steer[64];
	snprintf(steer, sizeof(steer), "inproc://vitals-hub-steer-%s", h->instance);
	h->steer = s_socket(h, ZMQ_PAIR, "steer");
	h->steer_peer = s_socket(h, ZMQ_PAIR, "steer");
	if (h->steer == NULL || h->steer_peer == NULL || zmq_bind(h->steer, steer) != 0 ||
	    zmq_connect(h->steer_peer, steer) != 0) {
		vt_err("proxy steering: %s", zmq_strerror(errno));
		return 69;
	}
	if (pthread_create(&h->proxy, NULL, s_proxy_main, h) != 0) {
		vt_err("proxy thread: %s", strerror(errno));
		return 69;
	}
	h->proxy_running = true;
	return 0;
}

/* ---- requests ----------------------------------------------------------------- */

/* Answer the slot's client with `json` and free the slot. */
static void
s_slot_done(struct s_hub *h, struct s_slot *s, const char *json)
{
	vt_control_reply_later(h->front, &s->client, json);
	for (size_t i = 0; i < VT_HUB_MAX_DAEMONS; i++)
		free(s->replies[i]);
	memset(s, 0, sizeof(*s));
}

/* The proxy's counters, for a ping: messages and bytes from the daemons and to the consoles. */
static void
s_proxy_stats(struct s_hub *h, uint64_t stats[8])
{
	memset(stats, 0, 8 * sizeof(uint64_t));
	if (zmq_send(h->steer, "STATISTICS", 10, 0) < 0)
		return;
	for (int i = 0; i < 8; i++) {
		int more = 0;
		size_t len = sizeof(more);
		if (zmq_recv(h->steer, &stats[i], sizeof(stats[i]), 0) < 0)
			return;
		zmq_getsockopt(h->steer, ZMQ_RCVMORE, &more, &len);
		if (!more)
			return;
	}
}

/* What an operator reads in a ping: what crossed the proxy, and each bound's state. */
static json_t *
s_counters(struct s_hub *h)
{
	uint64_t st[8];
	s_proxy_stats(h, st);
	struct vt_conns *pub = vt_publisher_conns(h->out), *ctl = vt_control_conns(h->front);
	return json_pack("{s:{s:I,s:I,s:I,s:I},s:{s:I,s:I,s:I,s:I,s:I,s:I}}", "proxy", "messages_in",
	                 (json_int_t)st[0], "bytes_in", (json_int_t)st[1], "messages_out",
	                 (json_int_t)st[6], "late_answers", (json_int_t)h->late, "limits",
	                 "publish_connections", (json_int_t)vt_conns_open(pub),
	                 "publish_connections_refused", (json_int_t)vt_conns_refused(pub)->total,
	                 "publish_peers_stalled", (json_int_t)vt_conns_stalled(pub)->total,
	                 "control_connections", (json_int_t)vt_conns_open(ctl),
	                 "control_connections_refused", (json_int_t)vt_conns_refused(ctl)->total,
	                 "requests_refused", (json_int_t)h->busy.total);
}

/* Answer a slot's client and free the slot. */
static void
s_finish(struct s_hub *h, struct s_slot *s)
{
	char *text = NULL;
	if (s->daemon >= 0) {
		const struct vt_hub_daemon *d = &h->cfg->daemons[s->daemon];
		if (s->replies[s->daemon] != NULL) {
			s_slot_done(h, s, s->replies[s->daemon]);
			return;
		}
		char msg[512];
		snprintf(msg, sizeof(msg), "daemon %s (%s): %s", d->name, d->control,
		         s->why[s->daemon] ? s->why[s->daemon] : "no answer");
		text = vt_control_error_reply(msg);
	} else {
		const char *replies[VT_HUB_MAX_DAEMONS];
		for (size_t i = 0; i < VT_HUB_MAX_DAEMONS; i++)
			replies[i] = s->replies[i];
		json_t *counters = s->cmd == VT_CMD_PING ? s_counters(h) : NULL;
		text = vt_hub_merge(h->cfg, s->cmd, replies, s->why, s_wall_ms(), h->instance,
		                    (s_mono_ms() - h->started) / 1000, counters);
	}
	s_slot_done(h, s, text ? text : "{\"ok\":false,\"error\":\"out of memory\"}");
	free(text);
}

/* Hand the request body to daemon i under the slot's tag; false if it cannot take it now. */
static bool
s_ask(struct s_hub *h, struct s_slot *s, size_t i, const char *body, size_t len)
{
	if (zmq_send(h->dealer[i], &s->tag, sizeof(s->tag), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
		s->why[i] = "not connected";
		return false;
	}
	zmq_send(h->dealer[i], body, len, ZMQ_DONTWAIT);
	s->asked[i] = true;
	s->waiting++;
	return true;
}

static void
s_request(struct s_hub *h, const char *body, size_t len)
{
	struct vt_control_req req;
	char err[256];
	if (vt_control_parse(body, len, &req, err, sizeof(err)) != 0) {
		char *e = vt_control_error_reply(err);
		vt_control_reply(h->front, e ? e : "{\"ok\":false}");
		free(e);
		return;
	}
	int target = vt_hub_route(h->cfg, &req, err, sizeof(err));
	if (target == -1) {
		char *e = vt_control_error_reply(err);
		vt_control_reply(h->front, e ? e : "{\"ok\":false}");
		free(e);
		return;
	}
	struct s_slot *s = NULL;
	uint64_t tag = h->next_tag;
	for (size_t k = 0; k < VT_HUB_MAX_PENDING; k++, tag++) {
		if (!h->slots[tag % VT_HUB_MAX_PENDING].used) {
			s = &h->slots[tag % VT_HUB_MAX_PENDING];
			break;
		}
	}
	if (s == NULL) {
		vt_crossing_hit(&h->busy, s_mono_ms(), "%d requests wait for daemons already; refusing "
		                "more (counted in ping replies)", VT_HUB_MAX_PENDING);
		char msg[128];
		snprintf(msg, sizeof(msg), "the hub has %d requests waiting for daemons; try again",
		         VT_HUB_MAX_PENDING);
		char *e = vt_control_error_reply(msg);
		vt_control_reply(h->front, e ? e : "{\"ok\":false}");
		free(e);
		return;
	}
	h->next_tag = tag + 1;
	s->used = true;
	s->tag = tag;
	s->cmd = req.cmd;
	s->daemon = target;
	s->deadline = s_mono_ms() + h->cfg->request_timeout_ms;
	/* The body is read before the envelope is kept: keeping it releases the body. */
	if (target >= 0) {
		s_ask(h, s, (size_t)target, body, len);
	} else {
		for (size_t i = 0; i < h->cfg->n_daemons; i++)
			s_ask(h, s, i, body, len);
	}
	s->client = vt_control_defer(h->front);
	if (s->client == NULL) /* the daemons' answers will have no one to go to */
		vt_control_reply(h->front, "{\"ok\":false,\"error\":\"out of memory\"}");
	if (s->waiting == 0)
		s_finish(h, s);
}

/* An answer from daemon i: [tag, reply]. */
static void
s_answer(struct s_hub *h, size_t i)
{
	for (int n = 0; n < 1000; n++) {
		uint64_t tag = 0;
		zmq_msg_t body;
		int got = zmq_recv(h->dealer[i], &tag, sizeof(tag), ZMQ_DONTWAIT);
		if (got < 0)
			return;
		int more = 0;
		size_t ml = sizeof(more);
		zmq_getsockopt(h->dealer[i], ZMQ_RCVMORE, &more, &ml);
		if (!more)
			continue;
		zmq_msg_init(&body);
		if (zmq_msg_recv(&body, h->dealer[i], 0) < 0) {
			zmq_msg_close(&body);
			continue;
		}
		/* Anything after the body is not ours to read. */
		while (zmq_msg_more(&body)) {
			zmq_msg_t rest;
			zmq_msg_init(&rest);
			zmq_msg_recv(&rest, h->dealer[i], 0);
			zmq_msg_close(&rest);
			break;
		}
		struct s_slot *s = &h->slots[tag % VT_HUB_MAX_PENDING];
		if (got != (int)sizeof(tag) || !s->used || s->tag != tag || !s->asked[i] ||
		    s->replies[i] != NULL) {
			h->late++;
			zmq_msg_close(&body);
			continue;
		}
		size_t len = zmq_msg_size(&body);
		s->replies[i] = malloc(len + 1);
		if (s->replies[i] != NULL) {
			memcpy(s->replies[i], zmq_msg_data(&body), len);
			s->replies[i][len] = '\0';
		} else {
			s->why[i] = "out of memory";
		}
		zmq_msg_close(&body);
		if (--s->waiting == 0)
			s_finish(h, s);
	}
}

/* Give up on the requests whose time is over; the next deadline. */
static int64_t
s_expire(struct s_hub *h, int64_t now)
{
	int64_t next = INT64_MAX;
	for (size_t k = 0; k < VT_HUB_MAX_PENDING; k++) {
		struct s_slot *s = &h->slots[k];
		if (!s->used)
			continue;
		if (now >= s->deadline) {
			for (size_t i = 0; i < h->cfg->n_daemons; i++)
				if (s->asked[i] && s->replies[i] == NULL)
					s->why[i] = h->why_timeout;
			s_finish(h, s);
		} else if (s->deadline < next) {
			next = s->deadline;
		}
	}
	return next;
}

/* ---- the loop ----------------------------------------------------------------- */

/* The bounds that say something when a burst of crossings ends, or INT64_MAX. */
static int64_t
s_crossing_deadline(struct s_hub *h)
{
	int64_t x[] = {vt_crossing_deadline(vt_conns_refused(vt_publisher_conns(h->out))),
	               vt_crossing_deadline(vt_conns_stalled(vt_publisher_conns(h->out))),
	               vt_crossing_deadline(vt_conns_refused(vt_control_conns(h->front))),
	               vt_crossing_deadline(&h->busy)};
	int64_t next = INT64_MAX;
	for (size_t i = 0; i < sizeof(x) / sizeof(x[0]); i++)
		next = x[i] < next ? x[i] : next;
	return next;
}

static int
s_loop(struct s_hub *h)
{
	int64_t wd = vt_notify_watchdog_ms(), next_wd = s_mono_ms();
	for (;;) {
		struct vt_conns *pub = vt_publisher_conns(h->out), *ctl = vt_control_conns(h->front);
		zmq_pollitem_t items[VT_HUB_MAX_DAEMONS + 5];
		int n = 0;
		items[n++] = (zmq_pollitem_t){.fd = h->sfd, .events = ZMQ_POLLIN};
		items[n++] = (zmq_pollitem_t){.socket = vt_control_socket(h->front), .events = ZMQ_POLLIN};
		/* The connection monitors: one beyond a bound is shut down as soon as it is accepted. */
		items[n++] = (zmq_pollitem_t){.socket = vt_conns_socket(pub), .events = ZMQ_POLLIN};
		items[n++] = (zmq_pollitem_t){.socket = vt_conns_socket(ctl), .events = ZMQ_POLLIN};
		size_t first_dealer = (size_t)n;
		for (size_t i = 0; i < h->cfg->n_daemons; i++)
			items[n++] = (zmq_pollitem_t){.socket = h->dealer[i], .events = ZMQ_POLLIN};
		int zap_item = -1;
		if (h->zap != NULL) {
			zap_item = n;
			items[n++] = (zmq_pollitem_t){.socket = vt_zap_socket(h->zap), .events = ZMQ_POLLIN};
		}
		int64_t now = s_mono_ms();
		int64_t next = s_expire(h, now);
		if (wd > 0 && next_wd < next)
			next = next_wd;
		int64_t quiet = s_crossing_deadline(h);
		if (quiet < next)
			next = quiet;
		long timeout = next == INT64_MAX ? -1 : next <= now ? 0 : (long)(next - now);
		if (zmq_poll(items, n, timeout) < 0 && errno != EINTR) {
			vt_err("zmq_poll: %s", zmq_strerror(errno));
			return 1;
		}
		if (items[0].revents) {
			struct signalfd_siginfo si;
			while (read(h->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
					return 0;
				if (si.ssi_signo == SIGHUP)
					vt_notice("SIGHUP: the hub reads its configuration only when it starts; "
					          "restart it to apply a change (systemctl restart vitals-hub)");
			}
		}
		now = s_mono_ms();
		if (items[2].revents)
			vt_conns_handle(pub, now);
		if (items[3].revents)
			vt_conns_handle(ctl, now);
		vt_crossing_quiet(vt_conns_refused(pub), now);
		vt_conns_check_stalled(pub, now);
		vt_crossing_quiet(vt_conns_refused(ctl), now);
		vt_crossing_quiet(&h->busy, now);
		if (zap_item >= 0 && items[zap_item].revents)
			vt_zap_handle(h->zap);
		for (size_t i = 0; i < h->cfg->n_daemons; i++)
			if (items[first_dealer + i].revents)
				s_answer(h, i);
		if (items[1].revents) {
			const char *body;
			size_t len;
			for (int k = 0; k < 100 && vt_control_recv(h->front, &body, &len) == 1; k++)
				s_request(h, body, len);
		}
		if (wd > 0 && s_mono_ms() >= next_wd) {
			vt_notify("WATCHDOG=1");
			next_wd = s_mono_ms() + wd / 2;
		}
	}
}

static void
s_teardown(struct s_hub *h)
{
	if (h->proxy_running) {
		zmq_send(h->steer, "TERMINATE", 9, 0);
		pthread_join(h->proxy, NULL);
	}
	for (size_t k = 0; k < VT_HUB_MAX_PENDING; k++)
		if (h->slots[k].used)
			s_slot_done(h, &h->slots[k], "{\"ok\":false,\"error\":\"the hub is stopping\"}");
	for (size_t i = 0; i < VT_HUB_MAX_DAEMONS; i++)
		if (h->dealer[i] != NULL)
			zmq_close(h->dealer[i]);
	vt_publisher_free(&h->out);
	void *socks[] = {h->xsub, h->steer, h->steer_peer};
	for (size_t i = 0; i < sizeof(socks) / sizeof(socks[0]); i++)
		if (socks[i] != NULL)
			zmq_close(socks[i]);
	vt_control_free(&h->front);
	vt_zap_free(&h->zap);
	if (h->sfd >= 0)
		close(h->sfd);
}

int
vt_hub_run(const struct vt_hub_config *cfg)
{
	static struct s_hub hub; /* large (the slot table); one per process */
	struct s_hub *h = &hub;
	memset(h, 0, sizeof(*h));
	h->cfg = cfg;
	h->sfd = -1;
	h->started = s_mono_ms();
	h->busy.name = "requests refused: too many waiting for daemons";
	snprintf(h->why_timeout, sizeof(h->why_timeout), "no answer within %lld ms",
	         (long long)cfg->request_timeout_ms);
	unsigned char rnd[16];
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		memset(rnd, 0, sizeof(rnd));
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(h->instance + 2 * i, 3, "%02x", rnd[i]);

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	/* Blocked before any thread starts, so that ZeroMQ's threads and the proxy inherit it. */
	sigprocmask(SIG_BLOCK, &mask, NULL);
	h->sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	h->zctx = zmq_ctx_new();
	int status = h->sfd < 0 || h->zctx == NULL ? 71 : s_setup(h);
	if (status == 0) {
		size_t beds = 0;
		for (size_t i = 0; i < cfg->n_daemons; i++)
			beds += cfg->daemons[i].n_beds;
		vt_notice("vitals-hub %s started: %zu daemons, %zu beds, publish %s, control %s, "
		          "instance %s", VT_VERSION, cfg->n_daemons, beds, cfg->publish[0],
		          cfg->control[0], h->instance);
		vt_notify("READY=1");
		vt_notify_status("%zu daemons, %zu beds", cfg->n_daemons, beds);
		status = s_loop(h);
		vt_notify("STOPPING=1");
	}
	s_teardown(h);
	if (h->zctx != NULL)
		zmq_ctx_term(h->zctx);
	if (status == 0)
		vt_notice("vitals-hub stopped");
	return status;
}
