/*
 * Philips IntelliVue monitor, Data Export (`philips-mib`): the monitor's
 * side of the protocol the philips-mib driver speaks (intellivue.h holds
 * the bytes both use). It says nothing until a host associates; then it
 * announces itself (MDS create event) and answers every poll with what it
 * shows now: the numerics (NIBP as one compound value stamped with its
 * measurement time) and the technical alarm list.
 *
 *   host                       monitor
 *   association request  ->    association result, MDS create event
 *   event result         ->    (nothing)
 *   poll (numerics)      ->    poll result: the numerics
 *   poll (alert monitor) ->    poll result: the technical alarms
 *   release request      ->    release response; no longer associated
 *
 * On a LAN port (datagram) it also announces itself every 5 s with a
 * Connect Indication while no host is associated. Its relative clock
 * starts at power-on (the first period) and runs at 8000 ticks a second.
 */
#include <math.h>
#include <string.h>

#include "vitals/drivers/intellivue.h"
#include "vitals/emulator/encode.h"

/* A Connect Indication every this often while nobody is associated. */
#define S_ANNOUNCE_MS 5000

struct s_iv {
	bool datagram;
	uint16_t data_port;
	char serial[11];
	struct vt_reading r;   /* what the monitor shows now */
	int64_t boot_ms;       /* wall clock at power-on: relative time 0 */
	bool booted;
	struct vt_encode_cuff cuff; /* the last NIBP measurement */
	bool cuff_demo;        /* it was taken in demo mode: gone when demo mode ends */
	/* the session */
	bool associated;
	struct vt_encode_polled faults; /* deaf, or spoiling the next frame */
	uint16_t invoke;
	int64_t announced;     /* when the last Connect Indication went */
	struct vt_iv_reader in;  /* the host's message being read */
};

static void
s_reset(void *state, const struct vt_encode_config *cfg)
{
	struct s_iv *s = state;
	memset(s, 0, sizeof(*s));
	struct vt_encode_config dflt;
	if (cfg == NULL) {
		vt_encode_config_default(&dflt);
		cfg = &dflt;
	}
	s->datagram = cfg->datagram;
	vt_iv_reader_reset(&s->in, cfg->datagram);
	s->data_port = cfg->data_port;
	memcpy(s->serial, cfg->serial, sizeof s->serial);
	s->announced = INT64_MIN;
}

static uint32_t
s_rel(const struct s_iv *s, int64_t wall_ms)
{
	return (uint32_t)((uint64_t)(wall_ms - s->boot_ms) * VT_IV_REL_PER_MS);
}

/* Who the monitor is, with its clock now. */
static void
s_identity(const struct s_iv *s, int64_t wall_ms, struct vt_iv_identity *id)
{
	memset(id, 0, sizeof(*id));
	memcpy(id->manufacturer, "Philips", 8);
	memcpy(id->model, "MX800", 6);
	memcpy(id->serial, s->serial, sizeof s->serial);
	memcpy(id->version, "M.00.00 (emulated)", 19);
	id->data_port = s->data_port;
	id->has_clock = true;
	id->abs_ms = wall_ms;
	id->rel = s_rel(s, wall_ms);
}

/* ---- sending -------------------------------------------------------------- */

/* A wrong FCS: one bit of the byte before EOF (the FCS's, or its escaped
 * form) flipped, never into a framing byte. */
static void
s_spoil_frame(uint8_t *frame, size_t n)
{
	uint8_t *b = &frame[n - 2];
	uint8_t flip = (uint8_t)(*b ^ 0x01);
	if (flip == VT_IV_BOF || flip == VT_IV_EOF || flip == VT_IV_ESC)
		flip = (uint8_t)(*b ^ 0x10);
	*b = flip;
}

/* Append one message, framed for the transport; false when it does not fit. */
static bool
s_emit(struct s_iv *s, const uint8_t *msg, size_t len, uint8_t *out, size_t cap, size_t *n)
{
	if (len == 0)
		return false;
	if (s->datagram) {
		/* A spoiled datagram is cut short: its lengths run past its end. */
		size_t dlen = s->faults.bad_check ? len - 1 : len;
		if (dlen + 2 > cap - *n)
			return false;
		out[*n] = (uint8_t)(dlen >> 8);
		out[*n + 1] = (uint8_t)dlen;
		memcpy(out + *n + 2, msg, dlen);
		*n += dlen + 2;
	} else {
		size_t f = vt_iv_frame(msg, len, out + *n, cap - *n);
		if (f == 0)
			return false;
		if (s->faults.bad_check)
			s_spoil_frame(out + *n, f);
		*n += f;
	}
	s->faults.bad_check = false;
	return true;
}

/* ---- numerics ------------------------------------------------------------- */

/* A numeric observation of `p` (missing: an invalid state, no value). */
static void
s_obs(const struct s_iv *s, enum vt_param p, uint16_t physio, uint16_t unit, int decimals,
      struct vt_iv_obs *o)
{
	memset(o, 0, sizeof(*o));
	o->physio = physio;
	o->unit = unit;
	if (s->r.valid & VT_PARAM_BIT(p)) {
		o->value = vt_iv_float_from(s->r.value[p], decimals);
	} else {
		o->state = VT_IV_MS_INVALID;
		o->value = VT_IV_FLOAT_NAN;
	}
	if (s->r.flags & VT_FLAG_DEMO_DATA)
		o->state |= VT_IV_MS_DEMO_DATA;
}

