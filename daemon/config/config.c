/*
 * The configuration file, described as key tables (one row per key: name,
 * handler, target field, required, default) in the netplan/Redis manner,
 * so that the file's shape can be read here in one screen and the docs can
 * be checked against it. The YAML machinery is in config_yaml.c and
 * config_walk.c, the handlers of single values in config_values.c, and the
 * checks that need the whole file (unique names, bed references) in
 * config_check.c.
 *
 * A config that loads is complete: every default filled in, every driver
 * resolved, every cross-reference valid. On any error nothing is returned
 * and every problem is reported, so the running daemon keeps its old
 * configuration on a bad reload.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/sha2.h>

#include "vitals/config/check.h"
#include "vitals/config/config.h"
#include "vitals/config/values.h"
#include "vitals/config/yaml.h"

/* Stored through vt_cy_enum_value, which writes an int. */
_Static_assert(sizeof(enum vt_priority) == sizeof(int), "enum vt_priority is int-sized");
_Static_assert(sizeof(enum vt_flow) == sizeof(int), "enum vt_flow is int-sized");
_Static_assert(sizeof(enum vt_parity) == sizeof(int), "enum vt_parity is int-sized");


static const struct vt_cy_enum s_priorities[] = {
	{"low", VT_PRIO_LOW}, {"medium", VT_PRIO_MEDIUM}, {"high", VT_PRIO_HIGH}, {NULL, 0}};
static const struct vt_cy_enum s_parities[] = {
	{"none", VT_PARITY_NONE}, {"even", VT_PARITY_EVEN}, {"odd", VT_PARITY_ODD}, {NULL, 0}};
static const struct vt_cy_enum s_flows[] = {
	{"none", VT_FLOW_NONE}, {"xonxoff", VT_FLOW_XONXOFF}, {"rtscts", VT_FLOW_RTSCTS}, {NULL, 0}};

/* ---- the tables ----------------------------------------------------------- */

#define MON(f) offsetof(struct vt_monitor_config, f)
#define RULE(f) offsetof(struct vt_rule_config, f)
#define TOP(f) offsetof(struct vt_config, f)

/*
 * Each row: the key, the YAML shape of its value, what the value is (for
 * "expected WHAT, got ..."), the handler, the target field, whether the
 * key is required, and its default written as in the file.
 */
#define SCALAR(n, w) .name = n, .shape = VT_CY_SCALAR, .what = w
#define LIST(n, w) .name = n, .shape = VT_CY_LIST, .what = w
#define ONE_OR_MORE(n, w) .name = n, .shape = VT_CY_SCALAR_OR_LIST, .what = w
#define SECTION(n, w) .name = n, .shape = VT_CY_MAPPING, .what = w

enum { M_BED, M_PORT, M_PROTOCOL, M_BAUD, M_FLOW, M_PARITY, M_STALE_AFTER, M_NIBP_STALE_AFTER,
       M_POLL, M_HL7_ID, M_ANNOUNCE, M_COUNT };
static const struct vt_cy_key s_monitor_keys[M_COUNT + 1] = {
	[M_BED] = {SCALAR("bed", "a bed name such as chair-1"), .handler = vt_cfg_bed,
	           .offset = MON(bed), .required = true},
	[M_PORT] = {SCALAR("port", "a device path such as /dev/ttyUSB0, tcp://HOST:PORT or "
	                           "mllp://HOST:PORT"),
	            .handler = vt_cfg_port, .offset = MON(port), .required = true},
	[M_PROTOCOL] = {SCALAR("protocol", "a protocol such as masimo-ascii"),
	                .handler = vt_cfg_protocol, .offset = MON(driver), .required = true},
	/* baud and flow default to the driver's own (s_monitor_finish). */
	[M_BAUD] = {SCALAR("baud", "a baud rate such as 9600"), .handler = vt_cfg_baud,
	            .offset = MON(baud)},
	[M_FLOW] = {SCALAR("flow", "none, xonxoff or rtscts"), .handler = vt_cy_enum_value,
	            .offset = MON(flow), .data = s_flows},
	[M_PARITY] = {SCALAR("parity", "none, even or odd"), .handler = vt_cy_enum_value,
	              .offset = MON(parity), .data = s_parities},
	[M_STALE_AFTER] = {SCALAR("stale_after", VT_CY_DURATION), .handler = vt_cy_duration_positive,
	                   .offset = MON(stale_after_ms), .dflt = "10s"},
	[M_NIBP_STALE_AFTER] = {SCALAR("nibp_stale_after", VT_CY_DURATION),
	                        .handler = vt_cy_duration_positive,
	                        .offset = MON(nibp_stale_after_ms), .dflt = "20m"},
	/* Polled protocols only; defaults to the driver's own (s_monitor_finish). */
	[M_POLL] = {SCALAR("poll", VT_CY_DURATION), .handler = vt_cy_duration_positive,
	            .offset = MON(opts.poll_ms)},
	/* hl7-mllp only (s_monitor_finish): whose messages are this bed's. */
	[M_HL7_ID] = {SCALAR("hl7_id", "the sender's bed location or device id, such as HDU^507^3"),
	              .handler = vt_cfg_hl7_id, .offset = MON(hl7_id)},
	/* udp:// ports only (s_monitor_finish); 0.0.0.0:24005 if not given (port.h). */
	[M_ANNOUNCE] = {SCALAR("announce", "HOST:PORT, the address monitors announce themselves to, "
	                                   "such as 0.0.0.0:24005"),
	                .handler = vt_cfg_announce, .offset = MON(announce)},
};

/*
 * A tier of a below/above rule: a deeper limit with its own delay and
 * priority (docs/alarms.md, "Tiers"). It is read as a small rule, so the
 * handlers of the rule's own keys serve; s_rule_finish checks it against
 * the rule.
 */
