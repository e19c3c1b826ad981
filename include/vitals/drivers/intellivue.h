/*
 * The Philips IntelliVue Data Export protocol, as much of it as vitalsd
 * speaks: the RS-232 framing (BOF, EOF, escapes, FCS), the messages of an
 * association and of the numerics and alert polls, and a reader for what
 * the monitor sends. Both sides use it: the philips-mib driver (host side)
 * and the emulator's monitor (device side), so the two can never disagree
 * about a byte without a test noticing.
 *
 * Written from the format descriptions in shared/reference/device-
 * protocols.md section 4 and the field layouts of the Data Export
 * Programming Guide as the open implementations document them (docs/
 * drivers.md cites each). All pure: no I/O, no clock, no allocation.
 * Multi-byte fields are big-endian, as on the wire.
 */
#ifndef VITALS_DRIVERS_INTELLIVUE_H
#define VITALS_DRIVERS_INTELLIVUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vitals/drivers/driver.h"

/* ---- framing (RS-232) ----------------------------------------------------- */

#define VT_IV_BOF 0xC0 /* beginning of frame */
#define VT_IV_EOF 0xC1 /* end of frame */
#define VT_IV_ESC 0x7D /* transparency: the next byte is XOR 0x20 */
/* The frame header: protocol id (data export), message type, user-data length. */
#define VT_IV_PROTOCOL_ID 0x11
#define VT_IV_MSG_TYPE 0x01
/* A message (user data) vitalsd accepts, at most: the AARQ tells the monitor
 * it may send us up to VT_IV_MTU bytes, and it splits longer poll results. */
#define VT_IV_MTU 2500
#define VT_IV_MSG_MAX 4096

/* The PPP FCS (RFC 1662) over `len` bytes, starting from `fcs` (0xFFFF). */
uint16_t vt_iv_fcs(uint16_t fcs, const uint8_t *b, size_t len);

/*
 * Wrap a message into a frame: BOF, header, the message, FCS (least
 * significant byte first), EOF, with every BOF, EOF and ESC byte of the
 * header, message and FCS escaped. Returns the frame's length, or 0 if it
 * does not fit in `cap`.
 */
size_t vt_iv_frame(const uint8_t *msg, size_t len, uint8_t *out, size_t cap);

/*
 * Messages out of a byte stream: RS-232 frames (checked for their header,
 * length and FCS), or on a datagram port each datagram with its 2-byte
 * length in front (driver.h). Both sides read with it, one byte at a time;
 * the state holds one message at most and no pointers.
 */
struct vt_iv_reader {
	bool datagram;
	uint8_t buf[VT_IV_MSG_MAX + 6]; /* serial: header, message, FCS; datagram: the message */
	size_t n;
	bool in_frame, esc;             /* serial: inside BOF..EOF, after an ESC */
	size_t need;                    /* datagram: bytes still to come */
	int hdr;                        /* datagram: length bytes read (0..2) */
	bool skip;                      /* datagram: too long, being skipped */
};

/* Start reading (`datagram`: a LAN port). */
void vt_iv_reader_reset(struct vt_iv_reader *r, bool datagram);
/* One more byte (driver.h, enum vt_got): VT_GOT_FRAME with a whole, checked
 * message in *msg, *len (pointing into r, valid until the next call); a
 * drop's reason in *why, VT_GOT_BAD_CHECK for the FCS. */
enum vt_got vt_iv_reader_byte(struct vt_iv_reader *r, uint8_t b, const uint8_t **msg,
                                 size_t *len, const char **why);

/* ---- session and presentation ------------------------------------------- */

/* Session SPDU identifiers: the first byte of every message. */
enum {
	VT_IV_SPDU_FN = 0x09, /* finish: release request */
	VT_IV_SPDU_DN = 0x0A, /* disconnect: release response */
	VT_IV_SPDU_RF = 0x0C, /* refuse: association refused */
	VT_IV_SPDU_CN = 0x0D, /* connect: association request */
	VT_IV_SPDU_AC = 0x0E, /* accept: association result */
	VT_IV_SPDU_AB = 0x19, /* abort */
	VT_IV_SPDU_DATA = 0xE1 /* data export: E1 00, presentation context 2 */
};

/* Remote operation APDU types (ROapdus.ro_type). */
enum { VT_IV_ROIV = 1, VT_IV_RORS = 2, VT_IV_ROER = 3, VT_IV_RORLS = 5 };
/* Command types. */
enum { VT_IV_CMD_EVENT_REPORT = 0, VT_IV_CMD_CONFIRMED_EVENT_REPORT = 1,
       VT_IV_CMD_CONFIRMED_ACTION = 7 };

