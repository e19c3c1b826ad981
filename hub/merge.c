/*
 * Routing and merging (merge.h). A snapshot is merged member by member and
 * not by a list of known members, so that what a newer daemon adds to its
 * snapshot reaches the consoles through the hub unchanged: a member that is
 * an object keyed by bed is joined key by key (beds do not clash, the
 * configuration sees to it), an array is joined in daemon order (alerts),
 * and what describes one daemon's stream (seq, instance, time) goes into
 * that daemon's entry of `sources`.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vitals/base/timefmt.h"
#include "vitals/base/version.h"
#include "vitals/hub/merge.h"

int
vt_hub_route(const struct vt_hub_config *cfg, const struct vt_control_req *req, char *err,
             size_t errlen)
{
	char bed[sizeof(req->id)];
	switch (req->cmd) {
	case VT_CMD_PING:
	case VT_CMD_SNAPSHOT:
	case VT_CMD_RELOAD:
		return VT_HUB_ALL;
	case VT_CMD_ACK:
		if (req->id[0] != '\0') {
			/* An alert id is BED/RULE/N, and a bed name has no '/'. */
			size_t n = strcspn(req->id, "/");
			snprintf(bed, sizeof(bed), "%.*s", (int)n, req->id);
			int owner = req->id[n] == '/' ? vt_hub_config_owner(cfg, bed) : -1;
			if (owner < 0)
				snprintf(err, errlen, "no active alert \"%s\"", req->id);
			return owner;
		}
		break;
	default:
		break;
	}
	int owner = vt_hub_config_owner(cfg, req->bed);
	if (owner < 0)
		snprintf(err, errlen, "unknown bed \"%s\"", req->bed);
	return owner;
}

/* The members of a daemon's reply that describe its stream, not its beds. */
static bool
s_is_stream_member(const char *key)
{
	return strcmp(key, "ok") == 0 || strcmp(key, "seq") == 0 || strcmp(key, "instance") == 0 ||
	       strcmp(key, "time") == 0;
}

/* Why a daemon's answer (an object that is not ok) is not ok: its error, or that it gave none. */
static const char *
s_not_ok(json_t *reply)
{
	const char *e = json_string_value(json_object_get(reply, "error"));
	return e != NULL && e[0] != '\0' ? e : "its answer is not ok and gives no reason";
}

/* A daemon's entry in `sources`: its name, beds, and its stream or why it is not there. */
static json_t *
s_source(const struct vt_hub_daemon *d, json_t *reply, const char *why)
{
	json_t *src = json_object(), *beds = json_array();
	json_object_set_new(src, "name", json_string(d->name));
	for (size_t b = 0; b < d->n_beds; b++)
		json_array_append_new(beds, json_string(d->beds[b]));
	json_object_set_new(src, "beds", beds);
	if (reply != NULL && json_is_true(json_object_get(reply, "ok"))) {
		json_object_set(src, "instance", json_object_get(reply, "instance"));
		json_object_set(src, "seq", json_object_get(reply, "seq"));
		if (json_object_get(reply, "time") != NULL)
			json_object_set(src, "time", json_object_get(reply, "time"));
	} else {
		json_object_set_new(src, "instance", json_null());
		json_object_set_new(src, "seq", json_null());
		json_object_set_new(src, "error",
		                    json_string(reply != NULL ? s_not_ok(reply) : why ? why : "no answer"));
	}
	return src;
}

/* Join one daemon's snapshot into the merged one. */
static void
s_join(json_t *out, json_t *reply)
{
	const char *key;
	json_t *v;
	json_object_foreach(reply, key, v)
	{
		if (s_is_stream_member(key))
			continue;
		json_t *have = json_object_get(out, key);
		if (json_is_object(v)) {
			if (have == NULL)
				json_object_set_new(out, key, have = json_object());
			if (json_is_object(have))
				json_object_update(have, v);
		} else if (json_is_array(v)) {
			if (have == NULL)
				json_object_set_new(out, key, have = json_array());
			if (json_is_array(have))
				json_array_extend(have, v);
		}
	}
}

static json_t *
s_parse(const char *reply)
{
	return reply != NULL ? json_loads(reply, 0, NULL) : NULL;
}

