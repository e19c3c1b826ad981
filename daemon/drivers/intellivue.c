/*
 * The IntelliVue Data Export protocol's bytes (intellivue.h): the frame and
 * its FCS, the host's messages, and a reader for the monitor's. The reader
 * never trusts a length: every count and length is checked against the
 * bytes its container has left, so a malformed message is refused with a
 * reason and nothing is read past its end.
 */
#include <math.h>
#include <string.h>

#include "vitals/base/timefmt.h"
#include "vitals/drivers/intellivue.h"

/* ---- framing ------------------------------------------------------------ */

uint16_t
vt_iv_fcs(uint16_t fcs, const uint8_t *b, size_t len)
{
	/* RFC 1662's bitwise form of its table: reflected polynomial 0x8408. */
	for (size_t i = 0; i < len; i++) {
		fcs ^= b[i];
		for (int k = 0; k < 8; k++)
			fcs = (fcs & 1) ? (uint16_t)((fcs >> 1) ^ 0x8408) : (uint16_t)(fcs >> 1);
	}
	return fcs;
}

/* Append `b` to out, escaped; false when out is full. */
static bool
s_put_escaped(uint8_t b, uint8_t *out, size_t cap, size_t *n)
{
	bool esc = b == VT_IV_BOF || b == VT_IV_EOF || b == VT_IV_ESC;
	if (*n + 1 + esc > cap)
		return false;
	if (esc) {
		out[(*n)++] = VT_IV_ESC;
		b ^= 0x20;
	}
	out[(*n)++] = b;
	return true;
}

size_t
vt_iv_frame(const uint8_t *msg, size_t len, uint8_t *out, size_t cap)
{
	if (len > 0xFFFF || cap < 1)
		return 0;
	uint8_t hdr[4] = {VT_IV_PROTOCOL_ID, VT_IV_MSG_TYPE, (uint8_t)(len >> 8), (uint8_t)len};
	uint16_t fcs = vt_iv_fcs(0xFFFF, hdr, sizeof hdr);
	fcs = (uint16_t)~vt_iv_fcs(fcs, msg, len);
	size_t n = 0;
	out[n++] = VT_IV_BOF;
	for (size_t i = 0; i < sizeof hdr; i++)
		if (!s_put_escaped(hdr[i], out, cap, &n))
			return 0;
	for (size_t i = 0; i < len; i++)
		if (!s_put_escaped(msg[i], out, cap, &n))
			return 0;
	/* The FCS goes least significant byte first, and is escaped like the rest. */
	if (!s_put_escaped((uint8_t)fcs, out, cap, &n) ||
	    !s_put_escaped((uint8_t)(fcs >> 8), out, cap, &n) || n + 1 > cap)
		return 0;
	out[n++] = VT_IV_EOF;
	return n;
}

/* ---- reading a stream of messages ---------------------------------------- */

void
vt_iv_reader_reset(struct vt_iv_reader *r, bool datagram)
{
	memset(r, 0, sizeof(*r));
	r->datagram = datagram;
}

/* A serial frame ended (EOF): its header, length and FCS. */
static enum vt_got
s_frame_end(struct vt_iv_reader *r, const uint8_t **msg, size_t *len, const char **why)
{
	r->in_frame = false;
	if (r->esc) {
		*why = "frame aborted"; /* an escape with nothing after it */
		return VT_GOT_BAD;
	}
	size_t n = r->n;
	if (n < 6 || r->buf[0] != VT_IV_PROTOCOL_ID || r->buf[1] != VT_IV_MSG_TYPE ||
	    (size_t)(r->buf[2] << 8 | r->buf[3]) != n - 6) {
		*why = "malformed frame";
		return VT_GOT_BAD;
	}
	/* Over the header, the message and the FCS, a good frame leaves 0xF0B8. */
	if (vt_iv_fcs(0xFFFF, r->buf, n) != 0xF0B8) {
		*why = "bad FCS";
		return VT_GOT_BAD_CHECK;
	}
	*msg = r->buf + 4;
	*len = n - 6;
	return VT_GOT_FRAME;
}

static enum vt_got
s_serial_byte(struct vt_iv_reader *r, uint8_t b, const uint8_t **msg, size_t *len,
              const char **why)
{
	if (b == VT_IV_BOF) {
		/* A BOF always starts a frame: one cut short is dropped. */
		bool cut = r->in_frame && r->n > 0;
		r->in_frame = true;
		r->esc = false;
		r->n = 0;
		*why = "frame cut short";
		return cut ? VT_GOT_BAD : VT_GOT_NOTHING;
	}
	if (!r->in_frame)
		return VT_GOT_OUTSIDE;
	if (b == VT_IV_EOF)
		return s_frame_end(r, msg, len, why);
	if (b == VT_IV_ESC) {
		r->esc = true;
		return VT_GOT_NOTHING;
	}
	if (r->esc) {
		b ^= 0x20;
		r->esc = false;
	}
	if (r->n == sizeof r->buf) {
		r->in_frame = false;
		*why = "frame too long";
		return VT_GOT_BAD;
	}
	r->buf[r->n++] = b;
	return VT_GOT_NOTHING;
}

