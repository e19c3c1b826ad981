/*
 * Reading vitals-hl7.yaml into a struct vt_bridge_config with the walker
 * and the value checks of the daemon's own configuration (unknown keys
 * refused, every error at once as FILE:LINE:COLUMN). What needs more than
 * one key (a bed named twice, retry_max below retry) is checked after the
 * walk.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/config/check.h"
#include "vitals/config/config.h"
#include "vitals/config/values.h"
#include "vitals/config/yaml.h"
#include "vitals/hl7/config.h"
#include "vitals/hl7/pcd.h"

/* The file is small; this bounds what is read. */
#define S_MAX_BYTES (256 * 1024)

#define SCALAR(n, w) .name = n, .shape = VT_CY_SCALAR, .what = w
#define LIST(n, w) .name = n, .shape = VT_CY_LIST, .what = w
#define SECTION(n, w) .name = n, .shape = VT_CY_MAPPING, .what = w
#define TOP(f) offsetof(struct vt_bridge_config, f)
#define BED(f) offsetof(struct vt_bridge_bed, f)

/* Where each bed's name was written, for the check that names are unique. */
struct s_marks {
	const yaml_node_t *bed[VT_BRIDGE_MAX_BEDS];
	const yaml_node_t *retry_max;
};

static vt_cy_handler s_engine, s_text, s_location, s_processing, s_interval, s_beds,
    s_count;

enum { B_BED, B_LOCATION, B_DEVICE, B_INTERVAL, B_COUNT };
static const struct vt_cy_key s_bed_keys[B_COUNT + 1] = {
	[B_BED] = {SCALAR("bed", "a bed name such as chair-1"), .handler = vt_cfg_bed,
	           .offset = BED(bed), .required = true},
	[B_LOCATION] = {SCALAR("location", "the bed's location as PV1-3 components, such as "
	                                   "INFUSION^2^CHAIR1 (point of care, room, bed)"),
	                .handler = s_location, .offset = BED(location)},
	[B_DEVICE] = {SCALAR("device", "the monitor's identifier for OBX-18, such as its EUI-64 or "
	                               "serial number"),
	              .handler = s_text, .offset = BED(device)},
	[B_INTERVAL] = {SCALAR("interval", "0s (no observations) or " VT_CY_DURATION " of at least 1s"),
	                .handler = s_interval, .offset = BED(interval_ms)},
};

enum { C_SERVER_KEY, C_KEY, C_COUNT };
static const struct vt_cy_key s_curve_keys[C_COUNT + 1] = {
	[C_SERVER_KEY] = {SCALAR("server_key", "the absolute path of the daemon's (or hub's) public "
	                                       "key file, such as /etc/vitalsd/curve/vitalsd.pub"),
	                  .handler = vt_cfg_record_dir, .offset = TOP(server_key), .required = true},
	[C_KEY] = {SCALAR("key", "the absolute path of the bridge's key pair file, such as "
	                         "/etc/vitalsd/curve/vitals-hl7.key"),
	           .handler = vt_cfg_record_dir, .offset = TOP(key), .required = true},
};

enum { T_PUBLISH, T_CONTROL, T_CURVE, T_ENGINE, T_ACK_TIMEOUT, T_RETRY, T_RETRY_MAX,
       T_REJECT_AFTER, T_QUEUE_DIR, T_QUEUE_MAX, T_INTERVAL, T_SEND_APP, T_SEND_FAC, T_RECV_APP,
       T_RECV_FAC, T_PROCESSING, T_BEDS, T_COUNT };
