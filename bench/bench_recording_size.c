/*
 * How much disk a chair's recordings take a day, per protocol, as the
 * recorder writes them and once vitals-archive has compressed them
 * (docs/recording.md, sizes). Each protocol's own encoder sends a day of a
 * real-looking patient (SpO2 and pulse wandering a little, as the
 * recordings do) through the real recorder into a temporary directory,
 * with one read per device period as a serial port delivers it; then the
 * files are compressed by the real archiver. A program that prints figures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/base/xorshift.h"
#include "vitals/emulator/encode.h"
#include "vitals/io/recorder.h"
#include "vitals/tools/archive.h"
#include "../tests/support/support.h"

#define DAY_MS (86400 * 1000LL)
#define START 1795000000000LL

int
main(void)
{
	printf("%-14s %14s %14s %8s\n", "protocol", "recorded/day", "gzip/day", "ratio");
	for (size_t i = 0; vt_encoders[i] != NULL; i++) {
		const struct vt_encoder *e = vt_encoders[i];
		char dir[128], err[256];
		if (vt_rig_tmpdir(dir, sizeof(dir), "bench-rec") != 0)
			return 1;
		struct vt_rec_info info = {.bed = "chair-1", .port = "/dev/ttyUSB0",
		                           .protocol = e->name, .baud = e->default_baud};
		struct vt_recorder *rec = vt_recorder_open(dir, &info, START, err, sizeof(err));
		if (rec == NULL) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		/* One file for the day, as far as rotation allows. */
		vt_recorder_set_rotate_bytes(rec, 1ull << 40);
		uint8_t state[VT_ENCODE_STATE_MAX], buf[VT_ENCODE_MAX];
		e->reset(state, NULL);
		uint64_t seed = 7;
		double spo2 = 96, pr = 72;
		int64_t periods = DAY_MS * e->period_den / e->period_num_ms;
		for (int64_t k = 0; k < periods; k++) {
			int64_t t = START + k * e->period_num_ms / e->period_den;
			if (k % 8 == 0) {
				spo2 += (double)(vt_xorshift64s(&seed) % 3) - 1;
				pr += (double)(vt_xorshift64s(&seed) % 3) - 1;
				spo2 = spo2 < 88 ? 88 : spo2 > 100 ? 100 : spo2;
				pr = pr < 50 ? 50 : pr > 130 ? 130 : pr;
			}
			struct vt_reading r = {0};
			vt_reading_set(&r, VT_SPO2, spo2);
			vt_reading_set(&r, VT_PR, pr);
			vt_reading_set(&r, VT_PI, 2.5);
			size_t n = e->encode(state, &r, t, buf, sizeof(buf));
			if (n > 0 && vt_recorder_event(rec, t, VT_REC_DATA, buf, n, NULL, err,
			                               sizeof(err)) != 0) {
				fprintf(stderr, "%s\n", err);
				return 1;
			}
		}
		vt_recorder_close(&rec);
		struct vt_archive_report before, after;
		struct vt_archive_policy none = {0}, gz = {.compress = true};
		FILE *quiet = fopen("/dev/null", "w");
		vt_archive_run(dir, &none, START + DAY_MS, &before, quiet);
		vt_archive_run(dir, &gz, START + DAY_MS, &after, quiet);
		fclose(quiet);
		printf("%-14s %11.1f MB %11.1f MB %7.1fx\n", e->name, (double)before.bytes_before / 1e6,
		       (double)after.bytes_after / 1e6,
		       (double)before.bytes_before / (double)(after.bytes_after ? after.bytes_after : 1));
		vt_rig_rmtree(dir);
	}
	return 0;
}
