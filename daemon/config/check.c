/*
 * Checks across the configuration, run after the whole file is read:
 * one monitor per bed, one monitor per port, unique rule names, distinct
 * endpoints, and rules that only name configured beds. Plus the validators
 * of names, paths, serial ports and ZeroMQ endpoints.
 *
 * Names are compared through sorted indexes, not pairwise, so a file with
 * the maximum number of monitors and rules is checked in n log n.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vitals/config/check.h"

/* The longest path accepted for a device or a directory (PATH_MAX - 1). */
#define S_PATH_MAX 4095
/* sun_path holds 108 bytes with the terminator: the longest ipc:// path. */
#define S_IPC_PATH_MAX 107
/* How many beds a message lists before "and N more". */
#define S_LIST_BEDS 8

/* ---- validators ------------------------------------------------------------ */

static bool
s_name(const char *s, const char *first, const char *rest)
{
	size_t len = strlen(s);
	if (len == 0 || len > VT_CONFIG_NAME_MAX || strchr(first, s[0]) == NULL)
		return false;
	return strspn(s, rest) == len;
}

#define S_DIGITS "0123456789"
#define S_LOWER "abcdefghijklmnopqrstuvwxyz"
#define S_UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

bool
vt_check_bed_name(const char *s)
{
	/* Beds appear in topics, alert ids (BED/RULE/N) and file names:
	 * no '/', no spaces, and no leading '.' or '-' (hidden files, options). */
	return s_name(s, S_LOWER S_UPPER S_DIGITS, S_LOWER S_UPPER S_DIGITS "_.-");
}

bool
vt_check_rule_name(const char *s)
{
	return s_name(s, S_LOWER S_DIGITS, S_LOWER S_DIGITS "_-");
}

/* No control characters: they would corrupt logs and messages. */
static bool
s_printable(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7F)
			return false;
	return true;
}

bool
vt_check_path(const char *s)
{
	/* Absolute: the daemon runs from / under systemd, so relative paths mislead. */
	return s[0] == '/' && strlen(s) <= S_PATH_MAX && s_printable(s);
}

/*
 * HOST:PORT after a scheme. HOST is a name, an IPv4 address or a
 * bracketed IPv6 address; `star` also allows "*" (every interface).
 */
static const char *
s_host_port(const char *s, bool star)
{
	static const char bad_host[] = "expected a host name or address in tcp://HOST:PORT";
	static const char bad_port[] = "expected a port number from 1 to 65535 in tcp://HOST:PORT";
	const char *colon;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || close == s + 1 ||
		    strspn(s + 1, S_DIGITS "abcdefABCDEF:.%" S_LOWER S_UPPER) != (size_t)(close - s - 1))
			return bad_host;
		if (close[1] != ':')
			return bad_port;
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return bad_port;
		size_t hlen = (size_t)(colon - s);
		bool is_star = star && hlen == 1 && s[0] == '*';
		if (hlen == 0 || (!is_star && strspn(s, S_LOWER S_UPPER S_DIGITS ".-_") != hlen))
			return bad_host;
	}
	const char *port = colon + 1;
	size_t plen = strlen(port);
	if (plen == 0 || plen > 5 || strspn(port, S_DIGITS) != plen)
		return bad_port;
	long v = strtol(port, NULL, 10);
	if (v < 1 || v > 65535)
		return bad_port;
	return NULL;
}

const char *
vt_check_port(const char *s)
{
	if (s[0] == '/')
		return vt_check_path(s) ? NULL : "expected a device path such as /dev/ttyUSB0";
	if (strncmp(s, "tcp://", 6) == 0)
		return s_host_port(s + 6, false);
	if (strncmp(s, "mllp://", 7) == 0)
		return s_host_port(s + 7, false) == NULL
		           ? NULL
		           : "expected mllp://HOST:PORT, the address to listen on (0.0.0.0 for every "
		             "interface) and a port from 1 to 65535";
	if (strncmp(s, "udp://", 6) == 0)
		return vt_check_host_port(s + 6, true)
		           ? NULL
		           : "expected udp://HOST or udp://HOST:PORT, the monitor's address and its data "
		             "export port (24105 if not given)";
	return "expected an absolute device path such as /dev/ttyUSB0, tcp://HOST:PORT, "
	       "mllp://HOST:PORT or udp://HOST[:PORT]";
}