static json_t *
s_snapshot(const struct vt_hub_config *cfg, json_t **r, const char *const *why, int64_t now)
{
	json_t *out = json_object(), *sources = json_array();
	char t[VT_TIME_BUFSZ];
	json_object_set_new(out, "ok", json_true());
	json_object_set_new(out, "time", json_string(vt_time_format(now, t)));
	/* The members every snapshot has, present even when no daemon answered. */
	static const char *const maps[] = {"vitals", "ports", "sessions", "silenced", "flags"};
	json_object_set_new(out, "alerts", json_array());
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		json_object_set_new(out, maps[i], json_object());
	for (size_t i = 0; i < cfg->n_daemons; i++) {
		json_array_append_new(sources, s_source(&cfg->daemons[i], r[i], why[i]));
		if (r[i] != NULL && json_is_true(json_object_get(r[i], "ok")))
			s_join(out, r[i]);
	}
	json_object_set_new(out, "sources", sources);
	return out;
}

/*
 * Cut `s` before a character that snprintf left incomplete, so that the
 * text stays UTF-8 (jansson refuses a string that is not, and the reply
 * would then lose its error).
 */
static void
s_utf8_cut(char *s)
{
	size_t len = strlen(s), lead = len;
	while (lead > 0 && len - lead < 4 && ((unsigned char)s[lead - 1] & 0xC0) == 0x80)
		lead--;
	if (lead == 0)
		return;
	unsigned char c = (unsigned char)s[lead - 1];
	size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
	if (len - (lead - 1) < need)
		s[lead - 1] = '\0';
}

/* Each daemon's own answer under its name; ok only if every daemon said ok. */
static json_t *
s_each(const struct vt_hub_config *cfg, json_t **r, const char *const *why)
{
	json_t *out = json_object(), *daemons = json_object();
	char errors[1024] = "";
	size_t used = 0;
	bool ok = true;
	for (size_t i = 0; i < cfg->n_daemons; i++) {
		json_t *one = r[i];
		if (one == NULL || !json_is_object(one)) {
			one = json_object();
			json_object_set_new(one, "ok", json_false());
			json_object_set_new(one, "error", json_string(why[i] ? why[i] : "no answer"));
		} else {
			json_incref(one);
		}
		if (!json_is_true(json_object_get(one, "ok"))) {
			ok = false;
			if (used < sizeof(errors))
				used += (size_t)snprintf(errors + used, sizeof(errors) - used, "%s%s: %s",
				                         used ? "; " : "", cfg->daemons[i].name, s_not_ok(one));
		}
		json_object_set_new(daemons, cfg->daemons[i].name, one);
	}
	json_object_set_new(out, "ok", json_boolean(ok));
	s_utf8_cut(errors);
	if (!ok)
		json_object_set_new(out, "error", json_string(errors));
	json_object_set_new(out, "daemons", daemons);
	return out;
}

char *
vt_hub_merge(const struct vt_hub_config *cfg, enum vt_control_cmd cmd,
             const char *const *replies, const char *const *why, int64_t now,
             const char *hub_instance, int64_t uptime_s, json_t *counters)
{
	json_t *r[VT_HUB_MAX_DAEMONS] = {0};
	const char *reason[VT_HUB_MAX_DAEMONS] = {0}; /* why daemon i's answer is not there */
	for (size_t i = 0; i < cfg->n_daemons && i < VT_HUB_MAX_DAEMONS; i++) {
		r[i] = s_parse(replies[i]);
		if (r[i] != NULL && !json_is_object(r[i])) {
			json_decref(r[i]);
			r[i] = NULL;
		}
		reason[i] = replies[i] != NULL && r[i] == NULL ? "its answer is not a JSON object" : why[i];
	}
	json_t *out;
	if (cmd == VT_CMD_SNAPSHOT) {
		out = s_snapshot(cfg, r, reason, now);
	} else {
		out = s_each(cfg, r, reason);
		if (cmd == VT_CMD_PING) {
			/* The hub answers a ping itself, whatever the daemons say. */
			json_object_set_new(out, "ok", json_true());
			json_object_del(out, "error");
			json_object_set_new(out, "hub", json_true());
			json_object_set_new(out, "version", json_string(VT_VERSION));
			json_object_set_new(out, "instance", json_string(hub_instance));
			json_object_set_new(out, "uptime_s", json_integer(uptime_s));
			json_object_update(out, counters);
		}
	}
	json_decref(counters);
	for (size_t i = 0; i < cfg->n_daemons && i < VT_HUB_MAX_DAEMONS; i++)
		json_decref(r[i]);
	char *text = out ? json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(out);
	return text;
}