static const struct vt_cy_key s_top_keys[T_COUNT + 1] = {
	[T_PUBLISH] = {SCALAR("publish", "the daemon's (or hub's) publish endpoint, such as "
	                                 "tcp://127.0.0.1:5556"),
	               .handler = vt_cfg_endpoint, .offset = TOP(publish), .required = true},
	[T_CONTROL] = {SCALAR("control", "its control endpoint, such as tcp://127.0.0.1:5557"),
	               .handler = vt_cfg_endpoint, .offset = TOP(control), .required = true},
	[T_CURVE] = {SECTION("curve", "a mapping with server_key and key"), .handler = vt_cy_section,
	             .data = s_curve_keys},
	[T_ENGINE] = {SCALAR("engine", "the interface engine's MLLP listener as HOST:PORT, such as "
	                               "10.1.2.3:6661"),
	              .handler = s_engine, .required = true},
	[T_ACK_TIMEOUT] = {SCALAR("ack_timeout", VT_CY_DURATION), .handler = vt_cy_duration_positive,
	                   .offset = TOP(ack_timeout_ms), .dflt = "10s"},
	[T_RETRY] = {SCALAR("retry", VT_CY_DURATION), .handler = vt_cy_duration_positive,
	             .offset = TOP(retry_ms), .dflt = "1s"},
	[T_RETRY_MAX] = {SCALAR("retry_max", VT_CY_DURATION), .handler = vt_cy_duration_positive,
	                 .offset = TOP(retry_max_ms), .dflt = "1m"},
	[T_REJECT_AFTER] = {SCALAR("reject_after", "a whole number"), .handler = vt_cfg_whole,
	                    .offset = TOP(reject_after), .dflt = "5", .arg = 1000},
	[T_QUEUE_DIR] = {SCALAR("queue_dir", "an absolute directory path such as /var/lib/vitals-hl7"),
	                 .handler = vt_cfg_record_dir, .offset = TOP(queue_dir),
	                 .dflt = "/var/lib/vitals-hl7"},
	[T_QUEUE_MAX] = {SCALAR("queue_max", "a whole number"), .handler = s_count,
	                 .offset = TOP(queue_max), .dflt = "10000", .arg = 1000000},
	[T_INTERVAL] = {SCALAR("interval", "0s (no observations) or " VT_CY_DURATION " of at least 1s"),
	                .handler = s_interval, .offset = TOP(interval_ms), .dflt = "1m"},
	[T_SEND_APP] = {SCALAR("sending_application", "a name for MSH-3 such as VITALSD"),
	                .handler = s_text, .offset = TOP(sending_application), .dflt = "VITALSD"},
	[T_SEND_FAC] = {SCALAR("sending_facility", "a name for MSH-4"), .handler = s_text,
	                .offset = TOP(sending_facility)},
	[T_RECV_APP] = {SCALAR("receiving_application", "a name for MSH-5"), .handler = s_text,
	                .offset = TOP(receiving_application)},
	[T_RECV_FAC] = {SCALAR("receiving_facility", "a name for MSH-6"), .handler = s_text,
	                .offset = TOP(receiving_facility)},
	[T_PROCESSING] = {SCALAR("processing_id", "P (production), T (training) or D (debugging)"),
	                  .handler = s_processing, .offset = TOP(processing_id), .dflt = "P"},
	[T_BEDS] = {LIST("beds", "a list of beds (bed, location, device, interval)"),
	            .handler = s_beds},
};

_Static_assert(T_COUNT <= VT_CY_MAX_KEYS && B_COUNT <= VT_CY_MAX_KEYS, "key table too long");

static bool
s_bad(struct vt_cy *c, const yaml_node_t *n, const char *path, const struct vt_cy_key *k,
      const char *s)
{
	char q[VT_CY_QUOTE_MAX];
	vt_cy_error(c, n, "%s: expected %s, got %s", path, k->what, vt_cy_quote(s, q, sizeof(q)));
	return false;
}

/* HOST:PORT, HOST a name or an address ([ADDR] for IPv6), as the daemon's tcp:// ports are. */
static bool
s_engine(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
         void *obj)
{
	struct vt_bridge_config *cfg = obj;
	const char *s = vt_cy_text(n);
	char url[300];
	snprintf(url, sizeof(url), "tcp://%s", s);
	const char *colon = strrchr(s, ':');
	if (strlen(s) > 256 || vt_check_port(url) != NULL || colon == NULL)
		return s_bad(c, n, path, k, s);
	const char *host = s;
	size_t hlen = (size_t)(colon - s);
	if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
		host++;
		hlen -= 2;
	}
	free(cfg->engine_host);
	free(cfg->engine_port);
	cfg->engine_host = strndup(host, hlen);
	cfg->engine_port = strdup(colon + 1);
	if (cfg->engine_host == NULL || cfg->engine_port == NULL) {
		vt_cy_oom(c);
		return false;
	}
	return true;
}

