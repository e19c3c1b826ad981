/*
 * The configuration: what the YAML file says, checked and resolved. The
 * loader reads the whole file and reports every problem it finds as
 * FILE:LINE:COLUMN, so an administrator fixes a file in one pass. A config
 * that loaded is complete and consistent: the rest of the daemon never
 * re-validates it.
 */
#ifndef VITALS_CONFIG_H
#define VITALS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vitals/base/diag.h"
#include "vitals/base/sample.h"
#include "vitals/base/vocab.h"
#include "vitals/drivers/driver.h"

/*
 * Limits of a configuration file. They bound the work a hostile or broken
 * file can cause and keep names short enough for topics and alert ids
 * (BED/RULE/N fits VT_ALERT_ID_MAX).
 */
#define VT_CONFIG_MAX_BYTES (1024 * 1024) /* the whole file */
#define VT_CONFIG_MAX_MONITORS 256        /* entries under monitors */
#define VT_CONFIG_MAX_RULES 256           /* entries under rules */
#define VT_CONFIG_MAX_ENDPOINTS 16        /* endpoints under publish, and under control */
#define VT_CONFIG_NAME_MAX 64             /* characters in a bed or rule name */
#define VT_RULE_MAX_TIERS 4               /* tiers under a rule, beyond its own limit */

struct vt_monitor_config {
	char *bed;                       /* bed (chair) name; unique */
	char *port;                      /* device path, pty path, tcp://HOST:PORT,
	                                    mllp://HOST:PORT (vitalsd listens), or
	                                    udp://HOST[:PORT] (a monitor on a LAN) */
	char *announce;                  /* udp://: where the monitor announces itself; NULL: default */
	const struct vt_driver *driver;  /* from `protocol` */
	int baud;                        /* line speed; the driver's default if not given */
	enum vt_flow flow;               /* flow control; the driver's default if not given */
	enum vt_parity parity;           /* parity; the driver's default if not given */
	int64_t stale_after_ms;          /* silence before comm-lost / no-data */
	int64_t nibp_stale_after_ms;     /* a spot measurement (NIBP) is current this long */
	struct vt_driver_opts opts;      /* resolved: poll period, datagram port */
	char *hl7_id;                    /* hl7-mllp: take only this sender's messages; NULL: all */
	int line;                        /* line of the entry in the file, for messages */
};

enum vt_rule_kind {
	VT_RULE_LIMIT,    /* below / above an absolute limit */
	VT_RULE_BASELINE, /* below_baseline / above_baseline */
	VT_RULE_RATE,     /* falls_by / rises_by within a window */
	VT_RULE_APNEA     /* no_breath_for: no breath (EtCO2 under a floor) for that long */
};

/*
 * A deeper limit of a below/above rule (docs/alarms.md, "Tiers"): while it
 * is met the rule's one alarm has this tier's priority. Tiers go deeper
 * one after the other and are never less urgent than the one before.
 */
struct vt_rule_tier {
	double limit;           /* strictly beyond it, in the rule's direction */
	double clear_at;        /* back at or past it, the tier stops (= limit if not given) */
	int64_t for_ms;         /* met once beyond the limit this long (default 0s) */
	double area;            /* or once the depth beyond it over time reaches this (unit·s); 0: no */
	enum vt_priority priority; /* default: the priority of the tier (or rule) before it */
};

struct vt_rule_config {
	char *name;             /* unique; appears in alert ids BED/RULE/N */
	enum vt_param param;    /* the watched parameter */
	enum vt_rule_kind kind;
	int direction;          /* -1: below / falls, +1: above / rises */
	double limit;           /* LIMIT: the threshold */
	double clear_at;        /* LIMIT: the hysteresis value (= limit if not given) */
	bool clear_at_set;      /* clear_at was written in the file */
	double delta;           /* BASELINE: the offset; RATE: the change */
	bool delta_percent;     /* BASELINE: delta is a percentage of baseline */
	double delta_or;        /* BASELINE: a second offset (`20% or 25`), 0: none; the limit
	                           nearer the baseline is the one in force */
	bool delta_or_percent;  /* delta_or is a percentage of baseline */
	int for_count;          /* spot measurements (NIBP): `for` counts consecutive
	                           measurements; 0: `for` is for_ms */
	int64_t no_breath_ms;   /* APNEA: how long without a breath raises */
	double floor;           /* APNEA: EtCO2 below this is no breath (default 10 mmHg) */
	int64_t within_ms;      /* RATE: the window */
	int64_t for_ms;         /* alarm-condition delay; with `area`, the longest one */
	double area;            /* LIMIT: raise once the depth beyond the limit integrated over
	                           time reaches this (unit·s), or at `for`; 0: `for` alone */
	struct vt_rule_tier tiers[VT_RULE_MAX_TIERS]; /* LIMIT: deeper limits, deeper priorities */
	size_t n_tiers;
	enum vt_priority priority;
	bool latching;          /* stays active until acknowledged */
	int64_t escalate_after_ms; /* 0: never escalate */
	char **beds;            /* beds the rule applies to; none = every bed */
	size_t n_beds;
	unsigned phases;        /* VT_PHASE_BIT set; 0 = every phase */
	int line;               /* line of the entry in the file */
	bool *applies;          /* per monitor index: whether the rule watches it */
};

