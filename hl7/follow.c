/*
 * The HL7 bridge's view of the daemons (vitals/hl7/follow.h): streams and
 * their seq, the beds' latest values and when each reports next, and the
 * alarms reported to the engine. Every decision about what the engine
 * hears is taken here, from messages and time given as arguments.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vitals/base/timefmt.h"
#include "vitals/hl7/follow.h"

/* Text of the end the bridge reports for an alarm whose own end it cannot hear. */
#define S_ENDED_BY_RESTART "Alarm ended by a restart of vitalsd"
#define S_ENDED_UNHEARD "Alarm ended (its end came while the bridge was not listening)"

/* An alarm reported to the engine and not yet ended. */
struct s_alarm {
	char instance[64];   /* the daemon run it belongs to */
	char id[160];        /* BED/RULE/N */
	char bed[128];
	uint64_t seq;        /* seq of its latest event heard */
	bool technical;
	enum vt_priority priority;
	int parameter;       /* enum vt_param, or -1 */
	bool has_value, has_limit;
	double value, limit;
	int direction;       /* -1 below, +1 above, 0 neither: fixed when first heard */
	bool acknowledged, silenced;
	char text[256];
};

struct s_bed {
	char name[128];
	int64_t interval;    /* ms between R01s; 0 none */
	int64_t next_due;    /* when the next R01 is due; 0 not scheduled */
	int64_t heard;       /* bridge time its values came; 0 never */
	struct vt_pcd_obs obs;
};

/* One daemon's stream: its run and the last seq applied. */
struct s_stream {
	char instance[64];
	uint64_t seq;
};

struct vt_follow {
	int64_t interval;
	vt_follow_emit_fn emit;
	void *ctx;
	struct s_alarm *alarms;     /* VT_FOLLOW_MAX_ALARMS, n_alarms used, in order of raising */
	size_t n_alarms;
	struct s_bed *beds;         /* VT_FOLLOW_MAX_BEDS */
	size_t n_beds;
	struct s_stream streams[VT_FOLLOW_MAX_STREAMS];
	size_t n_streams;
	bool want;                  /* a snapshot is needed */
	bool in_flight;             /* one was asked for */
	int64_t retry_at;           /* not before this */
	json_t **buffer;            /* VT_FOLLOW_BUFFER_MAX messages kept meanwhile */
	size_t n_buffer;
	struct vt_follow_counts counts;
};

struct vt_follow *
vt_follow_new(int64_t interval_ms, vt_follow_emit_fn emit, void *ctx)
{
	struct vt_follow *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->alarms = calloc(VT_FOLLOW_MAX_ALARMS, sizeof(*f->alarms));
	f->beds = calloc(VT_FOLLOW_MAX_BEDS, sizeof(*f->beds));
	f->buffer = calloc(VT_FOLLOW_BUFFER_MAX, sizeof(*f->buffer));
	if (f->alarms == NULL || f->beds == NULL || f->buffer == NULL) {
		vt_follow_free(&f);
		return NULL;
	}
	f->interval = interval_ms > 0 ? interval_ms : 0;
	f->emit = emit;
	f->ctx = ctx;
	f->want = true;
	return f;
}

static void
s_drop_buffer(struct vt_follow *f)
{
	for (size_t i = 0; i < f->n_buffer; i++)
		json_decref(f->buffer[i]);
	f->n_buffer = 0;
}

void
vt_follow_free(struct vt_follow **pf)
{
	struct vt_follow *f = *pf;
	if (f == NULL)
		return;
	if (f->buffer != NULL)
		s_drop_buffer(f);
	free(f->buffer);
	free(f->alarms);
	free(f->beds);
	free(f);
	*pf = NULL;
}

/* ---- reading the daemon's objects -------------------------------------------------- */

static const char *
s_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int64_t
s_time(json_t *o, const char *key, int64_t dflt)
{
	int64_t t;
	const char *s = s_str(o, key);
	return s != NULL && vt_time_parse(s, &t) == 0 ? t : dflt;
}

