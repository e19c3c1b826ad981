/*
 * The alarm history of a station: every alarm instance it has heard of,
 * active or over, with what became of it (who acknowledged it and when,
 * how bad it got, when and how it ended). It is what a charge nurse
 * reviews at handover and after an incident, and what a central station
 * lists under "alarm review". The console model feeds it every alert it
 * applies; applying one twice changes nothing. Pure; bounded to the last
 * VT_HISTORY_MAX instances (an ended one goes first).
 *
 * The history covers what this console heard since it started. The
 * complete record of a session is the recording, read by vitals-report.
 */
#ifndef VITALS_CONSOLE_HISTORY_H
#define VITALS_CONSOLE_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vitals/console/model.h"

/* Alarm instances kept. */
#define VT_HISTORY_MAX 200

enum vt_history_end {
	VT_HISTORY_ACTIVE,    /* still active */
	VT_HISTORY_CLEARED,   /* the daemon said it ended (`ended` is when) */
	VT_HISTORY_UNSEEN,    /* it ended while messages were missed; `ended` is when that was found */
	VT_HISTORY_RESTARTED  /* its daemon restarted; `ended` is when that was found */
};

struct vt_history_entry {
	char instance[64];               /* the daemon run: ids start again on a restart */
	char id[160];                    /* BED/RULE/N */
	char bed[128];
	char rule[64];
	char parameter[16];              /* "" for technical alerts without one */
	bool technical;
	enum vt_console_priority priority; /* the highest it reached */
	char text[256];                  /* as raised */
	int64_t onset;                   /* daemon time */
	bool has_limit;
	double limit;
	bool has_worst;
	double worst;                    /* furthest beyond the limit while active */
	bool acknowledged;
	char by[64];                     /* who acknowledged, when said */
	int64_t acked_at;                /* daemon time; 0 unknown or not acknowledged */
	enum vt_history_end end;
	int64_t ended;                   /* daemon time; 0 while active */
	char end_text[256];              /* the text of its cleared event */
	uint64_t version;                /* the history's version at its last change */
};

struct vt_history;

struct vt_history *vt_history_new(void);
void vt_history_free(struct vt_history **h);

/*
 * An alert event ("raised", "acknowledged", "cleared", ...) of daemon run
 * `instance` at daemon time `time`, as the model parsed it into `a`.
 */
void vt_history_alert(struct vt_history *h, const char *instance, const char *event,
                      const struct vt_console_alert *a, int64_t time);

/*
 * The model `m` was just synchronised at daemon time `time`: what the
 * history holds as active but the model does not ended unseen (same
 * instance) or with a restart (another instance).
 */
void vt_history_resync(struct vt_history *h, const struct vt_console *m, int64_t time);

/* Instances held, oldest raised first. */
size_t vt_history_count(const struct vt_history *h);
const struct vt_history_entry *vt_history_at(const struct vt_history *h, size_t i);
/* Bumped on every change; an entry's `version` says when it last changed. */
uint64_t vt_history_version(const struct vt_history *h);

/* "active", "cleared", "ended unseen", "daemon restarted". */
const char *vt_history_end_name(enum vt_history_end e);

#endif
