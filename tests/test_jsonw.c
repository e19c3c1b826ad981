/*
 * The streaming JSON writer promises jansson's exact bytes; these tests
 * hold the two side by side: strings with every escape and random bytes
 * (including invalid UTF-8, which jansson refuses), integers at the edges,
 * reals of every magnitude, and whole vitals and heartbeat messages against
 * the jansson trees they used to be built as.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "vitals/base/timefmt.h"
#include "vitals/wire/jsonw.h"
#include "vitals/wire/message.h"

#define DUMP_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10))

/* jansson's text for one value (consumed). */
static char *
s_jansson(json_t *v)
{
	char *s = json_dumps(v, DUMP_FLAGS | JSON_ENCODE_ANY);
	json_decref(v);
	return s;
}

static uint64_t rng = 88172645463325252ull;

static uint64_t
s_next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

Test(jsonw, strings_match_jansson_escapes)
{
	const char *cases[] = {"",      "chair-1",     "a\"b\\c",  "\b\f\n\r\t", "\x01\x1f\x7f",
	                       "/path", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x92\x89"};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vt_jsonw w;
		vt_jsonw_init(&w);
		vt_jsonw_string(&w, cases[i]);
		char *mine = vt_jsonw_finish(&w);
		char *ref = s_jansson(json_string(cases[i]));
		cr_assert_str_eq(mine, ref, "case %zu", i);
		free(mine);
		free(ref);
	}
}

Test(jsonw, utf8_check_agrees_with_jansson_on_random_bytes)
{
	for (int i = 0; i < 200000; i++) {
		char s[8];
		size_t n = 1 + s_next() % 6;
		for (size_t k = 0; k < n; k++) {
			/* Mostly bytes around the UTF-8 boundaries, where the rules are. */
			uint64_t r = s_next();
			s[k] = (char)(r % 3 == 0 ? 0x80 + r / 3 % 0x80 : r % 3 == 1 ? 0xC0 + r / 3 % 0x40
			                                                            : 1 + r / 3 % 0xFF);
		}
		s[n] = '\0';
		json_t *j = json_string(s);
		cr_assert_eq(vt_jsonw_utf8_ok(s), j != NULL, "bytes %02x %02x %02x %02x", (uint8_t)s[0],
		             (uint8_t)s[1], (uint8_t)s[2], (uint8_t)s[3]);
		if (j != NULL) {
			struct vt_jsonw w;
			vt_jsonw_init(&w);
			vt_jsonw_string(&w, s);
			char *mine = vt_jsonw_finish(&w), *ref = s_jansson(j);
			cr_assert_str_eq(mine, ref);
			free(mine);
			free(ref);
		}
	}
}

Test(jsonw, integers_match_jansson)
{
	const int64_t cases[] = {0, 1, -1, 9, 10, -10, 96, 1234567890123, INT64_MAX, INT64_MIN};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vt_jsonw w;
		vt_jsonw_init(&w);
		vt_jsonw_int(&w, cases[i]);
		char *mine = vt_jsonw_finish(&w), *ref = s_jansson(json_integer(cases[i]));
		cr_assert_str_eq(mine, ref);
		free(mine);
		free(ref);
	}
}

Test(jsonw, reals_match_jansson)
{
	const double fixed[] = {0.1,  2.1,  -0.5,    1e-5,   1.5e20, 12345678901.5, 1e15 + 0.5,
	                        3.4,  98.6, 1e-300, 1e300, 0.30000000000000004, 5e-324, 1.0, 0.0};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]) + 100000; i++) {
		double v;
		if (i < sizeof(fixed) / sizeof(fixed[0])) {
			v = fixed[i];
		} else {
			/* Any finite double: random bits, NaN and infinities skipped. */
			uint64_t bits = s_next();
			memcpy(&v, &bits, sizeof(v));
			if (!isfinite(v))
				continue;
			if (i % 2)
				v = (double)(s_next() % 100000) / 100.0; /* device-like values */
		}
		struct vt_jsonw w;
		vt_jsonw_init(&w);
		vt_jsonw_real(&w, v);
		char *mine = vt_jsonw_finish(&w), *ref = s_jansson(json_real(v));
		cr_assert_str_eq(mine, ref, "value %.17g", v);
		free(mine);
		free(ref);
	}
}

Test(jsonw, nesting_and_commas)
{
	struct vt_jsonw w;
	vt_jsonw_init(&w);
	vt_jsonw_open(&w, '{');
	vt_jsonw_key(&w, "a");
	vt_jsonw_open(&w, '[');
	vt_jsonw_close(&w, ']');
	vt_jsonw_key(&w, "b");
	vt_jsonw_open(&w, '[');
	vt_jsonw_int(&w, 1);
	vt_jsonw_null(&w);
	vt_jsonw_bool(&w, true);
	vt_jsonw_open(&w, '{');
	vt_jsonw_close(&w, '}');
	vt_jsonw_close(&w, ']');
	vt_jsonw_key(&w, "c");
	vt_jsonw_bool(&w, false);
	vt_jsonw_close(&w, '}');
	char *s = vt_jsonw_finish(&w);
	cr_assert_str_eq(s, "{\"a\":[],\"b\":[1,null,true,{}],\"c\":false}");
	free(s);
}