static bool
s_num(json_t *o, const char *key, double *v)
{
	json_t *n = json_object_get(o, key);
	if (!json_is_number(n))
		return false;
	*v = json_number_value(n);
	return isfinite(*v);
}

static void
s_copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src != NULL ? src : "");
}

static enum vt_priority
s_priority(const char *s)
{
	if (s != NULL && strcmp(s, "high") == 0)
		return VT_PRIO_HIGH;
	if (s != NULL && strcmp(s, "low") == 0)
		return VT_PRIO_LOW;
	return VT_PRIO_MEDIUM;
}

/*
 * An alert object (docs/protocol.md) as an alarm. Its direction: the
 * worst value against the limit in force, which stays on the limit's
 * side whatever tier the limit is of.
 */
static bool
s_alarm_of(struct s_alarm *a, json_t *o, const char *instance)
{
	const char *id = s_str(o, "id"), *bed = s_str(o, "bed");
	if (id == NULL || bed == NULL || *id == '\0' || strlen(id) >= sizeof(a->id) ||
	    strlen(bed) >= sizeof(a->bed))
		return false;
	memset(a, 0, sizeof(*a));
	s_copy(a->instance, sizeof(a->instance), instance);
	s_copy(a->id, sizeof(a->id), id);
	s_copy(a->bed, sizeof(a->bed), bed);
	json_int_t seq = json_integer_value(json_object_get(o, "seq"));
	a->seq = seq > 0 ? (uint64_t)seq : 0;
	const char *kind = s_str(o, "kind");
	a->technical = kind != NULL && strcmp(kind, "technical") == 0;
	a->priority = s_priority(s_str(o, "priority"));
	const char *param = s_str(o, "parameter");
	a->parameter = param != NULL ? vt_param_by_name(param) : -1;
	a->has_value = s_num(o, "value", &a->value);
	a->has_limit = s_num(o, "limit", &a->limit);
	double w;
	if (!a->technical && a->has_limit &&
	    (s_num(o, "worst", &w) || s_num(o, "onset_value", &w) || s_num(o, "value", &w)) &&
	    w != a->limit)
		a->direction = w < a->limit ? -1 : 1;
	a->acknowledged = json_is_true(json_object_get(o, "acknowledged"));
	a->silenced = json_is_string(json_object_get(o, "silenced_until"));
	s_copy(a->text, sizeof(a->text), s_str(o, "text"));
	return true;
}

/* ---- the alarms reported --------------------------------------------------------- */

static struct s_alarm *
s_find(struct vt_follow *f, const char *instance, const char *id)
{
	for (size_t i = 0; i < f->n_alarms; i++)
		if (strcmp(f->alarms[i].id, id) == 0 && strcmp(f->alarms[i].instance, instance) == 0)
			return &f->alarms[i];
	return NULL;
}

static void
s_forget(struct vt_follow *f, struct s_alarm *a)
{
	size_t i = (size_t)(a - f->alarms);
	memmove(&f->alarms[i], &f->alarms[i + 1], (f->n_alarms - i - 1) * sizeof(*a));
	f->n_alarms--;
}

/* Keep `a` (new, or replacing the one of its id). False if the table is full. */
static bool
s_keep(struct vt_follow *f, const struct s_alarm *a)
{
	struct s_alarm *k = s_find(f, a->instance, a->id);
	if (k == NULL) {
		if (f->n_alarms == VT_FOLLOW_MAX_ALARMS)
			return false;
		k = &f->alarms[f->n_alarms++];
	}
	*k = *a;
	return true;
}

/* One alarm as the record kept beside its message, and in the state file. */
static json_t *
s_record(const struct s_alarm *a, bool ended)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:b, s:s, s:s?, s:b, s:b, s:s}", "instance",
	                      a->instance, "id", a->id, "bed", a->bed, "seq", (json_int_t)a->seq,
	                      "technical", a->technical, "priority", vt_priority_name(a->priority),
	                      "parameter",
	                      a->parameter >= 0 ? vt_param_info((enum vt_param)a->parameter)->name : NULL,
	                      "acknowledged", a->acknowledged, "silenced", a->silenced, "text", a->text);
	if (o == NULL)
		return NULL;
	if (a->has_value)
		json_object_set_new(o, "value", json_real(a->value));
	if (a->has_limit)
		json_object_set_new(o, "limit", json_real(a->limit));
	json_object_set_new(o, "direction", json_integer(a->direction));
	if (ended)
		json_object_set_new(o, "ended", json_true());
	return o;
}

