/*
 * The trace behind `vitalsctl watch` (include/vitals/wire/watch.h). The
 * driver is fed one byte at a time and its counters are read after each:
 * a record completed there ends a frame; bytes it discarded are the oldest
 * ones not yet accounted for; a frame it dropped is what was pending. The
 * drivers decode the same whatever the split (docs/drivers.md), so the
 * watched port behaves exactly as an unwatched one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vitals/base/timefmt.h"
#include "vitals/wire/message.h"
#include "vitals/wire/watch.h"

/* Bytes not yet accounted for, at most (a line or packet is far shorter). */
#define S_PENDING 2048
/* Rejected pieces closer than this merge into one (a hunt through junk). */
#define S_MERGE_MS 1000

enum s_kind { S_FRAME, S_DISCARDED, S_DROPPED, S_OTHER, S_NOTE };
static const char *const s_kind_names[] = {"frame", "discarded", "dropped", "other", "port"};

struct s_piece {
	uint64_t n;                  /* its number, from 1 */
	int64_t t0;                  /* when its first byte arrived */
	int64_t t;                   /* when its last byte arrived */
	enum s_kind kind;
	size_t total;                /* bytes in the piece */
	size_t kept;                 /* of which the first `kept` are in bytes[] */
	uint8_t bytes[VT_WATCH_BYTES];
	char what[112];              /* what was decoded, or why it was rejected, or the note */
};

struct vt_watch {
	struct s_piece ring[VT_WATCH_EVENTS];
	uint64_t next;               /* number of the next piece */
	uint64_t handed;             /* the last piece a reply has shown: never changed after */
	uint8_t pending[S_PENDING];  /* bytes not yet accounted for */
	size_t n_pending;
	char decoded[112];           /* readings of the byte just fed */
	const struct vt_driver_sink *sink;
};

struct vt_watch *
vt_watch_new(void)
{
	struct vt_watch *w = calloc(1, sizeof(*w));
	if (w != NULL)
		w->next = 1;
	return w;
}

void
vt_watch_free(struct vt_watch **w)
{
	free(*w);
	*w = NULL;
}

static struct s_piece *
s_last(struct vt_watch *w)
{
	return w->next > 1 ? &w->ring[(w->next - 2) % VT_WATCH_EVENTS] : NULL;
}

/* A new piece of `n` bytes from the front of pending (or none for a note). */
static void
s_piece(struct vt_watch *w, int64_t t, enum s_kind kind, size_t n, const char *what)
{
	if (n > w->n_pending)
		n = w->n_pending;
	struct s_piece *last = s_last(w);
	bool ends_line = kind == S_OTHER && n > 0;
	for (size_t i = 0; ends_line && i < n; i++)
		ends_line = w->pending[i] == '\r' || w->pending[i] == '\n';
	bool rejected = kind == S_DISCARDED || kind == S_DROPPED;
	bool last_rejected = last && (last->kind == S_DISCARDED || last->kind == S_DROPPED);
	if (last != NULL && last->kind != S_NOTE && last->n > w->handed &&
	    ((ends_line && t - last->t < S_MERGE_MS) ||
	     (rejected && last_rejected && t - last->t0 < S_MERGE_MS))) {
		/* The line end of the piece before, or more junk after junk (a
		 * hunt for sync rejects byte by byte, for changing reasons): one
		 * piece, counted whole, kept in part, with the latest reason. */
		if (rejected) {
			if (kind == S_DROPPED)
				last->kind = S_DROPPED;
			snprintf(last->what, sizeof(last->what), "%s", what ? what : "");
		}
		size_t room = VT_WATCH_BYTES - last->kept, take = n < room ? n : room;
		memcpy(last->bytes + last->kept, w->pending, take);
		last->kept += take;
		last->total += n;
		last->t = t;
	} else {
		struct s_piece *p = &w->ring[(w->next - 1) % VT_WATCH_EVENTS];
		p->n = w->next++;
		p->t0 = p->t = t;
		p->kind = kind;
		p->total = n;
		p->kept = n < VT_WATCH_BYTES ? n : VT_WATCH_BYTES;
		memcpy(p->bytes, w->pending, p->kept);
		snprintf(p->what, sizeof(p->what), "%s", what ? what : "");
	}
	memmove(w->pending, w->pending + n, w->n_pending - n);
	w->n_pending -= n;
}

