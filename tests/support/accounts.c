/*
 * The kernel's accounts of a process and benchmark figures (see
 * accounts.h), read from /proc as top and ps do.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accounts.h"

int
vt_rig_proc(pid_t pid, struct vt_rig_proc *out)
{
	memset(out, 0, sizeof(*out));
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *fp = fopen(path, "r");
	if (fp == NULL)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	/* Fields after the command name, which may hold spaces: utime is 14th, stime 15th. */
	char *p = strrchr(buf, ')');
	if (p == NULL)
		return -1;
	unsigned long long ut = 0, st = 0;
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	out->cpu_ticks = ut + st;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fp = fopen(path, "r");
	if (fp == NULL)
		return -1;
	char line[256];
	while (fgets(line, sizeof(line), fp) != NULL) {
		sscanf(line, "VmRSS: %ld", &out->rss_kb);
		sscanf(line, "VmHWM: %ld", &out->hwm_kb);
		sscanf(line, "voluntary_ctxt_switches: %ld", &out->vol_ctxt);
		sscanf(line, "nonvoluntary_ctxt_switches: %ld", &out->invol_ctxt);
	}
	fclose(fp);

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	if (d == NULL)
		return -1;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		out->fds += e->d_name[0] != '.';
	closedir(d);
	return 0;
}

double
vt_rig_tick_s(void)
{
	return 1.0 / (double)sysconf(_SC_CLK_TCK);
}

static int
s_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

void
vt_rig_percentiles(double *v, size_t n, double *p50, double *p99, double *max)
{
	*p50 = *p99 = *max = 0;
	if (n == 0)
		return;
	qsort(v, n, sizeof(*v), s_cmp_double);
	/* Nearest rank: the smallest value with at least p % of the samples at or below it. */
	size_t r50 = (n * 50 + 99) / 100, r99 = (n * 99 + 99) / 100;
	*p50 = v[r50 ? r50 - 1 : 0];
	*p99 = v[r99 ? r99 - 1 : 0];
	*max = v[n - 1];
}

const char *
vt_rig_machine(void)
{
	static char buf[256];
	char model[200] = "unknown CPU";
	FILE *fp = fopen("/proc/cpuinfo", "r");
	if (fp != NULL) {
		char line[512];
		while (fgets(line, sizeof(line), fp) != NULL) {
			char *colon = strchr(line, ':');
			if (strncmp(line, "model name", 10) == 0 && colon != NULL) {
				snprintf(model, sizeof(model), "%s", colon + 2);
				model[strcspn(model, "\n")] = '\0';
				break;
			}
		}
		fclose(fp);
	}
	snprintf(buf, sizeof(buf), "%ld x %s", sysconf(_SC_NPROCESSORS_ONLN), model);
	return buf;
}

long
vt_rig_tcp_unsent(int port)
{
	FILE *fp = fopen("/proc/net/tcp", "r");
	if (fp == NULL)
		return -1;
	char line[512];
	long total = 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		unsigned local_port, st;
		unsigned long tx;
		/* sl local_address rem_address st tx_queue:rx_queue ...; 01 is ESTABLISHED */
		if (sscanf(line, " %*d: %*x:%x %*x:%*x %x %lx:%*x", &local_port, &st, &tx) == 3 &&
		    (int)local_port == port && st == 1)
			total += (long)tx;
	}
	fclose(fp);
	return total;
}