bool
vt_check_host_port(const char *s, bool port_optional)
{
	char buf[300];
	bool bare = s[0] == '[' ? strchr(s, ']') != NULL && strchr(s, ']')[1] == '\0'
	                        : strchr(s, ':') == NULL;
	if (port_optional && bare) {
		if (snprintf(buf, sizeof buf, "%s:1", s) >= (int)sizeof buf)
			return false;
		s = buf;
	}
	return s_host_port(s, false) == NULL;
}

const char *
vt_check_endpoint(const char *s)
{
	if (strncmp(s, "tcp://", 6) == 0)
		return s_host_port(s + 6, true);
	if (strncmp(s, "ipc://", 6) == 0) {
		size_t len = strlen(s + 6);
		if (len == 0 || !s_printable(s))
			return "expected a socket path in ipc://PATH";
		if (len > S_IPC_PATH_MAX)
			return "an ipc:// path is at most 107 bytes";
		return NULL;
	}
	return "expected a ZeroMQ endpoint tcp://HOST:PORT or ipc://PATH";
}

bool
vt_check_endpoint_is_local(const char *s)
{
	if (strncmp(s, "tcp://", 6) != 0)
		return true; /* ipc:// (and inproc://): a path on this machine */
	const char *host = s + 6, *colon = strrchr(host, ':');
	size_t hlen = colon ? (size_t)(colon - host) : strlen(host);
	static const char *const loopback[] = {"localhost", "lo", "[::1]", NULL};
	for (size_t i = 0; loopback[i] != NULL; i++)
		if (hlen == strlen(loopback[i]) && strncmp(host, loopback[i], hlen) == 0)
			return true;
	/* 127.0.0.0/8, written as a dotted address. */
	return hlen > 4 && strncmp(host, "127.", 4) == 0 &&
	       strspn(host, S_DIGITS ".") == hlen;
}

/* ---- bookkeeping ----------------------------------------------------------- */

void
vt_check_init(struct vt_check *k, struct vt_cy *cy)
{
	memset(k, 0, sizeof(*k));
	k->cy = cy;
}

struct vt_check *
vt_check_of(struct vt_cy *c)
{
	return c->user;
}

void
vt_check_fini(struct vt_check *k)
{
	for (size_t i = 0; i < k->n_endpoints; i++)
		free(k->endpoints[i].path);
	for (size_t i = 0; i < k->n_bed_refs; i++)
		free(k->bed_refs[i].path);
	free(k->bed_refs);
	free(k->bed_nodes);
	free(k->port_nodes);
	free(k->name_nodes);
	memset(k, 0, sizeof(*k));
}

void
vt_check_endpoint_at(struct vt_check *k, const char *path, const yaml_node_t *n)
{
	if (k->n_endpoints == sizeof(k->endpoints) / sizeof(k->endpoints[0]))
		return;
	struct vt_check_ref *e = &k->endpoints[k->n_endpoints];
	e->node = n;
	e->path = vt_cy_strdup(k->cy, path);
	if (e->path != NULL)
		k->n_endpoints++;
}

int
vt_check_monitors(struct vt_check *k, size_t count)
{
	k->bed_nodes = vt_cy_calloc(k->cy, count, sizeof(*k->bed_nodes));
	k->port_nodes = vt_cy_calloc(k->cy, count, sizeof(*k->port_nodes));
	if (k->bed_nodes == NULL || k->port_nodes == NULL)
		return -1;
	k->n_monitors = count;
	return 0;
}

void
vt_check_monitor_at(struct vt_check *k, size_t i, const yaml_node_t *bed, const yaml_node_t *port)
{
	if (i < k->n_monitors) {
		k->bed_nodes[i] = bed;
		k->port_nodes[i] = port;
	}
}

int
vt_check_rules(struct vt_check *k, size_t count)
{
	k->name_nodes = vt_cy_calloc(k->cy, count, sizeof(*k->name_nodes));
	if (k->name_nodes == NULL)
		return -1;
	k->n_rules = count;
	return 0;
}

void
vt_check_rule_begin(struct vt_check *k, size_t rule)
{
	k->cur_rule = rule;
}

