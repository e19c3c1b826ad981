/*
 * libFuzzer target for what vitals-hub reads beyond a control request's
 * parse (fuzz_control): the daemons' answers, which it merges into one
 * reply for the consoles (vt_hub_merge), the routing of a parsed request
 * to the daemon serving its bed (vt_hub_route), and its own file
 * (vt_hub_config_parse). A daemon's answer comes off the network; a broken
 * or hostile daemon must not crash the hub, nor make it send the consoles
 * a reply that misstates the other daemons. The first byte chooses:
 *   0  merge: the second byte the request (snapshot, ping, reload), the
 *      rest up to three daemons' answers separated by NUL bytes (an answer
 *      left out is a daemon that did not answer);
 *   1  route: a control request;
 *   2  the hub's file.
 * The fuzzer stops on a crash, a sanitizer report, or a broken promise:
 *   - a merged reply is a JSON object, the same for the same answers;
 *   - a snapshot says ok, has no seq or instance of its own, every map a
 *     console reads (alerts a list; vitals, ports, sessions, silenced,
 *     flags objects), every alert of every daemon that answered, and
 *     `sources` naming every daemon in the file's order with its beds, an
 *     error for each one that did not answer well and none for the rest;
 *     the console model takes it or says why;
 *   - ping and reload list every daemon's answer under its name; a ping
 *     is ok with the hub's own members, a reload is ok exactly when every
 *     daemon said ok and otherwise says why;
 *   - a request goes to every daemon (ping, snapshot, reload), to the
 *     daemon that serves its bed, or nowhere with a message;
 *   - a file parses to a configuration or reports errors, never both, its
 *     diagnostics inside the input; in a configuration no bed is served
 *     by two daemons, no name is given twice, and each bed's owner is the
 *     daemon that lists it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vitals/console/model.h"
#include "vitals/hub/config.h"
#include "vitals/hub/merge.h"
#include "vitals/wire/control_request.h"

#include "fuzz_check.h"
#include "fuzz_yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define S_DAEMONS 3

/* The hub the answers come to: three daemons, the first with two beds. */
static const char s_file[] =
    "publish: tcp://127.0.0.1:5566\n"
    "control: tcp://127.0.0.1:5567\n"
    "daemons:\n"
    "  - {name: room-a, publish: tcp://127.0.0.1:5556, control: tcp://127.0.0.1:5557, "
    "beds: [a-1, a-2]}\n"
    "  - {name: room-b, publish: tcp://127.0.0.1:5558, control: tcp://127.0.0.1:5559, "
    "beds: [b-1]}\n"
    "  - {name: room-c, publish: tcp://127.0.0.1:5560, control: tcp://127.0.0.1:5561, "
    "beds: [c-1]}\n";

static const struct vt_hub_config *
s_hub(void)
{
	static struct vt_hub_config *cfg;
	if (cfg == NULL) {
		struct vt_diag d = {0};
		cfg = vt_hub_config_parse("hub.yaml", s_file, strlen(s_file), &d);
		fuzz_check(cfg != NULL && cfg->n_daemons == S_DAEMONS);
		vt_diag_clear(&d);
	}
	return cfg;
}

/* Did daemon i answer well: an object saying ok. */
static bool
s_answered(json_t *const *r, size_t i)
{
	return r[i] != NULL && json_is_object(r[i]) && json_is_true(json_object_get(r[i], "ok"));
}

