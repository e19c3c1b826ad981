/*
 * Philips IntelliVue MP/MX monitors over the Data Export protocol
 * (`philips-mib`): the MIB/RS-232 port, or the LAN port (udp://, datagrams
 * after the monitor's Connect Indication). One protocol core, two framings:
 * on a serial line each message is a BOF...EOF frame with escapes and an
 * FCS; on the LAN each datagram is one message (the port hands it over
 * with a 2-byte length, docs/drivers.md).
 *
 * The monitor says nothing until it is associated, and drops the
 * association when polls stop. So the driver, in time order:
 *
 *   connect   send the association request (AARQ)
 *   AC        the monitor accepts; it then sends its MDS create event
 *   MDS       answer it, and poll at once
 *   tick      every `poll` period: an extended poll of the alert monitor
 *             and one of the numerics (the polls keep the association up)
 *   results   readings: values in valid measurement states, in vitalsd's
 *             units; the NIBP with its measurement time; technical alarms
 *             as flags
 *   silence   no message for 3 poll periods (at least 10 s): associate
 *             again (a monitor that stops answering is comm-lost for the
 *             core meanwhile, on its own clock)
 *   RF/AB/FN  refused, aborted or released by the monitor: associate
 *             again after a pause
 *   disconnect  the release request
 *
 * Pure: the state holds everything, time comes from the sink.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "vitals/drivers/driver.h"
#include "vitals/drivers/intellivue.h"

extern const struct vt_driver vt_driver_philips_mib;

/* No message from the monitor for this many poll periods (and at least
 * S_SILENCE_MIN_MS): the association is presumed gone. */
#define S_SILENCE_POLLS 3
#define S_SILENCE_MIN_MS 10000
/* How long to wait for the association result before asking again. */
#define S_ASSOC_RETRY_MS 5000
/* After a refusal, abort or release: a pause before associating again. */
#define S_REASSOC_MS 2000

enum s_phase {
	S_IDLE,        /* not associated; `next` is when to ask */
	S_ASSOCIATING, /* AARQ sent */
	S_WAIT_MDS,    /* accepted; waiting for the MDS create event */
	S_POLLING,     /* associated and polling */
	S_RELEASED     /* released on disconnect: quiet until the next connect */
};

struct s_state {
	struct vt_driver_opts opts;
	struct vt_iv_reader in;   /* the message being read */
	/* session */
	enum s_phase phase;
	int64_t next;             /* the next tick */
	int64_t last_rx;          /* when the monitor last sent a valid message */
	uint16_t invoke, poll_no;
	/* what the monitor says */
	uint32_t alarm_flags;     /* flags from the last technical alarm list */
	uint32_t demo;            /* VT_FLAG_DEMO_DATA while values come in demo state */
	struct vt_iv_identity id; /* from the MDS create event: its clock */
	/* the result being turned into a reading */
	struct vt_reading r;
	const struct vt_iv_poll *poll;
	vt_param_mask from_away_rr; /* rr came from the capnograph in this result */
	struct vt_driver_stats stats;
};

static void
s_reset(void *state, const struct vt_driver_opts *opts)
{
	struct s_state *st = state;
	memset(st, 0, sizeof(*st));
	st->opts = vt_driver_opts_resolve(&vt_driver_philips_mib, opts);
	vt_iv_reader_reset(&st->in, st->opts.datagram);
	st->next = INT64_MAX;
}

/* ---- sending ------------------------------------------------------------- */

/* Queue one message, framed for the transport. */
static void
s_send(const struct s_state *st, const struct vt_driver_sink *sink, const uint8_t *msg,
       size_t len)
{
	if (sink == NULL || sink->tx == NULL || len == 0)
		return;
	if (st->opts.datagram) {
		vt_tx_put_datagram(sink->tx, msg, len);
		return;
	}
	uint8_t frame[2 * 256 + 16];
	size_t n = vt_iv_frame(msg, len, frame, sizeof frame);
	vt_tx_put(sink->tx, frame, n);
}

static void
s_associate(struct s_state *st, const struct vt_driver_sink *sink)
{
	uint8_t msg[256];
	s_send(st, sink, msg, vt_iv_aarq(st->opts.poll_ms, msg, sizeof msg));
	st->phase = S_ASSOCIATING;
	st->next = sink->now + S_ASSOC_RETRY_MS;
}

