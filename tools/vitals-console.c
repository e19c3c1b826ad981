/*
 * vitals-console: the nursing-station view of every chair. In --plain mode
 * (or when stdout is not a terminal) it prints one line per event, for logs,
 * pipes and the demo. It subscribes to the daemon's PUB socket, notices
 * gaps in `seq` (messages lost to a slow link) and, like any remote alarm
 * display must, says CONNECTION LOST loudly when heartbeats stop.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "vitals/timefmt.h"
#include "vitals/version.h"

static volatile sig_atomic_t stop;

static void
s_on_signal(int sig)
{
	stop = 1;
}

/* "10:14:03" in local time, from an RFC 3339 string. */
static const char *
s_clock(const char *rfc3339, char *buf, size_t len)
{
	int64_t ms;
	if (rfc3339 == NULL || vt_time_parse(rfc3339, &ms) != 0)
		return "--:--:--";
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(buf, len, "%H:%M:%S", &tm);
	return buf;
}

static void
s_print_vitals(json_t *o, const char *when)
{
	printf("%s %-10s vitals ", when, json_string_value(json_object_get(o, "bed")));
	const char *key;
	json_t *v;
	json_object_foreach(json_object_get(o, "values"), key, v)
	{
		if (json_is_null(v))
			printf(" %s=---", key);
		else
			printf(" %s=%g", key, json_number_value(v));
	}
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(o, "flags"), i, f) printf(" [%s]", json_string_value(f));
	printf("\n");
}

static void
s_print_alert(json_t *o, const char *when)
{
	const char *event = json_string_value(json_object_get(o, "event"));
	const char *kind = json_string_value(json_object_get(o, "kind"));
	const char *prio = json_string_value(json_object_get(o, "priority"));
	char up[16];
	snprintf(up, sizeof(up), "%s", event ? event : "?");
	for (char *p = up; *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	printf("%s %-10s ALARM %-12s %-6s %s%s  [%s]\n", when,
	       json_string_value(json_object_get(o, "bed")), up, prio ? prio : "?",
	       kind && strcmp(kind, "technical") == 0 ? "(technical) " : "",
	       json_string_value(json_object_get(o, "text")),
	       json_string_value(json_object_get(o, "id")));
}

static void
s_usage(FILE *out)
{
	fputs("usage: vitals-console [--plain] [--connect ENDPOINT]\n"
	      "  --connect ENDPOINT  the daemon's PUB endpoint (default tcp://127.0.0.1:5556)\n"
	      "  --plain             one line per event (default when stdout is not a terminal)\n",
	      out);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {{"connect", required_argument, NULL, 'c'},
	                                         {"plain", no_argument, NULL, 'p'},
	                                         {"help", no_argument, NULL, 'h'},
	                                         {"version", no_argument, NULL, 'V'},
	                                         {NULL, 0, NULL, 0}};
	const char *endpoint = "tcp://127.0.0.1:5556";
	int opt;
	while ((opt = getopt_long(argc, argv, "c:phV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			endpoint = optarg;
			break;
		case 'p':
			break;
		case 'V':
			printf("vitals-console %s\n", VT_VERSION);
			return 0;
		case 'h':
			s_usage(stdout);
			return 0;
		default:
			s_usage(stderr);
			return 64;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct sigaction sa = {.sa_handler = s_on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	void *ctx = zmq_ctx_new();
	void *sub = zmq_socket(ctx, ZMQ_SUB);
	int linger = 0;
	zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
	if (zmq_connect(sub, endpoint) != 0) {
		fprintf(stderr, "vitals-console: cannot connect to %s: %s\n", endpoint,
		        zmq_strerror(errno));
		return 69;
	}
	printf("vitals-console: listening to %s\n", endpoint);
	json_int_t last_seq = 0;
	long interval_ms = 1000;
	bool lost = false;
	char last_instance[64] = "";
	while (!stop) {
		zmq_pollitem_t item = {.socket = sub, .events = ZMQ_POLLIN};
		int rc = zmq_poll(&item, 1, 3 * interval_ms);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (rc == 0) {
			if (!lost)
				printf("*** CONNECTION LOST: no heartbeat from %s for %ld s ***\n", endpoint,
				       3 * interval_ms / 1000);
			lost = true;
			continue;
		}
		char topic[256], body[65536];
		int tn = zmq_recv(sub, topic, sizeof(topic) - 1, 0);
		int more = 0;
		size_t ml = sizeof(more);
		zmq_getsockopt(sub, ZMQ_RCVMORE, &more, &ml);
		if (tn < 0 || !more)
			continue;
		int bn = zmq_recv(sub, body, sizeof(body) - 1, 0);
		if (bn < 0 || bn >= (int)sizeof(body))
			continue;
		body[bn] = '\0';
		if (lost) {
			printf("*** connection restored ***\n");
			lost = false;
		}
		json_t *o = json_loads(body, 0, NULL);
		if (o == NULL)
			continue;
		const char *instance = json_string_value(json_object_get(o, "instance"));
		json_int_t seq = json_integer_value(json_object_get(o, "seq"));
		if (instance && strcmp(instance, last_instance) != 0) {
			if (last_instance[0])
				printf("*** the daemon restarted ***\n");
			snprintf(last_instance, sizeof(last_instance), "%s", instance);
		} else if (last_seq && seq != last_seq + 1) {
			printf("*** missed %lld messages ***\n", (long long)(seq - last_seq - 1));
		}
		last_seq = seq;
		char when[16];
		s_clock(json_string_value(json_object_get(o, "time")), when, sizeof(when));
		const char *type = json_string_value(json_object_get(o, "type"));
		if (type == NULL) {
		} else if (strcmp(type, "vitals") == 0) {
			s_print_vitals(o, when);
		} else if (strcmp(type, "alert") == 0) {
			s_print_alert(o, when);
		} else if (strcmp(type, "status") == 0) {
			const char *detail = json_string_value(json_object_get(o, "detail"));
			printf("%s %-10s port %s%s%s\n", when, json_string_value(json_object_get(o, "bed")),
			       json_string_value(json_object_get(o, "state")), detail ? ": " : "",
			       detail ? detail : "");
		} else if (strcmp(type, "heartbeat") == 0) {
			json_int_t iv = json_integer_value(json_object_get(o, "interval_ms"));
			if (iv > 0)
				interval_ms = (long)iv;
		}
		json_decref(o);
	}
	zmq_close(sub);
	zmq_ctx_term(ctx);
	return 0;
}