enum { TI_BELOW, TI_ABOVE, TI_FOR, TI_AREA, TI_CLEAR_AT, TI_PRIORITY, TI_COUNT };
#define AREA_WHAT "a number above 0: the parameter's unit times seconds, such as 30"
static const struct vt_cy_key s_tier_keys[TI_COUNT + 1] = {
	[TI_BELOW] = {SCALAR("below", "a number"), .handler = vt_cfg_limit, .arg = -1},
	[TI_ABOVE] = {SCALAR("above", "a number"), .handler = vt_cfg_limit, .arg = +1},
	[TI_FOR] = {SCALAR("for", VT_CY_DURATION), .handler = vt_cy_duration, .offset = RULE(for_ms),
	            .dflt = "0s"},
	[TI_AREA] = {SCALAR("area", AREA_WHAT), .handler = vt_cfg_area, .offset = RULE(area)},
	/* Defaults to the tier's limit; the priority to the one before it (s_rule_finish). */
	[TI_CLEAR_AT] = {SCALAR("clear_at", "a number"), .handler = vt_cfg_clear_at},
	[TI_PRIORITY] = {SCALAR("priority", "low, medium or high"), .handler = vt_cy_enum_value,
	                 .offset = RULE(priority), .data = s_priorities},
};

static vt_cy_handler s_tiers;

enum {
	R_NAME, R_PARAMETER, R_BELOW, R_ABOVE, R_BELOW_BASELINE, R_ABOVE_BASELINE, R_FALLS_BY,
	R_RISES_BY, R_NO_BREATH_FOR, R_WITHIN, R_FOR, R_AREA, R_CLEAR_AT, R_PRIORITY, R_LATCHING, R_ESCALATE_AFTER,
	R_TIERS, R_BEDS, R_PHASES, R_FLOOR, R_COUNT
};
/* The keys that say what a rule watches for: exactly one per rule. */
#define R_FIRST_CONDITION R_BELOW
#define R_LAST_CONDITION R_NO_BREATH_FOR
static const char s_conditions[] =
	"below, above, below_baseline, above_baseline, falls_by, rises_by or no_breath_for";
static const struct vt_cy_key s_rule_keys[R_COUNT + 1] = {
	[R_NAME] = {SCALAR("name", "a rule name such as spo2-low"), .handler = vt_cfg_rule_name,
	            .offset = RULE(name), .required = true},
	[R_PARAMETER] = {SCALAR("parameter", "a parameter such as spo2 or pr"),
	                 .handler = vt_cfg_parameter, .offset = RULE(param), .required = true},
	[R_BELOW] = {SCALAR("below", "a number"), .handler = vt_cfg_limit, .arg = -1},
	[R_ABOVE] = {SCALAR("above", "a number"), .handler = vt_cfg_limit, .arg = +1},
	[R_BELOW_BASELINE] = {SCALAR("below_baseline", "a fall such as 10, -10 or 30%"),
	                      .handler = vt_cfg_change, .arg = -1, .data = "baseline"},
	[R_ABOVE_BASELINE] = {SCALAR("above_baseline", "a rise such as 25, +25 or 30%"),
	                      .handler = vt_cfg_change, .arg = +1, .data = "baseline"},
	[R_FALLS_BY] = {SCALAR("falls_by", "a fall such as 4"), .handler = vt_cfg_change, .arg = -1},
	[R_RISES_BY] = {SCALAR("rises_by", "a rise such as 4"), .handler = vt_cfg_change, .arg = +1},
	/* Apnea: EtCO2 only (s_apnea_finish). */
	[R_NO_BREATH_FOR] = {SCALAR("no_breath_for", VT_CY_DURATION), .handler = vt_cfg_no_breath,
	                     .offset = RULE(no_breath_ms)},
	/* With no_breath_for only; defaults to 10 mmHg (s_apnea_finish). */
	[R_FLOOR] = {SCALAR("floor", "an EtCO2 in mmHg such as 10"), .handler = vt_cfg_floor},
	/* Required with falls_by and rises_by only (s_rule_finish). */
	[R_WITHIN] = {SCALAR("within", VT_CY_DURATION), .handler = vt_cy_duration_positive,
	              .offset = RULE(within_ms)},
	/* A duration; for a blood pressure, a number of measurements (s_spot_finish). */
	[R_FOR] = {SCALAR("for", VT_CY_DURATION), .handler = vt_cfg_for, .offset = RULE(for_ms), .dflt = "0s"},
	/* below/above only, and with for > 0 (s_rule_finish). */
	[R_AREA] = {SCALAR("area", AREA_WHAT), .handler = vt_cfg_area, .offset = RULE(area)},
	/* Defaults to the limit (s_rule_finish). */
	[R_CLEAR_AT] = {SCALAR("clear_at", "a number"), .handler = vt_cfg_clear_at},
	[R_PRIORITY] = {SCALAR("priority", "low, medium or high"), .handler = vt_cy_enum_value,
	                .offset = RULE(priority), .dflt = "medium", .data = s_priorities},
	[R_LATCHING] = {SCALAR("latching", "true or false"), .handler = vt_cy_bool,
	                .offset = RULE(latching), .dflt = "false"},
	[R_ESCALATE_AFTER] = {SCALAR("escalate_after", VT_CY_DURATION), .handler = vt_cy_duration,
	                      .offset = RULE(escalate_after_ms), .dflt = "0s"},
	/* Absent: the rule's own limit alone. */
	[R_TIERS] = {LIST("tiers", "a list of tiers"), .handler = s_tiers},
	/* Absent: every bed, every phase. */
	[R_BEDS] = {ONE_OR_MORE("beds", "a list of bed names"), .handler = vt_cfg_beds},
	[R_PHASES] = {ONE_OR_MORE("phases", "a list of phases"), .handler = vt_cfg_phases},
};

static vt_cy_handler s_monitors, s_rules, s_band;

/* Recovery: when the patient counts as back to baseline. */
enum { B_WITHIN, B_FOR, B_COUNT };
static const struct vt_cy_key s_btb_keys[B_COUNT + 1] = {
	[B_WITHIN] = {SCALAR("within", "a band around the baseline such as 10% or 5"),
	              .handler = s_band, .dflt = "10%"},
	[B_FOR] = {SCALAR("for", VT_CY_DURATION), .handler = vt_cy_duration_positive,
	           .offset = TOP(btb_for_ms), .dflt = "5m"},
};

/* What vitals-archive does with closed recordings (docs/recording.md). */
enum { RR_COMPRESS, RR_MAX_AGE_DAYS, RR_MAX_TOTAL_MB, RR_COUNT };
static const struct vt_cy_key s_retention_keys[RR_COUNT + 1] = {
	[RR_COMPRESS] = {SCALAR("compress", "true or false"), .handler = vt_cy_bool,
	                 .offset = TOP(record_compress), .dflt = "true"},
	[RR_MAX_AGE_DAYS] = {SCALAR("max_age_days", "a number of days"), .handler = vt_cfg_whole,
	                     .offset = TOP(record_max_age_days), .dflt = "0", .arg = 36500},
	[RR_MAX_TOTAL_MB] = {SCALAR("max_total_mb", "a number of megabytes"),
	                     .handler = vt_cfg_whole, .offset = TOP(record_max_total_mb), .dflt = "0",
	                     .arg = 100000000},
};