/* Nomenclature codes used here. */
#define VT_IV_MOC_VMO_METRIC_NU 6       /* numeric object class */
#define VT_IV_MOC_VMS_MDS 33            /* the monitor (MDS) */
#define VT_IV_MOC_VMO_AL_MON 54         /* the alert monitor */
#define VT_IV_NOTI_MDS_CREAT 0x0D06     /* event: MDS create */
#define VT_IV_NOTI_CONN_INDIC 0x0D17    /* event: connect indication (LAN) */
#define VT_IV_ACT_POLL 0x0C16           /* single poll */
#define VT_IV_ACT_POLL_EXT 0xF13B       /* extended poll */
#define VT_IV_ATTR_GRP_AL_MON 0x0801    /* attribute group: alert monitor */
#define VT_IV_ATTR_NU_VAL_OBS 0x0950    /* a numeric's value */
#define VT_IV_ATTR_NU_CMPD_VAL_OBS 0x094B /* compound numeric (NIBP sys/dia/mean) */
#define VT_IV_ATTR_TIME_STAMP_ABS 0x0990 /* when the value was measured, BCD */
#define VT_IV_ATTR_TIME_STAMP_REL 0x0991 /* the same, in relative time */
#define VT_IV_ATTR_T_AL_LIST 0x0904     /* technical alarm list */
#define VT_IV_ATTR_P_AL_LIST 0x0902     /* physiological alarm list */
#define VT_IV_ATTR_ID_MODEL 0x0928      /* manufacturer and model */
#define VT_IV_ATTR_ID_PROD_SPECN 0x092D /* production specification (serial, versions) */
#define VT_IV_ATTR_TIME_ABS 0x0987      /* the monitor's clock, BCD */
#define VT_IV_ATTR_TIME_REL 0x098F      /* its relative time at that moment */
#define VT_IV_ATTR_PCOL_SUPPORT 0xF101  /* the LAN protocols the monitor offers */

/* Physiological ids (the low 16 bits of their MDC codes) and unit codes
 * (NOM_DIM_...) of the numerics vitalsd reads. */
#define VT_IV_ECG_HR           0x4182
#define VT_IV_SPO2             0x4BB8
#define VT_IV_PLETH            0x4BB4
#define VT_IV_PLETH_PR         0x4822
#define VT_IV_PERF_REL         0x4BB0
#define VT_IV_RESP_RATE        0x500A
#define VT_IV_AWAY_RESP_RATE   0x5012
#define VT_IV_CONC_CO2         0x5094
#define VT_IV_CONC_CO2_ET      0x509C
#define VT_IV_AWAY_CO2         0x50AC
#define VT_IV_AWAY_CO2_ET      0x50B0
#define VT_IV_NIBP             0x4A04
#define VT_IV_NIBP_SYS         0x4A05
#define VT_IV_NIBP_DIA         0x4A06
#define VT_IV_NIBP_MEAN        0x4A07
#define VT_IV_TEMP             0x4B48
#define VT_IV_TEMP_CORE        0x4B60
#define VT_IV_TEMP_ESOPH       0x4B64
#define VT_IV_TEMP_NASOPH      0x4B6C
#define VT_IV_TEMP_TYMP        0x4B78
#define VT_IV_TEMP_RECT        0xE004
#define VT_IV_DIM_NONE         0x0200
#define VT_IV_DIM_PERCENT      0x0220
#define VT_IV_DIM_BPM          0x0AA0
#define VT_IV_DIM_RPM          0x0AE0
#define VT_IV_DIM_KPA          0x0F03
#define VT_IV_DIM_MMHG         0x0F20
#define VT_IV_DIM_FAHR         0x1780
#define VT_IV_DIM_DEGC         0x17A0

/* Technical alarm (INOP) codes, NOM_EVT_... */
#define VT_IV_EVT_OBSTRUC 80
#define VT_IV_EVT_CUFF_NOT_DEFLATED 230
#define VT_IV_EVT_CUFF_INFLAT_OVER 232
#define VT_IV_EVT_TUBE_OCCL 250
#define VT_IV_EVT_LEAD_DISCONN 268
#define VT_IV_EVT_LEADS_OFF 274
#define VT_IV_EVT_SENSOR_DISCONN 308
#define VT_IV_EVT_SENSOR_MALF 310
#define VT_IV_EVT_SENSOR_PROB 312
#define VT_IV_EVT_TUBE_OBSTRUC 330
#define VT_IV_EVT_MSMT_DISCONN 352
#define VT_IV_EVT_MSMT_ERR 354
#define VT_IV_EVT_MSMT_FAIL 356
#define VT_IV_EVT_MSMT_INTERRUP 362

