/*
 * The table of protocol encoders, and the few helpers every encoder needs
 * (rounding a value to the digits a device shows, printing its clock, the
 * faults a polled monitor is told to show).
 * Like the driver table: a new protocol is one file and one line here.
 */
#include <math.h>
#include <string.h>

#include "vitals/base/timefmt.h"
#include "vitals/emulator/encode.h"

extern const struct vt_encoder vt_encoder_masimo_ascii;
extern const struct vt_encoder vt_encoder_nonin_df7;
extern const struct vt_encoder vt_encoder_nonin_df2;
extern const struct vt_encoder vt_encoder_nonin_df8;
extern const struct vt_encoder vt_encoder_nellcor_ascii;
extern const struct vt_encoder vt_encoder_ivy_ansarb;
extern const struct vt_encoder vt_encoder_hl7_mllp;
extern const struct vt_encoder vt_encoder_philips_mib;
extern const struct vt_encoder vt_encoder_ge_dri;

const struct vt_encoder *const vt_encoders[] = {
	&vt_encoder_masimo_ascii,
	&vt_encoder_nonin_df7,
	&vt_encoder_nonin_df2,
	&vt_encoder_nonin_df8,
	&vt_encoder_nellcor_ascii,
	&vt_encoder_ivy_ansarb,
	&vt_encoder_hl7_mllp,
	&vt_encoder_philips_mib,
	&vt_encoder_ge_dri,
	NULL,
};

const struct vt_encoder *
vt_encoder_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; vt_encoders[i] != NULL; i++)
		if (strcmp(vt_encoders[i]->name, name) == 0)
			return vt_encoders[i];
	return NULL;
}

void
vt_encode_config_default(struct vt_encode_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	/* A made-up serial number that no real unit is likely to carry. */
	memcpy(cfg->serial, "0000012345", 11);
	/* Nellcor N-560 adult factory limits. */
	cfg->spo2_low = 85;
	cfg->spo2_high = 100;
	cfg->pr_low = 40;
	cfg->pr_high = 170;
	cfg->audio_off = false;
	/* The revision a real OEM III module sends (captures/nonin_oem3_df7_60s). */
	cfg->nonin_srev = 45;
	/* A location as monitors write it (unit^room^bed). */
	memcpy(cfg->hl7_bed, "ICU^^1", 7);
}

bool
vt_encode_int(const struct vt_reading *r, enum vt_param p, double scale, int lo, int hi,
              int *out)
{
	if (!(r->valid & r->reported & VT_PARAM_BIT(p)))
		return false;
	double v = r->value[p] * scale;
	if (!isfinite(v))
		return false;
	/* Clamp before converting: a double beyond int's range is undefined. */
	if (v < lo)
		v = lo;
	if (v > hi)
		v = hi;
	*out = (int)lround(v);
	return true;
}

void
vt_encode_tm(int64_t ms, struct vt_encode_tm *tm)
{
	/* Floor, not truncate: a device's clock shows the second that has begun. */
	int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
	int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
	int64_t sod = secs - days * 86400;
	int64_t year;
	vt_civil_from_days(days, &year, &tm->month, &tm->day);
	tm->year = (int)year;
	tm->hour = (int)(sod / 3600);
	tm->min = (int)(sod / 60 % 60);
	tm->sec = (int)(sod % 60);
}

void
vt_encode_cuff_update(struct vt_encode_cuff *c, const struct vt_reading *r, int64_t wall_ms)
{
	const vt_param_mask need = VT_PARAM_BIT(VT_NIBP_SYS) | VT_PARAM_BIT(VT_NIBP_DIA);
	bool measured = (r->valid & need) == need;
	if (measured) {
		double bp[3] = {r->value[VT_NIBP_SYS], r->value[VT_NIBP_DIA], r->value[VT_NIBP_MAP]};
		if (!(r->valid & VT_PARAM_BIT(VT_NIBP_MAP)))
			bp[2] = bp[1] + (bp[0] - bp[1]) / 3;
		/* A row that says when the cuff measured (a CSV's nibp_time, a
		 * scenario) says which measurement it is; else a row right after
		 * one with pressures is the same measurement. */
		bool timed = (r->timed & VT_PARAM_BIT(VT_NIBP_SYS)) != 0;
		int64_t at = timed ? wall_ms - r->age_ms[VT_NIBP_SYS] : wall_ms;
		if (!c->have || (timed ? at != c->at_ms : !c->seen) ||
		    memcmp(bp, c->bp, sizeof bp) != 0) {
			memcpy(c->bp, bp, sizeof bp);
			c->at_ms = at;
			c->have = true;
		}
	}
	c->seen = measured;
}

bool
vt_encode_polled_fault(struct vt_encode_polled *p, enum vt_encode_fault f)
{
	switch (f) {
	case VT_ENCODE_DEAF:
		p->deaf = true;
		return true;
	case VT_ENCODE_HEARING:
		p->deaf = false;
		return true;
	case VT_ENCODE_BAD_CHECK:
		p->bad_check = true;
		return true;
	case VT_ENCODE_DROP:
		break;
	}
	return false;
}
