/*
 * Session recordings, written and read back: the exact events and bytes
 * survive the round trip, files rotate and stand alone, a crash (a cut
 * line, a SIGKILL, a full disk) leaves a readable file, and every kind of
 * damaged line is reported at its line and column.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vitals/base/timefmt.h"
#include "vitals/io/recorder.h"

/* 2026-11-21T10:00:00.000Z */
#define T0 1795255200000LL

static const struct vt_rec_info s_info = {
	.bed = "chair-1",
	.port = "/dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A12345-if00-port0",
	.protocol = "nonin-df7",
	.baud = 9600,
};

static char s_dir[64];

static void
s_rm_rf(const char *path)
{
	DIR *d = opendir(path);
	if (d == NULL) {
		unlink(path);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char sub[512];
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		s_rm_rf(sub);
	}
	closedir(d);
	rmdir(path);
}

static void
s_setup(void)
{
	snprintf(s_dir, sizeof(s_dir), "/tmp/vt-rec-XXXXXX");
	cr_assert_not_null(mkdtemp(s_dir));
}

static void
s_teardown(void)
{
	s_rm_rf(s_dir);
}

TestSuite(recorder, .init = s_setup, .fini = s_teardown);

/* One event as the reader returns it. */
struct ev {
	int64_t t;
	enum vt_rec_event ev;
	size_t len;
	uint8_t bytes[257];
};

/* Read every event of `path` into evs (at most max); asserts a clean read. */
static size_t
s_read_all(const char *path, struct ev *evs, size_t max)
{
	struct vt_diag diag = {0};
	struct vt_session_reader *s = vt_session_open(path, &diag);
	if (s == NULL)
		vt_diag_print(&diag, stderr);
	cr_assert_not_null(s, "%s does not open", path);
	size_t n = 0;
	int rc;
	int64_t t;
	enum vt_rec_event ev;
	const uint8_t *data;
	size_t len;
	while ((rc = vt_session_next(s, &t, &ev, &data, &len, &diag)) == 1) {
		cr_assert_lt(n, max);
		cr_assert_leq(len, sizeof(evs[n].bytes));
		evs[n].t = t;
		evs[n].ev = ev;
		evs[n].len = len;
		memcpy(evs[n].bytes, data, len);
		n++;
	}
	if (rc != 0)
		vt_diag_print(&diag, stderr);
	cr_assert_eq(rc, 0, "%s: read error", path);
	cr_assert_eq(diag.count, 0);
	vt_session_close(&s);
	cr_assert_null(s);
	return n;
}

static void
s_event(struct vt_recorder *r, int64_t t, enum vt_rec_event ev, const void *data, size_t len,
        const char *reason)
{
	char err[256];
	cr_assert_eq(vt_recorder_event(r, t, ev, data, len, reason, err, sizeof(err)), 0, "%s",
	             err);
}

static char *
s_slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "r");
	cr_assert_not_null(fp, "%s: %s", path, strerror(errno));
	char *buf = malloc(1 << 20);
	*len = fread(buf, 1, (1 << 20) - 1, fp);
	buf[*len] = '\0';
	fclose(fp);
	return buf;
}

/* A text protocol's bytes are recorded as text (format 3), every byte back exactly. */
Test(recorder, text_protocols_are_recorded_as_text)
{
	struct vt_rec_info info = s_info;
	info.protocol = "masimo-ascii";
	char err[256];
	struct vt_recorder *r = vt_recorder_open(s_dir, &info, T0, err, sizeof(err));
	cr_assert_not_null(r, "%s", err);
	static const char line[] = "11/21/26 10:00:01 SN=0000012345 SPO2=097% BPM=072\r\n";
	static const uint8_t odd[] = {' ', 'a', '\\', '\t', 0x00, 0xff, 'z', ' '};
	uint8_t all[256];
	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	s_event(r, T0, VT_REC_OPEN, NULL, 0, NULL);
	s_event(r, T0 + 10, VT_REC_DATA, line, sizeof(line) - 1, NULL);
	s_event(r, T0 + 20, VT_REC_DATA, odd, sizeof(odd), NULL);
	s_event(r, T0 + 30, VT_REC_DATA, all, 256, NULL);
	char path[512];
	snprintf(path, sizeof(path), "%s", vt_recorder_path(r));
	vt_recorder_close(&r);
	size_t len;
	char *text = s_slurp(path, &len);
	cr_assert(strstr(text, "\n10 text 11/21/26 10:00:01 SN=0000012345 SPO2=097% BPM=072\\r\\n\n") != NULL,
	          "a device line reads as itself:\n%s", text);
	cr_assert(strstr(text, "\n20 text \\x20a\\\\\\t\\x00\\xffz\\x20\n") != NULL,
	          "the rest escaped, spaces at the ends too:\n%s", text);
	free(text);
	struct ev evs[8];
	size_t n = s_read_all(path, evs, 8);
	size_t got = 0;
	uint8_t back[512];
	for (size_t i = 0; i < n; i++)
		if (evs[i].ev == VT_REC_DATA && evs[i].t == T0 + 30) {
			memcpy(back + got, evs[i].bytes, evs[i].len);
			got += evs[i].len;
		}
	cr_assert_eq(got, 256);
	cr_assert_eq(memcmp(back, all, 256), 0, "every byte value comes back");
	cr_assert_eq(evs[1].len, sizeof(line) - 1);
	cr_assert_eq(memcmp(evs[1].bytes, line, evs[1].len), 0);
	cr_assert_eq(evs[2].len, sizeof(odd));
	cr_assert_eq(memcmp(evs[2].bytes, odd, sizeof(odd)), 0);
}

