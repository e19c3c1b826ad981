/*
 * The recorder: a port's raw bytes, with receive times, appended to a text
 * file a nurse's clinical engineer can read with `less` and the daemon can
 * replay through the same driver. Recording exists so that an incident can
 * be examined afterwards, so the file must survive whatever ends the
 * daemon, and must never hold up monitoring.
 *
 * Durability: every event is formatted in memory and handed to the kernel
 * with one write(2) on an O_APPEND descriptor. Once write returns, a crash
 * of the process, even SIGKILL, loses nothing. A write cut short (disk
 * full) is truncated back to the last whole line, so a file is always
 * complete lines plus, at worst after a machine crash, one partial last
 * line, which the reader ignores. Write-back to the disk is started (not
 * waited for) about once a second with sync_file_range(2), so a power cut
 * costs seconds, not the 30 s of ordinary write-back; the loop never waits
 * on the disk. Closing waits for the data (fdatasync), at shutdown.
 *
 * Files: DIR/BED/BED-YYYYmmddTHHMMSSZ.vsr, named after their start, never
 * overwritten: a second file in the same second is ..Z_02.vsr, then _03...
 * (so that `ls` lists files in the order they were written). A new file begins when
 * the current one has passed the size limit (16 MiB), when the UTC day
 * changes, when the wall clock steps backwards (offsets never decrease),
 * and after a write error. Each file has the full header, so every file
 * stands alone; a file that carries on from another says so in
 * `# continues:`.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vitals/base/escape.h"
#include "vitals/base/timefmt.h"
#include "vitals/base/version.h"
#include "vitals/drivers/driver.h"
#include "vitals/io/recorder.h"

#define S_DAY_MS         86400000LL
#define S_SYNC_EVERY_MS  1000     /* start write-back at most this often */
#define S_RETRY_EVERY_MS 1000     /* after a failure, try a new file this often */
#define S_TEXT_PER_LINE  256      /* bytes per text line, at most (a device line is shorter) */
#define S_MAX_CLASHES    100      /* _02 ... _99 before giving up on a name */

struct vt_recorder {
	char *dir;              /* DIR/BED, created when a file is started */
	char *bed;              /* the bed as it appears in file names */
	char *header_bed;       /* header values, one line each */
	char *header_port;
	char *header_protocol;
	char *header_config;    /* the configuration's path and checksum; NULL: not said */
	char *header_sha256;
	int baud;
	bool text;                /* a text protocol: data as `text` lines (format 3) */
	int fd;                 /* the current file, or -1 until the next try */
	char *path;             /* the current (or last) file's path */
	char *continues;        /* the previous file's name, for the next header */
	int64_t start;          /* the current file's start, wall-clock ms */
	int64_t last;           /* time of the latest event in the current file */
	uint64_t size;          /* bytes in the current file */
	uint64_t rotate_bytes;  /* start a new file past this size */
	int64_t synced;         /* when write-back was last started */
	int64_t retry_at;       /* after a failure: no new file before this time */
	char failure[256];      /* the failure that retry_at is holding back */
	char *buf;              /* one event's text */
	size_t cap;             /* bytes allocated at buf */
	struct vt_rec_limits limits; /* what the port may record (0: no bound) */
	int64_t credit;         /* bytes the rate allows now (a token bucket) */
	int64_t credit_at;      /* when credit was last topped up */
	int64_t day;            /* the UTC day day_bytes counts */
	int64_t day_bytes;      /* data bytes recorded on that day */
	uint64_t gap;           /* bytes not kept since the last event written */
	const char *gap_why;    /* the bound they were over */
	int64_t limited_at;     /* the last time bytes were not kept; INT64_MIN: never */
};

static int64_t
s_day(int64_t ms)
{
	return ms >= 0 ? ms / S_DAY_MS : -((-ms + S_DAY_MS - 1) / S_DAY_MS);
}

/* An escaped copy (base/escape.h), so a value stays on its line and still says what it was. */
static char *
s_one_line(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	char *c = malloc(VT_ESCAPE_SIZE(n));
	if (c != NULL)
		vt_escape(c, VT_ESCAPE_SIZE(n), s ? s : "", n);
	return c;
}

