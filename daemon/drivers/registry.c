/*
 * The driver registry: every protocol vitalsd speaks, by the name a
 * configuration file uses. A new protocol is one new file defining a
 * `const struct vt_driver`, its declaration below, and one row in the table.
 */
#include <string.h>

#include "vitals/drivers/driver.h"

extern const struct vt_driver vt_driver_masimo;    /* driver_masimo.c */
extern const struct vt_driver vt_driver_nonin_df7; /* driver_nonin_df7.c */
extern const struct vt_driver vt_driver_nonin_df2; /* driver_nonin_df2.c */
extern const struct vt_driver vt_driver_nonin_df8; /* driver_nonin_df8.c */
extern const struct vt_driver vt_driver_nellcor;   /* driver_nellcor.c */
extern const struct vt_driver vt_driver_ivy_ansarb; /* ivy_ansarb.c */
extern const struct vt_driver vt_driver_hl7_mllp;   /* hl7_mllp.c */
extern const struct vt_driver vt_driver_philips_mib; /* philips_mib.c */
extern const struct vt_driver vt_driver_ge_dri;     /* ge_dri.c */

const struct vt_driver *const vt_drivers[] = {
	&vt_driver_masimo,
	&vt_driver_nonin_df7,
	&vt_driver_nonin_df2,
	&vt_driver_nonin_df8,
	&vt_driver_nellcor,
	&vt_driver_ivy_ansarb,
	&vt_driver_hl7_mllp,
	&vt_driver_philips_mib,
	&vt_driver_ge_dri,
	NULL,
};

const struct vt_driver *
vt_driver_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; vt_drivers[i] != NULL; i++)
		if (strcmp(vt_drivers[i]->name, name) == 0)
			return vt_drivers[i];
	return NULL;
}

struct vt_driver_opts
vt_driver_opts_resolve(const struct vt_driver *d, const struct vt_driver_opts *in)
{
	struct vt_driver_opts o = {0};
	if (in != NULL)
		o = *in;
	if (o.poll_ms <= 0)
		o.poll_ms = d->default_poll_ms;
	return o;
}

vt_param_mask
vt_driver_params(const struct vt_driver *d)
{
	return d->params | d->params_optional;
}

int64_t
vt_driver_period_ms(const struct vt_driver *d, const struct vt_driver_opts *opts)
{
	if (d->default_poll_ms > 0) {
		struct vt_driver_opts o = vt_driver_opts_resolve(d, opts);
		return o.poll_ms;
	}
	return d->nominal_period_ms;
}
