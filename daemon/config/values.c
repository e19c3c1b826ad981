/*
 * Handlers for single values of the configuration file: endpoints, paths,
 * names, protocols, line speeds, parameters and rule conditions. Each one
 * checks one YAML value, says precisely what was expected when it is
 * wrong, and stores it. The key tables in config.c name them; the checks
 * that involve more than one key are there too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/base/vocab.h"
#include "vitals/config/check.h"
#include "vitals/config/config.h"
#include "vitals/config/values.h"
#include "vitals/config/yaml.h"

/* The line speeds a UART and libserialport can be asked for. */
static const int s_bauds[] = {300,   600,   1200,   2400,   4800,   9600,  19200,
                              38400, 57600, 115200, 230400, 460800, 921600};

/* ---- value handlers ------------------------------------------------------ */

/* An endpoint list: one string or a list of strings (publish, control). */
bool
vt_cfg_endpoints(struct vt_cy *c, const char *path, const yaml_node_t *n,
                 const struct vt_cy_key *k, void *obj)
{
	char ***list = (char ***)((char *)obj + k->offset);
	size_t *count = (size_t *)((char *)obj + k->count_offset);
	bool single = n->type == YAML_SCALAR_NODE;
	size_t total = single ? 1 : vt_cy_count(n);
	char q[VT_CY_QUOTE_MAX];
	if (!vt_cy_list_length(c, path, n, total, k->required, VT_CONFIG_MAX_ENDPOINTS, "endpoint",
	                       "endpoints"))
		return false;
	*list = vt_cy_calloc(c, total, sizeof(char *));
	if (*list == NULL)
		return false;
	bool ok = true;
	for (size_t i = 0; i < total; i++) {
		char ipath[VT_CY_PATH_MAX];
		const yaml_node_t *item = single ? n : vt_cy_item(c, n, i);
		if (item == NULL) {
			ok = false;
			continue;
		}
		if (single)
			snprintf(ipath, sizeof(ipath), "%s", path);
		else
			vt_cy_path_index(ipath, sizeof(ipath), path, i);
		const char *s = vt_cy_scalar(c, ipath, item, "a ZeroMQ endpoint such as "
		                             "tcp://127.0.0.1:5556");
		const char *why = s ? vt_check_endpoint(s) : NULL;
		if (s == NULL || why != NULL) {
			if (why != NULL)
				vt_cy_error(c, item, "%s: %s, got %s", ipath, why, vt_cy_quote(s, q, sizeof(q)));
			ok = false;
			continue;
		}
		(*list)[i] = vt_cy_strdup(c, s);
		vt_check_endpoint_at(vt_check_of(c), ipath, item);
	}
	*count = total;
	return ok;
}

/*
 * Another program's endpoint (a daemon's, from the hub or the HL7 bridge):
 * checked as publish and control are, but not one this process binds, so
 * not counted among the endpoints the network rule looks at.
 */
bool
vt_cfg_endpoint(struct vt_cy *c, const char *path, const yaml_node_t *n,
                const struct vt_cy_key *k, void *obj)
{
	const char *s = vt_cy_text(n);
	const char *why = vt_check_endpoint(s);
	if (why != NULL) {
		char q[VT_CY_QUOTE_MAX];
		vt_cy_error(c, n, "%s: %s, got %s", path, why, vt_cy_quote(s, q, sizeof(q)));
		return false;
	}
	return vt_cy_store_text(c, s, k, obj);
}

bool
vt_cfg_record_dir(struct vt_cy *c, const char *path, const yaml_node_t *n,
                  const struct vt_cy_key *k, void *obj)
{
	const char *s = vt_cy_text(n);
	if (!vt_check_path(s)) {
		char q[VT_CY_QUOTE_MAX];
		vt_cy_error(c, n, "%s: expected %s, got %s", path, k->what, vt_cy_quote(s, q, sizeof(q)));
		return false;
	}
	return vt_cy_store_text(c, s, k, obj);
}

