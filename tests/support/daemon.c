/*
 * A real vitalsd for tests (see daemon.h). It is up when its log says it
 * has started, which holds whether or not its sockets need CURVE keys; a
 * start that lost a port to another test is retried on new ports.
 */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon.h"
#include "reaper.h"
#include "run.h"
#include "zmq_client.h"

/* A daemon gets this long to start. */
#define S_START_MS 20000

int
vt_rig_config(const char *path, int pub_port, int ctl_port, const char *extra,
              const char *monitors, const char *rules)
{
	bool has_mon = monitors && *monitors, has_rules = rules && *rules;
	size_t cap = 4096 + (extra ? strlen(extra) : 0) + (has_mon ? strlen(monitors) : 0) +
	             (has_rules ? strlen(rules) : 0);
	char *text = malloc(cap);
	if (text == NULL)
		return -1;
	snprintf(text, cap,
	         "publish: tcp://127.0.0.1:%d\n"
	         "control: tcp://127.0.0.1:%d\n"
	         "%s"
	         "monitors:%s%s"
	         "rules:%s%s",
	         pub_port, ctl_port, extra ? extra : "", has_mon ? "\n" : " []\n",
	         has_mon ? monitors : "", has_rules ? "\n" : " []\n", has_rules ? rules : "");
	/* Written beside and renamed: a reload never sees half a file. */
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	const char *name = path;
	if (slash != NULL) {
		*slash = '\0';
		name = path + (slash - dir) + 1;
	} else {
		snprintf(dir, sizeof(dir), ".");
	}
	int rc = vt_rig_write_file(dir, name, text, NULL, 0);
	free(text);
	return rc;
}

int
vt_rig_daemon_config(struct vt_rig_daemon *d, const char *extra, const char *monitors,
                     const char *rules)
{
	return vt_rig_config(d->config, d->pub_port, d->ctl_port, extra, monitors, rules);
}

/* Whether the log from byte `from` on contains `what`. */
static bool
s_log_has(const struct vt_rig_daemon *d, size_t from, const char *what)
{
	size_t len;
	char *log = vt_rig_slurp(d->proc.log, &len);
	bool found = log && len >= from && strstr(log + from, what) != NULL;
	free(log);
	return found;
}

/* Start it on the configuration as it is and wait until it is up: 0, -1, or 1 when a port was taken. */
static int
s_spawn(struct vt_rig_daemon *d)
{
	size_t from = 0;
	free(vt_rig_slurp(d->proc.log, &from));
	char *argv[] = {(char *)vt_rig_build("vitalsd"), "-c", d->config, NULL};
	if (vt_rig_child_start(&d->proc, "vitalsd", argv, d->proc.log, false) != 0) {
		fprintf(stderr, "rig: cannot start %s: %s\n", argv[0], strerror(errno));
		return -1;
	}
	int64_t end = vt_rig_now_ms() + S_START_MS;
	for (;;) {
		if (s_log_has(d, from, " started: "))
			return 0;
		if (vt_rig_child_exited(&d->proc)) {
			if (s_log_has(d, from, "Address already in use"))
				return 1;
			break;
		}
		if (vt_rig_now_ms() > end) {
			fprintf(stderr, "rig: vitalsd did not start within %d ms\n", S_START_MS);
			vt_rig_child_stop(&d->proc, SIGKILL, 5000);
			break;
		}
		vt_rig_sleep_ms(10);
	}
	char *log = vt_rig_slurp(d->proc.log, NULL);
	fprintf(stderr, "rig: vitalsd did not start (status %d); its log %s:\n%s\n", d->proc.status,
	        d->proc.log, log ? log : "(none)");
	free(log);
	return -1;
}

int
vt_rig_daemon_start(struct vt_rig_daemon *d, const char *dir, const char *extra,
                    const char *monitors, const char *rules)
{
	memset(d, 0, sizeof(*d));
	d->proc.out = -1;
	snprintf(d->dir, sizeof(d->dir), "%s", dir);
	snprintf(d->config, sizeof(d->config), "%s/vitalsd.yaml", dir);
	snprintf(d->proc.log, sizeof(d->proc.log), "%s/vitalsd.log", dir);
	for (int attempt = 0; attempt < 5; attempt++) {
		d->pub_port = vt_rig_free_port();
		d->ctl_port = vt_rig_free_port();
		if (d->pub_port < 0 || d->ctl_port < 0 || d->pub_port == d->ctl_port)
			continue;
		snprintf(d->pub, sizeof(d->pub), "tcp://127.0.0.1:%d", d->pub_port);
		snprintf(d->ctl, sizeof(d->ctl), "tcp://127.0.0.1:%d", d->ctl_port);
		if (vt_rig_daemon_config(d, extra, monitors, rules) != 0) {
			fprintf(stderr, "rig: cannot write %s: %s\n", d->config, strerror(errno));
			return -1;
		}
		int rc = s_spawn(d);
		if (rc <= 0)
			return rc;
	}
	fprintf(stderr, "rig: no free ports for vitalsd after 5 tries\n");
	return -1;
}