/* MeasurementState bits: a value in any of these states is no value. */
#define VT_IV_MS_INVALID 0x8000
#define VT_IV_MS_QUESTIONABLE 0x4000
#define VT_IV_MS_UNAVAILABLE 0x2000
#define VT_IV_MS_CALIBRATION 0x1000
#define VT_IV_MS_TEST_DATA 0x0800
#define VT_IV_MS_DEMO_DATA 0x0400
#define VT_IV_MS_NOT_A_VALUE 0xFC00

/* FLOAT-Type special values. */
#define VT_IV_FLOAT_NAN 0x007FFFFFu
#define VT_IV_FLOAT_NRES 0x00800000u
#define VT_IV_FLOAT_PINF 0x007FFFFEu
#define VT_IV_FLOAT_NINF 0x00800002u

/* Relative time runs at 8000 ticks a second (1/8 ms). */
#define VT_IV_REL_PER_MS 8

/* ---- messages the host sends ----------------------------------------------- */

/* The association request, its poll profile asking for numerics at most every
 * `min_poll_ms`. Its length, or 0 if `cap` is too small. */
size_t vt_iv_aarq(int64_t min_poll_ms, uint8_t *out, size_t cap);
/* The answer to the confirmed event report (`event`: VT_IV_NOTI_MDS_CREAT for the
 * MDS create event) whose invoke id is `invoke`. */
size_t vt_iv_event_result(uint16_t invoke, uint16_t event, uint32_t rel_time, uint8_t *out,
                          size_t cap);
/* An extended poll of object class `code` (attribute group `group`, 0: all). */
size_t vt_iv_ext_poll(uint16_t invoke, uint16_t poll_no, uint16_t code, uint16_t group,
                      uint8_t *out, size_t cap);
/* The release request, and the release response. */
size_t vt_iv_release_request(uint8_t *out, size_t cap);
size_t vt_iv_release_response(uint8_t *out, size_t cap);

/* ---- what the monitor sends ---------------------------------------------- */

/* A numeric observation: NuObsValue. */
struct vt_iv_obs {
	uint16_t physio;  /* physiological id (the low 16 bits of its MDC code) */
	uint16_t state;   /* MeasurementState */
	uint16_t unit;    /* unit code (the low 16 bits of its MDC_DIM code) */
	uint32_t value;   /* FLOAT-Type */
	bool has_rel;     /* the object carried a relative time stamp */
	uint32_t rel;     /* it */
	bool has_abs;     /* the object carried an absolute time stamp */
	int64_t abs_ms;   /* it, as ms since the epoch (the monitor's clock) */
};

/* A technical or physiological alarm entry (DevAlarmEntry). */
struct vt_iv_alarm {
	uint16_t source;  /* what it is about (a physiological id) */
	uint16_t code;    /* the alarm (NOM_EVT_...) */
	uint16_t type;    /* priority and kind */
	uint16_t state;
};

/* What one poll result carried. */
struct vt_iv_poll {
	uint16_t action;      /* VT_IV_ACT_POLL or VT_IV_ACT_POLL_EXT */
	uint16_t poll_no;
	uint32_t rel_time;    /* the monitor's relative time when it answered */
	bool has_abs;         /* its absolute time was given */
	int64_t abs_ms;
	uint16_t code;        /* the object class polled */
	bool linked;          /* one part of a result in several messages */
	bool last;            /* the last (or only) part */
};

/* What the monitor told about itself (MDS create, Connect Indication). */
struct vt_iv_identity {
	char model[32];        /* "866062" */
	char manufacturer[16]; /* "Philips" */
	char serial[32];
	char version[32];      /* software revision */
	uint16_t data_port;    /* LAN: the data export port it offers (24105), 0 if not said */
	bool has_clock;        /* it gave its clock: abs_ms at rel */
	int64_t abs_ms;
	uint32_t rel;
};

