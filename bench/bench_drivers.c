/*
 * How fast each driver decodes. A large synthetic stream per protocol is
 * built in memory from the documented formats (values that vary, status
 * bits now and then), then fed to the driver in 4 KiB reads, as a serial
 * port delivers them, and one byte at a time, as the replay does. Prints MB/s
 * and records/s, the best of a few runs. A program that prints figures, not
 * a test: nothing here fails on a slow machine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vitals/drivers/dri.h"
#include "vitals/drivers/driver.h"
#include "vitals/drivers/intellivue.h"

#define STREAM_BYTES (8u << 20)
#define RUNS 3

struct s_buf {
	uint8_t *p;
	size_t n, cap;
};

static void
s_put(struct s_buf *b, const void *data, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2;
		b->p = realloc(b->p, b->cap);
		if (b->p == NULL) {
			perror("realloc");
			exit(1);
		}
	}
	memcpy(b->p + b->n, data, n);
	b->n += n;
}

static void
s_gen_masimo(struct s_buf *b)
{
	for (unsigned i = 0; b->n < STREAM_BYTES; i++) {
		char line[200];
		int n = snprintf(line, sizeof line,
		                 "02/22/16 22:%02u:%02u SN=0000056661 SPO2=%03u%% BPM=%03u PI=%02u.%02u%% "
		                 "SPCO=--.-%% SPMET=--.-%% DESAT=-- PIDELTA=+-- ALARM=%04X EXC=%06X\r\n",
		                 i / 60 % 60, i % 60, 90 + i % 10, 60 + i % 50, i % 20, i % 100,
		                 i % 97 == 0 ? 0x12u : 0u, i % 53 == 0 ? 0x828u : 0x800u);
		s_put(b, line, (size_t)n);
	}
}

static void
s_gen_nellcor(struct s_buf *b)
{
	static const char header[] =
		"N-560    VERSION 1.61.00    CRC:XXXX  SpO2 Limit: 95-100%    PR Limit: 59-148BPM\r\n"
		"                             ADULT           25SAT-S \r\n"
		"TIME                 %SpO2   BPM     PA     Status\r\n";
	for (unsigned i = 0; b->n < STREAM_BYTES; i++) {
		if (i % 25 == 0)
			s_put(b, header, sizeof header - 1);
		char line[120];
		int n = snprintf(line, sizeof line, "07-Jan-04 11:%02u:%02u   %3u     %3u     %3u    %s\r\n",
		                 i / 30 % 60, i * 2 % 60, 90 + i % 11, 60 + i % 50, 20 + i % 80,
		                 i % 7 == 0 ? "MO             AO" : "               AO");
		s_put(b, line, (size_t)n);
	}
}

static void
s_gen_nonin(struct s_buf *b, int df7)
{
	for (unsigned i = 0; b->n < STREAM_BYTES; i++) {
		unsigned hr = 60 + i % 60, spo2 = 90 + i % 10;
		for (unsigned f = 1; f <= 25; f++) {
			uint8_t st = (uint8_t)(0x80 | (f == 1) | (f % 12 < 6 ? 0x02 : 0) |
			                       (i % 41 == 0 ? 0x20 : 0));
			uint8_t fl = 0;
			if (f == 1 || f == 14 || f == 20 || f == 22)
				fl = (uint8_t)(hr >> 7);
			else if (f == 2 || f == 15 || f == 21 || f == 23)
				fl = (uint8_t)(hr & 0x7F);
			else if (f == 3 || f == 9 || f == 10 || f == 11 || f == 16 || f == 17)
				fl = (uint8_t)spo2;
			else if (f == 4)
				fl = 45;
			unsigned pleth = 30000 + (i * 25 + f) * 37 % 9000;
			uint8_t fr[5];
			if (df7) {
				fr[0] = st;
				fr[1] = (uint8_t)(pleth >> 8);
				fr[2] = (uint8_t)pleth;
			} else {
				fr[0] = 1;
				fr[1] = st;
				fr[2] = (uint8_t)(pleth >> 6);
			}
			fr[3] = fl;
			fr[4] = (uint8_t)(fr[0] + fr[1] + fr[2] + fr[3]);
			s_put(b, fr, 5);
		}
	}
}

static void
s_gen_df7(struct s_buf *b)
{
	s_gen_nonin(b, 1);
}

static void
s_gen_df2(struct s_buf *b)
{
	s_gen_nonin(b, 0);
}

static void
s_gen_df8(struct s_buf *b)
{
	for (unsigned i = 0; b->n < STREAM_BYTES; i++) {
		unsigned hr = 60 + i % 200, spo2 = 85 + i % 15;
		uint8_t r[4] = {(uint8_t)(0x80 | (i % 17 == 0 ? 0x20 : 0) | (hr >> 7)),
		                (uint8_t)(hr & 0x7F), (uint8_t)spo2, (uint8_t)(i % 29 == 0 ? 0x08 : 0)};
		s_put(b, r, 4);
	}
}

/* Ivy ANSAR-B: the capture's message layout, values varying, no value now and then. */
static void
s_gen_ivy(struct s_buf *b)
{
	for (unsigned i = 0; b->n < STREAM_BYTES; i++) {
		uint8_t wave[400];
		for (unsigned k = 0; k < sizeof wave; k++)
			wave[k] = (uint8_t)((i + k * 7) % 252);
		char text[256];
		int n = snprintf(text, sizeof text,
		                 "HR=1;%u;ECG-II-DIAG;\rRR=1;%u;APNEA: 20 SEC;\rETCO2=1;%s;;\r"
		                 "SPO2=1;%u;PR=%u ;\rNIBP=4;%u;%u;%u;%u;;\rP1=3;;;;NO TRANSDUCER;\r"
		                 "P2=3;;;;NO TRANSDUCER;\rT1=1;;;\rT2=1;;;\r",
		                 60 + i % 50, 10 + i % 20, i % 13 == 0 ? "" : "38", 90 + i % 10,
		                 60 + i % 50, 110 + i % 40, 70 + i % 20, 85 + i % 30, 60 + i % 50);
		s_put(b, "\xff" "ANSAR-B ", 9);
		s_put(b, wave, sizeof wave);
		s_put(b, text, (size_t)n);
		s_put(b, "\xfe", 1);
	}
}