int
vt_rig_daemon_restart(struct vt_rig_daemon *d)
{
	/* The old daemon's ports are free again at once (ZeroMQ binds with
	 * SO_REUSEADDR); more tries cover a binary relinked by a build meanwhile. */
	for (int attempt = 0; attempt < 3; attempt++)
		if (s_spawn(d) == 0)
			return 0;
	return -1;
}

int
vt_rig_daemon_stop(struct vt_rig_daemon *d)
{
	return vt_rig_child_stop(&d->proc, SIGTERM, 5000);
}

/* The state of `bed`'s port in a snapshot, or "" if none came. */
static void
s_port_state(const struct vt_rig_daemon *d, const char *bed, char *buf, size_t len)
{
	buf[0] = '\0';
	char *reply = vt_rig_request(d->ctl, "{\"cmd\":\"snapshot\"}", 1000);
	json_t *o = reply ? json_loads(reply, 0, NULL) : NULL;
	const char *s = json_string_value(json_object_get(json_object_get(o, "ports"), bed));
	snprintf(buf, len, "%s", s ? s : "");
	json_decref(o);
	free(reply);
}

bool
vt_rig_daemon_port_is(const struct vt_rig_daemon *d, const char *bed, const char *state,
                      int timeout_ms)
{
	int64_t end = vt_rig_now_ms() + timeout_ms;
	for (;;) {
		char now[32];
		s_port_state(d, bed, now, sizeof(now));
		if (strcmp(now, state) == 0)
			return true;
		if (vt_rig_now_ms() > end)
			return false;
		vt_rig_sleep_ms(50);
	}
}

int
vt_rig_bed_open(struct vt_rig_bed *b, const char *tag, const char *protocol,
                const char *monitor_keys, bool record)
{
	memset(b, 0, sizeof(*b));
	b->pty.master = -1;
	if (vt_rig_tmpdir(b->dir, sizeof(b->dir), tag) != 0) {
		fprintf(stderr, "rig: mkdtemp: %s\n", strerror(errno));
		return -1;
	}
	snprintf(b->link, sizeof(b->link), "%s/chair-1", b->dir);
	snprintf(b->rec, sizeof(b->rec), "%s/rec", b->dir);
	if (record && mkdir(b->rec, 0750) != 0) {
		fprintf(stderr, "rig: mkdir %s: %s\n", b->rec, strerror(errno));
		return -1;
	}
	if (vt_rig_pty_open(&b->pty, b->link) != 0) {
		fprintf(stderr, "rig: pty: %s\n", strerror(errno));
		return -1;
	}
	snprintf(b->monitors, sizeof(b->monitors), "  - {bed: chair-1, port: %s, protocol: %s%s%s}\n",
	         b->link, protocol, monitor_keys ? ", " : "", monitor_keys ? monitor_keys : "");
	if (record)
		snprintf(b->extra, sizeof(b->extra), "record_dir: %s\n", b->rec);
	return 0;
}

void
vt_rig_bed_close(struct vt_rig_bed *b)
{
	vt_rig_pty_close(&b->pty);
	vt_rig_rmtree(b->dir);
}

int
vt_rig_bed_start(struct vt_rig_bed *b, struct vt_rig_daemon *d, const char *tag,
                 const char *rules)
{
	memset(d, 0, sizeof(*d));
	d->proc.out = -1;
	if (vt_rig_bed_open(b, tag, "masimo-ascii", "stale_after: 10m", false) != 0 ||
	    vt_rig_daemon_start(d, b->dir, "heartbeat: 1s\n", b->monitors, rules) != 0)
		return -1;
	if (!vt_rig_daemon_port_is(d, "chair-1", "connected", S_START_MS)) {
		fprintf(stderr, "rig: chair-1's port did not connect; see %s\n", d->proc.log);
		return -1;
	}
	return 0;
}

void
vt_rig_bed_stop(struct vt_rig_bed *b, struct vt_rig_daemon *d)
{
	vt_rig_daemon_stop(d);
	vt_rig_bed_close(b);
}
