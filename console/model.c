/*
 * The console's model of the daemon (see vitals/console_model.h). Every
 * message the daemon publishes carries a bed's whole current state for its
 * kind (all values, a whole alert, a whole session), so applying the same
 * message twice is harmless; that is what lets the model show messages at
 * once and apply them again on top of a snapshot that arrives later.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vitals/base/timefmt.h"
#include "vitals/console/history.h"
#include "vitals/console/model.h"
#include "vitals/console/trend.h"

/* A bed's trend, kept by name: it outlives the snapshots that rebuild the beds. */
struct bed_trend {
	char bed[128];
	struct vt_trend *trend;
};

/*
 * One daemon's stream. A console connected to a daemon follows one; through
 * vitals-hub it follows one per daemon, each with its own seq, instance and
 * heartbeat (docs/hub.md): the hub forwards messages as the daemons sent
 * them, so a gap, a restart or a silence is always one daemon's.
 */
struct source {
	char instance[64];   /* "" for a daemon the hub lists but could not reach */
	char name[64];       /* the hub's name for it; "" from a daemon directly */
	uint64_t seq;        /* last seq applied while synchronised */
	int64_t last_rx;     /* local time of its last message */
	int64_t interval_ms; /* its heartbeat interval */
	bool lost;           /* nothing from it for three intervals */
};

/* A message kept until a snapshot says where it stands. */
struct kept {
	uint64_t seq;
	char instance[64];
	char *body;
	size_t len;
};

struct vt_console {
	struct vt_console_bed *beds;     /* in the daemon's order, then as heard of */
	size_t n_beds, cap_beds;
	struct vt_console_alert *alerts; /* most urgent first */
	size_t n_alerts, cap_alerts;

	enum vt_console_sync sync;
	char reason[128];                /* why not synchronised */
	int64_t retry_at;                /* when UNSYNCED may ask for a snapshot */
	uint64_t seq;                    /* seq of the last message applied */
	char instance[64];               /* the instance last heard */
	struct source sources[VT_CONSOLE_MAX_SOURCES]; /* the streams of the view */
	size_t n_sources;
	unsigned snapshots;              /* applied so far */

	struct kept *kept;               /* messages since the snapshot was needed */
	size_t n_kept, cap_kept;

	int64_t last_rx;                 /* local time of the last message */
	int64_t interval_ms;             /* heartbeat interval */
	bool lost;                       /* contact lost: no message from any source */

	bool has_clock;                  /* daemon clock known */
	int64_t dclock, dclock_at;       /* daemon time dclock at local time dclock_at */

	struct vt_history *history;      /* every alarm heard of */
	struct bed_trend *trends;        /* one per bed ever heard of */
	size_t n_trends, cap_trends;
};

struct vt_console *
vt_console_new(int64_t now)
{
	struct vt_console *m = calloc(1, sizeof(*m));
	if (m == NULL || (m->history = vt_history_new()) == NULL) {
		free(m);
		return NULL;
	}
	m->sync = VT_CONSOLE_UNSYNCED;
	snprintf(m->reason, sizeof(m->reason), "starting");
	m->retry_at = now;
	m->last_rx = now;
	m->interval_ms = VT_CONSOLE_DEFAULT_INTERVAL_MS;
	return m;
}

static void
s_drop_kept(struct vt_console *m)
{
	for (size_t i = 0; i < m->n_kept; i++)
		free(m->kept[i].body);
	m->n_kept = 0;
}

void
vt_console_free(struct vt_console **mp)
{
	if (mp == NULL || *mp == NULL)
		return;
	struct vt_console *m = *mp;
	s_drop_kept(m);
	free(m->kept);
	vt_history_free(&m->history);
	for (size_t i = 0; i < m->n_trends; i++)
		free(m->trends[i].trend);
	free(m->trends);
	free(m->beds);
	free(m->alerts);
	free(m);
	*mp = NULL;
}

/* ---- small helpers ------------------------------------------------------- */

static void
s_copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

static const char *
s_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* A time member as ms, or 0 when absent or unreadable. */
static int64_t
s_time(json_t *o, const char *key)
{
	int64_t ms;
	const char *s = s_str(o, key);
	return s != NULL && vt_time_parse(s, &ms) == 0 ? ms : 0;
}