Test(recorder, round_trip_is_exact)
{
	char err[256];
	struct vt_recorder *r = vt_recorder_open(s_dir, &s_info, T0, err, sizeof(err));
	cr_assert_not_null(r, "%s", err);

	uint8_t all[256];
	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	s_event(r, T0, VT_REC_OPEN, NULL, 0, NULL);
	s_event(r, T0 + 13, VT_REC_DATA, "\x01\x60\x80\xff", 4, NULL);
	s_event(r, T0 + 20, VT_REC_SENT, "\xc0\x7d\x5d", 3, NULL); /* what vitalsd sent */
	s_event(r, T0 + 40, VT_REC_DATA, all, 150, NULL); /* three lines: 64 + 64 + 22 */
	s_event(r, T0 + 40, VT_REC_DATA, "x", 0, NULL);   /* nothing: no line */
	s_event(r, T0 + 9000, VT_REC_LOST, NULL, 0, "read: Input/output error\n(again)");
	s_event(r, T0 + 12000, VT_REC_OPEN, NULL, 0, NULL);
	s_event(r, T0 + 12001, VT_REC_DATA, all + 100, 156, NULL);
	s_event(r, T0 + 20000, VT_REC_CLOSE, NULL, 0, "shutdown");
	char path[256];
	snprintf(path, sizeof(path), "%s", vt_recorder_path(r));
	vt_recorder_close(&r);
	cr_assert_null(r);

	char want[256];
	snprintf(want, sizeof(want), "%s/chair-1/chair-1-20261121T100000Z.vsr", s_dir);
	cr_assert_str_eq(path, want);
	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777 & ~0640u, 0, "file mode %o", st.st_mode & 0777);
	snprintf(want, sizeof(want), "%s/chair-1", s_dir);
	cr_assert_eq(stat(want, &st), 0);
	cr_assert_eq(st.st_mode & 0777 & ~0750u, 0, "directory mode %o", st.st_mode & 0777);

	struct ev evs[32];
	size_t n = s_read_all(path, evs, 32);
	struct {
		int64_t off;
		enum vt_rec_event ev;
		const uint8_t *bytes;
		size_t len;
	} expect[] = {
		{0, VT_REC_OPEN, NULL, 0},
		{13, VT_REC_DATA, (const uint8_t *)"\x01\x60\x80\xff", 4},
		{20, VT_REC_SENT, (const uint8_t *)"\xc0\x7d\x5d", 3},
		{40, VT_REC_DATA, all, 64},
		{40, VT_REC_DATA, all + 64, 64},
		{40, VT_REC_DATA, all + 128, 22},
		{9000, VT_REC_LOST, (const uint8_t *)"read: Input/output error\\n(again)", 33},
		{12000, VT_REC_OPEN, NULL, 0},
		{12001, VT_REC_DATA, all + 100, 64},
		{12001, VT_REC_DATA, all + 164, 64},
		{12001, VT_REC_DATA, all + 228, 28},
		{20000, VT_REC_CLOSE, (const uint8_t *)"shutdown", 8},
	};
	size_t n_expect = sizeof(expect) / sizeof(expect[0]);
	cr_assert_eq(n, n_expect, "%zu events read, %zu expected", n, n_expect);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(evs[i].t, T0 + expect[i].off, "event %zu time", i);
		cr_assert_eq(evs[i].ev, expect[i].ev, "event %zu kind", i);
		cr_assert_eq(evs[i].len, expect[i].len, "event %zu length", i);
		if (expect[i].len)
			cr_assert_eq(memcmp(evs[i].bytes, expect[i].bytes, expect[i].len), 0,
			             "event %zu bytes", i);
	}

	/* The header is the documented one, and the reader sees it too. */
	size_t len;
	char *text = s_slurp(path, &len);
	const char *hdr = "# vitalsd session recording\n"
	                  "# format: 4\n"
	                  "# version: 0.1.0\n"
	                  "# bed: chair-1\n"
	                  "# port: /dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A12345-if00-port0\n"
	                  "# protocol: nonin-df7\n"
	                  "# baud: 9600\n"
	                  "# start: 2026-11-21T10:00:00.000Z\n"
	                  "0 open\n"
	                  "13 data 016080ff\n"
	                  "20 sent c07d5d\n"
	                  "40 data 00010203 04050607";
	cr_assert_eq(strncmp(text, hdr, strlen(hdr)), 0, "file starts:\n%.400s", text);
	free(text);
	struct vt_diag diag = {0};
	struct vt_session_reader *s = vt_session_open(path, &diag);
	cr_assert_not_null(s);
	cr_assert_str_eq(vt_session_info(s)->bed, "chair-1");
	cr_assert_str_eq(vt_session_info(s)->port, s_info.port);
	cr_assert_str_eq(vt_session_info(s)->protocol, "nonin-df7");
	cr_assert_eq(vt_session_info(s)->baud, 9600);
	cr_assert_eq(vt_session_info(s)->format, VT_SESSION_FORMAT);
	cr_assert_null(vt_session_info(s)->config, "no configuration given, none said");
	cr_assert_eq(vt_session_start(s), T0);
	vt_session_close(&s);
	cr_assert(vt_session_detect(path));
}

