/*
 * vitals-emulate: a bedside monitor without the hardware. It plays a
 * recording or a scenario out of a pseudo-terminal or a TCP port in a real
 * device protocol, so that vitalsd, the console and the tests can run
 * anywhere; a scenario can also be written out as a numerics CSV. This
 * file reads the command line; the emulator itself is in emulator/emulate.c
 * and its neighbours, the protocols in emulator/encode_*.c, the scenarios
 * in emulator/scenario*.c.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "vitals/base/timefmt.h"
#include "vitals/emulator/emulate.h"
#include "vitals/emulator/scenario.h"
#include "vitals/wire/csv.h"

static void
s_usage(FILE *f)
{
	fprintf(f,
	        "usage: vitals-emulate --protocol NAME (--pty LINK | --tcp HOST:PORT | --udp HOST:PORT)\n"
	        "                      [options] RECORDING\n"
	        "       vitals-emulate --scenario FILE [--protocol NAME (--pty LINK | --tcp HOST:PORT |\n"
	        "                      --udp HOST:PORT)]\n"
	        "                      [--csv OUT] [--phases BED] [options]\n"
	        "       vitals-emulate --protocol hl7-mllp --mllp HOST:PORT [options]\n"
	        "                      (RECORDING | --scenario FILE)\n"
	        "       vitals-emulate --protocol NAME --session OUT [options] (RECORDING |\n"
	        "                      --scenario FILE)\n"
	        "\n"
	        "Play RECORDING, or a scenario, as a live monitor would send it.\n"
	        "  RECORDING               a numerics CSV (t,spo2,pr,hr,pi,rr; encoded in --protocol),\n"
	        "                          or a raw capture *.bin / *.dat (played byte for byte at the\n"
	        "                          line speed of --baud)\n"
	        "  --scenario FILE         a patient described over time (docs/scenarios.md), played\n"
	        "                          in --protocol, which carries what it can of it\n"
	        "  --csv OUT               write the scenario as a numerics CSV to OUT (- for standard\n"
	        "                          output), every parameter and the device's flags\n"
	        "  --phases BED            print the scenario's phase marks as vitalsd --replay\n"
	        "                          arguments for BED, one a line\n"
	        "                          (with --csv or --phases alone, nothing is played)\n"
	        "\n"
	        "  --protocol NAME         masimo-ascii, nonin-df7, nonin-df2, nonin-df8, nellcor-ascii,\n"
	        "                          ivy-ansarb, hl7-mllp, philips-mib, ge-dri (these two\n"
	        "                          answer the host's association and polls)\n"
	        "                          (required for a CSV)\n"
	        "  --pty LINK              open a pseudo-terminal and point the symlink LINK at it;\n"
	        "                          the slave path is printed on standard output\n"
	        "  --tcp HOST:PORT         listen there (HOST defaults to 127.0.0.1; port 0 picks a\n"
	        "                          free one) and stream to one client at a time; the address\n"
	        "                          bound is printed on standard output\n"
	        "  --mllp HOST:PORT        be an HL7 monitor: connect to vitalsd's listener there\n"
	        "                          (again each second while it cannot) and push one message\n"
	        "                          a period, each after the acknowledgement of the one before\n"
	        "  --session OUT           write what the device would send as a session recording\n"
	        "                          (each period one read at its time) to OUT, for vitalsd\n"
	        "                          --replay; nothing is played (not for philips-mib, ge-dri)\n"
	        "  --udp HOST:PORT         a monitor on a LAN (philips-mib): its data port there (port\n"
	        "                          0 picks one, printed on standard output); it answers\n"
	        "                          whoever asks and announces itself to --announce\n"
	        "  --announce HOST:PORT    where a --udp monitor sends its Connect Indication every\n"
	        "                          5 s until associated (default 127.0.0.1:24005)\n"
	        "  --speed X               play X times faster than real time (default 1)\n"
	        "  --loop                  start again at the end; time keeps increasing\n"
	        "  --start-time RFC3339    the device clock at the start (default: now), as Masimo\n"
	        "                          and Nellcor print it\n"
	        "  --baud N                line speed, 10 bits a byte (default: the protocol's, 9600)\n"
	        "  --seed N                seed of the noise bytes and of the scenario's patient\n"
	        "                          (default: the scenario's seed, else fixed: runs repeat)\n"
	        "\n"
	        "Faults (times are seconds of recording time, or with ms/s/m/h; each option may be\n"
	        "repeated or given a comma-separated list; the i-th duration goes with the i-th\n"
	        "time, and the last one given with the rest):\n"
	        "  --unplug-at T --unplug-for D          pull the cable for D (default 5 s): a pty\n"
	        "                          is closed (the reader sees hang-up) and its link removed,\n"
	        "                          then a new pty is linked; TCP closes the connection and\n"
	        "                          stops listening for the while\n"
	        "  --noise-at T --noise-bytes N          N random bytes on the line (default 16)\n"
	        "  --sensor-off-at T --sensor-off-for D  sensor off the finger for D (default 10 s):\n"
	        "                          values missing and the sensor-off status, as the device\n"
	        "                          sends them (CSV recordings and scenarios only)\n"
	        "  --mute-at T --mute-for D              the device hears the host but sends\n"
	        "                          nothing for D (default 30 s): no answer to a poll\n"
	        "  --ignore-association-at T --ignore-association-for D  association requests (a\n"
	        "                          GE monitor: data requests) go unanswered for D (default\n"
	        "                          30 s); philips-mib, ge-dri\n"
	        "  --bad-check-at T        the next frame goes out with a wrong FCS or checksum\n"
	        "  --drop-at T             the monitor drops the association (a GE monitor forgets\n"
	        "                          the request)\n"
	        "  --cuff-fail-at T        the next cuff measurement fails: no pressures, and the\n"
	        "                          monitor's technical alarm until one succeeds\n"
	        "\n"
	        "HL7 (--mllp) only:\n"
	        "  --hl7-bed ID            the bed's location in PV1-3 (default ICU^^1)\n"
	        "  --ack-timeout D         stop waiting for an acknowledgement after D (default 10s)\n"
	        "  --no-ack-wait           send every message without waiting for its acknowledgement\n"
	        "  --partial               write each frame in three pieces, 100 ms apart\n"
	        "  --bad-at T              send a frame that is not HL7 (answered AE)\n"
	        "  --burst-at T --burst N  send N messages in one write (default 5)\n"
	        "\n"
	        "Signals: SIGUSR1 unplugs now until SIGUSR2 plugs back in; SIGINT or SIGTERM stop\n"
	        "(the link is removed). Every event is one line on standard error.\n"
	        "Exit status: 0, 64 usage, 66 recording unreadable, 65 bad recording or scenario,\n"
	        "71 no pty/port, 73 cannot write the CSV or the session, 74 write error.\n");
}

/* Command-line fault lists, collected before they are paired up. */
enum { L_UNPLUG_AT, L_UNPLUG_FOR, L_NOISE_AT, L_NOISE_BYTES, L_SOFF_AT, L_SOFF_FOR, L_BAD_AT,
       L_BURST_AT, L_MUTE_AT, L_MUTE_FOR, L_DEAF_AT, L_DEAF_FOR, L_BAD_CHECK_AT, L_DROP_AT,
       L_CUFF_AT, L_COUNT };
