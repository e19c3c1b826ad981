/*
 * Who sent a message, and the acknowledgement it gets (hl7_pcd.h). Every
 * message is answered: monitors stop sending when acknowledgements do not
 * come (Mindray's documentation says so), whatever MSH-15/16 ask for. The
 * answer is an original-mode ACK, sender and receiver swapped, MSA-2 the
 * message's control id; an error carries its reason in MSA-3 (older
 * receivers) and ERR-8 (v2.5 and later). Fields copied from the message are
 * re-escaped with our separators and bounded, so any message gets an
 * acknowledgement of bounded size.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "vitals/base/timefmt.h"
#include "vitals/drivers/hl7_pcd.h"
#include "vitals/drivers/mllp.h"

/* `s` unescaped equals `id`, ignoring case and trailing empty components. */
static bool
s_same_id(const struct vt_hl7_msg *m, struct vt_hl7_str s, const char *id)
{
	char t[128];
	size_t n = vt_hl7_text(m, s, t, sizeof t);
	while (n > 0 && t[n - 1] == m->comp)
		t[--n] = '\0';
	return n > 0 && strcasecmp(t, id) == 0;
}

bool
vt_hl7_from(const struct vt_hl7_msg *m, const char *id)
{
	size_t pos = 0;
	struct vt_hl7_str seg;
	while (vt_hl7_segment(m, &pos, &seg)) {
		if (vt_hl7_is(seg, "MSH") && s_same_id(m, vt_hl7_comp(m, vt_hl7_field(m, seg, 3), 2), id))
			return true;
		if (vt_hl7_is(seg, "PV1") && s_same_id(m, vt_hl7_rep(m, vt_hl7_field(m, seg, 3), 1), id))
			return true;
		if (vt_hl7_is(seg, "OBX") && s_same_id(m, vt_hl7_comp(m, vt_hl7_field(m, seg, 18), 1), id))
			return true;
	}
	return false;
}

/* ---- acknowledgements ------------------------------------------------------------ */

struct s_out {
	char *p;
	size_t n, cap;
	bool full;
};

static void
s_put(struct s_out *o, const char *s, size_t n)
{
	if (o->n + n >= o->cap) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->n, s, n);
	o->n += n;
}

static void
s_puts(struct s_out *o, const char *s)
{
	s_put(o, s, strlen(s));
}

/*
 * Text into a field of our own message, at most `max` bytes of it: our
 * separators escaped, control bytes left out, never half an escape.
 */
static void
s_put_text(struct s_out *o, const char *t, size_t max)
{
	size_t used = 0;
	for (; *t; t++) {
		const char *esc = *t == '|' ? "\\F\\" : *t == '^' ? "\\S\\" : *t == '~' ? "\\R\\"
		                  : *t == '\\' ? "\\E\\" : *t == '&' ? "\\T\\" : NULL;
		size_t n = esc ? 3 : 1;
		if (used + n > max)
			return;
		if (esc != NULL)
			s_puts(o, esc);
		else if ((unsigned char)*t >= 0x20)
			s_put(o, t, 1);
		used += n;
	}
}

/* Bytes of a copied field or text in an acknowledgement, at most. */
#define S_ACK_FIELD 120

/* A field of `m` into ours (an HD: up to three components of the first repetition). */
static void
s_put_field(struct s_out *o, const struct vt_hl7_msg *m, struct vt_hl7_str field)
{
	int last = 0;
	for (int k = 1; k <= 3; k++)
		if (vt_hl7_comp(m, field, k).n > 0)
			last = k;
	for (int k = 1; k <= last; k++) {
		char t[48];
		vt_hl7_text(m, vt_hl7_comp(m, field, k), t, sizeof t);
		if (k > 1)
			s_puts(o, "^");
		s_put_text(o, t, S_ACK_FIELD / 3 - 1);
	}
}

/* Whether `s` is short and made of what versions and processing ids are made of. */
static bool
s_plain(const struct vt_hl7_msg *m, struct vt_hl7_str s, size_t max)
{
	if (s.n == 0 || s.n > max)
		return false;
	for (size_t i = 0; i < s.n; i++)
		if (!((s.p[i] >= '0' && s.p[i] <= '9') || (s.p[i] >= 'A' && s.p[i] <= 'Z') ||
		      s.p[i] == '.'))
			return false;
	return true;
}

size_t
vt_hl7_ack(const struct vt_hl7_msg *m, const char *code, const char *text, int64_t now,
           uint32_t seq, uint8_t *out, size_t cap)
{
	char body[VT_HL7_ACK_MAX];
	struct s_out o = {body, 0, sizeof body, false};
	struct vt_hl7_str msh = m ? vt_hl7_msh(m) : (struct vt_hl7_str){"", 0};
	/* Sender and receiver swap places. */
	s_puts(&o, "MSH|^~\\&|");
	struct vt_hl7_str app = m ? vt_hl7_field(m, msh, 5) : msh;
	if (app.n > 0)
		s_put_field(&o, m, app);
	else
		s_puts(&o, "VITALSD");
	s_puts(&o, "|");
	if (m) {
		s_put_field(&o, m, vt_hl7_field(m, msh, 6));
		s_puts(&o, "|");
		s_put_field(&o, m, vt_hl7_field(m, msh, 3));
		s_puts(&o, "|");
		s_put_field(&o, m, vt_hl7_field(m, msh, 4));
	} else {
		s_puts(&o, "||");
	}
	char tbuf[VT_TIME_BUFSZ], line[160];
	vt_time_format(now, tbuf); /* 2026-11-21T10:14:03.120Z */
	snprintf(line, sizeof line, "|%.4s%.2s%.2s%.2s%.2s%.2s+0000||ACK^", tbuf, tbuf + 5, tbuf + 8,
	         tbuf + 11, tbuf + 14, tbuf + 17);
	s_puts(&o, line);
	struct vt_hl7_str event = m ? vt_hl7_comp(m, vt_hl7_field(m, msh, 9), 2) : msh;
	if (m && s_plain(m, event, 3))
		s_put(&o, event.p, event.n);
	snprintf(line, sizeof line, "^ACK|VT%u|", seq);
	s_puts(&o, line);
	struct vt_hl7_str proc = m ? vt_hl7_comp(m, vt_hl7_field(m, msh, 11), 1) : msh;
	if (m && s_plain(m, proc, 1))
		s_put(&o, proc.p, proc.n);
	else
		s_puts(&o, "P");
	s_puts(&o, "|");
	struct vt_hl7_str version = m ? vt_hl7_comp(m, vt_hl7_field(m, msh, 12), 1) : msh;
	if (m && s_plain(m, version, 8))
		s_put(&o, version.p, version.n);
	else
		s_puts(&o, "2.6");
	s_puts(&o, "\rMSA|");
	s_puts(&o, code);
	s_puts(&o, "|");
	if (m) {
		char id[S_ACK_FIELD + 1];
		vt_hl7_text(m, vt_hl7_field(m, msh, 10), id, sizeof id);
		s_put_text(&o, id, S_ACK_FIELD);
	}
	if (text != NULL && text[0] != '\0') {
		/* MSA-3 for the older receivers, ERR for those after v2.5. */
		s_puts(&o, "|");
		s_put_text(&o, text, 2 * S_ACK_FIELD);
		s_puts(&o, "\rERR|||207^Application internal error^HL70357|E||||");
		s_put_text(&o, text, 2 * S_ACK_FIELD);
	}
	s_puts(&o, "\r");
	if (o.full)
		return 0;
	return vt_mllp_frame((const uint8_t *)body, o.n, out, cap);
}
