/*
 * An alarm a monitor raises and clears itself, as the HL7 alarm messages of
 * IHE PCD-04 (ORU^R40) report them: the monitor decided, on its own limits
 * or its own technical checks, and says when the condition starts, goes on
 * and ends. Drivers produce these; the alarm engine turns them into alerts
 * of the bed marked as the monitor's (vt_alarms_device). It lives in base
 * because both sides speak it and neither may include the other.
 */
#ifndef VITALS_BASE_DEVICE_ALARM_H
#define VITALS_BASE_DEVICE_ALARM_H

#include <stdbool.h>

#include "vitals/base/vocab.h"

struct vt_device_alarm {
	char code[48];             /* the monitor's name for the condition: "MDC_EVT_LEAD_OFF" */
	char source[48];           /* what it is about ("MDC_PULS_OXIM_SAT_O2"), "" for the monitor */
	char text[96];             /* for a nurse: "ECG lead off" */
	enum vt_alert_kind kind;   /* physiological (the patient) or technical (the equipment) */
	enum vt_priority priority; /* as the monitor ranks it */
	bool active;               /* raised or still going on; false: it has ended */
	int param;                 /* the enum vt_param it is about, or -1 */
};

#endif