static enum vt_got
s_datagram_byte(struct vt_iv_reader *r, uint8_t b, const uint8_t **msg, size_t *len,
                const char **why)
{
	enum vt_got got = VT_GOT_NOTHING;
	if (r->hdr < 2) {
		r->need = r->need << 8 | b;
		if (++r->hdr < 2)
			return VT_GOT_NOTHING;
		r->n = 0;
		r->skip = r->need > VT_IV_MSG_MAX;
		if (r->skip) {
			*why = "datagram too long";
			got = VT_GOT_BAD;
		}
		if (r->need > 0)
			return got;
	} else {
		if (r->skip)
			got = VT_GOT_OUTSIDE;
		else
			r->buf[r->n++] = b;
		if (--r->need > 0)
			return got;
	}
	r->hdr = 0;
	r->need = 0;
	if (r->skip)
		return got;
	*msg = r->buf;
	*len = r->n;
	return VT_GOT_FRAME;
}

enum vt_got
vt_iv_reader_byte(struct vt_iv_reader *r, uint8_t b, const uint8_t **msg, size_t *len,
                  const char **why)
{
	return r->datagram ? s_datagram_byte(r, b, msg, len, why) : s_serial_byte(r, b, msg, len, why);
}

/* ---- writing ------------------------------------------------------------ */

/* A bounded big-endian writer: once it overflows it writes nothing more. */
struct w {
	uint8_t *b;
	size_t cap, n;
	bool full;
};

static void
s_bytes(struct w *w, const void *p, size_t len)
{
	if (w->full || len > w->cap - w->n) {
		w->full = true;
		return;
	}
	memcpy(w->b + w->n, p, len);
	w->n += len;
}

static void
s_u8(struct w *w, unsigned v)
{
	uint8_t b = (uint8_t)v;
	s_bytes(w, &b, 1);
}

static void
s_u16(struct w *w, unsigned v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	s_bytes(w, b, 2);
}

static void
s_u32(struct w *w, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	s_bytes(w, b, 4);
}

static size_t
s_done(const struct w *w)
{
	return w->full ? 0 : w->n;
}

/* Where a length field goes, to be filled in once what it counts is written. */
static size_t
s_mark(struct w *w)
{
	size_t at = w->n;
	s_u16(w, 0);
	return at;
}

/* Fill in the length field at `at`: the bytes written after it. */
static void
s_close(struct w *w, size_t at)
{
	if (w->full)
		return;
	size_t len = w->n - at - 2;
	w->b[at] = (uint8_t)(len >> 8);
	w->b[at + 1] = (uint8_t)len;
}

/*
 * The association request: a session CN SPDU around the presentation
 * layer's fixed ASN.1 header (which names the MDDL application context),
 * then the user information (MDSEUserInfoStd) with one poll profile, then
 * the end-of-contents octets that close the header's indefinite lengths.
 * The fixed parts are those the Data Export Programming Guide gives.
 */
static const uint8_t s_session_data[] = {0x05, 0x08, 0x13, 0x01, 0x00, 0x16, 0x01,
                                         0x02, 0x80, 0x00, 0x14, 0x02, 0x00, 0x02};
static const uint8_t s_presentation_header[] = {
    0x31, 0x80, 0xA0, 0x80, 0x80, 0x01, 0x01, 0x00, 0x00, 0xA2, 0x80, 0xA0, 0x03, 0x00, 0x00,
    0x01, 0xA4, 0x80, 0x30, 0x80, 0x02, 0x01, 0x01, 0x06, 0x04, 0x52, 0x01, 0x00, 0x01, 0x30,
    0x80, 0x06, 0x02, 0x51, 0x01, 0x00, 0x00, 0x00, 0x00, 0x30, 0x80, 0x02, 0x01, 0x02, 0x06,
    0x0C, 0x2A, 0x86, 0x48, 0xCE, 0x14, 0x02, 0x01, 0x00, 0x00, 0x00, 0x01, 0x01, 0x30, 0x80,
    0x06, 0x0C, 0x2A, 0x86, 0x48, 0xCE, 0x14, 0x02, 0x01, 0x00, 0x00, 0x00, 0x02, 0x01, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x61, 0x80, 0x30, 0x80, 0x02, 0x01, 0x01, 0xA0, 0x80, 0x60,
    0x80, 0xA1, 0x80, 0x06, 0x0C, 0x2A, 0x86, 0x48, 0xCE, 0x14, 0x02, 0x01, 0x00, 0x00, 0x00,
    0x03, 0x01, 0x00, 0x00, 0xBE, 0x80, 0x28, 0x80, 0x06, 0x0C, 0x2A, 0x86, 0x48, 0xCE, 0x14,
    0x02, 0x01, 0x00, 0x00, 0x00, 0x01, 0x01, 0x02, 0x01, 0x02, 0x81};
/* End-of-contents octets closing the header's eight indefinite lengths. */
#define S_PRESENTATION_TRAILER 16

/* MDSEUserInfoStd constants. */
#define S_MDDL_VERSION1 0x80000000u
#define S_NOMEN_VERSION 0x40000000u
#define S_SYST_CLIENT 0x80000000u
#define S_SYST_SERVER 0x00800000u
#define S_COLD_START 0x20000000u
#define S_NOM_POLL_PROFILE_SUPPORT 0x0001
#define S_POLL_PROFILE_REV_0 0x80000000u
#define S_P_OPT_DYN_OBJECTS 0x60000000u /* dynamic create and delete of objects */
#define S_NOM_ATTR_POLL_PROFILE_EXT 0xF001
#define S_POLL_EXT_OPTIONS 0x8C000000u /* numerics every second, and their periods */

/* A session or presentation length indicator: one byte, or 0xFF and two. */
static void
s_li(struct w *w, size_t v)
{
	if (v < 0xFF) {
		s_u8(w, (unsigned)v);
	} else {
		s_u8(w, 0xFF);
		s_u16(w, (unsigned)v);
	}
}

