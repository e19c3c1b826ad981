/*
 * The emulator's pseudo-terminal: the master end is the device, the slave
 * is the "serial port" vitalsd opens, and a symlink gives it a stable name
 * as udev's /dev/serial/by-id links do for real adapters.
 *
 * A real device does not wait for its reader, so the master is
 * non-blocking and whatever the reader does not take is lost. With nobody
 * attached at all, nothing is written: Linux would otherwise keep up to a
 * few kilobytes for whoever opens the slave next, and a real line keeps
 * nothing. Closing the master is the unplug: the reader's poll() reports
 * POLLHUP and read() returns 0 or fails with EIO.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "vitals/emulator/emulate.h"

static speed_t
s_speed(int baud)
{
	switch (baud) {
	case 1200: return B1200;
	case 2400: return B2400;
	case 4800: return B4800;
	case 19200: return B19200;
	case 38400: return B38400;
	case 57600: return B57600;
	case 115200: return B115200;
	default: return B9600;
	}
}

/*
 * Raw mode on the slave (no echo, no line editing, no CR/LF translation)
 * so that the bytes arrive as the device sent them, whatever the reader
 * forgets to set. The setting stays with the pty after we close the slave.
 */
static int
s_raw(const char *slave, int baud, char *err, size_t errlen)
{
	int fd = open(slave, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", slave, strerror(errno));
		return -1;
	}
	struct termios t;
	int rc = tcgetattr(fd, &t);
	if (rc == 0) {
		cfmakeraw(&t);
		cfsetispeed(&t, s_speed(baud));
		cfsetospeed(&t, s_speed(baud));
		rc = tcsetattr(fd, TCSANOW, &t);
	}
	if (rc != 0)
		snprintf(err, errlen, "%s: cannot set raw mode: %s", slave, strerror(errno));
	close(fd);
	return rc;
}

/* Point `link` at `target` atomically; refuse to replace anything but a symlink. */
static int
s_link(const char *link, const char *target, char *err, size_t errlen)
{
	struct stat st;
	if (lstat(link, &st) == 0 && !S_ISLNK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a symlink; not replacing it", link);
		return -1;
	}
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", link, (long)getpid()) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", link);
		return -1;
	}
	unlink(tmp);
	if (symlink(target, tmp) != 0) {
		snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
		return -1;
	}
	if (rename(tmp, link) != 0) {
		snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, link, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

int
vt_emu_pty_open(struct vt_emu_pty *p, const char *link, int baud, char *err, size_t errlen)
{
	p->master = -1;
	p->reader = false;
	p->slave[0] = '\0';
	if (p->link == NULL || strcmp(p->link, link) != 0) {
		free(p->link);
		p->link = strdup(link);
		if (p->link == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (m < 0) {
		snprintf(err, errlen, "posix_openpt: %s", strerror(errno));
		return -1;
	}
	if (grantpt(m) != 0 || unlockpt(m) != 0 || ptsname_r(m, p->slave, sizeof(p->slave)) != 0) {
		snprintf(err, errlen, "cannot set up the pty: %s", strerror(errno));
		close(m);
		return -1;
	}
	if (s_raw(p->slave, baud, err, errlen) != 0 || s_link(link, p->slave, err, errlen) != 0) {
		close(m);
		return -1;
	}
	p->master = m;
	return 0;
}

size_t
vt_emu_pty_write(struct vt_emu_pty *p, const uint8_t *b, size_t n)
{
	if (p->master < 0)
		return 0;
	/* POLLHUP on the master: no process has the slave open. */
	struct pollfd pfd = {.fd = p->master, .events = POLLOUT};
	if (poll(&pfd, 1, 0) < 0 || (pfd.revents & POLLHUP)) {
		if (p->reader) {
			/* The reader left: what it did not read goes with it. */
			tcflush(p->master, TCIOFLUSH);
		}
		p->reader = false;
		return 0;
	}
	p->reader = true;
	ssize_t w = write(p->master, b, n);
	return w > 0 ? (size_t)w : 0;
}

ssize_t
vt_emu_pty_read(struct vt_emu_pty *p, uint8_t *b, size_t cap)
{
	if (p->master < 0)
		return -1;
	ssize_t n = read(p->master, b, cap);
	if (n > 0)
		return n;
	/* EIO: no process has the slave open. */
	return n < 0 && (errno == EAGAIN || errno == EINTR) ? 0 : -1;
}

void
vt_emu_pty_close(struct vt_emu_pty *p)
{
	/* The link goes first, as udev removes a by-id link before the
	 * reader notices the hang-up; and only if it still points at our
	 * slave: another emulator may have taken the name since. */
	if (p->link != NULL && p->slave[0] != '\0') {
		char target[sizeof(p->slave)];
		ssize_t n = readlink(p->link, target, sizeof(target) - 1);
		if (n >= 0) {
			target[n] = '\0';
			if (strcmp(target, p->slave) == 0)
				unlink(p->link);
		}
	}
	if (p->master >= 0) {
		close(p->master);
		p->master = -1;
	}
	p->reader = false;
}
