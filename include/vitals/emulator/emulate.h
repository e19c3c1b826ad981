/*
 * The monitor emulator (vitals-emulate): a recording played out of a
 * pseudo-terminal or a TCP port as a live device, in a real protocol, with
 * faults on cue. The pieces are separate so that each can be tested alone:
 *
 *   recording  a numerics CSV or a raw capture, loaded whole (emulate_source.c)
 *   player     recording time -> the bytes of each device period; pure
 *   line       bytes leave at the speed of a serial line, or are lost; pure
 *   faults     unplug, noise and sensor-off schedules (emulate_faults.c); pure
 *   pty, tcp   where the bytes go (emulate_pty.c, emulate_tcp.c)
 *   run        the event loop that ties them together (emulate.c)
 *
 * Times: "recording time" is the recording's own clock (the CSV `t`
 * column; bytes x 10 / baud for a raw capture), in nanoseconds here. It
 * keeps increasing across --loop passes. Real time is CLOCK_MONOTONIC; at
 * --speed X, X ns of recording time pass per real ns.
 */
#ifndef VITALS_EMULATE_H
#define VITALS_EMULATE_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "vitals/base/diag.h"
#include "vitals/base/sample.h"
#include "vitals/emulator/encode.h"

/* ---- recording ---------------------------------------------------------- */

enum vt_emu_kind {
	VT_EMU_CSV,    /* canonical numerics CSV: encoded with a protocol encoder */
	VT_EMU_RAW,    /* raw byte capture (*.bin, *.dat): played as it is */
	VT_EMU_SESSION /* session recording (recorder.h): data events at their recorded times */
};

/* A session's data event: `len` bytes of `bytes` from `off`, at t_ms. */
struct vt_emu_chunk {
	int64_t t_ms;  /* ms since the session's start */
	size_t off;
	size_t len;
};

struct vt_emu_row {
	int64_t t_ms;         /* the row's `t`, ms since the recording's start */
	struct vt_reading r;  /* its values; empty fields are missing */
};

struct vt_emu_recording {
	enum vt_emu_kind kind;
	struct vt_emu_row *rows; /* VT_EMU_CSV: every row, in time order */
	size_t n_rows;
	uint8_t *bytes;          /* VT_EMU_RAW: the whole capture; SESSION: every data byte */
	size_t n_bytes;
	struct vt_emu_chunk *chunks; /* VT_EMU_SESSION: data events in order */
	size_t n_chunks;
};

/*
 * Load `path`: a session recording (recognised by its first line), *.bin /
 * *.dat as a raw capture, anything else as a numerics CSV (every row is
 * checked before playing starts). 0, or -1 with every
 * problem in `diag`.
 */
int vt_emu_recording_load(struct vt_emu_recording *rec, const char *path, struct vt_diag *diag);
void vt_emu_recording_free(struct vt_emu_recording *rec);

/* ---- player: recording -> device periods (pure) -------------------------- */

struct vt_emu_player {
	const struct vt_emu_recording *rec;
	const struct vt_encoder *enc; /* VT_EMU_CSV: the protocol; NULL for raw */
	_Alignas(max_align_t) unsigned char state[VT_ENCODE_STATE_MAX]; /* the encoder's */
	bool loop;         /* start again at the end */
	bool done;         /* the recording has ended (never with loop) */
	int64_t t0_ns;     /* recording time of the first period */
	int64_t span_ns;   /* length of one pass */
	int64_t wall0_ms;  /* wall-clock time the device shows at t0 */
	uint64_t period;   /* CSV: index of the next period */
	uint64_t offset;   /* raw: bytes played so far, all passes; session: chunks played */
	size_t row;        /* CSV: row shown by the current pass */
	uint64_t pass;     /* CSV: pass of the current row */
	int baud;          /* raw: line speed that sets the timing */
	uint32_t cuff_fail; /* CSV: this many cuff measurements still to fail */
	bool cuff_failed;  /* CSV: the last one failed (the monitor says so until one succeeds) */
	size_t shown_row;  /* CSV: the row of the last period, and its pass */
	uint64_t shown_pass;
};