void
vt_watch_note(struct vt_watch *w, int64_t t, const char *text)
{
	s_piece(w, t, S_NOTE, 0, text);
}

/* What a reading says, short: "spo2 97 %, pr 72 bpm, sensor-off". */
static void
s_describe(char *buf, size_t len, const struct vt_reading *r)
{
	size_t used = strlen(buf);
	for (int p = 0; p < VT_PARAM_COUNT && used < len; p++) {
		if (!(r->reported & VT_PARAM_BIT(p)))
			continue;
		const struct vt_param_info *pi = vt_param_info((enum vt_param)p);
		if (r->valid & VT_PARAM_BIT(p))
			used += (size_t)snprintf(buf + used, len - used, "%s%s %g %s", used ? ", " : "",
			                         pi->name, r->value[p], pi->unit);
		else
			used += (size_t)snprintf(buf + used, len - used, "%s%s --", used ? ", " : "",
			                         pi->name);
	}
	for (int i = 0; i < VT_FLAG_COUNT && used < len; i++)
		if (r->has_status && (r->flags & (1u << i)))
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
			                         vt_flag_name(1u << i));
	if (used == 0)
		snprintf(buf, len, "a record without values");
}

static void
s_on_reading(void *ctx, const struct vt_reading *r)
{
	struct vt_watch *w = ctx;
	s_describe(w->decoded, sizeof(w->decoded), r);
	if (w->sink != NULL && w->sink->reading != NULL)
		w->sink->reading(w->sink->ctx, r);
}

static void
s_on_info(void *ctx, const struct vt_device_info *info)
{
	struct vt_watch *w = ctx;
	if (w->sink != NULL && w->sink->info != NULL)
		w->sink->info(w->sink->ctx, info);
}

/* An alarm the monitor itself raised or ended (HL7 ORU^R40), shown and passed on. */
static void
s_on_device_alarm(void *ctx, const struct vt_device_alarm *da)
{
	struct vt_watch *w = ctx;
	size_t used = strlen(w->decoded);
	snprintf(w->decoded + used, sizeof(w->decoded) - used, "%smonitor alarm %s %s",
	         used ? "; " : "", da->code, da->active ? "on" : "ended");
	if (w->sink != NULL && w->sink->device_alarm != NULL)
		w->sink->device_alarm(w->sink->ctx, da);
}

bool
vt_watch_feed(struct vt_watch *w, struct vt_line *line, int64_t t, const uint8_t *bytes,
              size_t len, const struct vt_driver_sink *sink)
{
	/* The driver's replies and clock go where they would have gone. */
	const struct vt_driver_sink tap = {.reading = s_on_reading,
	                                   .info = s_on_info,
	                                   .device_alarm = s_on_device_alarm,
	                                   .ctx = w,
	                                   .now = sink ? sink->now : t,
	                                   .tx = sink ? sink->tx : NULL};
	const struct vt_line_stats *s = &line->stats;
	uint64_t frames0 = s->frames, rejected0 = s->dropped + s->discarded;
	w->sink = sink;
	for (size_t i = 0; i < len; i++) {
		uint64_t frames = s->frames, dropped = s->dropped, discarded = s->discarded;
		w->decoded[0] = '\0';
		vt_line_feed(line, t, &bytes[i], 1, &tap);
		if (w->n_pending == S_PENDING)
			s_piece(w, t, S_OTHER, S_PENDING, "not accounted for yet");
		w->pending[w->n_pending++] = bytes[i];
		const char *why = s->why ? s->why : "rejected";
		if (s->frames > frames) {
			s_piece(w, t, S_FRAME, w->n_pending, w->decoded);
		} else if (s->discarded > discarded) {
			s_piece(w, t, s->dropped > dropped ? S_DROPPED : S_DISCARDED,
			        (size_t)(s->discarded - discarded), why);
		} else if (s->dropped > dropped) {
			s_piece(w, t, S_DROPPED, w->n_pending, why);
		} else if (line->driver->text && bytes[i] == '\n') {
			s_piece(w, t, S_OTHER, w->n_pending, "not a record (a heading or a blank line)");
		}
	}
	w->sink = NULL;
	/* As vt_line_feed on the whole: rejected something, decoded nothing. */
	return s->frames == frames0 && s->dropped + s->discarded > rejected0;
}

