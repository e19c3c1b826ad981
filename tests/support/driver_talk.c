/*
 * The in-process conversation of a driver and its emulated device (see
 * driver_talk.h). Both are pure, so the conversation is a loop over one
 * virtual clock: whatever is due next (a device period or a driver tick)
 * happens, and the bytes each side queues are handed to the other at
 * once, until neither has anything more to say.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "driver_talk.h"

static void
s_wire(struct vt_rig_talk *t, const uint8_t *b, size_t n)
{
	if (t->wire_len + n > t->wire_cap) {
		size_t cap = t->wire_cap ? t->wire_cap : 4096;
		while (cap < t->wire_len + n)
			cap *= 2;
		uint8_t *w = realloc(t->wire, cap);
		if (w == NULL)
			abort();
		t->wire = w;
		t->wire_cap = cap;
	}
	memcpy(t->wire + t->wire_len, b, n);
	t->wire_len += n;
}

static void s_to_device(struct vt_rig_talk *t, const struct vt_tx *tx);

/* The device's bytes reach the driver; what it answers goes back. */
static void
s_to_driver(struct vt_rig_talk *t, const uint8_t *b, size_t n)
{
	if (n == 0 || t->mute)
		return;
	s_wire(t, b, n);
	if (t->trace != NULL)
		t->trace(t, false, b, n);
	struct vt_tx tx = {0};
	struct vt_driver_sink sink = vt_rig_collect_sink(&t->c);
	sink.now = t->now;
	sink.tx = &tx;
	t->driver->feed(t->dstate, b, n, &sink);
	s_to_device(t, &tx);
}

static void
s_to_device(struct vt_rig_talk *t, const struct vt_tx *tx)
{
	if (tx->len == 0)
		return;
	t->host_bytes += tx->len;
	t->host_messages++;
	if (t->trace != NULL)
		t->trace(t, true, tx->buf, tx->len);
	static uint8_t out[VT_ENCODE_REPLY_MAX];
	size_t n = t->device->respond(t->estate, tx->buf, tx->len, t->now, out, sizeof out);
	uint8_t *copy = malloc(n ? n : 1);
	if (copy == NULL)
		abort();
	memcpy(copy, out, n); /* `out` is reused by the nested answers */
	s_to_driver(t, copy, n);
	free(copy);
}

int
vt_rig_talk_start(struct vt_rig_talk *t, const char *protocol, const struct vt_driver_opts *opts,
                  const struct vt_encode_config *cfg, int64_t t0)
{
	return vt_rig_talk_start_traced(t, protocol, opts, cfg, t0, NULL, NULL);
}

int
vt_rig_talk_start_traced(struct vt_rig_talk *t, const char *protocol,
                         const struct vt_driver_opts *opts, const struct vt_encode_config *cfg,
                         int64_t t0,
                         void (*trace)(struct vt_rig_talk *, bool, const uint8_t *, size_t),
                         void *ctx)
{
	memset(t, 0, sizeof(*t));
	t->trace = trace;
	t->trace_ctx = ctx;
	t->driver = vt_driver_find(protocol);
	t->device = vt_encoder_find(protocol);
	if (t->driver == NULL || t->device == NULL || t->driver->connect == NULL ||
	    t->device->respond == NULL)
		return -1;
	t->dstate = calloc(1, t->driver->state_size);
	t->estate = calloc(1, t->device->state_size);
	if (t->dstate == NULL || t->estate == NULL)
		abort();
	t->driver->reset(t->dstate, opts);
	t->device->reset(t->estate, cfg);
	t->now = t0;
	t->next_period = t0;
	/* The device has shown a period before the host connects. */
	vt_rig_talk_run(t, t0);
	struct vt_tx tx = {0};
	struct vt_driver_sink sink = vt_rig_collect_sink(&t->c);
	sink.now = t->now;
	sink.tx = &tx;
	t->driver->connect(t->dstate, NULL, 0, &sink);
	s_to_device(t, &tx);
	return 0;
}

void
vt_rig_talk_run(struct vt_rig_talk *t, int64_t until)
{
	int64_t period = (int64_t)t->device->period_num_ms / t->device->period_den;
	for (;;) {
		int64_t wake = t->driver->wake ? t->driver->wake(t->dstate) : INT64_MAX;
		int64_t next = wake < t->next_period ? wake : t->next_period;
		if (next > until)
			break;
		if (next > t->now)
			t->now = next;
		if (t->next_period <= t->now) {
			uint8_t out[VT_ENCODE_MAX];
			size_t n = t->device->encode(t->estate, &t->shown, t->now, out, sizeof out);
			t->next_period += period;
			s_to_driver(t, out, n);
			continue;
		}
		struct vt_tx tx = {0};
		struct vt_driver_sink sink = vt_rig_collect_sink(&t->c);
		sink.now = t->now;
		sink.tx = &tx;
		t->driver->tick(t->dstate, &sink);
		s_to_device(t, &tx);
	}
	if (until > t->now)
		t->now = until;
}

void
vt_rig_talk_misbehave(struct vt_rig_talk *t, enum vt_encode_fault f)
{
	uint8_t out[VT_ENCODE_MAX];
	size_t n = t->device->misbehave(t->estate, f, t->now, out, sizeof out);
	s_to_driver(t, out, n);
}

void
vt_rig_talk_stop(struct vt_rig_talk *t)
{
	struct vt_tx tx = {0};
	struct vt_driver_sink sink = vt_rig_collect_sink(&t->c);
	sink.now = t->now;
	sink.tx = &tx;
	if (t->driver->disconnect)
		t->driver->disconnect(t->dstate, &sink);
	s_to_device(t, &tx);
}

void
vt_rig_talk_free(struct vt_rig_talk *t)
{
	free(t->dstate);
	free(t->estate);
	free(t->wire);
	vt_rig_collect_free(&t->c);
	memset(t, 0, sizeof(*t));
}

void
vt_rig_talk_patient(struct vt_reading *r)
{
	memset(r, 0, sizeof(*r));
	vt_reading_set(r, VT_HR, 72);
	vt_reading_set(r, VT_SPO2, 97);
	vt_reading_set(r, VT_PR, 73);
	vt_reading_set(r, VT_RR, 14);
	vt_reading_set(r, VT_ETCO2, 38);
	vt_reading_set(r, VT_TEMP, 36.7);
	r->has_status = true;
}

const struct vt_reading *
vt_rig_talk_last(const struct vt_rig_talk *t)
{
	cr_assert_gt(t->c.count, 0, "the driver gave no reading");
	return &t->c.readings[t->c.count - 1];
}
