/*
 * Control requests, parsed strictly. A nurse's console and an
 * administrator's scripts send these; a typo must come back as a clear
 * error, never as a silent no-op and never as a crash, so every member is
 * checked for type and every unknown member is refused.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vitals/base/timefmt.h"
#include "vitals/wire/control_request.h"

struct cmd_row {
	const char *name;
	enum vt_control_cmd cmd;
	const char *const members[8]; /* allowed besides "cmd", NULL-terminated */
};

static const struct cmd_row commands[] = {
    {"ping", VT_CMD_PING, {NULL}},
    {"snapshot", VT_CMD_SNAPSHOT, {NULL}},
    {"ack", VT_CMD_ACK, {"id", "bed", "by", NULL}},
    {"silence", VT_CMD_SILENCE, {"bed", "for", "by", NULL}},
    {"phase", VT_CMD_PHASE, {"bed", "phase", "weight_kg", "dose_mg_per_kg_h", "by", NULL}},
    {"reload", VT_CMD_RELOAD, {"by", NULL}},
    {"watch", VT_CMD_WATCH, {"bed", "after", NULL}},
};

/* Copy a required (or optional) string member into buf. */
static int
s_string(json_t *o, const char *key, bool required, char *buf, size_t len, char *err,
         size_t errlen)
{
	json_t *v = json_object_get(o, key);
	if (v == NULL) {
		if (!required)
			return 0;
		snprintf(err, errlen, "missing \"%s\"", key);
		return -1;
	}
	if (!json_is_string(v)) {
		snprintf(err, errlen, "\"%s\" must be a string", key);
		return -1;
	}
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (n == 0 && required) {
		snprintf(err, errlen, "\"%s\" must not be empty", key);
		return -1;
	}
	if (n >= len || memchr(s, '\0', n) != NULL) {
		snprintf(err, errlen, "\"%s\" is too long or contains NUL", key);
		return -1;
	}
	memcpy(buf, s, n + 1);
	return 0;
}

static int
s_number(json_t *o, const char *key, double lo, double hi, double *out, char *err,
         size_t errlen)
{
	json_t *v = json_object_get(o, key);
	*out = NAN;
	if (v == NULL)
		return 0;
	if (!json_is_number(v) || !isfinite(json_number_value(v)) || json_number_value(v) < lo ||
	    json_number_value(v) > hi) {
		snprintf(err, errlen, "\"%s\" must be a number from %g to %g", key, lo, hi);
		return -1;
	}
	*out = json_number_value(v);
	return 0;
}

