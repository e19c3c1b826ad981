/*
 * The reaper behind reaper.h. The test process writes one line per change
 * ("+p PID START", "-p PID", "+t SOCKET", "+d DIR", ...) into a pipe; the
 * reaper keeps the live set and, at end of file, kills the processes,
 * stops the tmux servers and then removes the directories they wrote into.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "reaper.h"
#include "run.h"

/* What one test process can have outstanding; a full table first forgets dead processes. */
#define S_MAX 512

struct s_entry {
	char kind;                 /* 'p', 't', 'd'; 0: free */
	long pid;
	unsigned long long start;  /* the process's start time, clock ticks after boot */
	char path[300];
};

/* Start time of `pid` (field 22 of /proc/PID/stat), or 0 when it is gone or a zombie. */
static unsigned long long
s_start_time(long pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	FILE *fp = fopen(path, "r");
	if (fp == NULL)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	const char *p = strrchr(buf, ')');
	char state = 0;
	unsigned long long start = 0;
	if (p == NULL || sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
	                                "%*d %*d %*d %*d %llu",
	                        &state, &start) != 2)
		return 0;
	return state == 'Z' ? 0 : start;
}

/* Remove a tree, depth first; a directory is made writable before its entries go. */
static void
s_rm(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	chmod(path, 0700); /* a test may have made it unwritable */
	DIR *d = opendir(path);
	if (d != NULL) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			char sub[4096];
			snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
			s_rm(sub);
		}
		closedir(d);
	}
	rmdir(path);
}

/* ---- the reaper process ------------------------------------------------------ */

static struct s_entry s_table[S_MAX];

static void
s_table_add(const struct s_entry *e)
{
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < S_MAX; i++)
			if (s_table[i].kind == 0) {
				s_table[i] = *e;
				return;
			}
		/* Full: forget the processes that are gone (waited for by the test itself). */
		for (int i = 0; i < S_MAX; i++)
			if (s_table[i].kind == 'p' && s_start_time(s_table[i].pid) != s_table[i].start)
				s_table[i].kind = 0;
	}
	fprintf(stderr, "reaper: more than %d things to clean up; %s not guarded\n", S_MAX, e->path);
}

static void
s_table_remove(const struct s_entry *e)
{
	for (int i = 0; i < S_MAX; i++)
		if (s_table[i].kind == e->kind &&
		    (e->kind == 'p' ? s_table[i].pid == e->pid : strcmp(s_table[i].path, e->path) == 0)) {
			s_table[i].kind = 0;
			return;
		}
}

static void
s_apply(char *line)
{
	struct s_entry e = {.kind = line[1]};
	if (strlen(line) < 4 || line[2] != ' ')
		return;
	if (e.kind == 'p') {
		if (sscanf(line + 3, "%ld %llu", &e.pid, &e.start) < 1 || e.pid <= 1)
			return;
	} else {
		snprintf(e.path, sizeof(e.path), "%s", line + 3);
	}
	if (line[0] == '+')
		s_table_add(&e);
	else
		s_table_remove(&e);
}

static void
s_clean_up(void)
{
	int64_t end = vt_rig_now_ms() + 2000;
	for (int i = 0; i < S_MAX; i++) {
		struct s_entry *e = &s_table[i];
		if (e->kind == 'p' && s_start_time(e->pid) == e->start)
			kill((pid_t)e->pid, SIGKILL);
	}
	for (int i = 0; i < S_MAX; i++) {
		struct s_entry *e = &s_table[i];
		if (e->kind != 't')
			continue;
		pid_t t = fork();
		if (t == 0) {
			int null = open("/dev/null", O_RDWR);
			dup2(null, 1);
			dup2(null, 2);
			execlp("tmux", "tmux", "-S", e->path, "kill-server", (char *)NULL);
			_exit(127);
		}
		if (t > 0)
			waitpid(t, NULL, 0);
	}
	/* The directories once the processes writing into them are gone. */
	for (int i = 0; i < S_MAX; i++) {
		struct s_entry *e = &s_table[i];
		while (e->kind == 'p' && s_start_time(e->pid) == e->start && vt_rig_now_ms() < end)
			vt_rig_sleep_ms(10);
	}
	for (int i = 0; i < S_MAX; i++) {
		struct s_entry *e = &s_table[i];
		if (e->kind == 'd' && strncmp(e->path, "/tmp/vt-", 8) == 0 && !strstr(e->path, ".."))
			s_rm(e->path);
	}
}

