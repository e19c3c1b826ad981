/*
 * vitals-hub: two real daemons behind a real hub, and what a station sees
 * through it. A subscriber and the console model on the hub see both
 * daemons' beds (the model joins late, through the hub's merged snapshot);
 * vitalsctl on the hub acknowledges an alarm and the daemon that owns the
 * bed, asked directly, says it is acknowledged; one daemon killed makes
 * only its beds lost within three of its heartbeats, and its restart brings
 * them back. Beside that: the configuration's clash check, and the merge
 * of replies on its own. Every socket is on 127.0.0.1; waits are for
 * events against generous deadlines.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "support/support.h"
#include "vitals/base/version.h"
#include "vitals/console/client.h"
#include "vitals/console/model.h"
#include "vitals/hub/config.h"
#include "vitals/hub/merge.h"
#include "vitals/io/curve.h"

#define S_DEADLINE_MS 20000

/*
 * A daemon with one bed of its own name on a pty, heartbeat 250 ms, one
 * SpO2 rule, and `curve` (a curve section, or NULL for none).
 */
struct s_room {
	struct vt_rig_bed bed;
	struct vt_rig_daemon d;
	char name[32];
};

static void
s_room_open(struct s_room *r, const char *bed, const char *curve)
{
	snprintf(r->name, sizeof(r->name), "%s", bed);
	cr_assert_eq(vt_rig_bed_open(&r->bed, "hub", "masimo-ascii", NULL, false), 0);
	snprintf(r->bed.monitors, sizeof(r->bed.monitors),
	         "  - {bed: %s, port: %s, protocol: masimo-ascii, stale_after: 10m}\n", bed,
	         r->bed.link);
	char extra[1024];
	snprintf(extra, sizeof(extra), "heartbeat: 250ms\n%s", curve ? curve : "");
	cr_assert_eq(vt_rig_daemon_start(&r->d, r->bed.dir, extra, r->bed.monitors,
	                                 "  - {name: low, parameter: spo2, below: 90}\n"),
	             0);
}

static void
s_room_start(struct s_room *r, const char *bed)
{
	s_room_open(r, bed, NULL);
	cr_assert(vt_rig_daemon_port_is(&r->d, bed, "connected", S_DEADLINE_MS));
}

/* The hub in front of both rooms, on two free ports; its child and endpoints. */
struct s_hub {
	struct vt_rig_child proc;
	char dir[128], config[256], pub[64], ctl[64];
};

/*
 * Start a hub on `text` (a hub file without its own endpoints, which are
 * added) in a directory of its own, and wait until it has bound them (it
 * logs so; no ping, which CURVE would need keys for).
 */
static void
s_hub_run(struct s_hub *h, const char *text)
{
	cr_assert_eq(vt_rig_tmpdir(h->dir, sizeof(h->dir), "hub"), 0);
	int pub = vt_rig_free_port(), ctl = vt_rig_free_port();
	cr_assert(pub > 0 && ctl > 0 && pub != ctl);
	snprintf(h->pub, sizeof(h->pub), "tcp://127.0.0.1:%d", pub);
	snprintf(h->ctl, sizeof(h->ctl), "tcp://127.0.0.1:%d", ctl);
	char full[4096];
	snprintf(full, sizeof(full), "publish: %s\ncontrol: %s\nrequest_timeout: 1s\n%s", h->pub,
	         h->ctl, text);
	cr_assert_eq(vt_rig_write_file(h->dir, "hub.yaml", full, h->config, sizeof(h->config)), 0);
	char log[320];
	snprintf(log, sizeof(log), "%s/hub.log", h->dir);
	char *argv[] = {(char *)vt_rig_build("vitals-hub"), "-c", h->config, NULL};
	cr_assert_eq(vt_rig_child_start(&h->proc, "vitals-hub", argv, log, false), 0);
	for (int64_t end = vt_rig_now_ms() + S_DEADLINE_MS;; vt_rig_sleep_ms(20)) {
		char *got = vt_rig_slurp(log, NULL);
		bool started = got != NULL && strstr(got, "vitals-hub " VT_VERSION " started") != NULL;
		if (!started && (vt_rig_child_exited(&h->proc) || vt_rig_now_ms() > end))
			cr_assert_fail("the hub did not start; its log:\n%s", got ? got : "(none)");
		free(got);
		if (started)
			return;
	}
}

