/*
 * The checks of the configuration loader that look at more than one value:
 * unique bed, port, rule and endpoint names, and rules that name beds.
 * They run once the whole file has been read, because YAML lets `rules`
 * come before `monitors`. Also the pure validators of names, paths, ports
 * and endpoints, which need no YAML. Internal to daemon/config*.c and to the
 * readers of other files that use the same walker (hub/config.c).
 */
#ifndef VITALS_CONFIG_CHECK_H
#define VITALS_CONFIG_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "vitals/config/config.h"
#include "vitals/config/yaml.h"

/* Where a value was written, for a message about it later. */
struct vt_check_ref {
	size_t owner;             /* rule index (bed references) */
	size_t item;              /* index in the owner's list */
	const yaml_node_t *node;  /* the value */
	char *path;               /* its key path, as messages show it */
};

/* What the cross-checks need to remember during one parse. */
struct vt_check {
	struct vt_cy *cy;                       /* the parse errors go to */
	struct vt_check_ref endpoints[2 * VT_CONFIG_MAX_ENDPOINTS]; /* publish, then control */
	size_t n_endpoints;
	const yaml_node_t **bed_nodes;          /* per monitor: its good bed value, or NULL */
	const yaml_node_t **port_nodes;         /* per monitor: its good port value, or NULL */
	size_t n_monitors;
	const yaml_node_t **name_nodes;         /* per rule: its good name value, or NULL */
	size_t n_rules;
	size_t cur_rule;                        /* the rule whose beds are being read */
	/* The tiers of the rule being read, for the checks against the rule:
	 * whether each one was read without error, its direction, and where its
	 * limit, clear_at and priority were written (NULL: not given). */
	bool tier_ok[VT_RULE_MAX_TIERS];
	int tier_direction[VT_RULE_MAX_TIERS];
	const yaml_node_t *tier_limit[VT_RULE_MAX_TIERS];
	const yaml_node_t *tier_clear_at[VT_RULE_MAX_TIERS];
	const yaml_node_t *tier_priority[VT_RULE_MAX_TIERS];
	struct vt_check_ref *bed_refs;          /* every bed a rule names */
	size_t n_bed_refs, cap_bed_refs;
};

/* Set up k for the parse cy; cy->user must then point at k. */
void vt_check_init(struct vt_check *k, struct vt_cy *cy);
/* The cross-check state of the parse c. */
struct vt_check *vt_check_of(struct vt_cy *c);
void vt_check_fini(struct vt_check *k);

/* Remember where values were written (nodes of good values only). */
void vt_check_endpoint_at(struct vt_check *k, const char *path, const yaml_node_t *n);
int vt_check_monitors(struct vt_check *k, size_t count);
void vt_check_monitor_at(struct vt_check *k, size_t i, const yaml_node_t *bed,
                         const yaml_node_t *port);
int vt_check_rules(struct vt_check *k, size_t count);
void vt_check_rule_begin(struct vt_check *k, size_t rule);
void vt_check_rule_at(struct vt_check *k, size_t rule, const yaml_node_t *name);
void vt_check_rule_bed_at(struct vt_check *k, size_t item, const char *path, const yaml_node_t *n);

/* Run every cross-check on the parsed cfg, reporting into k->cy. */
void vt_check_finish(struct vt_check *k, const struct vt_config *cfg);
/* The endpoints bound beyond loopback without CURVE, refused unless allowed
 * (part of vt_check_finish; vitals-hub's file has the same rule). */
void vt_check_network(struct vt_check *k, bool curve, bool allow_insecure);

/* Validators. Names return whether s is acceptable; the others return NULL
 * or what was expected, for "PATH: WHY, got VALUE". */
bool vt_check_bed_name(const char *s);
bool vt_check_rule_name(const char *s);
bool vt_check_path(const char *s);
const char *vt_check_port(const char *s);
/* Whether `s` is HOST:PORT (HOST a name, an IPv4 address or a bracketed
 * IPv6 address; PORT 1-65535), or HOST alone with `port_optional`. */
bool vt_check_host_port(const char *s, bool port_optional);
const char *vt_check_endpoint(const char *s);
/* Whether a valid endpoint is reachable only from this machine (loopback
 * addresses, localhost, ipc://). */
bool vt_check_endpoint_is_local(const char *s);

#endif
