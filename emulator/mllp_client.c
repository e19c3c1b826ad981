/*
 * The emulator as an HL7 monitor (vitals-emulate --mllp HOST:PORT): it
 * connects to vitalsd's listener, as Mindray monitors and gateways in
 * client mode do, and pushes one observation message a period, each one
 * after the acknowledgement of the one before (or after a timeout), so a
 * listener that stops answering slows it down as it would a real monitor.
 *
 * On request it misbehaves: a frame that is not HL7 (--bad-at), several
 * messages in one write (--burst-at), frames written in pieces
 * (--partial), no waiting for acknowledgements (--no-ack-wait); SIGUSR1
 * drops the connection until SIGUSR2. Messages that come due while one
 * waits for its acknowledgement are kept, a few at most, the oldest
 * dropped first.
 *
 * One thread, one ppoll(); signals are let in only inside it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "vitals/drivers/hl7.h"
#include "vitals/drivers/mllp.h"
#include "vitals/emulator/emulate.h"

#define MS INT64_C(1000000)
/* Messages kept while one waits for its acknowledgement. */
#define S_BACKLOG 8
/* Bytes waiting for the socket. */
#define S_OUT_MAX (64 * 1024)
/* Pieces of a --partial frame, and the pause between them. */
#define S_PIECES 3
#define S_PIECE_NS (100 * MS)

static volatile sig_atomic_t s_stop, s_drop_req, s_back_req;

static void
s_on_signal(int sig)
{
	if (sig == SIGUSR1)
		s_drop_req = 1;
	else if (sig == SIGUSR2)
		s_back_req = 1;
	else
		s_stop = sig;
}

struct s_msg {
	uint8_t b[VT_ENCODE_MAX];
	size_t n;
	char id[24]; /* MSH-10 */
};

struct s_cl {
	const struct vt_emu_options *o;
	FILE *log;
	struct vt_emu_recording rec;
	struct vt_emu_player player;
	struct addrinfo *addr;
	int fd;                      /* -1 while disconnected */
	bool connecting;
	bool held;                   /* SIGUSR1: stay disconnected until SIGUSR2 */
	int64_t retry_ns;            /* when to connect again */
	struct vt_mllp *rx;          /* acknowledgements being received */
	struct vt_mllp_counts counts;
	struct s_msg backlog[S_BACKLOG];
	size_t n_backlog;
	char waiting[24];            /* the id whose acknowledgement is awaited, "" for none */
	int64_t ack_deadline;
	uint8_t out[S_OUT_MAX];      /* bytes for the socket */
	size_t out_len;
	int64_t out_next;            /* --partial: when the next piece may go */
	size_t piece_end[S_PIECES * S_BACKLOG]; /* --partial: where pieces end in out */
	size_t n_pieces;
	size_t next_bad, next_burst;
	uint32_t bad_id;
	int64_t mono0;
};

static int64_t
s_mono_of(const struct s_cl *c, int64_t t)
{
	return vt_emu_mono_of(&c->player, c->mono0, c->o->speed, t);
}

static void __attribute__((format(printf, 2, 3)))
s_log(const struct s_cl *c, const char *fmt, ...)
{
	int64_t now = vt_emu_mono_ns();
	double t = ((double)c->player.t0_ns + (double)(now - c->mono0) * c->o->speed) / 1e9;
	va_list ap;
	va_start(ap, fmt);
	fprintf(c->log, "vitals-emulate: t=%.3f s: ", t);
	vfprintf(c->log, fmt, ap);
	fputc('\n', c->log);
	fflush(c->log);
	va_end(ap);
}

static void
s_disconnect(struct s_cl *c, const char *why)
{
	if (c->fd < 0)
		return;
	s_log(c, "disconnected (%s)", why);
	close(c->fd);
	c->fd = -1;
	c->connecting = false;
	c->out_len = 0;
	c->n_pieces = 0;
	c->waiting[0] = '\0';
	c->retry_ns = vt_emu_mono_ns() + 1000 * MS;
}

static void
s_connect(struct s_cl *c)
{
	c->retry_ns = INT64_MAX;
	c->fd = socket(c->addr->ai_family, c->addr->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || (connect(c->fd, c->addr->ai_addr, c->addr->ai_addrlen) != 0 &&
	                  errno != EINPROGRESS)) {
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
		c->retry_ns = vt_emu_mono_ns() + 1000 * MS;
		return;
	}
	c->connecting = true;
	vt_mllp_reset(c->rx);
}