/* The hub in front of both rooms, without CURVE. */
static void
s_hub_start(struct s_hub *h, struct s_room *a, struct s_room *b)
{
	char text[2048];
	snprintf(text, sizeof(text),
	         "daemons:\n"
	         "  - {name: room-a, publish: %s, control: %s, beds: [%s]}\n"
	         "  - {name: room-b, publish: %s, control: %s, beds: [%s]}\n",
	         a->d.pub, a->d.ctl, a->name, b->d.pub, b->d.ctl, b->name);
	s_hub_run(h, text);
	cr_assert(vt_rig_ping(h->ctl, S_DEADLINE_MS), "the hub does not answer");
}

/* The console model behind the hub (support/station.h), as a console at the station. */
static void
s_station_open(struct vt_rig_station *st, const struct s_hub *h, const struct vt_curve_keys *keys)
{
	cr_assert_eq(vt_rig_station_open(st, h->pub, h->ctl, keys), 0, "%s", st->problem);
}

/* vitalsctl ARGS... --connect the hub: its output. */
static struct vt_rig_output
s_ctl(const struct s_hub *h, const char *a1, const char *a2)
{
	char *argv[] = {(char *)vt_rig_build("vitalsctl"), "--connect", (char *)h->ctl, "--json",
	                (char *)a1, (char *)a2, NULL};
	struct vt_rig_output r;
	cr_assert_geq(vt_rig_run(argv, &r), 0);
	return r;
}

