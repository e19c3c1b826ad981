/*
 * The alarms of IHE PCD-04 (ORU^R40, hl7_pcd.h). One alarm is a group of
 * OBX rows that share an OBX-4 path and differ in its last level: the
 * event, its source, phase, state, inactivation state, priority and type.
 * The attribute codes differ between vendors for the same name (Mindray,
 * GE and Draeger number ALERT_SOURCE, EVENT_PHASE and the others each
 * their own way), so a row is recognised by the name in OBX-3, and by its
 * place only where the name is absent. Priority "none" (a keep-alive such
 * as Draeger's MDC_EVT_ACTIVE) raises nothing.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "vitals/drivers/hl7_pcd.h"

/* What a row of an alarm says, by the name in OBX-3 or else by its place. */
enum s_role { R_NONE, R_IDENTITY, R_SOURCE, R_PHASE, R_STATE, R_INACTIVATION, R_PRIORITY, R_TYPE };

static enum s_role
s_role(const struct vt_hl7_msg *m, struct vt_hl7_str id, int facet)
{
	char name[64];
	vt_hl7_text(m, vt_hl7_comp(m, id, 2), name, sizeof name);
	if (strstr(name, "ALERT_SOURCE"))
		return R_SOURCE;
	if (strstr(name, "EVENT_PHASE"))
		return R_PHASE;
	if (strstr(name, "INACTIVATION"))
		return R_INACTIVATION;
	if (strstr(name, "ALARM_STATE") || strstr(name, "ALERT_STATE"))
		return R_STATE;
	if (strstr(name, "PRIORITY"))
		return R_PRIORITY;
	if (strstr(name, "ALERT_TYPE"))
		return R_TYPE;
	if (name[0] != '\0' && strncmp(name, "MDC_ATTR_", 9) == 0)
		return R_NONE; /* an attribute we do not read */
	static const enum s_role by_place[] = {R_NONE,  R_IDENTITY,     R_SOURCE,   R_PHASE,
	                                       R_STATE, R_INACTIVATION, R_PRIORITY, R_TYPE};
	if (name[0] == '\0' && facet >= 2 && facet <= 7)
		return by_place[facet];
	return facet == 1 ? R_IDENTITY : R_NONE;
}

/* One alarm being read: its rows share the OBX-4 path before the last level. */
struct s_alarm {
	struct vt_hl7_str group;
	char event[48], words[96], source[48], phase[16], state[16], prio[8], type[8];
	int param;
};

/* The last level of a dotted OBX-4 path, and the path before it. */
static int
s_facet(struct vt_hl7_str sub, struct vt_hl7_str *group)
{
	size_t dot = sub.n;
	while (dot > 0 && sub.p[dot - 1] != '.')
		dot--;
	*group = (struct vt_hl7_str){sub.p, dot > 0 ? dot - 1 : 0};
	int facet = 0;
	for (size_t i = dot; i < sub.n && facet < 1000; i++) {
		if (sub.p[i] < '0' || sub.p[i] > '9')
			return 0;
		facet = facet * 10 + (sub.p[i] - '0');
	}
	return facet;
}

/* "MDC_EVT_LEAD_OFF" as a nurse reads it: "lead off". */
static void
s_words(const char *name, char *out, size_t cap)
{
	if (strncmp(name, "MDC_EVT_", 8) == 0)
		name += 8;
	size_t o = 0;
	for (; *name && o + 1 < cap; name++)
		out[o++] = *name == '_' ? ' ' : (char)(*name >= 'A' && *name <= 'Z' ? *name + 32 : *name);
	out[o] = '\0';
}

/* The identity row: the event, and its text where the monitor gives one. */
static void
s_identity(const struct vt_hl7_msg *m, struct vt_hl7_str seg, struct s_alarm *a)
{
	struct vt_hl7_str id = vt_hl7_field(m, seg, 3), value = vt_hl7_field(m, seg, 5);
	char code[24], name[64];
	vt_hl7_text(m, vt_hl7_comp(m, id, 1), code, sizeof code);
	vt_hl7_text(m, vt_hl7_comp(m, id, 2), name, sizeof name);
	/* OBX-3 MDC_EVT_ALARM (or GE's 0): the event is the coded value; any
	 * other OBX-3 is the event itself, with the value as its text (Draeger). */
	bool generic = strcmp(code, "196616") == 0 || strcmp(code, "0") == 0 ||
	               strcmp(name, "MDC_EVT_ALARM") == 0;
	bool coded = vt_hl7_eq(m, vt_hl7_field(m, seg, 2), "CWE") ||
	             vt_hl7_eq(m, vt_hl7_field(m, seg, 2), "CNE");
	if (generic && coded) {
		vt_hl7_text(m, vt_hl7_comp(m, value, 1), code, sizeof code);
		vt_hl7_text(m, vt_hl7_comp(m, value, 2), name, sizeof name);
		char text[96];
		vt_hl7_text(m, vt_hl7_comp(m, value, 5), text, sizeof text);
		if (text[0] != '\0')
			snprintf(a->words, sizeof a->words, "%s", text);
	} else if (!coded) {
		vt_hl7_text(m, value, a->words, sizeof a->words);
	}
	snprintf(a->event, sizeof a->event, "%.47s", name[0] ? name : code);
	if (a->words[0] == '\0')
		s_words(a->event, a->words, sizeof a->words);
}

