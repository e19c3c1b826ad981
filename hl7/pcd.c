/*
 * IHE PCD-01 and PCD-04 messages from vitalsd's vitals and alarms (see
 * vitals/hl7/pcd.h). The codes are IEEE 11073-10101's: a parameter's
 * observation id and code come from the parameter table (daemon/base/
 * sample.c), its unit and its place in the device hierarchy from the table
 * below. Interface engines identify a vital by OBX-3 and use OBX-4 only
 * to group rows, so the hierarchy is fixed per parameter: the same vital
 * always sits at the same path, whatever the bed's monitor.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vitals/base/timefmt.h"
#include "vitals/hl7/pcd.h"

/* The profiles the messages claim (MSH-21). */
#define S_PROFILE_R01 "IHE_PCD_001^IHE PCD^1.3.6.1.4.1.19376.1.6.1.1.1^ISO"
#define S_PROFILE_R40 "IHE_PCD_ACM_001^IHE PCD^1.3.6.1.4.1.19376.1.6.1.4.1^ISO"
#define S_MDS "69965^MDC_DEV_MON_PHYSIO_MULTI_PARAM_MDS^MDC"

/* A virtual medical device (OBX-4's second level): what kind of sensor measures a vital. */
struct s_vmd {
	const char *code; /* OBX-3 of its row; NULL: no row (a code we could not verify) */
};
enum { G_SPO2 = 1, G_ECG, G_RESP, G_NIBP, G_CO2, G_TEMP, G_COUNT };
static const struct s_vmd s_vmds[G_COUNT] = {
	[G_SPO2] = {"69642^MDC_DEV_ANALY_SAT_O2_VMD^MDC"},
	[G_ECG] = {"69798^MDC_DEV_ECG_VMD^MDC"},
	[G_RESP] = {"70666^MDC_DEV_ECG_RESP_VMD^MDC"},
	[G_NIBP] = {"70686^MDC_DEV_PRESS_BLD_NONINV_VMD^MDC"},
	/* Philips' nomenclature (NOM_DEV_CO2_VMD, 0x141A), which shares MDC's term codes. */
	[G_CO2] = {"70682^MDC_DEV_CO2_VMD^MDC"},
	[G_TEMP] = {"69902^MDC_DEV_METER_TEMP_VMD^MDC"},
};

/* Where a parameter sits (MDS 1, its VMD, channel 1, this metric) and its MDC unit. */
struct s_metric {
	int vmd;
	int metric;
	const char *unit; /* OBX-6 */
};
#define S_PERCENT "262688^MDC_DIM_PERCENT^MDC"
#define S_BPM "264864^MDC_DIM_BEAT_PER_MIN^MDC"
#define S_MMHG "266016^MDC_DIM_MMHG^MDC"
static const struct s_metric s_metrics[VT_PARAM_COUNT] = {
	[VT_SPO2] = {G_SPO2, 1, S_PERCENT},
	[VT_PR] = {G_SPO2, 2, S_BPM},
	[VT_PI] = {G_SPO2, 3, S_PERCENT},
	[VT_SPCO] = {G_SPO2, 4, S_PERCENT},
	[VT_SPMET] = {G_SPO2, 5, S_PERCENT},
	[VT_PVI] = {G_SPO2, 6, S_PERCENT},
	[VT_HR] = {G_ECG, 1, S_BPM},
	[VT_RR] = {G_RESP, 1, "264928^MDC_DIM_RESP_PER_MIN^MDC"},
	[VT_NIBP_SYS] = {G_NIBP, 1, S_MMHG},
	[VT_NIBP_DIA] = {G_NIBP, 2, S_MMHG},
	[VT_NIBP_MAP] = {G_NIBP, 3, S_MMHG},
	[VT_ETCO2] = {G_CO2, 1, S_MMHG},
	[VT_TEMP] = {G_TEMP, 1, "268192^MDC_DIM_DEGC^MDC"},
};

/* A message being written: overflow is remembered and the result discarded. */
struct s_out {
	char *p;
	size_t cap, len;
	bool full;
};

static void
s_putn(struct s_out *o, const char *s, size_t n)
{
	if (o->full || o->len + n >= o->cap) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void
s_put(struct s_out *o, const char *s)
{
	s_putn(o, s, strlen(s));
}

static void s_putf(struct s_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
s_putf(struct s_out *o, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		o->full = true;
	else
		s_putn(o, buf, (size_t)n);
}

/*
 * Text from outside as HL7 text: the separators and the escape character
 * as their escapes, control bytes (a CR would end the segment) as \Xhh\.
 * With `components`, '^' stays a component separator (a configured PV1-3).
 */
static void
s_esc(struct s_out *o, const char *s, bool components)
{
	for (; s != NULL && *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '|': s_put(o, "\\F\\"); break;
		case '^': components ? s_putn(o, "^", 1) : s_put(o, "\\S\\"); break;
		case '&': s_put(o, "\\T\\"); break;
		case '~': s_put(o, "\\R\\"); break;
		case '\\': s_put(o, "\\E\\"); break;
		default:
			if (c < 0x20 || c == 0x7f)
				s_putf(o, "\\X%02X\\", c);
			else
				s_putn(o, s, 1);
		}
	}
}

bool
vt_pcd_plain(const char *s, bool components)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f || c == '|' || c == '&' || c == '~' || c == '\\' ||
		    (c == '^' && !components))
			return false;
	}
	return true;
}

