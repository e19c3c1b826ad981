/*
 * Processes beside a test (see child.h). Every wait is a poll against a
 * deadline; every child is guarded by the reaper from the moment it exists
 * and released once it has been reaped.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "reaper.h"
#include "run.h"

static int
s_status(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Fork and exec with stdout to `out_fd` (or out_path), stderr to err_path. */
static pid_t
s_spawn(char *const argv[], int out_fd, const char *out_path, const char *err_path)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		vt_rig_guard_pid(pid);
		return pid;
	}
	int in = open("/dev/null", O_RDONLY);
	int out = out_fd >= 0 ? out_fd
	                      : open(out_path ? out_path : "/dev/null",
	                             O_WRONLY | O_CREAT | O_APPEND, 0644);
	int err = open(err_path ? err_path : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (in < 0 || out < 0 || err < 0)
		_exit(127);
	dup2(in, 0);
	dup2(out, 1);
	dup2(err, 2);
	/* A clean signal state: the parent may block or ignore some. */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	execv(argv[0], argv);
	_exit(127);
}

pid_t
vt_rig_spawn(char *const argv[], const char *out_path, const char *err_path)
{
	return s_spawn(argv, -1, out_path, err_path);
}

int
vt_rig_wait(pid_t pid, int timeout_ms)
{
	int64_t end = vt_rig_now_ms() + timeout_ms;
	for (;;) {
		int st;
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid) {
			vt_rig_release_pid(pid);
			return s_status(st);
		}
		if (r < 0 && errno != EINTR)
			return -1;
		if (vt_rig_now_ms() >= end)
			return -1;
		vt_rig_sleep_ms(5);
	}
}

int
vt_rig_stop(pid_t pid, int sig, int timeout_ms)
{
	if (pid <= 0)
		return -1;
	kill(pid, sig);
	int st = vt_rig_wait(pid, timeout_ms);
	if (st >= 0)
		return st;
	kill(pid, SIGKILL);
	return vt_rig_wait(pid, 10000);
}

int
vt_rig_child_start(struct vt_rig_child *c, const char *name, char *const argv[],
                   const char *log, bool pipe_out)
{
	c->name = name;
	c->pid = 0;
	c->status = -1;
	c->out = -1;
	c->blen = 0;
	c->line[0] = '\0';
	if (log != c->log)
		snprintf(c->log, sizeof(c->log), "%s", log ? log : "/dev/null");
	int fds[2] = {-1, -1};
	if (pipe_out && pipe2(fds, O_CLOEXEC) != 0)
		return -1;
	pid_t pid = s_spawn(argv, fds[1], pipe_out ? NULL : c->log, c->log);
	if (pipe_out)
		close(fds[1]);
	if (pid < 0) {
		if (pipe_out)
			close(fds[0]);
		return -1;
	}
	c->pid = pid;
	c->out = fds[0];
	return 0;
}

bool
vt_rig_child_line(struct vt_rig_child *c, int timeout_ms)
{
	int64_t end = vt_rig_now_ms() + timeout_ms;
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->blen);
		if (nl != NULL) {
			size_t n = (size_t)(nl - c->buf);
			size_t k = n < sizeof(c->line) - 1 ? n : sizeof(c->line) - 1;
			memcpy(c->line, c->buf, k);
			c->line[k] = '\0';
			memmove(c->buf, nl + 1, c->blen - n - 1);
			c->blen -= n + 1;
			return true;
		}
		int64_t left = end - vt_rig_now_ms();
		if (left <= 0 || c->out < 0)
			return false;
		struct pollfd pfd = {.fd = c->out, .events = POLLIN};
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		if (c->blen == sizeof(c->buf))
			c->blen = 0; /* a line longer than the buffer: drop it */
		ssize_t r = read(c->out, c->buf + c->blen, sizeof(c->buf) - c->blen);
		if (r <= 0)
			return false;
		c->blen += (size_t)r;
	}
}

bool
vt_rig_child_exited(struct vt_rig_child *c)
{
	if (c->pid <= 0)
		return true;
	int st = vt_rig_wait(c->pid, 0);
	if (st < 0)
		return false;
	c->status = st;
	c->pid = 0;
	return true;
}

int
vt_rig_child_wait(struct vt_rig_child *c, int timeout_ms)
{
	int64_t end = vt_rig_now_ms() + timeout_ms;
	while (!vt_rig_child_exited(c)) {
		if (vt_rig_now_ms() > end)
			return -1;
		vt_rig_sleep_ms(10);
	}
	return c->status;
}

int
vt_rig_child_stop(struct vt_rig_child *c, int sig, int timeout_ms)
{
	if (c->pid > 0) {
		kill(c->pid, sig);
		if (vt_rig_child_wait(c, timeout_ms) < 0) {
			fprintf(stderr, "%s did not stop on signal %d: killed\n",
			        c->name ? c->name : "child", sig);
			kill(c->pid, SIGKILL);
			vt_rig_child_wait(c, 10000);
		}
	}
	/* 0 is a zeroed struct's (a set-up that failed early), never a pipe of
	 * ours: stdin stays open from /dev/null or the terminal. */
	if (c->out > 0)
		close(c->out);
	c->out = -1;
	return c->status;
}