struct s_lists {
	int64_t *v[L_COUNT];
	size_t n[L_COUNT];
};

static int
s_build_faults(struct vt_emu_faults *f, struct s_lists *l)
{
	char err[256];
	if (vt_emu_faults_add(f, VT_EMU_UNPLUG, l->v[L_UNPLUG_AT], l->n[L_UNPLUG_AT],
	                      l->v[L_UNPLUG_FOR], l->n[L_UNPLUG_FOR], INT64_C(5000000000), err,
	                      sizeof(err)) != 0 ||
	    vt_emu_faults_add(f, VT_EMU_NOISE, l->v[L_NOISE_AT], l->n[L_NOISE_AT],
	                      l->v[L_NOISE_BYTES], l->n[L_NOISE_BYTES], 16, err, sizeof(err)) != 0 ||
	    vt_emu_faults_add(f, VT_EMU_SENSOR_OFF, l->v[L_SOFF_AT], l->n[L_SOFF_AT],
	                      l->v[L_SOFF_FOR], l->n[L_SOFF_FOR], INT64_C(10000000000), err,
	                      sizeof(err)) != 0 ||
	    vt_emu_faults_add(f, VT_EMU_MUTE, l->v[L_MUTE_AT], l->n[L_MUTE_AT], l->v[L_MUTE_FOR],
	                      l->n[L_MUTE_FOR], INT64_C(30000000000), err, sizeof(err)) != 0 ||
	    vt_emu_faults_add(f, VT_EMU_DEAF, l->v[L_DEAF_AT], l->n[L_DEAF_AT], l->v[L_DEAF_FOR],
	                      l->n[L_DEAF_FOR], INT64_C(30000000000), err, sizeof(err)) != 0 ||
	    vt_emu_faults_add(f, VT_EMU_BAD_CHECK, l->v[L_BAD_CHECK_AT], l->n[L_BAD_CHECK_AT], NULL, 0, 0,
	                      err,
	                      sizeof(err)) != 0 ||
	    vt_emu_faults_add(f, VT_EMU_DROP, l->v[L_DROP_AT], l->n[L_DROP_AT], NULL, 0, 0, err,
	                      sizeof(err)) != 0 ||
	    vt_emu_faults_add(f, VT_EMU_CUFF_FAIL, l->v[L_CUFF_AT], l->n[L_CUFF_AT], NULL, 0, 0, err,
	                      sizeof(err)) != 0) {
		fprintf(stderr, "vitals-emulate: %s\n", err);
		return -1;
	}
	return 0;
}

