/*
 * vitals-emulate beside a test (see emulator.h). Its first line on
 * standard output is the sign it is ready: it prints it once the pty is
 * linked or the listener bound, and again after each replug.
 */
#include <stdio.h>

#include "emulator.h"
#include "run.h"

int
vt_rig_emulate(struct vt_rig_child *e, const char *log, const char *const args[], int ready_ms)
{
	char *argv[64];
	int n = 0;
	argv[n++] = (char *)vt_rig_build("vitals-emulate");
	for (size_t i = 0; args[i] != NULL && n < 63; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	if (vt_rig_child_start(e, "vitals-emulate", argv, log, true) != 0) {
		perror("rig: vitals-emulate");
		return -1;
	}
	if (ready_ms > 0 && !vt_rig_child_line(e, ready_ms)) {
		fprintf(stderr, "rig: vitals-emulate printed no port within %d ms; its log is %s\n",
		        ready_ms, e->log);
		return -1;
	}
	return 0;
}