/* Queue bytes for the socket, in S_PIECES pieces with --partial. */
static void
s_queue(struct s_cl *c, const uint8_t *b, size_t n)
{
	if (c->fd < 0 || n > sizeof c->out - c->out_len) {
		s_log(c, "%zu bytes not sent: %s", n, c->fd < 0 ? "not connected" : "output full");
		return;
	}
	memcpy(c->out + c->out_len, b, n);
	size_t start = c->out_len;
	c->out_len += n;
	if (!c->o->mllp.partial)
		return;
	for (int k = 1; k <= S_PIECES && c->n_pieces < sizeof c->piece_end / sizeof c->piece_end[0];
	     k++)
		c->piece_end[c->n_pieces++] = start + n * (size_t)k / S_PIECES;
}

/* Send one observation message: now, or into the backlog while one is unanswered. */
static void
s_message(struct s_cl *c, const struct s_msg *m)
{
	bool wait = !c->o->mllp.no_ack_wait;
	if (wait && (c->waiting[0] != '\0' || c->fd < 0 || c->connecting)) {
		if (c->n_backlog == S_BACKLOG) {
			s_log(c, "message %s dropped: %d wait already", c->backlog[0].id, S_BACKLOG);
			memmove(c->backlog, c->backlog + 1, sizeof c->backlog[0] * (S_BACKLOG - 1));
			c->n_backlog--;
		}
		c->backlog[c->n_backlog++] = *m;
		return;
	}
	s_queue(c, m->b, m->n);
	s_log(c, "sent message %s", m->id);
	if (wait) {
		snprintf(c->waiting, sizeof c->waiting, "%s", m->id);
		c->ack_deadline = vt_emu_mono_ns() + c->o->mllp.ack_timeout_ms * MS;
	}
}

static void
s_next_from_backlog(struct s_cl *c)
{
	if (c->n_backlog == 0 || c->fd < 0 || c->connecting)
		return;
	struct s_msg m = c->backlog[0];
	memmove(c->backlog, c->backlog + 1, sizeof c->backlog[0] * (c->n_backlog - 1));
	c->n_backlog--;
	s_message(c, &m);
}

/* MSH-10 of an encoded (framed) message. */
static void
s_id_of(struct s_msg *m)
{
	struct vt_hl7_msg h;
	char err[64];
	m->id[0] = '\0';
	if (m->n > 3 && vt_hl7_open(&h, (const char *)m->b + 1, m->n - 3, err, sizeof err) == 0)
		vt_hl7_text(&h, vt_hl7_field(&h, vt_hl7_msh(&h), 10), m->id, sizeof m->id);
}

static void
s_on_ack(void *ctx, const uint8_t *frame, size_t len, bool truncated)
{
	struct s_cl *c = ctx;
	struct vt_hl7_msg m;
	char err[128], code[8] = "", id[24] = "", text[160] = "";
	struct vt_hl7_str msa;
	if (truncated || vt_hl7_open(&m, (const char *)frame, len, err, sizeof err) != 0 ||
	    !vt_hl7_find(&m, "MSA", &msa)) {
		s_log(c, "a reply that is not an acknowledgement");
		return;
	}
	vt_hl7_text(&m, vt_hl7_field(&m, msa, 1), code, sizeof code);
	vt_hl7_text(&m, vt_hl7_field(&m, msa, 2), id, sizeof id);
	vt_hl7_text(&m, vt_hl7_field(&m, msa, 3), text, sizeof text);
	s_log(c, "ack %s for %s%s%s", code, id[0] ? id : "(none)", text[0] ? ": " : "", text);
	if (c->waiting[0] != '\0' && strcmp(id, c->waiting) == 0) {
		c->waiting[0] = '\0';
		s_next_from_backlog(c);
	}
}