static void
s_check_snapshot(const struct vt_hub_config *cfg, json_t *out, json_t *const *r,
                 const char *text)
{
	fuzz_check(json_is_true(json_object_get(out, "ok")));
	fuzz_check(json_object_get(out, "seq") == NULL && json_object_get(out, "instance") == NULL);
	json_t *alerts = json_object_get(out, "alerts");
	fuzz_check(json_is_array(alerts));
	static const char *const maps[] = {"vitals", "ports", "sessions", "silenced", "flags"};
	for (size_t k = 0; k < sizeof(maps) / sizeof(maps[0]); k++)
		fuzz_check(json_is_object(json_object_get(out, maps[k])));
	size_t want_alerts = 0;
	json_t *sources = json_object_get(out, "sources");
	fuzz_check(json_is_array(sources) && json_array_size(sources) == cfg->n_daemons);
	for (size_t i = 0; i < cfg->n_daemons; i++) {
		const struct vt_hub_daemon *d = &cfg->daemons[i];
		json_t *src = json_array_get(sources, i);
		fuzz_check(json_is_object(src));
		fuzz_check(strcmp(json_string_value(json_object_get(src, "name")), d->name) == 0);
		json_t *beds = json_object_get(src, "beds");
		fuzz_check(json_is_array(beds) && json_array_size(beds) == d->n_beds);
		for (size_t b = 0; b < d->n_beds; b++)
			fuzz_check(strcmp(json_string_value(json_array_get(beds, b)), d->beds[b]) == 0);
		json_t *err = json_object_get(src, "error");
		if (!s_answered(r, i)) {
			/* A daemon that did not answer well: no stream, and why. */
			fuzz_check(json_is_string(err) && json_string_length(err) > 0);
			fuzz_check(json_is_null(json_object_get(src, "instance")));
			fuzz_check(json_is_null(json_object_get(src, "seq")));
			continue;
		}
		fuzz_check(err == NULL);
		json_t *theirs = json_object_get(r[i], "alerts");
		if (json_is_array(theirs))
			want_alerts += json_array_size(theirs);
		/* Every bed-keyed member it sent is in the merged one. */
		const char *key;
		json_t *v;
		json_object_foreach(r[i], key, v)
		{
			if (!json_is_object(v))
				continue;
			json_t *merged = json_object_get(out, key);
			if (!json_is_object(merged))
				continue; /* a name the snapshot uses for something else */
			const char *bed;
			json_t *value;
			json_object_foreach(v, bed, value)
				fuzz_check(json_object_get(merged, bed) != NULL);
		}
	}
	fuzz_check(json_array_size(alerts) == want_alerts);

	/* What a console does with it: takes it, or says why not. */
	struct vt_console *m = vt_console_new(0);
	fuzz_check(m != NULL);
	vt_console_snapshot_sent(m, 0);
	char why[256] = "";
	if (vt_console_snapshot(m, text, strlen(text), 0, why, sizeof(why)) != 0)
		fuzz_check(why[0] != '\0');
	vt_console_free(&m);
}

static void
s_check_each(const struct vt_hub_config *cfg, enum vt_control_cmd cmd, json_t *out,
             json_t *const *r)
{
	json_t *daemons = json_object_get(out, "daemons");
	fuzz_check(json_is_object(daemons) && json_object_size(daemons) == cfg->n_daemons);
	bool all = true;
	for (size_t i = 0; i < cfg->n_daemons; i++) {
		json_t *one = json_object_get(daemons, cfg->daemons[i].name);
		fuzz_check(json_is_object(one));
		all = all && s_answered(r, i);
		/* A daemon's answer as it gave it, or ok:false with why. */
		if (r[i] != NULL && json_is_object(r[i]))
			fuzz_check(json_equal(one, r[i]));
		else
			fuzz_check(json_is_false(json_object_get(one, "ok")) &&
			           json_is_string(json_object_get(one, "error")));
	}
	json_t *ok = json_object_get(out, "ok");
	if (cmd == VT_CMD_PING) {
		fuzz_check(json_is_true(ok) && json_is_true(json_object_get(out, "hub")));
		fuzz_check(strcmp(json_string_value(json_object_get(out, "instance")), "HUB") == 0);
		fuzz_check(json_is_object(json_object_get(out, "proxy")));
		fuzz_check(json_object_get(out, "error") == NULL);
	} else {
		fuzz_check(json_is_boolean(ok) && json_is_true(ok) == all);
		json_t *err = json_object_get(out, "error");
		fuzz_check(all ? err == NULL : json_is_string(err) && json_string_length(err) > 0);
	}
}

static void
s_merge(const uint8_t *data, size_t size)
{
	static const enum vt_control_cmd cmds[] = {VT_CMD_SNAPSHOT, VT_CMD_PING, VT_CMD_RELOAD};
	if (size < 1)
		return;
	enum vt_control_cmd cmd = cmds[data[0] % 3];
	data++;
	size--;
	const struct vt_hub_config *cfg = s_hub();
	char *parts[S_DAEMONS] = {NULL};
	const char *replies[VT_HUB_MAX_DAEMONS] = {NULL}, *why[VT_HUB_MAX_DAEMONS] = {NULL};
	for (size_t i = 0; i < S_DAEMONS; i++) {
		why[i] = "no answer within 2000 ms";
		const uint8_t *end = memchr(data, '\0', size);
		size_t len = end != NULL ? (size_t)(end - data) : size;
		if (size > 0 || end != NULL) {
			parts[i] = strndup((const char *)data, len);
			fuzz_check(parts[i] != NULL);
			replies[i] = parts[i];
		}
		data += len + (end != NULL);
		size -= len + (end != NULL);
	}
	/* What the merge saw of each answer: parsed the way it parses them. */
	json_t *r[S_DAEMONS] = {NULL};
	for (size_t i = 0; i < S_DAEMONS; i++)
		r[i] = replies[i] != NULL ? json_loads(replies[i], 0, NULL) : NULL;

	json_t *counters = cmd == VT_CMD_PING ? json_pack("{s:{s:i}}", "proxy", "messages_in", 7) : NULL;
	char *text = vt_hub_merge(cfg, cmd, replies, why, 1795255200000, "HUB", 5, counters);
	fuzz_check(text != NULL);
	json_error_t je;
	json_t *out = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	fuzz_check(out != NULL && json_is_object(out));
	if (cmd == VT_CMD_SNAPSHOT)
		s_check_snapshot(cfg, out, r, text);
	else
		s_check_each(cfg, cmd, out, r);
	/* The same answers, the same reply. */
	counters = cmd == VT_CMD_PING ? json_pack("{s:{s:i}}", "proxy", "messages_in", 7) : NULL;
	char *again = vt_hub_merge(cfg, cmd, replies, why, 1795255200000, "HUB", 5, counters);
	fuzz_check(again != NULL && strcmp(text, again) == 0);
	free(again);
	json_decref(out);
	free(text);
	for (size_t i = 0; i < S_DAEMONS; i++) {
		json_decref(r[i]);
		free(parts[i]);
	}
}

