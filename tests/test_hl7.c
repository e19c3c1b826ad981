/*
 * Tests for the HL7 v2 syntax reader (hl7.h) and the MLLP framing
 * (mllp.h): field numbering as HL7 counts it, escapes, times in the forms
 * monitors send, and frames found whatever the pieces a socket delivers.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/support.h"
#include "vitals/base/timefmt.h"
#include "vitals/drivers/hl7.h"
#include "vitals/drivers/mllp.h"

/* The head of the Mindray VS-900 message of hl7-pcd.md, as the wire has it (CR). */
#define MSH_VS900                                                                          \
	"MSH|^~\\&|MINDRAY_VS900^00A0370098007A80^EUI-64||||20191206113452||ORU^R01^ORU_R01|1914|" \
	"P|2.6|||AL|NE||UNICODE UTF-8|||IHE_PCD_001^IHE PCD^1.3.6.1.4.1.19376.1.6.1.1.1^ISO\r"

static struct vt_hl7_msg
s_open(const char *text)
{
	struct vt_hl7_msg m;
	char err[128];
	cr_assert_eq(vt_hl7_open(&m, text, strlen(text), err, sizeof err), 0, "%s", err);
	return m;
}

static void
s_expect(const struct vt_hl7_msg *m, struct vt_hl7_str s, const char *want, const char *what)
{
	char buf[256];
	vt_hl7_text(m, s, buf, sizeof buf);
	cr_expect_str_eq(buf, want, "%s", what);
}

Test(hl7, fields_are_numbered_as_hl7_counts_them)
{
	const char *text = MSH_VS900 "PV1||I|HDU^507^3\rOBX|1|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC|"
	                             "1.3.1.150456|99|262688^MDC_DIM_PERCENT^MDC|||||R\r";
	struct vt_hl7_msg m = s_open(text);
	cr_assert_eq(m.field, '|');
	cr_assert_eq(m.comp, '^');
	cr_assert_eq(m.rep, '~');
	cr_assert_eq(m.esc, '\\');
	cr_assert_eq(m.sub, '&');
	struct vt_hl7_str msh, pv1, obx;
	cr_assert(vt_hl7_find(&m, "MSH", &msh));
	s_expect(&m, vt_hl7_field(&m, msh, 1), "|", "MSH-1");
	cr_expect_eq(vt_hl7_field(&m, msh, 2).n, 4, "MSH-2 is ^~\\&");
	s_expect(&m, vt_hl7_comp(&m, vt_hl7_field(&m, msh, 3), 2), "00A0370098007A80", "MSH-3.2");
	s_expect(&m, vt_hl7_field(&m, msh, 7), "20191206113452", "MSH-7");
	s_expect(&m, vt_hl7_comp(&m, vt_hl7_field(&m, msh, 9), 2), "R01", "MSH-9.2");
	s_expect(&m, vt_hl7_field(&m, msh, 10), "1914", "MSH-10");
	s_expect(&m, vt_hl7_field(&m, msh, 12), "2.6", "MSH-12");
	s_expect(&m, vt_hl7_field(&m, msh, 15), "AL", "MSH-15");
	cr_expect_eq(vt_hl7_field(&m, msh, 40).n, 0, "a field beyond the end is empty");
	cr_assert(vt_hl7_find(&m, "PV1", &pv1));
	s_expect(&m, vt_hl7_field(&m, pv1, 3), "HDU^507^3", "PV1-3");
	s_expect(&m, vt_hl7_comp(&m, vt_hl7_field(&m, pv1, 3), 3), "3", "PV1-3.3");
	cr_expect_eq(vt_hl7_comp(&m, vt_hl7_field(&m, pv1, 3), 4).n, 0);
	cr_assert(vt_hl7_find(&m, "OBX", &obx));
	s_expect(&m, vt_hl7_field(&m, obx, 5), "99", "OBX-5");
	s_expect(&m, vt_hl7_field(&m, obx, 11), "R", "OBX-11");
	cr_expect(!vt_hl7_find(&m, "OBR", &obx));
}