/* A kept record back as an alarm. */
static bool
s_from_record(struct s_alarm *a, json_t *o, bool *ended)
{
	const char *instance = s_str(o, "instance");
	if (!json_is_object(o) || instance == NULL || strlen(instance) >= sizeof(a->instance) ||
	    !s_alarm_of(a, o, instance))
		return false;
	json_int_t d = json_integer_value(json_object_get(o, "direction"));
	a->direction = d < 0 ? -1 : d > 0 ? 1 : 0;
	a->silenced = json_is_true(json_object_get(o, "silenced"));
	*ended = json_is_true(json_object_get(o, "ended"));
	return true;
}

/* The alarm's unique id for the engine: its daemon run, then its id. */
static void
s_uid(const struct s_alarm *a, char *buf, size_t len)
{
	snprintf(buf, len, "%.12s/%s", a->instance, a->id);
}

/* Report one event of `a` (as it stands after the event) at `time`. */
static void
s_report(struct vt_follow *f, const struct s_alarm *a, enum vt_pcd_phase phase, int64_t time,
         const char *text)
{
	char uid[256];
	s_uid(a, uid, sizeof(uid));
	struct vt_pcd_alarm ev = {
	    .uid = uid, .phase = phase, .time = time, .technical = a->technical,
	    .priority = a->priority, .parameter = a->parameter, .has_value = a->has_value,
	    .has_limit = a->has_limit, .value = a->value, .limit = a->limit,
	    .direction = a->direction, .acknowledged = a->acknowledged, .silenced = a->silenced,
	    .text = text != NULL ? text : a->text};
	json_t *rec = s_record(a, phase == VT_PCD_END);
	char *line = rec != NULL ? json_dumps(rec, JSON_COMPACT) : NULL;
	json_decref(rec);
	struct vt_follow_out out = {.bed = a->bed, .alarm = true, .event = &ev, .record = line};
	f->emit(f->ctx, &out);
	free(line);
}

/* Report a change of state of a kept alarm found in a snapshot, if any. */
static void
s_catch_up(struct vt_follow *f, struct s_alarm *k, const struct s_alarm *now, int64_t time)
{
	enum vt_pcd_phase phase = now->priority > k->priority   ? VT_PCD_ESCALATE
	                          : now->priority < k->priority ? VT_PCD_DEESCALATE
	                                                        : VT_PCD_UPDATE;
	bool changed = phase != VT_PCD_UPDATE || now->acknowledged != k->acknowledged ||
	               now->silenced != k->silenced;
	int direction = k->direction;
	*k = *now;
	k->direction = direction;
	if (changed)
		s_report(f, k, phase, time, NULL);
}

/* A live alert event. */
static void
s_alert(struct vt_follow *f, json_t *o, const char *instance, int64_t time)
{
	struct s_alarm a;
	const char *event = s_str(o, "event");
	if (event == NULL || !s_alarm_of(&a, o, instance))
		return;
	struct s_alarm *k = s_find(f, instance, a.id);
	if (k != NULL)
		a.direction = k->direction;
	enum vt_pcd_phase phase;
	if (strcmp(event, "raised") == 0) {
		if (k != NULL)
			return; /* reported already (from a snapshot) */
		phase = VT_PCD_START;
	} else if (strcmp(event, "escalated") == 0) {
		phase = VT_PCD_ESCALATE;
	} else if (strcmp(event, "deescalated") == 0) {
		phase = VT_PCD_DEESCALATE;
	} else if (strcmp(event, "acknowledged") == 0 || strcmp(event, "silenced") == 0) {
		phase = VT_PCD_UPDATE;
	} else if (strcmp(event, "cleared") == 0) {
		phase = VT_PCD_END;
	} else {
		/* updated, or an event this version does not know: the value follows in the R01s. */
		if (k != NULL && strcmp(event, "updated") == 0)
			*k = a;
		return;
	}
	if (phase == VT_PCD_END) {
		if (k != NULL)
			s_forget(f, k);
	} else if (!s_keep(f, &a)) {
		f->counts.alarms_full++;
	}
	s_report(f, &a, phase, time, NULL);
}

