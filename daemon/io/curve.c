/*
 * CURVE keys and the ZAP handler. ZeroMQ does the cryptography; this file
 * keeps keys in files an administrator can read and move, and decides
 * which clients may connect: exactly those whose public key file sits in
 * the configured directory. A refused client learns nothing: the handshake
 * fails and ZeroMQ never delivers a message in either direction.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zmq.h>

#include "vitals/io/curve.h"
#include "vitals/io/log.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
/* Allowed clients at most; a nursing station has a handful. */
#define VT_ZAP_MAX_KEYS 1024

struct vt_zap {
	void *sock;                     /* ZMQ_REP on the ZAP endpoint */
	uint8_t (*keys)[32];            /* allowed public keys, binary */
	size_t n_keys;
};

static int
s_write_file(const char *path, const char *text, mode_t mode, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	size_t len = strlen(text);
	bool ok = write(fd, text, len) == (ssize_t)len;
	ok = close(fd) == 0 && ok;
	if (!ok) {
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

int
vt_curve_keygen(const char *prefix, char *err, size_t errlen)
{
	char pub[VT_CURVE_Z85], sec[VT_CURVE_Z85], path[4096], text[512];
	if (zmq_curve_keypair(pub, sec) != 0) {
		snprintf(err, errlen, "cannot make a key pair: %s", zmq_strerror(errno));
		return -1;
	}
	snprintf(text, sizeof(text),
	         "# vitalsd CURVE key pair: keep this file secret (mode 0600)\n"
	         "public-key = \"%s\"\nsecret-key = \"%s\"\n",
	         pub, sec);
	snprintf(path, sizeof(path), "%s.key", prefix);
	if (s_write_file(path, text, 0600, err, errlen) != 0)
		return -1;
	snprintf(text, sizeof(text),
	         "# vitalsd CURVE public key: give this file to the other side\n"
	         "public-key = \"%s\"\n",
	         pub);
	snprintf(path, sizeof(path), "%s.pub", prefix);
	return s_write_file(path, text, 0644, err, errlen);
}

/* The Z85 value of `name = "..."` in a line, or false. */
static bool
s_key_line(const char *line, const char *name, char out[VT_CURVE_Z85])
{
	size_t n = strlen(name);
	while (*line == ' ' || *line == '\t')
		line++;
	if (strncmp(line, name, n) != 0)
		return false;
	line += n;
	while (*line == ' ' || *line == '\t' || *line == '=')
		line++;
	if (*line++ != '"')
		return false;
	const char *end = strchr(line, '"');
	if (end == NULL || end - line != VT_CURVE_Z85 - 1)
		return false;
	memcpy(out, line, VT_CURVE_Z85 - 1);
	out[VT_CURVE_Z85 - 1] = '\0';
	uint8_t bin[32];
	return zmq_z85_decode(bin, out) != NULL;
}

int
vt_curve_read(const char *path, char pub[VT_CURVE_Z85], char sec[VT_CURVE_Z85], char *err,
              size_t errlen)
{
	/* A regular file only: opening a FIFO put there by mistake (or malice)
	 * would wait for a writer for ever, and a device could be endless. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st;
	FILE *fp = NULL;
	if (fd >= 0 && fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file; a key is kept in a file", path);
		close(fd);
		return -1;
	}
	if (fd < 0 || (fp = fdopen(fd, "r")) == NULL) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	char line[512];
	bool have_pub = false, have_sec = sec == NULL;
	while (fgets(line, sizeof(line), fp) != NULL) {
		have_pub |= s_key_line(line, "public-key", pub);
		if (sec != NULL)
			have_sec |= s_key_line(line, "secret-key", sec);
	}
	fclose(fp);
	if (!have_pub || !have_sec) {
		snprintf(err, errlen, "%s: expected %s as written by `vitalsctl keygen`", path,
		         sec ? "a public-key and a secret-key line" : "a public-key line");
		return -1;
	}
	return 0;
}

int
vt_curve_server(void *sock, const char *secret_z85)
{
	int on = 1;
	if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &on, sizeof(on)) != 0 ||
	    zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, secret_z85, VT_CURVE_Z85 - 1) != 0 ||
	    zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, "vitalsd", 7) != 0)
		return -1;
	return 0;
}

int
vt_curve_client(void *sock, const char *server_pub, const char *pub, const char *sec)
{
	if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, server_pub, VT_CURVE_Z85 - 1) != 0 ||
	    zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, pub, VT_CURVE_Z85 - 1) != 0 ||
	    zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, sec, VT_CURVE_Z85 - 1) != 0)
		return -1;
	return 0;
}

int
vt_curve_client_keys(struct vt_curve_keys *k, const char *server_arg, const char *key_arg,
                     char *err, size_t errlen)
{
	if (server_arg == NULL || *server_arg == '\0')
		server_arg = getenv("VITALS_SERVER_KEY");
	if (key_arg == NULL || *key_arg == '\0')
		key_arg = getenv("VITALS_KEY");
	bool has_server = server_arg && *server_arg, has_key = key_arg && *key_arg;
	if (!has_server && !has_key)
		return 0;
	if (!has_server || !has_key) {
		snprintf(err, errlen, "CURVE needs both the daemon's public key (--server-key) and this "
		                      "client's key file (--key)");
		return -1;
	}
	/* The daemon's key: a Z85 string as it is, or a .pub file. */
	uint8_t bin[32];
	if (strlen(server_arg) == VT_CURVE_Z85 - 1 && zmq_z85_decode(bin, server_arg) != NULL)
		memcpy(k->server, server_arg, VT_CURVE_Z85);
	else if (vt_curve_read(server_arg, k->server, NULL, err, errlen) != 0)
		return -1;
	return vt_curve_read(key_arg, k->pub, k->sec, err, errlen) == 0 ? 1 : -1;
}

/* ---- ZAP ---------------------------------------------------------------------- */

int
vt_curve_read_clients(const char *dir, struct vt_curve_clients *out, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		snprintf(err, errlen, "%s: cannot read the client keys: %s", dir, strerror(errno));
		return -1;
	}
	uint8_t (*keys)[32] = calloc(VT_ZAP_MAX_KEYS, sizeof(*keys));
	size_t n = 0;
	int rc = keys ? 0 : -1;
	struct dirent *e;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len < 5 || strcmp(e->d_name + len - 4, ".pub") != 0)
			continue;
		char path[4096], pub[VT_CURVE_Z85];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (vt_curve_read(path, pub, NULL, err, errlen) != 0) {
			rc = -1;
			break;
		}
		if (n == VT_ZAP_MAX_KEYS) {
			snprintf(err, errlen, "%s: more than %d client keys", dir, VT_ZAP_MAX_KEYS);
			rc = -1;
			break;
		}
		zmq_z85_decode(keys[n++], pub);
	}
	closedir(d);
	if (rc != 0) {
		free(keys);
		return -1;
	}
	out->keys = keys;
	out->n = n;
	return 0;
}

