/*
 * Where things are and running a program to its end: the paths the
 * Makefile hands every test program (VT_BUILD, VT_ROOT), the monotonic
 * clock deadlines are counted on, whole files in and out, loopback ports
 * that are free, and a program's output and exit status captured.
 */
#ifndef VT_RIG_RUN_H
#define VT_RIG_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "$VT_BUILD/rel" (default build/) and "$VT_ROOT/rel" (default .), in 8 rotating buffers. */
const char *vt_rig_build(const char *rel);
const char *vt_rig_root(const char *rel);

/* Monotonic clock in nanoseconds / milliseconds, for deadlines. */
int64_t vt_rig_now_ns(void);
int64_t vt_rig_now_ms(void);
/* The wall clock in milliseconds since the epoch, to compare with times programs write. */
int64_t vt_rig_wall_ms(void);
/* Sleep this many milliseconds (restarted after signals): pacing, never synchronisation. */
void vt_rig_sleep_ms(int64_t ms);

/* A whole file (malloc'd, NUL-terminated; its length to *len when not NULL), or NULL. */
char *vt_rig_slurp(const char *path, size_t *len);
/* Whether the file at `path` contains `needle`, polled until timeout_ms (0: look once). */
bool vt_rig_file_has(const char *path, const char *needle, int timeout_ms);
/* How many times the file at `path` contains `needle` now (0 if it cannot be read). */
int vt_rig_file_count(const char *path, const char *needle);
/*
 * Write `text` to dir/name, beside and renamed so that a reader never sees
 * half of it; the path goes to `path` when not NULL. 0 or -1.
 */
int vt_rig_write_file(const char *dir, const char *name, const char *text, char *path,
                      size_t len);

/*
 * A TCP port on 127.0.0.1 that was free a moment ago, for a daemon to bind
 * soon. Taken below the kernel's ephemeral range, so no connection's source
 * port can take it in the meantime; -1 if none is free.
 */
int vt_rig_free_port(void);
/* The same for a UDP port (a LAN monitor's, where it announces itself). */
int vt_rig_free_udp_port(void);

/* What a program did: vt_rig_run. */
struct vt_rig_output {
	int status;  /* exit status, or 128+signal */
	char *out;   /* stdout, NUL-terminated */
	size_t out_len;
	char *err;   /* stderr, NUL-terminated */
	size_t err_len;
};
/*
 * Run argv (NULL-terminated; argv[0] a path) from the repository root with
 * stdin from /dev/null, to its end; both outputs captured. Its status, or
 * -1 if it could not be started.
 */
int vt_rig_run(char *const argv[], struct vt_rig_output *r);
void vt_rig_output_free(struct vt_rig_output *r);

#endif