static void
s_poll(struct s_state *st, const struct vt_driver_sink *sink)
{
	uint8_t msg[64];
	st->poll_no++;
	/* The alert monitor first: its answer comes first, so the numerics'
	 * reading carries this period's technical alarms. */
	s_send(st, sink, msg,
	       vt_iv_ext_poll(st->invoke++, st->poll_no, VT_IV_MOC_VMO_AL_MON, VT_IV_ATTR_GRP_AL_MON,
	                      msg, sizeof msg));
	s_send(st, sink, msg,
	       vt_iv_ext_poll(st->invoke++, st->poll_no, VT_IV_MOC_VMO_METRIC_NU, 0, msg, sizeof msg));
}

/* No association: associate again after `pause`. */
static void
s_unassociated(struct s_state *st, int64_t now, int64_t pause)
{
	st->phase = S_IDLE;
	st->next = now + pause;
}

/* ---- values -------------------------------------------------------------- */

/* The parameter a physiological id gives, or -1. */
static int
s_param(uint16_t physio)
{
	switch (physio) {
	case VT_IV_ECG_HR: return VT_HR;
	case VT_IV_SPO2: return VT_SPO2;
	case VT_IV_PLETH_PR: return VT_PR;
	case VT_IV_PERF_REL: return VT_PI;
	case VT_IV_RESP_RATE:
	case VT_IV_AWAY_RESP_RATE: return VT_RR;
	case VT_IV_CONC_CO2_ET:
	case VT_IV_AWAY_CO2_ET: return VT_ETCO2;
	case VT_IV_NIBP_SYS: return VT_NIBP_SYS;
	case VT_IV_NIBP_DIA: return VT_NIBP_DIA;
	case VT_IV_NIBP_MEAN: return VT_NIBP_MAP;
	case VT_IV_TEMP:
	case VT_IV_TEMP_CORE:
	case VT_IV_TEMP_ESOPH:
	case VT_IV_TEMP_NASOPH:
	case VT_IV_TEMP_TYMP:
	case VT_IV_TEMP_RECT: return VT_TEMP;
	default: return -1;
	}
}

/* `v` in `unit` as parameter p's unit; false for a unit that makes no sense for p. */
static bool
s_convert(int p, uint16_t unit, double *v)
{
	switch (p) {
	case VT_HR:
	case VT_PR: return unit == VT_IV_DIM_BPM;
	case VT_SPO2: return unit == VT_IV_DIM_PERCENT;
	case VT_PI: return unit == VT_IV_DIM_PERCENT || unit == VT_IV_DIM_NONE;
	case VT_RR: return unit == VT_IV_DIM_RPM;
	case VT_ETCO2:
	case VT_NIBP_SYS:
	case VT_NIBP_DIA:
	case VT_NIBP_MAP:
		if (unit == VT_IV_DIM_KPA)
			*v *= 7.50062; /* mmHg per kPa */
		return unit == VT_IV_DIM_MMHG || unit == VT_IV_DIM_KPA;
	case VT_TEMP:
		if (unit == VT_IV_DIM_FAHR)
			*v = (*v - 32) * 5 / 9;
		return unit == VT_IV_DIM_DEGC || unit == VT_IV_DIM_FAHR;
	default: return false;
	}
}

/* How long before the result the value was measured, and its stamp on the
 * monitor's clock (relative or absolute, whichever it gave); false if not known. */
static bool
s_age(const struct s_state *st, const struct vt_iv_obs *o, int64_t *age, int64_t *stamp)
{
	const struct vt_iv_poll *poll = st->poll;
	if (o->has_rel) {
		/* Relative time wraps every 6 days; the difference does not. */
		*age = (int64_t)(uint32_t)(poll->rel_time - o->rel) / VT_IV_REL_PER_MS;
		*stamp = (int64_t)o->rel / VT_IV_REL_PER_MS;
		return true;
	}
	if (!o->has_abs)
		return false;
	*stamp = o->abs_ms;
	if (poll->has_abs) {
		*age = poll->abs_ms - o->abs_ms;
		return true;
	}
	if (st->id.has_clock) {
		/* The monitor's clock now, from the one it gave at association. */
		int64_t now = st->id.abs_ms +
		              (int64_t)(uint32_t)(poll->rel_time - st->id.rel) / VT_IV_REL_PER_MS;
		*age = now - o->abs_ms;
		return true;
	}
	return false;
}