void
vt_curve_clients_free(struct vt_curve_clients *k)
{
	free(k->keys);
	k->keys = NULL;
	k->n = 0;
}

void
vt_zap_set_clients(struct vt_zap *z, struct vt_curve_clients *k)
{
	free(z->keys);
	z->keys = k->keys;
	z->n_keys = k->n;
	k->keys = NULL;
	k->n = 0;
}

int
vt_zap_load(struct vt_zap *z, const char *dir, char *err, size_t errlen)
{
	struct vt_curve_clients k = {0};
	if (vt_curve_read_clients(dir, &k, err, errlen) != 0)
		return -1;
	vt_zap_set_clients(z, &k);
	return 0;
}

size_t
vt_zap_removed(const struct vt_zap *z, const struct vt_curve_clients *next)
{
	size_t gone = 0;
	for (size_t i = 0; i < z->n_keys; i++) {
		bool kept = false;
		for (size_t k = 0; k < next->n && !kept; k++)
			kept = memcmp(z->keys[i], next->keys[k], 32) == 0;
		gone += !kept;
	}
	return gone;
}

bool
vt_zap_allows(const struct vt_zap *z, const char *key_z85)
{
	uint8_t bin[32];
	if (key_z85 == NULL || strlen(key_z85) != VT_CURVE_Z85 - 1 ||
	    zmq_z85_decode(bin, key_z85) == NULL)
		return false;
	for (size_t i = 0; i < z->n_keys; i++)
		if (memcmp(z->keys[i], bin, 32) == 0)
			return true;
	return false;
}