enum {
	O_PROTOCOL = 256, O_PTY, O_TCP, O_SPEED, O_LOOP, O_START, O_BAUD, O_SEED,
	O_UNPLUG_AT, O_UNPLUG_FOR, O_NOISE_AT, O_NOISE_BYTES, O_SOFF_AT, O_SOFF_FOR,
	O_SCENARIO, O_CSV, O_PHASES, O_MLLP, O_HL7_BED, O_ACK_TIMEOUT, O_NO_ACK_WAIT, O_PARTIAL,
	O_BAD_AT, O_BURST_AT, O_BURST, O_UDP, O_ANNOUNCE, O_MUTE_AT, O_MUTE_FOR, O_DEAF_AT, O_DEAF_FOR,
	O_BAD_CHECK_AT, O_DROP_AT, O_CUFF_AT, O_SESSION
};

/* What to do with a scenario besides playing it. */
struct s_scenario_args {
	const char *path;   /* --scenario */
	const char *csv;    /* --csv */
	const char *phases; /* --phases BED */
	bool seeded;        /* --seed was given */
};

/* In the order of the O_ values: opts[c - O_PROTOCOL] is option c. */
static const struct option s_opts[] = {
	{"protocol", required_argument, NULL, O_PROTOCOL},
	{"pty", required_argument, NULL, O_PTY},
	{"tcp", required_argument, NULL, O_TCP},
	{"speed", required_argument, NULL, O_SPEED},
	{"loop", no_argument, NULL, O_LOOP},
	{"start-time", required_argument, NULL, O_START},
	{"baud", required_argument, NULL, O_BAUD},
	{"seed", required_argument, NULL, O_SEED},
	{"unplug-at", required_argument, NULL, O_UNPLUG_AT},
	{"unplug-for", required_argument, NULL, O_UNPLUG_FOR},
	{"noise-at", required_argument, NULL, O_NOISE_AT},
	{"noise-bytes", required_argument, NULL, O_NOISE_BYTES},
	{"sensor-off-at", required_argument, NULL, O_SOFF_AT},
	{"sensor-off-for", required_argument, NULL, O_SOFF_FOR},
	{"scenario", required_argument, NULL, O_SCENARIO},
	{"csv", required_argument, NULL, O_CSV},
	{"phases", required_argument, NULL, O_PHASES},
	{"mllp", required_argument, NULL, O_MLLP},
	{"hl7-bed", required_argument, NULL, O_HL7_BED},
	{"ack-timeout", required_argument, NULL, O_ACK_TIMEOUT},
	{"no-ack-wait", no_argument, NULL, O_NO_ACK_WAIT},
	{"partial", no_argument, NULL, O_PARTIAL},
	{"bad-at", required_argument, NULL, O_BAD_AT},
	{"burst-at", required_argument, NULL, O_BURST_AT},
	{"burst", required_argument, NULL, O_BURST},
	{"udp", required_argument, NULL, O_UDP},
	{"announce", required_argument, NULL, O_ANNOUNCE},
	{"mute-at", required_argument, NULL, O_MUTE_AT},
	{"mute-for", required_argument, NULL, O_MUTE_FOR},
	{"ignore-association-at", required_argument, NULL, O_DEAF_AT},
	{"ignore-association-for", required_argument, NULL, O_DEAF_FOR},
	{"bad-check-at", required_argument, NULL, O_BAD_CHECK_AT},
	{"drop-at", required_argument, NULL, O_DROP_AT},
	{"cuff-fail-at", required_argument, NULL, O_CUFF_AT},
	{"session", required_argument, NULL, O_SESSION},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* An option of the HL7 monitor (--mllp) into o. 0, or -1 after a message. */
static int
s_hl7_option(int c, const char *arg, struct vt_emu_options *o)
{
	char *end;
	const char *why = NULL;
	switch (c) {
	case O_MLLP:
		o->mllp.to = arg;
		return 0;
	case O_HL7_BED:
		if (strlen(arg) > 0 && strlen(arg) < sizeof o->device.hl7_bed &&
		    strpbrk(arg, "|\r\n") == NULL) {
			snprintf(o->device.hl7_bed, sizeof o->device.hl7_bed, "%s", arg);
			return 0;
		}
		fprintf(stderr, "vitals-emulate: --hl7-bed %s: expected 1 to 31 characters, no '|'\n",
		        arg);
		return -1;
	case O_ACK_TIMEOUT:
		if (vt_duration_parse(arg, &o->mllp.ack_timeout_ms, &why) == 0 &&
		    o->mllp.ack_timeout_ms > 0)
			return 0;
		fprintf(stderr, "vitals-emulate: --ack-timeout %s: expected a duration such as 10s\n",
		        arg);
		return -1;
	case O_NO_ACK_WAIT:
		o->mllp.no_ack_wait = true;
		return 0;
	case O_PARTIAL:
		o->mllp.partial = true;
		return 0;
	default: /* O_BURST */
		o->mllp.burst = (int)strtol(arg, &end, 10);
		if (*end == '\0' && o->mllp.burst >= 2 && o->mllp.burst <= 8)
			return 0;
		fprintf(stderr, "vitals-emulate: --burst %s: expected 2 to 8 messages\n", arg);
		return -1;
	}
}

/* One option's argument into `o` or the fault lists. 0, or -1 after a message. */
static int
s_option(int c, const char *arg, struct vt_emu_options *o, const char **protocol,
         struct s_lists *l, struct s_scenario_args *sc)
{
	char err[256];
	char *end;
	int li;
	switch (c) {
	case O_PROTOCOL:
		*protocol = arg;
		return 0;
	case O_PTY:
		o->pty_link = arg;
		return 0;
	case O_TCP:
		o->tcp = arg;
		return 0;
	case O_UDP:
		o->udp = arg;
		return 0;
	case O_SESSION:
		o->session = arg;
		return 0;
	case O_ANNOUNCE:
		o->announce = arg;
		return 0;
	case O_SPEED:
		o->speed = strtod(arg, &end);
		if (*end == '\0' && o->speed > 0 && o->speed <= 1e6)
			return 0;
		fprintf(stderr, "vitals-emulate: --speed %s: expected a number above 0, up to 1e6\n", arg);
		return -1;
	case O_LOOP:
		o->loop = true;
		return 0;
	case O_START:
		if (vt_time_parse(arg, &o->start_wall_ms) == 0)
			return 0;
		fprintf(stderr, "vitals-emulate: --start-time %s: expected RFC 3339, such as "
		                "2026-11-21T10:00:00Z\n", arg);
		return -1;
	case O_BAUD:
		o->baud = (int)strtol(arg, &end, 10);
		if (*end == '\0' && o->baud >= 50 && o->baud <= 4000000)
			return 0;
		fprintf(stderr, "vitals-emulate: --baud %s: expected a line speed such as 9600\n", arg);
		return -1;
	case O_SEED:
		o->seed = strtoull(arg, &end, 0);
		sc->seeded = true;
		if (*end == '\0')
			return 0;
		fprintf(stderr, "vitals-emulate: --seed %s: expected a number\n", arg);
		return -1;
	case O_SCENARIO:
		sc->path = arg;
		return 0;
	case O_CSV:
		sc->csv = arg;
		return 0;
	case O_PHASES:
		sc->phases = arg;
		return 0;
	case O_UNPLUG_AT: li = L_UNPLUG_AT; break;
	case O_UNPLUG_FOR: li = L_UNPLUG_FOR; break;
	case O_NOISE_AT: li = L_NOISE_AT; break;
	case O_NOISE_BYTES: li = L_NOISE_BYTES; break;
	case O_SOFF_AT: li = L_SOFF_AT; break;
	case O_SOFF_FOR: li = L_SOFF_FOR; break;
	case O_BAD_AT: li = L_BAD_AT; break;
	case O_BURST_AT: li = L_BURST_AT; break;
	case O_MLLP:
	case O_HL7_BED:
	case O_ACK_TIMEOUT:
	case O_NO_ACK_WAIT:
	case O_PARTIAL:
	case O_BURST:
		return s_hl7_option(c, arg, o);
	case O_MUTE_AT: li = L_MUTE_AT; break;
	case O_MUTE_FOR: li = L_MUTE_FOR; break;
	case O_DEAF_AT: li = L_DEAF_AT; break;
	case O_DEAF_FOR: li = L_DEAF_FOR; break;
	case O_BAD_CHECK_AT: li = L_BAD_CHECK_AT; break;
	case O_DROP_AT: li = L_DROP_AT; break;
	case O_CUFF_AT: li = L_CUFF_AT; break;
	default:
		s_usage(stderr);
		return -1;
	}
	if (vt_emu_parse_list(arg, li == L_NOISE_BYTES, &l->v[li], &l->n[li], err, sizeof(err)) == 0)
		return 0;
	fprintf(stderr, "vitals-emulate: --%s: %s\n", s_opts[c - O_PROTOCOL].name, err);
	return -1;
}

static int
s_cmp_time(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* The HL7 monitor's options and misbehaviour into o->mllp (o->device.hl7_bed). */
static int
s_hl7_lists(struct vt_emu_options *o, struct s_lists *l)
{
	if (o->mllp.to == NULL && (l->n[L_BAD_AT] || l->n[L_BURST_AT] || o->mllp.partial ||
	                           o->mllp.no_ack_wait)) {
		fprintf(stderr, "vitals-emulate: --bad-at, --burst-at, --partial and --no-ack-wait "
		                "are for --mllp\n");
		return -1;
	}
	if (l->n[L_BAD_AT] > 0)
		qsort(l->v[L_BAD_AT], l->n[L_BAD_AT], sizeof(int64_t), s_cmp_time);
	if (l->n[L_BURST_AT] > 0)
		qsort(l->v[L_BURST_AT], l->n[L_BURST_AT], sizeof(int64_t), s_cmp_time);
	o->mllp.bad_at = l->v[L_BAD_AT];
	o->mllp.n_bad = l->n[L_BAD_AT];
	o->mllp.burst_at = l->v[L_BURST_AT];
	o->mllp.n_burst = l->n[L_BURST_AT];
	return 0;
}

/* The whole command line into `o`. 0 to run, 1 after --help, -1 on a usage error. */
static int
s_parse(int argc, char **argv, struct vt_emu_options *o, struct s_lists *l,
        struct s_scenario_args *sc)
{
	const char *protocol = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "h", s_opts, NULL)) != -1) {
		if (c == 'h') {
			s_usage(stdout);
			return 1;
		}
		if (s_option(c, optarg, o, &protocol, l, sc) != 0)
			return -1;
	}
	if (sc->path != NULL) {
		if (optind != argc) {
			fprintf(stderr, "vitals-emulate: --scenario plays the scenario; no RECORDING "
			                "besides it\n");
			return -1;
		}
		o->recording = sc->path;
	} else if (sc->csv != NULL || sc->phases != NULL) {
		fprintf(stderr, "vitals-emulate: --%s needs --scenario FILE\n",
		        sc->csv != NULL ? "csv" : "phases");
		return -1;
	} else if (optind != argc - 1) {
		fprintf(stderr, "vitals-emulate: expected one RECORDING (see --help)\n");
		return -1;
	} else {
		o->recording = argv[optind];
	}
	bool to_file = sc->csv != NULL || sc->phases != NULL;
	int outs = (o->pty_link != NULL) + (o->tcp != NULL) + (o->mllp.to != NULL) +
	           (o->udp != NULL) + (o->session != NULL);
	if (outs > 1 || (outs == 0 && !to_file)) {
		fprintf(stderr, "vitals-emulate: give one of --pty LINK, --tcp HOST:PORT, --udp HOST:PORT, "
		                "--mllp HOST:PORT or --session OUT%s\n",
		        sc->path != NULL ? " (or --csv OUT)" : "");
		return -1;
	}
	if (o->session != NULL && o->loop) {
		fprintf(stderr, "vitals-emulate: --session writes the recording once; --loop would never "
		                "end\n");
		return -1;
	}
	if (o->announce != NULL && o->udp == NULL) {
		fprintf(stderr, "vitals-emulate: --announce is where a --udp monitor announces itself\n");
		return -1;
	}
	if (s_hl7_lists(o, l) != 0)
		return -1;
	if (protocol != NULL && (o->enc = vt_encoder_find(protocol)) == NULL) {
		fprintf(stderr, "vitals-emulate: --protocol %s: expected one of", protocol);
		for (size_t i = 0; vt_encoders[i] != NULL; i++)
			fprintf(stderr, " %s", vt_encoders[i]->name);
		fprintf(stderr, "\n");
		return -1;
	}
	if (o->udp != NULL && (o->enc == NULL || !o->enc->lan)) {
		fprintf(stderr, "vitals-emulate: --udp: %s does not speak on a LAN (philips-mib does)\n",
		        o->enc != NULL ? o->enc->name : "a recording without --protocol");
		return -1;
	}
	return s_build_faults(&o->faults, l);
}