static double
s_num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static void
s_unsync(struct vt_console *m, int64_t now, const char *reason)
{
	/* A request already in flight answers the need: keep waiting for it. */
	if (m->sync == VT_CONSOLE_SYNCED) {
		m->sync = VT_CONSOLE_UNSYNCED;
		m->retry_at = now;
	}
	s_copy(m->reason, sizeof(m->reason), reason);
}

/* The source of `instance`, or NULL. */
static struct source *
s_source(struct vt_console *m, const char *instance)
{
	for (size_t i = 0; instance != NULL && *instance && i < m->n_sources; i++)
		if (strcmp(m->sources[i].instance, instance) == 0)
			return &m->sources[i];
	return NULL;
}

/* Each bed is lost when contact is, or when the source it is heard through is. */
static void
s_beds_lost(struct vt_console *m)
{
	for (size_t i = 0; i < m->n_beds; i++) {
		struct vt_console_bed *b = &m->beds[i];
		b->lost = m->lost || (b->source >= 0 && (size_t)b->source < m->n_sources &&
		                      m->sources[b->source].lost);
	}
}

/* ---- the view ------------------------------------------------------------ */

static struct vt_console_bed *
s_bed(struct vt_console *m, const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < m->n_beds; i++)
		if (strcmp(m->beds[i].name, name) == 0)
			return &m->beds[i];
	if (m->n_beds == m->cap_beds) {
		size_t cap = m->cap_beds ? m->cap_beds * 2 : 8;
		struct vt_console_bed *v = realloc(m->beds, cap * sizeof(*v));
		if (v == NULL)
			return NULL;
		m->beds = v;
		m->cap_beds = cap;
	}
	struct vt_console_bed *b = &m->beds[m->n_beds++];
	memset(b, 0, sizeof(*b));
	s_copy(b->name, sizeof(b->name), name);
	b->weight_kg = b->rate_mg_per_kg_h = b->dose_mg = NAN;
	b->source = -1;
	return b;
}

/*
 * A bed's values, and when each spot measurement among them was taken
 * (`measured`, may be NULL). A spot measurement the daemon no longer gives
 * is kept as the parameter's last one (see struct vt_console_value).
 */
static void
s_set_values(struct vt_console_bed *b, json_t *values, json_t *measured)
{
	struct vt_console_value before[VT_PARAM_COUNT];
	size_t n_before = b->n_values;
	memcpy(before, b->values, n_before * sizeof(before[0]));
	const char *key;
	json_t *v;
	b->n_values = 0;
	json_object_foreach(values, key, v)
	{
		if (b->n_values == VT_PARAM_COUNT)
			break;
		struct vt_console_value *cv = &b->values[b->n_values++];
		s_copy(cv->name, sizeof(cv->name), key);
		cv->valid = json_is_number(v);
		cv->value = cv->valid ? json_number_value(v) : NAN;
		cv->measured = cv->valid ? s_time(measured, key) : 0;
		cv->last = NAN;
		cv->last_measured = 0;
		if (cv->measured > 0) {
			cv->last = cv->value;
			cv->last_measured = cv->measured;
			continue;
		}
		if (cv->valid)
			continue; /* a continuous value now: an old spot value means nothing */
		for (size_t i = 0; i < n_before; i++)
			if (strcmp(before[i].name, cv->name) == 0) {
				cv->last = before[i].last;
				cv->last_measured = before[i].last_measured;
				break;
			}
	}
}

/* The trend of bed `name`, made on first use; NULL if memory ran out. */
static struct vt_trend *
s_trend(struct vt_console *m, const char *name)
{
	for (size_t i = 0; i < m->n_trends; i++)
		if (strcmp(m->trends[i].bed, name) == 0)
			return m->trends[i].trend;
	if (m->n_trends == m->cap_trends) {
		size_t cap = m->cap_trends ? m->cap_trends * 2 : 8;
		struct bed_trend *v = realloc(m->trends, cap * sizeof(*v));
		if (v == NULL)
			return NULL;
		m->trends = v;
		m->cap_trends = cap;
	}
	struct vt_trend *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	s_copy(m->trends[m->n_trends].bed, sizeof(m->trends[0].bed), name);
	m->trends[m->n_trends++].trend = t;
	return t;
}

/* A bed's values as of daemon time `t` (0: unknown) go into its trend. */
static void
s_values_at(struct vt_console *m, struct vt_console_bed *b, int64_t t)
{
	if (t <= 0)
		return;
	b->vitals_time = t;
	struct vt_trend *trend = s_trend(m, b->name);
	for (size_t i = 0; trend != NULL && i < b->n_values; i++) {
		int p = vt_param_by_name(b->values[i].name);
		if (p >= 0 && b->values[i].valid)
			vt_trend_add(trend, t, (enum vt_param)p, b->values[i].value);
	}
}