void
vt_check_rule_at(struct vt_check *k, size_t rule, const yaml_node_t *name)
{
	if (rule < k->n_rules)
		k->name_nodes[rule] = name;
}

void
vt_check_rule_bed_at(struct vt_check *k, size_t item, const char *path, const yaml_node_t *n)
{
	if (k->n_bed_refs == k->cap_bed_refs) {
		size_t cap = k->cap_bed_refs ? k->cap_bed_refs * 2 : 16;
		struct vt_check_ref *r = realloc(k->bed_refs, cap * sizeof(*r));
		if (r == NULL) {
			vt_cy_oom(k->cy);
			return;
		}
		k->bed_refs = r;
		k->cap_bed_refs = cap;
	}
	struct vt_check_ref *r = &k->bed_refs[k->n_bed_refs];
	r->owner = k->cur_rule;
	r->item = item;
	r->node = n;
	r->path = vt_cy_strdup(k->cy, path);
	if (r->path != NULL)
		k->n_bed_refs++;
}

/* ---- duplicates -------------------------------------------------------------- */

/* Names with their index, sorted so that equal names sit together in file order. */
struct s_named {
	const char *name;
	size_t index;
};

static int
s_named_cmp_exact(const void *a, const void *b)
{
	const struct s_named *x = a, *y = b;
	int d = strcmp(x->name, y->name);
	return d ? d : (x->index > y->index) - (x->index < y->index);
}

static int
s_named_cmp_fold(const void *a, const void *b)
{
	const struct s_named *x = a, *y = b;
	int d = strcasecmp(x->name, y->name);
	return d ? d : (x->index > y->index) - (x->index < y->index);
}

/*
 * Sort `v` (n entries) and call `dup(ctx, first, later)` for every entry
 * whose name equals an earlier one's under `cmp_name`.
 */
static void
s_duplicates(struct s_named *v, size_t n, int (*cmp)(const void *, const void *),
             int (*cmp_name)(const char *, const char *),
             void (*dup)(struct vt_check *, const struct vt_config *, size_t, size_t),
             struct vt_check *k, const struct vt_config *cfg)
{
	qsort(v, n, sizeof(*v), cmp);
	for (size_t i = 1, first = 0; i < n; i++) {
		if (cmp_name(v[first].name, v[i].name) != 0)
			first = i;
		else
			dup(k, cfg, v[first].index, v[i].index);
	}
}

static void
s_dup_bed(struct vt_check *k, const struct vt_config *cfg, size_t first, size_t later)
{
	const char *a = cfg->monitors[first].bed, *b = cfg->monitors[later].bed;
	if (strcmp(a, b) == 0)
		vt_cy_error(k->cy, k->bed_nodes[later], "monitors[%zu].bed: bed \"%s\" already has a "
		            "monitor (monitors[%zu], line %d); one monitor per bed", later, b, first,
		            cfg->monitors[first].line);
	else
		vt_cy_error(k->cy, k->bed_nodes[later], "monitors[%zu].bed: bed \"%s\" differs from "
		            "\"%s\" (monitors[%zu], line %d) only in case; bed names must be told apart "
		            "at a glance", later, b, a, first, cfg->monitors[first].line);
}

static void
s_dup_port(struct vt_check *k, const struct vt_config *cfg, size_t first, size_t later)
{
	char q[VT_CY_QUOTE_MAX];
	vt_cy_error(k->cy, k->port_nodes[later], "monitors[%zu].port: %s is already the port of bed "
	            "\"%s\" (monitors[%zu], line %d)", later,
	            vt_cy_quote(cfg->monitors[later].port, q, sizeof(q)), cfg->monitors[first].bed,
	            first, cfg->monitors[first].line);
}

static void
s_dup_rule(struct vt_check *k, const struct vt_config *cfg, size_t first, size_t later)
{
	vt_cy_error(k->cy, k->name_nodes[later], "rules[%zu].name: rule \"%s\" is already defined "
	            "(rules[%zu], line %d)", later, cfg->rules[later].name, first,
	            cfg->rules[first].line);
}

