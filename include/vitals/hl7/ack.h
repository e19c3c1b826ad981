/*
 * What an interface engine answers to each message: an HL7 acknowledgement
 * (MSA-1 AA/CA accepted, AE/CE error, AR/CR rejected; MSA-2 the control id
 * of the message it answers). Read with the project's HL7 v2 reader
 * (vitals/drivers/hl7.h), which is bounded by the text it is given: an
 * engine that answers nonsense costs the bridge a log line, nothing more.
 */
#ifndef VITALS_HL7_ACK_H
#define VITALS_HL7_ACK_H

#include <stddef.h>

enum vt_ack_code {
	VT_ACK_ACCEPT, /* AA or CA: the engine has the message */
	VT_ACK_ERROR,  /* AE or CE: it could not process it */
	VT_ACK_REJECT  /* AR or CR: it refused it */
};

struct vt_ack {
	enum vt_ack_code code;
	char code_text[4];   /* MSA-1 as sent: "AA", ... */
	char control_id[64]; /* MSA-2 (cut to fit) */
	char text[160];      /* MSA-3, else ERR-8, else ERR-1 (cut to fit), for the log; may be "" */
};

/*
 * Read the acknowledgement in `p` (one message, no MLLP framing). 0, or
 * -1 with a reason in err (not HL7, no MSA, an unknown MSA-1).
 */
int vt_ack_parse(const char *p, size_t len, struct vt_ack *a, char *err, size_t errlen);

#endif
