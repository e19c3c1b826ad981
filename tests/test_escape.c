/*
 * Text from outside on its way to a log line or a file (base/escape.h):
 * the escaping itself, case by case, and the attack it stops: a control
 * request whose `by` carries a newline and a "<0>" priority must not write
 * a forged entry (a fake acknowledgement by someone else) into the journal.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/support.h"
#include "vitals/base/escape.h"

struct esc_case {
	const char *in;
	size_t len;        /* 0: strlen(in) */
	const char *want;
};

static const struct esc_case cases[] = {
    {"station-2", 0, "station-2"},
    {"a\nb", 0, "a\\nb"},
    {"x\r\n<0>forged", 0, "x\\r\\n<0>forged"},
    {"tab\there", 0, "tab\\there"},
    {"back\\slash", 0, "back\\\\slash"},
    {"\x1b[2J", 0, "\\x1b[2J"},
    {"del\x7f", 0, "del\\x7f"},
    {"nul", 4, "nul\\x00"},
    {"caf\xc3\xa9 \xe2\x82\xac", 0, "caf\xc3\xa9 \xe2\x82\xac"},  /* UTF-8 text stays */
    {"bad \xff\xfe", 0, "bad \\xff\\xfe"},                       /* not UTF-8 */
    {"over \xc0\xaf", 0, "over \\xc0\\xaf"},                     /* overlong '/' */
    {"c1 \xc2\x9b", 0, "c1 \\xc2\\x9b"},                         /* CSI as a C1 control */
    {"cut \xe2\x82", 0, "cut \\xe2\\x82"},                       /* a sequence cut short */
};

Test(escape, table)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct esc_case *c = &cases[i];
		size_t len = c->len ? c->len : strlen(c->in);
		char out[128];
		size_t n = vt_escape(out, sizeof(out), c->in, len);
		cr_expect_str_eq(out, c->want, "case %zu", i);
		cr_expect_eq(n, strlen(c->want), "case %zu: length", i);
	}
}

Test(escape, a_short_buffer_cuts_at_a_whole_escape)
{
	char out[6];
	vt_escape(out, sizeof(out), "ab\ncd", 5);
	cr_expect_str_eq(out, "ab\\nc");
	vt_escape(out, sizeof(out), "abcd\n", 5);
	cr_expect_str_eq(out, "abcd", "never half of \\n");
	char worst[VT_ESCAPE_SIZE(3)];
	cr_expect_eq(vt_escape(worst, sizeof(worst), "\x01\x02\x03", 3), 12, "4 bytes per byte at most");
}

#define RULES "  - name: spo2-low\n    parameter: spo2\n    below: 90\n    priority: high\n"

Test(escape, a_forged_by_cannot_write_a_log_line)
{
	struct vt_rig_bed bed;
	struct vt_rig_daemon d;
	cr_assert_eq(vt_rig_bed_start(&bed, &d, "escape", RULES), 0, "vitalsd did not start");
	int64_t end = vt_rig_now_ms() + 20000;
	bool raised = false;
	while (!raised && vt_rig_now_ms() < end) {
		vt_rig_pty_masimo(&bed.pty, 85, 97);
		char *snap = vt_rig_request(d.ctl, "{\"cmd\":\"snapshot\"}", 2000);
		raised = snap && strstr(snap, "chair-1/spo2-low/1");
		free(snap);
	}
	cr_assert(raised, "no alarm");
	const char *forged = "{\"cmd\":\"ack\",\"id\":\"chair-1/spo2-low/1\",\"by\":"
	                     "\"x\\n<0>alert chair-1/spo2-low/1 acknowledged by dr-admin\"}";
	char *reply = vt_rig_request(d.ctl, forged, 10000);
	cr_assert_not_null(reply);
	cr_expect(strstr(reply, "\"ok\":true") != NULL, "%s", reply);
	free(reply);
	cr_assert(vt_rig_ping(d.ctl, 5000));
	cr_assert_eq(vt_rig_daemon_stop(&d), 0);
	char *log = vt_rig_slurp(d.proc.log, NULL);
	cr_assert_not_null(log);
	/* Every line starts with the daemon's own priority; none is the forged one. */
	for (char *save = NULL, *line = strtok_r(log, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		cr_expect(strncmp(line, "<0>", 3) != 0, "a forged line: %s", line);
		cr_expect(strstr(line, "acknowledged by dr-admin") == NULL ||
		              strstr(line, "by x\\n<0>alert") != NULL,
		          "a line that looks like dr-admin's acknowledgement: %s", line);
	}
	free(log);
	vt_rig_bed_close(&bed);
	vt_rig_zctx_term();
}
