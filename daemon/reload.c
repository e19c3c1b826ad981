/*
 * A reload's reading in a worker thread (reload.h). The job is shared by
 * the loop and the worker and freed by whichever lets go of it last, so a
 * worker given up at its deadline can finish at any time later, or never,
 * without touching anything the loop still uses.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vitals/io/preflight.h"
#include "vitals/reload.h"

struct job {
	atomic_int refs;                 /* the loop's and the worker's */
	atomic_bool done;                /* the worker has finished */
	int efd;                         /* written when done */
	char *path;
	struct vt_config *cfg;           /* the result, or NULL */
	struct vt_curve_clients clients; /* the allowed keys, with CURVE */
	char err[4096];                  /* why not, when cfg is NULL */
};

struct vt_reload {
	struct job *job;       /* being read, or NULL */
	int64_t deadline;      /* when it is given up */
	int64_t timeout_ms;    /* for the message */
	struct job *stuck;     /* one given up that has not finished yet, or NULL */
};

static void
s_unref(struct job *j)
{
	if (j == NULL || atomic_fetch_sub(&j->refs, 1) != 1)
		return;
	vt_config_free(&j->cfg);
	vt_curve_clients_free(&j->clients);
	close(j->efd);
	free(j->path);
	free(j);
}

/* Every diagnostic, one a line, into j->err. */
static void
s_errors(struct job *j, const struct vt_diag *d)
{
	size_t used = 0;
	j->err[0] = '\0';
	for (size_t i = 0; i < d->count && used < sizeof(j->err); i++) {
		char line[2048];
		vt_diag_format(&d->entries[i], line, sizeof(line));
		used += (size_t)snprintf(j->err + used, sizeof(j->err) - used, "%s%s", i ? "\n" : "", line);
	}
}

static void *
s_work(void *arg)
{
	struct job *j = arg;
	struct vt_diag diag = {0};
	struct vt_config *cfg = vt_config_load(j->path, &diag);
	if (cfg != NULL)
		vt_preflight(cfg, VT_PREFLIGHT_KEYS, false, &diag, NULL);
	if (cfg != NULL && diag.count == 0 && cfg->curve_clients != NULL) {
		char err[512];
		if (vt_curve_read_clients(cfg->curve_clients, &j->clients, err, sizeof(err)) != 0)
			vt_diag_add(&diag, cfg->path, cfg->curve_clients_at.line,
			            cfg->curve_clients_at.column, NULL, "curve.clients: %s", err);
	}
	if (diag.count > 0)
		vt_config_free(&cfg);
	s_errors(j, &diag);
	vt_diag_clear(&diag);
	j->cfg = cfg;
	atomic_store(&j->done, true);
	uint64_t one = 1;
	if (write(j->efd, &one, sizeof(one)) < 0) {
		/* The loop also checks `done` at its deadline. */
	}
	s_unref(j);
	return NULL;
}

struct vt_reload *
vt_reload_new(void)
{
	return calloc(1, sizeof(struct vt_reload));
}

void
vt_reload_free(struct vt_reload **rp)
{
	if (rp == NULL || *rp == NULL)
		return;
	s_unref((*rp)->job);
	s_unref((*rp)->stuck);
	free(*rp);
	*rp = NULL;
}

int
vt_reload_start(struct vt_reload *r, const char *path, int64_t now, int64_t timeout_ms, char *err,
                size_t errlen)
{
	if (r->stuck != NULL && atomic_load(&r->stuck->done)) {
		s_unref(r->stuck);
		r->stuck = NULL;
	}
	if (r->job != NULL || r->stuck != NULL) {
		snprintf(err, errlen, "%s", r->job ? "a reload is already reading its files"
		                                   : "an earlier reload is still stuck reading its files");
		return -1;
	}
	struct job *j = calloc(1, sizeof(*j));
	if (j == NULL || (j->path = strdup(path)) == NULL ||
	    (j->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		snprintf(err, errlen, "cannot start a reload: %s", strerror(errno ? errno : ENOMEM));
		if (j != NULL)
			free(j->path);
		free(j);
		return -1;
	}
	atomic_init(&j->refs, 2);
	atomic_init(&j->done, false);
	/* The worker must not take the loop's signals (they arrive by signalfd). */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_t t;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int rc = pthread_create(&t, &attr, s_work, j);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start a reload: %s", strerror(rc));
		close(j->efd);
		free(j->path);
		free(j);
		return -1;
	}
	r->job = j;
	r->deadline = now + timeout_ms;
	r->timeout_ms = timeout_ms;
	return 0;
}

bool
vt_reload_busy(const struct vt_reload *r)
{
	return r->job != NULL;
}

int
vt_reload_fd(const struct vt_reload *r)
{
	return r->job ? r->job->efd : -1;
}

int64_t
vt_reload_deadline(const struct vt_reload *r)
{
	return r->job ? r->deadline : INT64_MAX;
}

enum vt_reload_status
vt_reload_take(struct vt_reload *r, int64_t now, struct vt_config **cfg,
               struct vt_curve_clients *clients, char *err, size_t errlen)
{
	struct job *j = r->job;
	if (j == NULL)
		return VT_RELOAD_READING;
	if (!atomic_load(&j->done)) {
		if (now < r->deadline)
			return VT_RELOAD_READING;
		snprintf(err, errlen, "reading %s took more than %lld ms (limits.reload_timeout; a file "
		         "system that hangs?); given up", j->path, (long long)r->timeout_ms);
		r->stuck = j; /* the worker still holds its own reference */
		r->job = NULL;
		return VT_RELOAD_TIMEOUT;
	}
	r->job = NULL;
	enum vt_reload_status st = VT_RELOAD_FAILED;
	if (j->cfg != NULL) {
		*cfg = j->cfg;
		j->cfg = NULL;
		*clients = j->clients;
		j->clients = (struct vt_curve_clients){0};
		st = VT_RELOAD_READY;
	} else {
		snprintf(err, errlen, "%s", j->err);
	}
	s_unref(j);
	return st;
}