/* What happened at the station goes in beside the bytes and reads back whole. */
Test(recorder, station_events_round_trip)
{
	struct vt_rec_info info = s_info;
	info.config = "/etc/vitalsd/vitalsd.yaml";
	info.config_sha256 = "3f0c9d5e4b2a1f6e8d7c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e";
	char err[256];
	struct vt_recorder *r = vt_recorder_open(s_dir, &info, T0, err, sizeof(err));
	cr_assert_not_null(r, "%s", err);
	static const struct {
		int64_t off;
		enum vt_rec_event ev;
		const char *json;
	} events[] = {
		{5, VT_REC_CONTROL, "{\"cmd\":\"phase\",\"bed\":\"chair-1\",\"phase\":\"baseline\","
		                    "\"by\":\"station-2\"}"},
		{7, VT_REC_SESSION, "{\"type\":\"session\",\"event\":\"phase\",\"phase\":\"baseline\"}"},
		{9, VT_REC_ALERT, "{\"type\":\"alert\",\"id\":\"chair-1/spo2-low/1\",\"event\":\"raised\","
		                  "\"text\":\"SpO2 86 % below 90 %\"}"},
		{11, VT_REC_CONTROL, "{\"cmd\":\"ack\",\"id\":\"chair-1/spo2-low/1\",\"by\":\"ann\"}"},
		{13, VT_REC_CONFIG, "{\"path\":\"/etc/vitalsd/vitalsd.yaml\",\"sha256\":\"00ff\"}"},
	};
	size_t n_events = sizeof(events) / sizeof(events[0]);
	s_event(r, T0, VT_REC_OPEN, NULL, 0, NULL);
	for (size_t i = 0; i < n_events; i++)
		s_event(r, T0 + events[i].off, events[i].ev, NULL, 0, events[i].json);
	/* A station event that is not a JSON object is refused, and writes nothing. */
	cr_assert_neq(vt_recorder_event(r, T0 + 20, VT_REC_ALERT, NULL, 0, "raised", err,
	                                sizeof(err)), 0);
	cr_assert(strstr(err, "JSON object") != NULL, "%s", err);
	char path[256];
	snprintf(path, sizeof(path), "%s", vt_recorder_path(r));
	vt_recorder_close(&r);

	size_t len;
	char *text = s_slurp(path, &len);
	cr_assert(strstr(text, "# format: 4\n") != NULL, "%s", text);
	cr_assert(strstr(text, "# config: /etc/vitalsd/vitalsd.yaml\n") != NULL, "%s", text);
	cr_assert(strstr(text, "# config-sha256: 3f0c9d5e") != NULL, "%s", text);
	cr_assert(strstr(text, "\n11 control {\"cmd\":\"ack\"") != NULL, "%s", text);
	free(text);

	struct ev evs[16];
	size_t n = s_read_all(path, evs, 16);
	cr_assert_eq(n, n_events + 1);
	cr_assert_eq(evs[0].ev, VT_REC_OPEN);
	for (size_t i = 0; i < n_events; i++) {
		cr_assert_eq(evs[i + 1].ev, events[i].ev, "event %zu", i);
		cr_assert_eq(evs[i + 1].t, T0 + events[i].off);
		cr_assert_eq(evs[i + 1].len, strlen(events[i].json));
		cr_assert_eq(memcmp(evs[i + 1].bytes, events[i].json, evs[i + 1].len), 0, "%.*s",
		             (int)evs[i + 1].len, evs[i + 1].bytes);
	}
	struct vt_diag diag = {0};
	struct vt_session_reader *s = vt_session_open(path, &diag);
	cr_assert_not_null(s);
	cr_assert_eq(vt_session_info(s)->format, VT_SESSION_FORMAT);
	cr_assert_str_eq(vt_session_info(s)->config, info.config);
	cr_assert_str_eq(vt_session_info(s)->config_sha256, info.config_sha256);
	vt_session_close(&s);
	cr_assert_str_eq(vt_rec_event_name(VT_REC_SESSION), "session");
}

Test(recorder, detect)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/x.csv", s_dir);
	FILE *fp = fopen(path, "w");
	fputs("t,spo2,pr\n0,97,72\n", fp);
	fclose(fp);
	cr_assert_not(vt_session_detect(path));
	snprintf(path, sizeof(path), "%s/none.vsr", s_dir);
	cr_assert_not(vt_session_detect(path));
	fp = fopen(path, "w");
	fputs("# vitalsd session recording\r\n", fp);
	fclose(fp);
	cr_assert(vt_session_detect(path));
}

Test(recorder, truncated_last_line_ends_the_file)
{
	char err[256];
	struct vt_recorder *r = vt_recorder_open(s_dir, &s_info, T0, err, sizeof(err));
	cr_assert_not_null(r, "%s", err);
	s_event(r, T0, VT_REC_OPEN, NULL, 0, NULL);
	s_event(r, T0 + 5, VT_REC_DATA, "abcd", 4, NULL);
	s_event(r, T0 + 1000, VT_REC_DATA, "efghijkl", 8, NULL);
	char path[256];
	snprintf(path, sizeof(path), "%s", vt_recorder_path(r));
	vt_recorder_close(&r);

	size_t len;
	char *text = s_slurp(path, &len);
	const char *last = strstr(text, "1000 data");
	cr_assert_not_null(last);
	size_t cut_from = (size_t)(last - text);
	free(text);
	/* Every cut inside the last line, including just before its newline. */
	for (size_t cut = cut_from + 1; cut < len; cut++) {
		cr_assert_eq(truncate(path, (off_t)cut), 0);
		struct ev evs[8];
		size_t n = s_read_all(path, evs, 8);
		cr_assert_eq(n, 2, "cut at %zu: %zu events", cut, n);
		cr_assert_eq(evs[1].len, 4);
		cr_assert_eq(memcmp(evs[1].bytes, "abcd", 4), 0);
	}

	/* Cut inside the header: reported, not taken for an empty session. */
	cr_assert_eq(truncate(path, 60), 0);
	struct vt_diag diag = {0};
	cr_assert_null(vt_session_open(path, &diag));
	cr_assert_geq(diag.count, 1);
	cr_assert(strstr(diag.entries[0].message, "ends inside its header") != NULL, "%s",
	          diag.entries[0].message);
	vt_diag_clear(&diag);
}

/* The .vsr files under DIR/chair-1, sorted by name. */
static size_t
s_list(char names[][512], size_t max)
{
	char sub[128];
	snprintf(sub, sizeof(sub), "%s/chair-1", s_dir);
	struct dirent **list;
	int n = scandir(sub, &list, NULL, alphasort);
	cr_assert_geq(n, 0);
	size_t k = 0;
	for (int i = 0; i < n; i++) {
		if (strstr(list[i]->d_name, ".vsr") != NULL && k < max)
			snprintf(names[k++], 512, "%s/%s", sub, list[i]->d_name);
		free(list[i]);
	}
	free(list);
	return k;
}

