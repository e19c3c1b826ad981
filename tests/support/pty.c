/*
 * Monitors' cables on pseudo-terminals (see pty.h): opened raw, linked
 * where the configuration says, pulled and plugged back in atomically.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "pty.h"

static int
s_pty_new(struct vt_rig_pty *p)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return -1;
	const char *name;
	if (grantpt(m) != 0 || unlockpt(m) != 0 || (name = ptsname(m)) == NULL) {
		close(m);
		return -1;
	}
	/* Raw from the start: no echo filling the master's buffer, no line editing. */
	struct termios t;
	if (tcgetattr(m, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(m, TCSANOW, &t);
	}
	snprintf(p->slave, sizeof(p->slave), "%s", name);
	p->master = m;
	return 0;
}

/* Point p->link at p->slave, replacing any old link in one rename. */
static int
s_relink(struct vt_rig_pty *p)
{
	char tmp[300];
	snprintf(tmp, sizeof(tmp), "%s.new", p->link);
	unlink(tmp);
	if (symlink(p->slave, tmp) != 0)
		return -1;
	return rename(tmp, p->link);
}

int
vt_rig_pty_open(struct vt_rig_pty *p, const char *link)
{
	memset(p, 0, sizeof(*p));
	p->master = -1;
	snprintf(p->link, sizeof(p->link), "%s", link);
	if (s_pty_new(p) != 0)
		return -1;
	if (s_relink(p) != 0) {
		close(p->master);
		p->master = -1;
		return -1;
	}
	return 0;
}

void
vt_rig_pty_unplug(struct vt_rig_pty *p)
{
	unlink(p->link);
	if (p->master >= 0)
		close(p->master);
	p->master = -1;
}

int
vt_rig_pty_plug(struct vt_rig_pty *p)
{
	if (p->master >= 0)
		vt_rig_pty_unplug(p);
	if (s_pty_new(p) != 0)
		return -1;
	return s_relink(p);
}

int
vt_rig_pty_swap(struct vt_rig_pty *p)
{
	struct vt_rig_pty old = *p;
	if (s_pty_new(p) != 0 || s_relink(p) != 0) {
		if (p->master != old.master)
			close(p->master);
		*p = old;
		return -1;
	}
	if (old.master >= 0)
		close(old.master);
	return 0;
}

int
vt_rig_pty_write(struct vt_rig_pty *p, const void *buf, size_t len)
{
	const char *b = buf;
	while (len > 0) {
		ssize_t n = write(p->master, b, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

void
vt_rig_pty_close(struct vt_rig_pty *p)
{
	vt_rig_pty_unplug(p);
}

int
vt_rig_masimo_line(char *buf, size_t len, int spo2, int bpm)
{
	return snprintf(buf, len,
	                "11/21/26 10:00:00 SN=0000056661 SPO2=%03d%% BPM=%03d PI=03.60%% "
	                "SPCO=--.-%% SPMET=--.-%% DESAT=-- PIDELTA=+-- ALARM=0000 EXC=000800\r\n",
	                spo2, bpm);
}

int
vt_rig_pty_masimo(struct vt_rig_pty *p, int spo2, int bpm)
{
	char line[256];
	int n = vt_rig_masimo_line(line, sizeof(line), spo2, bpm);
	return vt_rig_pty_write(p, line, (size_t)n);
}
