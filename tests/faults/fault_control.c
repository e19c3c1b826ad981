/*
 * Fault: a control client gone mad. 100,000 malformed requests from one
 * DEALER, pipelined (up to 500 in flight): random bytes, JSON cut short,
 * arrays, wrong types, unknown commands and members, duplicate keys,
 * invalid UTF-8, deep nesting, requests just over the size limit, and
 * requests that are well formed but name nothing that exists. Pass: every
 * request gets exactly one reply and every reply is {"ok":false,"error":...};
 * the daemon still answers ping afterwards, on a fresh connection; its
 * RSS grew by less than 8 MB; its descriptors did not grow.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <jansson.h>
#include <zmq.h>

#include "../support/support.h"
#include "vitals/base/xorshift.h"

#define REQUESTS 100000
#define IN_FLIGHT 500

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t
s_next(void)
{
	return vt_xorshift64s(&rng);
}

/* Request number i, never a valid one; its length. */
static size_t
s_garbage(uint64_t i, char *buf, size_t cap)
{
	static const char *const fixed[] = {
	    "{\"cmd\":\"ping\"",                         /* cut short */
	    "[\"ping\"]",                                /* not an object */
	    "\"ping\"",
	    "42",
	    "null",
	    "{}",
	    "{\"cmd\":42}",
	    "{\"cmd\":\"pong\"}",
	    "{\"cmd\":\"ping\",\"extra\":1}",
	    "{\"cmd\":\"ping\",\"cmd\":\"ping\"}",        /* duplicate key */
	    "{\"cmd\":\"ack\"}",
	    "{\"cmd\":\"ack\",\"id\":\"\"}",
	    "{\"cmd\":\"ack\",\"id\":\"chair-1/nothing/1\"}", /* no such alert */
	    "{\"cmd\":\"silence\",\"bed\":\"nobody\",\"for\":\"1m\"}",
	    "{\"cmd\":\"silence\",\"bed\":\"chair-1\",\"for\":\"forever\"}",
	    "{\"cmd\":\"silence\",\"bed\":\"chair-1\",\"for\":\"2h\"}",
	    "{\"cmd\":\"phase\",\"bed\":\"chair-1\",\"phase\":\"party\"}",
	    "{\"cmd\":\"phase\",\"bed\":\"chair-1\",\"phase\":\"infusion\",\"weight_kg\":-3}",
	    "{\"cmd\":\"phase\",\"bed\":\"chair-1\",\"phase\":\"infusion\",\"weight_kg\":\"72\"}",
	    "{\"cmd\":\"reload\",\"by\":7}",
	    "{\"cmd\":\"ping\",\"by\":\"\xff\xfe\"}",   /* invalid UTF-8 */
	    "{\"cmd\":\"\xc3\x28\"}",
	    "",
	};
	size_t n_fixed = sizeof(fixed) / sizeof(fixed[0]);
	uint64_t kind = i % (n_fixed + 4);
	if (kind < n_fixed) {
		size_t n = strlen(fixed[kind]);
		memcpy(buf, fixed[kind], n);
		return n;
	}
	switch (kind - n_fixed) {
	case 0: { /* random bytes */
		size_t n = 1 + s_next() % 300;
		for (size_t k = 0; k < n; k++)
			buf[k] = (char)s_next();
		if (buf[0] == '{')
			buf[0] = '[';
		return n;
	}
	case 1: { /* deep nesting */
		size_t depth = 1 + s_next() % 2000, n = 0;
		for (size_t k = 0; k < depth && n < cap / 2; k++)
			buf[n++] = '[';
		for (size_t k = 0; k < depth && n < cap; k++)
			buf[n++] = ']';
		return n;
	}
	case 2: { /* just over the 4 KiB request limit, otherwise a good ping */
		size_t n = (size_t)snprintf(buf, cap, "{\"cmd\":\"ping\",\"by\":\"");
		while (n < 4100)
			buf[n++] = 'x';
		n += (size_t)snprintf(buf + n, cap - n, "\"}");
		return n;
	}
	default: { /* a good request with one byte broken */
		size_t n = (size_t)snprintf(buf, cap,
		                            "{\"cmd\":\"silence\",\"bed\":\"chair-1\",\"for\":\"2m\"}");
		buf[s_next() % n] = "{}[]\":,\\x"[s_next() % 9];
		/* The only way this stays valid is an edit inside a string: break the brace. */
		buf[0] = '(';
		return n;
	}
	}
}