/* Transport security: both keys, or the section is absent. */
enum { C_SECRET_KEY, C_CLIENTS, C_COUNT };
static const struct vt_cy_key s_curve_keys[C_COUNT + 1] = {
	[C_SECRET_KEY] = {SCALAR("secret_key", "the absolute path of the daemon's key file, such as "
	                                       "/etc/vitalsd/curve/server.key"),
	                  .handler = vt_cfg_record_dir, .offset = TOP(curve_secret_key),
	                  .required = true},
	[C_CLIENTS] = {SCALAR("clients", "the absolute path of a directory of client public key "
	                                 "files (*.pub)"),
	               .handler = vt_cfg_record_dir, .offset = TOP(curve_clients), .required = true},
};

/* The operator's bounds: absent keys (or the whole section) take these defaults. */
#define LIM(f) offsetof(struct vt_config, limits.f)
static const struct vt_cy_range s_connections = {1, 100000}, s_queue = {10, 1000000},
                                s_rate = {1024, 1LL << 30}, s_day = {1 << 20, 1LL << 40},
                                s_file = {64 << 10, 1LL << 34}, s_replay = {1 << 20, 1LL << 40};
enum { L_PUB_CONN, L_CTL_CONN, L_QUEUE, L_RELOAD_INTERVAL, L_RELOAD_TIMEOUT, L_REC_RATE, L_REC_DAY,
       L_REC_FILE, L_REPLAY, L_HL7_IDLE, L_COUNT };
static const struct vt_cy_key s_limit_keys[L_COUNT + 1] = {
	[L_PUB_CONN] = {SCALAR("publish_connections", "a number of connections"),
	                .handler = vt_cy_integer, .offset = LIM(publish_connections), .dflt = "256",
	                .data = &s_connections},
	[L_CTL_CONN] = {SCALAR("control_connections", "a number of connections"),
	                .handler = vt_cy_integer, .offset = LIM(control_connections), .dflt = "64",
	                .data = &s_connections},
	[L_QUEUE] = {SCALAR("subscriber_queue", "a number of messages"), .handler = vt_cy_integer,
	             .offset = LIM(subscriber_queue), .dflt = "1000", .data = &s_queue},
	[L_RELOAD_INTERVAL] = {SCALAR("reload_interval", VT_CY_DURATION), .handler = vt_cy_duration,
	                       .offset = LIM(reload_interval_ms), .dflt = "1s"},
	[L_RELOAD_TIMEOUT] = {SCALAR("reload_timeout", VT_CY_DURATION),
	                      .handler = vt_cy_duration_positive, .offset = LIM(reload_timeout_ms),
	                      .dflt = "10s"},
	[L_REC_RATE] = {SCALAR("record_bytes_per_second", VT_CY_SIZE), .handler = vt_cy_size,
	                .offset = LIM(record_bytes_per_second), .dflt = "16KiB", .data = &s_rate},
	[L_REC_DAY] = {SCALAR("record_bytes_per_day", VT_CY_SIZE), .handler = vt_cy_size,
	               .offset = LIM(record_bytes_per_day), .dflt = "256MiB", .data = &s_day},
	[L_REC_FILE] = {SCALAR("record_file_size", VT_CY_SIZE), .handler = vt_cy_size,
	                .offset = LIM(record_file_size), .dflt = "16MiB", .data = &s_file},
	[L_REPLAY] = {SCALAR("replay_input_size", VT_CY_SIZE), .handler = vt_cy_size,
	              .offset = LIM(replay_input_size), .dflt = "256MiB", .data = &s_replay},
	/* An HL7 connection silent this long is closed (port_mllp.c). */
	[L_HL7_IDLE] = {SCALAR("hl7_idle_timeout", VT_CY_DURATION), .handler = vt_cy_duration_positive,
	                .offset = LIM(hl7_idle_ms), .dflt = "5m"},
};

enum { T_PUBLISH, T_CONTROL, T_HEARTBEAT, T_RECORD_DIR, T_MONITORS, T_RULES, T_BTB, T_CURVE,
       T_INSECURE, T_RETENTION, T_LIMITS, T_STATE_FILE, T_COUNT };
static const struct vt_cy_key s_top_keys[T_COUNT + 1] = {
	[T_PUBLISH] = {ONE_OR_MORE("publish", "a ZeroMQ endpoint such as tcp://127.0.0.1:5556, or "
	                                      "a list of them"),
	               .handler = vt_cfg_endpoints, .offset = TOP(publish),
	               .count_offset = TOP(n_publish), .required = true},
	/* Absent: no control socket. */
	[T_CONTROL] = {ONE_OR_MORE("control", "a ZeroMQ endpoint such as tcp://127.0.0.1:5557, or "
	                                      "a list of them"),
	               .handler = vt_cfg_endpoints, .offset = TOP(control),
	               .count_offset = TOP(n_control)},
	[T_HEARTBEAT] = {SCALAR("heartbeat", VT_CY_DURATION), .handler = vt_cy_duration_positive,
	                 .offset = TOP(heartbeat_ms), .dflt = "1s"},
	/* Absent: no recording. */
	[T_RECORD_DIR] = {SCALAR("record_dir", "an absolute directory path such as /var/lib/vitalsd"),
	                  .handler = vt_cfg_record_dir, .offset = TOP(record_dir)},
	[T_MONITORS] = {LIST("monitors", "a list of monitors"), .handler = s_monitors},
	[T_RULES] = {LIST("rules", "a list of rules"), .handler = s_rules},
	/* Absent: within 10 % for 5 min. */
	[T_BTB] = {SECTION("back_to_baseline", "a mapping with within and for"),
	           .handler = vt_cy_section, .data = s_btb_keys},
	/* Absent: plain TCP (bind to loopback or a trusted network only). */
	[T_CURVE] = {SECTION("curve", "a mapping with secret_key and clients"),
	             .handler = vt_cy_section, .data = s_curve_keys},
	/* Endpoints beyond loopback without CURVE are refused unless this says yes. */
	[T_INSECURE] = {SCALAR("allow_insecure_network", "true or false"), .handler = vt_cy_bool,
	                .offset = TOP(allow_insecure_network), .dflt = "false"},
	/* Absent: closed recordings compressed, none deleted. */
	[T_RETENTION] = {SECTION("record_retention", "a mapping with compress, max_age_days and "
	                                             "max_total_mb"),
	                 .handler = vt_cy_section, .data = s_retention_keys},
	/* Absent: every default of s_limit_keys. */
	[T_LIMITS] = {SECTION("limits", "a mapping of limits such as publish_connections"),
	              .handler = vt_cy_section, .data = s_limit_keys},
	/* Absent: $STATE_DIRECTORY/sessions.json under systemd, else no state kept. */
	[T_STATE_FILE] = {SCALAR("state_file", "an absolute file path such as "
	                                       "/var/lib/vitalsd/sessions.json"),
	                  .handler = vt_cfg_record_dir, .offset = TOP(state_file)},
};

