/*
 * The key-table walk of the configuration loader, and the generic value
 * handlers (durations, booleans, enumerations, numbers). A mapping is
 * checked against a table of rows: unknown keys (with a "did you mean"),
 * duplicate keys and missing required keys are reported where they are,
 * and each row's default goes through the same handler as a written value,
 * so a default can never be something the file could not say.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/base/timefmt.h"
#include "vitals/config/yaml.h"

/* ---- the key-table walk ------------------------------------------------- */

/* Edit distance, for "did you mean"; small strings only. */
static size_t
s_distance(const char *a, size_t la, const char *b)
{
	size_t lb = strlen(b), row[VT_CY_PATH_MAX];
	if (la >= VT_CY_PATH_MAX || lb >= VT_CY_PATH_MAX)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t ca = (unsigned char)tolower((unsigned char)a[i - 1]);
			size_t cb = (unsigned char)tolower((unsigned char)b[j - 1]);
			size_t best = diag + (ca != cb);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* Report an unknown key, suggesting the nearest name or listing them all. */
static void
s_unknown_key(struct vt_cy *c, const char *path, const yaml_node_t *key,
              const struct vt_cy_key *keys)
{
	const char *name = (const char *)key->data.scalar.value;
	size_t len = key->data.scalar.length;
	const char *sep = *path ? ": " : "";
	char q[VT_CY_QUOTE_MAX];
	vt_cy_quote(name, q, sizeof(q));
	const char *best = NULL;
	size_t best_d = (size_t)-1;
	for (const struct vt_cy_key *k = keys; k->name; k++) {
		size_t d = s_distance(name, len, k->name);
		if (d < best_d) {
			best_d = d;
			best = k->name;
		}
	}
	if (best != NULL && best_d <= (len <= 4 ? 1u : 2u)) {
		vt_cy_error(c, key, "%s%sunknown key %s; did you mean \"%s\"?", path, sep, q, best);
		return;
	}
	char list[512];
	size_t o = 0;
	list[0] = '\0';
	for (const struct vt_cy_key *k = keys; k->name && o < sizeof(list); k++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", o ? ", " : "", k->name);
	vt_cy_error(c, key, "%s%sunknown key %s; expected one of: %s", path, sep, q, list);
}

/* Whether `value` has the shape row `k` takes; reports it if not. */
static bool
s_shape_ok(struct vt_cy *c, const char *path, const yaml_node_t *value, const struct vt_cy_key *k)
{
	bool scalar = value->type == YAML_SCALAR_NODE && !vt_cy_is_null(value) &&
	              strlen((const char *)value->data.scalar.value) == value->data.scalar.length;
	bool ok;
	switch (k->shape) {
	case VT_CY_LIST:
		ok = value->type == YAML_SEQUENCE_NODE || vt_cy_is_null(value);
		break;
	case VT_CY_SCALAR_OR_LIST:
		ok = value->type == YAML_SEQUENCE_NODE || scalar;
		break;
	case VT_CY_MAPPING:
		ok = value->type == YAML_MAPPING_NODE;
		break;
	default:
		ok = scalar;
		break;
	}
	if (!ok) {
		char q[VT_CY_QUOTE_MAX];
		vt_cy_error(c, value, "%s: expected %s, got %s", path, k->what,
		            vt_cy_describe(value, q, sizeof(q)));
	}
	return ok;
}

/*
 * Apply every default of `keys` to obj, through the same handlers a
 * written value takes, and the defaults of its sections too: a section
 * left out of the file still gets its defaults.
 */
static void
s_defaults(struct vt_cy *c, const char *path, yaml_mark_t at, const struct vt_cy_key *keys,
           void *obj)
{
	char sub[VT_CY_PATH_MAX];
	for (const struct vt_cy_key *k = keys; k->name; k++) {
		vt_cy_path(sub, sizeof(sub), path, k->name);
		if (k->shape == VT_CY_MAPPING && k->data != NULL)
			s_defaults(c, sub, at, k->data, obj);
		if (k->dflt == NULL)
			continue;
		yaml_node_t d;
		memset(&d, 0, sizeof(d));
		d.type = YAML_SCALAR_NODE;
		d.data.scalar.value = (yaml_char_t *)(uintptr_t)k->dflt;
		d.data.scalar.length = strlen(k->dflt);
		d.data.scalar.style = YAML_PLAIN_SCALAR_STYLE;
		d.start_mark = at;
		k->handler(c, sub, &d, k, obj);
	}
}

bool
vt_cy_mapping(struct vt_cy *c, const char *path, const yaml_node_t *n, const char *what,
              const struct vt_cy_key *keys, void *obj, struct vt_cy_seen *seen)
{
	char sub[VT_CY_PATH_MAX];
	const char *sep = *path ? ": " : "";
	size_t nkeys = 0;
	while (keys[nkeys].name)
		nkeys++;
	memset(seen, 0, nkeys * sizeof(*seen));
	s_defaults(c, path, n->start_mark, keys, obj);
	if (n->type != YAML_MAPPING_NODE) {
		char q[VT_CY_QUOTE_MAX];
		vt_cy_error(c, n, "%s%sexpected %s, got %s", path, sep, what,
		            vt_cy_describe(n, q, sizeof(q)));
		return false;
	}
	for (const yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *key = yaml_document_get_node(&c->doc, p->key);
		const yaml_node_t *value = yaml_document_get_node(&c->doc, p->value);
		if (key == NULL || value == NULL || !vt_cy_claim(c, key))
			continue;
		if (key->type != YAML_SCALAR_NODE) {
			char q[VT_CY_QUOTE_MAX];
			vt_cy_error(c, key, "%s%skeys are plain names, got %s", path, sep,
			            vt_cy_describe(key, q, sizeof(q)));
			continue;
		}
		size_t i;
		for (i = 0; i < nkeys; i++)
			if (strlen(keys[i].name) == key->data.scalar.length &&
			    memcmp(keys[i].name, key->data.scalar.value, key->data.scalar.length) == 0)
				break;
		if (i == nkeys) {
			s_unknown_key(c, path, key, keys);
			continue;
		}
		vt_cy_path(sub, sizeof(sub), path, keys[i].name);
		if (seen[i].key != NULL) {
			vt_cy_error(c, key, "%s: duplicate key (first given at line %zu)", sub,
			            seen[i].key->start_mark.line + 1);
			continue;
		}
		seen[i].key = key;
		seen[i].value = value;
		if (!vt_cy_claim(c, value) || !s_shape_ok(c, sub, value, &keys[i]))
			continue;
		seen[i].ok = keys[i].handler(c, sub, value, &keys[i], obj);
	}
	for (size_t i = 0; i < nkeys; i++)
		if (keys[i].required && seen[i].key == NULL)
			vt_cy_error(c, n, "%s%smissing required key \"%s\"", path, sep, keys[i].name);
	return true;
}

bool
vt_cy_document(struct vt_cy *c, const char *what, const char *missing,
               const struct vt_cy_key *keys, void *obj, struct vt_cy_seen *seen)
{
	const yaml_node_t *root = vt_cy_root(c);
	if (root == NULL || vt_cy_is_null(root)) {
		yaml_mark_t top = {0, 0, 0};
		vt_cy_error_mark(c, top, "%s", missing);
		return false;
	}
	return vt_cy_mapping(c, "", root, what, keys, obj, seen);
}

bool
vt_cy_list_length(struct vt_cy *c, const char *path, const yaml_node_t *n, size_t total,
                  bool min_one, size_t max, const char *item, const char *items)
{
	if (total == 0 && min_one) {
		vt_cy_error(c, n, "%s: expected at least one %s", path, item);
		return false;
	}
	if (total > max) {
		vt_cy_error(c, n, "%s: %zu %s; at most %zu are supported", path, total, items, max);
		return false;
	}
	return true;
}

const yaml_node_t *
vt_cy_item_mapping(struct vt_cy *c, const char *path, const yaml_node_t *n, size_t i,
                   const char *what, const struct vt_cy_key *keys, void *obj,
                   struct vt_cy_seen *seen)
{
	char ipath[VT_CY_PATH_MAX];
	const yaml_node_t *item = vt_cy_item(c, n, i);
	vt_cy_path_index(ipath, sizeof(ipath), path, i);
	if (item == NULL || !vt_cy_mapping(c, ipath, item, what, keys, obj, seen))
		return NULL;
	return item;
}

/* ---- scalars ------------------------------------------------------------ */

bool
vt_cy_store_text(struct vt_cy *c, const char *s, const struct vt_cy_key *k, void *obj)
{
	char **field = (char **)((char *)obj + k->offset);
	free(*field);
	*field = vt_cy_strdup(c, s);
	return *field != NULL;
}

int
vt_cy_parse_number(const char *s, double *out)
{
	/* Decimal only: strtod would also take hex, "inf", "nan" and spaces. */
	const char *p = s;
	if (*p == '+' || *p == '-')
		p++;
	size_t digits = 0;
	while (isdigit((unsigned char)*p)) {
		p++;
		digits++;
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			p++;
			digits++;
		}
	}
	if (digits == 0)
		return -1;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p != '\0')
		return -1;
	errno = 0;
	double v = strtod(s, NULL);
	if (!isfinite(v))
		return -1;
	*out = v;
	return 0;
}