static void
s_set_session(struct vt_console_bed *b, json_t *o, int64_t at)
{
	/* Back at baseline: said once with its event, restored by a snapshot,
	 * over with the next phase. */
	const char *event = s_str(o, "event"), *phase = s_str(o, "phase");
	if (event != NULL && strcmp(event, "back-to-baseline") == 0)
		b->back_at_baseline = s_time(o, "time");
	else if (event == NULL)
		b->back_at_baseline = s_time(o, "back_at_baseline");
	else if (strcmp(event, "phase") == 0 || phase == NULL || strcmp(phase, b->phase) != 0)
		b->back_at_baseline = 0;
	/* Carried over a daemon restart: said with its event, kept by a snapshot,
	 * over with the next phase. */
	if (event == NULL)
		b->restored = s_time(o, "restored");
	else if (strcmp(event, "restored") == 0)
		b->restored = s_time(o, "time");
	else if (strcmp(event, "phase") == 0)
		b->restored = 0;
	b->baseline = 0;
	const char *key;
	json_t *v;
	json_object_foreach(json_object_get(o, "baseline"), key, v)
	{
		int p = vt_param_by_name(key);
		if (p >= 0 && json_is_number(v)) {
			b->baseline |= VT_PARAM_BIT(p);
			b->baseline_value[p] = json_number_value(v);
		}
	}
	s_copy(b->phase, sizeof(b->phase), s_str(o, "phase"));
	b->phase_since = s_time(o, "phase_since");
	b->weight_kg = s_num(o, "weight_kg");
	b->rate_mg_per_kg_h = s_num(o, "dose_mg_per_kg_h");
	b->dose_mg = s_num(o, "dose_mg");
	b->dose_time = at;
}

static int
s_alert_cmp(const void *pa, const void *pb)
{
	const struct vt_console_alert *a = pa, *b = pb;
	if (a->priority != b->priority)
		return a->priority > b->priority ? -1 : 1;
	if (a->acknowledged != b->acknowledged)
		return a->acknowledged ? 1 : -1;
	if (a->onset != b->onset)
		return a->onset < b->onset ? -1 : 1;
	return strcmp(a->id, b->id);
}

static enum vt_console_priority
s_priority(const char *name)
{
	if (name != NULL && strcmp(name, "low") == 0)
		return VT_CONSOLE_LOW;
	if (name != NULL && strcmp(name, "medium") == 0)
		return VT_CONSOLE_MEDIUM;
	return VT_CONSOLE_HIGH; /* high, or a name this console does not know: the safe side */
}

/* An alert object into `a` (whose `by` stays unless this event names one). */
static void
s_parse_alert(struct vt_console_alert *a, json_t *o, const char *id, const char *event,
              uint64_t seq)
{
	s_copy(a->id, sizeof(a->id), id);
	s_copy(a->bed, sizeof(a->bed), s_str(o, "bed"));
	s_copy(a->rule, sizeof(a->rule), s_str(o, "rule"));
	s_copy(a->parameter, sizeof(a->parameter), s_str(o, "parameter"));
	const char *kind = s_str(o, "kind");
	a->technical = kind != NULL && strcmp(kind, "technical") == 0;
	a->priority = s_priority(s_str(o, "priority"));
	a->value = s_num(o, "value");
	a->has_value = !isnan(a->value);
	a->limit = s_num(o, "limit");
	a->has_limit = !isnan(a->limit);
	a->worst = s_num(o, "worst");
	a->has_worst = !isnan(a->worst);
	a->onset = s_time(o, "onset");
	a->acknowledged = json_is_true(json_object_get(o, "acknowledged"));
	if (event != NULL && strcmp(event, "acknowledged") == 0 && s_str(o, "by") != NULL)
		s_copy(a->by, sizeof(a->by), s_str(o, "by"));
	a->silenced_until = s_time(o, "silenced_until");
	s_copy(a->text, sizeof(a->text), s_str(o, "text"));
	a->seq = seq;
}

