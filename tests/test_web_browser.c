/*
 * The web station as a nurse uses it, in Debian's headless Chromium
 * (driven by tests/web/station.test.mjs through puppeteer-core): three
 * chairs as in the demo, each a monitor on a pty fed by a thread here, and
 * a fourth whose HL7 monitor sends a blood pressure it measured 12 minutes
 * before; a real vitalsd, a real vitals-web. The browser script asks, this
 * side does and answers: send the blood pressure, raise an alarm and say
 * when the daemon published it,
 * confirm the daemon's acknowledged event carries the nurse's name,
 * confirm the forged requests changed nothing at the daemon, kill the
 * daemon, and put a hostile publisher on its endpoints. The screenshot of
 * the page with its alarm is left in the build directory (docs/ keeps a
 * reviewed copy). One browser start for everything.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "support/support.h"
#include "support/web.h"

#define CHROMIUM "/usr/bin/chromium"
#define RULES                                                                                  \
	"  - name: spo2-low\n    parameter: spo2\n    below: 90\n    clear_at: 92\n"              \
	"    priority: high\n"
/* What the hostile publisher sends as a bed name and in an alarm text, and as JSON. */
#define HOSTILE "<img src=x onerror=\"window.__pwned=true\">"
#define HOSTILE_JSON "<img src=x onerror=\\\"window.__pwned=true\\\">"

static struct vt_rig_pty ptys_[3];
static atomic_int spo2_[3] = {97, 98, 96};
static atomic_bool feeding_;
static pthread_t feeder_;
static atomic_bool hostile_on_;
static pthread_t hostile_;
static char pub_[64], ctl_[64];

/* The three monitors: a Masimo line each every 300 ms. */
static void *
s_feed(void *arg)
{
	static const int pulse[3] = {72, 88, 64};
	while (atomic_load(&feeding_)) {
		for (int i = 0; i < 3; i++) {
			char line[256];
			int n = vt_rig_masimo_line(line, sizeof(line), atomic_load(&spo2_[i]), pulse[i]);
			vt_rig_pty_write(&ptys_[i], line, (size_t)n);
		}
		vt_rig_sleep_ms(300);
	}
	return NULL;
}

static int64_t
s_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * A publisher no nurse should trust: on the daemon's endpoints, a bed and
 * an alarm whose name and text are markup, answering snapshots with them.
 */
