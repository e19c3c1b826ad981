/*
 * Tests for the ge-dri driver (GE / Datex-Ohmeda S/5 computer interface)
 * and the DRI bytes it shares with the emulated monitor (dri.h):
 *
 *  - golden bytes: the request record written out field by field from the
 *    specification, and the vendor's own example frames (its Appendix A,
 *    read from the captures folder, skipped without it);
 *  - a session with the emulated monitor on a virtual clock
 *    (driver_talk.h), the monitor's bytes then fed again split every way;
 *  - records built here: every invalid marker, the groups' "exists" bits,
 *    the fallbacks (impedance breathing rate, T2), the NIBP's time, a new
 *    measurement told by the status bits whatever its pressures, a failed
 *    measurement; a bad checksum dropped and the next frame read; a
 *    monitor that forgets the request asked again; stop on disconnect.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/support.h"
#include "vitals/drivers/dri.h"
#include "vitals/drivers/driver.h"

#define T0 INT64_C(1748000000000)
#define P(x) VT_PARAM_BIT(VT_##x)

static const struct vt_driver *
s_driver(void)
{
	const struct vt_driver *d = vt_driver_find("ge-dri");
	cr_assert_not_null(d);
	return d;
}

/* ---- golden bytes ------------------------------------------------------------ */

Test(ge_golden, the_request_record_is_the_specified_layout)
{
	/* Header: r_len 49, r_nbr 0, dri_level 0, plug_id 0, r_time 0, reserved,
	 * r_maintype 0 (physiological data), subrecord 0 at offset 0 of type 0
	 * (a request), then the end of the list (type 0xFF); the request: type
	 * 1 (displayed values), interval 5 s, classes 0 (basic). */
	uint8_t want[49] = {0};
	want[0] = 49;
	want[18] = 0x00;
	want[21] = 0xFF;
	want[40] = 1;
	want[41] = 5;
	uint8_t rec[49];
	cr_assert_eq(vt_dri_request(VT_DRI_PH_DISPL, 5, 0, rec), 49);
	cr_assert_arr_eq(rec, want, 49);
	/* Framed: flags, the record, its 8-bit sum (49 + 255 + 1 + 5 = 0x36). */
	uint8_t f[128];
	size_t n = vt_dri_frame(rec, 49, f, sizeof f);
	cr_assert_eq(n, 52);
	cr_expect_eq(f[0], 0x7E);
	cr_expect_eq(f[50], 0x36);
	cr_expect_eq(f[51], 0x7E);
	cr_expect_eq(vt_dri_frame(rec, 49, f, 40), 0, "does not fit: nothing");
}

Test(ge_golden, flags_and_escapes_inside_a_frame_are_escaped)
{
	const uint8_t rec[] = {0x7E, 0x01, 0x7D, 0x7F}; /* sum 0x7B */
	uint8_t f[32];
	size_t n = vt_dri_frame(rec, sizeof rec, f, sizeof f);
	const uint8_t want[] = {0x7E, 0x7D, 0x5E, 0x01, 0x7D, 0x5D, 0x7F, 0x7B, 0x7E};
	cr_assert_eq(n, sizeof want);
	cr_assert_arr_eq(f, want, n);
	/* A sum that is itself a flag is escaped too. */
	const uint8_t rec2[] = {0x40, 0x3E}; /* sum 0x7E */
	n = vt_dri_frame(rec2, sizeof rec2, f, sizeof f);
	const uint8_t want2[] = {0x7E, 0x40, 0x3E, 0x7D, 0x5E, 0x7E};
	cr_assert_eq(n, sizeof want2);
	cr_assert_arr_eq(f, want2, n);
}

/* The frames of the vendor's example file, one a line, as bytes. */
static size_t
s_vendor_frames(uint8_t frames[][128], size_t *lens, size_t max)
{
	size_t len = 0;
	char *text = vt_rig_slurp(vt_rig_capture("ge_s5_dri_vendor_example_requests.hex.txt"), &len);
	cr_assert_not_null(text);
	size_t n = 0;
	for (char *line = strtok(text, "\n"); line != NULL && n < max; line = strtok(NULL, "\n")) {
		if (line[0] == '#')
			continue;
		size_t k = 0;
		for (char *p = line; *p != '\0';) {
			unsigned v;
			int used;
			if (sscanf(p, " %2x%n", &v, &used) != 1)
				break;
			cr_assert_lt(k, 128);
			frames[n][k++] = (uint8_t)v;
			p += used;
		}
		lens[n++] = k;
	}
	free(text);
	return n;
}

