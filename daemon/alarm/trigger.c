/*
 * Depth-aware triggers: when a below/above rule with an area or tiers
 * raises its alarm, and at which priority it stands while active. A deep
 * drop should alarm at once and a shallow dip be given time to resolve
 * (Nellcor's SatSeconds); a deepening episode should rise in priority
 * rather than raise a second alarm (IEC 60601-1-8 escalation). The rules
 * are stated exactly in docs/alarms.md; alarm.c turns the decisions into
 * one alarm instance and its events.
 */
#include <string.h>

#include "vitals/alarm/trigger.h"

/* A level of rc as a tier: level 0 is the rule's own limit. */
static struct vt_rule_tier
s_level(const struct vt_rule_config *rc, int level)
{
	if (level > 0)
		return rc->tiers[level - 1];
	return (struct vt_rule_tier){.limit = rc->limit, .clear_at = rc->clear_at,
	                             .for_ms = rc->for_ms, .area = rc->area,
	                             .priority = rc->priority};
}

bool
vt_trigger_applies(const struct vt_rule_config *rc)
{
	return rc->kind == VT_RULE_LIMIT && (rc->area > 0 || rc->n_tiers > 0);
}

double
vt_trigger_limit(const struct vt_rule_config *rc, int level)
{
	return s_level(rc, level).limit;
}

enum vt_priority
vt_trigger_priority(const struct vt_rule_config *rc, int level)
{
	return s_level(rc, level).priority;
}

void
vt_trigger_reset(struct vt_trigger tr[VT_TRIGGER_LEVELS])
{
	memset(tr, 0, VT_TRIGGER_LEVELS * sizeof(*tr));
}

struct vt_trigger_result
vt_trigger_sample(const struct vt_rule_config *rc, struct vt_trigger tr[VT_TRIGGER_LEVELS],
                  bool has, double v, int64_t t, int64_t held_ms)
{
	struct vt_trigger_result res = {.met = false, .level = 0};
	int levels = 1 + (int)rc->n_tiers;
	for (int i = 0; i < levels; i++) {
		struct vt_trigger *st = &tr[i];
		if (!has) {
			st->in_run = false;
			continue;
		}
		struct vt_rule_tier lv = s_level(rc, i);
		double depth = rc->direction < 0 ? lv.limit - v : v - lv.limit;
		if (depth > 0) {
			if (!st->in_run) {
				st->in_run = true;
				st->run_start = t;
				st->area = 0;
			}
			st->area += depth * (double)held_ms / 1000.0;
			bool met = t - st->run_start >= lv.for_ms || (lv.area > 0 && st->area >= lv.area);
			res.met |= met;
			st->in_force |= met && i > 0;
		} else {
			st->in_run = false;
			bool back = rc->direction < 0 ? v >= lv.clear_at : v <= lv.clear_at;
			if (back)
				st->in_force = false;
		}
	}
	for (int i = levels - 1; i > 0 && res.level == 0; i--)
		if (tr[i].in_force)
			res.level = i;
	return res;
}
