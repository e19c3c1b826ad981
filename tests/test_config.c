/*
 * The configuration loader against docs/configuration.md.
 * Bad files are a table: YAML text and the exact FILE:LINE:COLUMN lines an
 * administrator would read, all of them, in order. Good files check the
 * values and every default. The shipped files are loaded from disk, so
 * the reference configuration can never drift into something the daemon
 * refuses.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "support/support.h"
#include "vitals/config/config.h"

/* ---- helpers --------------------------------------------------------------- */

/* One diagnostic as vt_diag_print's first line shows it. */
static char *
s_line(const struct vt_diag_entry *e)
{
	char *s = NULL;
	int n;
	if (e->line > 0 && e->column > 0)
		n = asprintf(&s, "%s:%d:%d: %s", e->file, e->line, e->column, e->message);
	else if (e->line > 0)
		n = asprintf(&s, "%s:%d: %s", e->file, e->line, e->message);
	else
		n = asprintf(&s, "%s: %s", e->file, e->message);
	cr_assert(n >= 0);
	return s;
}

/* Every diagnostic's first line, joined by newlines (empty if none). */
static char *
s_lines(const struct vt_diag *d)
{
	size_t len = 0;
	char *all = calloc(1, 1);
	for (size_t i = 0; i < d->count; i++) {
		char *l = s_line(&d->entries[i]);
		all = realloc(all, len + strlen(l) + 2);
		len += (size_t)sprintf(all + len, "%s%s", i ? "\n" : "", l);
		free(l);
	}
	return all;
}

static struct vt_config *
s_parse(const char *yaml, struct vt_diag *d)
{
	return vt_config_parse("t.yaml", yaml, strlen(yaml), d);
}

/* Parse text that must be good; fail with its errors otherwise. */
static struct vt_config *
s_good(const char *yaml)
{
	struct vt_diag d = {0};
	struct vt_config *cfg = s_parse(yaml, &d);
	char *got = s_lines(&d);
	cr_assert_not_null(cfg, "expected a good configuration, got:\n%s", got);
	cr_assert_str_eq(got, "");
	free(got);
	vt_diag_clear(&d);
	return cfg;
}

/* Parse text that must fail; the joined error lines (caller frees). */
static char *
s_bad(const char *yaml)
{
	struct vt_diag d = {0};
	struct vt_config *cfg = s_parse(yaml, &d);
	cr_assert_null(cfg, "expected errors, the configuration loaded:\n%s", yaml);
	cr_assert_gt(d.count, 0, "no configuration and no error");
	char *got = s_lines(&d);
	vt_diag_clear(&d);
	return got;
}

/* ---- bad files: the table ------------------------------------------------------ */

#define MAX_ERRORS 12

struct bad_case {
	const char *name;
	const char *yaml;
	const char *errors[MAX_ERRORS + 1]; /* first lines, in order; NULL ends */
};

/* Pieces most cases share; P is line 1, M lines 2-5. */
#define P "publish: tcp://127.0.0.1:5556\n"
#define M                                                                                  \
	"monitors:\n"                                                                      \
	"  - bed: chair-1\n"                                                               \
	"    port: /dev/ttyUSB0\n"                                                         \
	"    protocol: masimo-ascii\n"
/* A rule whose condition the case adds: "rules:" on line 2, entry on line 3. */
#define R(rest)                                                                            \
	P "rules:\n"                                                                       \
	  "  - name: r\n"                                                                  \
	  "    parameter: spo2\n" rest
#define CONDITIONS "below, above, below_baseline, above_baseline, falls_by, rises_by or no_breath_for"
#define TOP_KEYS                                                                           \
	"publish, control, heartbeat, record_dir, monitors, rules, back_to_baseline, curve, "    \
	"allow_insecure_network, record_retention, limits, state_file"
#define MON_KEYS                                                                           \
	"bed, port, protocol, baud, flow, parity, stale_after, nibp_stale_after, poll, hl7_id, "  \
	"announce"
#define PROTOCOLS                                                                          \
	"masimo-ascii, nonin-df7, nonin-df2, nonin-df8, nellcor-ascii, ivy-ansarb, hl7-mllp, "    \
	"philips-mib, ge-dri"
#define PARAMS "spo2, pr, hr, pi, rr, nibp_sys, nibp_dia, nibp_map, etco2, temp, spco, spmet, pvi"
#define BAUDS "300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600"
#define EP "a ZeroMQ endpoint such as tcp://127.0.0.1:5556"
#define DUR "a duration such as 15s, 250ms, 2m or 1h"