Test(jsonw, non_finite_real_fails_loudly)
{
	struct vt_jsonw w;
	vt_jsonw_init(&w);
	vt_jsonw_real(&w, NAN);
	cr_assert_null(vt_jsonw_finish(&w));
}

/* The vitals message as message.c built it with jansson before the writer. */
static char *
s_vitals_reference(const struct vt_msg_header *h, const struct vt_msg_vitals *v)
{
	char buf[VT_TIME_BUFSZ];
	json_t *o = json_object();
	if (h->topic != NULL)
		json_object_set_new(o, "topic", json_string(h->topic));
	json_object_set_new(o, "v", json_integer(VT_SCHEMA_VERSION));
	json_object_set_new(o, "type", json_string("vitals"));
	json_object_set_new(o, "seq", json_integer((json_int_t)h->seq));
	json_object_set_new(o, "time", json_string(vt_time_format(h->time_ms, buf)));
	json_object_set_new(o, "instance", json_string(h->instance));
	json_object_set_new(o, "bed", json_string(v->bed));
	json_object_set_new(o, "values", vt_msg_values_object(v));
	if (v->spot != 0) {
		json_object_set_new(o, "measured", vt_msg_measured_object(v));
		json_object_set_new(o, "age_s", vt_msg_age_object(v, h->time_ms));
	}
	json_t *flags = json_array();
	for (int i = 0; i < VT_FLAG_COUNT; i++)
		if (v->flags & (1u << i))
			json_array_append_new(flags, json_string(vt_flag_name(1u << i)));
	json_object_set_new(o, "flags", flags);
	return s_jansson(o);
}

Test(jsonw, vitals_messages_match_the_jansson_tree)
{
	for (int i = 0; i < 20000; i++) {
		double value[VT_PARAM_COUNT];
		for (int p = 0; p < VT_PARAM_COUNT; p++) {
			uint64_t r = s_next();
			value[p] = r % 4 == 0 ? (double)(r / 4 % 200)
			                      : r % 4 == 1 ? (double)(r / 4 % 2000) / 10.0
			                                   : r % 4 == 2 ? -(double)(r / 4 % 100) / 7.0
			                                                : (double)(r / 4 % 1000000) * 1e10;
		}
		struct vt_msg_header h = {.topic = i % 2 ? "vitals.chair-1" : NULL,
		                          .seq = s_next() % 1000000000,
		                          .time_ms = (int64_t)(s_next() % 4102444800000ull) - 86400000,
		                          .instance = i % 3 ? "replay" : "3f9c\xff"}; /* invalid: left out */
		struct vt_msg_vitals v = {.bed = i % 5 ? "chair-1" : "ch\xc3\xa4ir",
		                          .known = (vt_param_mask)(s_next() % (1u << VT_PARAM_COUNT)),
		                          .value = value,
		                          .flags = (uint32_t)(s_next() % (1u << VT_FLAG_COUNT))};
		v.valid = v.known & (vt_param_mask)s_next();
		/* Some valid values are spot measurements, measured up to a day ago. */
		v.spot = i % 4 ? v.valid & (vt_param_mask)s_next() : 0;
		for (int p = 0; p < VT_PARAM_COUNT; p++)
			v.measured[p] = h.time_ms - (int64_t)(s_next() % 86400000) + 1000;
		char *mine = vt_msg_vitals(&h, &v), *ref = s_vitals_reference(&h, &v);
		cr_assert_str_eq(mine, ref);
		free(mine);
		free(ref);
	}
}

Test(jsonw, heartbeat_matches_the_jansson_tree)
{
	struct vt_msg_header h = {.topic = "heartbeat", .seq = 812, .time_ms = 1795600443120,
	                          .instance = "replay"};
	char *mine = vt_msg_heartbeat(&h, 3, 1000);
	cr_assert_str_eq(mine, "{\"topic\":\"heartbeat\",\"v\":1,\"type\":\"heartbeat\",\"seq\":812,"
	                       "\"time\":\"2026-11-25T09:54:03.120Z\",\"instance\":\"replay\","
	                       "\"active_alarms\":3,\"interval_ms\":1000}");
	free(mine);
}

Test(jsonw, time_format_matches_gmtime_for_every_era)
{
	/* The hand-made fast path against the C library's calendar. */
	for (int i = 0; i < 200000; i++) {
		int64_t ms = (int64_t)(s_next() % 253402300800000ull) - (i % 2 ? 62167219200000ll : 0);
		char mine[VT_TIME_BUFSZ], ref[VT_TIME_BUFSZ];
		vt_time_format(ms, mine);
		int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
		time_t tt = (time_t)secs;
		struct tm tm;
		cr_assert_not_null(gmtime_r(&tt, &tm));
		snprintf(ref, sizeof(ref), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		         (int)(ms - secs * 1000));
		cr_assert_str_eq(mine, ref, "ms %lld", (long long)ms);
	}
}