static void
s_route(const uint8_t *data, size_t size)
{
	const struct vt_hub_config *cfg = s_hub();
	struct vt_control_req req;
	char err[512];
	if (vt_control_parse((const char *)data, size, &req, err, sizeof(err)) != 0)
		return; /* fuzz_control's */
	char *why = malloc(64); /* exactly this much: one byte too many is caught */
	fuzz_check(why != NULL);
	why[0] = '\0';
	int to = vt_hub_route(cfg, &req, why, 64);
	bool everyone = req.cmd == VT_CMD_PING || req.cmd == VT_CMD_SNAPSHOT || req.cmd == VT_CMD_RELOAD;
	fuzz_check(everyone == (to == VT_HUB_ALL));
	/* The bed the request is about: an ack's alert id names it before its first '/'. */
	char bed[sizeof(req.id)];
	if (req.cmd == VT_CMD_ACK && req.id[0] != '\0')
		snprintf(bed, sizeof(bed), "%.*s", (int)strcspn(req.id, "/"), req.id);
	else
		snprintf(bed, sizeof(bed), "%s", req.bed);
	int owner = vt_hub_config_owner(cfg, bed);
	if (to == -1) {
		fuzz_check(why[0] != '\0' && memchr(why, '\0', 64) != NULL);
		fuzz_check(owner < 0 || (req.cmd == VT_CMD_ACK && strchr(req.id, '/') == NULL));
	} else if (to >= 0) {
		fuzz_check((size_t)to < cfg->n_daemons && to == owner);
	}
	free(why);
}

static void
s_config(const uint8_t *data, size_t size)
{
	struct vt_diag d = {0};
	struct vt_hub_config *cfg = vt_hub_config_parse("fuzz.yaml", (const char *)data, size, &d);
	fuzz_check((cfg != NULL) != (d.count > 0));
	fuzz_yaml_check_diag(&d, "fuzz.yaml", data, size);
	if (cfg != NULL) {
		fuzz_check(cfg->n_daemons >= 1 && cfg->n_daemons <= VT_HUB_MAX_DAEMONS);
		fuzz_check(cfg->n_publish >= 1 && cfg->n_control >= 1);
		for (size_t i = 0; i < cfg->n_daemons; i++) {
			const struct vt_hub_daemon *di = &cfg->daemons[i];
			fuzz_check(di->n_beds >= 1 && di->n_beds <= VT_HUB_MAX_BEDS);
			for (size_t j = 0; j < i; j++)
				fuzz_check(strcmp(cfg->daemons[j].name, di->name) != 0);
			for (size_t b = 0; b < di->n_beds; b++)
				fuzz_check(vt_hub_config_owner(cfg, di->beds[b]) == (int)i);
		}
	}
	/* The same input, the same diagnostics. */
	struct vt_diag d2 = {0};
	struct vt_hub_config *cfg2 = vt_hub_config_parse("fuzz.yaml", (const char *)data, size, &d2);
	fuzz_check((cfg == NULL) == (cfg2 == NULL));
	fuzz_yaml_same_diag(&d, &d2);
	vt_hub_config_free(&cfg2);
	vt_diag_clear(&d2);
	vt_hub_config_free(&cfg);
	vt_diag_clear(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0: s_merge(data + 1, size - 1); break;
	case 1: s_route(data + 1, size - 1); break;
	default: s_config(data + 1, size - 1); break;
	}
	return 0;
}