/* ---- beds ---------------------------------------------------------------------- */

static struct s_bed *
s_bed(struct vt_follow *f, const char *name, bool make)
{
	for (size_t i = 0; i < f->n_beds; i++)
		if (strcmp(f->beds[i].name, name) == 0)
			return &f->beds[i];
	if (!make || strlen(name) >= sizeof(f->beds[0].name) || *name == '\0')
		return NULL;
	if (f->n_beds == VT_FOLLOW_MAX_BEDS) {
		f->counts.beds_full++;
		return NULL;
	}
	struct s_bed *b = &f->beds[f->n_beds++];
	memset(b, 0, sizeof(*b));
	s_copy(b->name, sizeof(b->name), name);
	b->interval = f->interval;
	return b;
}

int
vt_follow_bed_interval(struct vt_follow *f, const char *bed, int64_t interval_ms)
{
	struct s_bed *b = s_bed(f, bed, true);
	if (b == NULL)
		return -1;
	b->interval = interval_ms > 0 ? interval_ms : 0;
	b->next_due = 0;
	return 0;
}

/* The next multiple of the bed's interval after `now`. */
static int64_t
s_align(const struct s_bed *b, int64_t now)
{
	return (now / b->interval + 1) * b->interval;
}

/* A bed's values from a vitals message or a snapshot, current at `time`. */
static void
s_values(struct vt_follow *f, const char *bed, json_t *values, json_t *measured, int64_t time,
         int64_t now)
{
	struct s_bed *b = s_bed(f, bed, true);
	if (b == NULL || !json_is_object(values))
		return;
	struct vt_pcd_obs *obs = &b->obs;
	memset(obs, 0, sizeof(*obs));
	obs->time = time;
	const char *key;
	json_t *v;
	json_object_foreach(values, key, v)
	{
		int p = vt_param_by_name(key);
		if (p < 0 || !json_is_number(v) || !isfinite(json_number_value(v)))
			continue;
		obs->valid |= VT_PARAM_BIT(p);
		obs->value[p] = json_number_value(v);
		obs->measured[p] = s_time(measured, key, 0);
	}
	b->heard = now;
	if (b->interval > 0 && b->next_due == 0)
		b->next_due = s_align(b, now);
}

void
vt_follow_tick(struct vt_follow *f, int64_t now)
{
	for (size_t i = 0; i < f->n_beds; i++) {
		struct s_bed *b = &f->beds[i];
		if (b->interval <= 0 || b->next_due == 0 || now < b->next_due)
			continue;
		b->next_due = s_align(b, now);
		if (b->heard == 0 || now - b->heard > VT_FOLLOW_FRESH_MS || b->obs.valid == 0)
			continue;
		struct vt_follow_out out = {.bed = b->name, .obs = &b->obs};
		f->emit(f->ctx, &out);
	}
}

int64_t
vt_follow_next(const struct vt_follow *f)
{
	int64_t next = f->want && !f->in_flight ? f->retry_at : INT64_MAX;
	for (size_t i = 0; i < f->n_beds; i++)
		if (f->beds[i].interval > 0 && f->beds[i].next_due > 0 && f->beds[i].next_due < next)
			next = f->beds[i].next_due;
	return next;
}

/* ---- streams and messages ----------------------------------------------------------- */

static struct s_stream *
s_stream(struct vt_follow *f, const char *instance)
{
	for (size_t i = 0; i < f->n_streams; i++)
		if (strcmp(f->streams[i].instance, instance) == 0)
			return &f->streams[i];
	return NULL;
}

