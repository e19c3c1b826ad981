/*
 * The engine's acknowledgements (vitals/hl7/ack.h), read in place with
 * the HL7 reader the hl7-mllp input driver uses.
 */
#include <stdio.h>
#include <string.h>

#include "vitals/drivers/hl7.h"
#include "vitals/hl7/ack.h"

int
vt_ack_parse(const char *p, size_t len, struct vt_ack *a, char *err, size_t errlen)
{
	memset(a, 0, sizeof(*a));
	struct vt_hl7_msg m;
	if (vt_hl7_open(&m, p, len, err, errlen) != 0)
		return -1;
	struct vt_hl7_str msa, seg;
	if (!vt_hl7_find(&m, "MSA", &msa)) {
		snprintf(err, errlen, "an acknowledgement without MSA");
		return -1;
	}
	vt_hl7_text(&m, vt_hl7_field(&m, msa, 1), a->code_text, sizeof(a->code_text));
	static const struct {
		char text[3];
		enum vt_ack_code code;
	} codes[] = {{"AA", VT_ACK_ACCEPT}, {"CA", VT_ACK_ACCEPT}, {"AE", VT_ACK_ERROR},
	             {"CE", VT_ACK_ERROR},  {"AR", VT_ACK_REJECT}, {"CR", VT_ACK_REJECT}};
	size_t i = 0;
	while (i < sizeof(codes) / sizeof(codes[0]) && strcmp(codes[i].text, a->code_text) != 0)
		i++;
	if (i == sizeof(codes) / sizeof(codes[0])) {
		snprintf(err, errlen, "MSA-1 is not AA, AE, AR, CA, CE or CR");
		return -1;
	}
	a->code = codes[i].code;
	vt_hl7_text(&m, vt_hl7_field(&m, msa, 2), a->control_id, sizeof(a->control_id));
	vt_hl7_text(&m, vt_hl7_field(&m, msa, 3), a->text, sizeof(a->text));
	if (a->text[0] == '\0' && vt_hl7_find(&m, "ERR", &seg)) {
		vt_hl7_text(&m, vt_hl7_field(&m, seg, 8), a->text, sizeof(a->text));
		if (a->text[0] == '\0')
			vt_hl7_text(&m, vt_hl7_field(&m, seg, 1), a->text, sizeof(a->text));
	}
	return 0;
}