bool
vt_cfg_bed(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
           void *obj)
{
	const char *s = vt_cy_text(n);
	bool ok = vt_check_bed_name(s);
	if (!ok) {
		char q[VT_CY_QUOTE_MAX];
		vt_cy_error(c, n,
		            "%s: expected a bed name of letters, digits, '_', '.' and '-' that starts with "
		            "a letter or digit (at most %d characters), got %s",
		            path, VT_CONFIG_NAME_MAX, vt_cy_quote(s, q, sizeof(q)));
	}
	/* Kept even when malformed, so rules naming it do not report it again. */
	vt_cy_store_text(c, s, k, obj);
	return ok;
}

bool
vt_cfg_port(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
            void *obj)
{
	const char *s = vt_cy_text(n);
	const char *why = vt_check_port(s);
	if (why != NULL) {
		char q[VT_CY_QUOTE_MAX];
		vt_cy_error(c, n, "%s: %s, got %s", path, why, vt_cy_quote(s, q, sizeof(q)));
		return false;
	}
	return vt_cy_store_text(c, s, k, obj);
}

bool
vt_cfg_hl7_id(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
              void *obj)
{
	const char *s = vt_cy_text(n);
	size_t len = strlen(s);
	bool printable = true;
	for (size_t i = 0; i < len; i++)
		printable &= s[i] > ' ' && s[i] < 0x7F;
	if (len == 0 || len > VT_CONFIG_NAME_MAX || !printable) {
		char q[VT_CY_QUOTE_MAX];
		vt_cy_error(c, n, "%s: expected %s (1 to %d printable characters, no spaces), got %s",
		            path, k->what, VT_CONFIG_NAME_MAX, vt_cy_quote(s, q, sizeof(q)));
		return false;
	}
	return vt_cy_store_text(c, s, k, obj);
}

bool
vt_cfg_announce(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
                void *obj)
{
	const char *s = vt_cy_text(n);
	if (!vt_check_host_port(s, false)) {
		char q[VT_CY_QUOTE_MAX];
		vt_cy_error(c, n, "%s: expected %s, got %s", path, k->what, vt_cy_quote(s, q, sizeof(q)));
		return false;
	}
	return vt_cy_store_text(c, s, k, obj);
}

bool
vt_cfg_protocol(struct vt_cy *c, const char *path, const yaml_node_t *n,
                const struct vt_cy_key *k, void *obj)
{
	const char *s = vt_cy_text(n);
	const struct vt_driver *d = vt_driver_find(s);
	if (d == NULL) {
		char names[512], q[VT_CY_QUOTE_MAX];
		size_t o = 0;
		names[0] = '\0';
		for (size_t i = 0; vt_drivers[i] != NULL && o < sizeof(names); i++)
			o += (size_t)snprintf(names + o, sizeof(names) - o, "%s%s", i ? ", " : "",
			                      vt_drivers[i]->name);
		vt_cy_error(c, n, "%s: unknown protocol %s; expected one of: %s", path,
		            vt_cy_quote(s, q, sizeof(q)), names);
		return false;
	}
	memcpy((char *)obj + k->offset, &d, sizeof(d));
	return true;
}

bool
vt_cfg_whole(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
             void *obj)
{
	const char *s = vt_cy_text(n);
	size_t len = strspn(s, "0123456789");
	int64_t v = len > 0 && len <= 10 && s[len] == '\0' ? strtoll(s, NULL, 10) : -1;
	if (v < 0 || v > k->arg) {
		char q[VT_CY_QUOTE_MAX];
		vt_cy_error(c, n, "%s: expected a whole number from 0 to %d, got %s", path, k->arg,
		            vt_cy_quote(s, q, sizeof(q)));
		return false;
	}
	memcpy((char *)obj + k->offset, &v, sizeof(v));
	return true;
}

