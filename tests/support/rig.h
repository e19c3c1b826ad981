/*
 * A rig for measuring and abusing a real vitalsd: the benchmarks
 * (bench/bench_NAME.c) and the fault tests (tests/faults/) share it. It
 * starts the daemon as a child that dies with its parent, gives it
 * monitors on pseudo-terminals that can be unplugged and plugged back in,
 * reads what the kernel says about the process (CPU, memory, wake-ups,
 * descriptors), and talks to it over ZeroMQ on 127.0.0.1. No hardware, no
 * network, nothing left behind.
 */
#ifndef VT_RIG_H
#define VT_RIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Monotonic clock in nanoseconds / milliseconds. */
int64_t vt_rig_now_ns(void);
int64_t vt_rig_now_ms(void);
/* Sleep this many milliseconds (restarted after signals). */
void vt_rig_sleep_ms(int64_t ms);

/* "$VT_BUILD/rel" (default build/) and "$VT_ROOT/rel" (default .), rotating buffers. */
const char *vt_rig_build(const char *rel);
const char *vt_rig_root(const char *rel);

/* Make /tmp/vt-TAG-XXXXXX into `dir`; 0 or -1. */
int vt_rig_tmpdir(char *dir, size_t len, const char *tag);
/* Remove a directory tree made by vt_rig_tmpdir (refuses anything outside /tmp/vt-). */
void vt_rig_rmtree(const char *dir);
/* Write `text` to dir/name; the path goes to `path` when not NULL. 0 or -1. */
int vt_rig_write_file(const char *dir, const char *name, const char *text, char *path,
                      size_t len);

/*
 * A TCP port on 127.0.0.1 that was free a moment ago, for a daemon to bind
 * soon. Taken below the kernel's ephemeral range, so no connection's source
 * port can take it in the meantime; -1 if none is free.
 */
int vt_rig_free_port(void);

/*
 * A monitor's cable: a pseudo-terminal pair. The test writes device bytes
 * into `master`; the daemon opens the slave through the symlink `link`, as
 * it would open /dev/serial/by-id/... The slave is put in raw mode from
 * the master's side at once, so bytes written before the daemon opens it
 * are not echoed back into the master's buffer.
 */
struct vt_rig_pty {
	int master;        /* -1 while unplugged */
	char slave[64];    /* /dev/pts/N */
	char link[256];    /* the path in the configuration */
};
/* Open a pty and point `link` at it. 0 or -1 (errno). */
int vt_rig_pty_open(struct vt_rig_pty *p, const char *link);
/* Pull the cable: close the master and remove the link. */
void vt_rig_pty_unplug(struct vt_rig_pty *p);
/* Plug a new cable in: a new pty, the link replaced atomically. 0 or -1. */
int vt_rig_pty_plug(struct vt_rig_pty *p);
/*
 * A quick re-plug: the new pty is linked in before the old one hangs up,
 * so the daemon's first reopen finds it however late the test is
 * scheduled. 0 or -1 (the old cable is then still in).
 */
int vt_rig_pty_swap(struct vt_rig_pty *p);
/* Write everything (the master is blocking); 0 or -1. */
int vt_rig_pty_write(struct vt_rig_pty *p, const void *buf, size_t len);
/* Close for good. */
void vt_rig_pty_close(struct vt_rig_pty *p);

/*
 * Start argv[0] with stdin from /dev/null and stdout, stderr appended to
 * the given files (NULL: /dev/null). The child gets SIGKILL if this
 * process dies first, so a crashed benchmark or test leaves no daemon
 * behind. The pid, or -1.
 */
pid_t vt_rig_spawn(char *const argv[], const char *out_path, const char *err_path);
/* Send `sig`, wait up to timeout_ms, then SIGKILL. The wait status, or -1. */
int vt_rig_stop(pid_t pid, int sig, int timeout_ms);
/* Whether the child has exited (reaps it; *status gets its wait status). */
bool vt_rig_exited(pid_t pid, int *status);