Test(recorder, rotates_by_size_and_every_file_stands_alone)
{
	char err[256];
	struct vt_recorder *r = vt_recorder_open(s_dir, &s_info, T0, err, sizeof(err));
	cr_assert_not_null(r, "%s", err);
	vt_recorder_set_rotate_bytes(r, 1024);
	uint8_t written[4000];
	size_t total = 0;
	s_event(r, T0, VT_REC_OPEN, NULL, 0, NULL);
	/* 200 chunks of 20 bytes, 50 ms apart: 10 s, about 12 KiB of text. */
	for (int i = 0; i < 200; i++) {
		uint8_t chunk[20];
		for (int j = 0; j < 20; j++)
			chunk[j] = (uint8_t)(i * 7 + j);
		memcpy(written + total, chunk, 20);
		total += 20;
		s_event(r, T0 + 50 * (i + 1), VT_REC_DATA, chunk, 20, NULL);
	}
	vt_recorder_close(&r);

	char names[64][512];
	size_t files = s_list(names, 64);
	cr_assert_geq(files, 8, "only %zu files", files);
	uint8_t got[4000];
	size_t got_len = 0;
	int64_t last_t = T0;
	for (size_t f = 0; f < files; f++) {
		struct stat st;
		cr_assert_eq(stat(names[f], &st), 0);
		cr_assert_lt(st.st_size, 1024 + 200, "%s is %lld bytes", names[f],
		             (long long)st.st_size);
		struct ev evs[64];
		size_t n = s_read_all(names[f], evs, 64);
		cr_assert_geq(n, 1);
		for (size_t i = 0; i < n; i++) {
			cr_assert_geq(evs[i].t, last_t, "times go on across files");
			last_t = evs[i].t;
			if (evs[i].ev == VT_REC_DATA) {
				memcpy(got + got_len, evs[i].bytes, evs[i].len);
				got_len += evs[i].len;
			}
		}
		size_t len;
		char *text = s_slurp(names[f], &len);
		cr_assert_eq(strncmp(text, "# vitalsd session recording\n", 28), 0);
		if (f > 0) {
			/* Each file names the one it carries on from. */
			const char *prev = strrchr(names[f - 1], '/') + 1;
			char line[200];
			snprintf(line, sizeof(line), "# continues: %s\n", prev);
			cr_assert(strstr(text, line) != NULL, "%s lacks '%s'", names[f], line);
		}
		free(text);
	}
	cr_assert_eq(got_len, total);
	cr_assert_eq(memcmp(got, written, total), 0, "bytes differ after rotation");
}

/*
 * The loop stamps a byte when it wakes and the publisher stamps the alert it
 * caused when it publishes: a moment later, and the next byte of the same
 * wake-up can come after it with the earlier time. Such jitter is not a
 * clock set back: one file, offsets that never decrease.
 */
Test(recorder, a_step_back_of_less_than_a_second_stays_in_the_file)
{
	char err[256];
	struct vt_recorder *r = vt_recorder_open(s_dir, &s_info, T0, err, sizeof(err));
	cr_assert_not_null(r, "%s", err);
	s_event(r, T0 + 100, VT_REC_DATA, "a", 1, NULL);
	s_event(r, T0 + 400, VT_REC_DATA, "b", 1, NULL);
	s_event(r, T0 + 400 - VT_RECORDER_STEP_BACK_MS + 1, VT_REC_DATA, "c", 1, NULL);
	s_event(r, T0 + 500, VT_REC_DATA, "d", 1, NULL);
	vt_recorder_close(&r);

	char names[8][512];
	cr_assert_eq(s_list(names, 8), 1);
	struct ev evs[8];
	cr_assert_eq(s_read_all(names[0], evs, 8), 4);
	const int64_t want[] = {T0 + 100, T0 + 400, T0 + 400, T0 + 500};
	for (size_t i = 0; i < 4; i++) {
		cr_expect_eq(evs[i].bytes[0], (uint8_t)("abcd"[i]));
		cr_expect_eq(evs[i].t, want[i], "event %zu at %lld", i, (long long)evs[i].t);
	}
}

Test(recorder, rotates_at_utc_midnight_and_when_the_clock_steps_back)
{
	char err[256];
	int64_t late = T0 + 14 * 3600000LL - 100; /* 23:59:59.900Z */
	struct vt_recorder *r = vt_recorder_open(s_dir, &s_info, late, err, sizeof(err));
	cr_assert_not_null(r, "%s", err);
	s_event(r, late, VT_REC_DATA, "a", 1, NULL);
	s_event(r, late + 99, VT_REC_DATA, "b", 1, NULL);
	s_event(r, late + 200, VT_REC_DATA, "c", 1, NULL);  /* 00:00:00.100Z next day */
	s_event(r, late + 5000, VT_REC_DATA, "d", 1, NULL);
	s_event(r, late + 3000, VT_REC_DATA, "e", 1, NULL); /* the clock was stepped back */
	vt_recorder_close(&r);

	char names[8][512];
	cr_assert_eq(s_list(names, 8), 3);
	struct {
		const char *suffix;
		const char *bytes;
	} want[] = {
		{"chair-1-20261121T235959Z.vsr", "ab"},
		{"chair-1-20261122T000000Z.vsr", "cd"},
		{"chair-1-20261122T000002Z.vsr", "e"},
	};
	for (int f = 0; f < 3; f++) {
		cr_assert(strstr(names[f], want[f].suffix) != NULL, "%s", names[f]);
		struct ev evs[8];
		size_t n = s_read_all(names[f], evs, 8);
		cr_assert_eq(n, strlen(want[f].bytes));
		for (size_t i = 0; i < n; i++)
			cr_assert_eq(evs[i].bytes[0], (uint8_t)want[f].bytes[i]);
	}
}