/* An association request (CN, from a client) or result (AC, from a server):
 * the same user information with the poll profile. */
static size_t
s_assoc(uint8_t spdu, uint32_t system_type, int64_t min_poll_ms, uint8_t *out, size_t cap)
{
	/* The user information first, to know every length. */
	uint8_t ui[96];
	struct w u = {.b = ui, .cap = sizeof ui};
	uint64_t period = (uint64_t)(min_poll_ms > 0 ? min_poll_ms : 1000) * VT_IV_REL_PER_MS;
	s_u32(&u, S_MDDL_VERSION1);
	s_u32(&u, S_NOMEN_VERSION);
	s_u32(&u, 0);             /* functional units */
	s_u32(&u, system_type);
	s_u32(&u, S_COLD_START);
	s_u16(&u, 0);             /* option list: none */
	s_u16(&u, 0);
	s_u16(&u, 1);             /* supported profiles: one */
	s_u16(&u, 44);
	s_u16(&u, S_NOM_POLL_PROFILE_SUPPORT);
	s_u16(&u, 40);
	s_u32(&u, S_POLL_PROFILE_REV_0);
	s_u32(&u, period > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)period); /* min poll period */
	s_u32(&u, VT_IV_MTU);     /* max_mtu_rx: what we can take */
	s_u32(&u, 1000);          /* max_mtu_tx */
	s_u32(&u, 0xFFFFFFFFu);   /* max_bw_tx: no limit */
	s_u32(&u, S_P_OPT_DYN_OBJECTS);
	s_u16(&u, 1);             /* optional packages: the extended poll profile */
	s_u16(&u, 12);
	s_u16(&u, S_NOM_ATTR_POLL_PROFILE_EXT);
	s_u16(&u, 8);
	s_u32(&u, S_POLL_EXT_OPTIONS);
	s_u16(&u, 0);             /* extended attributes: none */
	s_u16(&u, 0);
	size_t user = s_done(&u);

	size_t pres = sizeof s_presentation_header + 1 + user + S_PRESENTATION_TRAILER;
	size_t session = sizeof s_session_data + 1 + (pres < 0xFF ? 1 : 3) + pres;
	struct w w = {.b = out, .cap = cap};
	s_u8(&w, spdu);
	s_li(&w, session);
	s_bytes(&w, s_session_data, sizeof s_session_data);
	s_u8(&w, 0xC1);
	s_li(&w, pres);
	s_bytes(&w, s_presentation_header, sizeof s_presentation_header);
	s_u8(&w, (unsigned)user);
	s_bytes(&w, ui, user);
	static const uint8_t zeros[S_PRESENTATION_TRAILER];
	s_bytes(&w, zeros, sizeof zeros);
	return s_done(&w);
}

size_t
vt_iv_aarq(int64_t min_poll_ms, uint8_t *out, size_t cap)
{
	return s_assoc(VT_IV_SPDU_CN, S_SYST_CLIENT, min_poll_ms, out, cap);
}

/*
 * The emulated monitor's answer keeps the request's presentation encoding
 * around its own user information (a real monitor's differs in the ASN.1
 * around it; a host, vitalsd's included, reads the session type).
 */
size_t
vt_iv_aare(int64_t min_poll_ms, uint8_t *out, size_t cap)
{
	return s_assoc(VT_IV_SPDU_AC, S_SYST_SERVER, min_poll_ms, out, cap);
}

/* The data-export session header: E1 00 and presentation context 2. */
static void
s_data_header(struct w *w)
{
	s_u16(w, 0xE100);
	s_u16(w, 0x0002);
}

size_t
vt_iv_event_result(uint16_t invoke, uint16_t event, uint32_t rel_time, uint8_t *out, size_t cap)
{
	struct w w = {.b = out, .cap = cap};
	s_data_header(&w);
	s_u16(&w, VT_IV_RORS);
	s_u16(&w, 20);
	s_u16(&w, invoke);
	s_u16(&w, VT_IV_CMD_CONFIRMED_EVENT_REPORT);
	s_u16(&w, 14);
	s_u16(&w, VT_IV_MOC_VMS_MDS); /* managed object: the MDS */
	s_u16(&w, 0);
	s_u16(&w, 0);
	s_u32(&w, rel_time);
	s_u16(&w, event);
	s_u16(&w, 0);
	return s_done(&w);
}

size_t
vt_iv_ext_poll(uint16_t invoke, uint16_t poll_no, uint16_t code, uint16_t group, uint8_t *out,
               size_t cap)
{
	struct w w = {.b = out, .cap = cap};
	s_data_header(&w);
	s_u16(&w, VT_IV_ROIV);
	s_u16(&w, 32);
	s_u16(&w, invoke);
	s_u16(&w, VT_IV_CMD_CONFIRMED_ACTION);
	s_u16(&w, 26);
	s_u16(&w, VT_IV_MOC_VMS_MDS); /* the action goes to the MDS */
	s_u16(&w, 0);
	s_u16(&w, 0);
	s_u32(&w, 0);                 /* scope */
	s_u16(&w, VT_IV_ACT_POLL_EXT);
	s_u16(&w, 12);
	s_u16(&w, poll_no);
	s_u16(&w, 1);                 /* polled object type: partition NOM_PART_OBJ */
	s_u16(&w, code);
	s_u16(&w, group);
	s_u16(&w, 0);                 /* no extra attributes: one reply per request */
	s_u16(&w, 0);
	return s_done(&w);
}

