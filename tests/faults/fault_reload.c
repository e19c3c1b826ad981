/*
 * Fault: an administrator reloading again and again while editing the
 * configuration, half the time saving a broken file. A reload must never
 * stop monitoring (docs/operations.md): a good file takes effect without touching
 * unchanged ports, a bad one changes nothing. 100 SIGHUPs in a row, each
 * with a different file: good ones that add and remove a bed, change and
 * add rules; bad ones with an unknown key, a YAML syntax error, an empty
 * file, a duplicate bed, a rule for a bed that does not exist. chair-1
 * sends a Masimo line every 50 ms throughout.
 *
 * Pass: every reload is answered in the log (reloaded or failed) within
 * 5 s; the daemon stays up; chair-1's vitals never pause for more than a
 * second and seq has no gap; with the same configuration in force, the
 * daemon's descriptors after the 100 reloads are what they were after the
 * first 10 and its RSS within 2 MB.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <zmq.h>

#include "../support/support.h"

#define RELOADS 100

struct ctx {
	char dir[128], log[320];
	struct vt_rig_pty pty[3];
	int pub, ctl;
	void *sub;
	int bpm;
	int64_t last_vitals;      /* chair-1's latest vitals message */
	int64_t worst_pause;      /* longest wait between two of them */
	uint64_t last_seq;
	long gaps;
};

static const char *const s_bad[] = {
    "monitors:\n  - {bed: chair-1, port: %s, protocol: masimo-ascii, colour: red}\nrules: []\n",
    "monitors:\n  - {bed: chair-1, port: %s, protocol: masimo-ascii}\nrules: [\n  - {name: x\n",
    "",
    "monitors:\n  - {bed: chair-1, port: %s, protocol: masimo-ascii}\n"
    "  - {bed: chair-1, port: /dev/null, protocol: masimo-ascii}\nrules: []\n",
    "monitors:\n  - {bed: chair-1, port: %s, protocol: masimo-ascii}\n"
    "rules:\n  - {name: r, parameter: spo2, below: 90, beds: [chair-9]}\n",
};

/* Write variant v: even numbers are good files, odd ones bad. */
static void
s_write_config(struct ctx *c, int v)
{
	char text[4096];
	size_t n = (size_t)snprintf(text, sizeof(text),
	                            "publish: tcp://127.0.0.1:%d\ncontrol: tcp://127.0.0.1:%d\n",
	                            c->pub, c->ctl);
	const char *p1 = c->pty[0].link, *p2 = c->pty[1].link, *p3 = c->pty[2].link;
	if (v % 2 == 1) {
		const char *bad = s_bad[(v / 2) % (sizeof(s_bad) / sizeof(s_bad[0]))];
		if (bad[0] == '\0')
			n = 0; /* an empty file */
		else
			snprintf(text + n, sizeof(text) - n, bad, p1);
	} else {
		switch ((v / 2) % 3) {
		case 0:
			snprintf(text + n, sizeof(text) - n,
			         "monitors:\n  - {bed: chair-1, port: %s, protocol: masimo-ascii}\n"
			         "  - {bed: chair-2, port: %s, protocol: masimo-ascii}\n"
			         "rules:\n  - {name: spo2-low, parameter: spo2, below: 90}\n",
			         p1, p2);
			break;
		case 1:
			snprintf(text + n, sizeof(text) - n,
			         "monitors:\n  - {bed: chair-1, port: %s, protocol: masimo-ascii}\n"
			         "rules:\n  - {name: spo2-low, parameter: spo2, below: 88}\n"
			         "  - {name: pr-high, parameter: pr, above: 120, for: 10s}\n",
			         p1);
			break;
		default:
			snprintf(text + n, sizeof(text) - n,
			         "monitors:\n  - {bed: chair-1, port: %s, protocol: masimo-ascii}\n"
			         "  - {bed: chair-2, port: %s, protocol: masimo-ascii}\n"
			         "  - {bed: chair-3, port: %s, protocol: masimo-ascii}\n"
			         "rules:\n  - {name: spo2-low, parameter: spo2, below: 90}\n"
			         "  - {name: spo2-falling, parameter: spo2, falls_by: 4, within: 60s}\n",
			         p1, p2, p3);
			break;
		}
	}
	cr_assert_eq(vt_rig_write_file(c->dir, "vitalsd.yaml", n ? text : "", NULL, 0), 0);
}

/* Reload lines in the daemon's log so far. */
static int
s_reloads_logged(const char *log)
{
	FILE *fp = fopen(log, "r");
	int n = 0;
	char line[1024];
	while (fp != NULL && fgets(line, sizeof(line), fp) != NULL)
		n += strstr(line, "configuration reloaded") != NULL ||
		     strstr(line, "reload failed") != NULL;
	if (fp != NULL)
		fclose(fp);
	return n;
}

