/*
 * Recognising a protocol from its bytes, for the line diagnostics: a port
 * that receives what its driver cannot decode is told which protocol the
 * bytes look like.
 */
#ifndef VITALS_DRIVERS_SNIFF_H
#define VITALS_DRIVERS_SNIFF_H

#include <stddef.h>
#include <stdint.h>

#include "vitals/drivers/driver.h"

/* Bytes of scratch state vt_driver_sniff needs (the largest driver's). */
size_t vt_driver_sniff_scratch_size(void);

/*
 * The driver other than `configured` that decodes the most readings (at
 * least two) from `bytes`, or NULL if none does. `scratch` holds
 * vt_driver_sniff_scratch_size() bytes, aligned for any type.
 */
const struct vt_driver *vt_driver_sniff(const uint8_t *bytes, size_t len,
                                        const struct vt_driver *configured, void *scratch);

#endif