static const struct bad_case bad_cases[] = {
    /* -- the document as a whole -- */
    {"empty file", "", {"t.yaml:1:1: missing required key \"publish\""}},
    {"comments only", "# nothing yet\n", {"t.yaml:1:1: missing required key \"publish\""}},
    {"top level is a list", "- publish\n",
     {"t.yaml:1:1: expected a mapping of settings (publish, monitors, rules, ...), got a list"}},
    {"top level is a scalar", "publish tcp://127.0.0.1:5556\n",
     {"t.yaml:1:1: expected a mapping of settings (publish, monitors, rules, ...), got "
      "\"publish tcp://127.0.0.1:5556\""}},
    {"missing publish", "heartbeat: 1s\n", {"t.yaml:1:1: missing required key \"publish\""}},
    {"unknown top-level key, near a known one", P "rule: []\n",
     {"t.yaml:2:1: unknown key \"rule\"; did you mean \"rules\"?"}},
    {"unknown top-level key", P "frobnicate: 1\n",
     {"t.yaml:2:1: unknown key \"frobnicate\"; expected one of: " TOP_KEYS}},
    {"back_to_baseline is a section", P "back_to_baseline: 10%\n",
     {"t.yaml:2:19: back_to_baseline: expected a mapping with within and for, got \"10%\""}},
    {"back_to_baseline band and duration", P "back_to_baseline:\n  within: 0%\n  for: 5\n  over: 1\n",
     {"t.yaml:3:11: back_to_baseline.within: expected a band around the baseline such as 10% or 5 "
      "(more than 0 and less than 100%), got \"0%\"",
      "t.yaml:4:8: back_to_baseline.for: a duration needs a unit: ms, s, m or h (for example 15s), "
      "got \"5\"",
      "t.yaml:5:3: back_to_baseline: unknown key \"over\"; expected one of: within, for"}},
    {"curve needs both keys", P "curve:\n  secret_key: /etc/vitalsd/server.key\n",
     {"t.yaml:3:3: curve: missing required key \"clients\""}},
    {"curve paths are absolute", P "curve:\n  secret_key: server.key\n  clients: /etc/c\n",
     {"t.yaml:3:15: curve.secret_key: expected the absolute path of the daemon's key file, such as "
      "/etc/vitalsd/curve/server.key, got \"server.key\""}},
    {"duplicate top-level key", P "heartbeat: 1s\npublish: tcp://127.0.0.1:5558\n",
     {"t.yaml:3:1: publish: duplicate key (first given at line 1)"}},
    {"a key that is not a name", P "? [a, b]\n: c\n",
     {"t.yaml:2:3: keys are plain names, got a list"}},
    {"second document", P "---\nheartbeat: 1s\n",
     {"t.yaml:2:1: the file holds one YAML document; this is a second one"}},

    /* -- YAML syntax, with libyaml's positions -- */
    {"tab indentation", P "monitors:\n\t- bed: chair-1\n",
     {"t.yaml:3:1: syntax error: found a tab; YAML indents with spaces, not tabs"}},
    {"inconsistent indentation", P "monitors:\n  - bed: chair-1\n    port: /dev/x\n   protocol: y\n",
     {"t.yaml:5:4: syntax error: did not find expected '-' indicator (while parsing a block "
      "collection that starts at line 3, column 3); check the indentation"}},
    {"key indented out of its mapping", P "record_dir:\n  a: 1\n b: 2\n",
     {"t.yaml:4:2: syntax error: did not find expected key (while parsing a block mapping that "
      "starts at line 1, column 1); check the indentation"}},
    {"value continued on a less indented line", "heartbeat:\n  1s\n publish: x\n",
     {"t.yaml:3:9: syntax error: mapping values are not allowed in this context; check the "
      "indentation, or quote a value that contains \": \""}},
    {"colon in a plain value", P "record_dir: a: b\n",
     {"t.yaml:2:14: syntax error: mapping values are not allowed in this context; check the "
      "indentation, or quote a value that contains \": \""}},
    {"unclosed quote", P "record_dir: \"/var/lib\n",
     {"t.yaml:2:22: syntax error: found unexpected end of stream (while scanning a quoted scalar "
      "that starts at line 2, column 13)"}},
    {"unclosed flow list", P "control: [tcp://127.0.0.1:5557\n",
     {"t.yaml:2:31: syntax error: did not find expected ',' or ']' (while parsing a flow sequence "
      "that starts at line 2, column 10)"}},
    {"invalid UTF-8", P "record_dir: /var/\xff\n",
     {"t.yaml:2:18: syntax error: invalid leading UTF-8 octet (0xFF); the file must be UTF-8 text"}},
    {"control character", P "record_dir: /var\x01\n",
     {"t.yaml:2:17: syntax error: control characters are not allowed (0x1); the file must be "
      "UTF-8 text"}},
    {"end of file inside a key, no final line break", P "monit",
     {"t.yaml:2:6: syntax error: could not find expected ':' (while scanning a simple key that "
      "starts at line 2, column 1)"}},
    {"undefined alias", P "control: *nowhere\n", {"t.yaml:2:10: syntax error: found undefined alias"}},
    {"anchors and aliases", "publish: &ep tcp://127.0.0.1:5556\ncontrol: *ep\n",
     {"t.yaml:1:10: anchors (&ep) are not supported; write the value out in full",
      "t.yaml:2:10: aliases (*ep) are not supported; write the value out in full"}},
    {"alias of a monitor",
     P "monitors:\n"
       "  - &m {bed: chair-1, port: /dev/ttyUSB0, protocol: nonin-df7}\n"
       "  - *m\n",
     {"t.yaml:3:5: anchors (&m) are not supported; write the value out in full",
      "t.yaml:4:5: aliases (*m) are not supported; write the value out in full"}},

    /* -- publish, control -- */
    {"publish empty", "publish:\n",
     {"t.yaml:1:9: publish: expected a ZeroMQ endpoint such as tcp://127.0.0.1:5556, or a list "
      "of them, got an empty value"}},
    {"publish empty list", "publish: []\n", {"t.yaml:1:10: publish: expected at least one endpoint"}},
    {"publish a mapping", "publish: {tcp: 5556}\n",
     {"t.yaml:1:10: publish: expected a ZeroMQ endpoint such as tcp://127.0.0.1:5556, or a list "
      "of them, got a mapping"}},
    {"publish unknown transport", "publish: udp://127.0.0.1:5556\n",
     {"t.yaml:1:10: publish: expected a ZeroMQ endpoint tcp://HOST:PORT or ipc://PATH, got "
      "\"udp://127.0.0.1:5556\""}},
    {"publish without port", "publish: tcp://127.0.0.1\n",
     {"t.yaml:1:10: publish: expected a port number from 1 to 65535 in tcp://HOST:PORT, got "
      "\"tcp://127.0.0.1\""}},
    {"publish port out of range",
     "publish: [tcp://127.0.0.1:0, tcp://127.0.0.1:65536, \"tcp://*:*\", tcp://:5556, ipc://]\n",
     {"t.yaml:1:11: publish[0]: expected a port number from 1 to 65535 in tcp://HOST:PORT, got "
      "\"tcp://127.0.0.1:0\"",
      "t.yaml:1:30: publish[1]: expected a port number from 1 to 65535 in tcp://HOST:PORT, got "
      "\"tcp://127.0.0.1:65536\"",
      "t.yaml:1:53: publish[2]: expected a port number from 1 to 65535 in tcp://HOST:PORT, got "
      "\"tcp://*:*\"",
      "t.yaml:1:66: publish[3]: expected a host name or address in tcp://HOST:PORT, got "
      "\"tcp://:5556\"",
      "t.yaml:1:79: publish[4]: expected a socket path in ipc://PATH, got \"ipc://\""}},
    {"publish list item not a string", "publish: [tcp://127.0.0.1:5556, [x]]\n",
     {"t.yaml:1:33: publish[1]: expected " EP ", got a list"}},
    {"ipc path too long",
     "publish: ipc:///run/vitalsd/"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
     {"t.yaml:1:10: publish: an ipc:// path is at most 107 bytes, got "
      "\"ipc:///run/vitalsd/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\""}},
    {"publish and control share an endpoint",
     P "control: [tcp://127.0.0.1:5557, tcp://127.0.0.1:5556, tcp://127.0.0.1:5557]\n",
     {"t.yaml:2:33: control[1]: \"tcp://127.0.0.1:5556\" is already used by publish (line 1); "
      "each endpoint is bound once",
      "t.yaml:2:55: control[2]: \"tcp://127.0.0.1:5557\" is already used by control[0] (line 2); "
      "each endpoint is bound once"}},
    {"endpoints beyond loopback need CURVE or an explicit yes",
     "publish: [tcp://127.0.0.1:5556, 'tcp://*:5556', 'ipc:///run/vitalsd/pub']\n"
     "control: [tcp://localhost:5557, tcp://192.168.1.20:5557, tcp://127.0.0.1.example.org:5558]\n"
     "allow_insecure_network: false\n",
     {"t.yaml:1:33: publish[1]: tcp://*:5556 is reachable beyond this machine without CURVE; add "
      "a curve section (docs/operations.md), bind to 127.0.0.1, or say allow_insecure_network: "
      "true",
      "t.yaml:2:33: control[1]: tcp://192.168.1.20:5557 is reachable beyond this machine without "
      "CURVE; add a curve section (docs/operations.md), bind to 127.0.0.1, or say "
      "allow_insecure_network: true",
      "t.yaml:2:58: control[2]: tcp://127.0.0.1.example.org:5558 is reachable beyond this machine "
      "without CURVE; add a curve section (docs/operations.md), bind to 127.0.0.1, or say "
      "allow_insecure_network: true"}},
    {"allow_insecure_network is a boolean", P "allow_insecure_network: yes please\n",
     {"t.yaml:2:25: allow_insecure_network: expected true or false, got \"yes please\""}},
    {"control empty value", P "control:\n",
     {"t.yaml:2:9: control: expected a ZeroMQ endpoint such as tcp://127.0.0.1:5557, or a list "
      "of them, got an empty value"}},

    /* -- heartbeat, record_dir: durations and paths -- */
    {"heartbeat zero", P "heartbeat: 0s\n",
     {"t.yaml:2:12: heartbeat: expected a duration of at least 1ms, got \"0s\""}},
    {"heartbeat without unit", P "heartbeat: 5\n",
     {"t.yaml:2:12: heartbeat: a duration needs a unit: ms, s, m or h (for example 15s), got \"5\""}},
    {"heartbeat unknown unit", P "heartbeat: 2d\n",
     {"t.yaml:2:12: heartbeat: unknown duration unit: use ms, s, m or h, got \"2d\""}},
    {"heartbeat words", P "heartbeat: fast\n",
     {"t.yaml:2:12: heartbeat: expected " DUR ", got \"fast\""}},
    {"heartbeat negative", P "heartbeat: -1s\n",
     {"t.yaml:2:12: heartbeat: expected " DUR ", got \"-1s\""}},
    {"heartbeat exponent", P "heartbeat: 1e3s\n",
     {"t.yaml:2:12: heartbeat: expected " DUR ", got \"1e3s\""}},
    {"heartbeat a list", P "heartbeat: [1s]\n",
     {"t.yaml:2:12: heartbeat: expected " DUR ", got a list"}},
    {"record_dir relative", P "record_dir: record\n",
     {"t.yaml:2:13: record_dir: expected an absolute directory path such as /var/lib/vitalsd, "
      "got \"record\""}},
    {"record_dir empty", P "record_dir: ''\n",
     {"t.yaml:2:13: record_dir: expected an absolute directory path such as /var/lib/vitalsd, "
      "got \"\""}},

    /* -- monitors -- */
    {"monitors a string", P "monitors: chair-1\n",
     {"t.yaml:2:11: monitors: expected a list of monitors, got \"chair-1\""}},
    {"monitors a mapping", P "monitors:\n  bed: chair-1\n",
     {"t.yaml:3:3: monitors: expected a list of monitors, got a mapping"}},
    {"monitor not a mapping", P "monitors:\n  - chair-1\n",
     {"t.yaml:3:5: monitors[0]: expected a monitor (a mapping with bed, port and protocol), got "
      "\"chair-1\""}},
    {"monitor missing every required key", P "monitors:\n  - stale_after: 5s\n",
     {"t.yaml:3:5: monitors[0]: missing required key \"bed\"",
      "t.yaml:3:5: monitors[0]: missing required key \"port\"",
      "t.yaml:3:5: monitors[0]: missing required key \"protocol\""}},
    {"monitor unknown keys", P M "    baudrate: 9600\n    stale-after: 5s\n",
     {"t.yaml:6:5: monitors[0]: unknown key \"baudrate\"; expected one of: " MON_KEYS,
      "t.yaml:7:5: monitors[0]: unknown key \"stale-after\"; did you mean \"stale_after\"?"}},
    {"monitor duplicate key", P M "    port: /dev/ttyUSB1\n",
     {"t.yaml:6:5: monitors[0].port: duplicate key (first given at line 4)"}},
    {"bed names",
     P "monitors:\n"
       "  - {bed: chair 1, port: /dev/a, protocol: nonin-df7}\n"
       "  - {bed: .hidden, port: /dev/b, protocol: nonin-df7}\n"
       "  - {bed: -x, port: /dev/c, protocol: nonin-df7}\n"
       "  - {bed: chair/1, port: /dev/d, protocol: nonin-df7}\n"
       "  - {bed: [a], port: /dev/e, protocol: nonin-df7}\n"
       "  - {bed: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, port: /dev/f, "
       "protocol: nonin-df7}\n",
     {"t.yaml:3:11: monitors[0].bed: expected a bed name of letters, digits, '_', '.' and '-' "
      "that starts with a letter or digit (at most 64 characters), got \"chair 1\"",
      "t.yaml:4:11: monitors[1].bed: expected a bed name of letters, digits, '_', '.' and '-' "
      "that starts with a letter or digit (at most 64 characters), got \".hidden\"",
      "t.yaml:5:11: monitors[2].bed: expected a bed name of letters, digits, '_', '.' and '-' "
      "that starts with a letter or digit (at most 64 characters), got \"-x\"",
      "t.yaml:6:11: monitors[3].bed: expected a bed name of letters, digits, '_', '.' and '-' "
      "that starts with a letter or digit (at most 64 characters), got \"chair/1\"",
      "t.yaml:7:11: monitors[4].bed: expected a bed name such as chair-1, got a list",
      "t.yaml:8:11: monitors[5].bed: expected a bed name of letters, digits, '_', '.' and '-' "
      "that starts with a letter or digit (at most 64 characters), got "
      "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\""}},
    {"one monitor per bed",
     P "monitors:\n"
       "  - {bed: chair-1, port: /dev/a, protocol: nonin-df7}\n"
       "  - {bed: chair-2, port: /dev/b, protocol: nonin-df7}\n"
       "  - {bed: chair-1, port: /dev/c, protocol: nonin-df7}\n"
       "  - {bed: CHAIR-2, port: /dev/d, protocol: nonin-df7}\n",
     {"t.yaml:5:11: monitors[2].bed: bed \"chair-1\" already has a monitor (monitors[0], line 3); "
      "one monitor per bed",
      "t.yaml:6:11: monitors[3].bed: bed \"CHAIR-2\" differs from \"chair-2\" (monitors[1], line 4) "
      "only in case; bed names must be told apart at a glance"}},
    {"one monitor per port",
     P "monitors:\n"
       "  - {bed: chair-1, port: /dev/ttyUSB0, protocol: nonin-df7}\n"
       "  - {bed: chair-2, port: /dev/ttyUSB0, protocol: nonin-df7}\n",
     {"t.yaml:4:26: monitors[1].port: \"/dev/ttyUSB0\" is already the port of bed \"chair-1\" "
      "(monitors[0], line 3)"}},
    {"ports",
     P "monitors:\n"
       "  - {bed: a, port: ttyUSB0, protocol: nonin-df7}\n"
       "  - {bed: b, port: COM3, protocol: nonin-df7}\n"
       "  - {bed: c, port: tcp://moxa, protocol: nonin-df7}\n"
       "  - {bed: d, port: 'tcp://moxa:0', protocol: nonin-df7}\n"
       "  - {bed: e, port: 'tcp://moxa:99999', protocol: nonin-df7}\n"
       "  - {bed: f, port: 'tcp://bad host:4001', protocol: nonin-df7}\n"
       "  - {bed: g, port: 'tcp://*:4001', protocol: nonin-df7}\n"
       "  - {bed: h, port: \"/dev/tty\\tUSB0\", protocol: nonin-df7}\n",
     {"t.yaml:3:20: monitors[0].port: expected an absolute device path such as /dev/ttyUSB0, "
      "tcp://HOST:PORT, mllp://HOST:PORT or udp://HOST[:PORT], got \"ttyUSB0\"",
      "t.yaml:4:20: monitors[1].port: expected an absolute device path such as /dev/ttyUSB0, "
      "tcp://HOST:PORT, mllp://HOST:PORT or udp://HOST[:PORT], got \"COM3\"",
      "t.yaml:5:20: monitors[2].port: expected a port number from 1 to 65535 in tcp://HOST:PORT, "
      "got \"tcp://moxa\"",
      "t.yaml:6:20: monitors[3].port: expected a port number from 1 to 65535 in tcp://HOST:PORT, "
      "got \"tcp://moxa:0\"",
      "t.yaml:7:20: monitors[4].port: expected a port number from 1 to 65535 in tcp://HOST:PORT, "
      "got \"tcp://moxa:99999\"",
      "t.yaml:8:20: monitors[5].port: expected a host name or address in tcp://HOST:PORT, got "
      "\"tcp://bad host:4001\"",
      "t.yaml:9:20: monitors[6].port: expected a host name or address in tcp://HOST:PORT, got "
      "\"tcp://*:4001\"",
      "t.yaml:10:20: monitors[7].port: expected a device path such as /dev/ttyUSB0, got "
      "\"/dev/tty\\x09USB0\""}},
    {"LAN ports and where monitors announce themselves",
     P "monitors:\n"
       "  - {bed: a, port: 'udp://', protocol: philips-mib}\n"
       "  - {bed: b, port: 'udp://10.1.2.3:0', protocol: philips-mib}\n"
       "  - {bed: c, port: 'udp://mon 4', protocol: philips-mib}\n"
       "  - {bed: d, port: udp://10.1.2.4, protocol: philips-mib, announce: 24005}\n"
       "  - {bed: e, port: /dev/e, protocol: philips-mib, announce: '0.0.0.0:24005'}\n",
     {"t.yaml:3:20: monitors[0].port: expected udp://HOST or udp://HOST:PORT, the monitor's "
      "address and its data export port (24105 if not given), got \"udp://\"",
      "t.yaml:4:20: monitors[1].port: expected udp://HOST or udp://HOST:PORT, the monitor's "
      "address and its data export port (24105 if not given), got \"udp://10.1.2.3:0\"",
      "t.yaml:5:20: monitors[2].port: expected udp://HOST or udp://HOST:PORT, the monitor's "
      "address and its data export port (24105 if not given), got \"udp://mon 4\"",
      "t.yaml:6:69: monitors[3].announce: expected HOST:PORT, the address monitors announce "
      "themselves to, such as 0.0.0.0:24005, got \"24005\"",
      "t.yaml:7:51: monitors[4].announce: only a udp:// port listens for a monitor's "
      "announcement; /dev/e is not one"}},
    {"parity", P "monitors:\n  - {bed: a, port: /dev/a, protocol: ge-dri, parity: mark}\n",
     {"t.yaml:3:54: monitors[0].parity: expected none, even or odd, got \"mark\""}},
    {"unknown protocol", P "monitors:\n  - {bed: a, port: /dev/a, protocol: nonin}\n",
     {"t.yaml:3:38: monitors[0].protocol: unknown protocol \"nonin\"; expected one of: " PROTOCOLS}},
    {"protocol a list", P "monitors:\n  - {bed: a, port: /dev/a, protocol: [nonin-df7]}\n",
     {"t.yaml:3:38: monitors[0].protocol: expected a protocol such as masimo-ascii, got a list"}},
    {"baud rates",
     P "monitors:\n"
       "  - {bed: a, port: /dev/a, protocol: nonin-df7, baud: 9601}\n"
       "  - {bed: b, port: /dev/b, protocol: nonin-df7, baud: fast}\n"
       "  - {bed: c, port: /dev/c, protocol: nonin-df7, baud: -9600}\n"
       "  - {bed: d, port: /dev/d, protocol: nonin-df7, baud: 9600.0}\n",
     {"t.yaml:3:55: monitors[0].baud: expected a standard baud rate (" BAUDS "), got \"9601\"",
      "t.yaml:4:55: monitors[1].baud: expected a standard baud rate (" BAUDS "), got \"fast\"",
      "t.yaml:5:55: monitors[2].baud: expected a standard baud rate (" BAUDS "), got \"-9600\"",
      "t.yaml:6:55: monitors[3].baud: expected a standard baud rate (" BAUDS "), got \"9600.0\""}},
    {"flow control", P "monitors:\n  - {bed: a, port: /dev/a, protocol: nonin-df7, flow: hardware}\n",
     {"t.yaml:3:55: monitors[0].flow: expected none, xonxoff or rtscts, got \"hardware\""}},
    {"stale_after",
     P "monitors:\n"
       "  - {bed: a, port: /dev/a, protocol: nonin-df7, stale_after: 0s}\n"
       "  - {bed: b, port: /dev/b, protocol: nonin-df7, stale_after: 500ms}\n"
       "  - {bed: c, port: /dev/c, protocol: nellcor-ascii, stale_after: 3s}\n"
       "  - {bed: d, port: /dev/d, protocol: nellcor-ascii, stale_after: 4s}\n",
     {"t.yaml:3:62: monitors[0].stale_after: expected a duration of at least 1ms, got \"0s\"",
      "t.yaml:4:62: monitors[1].stale_after: 500ms is too short for nonin-df7, which sends a "
      "reading every 333ms; expected at least 666ms",
      "t.yaml:5:66: monitors[2].stale_after: 3s is too short for nellcor-ascii, which sends a "
      "reading every 2s; expected at least 4s"}},
    {"poll on a device that sends by itself, and a zero nibp_stale_after",
     P "monitors:\n"
       "  - {bed: a, port: /dev/a, protocol: nonin-df7, poll: 1s}\n"
       "  - {bed: b, port: /dev/b, protocol: nonin-df7, nibp_stale_after: 0m}\n",
     {"t.yaml:3:49: monitors[0].poll: nonin-df7 sends values without being asked; poll is for "
      "protocols that are polled",
      "t.yaml:4:67: monitors[1].nibp_stale_after: expected a duration of at least 1ms, got \"0m\""}},
    {"a bad port and a bad protocol in one monitor",
     P "monitors:\n  - {bed: a, port: COM1, protocol: x}\n",
     {"t.yaml:3:20: monitors[0].port: expected an absolute device path such as /dev/ttyUSB0, "
      "tcp://HOST:PORT, mllp://HOST:PORT or udp://HOST[:PORT], got \"COM1\"",
      "t.yaml:3:36: monitors[0].protocol: unknown protocol \"x\"; expected one of: " PROTOCOLS}},

    /* -- HL7 listeners -- */
    {"mllp:// and hl7-mllp go together",
     P "monitors:\n"
       "  - {bed: a, port: 'mllp://127.0.0.1:2575', protocol: nonin-df7}\n"
       "  - {bed: b, port: /dev/ttyS0, protocol: hl7-mllp}\n"
       "  - {bed: c, port: /dev/ttyS1, protocol: nonin-df7, hl7_id: ICU^^1}\n"
       "  - {bed: d, port: 'mllp://127.0.0.1', protocol: hl7-mllp}\n"
       "  - {bed: e, port: 'mllp://127.0.0.1:2576', protocol: hl7-mllp, hl7_id: 'two words'}\n",
     {"t.yaml:3:20: monitors[0].port: mllp:// is for protocol hl7-mllp",
      "t.yaml:4:20: monitors[1].port: hl7-mllp listens for the monitor: expected "
      "mllp://HOST:PORT, the address and port to listen on",
      "t.yaml:5:53: monitors[2].hl7_id: only for protocol hl7-mllp",
      "t.yaml:6:20: monitors[3].port: expected mllp://HOST:PORT, the address to listen on "
      "(0.0.0.0 for every interface) and a port from 1 to 65535, got \"mllp://127.0.0.1\"",
      "t.yaml:7:73: monitors[4].hl7_id: expected the sender's bed location or device id, such as "
      "HDU^507^3 (1 to 64 printable characters, no spaces), got \"two words\""}},
    {"beds that share a listener each need their own hl7_id",
     P "monitors:\n"
       "  - {bed: a, port: 'mllp://127.0.0.1:2575', protocol: hl7-mllp, hl7_id: ICU^^1}\n"
       "  - {bed: b, port: 'mllp://127.0.0.1:2575', protocol: hl7-mllp, hl7_id: icu^^1}\n"
       "  - {bed: c, port: 'mllp://127.0.0.1:2575', protocol: hl7-mllp}\n",
     {"t.yaml:4:20: monitors[1].hl7_id: icu^^1 on mllp://127.0.0.1:2575 is already bed \"a\"'s "
      "(monitors[0], line 3)",
      "t.yaml:5:20: monitors[2].port: mllp://127.0.0.1:2575 is also the port of bed \"a\" "
      "(monitors[0], line 3); beds that share an HL7 listener each need an hl7_id"}},
    {"a listener beyond loopback says so",
     P "monitors:\n  - {bed: a, port: 'mllp://0.0.0.0:2575', protocol: hl7-mllp}\n",
     {"t.yaml:3:20: monitors[0].port: mllp://0.0.0.0:2575 listens beyond this machine, and HL7 "
      "over MLLP has no authentication; keep the monitors' network closed (docs/drivers.md, "
      "hl7-mllp) and say allow_insecure_network: true"}},

    /* -- rules: shape, names, parameters -- */
    {"rules a mapping", P "rules:\n  name: r\n",
     {"t.yaml:3:3: rules: expected a list of rules, got a mapping"}},
    {"rule not a mapping", P "rules:\n  - spo2-low\n",
     {"t.yaml:3:5: rules[0]: expected a rule (a mapping with name, parameter and a condition), "
      "got \"spo2-low\""}},
    {"rule missing everything", P "rules:\n  - for: 5s\n",
     {"t.yaml:3:5: rules[0]: missing required key \"name\"",
      "t.yaml:3:5: rules[0]: missing required key \"parameter\"",
      "t.yaml:3:5: rules[0]: missing the condition: one of " CONDITIONS}},
    {"rule unknown keys", R("    below: 90\n    clear-at: 92\n    delay: 5s\n"),
     {"t.yaml:6:5: rules[0]: unknown key \"clear-at\"; did you mean \"clear_at\"?",
      "t.yaml:7:5: rules[0]: unknown key \"delay\"; expected one of: name, parameter, below, above, "
      "below_baseline, above_baseline, falls_by, rises_by, no_breath_for, within, for, area, "
      "clear_at, priority, latching, escalate_after, tiers, beds, phases, floor"}},
    {"rule duplicate key", R("    below: 90\n    below: 85\n"),
     {"t.yaml:6:5: rules[0].below: duplicate key (first given at line 5)"}},
    {"rule names",
     P "rules:\n"
       "  - {name: SpO2-Low, parameter: spo2, below: 90}\n"
       "  - {name: -low, parameter: spo2, below: 90}\n"
       "  - {name: spo2 low, parameter: spo2, below: 90}\n"
       "  - {name: comm-lost, parameter: spo2, below: 90}\n"
       "  - {name: sensor-off, parameter: spo2, below: 90}\n"
       "  - {name: no-data, parameter: spo2, below: 90}\n"
       "  - {name: signal-quality, parameter: spo2, below: 90}\n",
     {"t.yaml:3:12: rules[0].name: expected a rule name of lowercase letters, digits, '_' and '-' "
      "that starts with a letter or digit (at most 64 characters), got \"SpO2-Low\"",
      "t.yaml:4:12: rules[1].name: expected a rule name of lowercase letters, digits, '_' and '-' "
      "that starts with a letter or digit (at most 64 characters), got \"-low\"",
      "t.yaml:5:12: rules[2].name: expected a rule name of lowercase letters, digits, '_' and '-' "
      "that starts with a letter or digit (at most 64 characters), got \"spo2 low\"",
      "t.yaml:6:12: rules[3].name: \"comm-lost\" is the name of a built-in technical alarm; choose "
      "another",
      "t.yaml:7:12: rules[4].name: \"sensor-off\" is the name of a built-in technical alarm; "
      "choose another",
      "t.yaml:8:12: rules[5].name: \"no-data\" is the name of a built-in technical alarm; choose "
      "another",
      "t.yaml:9:12: rules[6].name: \"signal-quality\" is the name of a built-in technical alarm; "
      "choose another"}},
    {"duplicate rule names",
     P "rules:\n"
       "  - {name: low, parameter: spo2, below: 90}\n"
       "  - {name: low, parameter: pr, below: 50}\n",
     {"t.yaml:4:12: rules[1].name: rule \"low\" is already defined (rules[0], line 3)"}},
    {"unknown parameter", P "rules:\n  - {name: r, parameter: SpO2, below: 90}\n",
     {"t.yaml:3:26: rules[0].parameter: unknown parameter \"SpO2\"; expected one of: " PARAMS}},

    /* -- rules: conditions -- */
    {"limit not a number", R("    below: ninety\n"),
     {"t.yaml:5:12: rules[0].below: expected a number, got \"ninety\""}},
    {"limit forms that are not decimal numbers",
     P "rules:\n"
       "  - {name: a, parameter: pr, above: 0x78}\n"
       "  - {name: b, parameter: pr, above: .inf}\n"
       "  - {name: c, parameter: pr, above: 1e999}\n"
       "  - {name: d, parameter: pr, above: [120]}\n"
       "  - {name: e, parameter: pr, above: }\n",
     {"t.yaml:3:37: rules[0].above: expected a number, got \"0x78\"",
      "t.yaml:4:37: rules[1].above: expected a number, got \".inf\"",
      "t.yaml:5:37: rules[2].above: expected a number, got \"1e999\"",
      "t.yaml:6:37: rules[3].above: expected a number, got a list",
      "t.yaml:7:37: rules[4].above: expected a number, got an empty value"}},
    {"limits outside the parameter's range",
     P "rules:\n"
       "  - {name: a, parameter: spo2, below: 900}\n"
       "  - {name: b, parameter: spo2, below: 0}\n"
       "  - {name: c, parameter: spo2, above: 100}\n"
       "  - {name: d, parameter: pr, above: -5}\n",
     {"t.yaml:3:39: rules[0].below: 900 is outside the range of spo2 (0 to 100 %)",
      "t.yaml:4:39: rules[1].below: spo2 is never below 0; the rule could never raise",
      "t.yaml:5:39: rules[2].above: spo2 is never above 100; the rule could never raise",
      "t.yaml:6:37: rules[3].above: -5 is outside the range of pr (0 to 350 bpm)"}},
    {"two conditions", R("    below: 90\n    above: 99\n    falls_by: 3\n"),
     {"t.yaml:6:5: rules[0].above: a rule has exactly one of " CONDITIONS
      "; this one already has below",
      "t.yaml:7:5: rules[0].falls_by: a rule has exactly one of " CONDITIONS
      "; this one already has below"}},
    {"baseline changes",
     P "rules:\n"
       "  - {name: a, parameter: pr, above_baseline: -10}\n"
       "  - {name: b, parameter: spo2, below_baseline: +5}\n"
       "  - {name: c, parameter: pr, above_baseline: 30 %}\n"
       "  - {name: d, parameter: pr, above_baseline: 0%}\n"
       "  - {name: e, parameter: spo2, below_baseline: 100%}\n"
       "  - {name: f, parameter: spo2, below_baseline: 101}\n"
       "  - {name: g, parameter: pr, above_baseline: lots}\n",
     {"t.yaml:3:46: rules[0].above_baseline: \"-10\" is a fall; above_baseline takes a rise such as "
      "25, +25 or 30%",
      "t.yaml:4:48: rules[1].below_baseline: \"+5\" is a rise; below_baseline takes a fall such as "
      "10, -10 or 30%",
      "t.yaml:5:46: rules[2].above_baseline: expected a rise such as 25, +25 or 30%, got \"30 %\"",
      "t.yaml:6:46: rules[3].above_baseline: expected a change greater than 0, got \"0%\"",
      "t.yaml:7:48: rules[4].below_baseline: a fall of 100% or more from baseline can never "
      "happen; expected less than 100%",
      "t.yaml:8:48: rules[5].below_baseline: a change of 101 is more than the whole range of spo2 "
      "(100 %)",
      "t.yaml:9:46: rules[6].above_baseline: expected a rise such as 25, +25 or 30%, got \"lots\""}},
    {"rate rules",
     P "rules:\n"
       "  - {name: a, parameter: spo2, falls_by: 4%, within: 60s}\n"
       "  - {name: b, parameter: spo2, falls_by: 4}\n"
       "  - {name: c, parameter: spo2, falls_by: 4, within: 0s}\n"
       "  - {name: d, parameter: pr, rises_by: -20, within: 1m}\n",
     {"t.yaml:3:42: rules[0].falls_by: a rate of change is in the parameter's own unit; write it "
      "without %, got \"4%\"",
      "t.yaml:4:5: rules[1]: missing required key \"within\" (falls_by needs the time the change "
      "happens in)",
      "t.yaml:5:53: rules[2].within: expected a duration of at least 1ms, got \"0s\"",
      "t.yaml:6:40: rules[3].rises_by: \"-20\" is a fall; rises_by takes a rise such as 4"}},
    {"within without a rate", R("    below: 90\n    within: 60s\n"),
     {"t.yaml:6:5: rules[0].within: only falls_by and rises_by rules take a window"}},

    /* -- rules: clear_at, for, priority, latching, escalate_after -- */
    {"clear_at on the wrong side",
     P "rules:\n"
       "  - {name: a, parameter: spo2, below: 90, clear_at: 88}\n"
       "  - {name: b, parameter: pr, above: 120, clear_at: 125}\n"
       "  - {name: c, parameter: spo2, below: 90, clear_at: 101}\n"
       "  - {name: d, parameter: spo2, below: 90, clear_at: high}\n",
     {"t.yaml:3:53: rules[0].clear_at: 88 is below the limit 90; a below rule clears at or above "
      "its limit",
      "t.yaml:4:52: rules[1].clear_at: 125 is above the limit 120; an above rule clears at or "
      "below its limit",
      "t.yaml:5:53: rules[2].clear_at: 101 is outside the range of spo2 (0 to 100 %)",
      "t.yaml:6:53: rules[3].clear_at: expected a number, got \"high\""}},
    {"clear_at on a baseline rule", R("    below_baseline: 5\n    clear_at: 92\n"),
     {"t.yaml:6:5: rules[0].clear_at: only below and above rules take clear_at"}},
    {"for", R("    below: 90\n    for: 15\n"),
     {"t.yaml:6:10: rules[0].for: a duration needs a unit: ms, s, m or h (for example 15s), got "
      "\"15\" (a number alone counts the measurements of a blood pressure)"}},
    {"for on a blood pressure counts measurements",
     P "rules:\n"
       "  - {name: a, parameter: nibp_sys, above: 160, for: 5m}\n"
       "  - {name: b, parameter: nibp_sys, above: 160, for: 0}\n"
       "  - {name: c, parameter: nibp_sys, above: 160, for: 101}\n"
       "  - {name: d, parameter: nibp_sys, above: 160, for: 2, area: 100}\n",
     {"t.yaml:3:53: rules[0].for: nibp_sys is measured every few minutes, so for counts "
      "consecutive measurements; write a number such as 2",
      "t.yaml:4:53: rules[1].for: expected a number of measurements from 1 to 100, got \"0\"",
      "t.yaml:5:53: rules[2].for: expected a number of measurements from 1 to 100, got \"101\"",
      "t.yaml:6:53: rules[3].for: a number of measurements cannot go with area",
      "t.yaml:6:56: rules[3].area: needs for, the longest delay: after it any crossing alarms, "
      "however shallow"}},
    {"baseline: one percentage or one number",
     P "rules:\n"
       "  - {name: a, parameter: nibp_sys, above_baseline: 20% or 25%}\n"
       "  - {name: b, parameter: nibp_sys, above_baseline: 20 or 25}\n"
       "  - {name: c, parameter: nibp_sys, above_baseline: 20% or -25}\n"
       "  - {name: d, parameter: spo2, falls_by: 4 or 5%, within: 1m}\n",
     {"t.yaml:3:52: rules[0].above_baseline: the two changes of \"20% or 25%\" are both "
      "percentages; one is a percentage of the baseline and the other in the parameter's unit, "
      "as in 20% or 25",
      "t.yaml:4:52: rules[1].above_baseline: the two changes of \"20 or 25\" are both in the "
      "parameter's unit; one is a percentage of the baseline and the other in the parameter's "
      "unit, as in 20% or 25",
      "t.yaml:5:52: rules[2].above_baseline: \"-25\" is a fall; above_baseline takes a rise such "
      "as 25, +25 or 30%",
      "t.yaml:6:42: rules[3].falls_by: expected a fall such as 4, got \"4 or 5%\""}},
    {"apnea",
     P "rules:\n"
       "  - {name: a, parameter: rr, no_breath_for: 20s}\n"
       "  - {name: b, parameter: etco2, no_breath_for: 20s, for: 5s}\n"
       "  - {name: c, parameter: etco2, no_breath_for: 0s}\n"
       "  - {name: d, parameter: etco2, below: 10, floor: 5}\n"
       "  - {name: e, parameter: etco2, no_breath_for: 20s, floor: 0}\n",
     {"t.yaml:3:26: rules[0].parameter: no_breath_for watches breaths on the capnograph: "
      "expected etco2, got rr",
      "t.yaml:4:53: rules[1].for: no_breath_for is the delay of an apnea rule; remove for",
      "t.yaml:5:48: rules[2].no_breath_for: expected a duration of at least 1ms, got \"0s\"",
      "t.yaml:6:44: rules[3].floor: only no_breath_for rules take a floor",
      "t.yaml:7:60: rules[4].floor: expected an EtCO2 above 0 and at most 150 mmHg, got \"0\""}},
    {"priority", R("    below: 90\n    priority: urgent\n"),
     {"t.yaml:6:15: rules[0].priority: expected low, medium or high, got \"urgent\""}},
    {"latching spellings",
     P "rules:\n"
       "  - {name: a, parameter: spo2, below: 90, latching: yes}\n"
       "  - {name: b, parameter: spo2, below: 90, latching: 1}\n"
       "  - {name: c, parameter: spo2, below: 90, latching: True}\n",
     {"t.yaml:3:53: rules[0].latching: expected true or false, got \"yes\"",
      "t.yaml:4:53: rules[1].latching: expected true or false, got \"1\"",
      "t.yaml:5:53: rules[2].latching: expected true or false, got \"True\""}},
    {"escalate_after", P "rules:\n"
       "  - {name: a, parameter: spo2, below: 90, priority: high, escalate_after: 2m}\n"
       "  - {name: b, parameter: spo2, below: 90, escalate_after: soon}\n",
     {"t.yaml:3:59: rules[0].escalate_after: a high-priority alarm cannot escalate further; "
      "remove escalate_after or lower the priority",
      "t.yaml:4:59: rules[1].escalate_after: expected " DUR ", got \"soon\""}},

    /* -- rules: area and tiers -- */
    {"area: a number above 0, with a longest delay, on below and above rules",
     P "rules:\n"
       "  - {name: a, parameter: spo2, below: 90, area: 0, for: 20s}\n"
       "  - {name: b, parameter: spo2, below: 90, area: 30}\n"
       "  - {name: c, parameter: spo2, falls_by: 4, within: 60s, area: 30, for: 20s}\n",
     {"t.yaml:3:49: rules[0].area: expected a number above 0: the parameter's unit times seconds, "
      "such as 30, got \"0\"",
      "t.yaml:4:43: rules[1].area: needs for, the longest delay: after it any crossing alarms, "
      "however shallow",
      "t.yaml:5:58: rules[2].area: only below and above rules take area"}},
    {"tiers: a list of tiers, each a mapping with one limit",
     R("    below: 90\n"
       "    tiers:\n"
       "      - 85\n"
       "      - {for: 5s}\n"
       "      - {below: 80, above: 95}\n"
       "      - {below: 75, frobnicate: 1}\n"),
     {"t.yaml:7:9: rules[0].tiers[0]: expected a tier (a mapping with below or above, for, area, "
      "clear_at and priority), got \"85\"",
      "t.yaml:8:9: rules[0].tiers[1]: missing the tier's limit: below or above",
      "t.yaml:9:21: rules[0].tiers[2].above: a tier has exactly one of below or above",
      "t.yaml:10:21: rules[0].tiers[3]: unknown key \"frobnicate\"; expected one of: below, "
      "above, for, area, clear_at, priority"}},
    {"tiers: deeper, the same direction, at least as urgent, within the rule's clear_at",
     R("    below: 90\n"
       "    clear_at: 92\n"
       "    priority: medium\n"
       "    tiers:\n"
       "      - {below: 91}\n"
       "      - {below: 85, priority: low}\n"
       "      - {below: 80, clear_at: 95}\n"
       "      - {below: -1}\n"),
     {"t.yaml:9:17: rules[0].tiers[0].below: 91 is not below 90, the limit before it; each tier "
      "goes deeper",
      "t.yaml:10:31: rules[0].tiers[1].priority: low is less urgent than medium before it; a "
      "deeper tier is at least as urgent",
      "t.yaml:11:31: rules[0].tiers[2].clear_at: 95 is past the rule's clear_at 92; a tier stops "
      "no later than its alarm clears",
      "t.yaml:12:17: rules[0].tiers[3].below: -1 is outside the range of spo2 (0 to 100 %)"}},
    {"tiers: in the rule's direction, clear_at on the right side, area with for",
     R("    above: 90\n"
       "    tiers:\n"
       "      - {below: 95}\n"
       "      - {above: 95, clear_at: 97}\n"
       "      - {above: 97, area: 5}\n"),
     {"t.yaml:7:17: rules[0].tiers[0]: the tiers of an above rule are above limits too",
      "t.yaml:8:31: rules[0].tiers[1].clear_at: 97 is above the tier's limit 95; a tier stops at "
      "or below its limit",
      "t.yaml:9:21: rules[0].tiers[2].area: needs for, the longest delay (with for: 0s the tier is "
      "met at once and the area never counts)"}},
    {"tiers: below and above rules only, without escalate_after, at most four",
     P "rules:\n"
       "  - {name: a, parameter: pr, above_baseline: 20%, tiers: [{above: 150}]}\n"
       "  - {name: b, parameter: pr, above: 120, escalate_after: 1m, tiers: [{above: 150}]}\n"
       "  - {name: c, parameter: pr, above: 120, tiers: [{above: 130}, {above: 140}, {above: 150},"
       " {above: 160}, {above: 170}]}\n",
     {"t.yaml:3:51: rules[0].tiers: only below and above rules take tiers",
      "t.yaml:4:42: rules[1].escalate_after: a rule with tiers takes its priority from the value; "
      "remove escalate_after or the tiers",
      "t.yaml:5:49: rules[2].tiers: 5 tiers; at most 4 are supported"}},

    /* -- rules: beds, phases -- */
    {"beds that are not configured",
     P M "rules:\n"
         "  - {name: a, parameter: spo2, below: 90, beds: [chair-1, chair-9, chair-1, Chair-1]}\n"
         "  - {name: b, parameter: spo2, below: 90, beds: [chair-2]}\n",
     {"t.yaml:7:59: rules[0].beds[1]: unknown bed \"chair-9\"; the configured beds are: chair-1",
      "t.yaml:7:68: rules[0].beds[2]: bed \"chair-1\" is listed twice",
      "t.yaml:7:77: rules[0].beds[3]: unknown bed \"Chair-1\"; did you mean \"chair-1\"?",
      "t.yaml:8:50: rules[1].beds[0]: unknown bed \"chair-2\"; the configured beds are: chair-1"}},
    {"beds when there are no monitors", P "rules:\n  - {name: a, parameter: spo2, below: 90, beds: chair-1}\n",
     {"t.yaml:3:49: rules[0].beds: unknown bed \"chair-1\"; no monitors are configured"}},
    {"beds empty, or a mapping",
     P M "rules:\n"
         "  - {name: a, parameter: spo2, below: 90, beds: []}\n"
         "  - {name: b, parameter: spo2, below: 90, beds: {chair-1: yes}}\n",
     {"t.yaml:7:49: rules[0].beds: the list is empty; leave the key out to mean all of them",
      "t.yaml:8:49: rules[1].beds: expected a list of bed names, got a mapping"}},
    {"phases",
     P "rules:\n"
       "  - {name: a, parameter: spo2, below: 90, phases: [infusion, pre-infusion]}\n"
       "  - {name: b, parameter: spo2, below: 90, phases: [recovery, recovery]}\n"
       "  - {name: c, parameter: spo2, below: 90, phases: []}\n",
     {"t.yaml:3:62: rules[0].phases[1]: unknown phase \"pre-infusion\"; expected one of: baseline, "
      "infusion, recovery, ended",
      "t.yaml:4:62: rules[1].phases[1]: phase \"recovery\" is listed twice",
      "t.yaml:5:51: rules[2].phases: the list is empty; leave the key out to mean all of them"}},

    /* -- a value of the wrong YAML type under every key that takes a scalar -- */
    {"wrong node types",
     P "monitors:\n"
       "  - {bed: a, port: [/dev/a], protocol: nonin-df7, baud: {rate: 9600}, flow: [none],\n"
       "     stale_after: [10s]}\n"
       "rules:\n"
       "  - {name: [r], parameter: {p: spo2}, below: 90, for: {s: 1}, clear_at: [92],\n"
       "     priority: [high], latching: [true], escalate_after: [1m], phases: {infusion: 1}}\n"
       "",
     {"t.yaml:3:20: monitors[0].port: expected a device path such as /dev/ttyUSB0, tcp://HOST:"
      "PORT or mllp://HOST:PORT, got a list",
      "t.yaml:3:57: monitors[0].baud: expected a baud rate such as 9600, got a mapping",
      "t.yaml:3:77: monitors[0].flow: expected none, xonxoff or rtscts, got a list",
      "t.yaml:4:19: monitors[0].stale_after: expected " DUR ", got a list",
      "t.yaml:6:12: rules[0].name: expected a rule name such as spo2-low, got a list",
      "t.yaml:6:28: rules[0].parameter: expected a parameter such as spo2 or pr, got a mapping",
      "t.yaml:6:55: rules[0].for: expected " DUR ", got a mapping",
      "t.yaml:6:73: rules[0].clear_at: expected a number, got a list",
      "t.yaml:7:16: rules[0].priority: expected low, medium or high, got a list",
      "t.yaml:7:34: rules[0].latching: expected true or false, got a list",
      "t.yaml:7:58: rules[0].escalate_after: expected " DUR ", got a list",
      "t.yaml:7:72: rules[0].phases: expected a list of phases, got a mapping"}},
    {"wrong node types in conditions",
     P "rules:\n"
       "  - {name: s, parameter: spo2, below_baseline: [5], within: [1s]}\n"
       "  - {name: t, parameter: spo2, falls_by: {by: 5}, within: 60s}\n",
     {"t.yaml:3:48: rules[0].below_baseline: expected a fall such as 10, -10 or 30%, got a list",
      "t.yaml:3:61: rules[0].within: expected " DUR ", got a list",
      "t.yaml:4:42: rules[1].falls_by: expected a fall such as 4, got a mapping"}},

    /* -- many errors at once, reported in file order -- */
    {"every error of a broken file, in order",
     "# a file with one mistake in each section\n"
     "publish: tcp://127.0.0.1:5556\n"
     "control: tcp://127.0.0.1\n"
     "heartbeat: 1 s\n"
     "rules:\n"
     "  - name: spo2-low\n"
     "    parameter: spo2\n"
     "    below: 90\n"
     "    clear_at: 88\n"
     "    beds: [chair-3]\n"
     "  - name: pr-high\n"
     "    parameter: pr\n"
     "    above: 120\n"
     "    priorty: high\n"
     "monitors:\n"
     "  - bed: chair-1\n"
     "    port: /dev/ttyUSB0\n"
     "    protocol: masimo\n"
     "  - bed: chair-2\n"
     "    protocol: nonin-df7\n",
     {"t.yaml:3:10: control: expected a port number from 1 to 65535 in tcp://HOST:PORT, got "
      "\"tcp://127.0.0.1\"",
      "t.yaml:4:12: heartbeat: expected " DUR ", got \"1 s\"",
      "t.yaml:9:15: rules[0].clear_at: 88 is below the limit 90; a below rule clears at or above "
      "its limit",
      "t.yaml:10:12: rules[0].beds[0]: unknown bed \"chair-3\"; the configured beds are: chair-1, "
      "chair-2",
      "t.yaml:14:5: rules[1]: unknown key \"priorty\"; did you mean \"priority\"?",
      "t.yaml:18:15: monitors[0].protocol: unknown protocol \"masimo\"; expected one of: " PROTOCOLS,
      "t.yaml:19:5: monitors[1]: missing required key \"port\""}},
};