/* The scenario's rows as a numerics CSV at `path` ("-": standard output). An exit status. */
static int
s_write_csv(const char *path, const struct vt_emu_recording *rec)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	if (fp == NULL) {
		fprintf(stderr, "vitals-emulate: --csv %s: %s\n", path, strerror(errno));
		return EX_CANTCREAT;
	}
	char line[1024];
	if (vt_csv_format_header(line, sizeof(line), VT_SCN_REPORTED, true) > 0)
		fprintf(fp, "%s\n", line);
	for (size_t i = 0; i < rec->n_rows; i++)
		if (vt_csv_format_row(line, sizeof(line), VT_SCN_REPORTED, true, rec->rows[i].t_ms,
		                      &rec->rows[i].r) > 0)
			fprintf(fp, "%s\n", line);
	bool failed = fflush(fp) != 0 || ferror(fp);
	if (fp != stdout)
		failed = fclose(fp) != 0 || failed;
	if (failed) {
		fprintf(stderr, "vitals-emulate: --csv %s: %s\n", path, strerror(errno));
		return EX_CANTCREAT;
	}
	return 0;
}

/* The phase marks as `vitalsd --replay` takes them. */
static void
s_print_phases(const struct vt_scenario *s, const char *bed)
{
	for (size_t i = 0; i < s->n_marks; i++) {
		const struct vt_scn_mark *m = &s->marks[i];
		printf("--phase %s@%.10g=%s", bed, (double)m->at_ms / 1000, vt_phase_name(m->phase));
		if (m->weight_kg > 0)
			printf(":%g", m->weight_kg);
		if (m->dose_mg_per_kg_h > 0)
			printf(":%g", m->dose_mg_per_kg_h);
		printf("\n");
	}
}