/* HL7 over MLLP: a monitor's observation messages, values varying, a cuff reading in each. */
static void
s_gen_hl7(struct s_buf *b)
{
	for (unsigned i = 0; b->n < STREAM_BYTES; i++) {
		char msg[1024];
		int n = snprintf(msg, sizeof msg,
		                 "\x0bMSH|^~\\&|MON^00A0370098007A80^EUI-64|||20261121100000+0100||"
		                 "ORU^R01^ORU_R01|%u|P|2.6|||AL|NE\rPID|||^^^H^PI\rPV1||I|ICU^^12\r"
		                 "OBR|1|||182777000^monitoring of patient^SCT|||20261121100000+0100\r"
		                 "OBX|1|NM|147842^MDC_ECG_HEART_RATE^MDC|1.1.1.147842|%u|264864^^MDC|||||R\r"
		                 "OBX|2|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC|1.2.1.150456|%u|262688^^MDC|||||R\r"
		                 "OBX|3|NM|151594^MDC_CO2_RESP_RATE^MDC|1.4.1.151594|%u|264928^^MDC|||||R\r"
		                 "OBX|4|NM|151712^MDC_CONC_AWAY_CO2_EXP^MDC|1.4.1.151712|%s|266016^^MDC|||||R\r"
		                 "OBX|5|NM|150021^MDC_PRESS_BLD_NONINV_SYS^MDC|1.5.1.150021|%u|266016^^MDC|||||R"
		                 "|||20261121095500+0100|||^APERIODIC\r\x1c\r",
		                 i, 60 + i % 50, 90 + i % 10, 10 + i % 20, i % 13 == 0 ? "" : "38",
		                 110 + i % 40);
		s_put(b, msg, (size_t)n);
	}
}

/* One IntelliVue message: an RS-232 frame, or on a LAN a datagram with its
 * 2-byte length in front (as a udp:// port hands it to the driver). */
static void
s_put_iv(struct s_buf *b, bool lan, const uint8_t *msg, size_t len)
{
	uint8_t frame[2200];
	if (lan) {
		uint8_t hdr[2] = {(uint8_t)(len >> 8), (uint8_t)len};
		s_put(b, hdr, 2);
		s_put(b, msg, len);
	} else {
		s_put(b, frame, vt_iv_frame(msg, len, frame, sizeof frame));
	}
}

