/*
 * The password checker (see vitals/web/verifier.h): a ring of jobs under
 * one mutex; the worker takes the oldest pending one, checks it without
 * the lock, marks it done and bumps the eventfd.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <sodium.h>

#include "vitals/web/users.h"
#include "vitals/web/verifier.h"

enum job_state { JOB_FREE, JOB_PENDING, JOB_RUNNING, JOB_DONE };

struct job {
	enum job_state state;
	char hash[VT_USER_HASH_MAX];
	char password[VT_USER_PASSWORD_MAX + 1];
	bool ok;
	vt_verifier_done_fn done;
	void *arg;
	unsigned long order;       /* submission order: the oldest goes first */
};

struct vt_verifier {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	int efd;
	unsigned long next_order;
	struct job jobs[VT_VERIFIER_QUEUE];
};

static struct job *
s_oldest(struct vt_verifier *v, enum job_state state)
{
	struct job *best = NULL;
	for (size_t i = 0; i < VT_VERIFIER_QUEUE; i++)
		if (v->jobs[i].state == state && (best == NULL || v->jobs[i].order < best->order))
			best = &v->jobs[i];
	return best;
}

static void *
s_worker(void *arg)
{
	struct vt_verifier *v = arg;
	pthread_mutex_lock(&v->lock);
	for (;;) {
		struct job *j = NULL;
		while (!v->stop && (j = s_oldest(v, JOB_PENDING)) == NULL)
			pthread_cond_wait(&v->wake, &v->lock);
		if (v->stop)
			break;
		j->state = JOB_RUNNING;
		pthread_mutex_unlock(&v->lock);
		bool ok = vt_users_verify(j->hash, j->password);
		pthread_mutex_lock(&v->lock);
		sodium_memzero(j->password, sizeof(j->password));
		j->ok = ok;
		j->state = JOB_DONE;
		uint64_t one = 1;
		if (write(v->efd, &one, sizeof(one)) < 0) {
			/* The counter cannot overflow in practice; the loop also collects on its own. */
		}
	}
	pthread_mutex_unlock(&v->lock);
	return NULL;
}

struct vt_verifier *
vt_verifier_new(void)
{
	struct vt_verifier *v = calloc(1, sizeof(*v));
	if (v == NULL)
		return NULL;
	v->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (v->efd < 0) {
		free(v);
		return NULL;
	}
	pthread_mutex_init(&v->lock, NULL);
	pthread_cond_init(&v->wake, NULL);
	int e = pthread_create(&v->thread, NULL, s_worker, v);
	if (e != 0) {
		close(v->efd);
		free(v);
		errno = e;
		return NULL;
	}
	return v;
}

void
vt_verifier_free(struct vt_verifier **vp)
{
	if (vp == NULL || *vp == NULL)
		return;
	struct vt_verifier *v = *vp;
	pthread_mutex_lock(&v->lock);
	v->stop = true;
	pthread_cond_signal(&v->wake);
	pthread_mutex_unlock(&v->lock);
	pthread_join(v->thread, NULL);
	vt_verifier_collect(v);
	for (size_t i = 0; i < VT_VERIFIER_QUEUE; i++) {
		struct job *j = &v->jobs[i];
		if (j->state == JOB_FREE)
			continue;
		sodium_memzero(j->password, sizeof(j->password));
		j->state = JOB_FREE;
		if (j->done != NULL)
			j->done(j->arg, false);
	}
	close(v->efd);
	pthread_mutex_destroy(&v->lock);
	pthread_cond_destroy(&v->wake);
	free(v);
	*vp = NULL;
}

int
vt_verifier_fd(const struct vt_verifier *v)
{
	return v->efd;
}

int
vt_verifier_submit(struct vt_verifier *v, const char *hash, const char *password,
                   vt_verifier_done_fn done, void *arg)
{
	if (strlen(hash) >= VT_USER_HASH_MAX || strlen(password) > VT_USER_PASSWORD_MAX)
		return -1;
	pthread_mutex_lock(&v->lock);
	struct job *j = NULL;
	for (size_t i = 0; i < VT_VERIFIER_QUEUE && j == NULL; i++)
		if (v->jobs[i].state == JOB_FREE)
			j = &v->jobs[i];
	if (j != NULL) {
		strcpy(j->hash, hash);
		strcpy(j->password, password);
		j->done = done;
		j->arg = arg;
		j->order = v->next_order++;
		j->state = JOB_PENDING;
		pthread_cond_signal(&v->wake);
	}
	pthread_mutex_unlock(&v->lock);
	return j != NULL ? 0 : -1;
}

void
vt_verifier_collect(struct vt_verifier *v)
{
	uint64_t count;
	if (read(v->efd, &count, sizeof(count)) < 0 && errno != EAGAIN) {
		/* Nothing to read is fine: done jobs are found below either way. */
	}
	for (;;) {
		pthread_mutex_lock(&v->lock);
		struct job *j = s_oldest(v, JOB_DONE);
		vt_verifier_done_fn done = NULL;
		void *arg = NULL;
		bool ok = false;
		if (j != NULL) {
			done = j->done;
			arg = j->arg;
			ok = j->ok;
			j->state = JOB_FREE;
		}
		pthread_mutex_unlock(&v->lock);
		if (j == NULL)
			return;
		/* Outside the lock: the callback may submit again. */
		if (done != NULL)
			done(arg, ok);
	}
}