char *
vt_pcd_time(int64_t ms, char *buf, size_t len)
{
	/* The project's RFC 3339 text ("2026-11-21T10:14:03.120Z") without its separators. */
	char t[VT_TIME_BUFSZ];
	vt_time_format(ms, t);
	snprintf(buf, len, "%.4s%.2s%.2s%.2s%.2s%.2s.%.3s+0000", t, t + 5, t + 8, t + 11, t + 14,
	         t + 17, t + 20);
	return buf;
}

/* A number as a device shows it: integral values without a point. */
static void
s_number(struct s_out *o, double v)
{
	if (isfinite(v))
		s_putf(o, "%.10g", v);
}

const char *
vt_pcd_phase_name(enum vt_pcd_phase p)
{
	static const char *const names[] = {"start", "update", "escalate", "deescalate", "end"};
	return (unsigned)p < sizeof(names) / sizeof(names[0]) ? names[p] : "update";
}

/* MSH, PID and PV1: what every message of a bed begins with. */
static void
s_head(struct s_out *o, const struct vt_pcd_sender *s, const struct vt_pcd_bed *bed,
       const struct vt_pcd_id *id, const char *type, const char *profile)
{
	char t[40];
	s_put(o, "MSH|^~\\&|");
	s_esc(o, s->application, false);
	s_put(o, "|");
	s_esc(o, s->facility, false);
	s_put(o, "|");
	s_esc(o, s->receiver, false);
	s_put(o, "|");
	s_esc(o, s->receiver_facility, false);
	s_putf(o, "|%s||%s|", vt_pcd_time(id->created, t, sizeof(t)), type);
	s_esc(o, id->control_id, false);
	/* MSH-15 AL, MSH-16 NE: the engine commits every message, as IHE PCD asks. */
	s_putf(o, "|%c|2.6|%llu||AL|NE||UNICODE UTF-8|||%s\r", s->processing ? s->processing : 'P',
	       (unsigned long long)id->sequence, profile);
	/* The patient is not known to vitalsd: the engine associates by location and time. */
	s_put(o, "PID|||\rPV1||U|");
	if (bed->location != NULL && *bed->location) {
		s_esc(o, bed->location, true);
	} else {
		s_put(o, "^^");
		s_esc(o, bed->name, false);
	}
	s_put(o, "\r");
}

/* OBX-18: the equipment, as entity identifier ^ namespace. */
static void
s_equipment(struct s_out *o, const struct vt_pcd_sender *s, const struct vt_pcd_bed *bed)
{
	s_esc(o, bed->device != NULL && *bed->device ? bed->device : bed->name, false);
	s_put(o, "^");
	s_esc(o, s->application, false);
}

/* OBX-3 of a parameter: its MDC code, or a local code for one without. */
static void
s_observation_id(struct s_out *o, enum vt_param p)
{
	const struct vt_param_info *pi = vt_param_info(p);
	if (pi->mdc != NULL)
		s_putf(o, "%u^%s^MDC", (unsigned)pi->mdc_code, pi->mdc);
	else
		s_putf(o, "%s^%s^99VITALSD", pi->name, pi->label);
}

size_t
vt_pcd_r01(char *buf, size_t cap, const struct vt_pcd_sender *s, const struct vt_pcd_bed *bed,
           const struct vt_pcd_id *id, const struct vt_pcd_obs *obs)
{
	struct s_out o = {.p = buf, .cap = cap};
	if (cap == 0 || (obs->valid & VT_PARAMS_ALL) == 0)
		return 0;
	buf[0] = '\0';
	char t[40], mt[40];
	vt_pcd_time(obs->time, t, sizeof(t));
	s_head(&o, s, bed, id, "ORU^R01^ORU_R01", S_PROFILE_R01);
	s_put(&o, "OBR|1||");
	s_esc(&o, id->control_id, false);
	s_put(&o, "^");
	s_esc(&o, s->application, false);
	s_putf(&o, "|182777000^monitoring of patient^SCT|||%s\r", t);
	int set = 1;
	s_putf(&o, "OBX|%d||" S_MDS "|1.0.0.0|||||||X|||||||", set++);
	s_equipment(&o, s, bed);
	s_put(&o, "\r");
	/* Each VMD that has a value, then its values, in the order of the table. */
	for (int g = 1; g < G_COUNT; g++) {
		bool any = false;
		for (int p = 0; p < VT_PARAM_COUNT; p++) {
			if (s_metrics[p].vmd != g || !(obs->valid & VT_PARAM_BIT(p)))
				continue;
			if (!any && s_vmds[g].code != NULL)
				s_putf(&o, "OBX|%d||%s|1.%d.0.0|||||||X\r", set++, s_vmds[g].code, g);
			any = true;
			s_putf(&o, "OBX|%d|NM|", set++);
			s_observation_id(&o, (enum vt_param)p);
			s_putf(&o, "|1.%d.1.%d|", g, s_metrics[p].metric);
			s_number(&o, obs->value[p]);
			bool spot = obs->measured[p] != 0;
			s_putf(&o, "|%s|||||R|||%s|||%s|", s_metrics[p].unit,
			       spot ? vt_pcd_time(obs->measured[p], mt, sizeof(mt)) : t,
			       spot ? "^APERIODIC" : "");
			s_equipment(&o, s, bed);
			s_put(&o, "\r");
		}
	}
	return o.full ? 0 : o.len;
}

