/*
 * tmux for tests (tmux.h): finding it, running it against one server, and
 * the process in its pane.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tmux.h"

const char *
vt_rig_tmux_path(void)
{
	static char path[256];
	if (path[0])
		return path;
	const char *env = getenv("PATH");
	char copy[4096];
	snprintf(copy, sizeof(copy), "%s", env ? env : "/usr/bin:/bin");
	for (char *save = NULL, *dir = strtok_r(copy, ":", &save); dir;
	     dir = strtok_r(NULL, ":", &save)) {
		snprintf(path, sizeof(path), "%s/tmux", dir);
		if (access(path, X_OK) == 0)
			return path;
	}
	path[0] = '\0';
	return NULL;
}

int
vt_rig_tmux(const char *sock, struct vt_rig_output *r, ...)
{
	const char *tmux = vt_rig_tmux_path();
	char *argv[32] = {(char *)(tmux ? tmux : "/usr/bin/tmux"), "-S", (char *)sock};
	int n = 3;
	va_list ap;
	va_start(ap, r);
	for (const char *a; n < 31 && (a = va_arg(ap, const char *)) != NULL;)
		argv[n++] = (char *)a;
	va_end(ap);
	argv[n] = NULL;
	return vt_rig_run(argv, r);
}

long
vt_rig_tmux_pane_pid(const char *sock)
{
	struct vt_rig_output r;
	long pid = -1;
	if (vt_rig_tmux(sock, &r, "display-message", "-p", "#{pane_pid}", NULL) == 0)
		pid = atol(r.out);
	vt_rig_output_free(&r);
	return pid > 1 ? pid : -1;
}