/* Message kinds the reader tells apart. */
enum vt_iv_kind {
	VT_IV_MSG_OTHER,        /* well-formed, nothing for us */
	VT_IV_MSG_ASSOC_ACCEPT, /* AC */
	VT_IV_MSG_ASSOC_REFUSE, /* RF */
	VT_IV_MSG_RELEASE_REQ,  /* FN: the monitor releases */
	VT_IV_MSG_RELEASE_RSP,  /* DN */
	VT_IV_MSG_ABORT,        /* AB */
	VT_IV_MSG_MDS_CREATE,   /* the MDS create event report (to be answered) */
	VT_IV_MSG_EVENT,        /* another confirmed event report (to be answered) */
	VT_IV_MSG_POLL_RESULT,  /* a poll result */
	VT_IV_MSG_ERROR,        /* a remote operation error */
	VT_IV_MSG_CONN_INDIC,   /* a LAN connect indication */
	/* What the host sends (the emulated monitor reads these): */
	VT_IV_MSG_ASSOC_REQ,    /* CN: an association request */
	VT_IV_MSG_POLL_REQ,     /* a poll request: poll.action, poll_no, code */
	VT_IV_MSG_EVENT_RESULT  /* the answer to an event report */
};

/* Receives what a message holds, as the reader walks it. Any may be NULL. */
struct vt_iv_visitor {
	void (*obs)(void *ctx, const struct vt_iv_obs *o);
	void (*alarm)(void *ctx, const struct vt_iv_alarm *a, bool technical);
	void *ctx;
};

/* The header facts of a message. */
struct vt_iv_msg {
	enum vt_iv_kind kind;
	uint16_t invoke;               /* ROIV/RORS invoke id */
	uint32_t event_time;           /* event reports: the event's relative time */
	uint16_t event;                /* event reports: the event type (NOTI_...) */
	struct vt_iv_poll poll;        /* VT_IV_MSG_POLL_RESULT */
	struct vt_iv_identity id;      /* MDS create, connect indication */
};

/*
 * Read one message (user data, unframed). Walks poll results' observations
 * and alarm lists into `v`, every length checked against its container.
 * 0, or -1 with a static reason in *why for a malformed message.
 */
int vt_iv_read(const uint8_t *msg, size_t len, const struct vt_iv_visitor *v,
               struct vt_iv_msg *out, const char **why);

/* ---- what the monitor sends (the emulator's side) ------------------------- */

/* The association result (AC), accepting with the poll profile the host asked for. */
size_t vt_iv_aare(int64_t min_poll_ms, uint8_t *out, size_t cap);
/* An abort (AB): the monitor ends the association. */
size_t vt_iv_abort(uint8_t *out, size_t cap);
/* The MDS create event report: who the monitor is (`id`: model, manufacturer,
 * serial, version; its clock abs_ms at relative time rel). */
size_t vt_iv_mds_create_event(uint16_t invoke, const struct vt_iv_identity *id, uint8_t *out,
                              size_t cap);
/* The LAN Connect Indication: who the monitor is, and its data export port. */
size_t vt_iv_connect_indication(const struct vt_iv_identity *id, uint8_t *out, size_t cap);

/* One object of a poll result: a numeric (one observation, or several as one
 * compound value such as the NIBP), or the alert monitor's technical alarms. */
struct vt_iv_object {
	uint16_t handle;
	size_t n_obs;                 /* 0: an alarm list; 1: NU_VAL_OBS; 2-3: NU_CMPD_VAL_OBS */
	struct vt_iv_obs obs[3];      /* the time stamps of obs[0] are the object's */
	const struct vt_iv_alarm *alarms; /* n_obs == 0: the technical alarm list */
	size_t n_alarms;
};

/* The extended poll result answering request `invoke` (poll: poll_no, code,
 * rel_time, abs_ms if has_abs), with `n` objects. 0 if it does not fit. */
size_t vt_iv_poll_result(uint16_t invoke, const struct vt_iv_poll *poll,
                         const struct vt_iv_object *objs, size_t n, uint8_t *out, size_t cap);

/* A FLOAT-Type as a double; false for NaN, NRes and the infinities. */
bool vt_iv_float(uint32_t f, double *out);
/* A double as FLOAT-Type with `decimals` digits after the point. */
uint32_t vt_iv_float_from(double v, int decimals);

/* An AbsoluteTime (8 BCD bytes: century, year, month, day, hour, minute,
 * second, hundredths) as ms since the epoch; false if it is not a date
 * (all 0xFF: the monitor does not say). */
bool vt_iv_abs_time(const uint8_t b[8], int64_t *ms);
/* The reverse, for the emulator. */
void vt_iv_abs_time_put(int64_t ms, uint8_t b[8]);

#endif