static void
s_dup_endpoint(struct vt_check *k, const struct vt_config *cfg, size_t first, size_t later)
{
	char q[VT_CY_QUOTE_MAX];
	const struct vt_check_ref *a = &k->endpoints[first], *b = &k->endpoints[later];
	vt_cy_error(k->cy, b->node, "%s: %s is already used by %s (line %zu); each endpoint is bound "
	            "once", b->path,
	            vt_cy_quote((const char *)b->node->data.scalar.value, q, sizeof(q)), a->path,
	            a->node->start_mark.line + 1);
}

/* ---- HL7 listeners ----------------------------------------------------------------- */

static bool
s_mllp(const struct vt_monitor_config *m)
{
	return m->port != NULL && strncmp(m->port, "mllp://", 7) == 0;
}

/*
 * Monitors on one mllp:// endpoint share its listener (a gateway sends
 * several beds over one connection): each needs an hl7_id, all different,
 * to tell its messages from the others'. HL7 has no authentication, so a
 * listener beyond loopback takes allow_insecure_network.
 */
static void
s_check_mllp(struct vt_check *k, const struct vt_config *cfg)
{
	for (size_t j = 0; j < cfg->n_monitors && j < k->n_monitors; j++) {
		const struct vt_monitor_config *b = &cfg->monitors[j];
		if (!s_mllp(b) || k->port_nodes[j] == NULL)
			continue;
		char ep[300];
		snprintf(ep, sizeof ep, "tcp://%s", b->port + 7);
		if (!cfg->allow_insecure_network && !vt_check_endpoint_is_local(ep))
			vt_cy_error(k->cy, k->port_nodes[j], "monitors[%zu].port: %s listens beyond this "
			            "machine, and HL7 over MLLP has no authentication; keep the monitors' "
			            "network closed (docs/drivers.md, hl7-mllp) and say "
			            "allow_insecure_network: true", j, b->port);
		for (size_t i = 0; i < j; i++) {
			const struct vt_monitor_config *a = &cfg->monitors[i];
			if (!s_mllp(a) || k->port_nodes[i] == NULL || strcmp(a->port, b->port) != 0)
				continue;
			if (a->hl7_id == NULL || b->hl7_id == NULL) {
				vt_cy_error(k->cy, k->port_nodes[j], "monitors[%zu].port: %s is also the port "
				            "of bed \"%s\" (monitors[%zu], line %d); beds that share an HL7 "
				            "listener each need an hl7_id", j, b->port, a->bed, i, a->line);
				break;
			}
			if (strcasecmp(a->hl7_id, b->hl7_id) == 0) {
				vt_cy_error(k->cy, k->port_nodes[j], "monitors[%zu].hl7_id: %s on %s is "
				            "already bed \"%s\"'s (monitors[%zu], line %d)", j, b->hl7_id,
				            b->port, a->bed, i, a->line);
				break;
			}
		}
	}
}

/* ---- bed references ------------------------------------------------------------ */

/* "chair-1, chair-2 and 3 more" in file order, or a note that there are none. */
static void
s_bed_list(const struct vt_config *cfg, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	if (cfg->n_monitors == 0) {
		snprintf(buf, len, "no monitors are configured");
		return;
	}
	o += (size_t)snprintf(buf, len, "the configured beds are: ");
	for (size_t i = 0; i < cfg->n_monitors && i < S_LIST_BEDS && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "",
		                      cfg->monitors[i].bed ? cfg->monitors[i].bed : "?");
	if (cfg->n_monitors > S_LIST_BEDS && o < len)
		snprintf(buf + o, len - o, " and %zu more", cfg->n_monitors - S_LIST_BEDS);
}