/* The vital sign an alarm's source row names, or -1. */
static int
s_source(const struct vt_hl7_msg *m, struct vt_hl7_str seg, struct s_alarm *a)
{
	struct vt_hl7_str value = vt_hl7_field(m, seg, 5);
	char name[48];
	vt_hl7_text(m, vt_hl7_comp(m, value, 2), name, sizeof name);
	if (name[0] == '\0')
		vt_hl7_text(m, vt_hl7_comp(m, value, 1), name, sizeof name);
	/* The monitor as a whole (the MDS) is no particular source. */
	if (strncmp(name, "MDC_DEV_", 8) != 0)
		snprintf(a->source, sizeof a->source, "%s", name);
	return vt_hl7_param_of(m, value);
}

/* Fill one alarm's result; false if it raises nothing (priority none, a keep-alive). */
static bool
s_alarm_out(const struct s_alarm *a, struct vt_device_alarm *out)
{
	memset(out, 0, sizeof *out);
	if (a->event[0] == '\0' || strcmp(a->prio, "PN") == 0 || strcmp(a->event, "MDC_EVT_ACTIVE") == 0)
		return false;
	snprintf(out->code, sizeof out->code, "%s", a->event);
	snprintf(out->source, sizeof out->source, "%s", a->source);
	out->param = a->param;
	if (a->param >= 0)
		snprintf(out->text, sizeof out->text, "%s %s", vt_param_info(a->param)->label, a->words);
	else
		snprintf(out->text, sizeof out->text, "%s", a->words);
	out->kind = strcmp(a->type, "SP") == 0 ? VT_KIND_PHYSIOLOGICAL : VT_KIND_TECHNICAL;
	out->priority = strcmp(a->prio, "PH") == 0   ? VT_PRIO_HIGH
	                : strcmp(a->prio, "PL") == 0 ? VT_PRIO_LOW
	                                             : VT_PRIO_MEDIUM;
	bool ended = strcasecmp(a->phase, "end") == 0 || strcasecmp(a->state, "inactive") == 0;
	out->active = !ended;
	return true;
}

#define S_ALARMS_PER_MESSAGE 8

size_t
vt_hl7_alarms(const struct vt_hl7_msg *m, struct vt_device_alarm *out, size_t max)
{
	struct s_alarm al[S_ALARMS_PER_MESSAGE];
	size_t n = 0, pos = 0;
	struct vt_hl7_str seg;
	while (vt_hl7_segment(m, &pos, &seg)) {
		if (!vt_hl7_is(seg, "OBX"))
			continue;
		struct vt_hl7_str group;
		int facet = s_facet(vt_hl7_field(m, seg, 4), &group);
		size_t k = 0;
		while (k < n && !(al[k].group.n == group.n && memcmp(al[k].group.p, group.p, group.n) == 0))
			k++;
		if (k == n) {
			if (n == S_ALARMS_PER_MESSAGE)
				continue;
			memset(&al[n], 0, sizeof al[n]);
			al[n].group = group;
			al[n].param = -1;
			n++;
		}
		struct s_alarm *a = &al[k];
		struct vt_hl7_str value = vt_hl7_field(m, seg, 5);
		switch (s_role(m, vt_hl7_field(m, seg, 3), facet)) {
		case R_IDENTITY:
			s_identity(m, seg, a);
			/* OBX-8 repeats priority and type: A~PL~ST. */
			for (int r = 1; r <= 4; r++) {
				char f[8];
				vt_hl7_text(m, vt_hl7_rep(m, vt_hl7_field(m, seg, 8), r), f, sizeof f);
				if (f[0] == 'P' && a->prio[0] == '\0')
					snprintf(a->prio, sizeof a->prio, "%s", f);
				else if (f[0] == 'S' && a->type[0] == '\0')
					snprintf(a->type, sizeof a->type, "%s", f);
			}
			break;
		case R_SOURCE:
			a->param = s_source(m, seg, a);
			break;
		case R_PHASE:
			vt_hl7_text(m, value, a->phase, sizeof a->phase);
			break;
		case R_STATE:
			vt_hl7_text(m, value, a->state, sizeof a->state);
			break;
		case R_PRIORITY:
			vt_hl7_text(m, value, a->prio, sizeof a->prio);
			break;
		case R_TYPE:
			vt_hl7_text(m, value, a->type, sizeof a->type);
			break;
		case R_INACTIVATION:
		case R_NONE:
			break;
		}
	}
	size_t got = 0;
	for (size_t k = 0; k < n && got < max; k++)
		got += s_alarm_out(&al[k], &out[got]);
	return got;
}