/* Feed chair-1 and watch the messages for `ms`. */
static void
s_run_for(struct ctx *c, int ms)
{
	int64_t end = vt_rig_now_ms() + ms;
	static int64_t next_line;
	char topic[128], body[8192];
	while (vt_rig_now_ms() < end) {
		int64_t now = vt_rig_now_ms();
		if (now >= next_line) {
			char line[256];
			c->bpm = c->bpm >= 119 ? 60 : c->bpm + 1;
			int n = vt_rig_masimo_line(line, sizeof(line), 97, c->bpm);
			cr_assert_eq(vt_rig_pty_write(&c->pty[0], line, (size_t)n), 0);
			next_line = now + 50;
		}
		if (vt_rig_recv(c->sub, topic, sizeof(topic), body, sizeof(body), 10) < 0)
			continue;
		uint64_t seq = vt_rig_seq(body);
		c->gaps += c->last_seq != 0 && seq != c->last_seq + 1;
		c->last_seq = seq;
		if (strcmp(topic, "vitals.chair-1") == 0) {
			now = vt_rig_now_ms();
			if (c->last_vitals != 0 && now - c->last_vitals > c->worst_pause)
				c->worst_pause = now - c->last_vitals;
			c->last_vitals = now;
		}
	}
}

/* Put variant v in place, SIGHUP, and wait for the log to answer. */
static void
s_reload(struct ctx *c, pid_t pid, int v)
{
	int before = s_reloads_logged(c->log);
	s_write_config(c, v);
	cr_assert_eq(kill(pid, SIGHUP), 0, "the daemon is gone");
	int64_t end = vt_rig_now_ms() + 5000;
	while (s_reloads_logged(c->log) == before) {
		cr_assert_lt(vt_rig_now_ms(), end, "reload %d (variant %d) not answered", before, v);
		s_run_for(c, 20);
	}
}

Test(fault_reload, a_hundred_reloads_good_and_bad, .timeout = 300)
{
	struct ctx c = {.bpm = 60};
	cr_assert_eq(vt_rig_tmpdir(c.dir, sizeof(c.dir), "fault-reload"), 0);
	snprintf(c.log, sizeof(c.log), "%s/vitalsd.log", c.dir);
	for (int i = 0; i < 3; i++) {
		char link[200];
		snprintf(link, sizeof(link), "%s/chair-%d", c.dir, i + 1);
		cr_assert_eq(vt_rig_pty_open(&c.pty[i], link), 0);
	}
	/* Started on variant 0; s_write_config keeps its ports for the rest. */
	char mons[1200];
	snprintf(mons, sizeof(mons),
	         "  - {bed: chair-1, port: %s, protocol: masimo-ascii}\n"
	         "  - {bed: chair-2, port: %s, protocol: masimo-ascii}\n",
	         c.pty[0].link, c.pty[1].link);
	struct vt_rig_daemon d;
	cr_assert_eq(vt_rig_daemon_start(&d, c.dir, NULL, mons,
	                                 "  - {name: spo2-low, parameter: spo2, below: 90}\n"),
	             0);
	c.pub = d.pub_port;
	c.ctl = d.ctl_port;
	c.sub = vt_rig_sub(d.pub, "", 0);
	cr_assert(vt_rig_wait_msg(c.sub, "heartbeat", NULL, 3000));
	s_run_for(&c, 500);
	c.worst_pause = 0;

	struct vt_rig_proc base = {0}, end;
	for (int i = 0; i < RELOADS; i++) {
		s_reload(&c, d.proc.pid, i);
		s_run_for(&c, 30);
		if (i == 9) {
			/* The first configuration again, settled: the reference point. */
			s_reload(&c, d.proc.pid, 0);
			s_run_for(&c, 500);
			cr_assert_eq(vt_rig_proc(d.proc.pid, &base), 0);
		}
	}
	s_reload(&c, d.proc.pid, 0);
	s_run_for(&c, 500);
	cr_assert_eq(vt_rig_proc(d.proc.pid, &end), 0, "the daemon died");
	cr_assert(vt_rig_ping(d.ctl, 2000), "the daemon does not answer");

	cr_expect_lt(c.worst_pause, 1000, "chair-1's vitals paused for %lld ms",
	             (long long)c.worst_pause);
	cr_expect_eq(c.gaps, 0, "%ld gaps in seq", c.gaps);
	cr_expect_leq(end.fds, base.fds, "descriptors: %d after 10 reloads, %d after %d", base.fds,
	              end.fds, RELOADS);
	cr_expect_lt(end.rss_kb - base.rss_kb, 2048, "RSS: %ld kB after 10 reloads, %ld after %d",
	             base.rss_kb, end.rss_kb, RELOADS);
	int reloaded = 0, failed = 0;
	FILE *fp = fopen(c.log, "r");
	char line[1024];
	while (fp != NULL && fgets(line, sizeof(line), fp) != NULL) {
		reloaded += strstr(line, "configuration reloaded") != NULL;
		failed += strstr(line, "reload failed") != NULL;
	}
	if (fp != NULL)
		fclose(fp);
	cr_expect_eq(reloaded + failed, RELOADS + 2);
	cr_expect_eq(failed, RELOADS / 2, "%d reloads failed, expected the %d bad files", failed,
	             RELOADS / 2);
	cr_log_info("%d reloads (%d good, %d bad); longest pause in chair-1's vitals %lld ms; fds "
	            "%d -> %d; RSS %ld -> %ld kB",
	            reloaded + failed, reloaded, failed, (long long)c.worst_pause, base.fds, end.fds,
	            base.rss_kb, end.rss_kb);
	zmq_close(c.sub);
	int st = vt_rig_daemon_stop(&d);
	cr_expect_eq(st, 0, "vitalsd did not stop cleanly (%d)", st);
	for (int i = 0; i < 3; i++)
		vt_rig_pty_close(&c.pty[i]);
	vt_rig_zctx_term();
	vt_rig_rmtree(c.dir);
}