static void
s_check_bed_refs(struct vt_check *k, const struct vt_config *cfg, const struct s_named *sorted,
                 size_t n_sorted)
{
	/* stamp[m] = 1 + the last rule that named monitor m: finds repeats in O(1). */
	size_t *stamp = vt_cy_calloc(k->cy, cfg->n_monitors, sizeof(*stamp));
	if (stamp == NULL)
		return;
	char list[512], q[VT_CY_QUOTE_MAX];
	s_bed_list(cfg, list, sizeof(list));
	for (size_t i = 0; i < k->n_bed_refs; i++) {
		const struct vt_check_ref *ref = &k->bed_refs[i];
		const char *bed = cfg->rules[ref->owner].beds[ref->item];
		struct s_named key = {bed, 0};
		/* Folded order: the exact name, if any, sits among its case variants. */
		const struct s_named *hit = NULL, *near = NULL;
		size_t lo = 0, hi = n_sorted;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (strcasecmp(sorted[mid].name, key.name) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t j = lo; j < n_sorted && strcasecmp(sorted[j].name, bed) == 0; j++) {
			if (strcmp(sorted[j].name, bed) == 0) {
				hit = &sorted[j];
				break;
			}
			near = &sorted[j];
		}
		if (hit == NULL && near != NULL) {
			vt_cy_error(k->cy, ref->node, "%s: unknown bed %s; did you mean \"%s\"?", ref->path,
			            vt_cy_quote(bed, q, sizeof(q)), near->name);
		} else if (hit == NULL) {
			vt_cy_error(k->cy, ref->node, "%s: unknown bed %s; %s", ref->path,
			            vt_cy_quote(bed, q, sizeof(q)), list);
		} else if (stamp[hit->index] == ref->owner + 1) {
			vt_cy_error(k->cy, ref->node, "%s: bed %s is listed twice", ref->path,
			            vt_cy_quote(bed, q, sizeof(q)));
		} else {
			stamp[hit->index] = ref->owner + 1;
		}
	}
	free(stamp);
}

void
vt_check_network(struct vt_check *k, bool curve, bool allow_insecure)
{
	/* Anyone who reaches a plain control socket can silence any bed. */
	for (size_t i = 0; !curve && !allow_insecure && i < k->n_endpoints; i++) {
		const struct vt_check_ref *e = &k->endpoints[i];
		const char *ep = (const char *)e->node->data.scalar.value;
		if (!vt_check_endpoint_is_local(ep))
			vt_cy_error(k->cy, e->node, "%s: %s is reachable beyond this machine without "
			            "CURVE; add a curve section (docs/operations.md), bind to 127.0.0.1, or "
			            "say allow_insecure_network: true", e->path, ep);
	}
}

void
vt_check_finish(struct vt_check *k, const struct vt_config *cfg)
{
	size_t most = cfg->n_monitors > cfg->n_rules ? cfg->n_monitors : cfg->n_rules;
	if (most < k->n_endpoints)
		most = k->n_endpoints;
	struct s_named *v = vt_cy_calloc(k->cy, most, sizeof(*v));
	if (v == NULL)
		return;
	size_t n = 0;
	for (size_t i = 0; i < k->n_endpoints; i++)
		v[n++] = (struct s_named){(const char *)k->endpoints[i].node->data.scalar.value, i};
	s_duplicates(v, n, s_named_cmp_exact, strcmp, s_dup_endpoint, k, cfg);
	vt_check_network(k, cfg->curve_secret_key != NULL, cfg->allow_insecure_network);

	n = 0;
	for (size_t i = 0; i < cfg->n_monitors && i < k->n_monitors; i++)
		if (k->port_nodes[i] != NULL && !s_mllp(&cfg->monitors[i]))
			v[n++] = (struct s_named){cfg->monitors[i].port, i};
	s_duplicates(v, n, s_named_cmp_exact, strcmp, s_dup_port, k, cfg);
	s_check_mllp(k, cfg);

	n = 0;
	for (size_t i = 0; i < cfg->n_rules && i < k->n_rules; i++)
		if (k->name_nodes[i] != NULL)
			v[n++] = (struct s_named){cfg->rules[i].name, i};
	s_duplicates(v, n, s_named_cmp_exact, strcmp, s_dup_rule, k, cfg);

	n = 0;
	for (size_t i = 0; i < cfg->n_monitors && i < k->n_monitors; i++)
		if (k->bed_nodes[i] != NULL)
			v[n++] = (struct s_named){cfg->monitors[i].bed, i};
	s_duplicates(v, n, s_named_cmp_fold, strcasecmp, s_dup_bed, k, cfg);

	/* Every bed written, even a malformed one, so a bad bed is reported once. */
	n = 0;
	for (size_t i = 0; i < cfg->n_monitors; i++)
		if (cfg->monitors[i].bed != NULL)
			v[n++] = (struct s_named){cfg->monitors[i].bed, i};
	qsort(v, n, sizeof(*v), s_named_cmp_fold);
	s_check_bed_refs(k, cfg, v, n);
	free(v);
}