Test(recorder, never_overwrites_a_file_of_the_same_second)
{
	char err[256];
	struct vt_recorder *a = vt_recorder_open(s_dir, &s_info, T0, err, sizeof(err));
	struct vt_recorder *b = vt_recorder_open(s_dir, &s_info, T0 + 500, err, sizeof(err));
	cr_assert_not_null(a);
	cr_assert_not_null(b, "%s", err);
	cr_assert(strstr(vt_recorder_path(b), "chair-1-20261121T100000Z_02.vsr") != NULL, "%s",
	          vt_recorder_path(b));
	s_event(a, T0 + 1, VT_REC_DATA, "A", 1, NULL);
	s_event(b, T0 + 501, VT_REC_DATA, "B", 1, NULL);
	struct ev evs[4];
	cr_assert_eq(s_read_all(vt_recorder_path(a), evs, 4), 1);
	cr_assert_eq(evs[0].bytes[0], 'A');
	cr_assert_eq(s_read_all(vt_recorder_path(b), evs, 4), 1);
	cr_assert_eq(evs[0].bytes[0], 'B');
	vt_recorder_close(&a);
	vt_recorder_close(&b);
}

Test(recorder, odd_bed_names_stay_inside_the_directory)
{
	char err[256];
	struct vt_rec_info info = s_info;
	info.bed = "../chair 2/x";
	struct vt_recorder *r = vt_recorder_open(s_dir, &info, T0, err, sizeof(err));
	cr_assert_not_null(r, "%s", err);
	char want[256];
	snprintf(want, sizeof(want), "%s/_._chair_2_x/_._chair_2_x-20261121T100000Z.vsr", s_dir);
	cr_assert_str_eq(vt_recorder_path(r), want);
	vt_recorder_close(&r);
}

Test(recorder, unwritable_directory_fails_with_a_message)
{
	char file[128], dir[160], err[256] = "";
	snprintf(file, sizeof(file), "%s/plain-file", s_dir);
	FILE *fp = fopen(file, "w");
	fclose(fp);
	snprintf(dir, sizeof(dir), "%s/sessions", file);
	cr_assert_null(vt_recorder_open(dir, &s_info, T0, err, sizeof(err)));
	cr_assert(strstr(err, file) != NULL && strstr(err, "Not a directory") != NULL, "%s", err);
}

Test(recorder, failure_then_recovery_in_a_new_file)
{
	char err[256] = "", bed[128], aside[128], path1[256];
	struct vt_recorder *r = vt_recorder_open(s_dir, &s_info, T0, err, sizeof(err));
	cr_assert_not_null(r, "%s", err);
	s_event(r, T0 + 1, VT_REC_DATA, "one", 3, NULL);
	snprintf(path1, sizeof(path1), "%s", vt_recorder_path(r));

	/* The next file cannot be made: the bed's directory became a file. */
	vt_recorder_set_rotate_bytes(r, 1);
	snprintf(bed, sizeof(bed), "%s/chair-1", s_dir);
	snprintf(aside, sizeof(aside), "%s/aside", s_dir);
	cr_assert_eq(rename(bed, aside), 0);
	fclose(fopen(bed, "w"));
	cr_assert_eq(vt_recorder_event(r, T0 + 2000, VT_REC_DATA, (const uint8_t *)"two", 3, NULL,
	                               err, sizeof(err)), -1);
	cr_assert(strstr(err, bed) != NULL, "%s", err);
	/* Within the second, it says so again without trying. */
	err[0] = '\0';
	cr_assert_eq(vt_recorder_event(r, T0 + 2500, VT_REC_DATA, (const uint8_t *)"three", 5,
	                               NULL, err, sizeof(err)), -1);
	cr_assert(strstr(err, bed) != NULL, "%s", err);

	/* Repaired: the next event after the pause starts a new file. */
	cr_assert_eq(unlink(bed), 0);
	cr_assert_eq(rename(aside, bed), 0);
	vt_recorder_set_rotate_bytes(r, 0);
	s_event(r, T0 + 3100, VT_REC_DATA, "four", 4, NULL);
	cr_assert_str_neq(vt_recorder_path(r), path1);
	vt_recorder_close(&r);

	struct ev evs[4];
	cr_assert_eq(s_read_all(path1, evs, 4), 1);
	char names[8][512];
	cr_assert_eq(s_list(names, 8), 2);
	cr_assert_eq(s_read_all(names[1], evs, 4), 1);
	cr_assert_eq(evs[0].t, T0 + 3100);
	cr_assert_eq(memcmp(evs[0].bytes, "four", 4), 0);
}

Test(recorder, full_disk_leaves_whole_lines)
{
	/* RLIMIT_FSIZE makes writes past a size fail as a full disk would:
	 * first short, then EFBIG. */
	char err[256] = "";
	struct vt_recorder *r = vt_recorder_open(s_dir, &s_info, T0, err, sizeof(err));
	cr_assert_not_null(r, "%s", err);
	char path1[256];
	snprintf(path1, sizeof(path1), "%s", vt_recorder_path(r));
	signal(SIGXFSZ, SIG_IGN);
	struct rlimit rl = {.rlim_cur = 1000, .rlim_max = RLIM_INFINITY};
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	uint8_t chunk[40];
	memset(chunk, 0x5a, sizeof(chunk));
	int ok = 0, i = 0;
	for (; i < 100; i++) {
		if (vt_recorder_event(r, T0 + i, VT_REC_DATA, chunk, sizeof(chunk), NULL, err,
		                      sizeof(err)) != 0)
			break;
		ok++;
	}
	cr_assert_lt(i, 100, "the size limit never hit");
	cr_assert(strstr(err, "write") != NULL, "%s", err);
	struct stat st;
	cr_assert_eq(stat(path1, &st), 0);
	cr_assert_leq(st.st_size, 1000);
	size_t len;
	char *text = s_slurp(path1, &len);
	cr_assert_eq(text[len - 1], '\n', "the failed event left half a line");
	free(text);
	struct ev evs[100];
	cr_assert_eq(s_read_all(path1, evs, 100), (size_t)ok);

	/* Space again: the next event opens a new file and records. */
	rl.rlim_cur = RLIM_INFINITY;
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	s_event(r, T0 + 200, VT_REC_DATA, chunk, sizeof(chunk), NULL);
	cr_assert_str_neq(vt_recorder_path(r), path1);
	vt_recorder_close(&r);
}