/* One attribute row of an alarm: .3 to .7. */
static void
s_attr(struct s_out *o, int *set, const char *sub, int facet, const char *code, const char *value)
{
	s_putf(o, "OBX|%d|ST|%s|%s.%d|%s|||||R\r", (*set)++, code, sub, facet, value);
}

size_t
vt_pcd_r40(char *buf, size_t cap, const struct vt_pcd_sender *s, const struct vt_pcd_bed *bed,
           const struct vt_pcd_id *id, const struct vt_pcd_alarm *a)
{
	struct s_out o = {.p = buf, .cap = cap};
	if (cap == 0)
		return 0;
	buf[0] = '\0';
	char t[40];
	vt_pcd_time(a->time, t, sizeof(t));
	s_head(&o, s, bed, id, "ORU^R40^ORU_R40", S_PROFILE_R40);
	/* OBR-2 and OBR-3: the alarm's own id, the same in each of its reports. */
	for (int i = 0; i < 2; i++) {
		s_put(&o, i == 0 ? "OBR|1|" : "|");
		s_esc(&o, a->uid, false);
		s_put(&o, "^");
		s_esc(&o, s->application, false);
	}
	s_putf(&o, "|196616^MDC_EVT_ALARM^MDC|||%s\r", t);
	int set = 1;
	s_putf(&o, "OBX|%d||" S_MDS "|1.0.0.0|||||||X|||||||", set++);
	s_equipment(&o, s, bed);
	s_put(&o, "\r");
	/* The rows share the path of the metric the alarm is about (the MDS otherwise). */
	char sub[32] = "1.0.0.0";
	bool metric = a->parameter >= 0 && a->parameter < VT_PARAM_COUNT;
	if (metric)
		snprintf(sub, sizeof(sub), "1.%d.1.%d", s_metrics[a->parameter].vmd,
		         s_metrics[a->parameter].metric);
	static const char prio[][3] = {"PL", "PM", "PH"};
	const char *pr = (unsigned)a->priority < 3 ? prio[a->priority] : "PM";
	const char *type = a->technical ? "ST" : "SP";
	const char *abnormal = a->technical || a->direction == 0 ? "A" : a->direction < 0 ? "L" : "H";
	/* .1: what the alarm is, and its text. */
	const char *event = a->technical || a->direction == 0 ? "196616^MDC_EVT_ALARM^MDC"
	                    : a->direction < 0              ? "196674^MDC_EVT_LO_VAL_LT_LIM^MDC"
	                                                    : "196652^MDC_EVT_HI_VAL_GT_LIM^MDC";
	s_putf(&o, "OBX|%d|ST|%s|%s.1|", set++, event, sub);
	s_esc(&o, a->text, false);
	s_putf(&o, "|||%s~%s~%s|||R|||%s\r", abnormal, pr, type, t);
	/* .2: the source, the metric with its value, unit and limit, or the monitor itself. */
	if (metric) {
		s_putf(&o, "OBX|%d|NM|", set++);
		s_observation_id(&o, (enum vt_param)a->parameter);
		s_putf(&o, "|%s.2|", sub);
		if (a->has_value)
			s_number(&o, a->value);
		s_putf(&o, "|%s|", s_metrics[a->parameter].unit);
		if (a->has_limit && a->direction != 0) {
			s_put(&o, a->direction < 0 ? ">=" : "<=");
			s_number(&o, a->limit);
		}
	} else {
		s_putf(&o, "OBX|%d|CWE|68480^MDC_ATTR_ALERT_SOURCE^MDC|%s.2|" S_MDS "||", set++, sub);
	}
	s_putf(&o, "|%s~%s~%s|||R|||%s\r", abnormal, pr, type, t);
	s_attr(&o, &set, sub, 3, "68481^MDC_ATTR_EVENT_PHASE^MDC", vt_pcd_phase_name(a->phase));
	s_attr(&o, &set, sub, 4, "68482^MDC_ATTR_ALARM_STATE^MDC",
	       a->phase == VT_PCD_END ? "inactive" : "active");
	s_attr(&o, &set, sub, 5, "68483^MDC_ATTR_ALARM_INACTIVATION_STATE^MDC",
	       a->acknowledged ? "alert-acknowledged" : a->silenced ? "audio-paused" : "enabled");
	s_attr(&o, &set, sub, 6, "68484^MDC_ATTR_ALARM_PRIORITY^MDC", pr);
	s_attr(&o, &set, sub, 7, "68485^MDC_ATTR_ALERT_TYPE^MDC", type);
	return o.full ? 0 : o.len;
}