Test(hub, two_daemons_one_station, .timeout = 120)
{
	struct s_room a, b;
	s_room_start(&a, "room-a-1");
	s_room_start(&b, "room-b-1");
	struct s_hub h;
	s_hub_start(&h, &a, &b);

	/* A subscriber on the hub hears both daemons (everything: what it hears proves its
	 * subscription has reached both, so that no later event can pass before it). */
	void *sub = vt_rig_sub(h.pub, "", 0);
	cr_assert_not_null(sub);
	bool seen_a = false, seen_b = false;
	for (int64_t end = vt_rig_now_ms() + S_DEADLINE_MS; !(seen_a && seen_b) && vt_rig_now_ms() < end;) {
		vt_rig_pty_masimo(&a.bed.pty, 97, 70);
		vt_rig_pty_masimo(&b.bed.pty, 96, 71);
		char topic[64], body[4096];
		while (vt_rig_recv(sub, topic, sizeof(topic), body, sizeof(body), 100) > 0) {
			seen_a = seen_a || strcmp(topic, "vitals.room-a-1") == 0;
			seen_b = seen_b || strcmp(topic, "vitals.room-b-1") == 0;
		}
	}
	cr_assert(seen_a && seen_b, "vitals through the hub: room-a-1 %d, room-b-1 %d", seen_a, seen_b);

	/* The console model joins late and its snapshot covers both daemons' beds. */
	struct vt_rig_station st;
	s_station_open(&st, &h, NULL);
	cr_assert(vt_rig_station_until(&st, "room-a-1", false, S_DEADLINE_MS), "%s", st.problem);
	cr_assert(vt_rig_station_until(&st, "room-b-1", false, S_DEADLINE_MS), "%s", st.problem);
	cr_expect_eq(vt_console_bed_count(st.m), 2);
	cr_expect_str_eq(vt_rig_station_bed(&st, "room-b-1")->port, "connected");

	/* vitalsctl snapshot on the hub: both beds, each under its daemon. */
	struct vt_rig_output r = s_ctl(&h, "snapshot", NULL);
	cr_expect_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "\"room-a-1\"") && strstr(r.out, "\"room-b-1\"") &&
	          strstr(r.out, "\"name\":\"room-b\""), "%s", r.out);
	vt_rig_output_free(&r);

	/* An alarm on room-b-1, acknowledged through the hub, lands on room-b's daemon. */
	void *alerts = sub;
	bool raised = false;
	for (int64_t end = vt_rig_now_ms() + S_DEADLINE_MS; !raised && vt_rig_now_ms() < end;) {
		vt_rig_pty_masimo(&b.bed.pty, 85, 71);
		raised = vt_rig_wait_msg(alerts, "alert.room-b-1", "\"raised\"", 300);
	}
	cr_assert(raised, "no alarm raised on room-b-1 through the hub");
	r = s_ctl(&h, "ack", "room-b-1/low/1");
	cr_expect_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "\"ok\":true") != NULL, "%s", r.out);
	vt_rig_output_free(&r);
	cr_expect(vt_rig_wait_msg(alerts, "alert.room-b-1", "\"acknowledged\"", S_DEADLINE_MS));
	char *direct = vt_rig_request(b.d.ctl, "{\"cmd\":\"snapshot\"}", 5000);
	cr_assert_not_null(direct);
	cr_expect(strstr(direct, "\"acknowledged\":true") != NULL, "room-b's own snapshot: %s", direct);
	free(direct);
	/* The same id asked of the wrong bed's daemon does not exist there. */
	char *wrong = vt_rig_request(h.ctl, "{\"cmd\":\"ack\",\"id\":\"room-a-1/low/1\"}", 5000);
	cr_assert_not_null(wrong);
	cr_expect(strstr(wrong, "no active alert") != NULL, "%s", wrong);
	free(wrong);
	char *unknown = vt_rig_request(h.ctl, "{\"cmd\":\"silence\",\"bed\":\"chair-9\",\"for\":\"1m\"}",
	                               5000);
	cr_assert_not_null(unknown);
	cr_expect(strstr(unknown, "unknown bed \\\"chair-9\\\"") != NULL, "%s", unknown);
	free(unknown);

	/* The station runs for a second, as a console's loop does, and hears both heartbeats. */
	for (int64_t end = vt_rig_now_ms() + 1000; vt_rig_now_ms() < end;)
		vt_rig_station_turn(&st);
	cr_expect_not(vt_rig_station_bed(&st, "room-b-1")->lost);

	/* room-b's daemon dies: its bed is lost within three of its heartbeats (0.75 s; 2.5 s
	 * allowed for a loaded machine), and only its bed. */
	vt_rig_stop(b.d.proc.pid, SIGKILL, 5000);
	b.d.proc.pid = 0;
	int64_t killed = vt_rig_now_ms();
	cr_assert(vt_rig_station_until(&st, "room-b-1", true, 2500), "room-b-1 not shown lost");
	cr_log_info("room-b-1 lost %lld ms after the kill", (long long)(vt_rig_now_ms() - killed));
	cr_expect_not(vt_rig_station_bed(&st, "room-a-1")->lost, "room-a's bed is still heard");
	cr_expect_not(vt_console_lost(st.m), "the hub and room-a are still heard");
	cr_expect_eq(vt_console_beds_lost(st.m), 1);
	/* vitalsctl on the hub says which daemon does not answer. */
	r = s_ctl(&h, "ping", NULL);
	cr_expect(strstr(r.out, "\"room-b\":{\"ok\":false") != NULL, "%s", r.out);
	vt_rig_output_free(&r);

	/* It comes back: its bed is restored, and the view is synchronised again. */
	cr_assert_eq(vt_rig_daemon_restart(&b.d), 0);
	cr_assert(vt_rig_daemon_port_is(&b.d, "room-b-1", "connected", S_DEADLINE_MS));
	cr_assert(vt_rig_station_until(&st, "room-b-1", false, S_DEADLINE_MS),
	          "room-b-1 not restored: %s", vt_console_sync_reason(st.m));
	cr_expect_not(vt_rig_station_bed(&st, "room-a-1")->lost);

	vt_rig_station_close(&st);
	zmq_close(sub);
	cr_expect_eq(vt_rig_child_stop(&h.proc, SIGTERM, 5000), 0, "the hub stops cleanly on SIGTERM");
	vt_rig_bed_stop(&a.bed, &a.d);
	vt_rig_bed_stop(&b.bed, &b.d);
	vt_rig_rmtree(h.dir);
}

/* Make DIR/NAME.key and DIR/NAME.pub. */
static void
s_keygen(const char *dir, const char *name)
{
	char prefix[256], err[256];
	snprintf(prefix, sizeof(prefix), "%s/%s", dir, name);
	cr_assert_eq(vt_curve_keygen(prefix, err, sizeof(err)), 0, "%s", err);
}