Test(ge_golden, the_vendor_example_requests_are_reproduced)
{
	uint8_t frames[8][128];
	size_t lens[8];
	size_t n = s_vendor_frames(frames, lens, 8);
	cr_assert_eq(n, 6);
	/* Start and stop displayed values (10 s), start and stop 60-s trends;
	 * the vendor asks for every extended class (0x0E) and stops with none. */
	const struct {
		uint8_t type;
		int16_t interval;
		uint32_t classes;
	} req[] = {{VT_DRI_PH_DISPL, 10, 0x0E}, {VT_DRI_PH_DISPL, 0, 0},
	           {VT_DRI_PH_60S_TREND, 60, 0x0E}, {VT_DRI_PH_60S_TREND, 0, 0}};
	for (size_t i = 0; i < 4; i++) {
		uint8_t rec[49], f[128];
		vt_dri_request(req[i].type, req[i].interval, req[i].classes, rec);
		size_t k = vt_dri_frame(rec, sizeof rec, f, sizeof f);
		cr_expect_eq(k, lens[i], "frame %zu: %zu bytes, the vendor's %zu", i + 1, k, lens[i]);
		cr_expect(k == lens[i] && memcmp(f, frames[i], k) == 0, "frame %zu differs", i + 1);
	}
	/* The third's checksum is 0x7D, sent escaped. */
	cr_expect(lens[2] >= 3 && frames[2][lens[2] - 3] == 0x7D && frames[2][lens[2] - 2] == 0x5D);
}

/* ---- a session with the emulated monitor ---------------------------------------- */

static void
s_cuff(struct vt_reading *r, double sys, double dia)
{
	vt_reading_set(r, VT_NIBP_SYS, sys);
	vt_reading_set(r, VT_NIBP_DIA, dia);
}

static void
s_no_cuff(struct vt_reading *r)
{
	vt_param_mask bp = P(NIBP_SYS) | P(NIBP_DIA) | P(NIBP_MAP);
	r->reported &= ~bp;
	r->valid &= ~bp;
}

/* A session asking for a record every poll_ms, the monitor showing a steady patient. */
static void
s_talk(struct vt_rig_talk *t, int poll_ms)
{
	struct vt_driver_opts o = {.poll_ms = poll_ms};
	cr_assert_eq(vt_rig_talk_start(t, "ge-dri", &o, NULL, T0), 0);
	vt_rig_talk_patient(&t->shown);
}

/* A cuff measurement in the monitor's next second (sys 0: one that fails),
 * then nothing new until `until`. */
static void
s_measure(struct vt_rig_talk *t, double sys, double dia, int64_t until)
{
	if (sys > 0) {
		s_cuff(&t->shown, sys, dia);
		t->shown.flags &= ~(uint32_t)VT_FLAG_NIBP_FAILED;
	} else {
		vt_reading_set_missing(&t->shown, VT_NIBP_SYS);
		vt_reading_set_missing(&t->shown, VT_NIBP_DIA);
		t->shown.flags |= VT_FLAG_NIBP_FAILED;
	}
	vt_rig_talk_run(t, t->now + 1000);
	s_no_cuff(&t->shown);
	vt_rig_talk_run(t, until);
}

