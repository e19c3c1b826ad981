/*
 * Tests for the hl7-mllp driver: MLLP frames in, readings, the monitor's
 * alarms and acknowledgements out, whatever pieces the bytes come in.
 * Every case is fed whole, byte by byte and in random chunks
 * (vt_rig_feed_all), and the acknowledgements are compared byte for byte:
 * the driver's clock stands at 0 there, 1970-01-01T00:00:00Z.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/support.h"
#include "vitals/drivers/driver.h"
#include "vitals/drivers/mllp.h"

#define P(x) VT_PARAM_BIT(VT_##x)
#define VT "\x0b"
#define END "\x1c\r"

/* One observation message with control id ID and heart rate HR. */
#define ORU(id, hr)                                                                        \
	"MSH|^~\\&|MON^00A0370098007A80^EUI-64||||||ORU^R01^ORU_R01|" id "|P|2.6\r"            \
	"PV1||I|ICU^^12\r"                                                                     \
	"OBX|1|NM|147842^MDC_ECG_HEART_RATE^MDC|1.1.1.147842|" hr "|264864^^MDC|||||R\r"
/* The acknowledgement of it. */
#define AA(id, n)                                                                          \
	VT "MSH|^~\\&|VITALSD||MON^00A0370098007A80^EUI-64||19700101000000+0000||ACK^R01^ACK|VT" n \
	   "|P|2.6\rMSA|AA|" id "\r" END
#define AE(id, n, why)                                                                     \
	VT "MSH|^~\\&|VITALSD||||19700101000000+0000||ACK^^ACK|VT" n "|P|2.6\rMSA|AE|" id "|" why  \
	   "\rERR|||207^Application internal error^HL70357|E||||" why "\r" END
#define NOT_HL7 "not an HL7 message: MSH with its separators must come first"

struct s_case {
	const char *name;
	const char *in;
	size_t nread;       /* readings */
	double hr[4];       /* their heart rates, 0: none */
	const char *acks;   /* everything sent back */
	uint64_t dropped;
};

static const struct s_case s_cases[] = {
	{"one message", VT ORU("1", "72") END, 1, {72}, AA("1", "1"), 0},
	{"several in one read, a keep-alive newline between", VT ORU("1", "72") END "\n" VT ORU("2", "73") END,
	 2, {72, 73}, AA("1", "1") AA("2", "2"), 0},
	{"a batch: one frame, two messages, its envelope",
	 VT "FHS|^~\\&\rBHS|^~\\&\r" ORU("1", "70") ORU("2", "71") "BTS|2\rFTS|1\r" END, 2, {70, 71},
	 AA("1", "1") AA("2", "2"), 0},
	{"a frame that is not HL7 gets AE, the next is read", VT "hello" END VT ORU("5", "80") END, 1,
	 {80}, AE("", "1", NOT_HL7) AA("5", "2"), 1},
	{"a frame cut by the next one's start is dropped unanswered",
	 VT "MSH|^~\\&|MON||||||ORU^R01|9|P|2.6\rOBX|1|NM|147" VT ORU("6", "81") END, 1, {81},
	 AA("6", "1"), 1},
	{"bytes before the first frame are skipped", "\r\n\r\nxyz" VT ORU("7", "82") END, 1, {82},
	 AA("7", "1"), 0},
	{"FS without its CR still ends the frame", VT ORU("8", "83") "\x1c" VT ORU("9", "84") END, 2,
	 {83, 84}, AA("8", "1") AA("9", "2"), 0},
	{"a message without a type", VT "MSH|^~\\&|MON|||||||10|P|2.6\r" END, 0, {0},
	 VT "MSH|^~\\&|VITALSD||MON||19700101000000+0000||ACK^^ACK|VT1|P|2.6\rMSA|AE|10|MSH-9 "
	    "(message type) is empty\rERR|||207^Application internal error^HL70357|E||||MSH-9 "
	    "(message type) is empty\r" END,
	 1},
	{"another kind of message is answered and read as no values",
	 VT "MSH|^~\\&|MON||||||ADT^A01|11|P|2.6\rPID|1\r" END, 1, {0},
	 VT "MSH|^~\\&|VITALSD||MON||19700101000000+0000||ACK^A01^ACK|VT1|P|2.6\rMSA|AA|11\r" END, 0},
};