#define N_BAD (sizeof(bad_cases) / sizeof(bad_cases[0]))

/*
 * The parameter is the case's index: Criterion may run each case in a
 * fresh process where the table's pointers would not be valid.
 */
ParameterizedTestParameters(config, bad)
{
	static size_t index[N_BAD];
	for (size_t i = 0; i < N_BAD; i++)
		index[i] = i;
	return cr_make_param_array(size_t, index, N_BAD);
}

ParameterizedTest(size_t *idx, config, bad)
{
	const struct bad_case *c = &bad_cases[*idx];
	/* Compare the whole list at once: a failure shows every line, expected and got. */
	size_t len = 0;
	char want[8192];
	want[0] = '\0';
	for (size_t i = 0; i < MAX_ERRORS && c->errors[i]; i++)
		len += (size_t)snprintf(want + len, sizeof(want) - len, "%s%s", i ? "\n" : "", c->errors[i]);
	char *got = s_bad(c->yaml);
	cr_expect_str_eq(got, want, "case \"%s\":\n--- got:\n%s\n--- expected:\n%s", c->name, got,
	                 want);
	free(got);
}

/* ---- good files ------------------------------------------------------------------ */

Test(config, minimal_file_gets_every_default)
{
	struct vt_config *cfg = s_good("publish: tcp://127.0.0.1:5556\n");
	cr_assert_str_eq(cfg->path, "t.yaml");
	cr_assert_eq(cfg->n_publish, 1);
	cr_assert_str_eq(cfg->publish[0], "tcp://127.0.0.1:5556");
	cr_assert_eq(cfg->n_control, 0, "no control socket unless asked for");
	cr_assert_eq(cfg->heartbeat_ms, 1000);
	cr_assert_null(cfg->record_dir);
	cr_assert_eq(cfg->n_monitors, 0);
	cr_assert_eq(cfg->n_rules, 0);
	cr_assert_eq(cfg->btb_band, 10, "a section left out still gets its defaults");
	cr_assert(cfg->btb_band_percent);
	cr_assert_eq(cfg->btb_for_ms, 300000);
	cr_assert_null(cfg->curve_secret_key);
	cr_assert_not(cfg->allow_insecure_network);
	vt_config_free(&cfg);
	cr_assert_null(cfg, "vt_config_free clears the pointer");
	vt_config_free(&cfg);
	vt_config_free(NULL);
}

