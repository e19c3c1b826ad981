/*
 * Reading vitals-hub.yaml into a struct vt_hub_config, with the walker and
 * the value checks of the daemon's own configuration, so that the hub's
 * file is read the way vitalsd.yaml is: unknown keys refused, every error
 * at once as FILE:LINE:COLUMN. What needs more than one key (a bed served
 * by two daemons, two daemons of one name, keys that curve requires) is
 * checked after the walk, pointing at the second occurrence and naming the
 * line of the first.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/config/check.h"
#include "vitals/config/config.h"
#include "vitals/config/values.h"
#include "vitals/config/yaml.h"
#include "vitals/hub/config.h"

/* The file is small; this bounds what is read. */
#define S_MAX_BYTES (256 * 1024)

#define SCALAR(n, w) .name = n, .shape = VT_CY_SCALAR, .what = w
#define LIST(n, w) .name = n, .shape = VT_CY_LIST, .what = w
#define ONE_OR_MORE(n, w) .name = n, .shape = VT_CY_SCALAR_OR_LIST, .what = w
#define SECTION(n, w) .name = n, .shape = VT_CY_MAPPING, .what = w
#define TOP(f) offsetof(struct vt_hub_config, f)
#define DMN(f) offsetof(struct vt_hub_daemon, f)

/*
 * Where each daemon's name and beds were written, for the checks across
 * daemons. The parse's user data: the shared value handlers find the
 * configuration's own cross-check state there (vt_check_of), so it comes
 * first.
 */
struct s_marks {
	struct vt_check check; /* the hub's endpoints, for vt_check_network */
	const yaml_node_t *name[VT_HUB_MAX_DAEMONS];
	const yaml_node_t *beds[VT_HUB_MAX_DAEMONS][VT_HUB_MAX_BEDS];
	const yaml_node_t *server_key[VT_HUB_MAX_DAEMONS];
	const yaml_node_t *item[VT_HUB_MAX_DAEMONS];
	size_t current; /* the daemon being walked, for s_beds */
};

static vt_cy_handler s_name, s_beds, s_daemons;

enum { D_NAME, D_PUBLISH, D_CONTROL, D_SERVER_KEY, D_BEDS, D_COUNT };
static const struct vt_cy_key s_daemon_keys[D_COUNT + 1] = {
	[D_NAME] = {SCALAR("name", "a daemon name such as room-a"), .handler = s_name,
	            .offset = DMN(name), .required = true},
	[D_PUBLISH] = {SCALAR("publish", "the daemon's publish endpoint such as tcp://10.1.2.3:5556"),
	               .handler = vt_cfg_endpoint, .offset = DMN(publish), .required = true},
	[D_CONTROL] = {SCALAR("control", "the daemon's control endpoint such as tcp://10.1.2.3:5557"),
	               .handler = vt_cfg_endpoint, .offset = DMN(control), .required = true},
	[D_SERVER_KEY] = {SCALAR("server_key", "the absolute path of the daemon's public key file, "
	                                       "such as /etc/vitalsd/curve/room-a.pub"),
	                  .handler = vt_cfg_record_dir, .offset = DMN(server_key)},
	[D_BEDS] = {LIST("beds", "a list of the beds the daemon serves"), .handler = s_beds,
	            .required = true},
};

enum { C_SECRET_KEY, C_CLIENTS, C_COUNT };
static const struct vt_cy_key s_curve_keys[C_COUNT + 1] = {
	[C_SECRET_KEY] = {SCALAR("secret_key", "the absolute path of the hub's key file, such as "
	                                       "/etc/vitalsd/curve/hub.key"),
	                  .handler = vt_cfg_record_dir, .offset = TOP(curve_secret_key),
	                  .required = true},
	[C_CLIENTS] = {SCALAR("clients", "the absolute path of a directory of client public key "
	                                 "files (*.pub)"),
	               .handler = vt_cfg_record_dir, .offset = TOP(curve_clients), .required = true},
};

