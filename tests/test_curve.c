/*
 * Transport security end to end: with CURVE configured, a console whose key
 * is on the list receives vitals and may send commands; one whose key is
 * not, or one without CURVE, sees nothing at all.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zmq.h>

#include "support/support.h"
#include "vitals/io/curve.h"

static char dir[64];
static struct vt_rig_daemon daemon_;
/* Every socket a test opens, closed in the teardown however the test ends
 * (the context cannot be terminated while one is open). */
static void *socks[16];
static size_t n_socks;

static void
s_keygen(const char *name)
{
	char prefix[160], err[256];
	snprintf(prefix, sizeof(prefix), "%s/%s", dir, name);
	cr_assert_eq(vt_curve_keygen(prefix, err, sizeof(err)), 0, "%s", err);
}

static void
s_setup(void)
{
	cr_assert_eq(vt_rig_tmpdir(dir, sizeof(dir), "curve"), 0);
	s_keygen("server");
	s_keygen("station-1");
	s_keygen("stranger");
	char clients[128], cmd[512];
	snprintf(clients, sizeof(clients), "%s/clients", dir);
	mkdir(clients, 0700);
	snprintf(cmd, sizeof(cmd), "cp %s/station-1.pub %s/", dir, clients);
	cr_assert_eq(system(cmd), 0);
	/* Secret files are for their owners only. */
	struct stat st;
	char key[128];
	snprintf(key, sizeof(key), "%s/server.key", dir);
	cr_assert_eq(stat(key, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0600);

	char extra[512];
	snprintf(extra, sizeof(extra),
	         "heartbeat: 200ms\ncurve:\n  secret_key: %s/server.key\n  clients: %s\n", dir,
	         clients);
	cr_assert_eq(vt_rig_daemon_start(&daemon_, dir, extra, NULL, NULL), 0, "vitalsd did not start");
}

static void
s_teardown(void)
{
	for (size_t i = 0; i < n_socks; i++)
		zmq_close(socks[i]);
	n_socks = 0;
	vt_rig_daemon_stop(&daemon_);
	vt_rig_zctx_term();
	vt_rig_rmtree(dir);
}

/* A socket of `type` connected as client `name` (NULL: no CURVE). */
static void *
s_client(int type, const char *name, int port)
{
	void *s = zmq_socket(vt_rig_zctx(), type);
	cr_assert(s != NULL && n_socks < sizeof(socks) / sizeof(socks[0]));
	socks[n_socks++] = s;
	int linger = 0, wait = 5000;
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	/* A send with no peer left (a revoked key) must fail, not hang the test. */
	zmq_setsockopt(s, ZMQ_SNDTIMEO, &wait, sizeof(wait));
	if (name != NULL) {
		char path[160], err[256], spub[VT_CURVE_Z85], pub[VT_CURVE_Z85], sec[VT_CURVE_Z85];
		snprintf(path, sizeof(path), "%s/server.pub", dir);
		cr_assert_eq(vt_curve_read(path, spub, NULL, err, sizeof(err)), 0, "%s", err);
		snprintf(path, sizeof(path), "%s/%s.key", dir, name);
		cr_assert_eq(vt_curve_read(path, pub, sec, err, sizeof(err)), 0, "%s", err);
		cr_assert_eq(vt_curve_client(s, spub, pub, sec), 0);
	}
	if (type == ZMQ_SUB)
		zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0);
	char ep[64];
	snprintf(ep, sizeof(ep), "tcp://127.0.0.1:%d", port);
	zmq_connect(s, ep);
	return s;
}

/* Messages received on `sub` within `ms`. */
static int
s_count(void *sub, int ms)
{
	int n = 0;
	for (int waited = 0; waited < ms; waited += 100) {
		zmq_pollitem_t it = {.socket = sub, .events = ZMQ_POLLIN};
		if (zmq_poll(&it, 1, 100) > 0) {
			char buf[4096];
			while (zmq_recv(sub, buf, sizeof(buf), ZMQ_DONTWAIT) >= 0)
				n++;
		}
	}
	return n;
}