/* Parse a duration value into *ms, reporting problems; false if bad. */
static bool
s_duration(struct vt_cy *c, const char *path, const yaml_node_t *n, int64_t *ms)
{
	const char *s = vt_cy_text(n);
	char q[VT_CY_QUOTE_MAX];
	/* Digits, one optional point, then a unit: no signs, exponents or hex. */
	const char *p = s;
	size_t digits = 0;
	while (isdigit((unsigned char)*p) || (*p == '.' && memchr(s, '.', (size_t)(p - s)) == NULL))
		digits += *p++ != '.';
	bool unit_ok = true;
	for (const char *u = p; *u; u++)
		unit_ok = unit_ok && isalpha((unsigned char)*u);
	if (digits == 0 || !unit_ok) {
		vt_cy_error(c, n, "%s: expected %s, got %s", path, VT_CY_DURATION,
		            vt_cy_quote(s, q, sizeof(q)));
		return false;
	}
	const char *why = NULL;
	if (vt_duration_parse(s, ms, &why) != 0) {
		vt_cy_error(c, n, "%s: %s, got %s", path, why ? why : VT_CY_DURATION,
		            vt_cy_quote(s, q, sizeof(q)));
		return false;
	}
	return true;
}

bool
vt_cy_duration(struct vt_cy *c, const char *path, const yaml_node_t *n,
               const struct vt_cy_key *k, void *obj)
{
	int64_t ms;
	if (!s_duration(c, path, n, &ms))
		return false;
	memcpy((char *)obj + k->offset, &ms, sizeof(ms));
	return true;
}