/* A client's keys for the hub: the hub's public key and client NAME's pair. */
static struct vt_curve_keys
s_keys(const char *dir, const char *hub, const char *name)
{
	struct vt_curve_keys k;
	char path[256], err[256];
	snprintf(path, sizeof(path), "%s/%s.pub", dir, hub);
	cr_assert_eq(vt_curve_read(path, k.server, NULL, err, sizeof(err)), 0, "%s", err);
	snprintf(path, sizeof(path), "%s/%s.key", dir, name);
	cr_assert_eq(vt_curve_read(path, k.pub, k.sec, err, sizeof(err)), 0, "%s", err);
	return k;
}

/* A bed's SpO2 as the station shows it, or -1. */
static double
s_spo2(const struct vt_console_bed *b)
{
	for (size_t i = 0; b != NULL && i < b->n_values; i++)
		if (strcmp(b->values[i].name, "spo2") == 0 && b->values[i].valid)
			return b->values[i].value;
	return -1;
}

/* The count of messages `sub` receives within ms. */
static int
s_heard(void *sub, int ms)
{
	char topic[64], body[4096];
	int n = 0;
	for (int64_t end = vt_rig_now_ms() + ms; vt_rig_now_ms() < end;)
		n += vt_rig_recv(sub, topic, sizeof(topic), body, sizeof(body), 50) > 0;
	return n;
}

/*
 * CURVE on both sides with one allow-list: the daemon and the hub accept
 * the keys of one clients directory, which holds the hub's key and the
 * station's. The station, through the hub, hears the daemon and is
 * answered by it; a stranger's key and a plain client get nothing from the
 * hub; a hub whose key is not on the list gets nothing from the daemon.
 */