Test(config, back_to_baseline_and_curve_sections)
{
	/* With CURVE, an endpoint on every interface needs no further word. */
	struct vt_config *cfg = s_good("publish: 'tcp://*:5556'\n"
	                               "back_to_baseline:\n  within: 5\n  for: 10m\n"
	                               "curve:\n  secret_key: /etc/vitalsd/curve/server.key\n"
	                               "  clients: /etc/vitalsd/curve/clients\n");
	cr_assert_eq(cfg->btb_band, 5);
	cr_assert_not(cfg->btb_band_percent);
	cr_assert_eq(cfg->btb_for_ms, 600000);
	cr_assert_str_eq(cfg->curve_secret_key, "/etc/vitalsd/curve/server.key");
	cr_assert_str_eq(cfg->curve_clients, "/etc/vitalsd/curve/clients");
	vt_config_free(&cfg);
	cfg = s_good(P "back_to_baseline:\n  for: 2m\n");
	cr_assert_eq(cfg->btb_band, 10, "within defaults to 10 %%");
	cr_assert(cfg->btb_band_percent);
	cr_assert_eq(cfg->btb_for_ms, 120000);
	cr_assert_null(cfg->curve_secret_key, "no CURVE unless asked for");
	vt_config_free(&cfg);
}

Test(config, empty_lists_and_empty_values_mean_an_idle_daemon)
{
	const char *texts[] = {P "monitors: []\nrules: []\n", P "monitors:\nrules: ~\n"};
	for (size_t i = 0; i < 2; i++) {
		struct vt_config *cfg = s_good(texts[i]);
		cr_assert_eq(cfg->n_monitors, 0);
		cr_assert_eq(cfg->n_rules, 0);
		vt_config_free(&cfg);
	}
}