bool
vt_cfg_baud(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
            void *obj)
{
	const char *s = vt_cy_text(n);
	size_t len = strspn(s, "0123456789");
	int v = len > 0 && len <= 7 && s[len] == '\0' ? atoi(s) : -1;
	for (size_t i = 0; i < sizeof(s_bauds) / sizeof(s_bauds[0]); i++) {
		if (v == s_bauds[i]) {
			memcpy((char *)obj + k->offset, &v, sizeof(v));
			return true;
		}
	}
	char rates[200], q[VT_CY_QUOTE_MAX];
	size_t o = 0;
	for (size_t i = 0; i < sizeof(s_bauds) / sizeof(s_bauds[0]); i++)
		o += (size_t)snprintf(rates + o, sizeof(rates) - o, "%s%d", i ? ", " : "", s_bauds[i]);
	vt_cy_error(c, n, "%s: expected a standard baud rate (%s), got %s", path, rates,
	            vt_cy_quote(s, q, sizeof(q)));
	return false;
}

bool
vt_cfg_rule_name(struct vt_cy *c, const char *path, const yaml_node_t *n,
                 const struct vt_cy_key *k, void *obj)
{
	const char *s = vt_cy_text(n);
	char q[VT_CY_QUOTE_MAX];
	if (!vt_check_rule_name(s)) {
		vt_cy_error(c, n,
		            "%s: expected a rule name of lowercase letters, digits, '_' and '-' that starts "
		            "with a letter or digit (at most %d characters), got %s",
		            path, VT_CONFIG_NAME_MAX, vt_cy_quote(s, q, sizeof(q)));
		return false;
	}
	/* Alert ids are BED/RULE/N for both kinds: the names must not collide. */
	for (int t = 0; t < VT_TECH_COUNT; t++) {
		if (strcmp(s, vt_technical_name((enum vt_technical)t)) == 0) {
			vt_cy_error(c, n, "%s: %s is the name of a built-in technical alarm; choose another",
			            path, vt_cy_quote(s, q, sizeof(q)));
			return false;
		}
	}
	return vt_cy_store_text(c, s, k, obj);
}

bool
vt_cfg_parameter(struct vt_cy *c, const char *path, const yaml_node_t *n,
                 const struct vt_cy_key *k, void *obj)
{
	const char *s = vt_cy_text(n);
	int p = vt_param_by_name(s);
	if (p < 0) {
		char names[256], q[VT_CY_QUOTE_MAX];
		size_t o = 0;
		for (int i = 0; i < VT_PARAM_COUNT && o < sizeof(names); i++)
			o += (size_t)snprintf(names + o, sizeof(names) - o, "%s%s", i ? ", " : "",
			                      vt_param_info((enum vt_param)i)->name);
		vt_cy_error(c, n, "%s: unknown parameter %s; expected one of: %s", path,
		            vt_cy_quote(s, q, sizeof(q)), names);
		return false;
	}
	enum vt_param v = (enum vt_param)p;
	memcpy((char *)obj + k->offset, &v, sizeof(v));
	return true;
}

/* A number into *out, or an error "expected a number". */
static bool
s_number(struct vt_cy *c, const char *path, const yaml_node_t *n, double *out)
{
	const char *s = vt_cy_text(n);
	if (vt_cy_parse_number(s, out) != 0) {
		char q[VT_CY_QUOTE_MAX];
		vt_cy_error(c, n, "%s: expected a number, got %s", path, vt_cy_quote(s, q, sizeof(q)));
		return false;
	}
	return true;
}

/* below / above: an absolute limit; k->arg is the direction. */
bool
vt_cfg_limit(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
             void *obj)
{
	struct vt_rule_config *r = obj;
	double v;
	if (!s_number(c, path, n, &v))
		return false;
	r->kind = VT_RULE_LIMIT;
	r->direction = k->arg;
	r->limit = v;
	return true;
}