bool
vt_cy_duration_positive(struct vt_cy *c, const char *path, const yaml_node_t *n,
                        const struct vt_cy_key *k, void *obj)
{
	int64_t ms;
	if (!s_duration(c, path, n, &ms))
		return false;
	if (ms <= 0) {
		char q[VT_CY_QUOTE_MAX];
		vt_cy_error(c, n, "%s: expected a duration of at least 1ms, got %s", path,
		            vt_cy_quote((const char *)n->data.scalar.value, q, sizeof(q)));
		return false;
	}
	memcpy((char *)obj + k->offset, &ms, sizeof(ms));
	return true;
}

bool
vt_cy_bool(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
           void *obj)
{
	/* Only the two YAML 1.2 spellings: "no" must not mean false to one reader and a string to another. */
	const char *s = vt_cy_text(n);
	bool v;
	if (strcmp(s, "true") == 0) {
		v = true;
	} else if (strcmp(s, "false") == 0) {
		v = false;
	} else {
		char q[VT_CY_QUOTE_MAX];
		vt_cy_error(c, n, "%s: expected %s, got %s", path, k->what, vt_cy_quote(s, q, sizeof(q)));
		return false;
	}
	memcpy((char *)obj + k->offset, &v, sizeof(v));
	return true;
}

bool
vt_cy_section(struct vt_cy *c, const char *path, const yaml_node_t *n,
              const struct vt_cy_key *k, void *obj)
{
	struct vt_cy_seen seen[VT_CY_MAX_KEYS];
	return vt_cy_mapping(c, path, n, k->what, k->data, obj, seen);
}