/* Apply a message of a stream that is up to date. */
static void
s_apply(struct vt_follow *f, json_t *o, const char *instance, int64_t now)
{
	const char *type = s_str(o, "type"), *bed = s_str(o, "bed");
	int64_t time = s_time(o, "time", now);
	if (type == NULL || bed == NULL)
		return;
	if (strcmp(type, "vitals") == 0)
		s_values(f, bed, json_object_get(o, "values"), json_object_get(o, "measured"), time, now);
	else if (strcmp(type, "alert") == 0)
		s_alert(f, o, instance, time);
}

/* Keep a message for after the snapshot; takes the reference. */
static void
s_hold(struct vt_follow *f, json_t *o)
{
	if (f->n_buffer == VT_FOLLOW_BUFFER_MAX) {
		/* The snapshot to come will be older than what is dropped: the
		 * next message shows a gap and asks for another. */
		s_drop_buffer(f);
		f->counts.buffer_full++;
	}
	f->buffer[f->n_buffer++] = o;
}

/* A parsed message; takes the reference. 1 applied, 0 held or a duplicate. */
static int
s_take(struct vt_follow *f, json_t *o, int64_t now)
{
	const char *instance = s_str(o, "instance");
	uint64_t seq = (uint64_t)json_integer_value(json_object_get(o, "seq"));
	if (f->want || f->in_flight) {
		s_hold(f, o);
		return 0;
	}
	struct s_stream *s = s_stream(f, instance);
	if (s != NULL && seq <= s->seq) {
		json_decref(o);
		return 0;
	}
	if (s == NULL || seq != s->seq + 1) {
		f->counts.gaps++;
		f->want = true;
		s_hold(f, o);
		return 0;
	}
	s->seq = seq;
	s_apply(f, o, instance, now);
	json_decref(o);
	return 1;
}

int
vt_follow_message(struct vt_follow *f, const char *body, size_t len, int64_t now)
{
	json_t *o = json_loadb(body, len, 0, NULL);
	json_t *seq = json_object_get(o, "seq");
	const char *instance = s_str(o, "instance");
	if (o == NULL || !json_is_integer(seq) || json_integer_value(seq) <= 0 || instance == NULL ||
	    *instance == '\0' || strlen(instance) >= sizeof(f->streams[0].instance)) {
		json_decref(o);
		f->counts.unreadable++;
		return -1;
	}
	return s_take(f, o, now);
}

/* ---- snapshots ------------------------------------------------------------------------ */

bool
vt_follow_wants_snapshot(const struct vt_follow *f, int64_t now)
{
	return f->want && !f->in_flight && now >= f->retry_at;
}

void
vt_follow_snapshot_sent(struct vt_follow *f, int64_t now)
{
	f->in_flight = true;
}

void
vt_follow_snapshot_failed(struct vt_follow *f, int64_t now)
{
	f->in_flight = false;
	f->retry_at = now + VT_FOLLOW_RETRY_MS;
}

/* A daemon in a snapshot: its run, where its stream stands, and its beds (NULL: every bed). */
struct s_source {
	const char *instance;
	uint64_t seq;
	json_t *beds;
};

static bool
s_serves(const struct s_source *src, const char *bed)
{
	if (src->beds == NULL)
		return true;
	size_t i;
	json_t *b;
	json_array_foreach(src->beds, i, b)
		if (json_is_string(b) && strcmp(json_string_value(b), bed) == 0)
			return true;
	return false;
}

/* The daemon of a snapshot that serves `bed`; NULL if none that answered does. */
static const struct s_source *
s_source_of(const struct s_source *srcs, size_t n, const char *bed)
{
	for (size_t i = 0; i < n; i++)
		if (s_serves(&srcs[i], bed))
			return &srcs[i];
	return NULL;
}

/* The alert object of `id` of run `instance` in a snapshot, or NULL. */
static json_t *
s_snapshot_alert(json_t *alerts, const char *instance, const char *id)
{
	size_t i;
	json_t *a;
	json_array_foreach(alerts, i, a)
	{
		const char *ai = s_str(a, "instance"), *aid = s_str(a, "id");
		if (aid != NULL && strcmp(aid, id) == 0 && (ai == NULL || strcmp(ai, instance) == 0))
			return a;
	}
	return NULL;
}