Test(config, every_top_level_key)
{
	struct vt_config *cfg = s_good(
	    "publish: [tcp://127.0.0.1:5556, 'ipc:///run/vitalsd/pub', 'tcp://*:6000']\n"
	    "control: ['tcp://[::1]:5557']\n"
	    "heartbeat: 250ms\n"
	    "record_dir: /var/lib/vitalsd\n"
	    "allow_insecure_network: true\n");
	cr_assert(cfg->allow_insecure_network);
	cr_assert_eq(cfg->n_publish, 3);
	cr_assert_str_eq(cfg->publish[1], "ipc:///run/vitalsd/pub");
	cr_assert_str_eq(cfg->publish[2], "tcp://*:6000");
	cr_assert_eq(cfg->n_control, 1);
	cr_assert_str_eq(cfg->control[0], "tcp://[::1]:5557");
	cr_assert_eq(cfg->heartbeat_ms, 250);
	cr_assert_str_eq(cfg->record_dir, "/var/lib/vitalsd");
	vt_config_free(&cfg);
}

Test(config, hl7_listeners_shared_by_beds)
{
	static const char text[] =
	    "publish: tcp://127.0.0.1:5556\n"
	    "allow_insecure_network: true\n"
	    "monitors:\n"
	    "  - {bed: a, port: 'mllp://0.0.0.0:2575', protocol: hl7-mllp, hl7_id: 'HDU^507^3'}\n"
	    "  - {bed: b, port: 'mllp://0.0.0.0:2575', protocol: hl7-mllp, hl7_id: 00A0370098007A80}\n"
	    "  - {bed: c, port: 'mllp://127.0.0.1:2576', protocol: hl7-mllp}\n";
	struct vt_diag diag = {0};
	struct vt_config *cfg = vt_config_parse("t.yaml", text, sizeof text - 1, &diag);
	cr_assert_not_null(cfg, "%s", diag.count ? diag.entries[0].message : "");
	cr_expect_str_eq(cfg->monitors[0].hl7_id, "HDU^507^3");
	cr_expect_str_eq(cfg->monitors[1].hl7_id, "00A0370098007A80");
	cr_expect_null(cfg->monitors[2].hl7_id);
	cr_expect_eq(cfg->monitors[2].driver, vt_driver_find("hl7-mllp"));
	cr_expect_eq(cfg->monitors[2].stale_after_ms, 10000);
	vt_config_free(&cfg);
}

Test(config, monitors_with_every_key_and_the_drivers_defaults)
{
	struct vt_config *cfg = s_good(P
	    "monitors:\n"
	    "  - bed: chair-1\n"
	    "    port: /dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A1-if00-port0\n"
	    "    protocol: masimo-ascii\n"
	    "    baud: 19200\n"
	    "    flow: rtscts\n"
	    "    stale_after: 1.5m\n"
	    "  - bed: Bed_2.a\n"
	    "    port: tcp://moxa-1.ward.example:4001\n"
	    "    protocol: nellcor-ascii\n"
	    "  - {bed: '7', port: 'tcp://[fe80::1%eth0]:4002', protocol: nonin-df7, flow: xonxoff}\n");
	cr_assert_eq(cfg->n_monitors, 3);
	const struct vt_monitor_config *m = cfg->monitors;
	cr_assert_str_eq(m[0].bed, "chair-1");
	cr_assert_str_eq(m[0].port, "/dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A1-if00-port0");
	cr_assert_eq(m[0].driver, vt_driver_find("masimo-ascii"));
	cr_assert_eq(m[0].baud, 19200);
	cr_assert_eq(m[0].flow, VT_FLOW_RTSCTS);
	cr_assert_eq(m[0].stale_after_ms, 90000);
	cr_assert_eq(m[0].line, 3);
	cr_assert_str_eq(m[1].bed, "Bed_2.a");
	cr_assert_str_eq(m[1].port, "tcp://moxa-1.ward.example:4001");
	cr_assert_eq(m[1].driver, vt_driver_find("nellcor-ascii"));
	cr_assert_eq(m[1].baud, m[1].driver->default_baud, "baud defaults to the protocol's");
	cr_assert_eq(m[1].flow, m[1].driver->default_flow, "flow defaults to the protocol's");
	cr_assert_eq(m[1].stale_after_ms, 10000);
	cr_assert_eq(m[1].line, 9);
	cr_assert_str_eq(m[2].bed, "7");
	cr_assert_eq(m[2].driver, vt_driver_find("nonin-df7"));
	cr_assert_eq(m[2].flow, VT_FLOW_XONXOFF);
	cr_assert_eq(m[2].baud, m[2].driver->default_baud);
	cr_assert_eq(vt_config_bed_index(cfg, "chair-1"), 0);
	cr_assert_eq(vt_config_bed_index(cfg, "7"), 2);
	cr_assert_eq(vt_config_bed_index(cfg, "chair-9"), -1);
	cr_assert_eq(vt_config_bed_index(cfg, "CHAIR-1"), -1, "bed names are exact");
	vt_config_free(&cfg);
}

Test(config, polled_and_lan_monitors)
{
	struct vt_config *cfg = s_good(P
	    "monitors:\n"
	    "  - {bed: a, port: /dev/ttyS0, protocol: ge-dri}\n"
	    "  - {bed: b, port: /dev/ttyS1, protocol: ge-dri, parity: none, poll: 10s, stale_after: 30s}\n"
	    "  - {bed: c, port: udp://10.1.2.3, protocol: philips-mib}\n"
	    "  - {bed: d, port: 'udp://[fe80::2]:24106', protocol: philips-mib,\n"
	    "     announce: '127.0.0.1:34005'}\n");
	cr_assert_eq(cfg->n_monitors, 4);
	const struct vt_monitor_config *m = cfg->monitors;
	cr_expect_eq(m[0].parity, VT_PARITY_EVEN, "8E1 is the S/5's");
	cr_expect_eq(m[0].flow, VT_FLOW_RTSCTS);
	cr_expect_eq(m[0].baud, 19200);
	cr_expect_eq(m[0].opts.poll_ms, 5000, "the driver's interval");
	cr_expect(!m[0].opts.datagram);
	cr_expect_eq(m[1].parity, VT_PARITY_NONE);
	cr_expect_eq(m[1].opts.poll_ms, 10000);
	cr_expect(m[2].opts.datagram, "udp:// carries datagrams");
	cr_expect_null(m[2].announce, "the default announce address");
	cr_expect_eq(m[2].opts.poll_ms, 1000);
	cr_expect(m[3].opts.datagram);
	cr_expect_str_eq(m[3].announce, "127.0.0.1:34005");
	vt_config_free(&cfg);
}

Test(config, limit_rule_defaults)
{
	struct vt_config *cfg = s_good(R("    below: 90\n"));
	const struct vt_rule_config *r = &cfg->rules[0];
	cr_assert_str_eq(r->name, "r");
	cr_assert_eq(r->param, VT_SPO2);
	cr_assert_eq(r->kind, VT_RULE_LIMIT);
	cr_assert_eq(r->direction, -1);
	cr_assert_eq(r->limit, 90);
	cr_assert_eq(r->clear_at, 90, "clear_at defaults to the limit");
	cr_assert_not(r->clear_at_set);
	cr_assert_eq(r->for_ms, 0);
	cr_assert_eq(r->priority, VT_PRIO_MEDIUM);
	cr_assert_not(r->latching);
	cr_assert_eq(r->escalate_after_ms, 0);
	cr_assert_eq(r->n_beds, 0);
	cr_assert_eq(r->phases, 0);
	cr_assert_eq(r->line, 3);
	cr_assert(vt_rule_applies_to(r, "anything"), "no beds: every bed");
	vt_config_free(&cfg);
}

Test(config, limit_rule_with_every_key)
{
	struct vt_config *cfg = s_good(P M
	    "  - {bed: chair-2, port: /dev/ttyUSB1, protocol: nonin-df7}\n"
	    "rules:\n"
	    "  - name: pr-high\n"
	    "    parameter: pr\n"
	    "    above: 120.5\n"
	    "    for: 10s\n"
	    "    clear_at: 115\n"
	    "    priority: low\n"
	    "    latching: true\n"
	    "    escalate_after: 2m\n"
	    "    beds: [chair-2]\n"
	    "    phases: [infusion, recovery]\n");
	const struct vt_rule_config *r = &cfg->rules[0];
	cr_assert_eq(r->param, VT_PR);
	cr_assert_eq(r->kind, VT_RULE_LIMIT);
	cr_assert_eq(r->direction, +1);
	cr_assert_eq(r->limit, 120.5);
	cr_assert_eq(r->clear_at, 115);
	cr_assert(r->clear_at_set);
	cr_assert_eq(r->for_ms, 10000);
	cr_assert_eq(r->priority, VT_PRIO_LOW);
	cr_assert(r->latching);
	cr_assert_eq(r->escalate_after_ms, 120000);
	cr_assert_eq(r->n_beds, 1);
	cr_assert_str_eq(r->beds[0], "chair-2");
	cr_assert_eq(r->phases, VT_PHASE_BIT(VT_PHASE_INFUSION) | VT_PHASE_BIT(VT_PHASE_RECOVERY));
	cr_assert(vt_rule_applies_to(r, "chair-2"));
	cr_assert_not(vt_rule_applies_to(r, "chair-1"));
	vt_config_free(&cfg);
}

