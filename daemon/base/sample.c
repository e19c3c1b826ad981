/*
 * The table of parameters and device flags. Names are the contract with the
 * configuration and the consoles; reference ids tie each parameter to
 * IEEE 11073-10101 so that an integrator can map our messages onto other
 * systems without guessing.
 */
#include <string.h>

#include "vitals/base/sample.h"

static const struct vt_param_info params[VT_PARAM_COUNT] = {
	/* name, label, unit, reference id, its code, range, episodic */
	[VT_SPO2] = {"spo2", "SpO2", "%", "MDC_PULS_OXIM_SAT_O2", 150456, 0, 100, false},
	[VT_PR] = {"pr", "PR", "bpm", "MDC_PULS_OXIM_PULS_RATE", 149530, 0, 350, false},
	[VT_HR] = {"hr", "HR", "bpm", "MDC_ECG_HEART_RATE", 147842, 0, 350, false},
	[VT_PI] = {"pi", "PI", "%", "MDC_PULS_OXIM_PERF_REL", 150488, 0, 100, false},
	[VT_RR] = {"rr", "RR", "/min", "MDC_RESP_RATE", 151562, 0, 150, false},
	[VT_NIBP_SYS] = {"nibp_sys", "NIBP sys", "mmHg", "MDC_PRESS_BLD_NONINV_SYS", 150021, 0, 350,
	                 true},
	[VT_NIBP_DIA] = {"nibp_dia", "NIBP dia", "mmHg", "MDC_PRESS_BLD_NONINV_DIA", 150022, 0, 350,
	                 true},
	[VT_NIBP_MAP] = {"nibp_map", "NIBP mean", "mmHg", "MDC_PRESS_BLD_NONINV_MEAN", 150023, 0, 350,
	                 true},
	[VT_ETCO2] = {"etco2", "EtCO2", "mmHg", "MDC_AWAY_CO2_ET", 151708, 0, 150, false},
	/* Body temperature as a clinical thermometer reads it; monitors measure
	 * roughly 15 to 45 degrees, the range leaves room for their extremes. */
	[VT_TEMP] = {"temp", "Temp", "\u00b0C", "MDC_TEMP_BODY", 150364, 0, 50, false},
	/* Masimo rainbow parameters have no 11073 code we could verify. */
	[VT_SPCO] = {"spco", "SpCO", "%", NULL, 0, 0, 100, false},
	[VT_SPMET] = {"spmet", "SpMet", "%", NULL, 0, 0, 100, false},
	[VT_PVI] = {"pvi", "PVI", "%", NULL, 0, 0, 100, false},
};

static const char *const flag_names[VT_FLAG_COUNT] = {
	"sensor-off",    "no-sensor",     "sensor-fault", "low-perfusion",
	"low-signal-iq", "artifact",      "pulse-search", "ambient-light",
	"loss-of-pulse", "low-battery",   "device-alarm", "device-silenced",
	"leads-off",     "nibp-failed",   "cuff-overpressure", "co2-occlusion",
	"demo-data",
};

const struct vt_param_info *
vt_param_info(enum vt_param p)
{
	return &params[p];
}

int
vt_param_by_name(const char *name)
{
	for (int p = 0; p < VT_PARAM_COUNT; p++)
		if (strcmp(params[p].name, name) == 0)
			return p;
	return -1;
}

const char *
vt_flag_name(uint32_t flag)
{
	for (int i = 0; i < VT_FLAG_COUNT; i++)
		if (flag == (1u << i))
			return flag_names[i];
	return NULL;
}

void
vt_reading_set(struct vt_reading *r, enum vt_param p, double v)
{
	r->reported |= VT_PARAM_BIT(p);
	r->valid |= VT_PARAM_BIT(p);
	r->value[p] = v;
}

vt_param_mask
vt_flags_blind(uint32_t flags)
{
	vt_param_mask m = 0;
	if (flags & VT_FLAG_DEMO_DATA)
		return VT_PARAMS_ALL;
	if (flags & VT_FLAGS_SENSOR_OFF)
		m |= VT_PARAMS_OXIMETRY;
	if (flags & VT_FLAG_LEADS_OFF)
		m |= VT_PARAM_BIT(VT_HR);
	if (flags & VT_FLAG_CO2_OCCLUSION)
		m |= VT_PARAM_BIT(VT_ETCO2);
	return m;
}

vt_param_mask
vt_flags_fitted(uint32_t flags)
{
	vt_param_mask m = 0;
	if (flags & VT_FLAGS_SENSOR_OFF)
		m |= VT_PARAMS_PULSE_OXIMETER;
	if (flags & VT_FLAG_LEADS_OFF)
		m |= VT_PARAM_BIT(VT_HR);
	if (flags & VT_FLAG_CO2_OCCLUSION)
		m |= VT_PARAM_BIT(VT_ETCO2);
	if (flags & VT_FLAGS_CUFF)
		m |= VT_PARAMS_NIBP;
	return m;
}

void
vt_reading_set_missing(struct vt_reading *r, enum vt_param p)
{
	r->reported |= VT_PARAM_BIT(p);
	r->valid &= ~VT_PARAM_BIT(p);
	r->value[p] = 0;
}

void
vt_reading_set_age(struct vt_reading *r, enum vt_param p, int64_t age_ms, int64_t stamp_ms)
{
	r->timed |= VT_PARAM_BIT(p);
	r->age_ms[p] = age_ms > 0 ? age_ms : 0;
	r->stamp_ms[p] = stamp_ms;
}

bool
vt_reading_same_stamp(int64_t a, int64_t b)
{
	/* In unsigned arithmetic: any two stamps, however far apart, compare. */
	uint64_t d = a >= b ? (uint64_t)a - (uint64_t)b : (uint64_t)b - (uint64_t)a;
	return d <= VT_SPOT_SAME_MS;
}

bool
vt_reading_is_spot(const struct vt_reading *r, enum vt_param p)
{
	return params[p].episodic || (r->spot & VT_PARAM_BIT(p));
}
