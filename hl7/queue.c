/*
 * The outbox on disk (vitals/hl7/queue.h). One file per message keeps
 * every write small and every removal an unlink; the numbers in memory are
 * a ring as long as the bound, so memory does not grow with an outage.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "vitals/hl7/queue.h"
#include "vitals/io/log.h"

/* state.json is small (the alarms reported); this bounds what is read. */
#define S_STATE_MAX (4 * 1024 * 1024)
/* A message file: its record line and the message (vitals/hl7/pcd.h bounds both). */
#define S_FILE_MAX (64 * 1024)

struct vt_queue {
	char *dir;
	int dfd;                 /* the directory, for fsync and *at() */
	size_t max;              /* the bound for observations */
	size_t hard;             /* and for alarm reports */
	char id[9];              /* the queue's random id, in every control id */
	uint64_t next;           /* the next message's number */
	uint64_t saved_next;     /* `next` as state.json says it */
	uint64_t *ring;          /* numbers of the messages waiting, oldest first */
	size_t cap, first, len;
	bool over;               /* the bound was crossed and not yet left */
	char *alarms;            /* state.json's alarms as read at open */
	/* The oldest message, once read. */
	char *head;
	size_t head_len;
	uint64_t head_number;
	char head_id[VT_QUEUE_ID_MAX];
	struct vt_queue_counts counts;
};

static void
s_name(uint64_t n, char *buf, size_t len)
{
	snprintf(buf, len, "%020" PRIu64 ".hl7", n);
}