Test(config, area_and_tiers)
{
	struct vt_config *cfg = s_good(P
	    "rules:\n"
	    "  - name: spo2-low\n"
	    "    parameter: spo2\n"
	    "    below: 90\n"
	    "    area: 25.5\n"
	    "    for: 20s\n"
	    "    clear_at: 92\n"
	    "    tiers:\n"
	    "      - below: 85\n"
	    "        for: 5s\n"
	    "        area: 10\n"
	    "        clear_at: 87\n"
	    "        priority: high\n"
	    "      - below: 80\n"
	    "  - {name: pr-high, parameter: pr, above: 120, tiers: []}\n");
	const struct vt_rule_config *r = &cfg->rules[0];
	cr_expect_eq(r->area, 25.5);
	cr_expect_eq(r->for_ms, 20000);
	cr_expect_eq(r->priority, VT_PRIO_MEDIUM);
	cr_assert_eq(r->n_tiers, 2);
	cr_expect_eq(r->tiers[0].limit, 85);
	cr_expect_eq(r->tiers[0].clear_at, 87);
	cr_expect_eq(r->tiers[0].for_ms, 5000);
	cr_expect_eq(r->tiers[0].area, 10);
	cr_expect_eq(r->tiers[0].priority, VT_PRIO_HIGH);
	cr_expect_eq(r->tiers[1].limit, 80);
	cr_expect_eq(r->tiers[1].clear_at, 80, "clear_at defaults to the tier's limit");
	cr_expect_eq(r->tiers[1].for_ms, 0);
	cr_expect_eq(r->tiers[1].area, 0);
	cr_expect_eq(r->tiers[1].priority, VT_PRIO_HIGH, "priority defaults to the tier before");
	cr_expect_eq(cfg->rules[1].n_tiers, 0, "an empty list: the rule's own limit alone");
	cr_expect_eq(cfg->rules[1].area, 0);
	vt_config_free(&cfg);
}

Test(config, baseline_and_rate_forms)
{
	struct vt_config *cfg = s_good(P
	    "rules:\n"
	    "  - {name: a, parameter: pr, above_baseline: 30%}\n"
	    "  - {name: b, parameter: pr, above_baseline: '+25'}\n"
	    "  - {name: c, parameter: pr, above_baseline: 25}\n"
	    "  - {name: d, parameter: spo2, below_baseline: -10}\n"
	    "  - {name: e, parameter: spo2, below_baseline: 10}\n"
	    "  - {name: f, parameter: spo2, below_baseline: -5.5%}\n"
	    "  - {name: g, parameter: spo2, falls_by: 4, within: 60s}\n"
	    "  - {name: h, parameter: pr, rises_by: +20, within: 2m, for: 5s}\n");
	const struct vt_rule_config *r = cfg->rules;
	cr_assert_eq(cfg->n_rules, 8);
	struct {
		enum vt_rule_kind kind;
		int direction;
		double delta;
		bool percent;
		int64_t within;
	} want[] = {
	    {VT_RULE_BASELINE, +1, 30, true, 0},  {VT_RULE_BASELINE, +1, 25, false, 0},
	    {VT_RULE_BASELINE, +1, 25, false, 0}, {VT_RULE_BASELINE, -1, 10, false, 0},
	    {VT_RULE_BASELINE, -1, 10, false, 0}, {VT_RULE_BASELINE, -1, 5.5, true, 0},
	    {VT_RULE_RATE, -1, 4, false, 60000},  {VT_RULE_RATE, +1, 20, false, 120000},
	};
	for (size_t i = 0; i < 8; i++) {
		cr_expect_eq(r[i].kind, want[i].kind, "rule %s", r[i].name);
		cr_expect_eq(r[i].direction, want[i].direction, "rule %s", r[i].name);
		cr_expect_eq(r[i].delta, want[i].delta, "rule %s", r[i].name);
		cr_expect_eq(r[i].delta_percent, want[i].percent, "rule %s", r[i].name);
		cr_expect_eq(r[i].within_ms, want[i].within, "rule %s", r[i].name);
		cr_expect_not(r[i].clear_at_set, "rule %s", r[i].name);
	}
	cr_assert_eq(r[7].for_ms, 5000);
	vt_config_free(&cfg);
}

Test(config, beds_and_phases_may_be_one_name_and_rules_may_come_first)
{
	struct vt_config *cfg = s_good(P
	    "rules:\n"
	    "  - {name: a, parameter: spo2, below: 90, beds: chair-1, phases: infusion}\n"
	    "  - {name: b, parameter: spo2, below: 85, beds: [chair-1, chair-2],\n"
	    "     phases: [baseline, infusion, recovery, ended]}\n"
	    "monitors:\n"
	    "  - {bed: chair-1, port: /dev/a, protocol: nonin-df7}\n"
	    "  - {bed: chair-2, port: /dev/b, protocol: nonin-df7}\n");
	cr_assert_eq(cfg->rules[0].n_beds, 1);
	cr_assert_str_eq(cfg->rules[0].beds[0], "chair-1");
	cr_assert_eq(cfg->rules[0].phases, VT_PHASE_BIT(VT_PHASE_INFUSION));
	cr_assert_eq(cfg->rules[1].n_beds, 2);
	cr_assert_eq(cfg->rules[1].phases, 0xFu);
	cr_assert_not(vt_rule_applies_to(&cfg->rules[0], "chair-2"));
	cr_assert(vt_rule_applies_to(&cfg->rules[1], "chair-2"));
	vt_config_free(&cfg);
}

Test(config, quoting_line_endings_and_byte_order_mark_do_not_matter)
{
	const char *texts[] = {
	    "publish: \"tcp://127.0.0.1:5556\"\nrules:\n  - {name: r, parameter: 'spo2', below: \"90\", "
	    "for: '15s', latching: 'true'}\n",
	    "publish: tcp://127.0.0.1:5556\r\nrules:\r\n  - {name: r, parameter: spo2, below: 90, "
	    "for: 15s, latching: true}\r\n",
	    "\xEF\xBB\xBFpublish: tcp://127.0.0.1:5556\nrules:\n  - {name: r, parameter: spo2, below: 90, "
	    "for: 15s, latching: true}\n",
	    "---\npublish: tcp://127.0.0.1:5556\nrules: [{name: r, parameter: spo2, below: 9e1, "
	    "for: 15000ms, latching: true}]\n...\n",
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct vt_config *cfg = s_good(texts[i]);
		cr_assert_eq(cfg->rules[0].limit, 90, "text %zu", i);
		cr_assert_eq(cfg->rules[0].for_ms, 15000, "text %zu", i);
		cr_assert(cfg->rules[0].latching, "text %zu", i);
		vt_config_free(&cfg);
	}
}

Test(config, names)
{
	cr_assert_str_eq(vt_priority_name(VT_PRIO_LOW), "low");
	cr_assert_str_eq(vt_priority_name(VT_PRIO_MEDIUM), "medium");
	cr_assert_str_eq(vt_priority_name(VT_PRIO_HIGH), "high");
	const char *phases[] = {"baseline", "infusion", "recovery", "ended"};
	for (int p = 0; p < VT_PHASE_COUNT; p++) {
		cr_assert_str_eq(vt_phase_name((enum vt_phase)p), phases[p]);
		cr_assert_eq(vt_phase_by_name(phases[p]), p);
	}
	cr_assert_eq(vt_phase_by_name("Infusion"), -1);
	cr_assert_eq(vt_phase_by_name(""), -1);
}

/* ---- the shipped files ------------------------------------------------------------- */

static struct vt_config *
s_load_shipped(const char *rel)
{
	struct vt_diag d = {0};
	const char *path = vt_rig_root(rel);
	struct vt_config *cfg = vt_config_load(path, &d);
	char *got = s_lines(&d);
	cr_assert_not_null(cfg, "%s does not load:\n%s", path, got);
	free(got);
	vt_diag_clear(&d);
	return cfg;
}

/* The three clinical rules both shipped files carry (docs/configuration.md, docs/alarms.md). */
static void
s_expect_clinical_rules(const struct vt_config *cfg)
{
	struct {
		const char *name;
		enum vt_param param;
		int direction;
		double limit, clear_at, area;
		int64_t for_ms;
		enum vt_priority priority;
		struct vt_rule_tier tiers[2];
		size_t n_tiers;
	} want[] = {
	    {"spo2-low", VT_SPO2, -1, 90, 92, 10, 15000, VT_PRIO_MEDIUM,
	     {{85, 87, 5000, 0, VT_PRIO_HIGH}, {80, 82, 0, 0, VT_PRIO_HIGH}}, 2},
	    {"pr-high", VT_PR, +1, 120, 115, 10, 20000, VT_PRIO_MEDIUM,
	     {{150, 140, 0, 0, VT_PRIO_HIGH}}, 1},
	    {"pr-low", VT_PR, -1, 50, 55, 20, 20000, VT_PRIO_MEDIUM,
	     {{40, 45, 0, 0, VT_PRIO_HIGH}}, 1},
	};
	/* First in the file; a multiparameter monitor's rules may follow. */
	cr_assert_geq(cfg->n_rules, 3);
	for (size_t i = 0; i < 3; i++) {
		const struct vt_rule_config *r = &cfg->rules[i];
		cr_expect_str_eq(r->name, want[i].name);
		cr_expect_eq(r->param, want[i].param, "%s", r->name);
		cr_expect_eq(r->kind, VT_RULE_LIMIT, "%s", r->name);
		cr_expect_eq(r->direction, want[i].direction, "%s", r->name);
		cr_expect_eq(r->limit, want[i].limit, "%s", r->name);
		cr_expect_eq(r->clear_at, want[i].clear_at, "%s", r->name);
		cr_expect_eq(r->area, want[i].area, "%s", r->name);
		cr_expect_eq(r->for_ms, want[i].for_ms, "%s", r->name);
		cr_expect_eq(r->priority, want[i].priority, "%s", r->name);
		cr_expect_not(r->latching, "%s", r->name);
		cr_expect_eq(r->n_beds, 0, "%s", r->name);
		cr_expect_eq(r->phases, 0, "%s", r->name);
		cr_expect_eq(r->escalate_after_ms, 0, "%s", r->name);
		cr_assert_eq(r->n_tiers, want[i].n_tiers, "%s", r->name);
		for (size_t k = 0; k < r->n_tiers; k++) {
			const struct vt_rule_tier *t = &r->tiers[k], *w = &want[i].tiers[k];
			cr_expect(t->limit == w->limit && t->clear_at == w->clear_at &&
			          t->for_ms == w->for_ms && t->area == w->area && t->priority == w->priority,
			          "%s.tiers[%zu]", r->name, k);
		}
	}
}

Test(config, shipped_production_file)
{
	struct vt_config *cfg = s_load_shipped("config/vitalsd.yaml");
	cr_assert_eq(cfg->n_publish, 1);
	cr_assert_str_eq(cfg->publish[0], "tcp://127.0.0.1:5556");
	cr_assert_eq(cfg->n_control, 1);
	cr_assert_str_eq(cfg->control[0], "tcp://127.0.0.1:5557");
	cr_assert_eq(cfg->heartbeat_ms, 1000);
	cr_assert_str_eq(cfg->record_dir, "/var/lib/vitalsd");
	cr_assert_eq(cfg->n_monitors, 4);
	const char *beds[] = {"chair-1", "chair-2", "chair-3", "chair-4"};
	const char *protocols[] = {"masimo-ascii", "nonin-df7", "nellcor-ascii", "masimo-ascii"};
	for (size_t i = 0; i < 4; i++) {
		cr_expect_str_eq(cfg->monitors[i].bed, beds[i]);
		cr_expect_str_eq(cfg->monitors[i].driver->name, protocols[i]);
		cr_expect_eq(cfg->monitors[i].stale_after_ms, 10000);
		cr_expect_eq(cfg->monitors[i].baud, 9600);
	}
	for (size_t i = 0; i < 3; i++)
		cr_expect(strncmp(cfg->monitors[i].port, "/dev/serial/by-id/", 18) == 0, "%s",
		          cfg->monitors[i].port);
	cr_expect(strncmp(cfg->monitors[3].port, "tcp://", 6) == 0);
	s_expect_clinical_rules(cfg);
	vt_config_free(&cfg);
}

