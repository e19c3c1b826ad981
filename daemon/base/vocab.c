/*
 * Names of the shared alarm vocabulary (vocab.h): the words that appear in
 * configuration files, messages and logs.
 */
#include <stddef.h>
#include <string.h>

#include "vitals/base/vocab.h"

static const char *const s_priority_names[] = {"low", "medium", "high"};
static const char *const s_phase_names[VT_PHASE_COUNT] = {"baseline", "infusion", "recovery",
                                                          "ended"};
static const char *const s_technical_names[VT_TECH_COUNT] = {
    "comm-lost", "sensor-off",   "no-data",       "signal-quality", "recording-failed",
    "undecodable-data", "leads-off", "cuff-error", "co2-occlusion", "demo-data"};

const char *
vt_priority_name(enum vt_priority p)
{
	return (unsigned)p < sizeof(s_priority_names) / sizeof(s_priority_names[0])
	               ? s_priority_names[p]
	               : "unknown";
}

const char *
vt_phase_name(enum vt_phase p)
{
	return (unsigned)p < VT_PHASE_COUNT ? s_phase_names[p] : "unknown";
}

int
vt_phase_by_name(const char *name)
{
	for (int p = 0; name != NULL && p < VT_PHASE_COUNT; p++)
		if (strcmp(s_phase_names[p], name) == 0)
			return p;
	return -1;
}

const char *
vt_technical_name(enum vt_technical t)
{
	return (unsigned)t < VT_TECH_COUNT ? s_technical_names[t] : "unknown";
}
