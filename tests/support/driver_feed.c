/*
 * Test support for byte-stream drivers (see driver_feed.h). Kept generic:
 * it knows the driver interface, not any protocol.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver_feed.h"
#include "run.h"
#include "vitals/emulator/encode.h"

void
vt_rig_collect_free(struct vt_rig_collect *c)
{
	free(c->readings);
	free(c->infos);
	free(c->info_at);
	free(c->alarms);
	free(c->sent);
	memset(c, 0, sizeof *c);
}

static void *
s_grow(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	size_t n = *cap ? *cap * 2 : 64;
	while (n < need)
		n *= 2;
	void *q = realloc(p, n * size);
	if (q == NULL)
		abort();
	*cap = n;
	return q;
}

static void
s_on_reading(void *ctx, const struct vt_reading *r)
{
	struct vt_rig_collect *c = ctx;
	c->readings = s_grow(c->readings, &c->cap, c->count + 1, sizeof *r);
	c->readings[c->count++] = *r;
}

static void
s_on_info(void *ctx, const struct vt_device_info *info)
{
	struct vt_rig_collect *c = ctx;
	c->infos = s_grow(c->infos, &c->infocap, c->ninfo + 1, sizeof *info);
	c->info_at = s_grow(c->info_at, &c->atcap, c->ninfo + 1, sizeof *c->info_at);
	c->info_at[c->ninfo] = c->count;
	c->infos[c->ninfo++] = *info;
}

static void
s_on_alarm(void *ctx, const struct vt_device_alarm *da)
{
	struct vt_rig_collect *c = ctx;
	c->alarms = s_grow(c->alarms, &c->alarmcap, c->nalarm + 1, sizeof *da);
	c->alarms[c->nalarm++] = *da;
}

struct vt_driver_sink
vt_rig_collect_sink(struct vt_rig_collect *c)
{
	return (struct vt_driver_sink){
	    .reading = s_on_reading, .info = s_on_info, .device_alarm = s_on_alarm, .ctx = c};
}

/* Keep what one driver call queued for the device. */
static void
s_keep_sent(struct vt_rig_collect *c, struct vt_tx *tx)
{
	if (tx->len > 0) {
		c->sent = s_grow(c->sent, &c->sentcap, c->nsent + tx->len, 1);
		memcpy(c->sent + c->nsent, tx->buf, tx->len);
		c->nsent += tx->len;
	}
	tx->len = 0;
}

uint32_t
vt_rig_rand(uint32_t *state)
{
	uint32_t x = *state ? *state : 0x9E3779B9u;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

void
vt_rig_feed(const struct vt_driver *d, const uint8_t *data, size_t len,
             enum vt_rig_split split, uint32_t seed, struct vt_rig_collect *c,
             struct vt_driver_stats *stats)
{
	void *state = malloc(d->state_size ? d->state_size : 1);
	if (state == NULL)
		abort();
	/* Garbage first, so a driver that forgets to initialise a field shows. */
	memset(state, 0xA5, d->state_size);
	d->reset(state, NULL);
	struct vt_driver_sink sink = vt_rig_collect_sink(c);
	static struct vt_tx tx;
	tx.len = 0;
	sink.tx = &tx;
	size_t pos = 0;
	while (pos < len) {
		size_t n = len - pos;
		if (split == VT_RIG_BYTES)
			n = 1;
		else if (split == VT_RIG_RANDOM && n > 1)
			n = 1 + vt_rig_rand(&seed) % (n < 64 ? n : 64);
		d->feed(state, data + pos, n, &sink);
		s_keep_sent(c, &tx);
		pos += n;
	}
	if (len == 0)
		d->feed(state, data, 0, &sink);
	s_keep_sent(c, &tx);
	if (stats != NULL)
		d->stats(state, stats);
	free(state);
}

bool
vt_rig_feed_all(const struct vt_driver *d, const uint8_t *data, size_t len,
                 struct vt_rig_collect *c, struct vt_driver_stats *stats)
{
	struct vt_driver_stats ref;
	vt_rig_feed(d, data, len, VT_RIG_WHOLE, 0, c, &ref);
	if (stats != NULL)
		*stats = ref;
	static const struct {
		enum vt_rig_split split;
		uint32_t seed;
	} runs[] = {
		{VT_RIG_BYTES, 0},
		{VT_RIG_RANDOM, 1},
		{VT_RIG_RANDOM, 0xC0FFEE},
		{VT_RIG_RANDOM, 424242},
	};
	bool same = true;
	for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
		struct vt_rig_collect other = {0};
		struct vt_driver_stats st;
		vt_rig_feed(d, data, len, runs[i].split, runs[i].seed, &other, &st);
		if (!vt_rig_collect_equal(c, &other) || memcmp(&st, &ref, sizeof st) != 0)
			same = false;
		vt_rig_collect_free(&other);
	}
	return same;
}