Test(ge_session, asks_and_reads_every_parameter)
{
	struct vt_rig_talk t;
	s_talk(&t, 2000);
	vt_rig_talk_run(&t, T0 + 2500);
	s_cuff(&t.shown, 131, 82);
	vt_rig_talk_run(&t, T0 + 3500);
	s_no_cuff(&t.shown);
	vt_rig_talk_run(&t, T0 + 10500);
	/* A record at once, then every 2 s: 0, 2, ... 10. */
	cr_expect_eq(t.c.count, 6, "%zu", t.c.count);
	cr_expect_eq(t.host_messages, 1, "asked once");
	const struct vt_reading *r = vt_rig_talk_last(&t);
	char buf[256];
	cr_expect_eq(r->valid, P(HR) | P(SPO2) | P(PR) | P(RR) | P(ETCO2) | P(TEMP) | P(NIBP_SYS) |
	                           P(NIBP_DIA) | P(NIBP_MAP),
	             "%s", vt_rig_reading_str(r, buf, sizeof buf));
	cr_expect_float_eq(r->value[VT_HR], 72, 1e-9);
	cr_expect_float_eq(r->value[VT_SPO2], 97, 1e-9);
	cr_expect_float_eq(r->value[VT_PR], 73, 1e-9);
	cr_expect_float_eq(r->value[VT_RR], 14, 1e-9);
	cr_expect_float_eq(r->value[VT_ETCO2], 38, 1e-9);
	cr_expect_float_eq(r->value[VT_TEMP], 36.7, 1e-9);
	cr_expect_float_eq(r->value[VT_NIBP_SYS], 131, 1e-9);
	cr_expect_float_eq(r->value[VT_NIBP_DIA], 82, 1e-9);
	/* The emulated cuff's mean: dia + (sys - dia) / 3, in 1/100 mmHg. */
	cr_expect_float_eq(r->value[VT_NIBP_MAP], 98.33, 1e-9);
	/* The row at 3 s: its cycle in the record at 4 s, its value first in
	 * the record at 6 s; the last record is at 10 s. */
	cr_assert(r->timed & P(NIBP_SYS));
	cr_expect_eq(r->age_ms[VT_NIBP_SYS], 4000);
	cr_expect_eq(r->flags, 0);
	vt_rig_talk_free(&t);
}

Test(ge_session, the_monitor_bytes_decode_alike_however_split)
{
	struct vt_rig_talk t;
	s_talk(&t, 1000);
	s_cuff(&t.shown, 118, 77);
	t.shown.flags = VT_FLAG_LEADS_OFF | VT_FLAG_CO2_OCCLUSION;
	vt_rig_talk_run(&t, T0 + 1500);
	s_no_cuff(&t.shown);
	vt_rig_talk_run(&t, T0 + 20500);
	struct vt_rig_collect c = {0};
	struct vt_driver_stats st;
	cr_assert(vt_rig_feed_all(s_driver(), t.wire, t.wire_len, &c, &st),
	          "splitting the monitor's bytes changed the result");
	cr_expect_eq(c.count, t.c.count);
	cr_expect_eq(c.count, 21);
	cr_expect_eq(st.dropped, 0);
	cr_expect_eq(st.bytes, t.wire_len);
	const struct vt_reading *r = &c.readings[c.count - 1];
	cr_expect_eq(r->flags, VT_FLAG_LEADS_OFF | VT_FLAG_CO2_OCCLUSION);
	cr_expect_float_eq(r->value[VT_NIBP_SYS], 118, 1e-9);
	vt_rig_collect_free(&c);
	vt_rig_talk_free(&t);
}

/*
 * A failed cycle raises nibp-failed until the next measurement, and the
 * next one ends it whatever its pressures: exactly those of the last good
 * one too, which the monitor's status tells from a repeat, not the numbers.
 */