/* The numerics the monitor shows, one object each (NIBP: one compound). */
static size_t
s_numerics(const struct s_iv *s, struct vt_iv_object *objs)
{
	static const struct {
		enum vt_param p;
		uint16_t physio, unit;
		int decimals;
	} table[] = {
	    {VT_HR, VT_IV_ECG_HR, VT_IV_DIM_BPM, 0},
	    {VT_SPO2, VT_IV_SPO2, VT_IV_DIM_PERCENT, 0},
	    {VT_PR, VT_IV_PLETH_PR, VT_IV_DIM_BPM, 0},
	    {VT_PI, VT_IV_PERF_REL, VT_IV_DIM_NONE, 2},
	    {VT_RR, VT_IV_RESP_RATE, VT_IV_DIM_RPM, 0},
	    {VT_ETCO2, VT_IV_AWAY_CO2_ET, VT_IV_DIM_MMHG, 0},
	    {VT_TEMP, VT_IV_TEMP, VT_IV_DIM_DEGC, 1},
	};
	size_t n = 0;
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		if (!(s->r.reported & VT_PARAM_BIT(table[i].p)))
			continue;
		uint16_t physio = table[i].physio;
		/* With a capnograph, the breathing rate is the airway's. */
		if (table[i].p == VT_RR && (s->r.reported & VT_PARAM_BIT(VT_ETCO2)))
			physio = VT_IV_AWAY_RESP_RATE;
		struct vt_iv_object *o = &objs[n];
		memset(o, 0, sizeof(*o));
		o->handle = (uint16_t)(n + 1);
		o->n_obs = 1;
		s_obs(s, table[i].p, physio, table[i].unit, table[i].decimals, &o->obs[0]);
		n++;
	}
	if (s->cuff.have || (s->r.reported & VT_PARAM_BIT(VT_NIBP_SYS))) {
		struct vt_iv_object *o = &objs[n];
		memset(o, 0, sizeof(*o));
		o->handle = (uint16_t)(n + 1);
		o->n_obs = 3;
		static const uint16_t ids[3] = {VT_IV_NIBP_SYS, VT_IV_NIBP_DIA, VT_IV_NIBP_MEAN};
		for (int k = 0; k < 3; k++) {
			struct vt_iv_obs *ob = &o->obs[k];
			ob->physio = ids[k];
			ob->unit = VT_IV_DIM_MMHG;
			ob->state = s->cuff.have ? 0 : VT_IV_MS_INVALID;
			if (s->r.flags & VT_FLAG_DEMO_DATA)
				ob->state |= VT_IV_MS_DEMO_DATA; /* demo mode marks every numeric */
			ob->value = s->cuff.have ? vt_iv_float_from(s->cuff.bp[k], 0) : VT_IV_FLOAT_NAN;
		}
		if (s->cuff.have) {
			/* Measured then: the object's relative time stamp. */
			o->obs[0].has_rel = true;
			o->obs[0].rel = s_rel(s, s->cuff.at_ms);
		}
		n++;
	}
	return n;
}

/* The technical alarms the monitor's flags mean, as the driver reads them. */
static size_t
s_alarms(const struct s_iv *s, struct vt_iv_alarm *al)
{
	static const struct {
		uint32_t flag;
		uint16_t source, code;
	} table[] = {
	    {VT_FLAG_LEADS_OFF, VT_IV_ECG_HR, VT_IV_EVT_LEADS_OFF},
	    {VT_FLAG_NIBP_FAILED, VT_IV_NIBP, VT_IV_EVT_MSMT_FAIL},
	    {VT_FLAG_CUFF_OVERPRESSURE, VT_IV_NIBP, VT_IV_EVT_CUFF_INFLAT_OVER},
	    {VT_FLAG_CO2_OCCLUSION, VT_IV_AWAY_CO2_ET, VT_IV_EVT_TUBE_OCCL},
	    {VT_FLAG_SENSOR_OFF | VT_FLAG_NO_SENSOR, VT_IV_SPO2, VT_IV_EVT_SENSOR_DISCONN},
	    {VT_FLAG_SENSOR_FAULT, VT_IV_SPO2, VT_IV_EVT_SENSOR_MALF},
	};
	size_t n = 0;
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		if (!(s->r.flags & table[i].flag))
			continue;
		al[n] = (struct vt_iv_alarm){.source = table[i].source, .code = table[i].code,
		                             .type = 0x0002 /* medium-priority technical */};
		n++;
	}
	return n;
}

/* ---- the host's messages --------------------------------------------------- */

