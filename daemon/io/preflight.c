/*
 * Checking what a configuration names outside itself (preflight.h): the
 * files the daemon would otherwise discover broken only when it binds, too
 * late for `-n` to have said so.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vitals/io/curve.h"
#include "vitals/io/preflight.h"

static void
s_keys(const struct vt_config *cfg, struct vt_diag *errors)
{
	if (cfg->curve_secret_key == NULL)
		return;
	char pub[VT_CURVE_Z85], sec[VT_CURVE_Z85], err[512];
	if (vt_curve_read(cfg->curve_secret_key, pub, sec, err, sizeof(err)) != 0)
		vt_diag_add(errors, cfg->path, cfg->curve_secret_key_at.line,
		            cfg->curve_secret_key_at.column, NULL, "curve.secret_key: %s", err);
	explicit_bzero(sec, sizeof(sec));
	struct vt_curve_clients clients = {0};
	if (vt_curve_read_clients(cfg->curve_clients, &clients, err, sizeof(err)) != 0)
		vt_diag_add(errors, cfg->path, cfg->curve_clients_at.line, cfg->curve_clients_at.column,
		            NULL, "curve.clients: %s", err);
	vt_curve_clients_free(&clients);
}

/* Whether a process listens on the Unix socket at `path`. */
static bool
s_listening(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(a.sun_path))
		return false;
	strcpy(a.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	bool up = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return up;
}

static void
s_ipc(const struct vt_config *cfg, const char *key, const char *endpoint, struct vt_config_at at,
      bool starting, struct vt_diag *errors, struct vt_diag *warnings)
{
	if (strncmp(endpoint, "ipc://", 6) != 0)
		return;
	const char *path = endpoint + 6;
	/* Abstract sockets and ZeroMQ's own temporary names touch no file. */
	if (path[0] == '@' || strcmp(path, "*") == 0)
		return;
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			vt_diag_add(errors, cfg->path, at.line, at.column, NULL,
			            "%s: %s exists and is not a socket; ZeroMQ would delete it to bind "
			            "there. Choose a path of its own, such as /run/vitalsd/%s.sock",
			            key, path, key);
		} else if (starting && s_listening(path)) {
			vt_diag_add(errors, cfg->path, at.line, at.column, NULL,
			            "%s: another process listens on %s; starting would take its socket "
			            "from it", key, path);
		} else if (warnings != NULL && s_listening(path)) {
			vt_diag_add(warnings, cfg->path, at.line, at.column, NULL,
			            "warning: %s: a process (a running vitalsd?) listens on %s; a second "
			            "daemon with this file would not start", key, path);
		}
		return;
	}
	char *copy = strdup(path);
	const char *dir = copy ? dirname(copy) : ".";
	struct stat dst;
	if (stat(dir, &dst) != 0 || !S_ISDIR(dst.st_mode))
		vt_diag_add(errors, cfg->path, at.line, at.column, NULL,
		            "%s: cannot bind %s: the directory %s does not exist", key, path, dir);
	free(copy);
}

static void
s_state(const struct vt_config *cfg, struct vt_diag *warnings)
{
	if (cfg->state_file == NULL || warnings == NULL)
		return;
	char *copy = strdup(cfg->state_file);
	const char *dir = copy ? dirname(copy) : "/";
	struct stat st;
	if (stat(cfg->state_file, &st) == 0 && !S_ISREG(st.st_mode))
		vt_diag_add(warnings, cfg->path, cfg->state_file_at.line, cfg->state_file_at.column, NULL,
		            "warning: state_file: %s is not a regular file; infusion sessions will not "
		            "survive a restart", cfg->state_file);
	else if (access(dir, W_OK | X_OK) != 0)
		vt_diag_add(warnings, cfg->path, cfg->state_file_at.line, cfg->state_file_at.column, NULL,
		            "warning: state_file: cannot write into %s (%s); infusion sessions will not "
		            "survive a restart", dir, strerror(errno));
	free(copy);
}

void
vt_preflight(const struct vt_config *cfg, unsigned parts, bool starting, struct vt_diag *errors,
             struct vt_diag *warnings)
{
	if (parts & VT_PREFLIGHT_KEYS)
		s_keys(cfg, errors);
	if (parts & VT_PREFLIGHT_ENDPOINTS) {
		struct vt_config_at none = {0, 0};
		for (size_t i = 0; i < cfg->n_publish; i++)
			s_ipc(cfg, "publish", cfg->publish[i], cfg->publish_at ? cfg->publish_at[i] : none,
			      starting, errors, warnings);
		for (size_t i = 0; i < cfg->n_control; i++)
			s_ipc(cfg, "control", cfg->control[i], cfg->control_at ? cfg->control_at[i] : none,
			      starting, errors, warnings);
	}
	if (parts & VT_PREFLIGHT_STATE)
		s_state(cfg, warnings);
}
