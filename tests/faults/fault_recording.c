/*
 * Fault: the recordings can no longer be written: the disk is full, or the
 * file system went read-only (an ext4 error, a full audit partition
 * remounted). Monitoring must go on as if nothing happened, and somebody
 * must be told: the `recording-failed` technical alarm. As root the test
 * gives the daemon a 64 KiB tmpfs as its record_dir:
 *   1. read-only from the start: recording-failed is raised when the port
 *      connects; vitals flow and a low SpO2 still raises spo2-low;
 *   2. made writable: recording-failed clears (the recorder retries every
 *      10 s) and vitals never stopped;
 *   3. filled up by the recording itself (a filler file takes all but 4 KiB
 *      first, so it fills in seconds however slowly the test feeds it):
 *      recording-failed is raised again (a new instance), vitals flow,
 *      spo2-low is raised again;
 *   4. space freed: it clears again.
 * Without the right to mount, the disk-full half is done with a file size
 * limit on the daemon (prlimit RLIMIT_FSIZE, SIGXFSZ ignored) and the
 * read-only half is skipped, saying so (VT_FAULT_NO_MOUNT=1 forces that
 * path). Pass: each step within 20 s, with
 * vitals still arriving at every step and the daemon alive at the end.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zmq.h>

#include "../support/support.h"

#define STEP_MS 20000

struct feed {
	struct vt_rig_pty *pty;
	void *sub;
	int bpm;          /* changes on every line, so each makes a vitals message */
	int spo2;
	long vitals;      /* vitals messages seen */
};

/*
 * Send a Masimo line every 50 ms and read messages until an alert whose
 * body holds both needles arrives. False after timeout_ms.
 */
static bool
s_feed_until(struct feed *f, const char *a, const char *b, int timeout_ms)
{
	int64_t end = vt_rig_now_ms() + timeout_ms, next_line = 0;
	char topic[128], body[8192];
	while (vt_rig_now_ms() < end) {
		if (vt_rig_now_ms() >= next_line) {
			char line[256];
			f->bpm = f->bpm >= 119 ? 60 : f->bpm + 1;
			int n = vt_rig_masimo_line(line, sizeof(line), f->spo2, f->bpm);
			if (vt_rig_pty_write(f->pty, line, (size_t)n) != 0)
				return false;
			next_line = vt_rig_now_ms() + 50;
		}
		if (vt_rig_recv(f->sub, topic, sizeof(topic), body, sizeof(body), 20) < 0)
			continue;
		f->vitals += strncmp(topic, "vitals.", 7) == 0;
		if (strncmp(topic, "alert.", 6) == 0 && strstr(body, a) && strstr(body, b))
			return true;
	}
	return false;
}

/* Empty a directory tree's files (not the directories). */
static void
s_delete_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d != NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char path[600];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (unlink(path) != 0 && errno == EISDIR)
			s_delete_files(path);
	}
	if (d != NULL)
		closedir(d);
}

/* Take all but `leave` bytes of the file system under dir with dir/filler. */
static void
s_fill(const char *dir, long long leave)
{
	struct statvfs vfs;
	cr_assert_eq(statvfs(dir, &vfs), 0);
	long long fill = (long long)vfs.f_bavail * (long long)vfs.f_frsize - leave;
	char path[600];
	snprintf(path, sizeof(path), "%s/filler", dir);
	FILE *fp = fopen(path, "w");
	cr_assert_not_null(fp, "%s: %s", path, strerror(errno));
	static const char zeros[4096];
	while (fill > 0) {
		size_t n = fill < (long long)sizeof(zeros) ? (size_t)fill : sizeof(zeros);
		if (fwrite(zeros, 1, n, fp) != n)
			break; /* full already: the recording grew meanwhile */
		fill -= (long long)n;
	}
	fclose(fp);
}

/*
 * Vitals still flowing: ten more (half a second of lines) within 10 s. A
 * count, not a rate, so a machine that stalls the test for a moment does
 * not count as the daemon stopping.
 */
static void
s_expect_vitals(struct feed *f, const char *when)
{
	long before = f->vitals;
	int64_t end = vt_rig_now_ms() + 10000;
	while (f->vitals < before + 10 && vt_rig_now_ms() < end)
		s_feed_until(f, "\"no-such-alert\"", "", 100);
	cr_expect_geq(f->vitals, before + 10, "%s: vitals stopped (%ld in 10 s)", when,
	              f->vitals - before);
}