/*
 * Start at the recording's beginning, the device clock showing `wall0_ms`.
 * `enc` is required for a CSV and ignored for a raw capture; `cfg` may be
 * NULL (defaults).
 */
void vt_emu_player_init(struct vt_emu_player *p, const struct vt_emu_recording *rec,
                        const struct vt_encoder *enc, const struct vt_encode_config *cfg,
                        bool loop, int64_t wall0_ms, int baud);
/* Recording time at which the next period starts; INT64_MAX when done. */
int64_t vt_emu_player_time(const struct vt_emu_player *p);
/*
 * Produce the next period into `out` (VT_ENCODE_MAX bytes) and return its
 * length. With `sensor_off`, the oximeter's values are sent as missing and
 * the reading says sensor off, as the device would.
 */
size_t vt_emu_player_next(struct vt_emu_player *p, bool sensor_off, uint8_t *out);

/* The device's clock at recording time t_ns. */
int64_t vt_emu_player_wall(const struct vt_emu_player *p, int64_t t_ns);

/* The reading a device shows while its sensor is off the finger. */
void vt_emu_sensor_off(struct vt_reading *r);

/* ---- line: bytes at the speed of a serial line (pure) --------------------- */

/*
 * Pending bytes and when each may leave. A serial line sends one byte
 * every 10 bits / baud (start, 8 data, stop); at --speed X, X times as
 * often. A device does not wait for its reader: what cannot be delivered
 * when it is due is lost, so the caller consumes due bytes whether or not
 * it could write them.
 */
struct vt_emu_line {
	uint8_t *buf;      /* pending bytes, oldest first */
	size_t len, cap;
	double byte_ns;    /* real ns per byte */
	int64_t origin_ns; /* when the current burst began */
	uint64_t sent;     /* bytes of the current burst already gone */
};

/* 0, or -1 if out of memory. `cap` bounds the pending bytes. */
int vt_emu_line_init(struct vt_emu_line *l, int baud, double speed, size_t cap);
void vt_emu_line_free(struct vt_emu_line *l);
/*
 * The device produced `n` bytes at `at_ns`: they follow what is still
 * pending, or start a new burst at `at_ns` if the line is idle. Returns how
 * many did not fit (lost).
 */
size_t vt_emu_line_push(struct vt_emu_line *l, const uint8_t *b, size_t n, int64_t at_ns);
/* Line noise at `at_ns`: goes out next, in the middle of whatever is pending. */
size_t vt_emu_line_inject(struct vt_emu_line *l, const uint8_t *b, size_t n, int64_t at_ns);
/* How many pending bytes (from the front) are due at `now_ns`. */
size_t vt_emu_line_due(const struct vt_emu_line *l, int64_t now_ns);
/* Drop `n` bytes from the front (written or lost). */
void vt_emu_line_consume(struct vt_emu_line *l, size_t n);
/* When the first pending byte is due; INT64_MAX when nothing is pending. */
int64_t vt_emu_line_next(const struct vt_emu_line *l);

/* ---- faults (pure) -------------------------------------------------------- */

enum vt_emu_fault {
	VT_EMU_UNPLUG,     /* the cable is pulled */
	VT_EMU_REPLUG,     /* and put back */
	VT_EMU_NOISE,      /* `bytes` random bytes on the line */
	VT_EMU_SENSOR_OFF, /* the sensor comes off the finger */
	VT_EMU_SENSOR_ON,  /* and goes back on */
	VT_EMU_MUTE,       /* the device hears the host but sends nothing */
	VT_EMU_UNMUTE,     /* and talks again */
	VT_EMU_DEAF,       /* association requests go unanswered */
	VT_EMU_HEARING,    /* and are answered again */
	VT_EMU_BAD_CHECK,  /* the next frame has a wrong FCS or checksum */
	VT_EMU_DROP,       /* the device drops the association (forgets the request) */
	VT_EMU_CUFF_FAIL   /* the next cuff measurement fails */
};