_Static_assert(M_COUNT <= VT_CY_MAX_KEYS && R_COUNT <= VT_CY_MAX_KEYS && T_COUNT <= VT_CY_MAX_KEYS &&
                   L_COUNT <= VT_CY_MAX_KEYS,
               "a key table outgrew VT_CY_MAX_KEYS");

/* ---- entries: what needs more than one key ---------------------------------- */

/* A duration as the file would write it: "2s", "666ms", "5m". */
static const char *
s_ms(int64_t ms, char *buf, size_t len)
{
	if (ms > 0 && ms % 3600000 == 0)
		snprintf(buf, len, "%lldh", (long long)(ms / 3600000));
	else if (ms > 0 && ms % 60000 == 0)
		snprintf(buf, len, "%lldm", (long long)(ms / 60000));
	else if (ms > 0 && ms % 1000 == 0)
		snprintf(buf, len, "%llds", (long long)(ms / 1000));
	else
		snprintf(buf, len, "%lldms", (long long)ms);
	return buf;
}

/* Defaults that depend on the protocol, and checks between keys of a monitor. */
static void
s_monitor_finish(struct vt_cy *c, const char *path, const yaml_node_t *n,
                 struct vt_monitor_config *m, const struct vt_cy_seen *seen)
{
	if (!seen[M_PROTOCOL].ok)
		return;
	if (seen[M_BAUD].key == NULL)
		m->baud = m->driver->default_baud;
	if (seen[M_FLOW].key == NULL)
		m->flow = m->driver->default_flow;
	/* vitalsd listens for HL7 and for nothing else. */
	bool mllp = m->port != NULL && strncmp(m->port, "mllp://", 7) == 0;
	bool hl7 = strcmp(m->driver->name, "hl7-mllp") == 0;
	if (m->port != NULL && mllp != hl7)
		vt_cy_error(c, seen[M_PORT].value ? seen[M_PORT].value : n,
		            hl7 ? "%s.port: hl7-mllp listens for the monitor: expected mllp://HOST:PORT, "
		                  "the address and port to listen on"
		                : "%s.port: mllp:// is for protocol hl7-mllp", path);
	if (seen[M_HL7_ID].key != NULL && !hl7)
		vt_cy_error(c, seen[M_HL7_ID].key, "%s.hl7_id: only for protocol hl7-mllp", path);
	if (seen[M_PARITY].key == NULL)
		m->parity = m->driver->default_parity;
	if (seen[M_POLL].key != NULL && m->driver->default_poll_ms == 0)
		vt_cy_error(c, seen[M_POLL].key, "%s.poll: %s sends values without being asked; "
		            "poll is for protocols that are polled", path, m->driver->name);
	m->opts.datagram = m->port != NULL && strncmp(m->port, "udp://", 6) == 0;
	if (seen[M_ANNOUNCE].key != NULL && m->port != NULL && !m->opts.datagram)
		vt_cy_error(c, seen[M_ANNOUNCE].key, "%s.announce: only a udp:// port listens for a "
		            "monitor's announcement; %s is not one", path, m->port);
	m->opts = vt_driver_opts_resolve(m->driver, &m->opts);
	/* One late reading must not raise comm-lost. */
	int64_t period = vt_driver_period_ms(m->driver, &m->opts);
	bool stale_ok = seen[M_STALE_AFTER].key == NULL || seen[M_STALE_AFTER].ok;
	if (stale_ok && period > 0 && m->stale_after_ms < 2 * period) {
		char got[32], every[32], min[32];
		vt_cy_error(c, seen[M_STALE_AFTER].key ? seen[M_STALE_AFTER].value : n,
		            "%s.stale_after: %s is too short for %s, which %s a reading every %s; "
		            "expected at least %s",
		            path, s_ms(m->stale_after_ms, got, sizeof(got)), m->driver->name,
		            m->driver->default_poll_ms > 0 ? "is asked for" : "sends",
		            s_ms(period, every, sizeof(every)), s_ms(2 * period, min, sizeof(min)));
	}
}

/* Whether a is strictly beyond b in direction dir (deeper, for a limit). */
static bool
s_beyond(int dir, double a, double b)
{
	return dir < 0 ? a < b : a > b;
}

/* Checks between the keys of one tier; returns whether it is usable. */
static bool
s_tier_finish(struct vt_cy *c, const char *path, const yaml_node_t *n, struct vt_rule_config *t,
              const struct vt_cy_seen *seen)
{
	if (seen[TI_BELOW].key == NULL && seen[TI_ABOVE].key == NULL) {
		vt_cy_error(c, n, "%s: missing the tier's limit: below or above", path);
		return false;
	}
	if (seen[TI_BELOW].key != NULL && seen[TI_ABOVE].key != NULL) {
		int second = seen[TI_ABOVE].key->start_mark.index > seen[TI_BELOW].key->start_mark.index
		                 ? TI_ABOVE : TI_BELOW;
		vt_cy_error(c, seen[second].key, "%s.%s: a tier has exactly one of below or above",
		            path, s_tier_keys[second].name);
		return false;
	}
	bool ok = true;
	for (int i = 0; i < TI_COUNT; i++)
		ok &= seen[i].key == NULL || seen[i].ok;
	if (!ok)
		return false;
	if (seen[TI_CLEAR_AT].key == NULL) {
		t->clear_at = t->limit;
	} else if (s_beyond(t->direction, t->clear_at, t->limit)) {
		vt_cy_error(c, seen[TI_CLEAR_AT].value, "%s.clear_at: %g is %s the tier's limit %g; a "
		            "tier stops at or %s its limit", path, t->clear_at,
		            t->direction < 0 ? "below" : "above", t->limit,
		            t->direction < 0 ? "above" : "below");
		return false;
	}
	if (t->area > 0 && t->for_ms == 0) {
		vt_cy_error(c, seen[TI_AREA].key, "%s.area: needs for, the longest delay (with for: 0s "
		            "the tier is met at once and the area never counts)", path);
		return false;
	}
	return true;
}

