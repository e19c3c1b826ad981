/*
 * Transport security with ZeroMQ CURVE: patient data must not cross a
 * hospital network in the clear, and only known consoles may see it or send
 * commands. The daemon has a key pair; every console and vitalsctl has its
 * own; the daemon accepts exactly the clients whose public keys an
 * administrator placed in a directory. Acceptance is decided by a ZAP
 * handler that the event loop answers like any other socket; an accepted
 * connection carries its key as its User-Id, so that a key taken out of the
 * directory (then a reload) can have its connections closed.
 *
 * Key files are text an administrator can read (keys in Z85):
 *
 *   # vitalsd CURVE key pair: keep this file secret (mode 0600)
 *   public-key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
 *   secret-key = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"
 *
 * and NAME.pub holds the public-key line alone.
 */
#ifndef VITALS_CURVE_H
#define VITALS_CURVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A Z85 key and its NUL. */
#define VT_CURVE_Z85 41

/* Make a key pair and write PREFIX.key (0600) and PREFIX.pub. 0, or -1 with err. */
int vt_curve_keygen(const char *prefix, char *err, size_t errlen);

/* Read the key pair of a .key file (or just the public key of a .pub: sec may be NULL). */
int vt_curve_read(const char *path, char pub[VT_CURVE_Z85], char sec[VT_CURVE_Z85], char *err,
                  size_t errlen);

/* Make `sock` a CURVE server with this secret key, checked through ZAP. 0 or -1 (errno). */
int vt_curve_server(void *sock, const char *secret_z85);

/* Make `sock` a CURVE client of the server with `server_pub`. 0 or -1 (errno). */
int vt_curve_client(void *sock, const char *server_pub, const char *pub, const char *sec);

/* What a client needs to talk to a CURVE server. */
struct vt_curve_keys {
	char server[VT_CURVE_Z85]; /* the daemon's public key */
	char pub[VT_CURVE_Z85];    /* the client's key pair */
	char sec[VT_CURVE_Z85];
};

/*
 * A client's keys from --server-key (the daemon's .pub file, or its Z85
 * key) and --key (the client's .key file); either falls back to the
 * environment (VITALS_SERVER_KEY, VITALS_KEY). 1: loaded; 0: neither given
 * (no CURVE); -1 with err: one without the other, or unreadable.
 */
int vt_curve_client_keys(struct vt_curve_keys *k, const char *server_arg, const char *key_arg,
                         char *err, size_t errlen);

/* The allowed clients' public keys, read from a directory of *.pub files. */
struct vt_curve_clients {
	uint8_t (*keys)[32];
	size_t n;
};
/* Read every *.pub of `dir` (each must be well-formed). 0, or -1 with err. */
int vt_curve_read_clients(const char *dir, struct vt_curve_clients *out, char *err,
                          size_t errlen);
void vt_curve_clients_free(struct vt_curve_clients *k);

struct vt_zap;

/*
 * The ZAP handler (RFC 27) for context `zctx`, allowing the public keys of
 * every *.pub file in `clients_dir`. Must exist before any CURVE socket
 * binds. NULL with err.
 */
struct vt_zap *vt_zap_new(void *zctx, const char *clients_dir, char *err, size_t errlen);
void vt_zap_free(struct vt_zap **z);
/* Re-read the allowed keys (a reload). 0, or -1 with err (the old list stays). */
int vt_zap_load(struct vt_zap *z, const char *clients_dir, char *err, size_t errlen);
/* Allow exactly these keys from now on (taken from k, which is left empty). */
void vt_zap_set_clients(struct vt_zap *z, struct vt_curve_clients *k);
/* How many keys allowed now are not in `next`. */
size_t vt_zap_removed(const struct vt_zap *z, const struct vt_curve_clients *next);
/* Whether `key_z85` (a connection's User-Id) is allowed now. */
bool vt_zap_allows(const struct vt_zap *z, const char *key_z85);
/* The socket to poll. */
void *vt_zap_socket(struct vt_zap *z);
/* Answer the pending requests; returns how many clients were refused. */
int vt_zap_handle(struct vt_zap *z);
/* Keys allowed now. */
size_t vt_zap_count(const struct vt_zap *z);

#endif
