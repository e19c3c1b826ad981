/*
 * hl7-mllp: HL7 v2 from bedside monitors and their gateways (IHE PCD-01
 * observations, PCD-04 alarms) over MLLP. The monitor pushes; every message
 * is answered with an acknowledgement through the transmit side, because
 * monitors stop sending when none comes:
 *
 *   AA  a message read (or one of a kind vitalsd does not read);
 *   AE  a frame that is not a message, a message without MSH-9 or MSH-10,
 *       or one longer than VT_MLLP_MAX, with the reason.
 *
 * A frame may hold several messages (a batch, with or without its
 * FHS/BHS/BTS/FTS envelope): each is read and answered on its own. Every
 * message read is one reading, with no values if it carried none (an alarm,
 * a waveform, a keep-alive), so that a monitor that talks is never taken for
 * a silent one. The monitor's alarms go to the sink's device_alarm.
 *
 * The rest of the meaning (codes, units, spot measurements, demo mode,
 * alarm rows) is hl7_pcd.c's; the framing is mllp.c's.
 */
#include <string.h>

#include "vitals/drivers/driver.h"
#include "vitals/drivers/hl7_pcd.h"
#include "vitals/drivers/mllp.h"

/* Messages read from one frame, at most (a batch bigger than this is cut):
 * their acknowledgements must fit one call's transmit buffer. */
#define S_MESSAGES_PER_FRAME (VT_TX_MAX / VT_HL7_ACK_MAX)
/* Alarms read from one message, at most. */
#define S_ALARMS_PER_MESSAGE 8

struct s_state {
	struct vt_mllp mllp;          /* the frame being received */
	struct vt_mllp_counts counts; /* bytes between frames, frames cut short */
	struct vt_driver_stats stats; /* counters */
	uint64_t bad;                 /* messages answered AE */
	uint32_t acks;                /* our acknowledgements' control ids */
};

/* Context of one feed call, for the frame callback. */
struct s_feed {
	struct s_state *st;
	const struct vt_driver_sink *sink;
};

static void
s_ack(struct s_feed *f, const struct vt_hl7_msg *m, const char *code, const char *why)
{
	if (f->sink == NULL || f->sink->tx == NULL)
		return;
	uint8_t out[VT_HL7_ACK_MAX];
	size_t n = vt_hl7_ack(m, code, why, f->sink->now, ++f->st->acks, out, sizeof out);
	if (n > 0)
		vt_tx_put(f->sink->tx, out, n);
}

/* A message that cannot be read: answered AE with the reason, counted. */
static void
s_bad(struct s_feed *f, const struct vt_hl7_msg *m, const char *why)
{
	f->st->stats.dropped++;
	f->st->stats.why = why;
	f->st->bad++;
	s_ack(f, m, "AE", why);
}

static void
s_reading(struct s_feed *f, const struct vt_reading *r)
{
	f->st->stats.records++;
	if (f->sink != NULL && f->sink->reading != NULL)
		f->sink->reading(f->sink->ctx, r);
}

/* One message of a frame. */
static void
s_message(struct s_feed *f, const char *p, size_t len)
{
	struct vt_hl7_msg m;
	char err[160];
	if (vt_hl7_open(&m, p, len, err, sizeof err) != 0) {
		s_bad(f, NULL, "not an HL7 message: MSH with its separators must come first");
		return;
	}
	struct vt_hl7_str msh = vt_hl7_msh(&m);
	if (vt_hl7_field(&m, msh, 9).n == 0) {
		s_bad(f, &m, "MSH-9 (message type) is empty");
		return;
	}
	if (vt_hl7_field(&m, msh, 10).n == 0) {
		s_bad(f, &m, "MSH-10 (message control id) is empty");
		return;
	}
	struct vt_reading r;
	memset(&r, 0, sizeof r);
	switch (vt_hl7_kind(&m)) {
	case VT_HL7_OBSERVATIONS: {
		struct vt_hl7_skips skips;
		vt_hl7_observations(&m, &r, &skips);
		break;
	}
	case VT_HL7_ALARMS: {
		struct vt_device_alarm da[S_ALARMS_PER_MESSAGE];
		size_t n = vt_hl7_alarms(&m, da, S_ALARMS_PER_MESSAGE);
		for (size_t i = 0; i < n && f->sink != NULL && f->sink->device_alarm != NULL; i++)
			f->sink->device_alarm(f->sink->ctx, &da[i]);
		break;
	}
	case VT_HL7_OTHER:
		break;
	}
	s_reading(f, &r);
	s_ack(f, &m, "AA", NULL);
}