/* tiers: up to VT_RULE_MAX_TIERS deeper limits; s_rule_finish checks them against the rule. */
static bool
s_tiers(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
        void *obj)
{
	struct vt_rule_config *r = obj;
	struct vt_check *chk = vt_check_of(c);
	size_t total = vt_cy_count(n);
	if (total > VT_RULE_MAX_TIERS) {
		vt_cy_error(c, n, "%s: %zu tiers; at most %d are supported", path, total,
		            VT_RULE_MAX_TIERS);
		return false;
	}
	bool ok = true;
	for (size_t i = 0; i < total; i++) {
		char ipath[VT_CY_PATH_MAX];
		struct vt_cy_seen seen[VT_CY_MAX_KEYS];
		struct vt_rule_config t = {0};
		const yaml_node_t *item = vt_cy_item(c, n, i);
		chk->tier_ok[i] = false;
		chk->tier_limit[i] = chk->tier_clear_at[i] = chk->tier_priority[i] = NULL;
		vt_cy_path_index(ipath, sizeof(ipath), path, i);
		if (item == NULL || !vt_cy_mapping(c, ipath, item, "a tier (a mapping with below or "
		                                   "above, for, area, clear_at and priority)",
		                                   s_tier_keys, &t, seen) ||
		    !s_tier_finish(c, ipath, item, &t, seen)) {
			ok = false;
			continue;
		}
		int lim = seen[TI_BELOW].key != NULL ? TI_BELOW : TI_ABOVE;
		chk->tier_ok[i] = true;
		chk->tier_direction[i] = t.direction;
		chk->tier_limit[i] = seen[lim].value;
		chk->tier_clear_at[i] = seen[TI_CLEAR_AT].value;
		chk->tier_priority[i] = seen[TI_PRIORITY].value;
		r->tiers[i] = (struct vt_rule_tier){.limit = t.limit, .clear_at = t.clear_at,
		                                    .for_ms = t.for_ms, .area = t.area,
		                                    .priority = t.priority};
	}
	r->n_tiers = total;
	return ok;
}

/*
 * area and tiers against the rule: below/above rules only; area with a
 * longest delay; each tier in the rule's direction, deeper and at least as
 * urgent as the one before, and stopping no later than the alarm clears.
 */
static void
s_depth_finish(struct vt_cy *c, const char *path, struct vt_rule_config *r,
               const struct vt_cy_seen *seen)
{
	struct vt_check *chk = vt_check_of(c);
	bool limit_rule = r->kind == VT_RULE_LIMIT;
	if (seen[R_AREA].key != NULL && !limit_rule)
		vt_cy_error(c, seen[R_AREA].key, "%s.area: only below and above rules take area", path);
	else if (seen[R_AREA].ok && r->for_ms == 0)
		vt_cy_error(c, seen[R_AREA].key, "%s.area: needs for, the longest delay: after it any "
		            "crossing alarms, however shallow", path);
	if (seen[R_TIERS].key == NULL)
		return;
	if (!limit_rule) {
		vt_cy_error(c, seen[R_TIERS].key, "%s.tiers: only below and above rules take tiers",
		            path);
		return;
	}
	if (r->escalate_after_ms > 0)
		vt_cy_error(c, seen[R_ESCALATE_AFTER].key, "%s.escalate_after: a rule with tiers takes "
		            "its priority from the value; remove escalate_after or the tiers", path);
	bool prev_ok = seen[R_PARAMETER].ok && (seen[R_PRIORITY].key == NULL || seen[R_PRIORITY].ok);
	double prev_limit = r->limit;
	enum vt_priority prev_prio = r->priority;
	for (size_t i = 0; i < r->n_tiers; i++) {
		char tpath[VT_CY_PATH_MAX], tiers[VT_CY_PATH_MAX];
		vt_cy_path_index(tpath, sizeof(tpath), vt_cy_path(tiers, sizeof(tiers), path, "tiers"),
		                 i);
		struct vt_rule_tier *t = &r->tiers[i];
		if (!chk->tier_ok[i] || !prev_ok) {
			prev_ok = false; /* one broken tier: the order after it means nothing */
			continue;
		}
		const char *key = r->direction < 0 ? "below" : "above";
		if (chk->tier_direction[i] != r->direction) {
			vt_cy_error(c, chk->tier_limit[i], "%s: the tiers of %s %s rule are %s limits too",
			            tpath, r->direction < 0 ? "a" : "an", key, key);
			prev_ok = false;
			continue;
		}
		vt_cfg_check_limit(c, tpath, chk->tier_limit[i], key, r, t->limit, false);
		if (!s_beyond(r->direction, t->limit, prev_limit))
			vt_cy_error(c, chk->tier_limit[i], "%s.%s: %g is not %s %g, the limit before it; "
			            "each tier goes deeper", tpath, key, t->limit, key, prev_limit);
		if (s_beyond(-r->direction, t->clear_at, r->clear_at))
			vt_cy_error(c, chk->tier_clear_at[i] ? chk->tier_clear_at[i] : chk->tier_limit[i],
			            "%s.clear_at: %g is past the rule's clear_at %g; a tier stops no later "
			            "than its alarm clears", tpath, t->clear_at, r->clear_at);
		if (chk->tier_priority[i] == NULL)
			t->priority = prev_prio;
		else if (t->priority < prev_prio)
			vt_cy_error(c, chk->tier_priority[i], "%s.priority: %s is less urgent than %s "
			            "before it; a deeper tier is at least as urgent", tpath,
			            vt_priority_name(t->priority), vt_priority_name(prev_prio));
		prev_limit = t->limit;
		prev_prio = t->priority;
	}
}

