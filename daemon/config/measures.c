/*
 * Which rules can act on which beds, given what each bed's monitor measures
 * (docs/alarms.md, "What a bed measures"). One rule file serves beds with
 * pulse oximeters and beds with multiparameter monitors: a rule on blood
 * pressure is inactive on the bed of a pulse oximeter. That is no error,
 * but whoever checks the file (`vitalsd -n`) or reads the log at start
 * should see it: one note for each group of beds that lack the same
 * parameters, so that four oximeters under the shipped rules make one line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/config/config.h"

/* How many beds, protocols and rules a note names before "and N more". */
#define S_LIST_MAX 8
#define S_RULES_MAX 4

/* Append to buf (len bytes, `*o` used), cutting at the end rather than overrunning. */
static void __attribute__((format(printf, 4, 5)))
s_add(char *buf, size_t len, size_t *o, const char *fmt, ...)
{
	if (*o >= len - 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + *o, len - *o, fmt, ap);
	va_end(ap);
	if (n > 0)
		*o = *o + (size_t)n < len ? *o + (size_t)n : len - 1;
}

/* ", " between items, " and " before the last of `n`, or "" before the first. */
static const char *
s_sep(size_t i, size_t n)
{
	return i == 0 ? "" : i + 1 == n ? " and " : ", ";
}

vt_param_mask
vt_monitor_measures(const struct vt_monitor_config *m)
{
	/* A configuration built by hand may name no driver: it measures everything. */
	return m->driver != NULL ? vt_driver_params(m->driver) : VT_PARAMS_ALL;
}

/* The parameters that rules name for monitor `b` and that its monitor never gives. */
static vt_param_mask
s_lacking(const struct vt_config *cfg, size_t b)
{
	vt_param_mask named = 0;
	for (size_t r = 0; r < cfg->n_rules; r++)
		if (vt_rule_applies_to_bed(cfg, &cfg->rules[r], b))
			named |= VT_PARAM_BIT(cfg->rules[r].param);
	return named & ~vt_monitor_measures(&cfg->monitors[b]);
}

/* The note for the beds whose lacking parameters are `mask` (lack[b]). */
static void
s_note(const struct vt_config *cfg, const vt_param_mask *lack, vt_param_mask mask,
       struct vt_diag *notes)
{
	char buf[1024];
	size_t o = 0;

	/* The beds, the first S_LIST_MAX by name, in file order. */
	size_t beds[S_LIST_MAX], n_beds = 0;
	for (size_t b = 0; b < cfg->n_monitors; b++)
		if (lack[b] == mask && n_beds++ < S_LIST_MAX)
			beds[n_beds - 1] = b;
	size_t named = n_beds < S_LIST_MAX ? n_beds : S_LIST_MAX;
	s_add(buf, sizeof(buf), &o, "note: ");
	for (size_t i = 0; i < named; i++)
		s_add(buf, sizeof(buf), &o, "%s%s", s_sep(i, n_beds), cfg->monitors[beds[i]].bed);
	if (n_beds > named)
		s_add(buf, sizeof(buf), &o, " and %zu more", n_beds - named);

	/* Their protocols, each once, in file order. */
	const struct vt_driver *seen[S_LIST_MAX];
	size_t n_seen = 0;
	bool more = false;
	for (size_t b = 0; b < cfg->n_monitors; b++) {
		const struct vt_driver *d = cfg->monitors[b].driver;
		if (lack[b] != mask || d == NULL)
			continue;
		size_t k = 0;
		while (k < n_seen && seen[k] != d)
			k++;
		if (k < n_seen)
			continue;
		if (n_seen < S_LIST_MAX)
			seen[n_seen++] = d;
		else
			more = true;
	}
	for (size_t k = 0; k < n_seen; k++)
		s_add(buf, sizeof(buf), &o, "%s%s", k ? ", " : " (", seen[k]->name);
	if (n_seen > 0)
		s_add(buf, sizeof(buf), &o, "%s)", more ? ", ..." : "");

	/* What they do not measure. */
	size_t n_params = (size_t)__builtin_popcount(mask), i = 0;
	s_add(buf, sizeof(buf), &o, " %s not measure ", n_beds == 1 ? "does" : "do");
	for (int p = 0; p < VT_PARAM_COUNT; p++) {
		if (!(mask & VT_PARAM_BIT(p)))
			continue;
		s_add(buf, sizeof(buf), &o, "%s%s", i == 0 ? "" : i + 1 == n_params ? " or " : ", ",
		      vt_param_info((enum vt_param)p)->name);
		i++;
	}

	/* The rules that are inactive there: those on these parameters that name any of them. */
	size_t n_rules = 0;
	for (size_t r = 0; r < cfg->n_rules; r++) {
		if (!(mask & VT_PARAM_BIT(cfg->rules[r].param)))
			continue;
		bool names = false;
		for (size_t b = 0; b < cfg->n_monitors && !names; b++)
			names = lack[b] == mask && vt_rule_applies_to_bed(cfg, &cfg->rules[r], b);
		if (!names)
			continue;
		if (n_rules < S_RULES_MAX)
			s_add(buf, sizeof(buf), &o, "%s%s", n_rules ? ", " : ": inactive there: ",
			      cfg->rules[r].name);
		n_rules++;
	}
	if (n_rules > S_RULES_MAX)
		s_add(buf, sizeof(buf), &o, " and %zu more rule%s", n_rules - S_RULES_MAX,
		      n_rules - S_RULES_MAX == 1 ? "" : "s");
	vt_diag_add(notes, cfg->path ? cfg->path : "-", cfg->monitors[beds[0]].line, 0, NULL, "%s",
	            buf);
}

size_t
vt_config_inactive_rules(const struct vt_config *cfg, struct vt_diag *notes)
{
	vt_param_mask *lack = calloc(cfg->n_monitors + 1, sizeof(*lack));
	if (lack == NULL)
		return 0;
	for (size_t b = 0; b < cfg->n_monitors; b++)
		lack[b] = s_lacking(cfg, b);
	size_t n = 0;
	for (size_t b = 0; b < cfg->n_monitors; b++) {
		if (lack[b] == 0)
			continue;
		/* One note per distinct set, at its first bed. */
		bool before = false;
		for (size_t e = 0; e < b && !before; e++)
			before = lack[e] == lack[b];
		if (before)
			continue;
		s_note(cfg, lack, lack[b], notes);
		n++;
	}
	free(lack);
	return n;
}