static void
s_reaper_main(int fd)
{
	char buf[4096];
	size_t used = 0;
	for (;;) {
		ssize_t n = read(fd, buf + used, sizeof(buf) - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
		buf[used] = '\0';
		char *start = buf, *nl;
		while ((nl = strchr(start, '\n')) != NULL) {
			*nl = '\0';
			s_apply(start);
			start = nl + 1;
		}
		used -= (size_t)(start - buf);
		memmove(buf, start, used);
		if (used == sizeof(buf) - 1)
			used = 0; /* a line longer than any we write: drop it */
	}
	s_clean_up();
	_exit(0);
}

/* ---- the test's side ------------------------------------------------------- */

static int s_fd = -1;
static pid_t s_owner; /* the process that started the reaper (a forked child starts its own) */

static bool
s_started(void)
{
	if (s_fd >= 0 && s_owner == getpid())
		return true;
	if (s_fd >= 0)
		close(s_fd); /* the parent's reaper, inherited through fork(): not ours */
	s_fd = -1;
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0)
		return false;
	pid_t pid = fork();
	if (pid == 0) {
		/* Hold nothing of the test's: its pty masters above all, which
		 * would keep a monitor "plugged in" after the test is gone. */
		int keep = p[0];
		for (int fd = 3; fd < 1024; fd++)
			if (fd != keep)
				close(fd);
		signal(SIGINT, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		s_reaper_main(keep);
	}
	close(p[0]);
	if (pid < 0) {
		close(p[1]);
		return false;
	}
	s_fd = p[1];
	s_owner = getpid();
	return true;
}

static void s_say(bool start, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
s_say(bool start, const char *fmt, ...)
{
	if (!start && (s_fd < 0 || s_owner != getpid()))
		return; /* nothing was guarded here */
	if (!s_started())
		return;
	char line[400];
	va_list ap;
	va_start(ap, fmt);
	int len = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (len <= 0 || (size_t)len >= sizeof(line))
		return;
	ssize_t n;
	while ((n = write(s_fd, line, (size_t)len)) < 0 && errno == EINTR)
		;
	if (n != len)
		perror("reaper");
}

void
vt_rig_guard_pid(pid_t pid)
{
	s_say(true, "+p %ld %llu\n", (long)pid, s_start_time(pid));
}

void
vt_rig_release_pid(pid_t pid)
{
	s_say(false, "-p %ld\n", (long)pid);
}

void
vt_rig_guard_tmux(const char *socket)
{
	s_say(true, "+t %s\n", socket);
}

void
vt_rig_release_tmux(const char *socket)
{
	s_say(false, "-t %s\n", socket);
}

void
vt_rig_guard_dir(const char *dir)
{
	s_say(true, "+d %s\n", dir);
}

void
vt_rig_release_dir(const char *dir)
{
	s_say(false, "-d %s\n", dir);
}

int
vt_rig_tmpdir(char *dir, size_t len, const char *tag)
{
	snprintf(dir, len, "/tmp/vt-%s-XXXXXX", tag);
	if (mkdtemp(dir) == NULL)
		return -1;
	vt_rig_guard_dir(dir);
	return 0;
}

void
vt_rig_rmtree(const char *dir)
{
	if (dir == NULL || strncmp(dir, "/tmp/vt-", 8) != 0 || strstr(dir, "..") != NULL)
		return;
	s_rm(dir);
	vt_rig_release_dir(dir);
}