Test(curve, only_listed_clients_see_and_command, .init = s_setup, .fini = s_teardown)
{
	void *good = s_client(ZMQ_SUB, "station-1", daemon_.pub_port);
	void *stranger = s_client(ZMQ_SUB, "stranger", daemon_.pub_port);
	void *plain = s_client(ZMQ_SUB, NULL, daemon_.pub_port);
	/* The listed console hears heartbeats (five a second); wait up to 15 s for the first. */
	int got = 0;
	for (int i = 0; i < 30 && got == 0; i++)
		got = s_count(good, 500);
	cr_assert_gt(got, 0, "the allowed console heard nothing");
	cr_expect_eq(s_count(stranger, 2000), 0, "a console with an unknown key heard the daemon");
	cr_expect_eq(s_count(plain, 500), 0, "a console without CURVE heard the daemon");

	void *req = s_client(ZMQ_REQ, "station-1", daemon_.ctl_port);
	int timeout = 10000;
	zmq_setsockopt(req, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
	zmq_send(req, "{\"cmd\":\"ping\"}", 14, 0);
	char reply[512];
	int n = zmq_recv(req, reply, sizeof(reply) - 1, 0);
	cr_assert_gt(n, 0, "no reply to an allowed client");
	reply[n] = '\0';
	cr_expect(strstr(reply, "\"ok\":true") != NULL, "%s", reply);

	void *bad = s_client(ZMQ_REQ, "stranger", daemon_.ctl_port);
	timeout = 2000;
	zmq_setsockopt(bad, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
	zmq_send(bad, "{\"cmd\":\"reload\"}", 16, ZMQ_DONTWAIT);
	cr_expect_lt(zmq_recv(bad, reply, sizeof(reply), 0), 0, "a stranger got an answer");

	/* vitalsctl with the station's keys is answered; without them it hears nothing. */
	char ep[64], server_pub[160], station_key[160];
	snprintf(ep, sizeof(ep), "tcp://127.0.0.1:%d", daemon_.ctl_port);
	snprintf(server_pub, sizeof(server_pub), "%s/server.pub", dir);
	snprintf(station_key, sizeof(station_key), "%s/station-1.key", dir);
	char *with[] = {(char *)vt_rig_build("vitalsctl"), "--connect", ep, "--server-key",
	                server_pub, "--key", station_key, "ping", NULL};
	struct vt_rig_output r;
	vt_rig_run(with, &r);
	cr_expect_eq(r.status, 0, "vitalsctl with keys: %s%s", r.out, r.err);
	vt_rig_output_free(&r);
	char *without[] = {(char *)vt_rig_build("vitalsctl"), "--connect", ep, "--timeout", "2",
	                   "ping", NULL};
	vt_rig_run(without, &r);
	cr_expect_eq(r.status, 69, "vitalsctl without keys: %s%s", r.out, r.err);
	vt_rig_output_free(&r);
	char *half[] = {(char *)vt_rig_build("vitalsctl"), "--connect", ep, "--key", station_key,
	                "ping", NULL};
	vt_rig_run(half, &r);
	cr_expect_eq(r.status, 64, "a key without the server's: %s", r.err);
	vt_rig_output_free(&r);

	int status;
	cr_expect_eq(waitpid(daemon_.proc.pid, &status, WNOHANG), 0, "the daemon died");
}

Test(curve, key_files_round_trip_and_bad_ones_are_refused)
{
	cr_assert_eq(vt_rig_tmpdir(dir, sizeof(dir), "keys"), 0);
	s_keygen("a");
	char err[256], path[160], pub[VT_CURVE_Z85], sec[VT_CURVE_Z85], pub2[VT_CURVE_Z85];
	snprintf(path, sizeof(path), "%s/a.key", dir);
	cr_assert_eq(vt_curve_read(path, pub, sec, err, sizeof(err)), 0, "%s", err);
	snprintf(path, sizeof(path), "%s/a.pub", dir);
	cr_assert_eq(vt_curve_read(path, pub2, NULL, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(pub, pub2);
	cr_expect_eq(vt_curve_read(path, pub, sec, err, sizeof(err)), -1, "a .pub has no secret");
	char prefix[160];
	snprintf(prefix, sizeof(prefix), "%s/a", dir);
	cr_expect_eq(vt_curve_keygen(prefix, err, sizeof(err)), -1, "keygen overwrote a key");
	/* vitalsctl keygen writes the same kind of files. */
	char name[160];
	snprintf(name, sizeof(name), "%s/b", dir);
	char *argv[] = {(char *)vt_rig_build("vitalsctl"), "keygen", name, NULL};
	struct vt_rig_output r;
	vt_rig_run(argv, &r);
	cr_expect_eq(r.status, 0, "%s", r.err);
	vt_rig_output_free(&r);
	snprintf(path, sizeof(path), "%s/b.key", dir);
	cr_expect_eq(vt_curve_read(path, pub, sec, err, sizeof(err)), 0, "%s", err);
	snprintf(path, sizeof(path), "%s/nonexistent.key", dir);
	cr_expect_eq(vt_curve_read(path, pub, sec, err, sizeof(err)), -1);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_expect_eq(system(cmd), 0);
}

/* Messages `sub` receives within `ms`, after dropping what was queued before. */
static int
s_fresh_count(void *sub, int ms)
{
	char buf[4096];
	while (zmq_recv(sub, buf, sizeof(buf), ZMQ_DONTWAIT) >= 0)
		;
	return s_count(sub, ms);
}

/*
 * Wait until the daemon has dealt with its `n`-th reload (applied or not),
 * or died: true if it is still running.
 */
static bool
s_reloads_done(int n)
{
	int64_t end = vt_rig_now_ms() + 15000;
	while (vt_rig_now_ms() < end) {
		int status;
		if (waitpid(daemon_.proc.pid, &status, WNOHANG) == daemon_.proc.pid) {
			daemon_.proc.pid = 0;
			return false;
		}
		char *log = vt_rig_slurp(daemon_.proc.log, NULL);
		int done = 0;
		for (const char *p = log; p && (p = strstr(p, "configuration reloaded")); p++)
			done++;
		for (const char *p = log; p && (p = strstr(p, "reload failed")); p++)
			done++;
		for (const char *p = log; p && (p = strstr(p, "configuration unchanged")); p++)
			done++;
		free(log);
		if (done >= n)
			return true;
		vt_rig_sleep_ms(50);
	}
	return true;
}

/* Write the configuration again, with CURVE (clients from `clients`) or without. */
static void
s_rewrite(bool curve)
{
	char extra[512];
	snprintf(extra, sizeof(extra), "heartbeat: 200ms\n");
	if (curve)
		snprintf(extra, sizeof(extra),
		         "heartbeat: 200ms\ncurve:\n  secret_key: %s/server.key\n  clients: %s/clients\n",
		         dir, dir);
	cr_assert_eq(vt_rig_daemon_config(&daemon_, extra, NULL, NULL), 0);
}

/*
 * Taking the curve section out and putting it back, with a reload after
 * each: the first is refused (CURVE changes only on restart), so the
 * second finds what runs, and nothing crashes.
 */
Test(curve, switching_curve_off_and_on_by_reload_is_refused_and_crashes_nothing,
     .init = s_setup, .fini = s_teardown)
{
	s_rewrite(false);
	kill(daemon_.proc.pid, SIGHUP);
	cr_assert(s_reloads_done(1), "the daemon died at the reload without curve");
	cr_expect(vt_rig_file_has(daemon_.proc.log, "curve.secret_key change only when the daemon "
	                          "restarts", 0), "the reload without curve was not refused");
	s_rewrite(true);
	kill(daemon_.proc.pid, SIGHUP);
	cr_assert(s_reloads_done(2), "the daemon died at the reload with curve back");
	void *good = s_client(ZMQ_SUB, "station-1", daemon_.pub_port);
	int got = 0;
	for (int i = 0; i < 30 && got == 0; i++)
		got = s_count(good, 500);
	cr_expect_gt(got, 0, "CURVE no longer works after the reloads");
}

/*
 * Revoking a key (its .pub removed, then a reload) closes what that key
 * has open: its subscription hears nothing more, its control requests get
 * no acknowledgement through; the other station goes on.
 */
Test(curve, revoking_a_key_closes_its_connections_at_once, .init = s_setup, .fini = s_teardown)
{
	char cmd[512];
	s_keygen("station-2");
	snprintf(cmd, sizeof(cmd), "cp %s/station-2.pub %s/clients/", dir, dir);
	cr_assert_eq(system(cmd), 0);
	kill(daemon_.proc.pid, SIGHUP);
	cr_assert(s_reloads_done(1));

	void *keep = s_client(ZMQ_SUB, "station-1", daemon_.pub_port);
	void *gone = s_client(ZMQ_SUB, "station-2", daemon_.pub_port);
	void *gone_ctl = s_client(ZMQ_DEALER, "station-2", daemon_.ctl_port);
	int got = 0;
	for (int i = 0; i < 30 && got == 0; i++)
		got = s_count(gone, 500);
	cr_assert_gt(got, 0, "station-2 heard nothing while allowed");
	/* Its control connection works too, and is known by its key once it has spoken. */
	zmq_send(gone_ctl, "", 0, ZMQ_SNDMORE);
	zmq_send(gone_ctl, "{\"cmd\":\"ping\"}", 14, 0);
	char reply[1024];
	zmq_pollitem_t it = {.socket = gone_ctl, .events = ZMQ_POLLIN};
	cr_assert_gt(zmq_poll(&it, 1, 10000), 0, "no reply to station-2 while allowed");
	while (zmq_recv(gone_ctl, reply, sizeof(reply) - 1, ZMQ_DONTWAIT) >= 0)
		;

	snprintf(cmd, sizeof(cmd), "rm %s/clients/station-2.pub", dir);
	cr_assert_eq(system(cmd), 0);
	kill(daemon_.proc.pid, SIGHUP);
	cr_assert(s_reloads_done(2));

	cr_expect_eq(s_fresh_count(gone, 3000), 0, "the revoked station still hears alerts");
	got = 0;
	for (int i = 0; i < 30 && got == 0; i++)
		got = s_count(keep, 500);
	cr_expect_gt(got, 0, "the station still allowed hears nothing after the revocation");
	/* A request from the revoked key (a ping here; an acknowledgement passes
	 * the same gate) is not answered, or only with a refusal. */
	int n = -1;
	if (zmq_send(gone_ctl, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) == 0 &&
	    zmq_send(gone_ctl, "{\"cmd\":\"ping\"}", 14, ZMQ_DONTWAIT) == 14 &&
	    zmq_poll(&it, 1, 3000) > 0)
		n = zmq_recv(gone_ctl, reply, sizeof(reply) - 1, 0);
	if (n >= 0) { /* the empty delimiter; the body follows */
		n = zmq_recv(gone_ctl, reply, sizeof(reply) - 1, ZMQ_DONTWAIT);
		reply[n > 0 ? n : 0] = '\0';
		cr_expect(strstr(reply, "\"ok\":true") == NULL, "the revoked key was answered: %s", reply);
	}
}
