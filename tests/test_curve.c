/*
 * Transport security end to end: with CURVE configured, a console whose key
 * is on the list receives vitals and may send commands; one whose key is
 * not, or one without CURVE, sees nothing at all.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zmq.h>

#include "support/live_daemon.h"
#include "support/rig.h"
#include "support/run.h"
#include "vitals/io/curve.h"

extern char **environ;

static char dir[64];
static pid_t daemon_pid = -1;
static int ports[2];
static void *zctx;

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
	snprintf(dir, sizeof(dir), "/tmp/vt-curve-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	s_keygen("server");
	s_keygen("station-1");
	s_keygen("stranger");
	char clients[128], cmd[512];
	snprintf(clients, sizeof(clients), "%s/clients", dir);
	mkdir(clients, 0700);
	snprintf(cmd, sizeof(cmd), "cp %s/station-1.pub %s/", dir, clients);
	cr_assert_eq(system(cmd), 0);
	ports[0] = vt_rig_free_port();
	ports[1] = vt_rig_free_port();
	char cfg[128];
	snprintf(cfg, sizeof(cfg), "%s/vitalsd.yaml", dir);
	FILE *fp = fopen(cfg, "w");
	fprintf(fp,
	        "publish: tcp://127.0.0.1:%d\ncontrol: tcp://127.0.0.1:%d\nheartbeat: 200ms\n"
	        "curve:\n  secret_key: %s/server.key\n  clients: %s\n",
	        ports[0], ports[1], dir, clients);
	fclose(fp);
	/* Secret files are for their owners only. */
	struct stat st;
	char key[128];
	snprintf(key, sizeof(key), "%s/server.key", dir);
	cr_assert_eq(stat(key, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0600);

	char *argv[] = {(char *)run_build_path("vitalsd"), "-c", cfg, NULL};
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	cr_assert_eq(posix_spawn(&daemon_pid, argv[0], &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	zctx = zmq_ctx_new();
}

static void
s_teardown(void)
{
	if (daemon_pid > 0) {
		kill(daemon_pid, SIGKILL);
		waitpid(daemon_pid, NULL, 0);
	}
	if (zctx)
		zmq_ctx_term(zctx);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", dir);
}

/* A socket of `type` connected as client `name` (NULL: no CURVE). */
static void *
s_client(int type, const char *name, int port)
{
	void *s = zmq_socket(zctx, type);
	int linger = 0;
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
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
	void *good = s_client(ZMQ_SUB, "station-1", ports[0]);
	void *stranger = s_client(ZMQ_SUB, "stranger", ports[0]);
	void *plain = s_client(ZMQ_SUB, NULL, ports[0]);
	/* The listed console hears heartbeats (five a second); wait up to 15 s for the first. */
	int got = 0;
	for (int i = 0; i < 30 && got == 0; i++)
		got = s_count(good, 500);
	cr_assert_gt(got, 0, "the allowed console heard nothing");
	cr_expect_eq(s_count(stranger, 2000), 0, "a console with an unknown key heard the daemon");
	cr_expect_eq(s_count(plain, 500), 0, "a console without CURVE heard the daemon");

	void *req = s_client(ZMQ_REQ, "station-1", ports[1]);
	int timeout = 10000;
	zmq_setsockopt(req, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
	zmq_send(req, "{\"cmd\":\"ping\"}", 14, 0);
	char reply[512];
	int n = zmq_recv(req, reply, sizeof(reply) - 1, 0);
	cr_assert_gt(n, 0, "no reply to an allowed client");
	reply[n] = '\0';
	cr_expect(strstr(reply, "\"ok\":true") != NULL, "%s", reply);

	void *bad = s_client(ZMQ_REQ, "stranger", ports[1]);
	timeout = 2000;
	zmq_setsockopt(bad, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
	zmq_send(bad, "{\"cmd\":\"reload\"}", 16, ZMQ_DONTWAIT);
	cr_expect_lt(zmq_recv(bad, reply, sizeof(reply), 0), 0, "a stranger got an answer");

	/* vitalsctl with the station's keys is answered; without them it hears nothing. */
	char ep[64], server_pub[160], station_key[160];
	snprintf(ep, sizeof(ep), "tcp://127.0.0.1:%d", ports[1]);
	snprintf(server_pub, sizeof(server_pub), "%s/server.pub", dir);
	snprintf(station_key, sizeof(station_key), "%s/station-1.key", dir);
	char *with[] = {(char *)run_build_path("vitalsctl"), "--connect", ep, "--server-key",
	                server_pub, "--key", station_key, "ping", NULL};
	struct run_result r;
	run_capture(with, &r);
	cr_expect_eq(r.status, 0, "vitalsctl with keys: %s%s", r.out, r.err);
	run_result_free(&r);
	char *without[] = {(char *)run_build_path("vitalsctl"), "--connect", ep, "--timeout", "2",
	                   "ping", NULL};
	run_capture(without, &r);
	cr_expect_eq(r.status, 69, "vitalsctl without keys: %s%s", r.out, r.err);
	run_result_free(&r);
	char *half[] = {(char *)run_build_path("vitalsctl"), "--connect", ep, "--key", station_key,
	                "ping", NULL};
	run_capture(half, &r);
	cr_expect_eq(r.status, 64, "a key without the server's: %s", r.err);
	run_result_free(&r);

	int status;
	cr_expect_eq(waitpid(daemon_pid, &status, WNOHANG), 0, "the daemon died");
	zmq_close(good);
	zmq_close(stranger);
	zmq_close(plain);
	zmq_close(req);
	zmq_close(bad);
}

Test(curve, key_files_round_trip_and_bad_ones_are_refused)
{
	snprintf(dir, sizeof(dir), "/tmp/vt-keys-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
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
	char *argv[] = {(char *)run_build_path("vitalsctl"), "keygen", name, NULL};
	struct run_result r;
	run_capture(argv, &r);
	cr_expect_eq(r.status, 0, "%s", r.err);
	run_result_free(&r);
	snprintf(path, sizeof(path), "%s/b.key", dir);
	cr_expect_eq(vt_curve_read(path, pub, sec, err, sizeof(err)), 0, "%s", err);
	snprintf(path, sizeof(path), "%s/nonexistent.key", dir);
	cr_expect_eq(vt_curve_read(path, pub, sec, err, sizeof(err)), -1);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_expect_eq(system(cmd), 0);
}
