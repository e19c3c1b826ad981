/*
 * Checking passwords away from the event loop. An Argon2id check takes a
 * tenth of a second and 64 MiB on purpose; done in the loop, every login
 * would hold up the alarms of every screen for that long. So one worker
 * thread checks them, one at a time (bounding the memory), from a short
 * queue (bounding the work a flood of logins can queue up: beyond it a
 * login is answered "busy" at once), and the loop hears of each result
 * through an eventfd it polls like any other descriptor. Passwords are
 * wiped from memory as soon as they are checked.
 */
#ifndef VITALS_WEB_VERIFIER_H
#define VITALS_WEB_VERIFIER_H

#include <stdbool.h>
#include <stddef.h>

/* Logins waiting to be checked, at most. */
#define VT_VERIFIER_QUEUE 8

/* A check's result, delivered in the loop's thread by vt_verifier_collect. */
typedef void (*vt_verifier_done_fn)(void *arg, bool ok);

struct vt_verifier;

/* NULL with errno when the thread or the eventfd cannot be made. */
struct vt_verifier *vt_verifier_new(void);
/* Stops the thread; checks not yet delivered are delivered as failed. */
void vt_verifier_free(struct vt_verifier **v);

/* The descriptor to poll for input. */
int vt_verifier_fd(const struct vt_verifier *v);

/* Queue a check of `password` against `hash` (both copied). -1 when the queue is full. */
int vt_verifier_submit(struct vt_verifier *v, const char *hash, const char *password,
                       vt_verifier_done_fn done, void *arg);

/* Deliver the results that are ready (call when the descriptor is readable). */
void vt_verifier_collect(struct vt_verifier *v);

#endif