static void
s_apply_alert(struct vt_console *m, json_t *o, uint64_t seq)
{
	const char *id = s_str(o, "id"), *event = s_str(o, "event");
	if (id == NULL)
		return;
	size_t i = 0;
	while (i < m->n_alerts && strcmp(m->alerts[i].id, id) != 0)
		i++;
	if (event != NULL && strcmp(event, "cleared") == 0) {
		struct vt_console_alert gone = {0};
		s_parse_alert(&gone, o, id, event, seq);
		vt_history_alert(m->history, s_str(o, "instance"), event, &gone, s_time(o, "time"));
		if (i < m->n_alerts) {
			memmove(&m->alerts[i], &m->alerts[i + 1], (m->n_alerts - i - 1) * sizeof(*m->alerts));
			m->n_alerts--;
		}
		return;
	}
	if (i == m->n_alerts) {
		if (m->n_alerts == m->cap_alerts) {
			size_t cap = m->cap_alerts ? m->cap_alerts * 2 : 16;
			struct vt_console_alert *v = realloc(m->alerts, cap * sizeof(*v));
			if (v == NULL)
				return;
			m->alerts = v;
			m->cap_alerts = cap;
		}
		memset(&m->alerts[i], 0, sizeof(m->alerts[i]));
		m->n_alerts++;
	}
	struct vt_console_alert *a = &m->alerts[i];
	s_parse_alert(a, o, id, event, seq);
	vt_history_alert(m->history, s_str(o, "instance"), event, a, s_time(o, "time"));
	/* A bed we hear of only through its alert still gets a row. */
	s_bed(m, a->bed);
	qsort(m->alerts, m->n_alerts, sizeof(*m->alerts), s_alert_cmp);
}

/* A bed's device flags from a JSON array of names (anything else: none). */
static void
s_set_flags(struct vt_console_bed *b, json_t *flags)
{
	b->flags[0] = '\0';
	size_t i, used = 0;
	json_t *f;
	json_array_foreach(flags, i, f)
	{
		if (json_is_string(f) && used < sizeof(b->flags))
			used += (size_t)snprintf(b->flags + used, sizeof(b->flags) - used, "%s%s",
			                         used ? " " : "", json_string_value(f));
	}
}

/* Apply one parsed message to the view. */
static void
s_apply(struct vt_console *m, json_t *o)
{
	const char *type = s_str(o, "type");
	uint64_t seq = (uint64_t)json_integer_value(json_object_get(o, "seq"));
	if (type == NULL)
		return;
	if (strcmp(type, "heartbeat") == 0) {
		json_int_t iv = json_integer_value(json_object_get(o, "interval_ms"));
		struct source *src = s_source(m, s_str(o, "instance"));
		if (iv > 0)
			m->interval_ms = (int64_t)iv;
		if (iv > 0 && src != NULL)
			src->interval_ms = (int64_t)iv;
		return;
	}
	if (strcmp(type, "alert") == 0) {
		s_apply_alert(m, o, seq);
		return;
	}
	struct vt_console_bed *b = s_bed(m, s_str(o, "bed"));
	if (b == NULL)
		return;
	struct source *src = s_source(m, s_str(o, "instance"));
	if (src != NULL)
		b->source = (int)(src - m->sources);
	if (strcmp(type, "vitals") == 0) {
		s_set_values(b, json_object_get(o, "values"), json_object_get(o, "measured"));
		s_set_flags(b, json_object_get(o, "flags"));
		s_values_at(m, b, s_time(o, "time"));
	} else if (strcmp(type, "status") == 0) {
		s_copy(b->port, sizeof(b->port), s_str(o, "state"));
	} else if (strcmp(type, "session") == 0) {
		s_set_session(b, o, s_time(o, "time"));
	}
}

/* ---- messages ------------------------------------------------------------ */

static void
s_keep(struct vt_console *m, uint64_t seq, const char *instance, const char *body, size_t len)
{
	if (m->n_kept == VT_CONSOLE_BUFFER_MAX) {
		/* The oldest go; the snapshot then finds the gap and asks again. */
		free(m->kept[0].body);
		memmove(&m->kept[0], &m->kept[1], (m->n_kept - 1) * sizeof(*m->kept));
		m->n_kept--;
	}
	if (m->n_kept == m->cap_kept) {
		size_t cap = m->cap_kept ? m->cap_kept * 2 : 64;
		struct kept *v = realloc(m->kept, cap * sizeof(*v));
		if (v == NULL)
			return;
		m->kept = v;
		m->cap_kept = cap;
	}
	char *copy = malloc(len + 1);
	if (copy == NULL)
		return;
	memcpy(copy, body, len);
	copy[len] = '\0';
	struct kept *k = &m->kept[m->n_kept++];
	k->seq = seq;
	s_copy(k->instance, sizeof(k->instance), instance);
	k->body = copy;
	k->len = len;
}

