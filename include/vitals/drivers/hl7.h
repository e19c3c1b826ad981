/*
 * HL7 version 2 message syntax: segments, fields, repetitions, components,
 * escapes and times, read in place (no copies, no allocation). This is only
 * the grammar every HL7 v2 message shares; what an IHE PCD observation or
 * alarm means is hl7_pcd.h's business.
 *
 * A message is segments separated by CR (LF and CR LF are accepted too:
 * files and some senders use them). The first segment must be MSH, whose
 * fourth byte is the field separator and whose next four bytes are the
 * component, repetition, escape and subcomponent separators ("|^~\&").
 * Field numbers are HL7's: MSH-1 is the field separator itself, MSH-2 the
 * encoding characters, so MSH-n (n >= 2) is the (n-1)-th piece after "MSH",
 * and for every other segment XYZ-n is the n-th piece after "XYZ".
 *
 * Pure: no I/O, no clock, no logging. Every function is bounded by the
 * length of the text it is given.
 */
#ifndef VITALS_DRIVERS_HL7_H
#define VITALS_DRIVERS_HL7_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A piece of a message: not NUL-terminated. */
struct vt_hl7_str {
	const char *p;
	size_t n;
};

/* A message opened for reading. */
struct vt_hl7_msg {
	const char *p;     /* the whole message */
	size_t n;
	char field, comp, rep, esc, sub; /* separators from MSH-1 and MSH-2 */
};

/*
 * Open `len` bytes as a message: MSH first, five distinct printable
 * separators. 0, or -1 with a reason in err.
 */
int vt_hl7_open(struct vt_hl7_msg *m, const char *p, size_t len, char *err, size_t errlen);

/*
 * The next segment at or after *pos (skipping empty ones), and *pos moved
 * past it. False at the end of the message.
 */
bool vt_hl7_segment(const struct vt_hl7_msg *m, size_t *pos, struct vt_hl7_str *seg);

/* The MSH segment (the first of an opened message). */
struct vt_hl7_str vt_hl7_msh(const struct vt_hl7_msg *m);

/* Whether `seg` is a segment of type `id` ("OBX"). */
bool vt_hl7_is(struct vt_hl7_str seg, const char *id);

/* The first segment of type `id`, or false. */
bool vt_hl7_find(const struct vt_hl7_msg *m, const char *id, struct vt_hl7_str *seg);

/* Field `n` (HL7 numbering, from 1) of `seg`; empty when absent. */
struct vt_hl7_str vt_hl7_field(const struct vt_hl7_msg *m, struct vt_hl7_str seg, int n);

/* Repetition `r` (from 1) of a field; empty when absent. */
struct vt_hl7_str vt_hl7_rep(const struct vt_hl7_msg *m, struct vt_hl7_str field, int r);

/* Component `k` (from 1) of the first repetition of a field; empty when absent. */
struct vt_hl7_str vt_hl7_comp(const struct vt_hl7_msg *m, struct vt_hl7_str field, int k);

/*
 * The text of `s` with HL7 escapes undone (\F\ \S\ \T\ \R\ \E\ become the
 * separators; other escapes such as highlighting or hex are dropped) into
 * `out`, NUL-terminated, cut to cap - 1 bytes. Returns the length written.
 */
size_t vt_hl7_text(const struct vt_hl7_msg *m, struct vt_hl7_str s, char *out, size_t cap);

/* Whether `s`, unescaped, equals `lit` (case-sensitive). */
bool vt_hl7_eq(const struct vt_hl7_msg *m, struct vt_hl7_str s, const char *lit);

/*
 * An HL7 time (DTM): YYYY[MM[DD[HH[MM[SS[.S...]]]]]][+/-ZZZZ], and the
 * form some monitors send with the milliseconds run on without a point
 * (YYYYMMDDHHMMSSmmm). *local_ms is the wall-clock time it names as if it
 * were UTC; *zone_min the offset it gives (east positive) with *has_zone.
 * 0, or -1 if it is not a time.
 */
int vt_hl7_time(const struct vt_hl7_msg *m, struct vt_hl7_str s, int64_t *local_ms,
                int *zone_min, bool *has_zone);

#endif
