/*
 * The hub's configuration (docs/hub.md, vitals-hub.yaml(5) in
 * vitals-hub(1)): where consoles reach it, and the daemons behind it with
 * the beds each one serves. The beds are listed here, not learned from the
 * daemons, so that a clash between two daemons is found before anything
 * starts (`vitals-hub -n`), requests are routed whether or not a daemon is
 * up, and a console that joins while a daemon is down still sees that
 * daemon's beds, as lost, rather than not at all.
 */
#ifndef VITALS_HUB_CONFIG_H
#define VITALS_HUB_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "vitals/base/diag.h"
#include "vitals/config/config.h"

/* Daemons behind one hub, and beds behind one daemon. */
#define VT_HUB_MAX_DAEMONS 32
#define VT_HUB_MAX_BEDS 64
/* A daemon's name: a bed name's alphabet. */
#define VT_HUB_NAME_MAX 64

struct vt_hub_daemon {
	char *name;           /* "room-a": for logs and the merged replies */
	char *publish;        /* its PUB endpoint, which the hub subscribes to */
	char *control;        /* its control ROUTER, which requests are forwarded to */
	char *server_key;     /* with curve: its public key file (NAME.pub), else NULL */
	char **beds;          /* the beds it serves */
	size_t n_beds;
};

struct vt_hub_config {
	char *path;                  /* the file, for messages */
	char **publish;              /* XPUB endpoints consoles subscribe to */
	size_t n_publish;
	char **control;              /* ROUTER endpoints consoles send requests to */
	size_t n_control;
	int64_t request_timeout_ms;  /* a daemon's answer is waited for this long */
	char *curve_secret_key;      /* the hub's key pair (NULL: no CURVE) */
	char *curve_clients;         /* the consoles' public keys */
	bool allow_insecure_network; /* endpoints beyond loopback may go without CURVE */
	struct vt_limits limits;     /* connections per endpoint, queue per subscriber (the
	                              * daemon's keys and defaults; the reload ones unused) */
	struct vt_hub_daemon *daemons;
	size_t n_daemons;
};

/*
 * Read and check the file: every error into diag as FILE:LINE:COLUMN
 * (unknown keys, a bed served by two daemons, two daemons of one name, a
 * daemon's key missing under curve). NULL on any error.
 */
struct vt_hub_config *vt_hub_config_load(const char *path, struct vt_diag *diag);
/* The same from text (tests, fuzzing). */
struct vt_hub_config *vt_hub_config_parse(const char *name, const char *text, size_t len,
                                          struct vt_diag *diag);
void vt_hub_config_free(struct vt_hub_config **cfg);

/* The index of the daemon serving `bed`, or -1. */
int vt_hub_config_owner(const struct vt_hub_config *cfg, const char *bed);

#endif