struct vt_emu_event {
	int64_t t_ns;            /* recording time */
	enum vt_emu_fault fault;
	uint32_t bytes;          /* VT_EMU_NOISE: how many */
};

/* Every scheduled fault, in time order. */
struct vt_emu_faults {
	struct vt_emu_event *ev;
	size_t n, cap;
};

/*
 * Parse a list of numbers ("10", "10,40.5", "250ms,2s": plain numbers are
 * seconds for times, counts for --noise-bytes) and append them to *v.
 * `unitless` rejects units. 0, or -1 with a reason in err.
 */
int vt_emu_parse_list(const char *s, bool unitless, int64_t **v, size_t *n, char *err,
                      size_t errlen);

/*
 * Add `n_at` faults starting at the times `at` (ns). For unplug, sensor-off,
 * mute and deaf, `arg` gives durations (ns); for noise, byte counts; the
 * others (bad check, drop, cuff fail) happen at their time and take none. The i-th
 * argument goes with the i-th time; when there are fewer, the last one
 * given (or `dflt` if none) goes with the rest. 0, or -1 with err.
 */
int vt_emu_faults_add(struct vt_emu_faults *f, enum vt_emu_fault kind, const int64_t *at,
                      size_t n_at, const int64_t *arg, size_t n_arg, int64_t dflt, char *err,
                      size_t errlen);
/* Whether the sensor is scheduled off at recording time t_ns. */
bool vt_emu_faults_sensor_off(const struct vt_emu_faults *f, int64_t t_ns);
void vt_emu_faults_free(struct vt_emu_faults *f);

/* ---- pseudo-terminal ------------------------------------------------------ */

struct vt_emu_pty {
	int master;          /* -1 while unplugged */
	char slave[64];      /* "/dev/pts/N" */
	char *link;          /* the symlink pointing at `slave` */
	bool reader;         /* someone had the slave open at the last write */
};

/*
 * Open a new pty in raw mode at `baud`, and point `link` at its slave
 * (made under a temporary name, then renamed over `link`, so a reader
 * never sees a missing or half-made link; a non-symlink at `link` is never
 * replaced). 0, or -1 with err.
 */
int vt_emu_pty_open(struct vt_emu_pty *p, const char *link, int baud, char *err, size_t errlen);
/*
 * Write what the reader can take without waiting; the rest is lost.
 * Returns the bytes written. p->reader tells whether anyone has the slave
 * open (nobody: nothing is written, as on a line with nothing attached).
 */
size_t vt_emu_pty_write(struct vt_emu_pty *p, const uint8_t *b, size_t n);
/*
 * What the reader wrote to the slave (a host's request), at most `cap`
 * bytes without waiting. 0: nothing now; -1: nobody has the slave open.
 */
ssize_t vt_emu_pty_read(struct vt_emu_pty *p, uint8_t *b, size_t cap);
/* Close the master (the reader sees hang-up) and remove the link if it is still ours. */
void vt_emu_pty_close(struct vt_emu_pty *p);

/* ---- addresses (addr.c) ---------------------------------------------------- */

/* "HOST:PORT", ":PORT", "PORT" or "[v6]:PORT" (HOST defaults to 127.0.0.1). 0, or -1 with err. */
int vt_emu_addr_parse(const char *hostport, int socktype, struct sockaddr_storage *addr,
                      socklen_t *addrlen, char *err, size_t errlen);
/* "host:port", "[v6]:port" for IPv6. */
void vt_emu_addr_name(const struct sockaddr *sa, char *dst, size_t len);

/* ---- TCP ------------------------------------------------------------------ */