Test(ge_session, a_failed_cuff_measurement_raises_its_flag_until_the_next_one)
{
	static const struct {
		double sys, dia;
		const char *what;
	} next[] = {{140, 90, "other pressures"}, {125, 80, "the same pressures"}};
	for (size_t k = 0; k < sizeof next / sizeof next[0]; k++) {
		struct vt_rig_talk t;
		s_talk(&t, 1000);
		vt_rig_talk_run(&t, T0 + 500);
		s_measure(&t, 125, 80, T0 + 180500);
		/* Three minutes on, the next measurement fails: the monitor shows the
		 * old value (older than a minute) again after its cycle. */
		s_measure(&t, 0, 0, T0 + 185500);
		const struct vt_reading *r = vt_rig_talk_last(&t);
		cr_expect(r->flags & VT_FLAG_NIBP_FAILED, "the failed cycle is seen");
		cr_expect_float_eq(r->value[VT_NIBP_SYS], 125, 1e-9);
		/* The cycle of the row at 1 s shows in the record at 1 s, its value from 2 s on. */
		cr_expect_eq(r->age_ms[VT_NIBP_SYS], 183000,
		             "still the old measurement, its age growing");
		/* Two minutes later, the next measurement. */
		vt_rig_talk_run(&t, T0 + 299500);
		s_measure(&t, next[k].sys, next[k].dia, T0 + 310500);
		r = vt_rig_talk_last(&t);
		cr_expect(!(r->flags & VT_FLAG_NIBP_FAILED), "%s: a new measurement ends it",
		          next[k].what);
		cr_expect_float_eq(r->value[VT_NIBP_SYS], next[k].sys, 1e-9, "%s", next[k].what);
		cr_assert(r->timed & P(NIBP_SYS));
		/* Its cycle in the record at 300 s, its value from the record at 301 s on. */
		cr_expect_eq(r->age_ms[VT_NIBP_SYS], 9000, "%s: age %lld ms, not the new measurement's",
		             next[k].what, (long long)r->age_ms[VT_NIBP_SYS]);
		vt_rig_talk_free(&t);
	}
}

Test(ge_faults, a_bad_checksum_is_dropped_and_the_next_frame_read)
{
	struct vt_rig_talk t;
	s_talk(&t, 1000);
	vt_rig_talk_run(&t, T0 + 2500);
	size_t before = t.c.count;
	vt_rig_talk_misbehave(&t, VT_ENCODE_BAD_CHECK);
	vt_rig_talk_run(&t, T0 + 5500);
	struct vt_driver_stats st;
	t.driver->stats(t.dstate, &st);
	cr_expect_eq(st.checksum, 1);
	cr_expect_eq(st.dropped, 1);
	cr_expect_str_eq(st.why, "bad checksum");
	cr_expect_eq(t.c.count, before + 2, "the spoiled record lost, the next two read");
	vt_rig_talk_free(&t);
}

Test(ge_faults, a_monitor_that_forgets_the_request_is_asked_again)
{
	struct vt_rig_talk t;
	s_talk(&t, 2000);
	vt_rig_talk_run(&t, T0 + 4500);
	size_t before = t.c.count;
	vt_rig_talk_misbehave(&t, VT_ENCODE_DROP);
	/* Silence for 3 intervals (at least 10 s) after the last record at 4 s. */
	vt_rig_talk_run(&t, T0 + 13900);
	cr_expect_eq(t.c.count, before);
	cr_expect_eq(t.host_messages, 1);
	vt_rig_talk_run(&t, T0 + 14500);
	cr_expect_eq(t.host_messages, 2, "asked again");
	cr_expect_eq(t.c.count, before + 1, "and answered at once");
	struct vt_driver_stats st;
	t.driver->stats(t.dstate, &st);
	cr_expect_str_eq(st.why, "the monitor stopped sending; asked again");
	vt_rig_talk_free(&t);
}

Test(ge_faults, disconnect_tells_the_monitor_to_stop)
{
	struct vt_rig_talk t;
	s_talk(&t, 1000);
	vt_rig_talk_run(&t, T0 + 3500);
	vt_rig_talk_stop(&t);
	size_t n = t.c.count;
	cr_expect_eq(t.host_messages, 2, "the request, then the stop");
	vt_rig_talk_run(&t, T0 + 8500);
	cr_expect_eq(t.c.count, n, "the monitor stopped");
	cr_expect_eq(t.driver->wake(t.dstate), INT64_MAX);
	vt_rig_talk_free(&t);
}

/* ---- records built here ---------------------------------------------------------- */

/* A displayed-values record at t_s with the basic class `b` (270 bytes), framed into f. */
static size_t
s_record(const uint8_t *b, uint32_t t_s, uint8_t *f, size_t cap)
{
	uint8_t rec[VT_DRI_HDR + VT_DRI_PHDB_LEN];
	vt_dri_displayed(b, t_s, rec);
	return vt_dri_frame(rec, sizeof rec, f, cap);
}