static void
s_on_obs(void *ctx, const struct vt_iv_obs *o)
{
	struct s_state *st = ctx;
	int p = s_param(o->physio);
	if (p < 0)
		return;
	vt_param_mask bit = VT_PARAM_BIT(p);
	/* Both respiration rates: the capnograph's wins, it is the breathing the
	 * apnea rule watches. */
	if (p == VT_RR && (st->from_away_rr & bit) && o->physio != VT_IV_AWAY_RESP_RATE)
		return;
	if (o->state & VT_IV_MS_DEMO_DATA)
		st->demo = VT_FLAG_DEMO_DATA;
	double v;
	bool ok = !(o->state & VT_IV_MS_NOT_A_VALUE) && vt_iv_float(o->value, &v) &&
	          s_convert(p, o->unit, &v);
	const struct vt_param_info *pi = vt_param_info((enum vt_param)p);
	if (ok && (v < pi->min || v > pi->max))
		ok = false; /* a valid state, yet impossible: no value */
	if (!ok) {
		if (!(st->r.valid & bit))
			vt_reading_set_missing(&st->r, (enum vt_param)p);
		return;
	}
	if (o->physio == VT_IV_AWAY_RESP_RATE)
		st->from_away_rr |= bit;
	vt_reading_set(&st->r, (enum vt_param)p, v);
	int64_t age, stamp;
	if (pi->episodic && s_age(st, o, &age, &stamp))
		vt_reading_set_age(&st->r, (enum vt_param)p, age, stamp);
}

/* The flag a technical alarm means, or 0. */
static uint32_t
s_alarm_flag(const struct vt_iv_alarm *a)
{
	switch (a->code) {
	case VT_IV_EVT_LEAD_DISCONN: case VT_IV_EVT_LEADS_OFF:
	case 61833: case 61834: case 61844: /* lead(s) off / disconnected */
		return VT_FLAG_LEADS_OFF;
	case VT_IV_EVT_CUFF_NOT_DEFLATED: case VT_IV_EVT_CUFF_INFLAT_OVER:
	case 61835: case 61836: case 61837: case 61838: /* cuff over-inflated / not deflated */
		return VT_FLAG_CUFF_OVERPRESSURE;
	default:
		break;
	}
	bool nibp = a->source >= VT_IV_NIBP && a->source <= VT_IV_NIBP_MEAN;
	bool co2 = a->source == VT_IV_CONC_CO2 || a->source == VT_IV_CONC_CO2_ET ||
	           a->source == VT_IV_AWAY_CO2 || a->source == VT_IV_AWAY_CO2_ET;
	bool spo2 = a->source == VT_IV_SPO2 || a->source == VT_IV_PLETH;
	if (nibp && (a->code == VT_IV_EVT_MSMT_FAIL || a->code == VT_IV_EVT_MSMT_INTERRUP ||
	             a->code == VT_IV_EVT_MSMT_ERR || a->code == 38))
		return VT_FLAG_NIBP_FAILED; /* measurement failed, interrupted, error */
	if (co2 && (a->code == VT_IV_EVT_TUBE_OCCL || a->code == VT_IV_EVT_TUBE_OBSTRUC ||
	            a->code == VT_IV_EVT_OBSTRUC))
		return VT_FLAG_CO2_OCCLUSION; /* tube occluded or obstructed */
	if (spo2 && (a->code == VT_IV_EVT_SENSOR_DISCONN || a->code == 22 ||
	             a->code == VT_IV_EVT_MSMT_DISCONN))
		return VT_FLAG_NO_SENSOR; /* sensor disconnected */
	if (spo2 && (a->code == VT_IV_EVT_SENSOR_MALF || a->code == VT_IV_EVT_SENSOR_PROB))
		return VT_FLAG_SENSOR_FAULT; /* sensor malfunction, problem */
	return 0;
}

static void
s_on_alarm(void *ctx, const struct vt_iv_alarm *a, bool technical)
{
	struct s_state *st = ctx;
	if (technical)
		st->alarm_flags |= s_alarm_flag(a);
}

/*
 * A poll result. The alert monitor's holds the complete technical alarm
 * list; the numerics' (or each part of a linked one) is one reading,
 * carrying the alarms as flags.
 */