Test(config, shipped_demo_file)
{
	struct vt_config *cfg = s_load_shipped("config/demo.yaml");
	cr_assert_str_eq(cfg->publish[0], "tcp://127.0.0.1:5556");
	cr_assert_str_eq(cfg->control[0], "tcp://127.0.0.1:5557");
	cr_assert_str_eq(cfg->record_dir, "/tmp/vitalsd-demo/record");
	cr_assert_eq(cfg->n_monitors, 4);
	const char *protocols[] = {"nonin-df7", "masimo-ascii", "nellcor-ascii", "philips-mib"};
	for (size_t i = 0; i < 4; i++) {
		char bed[16], port[48];
		snprintf(bed, sizeof(bed), "chair-%zu", i + 1);
		snprintf(port, sizeof(port), "/tmp/vitalsd-demo/chair-%zu", i + 1);
		cr_expect_str_eq(cfg->monitors[i].bed, bed);
		cr_expect_str_eq(cfg->monitors[i].port, port);
		cr_expect_str_eq(cfg->monitors[i].driver->name, protocols[i]);
	}
	s_expect_clinical_rules(cfg);
	/* The blood-pressure rules are the production ones, in force on the one chair
	 * whose monitor has a cuff: they name every bed, as in production. */
	struct vt_config *prod = s_load_shipped("config/vitalsd.yaml");
	const char *bp[] = {"nibp-surge", "nibp-sys-high", "nibp-sys-low"};
	for (size_t k = 0; k < 3; k++) {
		const struct vt_rule_config *d = NULL, *p = NULL;
		for (size_t i = 0; i < cfg->n_rules; i++)
			d = strcmp(cfg->rules[i].name, bp[k]) == 0 ? &cfg->rules[i] : d;
		for (size_t i = 0; i < prod->n_rules; i++)
			p = strcmp(prod->rules[i].name, bp[k]) == 0 ? &prod->rules[i] : p;
		cr_assert(d != NULL && p != NULL, "%s: in the demo %p, in production %p", bp[k],
		          (const void *)d, (const void *)p);
		cr_expect(d->param == p->param && d->kind == p->kind && d->direction == p->direction &&
		              d->limit == p->limit && d->delta == p->delta &&
		              d->delta_percent == p->delta_percent && d->delta_or == p->delta_or &&
		              d->delta_or_percent == p->delta_or_percent && d->priority == p->priority &&
		              d->phases == p->phases && d->for_count == p->for_count,
		          "%s differs from config/vitalsd.yaml's", bp[k]);
		for (size_t b = 0; b < cfg->n_monitors; b++) {
			cr_expect(vt_rule_applies_to_bed(cfg, d, b), "%s on %s", bp[k], cfg->monitors[b].bed);
			cr_expect_eq((vt_monitor_measures(&cfg->monitors[b]) & VT_PARAM_BIT(d->param)) != 0,
			             b == 3, "%s measured on %s", bp[k], cfg->monitors[b].bed);
		}
	}
	vt_config_free(&prod);
	vt_config_free(&cfg);
}

/* The commented-out examples of the production file must be valid once uncommented. */
Test(config, shipped_examples_are_valid)
{
	size_t len;
	char *text = vt_rig_slurp(vt_rig_root("config/vitalsd.yaml"), &len);
	cr_assert_not_null(text);
	char *examples = strstr(text, "  # Examples of the other rule forms");
	cr_assert_not_null(examples);
	/* "  # - name: x" -> "  - name: x", "  #   below: 1" -> "    below: 1". */
	char *out = calloc(1, len + 1), *o = out;
	o += sprintf(o, "%.*s", (int)(examples - text), text);
	int uncommented = 0;
	for (char *line = examples; *line;) {
		char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line) + 1 : strlen(line);
		if (strncmp(line, "  # - ", 6) == 0 || strncmp(line, "  #   ", 6) == 0) {
			o += sprintf(o, "  %.*s", (int)(n - 4), line + 4);
			uncommented++;
		}
		line += n;
	}
	cr_assert_gt(uncommented, 10);
	struct vt_config *cfg = s_good(out);
	struct vt_config *shipped = s_load_shipped("config/vitalsd.yaml");
	size_t n = shipped->n_rules;
	vt_config_free(&shipped);
	cr_assert_eq(cfg->n_rules, n + 3, "the three examples after the shipped rules");
	cr_assert_eq(cfg->rules[n].kind, VT_RULE_BASELINE);
	cr_assert_eq(cfg->rules[n + 1].kind, VT_RULE_RATE);
	cr_assert_eq(cfg->rules[n + 2].kind, VT_RULE_BASELINE);
	vt_config_free(&cfg);
	free(out);
	free(text);
}

/* ---- reading files ------------------------------------------------------------------ */

Test(config, load_reports_unreadable_files)
{
	struct vt_diag d = {0};
	cr_assert_null(vt_config_load("/nonexistent/vitalsd.yaml", &d));
	char *got = s_lines(&d);
	cr_assert_str_eq(got, "/nonexistent/vitalsd.yaml: cannot read: No such file or directory");
	free(got);
	vt_diag_clear(&d);
	cr_assert_null(vt_config_load("/", &d));
	got = s_lines(&d);
	cr_assert_str_eq(got, "/: cannot read: Is a directory");
	free(got);
	vt_diag_clear(&d);
}

/* Write `text` to a new file made from the mkstemp template `path`. */
static void
s_temp_file(char *path, const char *text)
{
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* Replace the contents of the file at `path`. */
static void
s_rewrite(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	cr_assert_geq(fputs(text, f), 0);
	cr_assert_eq(fclose(f), 0);
}

Test(config, load_names_the_file_in_every_message)
{
	char path[] = "/tmp/test_config_XXXXXX";
	s_temp_file(path, P "heartbeat: never\n");
	struct vt_diag d = {0};
	cr_assert_null(vt_config_load(path, &d));
	char *got = s_lines(&d), want[256];
	snprintf(want, sizeof(want), "%s:2:12: heartbeat: expected " DUR ", got \"never\"", path);
	cr_assert_str_eq(got, want);
	free(got);
	vt_diag_clear(&d);
	unlink(path);
}

Test(config, diagnostics_print_the_line_and_a_caret)
{
	struct vt_diag d = {0};
	cr_assert_null(s_parse(R("    below: ninety\n"), &d));
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	vt_diag_print(&d, f);
	fclose(f);
	cr_assert_str_eq(buf, "t.yaml:5:12: rules[0].below: expected a number, got \"ninety\"\n"
	                      "      below: ninety\n"
	                      "             ^\n");
	free(buf);
	vt_diag_clear(&d);
}

/* `vitalsd -c FILE -n` is how an administrator checks a file (docs/configuration.md). */
Test(config, vitalsd_check_mode_prints_every_error_and_exits_78)
{
	char path[] = "/tmp/test_config_XXXXXX";
	s_temp_file(path, P "heartbeat: 0s\nrules: [{name: a, parameter: spo2, below: 101}]\n");
	char *argv[] = {(char *)vt_rig_build("vitalsd"), "-c", path, "-n", NULL};
	struct vt_rig_output r;
	cr_assert_geq(vt_rig_run(argv, &r), 0, "cannot run %s", argv[0]);
	cr_expect_eq(r.status, 78);
	char want[512];
	snprintf(want, sizeof(want),
	         "%s:2:12: heartbeat: expected a duration of at least 1ms, got \"0s\"\n"
	         "  heartbeat: 0s\n"
	         "             ^\n"
	         "%s:3:43: rules[0].below: 101 is outside the range of spo2 (0 to 100 %%)\n"
	         "  rules: [{name: a, parameter: spo2, below: 101}]\n"
	         "                                            ^\n",
	         path, path);
	cr_expect_str_eq(r.err, want);
	vt_rig_output_free(&r);
	char *argv_ok[] = {(char *)vt_rig_build("vitalsd"), "-c",
	                   (char *)vt_rig_root("config/vitalsd.yaml"), "-n", NULL};
	cr_assert_geq(vt_rig_run(argv_ok, &r), 0, "cannot run %s", argv_ok[0]);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "configuration OK\n");
	vt_rig_output_free(&r);
	unlink(path);
}

/* -n also says what will not work when the daemon runs: a serial port that
 * is not there is a warning (the monitor may be unplugged), a network
 * endpoint without CURVE an error. */
Test(config, vitalsd_check_mode_warns_about_missing_ports_and_refuses_open_endpoints)
{
	char path[] = "/tmp/test_config_XXXXXX";
	s_temp_file(path, P "monitors:\n"
	                    "  - {bed: a, port: /dev/vitals-test-no-such-port, protocol: masimo-ascii}\n"
	                    "  - {bed: b, port: /dev/null, protocol: masimo-ascii}\n"
	                    "  - {bed: c, port: 'tcp://127.0.0.1:4001', protocol: masimo-ascii}\n");
	char *argv[] = {(char *)vt_rig_build("vitalsd"), "-c", path, "-n", NULL};
	struct vt_rig_output r;
	cr_assert_geq(vt_rig_run(argv, &r), 0, "cannot run %s", argv[0]);
	cr_expect_eq(r.status, 0, "a missing port is a warning, not an error: %s", r.err);
	cr_expect_str_eq(r.out, "configuration OK\n");
	char want[512];
	snprintf(want, sizeof(want),
	         "%s:3: warning: monitors[0].port: /dev/vitals-test-no-such-port does not exist "
	         "(yet); a will show comm-lost until it appears\n", path);
	cr_expect_str_eq(r.err, want, "only the missing serial port is named");
	vt_rig_output_free(&r);

	s_rewrite(path, "publish: 'tcp://0.0.0.0:5556'\n");
	cr_assert_geq(vt_rig_run(argv, &r), 0, "cannot run %s", argv[0]);
	cr_expect_eq(r.status, 78);
	cr_expect(strstr(r.err, ":1:10: publish: tcp://0.0.0.0:5556 is reachable beyond this machine "
	                        "without CURVE") != NULL, "%s", r.err);
	vt_rig_output_free(&r);

	s_rewrite(path, "publish: 'tcp://0.0.0.0:5556'\nallow_insecure_network: true\n");
	cr_assert_geq(vt_rig_run(argv, &r), 0, "cannot run %s", argv[0]);
	cr_expect_eq(r.status, 0, "said explicitly, it is allowed: %s", r.err);
	vt_rig_output_free(&r);
	unlink(path);
}

/* Started as the service with a bad file, the errors go to the journal at
 * error level (<3>), each with its position, and it does not start. */
Test(config, vitalsd_refuses_to_start_on_a_bad_file_with_errors_at_error_level)
{
	char path[] = "/tmp/test_config_XXXXXX";
	s_temp_file(path, P "heartbeet: 1s\nrules: [{name: a, parameter: spo2, below: 101}]\n");
	char *argv[] = {(char *)vt_rig_build("vitalsd"), "-c", path, NULL};
	struct vt_rig_output r;
	cr_assert_geq(vt_rig_run(argv, &r), 0, "cannot run %s", argv[0]);
	cr_expect_eq(r.status, 78);
	char want[512];
	snprintf(want, sizeof(want),
	         "<3>%s:2:1: unknown key \"heartbeet\"; did you mean \"heartbeat\"?\n"
	         "<3>%s:3:43: rules[0].below: 101 is outside the range of spo2 (0 to 100 %%)\n"
	         "<3>configuration not loaded: 2 errors, not starting\n",
	         path, path);
	cr_expect_str_eq(r.err, want);
	vt_rig_output_free(&r);
	unlink(path);

	char missing[] = "/tmp/test_config_missing.yaml";
	char *argv_missing[] = {(char *)vt_rig_build("vitalsd"), "-c", missing, NULL};
	cr_assert_geq(vt_rig_run(argv_missing, &r), 0);
	cr_expect_eq(r.status, 78);
	cr_expect(strncmp(r.err, "<3>/tmp/test_config_missing.yaml: cannot read: ", 47) == 0, "%s", r.err);
	vt_rig_output_free(&r);
}

/* ---- hostile and oversized input ------------------------------------------------------ */

/* Seconds of CPU time spent so far, to bound the cost of hostile input. */
static double
s_cpu(void)
{
	return (double)clock() / CLOCKS_PER_SEC;
}

Test(config, text_larger_than_the_limit_is_refused_unread)
{
	size_t len = VT_CONFIG_MAX_BYTES + 1;
	char *text = malloc(len);
	memset(text, '#', len);
	struct vt_diag d = {0};
	cr_assert_null(vt_config_parse("t.yaml", text, len, &d));
	char *got = s_lines(&d);
	cr_assert_str_eq(got, "t.yaml: too large (1048577 bytes); a configuration file is at most "
	                      "1048576 bytes");
	free(got);
	vt_diag_clear(&d);
	free(text);
}

Test(config, too_many_monitors_and_rules)
{
	size_t cap = 200000, o = 0;
	char *text = malloc(cap);
	o += (size_t)sprintf(text + o, P "monitors:\n");
	for (int i = 0; i < VT_CONFIG_MAX_MONITORS + 1; i++)
		o += (size_t)sprintf(text + o, "  - {bed: b%d, port: /dev/p%d, protocol: nonin-df7}\n", i, i);
	o += (size_t)sprintf(text + o, "rules:\n");
	for (int i = 0; i < VT_CONFIG_MAX_RULES + 1; i++)
		o += (size_t)sprintf(text + o, "  - {name: r%d, parameter: spo2, below: 90}\n", i);
	char *got = s_bad(text);
	cr_assert_str_eq(got, "t.yaml:3:3: monitors: 257 entries; at most 256 are supported (only the "
	                      "first 256 are checked)\n"
	                      "t.yaml:261:3: rules: 257 entries; at most 256 are supported (only the "
	                      "first 256 are checked)");
	free(got);
	free(text);
}

Test(config, errors_beyond_the_first_hundred_are_counted)
{
	char text[8192];
	size_t o = (size_t)sprintf(text, P);
	for (int i = 0; i < 150; i++)
		o += (size_t)sprintf(text + o, "unknown%d: 1\n", i);
	struct vt_diag d = {0};
	cr_assert_null(s_parse(text, &d));
	cr_assert_eq(d.count, 101);
	char *last = s_line(&d.entries[100]);
	cr_assert_str_eq(last, "t.yaml: 50 more errors not shown");
	free(last);
	vt_diag_clear(&d);
}

