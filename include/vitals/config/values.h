/*
 * Handlers for single configuration values (daemon/config/values.c), named
 * by the key tables of config.c, and of the hub's and the HL7 bridge's
 * files, which are read under the same rules.
 */
#ifndef VITALS_CONFIG_VALUES_H
#define VITALS_CONFIG_VALUES_H

#include "vitals/config/config.h"
#include "vitals/config/yaml.h"

/* Top level. */
vt_cy_handler vt_cfg_endpoints;  /* publish, control: one endpoint or a list */
vt_cy_handler vt_cfg_endpoint;   /* one endpoint of another program, connected to (char *) */
vt_cy_handler vt_cfg_record_dir; /* an absolute directory path */

/* monitors[]. */
vt_cy_handler vt_cfg_bed;        /* a bed name */
vt_cy_handler vt_cfg_port;       /* a device path, tcp://HOST:PORT, mllp://HOST:PORT or
                                    udp://HOST[:PORT] */
vt_cy_handler vt_cfg_hl7_id;     /* an HL7 sender's bed or device id */
vt_cy_handler vt_cfg_announce;   /* HOST:PORT to listen on */
vt_cy_handler vt_cfg_protocol;   /* a registered driver */
vt_cy_handler vt_cfg_whole;      /* a whole number from 0 to k->arg (int64_t) */
vt_cy_handler vt_cfg_baud;       /* a standard line speed */

/* rules[]. */
vt_cy_handler vt_cfg_rule_name;  /* a rule name, not a technical alarm's */
vt_cy_handler vt_cfg_parameter;  /* a parameter name */
vt_cy_handler vt_cfg_limit;      /* below, above; k->arg is the direction */
vt_cy_handler vt_cfg_change;     /* *_baseline (k->data set), falls_by, rises_by */
vt_cy_handler vt_cfg_clear_at;   /* the hysteresis value */
vt_cy_handler vt_cfg_for;        /* a duration, or a number of measurements */
vt_cy_handler vt_cfg_no_breath;  /* no_breath_for: an apnea rule's delay */
vt_cy_handler vt_cfg_floor;      /* floor: an apnea rule's EtCO2 breath threshold */
vt_cy_handler vt_cfg_area;       /* a depth-time integral: a number above 0 */
vt_cy_handler vt_cfg_beds;       /* bed names (checked against monitors later) */
vt_cy_handler vt_cfg_phases;     /* phase names, into a bit set */

/* Free the first n strings of v, then v (a list vt_cfg_endpoints made); v may be NULL. */
void vt_cfg_free_strings(char **v, size_t n);

/*
 * Report at `at` a limit `v` (of key `key` in rule `r` at `path`) that the
 * rule's parameter cannot take, or that could never be crossed (a below
 * limit at the bottom of the range). `is_clear`: v is a clear_at value.
 */
void vt_cfg_check_limit(struct vt_cy *c, const char *path, const yaml_node_t *at,
                        const char *key, const struct vt_rule_config *r, double v, bool is_clear);

/* Width of the range parameter p can take (0 if unknown). */
double vt_cfg_param_span(enum vt_param p);

#endif