/* Philips IntelliVue: the MDS create event, then numerics results (HR, SpO2,
 * RR, EtCO2, temperature, an NIBP with its time stamp), framed for `lan`. */
static void
s_gen_philips_as(struct s_buf *b, bool lan)
{
	uint8_t msg[1024];
	struct vt_iv_identity id = {.manufacturer = "Philips", .model = "MX800", .serial = "1"};
	s_put_iv(b, lan, msg, vt_iv_mds_create_event(1, &id, msg, sizeof msg));
	for (unsigned i = 0; b->n < STREAM_BYTES; i++) {
		uint32_t rel = i * 8000u;
		struct vt_iv_poll poll = {.poll_no = (uint16_t)i, .code = VT_IV_MOC_VMO_METRIC_NU,
		                          .rel_time = rel};
		struct vt_iv_object o[6] = {
		    {.handle = 1, .n_obs = 1, .obs = {{.physio = VT_IV_ECG_HR, .unit = VT_IV_DIM_BPM,
		                                       .value = vt_iv_float_from(60 + i % 50, 0)}}},
		    {.handle = 2, .n_obs = 1, .obs = {{.physio = VT_IV_SPO2, .unit = VT_IV_DIM_PERCENT,
		                                       .value = vt_iv_float_from(90 + i % 10, 0)}}},
		    {.handle = 3, .n_obs = 1, .obs = {{.physio = VT_IV_AWAY_RESP_RATE, .unit = VT_IV_DIM_RPM,
		                                       .value = vt_iv_float_from(10 + i % 10, 0)}}},
		    {.handle = 4, .n_obs = 1, .obs = {{.physio = VT_IV_AWAY_CO2_ET, .unit = VT_IV_DIM_MMHG,
		                                       .state = i % 13 == 0 ? VT_IV_MS_INVALID : 0,
		                                       .value = vt_iv_float_from(30 + i % 10, 0)}}},
		    {.handle = 5, .n_obs = 1, .obs = {{.physio = VT_IV_TEMP, .unit = VT_IV_DIM_DEGC,
		                                       .value = vt_iv_float_from(36.5, 1)}}},
		    {.handle = 6, .n_obs = 3,
		     .obs = {{.physio = VT_IV_NIBP_SYS, .unit = VT_IV_DIM_MMHG, .has_rel = true,
		              .rel = rel - i % 180 * 8000u, .value = vt_iv_float_from(110 + i % 40, 0)},
		             {.physio = VT_IV_NIBP_DIA, .unit = VT_IV_DIM_MMHG,
		              .value = vt_iv_float_from(70 + i % 20, 0)},
		             {.physio = VT_IV_NIBP_MEAN, .unit = VT_IV_DIM_MMHG,
		              .value = vt_iv_float_from(85 + i % 30, 0)}}},
		};
		s_put_iv(b, lan, msg, vt_iv_poll_result((uint16_t)i, &poll, o, 6, msg, sizeof msg));
	}
}

static void
s_gen_philips(struct s_buf *b)
{
	s_gen_philips_as(b, false);
}

static void
s_gen_philips_lan(struct s_buf *b)
{
	s_gen_philips_as(b, true);
}

/* GE S/5 DRI: displayed-values records with the basic class filled in. */
static void
s_gen_ge(struct s_buf *b)
{
	for (unsigned i = 0; b->n < STREAM_BYTES; i++) {
		uint8_t c[270] = {0}, rec[VT_DRI_HDR + VT_DRI_PHDB_LEN], frame[2 * sizeof rec + 4];
		vt_dri_put32(c + VT_DRI_ECG, VT_DRI_EXISTS);
		vt_dri_put16(c + VT_DRI_ECG + 6, (int)(60 + i % 50));
		vt_dri_put32(c + VT_DRI_NIBP, VT_DRI_EXISTS);
		vt_dri_put16(c + VT_DRI_NIBP + 6, (int)(11000 + i / 36 % 40 * 100));
		vt_dri_put16(c + VT_DRI_NIBP + 8, 7500);
		vt_dri_put16(c + VT_DRI_NIBP + 10, 8700);
		vt_dri_put32(c + VT_DRI_T1, VT_DRI_EXISTS);
		vt_dri_put16(c + VT_DRI_T1 + 6, 3670);
		vt_dri_put32(c + VT_DRI_SPO2, VT_DRI_EXISTS);
		vt_dri_put16(c + VT_DRI_SPO2 + 6, (int)(9000 + i % 10 * 100));
		vt_dri_put16(c + VT_DRI_SPO2 + 8, (int)(60 + i % 50));
		vt_dri_put32(c + VT_DRI_CO2, VT_DRI_EXISTS);
		vt_dri_put16(c + VT_DRI_CO2 + 6, i % 13 == 0 ? VT_DRI_INVALID : 500);
		vt_dri_put16(c + VT_DRI_CO2 + 10, (int)(10 + i % 10));
		vt_dri_put16(c + VT_DRI_CO2 + 12, 7600);
		vt_dri_displayed(c, 1000000 + i * 5, rec);
		s_put(b, frame, vt_dri_frame(rec, sizeof rec, frame, sizeof frame));
	}
}