/* The bytes of a piece as people read them: text escaped, binary as hex. */
static json_t *
s_bytes(const struct s_piece *p, bool text)
{
	char buf[4 * VT_WATCH_BYTES + 1];
	size_t used = 0;
	for (size_t i = 0; i < p->kept; i++) {
		uint8_t c = p->bytes[i];
		if (!text)
			used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%02x", i ? " " : "", c);
		else if (c == '\r')
			used += (size_t)snprintf(buf + used, sizeof(buf) - used, "\\r");
		else if (c == '\n')
			used += (size_t)snprintf(buf + used, sizeof(buf) - used, "\\n");
		else if (c == '\t')
			used += (size_t)snprintf(buf + used, sizeof(buf) - used, "\\t");
		else if (c == '\\')
			used += (size_t)snprintf(buf + used, sizeof(buf) - used, "\\\\");
		else if (c < 0x20 || c > 0x7e)
			used += (size_t)snprintf(buf + used, sizeof(buf) - used, "\\x%02x", c);
		else
			buf[used++] = (char)c, buf[used] = '\0';
	}
	buf[used] = '\0';
	return json_string(buf);
}

char *
vt_watch_reply(struct vt_watch *w, const char *bed, const struct vt_line *line, uint64_t after)
{
	w->handed = w->next - 1;
	json_t *o = json_object(), *events = json_array();
	bool text = line->driver->text;
	uint64_t first = w->next > VT_WATCH_EVENTS ? w->next - VT_WATCH_EVENTS : 1;
	if (after + 1 > first)
		first = after + 1;
	char when[VT_TIME_BUFSZ];
	for (uint64_t n = first; n < w->next; n++) {
		const struct s_piece *p = &w->ring[(n - 1) % VT_WATCH_EVENTS];
		json_t *e = json_object();
		json_object_set_new(e, "n", json_integer((json_int_t)p->n));
		json_object_set_new(e, "time", json_string(vt_time_format(p->t, when)));
		json_object_set_new(e, "kind", json_string(s_kind_names[p->kind]));
		if (p->kind != S_NOTE) {
			json_object_set_new(e, "length", json_integer((json_int_t)p->total));
			json_object_set_new(e, "bytes", s_bytes(p, text));
		}
		json_object_set_new(e, p->kind == S_FRAME ? "decoded" : p->kind == S_NOTE ? "text" : "why",
		                    json_string(p->what));
		json_array_append_new(events, e);
	}
	json_object_set_new(o, "ok", json_true());
	json_object_set_new(o, "bed", json_string(bed));
	json_object_set_new(o, "protocol", json_string(line->driver->name));
	json_object_set_new(o, "text", json_boolean(text));
	json_object_set_new(o, "next", json_integer((json_int_t)(w->next - 1)));
	json_object_set_new(o, "missed",
	                    json_integer((json_int_t)(first > after + 1 ? first - after - 1 : 0)));
	json_object_set_new(o, "events", events);
	json_object_set_new(o, "line", vt_msg_line_object(&line->stats));
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}
