/*
 * Compression and retention of recordings (docs/recording.md,
 * "Compression and retention"; tools/archive.c): closed files are
 * compressed and still replay to the same alerts; retention deletes what is
 * older than the limit and nothing newer, then the oldest while the total
 * is too big; a file the recorder holds is never touched.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/support.h"
#include "vitals/emulator/encode.h"
#include "vitals/io/recorder.h"
#include "vitals/tools/archive.h"

#define DAY_MS (86400 * 1000LL)
static const int64_t NOW = 1795000000000;

/* A file dir/bed/name of `size` bytes last written `age_ms` before NOW. */
static void
s_file(const char *dir, const char *name, size_t size, int64_t age_ms)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/chair-1", dir);
	mkdir(path, 0750);
	snprintf(path, sizeof(path), "%s/chair-1/%s", dir, name);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	for (size_t i = 0; i < size; i++)
		fputc("# vitalsd session recording\n"[i % 28], f);
	fclose(f);
	int64_t t = NOW - age_ms;
	struct timespec ts[2] = {{t / 1000, (t % 1000) * 1000000}, {t / 1000, (t % 1000) * 1000000}};
	cr_assert_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static bool
s_exists(const char *dir, const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/chair-1/%s", dir, name);
	return access(path, F_OK) == 0;
}

Test(archive, retention_removes_what_is_older_and_nothing_newer)
{
	char dir[128];
	cr_assert_eq(vt_rig_tmpdir(dir, sizeof(dir), "archive"), 0);
	s_file(dir, "chair-1-a.vsr.gz", 1000, 31 * DAY_MS);          /* older than 30 days */
	s_file(dir, "chair-1-b.vsr", 1000, 30 * DAY_MS + 60000);      /* older, not compressed yet */
	s_file(dir, "chair-1-c.vsr.gz", 1000, 30 * DAY_MS - 60000);   /* a minute younger: stays */
	s_file(dir, "chair-1-d.vsr", 5000, DAY_MS);                   /* yesterday: compressed */
	s_file(dir, "chair-1-e.vsr", 1000, 90 * DAY_MS);              /* old, but being written */
	s_file(dir, "notes.txt", 10, 400 * DAY_MS);                   /* not a recording */
	s_file(dir, "chair-1-f.vsr.gz.tmp", 10, 2 * DAY_MS);          /* a crashed run's */
	char held[512];
	snprintf(held, sizeof(held), "%s/chair-1/chair-1-e.vsr", dir);
	int fd = open(held, O_WRONLY | O_APPEND);
	cr_assert_eq(flock(fd, LOCK_EX | LOCK_NB), 0, "the recorder's lock");

	struct vt_archive_policy p = {.compress = true, .max_age_ms = 30 * DAY_MS};
	struct vt_archive_report r;
	cr_assert_eq(vt_archive_run(dir, &p, NOW, &r, stderr), 0);
	cr_expect_not(s_exists(dir, "chair-1-a.vsr.gz"), "older than the limit: deleted");
	cr_expect_not(s_exists(dir, "chair-1-b.vsr") || s_exists(dir, "chair-1-b.vsr.gz"),
	              "older than the limit: deleted, compressed or not");
	cr_expect(s_exists(dir, "chair-1-c.vsr.gz"), "a minute within the limit: kept");
	cr_expect(s_exists(dir, "chair-1-d.vsr.gz") && !s_exists(dir, "chair-1-d.vsr"),
	          "closed and young: compressed");
	cr_expect(s_exists(dir, "chair-1-e.vsr") && !s_exists(dir, "chair-1-e.vsr.gz"),
	          "the file being written is neither compressed nor deleted");
	cr_expect(s_exists(dir, "notes.txt"), "only recordings are touched");
	cr_expect_not(s_exists(dir, "chair-1-f.vsr.gz.tmp"), "a stale .tmp is cleaned up");
	cr_expect_eq(r.deleted, 2);
	cr_expect_eq(r.compressed, 2, "b, then deleted by age, and d");
	cr_expect_eq(r.open, 1);
	cr_expect_eq(r.failed, 0);

	/* Compressed, it keeps its age: the next run deletes nothing more. */
	struct stat st;
	char path[512];
	snprintf(path, sizeof(path), "%s/chair-1/chair-1-d.vsr.gz", dir);
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_eq((int64_t)st.st_mtim.tv_sec, (NOW - DAY_MS) / 1000);
	cr_assert_eq(vt_archive_run(dir, &p, NOW, &r, stderr), 0);
	cr_expect_eq(r.deleted + r.compressed, 0);

	/* By size: the oldest closed files go until the rest fits; the held one stays. */
	s_file(dir, "chair-1-g.vsr.gz", 4000, 3 * DAY_MS);
	s_file(dir, "chair-1-h.vsr.gz", 4000, 2 * DAY_MS);
	uint64_t before = 0;
	cr_assert_eq(vt_archive_run(dir, &(struct vt_archive_policy){0}, NOW, &r, stderr), 0);
	before = r.bytes_before;
	struct vt_archive_policy small = {.max_total = before - 1000};
	cr_assert_eq(vt_archive_run(dir, &small, NOW, &r, stderr), 0);
	cr_expect_leq(r.bytes_after, small.max_total);
	cr_expect_eq(r.deleted, 1, "one file was enough");
	cr_expect_not(s_exists(dir, "chair-1-c.vsr.gz"), "the oldest closed one went first");
	cr_expect(s_exists(dir, "chair-1-g.vsr.gz") && s_exists(dir, "chair-1-h.vsr.gz"));
	cr_expect(s_exists(dir, "chair-1-e.vsr"), "never the one being written");
	close(fd);
	vt_rig_rmtree(dir);
}

