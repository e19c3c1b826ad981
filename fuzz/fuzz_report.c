/*
 * libFuzzer target: the infusion record's reading of station events and
 * replayed messages (report/record.c), which take JSON from recordings a
 * person may have edited. Each input line is one event: its first byte
 * says which kind (control, alert, session, config, a replayed message,
 * or a reading whose values follow as bytes), the rest is its argument.
 * Then the record is trimmed, tabled and summarised, as vitals-report does.
 * Checked: nothing crashes, and what comes out holds together (rows in
 * time order, medians within the interval's values, counts that add up).
 */
#include "fuzz_check.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/report/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const enum vt_rec_event s_kinds[] = {VT_REC_CONTROL, VT_REC_ALERT, VT_REC_SESSION,
                                            VT_REC_CONFIG};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* 2026-11-21T10:00:00Z to an hour later. */
	const int64_t from = 1795255200000LL, to = from + 3600000;
	struct vt_record *r = malloc(sizeof(*r));
	if (r == NULL)
		return 0;
	vt_record_init(r, "chair-1", from, to, 5000);
	r->format = size > 0 && data[0] & 1 ? 1 : 2;
	r->alarms_replayed = r->format < 2;
	int64_t t = from - 60000;
	size_t at = 0;
	while (at < size) {
		const uint8_t *nl = memchr(data + at, '\n', size - at);
		size_t len = nl ? (size_t)(nl - (data + at)) : size - at;
		const uint8_t *line = data + at;
		at += len + 1;
		if (len == 0)
			continue;
		t += (line[0] >> 4) * 7000;
		int kind = line[0] & 7;
		if (kind < 4) {
			vt_record_station(r, s_kinds[kind], t, (const char *)line + 1, len - 1);
		} else if (kind == 4) {
			vt_record_replayed(r, (const char *)line + 1, len - 1);
		} else if (kind == 5) {
			vt_record_gap(r, t);
		} else {
			struct vt_reading rd = {0};
			for (size_t i = 1; i + 1 < len && i / 2 < VT_PARAM_COUNT; i += 2) {
				int p = (int)(i / 2);
				if (line[i] == 0xff)
					vt_reading_set_missing(&rd, (enum vt_param)p);
				else
					vt_reading_set(&rd, (enum vt_param)p, line[i] + line[i + 1] / 256.0);
			}
			vt_record_reading(r, t, &rd);
		}
	}
	vt_record_trim(r);
	for (size_t i = 0; i < r->n_alarms; i++)
		fuzz_check(r->alarms[i].raised <= to &&
		        (r->alarms[i].cleared == 0 || r->alarms[i].cleared >= from));
	struct vt_record_row *rows;
	size_t n = vt_record_table(r, 300000, &rows);
	fuzz_check(n == 13);
	for (size_t i = 0; i < n; i++) {
		fuzz_check(i == 0 || rows[i].t == rows[i - 1].t + 300000);
		for (int p = 0; p < VT_PARAM_COUNT; p++)
			fuzz_check(!(rows[i].has & VT_PARAM_BIT(p)) == !!isnan(rows[i].median[p]));
		if (rows[i].has & VT_PARAM_BIT(VT_SPO2))
			fuzz_check(rows[i].spo2_min <= rows[i].median[VT_SPO2]);
	}
	free(rows);
	struct vt_record_summary s;
	vt_record_summarise(r, &s);
	fuzz_check(s.alarms[0] + s.alarms[1] + s.alarms[2] + s.technical == r->n_alarms);
	fuzz_check(s.below90_ms >= 0 && s.below90_ms <= to - from);
	char buf[32];
	for (int p = 0; p < VT_PARAM_COUNT; p++)
		vt_record_format((enum vt_param)p, r->baseline[p], buf, sizeof(buf));
	vt_record_release(r);
	free(r);
	return 0;
}