/* The snapshot's daemons: one (a daemon's own), or a hub's `sources` that answered. */
static int
s_sources(json_t *o, struct s_source *srcs, size_t *n, char *err, size_t errlen)
{
	*n = 0;
	json_t *sources = json_object_get(o, "sources");
	if (sources == NULL) {
		json_t *seq = json_object_get(o, "seq");
		const char *instance = s_str(o, "instance");
		if (!json_is_integer(seq) || json_integer_value(seq) < 0 || instance == NULL ||
		    strlen(instance) >= sizeof(((struct s_stream *)0)->instance)) {
			snprintf(err, errlen, "a snapshot without seq and instance");
			return -1;
		}
		srcs[(*n)++] = (struct s_source){instance, (uint64_t)json_integer_value(seq), NULL};
		return 0;
	}
	size_t i;
	json_t *s;
	json_array_foreach(sources, i, s)
	{
		json_t *seq = json_object_get(s, "seq");
		const char *instance = s_str(s, "instance");
		if (instance == NULL || !json_is_integer(seq) || json_integer_value(seq) < 0 ||
		    strlen(instance) >= sizeof(((struct s_stream *)0)->instance))
			continue; /* a daemon that did not answer: its beds as they were */
		if (*n == VT_FOLLOW_MAX_STREAMS)
			break;
		json_t *beds = json_object_get(s, "beds");
		if (json_is_array(beds))
			srcs[(*n)++] = (struct s_source){instance, (uint64_t)json_integer_value(seq), beds};
	}
	return 0;
}

int
vt_follow_snapshot(struct vt_follow *f, const char *reply, size_t len, int64_t now, char *err,
                   size_t errlen)
{
	f->in_flight = false;
	json_t *o = json_loadb(reply, len, 0, NULL);
	struct s_source srcs[VT_FOLLOW_MAX_STREAMS];
	size_t n = 0;
	json_t *alerts = json_object_get(o, "alerts");
	if (o == NULL || !json_is_true(json_object_get(o, "ok")) || !json_is_array(alerts)) {
		const char *why = s_str(o, "error");
		snprintf(err, errlen, "%s", why != NULL ? why : "not a snapshot");
		json_decref(o);
		f->retry_at = now + VT_FOLLOW_RETRY_MS;
		return -1;
	}
	if (s_sources(o, srcs, &n, err, errlen) != 0) {
		json_decref(o);
		f->retry_at = now + VT_FOLLOW_RETRY_MS;
		return -1;
	}
	int64_t time = s_time(o, "time", now);
	/* The alarms reported: ended by a restart, ended unheard, or changed. */
	for (size_t i = 0; i < f->n_alarms;) {
		struct s_alarm *k = &f->alarms[i];
		const struct s_source *src = s_source_of(srcs, n, k->bed);
		json_t *now_obj = src != NULL && strcmp(src->instance, k->instance) == 0
		                          ? s_snapshot_alert(alerts, k->instance, k->id)
		                          : NULL;
		struct s_alarm cur;
		if (src == NULL) {
			i++;
		} else if (now_obj != NULL && s_alarm_of(&cur, now_obj, k->instance)) {
			s_catch_up(f, k, &cur, time);
			i++;
		} else {
			bool restart = strcmp(src->instance, k->instance) != 0;
			struct s_alarm ended = *k;
			s_forget(f, k);
			f->counts.restart_ends += restart;
			s_report(f, &ended, VT_PCD_END, time, restart ? S_ENDED_BY_RESTART : S_ENDED_UNHEARD);
		}
	}
	/* What the daemons have active that was never reported. */
	size_t i;
	json_t *a;
	json_array_foreach(alerts, i, a)
	{
		const char *bed = s_str(a, "bed"), *ai = s_str(a, "instance");
		const struct s_source *src = bed != NULL ? s_source_of(srcs, n, bed) : NULL;
		struct s_alarm cur;
		if (src == NULL || (ai != NULL && strcmp(ai, src->instance) != 0) ||
		    !s_alarm_of(&cur, a, src->instance) || s_find(f, cur.instance, cur.id) != NULL)
			continue;
		if (!s_keep(f, &cur))
			f->counts.alarms_full++;
		s_report(f, &cur, VT_PCD_START, time, NULL);
	}
	/* The beds' values, where the port is connected. */
	json_t *ports = json_object_get(o, "ports"), *measured = json_object_get(o, "measured");
	const char *bed;
	json_t *values;
	json_object_foreach(json_object_get(o, "vitals"), bed, values)
	{
		const char *state = s_str(ports, bed);
		if (state != NULL && strcmp(state, "connected") == 0 && s_source_of(srcs, n, bed) != NULL)
			s_values(f, bed, values, json_object_get(measured, bed), time, now);
	}
	/* The streams are the snapshot's daemons from here on. */
	f->n_streams = n;
	for (size_t s = 0; s < n; s++) {
		s_copy(f->streams[s].instance, sizeof(f->streams[s].instance), srcs[s].instance);
		f->streams[s].seq = srcs[s].seq;
	}
	json_decref(o);
	f->want = false;
	f->counts.snapshots++;
	/* The next one, if the kept messages or the next ones need it, not at once: a
	 * daemon that publishes but is missing from its hub's snapshot would
	 * otherwise have the bridge ask for one after every message. */
	f->retry_at = now + VT_FOLLOW_RETRY_MS;
	/* The messages kept meanwhile, in order: what the snapshot covers is skipped. */
	size_t kept = f->n_buffer;
	json_t **held = malloc(kept * sizeof(*held) + 1);
	if (held == NULL) {
		s_drop_buffer(f);
		f->want = true;
		return 0;
	}
	memcpy(held, f->buffer, kept * sizeof(*held));
	f->n_buffer = 0;
	for (size_t m = 0; m < kept; m++)
		s_take(f, held[m], now);
	free(held);
	return 0;
}

