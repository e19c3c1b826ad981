/*
 * The depth-aware triggers of a below/above rule (docs/alarms.md, "Area"
 * and "Tiers"): when its one alarm is raised and which priority it has
 * while active. Level 0 is the rule's own limit; levels 1.. are its tiers,
 * each deeper. Each level keeps its run of samples beyond its limit and
 * the area of that run (the depth beyond the limit times the time each
 * sample stands for), and is met once the run has lasted its `for` or its
 * area reached its `area`. A met tier stays in force until a sample at or
 * past its clear_at. The engine (alarm.c) owns the alarm instance; this
 * module only decides. Pure: time is an argument.
 */
#ifndef VITALS_ALARM_TRIGGER_H
#define VITALS_ALARM_TRIGGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vitals/config/config.h"

/* Levels of a rule at most: its own limit and its tiers. */
#define VT_TRIGGER_LEVELS (1 + VT_RULE_MAX_TIERS)

/* One level's state on one bed. */
struct vt_trigger {
	bool in_run;       /* the last valued sample was beyond this level's limit */
	int64_t run_start; /* the run's first sample */
	double area;       /* depth beyond the limit x seconds, over the run */
	bool in_force;     /* tiers: met, and no sample at or past clear_at since */
};

/* What one sample did to a rule's levels. */
struct vt_trigger_result {
	bool met;  /* some level is met at this sample: an alarm not yet active is raised */
	int level; /* the deepest tier in force, or 0: the alarm's priority and limit */
};

/* Whether rule rc goes through the triggers (it has an area or tiers). */
bool vt_trigger_applies(const struct vt_rule_config *rc);

/* The limit and priority of a level (0: the rule's own). */
double vt_trigger_limit(const struct vt_rule_config *rc, int level);
enum vt_priority vt_trigger_priority(const struct vt_rule_config *rc, int level);

/* Forget every run and every tier in force (a clear, a phase change). */
void vt_trigger_reset(struct vt_trigger tr[VT_TRIGGER_LEVELS]);

/*
 * A sample of the rule's parameter at t: `has` whether it carries a value
 * v; `held_ms` the time it stands for (since the previous sample of the
 * parameter; 0 for the first). A sample with no value ends every run and
 * changes no tier in force.
 */
struct vt_trigger_result vt_trigger_sample(const struct vt_rule_config *rc,
                                           struct vt_trigger tr[VT_TRIGGER_LEVELS], bool has,
                                           double v, int64_t t, int64_t held_ms);

#endif