/* The bounds of the hub's own endpoints, as the daemon's `limits` keys (docs/reliability.md). */
#define LIM(f) offsetof(struct vt_hub_config, limits.f)
static const struct vt_cy_range s_connections = {1, 100000}, s_queue = {10, 1000000};
enum { L_PUB_CONN, L_CTL_CONN, L_QUEUE, L_COUNT };
static const struct vt_cy_key s_limit_keys[L_COUNT + 1] = {
	[L_PUB_CONN] = {SCALAR("publish_connections", "a number of connections"),
	                .handler = vt_cy_integer, .offset = LIM(publish_connections), .dflt = "256",
	                .data = &s_connections},
	[L_CTL_CONN] = {SCALAR("control_connections", "a number of connections"),
	                .handler = vt_cy_integer, .offset = LIM(control_connections), .dflt = "64",
	                .data = &s_connections},
	[L_QUEUE] = {SCALAR("subscriber_queue", "a number of messages"), .handler = vt_cy_integer,
	             .offset = LIM(subscriber_queue), .dflt = "1000", .data = &s_queue},
};

enum { T_PUBLISH, T_CONTROL, T_TIMEOUT, T_CURVE, T_INSECURE, T_LIMITS, T_DAEMONS, T_COUNT };
static const struct vt_cy_key s_top_keys[T_COUNT + 1] = {
	[T_PUBLISH] = {ONE_OR_MORE("publish", "a ZeroMQ endpoint such as tcp://127.0.0.1:5566, or "
	                                      "a list of them"),
	               .handler = vt_cfg_endpoints, .offset = TOP(publish),
	               .count_offset = TOP(n_publish), .required = true},
	[T_CONTROL] = {ONE_OR_MORE("control", "a ZeroMQ endpoint such as tcp://127.0.0.1:5567, or "
	                                      "a list of them"),
	               .handler = vt_cfg_endpoints, .offset = TOP(control),
	               .count_offset = TOP(n_control), .required = true},
	[T_TIMEOUT] = {SCALAR("request_timeout", VT_CY_DURATION), .handler = vt_cy_duration_positive,
	               .offset = TOP(request_timeout_ms), .dflt = "2s"},
	[T_CURVE] = {SECTION("curve", "a mapping with secret_key and clients"), .handler = vt_cy_section,
	             .data = s_curve_keys},
	/* Endpoints beyond loopback without CURVE are refused unless this says yes. */
	[T_INSECURE] = {SCALAR("allow_insecure_network", "true or false"), .handler = vt_cy_bool,
	                .offset = TOP(allow_insecure_network), .dflt = "false"},
	/* Absent: every default of s_limit_keys. */
	[T_LIMITS] = {SECTION("limits", "a mapping of limits such as publish_connections"),
	              .handler = vt_cy_section, .data = s_limit_keys},
	[T_DAEMONS] = {LIST("daemons", "a list of daemons"), .handler = s_daemons, .required = true},
};

_Static_assert(D_COUNT <= VT_CY_MAX_KEYS && T_COUNT <= VT_CY_MAX_KEYS && L_COUNT <= VT_CY_MAX_KEYS,
               "key table too long");

/* A daemon's name: the alphabet of bed names, so that it can go anywhere a bed can. */
static bool
s_name(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
       void *obj)
{
	const char *s = vt_cy_text(n);
	if (!vt_check_bed_name(s)) {
		char q[VT_CY_QUOTE_MAX];
		vt_cy_error(c, n, "%s: expected a name of letters, digits, '_', '.' and '-' that starts "
		            "with a letter or digit (at most %d characters), got %s", path,
		            VT_CONFIG_NAME_MAX, vt_cy_quote(s, q, sizeof(q)));
		return false;
	}
	return vt_cy_store_text(c, s, k, obj);
}