Test(fault_recording, recording_dir_unwritable_or_full, .timeout = 180)
{
	struct vt_rig_bed b;
	cr_assert_eq(vt_rig_bed_open(&b, "fault-recording", "masimo-ascii", NULL, true), 0);
	/* VT_FAULT_NO_MOUNT=1 takes the path of a machine where mounting is not allowed. */
	errno = EPERM;
	bool mounted = getenv("VT_FAULT_NO_MOUNT") == NULL &&
	               mount("tmpfs", b.rec, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0750") == 0;
	if (mounted)
		cr_assert_eq(mount(NULL, b.rec, NULL, MS_REMOUNT | MS_RDONLY, "size=64k"), 0,
		             "remount read-only: %s", strerror(errno));
	else
		cr_log_warn("cannot mount a tmpfs (%s): the read-only case is skipped and the full "
		            "disk is a file size limit",
		            strerror(errno));
	signal(SIGXFSZ, SIG_IGN); /* inherited: a write past the limit fails with EFBIG */
	struct vt_rig_daemon d;
	cr_assert_eq(vt_rig_daemon_start(&d, b.dir, b.extra, b.monitors,
	                                 "  - {name: spo2-low, parameter: spo2, below: 90}\n"), 0);
	struct feed f = {.pty = &b.pty, .sub = vt_rig_sub(d.pub, "", 0), .bpm = 60, .spo2 = 97};
	cr_assert(vt_rig_wait_msg(f.sub, "heartbeat", NULL, 3000));

	if (mounted) {
		/* 1. Read-only from the start: raised at the first event (the port opened
		 * before we subscribed; the snapshot has it). */
		char *snap = vt_rig_request(d.ctl, "{\"cmd\":\"snapshot\"}", 2000);
		cr_assert_not_null(snap);
		cr_expect(strstr(snap, "chair-1/recording-failed/1") != NULL,
		          "read-only record_dir: no recording-failed: %.400s", snap);
		free(snap);
		s_expect_vitals(&f, "read-only");
		f.spo2 = 85;
		cr_expect(s_feed_until(&f, "\"spo2-low\"", "\"raised\"", 5000),
		          "read-only: no spo2-low alarm");
		f.spo2 = 97;
		cr_expect(s_feed_until(&f, "\"spo2-low\"", "\"cleared\"", 5000));

		/* 2. Writable again: cleared at the recorder's next attempt. */
		cr_assert_eq(mount(NULL, b.rec, NULL, MS_REMOUNT, "size=64k"), 0);
		cr_expect(s_feed_until(&f, "recording-failed/1", "\"cleared\"", STEP_MS),
		          "writable again: recording-failed not cleared");
		s_expect_vitals(&f, "writable again");
	} else {
		s_expect_vitals(&f, "at start");
	}

	/* 3. Full: the recording fills the tmpfs (or meets the file size limit). */
	if (mounted)
		s_fill(b.rec, 4096);
	if (!mounted) {
		struct rlimit lim = {.rlim_cur = 1, .rlim_max = RLIM_INFINITY};
		if (prlimit(d.proc.pid, RLIMIT_FSIZE, &lim, NULL) != 0) {
			vt_rig_daemon_stop(&d);
			cr_skip_test("cannot mount a tmpfs nor limit the daemon's file size: %s",
			             strerror(errno));
		}
	}
	const char *id = mounted ? "recording-failed/2" : "recording-failed/1";
	cr_expect(s_feed_until(&f, id, "\"raised\"", STEP_MS * 3), "full: no recording-failed");
	s_expect_vitals(&f, "full");
	f.spo2 = 85;
	cr_expect(s_feed_until(&f, "\"spo2-low\"", "\"raised\"", 5000), "full: no spo2-low alarm");
	f.spo2 = 97;

	/* 4. Space again. */
	if (mounted) {
		s_delete_files(b.rec);
	} else {
		struct rlimit lim = {.rlim_cur = RLIM_INFINITY, .rlim_max = RLIM_INFINITY};
		cr_assert_eq(prlimit(d.proc.pid, RLIMIT_FSIZE, &lim, NULL), 0);
	}
	cr_expect(s_feed_until(&f, id, "\"cleared\"", STEP_MS), "space again: not cleared");
	s_expect_vitals(&f, "space again");
	cr_assert(vt_rig_ping(d.ctl, 2000), "the daemon does not answer");

	zmq_close(f.sub);
	int st = vt_rig_daemon_stop(&d);
	cr_expect_eq(st, 0, "vitalsd did not stop cleanly (%d)", st);
	if (mounted)
		umount2(b.rec, MNT_DETACH);
	vt_rig_zctx_term();
	vt_rig_bed_close(&b);
}
