/*
 * Serial lines: real adapters through libserialport, and terminals it will
 * not take (pseudo-terminals, which the emulator and the tests use) through
 * termios. This is the only file that includes <libserialport.h>.
 *
 * Both paths end the same way: raw 8N1 at the configured speed, VMIN=1 and
 * VTIME=0, and O_NONBLOCK. That VMIN matters: with libserialport's VMIN=0 a
 * read with nothing waiting returns 0, which would be indistinguishable
 * from the hang-up the port reports as a lost device. With VMIN=1 an empty
 * non-blocking read says EAGAIN and 0 means the line really hung up.
 */
#include <errno.h>
#include <fcntl.h>
#include <libserialport.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include "vitals/io/port_impl.h"

/* Linux gives Unix98 pty slaves majors 136 to 143 (devices.txt). */
#define S_PTY_MAJOR_FIRST 136
#define S_PTY_MAJOR_LAST  143

/* termios speed constants for the rates monitors and device servers use. */
static const struct {
	int baud;
	speed_t speed;
} s_speeds[] = {
	{50, B50},         {75, B75},         {110, B110},       {134, B134},
	{150, B150},       {200, B200},       {300, B300},       {600, B600},
	{1200, B1200},     {1800, B1800},     {2400, B2400},     {4800, B4800},
	{9600, B9600},     {19200, B19200},   {38400, B38400},   {57600, B57600},
	{115200, B115200}, {230400, B230400}, {460800, B460800}, {500000, B500000},
	{576000, B576000}, {921600, B921600}, {1000000, B1000000},
	{1152000, B1152000}, {1500000, B1500000}, {2000000, B2000000},
};

/* A hint after the system's words, for the failures people actually meet. */
static const char *
s_hint(int e)
{
	switch (e) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		return " (unplugged, or a wrong path?)";
	case EACCES:
	case EPERM:
		return " (is the daemon's user in the device's group?)";
	case EBUSY:
		return " (another program has it open?)";
	default:
		return "";
	}
}

bool
vt_tty_is_pty(const char *path)
{
	char real[PATH_MAX];
	if (realpath(path, real) != NULL && strncmp(real, "/dev/pts/", 9) == 0)
		return true;
	/* A pty can also be reached through a device node made elsewhere. */
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISCHR(st.st_mode))
		return false;
	unsigned maj = major(st.st_rdev);
	return maj >= S_PTY_MAJOR_FIRST && maj <= S_PTY_MAJOR_LAST;
}