static void *
s_hostile(void *arg)
{
	void *ctx = zmq_ctx_new();
	void *pub = zmq_socket(ctx, ZMQ_PUB), *router = zmq_socket(ctx, ZMQ_ROUTER);
	int zero = 0;
	zmq_setsockopt(pub, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(router, ZMQ_LINGER, &zero, sizeof(zero));
	/* The killed daemon's ports may take a moment to come free. */
	for (int i = 0; i < 50 && zmq_bind(pub, pub_) != 0; i++)
		vt_rig_sleep_ms(100);
	for (int i = 0; i < 50 && zmq_bind(router, ctl_) != 0; i++)
		vt_rig_sleep_ms(100);
	const char *inst = "ffffffffffffffffffffffffffffffff";
	char alert[1024], vitals[512], snap[4096], hb[256];
	long seq = 0;
	while (atomic_load(&hostile_on_)) {
		char t[64];
		time_t now = time(NULL);
		strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S.000Z", gmtime(&now));
		snprintf(alert, sizeof(alert),
		         "{\"v\":1,\"type\":\"alert\",\"seq\":%ld,\"time\":\"%s\",\"instance\":\"%s\",\"bed\":"
		         "\"%s\",\"id\":\"x/y/1\",\"event\":\"raised\",\"rule\":\"y\",\"kind\":\"physiological\","
		         "\"priority\":\"high\",\"parameter\":\"spo2\",\"value\":80,\"limit\":90,\"onset\":\"%s\","
		         "\"acknowledged\":false,\"silenced_until\":null,\"text\":\"%s\"}",
		         seq + 1, t, inst, HOSTILE_JSON, t, "SpO2 80 % " HOSTILE_JSON);
		snprintf(vitals, sizeof(vitals),
		         "{\"v\":1,\"type\":\"vitals\",\"seq\":%ld,\"time\":\"%s\",\"instance\":\"%s\",\"bed\":"
		         "\"%s\",\"values\":{\"spo2\":80},\"flags\":[\"</script><script>window.__pwned=true</script>\"]}",
		         seq + 2, t, inst, HOSTILE_JSON);
		snprintf(hb, sizeof(hb),
		         "{\"v\":1,\"type\":\"heartbeat\",\"seq\":%ld,\"time\":\"%s\",\"instance\":\"%s\","
		         "\"active_alarms\":1,\"interval_ms\":1000}", seq + 3, t, inst);
		seq += 3;
		zmq_send(pub, "alert.x", 7, ZMQ_SNDMORE);
		zmq_send(pub, alert, strlen(alert), 0);
		zmq_send(pub, "vitals.x", 8, ZMQ_SNDMORE);
		zmq_send(pub, vitals, strlen(vitals), 0);
		zmq_send(pub, "heartbeat", 9, ZMQ_SNDMORE);
		zmq_send(pub, hb, strlen(hb), 0);
		/* Snapshot requests: the same story, as of now. */
		zmq_pollitem_t item = {.socket = router, .events = ZMQ_POLLIN};
		int64_t end = vt_rig_now_ms() + 200;
		while (vt_rig_now_ms() < end && zmq_poll(&item, 1, 50) > 0) {
			zmq_msg_t frames[8];
			int n = 0, more = 1;
			while (more && n < 8) {
				zmq_msg_init(&frames[n]);
				if (zmq_msg_recv(&frames[n], router, 0) < 0)
					break;
				more = zmq_msg_more(&frames[n]);
				n++;
			}
			snprintf(snap, sizeof(snap),
			         "{\"ok\":true,\"seq\":%ld,\"instance\":\"%s\",\"time\":\"%s\",\"alerts\":[%s],"
			         "\"vitals\":{\"" HOSTILE_JSON "\":{\"spo2\":80}},"
			         "\"ports\":{},\"sessions\":{},\"silenced\":{},\"flags\":{}}",
			         seq, inst, t, alert);
			for (int i = 0; i < n - 1; i++)
				zmq_msg_send(&frames[i], router, ZMQ_SNDMORE);
			zmq_send(router, snap, strlen(snap), 0);
			if (n > 0)
				zmq_msg_close(&frames[n - 1]);
		}
	}
	zmq_close(pub);
	zmq_close(router);
	zmq_ctx_term(ctx);
	return NULL;
}

/*
 * chair-4's monitor: the IHE PCD-01 example of tests/data/hl7 sent to the
 * daemon's MLLP listener at `port`, its cuff reading (OBX-14) 12 minutes
 * before the message (MSH-7), both by the monitor's clock. The connection
 * stays open, as a monitor's does; its descriptor, after the ACK.
 */
static int
s_hl7_monitor(int port)
{
	char *msg = vt_rig_slurp(vt_rig_root("tests/data/hl7/pcd01-numerics.hl7"), NULL);
	cr_assert_not_null(msg, "tests/data/hl7/pcd01-numerics.hl7 cannot be read");
	/* MSH-7 10:00:00; the cuff's OBX-14 09:55:00 becomes 09:48:00. */
	int cuffs = 0;
	for (char *p = msg; (p = strstr(p, "20261121095500+0100")) != NULL; p++, cuffs++)
		memcpy(p, "20261121094800+0100", 19);
	cr_assert_eq(cuffs, 3, "the example's three cuff values are timed 09:55:00");
	cr_assert_not_null(strstr(msg, "|20261121100000+0100||ORU^R01"), "MSH-7 is 10:00:00");
	msg[strcspn(msg, "\n")] = '\0';
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	cr_assert(fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0,
	          "the daemon's MLLP listener: %s", strerror(errno));
	char frame[8192];
	int n = snprintf(frame, sizeof(frame), "\x0b%s\x1c\r", msg);
	cr_assert(n > 0 && (size_t)n < sizeof(frame));
	cr_assert_eq(write(fd, frame, (size_t)n), n, "write: %s", strerror(errno));
	free(msg);
	/* Its acknowledgement: MSA|AA. */
	char ack[1024];
	size_t got = 0;
	int64_t end = vt_rig_now_ms() + 10000;
	while (got < sizeof(ack) - 1 && memchr(ack, 0x1c, got) == NULL && vt_rig_now_ms() < end) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		ssize_t r = read(fd, ack + got, sizeof(ack) - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	ack[got] = '\0';
	cr_assert_not_null(strstr(ack, "MSA|AA"), "the daemon did not accept the message: %s", ack);
	return fd;
}

static FILE *
s_fdopen(int fd, const char *mode)
{
	FILE *f = fdopen(fd, mode);
	cr_assert_not_null(f);
	setvbuf(f, NULL, _IOLBF, 0);
	return f;
}

Test(web_browser, a_nurse_at_the_web_station, .timeout = 180)
{
	cr_assert(access(CHROMIUM, X_OK) == 0,
	          CHROMIUM " is missing: the Debian package chromium (scripts/deps.sh installs it)");
	const char *module = vt_rig_root("tests/web/node_modules/puppeteer-core/package.json");
	cr_assert(access(module, R_OK) == 0,
	          "puppeteer-core is missing: scripts/deps.sh runs npm ci in tests/web");

	char dir[128], users[400];
	cr_assert_eq(vt_rig_tmpdir(dir, sizeof(dir), "web-browser"), 0);
	char monitors[2048] = "";
	for (int i = 0; i < 3; i++) {
		char link[256], entry[400];
		snprintf(link, sizeof(link), "%s/chair-%d", dir, i + 1);
		cr_assert_eq(vt_rig_pty_open(&ptys_[i], link), 0, "pty: %s", strerror(errno));
		snprintf(entry, sizeof(entry), "  - bed: chair-%d\n    port: %s\n    protocol: masimo-ascii\n"
		         "    stale_after: 3s\n", i + 1, link);
		strcat(monitors, entry);
	}
	/* chair-4: an HL7 monitor that sends once (no comm-lost during the test); its
	 * 12-minute-old cuff reading is current for 20 s more (nibp_stale_after 12m20s). */
	int mllp = vt_rig_free_port(), monitor = -1;
	snprintf(monitors + strlen(monitors), sizeof(monitors) - strlen(monitors),
	         "  - bed: chair-4\n    port: mllp://127.0.0.1:%d\n    protocol: hl7-mllp\n"
	         "    stale_after: 10m\n    nibp_stale_after: 740s\n", mllp);
	struct vt_rig_daemon d;
	cr_assert_eq(vt_rig_daemon_start(&d, dir, "heartbeat: 1s\n", monitors, RULES), 0,
	             "vitalsd did not start");
	snprintf(pub_, sizeof(pub_), "%s", d.pub);
	snprintf(ctl_, sizeof(ctl_), "%s", d.ctl);
	atomic_store(&feeding_, true);
	pthread_create(&feeder_, NULL, s_feed, NULL);
	snprintf(users, sizeof(users), "%s/web-users", dir);
	cr_assert_eq(web_users_file(users), 0);
	struct web_station w;
	cr_assert_eq(web_station_start(&w, dir, pub_, ctl_, users, NULL), 0);

	/* The browser script, talking over two pipes. */
	int to_node[2], from_node[2];
	cr_assert_eq(pipe2(to_node, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(from_node, O_CLOEXEC), 0);
	char shot[400], node_log[400], script[400];
	snprintf(shot, sizeof(shot), "%s", vt_rig_build("web-station.png"));
	snprintf(node_log, sizeof(node_log), "%s/browser.log", dir);
	snprintf(script, sizeof(script), "%s", vt_rig_root("tests/web/station.test.mjs"));
	pid_t node = fork();
	cr_assert_geq(node, 0);
	if (node == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int err = open(node_log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(to_node[0], 0);
		dup2(from_node[1], 1);
		dup2(err, 2);
		setenv("VT_WEB_URL", w.url, 1);
		setenv("VT_CHROMIUM", CHROMIUM, 1);
		setenv("VT_SCREENSHOT", shot, 1);
		setenv("VT_NURSE", WEB_NURSE, 1);
		setenv("VT_NURSE_PASSWORD", WEB_NURSE_PASSWORD, 1);
		setenv("VT_VIEWER", WEB_VIEWER, 1);
		setenv("VT_VIEWER_PASSWORD", WEB_VIEWER_PASSWORD, 1);
		setenv("VT_HOSTILE_BED", HOSTILE, 1);
		setenv("VT_HOSTILE_TEXT", "SpO2 80 % " HOSTILE, 1);
		execlp("node", "node", script, (char *)NULL);
		_exit(127);
	}
	vt_rig_guard_pid(node);
	close(to_node[0]);
	close(from_node[1]);
	FILE *in = s_fdopen(from_node[0], "r"), *out = s_fdopen(to_node[1], "w");

	void *sub = vt_rig_sub(pub_, "alert.", 0);
	char line[512], id[200] = "";
	bool done = false;
	while (!done && fgets(line, sizeof(line), in) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		cr_log_info("browser: %s", line);
		if (strcmp(line, "step nibp") == 0) {
			void *vitals = vt_rig_sub(pub_, "vitals.chair-4", 0);
			monitor = s_hl7_monitor(mllp);
			bool shown = vt_rig_wait_msg(vitals, "vitals.chair-4", "\"nibp_sys\":128,", 10000);
			zmq_close(vitals);
			cr_expect(shown, "the daemon published no blood pressure for chair-4");
			fprintf(out, shown ? "ok\n" : "fail no blood pressure from the daemon\n");
		} else if (strcmp(line, "step alarm") == 0) {
			atomic_store(&spo2_[0], 84);
			char topic[64], body[4096];
			int64_t end = vt_rig_now_ms() + 15000;
			while (vt_rig_now_ms() < end &&
			       (vt_rig_recv(sub, topic, sizeof(topic), body, sizeof(body), 500) < 0 ||
			        strstr(body, "\"event\":\"raised\"") == NULL))
				;
			int64_t at = s_wall_ms();
			const char *p = strstr(body, "\"id\":\"");
			cr_assert_not_null(p, "the daemon raised no alarm");
			snprintf(id, sizeof(id), "%.*s", (int)strcspn(p + 6, "\""), p + 6);
			fprintf(out, "ok %s %lld\n", id, (long long)at);
		} else if (strncmp(line, "step ack ", 9) == 0) {
			char needle[128];
			snprintf(needle, sizeof(needle), "\"by\":\"%s\"", WEB_NURSE);
			bool acked = vt_rig_wait_msg(sub, "alert.chair-1", needle, 10000);
			cr_expect(acked, "no acknowledged event by %s from the daemon", WEB_NURSE);
			fprintf(out, acked ? "ok\n" : "fail no acknowledged event\n");
		} else if (strcmp(line, "step forged") == 0) {
			char *snap = vt_rig_request(ctl_, "{\"cmd\":\"snapshot\"}", 5000);
			cr_assert_not_null(snap);
			bool clean = strstr(snap, "\"chair-2\":null") != NULL &&
			             strstr(snap, "\"silenced\":{") != NULL;
			cr_expect(clean, "a forged request paused chair-2: %s", snap);
			free(snap);
			fprintf(out, clean ? "ok\n" : "fail chair-2 was paused\n");
		} else if (strcmp(line, "step kill") == 0) {
			int64_t at = s_wall_ms();
			vt_rig_child_stop(&d.proc, SIGKILL, 5000);
			fprintf(out, "ok %lld 1000\n", (long long)at);
		} else if (strcmp(line, "step hostile") == 0) {
			atomic_store(&hostile_on_, true);
			pthread_create(&hostile_, NULL, s_hostile, NULL);
			fprintf(out, "ok\n");
		} else if (strcmp(line, "step done") == 0) {
			fprintf(out, "ok\n");
			done = true;
		}
	}
	fclose(out); /* the script's standard input ends */
	int st = vt_rig_wait(node, 30000);
	char *said = vt_rig_slurp(node_log, NULL);
	cr_log_info("the browser script said:\n%s", said ? said : "");
	cr_expect(done, "the browser scenario stopped before its end:\n%s", said ? said : "");
	cr_expect_eq(st, 0, "the browser script failed (%d):\n%s", st, said ? said : "");
	free(said);
	fclose(in);
	zmq_close(sub);
	vt_rig_zctx_term();
	if (atomic_load(&hostile_on_)) {
		atomic_store(&hostile_on_, false);
		pthread_join(hostile_, NULL);
	}
	atomic_store(&feeding_, false);
	pthread_join(feeder_, NULL);
	cr_expect_eq(web_station_stop(&w), 0, "vitals-web did not exit cleanly");
	if (d.proc.pid > 0)
		vt_rig_daemon_stop(&d);
	for (int i = 0; i < 3; i++)
		vt_rig_pty_close(&ptys_[i]);
	if (monitor >= 0)
		close(monitor);
	vt_rig_rmtree(dir);
}