/*
 * A blood pressure is measured every few minutes: `for` counts measurements
 * (docs/alarms.md), and a delay in time means nothing for it. Other
 * parameters take a duration.
 */
static void
s_spot_finish(struct vt_cy *c, const char *path, struct vt_rule_config *r,
              const struct vt_cy_seen *seen)
{
	if (!seen[R_PARAMETER].ok || !seen[R_FOR].ok || seen[R_FOR].key == NULL)
		return;
	const struct vt_param_info *pi = vt_param_info(r->param);
	if (pi->episodic && r->for_count == 0 && r->for_ms > 0)
		vt_cy_error(c, seen[R_FOR].value, "%s.for: %s is measured every few minutes, so for "
		            "counts consecutive measurements; write a number such as 2", path, pi->name);
	else if (!pi->episodic && r->for_count > 0)
		vt_cy_error(c, seen[R_FOR].value, "%s.for: a duration needs a unit: ms, s, m or h (for "
		            "example 15s), got \"%s\" (a number alone counts the measurements of a blood "
		            "pressure)", path, vt_cy_text(seen[R_FOR].value));
	if (r->for_count > 0 && (r->area > 0 || r->kind == VT_RULE_RATE))
		vt_cy_error(c, seen[R_FOR].value, "%s.for: a number of measurements cannot go with %s",
		            path, r->kind == VT_RULE_RATE ? "a rate of change" : "area");
}

/* Apnea watches EtCO2; floor goes with it alone. */
static void
s_apnea_finish(struct vt_cy *c, const char *path, const yaml_node_t *n, struct vt_rule_config *r,
               const struct vt_cy_seen *seen)
{
	if (r->kind != VT_RULE_APNEA) {
		if (seen[R_FLOOR].key != NULL)
			vt_cy_error(c, seen[R_FLOOR].key, "%s.floor: only no_breath_for rules take a floor",
			            path);
		return;
	}
	if (seen[R_FLOOR].key == NULL)
		r->floor = 10;
	if (seen[R_PARAMETER].ok && r->param != VT_ETCO2)
		vt_cy_error(c, seen[R_PARAMETER].value, "%s.parameter: no_breath_for watches breaths on "
		            "the capnograph: expected etco2, got %s", path,
		            vt_param_info(r->param)->name);
	if (seen[R_FOR].key != NULL && (r->for_ms > 0 || r->for_count > 0))
		vt_cy_error(c, seen[R_FOR].key, "%s.for: no_breath_for is the delay of an apnea rule; "
		            "remove for", path);
}

static void
s_rule_finish(struct vt_cy *c, const char *path, const yaml_node_t *n, struct vt_rule_config *r,
              const struct vt_cy_seen *seen)
{
	/* Escalation raises one priority level; there is none above high. */
	bool priority_ok = seen[R_PRIORITY].key == NULL || seen[R_PRIORITY].ok;
	if (priority_ok && seen[R_ESCALATE_AFTER].ok && r->priority == VT_PRIO_HIGH &&
	    r->escalate_after_ms > 0)
		vt_cy_error(c, seen[R_ESCALATE_AFTER].key, "%s.escalate_after: a high-priority alarm "
		            "cannot escalate further; remove escalate_after or lower the priority", path);
	/* Exactly one condition key; the first one written wins the blame. */
	int first = -1, count = 0;
	for (int i = R_FIRST_CONDITION; i <= R_LAST_CONDITION; i++) {
		if (seen[i].key == NULL)
			continue;
		count++;
		if (first < 0 || seen[i].key->start_mark.index < seen[first].key->start_mark.index)
			first = i;
	}
	if (count == 0) {
		vt_cy_error(c, n, "%s: missing the condition: one of %s", path, s_conditions);
		return;
	}
	for (int i = R_FIRST_CONDITION; i <= R_LAST_CONDITION; i++)
		if (seen[i].key != NULL && i != first)
			vt_cy_error(c, seen[i].key, "%s.%s: a rule has exactly one of %s; this one already "
			            "has %s", path, s_rule_keys[i].name, s_conditions, s_rule_keys[first].name);
	if (count > 1 || !seen[first].ok)
		return;
	bool param_ok = seen[R_PARAMETER].ok;
	const char *cond = s_rule_keys[first].name;
	if (r->kind == VT_RULE_LIMIT && param_ok)
		vt_cfg_check_limit(c, path, seen[first].value, cond, r, r->limit, false);
	if (r->kind != VT_RULE_LIMIT && param_ok && !r->delta_percent) {
		double span = vt_cfg_param_span(r->param);
		if (span > 0 && r->delta > span)
			vt_cy_error(c, seen[first].value, "%s.%s: a change of %g is more than the whole "
			            "range of %s (%g %s)", path, cond, r->delta,
			            vt_param_info(r->param)->name, span, vt_param_info(r->param)->unit);
	}
	if (r->kind == VT_RULE_BASELINE && r->delta_percent && r->direction < 0 && r->delta >= 100)
		vt_cy_error(c, seen[first].value, "%s.%s: a fall of %g%% or more from baseline can never "
		            "happen; expected less than 100%%", path, cond, r->delta);
	/* within belongs to rate rules, and they cannot do without it. */
	if (r->kind == VT_RULE_RATE && seen[R_WITHIN].key == NULL)
		vt_cy_error(c, n, "%s: missing required key \"within\" (%s needs the time the change "
		            "happens in)", path, cond);
	if (r->kind != VT_RULE_RATE && seen[R_WITHIN].key != NULL)
		vt_cy_error(c, seen[R_WITHIN].key, "%s.within: only falls_by and rises_by rules take a "
		            "window", path);
	/* clear_at is the hysteresis of an absolute limit. */
	if (r->kind != VT_RULE_LIMIT && seen[R_CLEAR_AT].key != NULL) {
		vt_cy_error(c, seen[R_CLEAR_AT].key, "%s.clear_at: only below and above rules take "
		            "clear_at", path);
	} else if (r->kind == VT_RULE_LIMIT && !seen[R_CLEAR_AT].key) {
		r->clear_at = r->limit;
	} else if (r->kind == VT_RULE_LIMIT && seen[R_CLEAR_AT].ok) {
		const yaml_node_t *at = seen[R_CLEAR_AT].value;
		if (r->direction < 0 && r->clear_at < r->limit)
			vt_cy_error(c, at, "%s.clear_at: %g is below the limit %g; a below rule clears "
			            "at or above its limit", path, r->clear_at, r->limit);
		else if (r->direction > 0 && r->clear_at > r->limit)
			vt_cy_error(c, at, "%s.clear_at: %g is above the limit %g; an above rule clears "
			            "at or below its limit", path, r->clear_at, r->limit);
		else if (param_ok)
			vt_cfg_check_limit(c, path, at, "clear_at", r, r->clear_at, true);
	}
	s_depth_finish(c, path, r, seen);
	s_spot_finish(c, path, r, seen);
	s_apnea_finish(c, path, n, r, seen);
}