/* The bed as a file name: [A-Za-z0-9._-], no leading dot, never empty. */
static char *
s_file_name(const char *bed)
{
	size_t n = strlen(bed);
	char *c = malloc(n + 2);
	if (c == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char ch = bed[i];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		          (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || (ch == '.' && i > 0);
		c[i] = ok ? ch : '_';
	}
	if (n == 0)
		c[n++] = '_';
	c[n] = '\0';
	return c;
}

char *
vt_recorder_file_name(const char *bed)
{
	return s_file_name(bed ? bed : "");
}

/* mkdir -p with 0750 for the parts it creates. */
static int
s_mkdirs(const char *path, char *err, size_t errlen)
{
	char *p = strdup(path);
	if (p == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char saved = *s;
		*s = '\0';
		if (mkdir(p, 0750) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "cannot create directory %s: %s", p, strerror(errno));
			free(p);
			return -1;
		}
		*s = saved;
		if (saved == '\0')
			break;
	}
	free(p);
	struct stat st;
	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "cannot record into %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "cannot record into %s: not a directory", path);
		return -1;
	}
	return 0;
}

/* Make room for `more` bytes at the end of r->buf (holding `used`). */
static int
s_reserve(struct vt_recorder *r, size_t used, size_t more)
{
	if (used + more <= r->cap)
		return 0;
	size_t cap = r->cap ? r->cap : 512;
	while (cap < used + more)
		cap *= 2;
	char *b = realloc(r->buf, cap);
	if (b == NULL)
		return -1;
	r->buf = b;
	r->cap = cap;
	return 0;
}

/* Append printf output to r->buf at *used. */
static int __attribute__((format(printf, 3, 4)))
s_append(struct vt_recorder *r, size_t *used, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || s_reserve(r, *used, (size_t)n + 1) != 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(r->buf + *used, (size_t)n + 1, fmt, ap);
	va_end(ap);
	*used += (size_t)n;
	return 0;
}

/*
 * Hand r->buf[0..len) to the kernel in one write. A short write is cut
 * back so the file ends with its last whole line. 0, or -1 with err; the
 * caller then gives up on this file.
 */
static int
s_write(struct vt_recorder *r, size_t len, char *err, size_t errlen)
{
	ssize_t w;
	do
		w = write(r->fd, r->buf, len);
	while (w < 0 && errno == EINTR);
	if (w == (ssize_t)len) {
		r->size += len;
		return 0;
	}
	int e = w < 0 ? errno : ENOSPC; /* a short write to a file means it is full */
	snprintf(err, errlen, "%s: write: %s", r->path, strerror(e));
	/* If the cut fails too, the partial line stays last: the reader skips it. */
	if (w > 0 && ftruncate(r->fd, (off_t)r->size) != 0)
		snprintf(err, errlen, "%s: write: %s (a partial last line remains)", r->path,
		         strerror(e));
	return -1;
}