/* The n-th message of a frame: read, or beyond the bound dropped unanswered. */
static void
s_batch_message(struct s_feed *f, const char *p, size_t len, size_t n)
{
	if (n < S_MESSAGES_PER_FRAME) {
		s_message(f, p, len);
		return;
	}
	f->st->stats.dropped++;
	f->st->stats.why = "a batch of more messages than one frame may hold";
}

/* Whether the line at p starts a segment called `id`. */
static bool
s_starts(const char *p, size_t len, const char *id)
{
	return len >= 3 && memcmp(p, id, 3) == 0 && (len == 3 || p[3] == '|' || p[3] < 'A');
}

static void
s_frame(void *ctx, const uint8_t *frame, size_t len, bool truncated)
{
	struct s_feed *f = ctx;
	const char *p = (const char *)frame;
	if (truncated) {
		/* Its head still names it, so the sender learns why. */
		struct vt_hl7_msg m;
		char err[8];
		bool head = vt_hl7_open(&m, p, len, err, sizeof err) == 0;
		s_bad(f, head ? &m : NULL, "message longer than 65536 bytes; not read");
		return;
	}
	/* Split at every MSH. Lines before the first (a batch's FHS and BHS)
	 * are no message; BTS and FTS end up in the last one, which ignores
	 * segments it does not know. */
	size_t start = len, messages = 0, i = 0;
	while (i < len) {
		size_t e = i;
		while (e < len && p[e] != '\r' && p[e] != '\n')
			e++;
		if (s_starts(p + i, e - i, "MSH")) {
			if (start < len)
				s_batch_message(f, p + start, i - start, messages++);
			start = i;
		}
		i = e + 1;
	}
	if (start == len)
		s_bad(f, NULL, "not an HL7 message: MSH with its separators must come first");
	else
		s_batch_message(f, p + start, len - start, messages);
}

static void
s_reset(void *state, const struct vt_driver_opts *opts)
{
	(void)opts;
	struct s_state *st = state;
	memset(&st->counts, 0, sizeof st->counts);
	memset(&st->stats, 0, sizeof st->stats);
	st->bad = 0;
	st->acks = 0;
	vt_mllp_reset(&st->mllp);
}

static void
s_feed(void *state, const uint8_t *bytes, size_t len, const struct vt_driver_sink *sink)
{
	struct s_state *st = state;
	struct s_feed f = {st, sink};
	st->stats.bytes += len;
	uint64_t cut = st->counts.cut;
	vt_mllp_feed(&st->mllp, bytes, len, s_frame, &f, &st->counts);
	st->stats.discarded = st->counts.discarded;
	if (st->counts.cut != cut) {
		st->stats.dropped += st->counts.cut - cut;
		st->stats.why = "a frame cut short by the next one";
	}
}

static void
s_stats(const void *state, struct vt_driver_stats *out)
{
	const struct s_state *st = state;
	*out = st->stats;
}

const struct vt_driver vt_driver_hl7_mllp = {
	.name = "hl7-mllp",                    /* protocol name in the configuration */
	.description = "HL7 v2 observations and alarms (IHE PCD-01, PCD-04) over MLLP",
	.default_baud = 9600,                  /* unused: the port is a TCP listener */
	.default_flow = VT_FLOW_NONE,
	.nominal_period_ms = 1000,             /* the fastest senders: numerics every second */
	.state_size = sizeof(struct s_state),  /* one frame of up to VT_MLLP_MAX bytes */
	.reset = s_reset,                      /* no partial frame */
	.feed = s_feed,                        /* frames in: readings, alarms, acknowledgements */
	.stats = s_stats,                      /* counters */
	.text = true,                          /* HL7 is text (CR between segments) */
	.params_optional = VT_PARAMS_BEDSIDE | VT_PARAM_BIT(VT_PI), /* what the sender observes */
};