bool
vt_rig_reading_equal(const struct vt_reading *a, const struct vt_reading *b)
{
	if (a->reported != b->reported || a->valid != b->valid || a->flags != b->flags ||
	    a->has_status != b->has_status)
		return false;
	for (int p = 0; p < VT_PARAM_COUNT; p++)
		if ((a->valid & VT_PARAM_BIT(p)) && fabs(a->value[p] - b->value[p]) > 1e-9)
			return false;
	return true;
}

static bool
s_num_equal(double a, double b)
{
	return (isnan(a) && isnan(b)) || a == b;
}

bool
vt_rig_info_equal(const struct vt_device_info *a, const struct vt_device_info *b)
{
	return strcmp(a->model, b->model) == 0 && strcmp(a->version, b->version) == 0 &&
	       strcmp(a->mode, b->mode) == 0 && s_num_equal(a->spo2_low, b->spo2_low) &&
	       s_num_equal(a->spo2_high, b->spo2_high) && s_num_equal(a->pr_low, b->pr_low) &&
	       s_num_equal(a->pr_high, b->pr_high);
}

bool
vt_rig_collect_equal(const struct vt_rig_collect *a, const struct vt_rig_collect *b)
{
	if (a->count != b->count || a->ninfo != b->ninfo || a->nalarm != b->nalarm ||
	    a->nsent != b->nsent || (a->nsent > 0 && memcmp(a->sent, b->sent, a->nsent) != 0))
		return false;
	for (size_t i = 0; i < a->nalarm; i++)
		if (memcmp(&a->alarms[i], &b->alarms[i], sizeof a->alarms[i]) != 0)
			return false;
	for (size_t i = 0; i < a->count; i++)
		if (!vt_rig_reading_equal(&a->readings[i], &b->readings[i]))
			return false;
	for (size_t i = 0; i < a->ninfo; i++)
		if (!vt_rig_info_equal(&a->infos[i], &b->infos[i]) || a->info_at[i] != b->info_at[i])
			return false;
	return true;
}

const char *
vt_rig_reading_str(const struct vt_reading *r, char *buf, size_t cap)
{
	size_t n = 0;
	buf[0] = '\0';
	for (int p = 0; p < VT_PARAM_COUNT && n < cap; p++) {
		if (!(r->reported & VT_PARAM_BIT(p)))
			continue;
		if (r->valid & VT_PARAM_BIT(p))
			n += (size_t)snprintf(buf + n, cap - n, "%s=%g ", vt_param_info(p)->name, r->value[p]);
		else
			n += (size_t)snprintf(buf + n, cap - n, "%s=- ", vt_param_info(p)->name);
	}
	if (n < cap)
		snprintf(buf + n, cap - n, "flags=0x%x%s", (unsigned)r->flags, r->has_status ? " status" : "");
	return buf;
}

size_t
vt_rig_encode(const char *protocol, int seconds, uint8_t *buf, size_t cap)
{
	const struct vt_encoder *e = vt_encoder_find(protocol);
	if (e == NULL)
		return 0;
	uint8_t state[VT_ENCODE_STATE_MAX];
	e->reset(state, NULL);
	struct vt_reading r = {0};
	vt_reading_set(&r, VT_SPO2, 96);
	vt_reading_set(&r, VT_PR, 71);
	size_t n = 0;
	int periods = seconds * 1000 * e->period_den / e->period_num_ms;
	for (int i = 0; i < periods && cap - n >= VT_ENCODE_MAX; i++)
		n += e->encode(state, &r, 1795000000000 + (int64_t)i * e->period_num_ms / e->period_den,
		               buf + n, cap - n);
	return n;
}