Test(recorder, sigkill_loses_nothing_written)
{
	int pfd[2];
	cr_assert_eq(pipe(pfd), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		/* The child records as fast as it can and reports each event. */
		close(pfd[0]);
		char err[256];
		struct vt_recorder *r = vt_recorder_open(s_dir, &s_info, T0, err, sizeof(err));
		if (r == NULL)
			_exit(2);
		for (uint32_t i = 0;; i++) {
			uint8_t chunk[100];
			for (int j = 0; j < 100; j++)
				chunk[j] = (uint8_t)(i + (uint32_t)j);
			if (vt_recorder_event(r, T0 + i, VT_REC_DATA, chunk, sizeof(chunk), NULL, err,
			                      sizeof(err)) != 0)
				_exit(3);
			if (write(pfd[1], &i, sizeof(i)) != sizeof(i))
				_exit(0);
		}
	}
	close(pfd[1]);
	uint32_t acked = 0, i;
	/* Let it write a few hundred events, then kill it mid-stream. */
	while (acked < 300) {
		struct pollfd p = {.fd = pfd[0], .events = POLLIN};
		cr_assert_eq(poll(&p, 1, 10000), 1, "the child stopped writing");
		cr_assert_eq(read(pfd[0], &i, sizeof(i)), sizeof(i));
		acked = i + 1;
	}
	kill(pid, SIGKILL);
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "status %d", status);
	/* Events the child wrote after its last report also count. */
	while (read(pfd[0], &i, sizeof(i)) == sizeof(i))
		acked = i + 1;
	close(pfd[0]);

	char names[4][512];
	cr_assert_eq(s_list(names, 4), 1);
	/* Every line is checked as it comes; there may be tens of thousands. */
	struct vt_diag diag = {0};
	struct vt_session_reader *s = vt_session_open(names[0], &diag);
	cr_assert_not_null(s);
	size_t lines = 0;
	int rc;
	int64_t t;
	enum vt_rec_event ev;
	const uint8_t *data;
	size_t len;
	while ((rc = vt_session_next(s, &t, &ev, &data, &len, &diag)) == 1) {
		/* 100 bytes is two lines (64 + 36) per event. */
		uint32_t ev_i = (uint32_t)(lines / 2);
		cr_assert_eq(ev, VT_REC_DATA);
		cr_assert_eq(t, T0 + ev_i);
		cr_assert_eq(len, lines % 2 ? 36 : 64);
		cr_assert_eq(data[0], (uint8_t)(ev_i + (lines % 2 ? 64 : 0)), "line %zu", lines);
		lines++;
	}
	cr_assert_eq(rc, 0, "the file reads to its end without error");
	cr_assert_geq(lines, 2 * (size_t)acked, "%zu lines for %u events", lines, acked);
	vt_session_close(&s);
}

/* ---- damaged files ---- */

/* A recording of the first format, as vitalsd wrote them before station events. */
#define HDR                                                                                       \
	"# vitalsd session recording\n"                                                            \
	"# version: 0.1.0\n"                                                                       \
	"# bed: chair-1\n"                                                                         \
	"# port: /dev/pts/3\n"                                                                     \
	"# protocol: masimo-ascii\n"                                                               \
	"# baud: 9600\n"                                                                           \
	"# start: 2026-11-21T10:00:00.000Z\n"
/* Events begin on line 8. */
#define HDR2                                                                                      \
	"# vitalsd session recording\n# format: 2\n# version: 0.2.0\n# bed: chair-1\n"             \
	"# port: /dev/pts/3\n# protocol: masimo-ascii\n# baud: 9600\n"                            \
	"# start: 2026-11-21T10:00:00.000Z\n"
/* Events begin on line 9. */

struct bad_case {
	const char *text;    /* the whole file */
	int line, column;    /* where the first diagnostic points */
	const char *message; /* part of its message */
	bool opens;          /* the header is fine: the problem shows in next() */
};

