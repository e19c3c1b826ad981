/*
 * A real vitalsd for tests of its clients: a configuration in a temporary
 * directory with publish and control on free 127.0.0.1 ports, one Masimo
 * monitor ("chair-1") on a pseudo-terminal whose master the test holds and
 * writes device lines into, and rules the test chooses. No hardware, no
 * network beyond loopback.
 *
 * Every process a test starts is also handed to a reaper, a small child
 * process that kills them if the test process dies without cleaning up
 * (a failed assertion, a Criterion timeout), so nothing outlives a test.
 */
#ifndef TESTS_LIVE_DAEMON_H
#define TESTS_LIVE_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct live_daemon {
	char dir[256];      /* temporary directory: config, logs */
	char config[320];   /* the configuration file */
	char log[320];      /* the daemon's stderr */
	char pub[64];       /* publish endpoint */
	char ctl[64];       /* control endpoint */
	char tty[64];       /* the monitor's pty (slave) */
	int master;         /* its master: device lines go here */
	pid_t pid;          /* the daemon; 0 when not running */
};

/*
 * Start the daemon with `rules` (YAML lines of the rules: list, already
 * indented) and wait until it answers ping and its monitor's port is
 * connected. 0, or -1 with the reason on stderr.
 */
int live_daemon_start(struct live_daemon *d, const char *rules);

/* Start it again on the same ports, pty and configuration (after a kill). */
int live_daemon_restart(struct live_daemon *d);

/* Write one Masimo line with these values to the monitor's pty. */
void live_daemon_masimo(struct live_daemon *d, int spo2, int bpm);

/* Kill the daemon with `sig` and reap it. */
void live_daemon_kill(struct live_daemon *d, int sig);

/* Stop everything and remove the directory. Safe to call twice. */
void live_daemon_stop(struct live_daemon *d);

/*
 * One control request; the reply (malloc'd) or NULL when none came within
 * timeout_ms.
 */
char *live_request(const char *endpoint, const char *json, int timeout_ms);

/* Milliseconds on CLOCK_MONOTONIC, for deadlines. */
int64_t live_now_ms(void);

/* Hand a process, or a tmux server by its socket, to the reaper. */
void live_reap_pid(pid_t pid);
void live_reap_tmux(const char *socket);
/* Everything handed over was cleaned up by the test itself. */
void live_reaper_done(void);

#endif