static const struct {
	const char *driver;
	void (*gen)(struct s_buf *);
	const char *label; /* the line's name, if not the driver's */
	bool datagram;     /* fed as a udp:// port feeds it */
} s_streams[] = {
	{"masimo-ascii", s_gen_masimo, NULL, false},
	{"nonin-df7", s_gen_df7, NULL, false},
	{"nonin-df2", s_gen_df2, NULL, false},
	{"nonin-df8", s_gen_df8, NULL, false},
	{"nellcor-ascii", s_gen_nellcor, NULL, false},
	{"ivy-ansarb", s_gen_ivy, NULL, false},
	{"hl7-mllp", s_gen_hl7, NULL, false},
	{"philips-mib", s_gen_philips, NULL, false},
	{"philips-mib", s_gen_philips_lan, "philips-mib/udp", true},
	{"ge-dri", s_gen_ge, NULL, false},
};

static double
s_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
s_on_reading(void *ctx, const struct vt_reading *r)
{
	*(double *)ctx += r->value[VT_SPO2]; /* keep the work observable */
}

/* Best time of RUNS to feed the whole stream in `chunk`-byte calls. */
static double
s_run(const struct vt_driver *d, const struct vt_driver_opts *opts, const struct s_buf *b,
      size_t chunk, struct vt_driver_stats *st)
{
	void *state = malloc(d->state_size);
	double best = 1e30, sink_sum = 0;
	/* What a driver sends is made (HL7's acknowledgements cost) and thrown away. */
	static struct vt_tx tx;
	struct vt_driver_sink sink = {.reading = s_on_reading, .ctx = &sink_sum, .tx = &tx};
	for (int r = 0; r < RUNS; r++) {
		d->reset(state, opts);
		double t0 = s_now();
		for (size_t pos = 0; pos < b->n; pos += chunk) {
			tx.len = 0;
			d->feed(state, b->p + pos, b->n - pos < chunk ? b->n - pos : chunk, &sink);
		}
		double t = s_now() - t0;
		if (t < best)
			best = t;
	}
	d->stats(state, st);
	free(state);
	if (sink_sum < 0)
		printf("?\n");
	return best;
}

int
main(void)
{
	printf("%-15s %7s %12s %14s %12s %14s %8s\n", "driver", "MiB", "MB/s 4KiB", "records/s 4KiB",
	       "MB/s 1B", "records/s 1B", "dropped");
	for (size_t i = 0; i < sizeof s_streams / sizeof s_streams[0]; i++) {
		const struct vt_driver *d = vt_driver_find(s_streams[i].driver);
		if (d == NULL) {
			fprintf(stderr, "no driver %s\n", s_streams[i].driver);
			return 1;
		}
		struct s_buf b = {0};
		s_streams[i].gen(&b);
		struct vt_driver_stats st;
		struct vt_driver_opts opts = {.datagram = s_streams[i].datagram};
		double t_chunk = s_run(d, &opts, &b, 4096, &st);
		double t_byte = s_run(d, &opts, &b, 1, &st);
		printf("%-15s %7.1f %12.1f %14.0f %12.1f %14.0f %8llu\n",
		       s_streams[i].label ? s_streams[i].label : d->name,
		       (double)b.n / (1 << 20), (double)b.n / t_chunk / 1e6,
		       (double)st.records / t_chunk, (double)b.n / t_byte / 1e6,
		       (double)st.records / t_byte, (unsigned long long)st.dropped);
		free(b.p);
	}
	return 0;
}