static void
s_message(struct s_iv *s, const uint8_t *msg, size_t len, int64_t wall_ms, uint8_t *out,
          size_t cap, size_t *n)
{
	struct vt_iv_msg m;
	const char *why;
	if (vt_iv_read(msg, len, NULL, &m, &why) != 0)
		return; /* not understood: a monitor says nothing */
	uint8_t reply[VT_ENCODE_REPLY_MAX];
	switch (m.kind) {
	case VT_IV_MSG_ASSOC_REQ: {
		if (s->faults.deaf)
			return;
		s->associated = true;
		s_emit(s, reply, vt_iv_aare(1000, reply, sizeof reply), out, cap, n);
		struct vt_iv_identity id;
		s_identity(s, wall_ms, &id);
		s_emit(s, reply, vt_iv_mds_create_event(s->invoke++, &id, reply, sizeof reply), out,
		       cap, n);
		return;
	}
	case VT_IV_MSG_POLL_REQ: {
		if (!s->associated)
			return;
		struct vt_iv_poll poll = {.poll_no = m.poll.poll_no, .code = m.poll.code,
		                          .rel_time = s_rel(s, wall_ms), .has_abs = true,
		                          .abs_ms = wall_ms};
		struct vt_iv_object objs[VT_PARAM_COUNT + 1];
		struct vt_iv_alarm al[8];
		size_t k = 0;
		if (m.poll.code == VT_IV_MOC_VMO_METRIC_NU) {
			k = s_numerics(s, objs);
		} else if (m.poll.code == VT_IV_MOC_VMO_AL_MON) {
			memset(&objs[0], 0, sizeof objs[0]);
			objs[0].handle = 1;
			objs[0].alarms = al;
			objs[0].n_alarms = s_alarms(s, al);
			k = 1;
		}
		s_emit(s, reply, vt_iv_poll_result(m.invoke, &poll, objs, k, reply, sizeof reply), out,
		       cap, n);
		return;
	}
	case VT_IV_MSG_RELEASE_REQ:
		s->associated = false;
		s_emit(s, reply, vt_iv_release_response(reply, sizeof reply), out, cap, n);
		return;
	case VT_IV_MSG_ABORT:
		s->associated = false;
		return;
	default:
		return; /* event results and the rest: nothing to say */
	}
}

static size_t
s_respond(void *state, const uint8_t *in, size_t len, int64_t wall_ms, uint8_t *out, size_t cap)
{
	struct s_iv *s = state;
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		const uint8_t *msg;
		size_t mlen;
		const char *why = NULL;
		/* What it cannot read, a monitor ignores. */
		if (vt_iv_reader_byte(&s->in, in[i], &msg, &mlen, &why) == VT_GOT_FRAME)
			s_message(s, msg, mlen, wall_ms, out, cap, &n);
	}
	return n;
}

/* ---- each period ------------------------------------------------------------ */

static size_t
s_encode(void *state, const struct vt_reading *r, int64_t wall_ms, uint8_t *out, size_t cap)
{
	struct s_iv *s = state;
	if (!s->booted) {
		s->boot_ms = wall_ms;
		s->booted = true;
	}
	s->r = *r;
	/* The cuff's last measurement stays shown, stamped with when it was
	 * taken; a failed one leaves it and raises the monitor's INOP. */
	bool demo = (r->flags & VT_FLAG_DEMO_DATA) != 0;
	int64_t measured = s->cuff.have ? s->cuff.at_ms : INT64_MIN;
	vt_encode_cuff_update(&s->cuff, r, wall_ms);
	if (s->cuff.have && s->cuff.at_ms != measured)
		s->cuff_demo = demo;
	if (s->cuff_demo && !demo) {
		/* Out of demo mode: its measurement is not shown any more. */
		memset(&s->cuff, 0, sizeof s->cuff);
		s->cuff_demo = false;
	}
	size_t n = 0;
	if (s->datagram && !s->associated &&
	    (s->announced == INT64_MIN || wall_ms - s->announced >= S_ANNOUNCE_MS)) {
		uint8_t msg[512];
		struct vt_iv_identity id;
		s_identity(s, wall_ms, &id);
		if (s_emit(s, msg, vt_iv_connect_indication(&id, msg, sizeof msg), out, cap, &n))
			s->announced = wall_ms;
	}
	return n;
}

static size_t
s_misbehave(void *state, enum vt_encode_fault f, int64_t wall_ms, uint8_t *out, size_t cap)
{
	struct s_iv *s = state;
	size_t n = 0;
	if (!vt_encode_polled_fault(&s->faults, f) && s->associated) {
		/* a drop: the association is aborted */
		uint8_t msg[64];
		s->associated = false;
		s_emit(s, msg, vt_iv_abort(msg, sizeof msg), out, cap, &n);
	}
	(void)wall_ms;
	return n;
}

const struct vt_encoder vt_encoder_philips_mib = {
	.name = "philips-mib",
	.description = "Philips IntelliVue monitor, Data Export (answers association and polls)",
	.default_baud = 115200,
	.period_num_ms = 1000,
	.period_den = 1,
	.state_size = sizeof(struct s_iv),
	.reset = s_reset,
	.encode = s_encode,
	.respond = s_respond,
	.lan = true,
	.faults = VT_ENCODE_POLLED_FAULTS,
	.misbehave = s_misbehave,
};