/*
 * Play the scenario into `rec`, write what was asked for, and say whether
 * there is more to do (a port to play it out of). An exit status, or -1 to
 * go on.
 */
static int
s_scenario(struct vt_emu_options *o, const struct s_scenario_args *sc,
           struct vt_emu_recording *rec)
{
	struct vt_diag diag = {0};
	struct vt_scenario *s = vt_scn_load(sc->path, &diag);
	vt_diag_print(&diag, stderr);
	vt_diag_clear(&diag);
	if (s == NULL)
		return access(sc->path, R_OK) != 0 ? EX_NOINPUT : EX_DATAERR;
	memset(rec, 0, sizeof(*rec));
	rec->kind = VT_EMU_CSV;
	int status = -1;
	if (vt_scn_play(s, sc->seeded ? o->seed : s->seed, &rec->rows, &rec->n_rows) != 0) {
		fprintf(stderr, "vitals-emulate: out of memory\n");
		status = EX_OSERR;
	} else if (sc->csv != NULL && (status = s_write_csv(sc->csv, rec)) == 0) {
		status = -1;
	}
	if (status < 0 && sc->phases != NULL)
		s_print_phases(s, sc->phases);
	if (status < 0 && o->pty_link == NULL && o->tcp == NULL && o->mllp.to == NULL &&
	    o->udp == NULL && o->session == NULL)
		status = 0;
	if (!sc->seeded)
		o->seed = s->seed;
	o->rec = rec;
	vt_scn_free(&s);
	return status;
}