Test(config, alias_bombs_are_refused_quickly)
{
	/* Nine levels of ten aliases: a naive walk would visit 10^9 nodes. */
	char text[4096];
	size_t o = (size_t)sprintf(text, P "a0: &a0 [tcp://127.0.0.1:1]\n");
	for (int l = 1; l < 10; l++) {
		o += (size_t)sprintf(text + o, "a%d: &a%d [", l, l);
		for (int i = 0; i < 10; i++)
			o += (size_t)sprintf(text + o, "%s*a%d", i ? ", " : "", l - 1);
		o += (size_t)sprintf(text + o, "]\n");
	}
	o += (size_t)sprintf(text + o, "control: *a9\nmonitors: *a9\nrules: [*a9, *a9]\n");
	double t0 = s_cpu();
	struct vt_diag d = {0};
	cr_assert_null(s_parse(text, &d));
	cr_assert_lt(s_cpu() - t0, 1.0);
	cr_assert_gt(d.count, 10);
	vt_diag_clear(&d);
}

Test(config, deep_nesting_is_refused_before_parsing)
{
	/* libyaml spends time proportional to the nesting depth on every token. */
	size_t n = 400000;
	char *text = malloc(2 * n + 64);
	size_t o = (size_t)sprintf(text, P "monitors: ");
	memset(text + o, '[', n);
	memset(text + o + n, ']', n);
	strcpy(text + o + 2 * n, "\n");
	double t0 = s_cpu();
	struct vt_diag d = {0};
	cr_assert_null(s_parse(text, &d));
	cr_assert_lt(s_cpu() - t0, 1.0);
	char *got = s_lines(&d);
	cr_assert_str_eq(got, "t.yaml:2:75: syntax error: lists and mappings nested more than 64 deep");
	free(got);
	cr_assert_leq(strlen(d.entries[0].source), 512, "the source line is shortened");
	vt_diag_clear(&d);
	/* Brackets in comments and quoted text are not nesting. */
	o = (size_t)sprintf(text, P "# %s\nrecord_dir: '/%s'\n", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
	                    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[");
	struct vt_config *cfg = s_good(text);
	vt_config_free(&cfg);
	free(text);
}

Test(config, long_lines_are_shortened_in_messages)
{
	char text[4096];
	size_t o = (size_t)sprintf(text, P "heartbeat: ");
	memset(text + o, 'x', 3000);
	strcpy(text + o + 3000, "\n");
	struct vt_diag d = {0};
	cr_assert_null(s_parse(text, &d));
	cr_assert_eq(d.count, 1);
	cr_assert_eq(d.entries[0].line, 2);
	cr_assert_eq(strlen(d.entries[0].source), 512);
	/* The value is quoted shortened, with an ellipsis. */
	const char *msg = d.entries[0].message;
	cr_assert_lt(strlen(msg), 200, "%s", msg);
	cr_assert_str_eq(msg + strlen(msg) - 5, "x...\"");
	vt_diag_clear(&d);
}

Test(config, many_rules_and_bed_references_stay_fast)
{
	/* The most monitors, the most rules, each naming every bed. */
	size_t cap = 1 << 20, o = 0;
	char *text = malloc(cap);
	o += (size_t)sprintf(text + o, P "monitors:\n");
	for (int i = 0; i < VT_CONFIG_MAX_MONITORS; i++)
		o += (size_t)sprintf(text + o, "- {bed: b%d, port: /dev/p%d, protocol: nonin-df7}\n", i, i);
	o += (size_t)sprintf(text + o, "rules:\n");
	for (int r = 0; r < 64; r++) {
		o += (size_t)sprintf(text + o, "- {name: r%d, parameter: pr, above: 120, beds: [", r);
		for (int i = 0; i < VT_CONFIG_MAX_MONITORS; i++)
			o += (size_t)sprintf(text + o, "%sb%d", i ? "," : "", i);
		o += (size_t)sprintf(text + o, "]}\n");
	}
	cr_assert_lt(o, cap);
	double t0 = s_cpu();
	struct vt_config *cfg = s_good(text);
	cr_assert_lt(s_cpu() - t0, 2.0);
	cr_assert_eq(cfg->rules[63].n_beds, VT_CONFIG_MAX_MONITORS);
	vt_config_free(&cfg);
	free(text);
}

Test(config, nul_bytes_and_garbage_never_crash)
{
	const char with_nul[] = P "record_dir: \"/var/\\0lib\"\n";
	char *got = s_bad(with_nul);
	cr_assert_str_eq(got, "t.yaml:2:13: record_dir: expected an absolute directory path such as "
	                      "/var/lib/vitalsd, got text with a NUL character");
	free(got);
	const char raw_nul[] = "publish: tcp://127.0.0.1:5556\n\0\n";
	struct vt_diag d = {0};
	cr_assert_null(vt_config_parse("t.yaml", raw_nul, sizeof(raw_nul) - 1, &d));
	cr_assert_gt(d.count, 0);
	vt_diag_clear(&d);
	/* Every prefix of a good file: each loads or fails with a message, never both or neither. */
	size_t len;
	char *text = vt_rig_slurp(vt_rig_root("config/vitalsd.yaml"), &len);
	cr_assert_not_null(text);
	for (size_t n = 0; n <= len; n += 7) {
		struct vt_config *cfg = vt_config_parse("t.yaml", text, n, &d);
		cr_assert((cfg == NULL) != (d.count == 0), "prefix of %zu bytes", n);
		vt_config_free(&cfg);
		vt_diag_clear(&d);
	}
	free(text);
}

/* The multiparameter rules of the production file (docs/configuration.md, "Why these limits"). */
Test(config, shipped_multiparameter_rules)
{
	struct vt_config *cfg = s_load_shipped("config/vitalsd.yaml");
	static const struct {
		const char *name;
		enum vt_param param;
		enum vt_rule_kind kind;
	} want[] = {
	    {"hr-high", VT_HR, VT_RULE_LIMIT},          {"hr-low", VT_HR, VT_RULE_LIMIT},
	    {"rr-low", VT_RR, VT_RULE_LIMIT},           {"rr-high", VT_RR, VT_RULE_LIMIT},
	    {"nibp-sys-high", VT_NIBP_SYS, VT_RULE_LIMIT},
	    {"nibp-sys-low", VT_NIBP_SYS, VT_RULE_LIMIT},
	    {"nibp-surge", VT_NIBP_SYS, VT_RULE_BASELINE},
	    {"nibp-dia-high", VT_NIBP_DIA, VT_RULE_LIMIT},
	    {"nibp-map-low", VT_NIBP_MAP, VT_RULE_LIMIT},
	    {"nibp-map-high", VT_NIBP_MAP, VT_RULE_LIMIT},
	    {"apnea", VT_ETCO2, VT_RULE_APNEA},          {"etco2-high", VT_ETCO2, VT_RULE_LIMIT},
	    {"etco2-low", VT_ETCO2, VT_RULE_LIMIT},      {"temp-low", VT_TEMP, VT_RULE_LIMIT},
	    {"temp-high", VT_TEMP, VT_RULE_LIMIT},
	};
	size_t n = sizeof(want) / sizeof(want[0]);
	cr_assert_eq(cfg->n_rules, 3 + n);
	vt_param_mask covered = 0;
	for (size_t i = 0; i < n; i++) {
		const struct vt_rule_config *r = &cfg->rules[3 + i];
		cr_expect_str_eq(r->name, want[i].name);
		cr_expect_eq(r->param, want[i].param, "%s", r->name);
		cr_expect_eq(r->kind, want[i].kind, "%s", r->name);
		covered |= VT_PARAM_BIT(r->param);
	}
	/* The surge is the ketamine one: 20 % or 25 mmHg over baseline, during and after. */
	const struct vt_rule_config *surge = &cfg->rules[3 + 6];
	cr_expect(surge->delta == 20 && surge->delta_percent && surge->delta_or == 25 &&
	          !surge->delta_or_percent && surge->direction > 0);
	cr_expect_eq(surge->phases, VT_PHASE_BIT(VT_PHASE_INFUSION) | VT_PHASE_BIT(VT_PHASE_RECOVERY));
	cr_expect_eq(cfg->rules[3 + 7].for_count, 2, "diastolic: two measurements");
	cr_expect_eq(cfg->rules[3 + 10].no_breath_ms, 30000);
	cr_expect_eq(cfg->rules[3 + 10].floor, 10);
	/* A limit rule on every parameter a multiparameter monitor reports. */
	vt_param_mask all = VT_PARAM_BIT(VT_HR) | VT_PARAM_BIT(VT_RR) | VT_PARAM_BIT(VT_NIBP_SYS) |
	                    VT_PARAM_BIT(VT_NIBP_DIA) | VT_PARAM_BIT(VT_NIBP_MAP) |
	                    VT_PARAM_BIT(VT_ETCO2) | VT_PARAM_BIT(VT_TEMP);
	cr_expect_eq(covered & all, all);
	vt_config_free(&cfg);
}

/* ---- what a bed measures: inactive rules as notes ----------------------------- */

/* The notes of `yaml`, one a line, as vitalsd -n prints them. */
static char *
s_notes(const char *yaml, size_t *count)
{
	struct vt_config *cfg = s_good(yaml);
	struct vt_diag notes = {0};
	*count = vt_config_inactive_rules(cfg, &notes);
	cr_expect_eq(*count, notes.count);
	char *all = s_lines(&notes);
	vt_diag_clear(&notes);
	vt_config_free(&cfg);
	return all;
}

Test(config, rules_on_what_a_monitor_does_not_measure_are_noted_by_group_of_beds)
{
	size_t n;
	char *got = s_notes("publish: tcp://127.0.0.1:5556\n"
	                    "monitors:\n"
	                    "  - {bed: a, port: /dev/vt-a, protocol: nonin-df7}\n"
	                    "  - {bed: b, port: /dev/vt-b, protocol: masimo-ascii}\n"
	                    "  - {bed: c, port: /dev/vt-c, protocol: philips-mib}\n"
	                    "  - {bed: d, port: /dev/vt-d, protocol: nellcor-ascii}\n"
	                    "rules:\n"
	                    "  - {name: spo2-low, parameter: spo2, below: 90}\n"
	                    "  - {name: hr-high, parameter: hr, above: 120}\n"
	                    "  - {name: sys-high, parameter: nibp_sys, above: 160, beds: [c, d]}\n"
	                    "  - {name: spco-high, parameter: spco, above: 10}\n",
	                    &n);
	/* a and d lack the same: one note. b's Masimo may give SpCO; c's monitor
	 * may give the rest but not SpCO; sys-high does not name a or b. */
	cr_expect_str_eq(got, "t.yaml:3: note: a (nonin-df7) does not measure hr or spco: inactive "
	                      "there: hr-high, spco-high\n"
	                      "t.yaml:4: note: b (masimo-ascii) does not measure hr: inactive there: "
	                      "hr-high\n"
	                      "t.yaml:5: note: c (philips-mib) does not measure spco: inactive "
	                      "there: spco-high\n"
	                      "t.yaml:6: note: d (nellcor-ascii) does not measure hr, nibp_sys or "
	                      "spco: inactive there: hr-high, sys-high, spco-high");
	cr_expect_eq(n, 4);
	free(got);
}

Test(config, beds_lacking_the_same_share_one_bounded_note)
{
	char yaml[4096];
	size_t o = (size_t)snprintf(yaml, sizeof(yaml), "publish: tcp://127.0.0.1:5556\nmonitors:\n");
	for (int i = 0; i < 10; i++)
		o += (size_t)snprintf(yaml + o, sizeof(yaml) - o,
		                      "  - {bed: chair-%d, port: /dev/vt-%d, protocol: %s}\n", i, i,
		                      i % 2 ? "nonin-df7" : "nellcor-ascii");
	o += (size_t)snprintf(yaml + o, sizeof(yaml) - o, "rules:\n");
	for (int i = 0; i < 6; i++)
		o += (size_t)snprintf(yaml + o, sizeof(yaml) - o,
		                      "  - {name: rr-%d, parameter: rr, below: %d}\n", i, 8 - i);
	size_t n;
	char *got = s_notes(yaml, &n);
	cr_expect_str_eq(got, "t.yaml:3: note: chair-0, chair-1, chair-2, chair-3, chair-4, chair-5, "
	                      "chair-6, chair-7 and 2 more (nellcor-ascii, nonin-df7) do not measure "
	                      "rr: inactive there: rr-0, rr-1, rr-2, rr-3 and 2 more rules");
	cr_expect_eq(n, 1);
	free(got);
}

Test(config, a_file_whose_rules_every_monitor_can_serve_has_no_note)
{
	size_t n;
	char *got = s_notes("publish: tcp://127.0.0.1:5556\n"
	                    "monitors:\n"
	                    "  - {bed: a, port: /dev/vt-a, protocol: nonin-df7}\n"
	                    "  - {bed: c, port: /dev/vt-c, protocol: ge-dri}\n"
	                    "rules:\n"
	                    "  - {name: spo2-low, parameter: spo2, below: 90}\n"
	                    "  - {name: sys-high, parameter: nibp_sys, above: 160, beds: [c]}\n",
	                    &n);
	cr_expect_str_eq(got, "");
	cr_expect_eq(n, 0);
	free(got);
}