Test(hl7, segments_split_on_cr_lf_and_crlf)
{
	struct vt_hl7_msg m = s_open("MSH|^~\\&|A\r\nPID|1\n\nPV1|2\rOBX|3");
	const char *want[] = {"MSH|^~\\&|A", "PID|1", "PV1|2", "OBX|3"};
	size_t pos = 0, i = 0;
	struct vt_hl7_str seg;
	while (vt_hl7_segment(&m, &pos, &seg)) {
		cr_assert_lt(i, 4);
		cr_expect_eq(seg.n, strlen(want[i]));
		cr_expect_eq(memcmp(seg.p, want[i], seg.n), 0, "segment %zu", i);
		i++;
	}
	cr_expect_eq(i, 4);
}

Test(hl7, repetitions_components_and_escapes)
{
	struct vt_hl7_msg m = s_open("MSH|^~\\&|\rOBX|1|ST|x||a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f\\X41\\g"
	                             "\\H\\h\\N\\|||A~PL~ST\r");
	struct vt_hl7_str obx;
	cr_assert(vt_hl7_find(&m, "OBX", &obx));
	s_expect(&m, vt_hl7_field(&m, obx, 5), "a|b^c&d~e\\fAgh", "escapes undone");
	struct vt_hl7_str flags = vt_hl7_field(&m, obx, 8);
	s_expect(&m, vt_hl7_rep(&m, flags, 1), "A", "OBX-8 first repetition");
	s_expect(&m, vt_hl7_rep(&m, flags, 2), "PL", "second");
	s_expect(&m, vt_hl7_rep(&m, flags, 3), "ST", "third");
	cr_expect_eq(vt_hl7_rep(&m, flags, 4).n, 0);
	cr_expect(vt_hl7_eq(&m, vt_hl7_rep(&m, flags, 2), "PL"));
	cr_expect(!vt_hl7_eq(&m, vt_hl7_rep(&m, flags, 2), "P"));
	/* An escape that never closes is text; a cut result stays terminated. */
	struct vt_hl7_msg u = s_open("MSH|^~\\&|\rNTE|ab\\F");
	struct vt_hl7_str nte;
	cr_assert(vt_hl7_find(&u, "NTE", &nte));
	s_expect(&u, vt_hl7_field(&u, nte, 1), "ab\\F", "unclosed escape");
	char small[3];
	cr_expect_eq(vt_hl7_text(&u, vt_hl7_field(&u, nte, 1), small, sizeof small), 2);
	cr_expect_str_eq(small, "ab");
}

Test(hl7, other_separators)
{
	struct vt_hl7_msg m = s_open("MSH#$*@%#A$B\rPV1#x#I#U$R$3");
	cr_assert_eq(m.field, '#');
	cr_assert_eq(m.comp, '$');
	struct vt_hl7_str pv1;
	cr_assert(vt_hl7_find(&m, "PV1", &pv1));
	s_expect(&m, vt_hl7_comp(&m, vt_hl7_field(&m, pv1, 3), 3), "3", "PV1-3.3");
	/* Three encoding characters (no subcomponent separator) are allowed. */
	struct vt_hl7_msg t = s_open("MSH|^~\\|A\r");
	cr_expect_eq(t.sub, 0);
}

Test(hl7, what_is_not_a_message)
{
	static const char *const bad[] = {
		"", "MSH", "MSH|^~\\", "PID|1|2|3|4", "MSH|^~\\&&|", "MSH|^^\\&|", "MSH|A~\\&|",
		"MSH|^~\\&\r", "MSH|^~|x", "MSH ^~\\&|", "MSH|^~\\&#$%|",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct vt_hl7_msg m;
		char err[128] = "";
		cr_expect_eq(vt_hl7_open(&m, bad[i], strlen(bad[i]), err, sizeof err), -1, "'%s'",
		             bad[i]);
		cr_expect_neq(err[0], '\0', "'%s' without a reason", bad[i]);
	}
}

