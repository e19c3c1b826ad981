/*
 * The emulator's serial line: bytes leave one at a time at the line's
 * speed, never faster, and a device never waits for its reader. A reader
 * therefore sees what it would see on a real port: a Nonin packet arriving
 * over 130 ms, not at once, and a Nellcor heading taking its time. Pure:
 * the event loop passes the time and does the writing.
 *
 * Timing is kept as a burst origin and a count of bytes sent since, so
 * that byte k of a burst is due at origin + k x byte time exactly, with no
 * rounding carried from one write to the next.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/emulator/emulate.h"

int
vt_emu_line_init(struct vt_emu_line *l, int baud, double speed, size_t cap)
{
	memset(l, 0, sizeof(*l));
	l->buf = malloc(cap);
	if (l->buf == NULL)
		return -1;
	l->cap = cap;
	/* 10 bits a byte: start, 8 data, stop (8N1). */
	l->byte_ns = 10.0 * 1e9 / (double)baud / speed;
	l->origin_ns = INT64_MIN / 2;
	return 0;
}

void
vt_emu_line_free(struct vt_emu_line *l)
{
	free(l->buf);
	memset(l, 0, sizeof(*l));
}

/* When byte number `k` of the current burst is due. */
static int64_t
s_due(const struct vt_emu_line *l, uint64_t k)
{
	return l->origin_ns + (int64_t)llround((double)k * l->byte_ns);
}

/* An idle line starts a new burst when bytes come after it has gone quiet. */
static void
s_wake(struct vt_emu_line *l, int64_t at_ns)
{
	if (l->len == 0 && at_ns > s_due(l, l->sent)) {
		l->origin_ns = at_ns;
		l->sent = 0;
	}
}

size_t
vt_emu_line_push(struct vt_emu_line *l, const uint8_t *b, size_t n, int64_t at_ns)
{
	s_wake(l, at_ns);
	size_t room = l->cap - l->len;
	size_t take = n < room ? n : room;
	memcpy(l->buf + l->len, b, take);
	l->len += take;
	return n - take;
}

size_t
vt_emu_line_inject(struct vt_emu_line *l, const uint8_t *b, size_t n, int64_t at_ns)
{
	s_wake(l, at_ns);
	size_t room = l->cap - l->len;
	size_t take = n < room ? n : room;
	memmove(l->buf + take, l->buf, l->len);
	memcpy(l->buf, b, take);
	l->len += take;
	return n - take;
}

size_t
vt_emu_line_due(const struct vt_emu_line *l, int64_t now_ns)
{
	if (l->len == 0 || now_ns < s_due(l, l->sent))
		return 0;
	/* Bytes sent..k are due where k is the last with s_due(k) <= now. */
	double elapsed = (double)(now_ns - l->origin_ns) / l->byte_ns;
	uint64_t k = (uint64_t)floor(elapsed);
	while (k > l->sent && s_due(l, k) > now_ns) /* guard against rounding */
		k--;
	uint64_t n = k - l->sent + 1;
	return n < l->len ? (size_t)n : l->len;
}

void
vt_emu_line_consume(struct vt_emu_line *l, size_t n)
{
	if (n > l->len)
		n = l->len;
	memmove(l->buf, l->buf + n, l->len - n);
	l->len -= n;
	l->sent += n;
}

int64_t
vt_emu_line_next(const struct vt_emu_line *l)
{
	return l->len == 0 ? INT64_MAX : s_due(l, l->sent);
}