/* Write what may go now. */
static void
s_flush(struct s_cl *c, int64_t now)
{
	if (c->fd < 0 || c->connecting || c->out_len == 0)
		return;
	size_t n = c->out_len;
	if (c->n_pieces > 0) {
		if (now < c->out_next)
			return;
		n = c->piece_end[0];
	}
	ssize_t w = send(c->fd, c->out, n, MSG_NOSIGNAL);
	if (w < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (w < 0) {
		s_disconnect(c, strerror(errno));
		return;
	}
	memmove(c->out, c->out + w, c->out_len - (size_t)w);
	c->out_len -= (size_t)w;
	for (size_t i = 0; i < c->n_pieces; i++)
		c->piece_end[i] -= (size_t)w;
	while (c->n_pieces > 0 && c->piece_end[0] == 0) {
		memmove(c->piece_end, c->piece_end + 1, sizeof c->piece_end[0] * (c->n_pieces - 1));
		c->n_pieces--;
		c->out_next = now + S_PIECE_NS;
	}
}

/* Everything due by `now`: periods, bad frames, bursts; in recording time order. */
static void
s_produce(struct s_cl *c, int64_t now)
{
	const struct vt_emu_mllp_options *mo = &c->o->mllp;
	for (;;) {
		int64_t tp = vt_emu_player_time(&c->player);
		int64_t tb = c->next_bad < mo->n_bad ? mo->bad_at[c->next_bad] : INT64_MAX;
		int64_t tu = c->next_burst < mo->n_burst ? mo->burst_at[c->next_burst] : INT64_MAX;
		int64_t t = tp < tb ? tp : tb;
		t = t < tu ? t : tu;
		if (t == INT64_MAX || s_mono_of(c, t) > now)
			return;
		if (t == tb) {
			c->next_bad++;
			char bad[64];
			int n = snprintf(bad, sizeof bad, "\x0bthis is not HL7 (%u)\x1c\r", ++c->bad_id);
			s_queue(c, (const uint8_t *)bad, (size_t)n);
			s_log(c, "sent a frame that is not HL7");
			continue;
		}
		struct s_msg m;
		m.n = vt_emu_player_next(&c->player, false, m.b);
		s_id_of(&m);
		if (t != tu) {
			s_message(c, &m);
			continue;
		}
		/* A burst: this period's message and more at once, none waited for. */
		c->next_burst++;
		uint8_t burst[VT_ENCODE_MAX * 8];
		size_t len = 0;
		for (int k = 0; k < mo->burst && len + m.n <= sizeof burst; k++) {
			memcpy(burst + len, m.b, m.n);
			len += m.n;
		}
		s_queue(c, burst, len);
		s_log(c, "sent a burst of %d copies of message %s", mo->burst, m.id);
	}
}

static void
s_read(struct s_cl *c)
{
	uint8_t buf[4096];
	ssize_t r = recv(c->fd, buf, sizeof buf, 0);
	if (r > 0) {
		vt_mllp_feed(c->rx, buf, (size_t)r, s_on_ack, c, &c->counts);
		return;
	}
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	s_disconnect(c, r == 0 ? "closed by vitalsd" : strerror(errno));
}

static void
s_loop(struct s_cl *c, const sigset_t *waitmask)
{
	while (!s_stop) {
		int64_t now = vt_emu_mono_ns();
		if (s_drop_req) {
			s_drop_req = 0;
			c->held = true;
			s_disconnect(c, "SIGUSR1");
			c->retry_ns = INT64_MAX;
		}
		if (s_back_req) {
			s_back_req = 0;
			c->held = false;
			c->retry_ns = now;
		}
		if (c->fd < 0 && !c->held && now >= c->retry_ns)
			s_connect(c);
		if (c->waiting[0] != '\0' && now >= c->ack_deadline) {
			s_log(c, "no acknowledgement for %s within %lld ms", c->waiting,
			      (long long)c->o->mllp.ack_timeout_ms);
			c->waiting[0] = '\0';
			s_next_from_backlog(c);
		}
		s_produce(c, now);
		s_flush(c, now);
		if (vt_emu_player_time(&c->player) == INT64_MAX && c->out_len == 0 &&
		    c->waiting[0] == '\0') {
			s_log(c, "end of recording");
			return;
		}
		int64_t wake = s_mono_of(c, vt_emu_player_time(&c->player));
		const struct vt_emu_mllp_options *mo = &c->o->mllp;
		if (c->next_bad < mo->n_bad && s_mono_of(c, mo->bad_at[c->next_bad]) < wake)
			wake = s_mono_of(c, mo->bad_at[c->next_bad]);
		if (c->next_burst < mo->n_burst && s_mono_of(c, mo->burst_at[c->next_burst]) < wake)
			wake = s_mono_of(c, mo->burst_at[c->next_burst]);
		if (c->retry_ns < wake)
			wake = c->retry_ns;
		if (c->waiting[0] != '\0' && c->ack_deadline < wake)
			wake = c->ack_deadline;
		if (c->n_pieces > 0 && c->out_next < wake)
			wake = c->out_next;
		struct timespec ts = {0, 0}, *tsp = NULL;
		if (wake != INT64_MAX) {
			int64_t d = wake - vt_emu_mono_ns();
			d = d < 0 ? 0 : d;
			ts.tv_sec = (time_t)(d / 1000000000);
			ts.tv_nsec = (long)(d % 1000000000);
			tsp = &ts;
		}
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		if (c->fd >= 0 && (c->connecting || (c->out_len > 0 && c->n_pieces == 0)))
			pfd.events |= POLLOUT;
		if (ppoll(&pfd, 1, tsp, waitmask) <= 0 || c->fd < 0)
			continue;
		if (c->connecting && (pfd.revents & (POLLOUT | POLLERR | POLLHUP))) {
			int e = 0;
			socklen_t len = sizeof e;
			getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &len);
			if (e != 0) {
				close(c->fd);
				c->fd = -1;
				c->connecting = false;
				c->retry_ns = vt_emu_mono_ns() + 1000 * MS;
				continue;
			}
			c->connecting = false;
			s_log(c, "connected to %s", c->o->mllp.to);
			s_next_from_backlog(c);
			continue;
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
			s_read(c);
	}
	s_log(c, "stopping on signal %d", (int)s_stop);
}

/* "HOST:PORT" resolved (numeric hosts only, as the tests and a LAN use). */
static int
s_resolve(const char *to, struct addrinfo **out)
{
	char host[256];
	const char *colon = strrchr(to, ':');
	if (colon == NULL || colon == to || (size_t)(colon - to) >= sizeof host)
		return -1;
	memcpy(host, to, (size_t)(colon - to));
	host[colon - to] = '\0';
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	return getaddrinfo(host, colon + 1, &hints, out) == 0 ? 0 : -1;
}

int
vt_emu_mllp_run(const struct vt_emu_options *o, FILE *out, FILE *log)
{
	static struct s_cl c;
	memset(&c, 0, sizeof c);
	c.o = o;
	c.log = log;
	c.fd = -1;
	if (o->enc == NULL || strcmp(o->enc->name, "hl7-mllp") != 0) {
		fprintf(log, "vitals-emulate: --mllp sends HL7: give --protocol hl7-mllp\n");
		return EX_USAGE;
	}
	if (s_resolve(o->mllp.to, &c.addr) != 0) {
		fprintf(log, "vitals-emulate: --mllp %s: expected HOST:PORT\n", o->mllp.to);
		return EX_USAGE;
	}
	struct vt_diag diag = {0};
	if (o->rec != NULL) {
		c.rec = *o->rec; /* a scenario, played already: not ours to free */
	} else if (vt_emu_recording_load(&c.rec, o->recording, &diag) != 0 ||
	           c.rec.kind != VT_EMU_CSV) {
		if (diag.count > 0)
			vt_diag_print(&diag, log);
		else
			fprintf(log, "vitals-emulate: %s: --mllp plays a numerics CSV\n", o->recording);
		vt_diag_clear(&diag);
		vt_emu_recording_free(&c.rec);
		freeaddrinfo(c.addr);
		return EX_DATAERR;
	}
	c.rx = malloc(sizeof *c.rx);
	if (c.rx == NULL) {
		vt_emu_recording_free(&c.rec);
		freeaddrinfo(c.addr);
		return EX_OSERR;
	}
	vt_emu_player_init(&c.player, &c.rec, o->enc, &o->device, o->loop, o->start_wall_ms, 9600);

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = s_on_signal;
	sigset_t block, waitmask;
	sigemptyset(&block);
	const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2};
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		sigaction(sigs[i], &sa, NULL);
		sigaddset(&block, sigs[i]);
	}
	signal(SIGPIPE, SIG_IGN);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigdelset(&waitmask, sigs[i]);
	s_stop = s_drop_req = s_back_req = 0;

	fprintf(out, "%s\n", o->mllp.to);
	fflush(out);
	c.mono0 = vt_emu_mono_ns();
	c.retry_ns = c.mono0;
	s_log(&c, "playing %s as an HL7 monitor to %s at %g x", o->recording, o->mllp.to, o->speed);
	s_loop(&c, &waitmask);
	if (c.fd >= 0)
		close(c.fd);
	free(c.rx);
	freeaddrinfo(c.addr);
	if (o->rec == NULL)
		vt_emu_recording_free(&c.rec);
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	return 0;
}