struct vt_emu_tcp {
	int listen_fd;                /* -1 while not listening */
	int client_fd;                /* -1 without a client */
	struct sockaddr_storage addr; /* the bound address, port resolved */
	socklen_t addrlen;
	char name[96];                /* "127.0.0.1:5000", as bound */
	char peer[96];                /* the client, for the log */
	uint8_t rx[512];              /* what the client sent (VT_EMU_TCP_RECEIVED) */
	size_t rx_len;
};

enum vt_emu_tcp_io {
	VT_EMU_TCP_NOTHING,   /* nothing worth telling */
	VT_EMU_TCP_ACCEPTED,  /* a client connected (peer says who) */
	VT_EMU_TCP_GONE,      /* the client went away */
	VT_EMU_TCP_RECEIVED   /* the client sent rx_len bytes, in rx */
};

void vt_emu_tcp_init(struct vt_emu_tcp *t);
/*
 * Listen on "HOST:PORT", ":PORT", "PORT" or "[v6]:PORT" (host defaults to
 * 127.0.0.1; port 0 picks a free one, see t->name). 0, or -1 with err.
 */
int vt_emu_tcp_listen(struct vt_emu_tcp *t, const char *hostport, char *err, size_t errlen);
/* Listen again on the address bound before (after an unplug). */
int vt_emu_tcp_relisten(struct vt_emu_tcp *t, char *err, size_t errlen);
/* The descriptor to poll for POLLIN: the client, or the listener while none. -1: none. */
int vt_emu_tcp_fd(const struct vt_emu_tcp *t);
/* Act on the poll results for vt_emu_tcp_fd(). */
enum vt_emu_tcp_io vt_emu_tcp_handle(struct vt_emu_tcp *t, short revents);
/* Send what the socket takes now; the rest is lost. Drops a client that has gone. */
size_t vt_emu_tcp_write(struct vt_emu_tcp *t, const uint8_t *b, size_t n, bool *gone);
/* Close the client and stop listening. */
void vt_emu_tcp_close(struct vt_emu_tcp *t);

/* ---- an HL7 monitor: a client of vitalsd's MLLP listener (mllp_client.c) --- */

struct vt_emu_mllp_options {
	const char *to;          /* --mllp HOST:PORT: where to connect; NULL: not this mode */
	bool no_ack_wait;        /* send every message without waiting for its acknowledgement */
	bool partial;            /* write each frame in three pieces, 100 ms apart */
	int64_t ack_timeout_ms;  /* give up waiting for an acknowledgement after this */
	int64_t *bad_at;         /* recording times (ns) to send a frame that is not HL7 */
	size_t n_bad;
	int64_t *burst_at;       /* recording times (ns) to send `burst` messages at once */
	size_t n_burst;
	int burst;
};

/* ---- UDP: a monitor on a LAN (udp.c) -------------------------------------- */

struct vt_emu_udp {
	int fd;                           /* -1 while unplugged */
	struct sockaddr_storage addr;     /* bound, port resolved */
	socklen_t addrlen;
	char name[96];                    /* "127.0.0.1:24105", as bound */
	struct sockaddr_storage announce; /* where announcements go */
	socklen_t announce_len;
	struct sockaddr_storage host;     /* who sent the last datagram; answers go there */
	socklen_t host_len;               /* 0: nobody yet */
	uint8_t rx[2050];                 /* that datagram, its 2-byte length in front */
	size_t rx_len;
};

void vt_emu_udp_init(struct vt_emu_udp *u);
/* Bind the data socket at `bind_to` (the same port again after an unplug) and
 * aim announcements at `announce`. 0, or -1 with err. */
int vt_emu_udp_open(struct vt_emu_udp *u, const char *bind_to, const char *announce, char *err,
                    size_t errlen);
/* The data port bound. */
uint16_t vt_emu_udp_port(const struct vt_emu_udp *u);
/* Read one datagram into rx, remembering its sender; false if there is none. */
bool vt_emu_udp_recv(struct vt_emu_udp *u);
/* Send the length-prefixed datagrams in b, to the host (or to the announce
 * address); what cannot go now is lost. The bytes sent. */
