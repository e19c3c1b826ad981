/*
 * libFuzzer target for what vitals-hl7 parses: the engine's
 * acknowledgements (anything on the far side of a TCP connection), the
 * daemon's published messages and snapshot replies as the follower takes
 * them, the alarm records of its state file and queue, and its
 * configuration file. The first byte chooses which; the fuzzer stops on a
 * crash, a sanitizer report, or a broken promise:
 *   - an acknowledgement parses or says why, its texts terminated;
 *   - whatever the daemon says, every message the follower emits encodes to
 *     an HL7 message that our reader opens, one segment per CR, none
 *     empty, no LF (so no text from the daemon broke out of its field);
 *   - the alarms the follower keeps, written and taken back, are the same;
 *   - a configuration parses or reports errors, never both.
 */
#include "fuzz_check.h"
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/drivers/hl7.h"
#include "vitals/hl7/ack.h"
#include "vitals/hl7/config.h"
#include "vitals/hl7/follow.h"
#include "vitals/hl7/pcd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every message the follower emits must encode to well-formed HL7. */
static void
s_emit(void *ctx, const struct vt_follow_out *o)
{
	(void)ctx;
	static const struct vt_pcd_sender sender = {"VITALSD", "F", "R", "RF", 'P'};
	struct vt_pcd_bed bed = {o->bed, NULL, NULL};
	struct vt_pcd_id id = {"abcdef01-1", 1, 0};
	static char msg[VT_PCD_MAX];
	size_t len = o->alarm ? vt_pcd_r40(msg, sizeof(msg), &sender, &bed, &id, o->event)
	                      : vt_pcd_r01(msg, sizeof(msg), &sender, &bed, &id, o->obs);
	if (len == 0)
		return; /* too long a bed name or text: refused, not cut */
	fuzz_check(len == strlen(msg));
	fuzz_check(memchr(msg, '\n', len) == NULL);
	fuzz_check(msg[len - 1] == '\r');
	for (size_t i = 1; i < len; i++)
		fuzz_check(!(msg[i] == '\r' && msg[i - 1] == '\r'));
	struct vt_hl7_msg m;
	char err[128];
	fuzz_check(vt_hl7_open(&m, msg, len, err, sizeof(err)) == 0);
	struct vt_hl7_str seg;
	size_t pos = 0, n = 0;
	while (vt_hl7_segment(&m, &pos, &seg)) {
		fuzz_check(seg.n >= 3);
		n++;
	}
	fuzz_check(n >= 4);
	if (o->alarm)
		fuzz_check(o->record != NULL);
}

static void
s_ack(const char *p, size_t n)
{
	struct vt_ack a;
	char err[64];
	if (vt_ack_parse(p, n, &a, err, sizeof(err)) == 0) {
		fuzz_check(strnlen(a.control_id, sizeof(a.control_id)) < sizeof(a.control_id));
		fuzz_check(strnlen(a.text, sizeof(a.text)) < sizeof(a.text));
		fuzz_check(a.code == VT_ACK_ACCEPT || a.code == VT_ACK_ERROR || a.code == VT_ACK_REJECT);
	} else {
		fuzz_check(err[0] != '\0');
	}
}

/* Lines: the first a snapshot reply, the rest published messages (and ticks). */
static void
s_follow(const char *p, size_t n)
{
	struct vt_follow *f = vt_follow_new(1000, s_emit, NULL);
	fuzz_check(f != NULL);
	char err[256];
	int64_t now = 1795255200000;
	bool first = true;
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t len = nl != NULL ? (size_t)(nl - p) : n;
		if (first || vt_follow_wants_snapshot(f, now)) {
			vt_follow_snapshot_sent(f, now);
			if (vt_follow_snapshot(f, p, len, now, err, sizeof(err)) != 0)
				fuzz_check(err[0] != '\0');
			first = false;
		} else {
			vt_follow_message(f, p, len, now);
		}
		now += 700;
		vt_follow_tick(f, now);
		p += len + (nl != NULL);
		n -= len + (nl != NULL);
	}
	char *kept = vt_follow_alarms(f);
	fuzz_check(kept != NULL);
	struct vt_follow *g = vt_follow_new(0, s_emit, NULL);
	fuzz_check(vt_follow_restore(g, kept, err, sizeof(err)) == 0);
	char *again = vt_follow_alarms(g);
	fuzz_check(again != NULL && strcmp(kept, again) == 0);
	free(kept);
	free(again);
	vt_follow_free(&g);
	vt_follow_free(&f);
}

/* A state's alarms, then records. */
static void
s_records(const char *p, size_t n)
{
	struct vt_follow *f = vt_follow_new(0, s_emit, NULL);
	char err[256], *text = strndup(p, n);
	fuzz_check(f != NULL && text != NULL);
	char *save = NULL, *line = strtok_r(text, "\n", &save);
	if (line != NULL && vt_follow_restore(f, line, err, sizeof(err)) != 0)
		fuzz_check(err[0] != '\0' && vt_follow_active(f) == 0);
	while ((line = strtok_r(NULL, "\n", &save)) != NULL)
		if (vt_follow_replay(f, line, err, sizeof(err)) != 0)
			fuzz_check(err[0] != '\0');
	fuzz_check(vt_follow_active(f) <= VT_FOLLOW_MAX_ALARMS);
	free(text);
	vt_follow_free(&f);
}

static void
s_config(const char *p, size_t n)
{
	struct vt_diag d = {0};
	struct vt_bridge_config *cfg = vt_bridge_config_parse("fuzz.yaml", p, n, &d);
	fuzz_check((cfg == NULL) == (d.count > 0));
	if (cfg != NULL) {
		fuzz_check(cfg->publish != NULL && cfg->control != NULL && cfg->engine_host != NULL);
		fuzz_check(cfg->retry_max_ms >= cfg->retry_ms && cfg->queue_max > 0);
	}
	vt_bridge_config_free(&cfg);
	vt_diag_clear(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *p = (const char *)data + 1;
	size_t n = size - 1;
	switch (data[0] % 4) {
	case 0: s_ack(p, n); break;
	case 1: s_follow(p, n); break;
	case 2: s_records(p, n); break;
	default: s_config(p, n); break;
	}
	return 0;
}