/* Start write-back of what the kernel holds, without waiting for it. */
static void
s_kick(struct vt_recorder *r, int64_t now)
{
	/* Errors only mean the file system does its own write-back (tmpfs, NFS). */
	(void)sync_file_range(r->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	r->synced = now;
}

/* Close the current file and remember it for the next one's header. */
static void
s_finish(struct vt_recorder *r, int64_t now)
{
	if (r->fd < 0)
		return;
	s_kick(r, now);
	close(r->fd);
	r->fd = -1;
	free(r->continues);
	const char *slash = strrchr(r->path, '/');
	r->continues = strdup(slash ? slash + 1 : r->path);
}

/* Create DIR/BED/BED-STAMP[_NN].vsr exclusively; its fd, or -1 with err. */
static int
s_create(struct vt_recorder *r, int64_t now, char *err, size_t errlen)
{
	time_t secs = (time_t)(now >= 0 ? now / 1000 : -((-now + 999) / 1000));
	struct tm tm;
	char stamp[32];
	if (gmtime_r(&secs, &tm) == NULL || strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm) == 0) {
		snprintf(err, errlen, "cannot name a recording for time %lld", (long long)now);
		return -1;
	}
	for (int n = 1; n < S_MAX_CLASHES; n++) {
		char *path;
		int rc = n == 1 ? asprintf(&path, "%s/%s-%s.vsr", r->dir, r->bed, stamp)
		                : asprintf(&path, "%s/%s-%s_%02d.vsr", r->dir, r->bed, stamp, n);
		if (rc < 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
		if (fd >= 0) {
			/* Held while the file is written: vitals-archive compresses and
			 * deletes only files nobody holds (docs/recording.md). */
			(void)flock(fd, LOCK_EX | LOCK_NB);
			free(r->path);
			r->path = path;
			return fd;
		}
		int e = errno;
		if (e != EEXIST) {
			snprintf(err, errlen, "cannot create %s: %s", path, strerror(e));
			free(path);
			return -1;
		}
		free(path);
	}
	snprintf(err, errlen, "%s: too many recordings named %s-%s", r->dir, r->bed, stamp);
	return -1;
}

/*
 * Begin a new file whose start is `now`, header included. A header that
 * cannot be written whole is removed with its file, so no file ever holds
 * half a header. 0, or -1 with err.
 */
static int
s_start(struct vt_recorder *r, int64_t now, char *err, size_t errlen)
{
	if (s_mkdirs(r->dir, err, errlen) != 0)
		return -1;
	int fd = s_create(r, now, err, errlen);
	if (fd < 0)
		return -1;
	const struct vt_rec_info info = {.bed = r->header_bed, .port = r->header_port,
	                                 .protocol = r->header_protocol, .baud = r->baud,
	                                 .version = VT_VERSION};
	size_t len = 0;
	int need = vt_session_format_header(NULL, 0, &info, now);
	int rc = need < 0 || s_reserve(r, 0, (size_t)need + 1) != 0 ? -1 : 0;
	if (rc == 0)
		len = (size_t)vt_session_format_header(r->buf, (size_t)need + 1, &info, now);
	if (rc == 0 && r->continues != NULL)
		rc = s_append(r, &len, "# continues: %s\n", r->continues);
	if (rc == 0 && r->header_config != NULL)
		rc = s_append(r, &len, "# config: %s\n", r->header_config);
	if (rc == 0 && r->header_sha256 != NULL)
		rc = s_append(r, &len, "# config-sha256: %s\n", r->header_sha256);
	if (rc != 0) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		unlink(r->path);
		return -1;
	}
	r->fd = fd;
	r->size = 0;
	if (s_write(r, len, err, errlen) != 0) {
		close(fd);
		r->fd = -1;
		unlink(r->path);
		return -1;
	}
	r->start = r->last = r->synced = now;
	return 0;
}

struct vt_recorder *
vt_recorder_open(const char *dir, const struct vt_rec_info *info, int64_t now, char *err,
                 size_t errlen)
{
	struct vt_recorder *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->fd = -1;
	r->baud = info->baud;
	r->rotate_bytes = VT_RECORDER_ROTATE_BYTES;
	r->limited_at = INT64_MIN;
	r->day = s_day(now);
	r->bed = s_file_name(info->bed ? info->bed : "");
	r->header_bed = s_one_line(info->bed);
	r->header_port = s_one_line(info->port);
	r->header_protocol = s_one_line(info->protocol);
	const struct vt_driver *drv = vt_driver_find(info->protocol);
	r->text = drv != NULL && drv->text;
	if (info->config != NULL && *info->config)
		r->header_config = s_one_line(info->config);
	if (info->config_sha256 != NULL && *info->config_sha256)
		r->header_sha256 = s_one_line(info->config_sha256);
	if (r->bed == NULL || r->header_bed == NULL || r->header_port == NULL ||
	    r->header_protocol == NULL || (info->config && *info->config && !r->header_config) ||
	    (info->config_sha256 && *info->config_sha256 && !r->header_sha256) ||
	    asprintf(&r->dir, "%s/%s", dir, r->bed) < 0) {
		r->dir = NULL;
		snprintf(err, errlen, "out of memory");
		vt_recorder_close(&r);
		return NULL;
	}
	if (s_start(r, now, err, errlen) != 0) {
		vt_recorder_close(&r);
		return NULL;
	}
	return r;
}

void
vt_recorder_set_rotate_bytes(struct vt_recorder *r, uint64_t bytes)
{
	r->rotate_bytes = bytes ? bytes : VT_RECORDER_ROTATE_BYTES;
}

void
vt_recorder_set_limits(struct vt_recorder *r, const struct vt_rec_limits *limits)
{
	bool first = r->limits.bytes_per_second == 0;
	r->limits = *limits;
	vt_recorder_set_rotate_bytes(r, (uint64_t)limits->file_size);
	if (first)
		r->credit = limits->bytes_per_second * VT_RECORDER_BURST_S; /* a full bucket */
}