Test(hl7, times_in_the_forms_monitors_send)
{
	struct vt_hl7_msg m = s_open("MSH|^~\\&|\r");
	static const struct {
		const char *text;
		const char *utc; /* the local time it names, as RFC 3339 */
		int zone;
		bool has_zone;
	} ok[] = {
		{"20191206113452", "2019-12-06T11:34:52Z", 0, false},
		{"20260124124738000+0800", "2026-01-24T12:47:38Z", 480, true},
		{"20260124131540123+0800", "2026-01-24T13:15:40.123Z", 480, true},
		{"20210425230332.872-0400", "2021-04-25T23:03:32.872Z", -240, true},
		{"20210425230332.8", "2021-04-25T23:03:32.800Z", 0, false},
		{"202104252303", "2021-04-25T23:03:00Z", 0, false},
		{"20210425", "2021-04-25T00:00:00Z", 0, false},
		{"2021", "2021-01-01T00:00:00Z", 0, false},
		{"20200229120000+0000", "2020-02-29T12:00:00Z", 0, true},
		{"20200229120000+1400", "2020-02-29T12:00:00Z", 840, true},
		{"20200229120000-1400", "2020-02-29T12:00:00Z", -840, true},
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		struct vt_hl7_str s = {ok[i].text, strlen(ok[i].text)};
		int64_t got, want;
		int zone;
		bool has;
		cr_assert_eq(vt_hl7_time(&m, s, &got, &zone, &has), 0, "%s", ok[i].text);
		cr_assert_eq(vt_time_parse(ok[i].utc, &want), 0);
		cr_expect_eq(got, want, "%s", ok[i].text);
		cr_expect_eq(zone, ok[i].zone, "%s", ok[i].text);
		cr_expect_eq(has, ok[i].has_zone, "%s", ok[i].text);
	}
	static const char *const bad[] = {"", "201", "20191", "2019120", "20191306", "20190230",
	                                  "20191206113452+08", "20191206113452+2400",
	                                  "20191206113452+1459", "20191206113452-1401",
	                                  "2019120611345.2", "20191206113452.", "20191206x",
	                                  "20191206113452 "};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct vt_hl7_str s = {bad[i], strlen(bad[i])};
		int64_t t;
		int zone;
		bool has;
		cr_expect_eq(vt_hl7_time(&m, s, &t, &zone, &has), -1, "'%s'", bad[i]);
	}
}

/* ---- MLLP ---- */

struct frames {
	char text[8][256];
	bool truncated[8];
	size_t len[8];
	size_t n;
};

static void
s_on_frame(void *ctx, const uint8_t *frame, size_t len, bool truncated)
{
	struct frames *f = ctx;
	cr_assert_lt(f->n, 8);
	f->len[f->n] = len;
	f->truncated[f->n] = truncated;
	snprintf(f->text[f->n], sizeof f->text[0], "%.*s", (int)(len < 255 ? len : 255),
	         (const char *)frame);
	f->n++;
}

/* Feed `in` whole, byte by byte and in random pieces; every way gives `f`. */
static void
s_deframe(const uint8_t *in, size_t len, struct frames *f, struct vt_mllp_counts *c)
{
	static struct vt_mllp d;
	struct frames ways[3];
	struct vt_mllp_counts counts[3];
	for (int way = 0; way < 3; way++) {
		memset(&ways[way], 0, sizeof ways[0]);
		memset(&counts[way], 0, sizeof counts[0]);
		vt_mllp_reset(&d);
		uint32_t seed = 7;
		for (size_t pos = 0; pos < len;) {
			size_t n = way == 0 ? len : way == 1 ? 1 : 1 + vt_rig_rand(&seed) % 9;
			if (n > len - pos)
				n = len - pos;
			vt_mllp_feed(&d, in + pos, n, s_on_frame, &ways[way], &counts[way]);
			pos += n;
		}
	}
	for (int way = 1; way < 3; way++) {
		cr_assert_eq(ways[way].n, ways[0].n, "split %d: %zu frames", way, ways[way].n);
		for (size_t i = 0; i < ways[0].n; i++)
			cr_assert_str_eq(ways[way].text[i], ways[0].text[i]);
		cr_assert_eq(counts[way].discarded, counts[0].discarded);
		cr_assert_eq(counts[way].cut, counts[0].cut);
	}
	*f = ways[0];
	*c = counts[0];
}