/* ---- state --------------------------------------------------------------------------- */

bool
vt_follow_synced(const struct vt_follow *f)
{
	return !f->want && !f->in_flight;
}

size_t
vt_follow_active(const struct vt_follow *f)
{
	return f->n_alarms;
}

const struct vt_follow_counts *
vt_follow_counts(const struct vt_follow *f)
{
	return &f->counts;
}

char *
vt_follow_alarms(const struct vt_follow *f)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr != NULL && i < f->n_alarms; i++)
		json_array_append_new(arr, s_record(&f->alarms[i], false));
	char *s = arr != NULL ? json_dumps(arr, JSON_COMPACT) : NULL;
	json_decref(arr);
	return s;
}

/* Apply one record: keep it, or forget its alarm if it ended. */
static int
s_record_apply(struct vt_follow *f, json_t *o, char *err, size_t errlen)
{
	struct s_alarm a;
	bool ended;
	if (!s_from_record(&a, o, &ended)) {
		snprintf(err, errlen, "an alarm record without instance, id and bed");
		return -1;
	}
	struct s_alarm *k = s_find(f, a.instance, a.id);
	if (ended) {
		if (k != NULL)
			s_forget(f, k);
	} else if (!s_keep(f, &a)) {
		f->counts.alarms_full++;
	}
	return 0;
}

int
vt_follow_restore(struct vt_follow *f, const char *json, char *err, size_t errlen)
{
	json_error_t je;
	json_t *arr = json_loads(json, 0, &je);
	if (!json_is_array(arr)) {
		snprintf(err, errlen, "the alarms are not a JSON array: %s",
		         arr == NULL ? je.text : "another value");
		json_decref(arr);
		return -1;
	}
	f->n_alarms = 0;
	size_t i;
	json_t *o;
	json_array_foreach(arr, i, o)
	{
		if (s_record_apply(f, o, err, errlen) != 0) {
			f->n_alarms = 0;
			json_decref(arr);
			return -1;
		}
	}
	json_decref(arr);
	return 0;
}

int
vt_follow_replay(struct vt_follow *f, const char *record, char *err, size_t errlen)
{
	json_error_t je;
	json_t *o = json_loads(record, 0, &je);
	if (o == NULL) {
		snprintf(err, errlen, "an alarm record that is not JSON: %s", je.text);
		return -1;
	}
	int rc = s_record_apply(f, o, err, errlen);
	json_decref(o);
	return rc;
}