/*
 * Whether `len` more data bytes may be recorded at `now`: within the rate
 * (the bucket holds VT_RECORDER_BURST_S seconds of it) and the day's
 * bytes. If not, they are counted as a gap and false is returned.
 */
static bool
s_admit(struct vt_recorder *r, int64_t now, size_t len)
{
	const struct vt_rec_limits *l = &r->limits;
	if (s_day(now) != r->day) {
		r->day = s_day(now);
		r->day_bytes = 0;
	}
	if (l->bytes_per_second > 0) {
		int64_t cap = l->bytes_per_second * VT_RECORDER_BURST_S;
		if (now > r->credit_at) {
			int64_t more = (now - r->credit_at) * l->bytes_per_second / 1000;
			r->credit = r->credit + more > cap ? cap : r->credit + more;
			r->credit_at = now;
		}
	}
	const char *why = NULL;
	if (l->bytes_per_second > 0 && (int64_t)len > r->credit)
		why = "over limits.record_bytes_per_second";
	else if (l->bytes_per_day > 0 && r->day_bytes + (int64_t)len > l->bytes_per_day)
		why = "over limits.record_bytes_per_day";
	if (why != NULL) {
		r->gap += len;
		r->gap_why = why;
		r->limited_at = now;
		return false;
	}
	if (l->bytes_per_second > 0)
		r->credit -= (int64_t)len;
	r->day_bytes += (int64_t)len;
	return true;
}

bool
vt_recorder_limited(const struct vt_recorder *r, int64_t now, const char **why)
{
	bool limited = r->limited_at != INT64_MIN && now - r->limited_at < VT_RECORDER_LIMITED_MS;
	if (why != NULL)
		*why = limited ? r->gap_why : NULL;
	return limited;
}

const char *
vt_recorder_path(const struct vt_recorder *r)
{
	return r->path;
}

/* Make sure an open file can take an event at `now`. 0, or -1 with err. */
static int
s_ready(struct vt_recorder *r, int64_t now, char *err, size_t errlen)
{
	if (r->fd >= 0 && (r->size >= r->rotate_bytes || s_day(now) != s_day(r->start) ||
	                   now < r->last - VT_RECORDER_STEP_BACK_MS))
		s_finish(r, now);
	if (r->fd >= 0)
		return 0;
	/* Failing again at every byte would only repeat the same message with
	 * a storm of system calls; try a new file once a second. */
	if (r->failure[0] != '\0' && now >= r->last && now < r->retry_at) {
		snprintf(err, errlen, "%s", r->failure);
		return -1;
	}
	if (s_start(r, now, err, errlen) != 0) {
		snprintf(r->failure, sizeof(r->failure), "%s", err);
		r->last = now;
		r->retry_at = now + S_RETRY_EVERY_MS;
		return -1;
	}
	r->failure[0] = '\0';
	return 0;
}

/*
 * The bytes of a text protocol as `text` lines (docs/recording.md, format
 * 3): a line for each line the device sent (cut after LF, and after
 * S_TEXT_PER_LINE bytes), printable ASCII as it is, the rest escaped:
 * \r \n \t \\ and \xNN, and a space at either end as \x20, so
 * that no editor or reader can change what was received.
 */
static ssize_t
s_format_text(struct vt_recorder *r, int64_t off, const uint8_t *data, size_t len)
{
	size_t used = 0;
	for (size_t at = 0; at < len;) {
		size_t n = 0;
		while (at + n < len && n < S_TEXT_PER_LINE && (n == 0 || data[at + n - 1] != '\n'))
			n++;
		if (s_append(r, &used, "%lld text ", (long long)off) != 0 ||
		    s_reserve(r, used, 4 * n + 2) != 0)
			return -1;
		for (size_t i = 0; i < n; i++) {
			uint8_t c = data[at + i];
			bool edge = c == ' ' && (i == 0 || i == n - 1);
			const char *esc = c == '\r' ? "\\r" : c == '\n' ? "\\n" : c == '\t' ? "\\t"
			                  : c == '\\' ? "\\\\" : NULL;
			if (esc != NULL) {
				memcpy(r->buf + used, esc, 2);
				used += 2;
			} else if (c < 0x20 || c > 0x7e || edge) {
				used += (size_t)snprintf(r->buf + used, 5, "\\x%02x", c);
			} else {
				r->buf[used++] = (char)c;
			}
		}
		r->buf[used++] = '\n';
		at += n;
	}
	return (ssize_t)used;
}