/* What the kernel says about a process. */
struct vt_rig_proc {
	uint64_t cpu_ticks;      /* utime + stime, clock ticks */
	long rss_kb;             /* VmRSS */
	long hwm_kb;             /* VmHWM: peak RSS */
	long vol_ctxt;           /* voluntary context switches: wake-ups from sleep */
	long invol_ctxt;         /* involuntary ones (preempted) */
	int fds;                 /* open descriptors */
};
/* Read /proc/PID/{stat,status,fd}; 0 or -1. */
int vt_rig_proc(pid_t pid, struct vt_rig_proc *out);
/* Seconds per clock tick of cpu_ticks. */
double vt_rig_tick_s(void);

/*
 * A configuration for the daemon in `dir`/vitalsd.yaml: publish and control
 * on the given ports, `extra` top-level YAML (may be NULL, e.g. record_dir),
 * monitors and rules as YAML text (the bodies of `monitors:` and `rules:`,
 * already indented; NULL for []). The path goes to `path`. 0 or -1.
 */
int vt_rig_config(const char *dir, int pub_port, int ctl_port, const char *extra,
                  const char *monitors, const char *rules, char *path, size_t len);

/*
 * The set-up most fault tests and benchmarks share: one monitor, chair-1.
 * A fresh /tmp/vt-TAG-* directory; chair-1's cable, a pty linked as
 * dir/chair-1; two free ports; with `record`, record_dir dir/rec (made);
 * and the configuration dir/vitalsd.yaml with chair-1 on `protocol`
 * (`monitor_keys` added to its entry, e.g. "stale_after: 700ms", may be
 * NULL) and `rules` as for vt_rig_config. The daemon's log is dir/vitalsd.log.
 */
struct vt_rig_bed {
	char dir[128], link[200], cfg[320], log[320], rec[200];
	struct vt_rig_pty pty;
	int pub, ctl;
};
/* 0, or -1 with the reason on stderr. */
int vt_rig_one_bed(struct vt_rig_bed *b, const char *tag, const char *protocol,
                   const char *monitor_keys, bool record, const char *rules);

/* One Masimo Radical ASCII 1 line (as the device sends once a second) into
 * buf; its length. SPO2 and BPM as given, PI 3.60 %, no alarm. */
int vt_rig_masimo_line(char *buf, size_t len, int spo2, int bpm);

/* A running daemon and the endpoints a test reaches it by. */
struct vt_rig_daemon {
	pid_t pid;               /* 0 when not running */
	char pub[64];            /* tcp://127.0.0.1:P */
	char ctl[64];
	char log[320];           /* its stderr */
};
/*
 * Start build/vitalsd -c config (stderr to `log`) and wait until it
 * answers ping on `ctl` (timeout_ms). 0, or -1 with the reason on stderr.
 */
int vt_rig_daemon_start(struct vt_rig_daemon *d, const char *config, int pub_port,
                        int ctl_port, const char *log, int timeout_ms);
/* SIGTERM, then SIGKILL after 5 s; the wait status. */
int vt_rig_daemon_stop(struct vt_rig_daemon *d);

/* The shared ZeroMQ context (created on first use) and its teardown. */
void *vt_rig_zctx(void);
void vt_rig_zctx_term(void);

/* A SUB socket connected to `endpoint`, subscribed to `prefix` ("" for all). */
void *vt_rig_sub(const char *endpoint, const char *prefix);
/*
 * One two-frame message: topic into `topic`, JSON body into `body` (both
 * NUL-terminated, cut to fit). The body length, or -1 after timeout_ms
 * (0: do not wait; -1: forever).
 */
int vt_rig_recv(void *sock, char *topic, size_t tlen, char *body, size_t blen, int timeout_ms);
/* The "seq" member of a message body, or 0. */
uint64_t vt_rig_seq(const char *body);
/*
 * Receive until a message whose topic starts with `topic` and whose body
 * contains `needle` (may be NULL) arrives; true if it did within timeout_ms.
 */
bool vt_rig_wait_msg(void *sub, const char *topic, const char *needle, int timeout_ms);

/* One control request over a fresh DEALER: the reply (malloc'd) or NULL on timeout. */
char *vt_rig_request(const char *endpoint, const char *json, int timeout_ms);
/* Ping until the daemon answers or timeout_ms passes. */
bool vt_rig_ping(const char *endpoint, int timeout_ms);

/* Sort v and give its 50th and 99th percentiles (nearest rank) and maximum. */
void vt_rig_percentiles(double *v, size_t n, double *p50, double *p99, double *max);

/* The machine, for reports: "N x MODEL". */
const char *vt_rig_machine(void);

#endif