int
vt_console_message(struct vt_console *m, const char *body, size_t len, int64_t now)
{
	m->last_rx = now;
	json_t *o = json_loadb(body, len, 0, NULL);
	json_t *jseq = json_object_get(o, "seq");
	const char *instance = s_str(o, "instance");
	if (o == NULL || !json_is_integer(jseq) || json_integer_value(jseq) <= 0 || instance == NULL) {
		json_decref(o);
		return -1;
	}
	uint64_t seq = (uint64_t)json_integer_value(jseq);
	struct source *src = s_source(m, instance);
	if (src != NULL) {
		src->last_rx = now;
		if (src->lost) {
			/* Whatever that daemon did while we heard nothing of it, its beds cannot be trusted. */
			char why[128];
			snprintf(why, sizeof(why), "contact with %s restored",
			         src->name[0] ? src->name : "the daemon");
			src->lost = false;
			s_unsync(m, now, why);
		}
	}
	if (m->lost) {
		/* Whatever happened while we heard nothing, the view cannot be trusted. */
		m->lost = false;
		s_unsync(m, now, "contact restored");
	}
	int64_t t = s_time(o, "time");
	if (t > 0) {
		m->has_clock = true;
		m->dclock = t;
		m->dclock_at = now;
	}
	if (m->sync == VT_CONSOLE_SYNCED) {
		char why[128];
		if (src == NULL) {
			s_unsync(m, now, m->n_sources <= 1 ? "the daemon restarted"
			                                    : "a daemon restarted or joined");
		} else if (seq <= src->seq) {
			json_decref(o);
			return 0;
		} else if (seq != src->seq + 1) {
			snprintf(why, sizeof(why), "missed %llu messages%s%s",
			         (unsigned long long)(seq - src->seq - 1), src->name[0] ? " of " : "",
			         src->name);
			s_unsync(m, now, why);
		} else {
			src->seq = seq;
		}
	}
	m->seq = seq;
	s_copy(m->instance, sizeof(m->instance), instance);
	if (m->sync != VT_CONSOLE_SYNCED)
		s_keep(m, seq, instance, body, len);
	s_apply(m, o);
	s_beds_lost(m);
	json_decref(o);
	return 1;
}

/* ---- snapshots ----------------------------------------------------------- */

bool
vt_console_wants_snapshot(const struct vt_console *m, int64_t now)
{
	return m->sync == VT_CONSOLE_UNSYNCED && now >= m->retry_at;
}

void
vt_console_snapshot_sent(struct vt_console *m, int64_t now)
{
	m->sync = VT_CONSOLE_SYNCING;
}

void
vt_console_snapshot_failed(struct vt_console *m, int64_t now)
{
	m->sync = VT_CONSOLE_UNSYNCED;
	m->retry_at = now + VT_CONSOLE_RETRY_MS;
}

/* What a source keeps across a snapshot when its instance stays: its clock and heartbeat. */
static void
s_source_carry(const struct vt_console *m, struct source *s, int64_t now)
{
	s->last_rx = now;
	s->interval_ms = m->interval_ms;
	s->lost = s->instance[0] == '\0';
	for (size_t i = 0; s->instance[0] && i < m->n_sources; i++) {
		if (strcmp(m->sources[i].instance, s->instance) == 0) {
			s->last_rx = m->sources[i].last_rx > now ? now : m->sources[i].last_rx;
			s->interval_ms = m->sources[i].interval_ms;
			s->lost = m->sources[i].lost;
		}
	}
}

/*
 * A hub's `sources` into out: per daemon its name, instance and seq; a
 * daemon that did not answer has no instance and is lost from the start.
 * How many (0 if the list is unusable).
 */
static size_t
s_sources_of(const struct vt_console *m, json_t *list, struct source *out, int64_t now)
{
	size_t i, n = 0;
	json_t *v;
	json_array_foreach(list, i, v)
	{
		json_t *jseq = json_object_get(v, "seq");
		const char *instance = s_str(v, "instance");
		if (n == VT_CONSOLE_MAX_SOURCES || !json_is_object(v) ||
		    (instance != NULL && (!json_is_integer(jseq) || json_integer_value(jseq) < 0)))
			return 0;
		struct source *s = &out[n++];
		memset(s, 0, sizeof(*s));
		s_copy(s->instance, sizeof(s->instance), instance);
		s_copy(s->name, sizeof(s->name), s_str(v, "name"));
		s->seq = instance != NULL ? (uint64_t)json_integer_value(jseq) : 0;
		s_source_carry(m, s, now);
	}
	return n;
}

