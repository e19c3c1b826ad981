/*
 * vitals-hl7 --replay (vitals/hl7/bridge.h): the bridge's follower and
 * encoder without sockets or a queue, driven by published messages read
 * from a file and by their own times. It shows an integrator, before
 * anything is connected, exactly what the engine will receive for a
 * recorded session, and it makes the golden messages of the tests
 * (tests/golden/hl7/) from the daemon's own golden replays.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vitals/base/timefmt.h"
#include "vitals/hl7/bridge.h"

/* The longest published message read. */
#define S_LINE_MAX (1024 * 1024)

struct s_replay {
	const struct vt_bridge_config *cfg;
	FILE *out;
	uint64_t number;
	int64_t now; /* the time of the message being replayed */
};

static void
s_emit(void *ctx, const struct vt_follow_out *o)
{
	struct s_replay *r = ctx;
	char control_id[32], msg[VT_PCD_MAX];
	r->number++;
	snprintf(control_id, sizeof(control_id), "replay-%llu", (unsigned long long)r->number);
	struct vt_pcd_id id = {.control_id = control_id, .sequence = r->number, .created = r->now};
	size_t len = vt_bridge_encode(r->cfg, o, &id, msg, sizeof(msg));
	for (size_t i = 0; i < len; i++)
		fputc(msg[i] == '\r' ? '\n' : msg[i], r->out);
	if (len > 0)
		fputc('\n', r->out);
}

int
vt_bridge_replay(const struct vt_bridge_config *cfg, FILE *in, FILE *out, char *err,
                 size_t errlen)
{
	struct s_replay r = {.cfg = cfg, .out = out};
	struct vt_follow *f = vt_follow_new(cfg->interval_ms, s_emit, &r);
	char *line = malloc(S_LINE_MAX);
	if (f == NULL || line == NULL) {
		snprintf(err, errlen, "out of memory");
		vt_follow_free(&f);
		free(line);
		return -1;
	}
	for (size_t i = 0; i < cfg->n_beds; i++)
		if (cfg->beds[i].interval_ms >= 0)
			vt_follow_bed_interval(f, cfg->beds[i].bed, cfg->beds[i].interval_ms);
	int rc = 0;
	size_t lineno = 0;
	bool started = false;
	while (fgets(line, S_LINE_MAX, in) != NULL) {
		lineno++;
		size_t len = strcspn(line, "\n");
		if (len == 0)
			continue;
		json_t *o = json_loadb(line, len, 0, NULL);
		const char *instance = json_string_value(json_object_get(o, "instance"));
		const char *time = json_string_value(json_object_get(o, "time"));
		json_int_t seq = json_integer_value(json_object_get(o, "seq"));
		int64_t t;
		if (instance == NULL || time == NULL || seq <= 0 || vt_time_parse(time, &t) != 0) {
			snprintf(err, errlen, "line %zu: not a published message (JSON with seq, time and "
			         "instance)", lineno);
			json_decref(o);
			rc = -1;
			break;
		}
		if (!started) {
			/* Joining the stream where the file starts: an empty snapshot just before it. */
			json_t *snap = json_pack("{s:b, s:I, s:s, s:s, s:[], s:{}, s:{}}", "ok", 1, "seq",
			                         (json_int_t)(seq - 1), "instance", instance, "time", time,
			                         "alerts", "vitals", "ports");
			char *text = json_dumps(snap, JSON_COMPACT);
			vt_follow_snapshot_sent(f, t);
			vt_follow_snapshot(f, text, strlen(text), t, err, errlen);
			free(text);
			json_decref(snap);
			started = true;
		}
		json_decref(o);
		r.now = t;
		vt_follow_tick(f, t);
		vt_follow_message(f, line, len, t);
	}
	vt_follow_free(&f);
	free(line);
	return rc;
}