/* A recorded desaturation, through the real recorder: masimo lines once a second. */
static void
s_record_session(const char *dir)
{
	struct vt_rec_info info = {.bed = "chair-1", .port = "/dev/vitals-test-1",
	                           .protocol = "masimo-ascii", .baud = 9600};
	char err[256];
	struct vt_recorder *rec = vt_recorder_open(dir, &info, NOW, err, sizeof(err));
	cr_assert_not_null(rec, "%s", err);
	cr_assert_eq(vt_recorder_event(rec, NOW, VT_REC_OPEN, NULL, 0, NULL, err, sizeof(err)), 0);
	const struct vt_encoder *e = vt_encoder_find("masimo-ascii");
	uint8_t state[VT_ENCODE_STATE_MAX], buf[VT_ENCODE_MAX];
	e->reset(state, NULL);
	for (int i = 1; i <= 120; i++) {
		struct vt_reading rd = {0};
		vt_reading_set(&rd, VT_SPO2, i > 30 && i < 80 ? 85 : 97);
		vt_reading_set(&rd, VT_PR, 72);
		int64_t t = NOW + i * 1000;
		size_t n = e->encode(state, &rd, t, buf, sizeof(buf));
		cr_assert_eq(vt_recorder_event(rec, t, VT_REC_DATA, buf, n, NULL, err, sizeof(err)), 0);
	}
	cr_assert_eq(vt_recorder_event(rec, NOW + 121000, VT_REC_CLOSE, NULL, 0, "test", err,
	                               sizeof(err)), 0);
	vt_recorder_close(&rec);
}

static char *
s_replay(const char *recording)
{
	char spec[600];
	snprintf(spec, sizeof(spec), "chair-1=%s", recording);
	char *argv[] = {(char *)vt_rig_build("vitalsd"), "-c",
	                (char *)vt_rig_root("tests/data/replay.yaml"), "--replay", spec, NULL};
	struct vt_rig_output r;
	cr_assert_geq(vt_rig_run(argv, &r), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	char *out = r.out;
	r.out = NULL;
	vt_rig_output_free(&r);
	return out;
}

Test(archive, a_compressed_recording_replays_to_the_same_alerts, .timeout = 60)
{
	char dir[128];
	cr_assert_eq(vt_rig_tmpdir(dir, sizeof(dir), "archive"), 0);
	s_record_session(dir);
	char plain[512], gz[520];
	snprintf(plain, sizeof(plain), "%s/chair-1/chair-1-20261118T110640Z.vsr", dir);
	cr_assert_eq(access(plain, R_OK), 0, "where the recorder writes: %s", plain);
	char *want = s_replay(plain);
	cr_assert(strstr(want, "\"chair-1/spo2-low/1\",\"event\":\"raised\"") != NULL,
	          "the recording raises an alarm:\n%s", want);

	struct vt_archive_policy p = {.compress = true};
	struct vt_archive_report r;
	cr_assert_eq(vt_archive_run(dir, &p, NOW + 200000, &r, stderr), 0);
	cr_assert_eq(r.compressed, 1);
	snprintf(gz, sizeof(gz), "%s.gz", plain);
	cr_assert_eq(access(gz, R_OK), 0);
	cr_expect_neq(access(plain, F_OK), 0, "the plain file is gone");
	struct stat st;
	cr_assert_eq(stat(gz, &st), 0);
	cr_expect_lt(st.st_size, 120 * 127, "smaller than the bytes it holds");
	char *got = s_replay(gz);
	cr_expect_str_eq(got, want, "the same messages, byte for byte");
	free(want);
	free(got);
	vt_rig_rmtree(dir);
}