/* A basic class with every group absent and every value invalid. */
static void
s_blank(uint8_t *b)
{
	memset(b, 0, 270);
	for (size_t i = 0; i + 1 < 270; i += 2)
		vt_dri_put16(b + i, VT_DRI_INVALID);
	static const size_t groups[] = {0, 16, 30, 44, 58, 72, 86, 94, 102, 110, 118, 132};
	for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
		vt_dri_put32(b + groups[i], 0);
		vt_dri_put16(b + groups[i] + 4, 0);
	}
}

static struct vt_reading
s_decode(const uint8_t *b)
{
	uint8_t f[1024];
	size_t n = s_record(b, 1000, f, sizeof f);
	struct vt_rig_collect c = {0};
	struct vt_driver_stats st;
	cr_assert(vt_rig_feed_all(s_driver(), f, n, &c, &st));
	cr_assert_eq(c.count, 1);
	struct vt_reading r = c.readings[0];
	vt_rig_collect_free(&c);
	return r;
}

Test(ge_values, invalid_markers_are_no_value)
{
	static const int markers[] = {VT_DRI_INVALID, VT_DRI_NOT_UPDATED, -32765,
	                              VT_DRI_UNDER_RANGE, VT_DRI_OVER_RANGE, -32762, -32001};
	for (size_t i = 0; i < sizeof markers / sizeof markers[0]; i++) {
		uint8_t b[270];
		s_blank(b);
		vt_dri_put32(b + VT_DRI_ECG, VT_DRI_EXISTS);
		vt_dri_put16(b + VT_DRI_ECG + 6, markers[i]);
		struct vt_reading r = s_decode(b);
		cr_expect(r.reported & P(HR), "%d: reported", markers[i]);
		cr_expect(!(r.valid & P(HR)), "%d: no value", markers[i]);
	}
	uint8_t b[270];
	s_blank(b);
	vt_dri_put32(b + VT_DRI_ECG, VT_DRI_EXISTS);
	vt_dri_put16(b + VT_DRI_ECG + 6, 64);
	struct vt_reading r = s_decode(b);
	cr_expect(r.valid & P(HR));
	cr_expect_float_eq(r.value[VT_HR], 64, 1e-9);
	/* A group that does not exist says nothing at all. */
	vt_dri_put32(b + VT_DRI_ECG, 0);
	r = s_decode(b);
	cr_expect_eq(r.reported, 0);
	cr_expect(r.has_status, "a record is a status report");
}

Test(ge_values, breathing_rate_and_temperature_fall_back)
{
	uint8_t b[270];
	s_blank(b);
	/* No capnograph: the ECG's impedance rate. */
	vt_dri_put32(b + VT_DRI_ECG, VT_DRI_EXISTS);
	vt_dri_put16(b + VT_DRI_ECG + 14, 11);
	/* T1 without a probe, T2 with one. */
	vt_dri_put32(b + VT_DRI_T1, VT_DRI_EXISTS);
	vt_dri_put32(b + VT_DRI_T2, VT_DRI_EXISTS);
	vt_dri_put16(b + VT_DRI_T2 + 6, 3695);
	struct vt_reading r = s_decode(b);
	cr_expect_float_eq(r.value[VT_RR], 11, 1e-9);
	cr_expect_float_eq(r.value[VT_TEMP], 36.95, 1e-9);
	/* With a capnograph, its rate; EtCO2 from % of the ambient pressure. */
	vt_dri_put32(b + VT_DRI_CO2, VT_DRI_EXISTS);
	vt_dri_put16(b + VT_DRI_CO2 + 6, 520);   /* 5.20 % */
	vt_dri_put16(b + VT_DRI_CO2 + 10, 9);
	vt_dri_put16(b + VT_DRI_CO2 + 12, 7500); /* 750.0 mmHg */
	r = s_decode(b);
	cr_expect_float_eq(r.value[VT_RR], 9, 1e-9);
	cr_expect_float_eq(r.value[VT_ETCO2], 39.0, 1e-9);
	/* Without an ambient pressure there is no EtCO2 in mmHg. */
	vt_dri_put16(b + VT_DRI_CO2 + 12, VT_DRI_INVALID);
	r = s_decode(b);
	cr_expect((r.reported & P(ETCO2)) && !(r.valid & P(ETCO2)));
}