static int
s_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Write all of `len` bytes. */
static int
s_write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Write `name` in the directory whole or not at all: beside, fsync, rename, fsync the directory. */
static int
s_write_file(struct vt_queue *q, const char *name, const char *a, size_t alen, const char *b,
             size_t blen)
{
	char tmp[64];
	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	int fd = openat(q->dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -1;
	if (s_write_all(fd, a, alen) != 0 || s_write_all(fd, b, blen) != 0 || fsync(fd) != 0) {
		int e = errno;
		close(fd);
		unlinkat(q->dfd, tmp, 0);
		errno = e;
		return -1;
	}
	if (close(fd) != 0 || renameat(q->dfd, tmp, q->dfd, name) != 0 || fsync(q->dfd) != 0) {
		int e = errno;
		unlinkat(q->dfd, tmp, 0);
		errno = e;
		return -1;
	}
	return 0;
}

/* A whole file of the directory (malloc'd, NUL-terminated), at most `max` bytes; NULL (errno). */
static char *
s_read_file(int dfd, const char *name, size_t max, size_t *len)
{
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	char *buf = malloc(max + 1);
	size_t n = 0;
	ssize_t r = 0;
	while (buf != NULL && n <= max && (r = read(fd, buf + n, max + 1 - n)) > 0)
		n += (size_t)r;
	int e = errno;
	close(fd);
	if (buf == NULL || r < 0 || n > max) {
		free(buf);
		errno = buf == NULL ? ENOMEM : r < 0 ? e : EFBIG;
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

static int
s_load_state(struct vt_queue *q, char *err, size_t errlen)
{
	size_t len;
	char *text = s_read_file(q->dfd, "state.json", S_STATE_MAX, &len);
	if (text == NULL && errno == ENOENT)
		return 0;
	if (text == NULL) {
		snprintf(err, errlen, "%s/state.json: %s", q->dir, strerror(errno));
		return -1;
	}
	json_error_t je;
	json_t *o = json_loadb(text, len, 0, &je);
	free(text);
	json_t *next = json_object_get(o, "next"), *alarms = json_object_get(o, "alarms");
	const char *id = json_string_value(json_object_get(o, "queue"));
	if (!json_is_integer(next) || json_integer_value(next) < 1 || !json_is_array(alarms) ||
	    id == NULL || strlen(id) != 8 || strspn(id, "0123456789abcdef") != 8) {
		snprintf(err, errlen, "%s/state.json: %s (move it away to start afresh)", q->dir,
		         o == NULL ? je.text : "not the bridge's state (next, queue and alarms)");
		json_decref(o);
		return -1;
	}
	memcpy(q->id, id, 9);
	q->next = q->saved_next = (uint64_t)json_integer_value(next);
	q->alarms = json_dumps(alarms, JSON_COMPACT);
	json_decref(o);
	return 0;
}

/* The messages waiting, from the file names; stray temporary files go. */
static int
s_scan(struct vt_queue *q, char *err, size_t errlen)
{
	int fd = dup(q->dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		snprintf(err, errlen, "%s: %s", q->dir, strerror(errno));
		return -1;
	}
	rewinddir(d);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		if (n > 4 && strcmp(e->d_name + n - 4, ".tmp") == 0) {
			unlinkat(q->dfd, e->d_name, 0);
			continue;
		}
		if (n != 24 || strcmp(e->d_name + 20, ".hl7") != 0 || strspn(e->d_name, "0123456789") != 20)
			continue;
		if (q->len == q->cap) {
			size_t cap = q->cap * 2;
			uint64_t *ring = realloc(q->ring, cap * sizeof(*ring));
			if (ring == NULL) {
				closedir(d);
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			q->ring = ring;
			q->cap = cap;
		}
		q->ring[q->len++] = strtoull(e->d_name, NULL, 10);
	}
	closedir(d);
	qsort(q->ring, q->len, sizeof(*q->ring), s_cmp);
	if (q->len > 0 && q->ring[q->len - 1] >= q->next)
		q->next = q->ring[q->len - 1] + 1;
	return 0;
}

struct vt_queue *
vt_queue_open(const char *dir, size_t max, char *err, size_t errlen)
{
	struct vt_queue *q = calloc(1, sizeof(*q));
	if (q == NULL || (q->dir = strdup(dir)) == NULL) {
		free(q);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	q->dfd = -1;
	q->max = max > 0 ? max : 1;
	q->hard = q->max + q->max / 10 + 1;
	q->cap = q->hard;
	q->next = 1;
	q->ring = calloc(q->cap, sizeof(*q->ring));
	if (q->ring == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		goto fail;
	}
	q->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (q->dfd < 0 || faccessat(q->dfd, ".", W_OK, AT_EACCESS) != 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		goto fail;
	}
	if (s_load_state(q, err, errlen) != 0 || s_scan(q, err, errlen) != 0)
		goto fail;
	if (q->id[0] == '\0') {
		uint32_t r;
		if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
			snprintf(err, errlen, "getrandom: %s", strerror(errno));
			goto fail;
		}
		snprintf(q->id, sizeof(q->id), "%08x", (unsigned)r);
		if (vt_queue_save(q, "[]") != 0) {
			snprintf(err, errlen, "%s/state.json: %s", dir, strerror(errno));
			goto fail;
		}
	}
	return q;
fail:
	vt_queue_free(&q);
	return NULL;
}

void
vt_queue_free(struct vt_queue **pq)
{
	struct vt_queue *q = *pq;
	if (q == NULL)
		return;
	if (q->dfd >= 0)
		close(q->dfd);
	free(q->ring);
	free(q->alarms);
	free(q->head);
	free(q->dir);
	free(q);
	*pq = NULL;
}

uint64_t
vt_queue_next_number(const struct vt_queue *q)
{
	return q->next;
}

void
vt_queue_control_id(const struct vt_queue *q, uint64_t number, char *buf, size_t len)
{
	snprintf(buf, len, "%s-%" PRIu64, q->id, number);
}

size_t
vt_queue_length(const struct vt_queue *q)
{
	return q->len;
}

int
vt_queue_push(struct vt_queue *q, const char *msg, size_t len, const char *record, bool alarm)
{
	if (q->len >= (alarm ? q->hard : q->max)) {
		if (!q->over)
			vt_warnx("HL7 queue %s: %zu messages waiting for the engine, the bound (queue_max); "
			         "observations are dropped%s until it drains (counted)", q->dir, q->len,
			         alarm ? " and now alarm reports too" : ", alarm reports kept up to a tenth more");
		q->over = true;
		alarm ? q->counts.dropped_alarms++ : q->counts.dropped_obs++;
		return 1;
	}
	char name[32], head[8192];
	s_name(q->next, name, sizeof(name));
	/* The record is one line of JSON (jansson escapes newlines inside strings). */
	int hn = snprintf(head, sizeof(head), "%s\n", record != NULL ? record : "-");
	if (hn < 0 || (size_t)hn >= sizeof(head) || strchr(head, '\n') != head + hn - 1) {
		q->counts.write_errors++;
		errno = EINVAL;
		return -1;
	}
	if (s_write_file(q, name, head, (size_t)hn, msg, len) != 0) {
		q->counts.write_errors++;
		return -1;
	}
	if (q->len == q->cap) { /* only after a start with more on disk than the bound */
		size_t cap = q->cap * 2;
		uint64_t *ring = malloc(cap * sizeof(*ring));
		if (ring == NULL) {
			unlinkat(q->dfd, name, 0);
			q->counts.write_errors++;
			errno = ENOMEM;
			return -1;
		}
		for (size_t i = 0; i < q->len; i++)
			ring[i] = q->ring[(q->first + i) % q->cap];
		free(q->ring);
		q->ring = ring;
		q->cap = cap;
		q->first = 0;
	}
	q->ring[(q->first + q->len++) % q->cap] = q->next++;
	q->counts.queued++;
	return 0;
}

/* Forget the oldest message (its file is gone or moved). */
static void
s_drop_head(struct vt_queue *q)
{
	free(q->head);
	q->head = NULL;
	q->first = (q->first + 1) % q->cap;
	q->len--;
	if (q->over && q->len < q->max) {
		vt_notice("HL7 queue %s: back under its bound (%zu waiting); %" PRIu64 " observations and "
		          "%" PRIu64 " alarm reports were dropped so far", q->dir, q->len,
		          q->counts.dropped_obs, q->counts.dropped_alarms);
		q->over = false;
	}
}

int
vt_queue_head(struct vt_queue *q, const char **msg, size_t *len, uint64_t *number,
              const char **control_id)
{
	while (q->head == NULL) {
		if (q->len == 0)
			return 1;
		char name[32];
		uint64_t n = q->ring[q->first];
		s_name(n, name, sizeof(name));
		size_t flen;
		char *text = s_read_file(q->dfd, name, S_FILE_MAX, &flen);
		char *nl = text != NULL ? memchr(text, '\n', flen) : NULL;
		if (nl == NULL) {
			vt_err("HL7 queue %s/%s: %s; set aside in rejected/", q->dir, name,
			       text == NULL ? strerror(errno) : "not a queued message");
			free(text);
			vt_queue_reject(q);
			return -1;
		}
		q->head_len = flen - (size_t)(nl + 1 - text);
		memmove(text, nl + 1, q->head_len + 1);
		q->head = text;
		q->head_number = n;
		vt_queue_control_id(q, n, q->head_id, sizeof(q->head_id));
	}
	*msg = q->head;
	*len = q->head_len;
	*number = q->head_number;
	*control_id = q->head_id;
	return 0;
}

void
vt_queue_pop(struct vt_queue *q)
{
	if (q->len == 0)
		return;
	char name[32];
	s_name(q->ring[q->first], name, sizeof(name));
	/* No fsync of the directory: an unlink lost to a crash resends the
	 * message, with its control id, which the engine knows as a resend. */
	if (unlinkat(q->dfd, name, 0) != 0 && errno != ENOENT)
		vt_warn("HL7 queue %s/%s: cannot remove it; it will be sent again after a restart",
		        q->dir, name);
	q->counts.sent++;
	s_drop_head(q);
}

void
vt_queue_reject(struct vt_queue *q)
{
	if (q->len == 0)
		return;
	char name[32], to[48];
	s_name(q->ring[q->first], name, sizeof(name));
	snprintf(to, sizeof(to), "rejected/%s", name);
	if ((mkdirat(q->dfd, "rejected", 0750) != 0 && errno != EEXIST) ||
	    renameat(q->dfd, name, q->dfd, to) != 0)
		vt_warn("HL7 queue %s: cannot set %s aside in rejected/", q->dir, name);
	q->counts.rejected++;
	s_drop_head(q);
}

int
vt_queue_save(struct vt_queue *q, const char *alarms)
{
	size_t cap = strlen(alarms) + 128;
	char *text = malloc(cap);
	if (text == NULL) {
		errno = ENOMEM;
		return -1;
	}
	int n = snprintf(text, cap, "{\"version\":1,\"queue\":\"%s\",\"next\":%" PRIu64
	                 ",\"alarms\":%s}\n", q->id, q->next, alarms);
	int rc = s_write_file(q, "state.json", text, (size_t)n, "", 0);
	free(text);
	return rc;
}

const char *
vt_queue_saved_alarms(const struct vt_queue *q)
{
	return q->alarms;
}

void
vt_queue_pending(const struct vt_queue *q, void (*fn)(void *ctx, const char *record), void *ctx)
{
	for (size_t i = 0; i < q->len; i++) {
		uint64_t n = q->ring[(q->first + i) % q->cap];
		if (n < q->saved_next)
			continue;
		char name[32];
		s_name(n, name, sizeof(name));
		size_t flen;
		char *text = s_read_file(q->dfd, name, S_FILE_MAX, &flen);
		char *nl = text != NULL ? memchr(text, '\n', flen) : NULL;
		if (nl != NULL && !(nl - text == 1 && text[0] == '-')) {
			*nl = '\0';
			fn(ctx, text);
		}
		free(text);
	}
}

const struct vt_queue_counts *
vt_queue_counts(const struct vt_queue *q)
{
	return &q->counts;
}

const char *
vt_queue_dir(const struct vt_queue *q)
{
	return q->dir;
}