/*
 * A change: "25", "+25", "-10", and for baselines (k->data set) "30%". The
 * sign is optional but must agree with the key (k->arg: -1 below/falls,
 * +1 above/rises), so "below_baseline: -10" and "below_baseline: 10"
 * agree and "above_baseline: -10" is refused rather than guessed at.
 */
/*
 * One change: "25", "+25", "-10" or "30%" (percent only for baselines).
 * Its size into *v, whether it is a percentage into *percent.
 */
static bool
s_change(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
         const char *s, double *v, bool *percent)
{
	bool baseline = k->data != NULL;
	char q[VT_CY_QUOTE_MAX], num[64];
	size_t len = strlen(s);
	*percent = len > 0 && s[len - 1] == '%';
	if (*percent && !baseline) {
		vt_cy_error(c, n, "%s: a rate of change is in the parameter's own unit; write it without "
		            "%%, got %s", path, vt_cy_quote(vt_cy_text(n), q, sizeof(q)));
		return false;
	}
	if (len - *percent >= sizeof(num)) {
		vt_cy_error(c, n, "%s: expected %s, got %s", path, k->what,
		            vt_cy_quote(vt_cy_text(n), q, sizeof(q)));
		return false;
	}
	memcpy(num, s, len - *percent);
	num[len - *percent] = '\0';
	if (vt_cy_parse_number(num, v) != 0) {
		vt_cy_error(c, n, "%s: expected %s, got %s", path, k->what,
		            vt_cy_quote(vt_cy_text(n), q, sizeof(q)));
		return false;
	}
	if ((num[0] == '-' && k->arg > 0) || (num[0] == '+' && k->arg < 0)) {
		vt_cy_error(c, n, "%s: %s is a %s; %s takes %s", path, vt_cy_quote(s, q, sizeof(q)),
		            k->arg > 0 ? "fall" : "rise", k->name, k->what);
		return false;
	}
	*v = *v < 0 ? -*v : *v;
	if (!(*v > 0)) {
		vt_cy_error(c, n, "%s: expected a change greater than 0, got %s", path,
		            vt_cy_quote(s, q, sizeof(q)));
		return false;
	}
	return true;
}

/*
 * below_baseline, above_baseline (k->data set), falls_by, rises_by. A
 * baseline change may name two, one a percentage and one in the unit,
 * "20% or 25": whichever is crossed first (docs/alarms.md).
 */
bool
vt_cfg_change(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
              void *obj)
{
	struct vt_rule_config *r = obj;
	const char *s = vt_cy_text(n);
	char q[VT_CY_QUOTE_MAX], first[64];
	const char *or = strstr(s, " or ");
	if (or != NULL && k->data == NULL) {
		vt_cy_error(c, n, "%s: expected %s, got %s", path, k->what, vt_cy_quote(s, q, sizeof(q)));
		return false;
	}
	size_t len = or != NULL ? (size_t)(or - s) : strlen(s);
	if (len >= sizeof(first)) {
		vt_cy_error(c, n, "%s: expected %s, got %s", path, k->what, vt_cy_quote(s, q, sizeof(q)));
		return false;
	}
	memcpy(first, s, len);
	first[len] = '\0';
	double v, v2 = 0;
	bool percent, percent2 = false;
	if (!s_change(c, path, n, k, first, &v, &percent))
		return false;
	if (or != NULL) {
		if (!s_change(c, path, n, k, or + 4, &v2, &percent2))
			return false;
		if (percent2 == percent) {
			vt_cy_error(c, n, "%s: the two changes of %s are both %s; one is a percentage of "
			            "the baseline and the other in the parameter's unit, as in 20%% or 25",
			            path, vt_cy_quote(s, q, sizeof(q)),
			            percent ? "percentages" : "in the parameter's unit");
			return false;
		}
	}
	r->kind = k->data != NULL ? VT_RULE_BASELINE : VT_RULE_RATE;
	r->direction = k->arg;
	r->delta = v;
	r->delta_percent = percent;
	r->delta_or = v2;
	r->delta_or_percent = percent2;
	return true;
}