/* Make `fd` non-blocking, close-on-exec, with VMIN=1/VTIME=0 (see above). */
static int
s_finish_fd(int fd, const char *path, char *err, size_t errlen)
{
	struct termios tio;
	if (tcgetattr(fd, &tio) == 0) {
		tio.c_cc[VMIN] = 1;
		tio.c_cc[VTIME] = 0;
		if (tcsetattr(fd, TCSANOW, &tio) != 0) {
			snprintf(err, errlen, "%s: cannot set read mode: %s", path, strerror(errno));
			return -1;
		}
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
		snprintf(err, errlen, "%s: cannot make non-blocking: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int
vt_tty_open(const char *path, int baud, enum vt_flow flow, enum vt_parity parity, char *err,
            size_t errlen)
{
	speed_t speed = 0;
	bool found = false;
	for (size_t i = 0; i < sizeof(s_speeds) / sizeof(s_speeds[0]); i++) {
		if (s_speeds[i].baud == baud) {
			speed = s_speeds[i].speed;
			found = true;
			break;
		}
	}
	if (!found) {
		snprintf(err, errlen, "%s: %d baud is not a speed this terminal supports", path, baud);
		return -1;
	}
	int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot open %s: %s%s", path, strerror(e), s_hint(e));
		return -1;
	}
	if (!isatty(fd)) {
		snprintf(err, errlen, "%s is not a serial port or terminal", path);
		close(fd);
		return -1;
	}
	struct termios tio;
	if (tcgetattr(fd, &tio) != 0) {
		snprintf(err, errlen, "%s: cannot read terminal settings: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	cfmakeraw(&tio);
	tio.c_cflag &= ~(CSIZE | PARENB | CSTOPB | CRTSCTS);
	tio.c_cflag |= CS8 | CLOCAL | CREAD;
	if (parity != VT_PARITY_NONE)
		tio.c_cflag |= PARENB | (parity == VT_PARITY_ODD ? PARODD : 0);
	tio.c_iflag &= ~(IXON | IXOFF | IXANY);
	if (flow == VT_FLOW_XONXOFF)
		tio.c_iflag |= IXON | IXOFF;
	else if (flow == VT_FLOW_RTSCTS)
		tio.c_cflag |= CRTSCTS;
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	if (cfsetispeed(&tio, speed) != 0 || cfsetospeed(&tio, speed) != 0 ||
	    tcsetattr(fd, TCSANOW, &tio) != 0) {
		snprintf(err, errlen, "%s: cannot set %d baud 8%c1: %s", path, baud,
		         "NEO"[parity], strerror(errno));
		close(fd);
		return -1;
	}
	if (s_finish_fd(fd, path, err, errlen) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* libserialport's words for a failed call, with our hint. */
static void
s_sp_error(enum sp_return rc, const char *what, const char *path, char *err, size_t errlen)
{
	if (rc == SP_ERR_FAIL) {
		int e = errno;
		char *msg = sp_last_error_message();
		snprintf(err, errlen, "%s %s: %s%s", what, path, msg ? msg : strerror(e), s_hint(e));
		sp_free_error_message(msg);
		return;
	}
	const char *why = rc == SP_ERR_ARG ? "invalid argument"
	                : rc == SP_ERR_MEM ? "out of memory"
	                : rc == SP_ERR_SUPP ? "not supported by this device"
	                                    : "unknown error";
	snprintf(err, errlen, "%s %s: %s", what, path, why);
}

int
vt_serial_open(const char *path, int baud, enum vt_flow flow, enum vt_parity parity,
               struct sp_port **sp, char *err, size_t errlen)
{
	*sp = NULL;
	/* libserialport says "no such file" for devices it merely does not
	 * know; look first so the message tells the two apart. */
	struct stat st;
	if (stat(path, &st) != 0) {
		int e = errno;
		snprintf(err, errlen, "cannot open %s: %s%s", path, strerror(e), s_hint(e));
		return -1;
	}
	if (!S_ISCHR(st.st_mode)) {
		snprintf(err, errlen, "%s is not a serial device", path);
		return -1;
	}
	struct sp_port *port;
	if (sp_get_port_by_name(path, &port) != SP_OK) {
		/* A terminal libserialport cannot describe (a pty under another
		 * name, a gadget or virtual tty): termios handles it alike. */
		return vt_tty_open(path, baud, flow, parity, err, errlen);
	}
	enum sp_return rc = sp_open(port, SP_MODE_READ_WRITE);
	if (rc != SP_OK) {
		s_sp_error(rc, "cannot open", path, err, errlen);
		sp_free_port(port);
		return -1;
	}
	enum sp_flowcontrol fc = flow == VT_FLOW_XONXOFF ? SP_FLOWCONTROL_XONXOFF
	                       : flow == VT_FLOW_RTSCTS  ? SP_FLOWCONTROL_RTSCTS
	                                                 : SP_FLOWCONTROL_NONE;
	const char *step = NULL;
	int fd = -1;
	if ((rc = sp_set_baudrate(port, baud)) != SP_OK)
		step = "cannot set the speed of";
	else if ((rc = sp_set_bits(port, 8)) != SP_OK)
		step = "cannot set 8 data bits on";
	else if ((rc = sp_set_parity(port, parity == VT_PARITY_EVEN ? SP_PARITY_EVEN
	                                   : parity == VT_PARITY_ODD ? SP_PARITY_ODD
	                                                             : SP_PARITY_NONE)) != SP_OK)
		step = "cannot set the parity of";
	else if ((rc = sp_set_stopbits(port, 1)) != SP_OK)
		step = "cannot set 1 stop bit on";
	else if ((rc = sp_set_flowcontrol(port, fc)) != SP_OK)
		step = "cannot set flow control on";
	else if ((rc = sp_get_port_handle(port, &fd)) != SP_OK)
		step = "no descriptor for";
	if (step != NULL) {
		s_sp_error(rc, step, path, err, errlen);
		sp_close(port);
		sp_free_port(port);
		return -1;
	}
	if (s_finish_fd(fd, path, err, errlen) != 0) {
		sp_close(port);
		sp_free_port(port);
		return -1;
	}
	*sp = port;
	return fd;
}

void
vt_serial_close(struct sp_port **sp)
{
	if (*sp == NULL)
		return;
	sp_close(*sp);
	sp_free_port(*sp);
	*sp = NULL;
}