/* Format one event, possibly several data lines, into r->buf. Its length, or -1. */
static ssize_t
s_format(struct vt_recorder *r, int64_t off, enum vt_rec_event ev, const uint8_t *data,
         size_t len, const char *reason)
{
	size_t used = 0;
	/* Bytes not kept since the last event: said where they would have been. */
	if (r->gap > 0 && s_append(r, &used, "%lld %s %llu bytes not recorded: %s\n", (long long)off,
	                           vt_rec_event_name(VT_REC_GAP), (unsigned long long)r->gap,
	                           r->gap_why) != 0)
		return -1;
	if (!VT_REC_IS_BYTES(ev)) {
		const char *word = vt_rec_event_name(ev);
		char *text = reason && *reason ? s_one_line(reason) : NULL;
		int rc = text ? s_append(r, &used, "%lld %s %s\n", (long long)off, word, text)
		              : s_append(r, &used, "%lld %s\n", (long long)off, word);
		free(text);
		return rc == 0 ? (ssize_t)used : -1;
	}
	if (ev == VT_REC_DATA && r->text)
		return s_format_text(r, off, data, len);
	for (size_t at = 0; at < len; at += VT_SESSION_BYTES_PER_LINE) {
		size_t n = len - at < VT_SESSION_BYTES_PER_LINE ? len - at : VT_SESSION_BYTES_PER_LINE;
		if (s_append(r, &used, "%lld %s", (long long)off, vt_rec_event_name(ev)) != 0 ||
		    s_reserve(r, used, VT_SESSION_HEX_MAX + 1) != 0)
			return -1;
		used += vt_session_hex(r->buf + used, data + at, n);
		r->buf[used++] = '\n';
	}
	return (ssize_t)used;
}

int
vt_recorder_event(struct vt_recorder *r, int64_t now, enum vt_rec_event ev, const uint8_t *data,
                  size_t len, const char *reason, char *err, size_t errlen)
{
	if ((unsigned)ev >= VT_REC_EVENT_COUNT) {
		snprintf(err, errlen, "unknown recording event %d", (int)ev);
		return -1;
	}
	if (VT_REC_IS_JSON(ev) && (reason == NULL || *reason != '{')) {
		snprintf(err, errlen, "a %s event needs a JSON object", vt_rec_event_name(ev));
		return -1;
	}
	if (VT_REC_IS_BYTES(ev) && len == 0)
		return 0; /* nothing arrived: nothing to keep */
	if (ev == VT_REC_DATA && !s_admit(r, now, len))
		return 1;
	if (s_ready(r, now, err, errlen) != 0)
		return -1;
	/* The loop reads the clock once per wake-up, the publisher when it
	 * publishes: two such readings can arrive out of order by a little.
	 * That is not a clock set back; the event keeps the file's order. */
	if (now < r->last)
		now = r->last;
	ssize_t n = s_format(r, now - r->start, ev, data, len, reason);
	if (n < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (s_write(r, (size_t)n, err, errlen) != 0) {
		s_finish(r, now);
		r->last = now;
		r->retry_at = now; /* the next event tries a new file at once */
		snprintf(r->failure, sizeof(r->failure), "%s", err);
		return -1;
	}
	r->last = now;
	r->gap = 0; /* written with this event */
	if (now - r->synced >= S_SYNC_EVERY_MS)
		s_kick(r, now);
	return 0;
}

void
vt_recorder_close(struct vt_recorder **rp)
{
	struct vt_recorder *r = *rp;
	if (r == NULL)
		return;
	if (r->fd >= 0) {
		/* Shutdown may wait for the disk: SIGTERM promises flushed recordings. */
		(void)fdatasync(r->fd);
		close(r->fd);
	}
	free(r->dir);
	free(r->bed);
	free(r->header_bed);
	free(r->header_port);
	free(r->header_protocol);
	free(r->header_config);
	free(r->header_sha256);
	free(r->path);
	free(r->continues);
	free(r->buf);
	free(r);
	*rp = NULL;
}