static void
s_result(struct s_state *st, const uint8_t *msg, size_t len, const struct vt_iv_msg *m,
         const struct vt_driver_sink *sink)
{
	const struct vt_iv_visitor v = {.obs = s_on_obs, .alarm = s_on_alarm, .ctx = st};
	struct vt_iv_msg again;
	const char *why;
	if (m->poll.code == VT_IV_MOC_VMO_AL_MON) {
		/* Only its alarms: a numeric in an alarm list is no reading, and there is
		 * no numerics poll for its time to be read against. */
		const struct vt_iv_visitor alarms = {.alarm = s_on_alarm, .ctx = st};
		st->alarm_flags = 0;
		vt_iv_read(msg, len, &alarms, &again, &why); /* walked once already: it reads */
		return;
	}
	if (m->poll.code != VT_IV_MOC_VMO_METRIC_NU)
		return;
	memset(&st->r, 0, sizeof(st->r));
	st->from_away_rr = 0;
	st->poll = &m->poll;
	st->demo = 0;
	vt_iv_read(msg, len, &v, &again, &why);
	st->poll = NULL; /* it points into this message */
	st->r.flags = st->alarm_flags | st->demo;
	st->r.has_status = true;
	st->stats.records++;
	if (sink != NULL && sink->reading != NULL)
		sink->reading(sink->ctx, &st->r);
}

/* ---- receiving ------------------------------------------------------------- */

/* Who the monitor says it is (MDS create event, Connect Indication). */
static void
s_info(const struct vt_iv_identity *id, const struct vt_driver_sink *sink)
{
	if (sink == NULL || sink->info == NULL)
		return;
	struct vt_device_info info = {0};
	snprintf(info.model, sizeof info.model, "%s", id->model);
	snprintf(info.version, sizeof info.version, "%s", id->version);
	snprintf(info.serial, sizeof info.serial, "%s", id->serial);
	info.spo2_low = info.spo2_high = info.pr_low = info.pr_high = NAN;
	sink->info(sink->ctx, &info);
}

static void
s_message(struct s_state *st, const uint8_t *msg, size_t len, const struct vt_driver_sink *sink)
{
	struct vt_iv_msg m;
	const char *why;
	if (vt_iv_read(msg, len, NULL, &m, &why) != 0) {
		st->stats.dropped++;
		st->stats.why = why;
		return;
	}
	int64_t now = sink ? sink->now : 0;
	st->last_rx = now;
	if (st->phase == S_RELEASED)
		return; /* the release response, or what was under way */
	uint8_t out[64];
	switch (m.kind) {
	case VT_IV_MSG_ASSOC_ACCEPT:
		if (st->phase == S_ASSOCIATING) {
			st->phase = S_WAIT_MDS;
			st->next = now + S_ASSOC_RETRY_MS;
		}
		break;
	case VT_IV_MSG_ASSOC_REFUSE:
		st->stats.why = "the monitor refused the association";
		s_unassociated(st, now, S_REASSOC_MS);
		break;
	case VT_IV_MSG_ABORT:
		st->stats.why = "the monitor aborted the association";
		s_unassociated(st, now, S_REASSOC_MS);
		break;
	case VT_IV_MSG_RELEASE_REQ:
		st->stats.why = "the monitor released the association";
		s_send(st, sink, out, vt_iv_release_response(out, sizeof out));
		s_unassociated(st, now, S_REASSOC_MS);
		break;
	case VT_IV_MSG_RELEASE_RSP:
		s_unassociated(st, now, S_REASSOC_MS);
		break;
	case VT_IV_MSG_MDS_CREATE:
		s_send(st, sink, out, vt_iv_event_result(m.invoke, m.event, m.event_time, out, sizeof out));
		st->id = m.id;
		s_info(&m.id, sink);
		st->phase = S_POLLING;
		st->next = now; /* poll at once */
		break;
	case VT_IV_MSG_EVENT:
		/* Any other confirmed event report wants its answer, or the monitor repeats it. */
		s_send(st, sink, out, vt_iv_event_result(m.invoke, m.event, m.event_time, out, sizeof out));
		break;
	case VT_IV_MSG_POLL_RESULT:
		if (st->phase == S_POLLING)
			s_result(st, msg, len, &m, sink);
		break;
	case VT_IV_MSG_ERROR:
		st->stats.why = "the monitor answered a poll with an error";
		break;
	case VT_IV_MSG_CONN_INDIC:
	case VT_IV_MSG_ASSOC_REQ:
	case VT_IV_MSG_POLL_REQ:
	case VT_IV_MSG_EVENT_RESULT:
	case VT_IV_MSG_OTHER:
		break; /* nothing a host acts on */
	}
}

