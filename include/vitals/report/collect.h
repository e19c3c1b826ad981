/*
 * Filling an infusion record from a bed's recordings: the station events
 * and port changes read from the files, then the recorded bytes replayed
 * through the daemon's own replay (the bed's driver, the alarm engine) for
 * the values. The tools' layer may reach the spine for exactly this: a
 * report must show what the daemon decoded, not a second decoding of it.
 */
#ifndef VITALS_REPORT_COLLECT_H
#define VITALS_REPORT_COLLECT_H

#include <stddef.h>
#include <stdio.h>

#include "vitals/config/config.h"
#include "vitals/report/find.h"
#include "vitals/report/record.h"

/*
 * Fill `r` (made with vt_record_init for its bed and stretch) from
 * `files`, in time order. `cfg` is the configuration to replay with; when
 * it is NULL or has no monitor for the bed, one is made from the
 * recording's header (values only, no rules). Problems go to `err`. A
 * sysexits(3) code: 0, EX_DATAERR for a damaged recording, EX_OSERR.
 */
int vt_report_collect(struct vt_record *r, const struct vt_config *cfg,
                      const struct vt_find_file *const *files, size_t n, FILE *err);

#endif