struct vt_zap *
vt_zap_new(void *zctx, const char *clients_dir, char *err, size_t errlen)
{
	struct vt_zap *z = calloc(1, sizeof(*z));
	if (z == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (vt_zap_load(z, clients_dir, err, errlen) != 0) {
		vt_zap_free(&z);
		return NULL;
	}
	z->sock = zmq_socket(zctx, ZMQ_REP);
	int linger = 0;
	if (z->sock == NULL || zmq_setsockopt(z->sock, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
	    zmq_bind(z->sock, ZAP_ENDPOINT) != 0) {
		snprintf(err, errlen, "ZAP handler: %s", zmq_strerror(errno));
		vt_zap_free(&z);
		return NULL;
	}
	return z;
}

void
vt_zap_free(struct vt_zap **zp)
{
	if (zp == NULL || *zp == NULL)
		return;
	if ((*zp)->sock)
		zmq_close((*zp)->sock);
	free((*zp)->keys);
	free(*zp);
	*zp = NULL;
}

void *
vt_zap_socket(struct vt_zap *z)
{
	return z->sock;
}

size_t
vt_zap_count(const struct vt_zap *z)
{
	return z->n_keys;
}

/* Read the frames of one request; -1 when none is waiting. */
static int
s_recv_request(void *sock, zmq_msg_t *frames, int max, int *n)
{
	*n = 0;
	for (;;) {
		zmq_msg_t m;
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, sock, *n == 0 ? ZMQ_DONTWAIT : 0) < 0) {
			zmq_msg_close(&m);
			return *n > 0 ? 0 : -1;
		}
		bool more = zmq_msg_more(&m);
		if (*n < max)
			frames[(*n)++] = m;
		else
			zmq_msg_close(&m);
		if (!more)
			return 0;
	}
}

static void
s_send(void *sock, const void *data, size_t len, bool more)
{
	zmq_send(sock, data, len, (more ? ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT);
}

int
vt_zap_handle(struct vt_zap *z)
{
	int refused = 0;
	zmq_msg_t f[8];
	int n;
	/* ZAP: version, request id, domain, address, identity, mechanism, credentials. */
	for (int round = 0; round < 64 && s_recv_request(z->sock, f, 8, &n) == 0; round++) {
		bool ok = false;
		char user[VT_CURVE_Z85] = "";
		const char *why = "refused: not a known client";
		if (n >= 7 && zmq_msg_size(&f[5]) == 5 && memcmp(zmq_msg_data(&f[5]), "CURVE", 5) == 0 &&
		    zmq_msg_size(&f[6]) == 32) {
			for (size_t i = 0; i < z->n_keys && !ok; i++)
				ok = memcmp(z->keys[i], zmq_msg_data(&f[6]), 32) == 0;
			/* The key is the connection's User-Id: what a revocation looks for. */
			if (ok)
				zmq_z85_encode(user, zmq_msg_data(&f[6]), 32);
		} else {
			why = "refused: CURVE is required";
		}
		if (!ok) {
			refused++;
			char addr[64] = "?";
			if (n >= 4)
				snprintf(addr, sizeof(addr), "%.*s", (int)zmq_msg_size(&f[3]),
				         (const char *)zmq_msg_data(&f[3]));
			vt_warnx("a client at %s was refused: its key is not among the allowed clients", addr);
		}
		s_send(z->sock, "1.0", 3, true);
		if (n >= 2)
			s_send(z->sock, zmq_msg_data(&f[1]), zmq_msg_size(&f[1]), true);
		else
			s_send(z->sock, "", 0, true);
		s_send(z->sock, ok ? "200" : "400", 3, true);
		s_send(z->sock, ok ? "OK" : why, strlen(ok ? "OK" : why), true);
		s_send(z->sock, user, strlen(user), true);
		s_send(z->sock, "", 0, false);
		for (int i = 0; i < n; i++)
			zmq_msg_close(&f[i]);
	}
	return refused;
}