/* Release request and response: a session FN / DN around a fixed ACSE RLRQ / RLRE. */
static size_t
s_release(uint8_t spdu, uint8_t acse_tag, uint8_t *out, size_t cap)
{
	const uint8_t body[] = {0x61, 0x80, 0x30, 0x80, 0x02, 0x01, 0x01, 0xA0, 0x80, acse_tag,
	                        0x80, 0x80, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	                        0x00, 0x00};
	struct w w = {.b = out, .cap = cap};
	s_u8(&w, spdu);
	s_u8(&w, 2 + sizeof body);
	s_u8(&w, 0xC1);
	s_u8(&w, sizeof body);
	s_bytes(&w, body, sizeof body);
	return s_done(&w);
}

size_t
vt_iv_release_request(uint8_t *out, size_t cap)
{
	return s_release(VT_IV_SPDU_FN, 0x62, out, cap);
}

size_t
vt_iv_release_response(uint8_t *out, size_t cap)
{
	return s_release(VT_IV_SPDU_DN, 0x63, out, cap);
}

/* ---- what the monitor sends ---------------------------------------------- */

size_t
vt_iv_abort(uint8_t *out, size_t cap)
{
	/* AB with the transport-disconnect parameter (released), around a
	 * fixed presentation ARP PPDU and ACSE abort. */
	static const uint8_t ab[] = {
	    VT_IV_SPDU_AB, 0x2E, 0x11, 0x01, 0x03, 0xC1, 0x29, 0xA0, 0x80, 0xA0, 0x80, 0x30,
	    0x80, 0x02, 0x01, 0x01, 0x06, 0x02, 0x51, 0x01, 0x00, 0x00, 0x00, 0x00, 0x61,
	    0x80, 0x30, 0x80, 0x02, 0x01, 0x01, 0xA0, 0x80, 0x64, 0x80, 0x80, 0x01, 0x01,
	    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
	struct w w = {.b = out, .cap = cap};
	s_bytes(&w, ab, sizeof ab);
	return s_done(&w);
}

/* A VariableLabel: length, then the text padded to an even length with NUL. */
static void
s_put_label(struct w *w, const char *text)
{
	size_t n = strlen(text);
	size_t padded = n + (n & 1);
	s_u16(w, (unsigned)padded);
	s_bytes(w, text, n);
	if (padded > n)
		s_u8(w, 0);
}

/* The identity attributes: model, then the production specification. */
static void
s_put_identity(struct w *w, const struct vt_iv_identity *id, uint16_t *count)
{
	s_u16(w, VT_IV_ATTR_ID_MODEL);
	size_t len = s_mark(w);
	s_put_label(w, id->manufacturer);
	s_put_label(w, id->model);
	s_close(w, len);
	s_u16(w, VT_IV_ATTR_ID_PROD_SPECN);
	len = s_mark(w);
	s_u16(w, 2);
	size_t list = s_mark(w);
	s_u16(w, 1); /* serial number */
	s_u16(w, 0);
	s_put_label(w, id->serial);
	s_u16(w, 4); /* software revision */
	s_u16(w, 0);
	s_put_label(w, id->version);
	s_close(w, list);
	s_close(w, len);
	*count += 2;
}

/* A ROIV event report of the MDS about itself: the MDS create event (with its
 * clock) or the connect indication (with its data export port). */
static size_t
s_event_report(struct w *w, uint16_t invoke, uint16_t cmd, uint16_t event, uint32_t rel,
               const struct vt_iv_identity *id, bool mds_object)
{
	s_u16(w, VT_IV_ROIV);
	size_t ro = s_mark(w);
	s_u16(w, invoke);
	s_u16(w, cmd);
	size_t arg = s_mark(w);
	s_u16(w, VT_IV_MOC_VMS_MDS);
	s_u16(w, 0);
	s_u16(w, 0);
	s_u32(w, rel);
	s_u16(w, event);
	size_t info = s_mark(w);
	if (mds_object) {
		s_u16(w, VT_IV_MOC_VMS_MDS);
		s_u16(w, 0);
		s_u16(w, 0);
	}
	size_t count_at = w->n;
	uint16_t count = 0;
	s_u16(w, 0);
	size_t list = s_mark(w);
	s_put_identity(w, id, &count);
	if (mds_object) {
		uint8_t bcd[8];
		vt_iv_abs_time_put(id->abs_ms, bcd);
		s_u16(w, VT_IV_ATTR_TIME_ABS);
		s_u16(w, 8);
		s_bytes(w, bcd, 8);
		s_u16(w, VT_IV_ATTR_TIME_REL);
		s_u16(w, 4);
		s_u32(w, id->rel);
		count += 2;
	} else {
		/* Data export (5) over UDP (1) at the data port. */
		s_u16(w, VT_IV_ATTR_PCOL_SUPPORT);
		size_t len = s_mark(w);
		s_u16(w, 1);
		s_u16(w, 8);
		s_u16(w, 5);
		s_u16(w, 1);
		s_u16(w, id->data_port);
		s_u16(w, 0);
		s_close(w, len);
		count++;
	}
	s_close(w, list);
	if (!w->full) {
		w->b[count_at] = (uint8_t)(count >> 8);
		w->b[count_at + 1] = (uint8_t)count;
	}
	s_close(w, info);
	s_close(w, arg);
	s_close(w, ro);
	return s_done(w);
}

size_t
vt_iv_mds_create_event(uint16_t invoke, const struct vt_iv_identity *id, uint8_t *out,
                       size_t cap)
{
	struct w w = {.b = out, .cap = cap};
	s_data_header(&w);
	return s_event_report(&w, invoke, VT_IV_CMD_CONFIRMED_EVENT_REPORT, VT_IV_NOTI_MDS_CREAT,
	                      id->rel, id, true);
}

size_t
vt_iv_connect_indication(const struct vt_iv_identity *id, uint8_t *out, size_t cap)
{
	struct w w = {.b = out, .cap = cap};
	s_u32(&w, 0x00000100u); /* nomenclature version, in place of the session header */
	return s_event_report(&w, 0, VT_IV_CMD_EVENT_REPORT, VT_IV_NOTI_CONN_INDIC, id->rel, id,
	                      false);
}

/* One NuObsValue. */
static void
s_put_obs(struct w *w, const struct vt_iv_obs *o)
{
	s_u16(w, o->physio);
	s_u16(w, o->state);
	s_u16(w, o->unit);
	s_u32(w, o->value);
}

/* One object of a poll result: its handle and attribute list. */
static void
s_put_object(struct w *w, const struct vt_iv_object *obj)
{
	s_u16(w, obj->handle);
	uint16_t count = 0;
	size_t count_at = w->n;
	s_u16(w, 0);
	size_t list = s_mark(w);
	if (obj->n_obs == 0) {
		s_u16(w, VT_IV_ATTR_T_AL_LIST);
		size_t len = s_mark(w);
		s_u16(w, (unsigned)obj->n_alarms);
		s_u16(w, (unsigned)(obj->n_alarms * 18));
		for (size_t i = 0; i < obj->n_alarms; i++) {
			const struct vt_iv_alarm *a = &obj->alarms[i];
			s_u16(w, a->source);
			s_u16(w, a->code);
			s_u16(w, a->type);
			s_u16(w, a->state);
			s_u16(w, VT_IV_MOC_VMO_METRIC_NU); /* the object it is about */
			s_u16(w, 0);
			s_u16(w, 0);
			s_u16(w, 0);                       /* no further information */
			s_u16(w, 0);
		}
		s_close(w, len);
		count++;
	} else {
		if (obj->n_obs == 1) {
			s_u16(w, VT_IV_ATTR_NU_VAL_OBS);
			s_u16(w, 10);
			s_put_obs(w, &obj->obs[0]);
		} else {
			s_u16(w, VT_IV_ATTR_NU_CMPD_VAL_OBS);
			s_u16(w, (unsigned)(4 + 10 * obj->n_obs));
			s_u16(w, (unsigned)obj->n_obs);
			s_u16(w, (unsigned)(10 * obj->n_obs));
			for (size_t i = 0; i < obj->n_obs && i < 3; i++)
				s_put_obs(w, &obj->obs[i]);
		}
		count++;
		if (obj->obs[0].has_rel) {
			s_u16(w, VT_IV_ATTR_TIME_STAMP_REL);
			s_u16(w, 4);
			s_u32(w, obj->obs[0].rel);
			count++;
		}
		if (obj->obs[0].has_abs) {
			uint8_t bcd[8];
			vt_iv_abs_time_put(obj->obs[0].abs_ms, bcd);
			s_u16(w, VT_IV_ATTR_TIME_STAMP_ABS);
			s_u16(w, 8);
			s_bytes(w, bcd, 8);
			count++;
		}
	}
	s_close(w, list);
	if (!w->full) {
		w->b[count_at] = (uint8_t)(count >> 8);
		w->b[count_at + 1] = (uint8_t)count;
	}
}

size_t
vt_iv_poll_result(uint16_t invoke, const struct vt_iv_poll *poll,
                  const struct vt_iv_object *objs, size_t n, uint8_t *out, size_t cap)
{
	struct w w = {.b = out, .cap = cap};
	s_data_header(&w);
	s_u16(&w, VT_IV_RORS);
	size_t ro = s_mark(&w);
	s_u16(&w, invoke);
	s_u16(&w, VT_IV_CMD_CONFIRMED_ACTION);
	size_t res = s_mark(&w);
	s_u16(&w, VT_IV_MOC_VMS_MDS);
	s_u16(&w, 0);
	s_u16(&w, 0);
	s_u16(&w, VT_IV_ACT_POLL_EXT);
	size_t reply = s_mark(&w);
	s_u16(&w, poll->poll_no);
	s_u16(&w, 0); /* sequence number */
	s_u32(&w, poll->rel_time);
	uint8_t bcd[8];
	if (poll->has_abs)
		vt_iv_abs_time_put(poll->abs_ms, bcd);
	else
		memset(bcd, 0xFF, sizeof bcd);
	s_bytes(&w, bcd, sizeof bcd);
	s_u16(&w, 1); /* partition: objects */
	s_u16(&w, poll->code);
	s_u16(&w, 0);
	s_u16(&w, 1); /* one context */
	size_t info = s_mark(&w);
	s_u16(&w, 0); /* context id */
	s_u16(&w, (unsigned)n);
	size_t objects = s_mark(&w);
	for (size_t i = 0; i < n; i++)
		s_put_object(&w, &objs[i]);
	s_close(&w, objects);
	s_close(&w, info);
	s_close(&w, reply);
	s_close(&w, res);
	s_close(&w, ro);
	return s_done(&w);
}

/* ---- values ------------------------------------------------------------- */

bool
vt_iv_float(uint32_t f, double *out)
{
	if (f == VT_IV_FLOAT_NAN || f == VT_IV_FLOAT_NRES || f == VT_IV_FLOAT_PINF ||
	    f == VT_IV_FLOAT_NINF)
		return false;
	int exponent = (int8_t)(uint8_t)(f >> 24);
	int32_t mantissa = (int32_t)(f & 0x00FFFFFFu);
	if (mantissa & 0x00800000)
		mantissa -= 0x01000000;
	*out = mantissa * pow(10.0, exponent);
	return isfinite(*out);
}

uint32_t
vt_iv_float_from(double v, int decimals)
{
	double m = round(v * pow(10.0, decimals));
	if (!isfinite(m) || fabs(m) >= 8388607)
		return VT_IV_FLOAT_NAN;
	int32_t mi = (int32_t)m;
	return ((uint32_t)(uint8_t)(int8_t)(-decimals) << 24) | ((uint32_t)mi & 0x00FFFFFFu);
}

/* Two BCD digits, or -1. */
static int
s_bcd(uint8_t b)
{
	int hi = b >> 4, lo = b & 15;
	return hi > 9 || lo > 9 ? -1 : hi * 10 + lo;
}

bool
vt_iv_abs_time(const uint8_t b[8], int64_t *ms)
{
	int f[8];
	for (int i = 0; i < 8; i++)
		if ((f[i] = s_bcd(b[i])) < 0)
			return false; /* 0xFF (not said) and every other non-digit */
	int year = f[0] * 100 + f[1], month = f[2], day = f[3];
	if (month < 1 || month > 12 || day < 1 || day > 31 || f[4] > 23 || f[5] > 59 || f[6] > 60)
		return false;
	int64_t days = vt_days_from_civil(year, month, day);
	*ms = ((days * 24 + f[4]) * 60 + f[5]) * 60000 + f[6] * 1000 + f[7] * 10;
	return true;
}

static uint8_t
s_to_bcd(int v)
{
	return (uint8_t)((v / 10 % 10) << 4 | v % 10);
}

void
vt_iv_abs_time_put(int64_t ms, uint8_t b[8])
{
	int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
	int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
	int64_t sod = secs - days * 86400, year;
	int month, day;
	vt_civil_from_days(days, &year, &month, &day);
	b[0] = s_to_bcd((int)(year / 100));
	b[1] = s_to_bcd((int)(year % 100));
	b[2] = s_to_bcd(month);
	b[3] = s_to_bcd(day);
	b[4] = s_to_bcd((int)(sod / 3600));
	b[5] = s_to_bcd((int)(sod / 60 % 60));
	b[6] = s_to_bcd((int)(sod % 60));
	b[7] = s_to_bcd((int)((ms - secs * 1000) / 10));
}

/* ---- reading ------------------------------------------------------------ */

/* A bounded reader over a container's bytes. */
struct r {
	const uint8_t *b;
	size_t len, at;
	bool bad;
};

static uint16_t
s_get16(struct r *r)
{
	if (r->bad || r->len - r->at < 2) {
		r->bad = true;
		return 0;
	}
	uint16_t v = (uint16_t)(r->b[r->at] << 8 | r->b[r->at + 1]);
	r->at += 2;
	return v;
}

static uint32_t
s_get32(struct r *r)
{
	uint32_t hi = s_get16(r);
	return hi << 16 | s_get16(r);
}

/* A sub-reader over the next `n` bytes of r (which skips them). */
static struct r
s_sub(struct r *r, size_t n)
{
	struct r s = {.b = r->b + r->at, .len = n, .bad = r->bad};
	if (r->bad || r->len - r->at < n) {
		r->bad = true;
		s.bad = true;
		s.len = 0;
		return s;
	}
	r->at += n;
	return s;
}

static size_t
s_left(const struct r *r)
{
	return r->bad ? 0 : r->len - r->at;
}

/* Copy a VariableLabel (u16 length, bytes) as printable text. */
static void
s_label(struct r *r, char *out, size_t cap)
{
	uint16_t n = s_get16(r);
	struct r s = s_sub(r, n);
	size_t k = 0;
	for (size_t i = 0; i < s.len && k + 1 < cap; i++) {
		uint8_t c = s.b[i];
		if (c < 0x20 || c > 0x7E)
			break; /* the labels are NUL-padded; anything odd ends them */
		out[k++] = (char)c;
	}
	out[k] = '\0';
	/* Drop leading blanks (" A.00.30"). */
	size_t lead = strspn(out, " ");
	memmove(out, out + lead, strlen(out + lead) + 1);
}

/* A NuObsValue into o (the time stamps are the object's, set by the caller). */
static void
s_nu_obs(struct r *r, struct vt_iv_obs *o)
{
	o->physio = s_get16(r);
	o->state = s_get16(r);
	o->unit = s_get16(r);
	o->value = s_get32(r);
}

/* An alarm list attribute value (DevAlarmList). */
static void
s_alarms(struct r *r, const struct vt_iv_visitor *v, bool technical)
{
	uint16_t count = s_get16(r);
	struct r list = s_sub(r, s_get16(r));
	for (uint16_t i = 0; i < count && !list.bad; i++) {
		struct vt_iv_alarm a;
		a.source = s_get16(&list);
		a.code = s_get16(&list);
		a.type = s_get16(&list);
		a.state = s_get16(&list);
		s_sub(&list, 6);               /* the object it is about */
		s_get16(&list);                /* alert_info_id */
		s_sub(&list, s_get16(&list));  /* its info */
		if (!list.bad && v && v->alarm)
			v->alarm(v->ctx, &a, technical);
	}
	r->bad |= list.bad;
}

/* What an object's attribute list says: its values go to v, identity to id. */
static void
s_attributes(struct r *r, const struct vt_iv_visitor *v, struct vt_iv_identity *id)
{
	uint16_t count = s_get16(r);
	struct r list = s_sub(r, s_get16(r));
	/* The values of one object share its time stamps, which may come after them. */
	struct vt_iv_obs obs[16];
	size_t n_obs = 0;
	bool has_rel = false, has_abs = false;
	uint32_t rel = 0;
	int64_t abs_ms = 0;
	for (uint16_t i = 0; i < count && !list.bad; i++) {
		uint16_t attr = s_get16(&list);
		struct r val = s_sub(&list, s_get16(&list));
		switch (attr) {
		case VT_IV_ATTR_NU_VAL_OBS:
			if (n_obs < 16)
				s_nu_obs(&val, &obs[n_obs++]);
			break;
		case VT_IV_ATTR_NU_CMPD_VAL_OBS: {
			uint16_t k = s_get16(&val);
			struct r c = s_sub(&val, s_get16(&val));
			for (uint16_t j = 0; j < k && !c.bad && n_obs < 16; j++)
				s_nu_obs(&c, &obs[n_obs++]);
			val.bad |= c.bad;
			break;
		}
		case VT_IV_ATTR_TIME_STAMP_REL:
			rel = s_get32(&val);
			has_rel = !val.bad;
			break;
		case VT_IV_ATTR_TIME_STAMP_ABS:
			if (s_left(&val) >= 8)
				has_abs = vt_iv_abs_time(val.b + val.at, &abs_ms);
			break;
		case VT_IV_ATTR_T_AL_LIST:
		case VT_IV_ATTR_P_AL_LIST:
			s_alarms(&val, v, attr == VT_IV_ATTR_T_AL_LIST);
			break;
		case VT_IV_ATTR_ID_MODEL:
			if (id) {
				s_label(&val, id->manufacturer, sizeof id->manufacturer);
				s_label(&val, id->model, sizeof id->model);
			}
			break;
		case VT_IV_ATTR_ID_PROD_SPECN: {
			uint16_t k = s_get16(&val);
			struct r c = s_sub(&val, s_get16(&val));
			for (uint16_t j = 0; j < k && !c.bad && id; j++) {
				uint16_t type = s_get16(&c);
				s_get16(&c); /* component */
				char text[32];
				s_label(&c, text, sizeof text);
				if (type == 1 && id->serial[0] == '\0')
					memcpy(id->serial, text, sizeof text);
				if (type == 4 && id->version[0] == '\0')
					memcpy(id->version, text, sizeof text);
			}
			val.bad |= c.bad;
			break;
		}
		case VT_IV_ATTR_TIME_ABS:
			if (id && s_left(&val) >= 8)
				id->has_clock = vt_iv_abs_time(val.b + val.at, &id->abs_ms);
			break;
		case VT_IV_ATTR_TIME_REL:
			if (id)
				id->rel = s_get32(&val);
			break;
		case VT_IV_ATTR_PCOL_SUPPORT: {
			uint16_t k = s_get16(&val);
			struct r c = s_sub(&val, s_get16(&val));
			for (uint16_t j = 0; j < k && !c.bad && id; j++) {
				uint16_t appl = s_get16(&c), trans = s_get16(&c), port = s_get16(&c);
				s_get16(&c);
				/* Data export (5) over UDP (1). */
				if (appl == 5 && trans == 1 && !c.bad)
					id->data_port = port;
			}
			val.bad |= c.bad;
			break;
		}
		default:
			break; /* attributes vitalsd does not read */
		}
		list.bad |= val.bad;
	}
	r->bad |= list.bad;
	for (size_t i = 0; i < n_obs && !r->bad && v && v->obs; i++) {
		obs[i].has_rel = has_rel;
		obs[i].rel = rel;
		obs[i].has_abs = has_abs;
		obs[i].abs_ms = abs_ms;
		v->obs(v->ctx, &obs[i]);
	}
}

/* A poll reply's PollInfoList: contexts of objects with attributes. */
static void
s_poll_info(struct r *r, const struct vt_iv_visitor *v)
{
	uint16_t contexts = s_get16(r);
	struct r list = s_sub(r, s_get16(r));
	for (uint16_t i = 0; i < contexts && !list.bad; i++) {
		s_get16(&list); /* context id */
		uint16_t objects = s_get16(&list);
		struct r ol = s_sub(&list, s_get16(&list));
		for (uint16_t j = 0; j < objects && !ol.bad; j++) {
			s_get16(&ol); /* object handle */
			s_attributes(&ol, v, NULL);
		}
		list.bad |= ol.bad;
	}
	r->bad |= list.bad;
}

/* An ActionResult carrying a poll reply. */
static void
s_poll_result(struct r *r, const struct vt_iv_visitor *v, struct vt_iv_msg *m)
{
	s_sub(r, 6); /* managed object */
	m->poll.action = s_get16(r);
	struct r a = s_sub(r, s_get16(r));
	if (m->poll.action != VT_IV_ACT_POLL && m->poll.action != VT_IV_ACT_POLL_EXT)
		return;
	m->poll.poll_no = s_get16(&a);
	if (m->poll.action == VT_IV_ACT_POLL_EXT)
		s_get16(&a); /* sequence number */
	m->poll.rel_time = s_get32(&a);
	if (s_left(&a) >= 8)
		m->poll.has_abs = vt_iv_abs_time(a.b + a.at, &m->poll.abs_ms);
	s_sub(&a, 8);
	s_get16(&a); /* partition */
	m->poll.code = s_get16(&a);
	s_get16(&a); /* attribute group */
	s_poll_info(&a, v);
	r->bad |= a.bad;
	m->kind = VT_IV_MSG_POLL_RESULT;
}

/* An ActionArgument: a poll request (single or extended) from the host. */
static void
s_poll_request(struct r *r, struct vt_iv_msg *m)
{
	s_sub(r, 6); /* managed object */
	s_get32(r);  /* scope */
	m->poll.action = s_get16(r);
	struct r a = s_sub(r, s_get16(r));
	if (m->poll.action != VT_IV_ACT_POLL && m->poll.action != VT_IV_ACT_POLL_EXT)
		return;
	m->poll.poll_no = s_get16(&a);
	s_get16(&a); /* partition */
	m->poll.code = s_get16(&a);
	s_get16(&a); /* attribute group */
	r->bad |= a.bad;
	if (!a.bad)
		m->kind = VT_IV_MSG_POLL_REQ;
}

/* ROapdus after the session header (or the connect indication's nomenclature). */
static void
s_roapdus(struct r *r, const struct vt_iv_visitor *v, struct vt_iv_msg *m)
{
	uint16_t type = s_get16(r);
	struct r ro = s_sub(r, s_get16(r));
	switch (type) {
	case VT_IV_ROIV: {
		m->invoke = s_get16(&ro);
		uint16_t cmd = s_get16(&ro);
		struct r arg = s_sub(&ro, s_get16(&ro));
		if (cmd != VT_IV_CMD_EVENT_REPORT && cmd != VT_IV_CMD_CONFIRMED_EVENT_REPORT &&
		    cmd != VT_IV_CMD_CONFIRMED_ACTION)
			break;
		if (cmd == VT_IV_CMD_CONFIRMED_ACTION) {
			s_poll_request(&arg, m);
			ro.bad |= arg.bad;
			break;
		}
		s_sub(&arg, 6); /* managed object */
		m->event_time = s_get32(&arg);
		uint16_t event = s_get16(&arg);
		m->event = event;
		struct r info = s_sub(&arg, s_get16(&arg));
		if (event == VT_IV_NOTI_MDS_CREAT) {
			s_sub(&info, 6); /* the MDS's own object id */
			s_attributes(&info, v, &m->id);
			m->kind = VT_IV_MSG_MDS_CREATE;
		} else if (event == VT_IV_NOTI_CONN_INDIC) {
			s_attributes(&info, v, &m->id);
			m->kind = VT_IV_MSG_CONN_INDIC;
		} else if (cmd == VT_IV_CMD_CONFIRMED_EVENT_REPORT) {
			m->kind = VT_IV_MSG_EVENT;
		}
		arg.bad |= info.bad;
		ro.bad |= arg.bad;
		break;
	}
	case VT_IV_RORS:
	case VT_IV_RORLS: {
		if (type == VT_IV_RORLS) {
			uint8_t state = (uint8_t)(s_get16(&ro) >> 8); /* linked id: state, count */
			m->poll.linked = true;
			m->poll.last = state == 3;
		} else {
			m->poll.last = true;
		}
		m->invoke = s_get16(&ro);
		uint16_t cmd = s_get16(&ro);
		struct r res = s_sub(&ro, s_get16(&ro));
		if (cmd == VT_IV_CMD_CONFIRMED_ACTION)
			s_poll_result(&res, v, m);
		else if (cmd == VT_IV_CMD_CONFIRMED_EVENT_REPORT && type == VT_IV_RORS)
			m->kind = VT_IV_MSG_EVENT_RESULT;
		ro.bad |= res.bad;
		break;
	}
	case VT_IV_ROER:
		m->invoke = s_get16(&ro);
		m->kind = VT_IV_MSG_ERROR;
		break;
	default:
		break;
	}
	r->bad |= ro.bad;
}

int
vt_iv_read(const uint8_t *msg, size_t len, const struct vt_iv_visitor *v, struct vt_iv_msg *out,
           const char **why)
{
	memset(out, 0, sizeof(*out));
	*why = NULL;
	if (len < 2) {
		*why = "message too short";
		return -1;
	}
	struct r r = {.b = msg, .len = len};
	switch (msg[0]) {
	case VT_IV_SPDU_AC:
		out->kind = VT_IV_MSG_ASSOC_ACCEPT;
		return 0;
	case VT_IV_SPDU_CN:
		out->kind = VT_IV_MSG_ASSOC_REQ;
		return 0;
	case VT_IV_SPDU_RF:
		out->kind = VT_IV_MSG_ASSOC_REFUSE;
		return 0;
	case VT_IV_SPDU_FN:
		out->kind = VT_IV_MSG_RELEASE_REQ;
		return 0;
	case VT_IV_SPDU_DN:
		out->kind = VT_IV_MSG_RELEASE_RSP;
		return 0;
	case VT_IV_SPDU_AB:
		out->kind = VT_IV_MSG_ABORT;
		return 0;
	case VT_IV_SPDU_DATA:
		if (msg[1] != 0x00) {
			*why = "not a data export message";
			return -1;
		}
		s_get32(&r); /* session id, presentation context */
		break;
	case 0x00:
		/* LAN connect indication: a nomenclature version, then ROapdus. */
		if (s_get32(&r) != 0x00000100u) {
			*why = "unknown message";
			return -1;
		}
		break;
	default:
		*why = "unknown session message";
		return -1;
	}
	s_roapdus(&r, v, out);
	if (r.bad) {
		*why = "a length runs past the end of the message";
		return -1;
	}
	return 0;
}