Test(fault_control, a_hundred_thousand_malformed_requests, .timeout = 600)
{
	struct vt_rig_bed b;
	cr_assert_eq(vt_rig_bed_open(&b, "fault-control", "masimo-ascii", NULL, false), 0);
	struct vt_rig_daemon d;
	cr_assert_eq(vt_rig_daemon_start(&d, b.dir, b.extra, b.monitors,
	                                 "  - {name: spo2-low, parameter: spo2, below: 90}\n"), 0);
	struct vt_rig_proc before, after;
	vt_rig_sleep_ms(500); /* the start-up settled */
	cr_assert_eq(vt_rig_proc(d.proc.pid, &before), 0);

	void *s = zmq_socket(vt_rig_zctx(), ZMQ_DEALER);
	int linger = 0, hwm = 0;
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof(hwm));
	zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof(hwm));
	cr_assert_eq(zmq_connect(s, d.ctl), 0);
	static char req[16384], reply[8192];
	long sent = 0, replies = 0, bad = 0;
	int64_t start = vt_rig_now_ms(), last_reply = start;
	while (replies < REQUESTS) {
		while (sent < REQUESTS && sent - replies < IN_FLIGHT) {
			size_t n = s_garbage((uint64_t)sent, req, sizeof(req));
			/* DEALER as a REQ would: an empty delimiter, then the body. */
			cr_assert_geq(zmq_send(s, "", 0, ZMQ_SNDMORE), 0);
			cr_assert_geq(zmq_send(s, req, n, 0), 0);
			sent++;
		}
		zmq_pollitem_t it = {.socket = s, .events = ZMQ_POLLIN};
		if (zmq_poll(&it, 1, 100) <= 0) {
			cr_assert_lt(vt_rig_now_ms() - last_reply, 10000,
			             "no reply for 10 s: %ld sent, %ld answered", sent, replies);
			continue;
		}
		for (;;) {
			int n = zmq_recv(s, reply, sizeof(reply) - 1, ZMQ_DONTWAIT);
			if (n < 0)
				break;
			int more = 0;
			size_t ml = sizeof(more);
			zmq_getsockopt(s, ZMQ_RCVMORE, &more, &ml);
			if (more)
				continue; /* the empty delimiter before the reply */
			reply[n < (int)sizeof(reply) - 1 ? n : (int)sizeof(reply) - 1] = '\0';
			json_t *o = json_loads(reply, 0, NULL);
			if (o == NULL || !json_is_false(json_object_get(o, "ok")) ||
			    !json_is_string(json_object_get(o, "error")))
				bad++;
			json_decref(o);
			replies++;
			last_reply = vt_rig_now_ms();
		}
	}
	zmq_close(s);
	double secs = (double)(vt_rig_now_ms() - start) / 1000;
	cr_expect_eq(bad, 0, "%ld replies were not {\"ok\":false,\"error\":...}", bad);
	cr_expect_eq(replies, REQUESTS);
	cr_assert(vt_rig_ping(d.ctl, 2000), "the daemon no longer answers ping");
	/* Closed connections leave the daemon's poll set a moment later. */
	int64_t settle = vt_rig_now_ms() + 2000;
	do {
		vt_rig_sleep_ms(50);
		cr_assert_eq(vt_rig_proc(d.proc.pid, &after), 0);
	} while (after.fds > before.fds && vt_rig_now_ms() < settle);
	cr_expect_lt(after.rss_kb - before.rss_kb, 8 * 1024, "RSS grew from %ld to %ld kB",
	             before.rss_kb, after.rss_kb);
	cr_expect_leq(after.fds, before.fds, "descriptors grew from %d to %d", before.fds,
	              after.fds);
	cr_log_info("%d requests in %.1f s (%.0f/s); RSS %ld -> %ld kB; fds %d -> %d", REQUESTS,
	            secs, REQUESTS / secs, before.rss_kb, after.rss_kb, before.fds, after.fds);
	int st = vt_rig_daemon_stop(&d);
	cr_expect_eq(st, 0, "vitalsd did not stop cleanly (%d)", st);
	vt_rig_zctx_term();
	vt_rig_bed_close(&b);
}