int
vt_console_snapshot(struct vt_console *m, const char *reply, size_t len, int64_t now, char *err,
                    size_t errlen)
{
	json_t *o = json_loadb(reply, len, 0, NULL);
	json_t *jseq = json_object_get(o, "seq"), *jsources = json_object_get(o, "sources");
	struct source next[VT_CONSOLE_MAX_SOURCES];
	size_t n_next = 0;
	if (o != NULL && json_is_true(json_object_get(o, "ok")) && json_is_array(jsources))
		n_next = s_sources_of(m, jsources, next, now);
	if (o == NULL || !json_is_true(json_object_get(o, "ok")) ||
	    (jsources == NULL && (!json_is_integer(jseq) || json_integer_value(jseq) < 0)) ||
	    (jsources != NULL && n_next == 0)) {
		const char *e = s_str(o, "error");
		/* Always a reason to show: an empty "error" is as good as none. */
		snprintf(err, errlen, "%s", e && *e ? e : "not a snapshot reply");
		json_decref(o);
		vt_console_snapshot_failed(m, now);
		return -1;
	}
	if (jsources == NULL) {
		/* One daemon: the instance the snapshot belongs to is said, or that of what we hear now. */
		const char *said = s_str(o, "instance");
		memset(&next[0], 0, sizeof(next[0]));
		s_copy(next[0].instance, sizeof(next[0].instance),
		       said ? said : m->n_kept ? m->kept[m->n_kept - 1].instance : m->instance);
		next[0].seq = (uint64_t)json_integer_value(jseq);
		s_source_carry(m, &next[0], now);
		n_next = 1;
	}
	memcpy(m->sources, next, n_next * sizeof(next[0]));
	m->n_sources = n_next;
	m->seq = next[0].seq;
	s_copy(m->instance, sizeof(m->instance), next[0].instance);

	m->n_beds = 0;
	m->n_alerts = 0;
	const char *key;
	json_t *v;
	int64_t taken = s_time(o, "time"); /* when the snapshot was taken; 0 if unsaid */
	json_object_foreach(json_object_get(o, "vitals"), key, v)
	{
		struct vt_console_bed *b = s_bed(m, key);
		if (b != NULL) {
			s_set_values(b, v, json_object_get(json_object_get(o, "measured"), key));
			s_values_at(m, b, taken);
		}
	}
	json_object_foreach(json_object_get(o, "flags"), key, v)
	{
		struct vt_console_bed *b = s_bed(m, key);
		if (b != NULL)
			s_set_flags(b, v);
	}
	json_object_foreach(json_object_get(o, "ports"), key, v)
	{
		struct vt_console_bed *b = s_bed(m, key);
		if (b != NULL)
			s_copy(b->port, sizeof(b->port), json_string_value(v));
	}
	/* The reply has no time of its own; a session's phase clock tells it, to the second. */
	json_object_foreach(json_object_get(o, "sessions"), key, v)
	{
		int64_t since = s_time(v, "phase_since");
		json_t *tip = json_object_get(v, "time_in_phase_s");
		if (!m->has_clock && since > 0 && json_is_integer(tip)) {
			m->has_clock = true;
			m->dclock = since + (int64_t)json_integer_value(tip) * 1000;
			m->dclock_at = now;
		}
	}
	int64_t at = vt_console_daemon_time(m, now);
	json_object_foreach(json_object_get(o, "sessions"), key, v)
	{
		struct vt_console_bed *b = s_bed(m, key);
		if (b != NULL)
			s_set_session(b, v, at);
	}
	json_object_foreach(json_object_get(o, "silenced"), key, v)
	{
		struct vt_console_bed *b = s_bed(m, key);
		int64_t until;
		if (b != NULL)
			b->silenced_until =
			    json_is_string(v) && vt_time_parse(json_string_value(v), &until) == 0 ? until
			                                                                         : 0;
	}
	size_t i;
	json_array_foreach(json_object_get(o, "alerts"), i, v)
	{
		json_t *s = json_object_get(v, "seq");
		s_apply_alert(m, v, json_is_integer(s) ? (uint64_t)json_integer_value(s) : m->seq);
	}
	/* Every bed is heard through its source: the only one, or the one the hub lists it under. */
	for (size_t b = 0; b < m->n_beds; b++)
		m->beds[b].source = jsources != NULL ? -1 : 0;
	json_array_foreach(jsources, i, v)
	{
		size_t k;
		json_t *bed;
		json_array_foreach(json_object_get(v, "beds"), k, bed)
		{
			struct vt_console_bed *b = s_bed(m, json_string_value(bed));
			if (b != NULL)
				b->source = (int)i;
		}
	}
	json_decref(o);

	/* Then what was heard since, if it follows on from the snapshot, source by source. */
	bool gap = false;
	for (size_t k = 0; k < m->n_kept; k++) {
		struct kept *kp = &m->kept[k];
		struct source *src = s_source(m, kp->instance);
		if (src == NULL || kp->seq <= src->seq)
			continue;
		if (kp->seq != src->seq + 1)
			gap = true;
		json_t *msg = json_loadb(kp->body, kp->len, 0, NULL);
		if (msg != NULL)
			s_apply(m, msg);
		json_decref(msg);
		src->seq = kp->seq;
		m->seq = kp->seq;
	}
	s_drop_kept(m);
	s_beds_lost(m);
	m->snapshots++;
	vt_history_resync(m->history, m, vt_console_daemon_time(m, now));
	if (gap) {
		m->sync = VT_CONSOLE_UNSYNCED;
		m->retry_at = now;
		s_copy(m->reason, sizeof(m->reason), "messages missed around the snapshot");
	} else {
		m->sync = VT_CONSOLE_SYNCED;
		m->reason[0] = '\0';
	}
	return 0;
}

