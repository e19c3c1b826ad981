/*
 * The daemon's side of the web station (see vitals/web/station.h). It is
 * the terminal console's loop body without the terminal: the same client,
 * the same model, the same synchronisation, and the nurse's commands
 * spread over a few clients instead of one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/base/timefmt.h"
#include "vitals/console/client.h"
#include "vitals/console/model.h"
#include "vitals/io/curve.h"
#include "vitals/web/station.h"

struct request {
	char *body;               /* the JSON to send */
	int64_t deadline;         /* monotonic ms */
	vt_station_done_fn done;
	void *arg;
};

struct vt_station {
	char *publish;
	void *sub;
	struct vt_client *snap;
	char problem[256];
	struct vt_console *model;
	struct vt_client *clients[VT_STATION_CLIENTS];
	struct request working[VT_STATION_CLIENTS]; /* body NULL: the client is free */
	struct request queue[VT_STATION_QUEUE_MAX]; /* FIFO */
	size_t q_first, q_n;
	uint64_t refused;
};

struct vt_station *
vt_station_new(void *zctx, const char *publish, const char *control,
               const struct vt_curve_keys *keys, char *err, size_t errlen)
{
	struct vt_station *st = calloc(1, sizeof(*st));
	if (st == NULL || (st->publish = strdup(publish)) == NULL) {
		free(st);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	int bad;
	st->sub = vt_client_subscribe(zctx, publish, keys, err, errlen);
	if (st->sub == NULL)
		goto fail;
	st->snap = vt_client_new(zctx, control, keys, &bad, err, errlen);
	if (st->snap == NULL)
		goto fail;
	for (size_t i = 0; i < VT_STATION_CLIENTS; i++)
		if ((st->clients[i] = vt_client_new(zctx, control, keys, &bad, err, errlen)) == NULL)
			goto fail;
	st->model = vt_console_new(vt_client_now());
	if (st->model == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	return st;
fail:
	vt_station_free(&st);
	return NULL;
}

static void
s_finish(struct request *r, const char *reply, const char *why)
{
	vt_station_done_fn done = r->done;
	void *arg = r->arg;
	free(r->body);
	memset(r, 0, sizeof(*r));
	if (done != NULL)
		done(arg, reply, why);
}

void
vt_station_free(struct vt_station **stp)
{
	if (stp == NULL || *stp == NULL)
		return;
	struct vt_station *st = *stp;
	for (size_t i = 0; i < VT_STATION_CLIENTS; i++) {
		if (st->working[i].body != NULL)
			s_finish(&st->working[i], NULL, "vitals-web is stopping");
		vt_client_free(&st->clients[i]);
	}
	while (st->q_n > 0) {
		s_finish(&st->queue[st->q_first], NULL, "vitals-web is stopping");
		st->q_first = (st->q_first + 1) % VT_STATION_QUEUE_MAX;
		st->q_n--;
	}
	vt_client_free(&st->snap);
	if (st->sub != NULL)
		zmq_close(st->sub);
	vt_console_free(&st->model);
	free(st->publish);
	free(st);
	*stp = NULL;
}

size_t
vt_station_pollitems(struct vt_station *st, zmq_pollitem_t *items)
{
	size_t n = 0;
	items[n++] = (zmq_pollitem_t){.socket = st->sub, .events = ZMQ_POLLIN};
	items[n++] = (zmq_pollitem_t){.socket = vt_client_socket(st->snap),
	                              .events = vt_client_events(st->snap)};
	for (size_t i = 0; i < VT_STATION_CLIENTS; i++)
		items[n++] = (zmq_pollitem_t){.socket = vt_client_socket(st->clients[i]),
		                              .events = vt_client_events(st->clients[i])};
	return n;
}

int64_t
vt_station_deadline(const struct vt_station *st)
{
	int64_t next = vt_console_next_deadline(st->model);
	int64_t d = vt_client_deadline(st->snap);
	next = d < next ? d : next;
	for (size_t i = 0; i < VT_STATION_CLIENTS; i++) {
		d = vt_client_deadline(st->clients[i]);
		next = d < next ? d : next;
	}
	if (st->q_n > 0 && st->queue[st->q_first].deadline < next)
		next = st->queue[st->q_first].deadline;
	return next;
}

/* Hand queued requests to free clients; fail those whose time ran out waiting. */
static void
s_dispatch(struct vt_station *st, int64_t now)
{
	while (st->q_n > 0) {
		struct request *r = &st->queue[st->q_first];
		if (now >= r->deadline) {
			s_finish(r, NULL, "the daemon is busy: no control connection came free in time");
		} else {
			size_t i = 0;
			while (i < VT_STATION_CLIENTS && st->working[i].body != NULL)
				i++;
			if (i == VT_STATION_CLIENTS)
				return;
			if (vt_client_start(st->clients[i], r->body, r->deadline) != 0)
				return;
			st->working[i] = *r;
			memset(r, 0, sizeof(*r));
		}
		st->q_first = (st->q_first + 1) % VT_STATION_QUEUE_MAX;
		st->q_n--;
	}
}

bool
vt_station_run(struct vt_station *st, int64_t now)
{
	unsigned snapshots = vt_console_snapshots(st->model);
	enum vt_console_sync sync = vt_console_sync_state(st->model);
	bool changed = vt_client_drain(st->sub, st->model, VT_STATION_DRAIN_MAX) > 0;
	vt_client_sync(st->snap, st->model, now, st->problem, sizeof(st->problem));
	changed = changed || snapshots != vt_console_snapshots(st->model) ||
	          sync != vt_console_sync_state(st->model);
	for (size_t i = 0; i < VT_STATION_CLIENTS; i++) {
		if (st->working[i].body == NULL)
			continue;
		char *reply = NULL;
		char why[200];
		enum vt_client_status s = vt_client_progress(st->clients[i], now, &reply);
		if (s == VT_CLIENT_WAITING)
			continue;
		snprintf(why, sizeof(why), "%s %s within %d s: not done",
		         s == VT_CLIENT_UNREACHABLE ? "cannot reach the daemon's control socket"
		                                    : "no reply from the daemon's control socket",
		         vt_client_endpoint(st->clients[i]), VT_CLIENT_TIMEOUT_MS / 1000);
		/* A silence reply tells the pause of a bed that may have no alert to carry it. */
		json_t *o = reply ? json_loads(reply, 0, NULL) : NULL;
		const char *bed = json_string_value(json_object_get(o, "bed"));
		const char *until = json_string_value(json_object_get(o, "silenced_until"));
		int64_t t;
		if (json_is_true(json_object_get(o, "ok")) && bed != NULL && until != NULL &&
		    vt_time_parse(until, &t) == 0)
			vt_console_set_silenced(st->model, bed, t);
		json_decref(o);
		s_finish(&st->working[i], reply, s == VT_CLIENT_REPLY ? NULL : why);
		free(reply);
		changed = true;
	}
	s_dispatch(st, now);
	return vt_console_tick(st->model, now) || changed;
}

int
vt_station_request(struct vt_station *st, json_t *req, const char *by, int64_t now,
                   vt_station_done_fn done, void *arg)
{
	if (st->q_n == VT_STATION_QUEUE_MAX) {
		json_decref(req);
		st->refused++;
		return -1;
	}
	json_object_set_new(req, "by", json_string(by));
	char *body = json_dumps(req, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(req);
	if (body == NULL) {
		st->refused++;
		return -1;
	}
	struct request *r = &st->queue[(st->q_first + st->q_n++) % VT_STATION_QUEUE_MAX];
	*r = (struct request){.body = body, .deadline = now + VT_CLIENT_TIMEOUT_MS, .done = done,
	                      .arg = arg};
	/* A free client takes it now; the loop's next poll finds it ready to send. */
	s_dispatch(st, now);
	return 0;
}

const struct vt_console *
vt_station_model(const struct vt_station *st)
{
	return st->model;
}

const char *
vt_station_problem(const struct vt_station *st)
{
	return st->problem;
}

const char *
vt_station_publish(const struct vt_station *st)
{
	return st->publish;
}

uint64_t
vt_station_refused(const struct vt_station *st)
{
	return st->refused;
}