Test(hub, curve_on_both_sides_with_one_allow_list, .timeout = 120)
{
	char keys[128], clients[160], cmd[1024];
	cr_assert_eq(vt_rig_tmpdir(keys, sizeof(keys), "hubkeys"), 0);
	const char *names[] = {"room-a", "hub", "station-1", "stranger"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		s_keygen(keys, names[i]);
	snprintf(clients, sizeof(clients), "%s/clients", keys);
	snprintf(cmd, sizeof(cmd), "mkdir %s && cp %s/hub.pub %s/station-1.pub %s/", clients, keys,
	         keys, clients);
	cr_assert_eq(system(cmd), 0);
	char curve[512];
	snprintf(curve, sizeof(curve), "curve:\n  secret_key: %s/room-a.key\n  clients: %s\n", keys,
	         clients);
	struct s_room a;
	s_room_open(&a, "room-a-1", curve);

	struct s_hub h, rogue;
	char text[2048];
	snprintf(text, sizeof(text),
	         "curve: {secret_key: %s/%%s.key, clients: %s}\n"
	         "daemons:\n"
	         "  - {name: room-a, publish: %s, control: %s, server_key: %s/room-a.pub, "
	         "beds: [room-a-1]}\n",
	         keys, clients, a.d.pub, a.d.ctl, keys);
	char with[2048];
	snprintf(with, sizeof(with), text, "hub");
	s_hub_run(&h, with);

	/* The station through the hub: the console's own client code, with its keys. */
	struct vt_curve_keys station = s_keys(keys, "hub", "station-1");
	struct vt_rig_station st;
	s_station_open(&st, &h, &station);
	bool heard = false;
	for (int64_t end = vt_rig_now_ms() + S_DEADLINE_MS; !heard && vt_rig_now_ms() < end;) {
		vt_rig_pty_masimo(&a.bed.pty, 97, 70);
		heard = vt_rig_station_until(&st, "room-a-1", false, 300) &&
		        s_spo2(vt_rig_station_bed(&st, "room-a-1")) == 97;
	}
	cr_assert(heard, "no vitals of room-a-1 through a CURVE hub: %s", st.problem);
	/* A request through the hub reaches the daemon and is answered by it. */
	char *reply = NULL;
	cr_assert_eq(vt_client_request(st.snap, "{\"cmd\":\"ping\"}", 5000, &reply), VT_CLIENT_REPLY);
	cr_expect(strstr(reply, "\"hub\":true") && strstr(reply, "\"room-a\":{\"ok\":true"), "%s",
	          reply);
	free(reply);
	/* vitalsctl, given the same keys, the same. */
	char server_pub[256], station_key[256];
	snprintf(server_pub, sizeof(server_pub), "%s/hub.pub", keys);
	snprintf(station_key, sizeof(station_key), "%s/station-1.key", keys);
	char *ctl[] = {(char *)vt_rig_build("vitalsctl"), "--connect", h.ctl, "--server-key",
	               server_pub, "--key", station_key, "--json", "snapshot", NULL};
	struct vt_rig_output r;
	cr_assert_geq(vt_rig_run(ctl, &r), 0);
	cr_expect(r.status == 0 && strstr(r.out, "\"room-a-1\"") && strstr(r.out, "\"instance\":\""),
	          "%s%s", r.out, r.err);
	vt_rig_output_free(&r);

	/* A stranger's key, and no key at all: nothing from the hub. */
	struct vt_curve_keys other = s_keys(keys, "hub", "stranger");
	char err[256];
	void *strange = vt_client_subscribe(vt_rig_zctx(), h.pub, &other, err, sizeof(err));
	void *plain = vt_rig_sub(h.pub, "", 0);
	cr_assert(strange != NULL && plain != NULL);
	cr_expect_eq(s_heard(strange, 1500), 0, "a stranger hears the hub");
	cr_expect_eq(s_heard(plain, 10), 0, "a plain client hears the hub");
	zmq_close(strange);
	zmq_close(plain);
	int bad = 0;
	struct vt_client *asks = vt_client_new(vt_rig_zctx(), h.ctl, &other, &bad, err, sizeof(err));
	cr_assert_not_null(asks, "%s", err);
	reply = NULL;
	cr_expect_neq(vt_client_request(asks, "{\"cmd\":\"ping\"}", 1000, &reply), VT_CLIENT_REPLY,
	              "a stranger is answered: %s", reply ? reply : "");
	free(reply);
	vt_client_free(&asks);

	/* A hub with a key the daemon does not list: the daemon says nothing to it. */
	snprintf(with, sizeof(with), text, "stranger");
	s_hub_run(&rogue, with);
	struct vt_curve_keys to_rogue = s_keys(keys, "stranger", "station-1");
	asks = vt_client_new(vt_rig_zctx(), rogue.ctl, &to_rogue, &bad, err, sizeof(err));
	cr_assert_not_null(asks, "%s", err);
	reply = NULL;
	cr_assert_eq(vt_client_request(asks, "{\"cmd\":\"ping\"}", 5000, &reply), VT_CLIENT_REPLY);
	cr_expect(strstr(reply, "\"room-a\":{\"ok\":false"), "the daemon answered a hub it does not "
	          "list: %s", reply);
	free(reply);
	vt_client_free(&asks);
	void *via_rogue = vt_client_subscribe(vt_rig_zctx(), rogue.pub, &to_rogue, err, sizeof(err));
	cr_assert_not_null(via_rogue, "%s", err);
	int n = 0;
	for (int k = 0; k < 10; k++) {
		vt_rig_pty_masimo(&a.bed.pty, 97, 70);
		n += s_heard(via_rogue, 150);
	}
	cr_expect_eq(n, 0, "the daemon published to a hub it does not list");
	zmq_close(via_rogue);

	vt_rig_station_close(&st);
	cr_expect_eq(vt_rig_child_stop(&rogue.proc, SIGTERM, 5000), 0);
	cr_expect_eq(vt_rig_child_stop(&h.proc, SIGTERM, 5000), 0);
	vt_rig_bed_stop(&a.bed, &a.d);
	vt_rig_rmtree(rogue.dir);
	vt_rig_rmtree(h.dir);
	vt_rig_rmtree(keys);
}

Test(hub, a_bed_served_by_two_daemons_is_a_startup_error)
{
	char dir[128], path[256];
	cr_assert_eq(vt_rig_tmpdir(dir, sizeof(dir), "hub"), 0);
	cr_assert_eq(vt_rig_write_file(dir, "hub.yaml",
	                               "publish: tcp://127.0.0.1:5566\n"
	                               "control: tcp://127.0.0.1:5567\n"
	                               "daemons:\n"
	                               "  - name: room-a\n"
	                               "    publish: tcp://127.0.0.1:5556\n"
	                               "    control: tcp://127.0.0.1:5557\n"
	                               "    beds: [chair-1, chair-2]\n"
	                               "  - name: room-b\n"
	                               "    publish: tcp://127.0.0.1:5558\n"
	                               "    control: tcp://127.0.0.1:5559\n"
	                               "    beds: [chair-3, chair-2]\n",
	                               path, sizeof(path)),
	             0);
	char *check[] = {(char *)vt_rig_build("vitals-hub"), "-c", path, "-n", NULL};
	struct vt_rig_output r;
	cr_assert_geq(vt_rig_run(check, &r), 0);
	cr_expect_eq(r.status, 78, "%s", r.err);
	char want[512];
	snprintf(want, sizeof(want), "%s:11:21: daemons[1].beds[1]: bed \"chair-2\" is served by "
	         "daemon \"room-a\" already (line 7)", path);
	cr_expect(strstr(r.err, want) != NULL, "want %s in:\n%s", want, r.err);
	vt_rig_output_free(&r);
	/* Started anyway, it refuses the same way and binds nothing. */
	char *run[] = {(char *)vt_rig_build("vitals-hub"), "-c", path, NULL};
	cr_assert_geq(vt_rig_run(run, &r), 0);
	cr_expect_eq(r.status, 78);
	cr_expect(strstr(r.err, "not starting") != NULL, "%s", r.err);
	vt_rig_output_free(&r);
	vt_rig_rmtree(dir);
}

/* Files the hub refuses, each with the one message it must give (FILE:LINE:COLUMN). */
Test(hub_config, what_is_refused_and_where)
{
	static const char daemons[] =
	    "daemons:\n"
	    "  - {name: a, publish: tcp://127.0.0.1:3, control: tcp://127.0.0.1:4, beds: [a-1]}\n"
	    "  - {name: b, publish: tcp://127.0.0.1:5, control: tcp://127.0.0.1:6, beds: [b-1]}\n";
	static const struct {
		const char *text, *want;
	} cases[] = {
	    /* Two daemons of one name (the daemons written before the hub's own endpoints). */
	    {"daemons:\n"
	     "  - {name: a, publish: tcp://127.0.0.1:3, control: tcp://127.0.0.1:4, beds: [a-1]}\n"
	     "  - {name: a, publish: tcp://127.0.0.1:5, control: tcp://127.0.0.1:6, beds: [b-1]}\n"
	     "publish: tcp://127.0.0.1:1\ncontrol: tcp://127.0.0.1:2\n",
	     "t.yaml:3:12: daemons[1].name: daemon \"a\" is named already on line 2"},
	    /* The daemon's rule: no plain endpoint beyond this machine. */
	    {"publish: tcp://0.0.0.0:1\ncontrol: tcp://127.0.0.1:2\n%s",
	     "t.yaml:1:10: publish: tcp://0.0.0.0:1 is reachable beyond this machine without CURVE"},
	    {"publish: tcp://127.0.0.1:1\ncontrol: [ipc:///run/x, tcp://eth0:2]\n%s",
	     "t.yaml:2:25: control[1]: tcp://eth0:2 is reachable beyond this machine"},
	    {"publish: tcp://127.0.0.1:1\ncontrol: tcp://127.0.0.1:2\nlimits: {control_connections: 0}\n%s",
	     "t.yaml:3:31: limits.control_connections: expected a whole number from 1 to 100000"},
	    {"publish: tcp://127.0.0.1:1\ncontrol: tcp://127.0.0.1:2\nlimits: {reload_timeout: 1s}\n%s",
	     "t.yaml:3:10: limits: unknown key \"reload_timeout\""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[1024];
		snprintf(text, sizeof(text), cases[i].text, daemons);
		struct vt_diag diag = {0};
		struct vt_hub_config *cfg = vt_hub_config_parse("t.yaml", text, strlen(text), &diag);
		cr_expect_null(cfg, "case %zu accepted", i);
		bool found = false;
		char line[1024], all[4096] = "";
		for (size_t e = 0; e < diag.count; e++) {
			vt_diag_format(&diag.entries[e], line, sizeof(line));
			found = found || strncmp(line, cases[i].want, strlen(cases[i].want)) == 0;
			snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s\n", line);
		}
		cr_expect(found, "case %zu: want %s in:\n%s", i, cases[i].want, all);
		vt_diag_clear(&diag);
		vt_hub_config_free(&cfg);
	}
}

/* What an absent limits section means, and the way out of the network rule. */
Test(hub_config, limits_and_an_insecure_network_said_aloud)
{
	static const char text[] =
	    "publish: tcp://0.0.0.0:1\ncontrol: tcp://127.0.0.1:2\nallow_insecure_network: true\n"
	    "daemons:\n"
	    "  - {name: a, publish: tcp://10.0.0.1:3, control: tcp://10.0.0.1:4, beds: [a-1]}\n";
	struct vt_diag diag = {0};
	struct vt_hub_config *cfg = vt_hub_config_parse("t.yaml", text, strlen(text), &diag);
	cr_assert_not_null(cfg, "%s", diag.count ? diag.entries[0].message : "?");
	cr_expect_eq(cfg->limits.publish_connections, 256);
	cr_expect_eq(cfg->limits.control_connections, 64);
	cr_expect_eq(cfg->limits.subscriber_queue, 1000);
	vt_hub_config_free(&cfg);
	static const char set[] = "publish: tcp://127.0.0.1:1\ncontrol: tcp://127.0.0.1:2\n"
	                          "limits: {subscriber_queue: 50, publish_connections: 3}\n"
	                          "daemons: [{name: a, publish: tcp://127.0.0.1:3, "
	                          "control: tcp://127.0.0.1:4, beds: [a-1]}]\n";
	cfg = vt_hub_config_parse("t.yaml", set, strlen(set), &diag);
	cr_assert_not_null(cfg, "%s", diag.count ? diag.entries[0].message : "?");
	cr_expect_eq(cfg->limits.publish_connections, 3);
	cr_expect_eq(cfg->limits.control_connections, 64);
	cr_expect_eq(cfg->limits.subscriber_queue, 50);
	vt_hub_config_free(&cfg);
	vt_diag_clear(&diag);
}

/* The configuration of the merge tests: two daemons, a bed each (one has two). */
static struct vt_hub_config *
s_two(void)
{
	static const char text[] = "publish: tcp://127.0.0.1:1\ncontrol: tcp://127.0.0.1:2\n"
	                           "daemons:\n"
	                           "  - {name: a, publish: tcp://127.0.0.1:3, control: tcp://127.0.0.1:4, "
	                           "beds: [a-1, a-2]}\n"
	                           "  - {name: b, publish: tcp://127.0.0.1:5, control: tcp://127.0.0.1:6, "
	                           "beds: [b-1]}\n";
	struct vt_diag diag = {0};
	struct vt_hub_config *cfg = vt_hub_config_parse("t.yaml", text, strlen(text), &diag);
	cr_assert_not_null(cfg, "%s", diag.count ? diag.entries[0].message : "?");
	return cfg;
}

Test(hub_merge, routes_by_bed_and_alert_id)
{
	struct vt_hub_config *cfg = s_two();
	struct vt_control_req req = {.cmd = VT_CMD_ACK};
	char err[128] = "";
	snprintf(req.id, sizeof(req.id), "b-1/spo2-low/3");
	cr_expect_eq(vt_hub_route(cfg, &req, err, sizeof(err)), 1);
	snprintf(req.id, sizeof(req.id), "x-1/spo2-low/3");
	cr_expect_eq(vt_hub_route(cfg, &req, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "no active alert \"x-1/spo2-low/3\"");
	req = (struct vt_control_req){.cmd = VT_CMD_PHASE};
	snprintf(req.bed, sizeof(req.bed), "a-2");
	cr_expect_eq(vt_hub_route(cfg, &req, err, sizeof(err)), 0);
	req.cmd = VT_CMD_WATCH;
	snprintf(req.bed, sizeof(req.bed), "b-2");
	cr_expect_eq(vt_hub_route(cfg, &req, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "unknown bed \"b-2\"");
	req.cmd = VT_CMD_SNAPSHOT;
	cr_expect_eq(vt_hub_route(cfg, &req, err, sizeof(err)), VT_HUB_ALL);
	vt_hub_config_free(&cfg);
}

Test(hub_merge, a_snapshot_of_every_daemon_with_its_own_stream)
{
	struct vt_hub_config *cfg = s_two();
	const char *replies[2] = {
	    "{\"ok\":true,\"seq\":40,\"instance\":\"AAA\",\"time\":\"2026-11-21T09:00:00.000Z\","
	    "\"alerts\":[{\"id\":\"a-1/low/1\",\"bed\":\"a-1\"}],\"vitals\":{\"a-1\":{\"spo2\":97},\"a-2\":{}},"
	    "\"ports\":{\"a-1\":\"connected\",\"a-2\":\"lost\"},\"novel\":{\"a-1\":5}}",
	    NULL};
	const char *why[2] = {NULL, "no answer within 1000 ms"};
	char *out = vt_hub_merge(cfg, VT_CMD_SNAPSHOT, replies, why, 0, "HUB", 3, NULL);
	cr_assert_not_null(out);
	json_t *o = json_loads(out, 0, NULL);
	cr_assert_not_null(o, "%s", out);
	json_t *src = json_object_get(o, "sources");
	cr_assert_eq(json_array_size(src), 2, "%s", out);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(src, 0), "instance")), "AAA");
	cr_expect_eq(json_integer_value(json_object_get(json_array_get(src, 0), "seq")), 40);
	cr_expect(json_is_null(json_object_get(json_array_get(src, 1), "instance")), "%s", out);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(src, 1), "error")),
	                 "no answer within 1000 ms");
	cr_expect_eq(json_array_size(json_object_get(json_array_get(src, 1), "beds")), 1);
	cr_expect_eq(json_array_size(json_object_get(o, "alerts")), 1);
	cr_expect_not_null(json_object_get(json_object_get(o, "vitals"), "a-2"));
	cr_expect_not_null(json_object_get(json_object_get(o, "novel"), "a-1"),
	                   "members the hub does not know pass through: %s", out);
	cr_expect_null(json_object_get(o, "seq"), "no stream of the hub's own: %s", out);
	json_decref(o);

	/* The console model takes it: a-1 heard, b-1 lost until its daemon speaks. */
	struct vt_console *m = vt_console_new(0);
	vt_console_snapshot_sent(m, 0);
	char err[128];
	cr_assert_eq(vt_console_snapshot(m, out, strlen(out), 0, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(vt_console_sync_state(m), VT_CONSOLE_SYNCED);
	cr_expect_eq(vt_console_bed_count(m), 3);
	cr_expect(vt_console_bed_named(m, "b-1")->lost);
	cr_expect_not(vt_console_bed_named(m, "a-1")->lost);
	const char hb[] = "{\"v\":1,\"type\":\"heartbeat\",\"seq\":41,\"instance\":\"AAA\","
	                  "\"active_alarms\":1,\"interval_ms\":1000}";
	cr_expect_eq(vt_console_message(m, hb, strlen(hb), 500), 1);
	cr_expect_eq(vt_console_sync_state(m), VT_CONSOLE_SYNCED, "%s", vt_console_sync_reason(m));
	/* A silent daemon A: its beds lost after three of its heartbeats, not before. */
	vt_console_tick(m, 3499);
	cr_expect_not(vt_console_bed_named(m, "a-1")->lost);
	const char hb2[] = "{\"v\":1,\"type\":\"heartbeat\",\"seq\":1,\"instance\":\"BBB\","
	                   "\"active_alarms\":0,\"interval_ms\":1000}";
	cr_expect_eq(vt_console_message(m, hb2, strlen(hb2), 3000), 1);
	cr_expect_eq(vt_console_sync_state(m), VT_CONSOLE_UNSYNCED, "B's new instance asks for a snapshot");
	vt_console_tick(m, 3500);
	cr_expect(vt_console_bed_named(m, "a-1")->lost);
	cr_expect_not(vt_console_lost(m), "B is heard");
	vt_console_free(&m);
	free(out);

	/* ping and reload: each daemon's answer under its name. */
	const char *pongs[2] = {"{\"ok\":true,\"version\":\"0.1.0\"}", "{\"ok\":false,\"error\":\"x\"}"};
	out = vt_hub_merge(cfg, VT_CMD_RELOAD, pongs, why, 0, "HUB", 3, json_pack("{s:i}", "x", 1));
	cr_expect(strstr(out, "\"ok\":false") && strstr(out, "\"error\":\"b: x\""), "%s", out);
	cr_expect(strstr(out, "\"x\":") == NULL, "the hub's counters are for a ping: %s", out);
	free(out);
	out = vt_hub_merge(cfg, VT_CMD_PING, pongs, why, 0, "HUB", 3,
	                   json_pack("{s:{s:i}}", "proxy", "messages_in", 7));
	cr_expect(strstr(out, "\"ok\":true") && strstr(out, "\"hub\":true") &&
	          strstr(out, "\"instance\":\"HUB\"") && strstr(out, "\"proxy\":{\"messages_in\":7}"),
	          "%s", out);
	free(out);
	vt_hub_config_free(&cfg);
}