/* ---- clocks -------------------------------------------------------------- */

bool
vt_console_tick(struct vt_console *m, int64_t now)
{
	bool changed = false;
	for (size_t i = 0; i < m->n_sources; i++) {
		struct source *s = &m->sources[i];
		bool lost = s->instance[0] == '\0' ||
		            now - s->last_rx >= VT_CONSOLE_LOST_INTERVALS * s->interval_ms;
		changed = changed || lost != s->lost;
		s->lost = lost;
	}
	bool lost = now - m->last_rx >= VT_CONSOLE_LOST_INTERVALS * m->interval_ms;
	changed = changed || lost != m->lost;
	m->lost = lost;
	if (changed)
		s_beds_lost(m);
	return changed;
}

bool
vt_console_lost(const struct vt_console *m)
{
	return m->lost;
}

int64_t
vt_console_silence_ms(const struct vt_console *m, int64_t now)
{
	return now - m->last_rx;
}

int64_t
vt_console_next_deadline(const struct vt_console *m)
{
	int64_t next = m->lost ? INT64_MAX : m->last_rx + VT_CONSOLE_LOST_INTERVALS * m->interval_ms;
	for (size_t i = 0; i < m->n_sources; i++) {
		const struct source *s = &m->sources[i];
		int64_t at = s->last_rx + VT_CONSOLE_LOST_INTERVALS * s->interval_ms;
		if (!s->lost && at < next)
			next = at;
	}
	if (m->sync == VT_CONSOLE_UNSYNCED && m->retry_at < next)
		next = m->retry_at;
	return next;
}

int64_t
vt_console_daemon_time(const struct vt_console *m, int64_t now)
{
	return m->has_clock ? m->dclock + (now - m->dclock_at) : 0;
}

/* ---- accessors ----------------------------------------------------------- */

enum vt_console_sync
vt_console_sync_state(const struct vt_console *m)
{
	return m->sync;
}

const char *
vt_console_sync_reason(const struct vt_console *m)
{
	return m->reason;
}

uint64_t
vt_console_seq(const struct vt_console *m)
{
	return m->seq;
}

const char *
vt_console_instance(const struct vt_console *m)
{
	return m->instance;
}

bool
vt_console_has_instance(const struct vt_console *m, const char *instance)
{
	for (size_t i = 0; instance != NULL && i < m->n_sources; i++)
		if (strcmp(m->sources[i].instance, instance) == 0)
			return true;
	return false;
}

size_t
vt_console_beds_lost(const struct vt_console *m)
{
	size_t n = 0;
	for (size_t i = 0; i < m->n_beds; i++)
		n += m->beds[i].lost;
	return n;
}

int64_t
vt_console_interval_ms(const struct vt_console *m)
{
	return m->interval_ms;
}