int
main(int argc, char **argv)
{
	struct vt_emu_options o;
	memset(&o, 0, sizeof(o));
	o.speed = 1.0;
	o.mllp.ack_timeout_ms = 10000;
	o.mllp.burst = 5;
	vt_encode_config_default(&o.device);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	o.start_wall_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	struct s_lists lists;
	memset(&lists, 0, sizeof(lists));
	struct s_scenario_args sc;
	memset(&sc, 0, sizeof(sc));
	struct vt_emu_recording rec;
	memset(&rec, 0, sizeof(rec));

	int rc = s_parse(argc, argv, &o, &lists, &sc);
	int status = rc > 0 ? 0 : rc < 0 ? EX_USAGE : -1;
	if (status < 0 && sc.path != NULL)
		status = s_scenario(&o, &sc, &rec);
	if (status < 0 && o.session != NULL)
		status = vt_emu_write_session(&o, stderr);
	else if (status < 0)
		status = o.mllp.to != NULL ? vt_emu_mllp_run(&o, stdout, stderr)
		                           : vt_emu_run(&o, stdout, stderr);
	vt_emu_recording_free(&rec);
	for (size_t i = 0; i < sizeof(lists.v) / sizeof(lists.v[0]); i++)
		free(lists.v[i]);
	vt_emu_faults_free(&o.faults);
	return status;
}