static const struct bad_case s_bad[] = {
	{HDR "0 open\n5 data 81zz\n", 9, 10, "'z' is not a hex digit", true},
	{HDR "0 open\n5 data 8196 1\n", 9, 13, "two hex digits", true},
	{HDR "5 data\n", 8, 7, "at least one byte", true},
	{HDR "0 opened\n", 8, 3, "unknown event 'opened'", true},
	{HDR "0 blink now\n", 8, 3, "unknown event 'blink'", true},
	{HDR "500 open\n200 data 00\n", 9, 1, "time goes backwards: 200 ms after 500 ms on line 8",
	 true},
	{HDR "12open\n", 8, 3, "expected a space", true},
	{HDR "open\n", 8, 1, "expected an event", true},
	{HDR "-5 open\n", 8, 1, "expected an event", true},
	{HDR "1234567890123456 open\n", 8, 1, "too large", true},
	{HDR "0 data 00\x01\n", 8, 10, "byte 0x01 is not a hex digit", true},
	{"# vitalsd session\n0 open\n", 1, 1, "not a vitalsd session recording", false},
	{"", 1, 1, "not a vitalsd session recording", false},
	{"t,spo2,pr\n0,97,72\n", 1, 1, "not a vitalsd session recording", false},
	{"# vitalsd session recording\n# version: 0.1.0\n# bed: a\n# port: p\n# protocol: x\n"
	 "# baud: fast\n# start: 2026-11-21T10:00:00Z\n0 open\n",
	 6, 9, "baud must be a line speed", false},
	{"# vitalsd session recording\n# version: 0.1.0\n# bed: a\n# port: p\n# protocol: x\n"
	 "# baud: 9600\n# start: yesterday\n0 open\n",
	 7, 10, "start must be an RFC 3339 time", false},
	{"# vitalsd session recording\n# version: 0.1.0\n# bed: a\n# bed: b\n# port: p\n"
	 "# protocol: x\n# baud: 9600\n# start: 2026-11-21T10:00:00Z\n",
	 4, 3, "'bed' given twice (first on line 3)", false},
	{"# vitalsd session recording\n# version: 0.1.0\n# bed: a\n# port: p\n# baud: 9600\n"
	 "# start: 2026-11-21T10:00:00Z\n0 open\n",
	 7, 1, "no 'protocol:' line before the first event", false},
	{"# vitalsd session recording\n# version: 0.1.0\n# bed:   \n# port: p\n# protocol: x\n"
	 "# baud: 9600\n# start: 2026-11-21T10:00:00Z\n",
	 3, 10, "'bed' is empty", false},
	/* Station events: only in format 2, and always one JSON object. */
	{HDR "0 open\n5 alert {\"id\":\"x\"}\n", 9, 3, "a 'alert' event in a format-1 recording", true},
	{HDR2 "0 control {\"cmd\":\"ack\",\n", 9, 23, "not JSON", true},
	{HDR2 "0 session [1,2]\n", 9, 11, "expected a JSON object", true},
	{HDR2 "0 config\n", 9, 9, "not JSON", true},
	{"# vitalsd session recording\n# format: 5\n# version: 9.0.0\n# bed: a\n# port: p\n"
	 "# protocol: x\n# baud: 9600\n# start: 2026-11-21T10:00:00Z\n",
	 2, 11, "written in format 5 by a newer vitalsd; this one reads formats 1 to 4", false},
	/* Gap lines: format 4. */
	{HDR2 "0 gap 100 bytes not recorded: over limits.record_bytes_per_second\n", 9, 3,
	 "a 'gap' event in a format-2 recording", true},
	/* Text lines: format 3, and only the known escapes. */
	{HDR2 "0 text SPO2=097\\r\\n\n", 9, 3, "a 'text' event in a format-2 recording", true},
	{"# vitalsd session recording\n# format: two\n# version: 9.0.0\n# bed: a\n# port: p\n"
	 "# protocol: x\n# baud: 9600\n# start: 2026-11-21T10:00:00Z\n",
	 2, 11, "format must be a number", false},
};

/* Workers may be separate processes: pass indexes, not pointers. */
static size_t s_bad_index[sizeof(s_bad) / sizeof(s_bad[0])];

ParameterizedTestParameters(session, damaged_lines_are_positioned)
{
	for (size_t i = 0; i < sizeof(s_bad_index) / sizeof(s_bad_index[0]); i++)
		s_bad_index[i] = i;
	return cr_make_param_array(size_t, s_bad_index,
	                           sizeof(s_bad_index) / sizeof(s_bad_index[0]));
}

ParameterizedTest(size_t *index, session, damaged_lines_are_positioned)
{
	const struct bad_case *c = &s_bad[*index];
	struct vt_diag diag = {0};
	struct vt_session_reader *s = vt_session_open_mem("bad.vsr", c->text, strlen(c->text), &diag);
	if (c->opens) {
		cr_assert_not_null(s, "the header should be fine");
		int rc;
		int64_t t;
		enum vt_rec_event ev;
		const uint8_t *data;
		size_t len;
		while ((rc = vt_session_next(s, &t, &ev, &data, &len, &diag)) == 1)
			;
		cr_assert_eq(rc, -1, "no error reported");
		vt_session_close(&s);
	} else {
		cr_assert_null(s, "the header is bad: no reader");
	}
	cr_assert_geq(diag.count, 1);
	const struct vt_diag_entry *e = &diag.entries[0];
	cr_assert_str_eq(e->file, "bad.vsr");
	cr_assert(strstr(e->message, c->message) != NULL, "message '%s' lacks '%s'", e->message,
	          c->message);
	cr_assert_eq(e->line, c->line, "'%s' on line %d, expected %d", e->message, e->line, c->line);
	cr_assert_eq(e->column, c->column, "'%s' at column %d, expected %d", e->message, e->column,
	             c->column);
	vt_diag_clear(&diag);
}

Test(session, goes_on_after_a_bad_line_and_ignores_comments)
{
	const char *text = HDR "# a note someone added\n"
	                       "0 open\n"
	                       "10 data zz\n"
	                       "\n"
	                       "20 data 0a0b\r\n"
	                       "30 lost\n"
	                       "5 close\n"
	                       "40 close\n";
	struct vt_diag diag = {0};
	struct vt_session_reader *s = vt_session_open_mem("a.vsr", text, strlen(text), &diag);
	cr_assert_not_null(s);
	int64_t t;
	enum vt_rec_event ev = VT_REC_OPEN;
	const uint8_t *data;
	size_t len;
	int rcs[8], n = 0, rc;
	enum vt_rec_event evs[8];
	while ((rc = vt_session_next(s, &t, &ev, &data, &len, &diag)) != 0 && n < 8) {
		evs[n] = ev;
		rcs[n++] = rc;
		if (rc == 1 && ev == VT_REC_DATA) {
			cr_assert_eq(len, 2);
			cr_assert_eq(data[0], 0x0a);
			cr_assert_eq(data[1], 0x0b);
			cr_assert_eq(t, T0 + 20);
		}
		if (rc == 1 && ev == VT_REC_LOST)
			cr_assert_eq(len, 0, "no reason given");
	}
	int want[] = {1, -1, 1, 1, -1, 1};
	cr_assert_eq(n, 6);
	for (int i = 0; i < n; i++)
		cr_assert_eq(rcs[i], want[i], "call %d", i);
	cr_assert_eq(evs[5], VT_REC_CLOSE);
	cr_assert_eq(diag.count, 2);
	cr_assert_eq(diag.entries[0].line, 10);
	cr_assert_eq(diag.entries[1].line, 14);
	vt_session_close(&s);
	vt_diag_clear(&diag);
}