Test(ge_values, a_blood_pressure_older_than_a_minute_at_first_sight_is_not_taken)
{
	uint8_t b[270];
	s_blank(b);
	vt_dri_put32(b + VT_DRI_NIBP, VT_DRI_EXISTS);
	vt_dri_put16(b + VT_DRI_NIBP + 4, VT_DRI_NIBP_OLD);
	vt_dri_put16(b + VT_DRI_NIBP + 6, 12000);
	vt_dri_put16(b + VT_DRI_NIBP + 8, 8000);
	vt_dri_put16(b + VT_DRI_NIBP + 10, 9300);
	struct vt_reading r = s_decode(b);
	cr_expect_eq(r.reported & P(NIBP_SYS), 0, "its time is unknown");
	/* Not old: taken, measured now. */
	vt_dri_put16(b + VT_DRI_NIBP + 4, 0);
	r = s_decode(b);
	cr_expect(r.valid & P(NIBP_SYS));
	cr_expect_float_eq(r.value[VT_NIBP_SYS], 120, 1e-9);
	cr_expect((r.timed & P(NIBP_SYS)) && r.age_ms[VT_NIBP_SYS] == 0);
}

/*
 * A new measurement is told by the NIBP group's status, not its numbers.
 * Records as a monitor polled now and then sends them: a value, a failed
 * cycle, the same pressures measured again between two records (the
 * "older than 60 s" bit gone, no "measuring" bit seen), a cycle whose
 * value shows before its end (one measurement, not two), a cycle that
 * ends with the same pressures.
 */
Test(ge_values, the_status_bits_tell_a_new_measurement_whatever_its_pressures)
{
	enum { M = VT_DRI_NIBP_MEASURING, O = VT_DRI_NIBP_OLD };
	static const struct {
		uint32_t t;        /* the record's time, s */
		uint16_t label;    /* the NIBP group's label bits */
		int sys;           /* mmHg (dia sys - 40, mean sys - 27) */
		int64_t age_s;     /* the age reported */
		bool failed;       /* nibp-failed */
	} recs[] = {
	    {1000, 0, 120, 0, false},      /* measured */
	    {1070, O, 120, 70, false},     /* shown, older than a minute */
	    {1080, M | O, 120, 80, false}, /* a cycle runs */
	    {1110, O, 120, 110, true},     /* and ends with the old value: failed */
	    {1400, 0, 120, 0, false},      /* young again, no cycle seen: measured anew */
	    {1460, 0, 120, 60, false},
	    {1500, M, 130, 0, false},      /* a cycle whose value shows before its end */
	    {1510, 0, 130, 10, false},     /* its end: the same measurement */
	    {1600, O, 130, 100, false},
	    {1610, M | O, 130, 110, false},
	    {1640, 0, 130, 0, false},      /* a cycle that ends with the same pressures */
	};
	size_t nrec = sizeof recs / sizeof recs[0];
	uint8_t f[16384];
	size_t n = 0;
	for (size_t i = 0; i < nrec; i++) {
		uint8_t b[270];
		s_blank(b);
		vt_dri_put32(b + VT_DRI_NIBP, VT_DRI_EXISTS);
		vt_dri_put16(b + VT_DRI_NIBP + 4, recs[i].label);
		vt_dri_put16(b + VT_DRI_NIBP + 6, recs[i].sys * 100);
		vt_dri_put16(b + VT_DRI_NIBP + 8, (recs[i].sys - 40) * 100);
		vt_dri_put16(b + VT_DRI_NIBP + 10, (recs[i].sys - 27) * 100);
		n += s_record(b, recs[i].t, f + n, sizeof f - n);
	}
	struct vt_rig_collect c = {0};
	struct vt_driver_stats st;
	cr_assert(vt_rig_feed_all(s_driver(), f, n, &c, &st));
	cr_assert_eq(c.count, nrec);
	for (size_t i = 0; i < nrec; i++) {
		const struct vt_reading *r = &c.readings[i];
		cr_expect_float_eq(r->value[VT_NIBP_SYS], recs[i].sys, 1e-9, "record at %u s",
		                   recs[i].t);
		cr_expect((r->timed & P(NIBP_SYS)) && r->age_ms[VT_NIBP_SYS] == recs[i].age_s * 1000,
		          "record at %u s: age %lld ms, not %lld s", recs[i].t,
		          (long long)r->age_ms[VT_NIBP_SYS], (long long)recs[i].age_s);
		cr_expect_eq((r->flags & VT_FLAG_NIBP_FAILED) != 0, recs[i].failed, "record at %u s",
		             recs[i].t);
	}
	vt_rig_collect_free(&c);
}