bool
vt_cy_enum_value(struct vt_cy *c, const char *path, const yaml_node_t *n,
                 const struct vt_cy_key *k, void *obj)
{
	const struct vt_cy_enum *names = k->data;
	const char *s = vt_cy_text(n);
	for (size_t i = 0; names[i].name; i++) {
		if (strcmp(s, names[i].name) == 0) {
			int v = names[i].value;
			memcpy((char *)obj + k->offset, &v, sizeof(v));
			return true;
		}
	}
	char q[VT_CY_QUOTE_MAX];
	vt_cy_error(c, n, "%s: expected %s, got %s", path, k->what, vt_cy_quote(s, q, sizeof(q)));
	return false;
}

/* A whole decimal number; false if `s` is anything else (or too large). */
static bool
s_whole(const char *s, size_t len, int64_t *out)
{
	int64_t v = 0;
	if (len == 0 || len > 15)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* A value within k->data's range, or an error saying what the range is. */
static bool
s_store_in_range(struct vt_cy *c, const char *path, const yaml_node_t *n,
                 const struct vt_cy_key *k, void *obj, int64_t v, const char *what)
{
	const struct vt_cy_range *r = k->data;
	if (r != NULL && (v < r->min || v > r->max)) {
		char q[VT_CY_QUOTE_MAX];
		vt_cy_error(c, n, "%s: expected %s from %lld to %lld, got %s", path, what,
		            (long long)r->min, (long long)r->max, vt_cy_quote(vt_cy_text(n), q, sizeof(q)));
		return false;
	}
	memcpy((char *)obj + k->offset, &v, sizeof(v));
	return true;
}

bool
vt_cy_integer(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
              void *obj)
{
	const char *s = vt_cy_text(n);
	int64_t v;
	if (!s_whole(s, strlen(s), &v)) {
		char q[VT_CY_QUOTE_MAX];
		vt_cy_error(c, n, "%s: expected %s, got %s", path, k->what, vt_cy_quote(s, q, sizeof(q)));
		return false;
	}
	return s_store_in_range(c, path, n, k, obj, v, "a whole number");
}

bool
vt_cy_size(struct vt_cy *c, const char *path, const yaml_node_t *n, const struct vt_cy_key *k,
           void *obj)
{
	/* Binary units only, spelt out: "16MB" would leave the reader guessing 10^6 or 2^20. */
	static const struct {
		const char *unit;
		int64_t bytes;
	} units[] = {{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"", 1}};
	const char *s = vt_cy_text(n);
	size_t len = strlen(s);
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		size_t ul = strlen(units[i].unit);
		int64_t v;
		if (len > ul && strcmp(s + len - ul, units[i].unit) == 0 && s_whole(s, len - ul, &v))
			return s_store_in_range(c, path, n, k, obj, v * units[i].bytes, "a size in bytes");
	}
	char q[VT_CY_QUOTE_MAX];
	vt_cy_error(c, n, "%s: expected %s, got %s", path, VT_CY_SIZE, vt_cy_quote(s, q, sizeof(q)));
	return false;
}
