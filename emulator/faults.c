/*
 * The emulator's fault schedule: when the cable is pulled and put back,
 * when noise hits the line, when the sensor comes off. Options give lists
 * of times and durations; this turns them into one time-ordered list of
 * events on the recording's clock, so the event loop only ever looks at
 * the next one. Pure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/base/timefmt.h"
#include "vitals/emulator/emulate.h"

#define NS_PER_MS INT64_C(1000000)

static int
s_append(int64_t **v, size_t *n, int64_t x)
{
	int64_t *nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (nv == NULL)
		return -1;
	nv[(*n)++] = x;
	*v = nv;
	return 0;
}

int
vt_emu_parse_list(const char *s, bool unitless, int64_t **v, size_t *n, char *err, size_t errlen)
{
	const char *p = s;
	for (;;) {
		size_t len = strcspn(p, ",");
		char item[64];
		if (len == 0 || len >= sizeof(item)) {
			snprintf(err, errlen, "'%s': expected a number%s", s,
			         unitless ? "" : " of seconds (or with ms, s, m, h)");
			return -1;
		}
		memcpy(item, p, len);
		item[len] = '\0';
		char *end;
		errno = 0;
		double x = strtod(item, &end);
		int64_t value;
		if (unitless) {
			if (errno || *end != '\0' || x < 0 || x > 1e9 || x != (double)(int64_t)x) {
				snprintf(err, errlen, "'%s': expected a whole number", item);
				return -1;
			}
			value = (int64_t)x;
		} else if (end != item && *end == '\0') {
			/* A plain number is seconds. */
			if (errno || x < 0 || x > 1e9) {
				snprintf(err, errlen, "'%s': expected seconds from 0 to 1e9", item);
				return -1;
			}
			value = (int64_t)(x * 1e9 + 0.5);
		} else {
			int64_t ms;
			const char *why = NULL;
			if (vt_duration_parse(item, &ms, &why) != 0) {
				snprintf(err, errlen, "'%s': %s", item, why ? why : "not a duration");
				return -1;
			}
			value = ms * NS_PER_MS;
		}
		if (s_append(v, n, value) != 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		p += len;
		if (*p == '\0')
			return 0;
		p++; /* the comma */
	}
}

static int
s_add(struct vt_emu_faults *f, int64_t t, enum vt_emu_fault kind, uint32_t bytes)
{
	if (f->n == f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 16;
		struct vt_emu_event *ne = realloc(f->ev, ncap * sizeof(*ne));
		if (ne == NULL)
			return -1;
		f->ev = ne;
		f->cap = ncap;
	}
	/* Keep the list sorted; equal times keep the order they were added. */
	size_t i = f->n;
	while (i > 0 && f->ev[i - 1].t_ns > t) {
		f->ev[i] = f->ev[i - 1];
		i--;
	}
	f->ev[i] = (struct vt_emu_event){.t_ns = t, .fault = kind, .bytes = bytes};
	f->n++;
	return 0;
}

/* The event that ends a fault lasting a while. */
static enum vt_emu_fault
s_end_of(enum vt_emu_fault kind)
{
	switch (kind) {
	case VT_EMU_UNPLUG: return VT_EMU_REPLUG;
	case VT_EMU_SENSOR_OFF: return VT_EMU_SENSOR_ON;
	case VT_EMU_MUTE: return VT_EMU_UNMUTE;
	default: return VT_EMU_HEARING;
	}
}

int
vt_emu_faults_add(struct vt_emu_faults *f, enum vt_emu_fault kind, const int64_t *at,
                  size_t n_at, const int64_t *arg, size_t n_arg, int64_t dflt, char *err,
                  size_t errlen)
{
	if (n_arg > n_at) {
		snprintf(err, errlen, "%zu values for %zu fault times: give one time per value", n_arg,
		         n_at);
		return -1;
	}
	for (size_t i = 0; i < n_at; i++) {
		int64_t a = i < n_arg ? arg[i] : n_arg > 0 ? arg[n_arg - 1] : dflt;
		int rc;
		switch (kind) {
		case VT_EMU_NOISE:
			if (a <= 0 || a > 1000000) {
				snprintf(err, errlen, "noise of %lld bytes: expected 1 to 1000000",
				         (long long)a);
				return -1;
			}
			rc = s_add(f, at[i], VT_EMU_NOISE, (uint32_t)a);
			break;
		case VT_EMU_UNPLUG:
		case VT_EMU_SENSOR_OFF:
		case VT_EMU_MUTE:
		case VT_EMU_DEAF:
			if (a <= 0) {
				snprintf(err, errlen, "a fault must last longer than 0 s");
				return -1;
			}
			rc = s_add(f, at[i], kind, 0);
			if (rc == 0)
				rc = s_add(f, at[i] + a, s_end_of(kind), 0);
			break;
		case VT_EMU_BAD_CHECK:
		case VT_EMU_DROP:
		case VT_EMU_CUFF_FAIL:
			rc = s_add(f, at[i], kind, 0);
			break;
		default:
			snprintf(err, errlen, "not a fault that starts on its own");
			return -1;
		}
		if (rc != 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	return 0;
}

bool
vt_emu_faults_sensor_off(const struct vt_emu_faults *f, int64_t t_ns)
{
	/* Overlapping intervals: off while any has begun and not yet ended. */
	int depth = 0;
	for (size_t i = 0; i < f->n && f->ev[i].t_ns <= t_ns; i++) {
		if (f->ev[i].fault == VT_EMU_SENSOR_OFF)
			depth++;
		else if (f->ev[i].fault == VT_EMU_SENSOR_ON)
			depth--;
	}
	return depth > 0;
}

void
vt_emu_faults_free(struct vt_emu_faults *f)
{
	free(f->ev);
	memset(f, 0, sizeof(*f));
}