static bool
s_beds(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
       void *obj)
{
	struct vt_hub_daemon *d = obj;
	struct s_marks *marks = c->user;
	size_t total = vt_cy_count(n);
	if (!vt_cy_list_length(c, path, n, total, true, VT_HUB_MAX_BEDS, "bed", "beds"))
		return false;
	d->beds = vt_cy_calloc(c, total, sizeof(char *));
	if (d->beds == NULL)
		return false;
	bool ok = true;
	for (size_t i = 0; i < total; i++) {
		char ipath[VT_CY_PATH_MAX], q[VT_CY_QUOTE_MAX];
		const yaml_node_t *item = vt_cy_item(c, n, i);
		vt_cy_path_index(ipath, sizeof(ipath), path, i);
		const char *s = item ? vt_cy_scalar(c, ipath, item, "a bed name such as chair-1") : NULL;
		if (s == NULL) {
			ok = false;
			continue;
		}
		if (!vt_check_bed_name(s)) {
			vt_cy_error(c, item, "%s: expected a bed name of letters, digits, '_', '.' and '-' "
			            "that starts with a letter or digit (at most %d characters), got %s",
			            ipath, VT_CONFIG_NAME_MAX, vt_cy_quote(s, q, sizeof(q)));
			ok = false;
			continue;
		}
		marks->beds[marks->current][d->n_beds] = item;
		if ((d->beds[d->n_beds] = vt_cy_strdup(c, s)) == NULL)
			return false;
		d->n_beds++;
	}
	return ok;
}

static bool
s_daemons(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
          void *obj)
{
	struct vt_hub_config *cfg = obj;
	struct s_marks *marks = c->user;
	size_t total = vt_cy_count(n);
	if (!vt_cy_list_length(c, path, n, total, true, VT_HUB_MAX_DAEMONS, "daemon", "daemons"))
		return false;
	cfg->daemons = vt_cy_calloc(c, total, sizeof(*cfg->daemons));
	if (cfg->daemons == NULL)
		return false;
	cfg->n_daemons = total;
	bool ok = true;
	for (size_t i = 0; i < total; i++) {
		struct vt_cy_seen seen[VT_CY_MAX_KEYS];
		marks->current = i;
		marks->item[i] = vt_cy_item_mapping(c, path, n, i, "a daemon (name, publish, control, "
		                                    "beds)", s_daemon_keys, &cfg->daemons[i], seen);
		if (marks->item[i] == NULL) {
			ok = false;
			continue;
		}
		marks->name[i] = seen[D_NAME].ok ? seen[D_NAME].value : NULL;
		marks->server_key[i] = seen[D_SERVER_KEY].value;
	}
	return ok;
}

/*
 * What needs the whole file: names and beds once each, keys as curve needs
 * them, and the daemon's rule on endpoints reachable beyond this machine.
 */
static void
s_finish(struct vt_cy *c, struct vt_hub_config *cfg, struct s_marks *marks)
{
	vt_check_network(&marks->check, cfg->curve_secret_key != NULL, cfg->allow_insecure_network);
	for (size_t i = 0; i < cfg->n_daemons; i++) {
		const struct vt_hub_daemon *d = &cfg->daemons[i];
		char path[VT_CY_PATH_MAX];
		vt_cy_path_index(path, sizeof(path), "daemons", i);
		for (size_t j = 0; j < i && marks->name[i] != NULL; j++)
			if (marks->name[j] != NULL && strcmp(cfg->daemons[j].name, d->name) == 0)
				vt_cy_error(c, marks->name[i], "%s.name: daemon \"%s\" is named already on line "
				            "%zu; each daemon needs a name of its own", path, d->name,
				            marks->name[j]->start_mark.line + 1);
		for (size_t b = 0; b < d->n_beds; b++) {
			/* Within this daemon, then in every daemon before it. */
			for (size_t j = 0; j <= i; j++) {
				const struct vt_hub_daemon *o = &cfg->daemons[j];
				size_t end = j == i ? b : o->n_beds;
				for (size_t ob = 0; ob < end; ob++) {
					if (strcmp(o->beds[ob], d->beds[b]) != 0)
						continue;
					if (j == i)
						vt_cy_error(c, marks->beds[i][b], "%s.beds[%zu]: bed \"%s\" is listed "
						            "twice (line %zu)", path, b, d->beds[b],
						            marks->beds[j][ob]->start_mark.line + 1);
					else
						vt_cy_error(c, marks->beds[i][b], "%s.beds[%zu]: bed \"%s\" is served "
						            "by daemon \"%s\" already (line %zu); bed names must not clash "
						            "between daemons", path, b, d->beds[b],
						            o->name ? o->name : "?", marks->beds[j][ob]->start_mark.line + 1);
					goto next_bed;
				}
			}
		next_bed:;
		}
		if (cfg->curve_secret_key != NULL && d->server_key == NULL && marks->item[i] != NULL)
			vt_cy_error(c, marks->item[i], "%s: missing \"server_key\": with curve, the hub needs "
			            "each daemon's public key", path);
		if (cfg->curve_secret_key == NULL && d->server_key != NULL)
			vt_cy_error(c, marks->server_key[i], "%s.server_key: the hub has no curve section, so "
			            "this key would not be used", path);
	}
}