/* Text for a field: printable, no HL7 separator, not too long. */
static bool
s_text(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
       void *obj)
{
	const char *s = vt_cy_text(n);
	if (strlen(s) > VT_BRIDGE_NAME_MAX || !vt_pcd_plain(s, false)) {
		char q[VT_CY_QUOTE_MAX];
		vt_cy_error(c, n, "%s: expected %s: at most %d characters, none of | ^ ~ \\ & or a "
		            "control character, got %s", path, k->what, VT_BRIDGE_NAME_MAX,
		            vt_cy_quote(s, q, sizeof(q)));
		return false;
	}
	return vt_cy_store_text(c, s, k, obj);
}

static bool
s_location(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
           void *obj)
{
	const char *s = vt_cy_text(n);
	if (strlen(s) > VT_BRIDGE_NAME_MAX || !vt_pcd_plain(s, true)) {
		char q[VT_CY_QUOTE_MAX];
		vt_cy_error(c, n, "%s: expected %s: at most %d characters, components separated by ^, "
		            "none of | ~ \\ & or a control character, got %s", path, k->what,
		            VT_BRIDGE_NAME_MAX, vt_cy_quote(s, q, sizeof(q)));
		return false;
	}
	return vt_cy_store_text(c, s, k, obj);
}

static bool
s_processing(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
             void *obj)
{
	const char *s = vt_cy_text(n);
	if (strcmp(s, "P") != 0 && strcmp(s, "T") != 0 && strcmp(s, "D") != 0)
		return s_bad(c, n, path, k, s);
	return vt_cy_store_text(c, s, k, obj);
}

/* A duration, 0 or at least 1 s. */
static bool
s_interval(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
           void *obj)
{
	const char *s = vt_cy_text(n);
	int64_t *out = (int64_t *)((char *)obj + k->offset);
	if (!vt_cy_duration(c, path, n, k, obj))
		return false;
	if (*out > 0 && *out < 1000)
		return s_bad(c, n, path, k, s);
	return true;
}

/* A whole number from 1 to k->arg. */
static bool
s_count(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
        void *obj)
{
	if (!vt_cfg_whole(c, path, n, k, obj))
		return false;
	int64_t v;
	memcpy(&v, (char *)obj + k->offset, sizeof(v));
	if (v == 0)
		return s_bad(c, n, path, k, vt_cy_text(n));
	return true;
}

static bool
s_beds(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
       void *obj)
{
	struct vt_bridge_config *cfg = obj;
	struct s_marks *marks = c->user;
	size_t total = vt_cy_count(n);
	if (!vt_cy_list_length(c, path, n, total, false, VT_BRIDGE_MAX_BEDS, "bed", "beds"))
		return false;
	cfg->beds = vt_cy_calloc(c, total, sizeof(*cfg->beds));
	if (cfg->beds == NULL)
		return false;
	cfg->n_beds = total;
	bool ok = true;
	for (size_t i = 0; i < total; i++) {
		struct vt_cy_seen seen[VT_CY_MAX_KEYS];
		cfg->beds[i].interval_ms = -1; /* the file's interval unless it says */
		if (vt_cy_item_mapping(c, path, n, i, "a bed (bed, location, device, interval)",
		                       s_bed_keys, &cfg->beds[i], seen) == NULL) {
			ok = false;
			continue;
		}
		marks->bed[i] = seen[B_BED].ok ? seen[B_BED].value : NULL;
	}
	return ok;
}