/*
 * The bounds an operator can set (the `limits` section), each with a safe
 * default: what keeps a hostile client, a broken monitor or a careless
 * administrator from taking the daemon's descriptors, memory, CPU or disk.
 * docs/reliability.md gives each one's default and what it was tried at.
 */
struct vt_limits {
	int64_t publish_connections;    /* connections at once on each publish endpoint */
	int64_t control_connections;    /* connections at once on each control endpoint */
	int64_t subscriber_queue;       /* messages queued per subscriber before it loses them */
	int64_t reload_interval_ms;     /* at most one reload this often */
	int64_t reload_timeout_ms;      /* reading a reload's files takes at most this */
	int64_t record_bytes_per_second; /* a port's sustained recording rate */
	int64_t record_bytes_per_day;   /* what a port may record in one UTC day */
	int64_t record_file_size;       /* a recording file is closed and another begun past this */
	int64_t replay_input_size;      /* bytes of one recording --replay reads */
	int64_t hl7_idle_ms;            /* an HL7 (mllp://) connection silent this long is closed */
};

/* Where a value was written (1-based; 0 when not in the file), for checks made later. */
struct vt_config_at {
	int line, column;
};

struct vt_config {
	char *path;             /* file it came from */
	char sha256[65];        /* SHA-256 of its text in hex: which configuration, exactly */
	char **publish;         /* ZeroMQ PUB endpoints, at least one */
	size_t n_publish;
	char **control;         /* ZeroMQ ROUTER endpoints; none = no control socket */
	size_t n_control;
	int64_t heartbeat_ms;   /* heartbeat interval (default 1 s) */
	char *record_dir;       /* where sessions are recorded, or NULL */
	/* record_retention: what vitals-archive does with closed recordings */
	bool record_compress;        /* gzip them (default true) */
	int64_t record_max_age_days; /* delete those older (0: keep) */
	int64_t record_max_total_mb; /* delete the oldest while all are more (0: no limit) */
	struct vt_monitor_config *monitors;
	size_t n_monitors;
	struct vt_rule_config *rules;
	size_t n_rules;
	/* recovery: when every watched parameter is back near its baseline */
	double btb_band;        /* how far from baseline counts as back (default 10 %) */
	bool btb_band_percent;  /* btb_band is a percentage of the baseline */
	int64_t btb_for_ms;     /* for how long (default 5 min) */
	/* transport security: CURVE on the PUB and control sockets when set */
	char *curve_secret_key; /* the daemon's key file (vitalsctl keygen), or NULL */
	char *curve_clients;    /* directory of allowed clients' public key files (*.pub) */
	bool allow_insecure_network; /* endpoints beyond loopback may go without CURVE */
	struct vt_limits limits;
	/* where infusion sessions are kept across restarts, or NULL (then
	 * $STATE_DIRECTORY/sessions.json when systemd gives one, else none) */
	char *state_file;
	/* where some values were written, for what is checked when they are used */
	struct vt_config_at *publish_at, *control_at; /* one per endpoint */
	struct vt_config_at curve_secret_key_at, curve_clients_at, state_file_at;
};

/*
 * Parse configuration text. `name` is used in messages. Returns the config,
 * or NULL with every problem appended to `diag`. Pure: no I/O.
 */
struct vt_config *vt_config_parse(const char *name, const char *text, size_t len,
                                  struct vt_diag *diag);

/* Read and parse the file at `path`. NULL with diagnostics on failure. */
struct vt_config *vt_config_load(const char *path, struct vt_diag *diag);

/* Free a config and set *cfg to NULL. Accepts NULL and *cfg == NULL. */
void vt_config_free(struct vt_config **cfg);

/* Index of the monitor of `bed`, or -1. */
int vt_config_bed_index(const struct vt_config *cfg, const char *bed);

/* Whether rule `r` applies to bed `bed`. */
bool vt_rule_applies_to(const struct vt_rule_config *r, const char *bed);
/* The same for the monitor at `index` of cfg, at no cost (a table made at loading). */
bool vt_rule_applies_to_bed(const struct vt_config *cfg, const struct vt_rule_config *r,
                            size_t index);

/* Every parameter the monitor `m` can ever give: its driver's (docs/alarms.md,
 * "What a bed measures"); everything for one built without a driver. */
vt_param_mask vt_monitor_measures(const struct vt_monitor_config *m);

/*
 * The rules inactive on some bed because its monitor never gives their
 * parameter: one note ("note: chair-1 and chair-2 (nonin-df7) do not measure
 * hr or etco2: inactive there: hr-high, apnea") per set of beds lacking the
 * same parameters, at the line of the first, appended to `notes`. Not an
 * error: one rule file serves mixed beds. Returns how many notes.
 */
size_t vt_config_inactive_rules(const struct vt_config *cfg, struct vt_diag *notes);

#endif