#define IN(s) (const uint8_t *)(s), sizeof(s) - 1

Test(mllp, frames_in_any_pieces)
{
	struct frames f;
	struct vt_mllp_counts c;
	s_deframe(IN("\x0bMSH|a\rPID|1\r\x1c\r\x0bMSH|b\x1c\r"), &f, &c);
	cr_assert_eq(f.n, 2);
	cr_expect_str_eq(f.text[0], "MSH|a\rPID|1\r");
	cr_expect_str_eq(f.text[1], "MSH|b");
	cr_expect_eq(c.discarded, 0);
	cr_expect_eq(c.cut, 0);
}

Test(mllp, what_lies_between_frames_and_cut_frames)
{
	struct frames f;
	struct vt_mllp_counts c;
	/* Newlines and noise between frames; a frame cut by the next VT; FS without CR. */
	s_deframe(IN("\r\nxy\x0bMSH|lost\x0bMSH|kept\x1c\x0bMSH|next\x1c\rzz"), &f, &c);
	cr_assert_eq(f.n, 2);
	cr_expect_str_eq(f.text[0], "MSH|kept");
	cr_expect_str_eq(f.text[1], "MSH|next");
	cr_expect_eq(c.cut, 1);
	cr_expect_eq(c.discarded, 6); /* \r \n x y, and z z after the last frame */
	/* A lone FS, and a frame that never ends, deliver nothing. */
	s_deframe(IN("\x1c\r\x0bMSH|open"), &f, &c);
	cr_expect_eq(f.n, 0);
	cr_expect_eq(c.discarded, 2);
	/* An empty frame is still a frame: the receiver answers it as a bad message. */
	s_deframe(IN("\x0b\x1c\r"), &f, &c);
	cr_expect_eq(f.n, 1);
	cr_expect_eq(f.len[0], 0);
}

Test(mllp, a_frame_beyond_the_bound_keeps_its_head)
{
	size_t big = VT_MLLP_MAX + 1000;
	uint8_t *in = malloc(big + 32);
	size_t n = 0;
	in[n++] = 0x0B;
	memcpy(in + n, "MSH|head", 8);
	n += 8;
	memset(in + n, 'x', big - 8);
	n += big - 8;
	memcpy(in + n, "\x1c\r\x0bMSH|after\x1c\r", 15);
	n += 15;
	static struct vt_mllp d;
	vt_mllp_reset(&d);
	struct frames f = {.n = 0};
	struct vt_mllp_counts c = {0};
	vt_mllp_feed(&d, in, n, s_on_frame, &f, &c);
	cr_assert_eq(f.n, 2);
	cr_expect(f.truncated[0]);
	cr_expect_eq(f.len[0], VT_MLLP_MAX);
	cr_expect_eq(strncmp(f.text[0], "MSH|head", 8), 0);
	cr_expect(!f.truncated[1]);
	cr_expect_str_eq(f.text[1], "MSH|after");
	free(in);
}

Test(mllp, framing_for_the_wire)
{
	uint8_t out[16];
	cr_assert_eq(vt_mllp_frame((const uint8_t *)"MSH|x", 5, out, sizeof out), 8);
	cr_expect_eq(memcmp(out, "\x0bMSH|x\x1c\r", 8), 0);
	cr_expect_eq(vt_mllp_frame((const uint8_t *)"MSH|x", 5, out, 7), 0);
}