/* What needs the whole file. */
static void
s_finish(struct vt_cy *c, struct vt_bridge_config *cfg, struct s_marks *marks)
{
	for (size_t i = 0; i < cfg->n_beds; i++)
		for (size_t j = 0; j < i && marks->bed[i] != NULL; j++)
			if (marks->bed[j] != NULL && strcmp(cfg->beds[i].bed, cfg->beds[j].bed) == 0) {
				vt_cy_error(c, marks->bed[i], "beds[%zu].bed: bed \"%s\" has settings already "
				            "(line %zu)", i, cfg->beds[i].bed, marks->bed[j]->start_mark.line + 1);
				break;
			}
	if (marks->retry_max != NULL && cfg->retry_max_ms < cfg->retry_ms)
		vt_cy_error(c, marks->retry_max, "retry_max: %lld ms is less than retry (%lld ms)",
		            (long long)cfg->retry_max_ms, (long long)cfg->retry_ms);
}

struct vt_bridge_config *
vt_bridge_config_parse(const char *name, const char *text, size_t len, struct vt_diag *diag)
{
	struct vt_diag scratch = {0};
	if (diag == NULL)
		diag = &scratch;
	if (name == NULL)
		name = "-";
	struct vt_bridge_config *cfg = calloc(1, sizeof(*cfg));
	struct s_marks *marks = calloc(1, sizeof(*marks));
	struct vt_cy c;
	if (vt_cy_open(&c, name, text, len) == 0) {
		c.user = marks;
		if (cfg == NULL || marks == NULL || (cfg->path = vt_cy_strdup(&c, name)) == NULL) {
			vt_cy_oom(&c);
		} else {
			struct vt_cy_seen seen[VT_CY_MAX_KEYS];
			if (vt_cy_document(&c, "a mapping of settings (publish, control, engine, ...)",
			                   "missing required keys \"publish\", \"control\" and \"engine\"",
			                   s_top_keys, cfg, seen)) {
				marks->retry_max = seen[T_RETRY_MAX].value;
				s_finish(&c, cfg, marks);
			}
		}
	}
	bool failed = vt_cy_failed(&c) || cfg == NULL || marks == NULL;
	vt_cy_close(&c, diag);
	free(marks);
	if (cfg == NULL)
		vt_diag_add(diag, name, 0, 0, NULL, "out of memory while reading the configuration");
	if (failed)
		vt_bridge_config_free(&cfg);
	vt_diag_clear(&scratch);
	return cfg;
}

struct vt_bridge_config *
vt_bridge_config_load(const char *path, struct vt_diag *diag)
{
	size_t len = 0;
	char *buf = vt_cy_load(path, S_MAX_BYTES, "the bridge's configuration", diag, &len);
	struct vt_bridge_config *cfg =
	    buf != NULL ? vt_bridge_config_parse(path, buf, len, diag) : NULL;
	free(buf);
	return cfg;
}

void
vt_bridge_config_free(struct vt_bridge_config **pcfg)
{
	struct vt_bridge_config *cfg = *pcfg;
	if (cfg == NULL)
		return;
	for (size_t i = 0; cfg->beds != NULL && i < cfg->n_beds; i++) {
		free(cfg->beds[i].bed);
		free(cfg->beds[i].location);
		free(cfg->beds[i].device);
	}
	free(cfg->beds);
	char **strings[] = {&cfg->path, &cfg->publish, &cfg->control, &cfg->server_key, &cfg->key,
	                    &cfg->engine_host, &cfg->engine_port, &cfg->queue_dir,
	                    &cfg->sending_application, &cfg->sending_facility,
	                    &cfg->receiving_application, &cfg->receiving_facility, &cfg->processing_id};
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		free(*strings[i]);
	free(cfg);
	*pcfg = NULL;
}

const struct vt_bridge_bed *
vt_bridge_config_bed(const struct vt_bridge_config *cfg, const char *bed)
{
	for (size_t i = 0; i < cfg->n_beds; i++)
		if (cfg->beds[i].bed != NULL && strcmp(cfg->beds[i].bed, bed) == 0)
			return &cfg->beds[i];
	return NULL;
}