/* A recording made before station events existed reads as it always did. */
Test(session, a_format_1_recording_still_reads)
{
	const char *text = HDR "0 open\n13 data 0a0b\n900 lost gone\n";
	struct vt_diag diag = {0};
	struct vt_session_reader *s = vt_session_open_mem("old.vsr", text, strlen(text), &diag);
	cr_assert_not_null(s);
	cr_assert_eq(vt_session_info(s)->format, 1);
	cr_assert_null(vt_session_info(s)->config_sha256);
	int64_t t;
	enum vt_rec_event ev;
	const uint8_t *data;
	size_t len, n = 0;
	enum vt_rec_event want[] = {VT_REC_OPEN, VT_REC_DATA, VT_REC_LOST};
	int rc;
	while ((rc = vt_session_next(s, &t, &ev, &data, &len, &diag)) == 1) {
		cr_assert_lt(n, 3);
		cr_assert_eq(ev, want[n++]);
	}
	cr_assert_eq(rc, 0);
	cr_assert_eq(n, 3);
	cr_assert_eq(diag.count, 0);
	vt_session_close(&s);
}

Test(session, header_only_and_unknown_fields)
{
	const char *text = HDR "# continues: chair-1-20261121T000000Z.vsr\n# site: ward 4\n";
	struct vt_diag diag = {0};
	struct vt_session_reader *s = vt_session_open_mem("h.vsr", text, strlen(text), &diag);
	cr_assert_not_null(s);
	int64_t t;
	enum vt_rec_event ev;
	const uint8_t *data;
	size_t len;
	cr_assert_eq(vt_session_next(s, &t, &ev, &data, &len, &diag), 0);
	cr_assert_eq(vt_session_next(s, &t, &ev, &data, &len, &diag), 0);
	cr_assert_str_eq(vt_session_info(s)->protocol, "masimo-ascii");
	cr_assert_eq(diag.count, 0);
	vt_session_close(&s);
}

/*
 * A port that delivers more than its bounds: bytes over the rate (a bucket
 * of VT_RECORDER_BURST_S seconds) or over the day's bytes are not written;
 * the next event says how many in a `gap` line at their place; the bound
 * holds for VT_RECORDER_LIMITED_MS after the last of them; a new UTC day
 * starts a new day's allowance.
 */
Test(recorder, bounds_keep_a_flood_off_the_disk_and_say_what_is_missing)
{
	char err[256];
	struct vt_recorder *r = vt_recorder_open(s_dir, &s_info, T0, err, sizeof(err));
	cr_assert_not_null(r, "%s", err);
	struct vt_rec_limits lim = {.bytes_per_second = 1000, .bytes_per_day = 20000};
	vt_recorder_set_limits(r, &lim);
	static uint8_t block[3000];
	memset(block, 0x5a, sizeof(block));
	s_event(r, T0, VT_REC_OPEN, NULL, 0, NULL);
	s_event(r, T0 + 1, VT_REC_DATA, block, 3000, NULL); /* within the 4000-byte burst */
	cr_expect_eq(vt_recorder_event(r, T0 + 2, VT_REC_DATA, block, 2000, NULL, err, sizeof(err)), 1,
	             "2000 bytes more than the 1000 left were kept");
	cr_expect_eq(vt_recorder_event(r, T0 + 3, VT_REC_DATA, block, 1500, NULL, err, sizeof(err)), 1);
	const char *why;
	cr_expect(vt_recorder_limited(r, T0 + 3, &why));
	cr_expect_str_eq(why, "over limits.record_bytes_per_second");
	/* Two seconds later 1000 + 2000 are allowed again. */
	s_event(r, T0 + 2003, VT_REC_DATA, block, 500, NULL);
	cr_expect(vt_recorder_limited(r, T0 + 3 + VT_RECORDER_LIMITED_MS - 1, NULL));
	cr_expect(!vt_recorder_limited(r, T0 + 3 + VT_RECORDER_LIMITED_MS, NULL), "the bound held");
	char path[256];
	snprintf(path, sizeof(path), "%s", vt_recorder_path(r));

	struct ev evs[64];
	size_t n = s_read_all(path, evs, 64);
	size_t data = 0, gaps = 0;
	for (size_t i = 0; i < n; i++) {
		if (evs[i].ev == VT_REC_DATA)
			data += evs[i].len;
		if (evs[i].ev == VT_REC_GAP) {
			gaps++;
			cr_expect_eq(evs[i].t, T0 + 2003, "the gap is told where the data resumes");
			evs[i].bytes[evs[i].len] = '\0';
			cr_expect_str_eq((char *)evs[i].bytes,
			                 "3500 bytes not recorded: over limits.record_bytes_per_second");
		}
	}
	cr_expect_eq(data, 3500, "%zu bytes kept", data);
	cr_expect_eq(gaps, 1);

	/* The day's bytes: 20,000, then nothing more until the next UTC day. */
	lim.bytes_per_second = 0;
	vt_recorder_set_limits(r, &lim);
	int64_t t = T0 + 5000;
	int kept = 0, refused = 0;
	for (int i = 0; i < 10; i++, t += 1000) {
		int rc = vt_recorder_event(r, t, VT_REC_DATA, block, 3000, NULL, err, sizeof(err));
		kept += rc == 0;
		refused += rc == 1;
	}
	cr_expect_eq(kept, 5, "3500 + 5 x 3000 = 18,500 fit in 20,000 bytes a day");
	cr_expect_eq(refused, 5);
	cr_expect(vt_recorder_limited(r, t, &why));
	cr_expect_str_eq(why, "over limits.record_bytes_per_day");
	cr_expect_eq(vt_recorder_event(r, T0 + 86400000, VT_REC_DATA, block, 3000, NULL, err,
	                               sizeof(err)),
	             0, "a new day, a new allowance");
	vt_recorder_close(&r);
}