int
vt_control_parse(const char *body, size_t len, struct vt_control_req *req, char *err,
                 size_t errlen)
{
	memset(req, 0, sizeof(*req));
	req->weight_kg = req->dose_mg_per_kg_h = NAN;
	if (len > VT_CONTROL_MAX_REQUEST) {
		snprintf(err, errlen, "request too large (%zu bytes; at most %d)", len,
		         VT_CONTROL_MAX_REQUEST);
		return -1;
	}
	json_error_t je;
	json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (o == NULL) {
		snprintf(err, errlen, "not JSON: %s", je.text);
		return -1;
	}
	int rc = -1;
	const struct cmd_row *row = NULL;
	if (!json_is_object(o)) {
		snprintf(err, errlen, "a request is a JSON object such as {\"cmd\":\"ping\"}");
		goto out;
	}
	json_t *cmd = json_object_get(o, "cmd");
	if (!json_is_string(cmd)) {
		snprintf(err, errlen, "missing \"cmd\" (ping, snapshot, ack, silence, phase, reload, watch)");
		goto out;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, json_string_value(cmd)) == 0)
			row = &commands[i];
	if (row == NULL) {
		snprintf(err, errlen, "unknown command \"%.40s\" (ping, snapshot, ack, silence, phase, reload, "
		         "watch)",
		         json_string_value(cmd));
		goto out;
	}
	const char *key;
	json_t *val;
	json_object_foreach(o, key, val)
	{
		bool ok = strcmp(key, "cmd") == 0;
		for (size_t i = 0; !ok && row->members[i]; i++)
			ok = strcmp(row->members[i], key) == 0;
		if (!ok) {
			snprintf(err, errlen, "%s: unknown member \"%.40s\"", row->name, key);
			goto out;
		}
	}
	req->cmd = row->cmd;
	if (s_string(o, "by", false, req->by, sizeof(req->by), err, errlen) != 0)
		goto out;
	switch (row->cmd) {
	case VT_CMD_PING:
	case VT_CMD_SNAPSHOT:
	case VT_CMD_RELOAD:
		break;
	case VT_CMD_ACK:
		/* One alert by its id, or every alert of a bed. */
		if ((json_object_get(o, "id") != NULL) == (json_object_get(o, "bed") != NULL)) {
			snprintf(err, errlen, "ack: give \"id\" (one alert) or \"bed\" (all of its alerts)");
			goto out;
		}
		if (s_string(o, "id", false, req->id, sizeof(req->id), err, errlen) != 0 ||
		    s_string(o, "bed", false, req->bed, sizeof(req->bed), err, errlen) != 0)
			goto out;
		if (req->id[0] == '\0' && req->bed[0] == '\0') {
			snprintf(err, errlen, "ack: \"%s\" must not be empty",
			         json_object_get(o, "id") ? "id" : "bed");
			goto out;
		}
		break;
	case VT_CMD_SILENCE: {
		if (s_string(o, "bed", true, req->bed, sizeof(req->bed), err, errlen) != 0)
			goto out;
		char dur[32];
		const char *why;
		if (s_string(o, "for", true, dur, sizeof(dur), err, errlen) != 0)
			goto out;
		if (vt_duration_parse(dur, &req->duration_ms, &why) != 0) {
			snprintf(err, errlen, "\"for\": %s", why);
			goto out;
		}
		if (req->duration_ms <= 0 || req->duration_ms > 3600000) {
			snprintf(err, errlen, "\"for\" must be more than 0 and at most 1h");
			goto out;
		}
		break;
	}
	case VT_CMD_WATCH: {
		if (s_string(o, "bed", true, req->bed, sizeof(req->bed), err, errlen) != 0)
			goto out;
		json_t *after = json_object_get(o, "after");
		if (after != NULL && (!json_is_integer(after) || json_integer_value(after) < 0)) {
			snprintf(err, errlen, "\"after\" must be a whole number from 0");
			goto out;
		}
		req->after = after ? (uint64_t)json_integer_value(after) : 0;
		break;
	}
	case VT_CMD_PHASE: {
		char phase[32];
		if (s_string(o, "bed", true, req->bed, sizeof(req->bed), err, errlen) != 0 ||
		    s_string(o, "phase", true, phase, sizeof(phase), err, errlen) != 0)
			goto out;
		int p = vt_phase_by_name(phase);
		if (p < 0) {
			snprintf(err, errlen, "unknown phase \"%s\" (baseline, infusion, recovery, ended)",
			         phase);
			goto out;
		}
		req->phase = (enum vt_phase)p;
		if (s_number(o, "weight_kg", 1, 500, &req->weight_kg, err, errlen) != 0 ||
		    s_number(o, "dose_mg_per_kg_h", 0, 20, &req->dose_mg_per_kg_h, err, errlen) != 0)
			goto out;
		break;
	}
	}
	rc = 0;
out:
	json_decref(o);
	return rc;
}

char *
vt_control_error_reply(const char *message)
{
	/* Messages may quote a client's bytes cut mid-character: keep them valid UTF-8. */
	json_t *text = json_string(message);
	if (text == NULL) {
		char safe[512];
		size_t i = 0;
		for (; message[i] && i < sizeof(safe) - 1; i++)
			safe[i] = (unsigned char)message[i] < 0x80 ? message[i] : '?';
		safe[i] = '\0';
		text = json_string(safe);
	}
	json_t *o = json_object();
	json_object_set_new(o, "ok", json_false());
	json_object_set_new(o, "error", text);
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}