/* A list of entries (monitors, rules), or nothing; returns how many to read. */
static size_t
s_entries(struct vt_cy *c, const char *path, const yaml_node_t *n, size_t max)
{
	if (n->type != YAML_SEQUENCE_NODE)
		return 0; /* "monitors:" with nothing under it: none */
	size_t total = vt_cy_count(n);
	if (total > max) {
		vt_cy_error(c, n, "%s: %zu entries; at most %zu are supported (only the first %zu are "
		            "checked)", path, total, max, max);
		total = max;
	}
	return total;
}

static bool
s_monitors(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
           void *obj)
{
	struct vt_config *cfg = obj;
	size_t total = s_entries(c, path, n, VT_CONFIG_MAX_MONITORS);
	cfg->monitors = vt_cy_calloc(c, total, sizeof(*cfg->monitors));
	if (cfg->monitors == NULL || vt_check_monitors(vt_check_of(c), total) != 0)
		return false;
	cfg->n_monitors = total;
	for (size_t i = 0; i < total; i++) {
		char ipath[VT_CY_PATH_MAX];
		struct vt_cy_seen seen[VT_CY_MAX_KEYS];
		struct vt_monitor_config *m = &cfg->monitors[i];
		const yaml_node_t *item = vt_cy_item(c, n, i);
		if (item == NULL)
			continue;
		m->line = (int)item->start_mark.line + 1;
		vt_cy_path_index(ipath, sizeof(ipath), path, i);
		if (!vt_cy_mapping(c, ipath, item, "a monitor (a mapping with bed, port and protocol)",
		                   s_monitor_keys, m, seen))
			continue;
		s_monitor_finish(c, ipath, item, m, seen);
		vt_check_monitor_at(vt_check_of(c), i, seen[M_BED].ok ? seen[M_BED].value : NULL,
		                    seen[M_PORT].ok ? seen[M_PORT].value : NULL);
	}
	return true;
}

static bool
s_rules(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
        void *obj)
{
	struct vt_config *cfg = obj;
	size_t total = s_entries(c, path, n, VT_CONFIG_MAX_RULES);
	cfg->rules = vt_cy_calloc(c, total, sizeof(*cfg->rules));
	if (cfg->rules == NULL || vt_check_rules(vt_check_of(c), total) != 0)
		return false;
	cfg->n_rules = total;
	for (size_t i = 0; i < total; i++) {
		char ipath[VT_CY_PATH_MAX];
		struct vt_cy_seen seen[VT_CY_MAX_KEYS];
		struct vt_rule_config *r = &cfg->rules[i];
		const yaml_node_t *item = vt_cy_item(c, n, i);
		if (item == NULL)
			continue;
		r->line = (int)item->start_mark.line + 1;
		vt_cy_path_index(ipath, sizeof(ipath), path, i);
		vt_check_rule_begin(vt_check_of(c), i);
		if (!vt_cy_mapping(c, ipath, item, "a rule (a mapping with name, parameter and a "
		                   "condition)", s_rule_keys, r, seen))
			continue;
		s_rule_finish(c, ipath, item, r, seen);
		vt_check_rule_at(vt_check_of(c), i, seen[R_NAME].ok ? seen[R_NAME].value : NULL);
	}
	return true;
}

/* A band around the baseline: "10%" of it, or a number of the parameter's units. */
static bool
s_band(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
       void *obj)
{
	struct vt_config *cfg = obj;
	const char *s = vt_cy_text(n);
	char q[VT_CY_QUOTE_MAX], num[64];
	size_t len = strlen(s);
	bool percent = len > 0 && s[len - 1] == '%';
	double v;
	if (len - percent >= sizeof(num)) {
		vt_cy_error(c, n, "%s: expected %s, got %s", path, k->what, vt_cy_quote(s, q, sizeof(q)));
		return false;
	}
	memcpy(num, s, len - percent);
	num[len - percent] = '\0';
	if (vt_cy_parse_number(num, &v) != 0 || !(v > 0) || (percent && v >= 100)) {
		vt_cy_error(c, n, "%s: expected %s (more than 0%s), got %s", path, k->what,
		            percent ? " and less than 100%" : "", vt_cy_quote(s, q, sizeof(q)));
		return false;
	}
	cfg->btb_band = v;
	cfg->btb_band_percent = percent;
	return true;
}

/* ---- where values were written --------------------------------------------------- */

static struct vt_config_at
s_at(const yaml_node_t *n)
{
	struct vt_config_at at = {0, 0};
	if (n != NULL)
		at = (struct vt_config_at){(int)n->start_mark.line + 1, (int)n->start_mark.column + 1};
	return at;
}

/* The value of `name` in mapping `map`, or NULL. */
static const yaml_node_t *
s_value_of(struct vt_cy *c, const yaml_node_t *map, const char *name)
{
	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (const yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *key = yaml_document_get_node(&c->doc, p->key);
		if (key != NULL && key->type == YAML_SCALAR_NODE && strcmp(vt_cy_text(key), name) == 0)
			return yaml_document_get_node(&c->doc, p->value);
	}
	return NULL;
}

/* One position per endpoint of a publish or control value (a scalar or a list). */
static struct vt_config_at *
s_endpoint_positions(struct vt_cy *c, const yaml_node_t *n, size_t count)
{
	struct vt_config_at *at = vt_cy_calloc(c, count + 1, sizeof(*at));
	for (size_t i = 0; at != NULL && n != NULL && i < count; i++)
		at[i] = s_at(n->type == YAML_SEQUENCE_NODE ? vt_cy_item(c, n, i) : n);
	return at;
}