struct vt_hub_config *
vt_hub_config_parse(const char *name, const char *text, size_t len, struct vt_diag *diag)
{
	struct vt_diag scratch = {0};
	if (diag == NULL)
		diag = &scratch;
	if (name == NULL)
		name = "-";
	struct vt_hub_config *cfg = calloc(1, sizeof(*cfg));
	struct s_marks *marks = calloc(1, sizeof(*marks));
	struct vt_cy c;
	if (vt_cy_open(&c, name, text, len) == 0) {
		c.user = marks;
		if (marks != NULL)
			vt_check_init(&marks->check, &c);
		if (cfg == NULL || marks == NULL || (cfg->path = vt_cy_strdup(&c, name)) == NULL) {
			vt_cy_oom(&c);
		} else {
			struct vt_cy_seen seen[VT_CY_MAX_KEYS];
			if (vt_cy_document(&c, "a mapping of settings (publish, control, daemons, ...)",
			                   "missing required key \"publish\"", s_top_keys, cfg, seen))
				s_finish(&c, cfg, marks);
		}
	}
	bool failed = vt_cy_failed(&c) || cfg == NULL || marks == NULL;
	vt_cy_close(&c, diag);
	if (marks != NULL)
		vt_check_fini(&marks->check);
	free(marks);
	if (cfg == NULL)
		vt_diag_add(diag, name, 0, 0, NULL, "out of memory while reading the configuration");
	if (failed)
		vt_hub_config_free(&cfg);
	vt_diag_clear(&scratch);
	return cfg;
}

struct vt_hub_config *
vt_hub_config_load(const char *path, struct vt_diag *diag)
{
	size_t len = 0;
	char *buf = vt_cy_load(path, S_MAX_BYTES, "a hub configuration", diag, &len);
	struct vt_hub_config *cfg = buf != NULL ? vt_hub_config_parse(path, buf, len, diag) : NULL;
	free(buf);
	return cfg;
}

void
vt_hub_config_free(struct vt_hub_config **cfgp)
{
	if (cfgp == NULL || *cfgp == NULL)
		return;
	struct vt_hub_config *cfg = *cfgp;
	for (size_t i = 0; cfg->daemons != NULL && i < cfg->n_daemons; i++) {
		struct vt_hub_daemon *d = &cfg->daemons[i];
		free(d->name);
		free(d->publish);
		free(d->control);
		free(d->server_key);
		vt_cfg_free_strings(d->beds, d->n_beds);
	}
	free(cfg->daemons);
	vt_cfg_free_strings(cfg->publish, cfg->n_publish);
	vt_cfg_free_strings(cfg->control, cfg->n_control);
	free(cfg->curve_secret_key);
	free(cfg->curve_clients);
	free(cfg->path);
	free(cfg);
	*cfgp = NULL;
}

int
vt_hub_config_owner(const struct vt_hub_config *cfg, const char *bed)
{
	for (size_t i = 0; bed != NULL && i < cfg->n_daemons; i++)
		for (size_t b = 0; b < cfg->daemons[i].n_beds; b++)
			if (strcmp(cfg->daemons[i].beds[b], bed) == 0)
				return (int)i;
	return -1;
}
