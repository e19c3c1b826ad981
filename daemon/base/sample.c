/*
 * The table of parameters and device flags. Names are the contract with the
 * configuration and the consoles; reference ids tie each parameter to
 * IEEE 11073-10101 so that an integrator can map our messages onto other
 * systems without guessing.
 */
#include <string.h>

#include "vitals/base/sample.h"

static const struct vt_param_info params[VT_PARAM_COUNT] = {
	[VT_SPO2] = {"spo2", "SpO2", "%", "MDC_PULS_OXIM_SAT_O2", 0, 100},
	[VT_PR] = {"pr", "PR", "bpm", "MDC_PULS_OXIM_PULS_RATE", 0, 350},
	[VT_HR] = {"hr", "HR", "bpm", "MDC_ECG_HEART_RATE", 0, 350},
	[VT_PI] = {"pi", "PI", "%", "MDC_PULS_OXIM_PERF_REL", 0, 100},
	[VT_RR] = {"rr", "RR", "/min", "MDC_RESP_RATE", 0, 150},
	[VT_NIBP_SYS] = {"nibp_sys", "NIBP sys", "mmHg", "MDC_PRESS_BLD_NONINV_SYS", 0, 350},
	[VT_NIBP_DIA] = {"nibp_dia", "NIBP dia", "mmHg", "MDC_PRESS_BLD_NONINV_DIA", 0, 350},
	[VT_NIBP_MAP] = {"nibp_map", "NIBP mean", "mmHg", "MDC_PRESS_BLD_NONINV_MEAN", 0, 350},
	[VT_ETCO2] = {"etco2", "EtCO2", "mmHg", "MDC_AWAY_CO2_ET", 0, 150},
	/* Masimo rainbow parameters have no 11073 code we could verify. */
	[VT_SPCO] = {"spco", "SpCO", "%", NULL, 0, 100},
	[VT_SPMET] = {"spmet", "SpMet", "%", NULL, 0, 100},
	[VT_PVI] = {"pvi", "PVI", "%", NULL, 0, 100},
};

static const char *const flag_names[VT_FLAG_COUNT] = {
	"sensor-off",    "no-sensor",     "sensor-fault", "low-perfusion",
	"low-signal-iq", "artifact",      "pulse-search", "ambient-light",
	"loss-of-pulse", "low-battery",   "device-alarm", "device-silenced",
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

void
vt_reading_set_missing(struct vt_reading *r, enum vt_param p)
{
	r->reported |= VT_PARAM_BIT(p);
	r->valid &= ~VT_PARAM_BIT(p);
	r->value[p] = 0;
}