/*
 * The emulated monitor shows every cuff cycle as a monitor does: the
 * "measuring" bit over the old value, then the result without it, for a
 * measurement that succeeds as for one that fails.
 */
Test(ge_session, every_cuff_cycle_shows_the_measuring_bit)
{
	struct vt_rig_talk t;
	s_talk(&t, 1000);
	vt_rig_talk_run(&t, T0 + 500);
	s_measure(&t, 125, 80, T0 + 90500);
	s_measure(&t, 131, 84, T0 + 200500); /* a second cycle that measures */
	s_measure(&t, 0, 0, T0 + 205500);    /* a third that fails */
	/* The NIBP group of every record the monitor sent, in order. */
	struct vt_dri_reader rd;
	vt_dri_reader_reset(&rd);
	int cycles = 0, shown_sys[3] = {0};
	bool was_measuring = false;
	int last_sys = 0;
	for (size_t i = 0; i < t.wire_len; i++) {
		const uint8_t *rec;
		size_t len;
		const char *why;
		if (vt_dri_reader_byte(&rd, t.wire[i], &rec, &len, &why) != VT_GOT_FRAME)
			continue;
		const uint8_t *g = rec + VT_DRI_HDR + 4 + VT_DRI_NIBP;
		bool measuring = vt_dri_i16(g + 4) & VT_DRI_NIBP_MEASURING;
		int sys = vt_dri_i16(g + 6);
		if (measuring) {
			cr_expect_eq(sys, cycles == 0 ? VT_DRI_INVALID : last_sys,
			             "cycle %d: the value shown before it", cycles + 1);
		} else if (was_measuring) {
			cr_assert_lt(cycles, 3, "more cycles than measurements");
			shown_sys[cycles++] = sys;
		}
		was_measuring = measuring;
		last_sys = sys;
	}
	cr_expect_eq(cycles, 3, "%d cycles shown", cycles);
	cr_expect_eq(shown_sys[0], 12500);
	cr_expect_eq(shown_sys[1], 13100);
	cr_expect_eq(shown_sys[2], 13100, "the failed cycle ends with the old value");
	vt_rig_talk_free(&t);
}

Test(ge_values, malformed_records_are_dropped_with_a_reason)
{
	uint8_t b[270];
	s_blank(b);
	uint8_t rec[VT_DRI_HDR + VT_DRI_PHDB_LEN] = {0};
	vt_dri_put16(rec, (int)sizeof rec - 1); /* says one byte less than it has */
	rec[18] = VT_DRI_PH_DISPL;
	rec[21] = VT_DRI_SR_END;
	uint8_t f[1024];
	size_t n = vt_dri_frame(rec, sizeof rec, f, sizeof f);
	/* And a subrecord past the end of a short record. */
	uint8_t shortrec[VT_DRI_HDR + 10] = {0};
	vt_dri_put16(shortrec, (int)sizeof shortrec);
	shortrec[18] = VT_DRI_PH_DISPL;
	shortrec[21] = VT_DRI_SR_END;
	n += vt_dri_frame(shortrec, sizeof shortrec, f + n, sizeof f - n);
	/* Then a good one. */
	n += s_record(b, 5, f + n, sizeof f - n);
	struct vt_rig_collect c = {0};
	struct vt_driver_stats st;
	cr_assert(vt_rig_feed_all(s_driver(), f, n, &c, &st));
	cr_expect_eq(c.count, 1);
	cr_expect_eq(st.dropped, 2);
	cr_expect_str_eq(st.why, "subrecord past the end of its record");
	vt_rig_collect_free(&c);
}