unsigned
vt_console_snapshots(const struct vt_console *m)
{
	return m->snapshots;
}

size_t
vt_console_bed_count(const struct vt_console *m)
{
	return m->n_beds;
}

const struct vt_console_bed *
vt_console_bed_at(const struct vt_console *m, size_t i)
{
	return i < m->n_beds ? &m->beds[i] : NULL;
}

const struct vt_console_bed *
vt_console_bed_named(const struct vt_console *m, const char *name)
{
	for (size_t i = 0; name != NULL && i < m->n_beds; i++)
		if (strcmp(m->beds[i].name, name) == 0)
			return &m->beds[i];
	return NULL;
}

size_t
vt_console_alert_count(const struct vt_console *m)
{
	return m->n_alerts;
}

const struct vt_console_alert *
vt_console_alert_at(const struct vt_console *m, size_t i)
{
	return i < m->n_alerts ? &m->alerts[i] : NULL;
}

const struct vt_console_alert *
vt_console_alert_by_id(const struct vt_console *m, const char *id)
{
	for (size_t i = 0; id != NULL && i < m->n_alerts; i++)
		if (strcmp(m->alerts[i].id, id) == 0)
			return &m->alerts[i];
	return NULL;
}

const struct vt_history *
vt_console_history(const struct vt_console *m)
{
	return m->history;
}

const struct vt_trend *
vt_console_trend(const struct vt_console *m, const char *bed)
{
	for (size_t i = 0; bed != NULL && i < m->n_trends; i++)
		if (strcmp(m->trends[i].bed, bed) == 0)
			return m->trends[i].trend;
	return NULL;
}

void
vt_console_set_silenced(struct vt_console *m, const char *bed, int64_t until)
{
	struct vt_console_bed *b = s_bed(m, bed);
	if (b != NULL)
		b->silenced_until = until;
}

int
vt_console_sounding(const struct vt_console *m, int64_t now, size_t *count)
{
	int level = -1;
	size_t n = 0;
	for (size_t i = 0; i < m->n_alerts; i++) {
		const struct vt_console_alert *a = &m->alerts[i];
		if (a->acknowledged || a->silenced_until > now)
			continue;
		n++;
		if ((int)a->priority > level)
			level = (int)a->priority;
	}
	if (count != NULL)
		*count = n;
	return level;
}

double
vt_console_dose(const struct vt_console_bed *b, int64_t t)
{
	double dose = b->dose_mg;
	if (isnan(dose) || strcmp(b->phase, "infusion") != 0 || isnan(b->weight_kg) ||
	    isnan(b->rate_mg_per_kg_h) || t <= b->dose_time || b->dose_time <= 0)
		return dose;
	return dose + b->weight_kg * b->rate_mg_per_kg_h * (double)(t - b->dose_time) / 3600000.0;
}

const char *
vt_console_priority_name(enum vt_console_priority p)
{
	return p == VT_CONSOLE_HIGH ? "high" : p == VT_CONSOLE_MEDIUM ? "medium" : "low";
}

const char *
vt_console_format_value(const struct vt_console_value *v, char *buf, size_t len)
{
	if (!v->valid || !isfinite(v->value))
		snprintf(buf, len, "---");
	else
		snprintf(buf, len, "%.4g", v->value);
	return buf;
}

const char *
vt_console_format_elapsed(int64_t ms, char *buf, size_t len)
{
	if (ms < 0) {
		snprintf(buf, len, "--");
		return buf;
	}
	long long s = (long long)(ms / 1000);
	if (s >= 3600)
		snprintf(buf, len, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(buf, len, "%lld:%02lld", s / 60, s % 60);
	return buf;
}

bool
vt_console_has_baseline(const struct vt_console_bed *b)
{
	return b->baseline != 0;
}

/* The parameters any bed has, in the order of the parameter table. */
size_t
vt_console_param_columns(const struct vt_console *m, const char *names[VT_PARAM_COUNT])
{
	size_t n = 0;
	for (int p = 0; p < VT_PARAM_COUNT; p++) {
		const char *name = vt_param_info((enum vt_param)p)->name;
		bool any = false;
		for (size_t b = 0; b < vt_console_bed_count(m) && !any; b++) {
			const struct vt_console_bed *bed = vt_console_bed_at(m, b);
			for (size_t v = 0; v < bed->n_values; v++)
				any = any || strcmp(bed->values[v].name, name) == 0;
		}
		if (any)
			names[n++] = name;
	}
	return n;
}
