/*
 * vitals-web: the central station in a browser. Every bed as a tile with
 * its values, trend, infusion phase and alarms; alarms in their IEC
 * colours, flashing and sounding by priority; acknowledge, audio pause and
 * phase changes under the logged-in nurse's name; CONNECTION LOST when
 * the daemon falls silent.
 *
 * One thread runs one zmq_poll over the daemon's sockets, libmicrohttpd's
 * epoll descriptor, the password checker's eventfd and a signalfd, with
 * the nearest deadline as its timeout (docs/web.md). `vitals-web passwd`
 * manages the users file.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

#include "vitals/base/timefmt.h"
#include "vitals/base/version.h"
#include "vitals/console/client.h"
#include "vitals/io/curve.h"
#include "vitals/io/log.h"
#include "vitals/io/notify.h"
#include "vitals/web/server.h"
#include "vitals/web/station.h"
#include "vitals/web/users.h"

/* STATUS= lines for systemctl status, this often. */
#define S_STATUS_MS 10000

/* ---- vitals-web passwd ---------------------------------------------------------------- */

/* One line from `in` without its newline; -1 at EOF or when too long. */
static int
s_read_line(FILE *in, char *buf, size_t len)
{
	if (fgets(buf, (int)len, in) == NULL)
		return -1;
	size_t n = strcspn(buf, "\r\n");
	if (buf[n] == '\0' && n == len - 1)
		return -1; /* no newline within the buffer: too long */
	buf[n] = '\0';
	return 0;
}

/* The password: typed twice without echo on a terminal, else one line of standard input. */
static int
s_password(char *pw, size_t len, const char *user)
{
	if (!isatty(STDIN_FILENO)) {
		if (s_read_line(stdin, pw, len) != 0) {
			fprintf(stderr, "vitals-web passwd: no password on standard input (one line, at most "
			        "%d bytes)\n", VT_USER_PASSWORD_MAX);
			return -1;
		}
		return 0;
	}
	struct termios old, quiet;
	tcgetattr(STDIN_FILENO, &old);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	char again[VT_USER_PASSWORD_MAX + 2];
	fprintf(stderr, "password for %s: ", user);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	int rc = s_read_line(stdin, pw, len);
	fprintf(stderr, "\nagain: ");
	if (rc == 0)
		rc = s_read_line(stdin, again, sizeof(again));
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	fprintf(stderr, "\n");
	if (rc == 0 && strcmp(pw, again) != 0) {
		fprintf(stderr, "vitals-web passwd: the two passwords differ\n");
		rc = -1;
	}
	sodium_memzero(again, sizeof(again));
	return rc;
}

/* Replace `path` with `text` atomically, keeping its owner and mode (0600 for a new file). */
static int
s_write_atomic(const char *path, const char *text)
{
	struct stat st;
	bool existed = stat(path, &st) == 0;
	mode_t mode = existed ? st.st_mode & 07777 : 0600;
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	size_t len = strlen(text), off = 0;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w <= 0) {
			close(fd);
			unlink(tmp);
			return -1;
		}
		off += (size_t)w;
	}
	/* The service reads the file through its group (root:vitals-web 0640): keep both. */
	if ((existed && fchown(fd, st.st_uid, st.st_gid) != 0) || fchmod(fd, mode) != 0 ||
	    fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}