size_t vt_emu_udp_send(struct vt_emu_udp *u, const uint8_t *b, size_t n, bool announce);
void vt_emu_udp_close(struct vt_emu_udp *u);

/* ---- the emulator --------------------------------------------------------- */

struct vt_emu_options {
	const char *recording;           /* path, for messages (and to load it) */
	const struct vt_emu_recording *rec; /* already loaded (a scenario played), or NULL */
	const struct vt_encoder *enc;    /* protocol; required for a CSV */
	struct vt_encode_config device;  /* what the emulated unit is set to */
	const char *pty_link;            /* --pty LINK, or NULL */
	const char *tcp;                 /* --tcp HOST:PORT, or NULL */
	const char *udp;                 /* --udp HOST:PORT: a monitor on a LAN, or NULL */
	const char *announce;            /* --announce HOST:PORT (udp); NULL: 127.0.0.1:24005 */
	double speed;                    /* > 0 */
	bool loop;
	int64_t start_wall_ms;           /* the device clock at the start */
	int baud;                        /* line speed; 0: the protocol's (9600) */
	uint64_t seed;                   /* for noise bytes */
	struct vt_emu_faults faults;
	struct vt_emu_mllp_options mllp; /* --mllp: a monitor that connects and pushes HL7 */
	const char *session;             /* --session OUT: write a session recording, play nothing */
};

/* CLOCK_MONOTONIC, in ns: what the loops' deadlines are on. */
int64_t vt_emu_mono_ns(void);
/*
 * The monotonic time at which recording time `t` comes, for a player
 * started at `mono0` and played at `speed`; INT64_MAX (never) stays.
 */
int64_t vt_emu_mono_of(const struct vt_emu_player *p, int64_t mono0, double speed, int64_t t);

/*
 * The recording `o` names, into *rec: o->rec when a scenario was played
 * already (*owned false: not the caller's to free), else o->recording
 * loaded (*owned true). A numerics CSV needs o->enc. 0, or an exit status
 * (sysexits(3)) after a message to `log`.
 */
int vt_emu_recording_get(const struct vt_emu_options *o, struct vt_emu_recording *rec, bool *owned,
                         FILE *log);

/* Why the device of `o` cannot play fault `f` from `rec`, or NULL if it can. */
const char *vt_emu_fault_refused(const struct vt_emu_options *o,
                                 const struct vt_emu_recording *rec, enum vt_emu_fault f);

/*
 * Run until the recording ends (unless looping), SIGINT or SIGTERM.
 * SIGUSR1 unplugs now, SIGUSR2 plugs back in. Endpoints go to `out` (the
 * slave path, or HOST:PORT), one line per event to `log`. Returns an exit
 * status (0, or a sysexits(3) code).
 */
int vt_emu_run(const struct vt_emu_options *o, FILE *out, FILE *log);

/*
 * The same recording as an HL7 monitor pushing to o->mllp.to (connecting
 * again, each second, while it cannot), each message waited for its
 * acknowledgement unless told otherwise, with the misbehaviour asked for.
 * SIGUSR1 drops the connection until SIGUSR2. The address goes to `out`,
 * every message sent and acknowledgement received to `log`.
 */
int vt_emu_mllp_run(const struct vt_emu_options *o, FILE *out, FILE *log);

/*
 * The recording played once into a session recording at o->session
 * (docs/recording.md) instead of out of a port: what vitalsd's recorder
 * would have kept of a live run on a perfect line, each device period's
 * bytes as one read at its time, an unplug as `lost` then `open`, noise as
 * bytes between periods, a mute as periods not sent. Only for devices that
 * speak unasked. An exit status; problems go to `log`.
 */
int vt_emu_write_session(const struct vt_emu_options *o, FILE *log);

#endif
