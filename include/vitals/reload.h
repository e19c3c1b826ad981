/*
 * Reading a reload's files off the event loop. A reload reads the
 * configuration and, with CURVE, the key files; any of them may sit on a
 * file system that hangs, be replaced by a FIFO, or be a megabyte of YAML
 * that takes half a second to parse. None of that may hold up an alarm,
 * so a worker thread reads and checks them while the loop goes on, and the
 * loop takes the result when the worker's descriptor says it is ready. A
 * worker that is not done within limits.reload_timeout is given up (the
 * running configuration stays); no other starts until it has finished, so
 * at most one thread is ever stuck.
 */
#ifndef VITALS_RELOAD_H
#define VITALS_RELOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vitals/config/config.h"
#include "vitals/io/curve.h"

struct vt_reload;

struct vt_reload *vt_reload_new(void);
/* Free; a worker still running is left to finish on its own (it frees its part). */
void vt_reload_free(struct vt_reload **r);

/*
 * Start reading `path` at `now`, for at most timeout_ms. 0, or -1 with err
 * when a worker (this one, or one given up earlier) is still reading.
 */
int vt_reload_start(struct vt_reload *r, const char *path, int64_t now, int64_t timeout_ms,
                    char *err, size_t errlen);

/* A worker is reading (started, not yet taken or given up). */
bool vt_reload_busy(const struct vt_reload *r);
/* The descriptor to poll (readable once the worker is done), or -1 when not busy. */
int vt_reload_fd(const struct vt_reload *r);
/* When the worker is given up, or INT64_MAX when not busy. */
int64_t vt_reload_deadline(const struct vt_reload *r);

enum vt_reload_status {
	VT_RELOAD_READING,  /* not done yet */
	VT_RELOAD_READY,    /* *cfg (and, with CURVE, *clients) hold the checked result */
	VT_RELOAD_FAILED,   /* err says why: FILE:LINE:COLUMN: message, one a line */
	VT_RELOAD_TIMEOUT   /* given up at the deadline; err says so */
};

/* The outcome at `now`, once. */
enum vt_reload_status vt_reload_take(struct vt_reload *r, int64_t now, struct vt_config **cfg,
                                     struct vt_curve_clients *clients, char *err, size_t errlen);

#endif