static int
s_passwd(int argc, char **argv)
{
	static const struct option longopts[] = {{"role", required_argument, NULL, 'r'},
	                                         {"delete", no_argument, NULL, 'd'},
	                                         {"help", no_argument, NULL, 'h'},
	                                         {NULL, 0, NULL, 0}};
	const char *usage = "usage: vitals-web passwd [--role nurse|viewer] [--delete] FILE USER\n"
	                    "  sets USER's password (read from the terminal twice, or one line of\n"
	                    "  standard input) and role (default nurse) in the users file FILE,\n"
	                    "  made if missing (mode 0600); --delete removes USER\n";
	int role = VT_ROLE_NURSE, opt;
	bool del = false;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "r:dh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			role = vt_role_by_name(optarg);
			if (role < 0) {
				fprintf(stderr, "vitals-web passwd: unknown role \"%s\" (nurse, viewer)\n", optarg);
				return EX_USAGE;
			}
			break;
		case 'd':
			del = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return EX_USAGE;
		}
	}
	if (argc - optind != 2) {
		fputs(usage, stderr);
		return EX_USAGE;
	}
	const char *path = argv[optind], *user = argv[optind + 1];
	if (!vt_user_name_ok(user)) {
		fprintf(stderr, "vitals-web passwd: \"%s\": a user name is 1 to %d letters, digits and "
		        ". _ @ -, starting with a letter or digit\n", user, VT_USER_NAME_MAX);
		return EX_USAGE;
	}
	/* The file as it is (empty if new), checked: a broken file is not edited blindly. */
	char *text = NULL;
	size_t len = 0;
	FILE *f = fopen(path, "re");
	if (f == NULL && errno != ENOENT) {
		fprintf(stderr, "vitals-web passwd: %s: %s\n", path, strerror(errno));
		return EX_NOINPUT;
	}
	if (f != NULL) {
		text = malloc(VT_USERS_FILE_MAX + 1);
		len = text ? fread(text, 1, VT_USERS_FILE_MAX + 1, f) : 0;
		fclose(f);
		if (text == NULL || len > VT_USERS_FILE_MAX) {
			fprintf(stderr, "vitals-web passwd: %s: too large for a users file\n", path);
			free(text);
			return EX_DATAERR;
		}
	}
	struct vt_web_users users = {0};
	char err[512];
	if (vt_users_parse(text ? text : "", len, path, &users, err, sizeof(err)) != 0) {
		fprintf(stderr, "vitals-web passwd: %s\n", err);
		free(text);
		return EX_DATAERR;
	}
	bool known = vt_users_find(&users, user) != NULL;
	vt_users_free(&users);
	char hash[VT_USER_HASH_MAX];
	if (del && !known) {
		fprintf(stderr, "vitals-web passwd: %s has no user \"%s\"\n", path, user);
		free(text);
		return EX_DATAERR;
	}
	if (!del) {
		char pw[VT_USER_PASSWORD_MAX + 2];
		if (s_password(pw, sizeof(pw), user) != 0) {
			free(text);
			return EX_DATAERR;
		}
		if (strlen(pw) < VT_USER_PASSWORD_MIN) {
			fprintf(stderr, "vitals-web passwd: a password has at least %d characters\n",
			        VT_USER_PASSWORD_MIN);
			sodium_memzero(pw, sizeof(pw));
			free(text);
			return EX_DATAERR;
		}
		int rc = vt_users_hash(pw, hash);
		sodium_memzero(pw, sizeof(pw));
		if (rc != 0) {
			fprintf(stderr, "vitals-web passwd: cannot hash the password (out of memory?)\n");
			free(text);
			return EX_SOFTWARE;
		}
	}
	bool found;
	char *out = vt_users_edit(text ? text : "", len, user, (enum vt_web_role)role,
	                          del ? NULL : hash, &found);
	free(text);
	if (out == NULL || s_write_atomic(path, out) != 0) {
		fprintf(stderr, "vitals-web passwd: cannot write %s: %s\n", path, strerror(errno));
		free(out);
		return EX_CANTCREAT;
	}
	free(out);
	fprintf(stderr, "vitals-web passwd: %s %s%s%s in %s (a running vitals-web reads it on SIGHUP)\n",
	        del ? "removed" : found ? "changed" : "added", user, del ? "" : " as ",
	        del ? "" : vt_role_name((enum vt_web_role)role), path);
	return 0;
}

/* ---- the server ------------------------------------------------------------------------ */

static void
s_usage(FILE *out)
{
	fputs("usage: vitals-web [OPTIONS]            the web central station\n"
	      "       vitals-web passwd [--role R] [--delete] FILE USER\n"
	      "  --listen ADDR:PORT    where to serve (default 127.0.0.1:8080; plain HTTP only on\n"
	      "                        loopback: elsewhere give --tls-cert/--tls-key)\n"
	      "  --connect ENDPOINT    the daemon's PUB endpoint (default tcp://127.0.0.1:5556)\n"
	      "  --control ENDPOINT    its control endpoint (default tcp://127.0.0.1:5557)\n"
	      "  --users FILE          users and password hashes (default\n"
	      "                        $CREDENTIALS_DIRECTORY/users, else /etc/vitalsd/web-users)\n"
	      "  --tls-cert FILE       PEM certificate (chain) and key: serve HTTPS\n"
	      "  --tls-key FILE\n"
	      "  --origin URL          the page's origin as browsers see it, behind a reverse\n"
	      "                        proxy (https://station.example.org)\n"
	      "  --proxy               trust the last X-Forwarded-For address (behind a proxy)\n"
	      "  --reports DIR         offer vitals-report's files from DIR\n"
	      "  --max-connections N   (256)  --per-address N (32; 0: no limit)\n"
	      "  --timeout SECONDS     an idle connection is closed (15)\n"
	      "  --max-screens N       open station pages (64)  --max-sessions N (256)\n"
	      "  --session-idle DUR    (12h)  --session-max DUR (24h)\n"
	      "  --login-burst N       failed logins allowed at once (5)\n"
	      "  --login-refill DUR    then one more per DUR (30s)\n"
	      "  --server-key KEY      CURVE: the daemon's public key (or $VITALS_SERVER_KEY)\n"
	      "  --key FILE            CURVE: this station's key pair (or $VITALS_KEY)\n"
	      "  -v, --verbose         debug logging\n",
	      out);
}