/* for: a duration, or a whole number of measurements (for a blood pressure). */
bool
vt_cfg_for(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
           void *obj)
{
	struct vt_rule_config *r = obj;
	const char *s = vt_cy_text(n);
	size_t digits = strspn(s, "0123456789");
	if (digits == 0 || s[digits] != '\0')
		return vt_cy_duration(c, path, n, k, obj);
	long count = digits <= 3 ? strtol(s, NULL, 10) : 1000;
	if (count < 1 || count > 100) {
		char q[VT_CY_QUOTE_MAX];
		vt_cy_error(c, n, "%s: expected a number of measurements from 1 to 100, got %s", path,
		            vt_cy_quote(s, q, sizeof(q)));
		return false;
	}
	r->for_count = (int)count;
	r->for_ms = 0;
	return true;
}

/* no_breath_for: the apnea delay, a positive duration. */
bool
vt_cfg_no_breath(struct vt_cy *c, const char *path, const yaml_node_t *n,
                 const struct vt_cy_key *k, void *obj)
{
	struct vt_rule_config *r = obj;
	if (!vt_cy_duration_positive(c, path, n, k, obj))
		return false;
	r->kind = VT_RULE_APNEA;
	r->direction = -1;
	return true;
}

/* floor: the EtCO2 below which a sample is no breath. */
bool
vt_cfg_floor(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
             void *obj)
{
	struct vt_rule_config *r = obj;
	double v;
	if (!s_number(c, path, n, &v))
		return false;
	const struct vt_param_info *pi = vt_param_info(VT_ETCO2);
	if (!(v > pi->min) || v > pi->max) {
		char q[VT_CY_QUOTE_MAX];
		vt_cy_error(c, n, "%s: expected an EtCO2 above %g and at most %g %s, got %s", path,
		            pi->min, pi->max, pi->unit, vt_cy_quote(vt_cy_text(n), q, sizeof(q)));
		return false;
	}
	r->floor = v;
	return true;
}

bool
vt_cfg_clear_at(struct vt_cy *c, const char *path, const yaml_node_t *n,
                const struct vt_cy_key *k, void *obj)
{
	struct vt_rule_config *r = obj;
	if (!s_number(c, path, n, &r->clear_at))
		return false;
	r->clear_at_set = true;
	return true;
}

/* area: the depth beyond the limit integrated over time, in unit·s; more than 0. */
bool
vt_cfg_area(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
            void *obj)
{
	double v;
	if (!s_number(c, path, n, &v))
		return false;
	if (!(v > 0)) {
		char q[VT_CY_QUOTE_MAX];
		vt_cy_error(c, n, "%s: expected %s, got %s", path, k->what,
		            vt_cy_quote(vt_cy_text(n), q, sizeof(q)));
		return false;
	}
	memcpy((char *)obj + k->offset, &v, sizeof(v));
	return true;
}

/* Handle one name of a list; `path` names the item. */
typedef bool s_each_fn(struct vt_cy *c, const char *path, const yaml_node_t *n, const char *s,
                       void *obj);

/*
 * A list of names, or one name: the shape of beds and phases. An empty
 * list is refused: leaving the key out means "all", and an empty list
 * meaning "all" too would surprise whoever emptied it.
 */