static void
s_feed(void *state, const uint8_t *bytes, size_t len, const struct vt_driver_sink *sink)
{
	struct s_state *st = state;
	st->stats.bytes += len;
	for (size_t i = 0; i < len; i++) {
		const uint8_t *msg;
		size_t n;
		const char *why = NULL;
		enum vt_got got = vt_iv_reader_byte(&st->in, bytes[i], &msg, &n, &why);
		if (vt_driver_got(&st->stats, got, why))
			s_message(st, msg, n, sink);
	}
}

static void
s_stats(const void *state, struct vt_driver_stats *out)
{
	*out = ((const struct s_state *)state)->stats;
}

/* ---- the transmit side ------------------------------------------------------- */

static void
s_connect(void *state, const uint8_t *hello, size_t hello_len, const struct vt_driver_sink *sink)
{
	struct s_state *st = state;
	/* On the LAN, the Connect Indication says who the monitor is. */
	struct vt_iv_msg m;
	const char *why;
	if (hello != NULL && vt_iv_read(hello, hello_len, NULL, &m, &why) == 0 &&
	    m.kind == VT_IV_MSG_CONN_INDIC)
		s_info(&m.id, sink);
	st->last_rx = sink->now;
	s_associate(st, sink);
}

static void
s_tick(void *state, const struct vt_driver_sink *sink)
{
	struct s_state *st = state;
	int64_t now = sink->now;
	int64_t silence = S_SILENCE_POLLS * st->opts.poll_ms;
	if (silence < S_SILENCE_MIN_MS)
		silence = S_SILENCE_MIN_MS;
	switch (st->phase) {
	case S_IDLE:
	case S_ASSOCIATING:
	case S_WAIT_MDS:
		/* Not (yet) associated: ask, and again after S_ASSOC_RETRY_MS. */
		s_associate(st, sink);
		return;
	case S_RELEASED:
		st->next = INT64_MAX;
		return;
	case S_POLLING:
		if (now - st->last_rx >= silence) {
			st->stats.why = "the monitor stopped answering polls";
			s_associate(st, sink);
			return;
		}
		s_poll(st, sink);
		st->next += st->opts.poll_ms;
		if (st->next <= now)
			st->next = now + st->opts.poll_ms; /* late: no burst of catch-up polls */
		return;
	}
}

static int64_t
s_wake(const void *state)
{
	return ((const struct s_state *)state)->next;
}

static void
s_disconnect(void *state, const struct vt_driver_sink *sink)
{
	struct s_state *st = state;
	if (st->phase != S_IDLE && st->phase != S_RELEASED) {
		uint8_t msg[64];
		s_send(st, sink, msg, vt_iv_release_request(msg, sizeof msg));
	}
	st->phase = S_RELEASED;
	st->next = INT64_MAX;
}

const struct vt_driver vt_driver_philips_mib = {
	.name = "philips-mib",                 /* protocol name in the configuration */
	.description = "Philips IntelliVue Data Export (MIB RS-232, or LAN over udp://)",
	.default_baud = 115200,                /* the MIB port's data export speed */
	.default_flow = VT_FLOW_NONE,          /* no handshake */
	.nominal_period_ms = 1000,             /* one result per poll */
	.default_poll_ms = 1000,               /* numerics are updated once a second */
	.state_size = sizeof(struct s_state),  /* one frame and the session */
	.reset = s_reset,                      /* not associated, hunting for BOF */
	.feed = s_feed,                        /* frames in, readings and answers out */
	.stats = s_stats,                      /* counters */
	.text = false,                         /* binary frames */
	.params_optional = VT_PARAMS_BEDSIDE | VT_PARAM_BIT(VT_PI), /* its measurement modules */
	.connect = s_connect,                  /* the association request */
	.tick = s_tick,                        /* polls, retries, re-association */
	.wake = s_wake,                        /* when the next of those is due */
	.disconnect = s_disconnect,            /* the release request */
};