/* Remember where the values checked only when the daemon uses them were written. */
static void
s_positions(struct vt_cy *c, struct vt_config *cfg, const struct vt_cy_seen *seen)
{
	cfg->publish_at = s_endpoint_positions(c, seen[T_PUBLISH].value, cfg->n_publish);
	cfg->control_at = s_endpoint_positions(c, seen[T_CONTROL].value, cfg->n_control);
	cfg->curve_secret_key_at = s_at(s_value_of(c, seen[T_CURVE].value, "secret_key"));
	cfg->curve_clients_at = s_at(s_value_of(c, seen[T_CURVE].value, "clients"));
	cfg->state_file_at = s_at(seen[T_STATE_FILE].value);
}

/* ---- the public interface ------------------------------------------------------ */

/* The SHA-256 of the text, which recordings and reports name the configuration by. */
static void
s_checksum(struct vt_config *cfg, const char *text, size_t len)
{
	struct sha256_ctx ctx;
	uint8_t digest[SHA256_DIGEST_SIZE];
	sha256_init(&ctx);
	sha256_update(&ctx, len, (const uint8_t *)text);
	sha256_digest(&ctx, sizeof(digest), digest);
	for (size_t i = 0; i < sizeof(digest); i++)
		snprintf(cfg->sha256 + 2 * i, 3, "%02x", digest[i]);
}

bool
vt_rule_applies_to_bed(const struct vt_config *cfg, const struct vt_rule_config *r, size_t index)
{
	/* A configuration built by hand (tests) has no table: by name, then. */
	return r->applies != NULL ? r->applies[index]
	                          : vt_rule_applies_to(r, cfg->monitors[index].bed);
}

/* Which monitors each rule watches, as a table by index (vt_rule_applies_to_bed). */
static bool
s_applies_tables(struct vt_config *cfg)
{
	for (size_t r = 0; r < cfg->n_rules; r++) {
		struct vt_rule_config *rc = &cfg->rules[r];
		rc->applies = calloc(cfg->n_monitors + 1, sizeof(*rc->applies));
		if (rc->applies == NULL)
			return false;
		for (size_t b = 0; b < cfg->n_monitors; b++)
			rc->applies[b] = vt_rule_applies_to(rc, cfg->monitors[b].bed);
	}
	return true;
}

struct vt_config *
vt_config_parse(const char *name, const char *text, size_t len, struct vt_diag *diag)
{
	struct vt_diag scratch = {0};
	if (diag == NULL)
		diag = &scratch;
	if (name == NULL)
		name = "-";
	if (len > VT_CONFIG_MAX_BYTES) {
		vt_diag_add(diag, name, 0, 0, NULL, "too large (%zu bytes); a configuration file is at "
		            "most %d bytes", len, VT_CONFIG_MAX_BYTES);
		vt_diag_clear(&scratch);
		return NULL;
	}
	struct vt_config *cfg = calloc(1, sizeof(*cfg));
	struct vt_cy c;
	struct vt_check check;
	vt_check_init(&check, &c);
	if (vt_cy_open(&c, name, text, len) == 0) {
		c.user = &check;
		if (cfg == NULL || (cfg->path = vt_cy_strdup(&c, name)) == NULL) {
			vt_cy_oom(&c);
		} else {
			struct vt_cy_seen seen[VT_CY_MAX_KEYS];
			if (vt_cy_document(&c, "a mapping of settings (publish, monitors, rules, ...)",
			                   "missing required key \"publish\"", s_top_keys, cfg, seen)) {
				vt_check_finish(&check, cfg);
				s_positions(&c, cfg, seen);
			}
		}
	}
	bool failed = vt_cy_failed(&c) || cfg == NULL;
	vt_cy_close(&c, diag);
	vt_check_fini(&check);
	if (cfg == NULL)
		vt_diag_add(diag, name, 0, 0, NULL, "out of memory while reading the configuration");
	if (!failed && !s_applies_tables(cfg)) {
		vt_diag_add(diag, name, 0, 0, NULL, "out of memory while reading the configuration");
		failed = true;
	}
	if (failed)
		vt_config_free(&cfg);
	else
		s_checksum(cfg, text, len);
	vt_diag_clear(&scratch);
	return cfg;
}

struct vt_config *
vt_config_load(const char *path, struct vt_diag *diag)
{
	struct vt_diag scratch = {0};
	if (diag == NULL)
		diag = &scratch;
	size_t len = 0;
	char *buf = vt_cy_load(path, VT_CONFIG_MAX_BYTES, "a configuration file", diag, &len);
	struct vt_config *cfg = buf != NULL ? vt_config_parse(path, buf, len, diag) : NULL;
	free(buf);
	vt_diag_clear(&scratch);
	return cfg;
}

void
vt_config_free(struct vt_config **cfgp)
{
	if (cfgp == NULL || *cfgp == NULL)
		return;
	struct vt_config *cfg = *cfgp;
	free(cfg->path);
	vt_cfg_free_strings(cfg->publish, cfg->n_publish);
	vt_cfg_free_strings(cfg->control, cfg->n_control);
	free(cfg->record_dir);
	free(cfg->curve_secret_key);
	free(cfg->curve_clients);
	free(cfg->state_file);
	free(cfg->publish_at);
	free(cfg->control_at);
	for (size_t i = 0; cfg->monitors != NULL && i < cfg->n_monitors; i++) {
		free(cfg->monitors[i].bed);
		free(cfg->monitors[i].port);
		free(cfg->monitors[i].hl7_id);
		free(cfg->monitors[i].announce);
	}
	free(cfg->monitors);
	for (size_t i = 0; cfg->rules != NULL && i < cfg->n_rules; i++) {
		free(cfg->rules[i].name);
		vt_cfg_free_strings(cfg->rules[i].beds, cfg->rules[i].n_beds);
		free(cfg->rules[i].applies);
	}
	free(cfg->rules);
	free(cfg);
	*cfgp = NULL;
}

int
vt_config_bed_index(const struct vt_config *cfg, const char *bed)
{
	for (size_t i = 0; cfg != NULL && bed != NULL && i < cfg->n_monitors; i++)
		if (strcmp(cfg->monitors[i].bed, bed) == 0)
			return (int)i;
	return -1;
}

bool
vt_rule_applies_to(const struct vt_rule_config *r, const char *bed)
{
	if (r->n_beds == 0)
		return true;
	for (size_t i = 0; bed != NULL && i < r->n_beds; i++)
		if (strcmp(r->beds[i], bed) == 0)
			return true;
	return false;
}