static bool
s_name_list(struct vt_cy *c, const char *path, const yaml_node_t *n, const char *item_what,
            size_t max, s_each_fn *each, void *obj)
{
	if (n->type == YAML_SCALAR_NODE)
		return each(c, path, n, vt_cy_text(n), obj);
	size_t total = vt_cy_count(n);
	if (total == 0) {
		vt_cy_error(c, n, "%s: the list is empty; leave the key out to mean all of them", path);
		return false;
	}
	if (total > max) {
		vt_cy_error(c, n, "%s: %zu entries; at most %zu are allowed", path, total, max);
		return false;
	}
	bool ok = true;
	for (size_t i = 0; i < total; i++) {
		char ipath[VT_CY_PATH_MAX];
		const yaml_node_t *item = vt_cy_item(c, n, i);
		if (item == NULL) {
			ok = false;
			continue;
		}
		vt_cy_path_index(ipath, sizeof(ipath), path, i);
		const char *s = vt_cy_scalar(c, ipath, item, item_what);
		ok = s != NULL && each(c, ipath, item, s, obj) && ok;
	}
	return ok;
}

static bool
s_one_bed(struct vt_cy *c, const char *path, const yaml_node_t *n, const char *s, void *obj)
{
	struct vt_rule_config *r = obj;
	char *copy = vt_cy_strdup(c, s);
	if (copy == NULL)
		return false;
	r->beds[r->n_beds++] = copy;
	/* Whether the bed exists is known only once every monitor is read. */
	vt_check_rule_bed_at(vt_check_of(c), r->n_beds - 1, path, n);
	return true;
}

bool
vt_cfg_beds(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
            void *obj)
{
	struct vt_rule_config *r = obj;
	size_t total = n->type == YAML_SEQUENCE_NODE ? vt_cy_count(n) : 1;
	if (total > VT_CONFIG_MAX_MONITORS)
		total = VT_CONFIG_MAX_MONITORS + 1; /* s_name_list reports it */
	r->beds = vt_cy_calloc(c, total, sizeof(char *));
	if (r->beds == NULL)
		return false;
	return s_name_list(c, path, n, "a bed name", VT_CONFIG_MAX_MONITORS, s_one_bed, r);
}

static bool
s_one_phase(struct vt_cy *c, const char *path, const yaml_node_t *n, const char *s, void *obj)
{
	struct vt_rule_config *r = obj;
	char q[VT_CY_QUOTE_MAX];
	int p = vt_phase_by_name(s);
	if (p < 0) {
		vt_cy_error(c, n, "%s: unknown phase %s; expected one of: baseline, infusion, recovery, "
		            "ended", path, vt_cy_quote(s, q, sizeof(q)));
		return false;
	}
	if (r->phases & VT_PHASE_BIT(p)) {
		vt_cy_error(c, n, "%s: phase %s is listed twice", path, vt_cy_quote(s, q, sizeof(q)));
		return false;
	}
	r->phases |= VT_PHASE_BIT(p);
	return true;
}

bool
vt_cfg_phases(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
              void *obj)
{
	return s_name_list(c, path, n, "a phase name", VT_PHASE_COUNT * 2, s_one_phase, obj);
}

void
vt_cfg_check_limit(struct vt_cy *c, const char *path, const yaml_node_t *at, const char *key,
                   const struct vt_rule_config *r, double v, bool is_clear)
{
	const struct vt_param_info *pi = vt_param_info(r->param);
	double lo = pi->min, hi = pi->max;
	if (lo >= hi)
		return; /* a parameter without a known range */
	if (v < lo || v > hi)
		vt_cy_error(c, at, "%s.%s: %g is outside the range of %s (%g to %g %s)", path, key, v,
		            pi->name, lo, hi, pi->unit);
	/* A below limit at the bottom (or above at the top) could never be crossed. */
	else if (!is_clear && r->direction < 0 && v <= lo)
		vt_cy_error(c, at, "%s.%s: %s is never below %g; the rule could never raise", path, key,
		            pi->name, v);
	else if (!is_clear && r->direction > 0 && v >= hi)
		vt_cy_error(c, at, "%s.%s: %s is never above %g; the rule could never raise", path, key,
		            pi->name, v);
}

double
vt_cfg_param_span(enum vt_param p)
{
	return vt_param_info(p)->max - vt_param_info(p)->min;
}

void
vt_cfg_free_strings(char **v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}