Test(driver_hl7, frames_messages_and_acknowledgements)
{
	const struct vt_driver *d = vt_driver_find("hl7-mllp");
	cr_assert_not_null(d);
	for (size_t i = 0; i < sizeof s_cases / sizeof s_cases[0]; i++) {
		const struct s_case *c = &s_cases[i];
		struct vt_rig_collect got = {0};
		struct vt_driver_stats st;
		cr_expect(vt_rig_feed_all(d, (const uint8_t *)c->in, strlen(c->in), &got, &st),
		          "%s: the split changed the result", c->name);
		cr_expect_eq(got.count, c->nread, "%s: %zu readings", c->name, got.count);
		for (size_t k = 0; k < got.count && k < c->nread; k++) {
			const struct vt_reading *r = &got.readings[k];
			if (c->hr[k] > 0)
				cr_expect(r->valid == P(HR) && r->value[VT_HR] == c->hr[k], "%s: reading %zu",
				          c->name, k);
			else
				cr_expect_eq(r->reported, 0, "%s: reading %zu has values", c->name, k);
		}
		cr_expect_eq(got.nsent, strlen(c->acks), "%s: sent %zu bytes:\n%.*s", c->name, got.nsent,
		             (int)got.nsent, (const char *)got.sent);
		cr_expect(got.nsent == strlen(c->acks) && memcmp(got.sent, c->acks, got.nsent) == 0,
		          "%s: sent\n%.*s\nexpected\n%s", c->name, (int)got.nsent, (const char *)got.sent,
		          c->acks);
		cr_expect_eq(st.dropped, c->dropped, "%s: dropped %llu", c->name,
		             (unsigned long long)st.dropped);
		cr_expect_eq(st.records, got.count);
		cr_expect_eq(st.bytes, strlen(c->in));
		vt_rig_collect_free(&got);
	}
}

Test(driver_hl7, alarms_go_to_the_sink_and_prove_the_link)
{
	static const char in[] =
	    VT "MSH|^~\\&|MON||||||ORU^R40^ORU_R40|3|P|2.6\rOBR|1|||196616^MDC_EVT_ALARM^MDC\r"
	       "OBX|1|CWE|196616^MDC_EVT_ALARM^MDC|1.7.0.196680.1|196680^MDC_EVT_LEAD_OFF^MDC|||"
	       "A~PL~ST|||R\r"
	       "OBX|2|ST|68481^MDC_ATTR_EVENT_PHASE^MDC|1.7.0.196680.3|start||||||R\r" END;
	struct vt_rig_collect got = {0};
	struct vt_driver_stats st;
	cr_assert(vt_rig_feed_all(vt_driver_find("hl7-mllp"), (const uint8_t *)in, sizeof in - 1,
	                          &got, &st));
	cr_assert_eq(got.nalarm, 1);
	cr_expect_str_eq(got.alarms[0].code, "MDC_EVT_LEAD_OFF");
	cr_expect(got.alarms[0].active);
	cr_expect_eq(got.count, 1, "an alarm message is a reading with no values");
	cr_expect_eq(got.readings[0].reported, 0);
	cr_expect_gt(got.nsent, 0);
	vt_rig_collect_free(&got);
}

Test(driver_hl7, a_message_beyond_the_bound_is_answered_not_read)
{
	size_t big = VT_MLLP_MAX + 100;
	char *in = malloc(big + 512);
	int n = snprintf(in, big, VT "MSH|^~\\&|MON||||||ORU^R01|77|P|2.6\rNTE|");
	memset(in + n, 'x', big - (size_t)n);
	size_t len = big;
	memcpy(in + len, END VT ORU("78", "60") END, strlen(END VT ORU("78", "60") END));
	len += strlen(END VT ORU("78", "60") END);
	struct vt_rig_collect got = {0};
	struct vt_driver_stats st;
	cr_assert(vt_rig_feed_all(vt_driver_find("hl7-mllp"), (const uint8_t *)in, len, &got, &st));
	cr_expect_eq(got.count, 1);
	cr_expect_eq(st.dropped, 1);
	cr_expect(memmem(got.sent, got.nsent, "MSA|AE|77|message longer than 65536 bytes", 41) != NULL);
	cr_expect(memmem(got.sent, got.nsent, "MSA|AA|78\r", 10) != NULL);
	vt_rig_collect_free(&got);
	free(in);
}

/* Random bytes in front of good frames make nothing of their own. */
Test(driver_hl7, random_garbage_in_front)
{
	static uint8_t buf[8192];
	static const char good[] = VT ORU("1", "72") END;
	for (uint32_t seed = 1; seed <= 40; seed++) {
		uint32_t r = seed;
		size_t n = 0;
		for (; n < 4096; n++) {
			buf[n] = (uint8_t)vt_rig_rand(&r);
			if (buf[n] == 0x0B)
				buf[n] = 0; /* a VT would start a frame the next one cuts: still fine, but counted */
		}
		for (int k = 0; k < 3; k++) {
			memcpy(buf + n, good, sizeof good - 1);
			n += sizeof good - 1;
		}
		struct vt_rig_collect got = {0};
		struct vt_driver_stats st;
		cr_assert(vt_rig_feed_all(vt_driver_find("hl7-mllp"), buf, n, &got, &st), "seed %u", seed);
		cr_expect_eq(got.count, 3, "seed %u: %zu readings", seed, got.count);
		cr_expect_eq(st.discarded, 4096, "seed %u", seed);
		vt_rig_collect_free(&got);
	}
}