static int
s_uint(const char *opt, const char *arg, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(arg, &end, 10);
	if (errno != 0 || *end != '\0' || end == arg || v > max || arg[0] == '-') {
		fprintf(stderr, "vitals-web: %s %s: expected a whole number up to %lu\n", opt, arg, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int
s_duration(const char *opt, const char *arg, int64_t *out)
{
	const char *why;
	if (vt_duration_parse(arg, out, &why) != 0 || *out <= 0) {
		fprintf(stderr, "vitals-web: %s %s: expected a duration such as 30s, 15m or 12h\n", opt,
		        arg);
		return -1;
	}
	return 0;
}

static int
s_serve(struct vt_web_config *cfg, const char *publish, const char *control,
        const struct vt_curve_keys *keys)
{
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	void *zctx = zmq_ctx_new();
	char err[1024];
	struct vt_station *st = vt_station_new(zctx, publish, control, keys, err, sizeof(err));
	if (st == NULL) {
		vt_err("vitals-web: %s", err);
		zmq_ctx_term(zctx);
		return errno == EINVAL || errno == EPROTONOSUPPORT ? EX_USAGE : EX_UNAVAILABLE;
	}
	struct vt_web *w = vt_web_new(cfg, st, err, sizeof(err));
	if (w == NULL) {
		vt_err("vitals-web: %s", err);
		vt_station_free(&st);
		zmq_ctx_term(zctx);
		return EX_CONFIG;
	}
	vt_notice("vitals-web %s serving %s for the daemon at %s (control %s)", VT_VERSION,
	          vt_web_url(w), publish, control);
	vt_notify("READY=1");
	int64_t watchdog = vt_notify_watchdog_ms();
	int64_t next_ping = 0, next_status = 0;
	bool stop = false;
	while (!stop) {
		int64_t now = vt_client_now();
		zmq_pollitem_t items[VT_STATION_POLLITEMS + 3];
		size_t n = vt_station_pollitems(st, items);
		items[n++] = (zmq_pollitem_t){.fd = vt_web_fd(w), .events = ZMQ_POLLIN};
		items[n++] = (zmq_pollitem_t){.fd = vt_web_verifier_fd(w), .events = ZMQ_POLLIN};
		items[n++] = (zmq_pollitem_t){.fd = sfd, .events = ZMQ_POLLIN};
		int64_t next = vt_station_deadline(st);
		int64_t d = vt_web_deadline(w, now);
		next = d < next ? d : next;
		if (watchdog > 0 && next_ping < next)
			next = next_ping;
		long timeout = next > now ? (long)(next - now) : 0;
		if (zmq_poll(items, (int)n, timeout) < 0 && errno != EINTR) {
			vt_err("vitals-web: zmq_poll: %s", zmq_strerror(errno));
			break;
		}
		struct signalfd_siginfo si;
		while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			if (si.ssi_signo == SIGHUP) {
				if (vt_web_reload(w, err, sizeof(err)) != 0)
					vt_err("vitals-web: %s; the users stay as they were", err);
			} else {
				stop = true;
			}
		}
		now = vt_client_now();
		/* Anything from the daemon may change the picture; the view sends only what did. */
		if (vt_station_run(st, now))
			vt_web_changed(w);
		vt_web_run(w, now);
		if (watchdog > 0 && now >= next_ping) {
			vt_notify("WATCHDOG=1");
			next_ping = now + watchdog / 2;
		}
		if (now >= next_status) {
			char status[400];
			vt_web_status(w, status, sizeof(status));
			vt_notify_status("%s", status);
			next_status = now + S_STATUS_MS;
		}
	}
	vt_notify("STOPPING=1");
	vt_notice("vitals-web stopping");
	vt_web_stop(w);
	vt_station_free(&st); /* commands still waiting are answered now */
	vt_web_free(&w);
	zmq_ctx_term(zctx);
	close(sfd);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "passwd") == 0)
		return s_passwd(argc - 1, argv + 1);
	enum { O_LISTEN = 256, O_CONNECT, O_CONTROL, O_USERS, O_CERT, O_KEYFILE, O_ORIGIN, O_PROXY,
	       O_REPORTS, O_MAXCONN, O_PERADDR, O_TIMEOUT, O_SCREENS, O_SESSIONS, O_IDLE, O_MAXAGE,
	       O_BURST, O_REFILL, O_SERVERKEY, O_CURVEKEY };
	static const struct option longopts[] = {
	    {"listen", required_argument, NULL, O_LISTEN},
	    {"connect", required_argument, NULL, O_CONNECT},
	    {"control", required_argument, NULL, O_CONTROL},
	    {"users", required_argument, NULL, O_USERS},
	    {"tls-cert", required_argument, NULL, O_CERT},
	    {"tls-key", required_argument, NULL, O_KEYFILE},
	    {"origin", required_argument, NULL, O_ORIGIN},
	    {"proxy", no_argument, NULL, O_PROXY},
	    {"reports", required_argument, NULL, O_REPORTS},
	    {"max-connections", required_argument, NULL, O_MAXCONN},
	    {"per-address", required_argument, NULL, O_PERADDR},
	    {"timeout", required_argument, NULL, O_TIMEOUT},
	    {"max-screens", required_argument, NULL, O_SCREENS},
	    {"max-sessions", required_argument, NULL, O_SESSIONS},
	    {"session-idle", required_argument, NULL, O_IDLE},
	    {"session-max", required_argument, NULL, O_MAXAGE},
	    {"login-burst", required_argument, NULL, O_BURST},
	    {"login-refill", required_argument, NULL, O_REFILL},
	    {"server-key", required_argument, NULL, O_SERVERKEY},
	    {"key", required_argument, NULL, O_CURVEKEY},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0}};
	struct vt_web_config cfg;
	vt_web_config_defaults(&cfg);
	char users_cred[4096];
	const char *creds = getenv("CREDENTIALS_DIRECTORY");
	if (creds != NULL && *creds != '\0') {
		snprintf(users_cred, sizeof(users_cred), "%s/users", creds);
		cfg.users = users_cred;
	}
	const char *publish = "tcp://127.0.0.1:5556", *control = "tcp://127.0.0.1:5557";
	const char *server_key = NULL, *key = NULL;
	unsigned long u;
	int opt;
	while ((opt = getopt_long(argc, argv, "vhV", longopts, NULL)) != -1) {
		switch (opt) {
		case O_LISTEN: cfg.listen = optarg; break;
		case O_CONNECT: publish = optarg; break;
		case O_CONTROL: control = optarg; break;
		case O_USERS: cfg.users = optarg; break;
		case O_CERT: cfg.tls_cert = optarg; break;
		case O_KEYFILE: cfg.tls_key = optarg; break;
		case O_ORIGIN: cfg.origin = optarg; break;
		case O_PROXY: cfg.proxy = true; break;
		case O_REPORTS: cfg.reports = optarg; break;
		case O_SERVERKEY: server_key = optarg; break;
		case O_CURVEKEY: key = optarg; break;
		case O_MAXCONN:
			if (s_uint("--max-connections", optarg, 65536, &u) != 0 || u == 0)
				return EX_USAGE;
			cfg.max_connections = (unsigned)u;
			break;
		case O_PERADDR:
			if (s_uint("--per-address", optarg, 65536, &u) != 0)
				return EX_USAGE;
			cfg.per_address = (unsigned)u;
			break;
		case O_TIMEOUT:
			if (s_uint("--timeout", optarg, 3600, &u) != 0 || u == 0)
				return EX_USAGE;
			cfg.timeout_s = (unsigned)u;
			break;
		case O_SCREENS:
			if (s_uint("--max-screens", optarg, 4096, &u) != 0 || u == 0)
				return EX_USAGE;
			cfg.max_streams = u;
			break;
		case O_SESSIONS:
			if (s_uint("--max-sessions", optarg, 65536, &u) != 0 || u == 0)
				return EX_USAGE;
			cfg.max_sessions = u;
			break;
		case O_BURST:
			if (s_uint("--login-burst", optarg, 1000, &u) != 0 || u == 0)
				return EX_USAGE;
			cfg.login_burst = (int)u;
			break;
		case O_IDLE:
			if (s_duration("--session-idle", optarg, &cfg.session_idle_ms) != 0)
				return EX_USAGE;
			break;
		case O_MAXAGE:
			if (s_duration("--session-max", optarg, &cfg.session_max_ms) != 0)
				return EX_USAGE;
			break;
		case O_REFILL:
			if (s_duration("--login-refill", optarg, &cfg.login_refill_ms) != 0)
				return EX_USAGE;
			break;
		case 'v':
			vt_log_set_verbose(true);
			break;
		case 'V':
			printf("vitals-web %s\n", VT_VERSION);
			return 0;
		case 'h':
			s_usage(stdout);
			return 0;
		default:
			s_usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind < argc) {
		s_usage(stderr);
		return EX_USAGE;
	}
	char err[512];
	struct vt_curve_keys keys;
	int curve = vt_curve_client_keys(&keys, server_key, key, err, sizeof(err));
	if (curve < 0) {
		fprintf(stderr, "vitals-web: %s\n", err);
		return EX_USAGE;
	}
	int rc = s_serve(&cfg, publish, control, curve > 0 ? &keys : NULL);
	sodium_memzero(&keys, sizeof(keys));
	return rc;
}
